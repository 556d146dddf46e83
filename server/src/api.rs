//! The REST API: Glare v1 dialect under `/api/v1`, one file per resource.
//! Routes and the OpenAPI document come from the same `#[utoipa::path]`
//! annotations (see `router.rs`).

pub mod artifacts;
pub mod blobs;
pub mod bundles;
pub mod community;
pub mod deps;
pub mod listing;
pub mod members;
pub mod schemas;

use axum::extract::FromRequest;
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::AppError;

/// `axum::Json` whose rejections use the API's error shape.
#[derive(FromRequest)]
#[from_request(via(axum::Json), rejection(AppError))]
pub struct ApiJson<T>(pub T);

impl<T: Serialize> axum::response::IntoResponse for ApiJson<T> {
    fn into_response(self) -> axum::response::Response {
        axum::Json(self.0).into_response()
    }
}

/// Where a request comes from, for counting downloads and views once per
/// client: the peer address (when the server was started with connect info)
/// and the user agent.
#[derive(Debug, Clone, Default)]
pub struct Client {
    pub addr: Option<std::net::SocketAddr>,
    pub user_agent: Option<String>,
}

impl Client {
    pub fn from_parts(parts: &axum::http::request::Parts) -> Client {
        Client {
            addr: parts
                .extensions
                .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                .map(|c| c.0),
            user_agent: parts
                .headers
                .get(axum::http::header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
        }
    }

    pub fn key(&self, caller: &crate::auth::Caller) -> String {
        crate::services::stats::client_key(caller, self.addr, self.user_agent.as_deref())
    }
}

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Client {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(Client::from_parts(parts))
    }
}

/// Parses a raw query string into its pairs, keeping repeated keys.
pub fn query_pairs(raw: Option<&str>) -> Vec<(String, String)> {
    form_urlencoded::parse(raw.unwrap_or("").as_bytes())
        .into_owned()
        .collect()
}

/// An artifact: base fields plus the fields, blobs and links of its type.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "0e9a6f5c-2c52-4a5e-9a43-1d1f3c1b2f10", "name": "hello_world", "version": "1.0.0",
    "type_name": "heat_templates", "owner": "acme", "visibility": "private", "status": "drafted"
}))]
pub struct ArtifactBody(pub serde_json::Map<String, serde_json::Value>);
