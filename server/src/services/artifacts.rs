//! Creating, reading, changing (JSON patch) and deleting artifacts.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, SecondsFormat, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DbErr, EntityTrait, IntoActiveModel, QueryFilter, Set, SqlErr,
    TransactionTrait,
};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::access::{self, ACTIVE, Action, DEACTIVATED, DRAFTED, PRIVATE, PUBLIC, SHARED, Subject};
use super::view::ArtifactView;
use super::{Catalog, properties};
use crate::caller::{Caller, Scope};
use crate::entities::{artifact, artifact_blob, artifact_member};
use crate::error::{AppError, AppResult, bad_request, conflict, forbidden, not_found};
use crate::types::definition::BASE_FIELDS;
use crate::types::registry::{ALL, ArtifactType};
use crate::types::validate::validate_value;
use crate::types::{LinkDef, Multiplicity};
use crate::version::{is_prerelease, parse_version, sort_key};

pub const MAX_DESCRIPTION: usize = 4096;
pub const MAX_NAME: usize = 255;

/// Looks a type up; `all` is not a type you can write to.
pub fn resolve_type(catalog: &Catalog, type_name: &str) -> AppResult<Arc<ArtifactType>> {
    catalog
        .types
        .get(type_name)
        .ok_or_else(|| not_found(format!("artifact type '{type_name}' does not exist")))
}

/// A type name that can be listed: a type, or `all`.
pub fn check_list_type(catalog: &Catalog, type_name: &str) -> AppResult<()> {
    if type_name == ALL {
        Ok(())
    } else {
        resolve_type(catalog, type_name).map(|_| ())
    }
}

/// `all` is a read-only view: changes go through the artifact's own type.
pub fn refuse_all(type_name: &str) -> AppResult<()> {
    if type_name == ALL {
        return Err(forbidden(
            "'all' is a read-only view; change artifacts through their own type",
        ));
    }
    Ok(())
}

fn missing(type_name: &str, id: &str) -> AppError {
    not_found(format!(
        "artifact {id} of type '{type_name}' does not exist"
    ))
}

/// Loads an artifact the caller may read, or 404.
pub async fn find_visible(
    catalog: &Catalog,
    caller: &Caller,
    type_name: &str,
    id: &str,
) -> AppResult<(Arc<ArtifactType>, artifact::Model)> {
    check_list_type(catalog, type_name)?;
    if Uuid::parse_str(id).is_err() {
        return Err(missing(type_name, id));
    }
    let model = artifact::Entity::find_by_id(id.to_owned())
        .one(&catalog.db)
        .await?
        .filter(|m| type_name == ALL || m.type_name == type_name)
        .ok_or_else(|| missing(type_name, id))?;
    let shared = model.visibility == SHARED
        && match caller.tenant() {
            Some(t) => artifact_member::Entity::find_by_id((model.id.clone(), t.to_owned()))
                .one(&catalog.db)
                .await?
                .is_some_and(|r| r.status != super::members::DECLINED),
            None => false,
        };
    if !access::allowed(caller, Action::Read, Subject::from(&model).offered(shared)) {
        return Err(missing(type_name, id));
    }
    let ty = resolve_type(catalog, &model.type_name)?;
    Ok((ty, model))
}

pub async fn blobs_of(
    catalog: &Catalog,
    ids: &[String],
) -> AppResult<HashMap<String, Vec<artifact_blob::Model>>> {
    let mut out: HashMap<String, Vec<artifact_blob::Model>> = HashMap::new();
    for chunk in ids.chunks(500) {
        let rows = artifact_blob::Entity::find()
            .filter(artifact_blob::Column::ArtifactId.is_in(chunk.iter().cloned()))
            .all(&catalog.db)
            .await?;
        for row in rows {
            out.entry(row.artifact_id.clone()).or_default().push(row);
        }
    }
    Ok(out)
}

