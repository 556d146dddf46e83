//! Listing artifacts: Glare's filters, sorting and marker pagination, run by
//! the database. Every filter becomes a condition over the `artifacts` table
//! (base fields, `version_sort`) or an `EXISTS` over the indexed
//! `artifact_properties` (type fields, tags, metadata), built for a given
//! table alias so that `version=latest` can repeat the same filters in its
//! "no higher version" subquery.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{
    Alias, Asterisk, BinOper, Condition, Expr, Func, Order, Query, SelectStatement, SimpleExpr,
    Value as SqlValue,
};
use sea_orm::{ConnectionTrait, FromQueryResult, Iterable};
use serde_json::Value;

use super::Catalog;
use super::access;
use super::artifacts::{blobs_of, view};
use crate::auth::Caller;
use crate::entities::{artifact, artifact_property};
use crate::error::{AppResult, bad_request, not_found};
use crate::types::TypeRegistry;
use crate::types::registry::{ALL, ArtifactType};
use crate::types::validate::parse_datetime;
use crate::types::{FieldKind, FilterOp, Multiplicity};
use crate::version::{KeyBound, parse_requirement, parse_version, sort_key};

pub const DEFAULT_LIMIT: u64 = 25;
pub const MAX_LIMIT: u64 = 1000;

/// One page of a list, in Glare's shape.
#[derive(Debug)]
pub struct ListPage {
    pub artifacts: Vec<Value>,
    pub type_name: String,
    pub total_count: u64,
    pub first: String,
    pub next: Option<String>,
    pub schema: String,
}

#[derive(Debug, Clone)]
enum Scalar {
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
enum ValueKind {
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

    fn column(self) -> &'static str {
        match self {
            ValueKind::Int => "int_value",
            ValueKind::Num => "num_value",
            ValueKind::Bool => "bool_value",
            _ => "str_value",
        }
    }
}

