//! `/artifacts/{type_name}/{id}/members`: tenants a shared artifact is
//! visible to.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::ApiJson;
use crate::auth::Caller;
use crate::error::{AppResult, ErrorBody};
use crate::services::{Catalog, members};

#[derive(Debug, Serialize, ToSchema)]
pub struct MemberList {
    /// Tenant ids the artifact is shared with.
    pub members: Vec<String>,
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
    Ok(ApiJson(MemberList {
        members: members::list(&catalog, &caller, &type_name, &id).await?,
    }))
}

/// Share the artifact with a tenant (takes effect while visibility is `shared`).
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
    let members = members::add(&catalog, &caller, &type_name, &id, &new.tenant).await?;
    Ok((StatusCode::CREATED, ApiJson(MemberList { members })))
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
