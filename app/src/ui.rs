//! What every page uses: the session and its CSRF token, the gates of the
//! signed-in pages, the 404 and 503 pages, the status code and escaping.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_location;

use crate::models::{Gate, SessionInfo};
use crate::urls::encode;

/// The session, fetched once per page by [`crate::App`].
pub type SessionResource = Resource<Result<SessionInfo, ServerFnError>>;

pub fn use_session() -> Option<SessionResource> {
    use_context::<SessionResource>()
}

/// The CSRF token of this page's session (empty if there is none).
pub(crate) async fn csrf() -> String {
    match use_session() {
        Some(s) => s.await.map(|i| i.csrf).unwrap_or_default(),
        None => String::new(),
    }
}

#[component]
pub fn Csrf(token: String) -> impl IntoView {
    view! { <input type="hidden" name="csrf" value=token /> }
}

fn current_path() -> String {
    let loc = use_location();
    let path = loc.pathname.get_untracked();
    let search = loc.search.get_untracked();
    if search.is_empty() {
        path
    } else {
        format!("{path}?{search}")
    }
}

/// What a page shows for a gate that is not open.
pub(crate) fn closed<T>(gate: Gate<T>, open: impl FnOnce(T) -> AnyView) -> AnyView {
    match gate {
        Gate::Ok(t) => open(t),
        Gate::Login => {
            set_status(401);
            let href = format!("/login?next={}", encode(&current_path()));
            view! {
                <Title text="Sign in" />
                <section class="notice">
                    <h1>"Sign in to continue"</h1>
                    <p><a href=href>"Sign in"</a> " to see this page."</p>
                </section>
            }
            .into_any()
        }
        Gate::Forbidden => {
            set_status(403);
            view! {
                <Title text="Not allowed" />
                <section class="notice">
                    <h1>"Not allowed"</h1>
                    <p>"Your account may not see this page."</p>
                </section>
            }
            .into_any()
        }
        Gate::NotFound => view! { <NotFound /> }.into_any(),
    }
}

/// The text inside a `<textarea>`. Leptos (tachys) writes a textarea's
/// children into the server-rendered HTML unescaped, as it does for
/// `<script>`, so a value holding `</textarea><script>` would end the
/// element and run: on the server the text is escaped here. In the
/// browser a text node is plain text and must stay as it is.
pub fn textarea_text(text: String) -> String {
    if cfg!(feature = "ssr") {
        escape_html(&text)
    } else {
        text
    }
}

/// Escapes text for an HTML text node or a quoted attribute.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Sets the HTTP status of the page being rendered on the server.
pub(crate) fn set_status(code: u16) {
    #[cfg(feature = "ssr")]
    {
        if let Some(response) = use_context::<leptos_axum::ResponseOptions>()
            && let Ok(status) = http::StatusCode::from_u16(code)
        {
            response.set_status(status);
        }
    }
    #[cfg(not(feature = "ssr"))]
    let _ = code;
}

pub(crate) fn plural(n: u64, one: &str, many: &str) -> String {
    if n == 1 {
        format!("{n} {one}")
    } else {
        format!("{n} {many}")
    }
}

#[component]
pub(crate) fn NotFound() -> impl IntoView {
    set_status(404);
    view! {
        <Title text="Not found" />
        <section class="notice">
            <h1>"Not found"</h1>
            <p>"There is nothing at this address. " <a href="/">"Back to the catalog"</a></p>
        </section>
    }
}

#[component]
pub(crate) fn Unavailable() -> impl IntoView {
    set_status(503);
    view! {
        <section class="notice">
            <h1>"The catalog is unavailable"</h1>
            <p>"Please try again in a moment."</p>
        </section>
    }
}

pub(crate) fn human_size(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut size = n as f64;
    let mut unit = 0;
    while size >= 1024.0 && unit < UNITS.len() - 1 {
        size /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{size:.1} {}", UNITS[unit])
    }
}
