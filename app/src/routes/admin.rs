//! The catalog admin's page: public-listing requests, reported reviews and
//! the moderation log, users, tenants and installed types.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::models::AdminOverview;
use crate::server_fns::get_admin;
use crate::ui::{Csrf, Unavailable, closed, csrf};
use crate::urls::encode;

#[component]
pub fn AdminPage() -> impl IntoView {
    let admin = Resource::new(|| (), |_| get_admin());
    view! {
        <Title text="Administration" />
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let token = csrf().await;
                match admin.await {
                    Ok(gate) => closed(gate, move |a: AdminOverview| view! { <Admin a token /> }.into_any()),
                    Err(_) => view! { <Unavailable /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Admin(a: AdminOverview, token: String) -> impl IntoView {
    let pending = a.pending.clone();
    view! {
        <h1>"Administration"</h1>
        <section id="queue">
            <h2>{format!("Public-listing requests ({})", pending.len())}</h2>
            {if pending.is_empty() {
                view! { <p class="hint">"Nothing waits for a decision."</p> }.into_any()
            } else {
                view! {
                    <ul class="queue">
                        {pending.into_iter().map(|r| {
                            let action = format!("/admin/requests/{}", encode(&r.id));
                            let href = format!("/apps/{}/{}?version={}", encode(&r.type_name), encode(&r.name), encode(&r.version));
                            let note_id = format!("note-{}", r.id);
                            view! {
                                <li class="request-item">
                                    <p>
                                        <a href=href>{format!("{} {}", r.name, r.version)}</a>
                                        " " <span class="muted">{format!("{} · tenant {} · {}", r.type_name, r.tenant, r.created_at)}</span>
                                        {r.requested_by.clone().map(|u| view! { " " <span class="muted">{format!("by {u}")}</span> })}
                                    </p>
                                    {(!r.message.is_empty()).then(|| view! { <blockquote>{r.message.clone()}</blockquote> })}
                                    <form method="post" action=action class="inline">
                                        <Csrf token=token.clone() />
                                        <label for=note_id.clone()>"Note"</label>
                                        <input id=note_id.clone() name="note" />
                                        <button type="submit" name="action" value="approve">"Approve"</button>
                                        <button type="submit" name="action" value="reject" class="danger">"Reject"</button>
                                    </form>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
            {(!a.decided.is_empty()).then(|| view! {
                <details>
                    <summary>"Recent decisions"</summary>
                    <ul>
                        {a.decided.iter().map(|r| view! {
                            <li>
                                {format!("{} {} ({}): {}", r.name, r.version, r.tenant, r.status)}
                                {r.decided_by.clone().map(|u| format!(" by {u}"))}
                                {r.decision_note.clone().map(|n| format!(" — {n}"))}
                            </li>
                        }).collect_view()}
                    </ul>
                </details>
            })}
        </section>
        <section id="moderation">
            <h2>{format!("Reported reviews ({})", a.reported.len())}</h2>
            {if a.reported.is_empty() {
                view! { <p class="hint">"No reported reviews."</p> }.into_any()
            } else {
                view! {
                    <ul class="queue">
                        {a.reported.iter().map(|r| {
                            let href = format!("/apps/{}/{}#review-{}", encode(&r.type_name), encode(&r.name), r.review_id);
                            view! {
                                <li class="request-item reported-item">
                                    <p>
                                        <a href=href>{format!("{} ({} {})", r.name, r.type_name, r.version)}</a>
                                        " " <span class="muted">{format!("by {} · {} report(s)", r.author, r.reports)}</span>
                                    </p>
                                    <blockquote>{r.body.chars().take(300).collect::<String>()}</blockquote>
                                    {(!r.reasons.is_empty()).then(|| view! { <p class="muted">{format!("Reasons: {}", r.reasons.join(" · "))}</p> })}
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
            <details>
                <summary>"Moderation log"</summary>
                <div class="table-wrap"><table class="list" id="moderation-log">
                    <thead><tr><th scope="col">"When"</th><th scope="col">"Who"</th><th scope="col">"Action"</th><th scope="col">"Artifact"</th><th scope="col">"Note"</th></tr></thead>
                    <tbody>
                        {a.moderation.iter().map(|m| view! {
                            <tr>
                                <td>{m.created_at.clone()}</td>
                                <td>{m.actor.clone().unwrap_or_else(|| "—".into())}</td>
                                <td>{m.action.clone()}</td>
                                <td>{format!("{} ({})", m.name, m.type_name)}</td>
                                <td>{m.note.clone()}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table></div>
            </details>
        </section>
        <section id="users">
            <h2>"Users"</h2>
            <div class="table-wrap"><table class="list">
                <thead><tr><th scope="col">"User"</th><th scope="col">"Tenants"</th><th scope="col">"Sign-in"</th><th scope="col">"Catalog admin"</th></tr></thead>
                <tbody>
                    {a.users.iter().map(|u| {
                        let action = format!("/admin/users/{}", encode(&u.id));
                        let (act, label) = if u.is_admin { ("revoke-admin", "Revoke admin") } else { ("grant-admin", "Make admin") };
                        view! {
                            <tr>
                                <td>{u.username.clone()} " " <span class="muted">{u.display_name.clone()}</span></td>
                                <td>{u.memberships.join(", ")}</td>
                                <td>{u.login.clone()}</td>
                                <td>
                                    {if u.is_admin { "yes" } else { "no" }} " "
                                    <form method="post" action=action class="inline">
                                        <Csrf token=token.clone() />
                                        <button type="submit" name="action" value=act class="link">{label}</button>
                                    </form>
                                </td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table></div>
            <form method="post" action="/admin/memberships" class="inline">
                <Csrf token=token.clone() />
                <label for="m-user">"User"</label>
                <input id="m-user" name="username" required />
                <label for="m-tenant">"Tenant"</label>
                <input id="m-tenant" name="tenant" required />
                <label for="m-role">"Role"</label>
                <select id="m-role" name="role"><option value="member">"member"</option><option value="admin">"admin"</option></select>
                <button type="submit">"Add to tenant"</button>
            </form>
        </section>
        <section id="tenants">
            <h2>"Tenants"</h2>
            <div class="table-wrap"><table class="list">
                <thead><tr><th scope="col">"Tenant"</th><th scope="col">"Members"</th><th scope="col">"Artifacts"</th></tr></thead>
                <tbody>
                    {a.tenants.iter().map(|t| view! {
                        <tr><td>{t.id.clone()} " " <span class="muted">{t.display_name.clone()}</span></td><td>{t.members}</td><td>{t.artifacts}</td></tr>
                    }).collect_view()}
                </tbody>
            </table></div>
            <form method="post" action="/admin/tenants" class="inline">
                <Csrf token=token.clone() />
                <label for="t-id">"New tenant id"</label>
                <input id="t-id" name="id" required pattern="[a-z0-9][a-z0-9_\\-]{0,63}" />
                <label for="t-name">"Display name"</label>
                <input id="t-name" name="display_name" />
                <button type="submit">"Create tenant"</button>
            </form>
        </section>
        <section id="types">
            <h2>"Installed types"</h2>
            <div class="table-wrap"><table class="list">
                <thead><tr><th scope="col">"Type"</th><th scope="col">"Definition version"</th><th scope="col">"Fields"</th><th scope="col">"Blobs"</th><th scope="col">"Artifacts"</th></tr></thead>
                <tbody>
                    {a.types.iter().map(|t| {
                        let schema = format!("/api/v1/schemas/{}", encode(&t.name));
                        view! {
                            <tr>
                                <td><a href=schema rel="external">{t.display_name.clone()}</a> " " <code class="muted">{t.name.clone()}</code></td>
                                <td>{t.type_version.clone()}</td>
                                <td>{t.fields}</td>
                                <td>{t.blobs}</td>
                                <td>{t.artifacts}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table></div>
        </section>
    }
}