pub fn timestamp(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

pub fn blob_url(type_name: &str, id: &str, field: &str, key: &str) -> String {
    if key.is_empty() {
        format!("/artifacts/{type_name}/{id}/{field}")
    } else {
        format!("/artifacts/{type_name}/{id}/{field}/{key}")
    }
}

pub fn blob_value(type_name: &str, b: &artifact_blob::Model) -> Value {
    let url = if b.external {
        b.url.clone().unwrap_or_default()
    } else {
        blob_url(type_name, &b.artifact_id, &b.field, &b.key)
    };
    json!({
        "url": url,
        "size": b.size,
        "md5": b.md5,
        "sha1": b.sha1,
        "sha256": b.sha256,
        "external": b.external,
        "status": b.status,
        "content_type": b.content_type,
    })
}

pub fn parse_properties(m: &artifact::Model) -> Map<String, Value> {
    serde_json::from_str(&m.properties).unwrap_or_default()
}

/// The view of an artifact: base fields, then every field, blob and link of
/// its type (null when unset).
pub fn view(
    ty: &ArtifactType,
    m: &artifact::Model,
    blobs: &[artifact_blob::Model],
) -> ArtifactView {
    let mut out = ArtifactView::base(m, &ty.def.display_name);
    let props = parse_properties(m);
    // Unset lists and dicts read as empty, as Glare shows them (clients
    // append to `tags` without checking for null).
    for (name, def) in &ty.fields {
        let unset = match def.kind {
            crate::types::FieldKind::List => json!([]),
            crate::types::FieldKind::Dict => json!({}),
            _ => Value::Null,
        };
        out.fields
            .insert(name.clone(), props.get(name).cloned().unwrap_or(unset));
    }
    for name in ty.links.keys() {
        out.fields.insert(
            name.clone(),
            props.get(name).cloned().unwrap_or(Value::Null),
        );
    }
    for (name, def) in &ty.blobs {
        let mine = blobs.iter().filter(|b| b.field == *name);
        let value = if def.dict {
            Value::Object(
                mine.map(|b| (b.key.clone(), blob_value(&m.type_name, b)))
                    .collect(),
            )
        } else {
            mine.map(|b| blob_value(&m.type_name, b))
                .next()
                .unwrap_or(Value::Null)
        };
        out.fields.insert(name.clone(), value);
    }
    out
}

pub async fn get(
    catalog: &Catalog,
    caller: &Caller,
    type_name: &str,
    id: &str,
) -> AppResult<ArtifactView> {
    let (ty, m) = find_visible(catalog, caller, type_name, id).await?;
    let blobs = blobs_of(catalog, std::slice::from_ref(&m.id)).await?;
    Ok(view(
        &ty,
        &m,
        blobs.get(&m.id).map(Vec::as_slice).unwrap_or_default(),
    ))
}

pub fn check_name(value: &Value) -> AppResult<String> {
    let name = value
        .as_str()
        .ok_or_else(|| bad_request("'name' must be a string"))?;
    let trimmed = name.trim();
    if trimmed.is_empty() || name.chars().count() > MAX_NAME || name.chars().any(char::is_control) {
        return Err(bad_request(format!(
            "'name' must be 1 to {MAX_NAME} printable characters"
        )));
    }
    Ok(trimmed.to_owned())
}

pub fn check_version(value: &Value) -> AppResult<semver::Version> {
    let text = match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Null => "0.0.0".to_owned(),
        _ => return Err(bad_request("'version' must be a string")),
    };
    parse_version(&text).map_err(|e| bad_request(e.to_string()))
}

pub fn check_description(value: &Value) -> AppResult<Option<String>> {
    match value {
        Value::Null => Ok(None),
        Value::String(s) if s.contains('\0') => {
            Err(bad_request("'description' contains a NUL character"))
        }
        Value::String(s) if s.chars().count() <= MAX_DESCRIPTION => Ok(Some(s.clone())),
        Value::String(_) => Err(bad_request(format!(
            "'description' is longer than {MAX_DESCRIPTION} characters"
        ))),
        _ => Err(bad_request("'description' must be a string")),
    }
}

/// Most tags on one artifact.
pub const MAX_TAGS: usize = 64;
/// Longest tag, in characters.
pub const MAX_TAG_LEN: usize = 128;
/// Most operations in one JSON patch.
pub const MAX_PATCH_OPS: usize = 512;

