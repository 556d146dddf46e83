//! A [`ListQuery`] checked against the artifact types: every filter names a
//! base column or a field the type declares, with an operator that field
//! allows and values of its kind; every sort key a sortable field. The
//! result, a [`Plan`], is what [`super::sql`] turns into SQL.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Value as SqlValue;

use super::{Filter, ListQuery, MAX_LIMIT, SortOrder};
use crate::error::{AppResult, bad_request, not_found};
use crate::types::TypeRegistry;
use crate::types::registry::{ALL, ArtifactType};
use crate::types::validate::parse_datetime;
use crate::types::{FieldKind, FilterOp, Multiplicity};
use crate::version::{KeyBound, parse_requirement, parse_version, sort_key};

/// The longest free-text query.
pub const MAX_TEXT_CHARS: usize = 200;

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Scalar {
    Str(String),
    Int(i64),
    Num(f64),
    Bool(bool),
    Time(DateTime<Utc>),
}

impl From<Scalar> for SqlValue {
    fn from(s: Scalar) -> SqlValue {
        match s {
            Scalar::Str(v) => v.into(),
            Scalar::Int(v) => v.into(),
            Scalar::Num(v) => v.into(),
            Scalar::Bool(v) => v.into(),
            Scalar::Time(v) => v.into(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum ValueKind {
    Str,
    Int,
    Num,
    Bool,
    Time,
    /// A version, compared through its sort key.
    Version,
    /// An average rating in stars, stored in hundredths.
    Stars,
}

impl ValueKind {
    fn of(kind: FieldKind) -> ValueKind {
        match kind {
            FieldKind::Integer => ValueKind::Int,
            FieldKind::Number => ValueKind::Num,
            FieldKind::Boolean => ValueKind::Bool,
            // Datetimes are stored normalised (RFC 3339, UTC, seconds), so
            // they compare as strings.
            _ => ValueKind::Str,
        }
    }

    /// The `artifact_properties` column holding values of this kind.
    pub(super) fn column(self) -> &'static str {
        match self {
            ValueKind::Int => "int_value",
            ValueKind::Num => "num_value",
            ValueKind::Bool => "bool_value",
            _ => "str_value",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Target {
    /// A column of `artifacts`.
    Column(&'static str, ValueKind),
    /// Values of a field in `artifact_properties` (key for dict entries).
    Prop {
        name: String,
        key: Option<String>,
        kind: ValueKind,
    },
    /// Keys of a dict field.
    DictKey { name: String },
}

/// One checked condition.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Cond {
    Compare {
        target: Target,
        op: FilterOp,
        values: Vec<Scalar>,
    },
    /// A version requirement; pre-releases only if it names one.
    Bounds {
        bounds: Vec<KeyBound>,
        allows_prerelease: bool,
    },
    NoPrerelease,
    TagsAll(Vec<String>),
    TagsAny(Vec<String>),
    /// Full text: every word (as a prefix) in the name, display name,
    /// description, tags or provider.
    Text(Vec<String>),
    /// The same, for words too frequent to start from: the database walks
    /// the sort order and keeps the rows that match (see `list::narrow`).
    FrequentText(Vec<String>),
}

impl Cond {
    /// True when the condition holds for every version of a sequence or for
    /// none (it reads only the sequence's type, owner and name), so that it
    /// commutes with "latest in the sequence".
    pub(super) fn per_sequence(&self) -> bool {
        matches!(
            self,
            Cond::Compare {
                target: Target::Column("name" | "owner" | "type_name", _),
                ..
            }
        )
    }
}

/// A sort key.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum SortExpr {
    Column(&'static str),
    /// A nullable column, coalesced so that keyset pagination can compare.
    NullableTime(&'static str),
    Prop(String, ValueKind),
    /// Full-text relevance of the query's words.
    Relevance,
}

#[derive(Debug, Clone, PartialEq)]
pub(super) struct SortKey {
    pub expr: SortExpr,
    pub order: SortOrder,
}

/// A checked query.
#[derive(Debug, Clone)]
pub(super) struct Plan {
    pub ty: Option<Arc<ArtifactType>>,
    pub type_name: Option<String>,
    pub all: Vec<Cond>,
    pub any: Vec<Cond>,
    pub latest: bool,
    /// The words of the full-text filter, if any (for relevance).
    pub words: Vec<String>,
    pub sort: Vec<SortKey>,
    pub limit: u64,
    pub marker: Option<String>,
}

pub(super) fn resolve_type(
    types: &TypeRegistry,
    type_name: &str,
) -> AppResult<Option<Arc<ArtifactType>>> {
    if type_name == ALL {
        return Ok(None);
    }
    types
        .get(type_name)
        .map(Some)
        .ok_or_else(|| not_found(format!("artifact type '{type_name}' does not exist")))
}

/// The words of a free-text query: runs of letters and digits, lower-cased.
pub fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

fn parse_scalar(field: &str, kind: ValueKind, datetime: bool, text: &str) -> AppResult<Scalar> {
    let bad = |what: &str| bad_request(format!("filter on '{field}': '{text}' is not {what}"));
    // A string value may contain ':' (URLs); in anything else a word before
    // ':' names an operator that does not exist.
    if !matches!(kind, ValueKind::Str)
        && let Some((op, _)) = text.split_once(':')
        && !op.is_empty()
        && op.chars().all(|c| c.is_ascii_lowercase())
    {
        return Err(bad_request(format!("unknown filter operator '{op}'")));
    }
    Ok(match kind {
        ValueKind::Str if datetime => {
            Scalar::Str(parse_datetime(text).ok_or_else(|| bad("a date and time"))?)
        }
        ValueKind::Str => Scalar::Str(text.to_owned()),
        ValueKind::Int => Scalar::Int(text.parse().map_err(|_| bad("an integer"))?),
        ValueKind::Num => Scalar::Num(text.parse().map_err(|_| bad("a number"))?),
        ValueKind::Bool => Scalar::Bool(match text.to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" => true,
            "false" | "0" | "no" => false,
            _ => return Err(bad("true or false")),
        }),
        ValueKind::Time => Scalar::Time(
            parse_datetime(text)
                .and_then(|s| DateTime::parse_from_rfc3339(&s).ok())
                .map(|d| d.with_timezone(&Utc))
                .ok_or_else(|| bad("a date and time"))?,
        ),
        ValueKind::Stars => {
            let stars: f64 = text.parse().map_err(|_| bad("a number of stars"))?;
            if !(0.0..=5.0).contains(&stars) {
                return Err(bad("between 0 and 5 stars"));
            }
            Scalar::Int((stars * 100.0).round() as i64)
        }
        ValueKind::Version => Scalar::Str(sort_key(
            &parse_version(text).map_err(|e| bad_request(format!("filter on 'version': {e}")))?,
        )),
    })
}

const CMP: &[FilterOp] = &[
    FilterOp::Eq,
    FilterOp::Neq,
    FilterOp::Gt,
    FilterOp::Gte,
    FilterOp::Lt,
    FilterOp::Lte,
    FilterOp::In,
];

/// The target of a filter key, the operators it allows, and whether its
/// values are datetimes.
fn target_of(
    ty: Option<&ArtifactType>,
    types: &TypeRegistry,
    key: &str,
) -> AppResult<(Target, Vec<FilterOp>, bool)> {
    use FilterOp::*;
    let column = |c: &'static str, k: ValueKind, ops: &[FilterOp]| {
        Ok((Target::Column(c, k), ops.to_vec(), false))
    };
    match key {
        "id" => return column("id", ValueKind::Str, &[Eq, Neq, In]),
        "name" => return column("name", ValueKind::Str, &[Eq, Neq, In, Like]),
        "owner" => return column("owner", ValueKind::Str, &[Eq, Neq, In]),
        "visibility" => return column("visibility", ValueKind::Str, &[Eq, Neq, In]),
        "status" => return column("status", ValueKind::Str, &[Eq, Neq, In]),
        "created_by" => return column("created_by", ValueKind::Str, &[Eq]),
        "type_name" => return column("type_name", ValueKind::Str, &[Eq, Neq, In]),
        "created_at" => return column("created_at", ValueKind::Time, CMP),
        "updated_at" => return column("updated_at", ValueKind::Time, CMP),
        "activated_at" => return column("activated_at", ValueKind::Time, CMP),
        "version" => return column("version_sort", ValueKind::Version, CMP),
        "downloads" => return column("downloads", ValueKind::Int, CMP),
        "rating" => return column("rating_score", ValueKind::Stars, CMP),
        "rating_count" => return column("rating_count", ValueKind::Int, CMP),
        _ => {}
    }
    let generic = types.generic_fields();
    let (name, dict_key) = match key.split_once('.') {
        Some((n, k)) => (n, Some(k)),
        None => (key, None),
    };
    let unknown = || bad_request(format!("unknown filter '{key}'"));
    let field = match ty {
        Some(ty) => ty.fields.get(name),
        None => generic.get(name),
    };
    if let Some(def) = field {
        let ops = def.effective_filter_ops();
        if ops.is_empty() {
            return Err(bad_request(format!("field '{name}' cannot be filtered")));
        }
        let kind = ValueKind::of(def.item_kind());
        let datetime = def.item_kind() == FieldKind::Datetime;
        let prop = |key: Option<&str>| Target::Prop {
            name: name.to_owned(),
            key: key.map(str::to_owned),
            kind,
        };
        return match (def.kind, dict_key) {
            (FieldKind::Dict, Some(k)) => Ok((prop(Some(k)), ops, datetime)),
            (FieldKind::Dict, None) => Ok((
                Target::DictKey {
                    name: name.to_owned(),
                },
                vec![Eq, Neq, In],
                false,
            )),
            (_, Some(_)) => Err(unknown()),
            (FieldKind::List, None) => {
                let ops = ops
                    .into_iter()
                    .filter(|o| matches!(o, Eq | Neq | In))
                    .collect();
                Ok((prop(None), ops, datetime))
            }
            _ => Ok((prop(None), ops, datetime)),
        };
    }
    if let (Some(ty), None) = (ty, dict_key)
        && let Some(link) = ty.links.get(name)
    {
        let ops = if link.multiplicity == Multiplicity::Dict {
            vec![]
        } else {
            vec![Eq, Neq, In]
        };
        return Ok((
            Target::Prop {
                name: name.to_owned(),
                key: None,
                kind: ValueKind::Str,
            },
            ops,
            false,
        ));
    }
    Err(unknown())
}

fn resolve_sort(
    ty: Option<&ArtifactType>,
    types: &TypeRegistry,
    sort: &[super::Sort],
    has_text: bool,
) -> AppResult<Vec<SortKey>> {
    let mut keys = Vec::new();
    for s in sort {
        let name = s.field.as_str();
        let expr = match name {
            "name" | "owner" | "status" | "visibility" | "type_name" | "created_at"
            | "updated_at" | "id" => SortExpr::Column(match name {
                "name" => "name",
                "owner" => "owner",
                "status" => "status",
                "visibility" => "visibility",
                "type_name" => "type_name",
                "created_at" => "created_at",
                "updated_at" => "updated_at",
                _ => "id",
            }),
            "version" => SortExpr::Column("version_sort"),
            "activated_at" => SortExpr::NullableTime("activated_at"),
            "downloads" => SortExpr::Column("downloads"),
            "rating" => SortExpr::Column("rating_score"),
            "rating_count" => SortExpr::Column("rating_count"),
            "relevance" if has_text => SortExpr::Relevance,
            "relevance" => {
                return Err(bad_request("sort by relevance needs a search text ('q')"));
            }
            other => {
                let def = match ty {
                    Some(ty) => ty.fields.get(other),
                    None => types.generic_fields().get(other),
                };
                match def {
                    Some(d) if d.sortable => {
                        SortExpr::Prop(other.to_owned(), ValueKind::of(d.kind))
                    }
                    Some(_) => {
                        return Err(bad_request(format!("field '{other}' is not sortable")));
                    }
                    None => {
                        return Err(bad_request(format!(
                            "cannot sort by unknown field '{other}'"
                        )));
                    }
                }
            }
        };
        keys.push(SortKey {
            expr,
            order: s.order,
        });
    }
    let has = |keys: &[SortKey], c: &str| {
        keys.iter()
            .any(|k| matches!(k.expr, SortExpr::Column(x) if x == c))
    };
    if !has(&keys, "created_at") {
        keys.push(SortKey {
            expr: SortExpr::Column("created_at"),
            order: SortOrder::Desc,
        });
    }
    if !has(&keys, "id") {
        keys.push(SortKey {
            expr: SortExpr::Column("id"),
            order: SortOrder::Asc,
        });
    }
    Ok(keys)
}

fn resolve_filter(
    types: &TypeRegistry,
    ty: Option<&ArtifactType>,
    filter: &Filter,
    latest_skips_prerelease: &mut bool,
) -> AppResult<Option<Cond>> {
    Ok(Some(match filter {
        Filter::Latest => return Ok(None),
        Filter::Tags(tags) => {
            Cond::TagsAll(tags.iter().filter(|t| !t.is_empty()).cloned().collect())
        }
        Filter::TagsAny(tags) => {
            Cond::TagsAny(tags.iter().filter(|t| !t.is_empty()).cloned().collect())
        }
        Filter::Text(text) => {
            let text = text.trim();
            if text.chars().count() > MAX_TEXT_CHARS {
                return Err(bad_request(format!(
                    "'q' is at most {MAX_TEXT_CHARS} characters"
                )));
            }
            if text.is_empty() {
                return Ok(None);
            }
            Cond::Text(words(text))
        }
        Filter::VersionSpec(spec) => {
            let req = parse_requirement(spec).map_err(|e| bad_request(e.to_string()))?;
            if req.allows_prerelease {
                *latest_skips_prerelease = false;
            }
            Cond::Bounds {
                bounds: req.bounds,
                allows_prerelease: req.allows_prerelease,
            }
        }
        Filter::Field { field, op, values } => {
            let (target, ops, datetime) = target_of(ty, types, field)?;
            if !ops.contains(op) {
                return Err(bad_request(format!(
                    "operator '{}' is not allowed for '{field}'",
                    op.as_str()
                )));
            }
            let kind = match &target {
                Target::Column(_, k) => *k,
                Target::Prop { kind, .. } => *kind,
                Target::DictKey { .. } => ValueKind::Str,
            };
            let values = values
                .iter()
                .map(|t| parse_scalar(field, kind, datetime, t))
                .collect::<AppResult<Vec<_>>>()?;
            Cond::Compare {
                target,
                op: *op,
                values,
            }
        }
    }))
}

/// Checks `q` against the types.
pub(super) fn plan(types: &TypeRegistry, q: &ListQuery) -> AppResult<Plan> {
    let ty = resolve_type(types, &q.type_name)?;
    if !(1..=MAX_LIMIT).contains(&q.page.limit) {
        return Err(bad_request(format!(
            "limit must be an integer from 1 to {MAX_LIMIT}"
        )));
    }
    let has_text = q
        .filters
        .iter()
        .chain(&q.any)
        .any(|f| matches!(f, Filter::Text(t) if !t.trim().is_empty()));
    let sort = resolve_sort(ty.as_deref(), types, &q.sort, has_text)?;
    let latest = q.filters.iter().chain(&q.any).any(|f| *f == Filter::Latest);
    // `latest` skips pre-releases unless a requirement asks for them.
    let mut latest_skips_prerelease = true;
    let mut all = Vec::new();
    let mut any = Vec::new();
    for (filters, out) in [(&q.filters, &mut all), (&q.any, &mut any)] {
        for f in filters {
            if let Some(c) = resolve_filter(types, ty.as_deref(), f, &mut latest_skips_prerelease)?
            {
                out.push(c);
            }
        }
    }
    if latest && latest_skips_prerelease {
        all.push(Cond::NoPrerelease);
    }
    let words: Vec<String> = all
        .iter()
        .chain(&any)
        .filter_map(|c| match c {
            Cond::Text(w) => Some(w.clone()),
            _ => None,
        })
        .flatten()
        .collect();
    Ok(Plan {
        type_name: ty.as_ref().map(|_| q.type_name.clone()),
        ty,
        all,
        any,
        latest,
        words,
        sort,
        limit: q.page.limit,
        marker: q.page.marker.clone(),
    })
}
