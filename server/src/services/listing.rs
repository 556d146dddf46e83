//! Requests for a public listing: a tenant asks, a catalog admin approves
//! (the artifact becomes public) or rejects (with a note). One pending
//! request per artifact at a time.

use std::collections::HashMap;

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use super::Catalog;
use super::access::{self, Action, PUBLIC};
use super::artifacts::{find_visible, refuse_all, timestamp};
use crate::caller::{Caller, Scope};
use crate::entities::{artifact, listing_request};
use crate::error::{AppResult, bad_request, conflict, forbidden, not_found};

pub const PENDING: &str = "pending";
pub const APPROVED: &str = "approved";
pub const REJECTED: &str = "rejected";
const MAX_TEXT: usize = 2000;

/// A listing request as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ListingRequest {
    pub id: String,
    pub artifact_id: String,
    pub type_name: String,
    pub name: String,
    pub version: String,
    /// The tenant that owns the artifact.
    pub tenant: String,
    /// Username of who asked (absent if that account is gone).
    pub requested_by: Option<String>,
    pub message: String,
    /// `pending`, `approved` or `rejected`.
    pub status: String,
    pub created_at: String,
    pub decided_by: Option<String>,
    pub decision_note: Option<String>,
    pub decided_at: Option<String>,
}

async fn views(
    catalog: &Catalog,
    rows: Vec<listing_request::Model>,
) -> AppResult<Vec<ListingRequest>> {
    let artifact_ids: Vec<String> = rows.iter().map(|r| r.artifact_id.clone()).collect();
    let artifacts: HashMap<String, artifact::Model> = artifact::Entity::find()
        .filter(artifact::Column::Id.is_in(artifact_ids))
        .all(&catalog.db)
        .await?
        .into_iter()
        .map(|a| (a.id.clone(), a))
        .collect();
    let user_ids: Vec<String> = rows
        .iter()
        .flat_map(|r| [r.requested_by.clone(), r.decided_by.clone()])
        .flatten()
        .collect();
    let users = super::accounts::usernames(&catalog.db, user_ids).await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            let a = artifacts.get(&r.artifact_id)?;
            Some(ListingRequest {
                id: r.id,
                artifact_id: r.artifact_id,
                type_name: a.type_name.clone(),
                name: a.name.clone(),
                version: a.version.clone(),
                tenant: r.tenant_id,
                requested_by: r.requested_by.and_then(|u| users.get(&u).cloned()),
                message: r.message,
                status: r.status,
                created_at: timestamp(&r.created_at),
                decided_by: r.decided_by.and_then(|u| users.get(&u).cloned()),
                decision_note: r.decision_note,
                decided_at: r.decided_at.as_ref().map(timestamp),
            })
        })
        .collect())
}

fn check_text(what: &str, text: &str) -> AppResult<String> {
    let t = text.trim();
    if t.chars().count() > MAX_TEXT {
        return Err(bad_request(format!(
            "{what} has at most {MAX_TEXT} characters"
        )));
    }
    Ok(t.to_owned())
}

/// Asks for the artifact to be listed publicly.
pub async fn request(
    catalog: &Catalog,
    caller: &Caller,
    type_name: &str,
    id: &str,
    message: &str,
) -> AppResult<ListingRequest> {
    refuse_all(type_name)?;
    let (_, m) = find_visible(catalog, caller, type_name, id).await?;
    let p = caller.require_scope(Scope::Write)?;
    if !access::allowed(caller, Action::RequestListing, &m) {
        // Why not, in this order: not the owner's, public already, not active.
        return Err(if !access::acts_for(caller, &m.owner) {
            forbidden("only the owning tenant asks for a public listing")
        } else if m.visibility == PUBLIC {
            conflict("the artifact is already public")
        } else {
            forbidden("only active artifacts can be listed: activate it first")
        });
    }
    let message = check_text("the message", message)?;
    let pending = listing_request::Entity::find()
        .filter(listing_request::Column::ArtifactId.eq(&m.id))
        .filter(listing_request::Column::Status.eq(PENDING))
        .one(&catalog.db)
        .await?;
    if pending.is_some() {
        return Err(conflict(
            "a listing request for this artifact is already pending",
        ));
    }
    let row = listing_request::ActiveModel {
        id: Set(Uuid::new_v4().to_string()),
        artifact_id: Set(m.id.clone()),
        tenant_id: Set(m.owner.clone()),
        requested_by: Set(Some(p.user_id.clone()).filter(|u| !u.is_empty())),
        message: Set(message),
        status: Set(PENDING.to_owned()),
        decided_by: Set(None),
        decision_note: Set(None),
        created_at: Set(Utc::now()),
        decided_at: Set(None),
    }
    .insert(&catalog.db)
    .await?;
    views(catalog, vec![row])
        .await?
        .pop()
        .ok_or_else(|| not_found("the artifact is gone"))
}

