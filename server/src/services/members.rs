//! The tenants an artifact is shared with (visibility `shared`).

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};

use super::Catalog;
use super::access;
use super::artifacts::find_visible;
use crate::auth::{Caller, Scope};
use crate::entities::{artifact_member, tenant};
use crate::error::{AppResult, bad_request, forbidden, not_found};

/// The member tenants. Only the owner tenant and admins see the list.
pub async fn list(
    catalog: &Catalog,
    caller: &Caller,
    type_name: &str,
    id: &str,
) -> AppResult<Vec<String>> {
    let (_, m) = find_visible(catalog, caller, type_name, id).await?;
    if !(caller.is_admin() || caller.is_member_of(&m.owner)) {
        return Err(forbidden(
            "only the owning tenant sees whom an artifact is shared with",
        ));
    }
    Ok(artifact_member::Entity::find()
        .filter(artifact_member::Column::ArtifactId.eq(&m.id))
        .order_by_asc(artifact_member::Column::TenantId)
        .all(&catalog.db)
        .await?
        .into_iter()
        .map(|r| r.tenant_id)
        .collect())
}

pub async fn add(
    catalog: &Catalog,
    caller: &Caller,
    type_name: &str,
    id: &str,
    member: &str,
) -> AppResult<Vec<String>> {
    super::artifacts::refuse_all(type_name)?;
    let (_, m) = find_visible(catalog, caller, type_name, id).await?;
    caller.require_scope(Scope::Write)?;
    if !access::can_share(caller, &m) {
        return Err(forbidden("only the owning tenant's admins share artifacts"));
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
    if artifact_member::Entity::find_by_id((m.id.clone(), member.to_owned()))
        .one(&catalog.db)
        .await?
        .is_none()
    {
        artifact_member::ActiveModel {
            artifact_id: Set(m.id.clone()),
            tenant_id: Set(member.to_owned()),
            created_at: Set(Utc::now()),
        }
        .insert(&catalog.db)
        .await?;
    }
    list(catalog, caller, type_name, id).await
}

pub async fn remove(
    catalog: &Catalog,
    caller: &Caller,
    type_name: &str,
    id: &str,
    member: &str,
) -> AppResult<()> {
    super::artifacts::refuse_all(type_name)?;
    let (_, m) = find_visible(catalog, caller, type_name, id).await?;
    caller.require_scope(Scope::Write)?;
    if !access::can_share(caller, &m) {
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
