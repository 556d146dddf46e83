//! Server functions: declared here so the browser build gets their stubs,
//! run on the server through [`crate::data::CatalogData`].

use leptos::prelude::*;

use crate::models::{TypeListing, TypeSummary};

#[cfg(feature = "ssr")]
fn catalog() -> Result<crate::data::SharedCatalogData, ServerFnError> {
    use_context::<crate::data::SharedCatalogData>()
        .ok_or_else(|| ServerFnError::new("the catalog is not available"))
}

#[server(prefix = "/_server")]
pub async fn get_type_summaries() -> Result<Vec<TypeSummary>, ServerFnError> {
    catalog()?
        .type_summaries()
        .await
        .map_err(|_| ServerFnError::new("the catalog is not available"))
}

#[server(prefix = "/_server")]
pub async fn get_type_listing(
    type_name: String,
    marker: Option<String>,
) -> Result<Option<TypeListing>, ServerFnError> {
    catalog()?
        .public_listing(&type_name, marker)
        .await
        .map_err(|_| ServerFnError::new("the catalog is not available"))
}
