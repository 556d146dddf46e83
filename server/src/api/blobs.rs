//! `/artifacts/{type_name}/{id}/{blob}[/{key}]`: upload, external location,
//! download (with Range), remove location.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use http_body_util::BodyExt;

use super::{ApiJson, ArtifactBody};
use crate::caller::Caller;
use crate::error::{AppError, AppResult, ErrorBody, bad_request};
use crate::http::Client;
use crate::services::Catalog;
use crate::services::blobs::{self, Download, ExternalLocation, LOCATION_CONTENT_TYPE};

fn body(v: crate::services::view::ArtifactView) -> ArtifactBody {
    match v.to_json() {
        serde_json::Value::Object(m) => ArtifactBody(m),
        _ => ArtifactBody(serde_json::Map::new()),
    }
}

fn header_str(headers: &HeaderMap, name: header::HeaderName) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

async fn put(
    catalog: &Catalog,
    caller: &Caller,
    (type_name, id, blob, key): (&str, &str, &str, Option<&str>),
    headers: &HeaderMap,
    request_body: Body,
) -> AppResult<ApiJson<ArtifactBody>> {
    let content_type = header_str(headers, header::CONTENT_TYPE);
    if content_type
        .is_some_and(|c| c.split(';').next().unwrap_or("").trim() == LOCATION_CONTENT_TYPE)
    {
        // A location document is small; read at most 64 KiB of it.
        let limited = http_body_util::Limited::new(request_body, 64 * 1024);
        let bytes = limited
            .collect()
            .await
            .map_err(|_| {
                AppError::PayloadTooLarge("a location document is at most 64 KiB".to_owned())
            })?
            .to_bytes();
        let location: ExternalLocation = serde_json::from_slice(&bytes)
            .map_err(|e| bad_request(format!("malformed location: {e}")))?;
        let v = blobs::set_location(catalog, caller, type_name, id, blob, key, location).await?;
        return Ok(ApiJson(body(v)));
    }
    let content_length = match header_str(headers, header::CONTENT_LENGTH) {
        Some(v) => Some(
            v.parse::<u64>()
                .map_err(|_| bad_request("Content-Length must be a number"))?,
        ),
        None => None,
    };
    let stream = StreamExt::boxed(request_body.into_data_stream());
    let v = blobs::upload(
        catalog,
        caller,
        type_name,
        id,
        blob,
        key,
        content_type,
        content_length,
        stream,
    )
    .await?;
    Ok(ApiJson(body(v)))
}

/// The single byte range asked for, if any; multiple ranges get the whole
/// blob (allowed by RFC 9110).
fn requested_range(headers: &HeaderMap, size: u64) -> AppResult<Option<(u64, u64)>> {
    let Some(value) = header_str(headers, header::RANGE) else {
        return Ok(None);
    };
    // A malformed Range header is ignored (RFC 9110 §14.2); a well-formed
    // one outside the blob is 416.
    let Ok(parsed) = http_range_header::parse_range_header(value) else {
        return Ok(None);
    };
    let ranges = parsed
        .validate(size)
        .map_err(|_| AppError::RangeNotSatisfiable(size))?;
    match ranges.as_slice() {
        [one] => Ok(Some((*one.start(), *one.end()))),
        _ => Ok(None),
    }
}

/// Counts a download: once per client within the window, never for
/// icons (pages show them), and a resumed download (a range not starting
/// at 0) is the same download.
fn count(catalog: &Catalog, caller: &Caller, client: &Client, id: &str, blob: &str) {
    if blob != "icon" && client.counts() {
        catalog.counter.hit(
            crate::services::stats::Kind::Download,
            id,
            &client.key(caller),
        );
    }
}

