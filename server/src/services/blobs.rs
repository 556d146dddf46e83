//! Blob upload, external locations and download, and the sweeps that keep
//! uploads crash safe.
//!
//! An upload first claims the blob row (`saving`; a second upload meanwhile
//! gets 409), streams the body into a fresh storage key while computing its
//! size and checksums, and only then records the result. If the body breaks
//! off, is too large, or the process dies, the new data never becomes
//! visible: a failed upload removes its row (or restores the blob it was
//! replacing) and its partial file.
//!
//! # Crash safety
//!
//! A killed process cannot clean up, so every upload leaves in the database
//! what another process needs to do it, and nothing is kept per process:
//!
//! - **The key before the bytes.** The claim writes the storage key the
//!   upload will write into (`artifact_blobs.upload_key`) in the same
//!   statement that marks the row `saving`, before the first byte is
//!   stored. That key is also the upload's claim token: recording the
//!   result, undoing the claim and the heartbeat all apply only while the
//!   row is still `saving` with this key.
//! - **Heartbeat.** While it holds the claim the upload refreshes the row's
//!   `updated_at` every third of `stale_upload_secs`
//!   (`APPCAT_STALE_UPLOAD_SECS`, 30 s by default), from a task of its own,
//!   so a slow client or a slow store does not stop it. When the refresh
//!   finds the claim gone (rolled back by a sweep after the database was
//!   unreachable for longer than the bound) the upload stops and answers
//!   409.
//! - **Sweep of abandoned uploads** ([`sweep_abandoned`]): a `saving` row
//!   whose heartbeat is older than `stale_upload_secs` has lost its writer.
//!   It is rolled back with a compare-and-set on the `updated_at` just read
//!   (so a heartbeat or a new claim that came in between wins): back to
//!   `active` when it still describes the finished blob it was replacing
//!   (its checksums and storage key are untouched while `saving`), deleted
//!   otherwise; then the partial file under its `upload_key` is deleted.
//!   `appcat serve` runs it at start and every `APPCAT_UPLOAD_SWEEP_SECS`
//!   (5 s) in every replica ([`spawn_sweeper`]), so an upload killed with
//!   its process is rolled back at most `stale_upload_secs` plus one sweep
//!   interval after its last heartbeat, by whichever replica runs first. A
//!   new upload may also take over a stale claim directly (and deletes the
//!   dead upload's partial file). An upload whose request is dropped
//!   (client gone) undoes its claim at once.
//! - **Sweep of orphan files** ([`sweep_orphans`]): lists the store
//!   (partial files `<key>#<n>` of the local filesystem included) and
//!   deletes files that no row references (neither `storage_key` nor
//!   `upload_key`) and that were last written more than the grace period
//!   ago (`APPCAT_ORPHAN_GRACE_SECS`, one hour): what a process killed
//!   between two steps leaves, such as a replaced blob not yet deleted. The
//!   listing is taken before the rows are read, and uploads record their key
//!   before writing, so a file being written is always referenced; the grace
//!   period protects writers that store data before its row exists (bundle
//!   import). Empty directories older than the grace period go too. It runs
//!   at start and every `APPCAT_ORPHAN_SWEEP_SECS` (one hour).
//!
//! Several replicas may sweep at once: every change is conditional on the
//! row as read, and deleting a file twice is harmless. Replicas compare
//! heartbeats written by each other's clocks, so their clocks must agree to
//! well within `stale_upload_secs` (NTP).

use std::collections::HashSet;
use std::time::Duration;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures::{Stream, StreamExt};
use md5::Md5;
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DeriveIden, EntityTrait,
    FromQueryResult, IntoActiveModel, QueryFilter, QuerySelect, Set, SqlErr,
};
use serde::Deserialize;
use sha1::Sha1;
use sha2::{Digest, Sha256};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use uuid::Uuid;

use super::Catalog;
use super::access::{self, ACTIVE, Action, DRAFTED};
use super::artifacts::{self, find_visible};
use super::view::ArtifactView;
use crate::caller::{Caller, Scope};
use crate::entities::{artifact, artifact_blob};
use crate::error::{AppError, AppResult, bad_request, conflict, forbidden, not_found};
use crate::types::BlobDef;
use crate::types::registry::ArtifactType;

pub const SAVING: &str = "saving";

/// `PUT` with `Content-Type: application/vnd+openstack.glare-custom-location+json`.
pub const LOCATION_CONTENT_TYPE: &str = "application/vnd+openstack.glare-custom-location+json";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExternalLocation {
    pub url: String,
    #[serde(default)]
    pub md5: Option<String>,
    #[serde(default)]
    pub sha1: Option<String>,
    #[serde(default)]
    pub sha256: Option<String>,
}