#[derive(Debug, Clone)]
enum Target {
    /// A column of `artifacts`.
    Column(&'static str, ValueKind),
    /// Values of a field in `artifact_properties` (key for dict entries).
    Prop {
        name: String,
        key: Option<String>,
        kind: ValueKind,
        datetime: bool,
    },
    /// Keys of a dict field.
    DictKey { name: String },
}

#[derive(Debug, Clone)]
enum Filter {
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
    /// Free text: in the name or the description (case-insensitive), or
    /// equal to a tag.
    Text(String),
}

#[derive(Debug, Default)]
struct Filters {
    all: Vec<Filter>,
    any: Vec<Filter>,
    latest: bool,
    type_name: Option<String>,
}

fn col(t: &Alias, c: &str) -> SimpleExpr {
    Expr::col((t.clone(), Alias::new(c))).into()
}

/// `SELECT 1 FROM artifact_properties p WHERE p.artifact_id = t.id AND
/// p.name = ? [AND p.key = ?]`. Scalars and list elements have key `''`:
/// naming it lets the (name, key, value, artifact_id) indexes seek directly.
fn prop_subquery(t: &Alias, name: &str, key: Option<&str>) -> SelectStatement {
    let p = Alias::new("p");
    let mut q = Query::select();
    q.expr(Expr::val(1))
        .from_as(artifact_property::Entity, p.clone())
        .and_where(Expr::col((p.clone(), Alias::new("name"))).eq(name))
        .and_where(
            Expr::col((p.clone(), Alias::new("artifact_id"))).equals((t.clone(), Alias::new("id"))),
        );
    if let Some(key) = key {
        q.and_where(Expr::col((p, Alias::new("key"))).eq(key));
    }
    q
}

fn compare(e: SimpleExpr, op: FilterOp, values: &[Scalar]) -> SimpleExpr {
    let first = || {
        SqlValue::from(
            values
                .first()
                .cloned()
                .unwrap_or(Scalar::Str(String::new())),
        )
    };
    let e = Expr::expr(e);
    match op {
        FilterOp::Eq => e.eq(first()),
        FilterOp::Neq => e.ne(first()),
        FilterOp::Gt => e.gt(first()),
        FilterOp::Gte => e.gte(first()),
        FilterOp::Lt => e.lt(first()),
        FilterOp::Lte => e.lte(first()),
        FilterOp::In => e.is_in(values.iter().cloned().map(SqlValue::from)),
        FilterOp::Like => {
            let pattern = match values.first() {
                Some(Scalar::Str(s)) => s.to_lowercase(),
                _ => String::new(),
            };
            Expr::expr(Func::lower(e)).like(pattern)
        }
    }
}

impl Filter {
    fn condition(&self, t: &Alias) -> SimpleExpr {
        match self {
            Filter::Compare {
                target: Target::Column(c, _),
                op,
                values,
            } => compare(col(t, c), *op, values),
            Filter::Compare {
                target: Target::Prop {
                    name, key, kind, ..
                },
                op,
                values,
            } => {
                let p = Alias::new("p");
                let value_col: SimpleExpr = Expr::col((p, Alias::new(kind.column()))).into();
                // `neq` on a list means "holds no such element".
                let (op, negate) = if *op == FilterOp::Neq {
                    (FilterOp::Eq, true)
                } else {
                    (*op, false)
                };
                let mut q = prop_subquery(t, name, Some(key.as_deref().unwrap_or("")));
                q.and_where(compare(value_col, op, values));
                if negate {
                    Expr::exists(q).not()
                } else {
                    Expr::exists(q)
                }
            }
            Filter::Compare {
                target: Target::DictKey { name },
                op,
                values,
            } => {
                let p = Alias::new("p");
                let mut q = prop_subquery(t, name, None);
                let (op, negate) = if *op == FilterOp::Neq {
                    (FilterOp::Eq, true)
                } else {
                    (*op, false)
                };
                q.and_where(compare(
                    Expr::col((p, Alias::new("key"))).into(),
                    op,
                    values,
                ));
                if negate {
                    Expr::exists(q).not()
                } else {
                    Expr::exists(q)
                }
            }
            Filter::Bounds {
                bounds,
                allows_prerelease,
            } => {
                let v = || Expr::expr(col(t, "version_sort"));
                let mut all = Condition::all();
                if !allows_prerelease {
                    all = all.add(Expr::expr(col(t, "is_prerelease")).eq(false));
                }
                for b in bounds {
                    all = all.add(match b {
                        KeyBound::Ge(k) => v().gte(k.clone()),
                        KeyBound::Gt(k) => v().gt(k.clone()),
                        KeyBound::Lt(k) => v().lt(k.clone()),
                        KeyBound::Le(k) => v().lte(k.clone()),
                        KeyBound::Eq(k) => v().eq(k.clone()),
                        KeyBound::Ne(k) => v().ne(k.clone()),
                        KeyBound::NotIn(lo, hi) => Condition::any()
                            .add(v().lt(lo.clone()))
                            .add(v().gte(hi.clone()))
                            .into(),
                    });
                }
                all.into()
            }
            Filter::NoPrerelease => Expr::expr(col(t, "is_prerelease")).eq(false),
            Filter::TagsAll(tags) => {
                let mut all = Condition::all();
                for tag in tags {
                    let mut q = prop_subquery(t, "tags", Some(""));
                    q.and_where(
                        Expr::col((Alias::new("p"), Alias::new("str_value"))).eq(tag.clone()),
                    );
                    all = all.add(Expr::exists(q));
                }
                all.into()
            }
            Filter::TagsAny(tags) => {
                let mut q = prop_subquery(t, "tags", Some(""));
                q.and_where(
                    Expr::col((Alias::new("p"), Alias::new("str_value"))).is_in(tags.clone()),
                );
                Expr::exists(q)
            }
            Filter::Text(text) => {
                let escaped: String = text
                    .to_lowercase()
                    .chars()
                    .flat_map(|c| match c {
                        '%' | '_' | '\\' => vec!['\\', c],
                        c => vec![c],
                    })
                    .collect();
                let pattern = format!("%{escaped}%");
                let like = |c: &str| {
                    Expr::expr(Func::lower(Expr::expr(col(t, c))))
                        .like(sea_orm::sea_query::LikeExpr::new(pattern.clone()).escape('\\'))
                };
                let mut q = prop_subquery(t, "tags", Some(""));
                q.and_where(Expr::col((Alias::new("p"), Alias::new("str_value"))).eq(text.clone()));
                Condition::any()
                    .add(like("name"))
                    .add(like("description"))
                    .add(Expr::exists(q))
                    .into()
            }
        }
    }
}

impl Filters {
    /// Everything but `latest`, for the rows of `t`.
    fn condition(&self, caller: &Caller, t: &Alias) -> Condition {
        let mut cond = Condition::all().add(access::visible_condition(caller, t));
        if let Some(ty) = &self.type_name {
            cond = cond.add(Expr::expr(col(t, "type_name")).eq(ty.clone()));
        }
        for f in &self.all {
            cond = cond.add(f.condition(t));
        }
        if !self.any.is_empty() {
            let mut any = Condition::any();
            for f in &self.any {
                any = any.add(f.condition(t));
            }
            cond = cond.add(any);
        }
        cond
    }

