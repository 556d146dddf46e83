//! JSON Schema of a type, in the shape Glare's `/schemas` returns: one object
//! schema whose properties carry Glare's extra keywords (`mutable`,
//! `sortable`, `filter_ops`, `required_on_activate`, `readOnly`, `glareType`).

use serde_json::{Map, Value, json};

use super::definition::{BlobDef, FieldDef, FieldKind, Multiplicity};
use super::registry::ArtifactType;

fn json_type(kind: FieldKind) -> &'static str {
    match kind {
        FieldKind::String | FieldKind::Enum | FieldKind::Datetime => "string",
        FieldKind::Integer => "integer",
        FieldKind::Number => "number",
        FieldKind::Boolean => "boolean",
        FieldKind::List => "array",
        FieldKind::Dict => "object",
    }
}

fn glare_type(kind: FieldKind) -> &'static str {
    match kind {
        FieldKind::String | FieldKind::Enum => "String",
        FieldKind::Datetime => "DateTime",
        FieldKind::Integer => "Integer",
        FieldKind::Number => "Float",
        FieldKind::Boolean => "Boolean",
        FieldKind::List => "StringList",
        FieldKind::Dict => "StringDict",
    }
}

fn scalar_schema(def: &FieldDef, kind: FieldKind) -> Map<String, Value> {
    let mut s = Map::new();
    s.insert("type".into(), json!(json_type(kind)));
    if kind == FieldKind::Datetime {
        s.insert("format".into(), json!("date-time"));
    }
    if matches!(kind, FieldKind::String | FieldKind::Enum) {
        s.insert("maxLength".into(), json!(def.effective_max_length()));
    }
    if let Some(allowed) = &def.allowed {
        s.insert("enum".into(), Value::Array(allowed.clone()));
    }
    if let Some(min) = def.min {
        s.insert("minimum".into(), json!(min));
    }
    if let Some(max) = def.max {
        s.insert("maximum".into(), json!(max));
    }
    s
}

fn field_schema(def: &FieldDef) -> Value {
    let mut s = match def.kind {
        FieldKind::List => {
            let mut s = Map::new();
            s.insert("type".into(), json!(["array", "null"]));
            s.insert(
                "items".into(),
                Value::Object(scalar_schema(def, def.item_kind())),
            );
            if let Some(max) = def.max_items {
                s.insert("maxItems".into(), json!(max));
            }
            s
        }
        FieldKind::Dict => {
            let mut s = Map::new();
            s.insert("type".into(), json!(["object", "null"]));
            s.insert(
                "additionalProperties".into(),
                Value::Object(scalar_schema(def, def.item_kind())),
            );
            if let Some(max) = def.max_items {
                s.insert("maxProperties".into(), json!(max));
            }
            s
        }
        kind => {
            let mut s = scalar_schema(def, kind);
            s.insert("type".into(), json!([json_type(kind), "null"]));
            s
        }
    };
    if let Some(d) = &def.description {
        s.insert("description".into(), json!(d));
    }
    if let Some(d) = &def.default {
        s.insert("default".into(), d.clone());
    }
    let ops: Vec<&str> = def
        .effective_filter_ops()
        .iter()
        .map(|o| o.as_str())
        .collect();
    s.insert("filter_ops".into(), json!(ops));
    s.insert("mutable".into(), json!(def.mutable));
    s.insert("sortable".into(), json!(def.sortable));
    s.insert(
        "required_on_activate".into(),
        json!(def.required_on_activate),
    );
    s.insert("glareType".into(), json!(glare_type(def.kind)));
    Value::Object(s)
}

fn blob_value_schema() -> Value {
    json!({
        "type": ["object", "null"],
        "properties": {
            "url": {"type": ["string", "null"]},
            "size": {"type": ["integer", "null"]},
            "md5": {"type": ["string", "null"]},
            "sha1": {"type": ["string", "null"]},
            "sha256": {"type": ["string", "null"]},
            "external": {"type": "boolean"},
            "status": {"type": "string", "enum": ["saving", "active"]},
            "content_type": {"type": ["string", "null"]}
        }
    })
}

fn blob_schema(def: &BlobDef) -> Value {
    let mut s = if def.dict {
        json!({"type": ["object", "null"], "additionalProperties": blob_value_schema(), "glareType": "BlobDict"})
    } else {
        let mut v = blob_value_schema();
        v["glareType"] = json!("Blob");
        v
    };
    s["readOnly"] = json!(true);
    s["mutable"] = json!(false);
    s["sortable"] = json!(false);
    s["filter_ops"] = json!([]);
    s["required_on_activate"] = json!(def.required_on_activate);
    if let Some(max) = def.max_size {
        s["max_blob_size"] = json!(max);
    }
    if !def.content_types.is_empty() {
        s["content_types"] = json!(def.content_types);
    }
    if let Some(d) = &def.description {
        s["description"] = json!(d);
    }
    s
}

fn base(
    kind: &str,
    description: &str,
    filter_ops: &[&str],
    sortable: bool,
    mutable: bool,
    read_only: bool,
) -> Value {
    json!({
        "type": kind,
        "description": description,
        "filter_ops": filter_ops,
        "sortable": sortable,
        "mutable": mutable,
        "readOnly": read_only,
        "required_on_activate": false,
    })
}

