//! Shared state handed to handlers and server functions.

use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use sea_orm::DatabaseConnection;

use crate::services::Catalog;

#[derive(Clone, FromRef)]
pub struct AppState {
    pub catalog: Catalog,
    pub leptos_options: LeptosOptions,
}

impl AppState {
    pub fn db(&self) -> &DatabaseConnection {
        &self.catalog.db
    }
}