    fn full_condition(&self, caller: &Caller) -> Condition {
        let t = Alias::new("artifacts");
        let mut cond = self.condition(caller, &t);
        if self.latest {
            // No visible, matching artifact of the same sequence (type,
            // owner, name) has a higher version.
            let t2 = Alias::new("a2");
            let mut q = Query::select();
            q.expr(Expr::val(1))
                .from_as(artifact::Entity, t2.clone())
                .cond_where(self.condition(caller, &t2))
                .and_where(
                    Expr::col((t2.clone(), Alias::new("type_name")))
                        .equals((t.clone(), Alias::new("type_name"))),
                )
                .and_where(
                    Expr::col((t2.clone(), Alias::new("owner")))
                        .equals((t.clone(), Alias::new("owner"))),
                )
                .and_where(
                    Expr::col((t2.clone(), Alias::new("name")))
                        .equals((t.clone(), Alias::new("name"))),
                )
                .and_where(
                    Expr::col((t2, Alias::new("version_sort")))
                        .gt(Expr::col((t.clone(), Alias::new("version_sort")))),
                );
            cond = cond.add(Expr::exists(q).not());
        }
        cond
    }
}

/// Splits `a,b,"c,d"` on commas outside double quotes.
pub fn split_quoted(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    for c in s.chars() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => out.push(std::mem::take(&mut cur)),
            c => cur.push(c),
        }
    }
    out.push(cur);
    out
}

fn parse_scalar(field: &str, kind: ValueKind, datetime: bool, text: &str) -> AppResult<Scalar> {
    let bad = |what: &str| bad_request(format!("filter on '{field}': '{text}' is not {what}"));
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

/// The target of a filter key and the operators it allows.
fn target_of(
    ty: Option<&ArtifactType>,
    types: &TypeRegistry,
    key: &str,
) -> AppResult<(Target, Vec<FilterOp>)> {
    use FilterOp::*;
    let column =
        |c: &'static str, k: ValueKind, ops: &[FilterOp]| Ok((Target::Column(c, k), ops.to_vec()));
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
        return match (def.kind, dict_key) {
            (FieldKind::Dict, Some(k)) => Ok((
                Target::Prop {
                    name: name.to_owned(),
                    key: Some(k.to_owned()),
                    kind,
                    datetime,
                },
                ops,
            )),
            (FieldKind::Dict, None) => Ok((
                Target::DictKey {
                    name: name.to_owned(),
                },
                vec![Eq, Neq, In],
            )),
            (_, Some(_)) => Err(unknown()),
            (FieldKind::List, None) => {
                let ops = ops
                    .into_iter()
                    .filter(|o| matches!(o, Eq | Neq | In))
                    .collect();
                Ok((
                    Target::Prop {
                        name: name.to_owned(),
                        key: None,
                        kind,
                        datetime,
                    },
                    ops,
                ))
            }
            _ => Ok((
                Target::Prop {
                    name: name.to_owned(),
                    key: None,
                    kind,
                    datetime,
                },
                ops,
            )),
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
                datetime: false,
            },
            ops,
        ));
    }
    Err(unknown())
}

#[derive(Debug, Clone)]
struct SortKey {
    expr: SortExpr,
    order: Order,
}

