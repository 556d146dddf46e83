//! Shared state handed to handlers and server functions.

use std::sync::Arc;

use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use sea_orm::DatabaseConnection;

use crate::oidc::Oidc;
use crate::services::Catalog;

/// How the website runs: from [`crate::config::WebConfig`].
#[derive(Clone, Default)]
pub struct Web {
    pub registration_open: bool,
    /// Session cookies carry `Secure` (the site is served over HTTPS).
    pub secure_cookies: bool,
    pub session_days: i64,
    pub oidc: Option<Arc<Oidc>>,
    /// Reverse proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<std::net::IpAddr>,
}

impl Web {
    /// Settings for tests and embedding: open registration, no provider.
    pub fn open() -> Web {
        Web {
            registration_open: true,
            secure_cookies: false,
            session_days: 14,
            oidc: None,
            trusted_proxies: Vec::new(),
        }
    }
}

#[derive(Clone, FromRef)]
pub struct AppState {
    pub catalog: Catalog,
    pub leptos_options: LeptosOptions,
    pub web: Arc<Web>,
}

impl AppState {
    pub fn db(&self) -> &DatabaseConnection {
        &self.catalog.db
    }
}
