//! `GET /artifacts/{type_name}/{id}/bundle` and `POST /bundles`.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use serde::Serialize;
use tokio::io::AsyncWriteExt;
use utoipa::ToSchema;

use super::ApiJson;
use crate::caller::{Caller, Scope};
use crate::error::{AppError, AppResult, ErrorBody, bad_request};
use crate::services::{Catalog, bundles};

fn internal(e: impl Into<anyhow::Error>) -> AppError {
    AppError::Internal(e.into())
}

/// The artifact with its whole resolved dependency closure, their blobs
/// and a manifest with checksums, as a tar archive.
#[utoipa::path(
    get, path = "/api/v1/artifacts/{type_name}/{id}/bundle", tag = "bundles", operation_id = "bundle_export",
    params(("type_name" = String, Path), ("id" = String, Path)),
    responses((status = 200, content_type = "application/x-tar", body = Vec<u8>), (status = 404, body = ErrorBody))
)]
pub async fn export(
    State(catalog): State<Catalog>,
    caller: Caller,
    Path((type_name, id)): Path<(String, String)>,
) -> AppResult<Response> {
    let tmp = tempfile::NamedTempFile::new().map_err(internal)?;
    let file = tmp.reopen().map_err(internal)?;
    let summary = bundles::export(&catalog, &caller, &type_name, &id, file).await?;
    let path = tmp.into_temp_path();
    let reader = tokio::fs::File::open(&path).await.map_err(internal)?;
    let len = reader.metadata().await.map_err(internal)?.len();
    // The temporary file is removed once the response has been sent.
    let stream = tokio_util::io::ReaderStream::new(reader).map(move |chunk| {
        let _keep = &path;
        chunk
    });
    let filename = format!("{type_name}-{id}.bundle.tar");
    Ok((
        [
            (header::CONTENT_TYPE, "application/x-tar".to_owned()),
            (header::CONTENT_LENGTH, len.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
            (
                header::HeaderName::from_static("x-appcat-bundle-artifacts"),
                summary.artifacts.to_string(),
            ),
        ],
        Body::from_stream(stream),
    )
        .into_response())
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BundleImport {
    /// Artifacts created in the caller's tenant.
    pub created: usize,
    /// Artifacts already present (same type, tenant, name, version).
    pub unchanged: usize,
    /// The bundle's root artifact in this catalog.
    pub root: String,
}

/// Import a bundle (the request body, a tar archive) into the caller's
/// tenant: all or nothing, checksums verified, idempotent.
#[utoipa::path(
    post, path = "/api/v1/bundles", tag = "bundles", operation_id = "bundle_import",
    request_body(content = Vec<u8>, content_type = "application/x-tar"),
    responses(
        (status = 201, body = BundleImport),
        (status = 400, description = "Corrupt, truncated or inconsistent bundle", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 413, body = ErrorBody)
    )
)]
pub async fn import(
    State(catalog): State<Catalog>,
    caller: Caller,
    body: Body,
) -> AppResult<(StatusCode, ApiJson<BundleImport>)> {
    caller.require_scope(Scope::Write)?;
    // Spool the upload to disk (never whole in memory), bounded.
    let limit = catalog.limits.max_blob_size;
    let tmp = tempfile::NamedTempFile::new().map_err(internal)?;
    let mut out = tokio::fs::File::create(tmp.path())
        .await
        .map_err(internal)?;
    let mut stream = body.into_data_stream();
    let mut size = 0u64;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| bad_request(format!("the upload broke off: {e}")))?;
        size += chunk.len() as u64;
        if size > limit {
            return Err(AppError::PayloadTooLarge(format!(
                "a bundle is limited to {limit} bytes"
            )));
        }
        out.write_all(&chunk).await.map_err(internal)?;
    }
    out.flush().await.map_err(internal)?;
    let file = tmp.reopen().map_err(internal)?;
    let report = bundles::import(&catalog, &caller, file).await?;
    Ok((
        StatusCode::CREATED,
        ApiJson(BundleImport {
            created: report.created,
            unchanged: report.unchanged,
            root: format!("/artifacts/{}/{}", report.root_type, report.root_id),
        }),
    ))
}
