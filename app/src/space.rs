//! Pages for signed-in users: sign-in and registration, the tenant space,
//! the artifact forms generated from type definitions, API tokens and the
//! catalog admin's pages. Every form is a plain HTML form posting to the
//! server (which answers with a redirect), carrying the session's CSRF
//! token; the browser build adds the upload progress bar and drag and drop.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_location, use_params_map, use_query_map};

use crate::models::{
    AdminOverview, BlobSlot, FormField, Gate, ListingRequestInfo, ManagedArtifact, SessionInfo,
    Space, SpaceArtifact, TokensPage, TypeForm,
};
use crate::pages::{NotFound, Unavailable, encode, human_size, safe_href, set_status};
use crate::server_fns::{get_admin, get_managed_artifact, get_space, get_tokens, get_type_form};

/// The session, fetched once per page by [`crate::App`].
pub type SessionResource = Resource<Result<SessionInfo, ServerFnError>>;

pub fn use_session() -> Option<SessionResource> {
    use_context::<SessionResource>()
}

/// The CSRF token of this page's session (empty if there is none).
async fn csrf() -> String {
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
fn closed<T>(gate: Gate<T>, open: impl FnOnce(T) -> AnyView) -> AnyView {
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

// ---------------------------------------------------------------------------
// Sign-in and registration

#[component]
pub fn LoginPage() -> impl IntoView {
    let query = use_query_map();
    let next = move || {
        query
            .read()
            .get("next")
            .filter(|n| n.starts_with('/') && !n.starts_with("//"))
            .unwrap_or_else(|| "/space".to_owned())
    };
    view! {
        <Title text="Sign in" />
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let Some(session) = use_session() else { return view! { <Unavailable /> }.into_any() };
                let Ok(info) = session.await else { return view! { <Unavailable /> }.into_any() };
                let next = next();
                let oidc_href = format!("/auth/oidc/login?next={}", encode(&next));
                view! {
                    <section class="auth">
                        <h1>"Sign in"</h1>
                        {info.viewer.as_ref().map(|v| view! {
                            <p class="hint">{format!("You are signed in as {}.", v.username)}</p>
                        })}
                        <form id="login-form" method="post" action="/login" class="stack">
                            <Csrf token=info.csrf.clone() />
                            <input type="hidden" name="next" value=next.clone() />
                            <label for="username">"Username"</label>
                            <input id="username" name="username" autocomplete="username" required />
                            <label for="password">"Password"</label>
                            <input id="password" name="password" type="password" autocomplete="current-password" required />
                            <button type="submit">"Sign in"</button>
                        </form>
                        {info.oidc.clone().map(|name| view! {
                            <p class="or">"or"</p>
                            <a id="oidc-login" class="button secondary" href=oidc_href rel="external">{format!("Sign in with {name}")}</a>
                        })}
                        {info.registration_open.then(|| view! {
                            <p>"No account yet? " <a href="/register">"Create one"</a></p>
                        })}
                    </section>
                }
                    .into_any()
            })}
        </Suspense>
    }
}

#[component]
pub fn RegisterPage() -> impl IntoView {
    view! {
        <Title text="Create an account" />
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let Some(session) = use_session() else { return view! { <Unavailable /> }.into_any() };
                let Ok(info) = session.await else { return view! { <Unavailable /> }.into_any() };
                if !info.registration_open {
                    set_status(403);
                    return view! {
                        <section class="notice">
                            <h1>"Registration is closed"</h1>
                            <p>"Ask the operator of this catalog for an account."</p>
                        </section>
                    }
                        .into_any();
                }
                view! {
                    <section class="auth">
                        <h1>"Create an account"</h1>
                        <p class="hint">"You get your own tenant, named after you, to publish in."</p>
                        <form id="register-form" method="post" action="/register" class="stack">
                            <Csrf token=info.csrf.clone() />
                            <label for="username">"Username"</label>
                            <input id="username" name="username" autocomplete="username" required
                                pattern="[a-z0-9][a-z0-9_\\-]{0,63}" aria-describedby="username-help" />
                            <small id="username-help">"Lowercase letters, digits, '-' and '_'."</small>
                            <label for="display_name">"Display name"</label>
                            <input id="display_name" name="display_name" autocomplete="name" />
                            <label for="email">"E-mail (optional)"</label>
                            <input id="email" name="email" type="email" autocomplete="email" />
                            <label for="password">"Password"</label>
                            <input id="password" name="password" type="password" autocomplete="new-password" minlength="10" required />
                            <label for="password2">"Password again"</label>
                            <input id="password2" name="password2" type="password" autocomplete="new-password" minlength="10" required />
                            <button type="submit">"Create account"</button>
                        </form>
                    </section>
                }
                    .into_any()
            })}
        </Suspense>
    }
}

