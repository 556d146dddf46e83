//! A synthetic catalog of any size, for the scale benchmark
//! (`appcat generate`, `make bench-scale`): `names` × 10 versions
//! (`1.0.0` … `1.9.0`) of `heat_templates`, deterministic for a seed.
//!
//! - three tenants `bench-a`, `bench-b`, `bench-c` (name *i* belongs to
//!   tenant *i* mod 3), and a user `bencher`, member of `bench-a`;
//! - every other name public and active, the rest private and active;
//! - the tag `common` on about 10 % of the rows, `rare` on exactly 10 rows,
//!   the word `needle` in about 1 % of the descriptions.
//!
//! Rows go in through batched inserts of the same rows and property index
//! rows the services write (`properties::rows`); the database's triggers
//! keep the latest markers, search documents and list generation as for
//! any other write; then the planner statistics are refreshed.

use std::io::Write;
use std::time::Instant;

use chrono::{Duration, TimeZone, Utc};
use sea_orm::{ActiveValue::Set, EntityTrait, TransactionTrait};
use serde_json::{Value, json};

use super::{Catalog, accounts, list, properties};
use crate::entities::{artifact, tenant};
use crate::error::{AppError, AppResult};
use crate::services::access::{ACTIVE, PRIVATE, PUBLIC};
use crate::version::{parse_version, sort_key};

pub const TYPE: &str = "heat_templates";
pub const VERSIONS: u64 = 10;
pub const TENANTS: [&str; 3] = ["bench-a", "bench-b", "bench-c"];
/// Rows per insert statement (19 columns: well under SQLite's parameter
/// limit) and per transaction.
const BATCH: usize = 500;
const PER_TRANSACTION: usize = 5000;

/// splitmix64: a tiny, fixed generator, so a seed means the same catalog
/// in every build.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// True with probability `per_mille` / 1000.
    fn chance(&mut self, per_mille: u64) -> bool {
        self.next() % 1000 < per_mille
    }
}

/// One generated artifact.
#[derive(Debug, Clone)]
pub struct Row {
    pub id: String,
    pub name: String,
    pub version: String,
    pub owner: &'static str,
    pub public: bool,
    pub tags: Vec<&'static str>,
    pub description: String,
    pub created_at: chrono::DateTime<Utc>,
}

/// The artifacts of a catalog of `names` names, in creation order.
pub fn rows(names: u64, seed: u64) -> impl Iterator<Item = Row> {
    let mut rng = Rng(seed);
    let total = names * VERSIONS;
    // Ten rows spread over the catalog carry the rare tag.
    let rare_every = (total / 10).max(1);
    let start = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).single();
    (0..total).map(move |n| {
        let i = n / VERSIONS;
        let v = n % VERSIONS;
        let mut tags = vec!["bench"];
        if rng.chance(100) {
            tags.push("common");
        }
        if n % rare_every == rare_every / 2 && n / rare_every < 10 {
            tags.push("rare");
        }
        let needle = if rng.chance(10) { " needle" } else { "" };
        // Ids from the generator too: the same seed, the same ids.
        let (hi, lo) = (rng.next(), rng.next());
        let id = uuid::Uuid::from_u64_pair(hi, lo).hyphenated().to_string();
        Row {
            id,
            name: format!("app-{i:06}"),
            version: format!("1.{v}.0"),
            owner: TENANTS[(i % 3) as usize],
            public: i.is_multiple_of(2),
            tags,
            description: format!("Heat template {i} version {v}: deploys a sample stack{needle}"),
            created_at: start.unwrap_or_default() + Duration::seconds(n as i64),
        }
    })
}

impl Row {
    fn properties(&self) -> Value {
        let license = ["Apache-2.0", "MIT", "GPL-3.0"][usize::from(self.id.as_bytes()[0] % 3)];
        json!({
            "tags": self.tags,
            "template_version": "2016-10-14",
            "license": license,
        })
    }

    /// The row as JSON (for loading the same data into another server).
    pub fn json(&self) -> Value {
        json!({
            "id": self.id,
            "name": self.name,
            "version": self.version,
            "owner": self.owner,
            "visibility": if self.public { PUBLIC } else { PRIVATE },
            "tags": self.tags,
            "description": self.description,
        })
    }
}

/// What [`load`] reports.
#[derive(Debug, serde::Serialize)]
pub struct Loaded {
    pub artifacts: u64,
    pub seconds: f64,
    /// A name of `bench-a`, one of its artifact ids, and a public name.
    pub name: String,
    pub id: String,
    pub public_name: String,
}

