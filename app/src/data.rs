//! What the pages need from the catalog, as a trait the server implements
//! with its service layer and hands in with `provide_context`. Pages and the
//! REST API see the same data through the same services, as the same
//! caller: every method gets the request, from which the server reads the
//! session (or token) exactly as the API does.

use std::sync::Arc;

use crate::models::{
    AdminOverview, ArtifactDetail, Gate, ListingQuery, ManagedArtifact, SessionInfo, Space,
    TokensPage, TypeForm, TypeListing, TypeSummary,
};

/// The request being served (its headers and extensions: the session).
pub type Request = http::request::Parts;

/// A failure the page reports without details (they are logged on the
/// server).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DataError;

#[async_trait::async_trait]
pub trait CatalogData: Send + Sync + 'static {
    /// Every artifact type with its count of public artifacts.
    async fn type_summaries(&self) -> Result<Vec<TypeSummary>, DataError>;

    /// A page of public artifacts of one type; `None` if the type does not
    /// exist.
    async fn public_listing(
        &self,
        type_name: &str,
        query: ListingQuery,
    ) -> Result<Option<TypeListing>, DataError>;

    /// One artifact the caller may see, by type, name and version (the
    /// highest visible release when no version is given); `None` if there
    /// is none.
    async fn artifact_detail(
        &self,
        req: &Request,
        type_name: &str,
        name: &str,
        version: Option<String>,
        reviews_page: Option<u64>,
    ) -> Result<Option<ArtifactDetail>, DataError>;

    /// Who is signed in, the CSRF token, and the one-time message.
    async fn session_info(&self, req: &Request) -> Result<SessionInfo, DataError>;

    /// The signed-in user's tenant space.
    async fn space(&self, req: &Request) -> Result<Gate<Space>, DataError>;

    /// The form that creates an artifact of `type_name`.
    async fn type_form(&self, req: &Request, type_name: &str) -> Result<Gate<TypeForm>, DataError>;

    /// One artifact of the viewer's tenant (or shared with it) to manage.
    async fn managed_artifact(
        &self,
        req: &Request,
        type_name: &str,
        id: &str,
    ) -> Result<Gate<ManagedArtifact>, DataError>;

    /// The viewer's API tokens.
    async fn tokens(&self, req: &Request) -> Result<Gate<TokensPage>, DataError>;

    /// The catalog admin's overview.
    async fn admin(&self, req: &Request) -> Result<Gate<AdminOverview>, DataError>;
}

pub type SharedCatalogData = Arc<dyn CatalogData>;