/// What a blob address names.
struct Slot<'a> {
    field: &'a str,
    key: String,
    def: &'a BlobDef,
}

fn slot<'a>(ty: &'a ArtifactType, field: &'a str, key: Option<&str>) -> AppResult<Slot<'a>> {
    let def = ty
        .blobs
        .get(field)
        .ok_or_else(|| not_found(format!("type '{}' has no blob field '{field}'", ty.name())))?;
    let key = match (def.dict, key) {
        (true, Some(k))
            if !k.is_empty() && k.len() <= 255 && !k.contains('/') && k != "." && k != ".." =>
        {
            k.to_owned()
        }
        (true, Some(_)) => {
            return Err(bad_request("a blob key is 1 to 255 characters without '/'"));
        }
        (true, None) => {
            return Err(bad_request(format!(
                "'{field}' is a blob dict: address an entry as {field}/<key>"
            )));
        }
        (false, None) => String::new(),
        (false, Some(_)) => {
            return Err(not_found(format!(
                "'{field}' is a single blob and has no entries"
            )));
        }
    };
    Ok(Slot { field, key, def })
}

/// Checks that the caller may change blobs of this artifact now.
async fn writable(
    catalog: &Catalog,
    caller: &Caller,
    type_name: &str,
    id: &str,
) -> AppResult<(std::sync::Arc<ArtifactType>, artifact::Model)> {
    artifacts::refuse_all(type_name)?;
    let (ty, m) = find_visible(catalog, caller, type_name, id).await?;
    caller.require_scope(Scope::Write)?;
    if !access::allowed(caller, Action::Write, &m) {
        return Err(forbidden("you may not change this artifact's blobs"));
    }
    if m.status != DRAFTED {
        return Err(forbidden(
            "blobs can be changed only while the artifact is drafted",
        ));
    }
    Ok((ty, m))
}

fn max_size(catalog: &Catalog, def: &BlobDef) -> u64 {
    def.max_size.map_or(catalog.limits.max_blob_size, |m| {
        m.min(catalog.limits.max_blob_size)
    })
}

/// `artifact_blobs.upload_key` (migration `m20261203_000002`): the storage
/// key the upload holding a `saving` row writes into, `NULL` otherwise. Only
/// this module reads or writes it, so it is not a field of the entity.
#[derive(DeriveIden)]
enum UploadColumn {
    UploadKey,
}

fn upload_key_col() -> Expr {
    Expr::col((artifact_blob::Entity, UploadColumn::UploadKey))
}

/// Now, in microseconds: what PostgreSQL keeps, so a value written and one
/// read back compare equal on both backends.
fn now() -> DateTime<Utc> {
    chrono::SubsecRound::trunc_subsecs(Utc::now(), 6)
}

fn stale_before(catalog: &Catalog) -> DateTime<Utc> {
    now() - chrono::Duration::seconds(catalog.limits.stale_upload_secs.max(1))
}

/// How often an upload refreshes its claim: a third of the stale limit, so
/// that two missed beats in a row are survived.
pub fn heartbeat_interval(catalog: &Catalog) -> Duration {
    let stale_ms = u64::try_from(catalog.limits.stale_upload_secs.max(1)).unwrap_or(1) * 1000;
    Duration::from_millis((stale_ms / 3).max(100))
}

/// The rows held by this upload: still `saving` with its key.
fn held_by(row_id: &str, upload_key: &str) -> Condition {
    Condition::all()
        .add(artifact_blob::Column::Id.eq(row_id))
        .add(artifact_blob::Column::Status.eq(SAVING))
        .add(upload_key_col().eq(upload_key))
}

async fn upload_key_of(catalog: &Catalog, row_id: &str) -> AppResult<Option<String>> {
    #[derive(FromQueryResult)]
    struct Key {
        upload_key: Option<String>,
    }
    Ok(artifact_blob::Entity::find()
        .select_only()
        .expr_as(upload_key_col(), "upload_key")
        .filter(artifact_blob::Column::Id.eq(row_id))
        .into_model::<Key>()
        .one(&catalog.db)
        .await?
        .and_then(|k| k.upload_key))
}

