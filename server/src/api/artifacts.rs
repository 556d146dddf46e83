//! `/artifacts/{type_name}[/{id}]`: list, create, show, update, delete.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::{ApiJson, ArtifactBody, query_pairs};
use crate::caller::Caller;
use crate::error::{AppError, AppResult, ErrorBody, bad_request};
use crate::services::view::ArtifactView;
use crate::services::{Catalog, artifacts, list};

/// One page of artifacts. Links are relative to the API root (`/api/v1`).
#[derive(Debug, Serialize, ToSchema)]
pub struct ArtifactList {
    pub artifacts: Vec<ArtifactBody>,
    pub type_name: String,
    /// How many artifacts match, over all pages.
    pub total_count: u64,
    /// This query's first page.
    pub first: String,
    /// The next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
    /// The type's schema.
    pub schema: String,
}

fn body(v: ArtifactView) -> ArtifactBody {
    match v.to_json() {
        Value::Object(m) => ArtifactBody(m),
        _ => ArtifactBody(serde_json::Map::new()),
    }
}

/// List artifacts of a type (or `all`), with filters, sorting and markers.
///
/// Filters are `field=[and:|or:][op:]value` with `eq, neq, gt, gte, lt, lte,
/// in, like`; `version=latest`, `version=spec:<requirement>`; `tags=a,b`,
/// `tags-any=a,b`; `metadata.<key>=value`; `q=<text>` (in the name or the
/// description, or a tag). `sort=k1:asc,k2:desc`; `limit`
/// (default 25, max 1000); `marker=<id>`.
#[utoipa::path(
    get, path = "/api/v1/artifacts/{type_name}", tag = "artifacts", operation_id = "artifact_list",
    params(("type_name" = String, Path, description = "Artifact type or `all`")),
    responses(
        (status = 200, body = ArtifactList),
        (status = 400, description = "Unknown filter, operator or bad value", body = ErrorBody),
        (status = 404, description = "Unknown type", body = ErrorBody)
    )
)]
pub async fn list(
    State(catalog): State<Catalog>,
    caller: Caller,
    Path(type_name): Path<String>,
    RawQuery(query): RawQuery,
) -> AppResult<ApiJson<ArtifactList>> {
    let params = query_pairs(query.as_deref());
    artifacts::check_list_type(&catalog, &type_name)?;
    let page = list::list(
        &catalog,
        &caller,
        &super::query::parse(&type_name, &params)?,
    )
    .await?;
    Ok(ApiJson(ArtifactList {
        artifacts: page.artifacts.into_iter().map(body).collect(),
        first: super::query::first_link(&type_name, &params),
        next: page
            .next_marker
            .map(|m| super::query::next_link(&type_name, &params, &m)),
        schema: format!("/schemas/{type_name}"),
        type_name,
        total_count: page.total_count,
    }))
}

/// Create a drafted, private artifact in the caller's tenant.
#[utoipa::path(
    post, path = "/api/v1/artifacts/{type_name}", tag = "artifacts", operation_id = "artifact_create",
    params(("type_name" = String, Path, description = "Artifact type")),
    request_body(content = Object, description = "`name` (required), `version`, `description` and type fields"),
    responses(
        (status = 201, body = ArtifactBody),
        (status = 400, description = "Invalid field", body = ErrorBody),
        (status = 401, description = "No token", body = ErrorBody),
        (status = 409, description = "Name and version exist", body = ErrorBody)
    )
)]
pub async fn create(
    State(catalog): State<Catalog>,
    caller: Caller,
    Path(type_name): Path<String>,
    ApiJson(payload): ApiJson<Value>,
) -> AppResult<(StatusCode, ApiJson<ArtifactBody>)> {
    let created = artifacts::create(&catalog, &caller, &type_name, payload).await?;
    Ok((StatusCode::CREATED, ApiJson(body(created))))
}

/// Show an artifact.
#[utoipa::path(
    get, path = "/api/v1/artifacts/{type_name}/{id}", tag = "artifacts", operation_id = "artifact_show",
    params(("type_name" = String, Path), ("id" = String, Path, description = "Artifact UUID")),
    responses((status = 200, body = ArtifactBody), (status = 404, body = ErrorBody))
)]
pub async fn show(
    State(catalog): State<Catalog>,
    caller: Caller,
    Path((type_name, id)): Path<(String, String)>,
) -> AppResult<ApiJson<ArtifactBody>> {
    Ok(ApiJson(body(
        artifacts::get(&catalog, &caller, &type_name, &id).await?,
    )))
}

/// Change an artifact with a JSON patch (RFC 6902); status and visibility
/// change through `/status` and `/visibility`.
#[utoipa::path(
    patch, path = "/api/v1/artifacts/{type_name}/{id}", tag = "artifacts", operation_id = "artifact_update",
    params(("type_name" = String, Path), ("id" = String, Path)),
    request_body(content = Object, content_type = "application/json-patch+json",
        description = "`[{\"op\": \"replace\", \"path\": \"/status\", \"value\": \"active\"}]`"),
    responses(
        (status = 200, body = ArtifactBody),
        (status = 400, body = ErrorBody),
        (status = 403, description = "Not allowed in this state or for this caller", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody),
        (status = 415, description = "Not application/json-patch+json", body = ErrorBody)
    )
)]
pub async fn update(
    State(catalog): State<Catalog>,
    caller: Caller,
    Path((type_name, id)): Path<(String, String)>,
    headers: HeaderMap,
    payload: Bytes,
) -> AppResult<ApiJson<ArtifactBody>> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let essence = content_type.split(';').next().unwrap_or("").trim();
    if essence != "application/json-patch+json" {
        return Err(AppError::UnsupportedMediaType(
            "PATCH needs Content-Type: application/json-patch+json".to_owned(),
        ));
    }
    let patch: json_patch::Patch = serde_json::from_slice(&payload)
        .map_err(|e| bad_request(format!("malformed JSON patch: {e}")))?;
    Ok(ApiJson(body(
        artifacts::update(&catalog, &caller, &type_name, &id, &patch).await?,
    )))
}

/// Delete an artifact and its blobs.
#[utoipa::path(
    delete, path = "/api/v1/artifacts/{type_name}/{id}", tag = "artifacts", operation_id = "artifact_delete",
    params(("type_name" = String, Path), ("id" = String, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody))
)]
pub async fn delete(
    State(catalog): State<Catalog>,
    caller: Caller,
    Path((type_name, id)): Path<(String, String)>,
) -> AppResult<impl IntoResponse> {
    artifacts::delete(&catalog, &caller, &type_name, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
