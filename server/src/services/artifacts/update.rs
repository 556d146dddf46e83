//! `PATCH /artifacts/{type}/{id}`: JSON patches, status and visibility
//! changes.

use super::*;

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
                if blobs
                    .iter()
                    .any(|b| b.status == crate::services::blobs::SAVING)
                {
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
            crate::services::community::refresh_rating(&catalog.db, &m.type_name, &m.owner, &m.name)
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