/// Claims the slot for an upload into `upload_key`: inserts a `saving` row,
/// or turns an existing finished (or abandoned) one into `saving`, recording
/// the key in the same statement. Returns the row as it was before, if any,
/// to restore on failure.
async fn claim(
    catalog: &Catalog,
    artifact_id: &str,
    s: &Slot<'_>,
    upload_key: &str,
) -> AppResult<(artifact_blob::Model, Option<artifact_blob::Model>)> {
    let busy = || {
        conflict(format!(
            "blob '{}' is being uploaded; try again when that upload ends",
            s.field
        ))
    };
    // A few rounds: a stale claim may be swept (or taken) between reading
    // it and taking it over; a live one is busy at once.
    for _ in 0..3 {
        let now = now();
        let stale = stale_before(catalog);
        let existing = artifact_blob::Entity::find()
            .filter(artifact_blob::Column::ArtifactId.eq(artifact_id))
            .filter(artifact_blob::Column::Field.eq(s.field))
            .filter(artifact_blob::Column::Key.eq(&s.key))
            .one(&catalog.db)
            .await?;
        match existing {
            None => {
                if s.def.dict
                    && let Some(max) = s.def.max_items
                {
                    let count = artifact_blob::Entity::find()
                        .filter(artifact_blob::Column::ArtifactId.eq(artifact_id))
                        .filter(artifact_blob::Column::Field.eq(s.field))
                        .all(&catalog.db)
                        .await?
                        .len();
                    if count >= max {
                        return Err(bad_request(format!(
                            "blob dict '{}' holds at most {max} entries",
                            s.field
                        )));
                    }
                }
                let row = artifact_blob::Model {
                    id: Uuid::new_v4().to_string(),
                    artifact_id: artifact_id.to_owned(),
                    field: s.field.to_owned(),
                    key: s.key.clone(),
                    status: SAVING.to_owned(),
                    size: None,
                    md5: None,
                    sha1: None,
                    sha256: None,
                    content_type: None,
                    external: false,
                    url: None,
                    storage_key: None,
                    created_at: now,
                    updated_at: now,
                };
                use artifact_blob::Column as C;
                use sea_orm::sea_query::IntoIden;
                let insert = Query::insert()
                    .into_table(artifact_blob::Entity)
                    .columns([
                        C::Id.into_iden(),
                        C::ArtifactId.into_iden(),
                        C::Field.into_iden(),
                        C::Key.into_iden(),
                        C::Status.into_iden(),
                        C::External.into_iden(),
                        C::CreatedAt.into_iden(),
                        C::UpdatedAt.into_iden(),
                        UploadColumn::UploadKey.into_iden(),
                    ])
                    .values_panic([
                        row.id.clone().into(),
                        row.artifact_id.clone().into(),
                        row.field.clone().into(),
                        row.key.clone().into(),
                        row.status.clone().into(),
                        false.into(),
                        now.into(),
                        now.into(),
                        upload_key.into(),
                    ])
                    .to_owned();
                let backend = catalog.db.get_database_backend();
                match catalog.db.execute(backend.build(&insert)).await {
                    Ok(_) => return Ok((row, None)),
                    // Another first upload won: it is live, so busy.
                    Err(e) if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
                        return Err(busy());
                    }
                    Err(e) => return Err(e.into()),
                }
            }
            Some(old) => {
                let abandoned = old.status == SAVING && old.updated_at < stale;
                if old.status == SAVING && !abandoned {
                    return Err(busy());
                }
                let dead_key = if abandoned {
                    upload_key_of(catalog, &old.id).await?
                } else {
                    None
                };
                // Compare-and-set, so that of two concurrent uploads (or an
                // upload and a sweep) one wins.
                let claimed = artifact_blob::Entity::update_many()
                    .col_expr(artifact_blob::Column::Status, Expr::value(SAVING))
                    .col_expr(artifact_blob::Column::UpdatedAt, Expr::value(now))
                    .col_expr(UploadColumn::UploadKey, Expr::value(upload_key))
                    .filter(artifact_blob::Column::Id.eq(&old.id))
                    .filter(artifact_blob::Column::UpdatedAt.eq(old.updated_at))
                    .filter(
                        Condition::any()
                            .add(artifact_blob::Column::Status.eq(ACTIVE))
                            .add(artifact_blob::Column::UpdatedAt.lt(stale)),
                    )
                    .exec(&catalog.db)
                    .await?;
                if claimed.rows_affected != 1 {
                    continue;
                }
                if let Some(dead) = dead_key
                    && let Err(e) = catalog.store.delete_upload(&dead).await
                {
                    tracing::warn!(error = %e, key = dead, "could not delete an abandoned upload");
                }
                let mut row = old.clone();
                row.status = SAVING.to_owned();
                row.updated_at = now;
                // A row abandoned mid-replacement still describes the
                // finished blob it was replacing (as `sweep_abandoned`
                // assumes): keep it.
                let previous = describes_a_blob(&old).then(|| artifact_blob::Model {
                    status: ACTIVE.to_owned(),
                    ..old
                });
                return Ok((row, previous));
            }
        }
    }
    Err(busy())
}

/// Whether a row (possibly `saving`) still describes a finished blob.
fn describes_a_blob(row: &artifact_blob::Model) -> bool {
    row.status == ACTIVE || row.sha256.is_some() || row.external
}

