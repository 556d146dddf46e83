//! Checks of user input shared by create and update: names, versions,
//! descriptions, tags, links and what activation needs.

use super::*;

pub const MAX_DESCRIPTION: usize = 4096;
pub const MAX_NAME: usize = 255;

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
    if items.len() > crate::services::deps::MAX_LINKS {
        return Err(bad_request(format!(
            "link '{field}' holds at most {} links",
            crate::services::deps::MAX_LINKS
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
                if !url && crate::services::deps::parse_exact(target).is_none() {
                    return Err(bad_request(format!(
                        "link '{field}' must be /artifacts/<type>/<id>, an http(s) URL or {{name, version}}, not '{target}'"
                    )));
                }
            }
            Value::Object(o) => crate::services::deps::check_named_link(field, def, o)?,
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
pub(super) async fn check_link(
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

pub(super) async fn check_exact_link(
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
    let (ty, id) = crate::services::deps::parse_exact(target).ok_or_else(|| {
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

pub(super) fn is_empty(v: Option<&Value>) -> bool {
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
