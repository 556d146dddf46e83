//! The pages. Links are plain anchors and every page renders fully on the
//! server, so the site works without JavaScript.
//!
//! One file per page area: [`catalog`] (home and browse), [`detail`] and
//! its [`community`] section, [`login`] (sign-in and registration),
//! [`space`], [`manage`] (the artifact forms), [`tokens`] and [`admin`].
//! Every form is a plain HTML form posting to the server (which answers
//! with a redirect), carrying the session's CSRF token; the browser build
//! adds the upload progress bar and drag and drop.

pub mod admin;
pub mod catalog;
pub mod community;
pub mod detail;
pub mod login;
pub mod manage;
pub mod space;
pub mod tokens;

use leptos::prelude::*;
use leptos_meta::{MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{SsrMode, path};

use crate::server_fns::get_session_info;
use crate::ui::{Csrf, NotFound, SessionResource, escape_html};
use admin::AdminPage;
use catalog::{HomePage, TypePage};
use detail::DetailPage;
use login::{LoginPage, RegisterPage};
use manage::{ManagePage, NewArtifactPage};
use space::SpacePage;
use tokens::TokensPageView;

pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                <AutoReload options=options.clone() />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// The document title. On the server it is written into `<title>` as raw
/// HTML by leptos_meta, so every title (artifact names, display names and
/// other data among them) is escaped here; in the browser it is set as
/// `document.title`, plain text, and must not be escaped.
fn page_title(text: String) -> String {
    let title = if text.is_empty() {
        "appcat".to_owned()
    } else {
        format!("{text} · appcat")
    };
    if cfg!(feature = "ssr") {
        escape_html(&title)
    } else {
        title
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // Who is signed in, the CSRF token and the one-time message: fetched
    // once per page load (every form posts and reloads).
    let session: SessionResource = Resource::new(|| (), |_| get_session_info());
    provide_context(session);
    view! {
        <Stylesheet id="leptos" href="/pkg/appcat.css" />
        <Title formatter=page_title />
        <Router>
            <a class="skip" href="#main">"Skip to content"</a>
            <header class="site-header">
                <a class="brand" href="/">"appcat"</a>
                <nav aria-label="Main">
                    <a href="/apps">"Browse"</a>
                    <a href="/api/openapi.json" rel="external">"API"</a>
                    <Suspense fallback=|| ()>
                        {move || Suspend::new(async move { view! { <UserMenu info=session.await.unwrap_or_default() /> } })}
                    </Suspense>
                </nav>
            </header>
            <main id="main">
                <Suspense fallback=|| ()>
                    {move || Suspend::new(async move {
                        session.await.ok().and_then(|i| i.flash).map(|f| {
                            let class = format!("flash {}", if f.kind == "error" { "error" } else { "ok" });
                            let role = if f.kind == "error" { "alert" } else { "status" };
                            view! { <p class=class role=role>{f.text}</p> }
                        })
                    })}
                </Suspense>
                <Routes fallback=NotFound>
                    <Route path=path!("/") view=HomePage ssr=SsrMode::Async />
                    <Route path=path!("/apps") view=TypePage ssr=SsrMode::Async />
                    <Route path=path!("/apps/:type_name") view=TypePage ssr=SsrMode::Async />
                    <Route path=path!("/apps/:type_name/:name") view=DetailPage ssr=SsrMode::Async />
                    <Route path=path!("/login") view=LoginPage ssr=SsrMode::Async />
                    <Route path=path!("/register") view=RegisterPage ssr=SsrMode::Async />
                    <Route path=path!("/space") view=SpacePage ssr=SsrMode::Async />
                    <Route path=path!("/space/tokens") view=TokensPageView ssr=SsrMode::Async />
                    <Route path=path!("/space/new/:type_name") view=NewArtifactPage ssr=SsrMode::Async />
                    <Route path=path!("/space/a/:type_name/:id") view=ManagePage ssr=SsrMode::Async />
                    <Route path=path!("/admin") view=AdminPage ssr=SsrMode::Async />
                </Routes>
            </main>
            <footer class="site-footer">
                "appcat — an application and artifact catalog. Artifact API: "
                <code>"/api/v1"</code>
            </footer>
        </Router>
    }
}

/// The header's account links: sign in, or the user with their space,
/// the admin page and sign-out.
#[component]
fn UserMenu(info: crate::models::SessionInfo) -> impl IntoView {
    match info.viewer {
        Some(v) => view! {
            <a href="/space">"Your space"</a>
            {v.is_admin.then(|| view! { <a href="/admin">"Admin"</a> })}
            <span class="user" data-testid="user-menu">{v.username.clone()}</span>
            <form method="post" action="/logout" class="inline">
                <Csrf token=info.csrf.clone() />
                <button type="submit" class="link">"Sign out"</button>
            </form>
        }
        .into_any(),
        None => view! {
            <a href="/login">"Sign in"</a>
            {info.registration_open.then(|| view! { <a href="/register">"Register"</a> })}
        }
        .into_any(),
    }
}
