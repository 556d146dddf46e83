//! `POST /artifacts/{type}`: a new drafted artifact.

use super::*;

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
        crate::services::community::public_rating(&catalog.db, type_name, &principal.tenant, &name)
            .await?;
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