pub fn check_tags(value: &Value) -> AppResult<()> {
    if let Some(tags) = value.as_array() {
        if tags.len() > MAX_TAGS {
            return Err(bad_request(format!(
                "an artifact has at most {MAX_TAGS} tags"
            )));
        }
        for tag in tags {
            let t = tag.as_str().unwrap_or_default();
            if t.trim().is_empty()
                || t.contains(',')
                || t.contains('/')
                || t.chars().any(char::is_control)
                || t.chars().count() > MAX_TAG_LEN
            {
                return Err(bad_request(format!(
                    "tags are 1 to {MAX_TAG_LEN} printable characters without ',' or '/'"
                )));
            }
        }
    }
    Ok(())
}

/// The link items of a value, checked for shape (multiplicity, how many,
/// each a string or a `{name, version, type}` object with a valid
/// requirement). Needs no database: bundle imports run it too.
pub fn link_items<'a>(field: &str, def: &LinkDef, value: &'a Value) -> AppResult<Vec<&'a Value>> {
    let items: Vec<&Value> = match (def.multiplicity, value) {
        (_, Value::Null) => return Ok(vec![]),
        (Multiplicity::Single, v) => vec![v],
        (Multiplicity::List, Value::Array(items)) => items.iter().collect(),
        (Multiplicity::Dict, Value::Object(entries)) => entries.values().collect(),
        (Multiplicity::List, _) => {
            return Err(bad_request(format!("link '{field}' must be a list")));
        }
        (Multiplicity::Dict, _) => {
            return Err(bad_request(format!("link '{field}' must be an object")));
        }
    };
    if items.len() > super::deps::MAX_LINKS {
        return Err(bad_request(format!(
            "link '{field}' holds at most {} links",
            super::deps::MAX_LINKS
        )));
    }
    if crate::types::validate::find_nul(value).is_some() {
        return Err(bad_request(format!(
            "link '{field}' contains a NUL character"
        )));
    }
    for item in &items {
        match item {
            Value::String(target) => {
                let url = target.starts_with("http://") || target.starts_with("https://");
                if url && target.len() > 2048 {
                    return Err(bad_request(format!(
                        "link '{field}' is longer than 2048 characters"
                    )));
                }
                if !url && super::deps::parse_exact(target).is_none() {
                    return Err(bad_request(format!(
                        "link '{field}' must be /artifacts/<type>/<id>, an http(s) URL or {{name, version}}, not '{target}'"
                    )));
                }
            }
            Value::Object(o) => super::deps::check_named_link(field, def, o)?,
            _ => {
                return Err(bad_request(format!(
                    "link '{field}' holds strings or {{name, version}} objects"
                )));
            }
        }
    }
    Ok(items)
}

/// Checks a link value. One link is `/artifacts/<type>/<id>` of an artifact
/// the caller can read (and of an allowed type), an http(s) URL, or
/// `{"name": ..., "version": <requirement>, "type": ...}` resolved later.
async fn check_link(
    catalog: &Catalog,
    caller: &Caller,
    field: &str,
    def: &LinkDef,
    value: &Value,
) -> AppResult<Value> {
    for item in link_items(field, def, value)? {
        if let Value::String(target) = item {
            check_exact_link(catalog, caller, field, def, target).await?;
        }
    }
    Ok(value.clone())
}

async fn check_exact_link(
    catalog: &Catalog,
    caller: &Caller,
    field: &str,
    def: &LinkDef,
    target: &str,
) -> AppResult<()> {
    if target.starts_with("http://") || target.starts_with("https://") {
        if target.len() > 2048 {
            return Err(bad_request(format!(
                "link '{field}' is longer than 2048 characters"
            )));
        }
        return Ok(());
    }
    let (ty, id) = super::deps::parse_exact(target).ok_or_else(|| {
        bad_request(format!(
            "link '{field}' must be /artifacts/<type>/<id>, an http(s) URL or {{name, version}}, not '{target}'"
        ))
    })?;
    if !def.target_types.is_empty() && !def.target_types.iter().any(|t| t == ty) {
        return Err(bad_request(format!(
            "link '{field}' may point only at {}",
            def.target_types.join(", ")
        )));
    }
    find_visible(catalog, caller, ty, id).await.map_err(|_| {
        bad_request(format!(
            "link '{field}' points at {target}, which does not exist"
        ))
    })?;
    Ok(())
}