/// The schema of one type.
pub fn type_schema(ty: &ArtifactType) -> Value {
    let cmp = ["eq", "neq", "gt", "gte", "lt", "lte", "in"];
    let mut props = Map::new();
    props.insert(
        "id".into(),
        base(
            "string",
            "Artifact UUID",
            &["eq", "neq", "in"],
            false,
            false,
            true,
        ),
    );
    props.insert(
        "name".into(),
        base(
            "string",
            "Artifact name",
            &["eq", "neq", "in", "like"],
            true,
            false,
            false,
        ),
    );
    let mut version = base(
        "string",
        "Semantic version; filter with gt/lt/..., latest, or spec:<requirement>",
        &cmp,
        true,
        false,
        false,
    );
    version["default"] = json!("0.0.0");
    props.insert("version".into(), version);
    props.insert(
        "type_name".into(),
        base(
            "string",
            "Type of the artifact",
            &["eq", "neq", "in"],
            false,
            false,
            true,
        ),
    );
    props.insert(
        "display_type_name".into(),
        base(
            "string",
            "Display name of the type",
            &[],
            false,
            false,
            true,
        ),
    );
    props.insert(
        "type_version".into(),
        base(
            "string",
            "Type definition version the artifact was made with",
            &[],
            false,
            false,
            true,
        ),
    );
    props.insert(
        "owner".into(),
        base(
            "string",
            "Owning tenant",
            &["eq", "neq", "in"],
            true,
            false,
            true,
        ),
    );
    props.insert(
        "created_by".into(),
        base(
            "string",
            "User who created the artifact",
            &["eq"],
            false,
            false,
            true,
        ),
    );
    let mut visibility = base(
        "string",
        "private, shared or public",
        &["eq", "neq", "in"],
        true,
        true,
        false,
    );
    visibility["enum"] = json!(["private", "shared", "public"]);
    props.insert("visibility".into(), visibility);
    let mut status = base(
        "string",
        "drafted, active or deactivated",
        &["eq", "neq", "in"],
        true,
        true,
        false,
    );
    status["enum"] = json!(["drafted", "active", "deactivated"]);
    props.insert("status".into(), status);
    let mut description = base("string", "Markdown description", &[], false, true, false);
    description["type"] = json!(["string", "null"]);
    description["maxLength"] = json!(crate::services::artifacts::MAX_DESCRIPTION);
    props.insert("description".into(), description);
    for ts in ["created_at", "updated_at", "activated_at"] {
        let mut v = base("string", "RFC 3339 timestamp", &cmp, true, false, true);
        v["format"] = json!("date-time");
        if ts == "activated_at" {
            v["type"] = json!(["string", "null"]);
        }
        props.insert(ts.into(), v);
    }
    props.insert(
        "downloads".into(),
        base(
            "integer",
            "Downloads of this version",
            &cmp,
            true,
            false,
            true,
        ),
    );
    let mut rating = base(
        "number",
        "Average rating of the artifact (all versions), 1 to 5 stars; null while unrated",
        &cmp,
        true,
        false,
        true,
    );
    rating["type"] = json!(["number", "null"]);
    props.insert("rating".into(), rating);
    props.insert(
        "rating_count".into(),
        base(
            "integer",
            "How many users rated the artifact",
            &cmp,
            true,
            false,
            true,
        ),
    );
    for (name, def) in &ty.fields {
        props.insert(name.clone(), field_schema(def));
    }
    for (name, def) in &ty.blobs {
        props.insert(name.clone(), blob_schema(def));
    }
    for (name, link) in &ty.links {
        let one =
            json!({"type": "string", "description": "/artifacts/<type>/<id> or an http(s) URL"});
        let mut s = match link.multiplicity {
            Multiplicity::Single => json!({"type": ["string", "null"]}),
            Multiplicity::List => json!({"type": ["array", "null"], "items": one}),
            Multiplicity::Dict => json!({"type": ["object", "null"], "additionalProperties": one}),
        };
        s["glareType"] = json!("Link");
        s["semantics"] = json!(link.semantics);
        s["target_types"] = json!(link.target_types);
        s["mutable"] = json!(link.mutable);
        s["sortable"] = json!(false);
        s["filter_ops"] = json!(if link.multiplicity == Multiplicity::Dict {
            vec![]
        } else {
            vec!["eq", "neq", "in"]
        });
        s["required_on_activate"] = json!(link.required_on_activate);
        if let Some(d) = &link.description {
            s["description"] = json!(d);
        }
        props.insert(name.clone(), s);
    }
    // Every property names its Glare type: python-glareclient looks it up
    // for each field it prints.
    for (name, prop) in props.iter_mut() {
        if prop.get("glareType").is_none() {
            let glare = if name.ends_with("_at") {
                "DateTime"
            } else if matches!(name.as_str(), "downloads" | "rating_count") {
                "Integer"
            } else if name == "rating" {
                "Float"
            } else {
                "String"
            };
            prop["glareType"] = json!(glare);
        }
    }
    json!({
        "name": ty.def.name,
        "title": format!("Artifact type {} of version {}", ty.def.name, ty.def.version),
        "version": ty.def.version,
        "display_type_name": ty.def.display_name,
        "description": ty.def.description,
        "type": "object",
        "required": ["name"],
        "additionalProperties": false,
        "properties": props,
    })
}
