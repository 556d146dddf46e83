//! The `artifact_properties` index: one row per scalar value, list element
//! or dict entry of a filterable or sortable field, so filters and sorts on
//! type fields run on indexes instead of parsing JSON.

use std::collections::BTreeMap;

use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set};
use serde_json::{Map, Value};

use crate::entities::artifact_property;
use crate::types::{FieldDef, FieldKind, LinkDef, Multiplicity};

/// Longest indexed string in bytes (a PostgreSQL btree entry holds ~2700).
pub const MAX_INDEXED_BYTES: usize = 2048;

/// Whether a field's values go into the index.
pub fn indexed(name: &str, def: &FieldDef) -> bool {
    name == "tags" || def.sortable || !def.effective_filter_ops().is_empty()
}

fn row(
    artifact_id: &str,
    name: &str,
    key: &str,
    position: i32,
    kind: FieldKind,
    value: &Value,
) -> artifact_property::ActiveModel {
    let mut r = artifact_property::ActiveModel {
        artifact_id: Set(artifact_id.to_owned()),
        name: Set(name.to_owned()),
        key: Set(key.to_owned()),
        position: Set(position),
        str_value: Set(None),
        int_value: Set(None),
        num_value: Set(None),
        bool_value: Set(None),
        ..Default::default()
    };
    match kind {
        FieldKind::Integer => r.int_value = Set(value.as_i64()),
        FieldKind::Number => r.num_value = Set(value.as_f64()),
        FieldKind::Boolean => r.bool_value = Set(value.as_bool()),
        _ => r.str_value = Set(value.as_str().map(str::to_owned)),
    }
    r
}

/// The index rows of one artifact's values.
pub fn rows(
    artifact_id: &str,
    fields: &BTreeMap<String, FieldDef>,
    links: &BTreeMap<String, LinkDef>,
    props: &Map<String, Value>,
) -> Vec<artifact_property::ActiveModel> {
    let mut out = Vec::new();
    for (name, def) in fields {
        if !indexed(name, def) {
            continue;
        }
        let Some(value) = props.get(name) else {
            continue;
        };
        let kind = def.item_kind();
        match value {
            Value::Null => {}
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    out.push(row(
                        artifact_id,
                        name,
                        "",
                        i32::try_from(i).unwrap_or(i32::MAX),
                        kind,
                        item,
                    ));
                }
            }
            Value::Object(entries) => {
                for (key, item) in entries {
                    out.push(row(artifact_id, name, key, 0, kind, item));
                }
            }
            scalar => out.push(row(artifact_id, name, "", 0, kind, scalar)),
        }
    }
    // A link is indexed by its target: the exact path or URL, or the name of
    // a `{name, version}` link (so dependents are found by name).
    let target = |v: &Value| -> Value {
        match v {
            Value::Object(o) => o.get("name").cloned().unwrap_or(Value::Null),
            other => other.clone(),
        }
    };
    for (name, def) in links {
        match (def.multiplicity, props.get(name)) {
            (_, None | Some(Value::Null)) => {}
            (Multiplicity::Single, Some(v)) => {
                out.push(row(artifact_id, name, "", 0, FieldKind::String, &target(v)))
            }
            (_, Some(Value::Array(items))) => {
                for (i, item) in items.iter().enumerate() {
                    let position = i32::try_from(i).unwrap_or(i32::MAX);
                    out.push(row(
                        artifact_id,
                        name,
                        "",
                        position,
                        FieldKind::String,
                        &target(item),
                    ));
                }
            }
            (_, Some(Value::Object(entries))) => {
                for (key, item) in entries {
                    out.push(row(
                        artifact_id,
                        name,
                        key,
                        0,
                        FieldKind::String,
                        &target(item),
                    ));
                }
            }
            _ => {}
        }
    }
    // Only strings that fit a btree entry are indexed (long link URLs
    // cannot be filtered on).
    out.retain(|r| match &r.str_value {
        sea_orm::ActiveValue::Set(Some(s)) => s.len() <= MAX_INDEXED_BYTES,
        _ => true,
    });
    out
}

/// Replaces the index rows of one artifact.
pub async fn reindex<C: ConnectionTrait>(
    db: &C,
    artifact_id: &str,
    fields: &BTreeMap<String, FieldDef>,
    links: &BTreeMap<String, LinkDef>,
    props: &Map<String, Value>,
) -> Result<(), DbErr> {
    artifact_property::Entity::delete_many()
        .filter(artifact_property::Column::ArtifactId.eq(artifact_id))
        .exec(db)
        .await?;
    insert(db, rows(artifact_id, fields, links, props)).await
}

pub async fn insert<C: ConnectionTrait>(
    db: &C,
    rows: Vec<artifact_property::ActiveModel>,
) -> Result<(), DbErr> {
    // Keep each statement well under SQLite's bound-parameter limit.
    for chunk in rows.chunks(500) {
        artifact_property::Entity::insert_many(chunk.to_vec())
            .exec(db)
            .await?;
    }
    Ok(())
}