/// A claim held by this process: keeps the heartbeat going until the
/// upload is recorded or undone. Dropped unsettled (the request was
/// cancelled), it undoes the claim in the background.
struct Claimed {
    catalog: Catalog,
    row: artifact_blob::Model,
    previous: Option<artifact_blob::Model>,
    upload_key: String,
    heartbeat: JoinHandle<()>,
    lost: watch::Receiver<bool>,
    settled: bool,
}

impl Claimed {
    fn start(
        catalog: &Catalog,
        row: artifact_blob::Model,
        previous: Option<artifact_blob::Model>,
        upload_key: String,
    ) -> Claimed {
        let (tx, lost) = watch::channel(false);
        let every = heartbeat_interval(catalog);
        let heartbeat = {
            let (catalog, row_id, key) = (catalog.clone(), row.id.clone(), upload_key.clone());
            tokio::spawn(async move {
                let start = tokio::time::Instant::now() + every;
                let mut tick = tokio::time::interval_at(start, every);
                tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                loop {
                    tick.tick().await;
                    let beat = artifact_blob::Entity::update_many()
                        .col_expr(artifact_blob::Column::UpdatedAt, Expr::value(now()))
                        .filter(held_by(&row_id, &key))
                        .exec(&catalog.db)
                        .await;
                    match beat {
                        Ok(r) if r.rows_affected == 1 => {}
                        Ok(_) => {
                            tracing::warn!(blob = row_id, "an upload lost its claim");
                            let _ = tx.send(true);
                            return;
                        }
                        Err(e) => {
                            tracing::warn!(error = %e, blob = row_id, "upload heartbeat failed");
                        }
                    }
                }
            })
        };
        Claimed {
            catalog: catalog.clone(),
            row,
            previous,
            upload_key,
            heartbeat,
            lost,
            settled: false,
        }
    }

    /// Undoes the claim after a failed upload.
    async fn release(&mut self) {
        self.settled = true;
        self.heartbeat.abort();
        undo(
            &self.catalog,
            &self.row.id,
            self.previous.as_ref(),
            &self.upload_key,
        )
        .await;
    }

    /// Records the finished upload (the fields `a` sets), only while this
    /// upload still holds the claim; then the replaced data goes.
    async fn finish(&mut self, a: artifact_blob::ActiveModel) -> AppResult<()> {
        let recorded = artifact_blob::Entity::update_many()
            .set(a)
            .col_expr(UploadColumn::UploadKey, Expr::value(Option::<String>::None))
            .filter(held_by(&self.row.id, &self.upload_key))
            .exec(&self.catalog.db)
            .await;
        match recorded {
            Ok(r) if r.rows_affected == 1 => {}
            Ok(_) => {
                self.release().await;
                return Err(conflict(
                    "this upload stalled for too long and was rolled back; upload again",
                ));
            }
            Err(e) => {
                self.release().await;
                return Err(e.into());
            }
        }
        self.settled = true;
        self.heartbeat.abort();
        if let Some(old_key) = self
            .previous
            .as_ref()
            .and_then(|p| p.storage_key.as_deref())
            && old_key != self.upload_key
            && let Err(e) = self.catalog.store.delete(old_key).await
        {
            tracing::warn!(error = %e, key = old_key, "could not delete a replaced blob");
        }
        Ok(())
    }
}

impl Drop for Claimed {
    fn drop(&mut self) {
        self.heartbeat.abort();
        if self.settled {
            return;
        }
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let catalog = self.catalog.clone();
            let row_id = self.row.id.clone();
            let previous = self.previous.take();
            let key = self.upload_key.clone();
            runtime.spawn(async move {
                undo(&catalog, &row_id, previous.as_ref(), &key).await;
            });
        }
    }
}

/// Undoes a claim, only while `upload_key` still holds it (a sweep or a
/// newer upload may have taken over), and deletes what the upload wrote.
async fn undo(
    catalog: &Catalog,
    row_id: &str,
    previous: Option<&artifact_blob::Model>,
    upload_key: &str,
) {
    let result = match previous {
        Some(prev) => artifact_blob::Entity::update_many()
            .col_expr(artifact_blob::Column::Status, Expr::value(ACTIVE))
            .col_expr(
                artifact_blob::Column::UpdatedAt,
                Expr::value(prev.updated_at),
            )
            .col_expr(UploadColumn::UploadKey, Expr::value(Option::<String>::None))
            .filter(held_by(row_id, upload_key))
            .exec(&catalog.db)
            .await
            .map(|_| ()),
        None => artifact_blob::Entity::delete_many()
            .filter(held_by(row_id, upload_key))
            .exec(&catalog.db)
            .await
            .map(|_| ()),
    };
    if let Err(e) = result {
        // The row stays `saving` without a heartbeat: the sweep undoes it.
        tracing::error!(error = %e, blob = row_id, "could not release a failed upload");
    }
    if let Err(e) = catalog.store.delete_upload(upload_key).await {
        tracing::warn!(error = %e, key = upload_key, "could not delete a failed upload's data");
    }
}

