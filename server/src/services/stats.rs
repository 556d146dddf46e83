//! Download and page-view counts per artifact version and day. Counting
//! must not slow a download: a hit only touches an in-memory map; the
//! counts are written in batches (every few seconds, by `appcat serve`, and
//! once more on a clean shutdown), one upsert per artifact and day. Repeated
//! hits from one client on one artifact within the window (at least one
//! window, at most two) count once.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::{NaiveDate, Utc};
use sea_orm::sea_query::{Alias, Expr, OnConflict};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set, TransactionTrait};
use serde::Serialize;
use utoipa::ToSchema;

use super::Catalog;
use super::artifacts::find_visible;
use crate::caller::Caller;
use crate::entities::{artifact, daily_count};
use crate::error::AppResult;

/// Days of history the stats endpoint and the chart show.
pub const DAYS: i64 = 90;

/// Most clients remembered per generation (two generations are kept).
const MAX_RECENT: usize = 250_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Download,
    View,
}

#[derive(Debug, Default, Clone, Copy)]
struct Counts {
    downloads: u64,
    views: u64,
}

type Seen = std::collections::HashSet<(Kind, String, String)>;

/// Who was counted recently, in two generations that rotate every window:
/// a hit is new unless its client was seen in the current or the previous
/// generation. No scan, no per-entry clock; memory is bounded by the
/// clients of two windows.
#[derive(Debug)]
struct Recent {
    current: Seen,
    previous: Seen,
    started: Instant,
}

/// The counts waiting to be written, and who was counted recently.
#[derive(Debug)]
pub struct Counter {
    pending: Mutex<HashMap<(String, String), Counts>>,
    seen: Mutex<Recent>,
    window: Duration,
}

impl Default for Counter {
    fn default() -> Self {
        Counter::new(Duration::from_secs(60))
    }
}

fn today() -> String {
    Utc::now().date_naive().format("%Y-%m-%d").to_string()
}

impl Counter {
    /// `window`: how long repeated hits of one client count once.
    pub fn new(window: Duration) -> Counter {
        Counter {
            pending: Mutex::new(HashMap::new()),
            seen: Mutex::new(Recent {
                current: Seen::new(),
                previous: Seen::new(),
                started: Instant::now(),
            }),
            window,
        }
    }

    /// Counts a hit on `artifact_id` by `client` unless that client was
    /// counted within the last one to two windows; returns whether it
    /// counted.
    pub fn hit(&self, kind: Kind, artifact_id: &str, client: &str) -> bool {
        {
            let Ok(mut seen) = self.seen.lock() else {
                return false;
            };
            let now = Instant::now();
            // A flood of new clients rotates early: memory stays bounded
            // (the window only shortens while the flood lasts).
            if seen.current.len() >= MAX_RECENT {
                seen.previous = std::mem::take(&mut seen.current);
                seen.started = now;
            } else if now.duration_since(seen.started) >= self.window {
                let fresh = if now.duration_since(seen.started) >= self.window * 2 {
                    // Idle for two windows: nothing recent remains.
                    seen.current.clear();
                    Seen::new()
                } else {
                    std::mem::take(&mut seen.current)
                };
                seen.previous = fresh;
                seen.started = now;
            }
            let key = (kind, client.to_owned(), artifact_id.to_owned());
            if seen.current.contains(&key) || seen.previous.contains(&key) {
                return false;
            }
            seen.current.insert(key);
        }
        let Ok(mut pending) = self.pending.lock() else {
            return false;
        };
        let c = pending
            .entry((artifact_id.to_owned(), today()))
            .or_default();
        match kind {
            Kind::Download => c.downloads += 1,
            Kind::View => c.views += 1,
        }
        true
    }

    fn take(&self) -> HashMap<(String, String), Counts> {
        match self.pending.lock() {
            Ok(mut p) => std::mem::take(&mut *p),
            Err(_) => HashMap::new(),
        }
    }

    fn put_back(&self, batch: HashMap<(String, String), Counts>) {
        if let Ok(mut p) = self.pending.lock() {
            for (k, v) in batch {
                let c = p.entry(k).or_default();
                c.downloads += v.downloads;
                c.views += v.views;
            }
        }
    }

