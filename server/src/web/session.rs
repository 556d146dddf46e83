//! The browser session: who is signed in, in which tenant, the CSRF token
//! and one-time messages. Sessions live in the database (see
//! [`super::store`]); the cookie holds only the session id.

use std::collections::BTreeSet;

use axum::http::request::Parts;
use rand::RngCore;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;
use tower_sessions::Session;

use crate::caller::{Caller, Principal, Role, Scope};
use crate::entities::{membership, user};
use crate::error::{AppError, AppResult, forbidden};

const USER: &str = "user_id";
const TENANT: &str = "tenant";
const CSRF: &str = "csrf";
const FLASH: &str = "flash";
/// A token created on the tokens page, shown once.
pub const NEW_TOKEN: &str = "new_token";
/// An OpenID Connect login under way.
pub const OIDC_PENDING: &str = "oidc_pending";
/// The header API calls from the site's own scripts carry the CSRF token in.
pub const CSRF_HEADER: &str = "x-csrf-token";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Flash {
    pub kind: String,
    pub text: String,
}

fn store_err(e: tower_sessions::session::Error) -> AppError {
    AppError::Internal(anyhow::anyhow!("session store: {e}"))
}

/// The session of this request (present on every route: the session layer
/// wraps the whole application).
pub fn of(parts: &Parts) -> Option<Session> {
    parts.extensions.get::<Session>().cloned()
}

/// The session's CSRF token, created on first use.
pub async fn csrf_token(session: &Session) -> AppResult<String> {
    if let Some(t) = session.get::<String>(CSRF).await.map_err(store_err)? {
        return Ok(t);
    }
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let token = hex::encode(bytes);
    session.insert(CSRF, &token).await.map_err(store_err)?;
    Ok(token)
}

/// Fails with 403 unless `given` is this session's CSRF token.
pub async fn check_csrf(session: &Session, given: &str) -> AppResult<()> {
    let expected = session.get::<String>(CSRF).await.map_err(store_err)?;
    match expected {
        Some(e) if !given.is_empty() && bool::from(e.as_bytes().ct_eq(given.as_bytes())) => Ok(()),
        _ => Err(forbidden(
            "the form has expired or did not come from this site: reload the page and try again",
        )),
    }
}

pub async fn flash(session: &Session, kind: &str, text: impl Into<String>) -> AppResult<()> {
    session
        .insert(
            FLASH,
            Flash {
                kind: kind.to_owned(),
                text: text.into(),
            },
        )
        .await
        .map_err(store_err)
}

pub async fn take_flash(session: &Session) -> AppResult<Option<Flash>> {
    session.remove::<Flash>(FLASH).await.map_err(store_err)
}

pub async fn take<T: serde::de::DeserializeOwned>(
    session: &Session,
    key: &str,
) -> AppResult<Option<T>> {
    session.remove::<T>(key).await.map_err(store_err)
}

pub async fn put<T: Serialize + Send + Sync>(
    session: &Session,
    key: &str,
    value: &T,
) -> AppResult<()> {
    session.insert(key, value).await.map_err(store_err)
}

/// Signs `user_id` in: a new session id (no fixation), a new CSRF token.
pub async fn sign_in(session: &Session, user_id: &str) -> AppResult<()> {
    session.cycle_id().await.map_err(store_err)?;
    session.remove::<String>(CSRF).await.map_err(store_err)?;
    session.insert(USER, user_id).await.map_err(store_err)?;
    Ok(())
}

pub async fn sign_out(session: &Session) -> AppResult<()> {
    session.flush().await.map_err(store_err)
}

pub async fn set_tenant(session: &Session, tenant: &str) -> AppResult<()> {
    session.insert(TENANT, tenant).await.map_err(store_err)
}

/// The signed-in user, their tenants (id, role) and the tenant they act in.
pub struct SessionUser {
    pub user: user::Model,
    pub tenants: Vec<(String, Role)>,
    pub tenant: Option<String>,
}

pub async fn user(db: &DatabaseConnection, session: &Session) -> AppResult<Option<SessionUser>> {
    let Some(id) = session.get::<String>(USER).await.map_err(store_err)? else {
        return Ok(None);
    };
    let Some(u) = user::Entity::find_by_id(id).one(db).await? else {
        // The account was deleted meanwhile.
        session.flush().await.map_err(store_err)?;
        return Ok(None);
    };
    let tenants: Vec<(String, Role)> = membership::Entity::find()
        .filter(membership::Column::UserId.eq(&u.id))
        .order_by_asc(membership::Column::TenantId)
        .all(db)
        .await?
        .into_iter()
        .filter_map(|m| Role::parse(&m.role).map(|r| (m.tenant_id, r)))
        .collect();
    let chosen = session.get::<String>(TENANT).await.map_err(store_err)?;
    let tenant = chosen
        .filter(|t| tenants.iter().any(|(id, _)| id == t))
        .or_else(|| tenants.first().map(|(t, _)| t.clone()));
    Ok(Some(SessionUser {
        user: u,
        tenants,
        tenant,
    }))
}

impl SessionUser {
    /// The caller a signed-in browser acts as: the user in their current
    /// tenant, with every scope their role allows.
    pub fn caller(&self) -> Caller {
        let role = self
            .tenant
            .as_ref()
            .and_then(|t| self.tenants.iter().find(|(id, _)| id == t))
            .map(|(_, r)| *r);
        Caller::User(Principal {
            user_id: self.user.id.clone(),
            username: self.user.username.clone(),
            tenant: self.tenant.clone().unwrap_or_default(),
            role,
            is_admin: self.user.is_admin,
            scopes: BTreeSet::from([Scope::Read, Scope::Write, Scope::Publish]),
        })
    }
}
