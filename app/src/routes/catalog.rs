//! The public catalog: the home page and the browse pages (`/apps`,
//! `/apps/{type}`) with search, facets, version requirement and sort.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::{use_params_map, use_query_map};

use super::community::rating_text;
use crate::models::{ArtifactCard, ListingQuery, TypeListing, TypeSummary};
use crate::server_fns::{get_type_listing, get_type_summaries};
use crate::ui::{NotFound, Unavailable, plural, set_status};
use crate::urls::{detail_href, encode};

#[component]
pub(crate) fn HomePage() -> impl IntoView {
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
pub(crate) fn TypePage() -> impl IntoView {
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
                    {[("newest", "Newest"), ("relevance", "Best match"), ("updated", "Recently updated"), ("name", "Name"), ("rating", "Best rated"), ("downloads", "Most downloaded")]
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
