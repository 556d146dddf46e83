//! Who is calling: anonymous, or a user acting in one tenant with a role
//! there and the scopes of their token (a signed-in browser has every
//! scope). Plain data with pure methods: this module is a leaf, it imports
//! nothing from the crate but [`crate::error`]. How a request becomes a
//! [`Caller`] (tokens, the session cookie) is in `http::extract`; what a
//! caller may do is in `services::access`.

use std::collections::BTreeSet;

use crate::error::{AppError, forbidden};

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

/// A token's scopes from their stored or given list (`write,publish`);
/// `read` is always among them.
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