/// `PUT /artifacts/{type}/{id}/{blob}[/{key}]` with data.
#[allow(clippy::too_many_arguments)]
pub async fn upload<S, E>(
    catalog: &Catalog,
    caller: &Caller,
    type_name: &str,
    id: &str,
    field: &str,
    key: Option<&str>,
    content_type: Option<&str>,
    content_length: Option<u64>,
    body: S,
) -> AppResult<ArtifactView>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    let (ty, m) = writable(catalog, caller, type_name, id).await?;
    let s = slot(&ty, field, key)?;
    let content_type = content_type
        .unwrap_or("application/octet-stream")
        .to_owned();
    if !s.def.accepts_content_type(&content_type) {
        return Err(AppError::UnsupportedMediaType(format!(
            "blob '{field}' accepts {}, not {content_type}",
            s.def.content_types.join(", ")
        )));
    }
    let limit = max_size(catalog, s.def);
    let too_large =
        || AppError::PayloadTooLarge(format!("blob '{field}' is limited to {limit} bytes"));
    if content_length.is_some_and(|l| l > limit) {
        return Err(too_large());
    }
    let storage_key = format!("{}/{}/{}", m.id, field, Uuid::new_v4());
    let (row, previous) = claim(catalog, &m.id, &s, &storage_key).await?;
    let mut claimed = Claimed::start(catalog, row, previous, storage_key.clone());
    let lost = claimed.lost.clone();
    let sums = match stream_into(catalog, &storage_key, body, limit, content_length, lost).await {
        Ok(sums) => sums,
        Err(e) => {
            claimed.release().await;
            return Err(match e {
                StreamError::TooLarge => too_large(),
                StreamError::Truncated => {
                    bad_request("the upload ended before Content-Length bytes arrived")
                }
                StreamError::Body(msg) => bad_request(format!("the upload broke off: {msg}")),
                StreamError::Lost => {
                    conflict("this upload stalled for too long and was rolled back; upload again")
                }
                StreamError::Store(e) => e.into(),
            });
        }
    };
    // Built-in behaviour: a Murano package fills the artifact's fields from
    // its manifest; an invalid package is refused.
    if field == "package"
        && ty.def.behaviours.iter().any(|b| b == "murano_package")
        && let Err(e) = apply_murano_manifest(catalog, &ty, &m, &storage_key).await
    {
        claimed.release().await;
        return Err(e);
    }
    // The artifact may have been activated meanwhile (activation refuses
    // while a blob is saving, but check here too).
    let still_drafted = artifact::Entity::find_by_id(m.id.clone())
        .one(&catalog.db)
        .await?
        .is_some_and(|a| a.status == DRAFTED);
    if !still_drafted {
        claimed.release().await;
        return Err(forbidden(
            "the artifact left the drafted status during the upload",
        ));
    }
    claimed
        .finish(artifact_blob::ActiveModel {
            status: Set(ACTIVE.to_owned()),
            size: Set(Some(i64::try_from(sums.size).unwrap_or(i64::MAX))),
            md5: Set(Some(sums.md5)),
            sha1: Set(Some(sums.sha1)),
            sha256: Set(Some(sums.sha256)),
            content_type: Set(Some(content_type)),
            external: Set(false),
            url: Set(None),
            storage_key: Set(Some(storage_key)),
            updated_at: Set(now()),
            ..Default::default()
        })
        .await?;
    touch(catalog, &m).await?;
    artifacts::get(catalog, caller, type_name, id).await
}

/// Reads the uploaded package back from storage and applies its manifest.
async fn apply_murano_manifest(
    catalog: &Catalog,
    ty: &ArtifactType,
    m: &artifact::Model,
    key: &str,
) -> AppResult<()> {
    let mut file = tempfile::tempfile().map_err(|e| AppError::Internal(e.into()))?;
    let mut stream = catalog.store.get(key, None).await?;
    {
        use std::io::Write;
        while let Some(chunk) = stream.next().await {
            file.write_all(&chunk?)
                .map_err(|e| AppError::Internal(e.into()))?;
        }
    }
    let package = tokio::task::spawn_blocking(move || {
        use std::io::Seek;
        file.rewind()?;
        Ok::<_, std::io::Error>(super::murano::read_zip(file))
    })
    .await
    .map_err(|e| AppError::Internal(e.into()))?
    .map_err(|e| AppError::Internal(e.into()))?
    .map_err(|e| bad_request(format!("not a valid Murano package: {e}")))?;
    let manifest = &package.manifest;
    let fields = super::murano::fields(manifest);
    artifacts::apply_fields(
        catalog,
        ty,
        m,
        Some(&manifest.full_name),
        manifest.version.as_deref(),
        manifest.description.as_deref(),
        &fields,
    )
    .await?;
    Ok(())
}

