//! The pages. Links are plain anchors and every page renders fully on the
//! server, so the site works without JavaScript.

use leptos::prelude::*;
use leptos_meta::{MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::components::{A, Route, Router, Routes};
use leptos_router::hooks::{use_params_map, use_query_map};
use leptos_router::{SsrMode, path};

use crate::community::{CommunitySection, rating_text};
use crate::models::{
    ArtifactCard, ArtifactDetail, ArtifactRef, DependencyInfo, ListingQuery, TypeListing,
    TypeSummary,
};
use crate::server_fns::{
    get_artifact_detail, get_session_info, get_type_listing, get_type_summaries,
};
use crate::space::{
    AdminPage, Csrf, LoginPage, ManagePage, NewArtifactPage, RegisterPage, SessionResource,
    SpacePage, TokensPageView,
};

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

fn plural(n: u64, one: &str, many: &str) -> String {
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

#[component]
fn HomePage() -> impl IntoView {
    let summaries = Resource::new(|| (), |_| get_type_summaries());
    let recent = Resource::new(|| (), |_| get_type_listing("all".to_owned(), None));
    let popular = Resource::new(
        || (),
        |_| {
            get_type_listing(
                "all".to_owned(),
                Some(ListingQuery {
                    sort: Some("downloads".to_owned()),
                    ..Default::default()
                }),
            )
        },
    );
    view! {
        <Title text="" />
        <section class="hero">
            <h1>"Applications and artifacts for OpenStack clouds"</h1>
            <p>"Murano packages, Glance images, Heat and TOSCA templates: browse what is published."</p>
            <form class="search" method="get" action="/apps/all" role="search">
                <label for="q">"Search the catalog"</label>
                <input id="q" name="q" type="search" placeholder="Name, description or tag" />
                <button type="submit">"Search"</button>
            </form>
        </section>
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match (summaries.await, recent.await, popular.await) {
                    (Ok(types), Ok(recent), Ok(popular)) => {
                        let recent: Vec<ArtifactCard> =
                            recent.map(|l| l.artifacts.into_iter().take(6).collect()).unwrap_or_default();
                        let popular: Vec<ArtifactCard> = popular
                            .map(|l| l.artifacts.into_iter().filter(|a| a.downloads > 0).take(6).collect())
                            .unwrap_or_default();
                        view! {
                            <TypeTiles types />
                            {(!popular.is_empty()).then(|| view! {
                                <h2>"Most downloaded"</h2>
                                <ul class="cards">{popular.into_iter().map(|a| view! { <Card a /> }).collect_view()}</ul>
                                <a class="next" href="/apps/all?sort=downloads">"More popular apps"</a>
                            })}
                            {(!recent.is_empty()).then(|| view! {
                                <h2>"Recently added"</h2>
                                <ul class="cards">{recent.into_iter().map(|a| view! { <Card a /> }).collect_view()}</ul>
                                <a class="next" href="/apps/all">"Browse all apps"</a>
                            })}
                        }
                            .into_any()
                    }
                    _ => view! { <Unavailable /> }.into_any(),
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
    let listing_query = move || {
        let q = query.read();
        let get = |k: &str| q.get(k).filter(|v| !v.trim().is_empty());
        ListingQuery {
            marker: get("marker"),
            q: get("q"),
            tag: get("tag"),
            license: get("license"),
            release: get("release"),
            provider: get("provider"),
            kind: get("kind"),
            req: get("req"),
            sort: get("sort"),
            min_rating: get("min_rating"),
        }
    };
    let listing = Resource::new(
        move || {
            (
                // `/apps` lists every type.
                params
                    .read()
                    .get("type_name")
                    .unwrap_or_else(|| "all".to_owned()),
                listing_query(),
            )
        },
        |(type_name, q)| get_type_listing(type_name, Some(q)),
    );
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let query = listing_query();
                match listing.await {
                    Ok(Some(listing)) => view! { <Listing listing query /> }.into_any(),
                    Ok(None) => view! { <NotFound /> }.into_any(),
                    Err(_) => view! { <Unavailable /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// Percent-encodes one path segment or query value.
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn detail_href(type_name: &str, name: &str, version: &str) -> String {
    format!(
        "/apps/{}/{}?version={}",
        encode(type_name),
        encode(name),
        encode(version)
    )
}

#[component]
fn Listing(listing: TypeListing, query: ListingQuery) -> impl IntoView {
    let TypeListing {
        summary,
        artifacts,
        total,
        next_marker,
        facets,
        error,
    } = listing;
    if error.is_some() {
        set_status(400);
    }
    let q = query.q.clone().unwrap_or_default();
    let base = format!("/apps/{}", summary.name);
    let href_with = {
        let base = base.clone();
        move |pairs: &[(&str, String)]| {
            let qs: Vec<String> = pairs
                .iter()
                .map(|(k, v)| format!("{k}={}", encode(v)))
                .collect();
            if qs.is_empty() {
                base.clone()
            } else {
                format!("{base}?{}", qs.join("&"))
            }
        }
    };
    let current = query.pairs();
    let next = next_marker.map(|m| {
        let mut pairs = current.clone();
        pairs.push(("marker", m));
        href_with(&pairs)
    });
    let action = base.clone();
    let filtered = current.len() > usize::from(!q.is_empty());
    let found = if q.is_empty() && !filtered {
        plural(total, "public artifact", "public artifacts")
    } else if q.is_empty() {
        plural(total, "match", "matches")
    } else {
        format!("{} for “{q}”", plural(total, "match", "matches"))
    };
    // A facet value link adds its filter, or removes it when selected.
    let facet_views = facets
        .into_iter()
        .filter(|f| !f.values.is_empty())
        .map(|f| {
            let items = f
                .values
                .into_iter()
                .map(|v| {
                    let mut pairs: Vec<(&str, String)> = current
                        .iter()
                        .filter(|(k, _)| *k != f.param.as_str())
                        .cloned()
                        .collect();
                    if !v.selected {
                        let key: &'static str = match f.param.as_str() {
                            "tag" => "tag",
                            "license" => "license",
                            "release" => "release",
                            "provider" => "provider",
                            _ => "kind",
                        };
                        pairs.push((key, v.value.clone()));
                    }
                    let href = href_with(&pairs);
                    let selected = v.selected.then_some("true");
                    view! {
                        <li>
                            <a href=href aria-pressed=selected class:selected=v.selected>
                                {v.value}
                                " "
                                <span class="muted">{format!("({})", v.count)}</span>
                            </a>
                        </li>
                    }
                })
                .collect_view();
            view! {
                <h2>{f.label}</h2>
                <ul class="facet">{items}</ul>
            }
        })
        .collect_view();
    view! {
        <Title text=summary.display_name.clone() />
        <nav class="crumbs" aria-label="Breadcrumb">
            <a href="/">"Catalog"</a>
            " / "
            <span aria-current="page">{summary.display_name.clone()}</span>
        </nav>
        <h1>{summary.display_name.clone()}</h1>
        <p class="desc">{summary.description}</p>
        <form class="search" method="get" action=action role="search">
            <label for="q">"Search " {summary.display_name.clone()}</label>
            <input id="q" name="q" type="search" value=q.clone() placeholder="Name, description or tag" />
            {current
                .iter()
                .filter(|(k, _)| !["q", "req", "sort", "min_rating"].contains(k))
                .map(|(k, v)| view! { <input type="hidden" name=*k value=v.clone() /> })
                .collect_view()}
            <button type="submit">"Search"</button>
            <div class="refine">
                <label for="req">"Version"</label>
                <input id="req" name="req" value=query.req.clone().unwrap_or_default()
                    placeholder=">=1.0, <2 · ^1.2 · ==1.2.*" aria-describedby="req-help" />
                <small id="req-help">"A version requirement, cargo or pip style."</small>
                <label for="min_rating">"Rating"</label>
                <select id="min_rating" name="min_rating">
                    {[("", "any"), ("4", "4 ★ and up"), ("3", "3 ★ and up"), ("2", "2 ★ and up")]
                        .into_iter()
                        .map(|(value, text)| {
                            let selected = query.min_rating.as_deref().unwrap_or("") == value;
                            view! { <option value=value selected=selected>{text}</option> }
                        })
                        .collect_view()}
                </select>
                <label for="sort">"Sort by"</label>
                <select id="sort" name="sort">
                    {[("newest", "Newest"), ("updated", "Recently updated"), ("name", "Name"), ("rating", "Best rated"), ("downloads", "Most downloaded")]
                        .into_iter()
                        .map(|(value, text)| {
                            let selected = query.sort.as_deref().unwrap_or("newest") == value;
                            view! { <option value=value selected=selected>{text}</option> }
                        })
                        .collect_view()}
                </select>
            </div>
        </form>
        {error.map(|e| view! { <p class="flash error" role="alert">{e}</p> })}
        <p class="total">{found}</p>
        <div class="browse">
            <aside class="facets" aria-label="Filters">{facet_views}</aside>
            <div>
                {if artifacts.is_empty() {
                    view! { <p class="hint">"Nothing found."</p> }.into_any()
                } else {
                    view! {
                        <ul class="cards">
                            {artifacts.into_iter().map(|a| view! { <Card a /> }).collect_view()}
                        </ul>
                    }
                        .into_any()
                }}
                {next.map(|href| view! { <a class="next" rel="next" href=href>"Next page"</a> })}
            </div>
        </div>
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
    let href = detail_href(&a.type_name, &a.name, &a.version);
    view! {
        <li class="card">
            {match a.icon_url {
                Some(src) => view! { <img class="icon" src=src alt="" loading="lazy" width="48" height="48" /> }.into_any(),
                None => view! { <span class="icon placeholder" aria-hidden="true">{initial}</span> }.into_any(),
            }}
            <div>
                <h2>
                    <a href=href>{a.title}</a>
                    " "
                    <span class="version">{a.version}</span>
                </h2>
                <p class="desc">{a.description.unwrap_or_default()}</p>
                <p class="meta">
                    {format!("by {} · updated {}", a.owner, a.updated_at)}
                </p>
                <p class="meta stats-line">
                    <span class="rating">{rating_text(a.rating, a.rating_count)}</span>
                    {format!(" · {} downloads", a.downloads)}
                </p>
                <ul class="tags">
                    {a.tags.into_iter().map(|t| view! { <li>{t}</li> }).collect_view()}
                </ul>
            </div>
        </li>
    }
}

#[component]
fn DetailPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let detail = Resource::new(
        move || {
            (
                params.read().get("type_name").unwrap_or_default(),
                params.read().get("name").unwrap_or_default(),
                query.read().get("version").filter(|v| !v.is_empty()),
                query
                    .read()
                    .get("reviews")
                    .and_then(|p| p.parse::<u64>().ok()),
            )
        },
        |(type_name, name, version, reviews)| {
            get_artifact_detail(type_name, name, version, reviews)
        },
    );
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let token = match crate::space::use_session() {
                    Some(s) => s.await.map(|i| i.csrf).unwrap_or_default(),
                    None => String::new(),
                };
                match detail.await {
                    Ok(Some(d)) => view! { <Detail d token /> }.into_any(),
                    Ok(None) => view! { <NotFound /> }.into_any(),
                    Err(_) => view! { <Unavailable /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// Only links the catalog itself serves or web URLs are rendered as links
/// (never `javascript:` or `data:`).
pub(crate) fn safe_href(href: &str) -> Option<String> {
    (href.starts_with("/api/v1/") || href.starts_with("https://") || href.starts_with("http://"))
        .then(|| href.to_owned())
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

fn ref_link(r: &ArtifactRef) -> impl IntoView + use<> {
    let href = detail_href(&r.type_name, &r.name, &r.version);
    let text = format!("{} {}", r.name, r.version);
    view! { <a href=href>{text}</a> }
}

fn pairs(items: Vec<(String, String)>) -> impl IntoView {
    items
        .into_iter()
        .map(|(k, v)| {
            let link = v.starts_with("http://") || v.starts_with("https://");
            view! {
                <dt>{k}</dt>
                <dd>
                    {if link {
                        let href = v.clone();
                        view! { <a href=href rel="nofollow noopener external">{v}</a> }.into_any()
                    } else {
                        view! { <span>{v}</span> }.into_any()
                    }}
                </dd>
            }
        })
        .collect_view()
}

#[component]
fn Detail(d: ArtifactDetail, token: String) -> impl IntoView {
    let initial = d
        .name
        .chars()
        .next()
        .unwrap_or('?')
        .to_uppercase()
        .to_string();
    let type_href = format!("/apps/{}", d.type_name);
    let title = format!("{} {}", d.title, d.version);
    let versions = d.versions.clone();
    let name_for_versions = d.name.clone();
    let type_for_versions = d.type_name.clone();
    let mut facts: Vec<(String, String)> = Vec::new();
    facts.push(("Type".into(), d.type_display_name.clone()));
    facts.push(("Owner".into(), d.owner.clone()));
    if let Some(l) = &d.license {
        facts.push(("License".into(), l.clone()));
    }
    if let Some(u) = &d.license_url {
        facts.push(("License text".into(), u.clone()));
    }
    for (k, v) in &d.provided_by {
        facts.push((format!("Provided by ({k})"), v.clone()));
    }
    for (k, v) in &d.supported_by {
        facts.push((format!("Supported by ({k})"), v.clone()));
    }
    if !d.release.is_empty() {
        facts.push(("Releases".into(), d.release.join(", ")));
    }
    facts.push(("Published".into(), d.created_at.clone()));
    facts.push(("Updated".into(), d.updated_at.clone()));
    facts.extend(d.fields.clone());
    view! {
        <Title text=title />
        <nav class="crumbs" aria-label="Breadcrumb">
            <a href="/">"Catalog"</a>
            " / "
            <a href=type_href>{d.type_display_name.clone()}</a>
            " / "
            <span aria-current="page">{d.title.clone()}</span>
        </nav>
        <article class="detail">
            <header class="detail-head">
                {match d.icon_url.clone() {
                    Some(src) => view! { <img class="icon large" src=src alt="" width="64" height="64" /> }.into_any(),
                    None => view! { <span class="icon large placeholder" aria-hidden="true">{initial}</span> }.into_any(),
                }}
                <div>
                    <h1>{d.title.clone()} " " <span class="version">{d.version.clone()}</span></h1>
                    {(d.title != d.name).then(|| view! { <p class="muted"><code>{d.name.clone()}</code></p> })}
                    {(d.status != "active").then(|| view! { <p class="badge">{d.status.clone()}</p> })}
                    <ul class="tags">{d.tags.iter().map(|t| view! { <li>{t.clone()}</li> }).collect_view()}</ul>
                </div>
            </header>
            <div class="detail-body">
                <section class="description" inner_html=d.description_html.clone()></section>
                <aside class="facts">
                    <h2>"Versions"</h2>
                    <ul class="versions">
                        {versions
                            .into_iter()
                            .map(|v| {
                                let href = detail_href(&type_for_versions, &name_for_versions, &v.version);
                                let current = v.current.then_some("page");
                                view! { <li><a href=href aria-current=current>{v.version}</a></li> }
                            })
                            .collect_view()}
                    </ul>
                    <h2>"Details"</h2>
                    <dl>{pairs(facts)}</dl>
                    {(!d.metadata.is_empty()).then(|| view! {
                        <h2>"Metadata"</h2>
                        <dl>{pairs(d.metadata.clone())}</dl>
                    })}
                </aside>
            </div>
            {d.install_hint.clone().map(|hint| view! {
                <section>
                    <h2>"Install"</h2>
                    <pre><code>{hint}</code></pre>
                </section>
            })}
            <section>
                <h2>"Files"</h2>
                {if d.blobs.is_empty() {
                    view! { <p class="hint">"No files."</p> }.into_any()
                } else {
                    view! {
                        <div class="table-wrap"><table class="blobs">
                            <thead><tr><th scope="col">"File"</th><th scope="col">"Size"</th><th scope="col">"Checksums"</th></tr></thead>
                            <tbody>
                                {d.blobs.iter().cloned().map(|b| view! {
                                    <tr>
                                        <td>
                                            {safe_href(&b.href)
                                                .map(|href| view! { <a href=href rel="nofollow external">{b.label.clone()}</a> }.into_any())
                                                .unwrap_or_else(|| view! { <span>{b.label.clone()}</span> }.into_any())}
                                            {b.external.then(|| view! { " " <span class="muted">"(external)"</span> })}
                                        </td>
                                        <td>{b.size.map(human_size).unwrap_or_else(|| "—".into())}</td>
                                        <td class="sums">
                                            {b.md5.map(|m| view! { <div>"MD5 " <code>{m}</code></div> })}
                                            {b.sha256.map(|m| view! { <div>"SHA-256 " <code>{m}</code></div> })}
                                        </td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table></div>
                    }.into_any()
                }}
            </section>
            <section>
                <h2>"Dependencies"</h2>
                {if d.dependencies.is_empty() {
                    view! { <p class="hint">"None."</p> }.into_any()
                } else {
                    view! { <ul class="deps">{d.dependencies.iter().cloned().map(dependency).collect_view()}</ul> }.into_any()
                }}
                <h2>"Used by"</h2>
                {if d.dependents.is_empty() {
                    view! { <p class="hint">"Nothing in the catalog depends on it."</p> }.into_any()
                } else {
                    view! { <ul class="deps">{d.dependents.iter().map(|r| view! { <li>{ref_link(r)}</li> }).collect_view()}</ul> }.into_any()
                }}
            </section>
            <CommunitySection
                c=d.community.clone()
                type_name=d.type_name.clone()
                id=d.id.clone()
                here=detail_href(&d.type_name, &d.name, &d.version)
                token
            />
            <p class="api"><a href=d.api_url.clone() rel="external">"This artifact in the API (JSON)"</a></p>
        </article>
    }
}

fn dependency(dep: DependencyInfo) -> impl IntoView {
    let status = match dep.status.as_str() {
        "resolved" => "",
        "missing" => "not in the catalog",
        "no_matching_version" => "no matching version",
        "external" => "external",
        other => other,
    }
    .to_owned();
    let origin = match (dep.source.as_str(), dep.owner.as_deref()) {
        ("accepted_share", Some(owner)) => Some(format!("shared by {owner}")),
        ("public", Some(owner)) => Some(format!("public, from {owner}")),
        _ => None,
    };
    view! {
        <li>
            {match dep.target {
                Some(t) => ref_link(&t).into_any(),
                None => view! { <span>{dep.requirement.clone()}</span> }.into_any(),
            }}
            {(!status.is_empty()).then(|| view! { " " <span class="badge">{status}</span> })}
            {dep.implicit.then(|| view! { " " <span class="muted">"(implied)"</span> })}
            {origin.map(|o| view! { " " <span class="muted origin">{o}</span> })}
            " " <span class="muted">{dep.field}</span>
        </li>
    }
}