fn unique_violation(e: DbErr, message: String) -> AppError {
    match e.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => conflict(message),
        _ => e.into(),
    }
}

/// `POST /artifacts/{type}`: a new drafted, private artifact of the
/// caller's tenant.
/// `POST /artifacts/{type}`: a new drafted, private artifact. Run again
/// when the database aborted it for a conflict with other writers.
pub async fn create(
    catalog: &Catalog,
    caller: &Caller,
    type_name: &str,
    body: Value,
) -> AppResult<ArtifactView> {
    crate::db::retry(|| create_once(catalog, caller, type_name, body.clone())).await
}

async fn create_once(
    catalog: &Catalog,
    caller: &Caller,
    type_name: &str,
    body: Value,
) -> AppResult<ArtifactView> {
    let ty = if type_name == ALL {
        return Err(forbidden(
            "artifacts cannot be created through the 'all' view; use their type",
        ));
    } else {
        resolve_type(catalog, type_name)?
    };
    let principal = caller.require_scope(Scope::Write)?;
    if !access::can_create(caller) {
        return Err(forbidden("not a member of this tenant"));
    }
    if let Some(at) = crate::types::validate::find_nul(&body) {
        return Err(bad_request(format!("'{at}' contains a NUL character")));
    }
    let Value::Object(body) = body else {
        return Err(bad_request("the body must be a JSON object"));
    };
    let mut props = Map::new();
    let mut name = None;
    let mut version = check_version(&Value::Null)?;
    let mut description = None;
    for (key, value) in &body {
        match key.as_str() {
            "name" => name = Some(check_name(value)?),
            "version" => version = check_version(value)?,
            "description" => description = check_description(value)?,
            k if BASE_FIELDS.contains(&k) => {
                return Err(bad_request(format!(
                    "'{k}' cannot be set when creating an artifact"
                )));
            }
            k if ty.blobs.contains_key(k) => {
                return Err(bad_request(format!(
                    "'{k}' is a blob: upload it with PUT /artifacts/{type_name}/<id>/{k}"
                )));
            }
            k => {
                if let Some(def) = ty.fields.get(k) {
                    let v = validate_value(k, def, value).map_err(bad_request)?;
                    if k == "tags" {
                        check_tags(&v)?;
                    }
                    props.insert(k.to_owned(), v);
                } else if let Some(def) = ty.links.get(k) {
                    props.insert(
                        k.to_owned(),
                        check_link(catalog, caller, k, def, value).await?,
                    );
                } else {
                    return Err(bad_request(format!(
                        "'{k}' is not a field of type '{type_name}'"
                    )));
                }
            }
        }
    }
    let name = name.ok_or_else(|| bad_request("'name' is required"))?;
    props.retain(|_, v| !v.is_null());
    for (field, def) in &ty.fields {
        if !props.contains_key(field) {
            if let Some(default) = &def.default {
                props.insert(field.clone(), default.clone());
            } else if def.required {
                return Err(bad_request(format!("'{field}' is required")));
            }
        }
    }
    let now = Utc::now();
    let id = Uuid::new_v4().to_string();
    let model = artifact::ActiveModel {
        id: Set(id.clone()),
        type_name: Set(type_name.to_owned()),
        type_version: Set(ty.def.version.clone()),
        name: Set(name.clone()),
        version: Set(version.to_string()),
        version_sort: Set(sort_key(&version)),
        is_prerelease: Set(is_prerelease(&version)),
        owner: Set(principal.tenant.clone()),
        // Imports run as the system, which is no user.
        created_by: Set((!principal.user_id.is_empty()).then(|| principal.user_id.clone())),
        visibility: Set(PRIVATE.to_owned()),
        status: Set(DRAFTED.to_owned()),
        description: Set(description),
        properties: Set(Value::Object(props.clone()).to_string()),
        created_at: Set(now),
        updated_at: Set(now),
        activated_at: Set(None),
        downloads: Set(0),
        rating_score: Set(0),
        rating_count: Set(0),
    };
    let txn = catalog.db.begin().await?;
    let inserted = model.insert(&txn).await.map_err(|e| {
        unique_violation(
            e,
            format!(
                "{type_name} '{name}' version {version} already exists in tenant '{}'",
                principal.tenant
            ),
        )
    })?;
    properties::insert(&txn, properties::rows(&id, &ty.fields, &ty.links, &props)).await?;
    txn.commit().await?;
    // A new version is private and drafted, so the sequence's public
    // rating is unchanged: read it for the new row and leave the other
    // versions alone. Updating every version of the name here made two
    // creates in one sequence lock the same rows in different orders.
    let (score, count) =
        super::community::public_rating(&catalog.db, type_name, &principal.tenant, &name).await?;
    if count > 0 {
        artifact::Entity::update_many()
            .col_expr(artifact::Column::RatingScore, Expr::value(score))
            .col_expr(artifact::Column::RatingCount, Expr::value(count))
            .filter(artifact::Column::Id.eq(&id))
            .exec(&catalog.db)
            .await?;
    }
    let inserted = artifact::Model {
        rating_score: score,
        rating_count: count,
        ..inserted
    };
    Ok(view(&ty, &inserted, &[]))
}