#[derive(Debug, Clone)]
enum SortExpr {
    Column(&'static str),
    /// A nullable column, coalesced so that keyset pagination can compare.
    NullableTime(&'static str),
    Prop(String, ValueKind),
}

impl SortExpr {
    fn expr(&self, t: &Alias) -> SimpleExpr {
        match self {
            SortExpr::Column(c) => col(t, c),
            SortExpr::NullableTime(c) => {
                let epoch = DateTime::<Utc>::UNIX_EPOCH;
                Func::coalesce([col(t, c), Expr::val(epoch).into()]).into()
            }
            SortExpr::Prop(name, kind) => {
                let p = Alias::new("p");
                let mut q = prop_subquery(t, name, Some(""));
                q.clear_selects();
                q.column((p, Alias::new(kind.column()))).limit(1);
                let sentinel: SimpleExpr = match kind {
                    ValueKind::Int => Expr::val(i64::MIN).into(),
                    ValueKind::Num => Expr::val(-1.0e300_f64).into(),
                    ValueKind::Bool => Expr::val(false).into(),
                    _ => Expr::val("").into(),
                };
                Func::coalesce([
                    SimpleExpr::SubQuery(None, Box::new(q.into_sub_query_statement())),
                    sentinel,
                ])
                .into()
            }
        }
    }
}

fn parse_sort(
    ty: Option<&ArtifactType>,
    types: &TypeRegistry,
    text: Option<&str>,
) -> AppResult<Vec<SortKey>> {
    let mut keys = Vec::new();
    for part in text
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        let (name, dir) = match part.split_once(':') {
            Some((n, d)) => (n, d),
            None => (part, "desc"),
        };
        let order = match dir {
            "asc" => Order::Asc,
            "desc" => Order::Desc,
            _ => {
                return Err(bad_request(format!(
                    "sort direction must be asc or desc, not '{dir}'"
                )));
            }
        };
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
            "downloads" => SortExpr::Column("downloads"),
            "rating" => SortExpr::Column("rating_score"),
            "rating_count" => SortExpr::Column("rating_count"),
            "activated_at" => SortExpr::NullableTime("activated_at"),
            field => {
                let def = match ty {
                    Some(ty) => ty.fields.get(field),
                    None => types.generic_fields().get(field),
                };
                match def {
                    Some(def) if def.sortable => {
                        SortExpr::Prop(field.to_owned(), ValueKind::of(def.kind))
                    }
                    Some(_) => return Err(bad_request(format!("field '{field}' is not sortable"))),
                    None => {
                        return Err(bad_request(format!(
                            "cannot sort by unknown field '{field}'"
                        )));
                    }
                }
            }
        };
        keys.push(SortKey { expr, order });
    }
    let has = |keys: &[SortKey], c: &str| {
        keys.iter()
            .any(|k| matches!(k.expr, SortExpr::Column(x) if x == c))
    };
    if !has(&keys, "created_at") {
        keys.push(SortKey {
            expr: SortExpr::Column("created_at"),
            order: Order::Desc,
        });
    }
    if !has(&keys, "id") {
        keys.push(SortKey {
            expr: SortExpr::Column("id"),
            order: Order::Asc,
        });
    }
    Ok(keys)
}

