//! The website's own endpoints: sign-in, registration and sign-out, the
//! OpenID Connect redirect and callback, and the forms of the tenant space
//! and the admin pages. Every form is a plain HTML form that posts here and
//! is answered with a redirect (303) back to a page, so the site works
//! without JavaScript; every form carries the session's CSRF token.
//! Everything goes through the same services as the REST API, as the same
//! caller.

pub mod forms;
pub mod session;
pub mod store;

use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, FromRequest};
use axum::routing::{get, post};
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};

use crate::error::AppError;
use crate::state::{AppState, Web};
use forms::{account, admin, artifacts, community, shares, tokens, uploads};
use store::DbStore;

/// `axum::Form` whose rejections use the API's error shape.
#[derive(FromRequest)]
#[from_request(via(axum::Form), rejection(AppError))]
pub struct WebForm<T>(pub T);

/// The session cookie: `HttpOnly`, `SameSite=Lax`, `Secure` when the site
/// is served over HTTPS; sessions expire after `session_days` unused.
pub fn session_layer(db: sea_orm::DatabaseConnection, web: &Web) -> SessionManagerLayer<DbStore> {
    SessionManagerLayer::new(DbStore::new(db))
        .with_name("appcat_session")
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(web.secure_cookies)
        .with_expiry(Expiry::OnInactivity(time::Duration::days(
            web.session_days.max(1),
        )))
}

/// The form endpoints that answer quickly (under the page time limit).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/login", post(account::login))
        .route("/register", post(account::register))
        .route("/logout", post(account::logout))
        .route("/auth/oidc/login", get(account::oidc_login))
        .route("/auth/oidc/callback", get(account::oidc_callback))
        .route("/space/tenant", post(account::switch_tenant))
        .route("/space/new/{type_name}", post(artifacts::create))
        .route("/space/a/{type_name}/{id}", post(artifacts::manage))
        .route("/space/shares/{type_name}/{id}", post(shares::answer_share))
        .route("/space/tokens", post(tokens::create_token))
        .route("/space/tokens/{id}/revoke", post(tokens::revoke_token))
        .route("/admin/requests/{id}", post(admin::decide))
        .route("/admin/users/{id}", post(admin::admin_user))
        .route("/admin/tenants", post(admin::admin_tenant))
        .route("/admin/memberships", post(admin::admin_membership))
        .route("/community/{type_name}/{id}/rate", post(community::rate))
        .route(
            "/community/{type_name}/{id}/review",
            post(community::review),
        )
        .route(
            "/community/{type_name}/{id}/review/{review_id}",
            post(community::review_action),
        )
}

/// The file upload form: streamed, unbounded in time and only bounded in
/// size by the blob field's limit (as the API's PUT).
pub fn upload_routes() -> Router<AppState> {
    Router::new()
        .route(
            "/space/a/{type_name}/{id}/blob/{blob}",
            post(uploads::upload),
        )
        .layer(DefaultBodyLimit::disable())
}

/// What [`Web`] is made from at start-up.
pub fn settings(cfg: &crate::config::WebConfig, addr: std::net::SocketAddr) -> anyhow::Result<Web> {
    let public_url = cfg
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{addr}"));
    let public_url = public_url.trim_end_matches('/').to_owned();
    let oidc = match &cfg.oidc_issuer {
        Some(issuer) => Some(Arc::new(crate::oidc::Oidc::new(crate::oidc::OidcConfig {
            issuer: issuer.clone(),
            client_id: cfg.oidc_client_id.clone(),
            client_secret: cfg.oidc_client_secret.clone().filter(|s| !s.is_empty()),
            display_name: cfg.oidc_name.clone(),
            redirect_url: format!("{public_url}/auth/oidc/callback"),
        })?)),
        None => None,
    };
    Ok(Web {
        registration_open: cfg.registration == "open",
        secure_cookies: public_url.starts_with("https://"),
        session_days: cfg.session_days,
        oidc,
        trusted_proxies: cfg.trusted_proxies.clone(),
    })
}
