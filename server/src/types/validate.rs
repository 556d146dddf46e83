//! Checking field values against their definitions.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value};

use super::definition::{FieldDef, FieldKind};

/// Where a JSON value holds a NUL character (in a string or a key), as a
/// JSON pointer. No database stores one in text (PostgreSQL refuses it),
/// so every input is checked before anything is written.
pub fn find_nul(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => s.contains('\0').then(String::new),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, v)| find_nul(v).map(|p| format!("/{i}{p}"))),
        Value::Object(o) => o.iter().find_map(|(k, v)| {
            if k.contains('\0') {
                Some(format!("/{}", k.replace('\0', "\\0")))
            } else {
                find_nul(v).map(|p| format!("/{k}{p}"))
            }
        }),
        _ => None,
    }
}

/// Checks one value and returns it normalised (datetimes in RFC 3339 UTC,
/// integral numbers as integers). `null` is accepted for every field and
/// means "unset". The error names the field.
pub fn validate_value(name: &str, def: &FieldDef, value: &Value) -> Result<Value, String> {
    if value.is_null() {
        return Ok(Value::Null);
    }
    match def.kind {
        FieldKind::List => {
            let items = value
                .as_array()
                .ok_or_else(|| format!("field '{name}' must be a list"))?;
            let max = def.effective_max_items();
            if items.len() > max {
                return Err(format!("field '{name}' has more than {max} elements"));
            }
            let mut out = Vec::with_capacity(items.len());
            for item in items {
                if item.is_null() {
                    return Err(format!("field '{name}' cannot hold null elements"));
                }
                out.push(scalar(name, def, def.item_kind(), item)?);
            }
            Ok(Value::Array(out))
        }
        FieldKind::Dict => {
            let entries = value
                .as_object()
                .ok_or_else(|| format!("field '{name}' must be an object"))?;
            let max = def.effective_max_items();
            if entries.len() > max {
                return Err(format!("field '{name}' has more than {max} entries"));
            }
            let mut out = Map::new();
            for (key, item) in entries {
                if key.is_empty() || key.len() > 255 || key.contains('\0') {
                    return Err(format!(
                        "field '{name}' has a key that is empty or longer than 255 characters"
                    ));
                }
                if item.is_null() {
                    return Err(format!("field '{name}.{key}' cannot be null"));
                }
                out.insert(
                    key.clone(),
                    scalar(&format!("{name}.{key}"), def, def.item_kind(), item)?,
                );
            }
            Ok(Value::Object(out))
        }
        kind => scalar(name, def, kind, value),
    }
}

fn scalar(name: &str, def: &FieldDef, kind: FieldKind, value: &Value) -> Result<Value, String> {
    let out = match kind {
        FieldKind::String | FieldKind::Enum => {
            let s = value
                .as_str()
                .ok_or_else(|| format!("field '{name}' must be a string"))?;
            let max = def.effective_max_length();
            if s.chars().count() > max {
                return Err(format!("field '{name}' is longer than {max} characters"));
            }
            if s.contains('\0') {
                return Err(format!("field '{name}' contains a NUL character"));
            }
            Value::String(s.to_owned())
        }
        FieldKind::Integer => {
            let i = value
                .as_i64()
                .or_else(|| {
                    value
                        .as_f64()
                        .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
                        .map(|f| f as i64)
                })
                .ok_or_else(|| format!("field '{name}' must be an integer"))?;
            check_range(name, def, i as f64)?;
            Value::from(i)
        }
        FieldKind::Number => {
            let f = value
                .as_f64()
                .ok_or_else(|| format!("field '{name}' must be a number"))?;
            check_range(name, def, f)?;
            value.clone()
        }
        FieldKind::Boolean => Value::Bool(
            value
                .as_bool()
                .ok_or_else(|| format!("field '{name}' must be true or false"))?,
        ),
        FieldKind::Datetime => {
            let s = value
                .as_str()
                .ok_or_else(|| format!("field '{name}' must be an RFC 3339 date and time"))?;
            Value::String(
                parse_datetime(s)
                    .ok_or_else(|| format!("field '{name}' must be an RFC 3339 date and time"))?,
            )
        }
        FieldKind::List | FieldKind::Dict => {
            return Err(format!("field '{name}' holds scalar values only"));
        }
    };
    if let Some(allowed) = &def.allowed
        && !allowed.contains(&out)
    {
        let list: Vec<String> = allowed.iter().map(|v| v.to_string()).collect();
        return Err(format!("field '{name}' must be one of {}", list.join(", ")));
    }
    Ok(out)
}

fn check_range(name: &str, def: &FieldDef, v: f64) -> Result<(), String> {
    if let Some(min) = def.min
        && v < min
    {
        return Err(format!("field '{name}' must be at least {min}"));
    }
    if let Some(max) = def.max
        && v > max
    {
        return Err(format!("field '{name}' must be at most {max}"));
    }
    Ok(())
}

/// RFC 3339 (or a bare date) normalised to UTC with second precision.
pub fn parse_datetime(s: &str) -> Option<String> {
    let parsed = DateTime::parse_from_rfc3339(s)
        .map(|d| d.with_timezone(&Utc))
        .ok()
        .or_else(|| {
            chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .map(|d| d.and_utc())
        })?;
    Some(parsed.to_rfc3339_opts(SecondsFormat::Secs, true))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn field(text: &str) -> FieldDef {
        toml::from_str(text).expect("field parses")
    }

    #[test]
    fn values_are_checked_and_normalised() {
        let int = field("kind='integer'\nmin=0\n");
        assert_eq!(validate_value("n", &int, &json!(3.0)), Ok(json!(3)));
        assert!(validate_value("n", &int, &json!(-1)).is_err());
        assert!(validate_value("n", &int, &json!("3")).is_err());
        let e = field("kind='enum'\nallowed=['a','b']\n");
        assert!(validate_value("e", &e, &json!("c")).is_err());
        let list = field("kind='list'\nmax_items=2\n");
        assert!(validate_value("l", &list, &json!(["a", "b", "c"])).is_err());
        assert!(validate_value("l", &list, &json!(["a", 1])).is_err());
        let dt = field("kind='datetime'\n");
        assert_eq!(
            validate_value("d", &dt, &json!("2016-01-01T02:00:00+02:00")),
            Ok(json!("2016-01-01T00:00:00Z"))
        );
        let s = field("kind='string'\nmax_length=3\n");
        assert!(validate_value("s", &s, &json!("abcd")).is_err());
        assert_eq!(validate_value("s", &s, &json!(null)), Ok(json!(null)));
    }
}