fn parse_filters(
    types: &TypeRegistry,
    ty: Option<&ArtifactType>,
    type_name: &str,
    params: &[(String, String)],
) -> AppResult<Filters> {
    let mut filters = Filters {
        type_name: ty.map(|_| type_name.to_owned()),
        ..Filters::default()
    };
    // `latest` skips pre-releases unless a requirement asks for them.
    let mut latest_skips_prerelease = true;
    for (key, raw) in params {
        match key.as_str() {
            "limit" | "marker" | "sort" => continue,
            "tags" => {
                filters.all.push(Filter::TagsAll(
                    split_quoted(raw)
                        .into_iter()
                        .filter(|t| !t.is_empty())
                        .collect(),
                ));
                continue;
            }
            "q" => {
                let text = raw.trim();
                if text.chars().count() > 200 {
                    return Err(bad_request("'q' is at most 200 characters"));
                }
                if !text.is_empty() {
                    filters.all.push(Filter::Text(text.to_owned()));
                }
                continue;
            }
            "tags-any" => {
                filters.all.push(Filter::TagsAny(
                    split_quoted(raw)
                        .into_iter()
                        .filter(|t| !t.is_empty())
                        .collect(),
                ));
                continue;
            }
            _ => {}
        }
        let (target, ops) = target_of(ty, types, key)?;
        let (any, rest) = if let Some(r) = raw.strip_prefix("or:") {
            (true, r)
        } else if let Some(r) = raw.strip_prefix("and:") {
            (false, r)
        } else {
            (false, raw.as_str())
        };
        let bucket = |f: Filter, filters: &mut Filters| {
            if any {
                filters.any.push(f)
            } else {
                filters.all.push(f)
            }
        };
        if key == "version" {
            if rest == "latest" {
                filters.latest = true;
                continue;
            }
            if let Some(spec) = rest.strip_prefix("spec:") {
                let req = parse_requirement(spec).map_err(|e| bad_request(e.to_string()))?;
                if req.allows_prerelease {
                    latest_skips_prerelease = false;
                }
                bucket(
                    Filter::Bounds {
                        bounds: req.bounds,
                        allows_prerelease: req.allows_prerelease,
                    },
                    &mut filters,
                );
                continue;
            }
        }
        let (kind, datetime) = match &target {
            Target::Column(_, k) => (*k, false),
            Target::Prop { kind, datetime, .. } => (*kind, *datetime),
            Target::DictKey { .. } => (ValueKind::Str, false),
        };
        let (op, value) = match rest.split_once(':') {
            Some((op, v)) => match FilterOp::parse(op) {
                Some(op) => (op, v),
                // A string value may contain ':' (URLs); anything else with
                // a word before ':' names an operator that does not exist.
                None if kind != ValueKind::Str
                    && !op.is_empty()
                    && op.chars().all(|c| c.is_ascii_lowercase()) =>
                {
                    return Err(bad_request(format!("unknown filter operator '{op}'")));
                }
                None => (FilterOp::Eq, rest),
            },
            None => (FilterOp::Eq, rest),
        };
        if !ops.contains(&op) {
            return Err(bad_request(format!(
                "operator '{}' is not allowed for '{key}'",
                op.as_str()
            )));
        }
        let texts = if op == FilterOp::In {
            split_quoted(value)
        } else {
            vec![value.to_owned()]
        };
        let values = texts
            .iter()
            .map(|t| parse_scalar(key, kind, datetime, t))
            .collect::<AppResult<Vec<_>>>()?;
        bucket(Filter::Compare { target, op, values }, &mut filters);
    }
    if filters.latest && latest_skips_prerelease {
        filters.all.push(Filter::NoPrerelease);
    }
    Ok(filters)
}

fn query_string(params: &[(String, String)], marker: Option<&str>) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in params.iter().filter(|(k, _)| k != "marker") {
        s.append_pair(k, v);
    }
    if let Some(m) = marker {
        s.append_pair("marker", m);
    }
    s.finish()
}

/// What [`list`] reads from its parameters before it asks the database.
struct ListQuery<'a> {
    ty: Option<Arc<ArtifactType>>,
    limit: u64,
    sort: Vec<SortKey>,
    marker: Option<&'a str>,
    filters: Filters,
}

fn parse_list_query<'a>(
    types: &TypeRegistry,
    type_name: &str,
    params: &'a [(String, String)],
) -> AppResult<ListQuery<'a>> {
    let ty: Option<Arc<ArtifactType>> = if type_name == ALL {
        None
    } else {
        Some(
            types
                .get(type_name)
                .ok_or_else(|| not_found(format!("artifact type '{type_name}' does not exist")))?,
        )
    };
    let single = |name: &str| -> AppResult<Option<&'a str>> {
        let mut found = params.iter().filter(|(k, _)| k == name);
        let first = found.next().map(|(_, v)| v.as_str());
        if found.next().is_some() {
            return Err(bad_request(format!("'{name}' may be given once")));
        }
        Ok(first)
    };
    let limit = match single("limit")? {
        None => DEFAULT_LIMIT,
        Some(l) => l
            .parse::<u64>()
            .ok()
            .filter(|l| (1..=MAX_LIMIT).contains(l))
            .ok_or_else(|| {
                bad_request(format!("limit must be an integer from 1 to {MAX_LIMIT}"))
            })?,
    };
    let sort = parse_sort(ty.as_deref(), types, single("sort")?)?;
    let marker = single("marker")?;
    let filters = parse_filters(types, ty.as_deref(), type_name, params)?;
    Ok(ListQuery {
        ty,
        limit,
        sort,
        marker,
        filters,
    })
}

