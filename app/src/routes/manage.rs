//! The artifact forms generated from type definitions: a new draft, and the
//! page managing an artifact (lifecycle, files with the upload form, fields,
//! sharing, public listing).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::models::{BlobSlot, FormField, ListingRequestInfo, ManagedArtifact, TypeForm};
use crate::server_fns::{get_managed_artifact, get_type_form};
use crate::ui::{Csrf, Unavailable, closed, csrf, human_size};
use crate::urls::{encode, safe_href};

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
                aria-describedby=help_id.clone()>{crate::ui::textarea_text(f.value.clone())}</textarea>
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
