//! Tenants, users, memberships and API tokens (administered from the CLI).

use chrono::{Duration, Utc};
use rand::RngCore;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set,
};
use uuid::Uuid;

use crate::auth::{Role, hash_token, parse_scopes};
use crate::entities::{api_token, membership, tenant, user};
use crate::error::{AppResult, bad_request, conflict, not_found};

fn valid_slug(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase() || c.is_ascii_digit())
        && s.len() <= 64
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

pub async fn create_tenant(
    db: &DatabaseConnection,
    id: &str,
    display_name: Option<&str>,
) -> AppResult<tenant::Model> {
    if !valid_slug(id) {
        return Err(bad_request(
            "a tenant id is 1 to 64 lowercase letters, digits, '-' or '_'",
        ));
    }
    if tenant::Entity::find_by_id(id.to_owned())
        .one(db)
        .await?
        .is_some()
    {
        return Err(conflict(format!("tenant '{id}' already exists")));
    }
    Ok(tenant::ActiveModel {
        id: Set(id.to_owned()),
        display_name: Set(display_name.unwrap_or(id).to_owned()),
        created_at: Set(Utc::now()),
    }
    .insert(db)
    .await?)
}

pub async fn list_tenants(db: &DatabaseConnection) -> AppResult<Vec<tenant::Model>> {
    Ok(tenant::Entity::find()
        .order_by_asc(tenant::Column::Id)
        .all(db)
        .await?)
}

pub async fn create_user(
    db: &DatabaseConnection,
    username: &str,
    display_name: Option<&str>,
    email: Option<&str>,
    is_admin: bool,
) -> AppResult<user::Model> {
    if !valid_slug(username) {
        return Err(bad_request(
            "a username is 1 to 64 lowercase letters, digits, '-' or '_'",
        ));
    }
    if find_user(db, username).await.is_ok() {
        return Err(conflict(format!("user '{username}' already exists")));
    }
    Ok(user::ActiveModel {
        id: Set(Uuid::new_v4().to_string()),
        username: Set(username.to_owned()),
        display_name: Set(display_name.unwrap_or(username).to_owned()),
        email: Set(email.map(str::to_owned)),
        password_hash: Set(None),
        is_admin: Set(is_admin),
        created_at: Set(Utc::now()),
    }
    .insert(db)
    .await?)
}

pub async fn find_user(db: &DatabaseConnection, username: &str) -> AppResult<user::Model> {
    user::Entity::find()
        .filter(user::Column::Username.eq(username))
        .one(db)
        .await?
        .ok_or_else(|| not_found(format!("user '{username}' does not exist")))
}

/// Adds the user to the tenant, or changes their role there.
pub async fn set_membership(
    db: &DatabaseConnection,
    username: &str,
    tenant_id: &str,
    role: Role,
) -> AppResult<()> {
    let u = find_user(db, username).await?;
    tenant::Entity::find_by_id(tenant_id.to_owned())
        .one(db)
        .await?
        .ok_or_else(|| not_found(format!("tenant '{tenant_id}' does not exist")))?;
    match membership::Entity::find_by_id((u.id.clone(), tenant_id.to_owned()))
        .one(db)
        .await?
    {
        Some(m) => {
            let mut a: membership::ActiveModel = m.into();
            a.role = Set(role.as_str().to_owned());
            a.update(db).await?;
        }
        None => {
            membership::ActiveModel {
                user_id: Set(u.id),
                tenant_id: Set(tenant_id.to_owned()),
                role: Set(role.as_str().to_owned()),
                created_at: Set(Utc::now()),
            }
            .insert(db)
            .await?;
        }
    }
    Ok(())
}

/// A new token; the secret is returned once and only its hash is kept.
pub struct NewToken {
    pub id: String,
    pub secret: String,
}

pub async fn create_token(
    db: &DatabaseConnection,
    username: &str,
    tenant_id: &str,
    name: &str,
    scopes: &str,
    expires_in_days: Option<i64>,
) -> AppResult<NewToken> {
    let u = find_user(db, username).await?;
    let scopes = parse_scopes(scopes).map_err(bad_request)?;
    let member = membership::Entity::find_by_id((u.id.clone(), tenant_id.to_owned()))
        .one(db)
        .await?;
    if member.is_none() && !u.is_admin {
        return Err(bad_request(format!(
            "user '{username}' is not a member of tenant '{tenant_id}'"
        )));
    }
    tenant::Entity::find_by_id(tenant_id.to_owned())
        .one(db)
        .await?
        .ok_or_else(|| not_found(format!("tenant '{tenant_id}' does not exist")))?;
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let secret = format!("appcat_{}", hex::encode(bytes));
    let id = Uuid::new_v4().to_string();
    let scope_text: Vec<&str> = scopes.iter().map(|s| s.as_str()).collect();
    api_token::ActiveModel {
        id: Set(id.clone()),
        user_id: Set(u.id),
        tenant_id: Set(tenant_id.to_owned()),
        name: Set(name.to_owned()),
        token_hash: Set(hash_token(&secret)),
        scopes: Set(scope_text.join(",")),
        created_at: Set(Utc::now()),
        last_used_at: Set(None),
        expires_at: Set(expires_in_days.map(|d| Utc::now() + Duration::days(d))),
    }
    .insert(db)
    .await?;
    Ok(NewToken { id, secret })
}

pub async fn list_tokens(
    db: &DatabaseConnection,
    username: &str,
) -> AppResult<Vec<api_token::Model>> {
    let u = find_user(db, username).await?;
    Ok(api_token::Entity::find()
        .filter(api_token::Column::UserId.eq(u.id))
        .order_by_asc(api_token::Column::CreatedAt)
        .all(db)
        .await?)
}

pub async fn revoke_token(db: &DatabaseConnection, id: &str) -> AppResult<()> {
    let result = api_token::Entity::delete_by_id(id.to_owned())
        .exec(db)
        .await?;
    if result.rows_affected == 0 {
        return Err(not_found(format!("token {id} does not exist")));
    }
    Ok(())
}
