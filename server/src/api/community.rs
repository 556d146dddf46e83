//! Ratings, reviews, moderation and statistics of an artifact:
//! `/artifacts/{type}/{id}/rating`, `/reviews[/{review_id}[/report|/moderate]]`,
//! `/stats`, and `/moderation-log`. Every one first reads the artifact as
//! the caller, so what is private stays private.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::ApiJson;
use crate::caller::Caller;
use crate::error::{AppResult, ErrorBody};
use crate::services::Catalog;
use crate::services::community::{self, ModerationEntry, RatingSummary, Review, ReviewPage};
use crate::services::stats::{self, Stats};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRating {
    /// 1 to 5.
    pub stars: i64,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewReview {
    /// Markdown, at most 5000 characters.
    pub body: String,
    /// The review answered (the publisher's reply); replies are one level.
    #[serde(default)]
    pub parent_id: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewEdit {
    pub body: String,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewReport {
    #[serde(default)]
    pub reason: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Moderation {
    /// `hide` or `unhide`.
    pub action: String,
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    /// 1-based page (default 1).
    pub page: Option<u64>,
    /// Reviews per page (default 10, at most 50).
    pub limit: Option<u64>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct LogQuery {
    /// At most this many entries (default 100, at most 1000).
    pub limit: Option<u64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ModerationLogBody {
    pub entries: Vec<ModerationEntry>,
}

/// The artifact's average rating (all versions), count, and the caller's.
#[utoipa::path(
    get, path = "/api/v1/artifacts/{type_name}/{id}/rating", tag = "community", operation_id = "rating_get",
    params(("type_name" = String, Path), ("id" = String, Path)),
    responses((status = 200, body = RatingSummary), (status = 404, body = ErrorBody))
)]
pub async fn rating_get(
    State(catalog): State<Catalog>,
    caller: Caller,
    Path((type_name, id)): Path<(String, String)>,
) -> AppResult<ApiJson<RatingSummary>> {
    Ok(ApiJson(
        community::get_rating(&catalog, &caller, &type_name, &id).await?,
    ))
}

/// Rate the artifact 1 to 5 stars (one rating per user for all its
/// versions; rating again changes it).
#[utoipa::path(
    put, path = "/api/v1/artifacts/{type_name}/{id}/rating", tag = "community", operation_id = "rating_put",
    params(("type_name" = String, Path), ("id" = String, Path)),
    request_body = NewRating,
    responses((status = 200, body = RatingSummary), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody))
)]
pub async fn rating_put(
    State(catalog): State<Catalog>,
    caller: Caller,
    Path((type_name, id)): Path<(String, String)>,
    ApiJson(body): ApiJson<NewRating>,
) -> AppResult<ApiJson<RatingSummary>> {
    Ok(ApiJson(
        community::rate(&catalog, &caller, &type_name, &id, body.stars).await?,
    ))
}

/// Remove the caller's rating.
#[utoipa::path(
    delete, path = "/api/v1/artifacts/{type_name}/{id}/rating", tag = "community", operation_id = "rating_delete",
    params(("type_name" = String, Path), ("id" = String, Path)),
    responses((status = 200, body = RatingSummary), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody))
)]
pub async fn rating_delete(
    State(catalog): State<Catalog>,
    caller: Caller,
    Path((type_name, id)): Path<(String, String)>,
) -> AppResult<ApiJson<RatingSummary>> {
    Ok(ApiJson(
        community::unrate(&catalog, &caller, &type_name, &id).await?,
    ))
}

/// Reviews of the artifact (all versions), newest first, with replies;
/// hidden ones only for moderators.
#[utoipa::path(
    get, path = "/api/v1/artifacts/{type_name}/{id}/reviews", tag = "community", operation_id = "review_list",
    params(("type_name" = String, Path), ("id" = String, Path), PageQuery),
    responses((status = 200, body = ReviewPage), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody))
)]
pub async fn review_list(
    State(catalog): State<Catalog>,
    caller: Caller,
    Path((type_name, id)): Path<(String, String)>,
    super::ApiQuery(q): super::ApiQuery<PageQuery>,
) -> AppResult<ApiJson<ReviewPage>> {
    Ok(ApiJson(
        community::list(
            &catalog,
            &caller,
            &type_name,
            &id,
            q.page.unwrap_or(1),
            q.limit.unwrap_or(10),
        )
        .await?,
    ))
}

/// Review this version, or reply to a review as its publisher.
#[utoipa::path(
    post, path = "/api/v1/artifacts/{type_name}/{id}/reviews", tag = "community", operation_id = "review_create",
    params(("type_name" = String, Path), ("id" = String, Path)),
    request_body = NewReview,
    responses((status = 201, body = Review), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 429, body = ErrorBody))
)]
pub async fn review_create(
    State(catalog): State<Catalog>,
    caller: Caller,
    Path((type_name, id)): Path<(String, String)>,
    ApiJson(body): ApiJson<NewReview>,
) -> AppResult<(StatusCode, ApiJson<Review>)> {
    let r = community::create(
        &catalog,
        &caller,
        &type_name,
        &id,
        &body.body,
        body.parent_id.as_deref(),
    )
    .await?;
    Ok((StatusCode::CREATED, ApiJson(r)))
}

