//! Sharing with other tenants (visibility `shared`).
//!
//! Sharing is an offer. The owner tenant's admins offer an artifact to a
//! tenant (`pending`); the receiving tenant's admins accept or decline it.
//! A pending or accepted share lets the receiving tenant read the artifact;
//! a declined one hides it again. Only an accepted share is used when the
//! receiving tenant's named links are resolved (see `deps.rs`), so no tenant
//! can slip an artifact into another tenant's dependencies without consent.
//!
//! Every way of sharing (the REST member API and the website's share form)
//! goes through [`add`], which checks everything before it changes
//! anything, then records the offer and, for a private artifact, makes it
//! `shared` in one transaction.

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, Set,
    TransactionTrait,
};
use serde::Serialize;

use super::Catalog;
use super::access::{self, Action, PRIVATE, SHARED};
use super::artifacts::{find_visible, refuse_all};
use crate::caller::{Caller, Scope};
use crate::entities::{artifact, artifact_member, tenant};
use crate::error::{AppResult, bad_request, forbidden, not_found};

pub const PENDING: &str = "pending";
pub const ACCEPTED: &str = "accepted";
pub const DECLINED: &str = "declined";

/// One tenant an artifact is offered to, as its owner sees it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Member {
    pub tenant: String,
    /// `pending`, `accepted` or `declined`.
    pub status: String,
}

async fn rows(catalog: &Catalog, artifact_id: &str) -> AppResult<Vec<artifact_member::Model>> {
    Ok(artifact_member::Entity::find()
        .filter(artifact_member::Column::ArtifactId.eq(artifact_id))
        .order_by_asc(artifact_member::Column::TenantId)
        .all(&catalog.db)
        .await?)
}

async fn owner_view(
    catalog: &Catalog,
    caller: &Caller,
    type_name: &str,
    id: &str,
) -> AppResult<artifact::Model> {
    let (_, m) = find_visible(catalog, caller, type_name, id).await?;
    if !access::allowed(caller, Action::Manage, &m) {
        return Err(forbidden(
            "only the owning tenant sees whom an artifact is shared with",
        ));
    }
    Ok(m)
}

/// The tenants offered the artifact, with their answers. Only the owner
/// tenant and admins see them.
pub async fn list_with_status(
    catalog: &Catalog,
    caller: &Caller,
    type_name: &str,
    id: &str,
) -> AppResult<Vec<Member>> {
    let m = owner_view(catalog, caller, type_name, id).await?;
    Ok(rows(catalog, &m.id)
        .await?
        .into_iter()
        .map(|r| Member {
            tenant: r.tenant_id,
            status: r.status,
        })
        .collect())
}

/// The member tenants' ids.
pub async fn list(
    catalog: &Catalog,
    caller: &Caller,
    type_name: &str,
    id: &str,
) -> AppResult<Vec<String>> {
    Ok(list_with_status(catalog, caller, type_name, id)
        .await?
        .into_iter()
        .map(|m| m.tenant)
        .collect())
}

/// Offers the artifact to `member`. Every check runs before anything
/// changes; then, in one transaction, the offer is recorded (`pending`) and
/// a private artifact becomes `shared`.
pub async fn add(
    catalog: &Catalog,
    caller: &Caller,
    type_name: &str,
    id: &str,
    member: &str,
) -> AppResult<Vec<String>> {
    crate::db::retry(|| add_once(catalog, caller, type_name, id, member)).await
}

async fn add_once(
    catalog: &Catalog,
    caller: &Caller,
    type_name: &str,
    id: &str,
    member: &str,
) -> AppResult<Vec<String>> {
    refuse_all(type_name)?;
    let (_, m) = find_visible(catalog, caller, type_name, id).await?;
    caller.require_scope(Scope::Write)?;
    if !access::allowed(caller, Action::Share, &m) {
        return Err(forbidden("only the owning tenant's admins share artifacts"));
    }
    let member = member.trim();
    if member.is_empty() {
        return Err(bad_request("name the tenant to share with"));
    }
    if member == m.owner {
        return Err(bad_request("the owner tenant always has access"));
    }
    if tenant::Entity::find_by_id(member.to_owned())
        .one(&catalog.db)
        .await?
        .is_none()
    {
        return Err(bad_request(format!("tenant '{member}' does not exist")));
    }
    let txn = catalog.db.begin().await?;
    let existing = artifact_member::Entity::find_by_id((m.id.clone(), member.to_owned()))
        .one(&txn)
        .await?;
    match existing {
        None => {
            artifact_member::ActiveModel {
                artifact_id: Set(m.id.clone()),
                tenant_id: Set(member.to_owned()),
                created_at: Set(Utc::now()),
                status: Set(PENDING.to_owned()),
                decided_at: Set(None),
            }
            .insert(&txn)
            .await?;
        }
        // Offering again after a decline asks again.
        Some(r) if r.status == DECLINED => {
            let mut a = r.into_active_model();
            a.status = Set(PENDING.to_owned());
            a.decided_at = Set(None);
            a.update(&txn).await?;
        }
        Some(_) => {}
    }
    if m.visibility == PRIVATE {
        artifact::Entity::update_many()
            .col_expr(
                artifact::Column::Visibility,
                sea_orm::sea_query::Expr::value(SHARED),
            )
            .col_expr(
                artifact::Column::UpdatedAt,
                sea_orm::sea_query::Expr::value(Utc::now()),
            )
            .filter(artifact::Column::Id.eq(&m.id))
            .filter(artifact::Column::Visibility.eq(PRIVATE))
            .exec(&txn)
            .await?;
    }
    txn.commit().await?;
    list(catalog, caller, type_name, id).await
}

