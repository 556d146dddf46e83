//! The catalog admin's overview: every user with their memberships, every
//! tenant, and how many artifacts each tenant and each type holds (counted
//! in one grouped query).

use std::collections::HashMap;

use sea_orm::{ColumnTrait, EntityTrait, QueryOrder, QuerySelect};

use super::{Catalog, access, accounts};
use crate::caller::Caller;
use crate::entities::{artifact, membership, tenant, user};
use crate::error::{AppResult, forbidden};

pub struct Overview {
    /// By username.
    pub users: Vec<user::Model>,
    /// By tenant.
    pub memberships: Vec<membership::Model>,
    /// By id.
    pub tenants: Vec<tenant::Model>,
    /// Artifacts (of every status and visibility) per owning tenant.
    pub artifacts_by_tenant: HashMap<String, u64>,
    /// Artifacts per type name.
    pub artifacts_by_type: HashMap<String, u64>,
}

pub async fn overview(catalog: &Catalog, caller: &Caller) -> AppResult<Overview> {
    if !access::can_administer(caller) {
        return Err(forbidden("catalog admins only"));
    }
    let db = &catalog.db;
    let memberships = membership::Entity::find()
        .order_by_asc(membership::Column::TenantId)
        .all(db)
        .await?;
    let users = user::Entity::find()
        .order_by_asc(user::Column::Username)
        .all(db)
        .await?;
    let tenants = accounts::list_tenants(db).await?;
    let counts: Vec<(String, String, i64)> = artifact::Entity::find()
        .select_only()
        .column(artifact::Column::Owner)
        .column(artifact::Column::TypeName)
        .column_as(artifact::Column::Id.count(), "artifacts")
        .group_by(artifact::Column::Owner)
        .group_by(artifact::Column::TypeName)
        .into_tuple()
        .all(db)
        .await?;
    let mut artifacts_by_tenant: HashMap<String, u64> = HashMap::new();
    let mut artifacts_by_type: HashMap<String, u64> = HashMap::new();
    for (owner, type_name, n) in counts {
        let n = u64::try_from(n).unwrap_or(0);
        *artifacts_by_tenant.entry(owner).or_default() += n;
        *artifacts_by_type.entry(type_name).or_default() += n;
    }
    Ok(Overview {
        users,
        memberships,
        tenants,
        artifacts_by_tenant,
        artifacts_by_type,
    })
}