async fn ensure_accounts(catalog: &Catalog) -> AppResult<()> {
    for t in TENANTS {
        if tenant::Entity::find_by_id(t.to_owned())
            .one(&catalog.db)
            .await?
            .is_none()
        {
            accounts::create_tenant(&catalog.db, t, None).await?;
        }
    }
    if accounts::find_user(&catalog.db, "bencher").await.is_err() {
        accounts::create_user(&catalog.db, "bencher", None, None, false).await?;
    }
    accounts::set_membership(
        &catalog.db,
        "bencher",
        TENANTS[0],
        crate::caller::Role::Admin,
    )
    .await?;
    Ok(())
}

/// Writes the catalog of `names` names into the database.
pub async fn load(catalog: &Catalog, names: u64, seed: u64) -> AppResult<Loaded> {
    let ty = catalog
        .types
        .get(TYPE)
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("the type {TYPE} is not installed")))?;
    ensure_accounts(catalog).await?;
    let started = Instant::now();
    let mut pending: Vec<Row> = Vec::with_capacity(PER_TRANSACTION);
    let mut count = 0;
    let (mut name, mut id, mut public_name) = (String::new(), String::new(), String::new());
    let mut rows = rows(names, seed).peekable();
    while rows.peek().is_some() {
        pending.clear();
        pending.extend(rows.by_ref().take(PER_TRANSACTION));
        let txn = catalog.db.begin().await?;
        for chunk in pending.chunks(BATCH) {
            let mut models = Vec::with_capacity(chunk.len());
            let mut props = Vec::new();
            for r in chunk {
                let version = parse_version(&r.version)
                    .map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))?;
                let p = r.properties();
                let map = p.as_object().cloned().unwrap_or_default();
                props.extend(properties::rows(&r.id, &ty.fields, &ty.links, &map));
                models.push(artifact::ActiveModel {
                    id: Set(r.id.clone()),
                    type_name: Set(TYPE.to_owned()),
                    type_version: Set(ty.def.version.clone()),
                    name: Set(r.name.clone()),
                    version: Set(r.version.clone()),
                    version_sort: Set(sort_key(&version)),
                    is_prerelease: Set(false),
                    owner: Set(r.owner.to_owned()),
                    created_by: Set(None),
                    visibility: Set(if r.public { PUBLIC } else { PRIVATE }.to_owned()),
                    status: Set(ACTIVE.to_owned()),
                    description: Set(Some(r.description.clone())),
                    properties: Set(p.to_string()),
                    created_at: Set(r.created_at),
                    updated_at: Set(r.created_at),
                    activated_at: Set(Some(r.created_at)),
                    downloads: Set(0),
                    rating_score: Set(0),
                    rating_count: Set(0),
                });
                if id.is_empty() && r.owner == TENANTS[0] {
                    (name, id) = (r.name.clone(), r.id.clone());
                }
                if public_name.is_empty() && r.public {
                    public_name = r.name.clone();
                }
            }
            artifact::Entity::insert_many(models).exec(&txn).await?;
            properties::insert(&txn, props).await?;
            count += chunk.len() as u64;
        }
        txn.commit().await?;
    }
    list::analyze(catalog).await?;
    Ok(Loaded {
        artifacts: count,
        seconds: started.elapsed().as_secs_f64(),
        name,
        id,
        public_name,
    })
}

/// Writes the rows as JSON lines.
pub fn write_jsonl(out: &mut impl Write, names: u64, seed: u64) -> std::io::Result<u64> {
    let mut n = 0;
    for r in rows(names, seed) {
        serde_json::to_writer(&mut *out, &r.json())?;
        out.write_all(b"\n")?;
        n += 1;
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_makes_the_same_catalog_with_the_promised_mix() {
        let a: Vec<Row> = rows(1000, 7).collect();
        let b: Vec<Row> = rows(1000, 7).collect();
        assert_eq!(a.len(), 10_000);
        assert!(
            a.iter()
                .zip(&b)
                .all(|(x, y)| x.id == y.id && x.tags == y.tags)
        );
        let rare = a.iter().filter(|r| r.tags.contains(&"rare")).count();
        assert_eq!(rare, 10);
        let common = a.iter().filter(|r| r.tags.contains(&"common")).count();
        assert!((800..1200).contains(&common), "{common}");
        let needle = a
            .iter()
            .filter(|r| r.description.contains("needle"))
            .count();
        assert!((50..150).contains(&needle), "{needle}");
        let public = a.iter().filter(|r| r.public).count();
        assert_eq!(public, 5000);
        assert_ne!(
            rows(10, 8).next().map(|r| r.id),
            a.first().map(|r| r.id.clone())
        );
    }
}