/// The parsing [`list`] does before it asks the database, without one (for
/// tests and fuzzing): the type, `limit`, `sort`, `marker` and every filter
/// of `params` checked as `list` checks them, then turned into the query
/// `list` would run for `caller` (without the marker's seek condition),
/// returned as SQLite SQL text.
pub fn parse_query(
    types: &TypeRegistry,
    caller: &Caller,
    type_name: &str,
    params: &[(String, String)],
) -> AppResult<String> {
    let q = parse_list_query(types, type_name, params)?;
    let t = Alias::new("artifacts");
    let mut select = Query::select();
    select
        .columns(artifact::Column::iter().map(|c| (artifact::Entity, c)))
        .from(artifact::Entity)
        .cond_where(q.filters.full_condition(caller));
    for key in &q.sort {
        select.order_by_expr(key.expr.expr(&t), key.order.clone());
    }
    select.limit(q.limit);
    Ok(select.to_string(sea_orm::sea_query::SqliteQueryBuilder))
}

/// `GET /artifacts/{type}`.
pub async fn list(
    catalog: &Catalog,
    caller: &Caller,
    type_name: &str,
    params: &[(String, String)],
) -> AppResult<ListPage> {
    let ListQuery {
        ty,
        limit,
        sort,
        marker,
        filters,
    } = parse_list_query(&catalog.types, type_name, params)?;
    let cond = filters.full_condition(caller);
    let backend = catalog.db.get_database_backend();
    let t = Alias::new("artifacts");

    let mut count = Query::select();
    count
        .expr_as(Func::count(Expr::col(Asterisk)), Alias::new("n"))
        .from(artifact::Entity)
        .cond_where(cond.clone());
    let total_count = catalog
        .db
        .query_one(backend.build(&count))
        .await?
        .map(|row| row.try_get::<i64>("", "n"))
        .transpose()?
        .unwrap_or(0);

    let mut select = Query::select();
    select
        .columns(artifact::Column::iter().map(|c| (artifact::Entity, c)))
        .from(artifact::Entity)
        .cond_where(cond);
    if let Some(marker) = marker {
        // The marker must itself be a row of this listing.
        let mut check = Query::select();
        check
            .expr(Expr::val(1))
            .from(artifact::Entity)
            .cond_where(access::visible_condition(caller, &t))
            .and_where(Expr::col((t.clone(), Alias::new("id"))).eq(marker));
        if let Some(ty) = &filters.type_name {
            check.and_where(Expr::col((t.clone(), Alias::new("type_name"))).eq(ty.clone()));
        }
        if catalog.db.query_one(backend.build(&check)).await?.is_none() {
            return Err(bad_request(format!(
                "marker {marker} is not an artifact in this list"
            )));
        }
        let m = Alias::new("m");
        let marker_value = |k: &SortKey| -> SimpleExpr {
            let mut q = Query::select();
            q.expr(k.expr.expr(&m))
                .from_as(artifact::Entity, m.clone())
                .and_where(Expr::col((m.clone(), Alias::new("id"))).eq(marker));
            SimpleExpr::SubQuery(None, Box::new(q.into_sub_query_statement()))
        };
        let mut seek = Condition::any();
        for (i, key) in sort.iter().enumerate() {
            let mut step = Condition::all();
            for prev in &sort[..i] {
                step = step
                    .add(Expr::expr(prev.expr.expr(&t)).binary(BinOper::Equal, marker_value(prev)));
            }
            let op = if matches!(key.order, Order::Asc) {
                BinOper::GreaterThan
            } else {
                BinOper::SmallerThan
            };
            step = step.add(Expr::expr(key.expr.expr(&t)).binary(op, marker_value(key)));
            seek = seek.add(step);
        }
        select.cond_where(seek);
    }
    for key in &sort {
        select.order_by_expr(key.expr.expr(&t), key.order.clone());
    }
    select.limit(limit);
    let rows = artifact::Model::find_by_statement(backend.build(&select))
        .all(&catalog.db)
        .await?;

    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let mut blobs = blobs_of(catalog, &ids).await?;
    let mut artifacts = Vec::with_capacity(rows.len());
    for row in &rows {
        let row_ty = match &ty {
            Some(ty) => ty.clone(),
            None => match catalog.types.get(&row.type_name) {
                Some(t) => t,
                None => continue,
            },
        };
        artifacts.push(view(
            &row_ty,
            row,
            &blobs.remove(&row.id).unwrap_or_default(),
        ));
    }
    let base = format!("/artifacts/{type_name}");
    let first = match query_string(params, None) {
        q if q.is_empty() => base.clone(),
        q => format!("{base}?{q}"),
    };
    let next = (rows.len() as u64 == limit)
        .then(|| {
            rows.last()
                .map(|r| format!("{base}?{}", query_string(params, Some(&r.id))))
        })
        .flatten();
    Ok(ListPage {
        artifacts,
        type_name: type_name.to_owned(),
        total_count: u64::try_from(total_count).unwrap_or(0),
        first,
        next,
        schema: format!("/schemas/{type_name}"),
    })
}

