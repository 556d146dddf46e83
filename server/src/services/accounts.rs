//! Tenants, users, memberships and API tokens (administered from the CLI),
//! and resolving a token to the caller it stands for.

use chrono::{Duration, Utc};
use rand::RngCore;
use sea_orm::sea_query::{Alias, Condition, Expr, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    FromQueryResult, QueryFilter, QueryOrder, Set,
};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::access;
use crate::caller::{Caller, Principal, Role, parse_scopes};
use crate::entities::{api_token, membership, tenant, user};
use crate::error::{AppError, AppResult, bad_request, conflict, forbidden, not_found};

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
        failed_logins: Set(0),
        locked_until: Set(None),
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

/// Tokens are kept as their SHA-256 (see docs/ARCHITECTURE.md, "Decisions").
pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Resolves an API token to the caller it stands for: its user in its
/// tenant, with its scopes. Unknown, expired or orphaned tokens (the user
/// left the tenant) are 401.
pub async fn authenticate_token(db: &DatabaseConnection, token: &str) -> AppResult<Caller> {
    let invalid = || AppError::Unauthorized("the token is invalid, revoked or expired".to_owned());
    // One statement: the token, its user and the user's role in the token's
    // tenant (every authenticated request pays for this lookup).
    let q = Query::select()
        .expr_as(
            Expr::col((api_token::Entity, api_token::Column::Id)),
            Alias::new("token_id"),
        )
        .columns([
            (api_token::Entity, api_token::Column::TenantId),
            (api_token::Entity, api_token::Column::UserId),
            (api_token::Entity, api_token::Column::Scopes),
            (api_token::Entity, api_token::Column::LastUsedAt),
            (api_token::Entity, api_token::Column::ExpiresAt),
        ])
        .columns([
            (user::Entity, user::Column::Username),
            (user::Entity, user::Column::IsAdmin),
        ])
        .column((membership::Entity, membership::Column::Role))
        .from(api_token::Entity)
        .inner_join(
            user::Entity,
            Expr::col((user::Entity, user::Column::Id))
                .equals((api_token::Entity, api_token::Column::UserId)),
        )
        .left_join(
            membership::Entity,
            Condition::all()
                .add(
                    Expr::col((membership::Entity, membership::Column::UserId))
                        .equals((api_token::Entity, api_token::Column::UserId)),
                )
                .add(
                    Expr::col((membership::Entity, membership::Column::TenantId))
                        .equals((api_token::Entity, api_token::Column::TenantId)),
                ),
        )
        .and_where(
            Expr::col((api_token::Entity, api_token::Column::TokenHash))
                .eq(hash_token(token.trim())),
        )
        .to_owned();
    let row = TokenCaller::find_by_statement(db.get_database_backend().build(&q))
        .one(db)
        .await?
        .ok_or_else(invalid)?;
    let now = Utc::now();
    if row.expires_at.is_some_and(|t| t <= now) {
        return Err(invalid());
    }
    let role = row.role.as_deref().and_then(Role::parse);
    if !access::can_hold_token(row.is_admin, role.is_some()) {
        // The user left the tenant the token was made for.
        return Err(invalid());
    }
    let scopes = parse_scopes(&row.scopes).map_err(|_| invalid())?;
    // Recording the last use is best-effort and at most once a minute.
    if row
        .last_used_at
        .is_none_or(|t| now - t > chrono::Duration::minutes(1))
        && let Err(e) = api_token::Entity::update_many()
            .col_expr(api_token::Column::LastUsedAt, Expr::value(now))
            .filter(api_token::Column::Id.eq(row.token_id))
            .exec(db)
            .await
    {
        tracing::warn!(error = %e, "could not record token use");
    }
    Ok(Caller::User(Principal {
        user_id: row.user_id,
        username: row.username,
        tenant: row.tenant_id,
        role,
        is_admin: row.is_admin,
        scopes,
    }))
}

