//! The service layer: plain async functions over a [`Catalog`] and a
//! [`Caller`](crate::caller::Caller), returning domain values or
//! [`AppError`](crate::error::AppError). No HTTP types: the REST handlers in
//! `api/` and the page data in `pages.rs` both call these.

pub mod access;
pub mod accounts;
pub mod admin;
pub mod artifacts;
pub mod blobs;
pub mod bundles;
pub mod community;
pub mod deps;
pub mod generate;
pub mod import;
#[cfg(test)]
mod layering;
pub mod list;
pub mod listing;
pub mod markdown;
pub mod members;
pub mod murano;
pub mod properties;
pub mod stats;
pub mod view;

use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::storage::BlobStore;
use crate::types::TypeRegistry;

/// Limits that apply to every request.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Largest blob, whatever its type allows.
    pub max_blob_size: u64,
    /// A `saving` blob whose upload heartbeat is older than this is an
    /// abandoned upload (the heartbeat beats every third of it).
    pub stale_upload_secs: i64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_blob_size: 10 * 1024 * 1024 * 1024,
            stale_upload_secs: 30,
        }
    }
}

/// Everything the services need, cheap to clone.
#[derive(Debug, Clone)]
pub struct Catalog {
    pub db: DatabaseConnection,
    pub types: Arc<TypeRegistry>,
    pub store: BlobStore,
    pub limits: Limits,
    /// Download and page-view counts waiting to be written.
    pub counter: Arc<stats::Counter>,
    /// Cached list counts and facets.
    pub lists: Arc<list::Cache>,
}
