//! The tenant space: its artifacts, the tenant switch, the types to create
//! and the shares offered to the tenant.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::models::{Space, SpaceArtifact};
use crate::server_fns::get_space;
use crate::ui::{Csrf, Unavailable, closed, csrf, use_session};
use crate::urls::{encode, manage_href};

fn artifact_rows(items: Vec<SpaceArtifact>) -> impl IntoView {
    view! {
        <div class="table-wrap"><table class="list">
            <thead>
                <tr>
                    <th scope="col">"Name"</th>
                    <th scope="col">"Version"</th>
                    <th scope="col">"Type"</th>
                    <th scope="col">"Status"</th>
                    <th scope="col">"Visibility"</th>
                    <th scope="col">"Updated"</th>
                </tr>
            </thead>
            <tbody>
                {items
                    .into_iter()
                    .map(|a| {
                        let href = manage_href(&a);
                        view! {
                            <tr>
                                <td><a href=href>{a.name.clone()}</a></td>
                                <td>{a.version.clone()}</td>
                                <td>{a.type_name.clone()}</td>
                                <td><span class=format!("badge status-{}", a.status)>{a.status.clone()}</span></td>
                                <td>
                                    {a.visibility.clone()}
                                    {a.listing.clone().map(|l| view! { " " <span class="muted">{format!("(listing {l})")}</span> })}
                                </td>
                                <td>{a.updated_at.clone()}</td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table></div>
    }
}

#[component]
pub fn SpacePage() -> impl IntoView {
    let space = Resource::new(|| (), |_| get_space());
    view! {
        <Title text="Your space" />
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let token = csrf().await;
                let viewer = match use_session() {
                    Some(s) => s.await.ok().and_then(|i| i.viewer),
                    None => None,
                };
                match space.await {
                    Ok(gate) => closed(gate, move |s: Space| {
                        let tenants = viewer.map(|v| v.tenants).unwrap_or_default();
                        view! { <SpaceView s tenants token /> }.into_any()
                    }),
                    Err(_) => view! { <Unavailable /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn SpaceView(s: Space, tenants: Vec<String>, token: String) -> impl IntoView {
    let Space {
        tenant,
        artifacts,
        shared_with_us,
        can_answer,
        types,
    } = s;
    let drafts: Vec<SpaceArtifact> = artifacts
        .iter()
        .filter(|a| a.status == "drafted")
        .cloned()
        .collect();
    let others: Vec<SpaceArtifact> = artifacts
        .into_iter()
        .filter(|a| a.status != "drafted")
        .collect();
    let has_tenant = !tenant.is_empty();
    view! {
        <h1>"Your space"</h1>
        {if has_tenant {
            view! { <p class="hint">"Artifacts of tenant " <strong>{tenant.clone()}</strong> "."</p> }.into_any()
        } else {
            view! { <p class="hint">"You are not a member of any tenant yet: ask a tenant admin to add you."</p> }.into_any()
        }}
        {(tenants.len() > 1).then(|| {
            let current = tenant.clone();
            view! {
                <form method="post" action="/space/tenant" class="inline">
                    <Csrf token=token.clone() />
                    <label for="tenant">"Act in tenant"</label>
                    <select id="tenant" name="tenant">
                        {tenants.iter().map(|t| {
                            let selected = *t == current;
                            view! { <option value=t.clone() selected=selected>{t.clone()}</option> }
                        }).collect_view()}
                    </select>
                    <button type="submit">"Switch"</button>
                </form>
            }
        })}
        <p class="actions"><a href="/space/tokens">"API tokens"</a></p>
        {has_tenant.then(|| view! {
            <section>
                <h2>"Create an artifact"</h2>
                <ul class="chips">
                    {types.into_iter().map(|t| {
                        let href = format!("/space/new/{}", encode(&t.name));
                        view! { <li><a href=href title=t.description.clone()>{t.display_name.clone()}</a></li> }
                    }).collect_view()}
                </ul>
            </section>
        })}
        <section>
            <h2>{format!("Drafts ({})", drafts.len())}</h2>
            {if drafts.is_empty() {
                view! { <p class="hint">"No drafts."</p> }.into_any()
            } else {
                artifact_rows(drafts).into_any()
            }}
        </section>
        <section>
            <h2>{format!("Active and deactivated ({})", others.len())}</h2>
            {if others.is_empty() {
                view! { <p class="hint">"Nothing yet."</p> }.into_any()
            } else {
                artifact_rows(others).into_any()
            }}
        </section>
        <section>
            <h2>{format!("Shared with {} ({})", if has_tenant { tenant.as_str() } else { "you" }, shared_with_us.len())}</h2>
            {if shared_with_us.is_empty() {
                view! { <p class="hint">"Nothing is shared with this tenant."</p> }.into_any()
            } else {
                view! {
                    <p class="hint">"Offers from other tenants. This tenant's dependencies use a shared artifact only once it is accepted; declining hides it."</p>
                    <ul class="deps offers">
                        {shared_with_us.into_iter().map(|a| {
                            let href = format!("/apps/{}/{}?version={}", encode(&a.type_name), encode(&a.name), encode(&a.version));
                            let action = format!("/space/shares/{}/{}", encode(&a.type_name), encode(&a.id));
                            let label = match a.status.as_str() {
                                "accepted" => "accepted",
                                "declined" => "declined",
                                _ => "waiting for an answer",
                            };
                            let answers = can_answer.then(|| {
                                let (accept, decline) = (a.status != "accepted", a.status != "declined");
                                let token = token.clone();
                                view! {
                                    <form method="post" action=action class="inline">
                                        <Csrf token />
                                        {accept.then(|| view! { <button type="submit" name="answer" value="accepted">"Accept"</button> })}
                                        {decline.then(|| view! { " " <button type="submit" name="answer" value="declined" class="secondary">"Decline"</button> })}
                                    </form>
                                }
                            });
                            let title = format!("{} {}", a.name, a.version);
                            view! {
                                <li>
                                    {if a.status == "declined" {
                                        view! { <span>{title}</span> }.into_any()
                                    } else {
                                        view! { <a href=href>{title}</a> }.into_any()
                                    }}
                                    " " <span class="muted">{format!("{} from {}", a.type_name, a.owner)}</span>
                                    " " <span class="badge">{label}</span>
                                    " " {answers}
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
    }
}
