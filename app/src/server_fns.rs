//! Server functions: declared here so the browser build gets their stubs,
//! run on the server through [`crate::data::CatalogData`].

use leptos::prelude::*;

use crate::models::{
    AdminOverview, ArtifactDetail, Gate, ListingQuery, ManagedArtifact, SessionInfo, Space,
    TokensPage, TypeForm, TypeListing, TypeSummary,
};

#[cfg(feature = "ssr")]
fn catalog() -> Result<crate::data::SharedCatalogData, ServerFnError> {
    use_context::<crate::data::SharedCatalogData>()
        .ok_or_else(|| ServerFnError::new("the catalog is not available"))
}

#[cfg(feature = "ssr")]
fn request() -> Result<crate::data::Request, ServerFnError> {
    use_context::<crate::data::Request>().ok_or_else(|| ServerFnError::new("no request in context"))
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
    reviews_page: Option<u64>,
) -> Result<Option<ArtifactDetail>, ServerFnError> {
    catalog()?
        .artifact_detail(&request()?, &type_name, &name, version, reviews_page)
        .await
        .map_err(unavailable)
}

#[server(prefix = "/_server")]
pub async fn get_session_info() -> Result<SessionInfo, ServerFnError> {
    catalog()?
        .session_info(&request()?)
        .await
        .map_err(unavailable)
}

#[server(prefix = "/_server")]
pub async fn get_space() -> Result<Gate<Space>, ServerFnError> {
    catalog()?.space(&request()?).await.map_err(unavailable)
}

#[server(prefix = "/_server")]
pub async fn get_type_form(type_name: String) -> Result<Gate<TypeForm>, ServerFnError> {
    catalog()?
        .type_form(&request()?, &type_name)
        .await
        .map_err(unavailable)
}

#[server(prefix = "/_server")]
pub async fn get_managed_artifact(
    type_name: String,
    id: String,
) -> Result<Gate<ManagedArtifact>, ServerFnError> {
    catalog()?
        .managed_artifact(&request()?, &type_name, &id)
        .await
        .map_err(unavailable)
}

#[server(prefix = "/_server")]
pub async fn get_tokens() -> Result<Gate<TokensPage>, ServerFnError> {
    catalog()?.tokens(&request()?).await.map_err(unavailable)
}

#[server(prefix = "/_server")]
pub async fn get_admin() -> Result<Gate<AdminOverview>, ServerFnError> {
    catalog()?.admin(&request()?).await.map_err(unavailable)
}
