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
