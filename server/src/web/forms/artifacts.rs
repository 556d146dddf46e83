//! The artifact forms of the tenant space: create a draft from the form
//! generated from its type, then save, change its lifecycle, share it or
//! ask for a public listing.

use axum::extract::{Path, State};
use axum::response::Response;
use serde_json::{Map, Value, json};
use tower_sessions::Session;

use super::{Pairs, enc, finish, get, manage_href, signed_in};
use crate::caller::Caller;
use crate::error::{AppError, AppResult, bad_request};
use crate::services::view::ArtifactView;
use crate::services::{artifacts, listing, members};
use crate::state::AppState;
use crate::types::definition::{FieldDef, FieldKind};
use crate::types::registry::ArtifactType;
use crate::web::WebForm;

/// A form value as the field's JSON value; `None` for an empty input.
fn form_value(name: &str, def: &FieldDef, raw: &str) -> AppResult<Option<Value>> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    let scalar = |kind: FieldKind, text: &str| -> AppResult<Value> {
        Ok(match kind {
            FieldKind::Integer => {
                json!(text.parse::<i64>().map_err(|_| bad_request(format!(
                    "'{name}' takes whole numbers, not '{text}'"
                )))?)
            }
            FieldKind::Number => json!(
                text.parse::<f64>()
                    .map_err(|_| bad_request(format!("'{name}' takes numbers, not '{text}'")))?
            ),
            FieldKind::Boolean => match text {
                "true" | "on" | "yes" => json!(true),
                "false" | "off" | "no" => json!(false),
                _ => return Err(bad_request(format!("'{name}' is true or false"))),
            },
            _ => json!(text),
        })
    };
    let lines = || {
        raw.lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect::<Vec<_>>()
    };
    Ok(Some(match def.kind {
        FieldKind::List => Value::Array(
            lines()
                .into_iter()
                .map(|l| scalar(def.item_kind(), l))
                .collect::<AppResult<_>>()?,
        ),
        FieldKind::Dict => {
            let mut m = Map::new();
            for l in lines() {
                let (k, v) = l.split_once('=').ok_or_else(|| {
                    bad_request(format!("'{name}' takes lines of key=value, not '{l}'"))
                })?;
                m.insert(k.trim().to_owned(), scalar(def.item_kind(), v.trim())?);
            }
            Value::Object(m)
        }
        k => scalar(k, raw)?,
    }))
}

/// Link fields are edited as JSON (see docs/TYPES.md for their shapes).
fn link_value(name: &str, raw: &str) -> AppResult<Option<Value>> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    serde_json::from_str(raw)
        .map(Some)
        .map_err(|e| bad_request(format!("'{name}' must be JSON: {e}")))
}

/// The value an input gives for a field or link of the type, by name.
fn input_value(ty: &ArtifactType, name: &str, raw: &str) -> AppResult<Option<Value>> {
    if name == "description" {
        let raw = raw.trim();
        return Ok((!raw.is_empty()).then(|| json!(raw)));
    }
    if let Some(def) = ty.fields.get(name) {
        return form_value(name, def, raw);
    }
    if ty.links.contains_key(name) {
        return link_value(name, raw);
    }
    Err(bad_request(format!("unknown field '{name}'")))
}

fn is_form_control(k: &str) -> bool {
    matches!(
        k,
        "csrf" | "action" | "name" | "version" | "tenant" | "message" | "next"
    )
}

pub async fn create(
    State(state): State<AppState>,
    session: Session,
    Path(type_name): Path<String>,
    WebForm(form): WebForm<Pairs>,
) -> Response {
    let back = format!("/space/new/{}", enc(&type_name));
    let su = match signed_in(&state, &session, &form, &back).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let caller = su.caller();
    let result = async {
        let ty = artifacts::resolve_type(&state.catalog, &type_name)?;
        let mut body = Map::new();
        body.insert("name".into(), json!(get(&form, "name").trim()));
        let version = get(&form, "version").trim();
        if !version.is_empty() {
            body.insert("version".into(), json!(version));
        }
        for (k, raw) in form.iter().filter(|(k, _)| !is_form_control(k)) {
            if let Some(v) = input_value(&ty, k, raw)? {
                body.insert(k.clone(), v);
            }
        }
        let created =
            artifacts::create(&state.catalog, &caller, &type_name, Value::Object(body)).await?;
        let id = created.id;
        Ok((
            manage_href(&type_name, &id),
            "Created as a draft. Upload its files, then activate it.".to_owned(),
        ))
    }
    .await;
    finish(&session, result, &back).await
}

