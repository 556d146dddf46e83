//! What the pages need from the catalog, as a trait the server implements
//! with its service layer and hands in with `provide_context`. Pages and the
//! REST API see the same data through the same services.

use std::sync::Arc;

use crate::models::{ArtifactDetail, ListingQuery, TypeListing, TypeSummary};

/// A failure the page reports without details (they are logged on the
/// server).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DataError;

#[async_trait::async_trait]
pub trait CatalogData: Send + Sync + 'static {
    /// Every artifact type with its count of public artifacts.
    async fn type_summaries(&self) -> Result<Vec<TypeSummary>, DataError>;

    /// A page of public artifacts of one type, newest first; `None` if the
    /// type does not exist.
    async fn public_listing(
        &self,
        type_name: &str,
        query: ListingQuery,
    ) -> Result<Option<TypeListing>, DataError>;

    /// One public artifact by type, name and version (the highest visible
    /// release when no version is given); `None` if there is none.
    async fn artifact_detail(
        &self,
        type_name: &str,
        name: &str,
        version: Option<String>,
    ) -> Result<Option<ArtifactDetail>, DataError>;
}

pub type SharedCatalogData = Arc<dyn CatalogData>;
