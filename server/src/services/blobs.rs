//! Blob upload, external locations and download.
//!
//! An upload first marks the blob row `saving` (a second upload meanwhile
//! gets 409), streams the body into a fresh storage key while computing its
//! size and checksums, and only then records the result. If the body breaks
//! off, is too large, or the process dies, the new data never becomes
//! visible: a failed upload removes its row (or restores the blob it was
//! replacing), and rows left `saving` by a crash are swept at start and
//! treated as abandoned after `stale_upload_secs`.

use bytes::Bytes;
use chrono::Utc;
use futures::{Stream, StreamExt};
use md5::Md5;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, EntityTrait, IntoActiveModel, QueryFilter, Set,
    SqlErr,
};
use serde::Deserialize;
use serde_json::Value;
use sha1::Sha1;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::Catalog;
use super::access::{self, ACTIVE, DEACTIVATED, DRAFTED};
use super::artifacts::{self, find_visible};
use crate::auth::{Caller, Scope};
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
    if !access::can_write(caller, &m) {
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

/// Claims the slot for an upload: inserts a `saving` row, or turns an
/// existing finished (or abandoned) one into `saving`. Returns the row as it
/// was before, if any, to restore on failure.
async fn claim(
    catalog: &Catalog,
    artifact_id: &str,
    s: &Slot<'_>,
) -> AppResult<(artifact_blob::Model, Option<artifact_blob::Model>)> {
    // Microseconds: what PostgreSQL keeps, so the claim compares equal.
    let now = chrono::SubsecRound::trunc_subsecs(Utc::now(), 6);
    let stale = now - chrono::Duration::seconds(catalog.limits.stale_upload_secs);
    let busy = || {
        conflict(format!(
            "blob '{}' is being uploaded; try again when that upload ends",
            s.field
        ))
    };
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
            let row = artifact_blob::ActiveModel {
                id: Set(Uuid::new_v4().to_string()),
                artifact_id: Set(artifact_id.to_owned()),
                field: Set(s.field.to_owned()),
                key: Set(s.key.clone()),
                status: Set(SAVING.to_owned()),
                size: Set(None),
                md5: Set(None),
                sha1: Set(None),
                sha256: Set(None),
                content_type: Set(None),
                external: Set(false),
                url: Set(None),
                storage_key: Set(None),
                created_at: Set(now),
                updated_at: Set(now),
            };
            let row = row
                .insert(&catalog.db)
                .await
                .map_err(|e| match e.sql_err() {
                    Some(SqlErr::UniqueConstraintViolation(_)) => busy(),
                    _ => e.into(),
                })?;
            Ok((row, None))
        }
        Some(old) => {
            // Compare-and-set, so that of two concurrent uploads one wins.
            let claimed = artifact_blob::Entity::update_many()
                .col_expr(
                    artifact_blob::Column::Status,
                    sea_orm::sea_query::Expr::value(SAVING),
                )
                .col_expr(
                    artifact_blob::Column::UpdatedAt,
                    sea_orm::sea_query::Expr::value(now),
                )
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
                return Err(busy());
            }
            let mut row = old.clone();
            row.status = SAVING.to_owned();
            row.updated_at = now;
            // A row abandoned mid-replacement still describes the finished
            // blob it was replacing (as `sweep_abandoned` assumes): keep it.
            let finished = old.status == ACTIVE || old.sha256.is_some() || old.external;
            let previous = finished.then(|| artifact_blob::Model {
                status: ACTIVE.to_owned(),
                ..old
            });
            Ok((row, previous))
        }
    }
}

