//! Who is calling: anonymous, or a user acting in one tenant through an API
//! token (`X-Auth-Token: <token>`, as python-glareclient sends, or
//! `Authorization: Bearer <token>`), or through the website's session
//! cookie (see `web::session`).

use std::collections::BTreeSet;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use chrono::Utc;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use sha2::{Digest, Sha256};

use crate::entities::{api_token, membership, user};
use crate::error::{AppError, forbidden};
use crate::state::AppState;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scope {
    /// Read what the tenant may read (every token has it).
    Read,
    /// Create, edit, upload, share and delete.
    Write,
    /// Change lifecycle status and visibility (activate, publish).
    Publish,
}

impl Scope {
    pub fn parse(s: &str) -> Option<Scope> {
        match s.trim() {
            "read" => Some(Scope::Read),
            "write" => Some(Scope::Write),
            "publish" => Some(Scope::Publish),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::Write => "write",
            Scope::Publish => "publish",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Member,
    Admin,
}

impl Role {
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "member" => Some(Role::Member),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Member => "member",
            Role::Admin => "admin",
        }
    }
}

/// An authenticated user acting in one tenant.
#[derive(Debug, Clone)]
pub struct Principal {
    pub user_id: String,
    pub username: String,
    pub tenant: String,
    /// The user's role in `tenant`; `None` for a catalog admin acting in a
    /// tenant they are not a member of.
    pub role: Option<Role>,
    pub is_admin: bool,
    pub scopes: BTreeSet<Scope>,
}

#[derive(Debug, Clone)]
pub enum Caller {
    Anonymous,
    User(Principal),
}

impl Caller {
    /// The catalog itself (imports, internal checks): a catalog admin acting
    /// in `tenant`, with every scope, and no user.
    pub fn system(tenant: &str) -> Caller {
        Caller::User(Principal {
            user_id: String::new(),
            username: "appcat".to_owned(),
            tenant: tenant.to_owned(),
            role: Some(Role::Admin),
            is_admin: true,
            scopes: BTreeSet::from([Scope::Read, Scope::Write, Scope::Publish]),
        })
    }

    pub fn principal(&self) -> Option<&Principal> {
        match self {
            Caller::Anonymous => None,
            Caller::User(p) => Some(p),
        }
    }

    pub fn is_admin(&self) -> bool {
        self.principal().is_some_and(|p| p.is_admin)
    }

    pub fn tenant(&self) -> Option<&str> {
        self.principal().map(|p| p.tenant.as_str())
    }

    /// The caller may act for `tenant` (a member of it, or a catalog admin).
    pub fn is_member_of(&self, tenant: &str) -> bool {
        self.principal()
            .is_some_and(|p| p.tenant == tenant && p.role.is_some())
    }

    pub fn is_tenant_admin_of(&self, tenant: &str) -> bool {
        self.principal()
            .is_some_and(|p| p.tenant == tenant && p.role == Some(Role::Admin))
    }

    /// Fails unless the caller is authenticated and its token carries `scope`.
    pub fn require_scope(&self, scope: Scope) -> Result<&Principal, AppError> {
        match self {
            Caller::Anonymous => Err(AppError::Unauthorized(
                "authentication required: send X-Auth-Token".to_owned(),
            )),
            Caller::User(p) if p.scopes.contains(&scope) => Ok(p),
            Caller::User(_) => Err(forbidden(format!(
                "this token lacks the '{}' scope",
                scope.as_str()
            ))),
        }
    }
}

pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

pub fn parse_scopes(text: &str) -> Result<BTreeSet<Scope>, String> {
    let mut scopes = BTreeSet::from([Scope::Read]);
    for part in text.split(',').filter(|s| !s.trim().is_empty()) {
        scopes
            .insert(Scope::parse(part).ok_or_else(|| {
                format!("unknown scope '{}' (read, write, publish)", part.trim())
            })?);
    }
    Ok(scopes)
}

/// The token sent, if any. A header that is present but unreadable (or
/// another scheme than Bearer) yields an empty token, which fails
/// authentication with 401 rather than silently making the caller anonymous.
fn token_from_parts(parts: &Parts) -> Option<&str> {
    if let Some(v) = parts.headers.get("x-auth-token") {
        return Some(v.to_str().unwrap_or(""));
    }
    let auth = parts.headers.get(axum::http::header::AUTHORIZATION)?;
    let auth = auth.to_str().unwrap_or("");
    Some(
        auth.strip_prefix("Bearer ")
            .or_else(|| auth.strip_prefix("bearer "))
            .unwrap_or(""),
    )
}

/// Resolves a token to a caller; unknown or expired tokens are 401.
pub async fn authenticate(state: &AppState, token: &str) -> Result<Caller, AppError> {
    authenticate_with_db(state.db(), token).await
}

pub async fn authenticate_with_db(
    db: &sea_orm::DatabaseConnection,
    token: &str,
) -> Result<Caller, AppError> {
    let invalid = || AppError::Unauthorized("the token is invalid, revoked or expired".to_owned());
    let row = api_token::Entity::find()
        .filter(api_token::Column::TokenHash.eq(hash_token(token.trim())))
        .one(db)
        .await?
        .ok_or_else(invalid)?;
    let now = Utc::now();
    if row.expires_at.is_some_and(|t| t <= now) {
        return Err(invalid());
    }
    let user = user::Entity::find_by_id(row.user_id.clone())
        .one(db)
        .await?
        .ok_or_else(invalid)?;
    let role = membership::Entity::find_by_id((user.id.clone(), row.tenant_id.clone()))
        .one(db)
        .await?
        .and_then(|m| Role::parse(&m.role));
    if role.is_none() && !user.is_admin {
        // The user left the tenant the token was made for.
        return Err(invalid());
    }
    let scopes = parse_scopes(&row.scopes).map_err(|_| invalid())?;
    // Recording the last use is best-effort and at most once a minute.
    if row
        .last_used_at
        .is_none_or(|t| now - t > chrono::Duration::minutes(1))
    {
        let mut active: api_token::ActiveModel = row.clone().into();
        active.last_used_at = Set(Some(now));
        if let Err(e) = active.update(db).await {
            tracing::warn!(error = %e, "could not record token use");
        }
    }
    Ok(Caller::User(Principal {
        user_id: user.id,
        username: user.username,
        tenant: row.tenant_id,
        role,
        is_admin: user.is_admin,
        scopes,
    }))
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        match token_from_parts(parts) {
            None => crate::web::session::caller_from_session(state.db(), parts).await,
            Some(token) => authenticate(state, token).await,
        }
    }
}
