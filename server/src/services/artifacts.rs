//! Creating, reading, changing (JSON patch) and deleting artifacts:
//! reading and views in `store`, input checks in `validate`, then `create`
//! and `update`; finding a type, showing and deleting here.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, SecondsFormat, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DbErr, EntityTrait, IntoActiveModel, QueryFilter, Set, SqlErr,
    TransactionTrait,
};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::access::{self, ACTIVE, Action, DEACTIVATED, DRAFTED, PRIVATE, PUBLIC, SHARED, Subject};
use super::view::ArtifactView;
use super::{Catalog, properties};
use crate::caller::{Caller, Scope};
use crate::entities::{artifact, artifact_blob, artifact_member};
use crate::error::{AppError, AppResult, bad_request, conflict, forbidden, not_found};
use crate::types::definition::BASE_FIELDS;
use crate::types::registry::{ALL, ArtifactType};
use crate::types::validate::validate_value;
use crate::types::{LinkDef, Multiplicity};
use crate::version::{is_prerelease, parse_version, sort_key};

mod create;
mod store;
mod update;
mod validate;

pub use create::create;
pub use store::*;
pub use update::{Patched, apply_patch, update};
pub use validate::*;

/// Looks a type up; `all` is not a type you can write to.
pub fn resolve_type(catalog: &Catalog, type_name: &str) -> AppResult<Arc<ArtifactType>> {
    catalog
        .types
        .get(type_name)
        .ok_or_else(|| not_found(format!("artifact type '{type_name}' does not exist")))
}

/// A type name that can be listed: a type, or `all`.
pub fn check_list_type(catalog: &Catalog, type_name: &str) -> AppResult<()> {
    if type_name == ALL {
        Ok(())
    } else {
        resolve_type(catalog, type_name).map(|_| ())
    }
}

/// `all` is a read-only view: changes go through the artifact's own type.
pub fn refuse_all(type_name: &str) -> AppResult<()> {
    if type_name == ALL {
        return Err(forbidden(
            "'all' is a read-only view; change artifacts through their own type",
        ));
    }
    Ok(())
}

fn missing(type_name: &str, id: &str) -> AppError {
    not_found(format!(
        "artifact {id} of type '{type_name}' does not exist"
    ))
}

pub async fn get(
    catalog: &Catalog,
    caller: &Caller,
    type_name: &str,
    id: &str,
) -> AppResult<ArtifactView> {
    let (ty, m) = find_visible(catalog, caller, type_name, id).await?;
    let blobs = blobs_of(catalog, std::slice::from_ref(&m.id)).await?;
    Ok(view(
        &ty,
        &m,
        blobs.get(&m.id).map(Vec::as_slice).unwrap_or_default(),
    ))
}

/// `DELETE /artifacts/{type}/{id}`: removes the artifact, then its stored
/// blobs.
pub async fn delete(
    catalog: &Catalog,
    caller: &Caller,
    type_name: &str,
    id: &str,
) -> AppResult<()> {
    refuse_all(type_name)?;
    let (_, m) = find_visible(catalog, caller, type_name, id).await?;
    caller.require_scope(Scope::Write)?;
    if !access::allowed(caller, Action::Delete, &m) {
        return Err(forbidden(if m.visibility == PUBLIC {
            "public artifacts can be deleted only by catalog admins"
        } else {
            "only the tenant's admins delete artifacts that are not drafts"
        }));
    }
    let blobs = artifact_blob::Entity::find()
        .filter(artifact_blob::Column::ArtifactId.eq(&m.id))
        .all(&catalog.db)
        .await?;
    artifact::Entity::delete_by_id(m.id.clone())
        .exec(&catalog.db)
        .await?;
    crate::db::retry(|| {
        super::community::refresh_rating(&catalog.db, &m.type_name, &m.owner, &m.name)
    })
    .await?;
    for key in blobs.iter().filter_map(|b| b.storage_key.as_deref()) {
        if let Err(e) = catalog.store.delete(key).await {
            tracing::warn!(error = %e, key, "could not delete a blob of a deleted artifact");
        }
    }
    Ok(())
}
