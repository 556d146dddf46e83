//! The detail page of an artifact version: description, facts, files,
//! dependencies and dependents, and the community section.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use super::community::CommunitySection;
use crate::models::{ArtifactDetail, ArtifactRef, DependencyInfo};
use crate::server_fns::get_artifact_detail;
use crate::ui::{NotFound, Unavailable, human_size};
use crate::urls::{detail_href, safe_href};

#[component]
pub(crate) fn DetailPage() -> impl IntoView {
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
                let token = match crate::ui::use_session() {
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
