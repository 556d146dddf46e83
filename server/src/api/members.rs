//! `/artifacts/{type_name}/{id}/members`: tenants a shared artifact is
//! visible to.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::ApiJson;
use crate::caller::Caller;
use crate::error::{AppResult, ErrorBody};
use crate::services::{Catalog, members};

#[derive(Debug, Serialize, ToSchema)]
pub struct MemberList {
    /// Tenant ids the artifact is shared with.
    pub members: Vec<String>,
    /// Each tenant's answer to the offer: `pending`, `accepted` or `declined`.
    pub status: std::collections::BTreeMap<String, String>,
}

impl MemberList {
    fn from(members: Vec<members::Member>) -> MemberList {
        MemberList {
            members: members.iter().map(|m| m.tenant.clone()).collect(),
            status: members.into_iter().map(|m| (m.tenant, m.status)).collect(),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Answer {
    /// `accepted` or `declined`.
    pub status: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MemberStatus {
    pub tenant: String,
    /// `pending`, `accepted` or `declined`.
    pub status: String,
}

/// A share offered to the caller's tenant.
#[derive(Debug, Serialize, ToSchema)]
pub struct OfferBody {
    pub artifact_id: String,
    pub type_name: String,
    pub name: String,
    pub version: String,
    /// The tenant that offers it.
    pub owner: String,
    /// `pending`, `accepted` or `declined`.
    pub status: String,
    pub offered_at: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OfferList {
    pub shares: Vec<OfferBody>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OfferQuery {
    /// Only offers with this answer: `pending`, `accepted` or `declined`.
    pub status: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewMember {
    /// Tenant id to share with.
    pub tenant: String,
}

/// Tenants the artifact is shared with (owner tenant and admins only).
#[utoipa::path(
    get, path = "/api/v1/artifacts/{type_name}/{id}/members", tag = "members", operation_id = "member_list",
    params(("type_name" = String, Path), ("id" = String, Path)),
    responses((status = 200, body = MemberList), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody))
)]
pub async fn list(
    State(catalog): State<Catalog>,
    caller: Caller,
    Path((type_name, id)): Path<(String, String)>,
) -> AppResult<ApiJson<MemberList>> {
    Ok(ApiJson(MemberList::from(
        members::list_with_status(&catalog, &caller, &type_name, &id).await?,
    )))
}

/// Offer the artifact to a tenant. A private artifact becomes `shared`. The
/// receiving tenant reads it at once; its links resolve to it only after it
/// accepts (`PUT .../members/{tenant}`).
#[utoipa::path(
    post, path = "/api/v1/artifacts/{type_name}/{id}/members", tag = "members", operation_id = "member_add",
    params(("type_name" = String, Path), ("id" = String, Path)),
    request_body = NewMember,
    responses((status = 201, body = MemberList), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody))
)]
pub async fn add(
    State(catalog): State<Catalog>,
    caller: Caller,
    Path((type_name, id)): Path<(String, String)>,
    ApiJson(new): ApiJson<NewMember>,
) -> AppResult<(StatusCode, ApiJson<MemberList>)> {
    members::add(&catalog, &caller, &type_name, &id, &new.tenant).await?;
    let list = members::list_with_status(&catalog, &caller, &type_name, &id).await?;
    Ok((StatusCode::CREATED, ApiJson(MemberList::from(list))))
}

/// Stop sharing the artifact with a tenant.
#[utoipa::path(
    delete, path = "/api/v1/artifacts/{type_name}/{id}/members/{tenant}", tag = "members", operation_id = "member_remove",
    params(("type_name" = String, Path), ("id" = String, Path), ("tenant" = String, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody))
)]
pub async fn remove(
    State(catalog): State<Catalog>,
    caller: Caller,
    Path((type_name, id, tenant)): Path<(String, String, String)>,
) -> AppResult<StatusCode> {
    members::remove(&catalog, &caller, &type_name, &id, &tenant).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The receiving tenant accepts or declines a share offered to it (its
/// admins, or catalog admins).
#[utoipa::path(
    put, path = "/api/v1/artifacts/{type_name}/{id}/members/{tenant}", tag = "members", operation_id = "member_answer",
    params(("type_name" = String, Path), ("id" = String, Path), ("tenant" = String, Path)),
    request_body = Answer,
    responses((status = 200, body = MemberStatus), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody))
)]
pub async fn answer(
    State(catalog): State<Catalog>,
    caller: Caller,
    Path((type_name, id, tenant)): Path<(String, String, String)>,
    ApiJson(a): ApiJson<Answer>,
) -> AppResult<ApiJson<MemberStatus>> {
    let m = members::answer(&catalog, &caller, &type_name, &id, &tenant, &a.status).await?;
    Ok(ApiJson(MemberStatus {
        tenant: m.tenant,
        status: m.status,
    }))
}

/// Shares other tenants offered to the caller's tenant, newest first.
#[utoipa::path(
    get, path = "/api/v1/shares", tag = "members", operation_id = "share_offers",
    params(OfferQuery),
    responses((status = 200, body = OfferList), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody))
)]
pub async fn offers(
    State(catalog): State<Catalog>,
    caller: Caller,
    super::ApiQuery(q): super::ApiQuery<OfferQuery>,
) -> AppResult<ApiJson<OfferList>> {
    let shares = members::offers(&catalog, &caller, q.status.as_deref())
        .await?
        .into_iter()
        .map(|o| OfferBody {
            artifact_id: o.artifact_id,
            type_name: o.type_name,
            name: o.name,
            version: o.version,
            owner: o.owner,
            status: o.status,
            offered_at: o.offered_at,
        })
        .collect();
    Ok(ApiJson(OfferList { shares }))
}
