//! Listing artifacts: typed filters, sorting and keyset pagination, run by
//! the database. The REST API reads Glare's query string into a
//! [`ListQuery`] (`api/query.rs`); the pages and the CLI build one directly.
//! [`query`] checks it against the types, [`sql`] turns it into SQL.
//!
//! Counts and facets are cached per query shape and caller scope while the
//! list generation (a counter the database raises in every transaction that
//! changes artifacts, their properties or members) stays the same, so a
//! repeated listing does not count the catalog again.

mod query;
mod sql;

use std::collections::HashMap;
use std::sync::Mutex;

use sea_orm::sea_query::{Alias, Asterisk, Expr, Func, Order, Query, SelectStatement};
use sea_orm::{ColumnTrait, ConnectionTrait, DbBackend, FromQueryResult, Iterable, Statement};

use self::query::{Cond, Plan, Scalar, SortExpr, Target, ValueKind};
pub use self::query::{MAX_TEXT_CHARS, words};
use super::Catalog;
use super::access;
use super::artifacts::{blobs_of, view};
use super::view::ArtifactView;
use crate::caller::Caller;
use crate::entities::{artifact, artifact_property};
use crate::error::{AppResult, bad_request};
use crate::types::{FilterOp, TypeRegistry};

pub const DEFAULT_LIMIT: u64 = 25;
pub const MAX_LIMIT: u64 = 1000;

/// A listing: artifacts of one type (or `all`), the conditions they meet
/// (all of `filters`, and one of `any` when it is not empty), their order
/// and the page.
#[derive(Debug, Clone, PartialEq)]
pub struct ListQuery {
    pub type_name: String,
    pub filters: Vec<Filter>,
    pub any: Vec<Filter>,
    pub sort: Vec<Sort>,
    pub page: PageRequest,
}

impl ListQuery {
    /// Every artifact of `type_name` the caller may read, newest first.
    pub fn new(type_name: impl Into<String>) -> ListQuery {
        ListQuery {
            type_name: type_name.into(),
            filters: Vec::new(),
            any: Vec::new(),
            sort: Vec::new(),
            page: PageRequest::default(),
        }
    }

    pub fn filter(mut self, f: Filter) -> ListQuery {
        self.filters.push(f);
        self
    }

    /// `field = value`.
    pub fn eq(self, field: &str, value: impl Into<String>) -> ListQuery {
        self.filter(Filter::field(field, FilterOp::Eq, value))
    }

    pub fn sort(mut self, field: &str, order: SortOrder) -> ListQuery {
        self.sort.push(Sort {
            field: field.to_owned(),
            order,
        });
        self
    }

    pub fn limit(mut self, limit: u64) -> ListQuery {
        self.page.limit = limit;
        self
    }

    pub fn marker(mut self, marker: Option<String>) -> ListQuery {
        self.page.marker = marker;
        self
    }
}

/// One condition of a listing.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    /// A base field (`name`, `owner`, `status`, `version`, `created_at`,
    /// ...) or a field of the type (`license`, dict entries as
    /// `metadata.key`), compared with `op` to `values` (several for `in`),
    /// each written as text and read as the field's kind.
    Field {
        field: String,
        op: FilterOp,
        values: Vec<String>,
    },
    /// A version requirement (`>=1.2, <2`, `^1.4`, ...).
    VersionSpec(String),
    /// The highest matching version of each sequence (type, owner, name),
    /// pre-releases skipped unless a requirement names one.
    Latest,
    /// Holds every one of these tags.
    Tags(Vec<String>),
    /// Holds at least one of these tags.
    TagsAny(Vec<String>),
    /// Full text: every word, as a prefix, in the name, display name,
    /// description, tags or provider.
    Text(String),
}