fn is_empty(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => true,
        Some(Value::String(s)) => s.is_empty(),
        Some(Value::Array(a)) => a.is_empty(),
        Some(Value::Object(o)) => o.is_empty(),
        _ => false,
    }
}

/// The first field that must be set before activation and is not.
pub(crate) fn missing_for_activation(
    ty: &ArtifactType,
    doc: &Map<String, Value>,
) -> Option<String> {
    let required = ty
        .fields
        .iter()
        .filter(|(_, d)| d.required_on_activate)
        .map(|(n, _)| n)
        .chain(
            ty.links
                .iter()
                .filter(|(_, d)| d.required_on_activate)
                .map(|(n, _)| n),
        );
    for name in required {
        if is_empty(doc.get(name)) {
            return Some(name.clone());
        }
    }
    for (name, def) in &ty.blobs {
        if !def.required_on_activate {
            continue;
        }
        let ready = match doc.get(name) {
            Some(Value::Object(o)) if def.dict => {
                !o.is_empty()
                    && o.values()
                        .all(|b| b.get("status") == Some(&json!("active")))
            }
            Some(b @ Value::Object(_)) => b.get("status") == Some(&json!("active")),
            _ => false,
        };
        if !ready {
            return Some(name.clone());
        }
    }
    None
}

/// An artifact's view before and after a JSON patch.
#[derive(Debug)]
pub struct Patched {
    pub old: Map<String, Value>,
    pub new: Map<String, Value>,
    /// Keys whose value differs: changed or added, then removed.
    pub changed: Vec<String>,
}

/// The first, pure step of [`update`]: applies `patch` to the artifact's
/// view and lists the keys it changes.
pub fn apply_patch(old: Value, patch: &json_patch::Patch) -> AppResult<Patched> {
    let mut new = old.clone();
    json_patch::patch(&mut new, patch)
        .map_err(|e| bad_request(format!("the patch cannot be applied: {e}")))?;
    let (Value::Object(old), Value::Object(new)) = (old, new) else {
        return Err(bad_request(
            "the patch must leave the artifact a JSON object",
        ));
    };
    let mut changed: Vec<String> = new
        .keys()
        .filter(|k| old.get(*k) != new.get(*k))
        .cloned()
        .collect();
    changed.extend(old.keys().filter(|k| !new.contains_key(*k)).cloned());
    Ok(Patched { old, new, changed })
}

/// `PATCH /artifacts/{type}/{id}`: applies a JSON patch to the artifact's
/// view and then checks every change against the lifecycle rules.
pub async fn update(
    catalog: &Catalog,
    caller: &Caller,
    type_name: &str,
    id: &str,
    patch: &json_patch::Patch,
) -> AppResult<ArtifactView> {
    crate::db::retry(|| update_once(catalog, caller, type_name, id, patch)).await
}