/// What to count in [`facets`]: a field's values (dict entries by key), or
/// the artifact types.
#[derive(Debug, Clone, Copy)]
pub enum FacetOf<'a> {
    Field { name: &'a str, key: &'a str },
    Type,
}

/// How many of the artifacts a listing matches have each value of a field
/// (most frequent first, at most `limit`), counted by the database over the
/// same filters and visibility as the listing.
pub async fn facets(
    catalog: &Catalog,
    caller: &Caller,
    type_name: &str,
    params: &[(String, String)],
    of: FacetOf<'_>,
    limit: u64,
) -> AppResult<Vec<(String, u64)>> {
    let ty: Option<Arc<ArtifactType>> = if type_name == ALL {
        None
    } else {
        Some(
            catalog
                .types
                .get(type_name)
                .ok_or_else(|| not_found(format!("artifact type '{type_name}' does not exist")))?,
        )
    };
    let filters = parse_filters(&catalog.types, ty.as_deref(), type_name, params)?;
    let cond = filters.full_condition(caller);
    let backend = catalog.db.get_database_backend();
    let mut q = Query::select();
    match of {
        FacetOf::Type => {
            q.expr_as(
                Expr::col((artifact::Entity, artifact::Column::TypeName)),
                Alias::new("v"),
            )
            .expr_as(Func::count(Expr::col(Asterisk)), Alias::new("n"))
            .from(artifact::Entity)
            .cond_where(cond)
            .group_by_col((artifact::Entity, artifact::Column::TypeName));
        }
        FacetOf::Field { name, key } => {
            let p = Alias::new("fp");
            let mut ids = Query::select();
            ids.column((artifact::Entity, artifact::Column::Id))
                .from(artifact::Entity)
                .cond_where(cond);
            q.expr_as(
                Expr::col((p.clone(), Alias::new("str_value"))),
                Alias::new("v"),
            )
            .expr_as(
                Func::count_distinct(Expr::col((p.clone(), Alias::new("artifact_id")))),
                Alias::new("n"),
            )
            .from_as(artifact_property::Entity, p.clone())
            .and_where(Expr::col((p.clone(), Alias::new("name"))).eq(name))
            .and_where(Expr::col((p.clone(), Alias::new("key"))).eq(key))
            .and_where(Expr::col((p.clone(), Alias::new("str_value"))).is_not_null())
            .and_where(Expr::col((p.clone(), Alias::new("artifact_id"))).in_subquery(ids))
            .group_by_col((p, Alias::new("str_value")));
        }
    }
    q.order_by(Alias::new("n"), Order::Desc)
        .order_by(Alias::new("v"), Order::Asc)
        .limit(limit);
    let rows = catalog.db.query_all(backend.build(&q)).await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let value: String = row.try_get("", "v")?;
        let count: i64 = row.try_get("", "n")?;
        out.push((value, u64::try_from(count).unwrap_or(0)));
    }
    Ok(out)
}