fn patch(ops: Vec<Value>) -> AppResult<json_patch::Patch> {
    serde_json::from_value(Value::Array(ops)).map_err(|e| AppError::Internal(e.into()))
}

async fn set_field(
    state: &AppState,
    caller: &Caller,
    type_name: &str,
    id: &str,
    path: &str,
    value: &str,
) -> AppResult<ArtifactView> {
    let p = patch(vec![json!({"op": "replace", "path": path, "value": value})])?;
    artifacts::update(&state.catalog, caller, type_name, id, &p).await
}

/// The edit: one JSON patch with every field whose input differs from the
/// stored value (unchanged immutable fields are left alone).
async fn save(
    state: &AppState,
    caller: &Caller,
    type_name: &str,
    id: &str,
    form: &Pairs,
) -> AppResult<()> {
    let ty = artifacts::resolve_type(&state.catalog, type_name)?;
    let current = artifacts::get(&state.catalog, caller, type_name, id)
        .await?
        .to_json();
    let mut ops = Vec::new();
    for (k, raw) in form.iter().filter(|(k, _)| !is_form_control(k)) {
        let new = input_value(&ty, k, raw)?;
        let old = current.get(k.as_str()).filter(|v| !v.is_null());
        let empty_old = old.is_none_or(|v| {
            v.as_array().is_some_and(Vec::is_empty)
                || v.as_object().is_some_and(Map::is_empty)
                || v.as_str().is_some_and(str::is_empty)
        });
        match new {
            Some(v) if old != Some(&v) => {
                ops.push(json!({"op": "add", "path": format!("/{k}"), "value": v}));
            }
            None if !empty_old => {
                ops.push(json!({"op": "remove", "path": format!("/{k}")}));
            }
            _ => {}
        }
    }
    if ops.is_empty() {
        return Ok(());
    }
    artifacts::update(&state.catalog, caller, type_name, id, &patch(ops)?).await?;
    Ok(())
}

pub async fn manage(
    State(state): State<AppState>,
    session: Session,
    Path((type_name, id)): Path<(String, String)>,
    WebForm(form): WebForm<Pairs>,
) -> Response {
    let back = manage_href(&type_name, &id);
    let su = match signed_in(&state, &session, &form, &back).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let caller = su.caller();
    let cat = &state.catalog;
    let result: AppResult<(String, String)> = async {
        let done = |msg: &str| Ok((back.clone(), msg.to_owned()));
        match get(&form, "action") {
            "save" => {
                save(&state, &caller, &type_name, &id, &form).await?;
                done("Saved.")
            }
            "activate" | "reactivate" => {
                set_field(&state, &caller, &type_name, &id, "/status", "active").await?;
                done("Active.")
            }
            "deactivate" => {
                set_field(&state, &caller, &type_name, &id, "/status", "deactivated").await?;
                done("Deactivated: hidden from everyone but its tenant and the catalog admins.")
            }
            "delete" => {
                artifacts::delete(cat, &caller, &type_name, &id).await?;
                Ok(("/space".to_owned(), "Deleted.".to_owned()))
            }
            "share" => {
                // One rule for the form and the REST API: the service
                // checks everything, then shares (and makes a private
                // artifact `shared`) in one transaction.
                let tenant = get(&form, "tenant").trim();
                members::add(cat, &caller, &type_name, &id, tenant).await?;
                done(&format!(
                    "Offered to {tenant}: its links use the artifact once its admins accept."
                ))
            }
            "unshare" => {
                let tenant = get(&form, "tenant");
                members::remove(cat, &caller, &type_name, &id, tenant).await?;
                done(&format!("No longer shared with {tenant}."))
            }
            "request-listing" => {
                listing::request(cat, &caller, &type_name, &id, get(&form, "message")).await?;
                done("Public listing requested: a catalog admin will review it.")
            }
            other => Err(bad_request(format!("unknown action '{other}'"))),
        }
    }
    .await;
    finish(&session, result, &back).await
}