async fn update_once(
    catalog: &Catalog,
    caller: &Caller,
    type_name: &str,
    id: &str,
    patch: &json_patch::Patch,
) -> AppResult<ArtifactView> {
    refuse_all(type_name)?;
    if patch.0.len() > MAX_PATCH_OPS {
        return Err(bad_request(format!(
            "a patch has at most {MAX_PATCH_OPS} operations"
        )));
    }
    let (ty, m) = find_visible(catalog, caller, type_name, id).await?;
    let principal = caller.require_scope(Scope::Write)?.clone();
    let blobs = blobs_of(catalog, std::slice::from_ref(&m.id))
        .await?
        .remove(&m.id)
        .unwrap_or_default();
    let Patched { old, new, changed } = apply_patch(view(&ty, &m, &blobs).to_json(), patch)?;
    for key in &changed {
        if let Some(at) = new.get(key).and_then(crate::types::validate::find_nul) {
            return Err(bad_request(format!("'{key}{at}' contains a NUL character")));
        }
    }
    if changed.is_empty() {
        if !access::allowed(caller, Action::Write, &m) {
            return Err(forbidden("you may not change this artifact"));
        }
        return Ok(view(&ty, &m, &blobs));
    }
    let get = |k: &str| new.get(k).cloned().unwrap_or(Value::Null);

    let mut a = m.clone().into_active_model();
    let mut props = parse_properties(&m);
    let mut new_status = m.status.clone();
    let mut new_visibility = m.visibility.clone();
    let mut field_changed = false;
    for key in &changed {
        match key.as_str() {
            "status" => {
                new_status = get("status")
                    .as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| bad_request("'status' must be a string"))?;
            }
            "visibility" => {
                new_visibility = get("visibility")
                    .as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| bad_request("'visibility' must be a string"))?;
            }
            k if BASE_FIELDS.contains(&k) && !matches!(k, "name" | "version" | "description") => {
                return Err(forbidden(format!(
                    "'{k}' is a system field and cannot be changed"
                )));
            }
            k if ty.blobs.contains_key(k) => {
                return Err(bad_request(format!(
                    "'{k}' is a blob: upload it with PUT /artifacts/{type_name}/{id}/{k}"
                )));
            }
            k if !old.contains_key(k) => {
                return Err(bad_request(format!(
                    "'{k}' is not a field of type '{}'",
                    ty.name()
                )));
            }
            _ => field_changed = true,
        }
    }

    if field_changed {
        if !access::allowed(caller, Action::Write, &m) {
            return Err(forbidden(if m.visibility == PUBLIC {
                "public artifacts can be changed only by catalog admins"
            } else {
                "you may not change this artifact"
            }));
        }
        if m.status == DEACTIVATED {
            return Err(forbidden("deactivated artifacts cannot be changed"));
        }
        for key in changed
            .iter()
            .filter(|k| !matches!(k.as_str(), "status" | "visibility"))
        {
            let mutable = match key.as_str() {
                "description" => true,
                "name" | "version" => false,
                k => ty
                    .fields
                    .get(k)
                    .map(|d| d.mutable)
                    .or_else(|| ty.links.get(k).map(|d| d.mutable))
                    .unwrap_or(false),
            };
            if m.status == ACTIVE && !mutable {
                return Err(forbidden(format!(
                    "'{key}' cannot be changed once the artifact is active"
                )));
            }
            let value = get(key);
            match key.as_str() {
                "name" => a.name = Set(check_name(&value)?),
                "version" => {
                    let v = check_version(&value)?;
                    a.version = Set(v.to_string());
                    a.version_sort = Set(sort_key(&v));
                    a.is_prerelease = Set(is_prerelease(&v));
                }
                "description" => a.description = Set(check_description(&value)?),
                k => {
                    let normalised = if let Some(def) = ty.fields.get(k) {
                        let v = validate_value(k, def, &value).map_err(bad_request)?;
                        if k == "tags" {
                            check_tags(&v)?;
                        }
                        v
                    } else if let Some(def) = ty.links.get(k) {
                        check_link(catalog, caller, k, def, &value).await?
                    } else {
                        return Err(bad_request(format!(
                            "'{k}' is not a field of type '{}'",
                            ty.name()
                        )));
                    };
                    if normalised.is_null() {
                        if ty.fields.get(k).is_some_and(|d| d.required) {
                            return Err(bad_request(format!(
                                "'{k}' is required and cannot be removed"
                            )));
                        }
                        props.remove(k);
                    } else {
                        props.insert(k.to_owned(), normalised);
                    }
                }
            }
        }
    }

    let now = Utc::now();
    if new_status != m.status {
        caller.require_scope(Scope::Publish)?;
        match (m.status.as_str(), new_status.as_str()) {
            (DRAFTED, ACTIVE) => {
                if !access::allowed(caller, Action::Activate, &m) {
                    return Err(forbidden("you may not activate this artifact"));
                }
                let mut doc = new.clone();
                for (k, v) in &props {
                    doc.insert(k.clone(), v.clone());
                }
                if blobs.iter().any(|b| b.status == super::blobs::SAVING) {
                    return Err(conflict(
                        "a blob is still being uploaded; activate when it is done",
                    ));
                }
                if let Some(field) = missing_for_activation(&ty, &doc) {
                    return Err(forbidden(format!(
                        "'{field}' must be available before activation."
                    )));
                }
                a.activated_at = Set(Some(now));
            }
            (ACTIVE, DEACTIVATED) | (DEACTIVATED, ACTIVE) => {
                if !access::allowed(caller, Action::Deactivate, &m) {
                    return Err(forbidden(
                        "only catalog admins deactivate and reactivate artifacts",
                    ));
                }
            }
            (_, "deleted") => {
                return Err(bad_request(
                    "delete an artifact with DELETE, not by its status",
                ));
            }
            (from, to) if [DRAFTED, ACTIVE, DEACTIVATED].contains(&to) => {
                return Err(forbidden(format!(
                    "the status cannot change from {from} to {to}"
                )));
            }
            (_, to) => {
                return Err(bad_request(format!(
                    "'{to}' is not a status (drafted, active, deactivated)"
                )));
            }
        }
        a.status = Set(new_status.clone());
    }
    if new_visibility != m.visibility {
        caller.require_scope(Scope::Publish)?;
        if ![PRIVATE, SHARED, PUBLIC].contains(&new_visibility.as_str()) {
            return Err(bad_request(format!(
                "'{new_visibility}' is not a visibility (private, shared, public)"
            )));
        }
        if m.visibility == PUBLIC {
            return Err(forbidden(
                "a public artifact cannot become private or shared again",
            ));
        }
        if new_visibility == PUBLIC {
            if !access::allowed(caller, Action::MakePublic, &m) {
                return Err(forbidden("only catalog admins make artifacts public"));
            }
            if new_status != ACTIVE {
                return Err(forbidden("only active artifacts can be made public"));
            }
        } else if !access::allowed(caller, Action::Share, &m) {
            return Err(forbidden("only the owning tenant's admins share artifacts"));
        }
        a.visibility = Set(new_visibility.clone());
    }

    a.properties = Set(Value::Object(props.clone()).to_string());
    a.updated_at = Set(now);
    let txn = catalog.db.begin().await?;
    let updated = a.update(&txn).await.map_err(|e| {
        let msg = if new_visibility == PUBLIC {
            format!("a public {type_name} with this name and version already exists")
        } else {
            format!(
                "{type_name} with this name and version already exists in tenant '{}'",
                m.owner
            )
        };
        unique_violation(e, msg)
    })?;
    if field_changed {
        properties::reindex(&txn, &m.id, &ty.fields, &ty.links, &props).await?;
    }
    txn.commit().await?;
    // Which ratings count in public depends on which versions are public.
    let updated = if new_status != m.status || new_visibility != m.visibility {
        crate::db::retry(|| {
            super::community::refresh_rating(&catalog.db, &m.type_name, &m.owner, &m.name)
        })
        .await?;
        artifact::Entity::find_by_id(m.id.clone())
            .one(&catalog.db)
            .await?
            .unwrap_or(updated)
    } else {
        updated
    };
    tracing::debug!(artifact = %m.id, user = %principal.username, changed = ?changed, "artifact updated");
    Ok(view(&ty, &updated, &blobs))
}