// ---------------------------------------------------------------------------
// The tenant space

fn manage_href(a: &SpaceArtifact) -> String {
    format!("/space/a/{}/{}", encode(&a.type_name), encode(&a.id))
}

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

/// One input for a field of a type definition.
fn field_input(f: FormField) -> impl IntoView {
    let id = format!("f-{}", f.name);
    let help_id = format!("{id}-help");
    let mut notes = Vec::new();
    if f.required {
        notes.push("required".to_owned());
    }
    if f.required_on_activate {
        notes.push("needed to activate".to_owned());
    }
    match f.kind.as_str() {
        "list" => notes.push("one per line".to_owned()),
        "dict" => notes.push("key=value, one per line".to_owned()),
        "json" => notes.push("JSON".to_owned()),
        _ => {}
    }
    if !f.editable {
        notes.push("fixed once active".to_owned());
    }
    let label = f.label.clone();
    let help = if notes.is_empty() {
        f.help.clone()
    } else if f.help.is_empty() {
        format!("({})", notes.join(", "))
    } else {
        format!("{} ({})", f.help, notes.join(", "))
    };
    let disabled = !f.editable;
    let maxlength = f.max_length.map(|m| m.to_string());
    let control = match f.kind.as_str() {
        "text" | "list" | "dict" | "json" => view! {
            <textarea id=id.clone() name=f.name.clone() rows="4" disabled=disabled
                aria-describedby=help_id.clone()>{crate::pages::textarea_text(f.value.clone())}</textarea>
        }
        .into_any(),
        "enum" => {
            let current = f.value.clone();
            view! {
                <select id=id.clone() name=f.name.clone() disabled=disabled aria-describedby=help_id.clone()>
                    <option value="">"—"</option>
                    {f.allowed.iter().map(|a| {
                        let selected = *a == current;
                        view! { <option value=a.clone() selected=selected>{a.clone()}</option> }
                    }).collect_view()}
                </select>
            }
            .into_any()
        }
        "boolean" => {
            let current = f.value.clone();
            view! {
                <select id=id.clone() name=f.name.clone() disabled=disabled aria-describedby=help_id.clone()>
                    <option value="" selected=current.is_empty()>"—"</option>
                    <option value="true" selected=current == "true">"yes"</option>
                    <option value="false" selected=current == "false">"no"</option>
                </select>
            }
            .into_any()
        }
        kind => {
            let input_type = match kind {
                "integer" | "number" => "number",
                _ => "text",
            };
            let step = (kind == "number").then_some("any");
            view! {
                <input id=id.clone() name=f.name.clone() type=input_type step=step value=f.value.clone()
                    maxlength=maxlength disabled=disabled required=f.required aria-describedby=help_id.clone() />
            }
            .into_any()
        }
    };
    view! {
        <div class="field">
            <label for=id>{label}</label>
            {control}
            <small id=help_id>{help}</small>
        </div>
    }
}

