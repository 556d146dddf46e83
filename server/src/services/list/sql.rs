//! A [`Plan`] as SQL. Every condition is built for a given table alias, so
//! that `version=latest` can repeat the same conditions in its "no higher
//! version" subquery where it must.
//!
//! Query shapes are chosen so that their plans do not depend on table
//! statistics:
//! - base fields are columns of `artifacts` with their own indexes;
//! - type fields, tags and metadata are `EXISTS` over the indexed
//!   `artifact_properties` (name, key, value, artifact id);
//! - `version=latest` reads the markers the database keeps per sequence
//!   (`latest_all`, `latest_public`) whenever the other conditions hold for
//!   whole sequences; otherwise it is "no matching, visible version of the
//!   sequence is higher";
//! - full text is an FTS5 match (SQLite) or a `tsvector` match (PostgreSQL).

use sea_orm::DbBackend;
use sea_orm::sea_query::{
    Alias, BinOper, Condition, Expr, Func, Iden, Order, Query, SelectStatement, SimpleExpr,
    Value as SqlValue,
};

use super::SortOrder;
use super::query::{Cond, Plan, Scalar, SortExpr, SortKey, Target, ValueKind};
use crate::caller::Caller;
use crate::entities::{artifact, artifact_property};
use crate::services::access;
use crate::types::FilterOp;
use crate::version::KeyBound;

pub(super) fn col(t: &Alias, c: &str) -> SimpleExpr {
    Expr::col((t.clone(), Alias::new(c))).into()
}

impl From<SortOrder> for Order {
    fn from(o: SortOrder) -> Order {
        match o {
            SortOrder::Asc => Order::Asc,
            SortOrder::Desc => Order::Desc,
        }
    }
}