/// `DELETE /artifacts/{type}/{id}`: removes the artifact, then its stored
/// blobs.
pub async fn delete(
    catalog: &Catalog,
    caller: &Caller,
    type_name: &str,
    id: &str,
) -> AppResult<()> {
    refuse_all(type_name)?;
    let (_, m) = find_visible(catalog, caller, type_name, id).await?;
    caller.require_scope(Scope::Write)?;
    if !access::allowed(caller, Action::Delete, &m) {
        return Err(forbidden(if m.visibility == PUBLIC {
            "public artifacts can be deleted only by catalog admins"
        } else {
            "only the tenant's admins delete artifacts that are not drafts"
        }));
    }
    let blobs = artifact_blob::Entity::find()
        .filter(artifact_blob::Column::ArtifactId.eq(&m.id))
        .all(&catalog.db)
        .await?;
    artifact::Entity::delete_by_id(m.id.clone())
        .exec(&catalog.db)
        .await?;
    crate::db::retry(|| {
        super::community::refresh_rating(&catalog.db, &m.type_name, &m.owner, &m.name)
    })
    .await?;
    for key in blobs.iter().filter_map(|b| b.storage_key.as_deref()) {
        if let Err(e) = catalog.store.delete(key).await {
            tracing::warn!(error = %e, key, "could not delete a blob of a deleted artifact");
        }
    }
    Ok(())
}

