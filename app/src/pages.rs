//! The pages. Links are plain anchors and every page renders fully on the
//! server, so the site works without JavaScript.

use leptos::prelude::*;
use leptos_meta::{MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::components::{A, Route, Router, Routes};
use leptos_router::hooks::{use_params_map, use_query_map};
use leptos_router::{SsrMode, path};

use crate::models::{ArtifactCard, TypeListing, TypeSummary};
use crate::server_fns::{get_type_listing, get_type_summaries};

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

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Stylesheet id="leptos" href="/pkg/appcat.css" />
        <Title formatter=|text: String| if text.is_empty() { "appcat".to_owned() } else { format!("{text} · appcat") } />
        <Router>
            <a class="skip" href="#main">"Skip to content"</a>
            <header class="site-header">
                <a class="brand" href="/">"appcat"</a>
                <nav aria-label="Main">
                    <a href="/">"Catalog"</a>
                    <a href="/api/openapi.json">"API"</a>
                </nav>
            </header>
            <main id="main">
                <Routes fallback=NotFound>
                    <Route path=path!("/") view=HomePage ssr=SsrMode::Async />
                    <Route path=path!("/apps/:type_name") view=TypePage ssr=SsrMode::Async />
                </Routes>
            </main>
            <footer class="site-footer">
                "appcat — an application and artifact catalog. Artifact API: "
                <code>"/api/v1"</code>
            </footer>
        </Router>
    }
}

/// Sets the HTTP status of the page being rendered on the server.
fn set_status(code: u16) {
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

fn plural(n: u64, one: &str, many: &str) -> String {
    if n == 1 {
        format!("{n} {one}")
    } else {
        format!("{n} {many}")
    }
}

#[component]
fn NotFound() -> impl IntoView {
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
fn Unavailable() -> impl IntoView {
    set_status(503);
    view! {
        <section class="notice">
            <h1>"The catalog is unavailable"</h1>
            <p>"Please try again in a moment."</p>
        </section>
    }
}

#[component]
fn HomePage() -> impl IntoView {
    let summaries = Resource::new(|| (), |_| get_type_summaries());
    view! {
        <Title text="" />
        <section class="hero">
            <h1>"Applications and artifacts for OpenStack clouds"</h1>
            <p>"Murano packages, Glance images, Heat and TOSCA templates: browse what is published."</p>
        </section>
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match summaries.await {
                    Ok(types) => view! { <TypeTiles types /> }.into_any(),
                    Err(_) => view! { <Unavailable /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn TypeTiles(types: Vec<TypeSummary>) -> impl IntoView {
    let total: u64 = types.iter().map(|t| t.public_count).sum();
    view! {
        <p class="total">{plural(total, "public artifact", "public artifacts")}</p>
        {(total == 0).then(|| view! {
            <p class="hint">
                "The catalog is empty. Publish artifacts through the API at "
                <code>"/api/v1/artifacts/<type>"</code> "."
            </p>
        })}
        <ul class="tiles">
            {types
                .into_iter()
                .map(|t| {
                    let href = format!("/apps/{}", t.name);
                    view! {
                        <li class="tile">
                            <A href=href>
                                <h2>{t.display_name}</h2>
                                <p class="count">{format!("{} public", t.public_count)}</p>
                                <p class="desc">{t.description}</p>
                            </A>
                        </li>
                    }
                })
                .collect_view()}
        </ul>
    }
}

#[component]
fn TypePage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let listing = Resource::new(
        move || {
            (
                params.read().get("type_name").unwrap_or_default(),
                query.read().get("marker"),
            )
        },
        |(type_name, marker)| get_type_listing(type_name, marker),
    );
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match listing.await {
                    Ok(Some(listing)) => view! { <Listing listing /> }.into_any(),
                    Ok(None) => view! { <NotFound /> }.into_any(),
                    Err(_) => view! { <Unavailable /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Listing(listing: TypeListing) -> impl IntoView {
    let TypeListing {
        summary,
        artifacts,
        total,
        next_marker,
    } = listing;
    let next = next_marker.map(|m| format!("/apps/{}?marker={m}", summary.name));
    view! {
        <Title text=summary.display_name.clone() />
        <nav class="crumbs" aria-label="Breadcrumb">
            <a href="/">"Catalog"</a>
            " / "
            <span aria-current="page">{summary.display_name.clone()}</span>
        </nav>
        <h1>{summary.display_name.clone()}</h1>
        <p class="desc">{summary.description}</p>
        <p class="total">{format!("{total} public")}</p>
        {if artifacts.is_empty() {
            view! { <p class="hint">"Nothing published of this type yet."</p> }.into_any()
        } else {
            view! {
                <ul class="cards">
                    {artifacts.into_iter().map(|a| view! { <Card a /> }).collect_view()}
                </ul>
            }
                .into_any()
        }}
        {next.map(|href| view! { <a class="next" rel="next" href=href>"Next page"</a> })}
    }
}

#[component]
fn Card(a: ArtifactCard) -> impl IntoView {
    let initial = a
        .name
        .chars()
        .next()
        .unwrap_or('?')
        .to_uppercase()
        .to_string();
    let api = format!("/api/v1/artifacts/{}/{}", a.type_name, a.id);
    view! {
        <li class="card">
            {match a.icon_url {
                Some(src) => view! { <img class="icon" src=src alt="" loading="lazy" width="48" height="48" /> }.into_any(),
                None => view! { <span class="icon placeholder" aria-hidden="true">{initial}</span> }.into_any(),
            }}
            <div>
                <h2>
                    <a href=api>{a.name}</a>
                    " "
                    <span class="version">{a.version}</span>
                </h2>
                <p class="desc">{a.description.unwrap_or_default()}</p>
                <p class="meta">
                    {format!("by {} · updated {}", a.owner, a.updated_at)}
                </p>
                <ul class="tags">
                    {a.tags.into_iter().map(|t| view! { <li>{t}</li> }).collect_view()}
                </ul>
            </div>
        </li>
    }
}