impl Filter {
    pub fn field(field: &str, op: FilterOp, value: impl Into<String>) -> Filter {
        Filter::Field {
            field: field.to_owned(),
            op,
            values: vec![value.into()],
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortOrder {
    Asc,
    Desc,
}

/// A sort key: a base field, a sortable field of the type, or `relevance`
/// (with a full-text filter). Ties are broken by `created_at` (newest
/// first) and then `id`.
#[derive(Debug, Clone, PartialEq)]
pub struct Sort {
    pub field: String,
    pub order: SortOrder,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PageRequest {
    /// 1 to [`MAX_LIMIT`].
    pub limit: u64,
    /// The id of the last artifact of the previous page.
    pub marker: Option<String>,
}

impl Default for PageRequest {
    fn default() -> Self {
        PageRequest {
            limit: DEFAULT_LIMIT,
            marker: None,
        }
    }
}

/// One page of a listing.
#[derive(Debug, Clone)]
pub struct ListPage {
    pub artifacts: Vec<ArtifactView>,
    /// How many artifacts the whole listing holds.
    pub total_count: u64,
    /// The marker of the next page, when this page is full.
    pub next_marker: Option<String>,
}

/// Counts and facets by query shape, valid for one list generation.
#[derive(Debug, Default)]
pub struct Cache {
    entries: Mutex<HashMap<String, (i64, Cached)>>,
    /// The planner's estimate of the catalog's size, and when it was read.
    size: Mutex<Option<(std::time::Instant, Option<u64>)>>,
}

#[derive(Debug, Clone)]
enum Cached {
    Count(u64),
    Facets(Vec<Vec<(String, u64)>>),
}

/// Entries kept before the cache starts over.
const CACHE_ENTRIES: usize = 4096;

impl Cache {
    fn get(&self, key: &str, generation: i64) -> Option<Cached> {
        let entries = self.entries.lock().ok()?;
        match entries.get(key) {
            Some((g, v)) if *g == generation => Some(v.clone()),
            _ => None,
        }
    }

    fn put(&self, key: String, generation: i64, value: Cached) {
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= CACHE_ENTRIES {
                entries.retain(|_, (g, _)| *g == generation);
                if entries.len() >= CACHE_ENTRIES {
                    entries.clear();
                }
            }
            entries.insert(key, (generation, value));
        }
    }
}

/// The current list generation.
async fn generation(catalog: &Catalog) -> AppResult<i64> {
    let backend = catalog.db.get_database_backend();

    let row = catalog
        .db
        .query_one(Statement::from_string(
            backend,
            "SELECT n FROM list_generation WHERE id = 1",
        ))
        .await?;
    Ok(row
        .map(|r| r.try_get::<i64>("", "n"))
        .transpose()?
        .unwrap_or(0))
}

/// The caller's scope, as far as visibility goes: two callers with the same
/// scope see the same rows.
fn scope_key(caller: &Caller) -> String {
    if caller.is_admin() {
        return "admin".to_owned();
    }
    match caller.tenant() {
        None => "anonymous".to_owned(),
        Some(t) if caller.is_member_of(t) => format!("member:{t}"),
        Some(t) => format!("tenant:{t}"),
    }
}

/// Tag filters whose tags are rare enough are answered from the tag index
/// first: their artifacts become an `id IN (...)` condition, so the database
/// reads only those rows instead of walking the sort order looking for
/// them. Walking finds a page of a tag held by `k` of `n` artifacts after
/// about `25 n / k` rows, reading the ids costs `k`: they break even near
/// `k = 5 sqrt(n)`, hence the bound (within these limits; the fixed bound
/// when the size is not known).
fn narrow_at_most(size: Option<u64>) -> u64 {
    const FIXED: u64 = 2000;
    match size {
        // u64 -> f64 -> u64: sizes are far below 2^52.
        Some(n) => ((n as f64).sqrt() * 5.0).clamp(200.0, 5000.0) as u64,
        None => FIXED,
    }
}

/// How long the size estimate is used before it is read again.
const SIZE_TTL: std::time::Duration = std::time::Duration::from_secs(60);

/// The number of artifacts as the database's statistics have it (`ANALYZE`
/// runs after every import), read at most once a minute; `None` before any
/// statistics exist.
async fn size_estimate(catalog: &Catalog) -> Option<u64> {
    if let Ok(size) = catalog.lists.size.lock()
        && let Some((at, n)) = *size
        && at.elapsed() < SIZE_TTL
    {
        return n;
    }
    let backend = catalog.db.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => {
            "SELECT CAST(reltuples AS BIGINT) AS n FROM pg_class \
             WHERE oid = to_regclass('artifacts')"
        }
        // The first number of an index's stat is its row count: the
        // table's, for every index but a partial one.
        _ => {
            "SELECT MAX(CAST(stat AS INTEGER)) AS n FROM sqlite_stat1 \
             WHERE tbl = 'artifacts'"
        }
    };
    // No statistics table yet (SQLite before its first ANALYZE) is "not known".
    let n = match catalog
        .db
        .query_one(Statement::from_string(backend, sql))
        .await
    {
        Ok(row) => row
            .and_then(|r| r.try_get::<i64>("", "n").ok())
            .and_then(|n| u64::try_from(n).ok()),
        Err(_) => None,
    };
    if let Ok(mut size) = catalog.lists.size.lock() {
        *size = Some((std::time::Instant::now(), n));
    }
    n
}

/// Adds `id IN (...)` for the first tag filter whose artifacts are few;
/// true when it did.
async fn narrow(catalog: &Catalog, plan: &mut Plan) -> AppResult<bool> {
    let tags = plan.all.iter().find_map(|c| match c {
        Cond::TagsAll(tags) if !tags.is_empty() => Some(vec![tags[0].clone()]),
        Cond::TagsAny(tags) if !tags.is_empty() => Some(tags.clone()),
        _ => None,
    });
    let Some(tags) = tags else {
        return Ok(false);
    };
    let at_most = narrow_at_most(size_estimate(catalog).await);
    let mut q = Query::select();
    q.distinct()
        .column(artifact_property::Column::ArtifactId)
        .from(artifact_property::Entity)
        .and_where(artifact_property::Column::Name.eq("tags"))
        .and_where(artifact_property::Column::Key.eq(""))
        .and_where(artifact_property::Column::StrValue.is_in(tags))
        .limit(at_most + 1);
    let backend = catalog.db.get_database_backend();
    let rows = catalog.db.query_all(backend.build(&q)).await?;
    if rows.len() as u64 > at_most {
        return Ok(false);
    }
    let ids = rows
        .iter()
        .map(|r| r.try_get::<String>("", "artifact_id").map(Scalar::Str))
        .collect::<Result<Vec<_>, _>>()?;
    plan.all.push(Cond::Compare {
        target: Target::Column("id", ValueKind::Str),
        op: FilterOp::In,
        values: ids,
    });
    Ok(true)
}

/// On SQLite, marks a full-text filter whose words match more artifacts
/// than [`narrow_at_most`] as frequent: its page is then found by walking
/// the sort order (a frequent word soon gives a page) instead of reading and
/// sorting every match. Ranked listings need every match scored, and a
/// listing already narrowed to a few ids starts from those.
async fn frequent_text(catalog: &Catalog, plan: &mut Plan, narrowed: bool) -> AppResult<()> {
    let backend = catalog.db.get_database_backend();
    if backend != DbBackend::Sqlite
        || narrowed
        || plan.sort.iter().any(|k| k.expr == SortExpr::Relevance)
    {
        return Ok(());
    }
    let Some(i) = plan
        .all
        .iter()
        .position(|c| matches!(c, Cond::Text(w) if !w.is_empty()))
    else {
        return Ok(());
    };
    let Cond::Text(words) = &plan.all[i] else {
        return Ok(());
    };
    let at_most = narrow_at_most(size_estimate(catalog).await);
    let probe = Statement::from_sql_and_values(
        backend,
        "SELECT count(*) AS n FROM (SELECT 1 FROM artifacts_fts WHERE artifacts_fts MATCH ? LIMIT ?)",
        [
            sql::fts5_query(words).into(),
            i64::try_from(at_most + 1).unwrap_or(i64::MAX).into(),
        ],
    );
    let n = catalog
        .db
        .query_one(probe)
        .await?
        .map(|r| r.try_get::<i64>("", "n"))
        .transpose()?
        .unwrap_or(0);
    if u64::try_from(n).unwrap_or(0) > at_most {
        plan.all[i] = Cond::FrequentText(words.clone());
    }
    Ok(())
}

fn select_rows(plan: &Plan, backend: DbBackend, caller: &Caller) -> SelectStatement {
    let mut select = Query::select();
    select
        .columns(artifact::Column::iter().map(|c| (artifact::Entity, c)))
        .from(artifact::Entity)
        .cond_where(plan.full_condition(backend, caller));
    if let Some(marker) = &plan.marker {
        select.cond_where(plan.seek(backend, marker));
    }
    plan.order(backend, &mut select);
    select.limit(plan.limit);
    select
}

/// The SQL `list` would run for the rows of `q` (SQLite dialect, without a
/// database: for tests and fuzzing).
pub fn sql_text(types: &TypeRegistry, caller: &Caller, q: &ListQuery) -> AppResult<String> {
    let plan = query::plan(types, q)?;
    Ok(select_rows(&plan, DbBackend::Sqlite, caller)
        .to_string(sea_orm::sea_query::SqliteQueryBuilder))
}

/// One page of the artifacts `q` selects that the caller may read.
pub async fn list(catalog: &Catalog, caller: &Caller, q: &ListQuery) -> AppResult<ListPage> {
    let mut plan = query::plan(&catalog.types, q)?;
    let backend = catalog.db.get_database_backend();
    let t = Alias::new("artifacts");
    if let Some(marker) = &plan.marker {
        // The marker must itself be a row of this listing.
        let mut check = Query::select();
        check
            .expr(Expr::val(1))
            .from(artifact::Entity)
            .cond_where(access::visible_condition(caller, &t))
            .and_where(Expr::col((t.clone(), Alias::new("id"))).eq(marker.as_str()));
        if let Some(ty) = &plan.type_name {
            check.and_where(Expr::col((t.clone(), Alias::new("type_name"))).eq(ty.clone()));
        }
        if catalog.db.query_one(backend.build(&check)).await?.is_none() {
            return Err(bad_request(format!(
                "marker {marker} is not an artifact in this list"
            )));
        }
    }

    let generation = generation(catalog).await?;
    let count_key = {
        let mut count = Query::select();
        count
            .expr(Func::count(Expr::col(Asterisk)))
            .from(artifact::Entity)
            .cond_where(plan.full_condition(backend, caller));
        format!("count {} {:?}", scope_key(caller), backend.build(&count))
    };
    let narrowed = narrow(catalog, &mut plan).await?;
    let cond = plan.full_condition(backend, caller);
    let total_count = match catalog.lists.get(&count_key, generation) {
        Some(Cached::Count(n)) => n,
        _ => {
            let mut count = Query::select();
            count
                .expr_as(Func::count(Expr::col(Asterisk)), Alias::new("n"))
                .from(artifact::Entity)
                .cond_where(cond);
            let n = catalog
                .db
                .query_one(backend.build(&count))
                .await?
                .map(|row| row.try_get::<i64>("", "n"))
                .transpose()?
                .unwrap_or(0);
            let n = u64::try_from(n).unwrap_or(0);
            catalog.lists.put(count_key, generation, Cached::Count(n));
            n
        }
    };

    frequent_text(catalog, &mut plan, narrowed).await?;
    let rows =
        artifact::Model::find_by_statement(backend.build(&select_rows(&plan, backend, caller)))
            .all(&catalog.db)
            .await?;

    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let mut blobs = blobs_of(catalog, &ids).await?;
    let mut artifacts = Vec::with_capacity(rows.len());
    for row in &rows {
        let row_ty = match &plan.ty {
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
    let next_marker = (rows.len() as u64 == plan.limit)
        .then(|| rows.last().map(|r| r.id.clone()))
        .flatten();
    Ok(ListPage {
        artifacts,
        total_count,
        next_marker,
    })
}

/// What a facet counts: a field's values (dict entries by key), or the
/// artifact types.
#[derive(Debug, Clone, PartialEq)]
pub enum FacetOf {
    Field { name: String, key: String },
    Type,
}

/// One facet: what it counts, over the artifacts of which listing (its
/// filters usually leave out the facet's own, so that every value of it
/// stays visible while one is selected), and at most how many values.
#[derive(Debug, Clone)]
pub struct FacetQuery {
    pub of: FacetOf,
    pub over: ListQuery,
    pub limit: u64,
}

/// For each facet, how many of the artifacts its listing matches have each
/// value (most frequent first), counted over the same visibility as the
/// listing, all in one statement.
pub async fn facets(
    catalog: &Catalog,
    caller: &Caller,
    facets: &[FacetQuery],
) -> AppResult<Vec<Vec<(String, u64)>>> {
    if facets.is_empty() {
        return Ok(Vec::new());
    }
    let backend = catalog.db.get_database_backend();
    let mut union: Option<SelectStatement> = None;
    for (i, f) in facets.iter().enumerate() {
        let plan = query::plan(&catalog.types, &f.over)?;
        let cond = plan.full_condition(backend, caller);
        let mut q = Query::select();
        q.expr_as(Expr::val(i as i64), Alias::new("f"));
        match &f.of {
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
                .and_where(Expr::col((p.clone(), Alias::new("name"))).eq(name.as_str()))
                .and_where(Expr::col((p.clone(), Alias::new("key"))).eq(key.as_str()))
                .and_where(Expr::col((p.clone(), Alias::new("str_value"))).is_not_null())
                .and_where(Expr::col((p.clone(), Alias::new("artifact_id"))).in_subquery(ids))
                .group_by_col((p, Alias::new("str_value")));
            }
        }
        // Each facet's own top values, in a subquery so that its order and
        // limit apply to it alone.
        q.order_by(Alias::new("n"), Order::Desc)
            .order_by(Alias::new("v"), Order::Asc)
            .limit(f.limit);
        let mut wrapped = Query::select();
        wrapped
            .columns([Alias::new("f"), Alias::new("v"), Alias::new("n")])
            .from_subquery(q, Alias::new(format!("facet{i}")));
        union = Some(match union {
            None => wrapped,
            Some(mut u) => {
                u.union(sea_orm::sea_query::UnionType::All, wrapped);
                u
            }
        });
    }
    let Some(statement) = union else {
        return Ok(Vec::new());
    };
    let built = backend.build(&statement);
    let key = format!("facets {} {:?}", scope_key(caller), built);
    let generation = generation(catalog).await?;
    if let Some(Cached::Facets(v)) = catalog.lists.get(&key, generation) {
        return Ok(v);
    }
    let rows = catalog.db.query_all(built).await?;
    let mut out = vec![Vec::new(); facets.len()];
    for row in rows {
        let f: i64 = row.try_get("", "f")?;
        let value: String = row.try_get("", "v")?;
        let count: i64 = row.try_get("", "n")?;
        if let Some(slot) = usize::try_from(f).ok().and_then(|f| out.get_mut(f)) {
            slot.push((value, u64::try_from(count).unwrap_or(0)));
        }
    }
    for slot in &mut out {
        slot.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    }
    catalog
        .lists
        .put(key, generation, Cached::Facets(out.clone()));
    Ok(out)
}

/// Recomputes the planner's statistics (after imports and bulk loads, so
/// that plans are good before autovacuum gets to the new rows).
pub async fn analyze(catalog: &Catalog) -> AppResult<()> {
    let backend = catalog.db.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => "ANALYZE artifacts, artifact_properties, artifact_members",
        _ => "ANALYZE",
    };
    catalog
        .db
        .execute(Statement::from_string(backend, sql))
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests;