async fn get(
    catalog: &Catalog,
    caller: &Caller,
    client: &Client,
    (type_name, id, blob, key): (&str, &str, &str, Option<&str>),
    headers: &HeaderMap,
) -> AppResult<Response> {
    let row = match blobs::download(catalog, caller, type_name, id, blob, key).await? {
        // Glare answers external locations with 301.
        Download::Redirect(url) => {
            count(catalog, caller, client, id, blob);
            let location = HeaderValue::from_str(&url)
                .map_err(|_| AppError::Internal(anyhow::anyhow!("bad stored URL")))?;
            return Ok((
                StatusCode::MOVED_PERMANENTLY,
                [(header::LOCATION, location)],
            )
                .into_response());
        }
        Download::Stored(row) => row,
    };
    let size = u64::try_from(row.size.unwrap_or(0)).unwrap_or(0);
    let storage_key = row.storage_key.clone().unwrap_or_default();
    let range = if size == 0 {
        None
    } else {
        requested_range(headers, size)?
    };
    if range.is_none_or(|(start, _)| start == 0) {
        count(catalog, caller, client, &row.artifact_id, blob);
    }
    let (status, stream, length) = match range {
        Some((start, end)) => (
            StatusCode::PARTIAL_CONTENT,
            catalog
                .store
                .get(&storage_key, Some(start..end + 1))
                .await?,
            end + 1 - start,
        ),
        None => (
            StatusCode::OK,
            catalog.store.get(&storage_key, None).await?,
            size,
        ),
    };
    let mut response = Response::new(Body::from_stream(stream));
    *response.status_mut() = status;
    let h = response.headers_mut();
    let set = |h: &mut HeaderMap, name: &'static str, value: &str| {
        if let Ok(v) = HeaderValue::from_str(value) {
            h.insert(name, v);
        }
    };
    set(
        h,
        "content-type",
        row.content_type
            .as_deref()
            .unwrap_or("application/octet-stream"),
    );
    set(h, "content-length", &length.to_string());
    set(h, "accept-ranges", "bytes");
    if let Some(md5) = &row.md5 {
        set(h, "content-md5", md5);
    }
    if let Some(sha1) = &row.sha1 {
        set(h, "x-openstack-glare-content-sha1", sha1);
    }
    if let Some(sha256) = &row.sha256 {
        set(h, "x-openstack-glare-content-sha256", sha256);
        set(h, "etag", &format!("\"{sha256}\""));
    }
    if let Some((start, end)) = range {
        set(h, "content-range", &format!("bytes {start}-{end}/{size}"));
    }
    let filename = if row.key.is_empty() {
        row.field.clone()
    } else {
        row.key.clone()
    };
    let safe: String = filename
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || "._-".contains(*c))
        .collect();
    set(
        h,
        "content-disposition",
        &format!("attachment; filename=\"{safe}\""),
    );
    // Blobs are data, never pages of this site, whatever their type.
    set(h, "content-security-policy", crate::headers::NOT_A_PAGE);
    Ok(response)
}

/// Upload a blob (the body is the data, streamed), or set an external
/// location with `Content-Type: application/vnd+openstack.glare-custom-location+json`.
#[utoipa::path(
    put, path = "/api/v1/artifacts/{type_name}/{id}/{blob}", tag = "blobs", operation_id = "blob_upload",
    params(("type_name" = String, Path), ("id" = String, Path), ("blob" = String, Path, description = "Blob field")),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses(
        (status = 200, body = ArtifactBody),
        (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "Another upload of this blob is under way", body = ErrorBody),
        (status = 413, description = "Larger than the blob field allows", body = ErrorBody),
        (status = 415, description = "Content type not accepted by the field", body = ErrorBody)
    )
)]
pub async fn upload(
    State(catalog): State<Catalog>,
    caller: Caller,
    Path((type_name, id, blob)): Path<(String, String, String)>,
    headers: HeaderMap,
    request_body: Body,
) -> AppResult<ApiJson<ArtifactBody>> {
    put(
        &catalog,
        &caller,
        (&type_name, &id, &blob, None),
        &headers,
        request_body,
    )
    .await
}