#[component]
pub fn NewArtifactPage() -> impl IntoView {
    let params = use_params_map();
    let form = Resource::new(
        move || params.read().get("type_name").unwrap_or_default(),
        get_type_form,
    );
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let token = csrf().await;
                match form.await {
                    Ok(gate) => closed(gate, move |f: TypeForm| {
                        let action = format!("/space/new/{}", encode(&f.type_name));
                        let title = format!("New {}", f.display_name);
                        view! {
                            <Title text=title.clone() />
                            <nav class="crumbs" aria-label="Breadcrumb"><a href="/space">"Your space"</a> " / " <span aria-current="page">{title.clone()}</span></nav>
                            <h1>{title}</h1>
                            <p class="desc">{f.description.clone()}</p>
                            <form id="artifact-form" method="post" action=action class="stack wide">
                                <Csrf token=token.clone() />
                                <div class="field">
                                    <label for="f-name">"Name"</label>
                                    <input id="f-name" name="name" required maxlength="255" aria-describedby="f-name-help" />
                                    <small id="f-name-help">"(required)"</small>
                                </div>
                                <div class="field">
                                    <label for="f-version">"Version"</label>
                                    <input id="f-version" name="version" placeholder="0.0.0" aria-describedby="f-version-help" />
                                    <small id="f-version-help">"Semantic version, e.g. 1.0.0 (default 0.0.0)"</small>
                                </div>
                                {f.fields.into_iter().map(field_input).collect_view()}
                                <p class="hint">{format!("Files ({}) are uploaded after the draft is created.", f.blobs.join(", "))}</p>
                                <button type="submit">"Create draft"</button>
                            </form>
                        }
                            .into_any()
                    }),
                    Err(_) => view! { <Unavailable /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
pub fn ManagePage() -> impl IntoView {
    let params = use_params_map();
    let managed = Resource::new(
        move || {
            (
                params.read().get("type_name").unwrap_or_default(),
                params.read().get("id").unwrap_or_default(),
            )
        },
        |(t, id)| get_managed_artifact(t, id),
    );
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let token = csrf().await;
                match managed.await {
                    Ok(gate) => closed(gate, move |m: ManagedArtifact| view! { <Manage m token /> }.into_any()),
                    Err(_) => view! { <Unavailable /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

fn action_button(
    action_url: String,
    token: String,
    action: &'static str,
    label: &'static str,
    class: &'static str,
) -> impl IntoView {
    view! {
        <form method="post" action=action_url class="inline">
            <Csrf token />
            <input type="hidden" name="action" value=action />
            <button type="submit" class=class>{label}</button>
        </form>
    }
}

#[component]
fn Manage(m: ManagedArtifact, token: String) -> impl IntoView {
    let action = format!("/space/a/{}/{}", encode(&m.type_name), encode(&m.id));
    let title = format!("{} {}", m.name, m.version);
    let status = m.status.clone();
    let drafted = status == "drafted";
    let blob_action = |slot: &BlobSlot| {
        format!(
            "/space/a/{}/{}/blob/{}",
            encode(&m.type_name),
            encode(&m.id),
            encode(&slot.name)
        )
    };
    let blob_views = m
        .blobs
        .iter()
        .map(|slot| {
            let upload = drafted && m.can_edit;
            let form_action = blob_action(slot);
            let slot = slot.clone();
            let token = token.clone();
            view! {
                <div class="blob-slot">
                    <h3>{slot.label.clone()} " " <code class="muted">{slot.name.clone()}</code></h3>
                    {if slot.current.is_empty() {
                        view! { <p class="hint">"No file yet."</p> }.into_any()
                    } else {
                        view! {
                            <ul class="files">
                                {slot.current.iter().map(|b| view! {
                                    <li>
                                        {safe_href(&b.href).map(|h| view! { <a href=h rel="external">{b.label.clone()}</a> })}
                                        " "
                                        <span class="muted">{b.size.map(human_size).unwrap_or_default()}</span>
                                        {b.sha256.clone().map(|s| view! { " " <code class="sum">{s}</code> })}
                                    </li>
                                }).collect_view()}
                            </ul>
                        }.into_any()
                    }}
                    {upload.then(|| view! { <BlobUpload blob=slot.clone() action=form_action token=token.clone() /> })}
                </div>
            }
        })
        .collect_view();
    view! {
        <Title text=title.clone() />
        <nav class="crumbs" aria-label="Breadcrumb"><a href="/space">"Your space"</a> " / " <span aria-current="page">{title.clone()}</span></nav>
        <h1>{m.name.clone()} " " <span class="version">{m.version.clone()}</span></h1>
        <p>
            <span class=format!("badge status-{}", m.status) id="artifact-status">{m.status.clone()}</span>
            " " <span class="badge" id="artifact-visibility">{m.visibility.clone()}</span>
            " " <span class="muted">{format!("{} · owned by {}", m.type_display_name, m.owner)}</span>
        </p>
        <p><a href=m.detail_href.clone()>"View as the catalog shows it"</a></p>
        <section class="lifecycle">
            <h2>"Lifecycle"</h2>
            <div class="actions">
                {(drafted && m.can_publish).then(|| action_button(action.clone(), token.clone(), "activate", "Activate", ""))}
                {(status == "active" && m.can_deactivate).then(|| action_button(action.clone(), token.clone(), "deactivate", "Deactivate", "secondary"))}
                {(status == "deactivated" && m.can_deactivate).then(|| action_button(action.clone(), token.clone(), "reactivate", "Reactivate", ""))}
                {m.can_delete.then(|| action_button(action.clone(), token.clone(), "delete", "Delete", "danger"))}
            </div>
            {drafted.then(|| view! { <p class="hint">"Drafts are visible to your tenant only. Activate when its required fields and files are in place; after that its files and fixed fields cannot change."</p> })}
        </section>
        <section>
            <h2>"Files"</h2>
            {blob_views}
        </section>
        <section>
            <h2>"Fields"</h2>
            <form id="edit-form" method="post" action=action.clone() class="stack wide">
                <Csrf token=token.clone() />
                <input type="hidden" name="action" value="save" />
                {m.fields.clone().into_iter().map(field_input).collect_view()}
                {m.can_edit.then(|| view! { <button type="submit">"Save"</button> })}
            </form>
        </section>
        <section>
            <h2>"Sharing"</h2>
            {if m.members.is_empty() {
                view! { <p class="hint">"Not shared with other tenants."</p> }.into_any()
            } else {
                view! {
                    <ul class="members">
                        {m.members.iter().map(|t| view! {
                            <li>
                                {t.clone()}
                                {m.can_share.then(|| view! {
                                    <form method="post" action=action.clone() class="inline">
                                        <Csrf token=token.clone() />
                                        <input type="hidden" name="action" value="unshare" />
                                        <input type="hidden" name="tenant" value=t.clone() />
                                        <button type="submit" class="link">"remove"</button>
                                    </form>
                                })}
                            </li>
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
            {m.can_share.then(|| view! {
                <form method="post" action=action.clone() class="inline" id="share-form">
                    <Csrf token=token.clone() />
                    <input type="hidden" name="action" value="share" />
                    <label for="share-tenant">"Share with tenant"</label>
                    <input id="share-tenant" name="tenant" required />
                    <button type="submit">"Share"</button>
                </form>
            })}
        </section>
        <section>
            <h2>"Public listing"</h2>
            {(m.visibility == "public").then(|| view! { <p>"This artifact is listed publicly."</p> })}
            {m.requests.iter().cloned().map(request_line).collect_view()}
            {m.can_request_listing.then(|| view! {
                <form method="post" action=action.clone() class="stack" id="listing-form">
                    <Csrf token=token.clone() />
                    <input type="hidden" name="action" value="request-listing" />
                    <label for="listing-message">"A word for the catalog admins (optional)"</label>
                    <textarea id="listing-message" name="message" rows="2"></textarea>
                    <button type="submit">"Request public listing"</button>
                </form>
            })}
            {(m.visibility != "public" && m.status != "active").then(|| view! {
                <p class="hint">"Activate the artifact to request a public listing."</p>
            })}
        </section>
    }
}

fn request_line(r: ListingRequestInfo) -> impl IntoView {
    view! {
        <p class="request">
            <span class=format!("badge listing-{}", r.status)>{r.status.clone()}</span>
            " " {format!("requested {}", r.created_at)}
            {r.requested_by.clone().map(|u| format!(" by {u}"))}
            {r.decision_note.clone().map(|n| view! { " — " <em>{n}</em> })}
        </p>
    }
}

/// The upload form of one blob field: a multipart form that works without
/// JavaScript; in the browser build, the file goes to the API with a
/// progress bar, and a file dropped on the form is uploaded at once.
#[component]
fn BlobUpload(blob: BlobSlot, action: String, token: String) -> impl IntoView {
    let slot = blob;
    let input_id = format!("file-{}", slot.name);
    let key_id = format!("key-{}", slot.name);
    let limits = {
        let mut parts = Vec::new();
        if let Some(max) = slot.max_size {
            parts.push(format!("at most {}", human_size(max)));
        }
        if !slot.content_types.is_empty() {
            parts.push(slot.content_types.join(", "));
        }
        parts.join("; ")
    };
    let accept = (!slot.content_types.is_empty()).then(|| slot.content_types.join(","));
    #[cfg(feature = "hydrate")]
    let state = crate::upload::UploadState::new();
    #[cfg(feature = "hydrate")]
    let (progress, message, busy) = (state.progress, state.message, state.busy);
    #[cfg(not(feature = "hydrate"))]
    let (progress, message, busy) = (
        RwSignal::new(None::<f64>),
        RwSignal::new(String::new()),
        RwSignal::new(false),
    );
    let dragging = RwSignal::new(false);
    let form_ref = NodeRef::<leptos::html::Form>::new();
    #[cfg(feature = "hydrate")]
    let start = {
        let slot = slot.clone();
        let token = token.clone();
        move |file: web_sys::File, key: String| {
            if slot.dict && key.trim().is_empty() {
                state.message.set("Give the file a key first.".to_owned());
                return;
            }
            let url = if slot.dict {
                format!("{}/{}", slot.upload_url, encode(key.trim()))
            } else {
                slot.upload_url.clone()
            };
            crate::upload::send(file, url, token.clone(), state);
        }
    };
    let on_submit = {
        #[cfg(feature = "hydrate")]
        let start = start.clone();
        move |ev: leptos::ev::SubmitEvent| {
            #[cfg(feature = "hydrate")]
            {
                if let Some(form) = form_ref.get() {
                    let (file, key) = crate::upload::chosen(&form);
                    if let Some(file) = file {
                        ev.prevent_default();
                        start(file, key);
                    }
                }
            }
            #[cfg(not(feature = "hydrate"))]
            let _ = ev;
        }
    };
    let on_drop = move |ev: leptos::ev::DragEvent| {
        ev.prevent_default();
        dragging.set(false);
        #[cfg(feature = "hydrate")]
        {
            if let Some(form) = form_ref.get()
                && let Some(file) = crate::upload::drop_into(&form, &ev)
            {
                let (_, key) = crate::upload::chosen(&form);
                start(file, key);
            }
        }
    };
    view! {
        <form class="upload" class:dragging=move || dragging.get() method="post" enctype="multipart/form-data"
            action=action node_ref=form_ref on:submit=on_submit
            on:dragover=move |ev: leptos::ev::DragEvent| { ev.prevent_default(); dragging.set(true); }
            on:dragleave=move |_| dragging.set(false)
            on:drop=on_drop>
            <Csrf token=token.clone() />
            {slot.dict.then(|| view! {
                <label for=key_id.clone()>"Key (file name)"</label>
                <input id=key_id.clone() name="key" required />
            })}
            <label for=input_id.clone()>"Choose a file or drop it here"</label>
            <input id=input_id.clone() name="file" type="file" required accept=accept />
            {(!limits.is_empty()).then(|| view! { <small>{limits.clone()}</small> })}
            <button type="submit" disabled=move || busy.get()>"Upload"</button>
            <progress max="100" value=move || progress.get().unwrap_or(0.0)
                hidden=move || progress.get().is_none() aria-label="Upload progress"></progress>
            <span class="upload-status" role="status" aria-live="polite">{move || message.get()}</span>
        </form>
    }
}

// ---------------------------------------------------------------------------
// Tokens

#[component]
pub fn TokensPageView() -> impl IntoView {
    let tokens = Resource::new(|| (), |_| get_tokens());
    view! {
        <Title text="API tokens" />
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let token = csrf().await;
                match tokens.await {
                    Ok(gate) => closed(gate, move |t: TokensPage| view! { <Tokens t token /> }.into_any()),
                    Err(_) => view! { <Unavailable /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Tokens(t: TokensPage, token: String) -> impl IntoView {
    view! {
        <nav class="crumbs" aria-label="Breadcrumb"><a href="/space">"Your space"</a> " / " <span aria-current="page">"API tokens"</span></nav>
        <h1>"API tokens"</h1>
        <p class="hint">"Send a token as " <code>"X-Auth-Token: <token>"</code> " (what python-glareclient sends) or " <code>"Authorization: Bearer <token>"</code> "."</p>
        {t.new_secret.clone().map(|s| view! {
            <div class="flash ok" role="status">
                <p>"Your new token. Copy it now: it is not shown again."</p>
                <pre><code id="new-token">{s}</code></pre>
            </div>
        })}
        {if t.tokens.is_empty() {
            view! { <p class="hint">"No tokens."</p> }.into_any()
        } else {
            view! {
                <div class="table-wrap"><table class="list" id="tokens">
                    <thead><tr><th scope="col">"Name"</th><th scope="col">"Tenant"</th><th scope="col">"Scopes"</th><th scope="col">"Created"</th><th scope="col">"Last used"</th><th scope="col">"Expires"</th><th scope="col"><span class="sr-only">"Revoke"</span></th></tr></thead>
                    <tbody>
                        {t.tokens.iter().map(|k| {
                            let revoke = format!("/space/tokens/{}/revoke", encode(&k.id));
                            view! {
                                <tr>
                                    <td>{k.name.clone()}</td>
                                    <td>{k.tenant.clone()}</td>
                                    <td>{k.scopes.clone()}</td>
                                    <td>{k.created_at.clone()}</td>
                                    <td>{k.last_used_at.clone().unwrap_or_else(|| "never".into())}</td>
                                    <td>{k.expires_at.clone().unwrap_or_else(|| "never".into())}</td>
                                    <td>
                                        <form method="post" action=revoke class="inline">
                                            <Csrf token=token.clone() />
                                            <button type="submit" class="danger">"Revoke"</button>
                                        </form>
                                    </td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table></div>
            }.into_any()
        }}
        <h2>"New token"</h2>
        <form method="post" action="/space/tokens" class="stack" id="token-form">
            <Csrf token=token.clone() />
            <label for="token-name">"Name"</label>
            <input id="token-name" name="name" required maxlength="100" placeholder="ci" />
            <label for="token-tenant">"Tenant"</label>
            <select id="token-tenant" name="tenant">
                {t.tenants.iter().map(|x| view! { <option value=x.clone()>{x.clone()}</option> }).collect_view()}
            </select>
            <fieldset>
                <legend>"Scopes (read is always included)"</legend>
                <label><input type="checkbox" name="scope" value="write" checked /> " write: create, edit, upload, share, delete"</label>
                <label><input type="checkbox" name="scope" value="publish" /> " publish: activate and deactivate"</label>
            </fieldset>
            <label for="token-days">"Expires after (days, empty for never)"</label>
            <input id="token-days" name="expires_in_days" type="number" min="1" max="3650" value="90" />
            <button type="submit">"Create token"</button>
        </form>
    }
}

// ---------------------------------------------------------------------------
// Admin

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
