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
pub mod query;
pub mod schemas;

use axum::extract::{FromRequest, FromRequestParts};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::AppError;

/// `axum::Json` whose rejections use the API's error shape. A body with a
/// NUL character anywhere is refused (400) before any handler sees it:
/// no database keeps one in text.
pub struct ApiJson<T>(pub T);

impl<T: serde::de::DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = AppError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, AppError> {
        let axum::Json(value) = axum::Json::<serde_json::Value>::from_request(req, state).await?;
        if let Some(at) = crate::types::validate::find_nul(&value) {
            return Err(crate::error::bad_request(format!(
                "the JSON body holds a NUL character at '{at}'"
            )));
        }
        serde_json::from_value(value).map(ApiJson).map_err(|e| {
            crate::error::bad_request(format!(
                "malformed JSON: Failed to deserialize the JSON body into the target type: {e}"
            ))
        })
    }
}

/// `axum::extract::Query` whose rejections use the API's error shape.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(AppError))]
pub struct ApiQuery<T>(pub T);

impl<T: Serialize> axum::response::IntoResponse for ApiJson<T> {
    fn into_response(self) -> axum::response::Response {
        axum::Json(self.0).into_response()
    }
}

/// Proxies whose `X-Forwarded-For` is believed (`APPCAT_TRUSTED_PROXIES`),
/// put into every request's extensions by the router.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(pub std::sync::Arc<Vec<std::net::IpAddr>>);

/// Where a request comes from, for counting downloads and views once per
/// client: the peer address (or, when the peer is a trusted proxy, the
/// address it says it forwarded for) and the method. Nothing the client
/// can set freely (such as its user agent) is part of it.
#[derive(Debug, Clone, Default)]
pub struct Client {
    pub ip: Option<std::net::IpAddr>,
    pub method: axum::http::Method,
}

impl Client {
    pub fn from_parts(parts: &axum::http::request::Parts) -> Client {
        let peer = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|c| c.0.ip());
        let trusted = parts
            .extensions
            .get::<TrustedProxies>()
            .is_some_and(|t| peer.is_some_and(|p| t.0.contains(&p)));
        // The last hop a trusted proxy added is the only entry it vouches for.
        let forwarded = trusted
            .then(|| {
                parts
                    .headers
                    .get_all("x-forwarded-for")
                    .iter()
                    .filter_map(|v| v.to_str().ok())
                    .flat_map(|v| v.split(','))
                    .filter_map(|ip| ip.trim().parse::<std::net::IpAddr>().ok())
                    .next_back()
            })
            .flatten();
        Client {
            ip: forwarded.or(peer),
            method: parts.method.clone(),
        }
    }

    /// Only a `GET` (not `HEAD`, which transfers nothing) counts.
    pub fn counts(&self) -> bool {
        self.method == axum::http::Method::GET
    }

    pub fn key(&self, caller: &crate::auth::Caller) -> String {
        crate::services::stats::client_key(caller, self.ip)
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