async fn touch(catalog: &Catalog, m: &artifact::Model) -> AppResult<()> {
    let mut a = m.clone().into_active_model();
    a.updated_at = Set(Utc::now());
    a.update(&catalog.db).await?;
    Ok(())
}

struct Sums {
    size: u64,
    md5: String,
    sha1: String,
    sha256: String,
}

enum StreamError {
    TooLarge,
    Truncated,
    Body(String),
    /// The heartbeat found the claim gone.
    Lost,
    Store(object_store::Error),
}

/// Resolves once the heartbeat reports the claim lost (never if the
/// heartbeat is gone without saying so).
async fn claim_lost(lost: &mut watch::Receiver<bool>) {
    if lost.wait_for(|l| *l).await.is_err() {
        std::future::pending::<()>().await;
    }
}

async fn stream_into<S, E>(
    catalog: &Catalog,
    storage_key: &str,
    mut body: S,
    limit: u64,
    content_length: Option<u64>,
    mut lost: watch::Receiver<bool>,
) -> Result<Sums, StreamError>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    let mut upload = catalog
        .store
        .start_upload(storage_key)
        .await
        .map_err(StreamError::Store)?;
    let mut md5 = Md5::new();
    let mut sha1 = Sha1::new();
    let mut sha256 = Sha256::new();
    let mut size: u64 = 0;
    let result = async {
        loop {
            let chunk = tokio::select! {
                biased;
                () = claim_lost(&mut lost) => return Err(StreamError::Lost),
                chunk = body.next() => chunk,
            };
            let Some(chunk) = chunk else { break };
            let chunk = chunk.map_err(|e| StreamError::Body(e.to_string()))?;
            size += chunk.len() as u64;
            if size > limit {
                return Err(StreamError::TooLarge);
            }
            md5.update(&chunk);
            sha1.update(&chunk);
            sha256.update(&chunk);
            upload.write(&chunk).await.map_err(StreamError::Store)?;
        }
        if content_length.is_some_and(|l| l != size) {
            return Err(StreamError::Truncated);
        }
        Ok(())
    }
    .await;
    match result {
        Ok(()) => {
            upload.finish().await.map_err(StreamError::Store)?;
            Ok(Sums {
                size,
                md5: hex::encode(md5.finalize()),
                sha1: hex::encode(sha1.finalize()),
                sha256: hex::encode(sha256.finalize()),
            })
        }
        Err(e) => {
            upload.abort().await;
            Err(e)
        }
    }
}

fn check_hex(name: &str, value: &Option<String>, len: usize) -> AppResult<Option<String>> {
    match value {
        None => Ok(None),
        Some(v) if v.len() == len && v.bytes().all(|b| b.is_ascii_hexdigit()) => {
            Ok(Some(v.to_ascii_lowercase()))
        }
        Some(_) => Err(bad_request(format!(
            "'{name}' must be {len} hexadecimal digits"
        ))),
    }
}

/// `PUT` of an external location: the blob is a URL, downloads redirect.
pub async fn set_location(
    catalog: &Catalog,
    caller: &Caller,
    type_name: &str,
    id: &str,
    field: &str,
    key: Option<&str>,
    location: ExternalLocation,
) -> AppResult<ArtifactView> {
    let (ty, m) = writable(catalog, caller, type_name, id).await?;
    let s = slot(&ty, field, key)?;
    if !(location.url.starts_with("http://") || location.url.starts_with("https://"))
        || location.url.len() > 2048
    {
        return Err(bad_request(
            "'url' must be an http(s) URL of at most 2048 characters",
        ));
    }
    let md5 = check_hex("md5", &location.md5, 32)?;
    let sha1 = check_hex("sha1", &location.sha1, 40)?;
    let sha256 = check_hex("sha256", &location.sha256, 64)?;
    // The key is never written: it only names this claim.
    let claim_key = format!("{}/{}/{}", m.id, field, Uuid::new_v4());
    let (row, previous) = claim(catalog, &m.id, &s, &claim_key).await?;
    let mut claimed = Claimed::start(catalog, row, previous, claim_key);
    claimed
        .finish(artifact_blob::ActiveModel {
            status: Set(ACTIVE.to_owned()),
            external: Set(true),
            url: Set(Some(location.url)),
            md5: Set(md5),
            sha1: Set(sha1),
            sha256: Set(sha256),
            size: Set(None),
            content_type: Set(None),
            storage_key: Set(None),
            updated_at: Set(now()),
            ..Default::default()
        })
        .await?;
    touch(catalog, &m).await?;
    artifacts::get(catalog, caller, type_name, id).await
}

