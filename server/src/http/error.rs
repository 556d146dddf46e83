//! [`AppError`] as an HTTP response (the one JSON error shape, with
//! `Content-Range` for 416 and `WWW-Authenticate` for 401), and the
//! extractors' rejections as `AppError`s.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::error::{AppError, MAX_JSON_BODY};

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        if let AppError::Internal(e) = &self {
            tracing::error!(error = ?e, "internal error");
        }
        let status = self.status();
        let mut response = (status, axum::Json(self.body())).into_response();
        if let AppError::RangeNotSatisfiable(size) = self
            && let Ok(v) = HeaderValue::from_str(&format!("bytes */{size}"))
        {
            response.headers_mut().insert(header::CONTENT_RANGE, v);
        }
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"appcat\""),
            );
        }
        response
    }
}

/// Every body over its limit is 413, whatever extractor read it.
fn too_large_body() -> AppError {
    AppError::PayloadTooLarge(format!(
        "the request body is larger than the {} bytes allowed here",
        MAX_JSON_BODY
    ))
}

impl From<axum::extract::rejection::QueryRejection> for AppError {
    fn from(rejection: axum::extract::rejection::QueryRejection) -> Self {
        AppError::BadRequest(format!("malformed query: {}", rejection.body_text()))
    }
}

impl From<axum::extract::rejection::JsonRejection> for AppError {
    fn from(rejection: axum::extract::rejection::JsonRejection) -> Self {
        use axum::extract::rejection::JsonRejection as R;
        match rejection {
            R::MissingJsonContentType(_) => AppError::UnsupportedMediaType(
                "expected a request with Content-Type: application/json".to_owned(),
            ),
            r if r.status() == StatusCode::PAYLOAD_TOO_LARGE => too_large_body(),
            R::BytesRejection(_) => {
                AppError::BadRequest("the request body could not be read".to_owned())
            }
            other => AppError::BadRequest(format!("malformed JSON: {}", other.body_text())),
        }
    }
}

impl From<axum::extract::rejection::FormRejection> for AppError {
    fn from(rejection: axum::extract::rejection::FormRejection) -> Self {
        use axum::extract::rejection::FormRejection as R;
        match rejection {
            R::InvalidFormContentType(_) => AppError::UnsupportedMediaType(
                "expected a form (application/x-www-form-urlencoded)".to_owned(),
            ),
            r if r.status() == StatusCode::PAYLOAD_TOO_LARGE => too_large_body(),
            other => AppError::BadRequest(format!("malformed form: {}", other.body_text())),
        }
    }
}

impl From<axum::extract::multipart::MultipartRejection> for AppError {
    fn from(rejection: axum::extract::multipart::MultipartRejection) -> Self {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            return too_large_body();
        }
        AppError::BadRequest(format!("malformed upload: {}", rejection.body_text()))
    }
}