/// Requests the caller may see, newest first: every request for catalog
/// admins, their tenant's for everyone else; optionally one status only.
pub async fn list(
    catalog: &Catalog,
    caller: &Caller,
    status: Option<&str>,
    limit: u64,
) -> AppResult<Vec<ListingRequest>> {
    let p = caller.require_scope(Scope::Read)?;
    if let Some(s) = status
        && ![PENDING, APPROVED, REJECTED].contains(&s)
    {
        return Err(bad_request("status is one of pending, approved, rejected"));
    }
    let mut q = listing_request::Entity::find();
    if !access::can_administer(caller) {
        q = q.filter(listing_request::Column::TenantId.eq(&p.tenant));
    }
    if let Some(s) = status {
        q = q.filter(listing_request::Column::Status.eq(s));
    }
    let rows = q
        .order_by_desc(listing_request::Column::CreatedAt)
        .limit(limit.clamp(1, 1000))
        .all(&catalog.db)
        .await?;
    views(catalog, rows).await
}

/// The requests for one artifact (owning tenant and admins).
pub async fn for_artifact(catalog: &Catalog, artifact_id: &str) -> AppResult<Vec<ListingRequest>> {
    let rows = listing_request::Entity::find()
        .filter(listing_request::Column::ArtifactId.eq(artifact_id))
        .order_by_desc(listing_request::Column::CreatedAt)
        .all(&catalog.db)
        .await?;
    views(catalog, rows).await
}

/// A catalog admin approves (the artifact becomes public through the same
/// rules as a PATCH of its visibility) or rejects a pending request.
pub async fn decide(
    catalog: &Catalog,
    caller: &Caller,
    id: &str,
    approve: bool,
    note: &str,
) -> AppResult<ListingRequest> {
    let p = caller.require_scope(Scope::Publish)?.clone();
    if !access::can_administer(caller) {
        return Err(forbidden("only catalog admins decide on public listings"));
    }
    let note = check_text("the note", note)?;
    let row = listing_request::Entity::find_by_id(id.to_owned())
        .one(&catalog.db)
        .await?
        .ok_or_else(|| not_found(format!("listing request {id} does not exist")))?;
    if row.status != PENDING {
        return Err(conflict(format!("the request was already {}", row.status)));
    }
    if approve {
        let a = artifact::Entity::find_by_id(row.artifact_id.clone())
            .one(&catalog.db)
            .await?
            .ok_or_else(|| not_found("the artifact is gone"))?;
        if a.visibility != PUBLIC {
            let patch: json_patch::Patch = serde_json::from_value(json!([
                {"op": "replace", "path": "/visibility", "value": PUBLIC}
            ]))
            .map_err(|e| crate::error::AppError::Internal(e.into()))?;
            super::artifacts::update(catalog, caller, &a.type_name, &a.id, &patch).await?;
        }
    }
    // Only a request still pending is decided (two admins at once: one wins).
    let decided = listing_request::Entity::update_many()
        .col_expr(
            listing_request::Column::Status,
            sea_orm::sea_query::Expr::value(if approve { APPROVED } else { REJECTED }),
        )
        .col_expr(
            listing_request::Column::DecidedBy,
            sea_orm::sea_query::Expr::value(Some(p.user_id.clone()).filter(|u| !u.is_empty())),
        )
        .col_expr(
            listing_request::Column::DecisionNote,
            sea_orm::sea_query::Expr::value(Some(note).filter(|n| !n.is_empty())),
        )
        .col_expr(
            listing_request::Column::DecidedAt,
            sea_orm::sea_query::Expr::value(Utc::now()),
        )
        .filter(listing_request::Column::Id.eq(&row.id))
        .filter(listing_request::Column::Status.eq(PENDING))
        .exec(&catalog.db)
        .await?;
    if decided.rows_affected == 0 {
        return Err(conflict("the request was decided meanwhile"));
    }
    let row = listing_request::Entity::find_by_id(id.to_owned())
        .one(&catalog.db)
        .await?
        .ok_or_else(|| not_found("the request is gone"))?;
    views(catalog, vec![row])
        .await?
        .pop()
        .ok_or_else(|| not_found("the artifact is gone"))
}