/// `DELETE /artifacts/{type}/{id}/{blob}[/{key}]`: removes an external
/// location (stored data is removed only with the artifact).
pub async fn remove_location(
    catalog: &Catalog,
    caller: &Caller,
    type_name: &str,
    id: &str,
    field: &str,
    key: Option<&str>,
) -> AppResult<ArtifactView> {
    let (ty, m) = writable(catalog, caller, type_name, id).await?;
    let s = slot(&ty, field, key)?;
    let row = find_row(catalog, &m.id, &s).await?;
    if !row.external {
        return Err(forbidden(
            "only external locations can be removed; stored blobs go with the artifact",
        ));
    }
    artifact_blob::Entity::delete_by_id(row.id)
        .exec(&catalog.db)
        .await?;
    touch(catalog, &m).await?;
    artifacts::get(catalog, caller, type_name, id).await
}

async fn find_row(
    catalog: &Catalog,
    artifact_id: &str,
    s: &Slot<'_>,
) -> AppResult<artifact_blob::Model> {
    artifact_blob::Entity::find()
        .filter(artifact_blob::Column::ArtifactId.eq(artifact_id))
        .filter(artifact_blob::Column::Field.eq(s.field))
        .filter(artifact_blob::Column::Key.eq(&s.key))
        .one(&catalog.db)
        .await?
        .ok_or_else(|| not_found(format!("blob '{}' has not been uploaded", s.field)))
}

/// A blob ready to download.
#[derive(Debug)]
pub enum Download {
    Redirect(String),
    Stored(Box<artifact_blob::Model>),
}

/// `GET /artifacts/{type}/{id}/{blob}[/{key}]`: checks access and returns
/// where the data is. Downloads of deactivated artifacts are for admins.
pub async fn download(
    catalog: &Catalog,
    caller: &Caller,
    type_name: &str,
    id: &str,
    field: &str,
    key: Option<&str>,
) -> AppResult<Download> {
    let (ty, m) = find_visible(catalog, caller, type_name, id).await?;
    if !access::allowed(caller, Action::Download, &m) {
        return Err(forbidden(
            "the artifact is deactivated: downloads are refused",
        ));
    }
    let s = slot(&ty, field, key)?;
    let row = find_row(catalog, &m.id, &s).await?;
    if row.status != ACTIVE {
        return Err(conflict(format!("blob '{field}' is still being uploaded")));
    }
    if row.external {
        return Ok(Download::Redirect(row.url.unwrap_or_default()));
    }
    Ok(Download::Stored(Box::new(row)))
}

/// A `saving` row as the sweep reads it.
#[derive(Debug, FromQueryResult)]
struct SavingRow {
    id: String,
    status: String,
    sha256: Option<String>,
    external: bool,
    storage_key: Option<String>,
    updated_at: DateTime<Utc>,
    upload_key: Option<String>,
}

/// Rolls back uploads whose writer is gone: rows still `saving` whose
/// heartbeat is older than the stale limit are restored to `active` when
/// they were replacing a finished blob (they still carry its checksums and
/// storage key) and deleted otherwise; then the partial data under their
/// upload key is deleted. Returns how many were rolled back.
pub async fn sweep_abandoned(catalog: &Catalog) -> AppResult<u64> {
    use artifact_blob::Column as C;
    let rows = artifact_blob::Entity::find()
        .select_only()
        .columns([
            C::Id,
            C::Status,
            C::Sha256,
            C::External,
            C::StorageKey,
            C::UpdatedAt,
        ])
        .expr_as(upload_key_col(), "upload_key")
        .filter(C::Status.eq(SAVING))
        .filter(C::UpdatedAt.lt(stale_before(catalog)))
        .into_model::<SavingRow>()
        .all(&catalog.db)
        .await?;
    let mut rolled_back = 0;
    for row in rows {
        // Only the row as read: a heartbeat or a new claim since wins.
        let unchanged = Condition::all()
            .add(C::Id.eq(&row.id))
            .add(C::Status.eq(SAVING))
            .add(C::UpdatedAt.eq(row.updated_at));
        let finished = row.sha256.is_some() || row.external;
        let done = if finished {
            artifact_blob::Entity::update_many()
                .col_expr(C::Status, Expr::value(ACTIVE))
                .col_expr(UploadColumn::UploadKey, Expr::value(Option::<String>::None))
                .filter(unchanged)
                .exec(&catalog.db)
                .await?
                .rows_affected
        } else {
            artifact_blob::Entity::delete_many()
                .filter(unchanged)
                .exec(&catalog.db)
                .await?
                .rows_affected
        };
        if done != 1 {
            continue;
        }
        rolled_back += 1;
        tracing::info!(
            blob = row.id,
            status = row.status,
            restored = finished,
            "rolled back an abandoned upload"
        );
        // What the upload wrote, and (a row gone) whatever it still named.
        let stored = (!finished).then_some(row.storage_key).flatten();
        for key in row.upload_key.iter().chain(stored.iter()) {
            if let Err(e) = catalog.store.delete_upload(key).await {
                // The orphan sweep gets it later.
                tracing::warn!(error = %e, key, "could not delete an abandoned upload's data");
            }
        }
    }
    Ok(rolled_back)
}