/// `SELECT 1 FROM artifact_properties p WHERE p.artifact_id = t.id AND
/// p.name = ? [AND p.key = ?]`. Scalars and list elements have key `''`:
/// naming it lets the (name, key, value, artifact_id) indexes seek directly.
pub(super) fn prop_subquery(t: &Alias, name: &str, key: Option<&str>) -> SelectStatement {
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

/// `EXISTS (q)`, or `NOT EXISTS` for `neq` (on a list: "holds no such
/// element"), with `neq` itself compared as `eq`.
fn exists_or_not(q: SelectStatement, negate: bool) -> SimpleExpr {
    if negate {
        Expr::exists(q).not()
    } else {
        Expr::exists(q)
    }
}

/// The FTS5 query of `words`: each a prefix, all required. Words are
/// letters and digits only, so quoting them is enough.
pub(super) fn fts5_query(words: &[String]) -> String {
    words
        .iter()
        .map(|w| format!("\"{w}\"*"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The `tsquery` of `words` (parsed by `to_tsquery('simple', ...)`).
fn tsquery(words: &[String]) -> String {
    words
        .iter()
        .map(|w| format!("{w}:*"))
        .collect::<Vec<_>>()
        .join(" & ")
}

fn quoted(t: &Alias) -> String {
    format!("\"{}\"", Iden::to_string(t).replace('"', "\"\""))
}

/// Rows matching `words`. `frequent`: on SQLite the match is only a filter
/// (the unary `+` keeps the planner from starting at the full-text index and
/// sorting every match), so that a page of a frequent word is found by
/// walking the sort order; PostgreSQL plans from its statistics of the
/// `tsvector` either way.
fn text_condition(backend: DbBackend, t: &Alias, words: &[String], frequent: bool) -> SimpleExpr {
    if words.is_empty() {
        // Nothing searchable (only punctuation): nothing matches.
        return Expr::val(1).eq(0);
    }
    let t = quoted(t);
    match backend {
        DbBackend::Postgres => Expr::cust_with_values(
            format!("{t}.\"search_tsv\" @@ to_tsquery('simple', $1)"),
            [tsquery(words)],
        ),
        _ => Expr::cust_with_values(
            format!(
                "{}{t}.\"id\" IN (SELECT d.artifact_id FROM artifacts_fts \
                 JOIN search_docs d ON d.doc = artifacts_fts.rowid WHERE artifacts_fts MATCH ?)",
                if frequent { "+" } else { "" }
            ),
            [fts5_query(words)],
        ),
    }
}

/// Higher is more relevant.
fn relevance(backend: DbBackend, t: &Alias, words: &[String]) -> SimpleExpr {
    if words.is_empty() {
        return Expr::val(0.0).into();
    }
    let t = quoted(t);
    match backend {
        DbBackend::Postgres => Expr::cust_with_values(
            format!("ts_rank({t}.\"search_tsv\", to_tsquery('simple', $1))"),
            [tsquery(words)],
        ),
        // bm25 is lower for better matches; name and display name weigh
        // most, then tags, provider and description.
        _ => Expr::cust_with_values(
            format!(
                "coalesce(-(SELECT bm25(artifacts_fts, 10.0, 10.0, 1.0, 5.0, 2.0) FROM artifacts_fts \
                 WHERE artifacts_fts MATCH ? AND artifacts_fts.rowid = \
                 (SELECT doc FROM search_docs WHERE artifact_id = {t}.\"id\")), 0.0)"
            ),
            [fts5_query(words)],
        ),
    }
}

impl Cond {
    fn condition(&self, backend: DbBackend, t: &Alias) -> SimpleExpr {
        match self {
            Cond::Compare {
                target: Target::Column(c, _),
                op,
                values,
            } => compare(col(t, c), *op, values),
            Cond::Compare {
                target: Target::Prop { name, key, kind },
                op,
                values,
            } => {
                let p = Alias::new("p");
                let value_col: SimpleExpr = Expr::col((p, Alias::new(kind.column()))).into();
                let negate = *op == FilterOp::Neq;
                let op = if negate { FilterOp::Eq } else { *op };
                let mut q = prop_subquery(t, name, Some(key.as_deref().unwrap_or("")));
                q.and_where(compare(value_col, op, values));
                exists_or_not(q, negate)
            }
            Cond::Compare {
                target: Target::DictKey { name },
                op,
                values,
            } => {
                let p = Alias::new("p");
                let mut q = prop_subquery(t, name, None);
                let negate = *op == FilterOp::Neq;
                let op = if negate { FilterOp::Eq } else { *op };
                q.and_where(compare(
                    Expr::col((p, Alias::new("key"))).into(),
                    op,
                    values,
                ));
                exists_or_not(q, negate)
            }
            Cond::Bounds {
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
            Cond::NoPrerelease => Expr::expr(col(t, "is_prerelease")).eq(false),
            Cond::TagsAll(tags) => {
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
            Cond::TagsAny(tags) => {
                let mut q = prop_subquery(t, "tags", Some(""));
                q.and_where(
                    Expr::col((Alias::new("p"), Alias::new("str_value"))).is_in(tags.clone()),
                );
                Expr::exists(q)
            }
            Cond::Text(words) => text_condition(backend, t, words, false),
            Cond::FrequentText(words) => text_condition(backend, t, words, true),
        }
    }
}

impl SortExpr {
    pub(super) fn expr(&self, backend: DbBackend, t: &Alias, words: &[String]) -> SimpleExpr {
        match self {
            SortExpr::Column(c) => col(t, c),
            SortExpr::NullableTime(c) => {
                let epoch = chrono::DateTime::<chrono::Utc>::UNIX_EPOCH;
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
            SortExpr::Relevance => relevance(backend, t, words),
        }
    }
}

/// Same sequence (type, owner, name) as `t`, in `t2`.
fn same_sequence(q: &mut SelectStatement, t: &Alias, t2: &Alias) {
    for c in ["type_name", "owner", "name"] {
        q.and_where(Expr::col((t2.clone(), Alias::new(c))).equals((t.clone(), Alias::new(c))));
    }
}

impl Plan {
    /// Everything but `latest`, for the rows of `t`.
    fn condition(&self, backend: DbBackend, caller: &Caller, t: &Alias) -> Condition {
        let mut cond = Condition::all().add(access::visible_condition(caller, t));
        if let Some(ty) = &self.type_name {
            cond = cond.add(Expr::expr(col(t, "type_name")).eq(ty.clone()));
        }
        for f in &self.all {
            cond = cond.add(f.condition(backend, t));
        }
        if !self.any.is_empty() {
            let mut any = Condition::any();
            for f in &self.any {
                any = any.add(f.condition(backend, t));
            }
            cond = cond.add(any);
        }
        cond
    }

    /// Whether "latest" can come from the markers: every other condition
    /// holds for whole sequences, and pre-releases are skipped.
    fn markers_apply(&self) -> bool {
        self.all.contains(&Cond::NoPrerelease)
            && self
                .all
                .iter()
                .chain(&self.any)
                .all(|c| c.per_sequence() || *c == Cond::NoPrerelease)
    }

    /// "No visible release version of `t`'s sequence is higher", for the
    /// caller.
    fn none_higher_visible(caller: &Caller, t: &Alias) -> SimpleExpr {
        let t2 = Alias::new("a2");
        let mut q = Query::select();
        q.expr(Expr::val(1))
            .from_as(artifact::Entity, t2.clone())
            .cond_where(access::visible_condition(caller, &t2))
            .and_where(Expr::col((t2.clone(), Alias::new("is_prerelease"))).eq(false))
            .and_where(
                Expr::col((t2.clone(), Alias::new("version_sort")))
                    .gt(Expr::col((t.clone(), Alias::new("version_sort")))),
            );
        same_sequence(&mut q, t, &t2);
        Expr::exists(q).not()
    }

    /// The latest release version of each sequence, as the caller sees the
    /// sequence, from the markers.
    fn latest_from_markers(caller: &Caller, t: &Alias) -> SimpleExpr {
        let c = |name: &str| Expr::expr(col(t, name));
        if caller.is_admin() {
            return c("latest_all").eq(true);
        }
        let Some(tenant) = caller.tenant() else {
            return c("latest_public").eq(true);
        };
        let owned = caller.is_member_of(tenant);
        let not_owned = || {
            if owned {
                c("owner").ne(tenant)
            } else {
                Expr::val(1).eq(1)
            }
        };
        // Another tenant's sequence: its latest public version, unless a
        // version shared with the caller is higher; or such a shared
        // version with nothing visible above it.
        let mut any = Condition::any()
            .add(
                Condition::all()
                    .add(not_owned())
                    .add(c("latest_public").eq(true))
                    .add(Self::none_higher_visible(caller, t)),
            )
            .add(
                Condition::all()
                    .add(not_owned())
                    .add(c("visibility").eq(access::SHARED))
                    .add(c("is_prerelease").eq(false))
                    .add(Self::none_higher_visible(caller, t)),
            );
        if owned {
            any = any.add(
                Condition::all()
                    .add(c("owner").eq(tenant))
                    .add(c("latest_all").eq(true)),
            );
        }
        any.into()
    }

    /// The whole condition of the listing, for the rows of `artifacts`.
    pub(super) fn full_condition(&self, backend: DbBackend, caller: &Caller) -> Condition {
        let t = Alias::new("artifacts");
        let mut cond = self.condition(backend, caller, &t);
        if self.latest {
            if self.markers_apply() {
                cond = cond.add(Self::latest_from_markers(caller, &t));
            } else {
                // No visible, matching artifact of the same sequence has a
                // higher version.
                let t2 = Alias::new("a2");
                let mut q = Query::select();
                q.expr(Expr::val(1))
                    .from_as(artifact::Entity, t2.clone())
                    .cond_where(self.condition(backend, caller, &t2))
                    .and_where(
                        Expr::col((t2.clone(), Alias::new("version_sort")))
                            .gt(Expr::col((t.clone(), Alias::new("version_sort")))),
                    );
                same_sequence(&mut q, &t, &t2);
                cond = cond.add(Expr::exists(q).not());
            }
        }
        cond
    }

    /// Rows after the marker row in the sort order (keyset pagination).
    pub(super) fn seek(&self, backend: DbBackend, marker: &str) -> Condition {
        let t = Alias::new("artifacts");
        let m = Alias::new("m");
        let marker_value = |k: &SortKey| -> SimpleExpr {
            let mut q = Query::select();
            q.expr(k.expr.expr(backend, &m, &self.words))
                .from_as(artifact::Entity, m.clone())
                .and_where(Expr::col((m.clone(), Alias::new("id"))).eq(marker));
            SimpleExpr::SubQuery(None, Box::new(q.into_sub_query_statement()))
        };
        let mut seek = Condition::any();
        for (i, key) in self.sort.iter().enumerate() {
            let mut step = Condition::all();
            for prev in &self.sort[..i] {
                step = step.add(
                    Expr::expr(prev.expr.expr(backend, &t, &self.words))
                        .binary(BinOper::Equal, marker_value(prev)),
                );
            }
            let op = match key.order {
                SortOrder::Asc => BinOper::GreaterThan,
                SortOrder::Desc => BinOper::SmallerThan,
            };
            step = step.add(
                Expr::expr(key.expr.expr(backend, &t, &self.words)).binary(op, marker_value(key)),
            );
            seek = seek.add(step);
        }
        seek
    }

    pub(super) fn order(&self, backend: DbBackend, select: &mut SelectStatement) {
        let t = Alias::new("artifacts");
        for key in &self.sort {
            select.order_by_expr(key.expr.expr(backend, &t, &self.words), key.order.into());
        }
    }
}