    /// Counts not yet written for one artifact: (downloads, views) by day.
    fn pending_for(&self, artifact_id: &str) -> Vec<(String, Counts)> {
        match self.pending.lock() {
            Ok(p) => p
                .iter()
                .filter(|((a, _), _)| a == artifact_id)
                .map(|((_, d), c)| (d.clone(), *c))
                .collect(),
            Err(_) => vec![],
        }
    }

    /// Writes the waiting counts in one transaction; on failure they stay
    /// waiting for the next flush. Returns how many hits were written.
    pub async fn flush(&self, db: &sea_orm::DatabaseConnection) -> AppResult<u64> {
        let batch = self.take();
        if batch.is_empty() {
            return Ok(0);
        }
        match write(db, &batch).await {
            Ok(n) => Ok(n),
            Err(e) => {
                self.put_back(batch);
                Err(e)
            }
        }
    }
}

async fn write(
    db: &sea_orm::DatabaseConnection,
    batch: &HashMap<(String, String), Counts>,
) -> AppResult<u64> {
    // Artifacts deleted meanwhile are dropped from the batch.
    let ids: Vec<String> = batch.keys().map(|(a, _)| a.clone()).collect();
    let existing: Vec<String> = artifact::Entity::find()
        .filter(artifact::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|a| a.id)
        .collect();
    let txn = db.begin().await?;
    let mut written = 0;
    let mut per_artifact: HashMap<&str, u64> = HashMap::new();
    for ((artifact_id, day), c) in batch {
        if !existing.contains(artifact_id) {
            continue;
        }
        let excluded = Alias::new("excluded");
        daily_count::Entity::insert(daily_count::ActiveModel {
            artifact_id: Set(artifact_id.clone()),
            day: Set(day.clone()),
            downloads: Set(c.downloads as i64),
            views: Set(c.views as i64),
        })
        .on_conflict(
            OnConflict::columns([daily_count::Column::ArtifactId, daily_count::Column::Day])
                .value(
                    daily_count::Column::Downloads,
                    Expr::col((daily_count::Entity, daily_count::Column::Downloads)).add(
                        Expr::col((excluded.clone(), daily_count::Column::Downloads)),
                    ),
                )
                .value(
                    daily_count::Column::Views,
                    Expr::col((daily_count::Entity, daily_count::Column::Views))
                        .add(Expr::col((excluded, daily_count::Column::Views))),
                )
                .to_owned(),
        )
        .exec_without_returning(&txn)
        .await?;
        *per_artifact.entry(artifact_id.as_str()).or_default() += c.downloads;
        written += c.downloads + c.views;
    }
    for (artifact_id, n) in per_artifact.into_iter().filter(|(_, n)| *n > 0) {
        artifact::Entity::update_many()
            .col_expr(
                artifact::Column::Downloads,
                Expr::col(artifact::Column::Downloads).add(n as i64),
            )
            .filter(artifact::Column::Id.eq(artifact_id))
            .exec(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(written)
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DayCount {
    /// `YYYY-MM-DD` (UTC).
    pub day: String,
    pub downloads: u64,
    pub views: u64,
}

/// Downloads and page views of one artifact version.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Stats {
    pub artifact_id: String,
    pub downloads_total: u64,
    pub views_total: u64,
    /// The last 90 days, oldest first, every day present.
    pub days: Vec<DayCount>,
}

/// The artifact's counts, including those not yet written.
pub async fn stats(
    catalog: &Catalog,
    caller: &Caller,
    type_name: &str,
    id: &str,
) -> AppResult<Stats> {
    let (_, m) = find_visible(catalog, caller, type_name, id).await?;
    let rows = daily_count::Entity::find()
        .filter(daily_count::Column::ArtifactId.eq(&m.id))
        .order_by_asc(daily_count::Column::Day)
        .all(&catalog.db)
        .await?;
    let mut by_day: HashMap<String, Counts> = HashMap::new();
    for r in rows {
        let c = by_day.entry(r.day).or_default();
        c.downloads += r.downloads.max(0) as u64;
        c.views += r.views.max(0) as u64;
    }
    for (day, p) in catalog.counter.pending_for(&m.id) {
        let c = by_day.entry(day).or_default();
        c.downloads += p.downloads;
        c.views += p.views;
    }
    let downloads_total = by_day.values().map(|c| c.downloads).sum();
    let views_total = by_day.values().map(|c| c.views).sum();
    let end = Utc::now().date_naive();
    let start = end - chrono::Duration::days(DAYS - 1);
    let days = start
        .iter_days()
        .take_while(|d| *d <= end)
        .map(|d: NaiveDate| {
            let key = d.format("%Y-%m-%d").to_string();
            let c = by_day.get(&key).copied().unwrap_or_default();
            DayCount {
                day: key,
                downloads: c.downloads,
                views: c.views,
            }
        })
        .collect();
    Ok(Stats {
        artifact_id: m.id,
        downloads_total,
        views_total,
        days,
    })
}

/// Adds counts for past days directly (the demo catalog's history).
pub async fn add_history(
    catalog: &Catalog,
    artifact_id: &str,
    days: &[(String, u64, u64)],
) -> AppResult<()> {
    let batch: HashMap<(String, String), Counts> = days
        .iter()
        .map(|(d, downloads, views)| {
            (
                (artifact_id.to_owned(), d.clone()),
                Counts {
                    downloads: *downloads,
                    views: *views,
                },
            )
        })
        .collect();
    write(&catalog.db, &batch).await.map(|_| ())
}

/// Who a hit comes from: the signed-in user, or else the address. An
/// IPv6 client controls the low 64 bits of its address, so it counts by
/// its /64 network; nothing else a client sends (user agent, cookies) is
/// part of the key, so it cannot be rotated to count again.
pub fn client_key(caller: &Caller, ip: Option<std::net::IpAddr>) -> String {
    match caller.principal().filter(|p| !p.user_id.is_empty()) {
        Some(p) => format!("user:{}", p.user_id),
        None => match ip {
            Some(std::net::IpAddr::V6(v6)) if v6.to_ipv4_mapped().is_none() => {
                let s = v6.segments();
                format!("net6:{:x}:{:x}:{:x}:{:x}", s[0], s[1], s[2], s[3])
            }
            Some(std::net::IpAddr::V6(v6)) => {
                format!(
                    "addr:{}",
                    v6.to_ipv4_mapped()
                        .map_or(v6.to_string(), |a| a.to_string())
                )
            }
            Some(ip) => format!("addr:{ip}"),
            None => "addr:".to_owned(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::{Counter, Kind};
    use std::time::Duration;

    #[test]
    fn a_client_counts_once_per_window_and_again_after_it() {
        let c = Counter::new(Duration::from_millis(50));
        assert!(c.hit(Kind::Download, "a", "x"));
        assert!(!c.hit(Kind::Download, "a", "x"), "same client, same window");
        assert!(c.hit(Kind::Download, "a", "y"), "another client");
        assert!(c.hit(Kind::Download, "b", "x"), "another artifact");
        assert!(c.hit(Kind::View, "a", "x"), "views are counted apart");
        std::thread::sleep(Duration::from_millis(60));
        assert!(
            !c.hit(Kind::Download, "a", "x"),
            "still in the previous generation"
        );
        std::thread::sleep(Duration::from_millis(110));
        assert!(
            c.hit(Kind::Download, "a", "x"),
            "two windows later it counts again"
        );
        let pending = c.pending_for("a");
        let downloads: u64 = pending.iter().map(|(_, n)| n.downloads).sum();
        assert_eq!(downloads, 3);
    }

    #[test]
    fn a_flood_of_clients_keeps_memory_bounded() {
        let c = Counter::new(Duration::from_secs(3600));
        for i in 0..(super::MAX_RECENT * 2 + 10) {
            c.hit(Kind::Download, "a", &i.to_string());
        }
        let seen = c.seen.lock().expect("lock");
        assert!(seen.current.len() + seen.previous.len() <= super::MAX_RECENT * 2);
        drop(seen);
        // The latest clients are still remembered.
        assert!(!c.hit(
            Kind::Download,
            "a",
            &(super::MAX_RECENT * 2 + 9).to_string()
        ));
    }
}