/// Files looked up in the database at once.
const ORPHAN_BATCH: usize = 400;

/// Deletes stored files that no blob row references (neither as its
/// `storage_key` nor as the `upload_key` of an upload in progress) and that
/// were last written longer than `grace` ago, partial files included, then
/// empty directories older than `grace`. Returns how many files it deleted.
pub async fn sweep_orphans(catalog: &Catalog, grace: Duration) -> AppResult<u64> {
    let grace = chrono::Duration::from_std(grace).unwrap_or(chrono::Duration::MAX);
    let cutoff = Utc::now()
        .checked_sub_signed(grace)
        .unwrap_or(DateTime::<Utc>::MIN_UTC);
    // The listing comes first: a file seen in it was created before the
    // rows are read, and an upload records its key before creating it.
    let mut files = catalog.store.list_files();
    let mut batch = Vec::new();
    let mut deleted = 0;
    while let Some(file) = files.next().await {
        let file = file?;
        if file.modified > cutoff {
            continue;
        }
        batch.push(file);
        if batch.len() >= ORPHAN_BATCH {
            deleted += delete_unreferenced(catalog, std::mem::take(&mut batch)).await?;
        }
    }
    if !batch.is_empty() {
        deleted += delete_unreferenced(catalog, batch).await?;
    }
    catalog.store.remove_empty_dirs(cutoff).await?;
    Ok(deleted)
}

async fn delete_unreferenced(
    catalog: &Catalog,
    files: Vec<crate::storage::StoredFile>,
) -> AppResult<u64> {
    #[derive(FromQueryResult)]
    struct Keys {
        storage_key: Option<String>,
        upload_key: Option<String>,
    }
    let keys: Vec<String> = files
        .iter()
        .map(|f| f.key.clone())
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let referenced: HashSet<String> = artifact_blob::Entity::find()
        .select_only()
        .column(artifact_blob::Column::StorageKey)
        .expr_as(upload_key_col(), "upload_key")
        .filter(
            Condition::any()
                .add(artifact_blob::Column::StorageKey.is_in(keys.clone()))
                .add(upload_key_col().is_in(keys)),
        )
        .into_model::<Keys>()
        .all(&catalog.db)
        .await?
        .into_iter()
        .flat_map(|k| [k.storage_key, k.upload_key])
        .flatten()
        .collect();
    let mut deleted = 0;
    for file in files.iter().filter(|f| !referenced.contains(&f.key)) {
        match catalog.store.delete_file(file).await {
            Ok(()) => {
                deleted += 1;
                tracing::info!(file = file.name, "deleted a stored file no blob refers to");
            }
            Err(e) => tracing::warn!(error = %e, file = file.name, "could not delete an orphan"),
        }
    }
    Ok(deleted)
}

/// How often `appcat serve` sweeps.
#[derive(Debug, Clone, Copy)]
pub struct Sweeps {
    /// Between sweeps of abandoned uploads ([`sweep_abandoned`]).
    pub abandoned_every: Duration,
    /// Between sweeps of orphan files ([`sweep_orphans`]); the first runs
    /// at once.
    pub orphans_every: Duration,
    /// Files younger than this are never orphans.
    pub orphan_grace: Duration,
}

/// Runs both sweeps until aborted: abandoned uploads every
/// `abandoned_every` (the caller runs the first one before serving),
/// orphan files at once and then every `orphans_every`. The two loops run
/// side by side, so a long orphan sweep never delays a rollback.
pub fn spawn_sweeper(catalog: Catalog, sweeps: Sweeps) -> JoinHandle<()> {
    let every = |d: Duration| d.max(Duration::from_millis(100));
    let abandoned = {
        let catalog = catalog.clone();
        let period = every(sweeps.abandoned_every);
        async move {
            let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                if let Err(e) = sweep_abandoned(&catalog).await {
                    tracing::warn!(error = %e, "could not sweep abandoned uploads");
                }
            }
        }
    };
    let orphans = async move {
        let mut tick = tokio::time::interval(every(sweeps.orphans_every));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            match sweep_orphans(&catalog, sweeps.orphan_grace).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(deleted = n, "deleted stored files no blob refers to"),
                Err(e) => tracing::warn!(error = %e, "could not sweep orphan files"),
            }
        }
    };
    tokio::spawn(async move {
        futures::join!(abandoned, orphans);
    })
}