/// Download a blob (Range requests give 206), or be redirected (301) to an
/// external location.
#[utoipa::path(
    get, path = "/api/v1/artifacts/{type_name}/{id}/{blob}", tag = "blobs", operation_id = "blob_download",
    params(("type_name" = String, Path), ("id" = String, Path), ("blob" = String, Path)),
    responses(
        (status = 200, description = "The data, with Content-MD5 and X-Openstack-Glare-Content-SHA1/SHA256", content_type = "application/octet-stream", body = Vec<u8>),
        (status = 206, description = "The requested range", body = Vec<u8>),
        (status = 301, description = "External location"),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 416, body = ErrorBody)
    )
)]
pub async fn download(
    State(catalog): State<Catalog>,
    caller: Caller,
    Path((type_name, id, blob)): Path<(String, String, String)>,
    client: Client,
    headers: HeaderMap,
) -> AppResult<Response> {
    get(
        &catalog,
        &caller,
        &client,
        (&type_name, &id, &blob, None),
        &headers,
    )
    .await
}

/// Remove an external location.
#[utoipa::path(
    delete, path = "/api/v1/artifacts/{type_name}/{id}/{blob}", tag = "blobs", operation_id = "blob_remove",
    params(("type_name" = String, Path), ("id" = String, Path), ("blob" = String, Path)),
    responses((status = 200, body = ArtifactBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody))
)]
pub async fn remove(
    State(catalog): State<Catalog>,
    caller: Caller,
    Path((type_name, id, blob)): Path<(String, String, String)>,
) -> AppResult<ApiJson<ArtifactBody>> {
    Ok(ApiJson(body(
        blobs::remove_location(&catalog, &caller, &type_name, &id, &blob, None).await?,
    )))
}

/// Upload one entry of a blob dict.
#[utoipa::path(
    put, path = "/api/v1/artifacts/{type_name}/{id}/{blob}/{key}", tag = "blobs", operation_id = "blob_upload_entry",
    params(("type_name" = String, Path), ("id" = String, Path), ("blob" = String, Path), ("key" = String, Path, description = "Entry of the blob dict")),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 200, body = ArtifactBody), (status = 400, body = ErrorBody), (status = 409, body = ErrorBody), (status = 413, body = ErrorBody))
)]
pub async fn upload_entry(
    State(catalog): State<Catalog>,
    caller: Caller,
    Path((type_name, id, blob, key)): Path<(String, String, String, String)>,
    headers: HeaderMap,
    request_body: Body,
) -> AppResult<ApiJson<ArtifactBody>> {
    put(
        &catalog,
        &caller,
        (&type_name, &id, &blob, Some(&key)),
        &headers,
        request_body,
    )
    .await
}

/// Download one entry of a blob dict.
#[utoipa::path(
    get, path = "/api/v1/artifacts/{type_name}/{id}/{blob}/{key}", tag = "blobs", operation_id = "blob_download_entry",
    params(("type_name" = String, Path), ("id" = String, Path), ("blob" = String, Path), ("key" = String, Path)),
    responses((status = 200, content_type = "application/octet-stream", body = Vec<u8>), (status = 206, body = Vec<u8>), (status = 301), (status = 404, body = ErrorBody))
)]
pub async fn download_entry(
    State(catalog): State<Catalog>,
    caller: Caller,
    Path((type_name, id, blob, key)): Path<(String, String, String, String)>,
    client: Client,
    headers: HeaderMap,
) -> AppResult<Response> {
    get(
        &catalog,
        &caller,
        &client,
        (&type_name, &id, &blob, Some(&key)),
        &headers,
    )
    .await
}

/// Remove the external location of one entry of a blob dict.
#[utoipa::path(
    delete, path = "/api/v1/artifacts/{type_name}/{id}/{blob}/{key}", tag = "blobs", operation_id = "blob_remove_entry",
    params(("type_name" = String, Path), ("id" = String, Path), ("blob" = String, Path), ("key" = String, Path)),
    responses((status = 200, body = ArtifactBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody))
)]
pub async fn remove_entry(
    State(catalog): State<Catalog>,
    caller: Caller,
    Path((type_name, id, blob, key)): Path<(String, String, String, String)>,
) -> AppResult<ApiJson<ArtifactBody>> {
    Ok(ApiJson(body(
        blobs::remove_location(&catalog, &caller, &type_name, &id, &blob, Some(&key)).await?,
    )))
}