/// What [`authenticate_token`] reads in its one statement.
#[derive(FromQueryResult)]
struct TokenCaller {
    token_id: String,
    tenant_id: String,
    user_id: String,
    scopes: String,
    last_used_at: Option<chrono::DateTime<Utc>>,
    expires_at: Option<chrono::DateTime<Utc>>,
    username: String,
    is_admin: bool,
    role: Option<String>,
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
    if !access::can_hold_token(u.is_admin, member.is_some()) {
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

/// Argon2 hashes at the same time at most: each takes tens of milliseconds
/// of one core and 19 MiB, so a burst of sign-ins queues here instead of
/// taking every core (and the memory) from the rest of the catalog.
fn hashing_permits() -> &'static tokio::sync::Semaphore {
    static PERMITS: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    PERMITS.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        tokio::sync::Semaphore::new(cores.div_ceil(2).max(1))
    })
}

/// Runs Argon2 on the blocking pool, a bounded number at a time, so the
/// async runtime threads that serve every other request never wait for it.
async fn on_hashing_pool<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> AppResult<T> {
    let internal = |e: String| crate::error::AppError::Internal(anyhow::anyhow!(e));
    let _permit = hashing_permits()
        .acquire()
        .await
        .map_err(|e| internal(e.to_string()))?;
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| internal(format!("password hashing task: {e}")))
}

/// Passwords are hashed with Argon2id (the `argon2` crate's defaults, a
/// fresh salt each time) and compared in constant time by `verify_password`.
pub async fn hash_password(password: &str) -> AppResult<String> {
    let password = password.to_owned();
    on_hashing_pool(move || {
        use argon2::password_hash::{PasswordHasher, SaltString, rand_core::OsRng};
        let salt = SaltString::generate(&mut OsRng);
        argon2::Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| anyhow::anyhow!("hashing a password: {e}"))
    })
    .await?
    .map_err(crate::error::AppError::Internal)
}

/// Whether `password` matches `hash`; with no hash (an unknown user, or
/// one who signs in only through a provider) it spends the same time on a
/// hash of its own and answers no.
async fn verify_password(password: &str, hash: Option<&str>) -> AppResult<bool> {
    let password = password.to_owned();
    let hash = hash.map(str::to_owned);
    on_hashing_pool(move || {
        use argon2::password_hash::{PasswordHash, PasswordVerifier};
        match hash.as_deref().map(PasswordHash::new) {
            Some(Ok(h)) => argon2::Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok(),
            _ => {
                use argon2::password_hash::{PasswordHasher, SaltString, rand_core::OsRng};
                let salt = SaltString::generate(&mut OsRng);
                let _ = argon2::Argon2::default().hash_password(password.as_bytes(), &salt);
                false
            }
        }
    })
    .await
}

/// The shortest password accepted.
pub const MIN_PASSWORD_LEN: usize = 10;

fn check_password_rules(password: &str) -> AppResult<()> {
    if password.chars().count() < MIN_PASSWORD_LEN {
        return Err(bad_request(format!(
            "a password has at least {MIN_PASSWORD_LEN} characters"
        )));
    }
    if password.len() > 1024 {
        return Err(bad_request("a password has at most 1024 bytes"));
    }
    Ok(())
}

pub async fn set_password(
    db: &DatabaseConnection,
    username: &str,
    password: &str,
) -> AppResult<()> {
    check_password_rules(password)?;
    let u = find_user(db, username).await?;
    let mut a: user::ActiveModel = u.into();
    a.password_hash = Set(Some(hash_password(password).await?));
    a.update(db).await?;
    Ok(())
}

/// Failed password sign-ins in a row before a user name pauses.
pub const MAX_FAILED_LOGINS: i32 = 10;
/// How long it pauses.
pub const LOCK_MINUTES: i64 = 15;

fn locked_message(minutes: i64) -> crate::error::AppError {
    crate::error::AppError::TooManyRequests(format!(
        "too many failed sign-ins: try again in {minutes} minute(s)"
    ))
}