pub async fn remove(
    catalog: &Catalog,
    caller: &Caller,
    type_name: &str,
    id: &str,
    member: &str,
) -> AppResult<()> {
    refuse_all(type_name)?;
    let (_, m) = find_visible(catalog, caller, type_name, id).await?;
    caller.require_scope(Scope::Write)?;
    if !access::allowed(caller, Action::Share, &m) {
        return Err(forbidden("only the owning tenant's admins share artifacts"));
    }
    let result = artifact_member::Entity::delete_by_id((m.id.clone(), member.to_owned()))
        .exec(&catalog.db)
        .await?;
    if result.rows_affected == 0 {
        return Err(not_found(format!(
            "the artifact is not shared with '{member}'"
        )));
    }
    Ok(())
}

/// The receiving tenant accepts (`accepted`) or declines (`declined`) an
/// offer. Answering again changes the answer.
pub async fn answer(
    catalog: &Catalog,
    caller: &Caller,
    type_name: &str,
    id: &str,
    member: &str,
    status: &str,
) -> AppResult<Member> {
    refuse_all(type_name)?;
    if ![ACCEPTED, DECLINED].contains(&status) {
        return Err(bad_request(format!(
            "'{status}' is not an answer (accepted, declined)"
        )));
    }
    caller.require_scope(Scope::Write)?;
    // The offer must exist for the caller to see it: reading a declined
    // offer's artifact is refused, so look the row up directly.
    let row = artifact_member::Entity::find_by_id((id.to_owned(), member.to_owned()))
        .one(&catalog.db)
        .await?;
    let offered = match &row {
        Some(_) => artifact::Entity::find_by_id(id.to_owned())
            .one(&catalog.db)
            .await?
            .filter(|m| m.type_name == type_name && m.visibility == SHARED),
        None => None,
    };
    let (Some(row), Some(_)) = (row, offered) else {
        return Err(not_found(format!(
            "no share of artifact {id} offered to tenant '{member}'"
        )));
    };
    if !access::can_see_offers(caller, member) {
        return Err(not_found(format!(
            "no share of artifact {id} offered to tenant '{member}'"
        )));
    }
    if !access::can_answer(caller, member) {
        return Err(forbidden(
            "only the receiving tenant's admins accept or decline a share",
        ));
    }
    let mut a = row.into_active_model();
    a.status = Set(status.to_owned());
    a.decided_at = Set(Some(Utc::now()));
    let r = a.update(&catalog.db).await?;
    Ok(Member {
        tenant: r.tenant_id,
        status: r.status,
    })
}

/// A share offered to the caller's tenant.
#[derive(Debug, Clone, Serialize)]
pub struct Offer {
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

/// Shares offered to the caller's tenant, newest first; `status` narrows
/// them to one answer.
pub async fn offers(
    catalog: &Catalog,
    caller: &Caller,
    status: Option<&str>,
) -> AppResult<Vec<Offer>> {
    let Some(tenant) = caller.tenant() else {
        return Err(crate::error::AppError::Unauthorized(
            "sign in to see the shares offered to your tenant".to_owned(),
        ));
    };
    if !access::can_see_offers(caller, tenant) {
        return Err(forbidden("only the tenant's members see its offers"));
    }
    if let Some(s) = status
        && ![PENDING, ACCEPTED, DECLINED].contains(&s)
    {
        return Err(bad_request(format!(
            "'{s}' is not a share status (pending, accepted, declined)"
        )));
    }
    let mut q = artifact_member::Entity::find()
        .filter(artifact_member::Column::TenantId.eq(tenant))
        .order_by_desc(artifact_member::Column::CreatedAt);
    if let Some(s) = status {
        q = q.filter(artifact_member::Column::Status.eq(s));
    }
    let rows = q.all(&catalog.db).await?;
    let ids: Vec<String> = rows.iter().map(|r| r.artifact_id.clone()).collect();
    let mut artifacts = std::collections::HashMap::new();
    for chunk in ids.chunks(500) {
        for m in artifact::Entity::find()
            .filter(artifact::Column::Id.is_in(chunk.iter().cloned()))
            .filter(artifact::Column::Visibility.eq(SHARED))
            .all(&catalog.db)
            .await?
        {
            artifacts.insert(m.id.clone(), m);
        }
    }
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            let m = artifacts.get(&r.artifact_id)?;
            Some(Offer {
                artifact_id: m.id.clone(),
                type_name: m.type_name.clone(),
                name: m.name.clone(),
                version: m.version.clone(),
                owner: m.owner.clone(),
                status: r.status,
                offered_at: super::artifacts::timestamp(&r.created_at),
            })
        })
        .collect())
}