/// Undoes a claim after a failed upload.
async fn release(
    catalog: &Catalog,
    row: &artifact_blob::Model,
    previous: Option<artifact_blob::Model>,
) {
    // Only while this upload still holds the claim: a newer upload that
    // took over an abandoned claim keeps its blob.
    let result = match previous {
        Some(prev) => {
            let mut a = prev.into_active_model();
            a.status = Set(ACTIVE.to_owned());
            artifact_blob::Entity::update(a)
                .filter(artifact_blob::Column::Status.eq(SAVING))
                .filter(artifact_blob::Column::UpdatedAt.eq(row.updated_at))
                .exec(&catalog.db)
                .await
                .map(|_| ())
                .or_else(|e| {
                    if matches!(e, sea_orm::DbErr::RecordNotUpdated) {
                        Ok(())
                    } else {
                        Err(e)
                    }
                })
        }
        None => artifact_blob::Entity::delete_many()
            .filter(artifact_blob::Column::Id.eq(&row.id))
            .filter(artifact_blob::Column::Status.eq(SAVING))
            .filter(artifact_blob::Column::UpdatedAt.eq(row.updated_at))
            .exec(&catalog.db)
            .await
            .map(|_| ()),
    };
    if let Err(e) = result {
        tracing::error!(error = %e, blob = %row.id, "could not release a failed upload");
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
) -> AppResult<Value>
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
    let (row, previous) = claim(catalog, &m.id, &s).await?;
    let storage_key = format!("{}/{}/{}", m.id, field, Uuid::new_v4());
    match stream_into(catalog, &storage_key, body, limit, content_length).await {
        Ok(sums) => {
            // The artifact may have been activated meanwhile (activation
            // refuses while a blob is saving, but check here too).
            // Built-in behaviour: a Murano package fills the artifact's
            // fields from its manifest; an invalid package is refused.
            if field == "package"
                && ty.def.behaviours.iter().any(|b| b == "murano_package")
                && let Err(e) = apply_murano_manifest(catalog, &ty, &m, &storage_key).await
            {
                let _ = catalog.store.delete(&storage_key).await;
                release(catalog, &row, previous).await;
                return Err(e);
            }
            let still_drafted = artifact::Entity::find_by_id(m.id.clone())
                .one(&catalog.db)
                .await?
                .is_some_and(|a| a.status == DRAFTED);
            if !still_drafted {
                let _ = catalog.store.delete(&storage_key).await;
                release(catalog, &row, previous).await;
                return Err(forbidden(
                    "the artifact left the drafted status during the upload",
                ));
            }
            let mut a = row.clone().into_active_model();
            a.status = Set(ACTIVE.to_owned());
            a.size = Set(Some(i64::try_from(sums.size).unwrap_or(i64::MAX)));
            a.md5 = Set(Some(sums.md5));
            a.sha1 = Set(Some(sums.sha1));
            a.sha256 = Set(Some(sums.sha256));
            a.content_type = Set(Some(content_type));
            a.external = Set(false);
            a.url = Set(None);
            a.storage_key = Set(Some(storage_key.clone()));
            a.updated_at = Set(Utc::now());
            if let Err(e) = finish_claim(catalog, &row, a).await {
                let _ = catalog.store.delete(&storage_key).await;
                release(catalog, &row, previous).await;
                return Err(e);
            }
            if let Some(old_key) = previous.and_then(|p| p.storage_key)
                && let Err(e) = catalog.store.delete(&old_key).await
            {
                tracing::warn!(error = %e, key = old_key, "could not delete a replaced blob");
            }
            touch(catalog, &m).await?;
            artifacts::get(catalog, caller, type_name, id).await
        }
        Err(e) => {
            release(catalog, &row, previous).await;
            Err(match e {
                StreamError::TooLarge => too_large(),
                StreamError::Truncated => {
                    bad_request("the upload ended before Content-Length bytes arrived")
                }
                StreamError::Body(msg) => bad_request(format!("the upload broke off: {msg}")),
                StreamError::Store(e) => e.into(),
            })
        }
    }
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

/// Records a finished upload, only if this upload still holds the claim.
async fn finish_claim(
    catalog: &Catalog,
    row: &artifact_blob::Model,
    a: artifact_blob::ActiveModel,
) -> AppResult<()> {
    artifact_blob::Entity::update(a)
        .filter(artifact_blob::Column::Status.eq(SAVING))
        .filter(artifact_blob::Column::UpdatedAt.eq(row.updated_at))
        .exec(&catalog.db)
        .await
        .map(|_| ())
        .map_err(|e| match e {
            sea_orm::DbErr::RecordNotUpdated => {
                conflict("this upload took too long and another one replaced it")
            }
            e => e.into(),
        })
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
    Store(object_store::Error),
}

async fn stream_into<S, E>(
    catalog: &Catalog,
    storage_key: &str,
    mut body: S,
    limit: u64,
    content_length: Option<u64>,
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
        while let Some(chunk) = body.next().await {
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
) -> AppResult<Value> {
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
    let (row, previous) = claim(catalog, &m.id, &s).await?;
    let mut a = row.clone().into_active_model();
    a.status = Set(ACTIVE.to_owned());
    a.external = Set(true);
    a.url = Set(Some(location.url));
    a.md5 = Set(md5);
    a.sha1 = Set(sha1);
    a.sha256 = Set(sha256);
    a.size = Set(None);
    a.content_type = Set(None);
    a.storage_key = Set(None);
    a.updated_at = Set(Utc::now());
    if let Err(e) = finish_claim(catalog, &row, a).await {
        release(catalog, &row, previous).await;
        return Err(e);
    }
    if let Some(old_key) = previous.and_then(|p| p.storage_key) {
        let _ = catalog.store.delete(&old_key).await;
    }
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
) -> AppResult<Value> {
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
    if m.status == DEACTIVATED && !caller.is_admin() {
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

/// Clears uploads a crash left half done: rows still `saving` and older
/// than the stale limit are removed, or restored when they replaced a
/// finished blob (those still carry its checksums).
pub async fn sweep_abandoned(catalog: &Catalog) -> AppResult<u64> {
    let stale = Utc::now() - chrono::Duration::seconds(catalog.limits.stale_upload_secs);
    let rows = artifact_blob::Entity::find()
        .filter(artifact_blob::Column::Status.eq(SAVING))
        .filter(artifact_blob::Column::UpdatedAt.lt(stale))
        .all(&catalog.db)
        .await?;
    let n = rows.len() as u64;
    for row in rows {
        if row.sha256.is_some() || row.external {
            let mut a = row.into_active_model();
            a.status = Set(ACTIVE.to_owned());
            a.update(&catalog.db).await?;
        } else {
            artifact_blob::Entity::delete_by_id(row.id)
                .exec(&catalog.db)
                .await?;
        }
    }
    Ok(n)
}
