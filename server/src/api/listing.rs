//! Public-listing requests: `POST /artifacts/{type}/{id}/listing-requests`
//! asks, `GET /listing-requests` lists, `POST
//! /listing-requests/{id}/approve|reject` decides (catalog admins).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::ApiJson;
use crate::caller::Caller;
use crate::error::{AppResult, ErrorBody};
use crate::services::Catalog;
use crate::services::listing::{self, ListingRequest};

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewListingRequest {
    /// A word for the catalog admins (optional).
    #[serde(default)]
    pub message: String,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Decision {
    /// Why, shown to the tenant (optional).
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListingFilter {
    /// Only requests with this status: pending, approved or rejected.
    pub status: Option<String>,
    /// At most this many (default 100, at most 1000).
    pub limit: Option<u64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ListingRequestList {
    pub listing_requests: Vec<ListingRequest>,
}

/// Ask the catalog admins to make an active artifact public.
#[utoipa::path(
    post, path = "/api/v1/artifacts/{type_name}/{id}/listing-requests", tag = "listing", operation_id = "listing_request_create",
    params(("type_name" = String, Path), ("id" = String, Path)),
    request_body = NewListingRequest,
    responses((status = 201, body = ListingRequest), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody))
)]
pub async fn create(
    State(catalog): State<Catalog>,
    caller: Caller,
    Path((type_name, id)): Path<(String, String)>,
    ApiJson(body): ApiJson<NewListingRequest>,
) -> AppResult<(StatusCode, ApiJson<ListingRequest>)> {
    let r = listing::request(&catalog, &caller, &type_name, &id, &body.message).await?;
    Ok((StatusCode::CREATED, ApiJson(r)))
}

/// Listing requests: every one for catalog admins, the caller's tenant's
/// otherwise; newest first.
#[utoipa::path(
    get, path = "/api/v1/listing-requests", tag = "listing", operation_id = "listing_request_list",
    params(ListingFilter),
    responses((status = 200, body = ListingRequestList), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody))
)]
pub async fn list(
    State(catalog): State<Catalog>,
    caller: Caller,
    super::ApiQuery(filter): super::ApiQuery<ListingFilter>,
) -> AppResult<ApiJson<ListingRequestList>> {
    let listing_requests = listing::list(
        &catalog,
        &caller,
        filter.status.as_deref(),
        filter.limit.unwrap_or(100),
    )
    .await?;
    Ok(ApiJson(ListingRequestList { listing_requests }))
}

/// Approve a pending request: the artifact becomes public.
#[utoipa::path(
    post, path = "/api/v1/listing-requests/{id}/approve", tag = "listing", operation_id = "listing_request_approve",
    params(("id" = String, Path)),
    request_body = Decision,
    responses((status = 200, body = ListingRequest), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody))
)]
pub async fn approve(
    State(catalog): State<Catalog>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<Decision>,
) -> AppResult<ApiJson<ListingRequest>> {
    Ok(ApiJson(
        listing::decide(&catalog, &caller, &id, true, &body.note).await?,
    ))
}

/// Reject a pending request, with a note for the tenant.
#[utoipa::path(
    post, path = "/api/v1/listing-requests/{id}/reject", tag = "listing", operation_id = "listing_request_reject",
    params(("id" = String, Path)),
    request_body = Decision,
    responses((status = 200, body = ListingRequest), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody))
)]
pub async fn reject(
    State(catalog): State<Catalog>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<Decision>,
) -> AppResult<ApiJson<ListingRequest>> {
    Ok(ApiJson(
        listing::decide(&catalog, &caller, &id, false, &body.note).await?,
    ))
}