/// Edit one's review (within 24 hours of writing it).
#[utoipa::path(
    patch, path = "/api/v1/artifacts/{type_name}/{id}/reviews/{review_id}", tag = "community", operation_id = "review_edit",
    params(("type_name" = String, Path), ("id" = String, Path), ("review_id" = String, Path)),
    request_body = ReviewEdit,
    responses((status = 200, body = Review), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody))
)]
pub async fn review_edit(
    State(catalog): State<Catalog>,
    caller: Caller,
    Path((type_name, id, review_id)): Path<(String, String, String)>,
    ApiJson(body): ApiJson<ReviewEdit>,
) -> AppResult<ApiJson<Review>> {
    Ok(ApiJson(
        community::edit(&catalog, &caller, &type_name, &id, &review_id, &body.body).await?,
    ))
}

/// Delete a review with its replies: the author, or a moderator (logged).
#[utoipa::path(
    delete, path = "/api/v1/artifacts/{type_name}/{id}/reviews/{review_id}", tag = "community", operation_id = "review_delete",
    params(("type_name" = String, Path), ("id" = String, Path), ("review_id" = String, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody))
)]
pub async fn review_delete(
    State(catalog): State<Catalog>,
    caller: Caller,
    Path((type_name, id, review_id)): Path<(String, String, String)>,
) -> AppResult<StatusCode> {
    community::delete(&catalog, &caller, &type_name, &id, &review_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Report a review to the moderators (once per user).
#[utoipa::path(
    post, path = "/api/v1/artifacts/{type_name}/{id}/reviews/{review_id}/report", tag = "community", operation_id = "review_report",
    params(("type_name" = String, Path), ("id" = String, Path), ("review_id" = String, Path)),
    request_body = NewReport,
    responses((status = 204), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody))
)]
pub async fn review_report(
    State(catalog): State<Catalog>,
    caller: Caller,
    Path((type_name, id, review_id)): Path<(String, String, String)>,
    ApiJson(body): ApiJson<NewReport>,
) -> AppResult<StatusCode> {
    community::report(&catalog, &caller, &type_name, &id, &review_id, &body.reason).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Hide a review or show it again (catalog admins and the artifact's
/// tenant admins; logged).
#[utoipa::path(
    post, path = "/api/v1/artifacts/{type_name}/{id}/reviews/{review_id}/moderate", tag = "community", operation_id = "review_moderate",
    params(("type_name" = String, Path), ("id" = String, Path), ("review_id" = String, Path)),
    request_body = Moderation,
    responses((status = 200, body = Review), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody))
)]
pub async fn review_moderate(
    State(catalog): State<Catalog>,
    caller: Caller,
    Path((type_name, id, review_id)): Path<(String, String, String)>,
    ApiJson(body): ApiJson<Moderation>,
) -> AppResult<ApiJson<Review>> {
    Ok(ApiJson(
        community::moderate(
            &catalog,
            &caller,
            &type_name,
            &id,
            &review_id,
            &body.action,
            &body.note,
        )
        .await?,
    ))
}

/// The moderation log: reports, hides, unhides and deletions, newest first
/// (all for catalog admins, the tenant's for its admins).
#[utoipa::path(
    get, path = "/api/v1/moderation-log", tag = "community", operation_id = "moderation_log",
    params(LogQuery),
    responses((status = 200, body = ModerationLogBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody))
)]
pub async fn moderation_log(
    State(catalog): State<Catalog>,
    caller: Caller,
    super::ApiQuery(q): super::ApiQuery<LogQuery>,
) -> AppResult<ApiJson<ModerationLogBody>> {
    Ok(ApiJson(ModerationLogBody {
        entries: community::moderation_log(&catalog, &caller, q.limit.unwrap_or(100)).await?,
    }))
}

/// Downloads and page views of this version: totals and the last 90 days.
#[utoipa::path(
    get, path = "/api/v1/artifacts/{type_name}/{id}/stats", tag = "community", operation_id = "artifact_stats",
    params(("type_name" = String, Path), ("id" = String, Path)),
    responses((status = 200, body = Stats), (status = 404, body = ErrorBody))
)]
pub async fn artifact_stats(
    State(catalog): State<Catalog>,
    caller: Caller,
    Path((type_name, id)): Path<(String, String)>,
) -> AppResult<ApiJson<Stats>> {
    Ok(ApiJson(
        stats::stats(&catalog, &caller, &type_name, &id).await?,
    ))
}