/// Sets fields of a drafted artifact from a trusted source (a package's
/// manifest): each value is validated like user input; name and version
/// change only when given.
pub async fn apply_fields(
    catalog: &Catalog,
    ty: &ArtifactType,
    m: &artifact::Model,
    name: Option<&str>,
    version: Option<&str>,
    description: Option<&str>,
    fields: &Map<String, Value>,
) -> AppResult<artifact::Model> {
    if m.status != DRAFTED {
        return Err(forbidden(
            "only drafted artifacts take fields from their package",
        ));
    }
    let mut a = m.clone().into_active_model();
    if let Some(n) = name {
        a.name = Set(check_name(&Value::String(n.to_owned()))?);
    }
    if let Some(v) = version {
        let v = check_version(&Value::String(v.to_owned()))?;
        a.version = Set(v.to_string());
        a.version_sort = Set(sort_key(&v));
        a.is_prerelease = Set(is_prerelease(&v));
    }
    if let Some(d) = description.filter(|_| m.description.as_deref().is_none_or(str::is_empty)) {
        let d: String = d
            .chars()
            .filter(|c| *c != '\0')
            .take(MAX_DESCRIPTION)
            .collect();
        a.description = Set(Some(d));
    }
    let mut props = parse_properties(m);
    for (k, v) in fields {
        let normalised = if let Some(def) = ty.fields.get(k) {
            validate_value(k, def, v).map_err(bad_request)?
        } else if let Some(def) = ty.links.get(k) {
            match v {
                Value::Array(items) => {
                    if items.len() > super::deps::MAX_LINKS {
                        return Err(bad_request(format!(
                            "link '{k}' holds at most {} links",
                            super::deps::MAX_LINKS
                        )));
                    }
                    if crate::types::validate::find_nul(v).is_some() {
                        return Err(bad_request(format!("link '{k}' contains a NUL character")));
                    }
                    for item in items {
                        if let Value::Object(o) = item {
                            super::deps::check_named_link(k, def, o)?;
                        }
                    }
                    v.clone()
                }
                _ => return Err(bad_request(format!("link '{k}' must be a list"))),
            }
        } else {
            continue;
        };
        props.insert(k.clone(), normalised);
    }
    a.properties = Set(Value::Object(props.clone()).to_string());
    a.updated_at = Set(Utc::now());
    let txn = catalog.db.begin().await?;
    let updated = a.update(&txn).await.map_err(|e| {
        unique_violation(
            e,
            format!(
                "{} with this name and version already exists in tenant '{}'",
                ty.name(),
                m.owner
            ),
        )
    })?;
    properties::reindex(&txn, &m.id, &ty.fields, &ty.links, &props).await?;
    txn.commit().await?;
    Ok(updated)
}

/// An artifact of `tenant` with this type, name and version, if any.
pub async fn find_by_name(
    catalog: &Catalog,
    type_name: &str,
    tenant: &str,
    name: &str,
    version: &semver::Version,
) -> AppResult<Option<artifact::Model>> {
    Ok(artifact::Entity::find()
        .filter(artifact::Column::TypeName.eq(type_name))
        .filter(artifact::Column::Owner.eq(tenant))
        .filter(artifact::Column::Name.eq(name))
        .filter(artifact::Column::VersionSort.eq(sort_key(version)))
        .one(&catalog.db)
        .await?)
}