/// The user with this username and password.
///
/// Failed attempts are counted per user name, whether an account has that
/// name or not, in `sign_in_throttle` (so every replica agrees, and the
/// pause says nothing about which names exist). An attempt is counted
/// before its password is checked, by one conditional statement that
/// refuses once the name is paused or [`MAX_FAILED_LOGINS`] attempts are
/// counted: however many guesses arrive at once, at most that many are
/// checked. The one that finds the count full pauses the name for
/// [`LOCK_MINUTES`]; a right password clears the count. Unknown users cost
/// as much time as a wrong password.
pub async fn check_login(
    db: &DatabaseConnection,
    username: &str,
    password: &str,
) -> AppResult<user::Model> {
    use crate::entities::sign_in_throttle as throttle;
    use sea_orm::sea_query::{Expr, OnConflict};
    let wrong = || crate::error::AppError::Unauthorized("wrong username or password".to_owned());
    let name: String = username.trim().to_lowercase().chars().take(255).collect();
    let now = Utc::now();
    let col = |c: throttle::Column| Expr::col((throttle::Entity, c));
    let reserve = throttle::Entity::insert(throttle::ActiveModel {
        username: Set(name.clone()),
        failed: Set(1),
        locked_until: Set(None),
        updated_at: Set(now),
    })
    .on_conflict(
        OnConflict::column(throttle::Column::Username)
            .values([
                (
                    throttle::Column::Failed,
                    col(throttle::Column::Failed).add(1),
                ),
                (
                    throttle::Column::LockedUntil,
                    Expr::value(Option::<chrono::DateTime<Utc>>::None),
                ),
                (throttle::Column::UpdatedAt, Expr::value(now)),
            ])
            .action_and_where(
                col(throttle::Column::LockedUntil)
                    .is_null()
                    .or(col(throttle::Column::LockedUntil).lte(now))
                    .and(col(throttle::Column::Failed).lt(MAX_FAILED_LOGINS)),
            )
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    if reserve == 0 {
        let until = throttle::Entity::find_by_id(name.clone())
            .one(db)
            .await?
            .and_then(|t| t.locked_until)
            .filter(|t| *t > now);
        let minutes = until.map_or(LOCK_MINUTES, |t| (t - now).num_minutes() + 1);
        return Err(locked_message(minutes));
    }
    let found = user::Entity::find()
        .filter(user::Column::Username.eq(&name))
        .one(db)
        .await?;
    let hash = found.as_ref().and_then(|u| u.password_hash.as_deref());
    if verify_password(password, hash).await?
        && let Some(u) = found
    {
        throttle::Entity::delete_by_id(name).exec(db).await?;
        return Ok(u);
    }
    // The attempt that finds the count full pauses the name.
    throttle::Entity::update_many()
        .col_expr(throttle::Column::Failed, Expr::value(0))
        .col_expr(
            throttle::Column::LockedUntil,
            Expr::value(Some(now + Duration::minutes(LOCK_MINUTES))),
        )
        .col_expr(throttle::Column::UpdatedAt, Expr::value(now))
        .filter(throttle::Column::Username.eq(&name))
        .filter(throttle::Column::Failed.gte(MAX_FAILED_LOGINS))
        .exec(db)
        .await?;
    Err(wrong())
}

/// Forgets counts of failed sign-ins that ended more than a day ago.
pub async fn prune_sign_in_throttle(db: &DatabaseConnection) -> AppResult<u64> {
    use crate::entities::sign_in_throttle as throttle;
    let old = Utc::now() - Duration::days(1);
    Ok(throttle::Entity::delete_many()
        .filter(throttle::Column::UpdatedAt.lt(old))
        .filter(
            sea_orm::Condition::any()
                .add(throttle::Column::LockedUntil.is_null())
                .add(throttle::Column::LockedUntil.lt(old)),
        )
        .exec(db)
        .await?
        .rows_affected)
}

/// A new account with its own tenant (named after the user), of which it is
/// the admin: what registration and a first OpenID Connect login create.
pub async fn register(
    db: &DatabaseConnection,
    username: &str,
    display_name: Option<&str>,
    email: Option<&str>,
    password: Option<&str>,
) -> AppResult<user::Model> {
    use sea_orm::TransactionTrait;
    if let Some(p) = password {
        check_password_rules(p)?;
    }
    let hash = match password {
        Some(p) => Some(hash_password(p).await?),
        None => None,
    };
    let txn = db.begin().await?;
    if tenant::Entity::find_by_id(username.to_owned())
        .one(&txn)
        .await?
        .is_some()
    {
        return Err(conflict(format!("the name '{username}' is taken")));
    }
    if !valid_slug(username) {
        return Err(bad_request(
            "a username is 1 to 64 lowercase letters, digits, '-' or '_'",
        ));
    }
    if user::Entity::find()
        .filter(user::Column::Username.eq(username))
        .one(&txn)
        .await?
        .is_some()
    {
        return Err(conflict(format!("the name '{username}' is taken")));
    }
    let now = Utc::now();
    tenant::ActiveModel {
        id: Set(username.to_owned()),
        display_name: Set(display_name.unwrap_or(username).to_owned()),
        created_at: Set(now),
    }
    .insert(&txn)
    .await?;
    let u = user::ActiveModel {
        id: Set(Uuid::new_v4().to_string()),
        username: Set(username.to_owned()),
        display_name: Set(display_name
            .filter(|d| !d.trim().is_empty())
            .unwrap_or(username)
            .to_owned()),
        email: Set(email.filter(|e| !e.trim().is_empty()).map(str::to_owned)),
        password_hash: Set(hash),
        is_admin: Set(false),
        created_at: Set(now),
        failed_logins: Set(0),
        locked_until: Set(None),
    }
    .insert(&txn)
    .await?;
    membership::ActiveModel {
        user_id: Set(u.id.clone()),
        tenant_id: Set(username.to_owned()),
        role: Set(Role::Admin.as_str().to_owned()),
        created_at: Set(now),
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(u)
}

/// A username made from what a provider says about a user (preferred
/// username, e-mail or subject), free in this catalog.
async fn free_username(db: &DatabaseConnection, wanted: &str) -> AppResult<String> {
    let mut base: String = wanted
        .to_lowercase()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect::<String>()
        .trim_matches(|c| c == '-' || c == '_')
        .chars()
        .take(48)
        .collect();
    if base.is_empty() {
        base = "user".to_owned();
    }
    for n in 0..1000 {
        let candidate = if n == 0 {
            base.clone()
        } else {
            format!("{base}-{n}")
        };
        let taken_user = find_user(db, &candidate).await.is_ok();
        let taken_tenant = tenant::Entity::find_by_id(candidate.clone())
            .one(db)
            .await?
            .is_some();
        if !taken_user && !taken_tenant {
            return Ok(candidate);
        }
    }
    Err(conflict("no free username could be derived"))
}

/// The account linked to an OpenID Connect identity; a first login creates
/// it (with its own tenant) when `may_register`.
pub async fn user_for_identity(
    db: &DatabaseConnection,
    issuer: &str,
    subject: &str,
    preferred_username: Option<&str>,
    email: Option<&str>,
    name: Option<&str>,
    may_register: bool,
) -> AppResult<Option<user::Model>> {
    use crate::entities::user_identity;
    if let Some(link) = user_identity::Entity::find_by_id((issuer.to_owned(), subject.to_owned()))
        .one(db)
        .await?
    {
        return Ok(user::Entity::find_by_id(link.user_id).one(db).await?);
    }
    if !may_register {
        return Ok(None);
    }
    let wanted = preferred_username
        .or_else(|| email.and_then(|e| e.split('@').next()))
        .unwrap_or(subject);
    let username = free_username(db, wanted).await?;
    let u = register(db, &username, name, email, None).await?;
    user_identity::ActiveModel {
        issuer: Set(issuer.to_owned()),
        subject: Set(subject.to_owned()),
        user_id: Set(u.id.clone()),
        created_at: Set(Utc::now()),
    }
    .insert(db)
    .await?;
    Ok(Some(u))
}

/// Makes the user a catalog admin (`admin`) or takes that right away, as
/// `caller`: a catalog admin, who may not take away their own.
pub async fn set_admin(
    db: &DatabaseConnection,
    caller: &Caller,
    user_id: &str,
    admin: bool,
) -> AppResult<user::Model> {
    if !access::can_administer(caller) {
        return Err(forbidden("catalog admins only"));
    }
    if !access::can_set_admin(caller, user_id, admin) {
        return Err(forbidden("you cannot take away your own admin rights"));
    }
    let u = user::Entity::find_by_id(user_id.to_owned())
        .one(db)
        .await?
        .ok_or_else(|| not_found("no such user"))?;
    let mut a: user::ActiveModel = u.into();
    a.is_admin = Set(admin);
    Ok(a.update(db).await?)
}

/// Usernames by user id, for the given ids (unknown ids are left out).
pub async fn usernames(
    db: &DatabaseConnection,
    ids: impl IntoIterator<Item = String>,
) -> AppResult<std::collections::HashMap<String, String>> {
    Ok(user::Entity::find()
        .filter(user::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.username))
        .collect())
}
