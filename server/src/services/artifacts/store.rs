//! Reading artifact rows and turning them into [`ArtifactView`]s; writing
//! fields from a trusted source.

use super::*;

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
                .is_some_and(|r| r.status != crate::services::members::DECLINED),
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

pub(super) fn unique_violation(e: DbErr, message: String) -> AppError {
    match e.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => conflict(message),
        _ => e.into(),
    }
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
                    if items.len() > crate::services::deps::MAX_LINKS {
                        return Err(bad_request(format!(
                            "link '{k}' holds at most {} links",
                            crate::services::deps::MAX_LINKS
                        )));
                    }
                    if crate::types::validate::find_nul(v).is_some() {
                        return Err(bad_request(format!("link '{k}' contains a NUL character")));
                    }
                    for item in items {
                        if let Value::Object(o) = item {
                            crate::services::deps::check_named_link(k, def, o)?;
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
