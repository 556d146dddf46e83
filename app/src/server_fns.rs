//! Server functions: declared here so the browser build gets their stubs,
//! run on the server through [`crate::data::CatalogData`].

use leptos::prelude::*;

use crate::models::{ArtifactDetail, ListingQuery, TypeListing, TypeSummary};

#[cfg(feature = "ssr")]
fn catalog() -> Result<crate::data::SharedCatalogData, ServerFnError> {
    use_context::<crate::data::SharedCatalogData>()
        .ok_or_else(|| ServerFnError::new("the catalog is not available"))
}

#[cfg(feature = "ssr")]
fn unavailable(_: crate::data::DataError) -> ServerFnError {
    ServerFnError::new("the catalog is not available")
}

#[server(prefix = "/_server")]
pub async fn get_type_summaries() -> Result<Vec<TypeSummary>, ServerFnError> {
    catalog()?.type_summaries().await.map_err(unavailable)
}

#[server(prefix = "/_server")]
pub async fn get_type_listing(
    type_name: String,
    // Optional: a query with every part empty is sent as nothing at all.
    query: Option<ListingQuery>,
) -> Result<Option<TypeListing>, ServerFnError> {
    catalog()?
        .public_listing(&type_name, query.unwrap_or_default())
        .await
        .map_err(unavailable)
}

#[server(prefix = "/_server")]
pub async fn get_artifact_detail(
    type_name: String,
    name: String,
    version: Option<String>,
) -> Result<Option<ArtifactDetail>, ServerFnError> {
    catalog()?
        .artifact_detail(&type_name, &name, version)
        .await
        .map_err(unavailable)
}
