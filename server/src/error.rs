//! Errors.
//!
//! Which type belongs where: the service layer returns [`AppError`] (domain
//! errors with a client-safe message, or `Internal` wrapping anything else);
//! `anyhow` is used only outside requests (start-up, CLI). Every error a
//! client sees has Glare's shape:
//! `{"code", "title", "explanation", "error": {"message", "type"}}`.
//! Internal errors are logged in full and answered with a generic message
//! (the response and the extractors' rejections are in `http::error`).

use axum::http::StatusCode;
use sea_orm::{DbErr, SqlErr};
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    PayloadTooLarge(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("{0}")]
    TooManyRequests(String),
    #[error("the requested range is not satisfiable")]
    RangeNotSatisfiable(u64),
    #[error("the service is temporarily unavailable")]
    Unavailable,
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

pub type AppResult<T> = Result<T, AppError>;

pub fn bad_request(msg: impl Into<String>) -> AppError {
    AppError::BadRequest(msg.into())
}

pub fn forbidden(msg: impl Into<String>) -> AppError {
    AppError::Forbidden(msg.into())
}

pub fn not_found(msg: impl Into<String>) -> AppError {
    AppError::NotFound(msg.into())
}

pub fn conflict(msg: impl Into<String>) -> AppError {
    AppError::Conflict(msg.into())
}

impl AppError {
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::RangeNotSatisfiable(_) => StatusCode::RANGE_NOT_SATISFIABLE,
            AppError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            AppError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn kind(&self) -> &'static str {
        match self {
            AppError::BadRequest(_) => "BadRequest",
            AppError::Unauthorized(_) => "Unauthorized",
            AppError::Forbidden(_) => "Forbidden",
            AppError::NotFound(_) => "NotFound",
            AppError::Conflict(_) => "Conflict",
            AppError::PayloadTooLarge(_) => "RequestEntityTooLarge",
            AppError::UnsupportedMediaType(_) => "UnsupportedMediaType",
            AppError::RangeNotSatisfiable(_) => "RequestedRangeNotSatisfiable",
            AppError::TooManyRequests(_) => "TooManyRequests",
            AppError::Unavailable => "ServiceUnavailable",
            AppError::Internal(_) => "InternalServerError",
        }
    }

    pub fn body(&self) -> ErrorBody {
        let status = self.status();
        let message = self.to_string();
        ErrorBody {
            code: status.as_u16(),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            explanation: message.clone(),
            error: ErrorDetail {
                message,
                kind: self.kind().to_owned(),
            },
        }
    }
}

/// The one error shape of the API.
#[derive(Debug, Serialize, serde::Deserialize, ToSchema)]
pub struct ErrorBody {
    /// HTTP status code.
    pub code: u16,
    /// HTTP reason phrase.
    pub title: String,
    /// What went wrong, for people.
    pub explanation: String,
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, serde::Deserialize, ToSchema)]
pub struct ErrorDetail {
    pub message: String,
    /// Machine-readable kind, e.g. `NotFound`, `Conflict`.
    #[serde(rename = "type")]
    pub kind: String,
}

impl From<DbErr> for AppError {
    fn from(e: DbErr) -> Self {
        match e.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(_)) => {
                AppError::Conflict("a record with the same unique key already exists".to_owned())
            }
            _ => match &e {
                DbErr::ConnectionAcquire(_) => AppError::Unavailable,
                DbErr::RecordNotFound(_) => AppError::NotFound("not found".to_owned()),
                _ => AppError::Internal(e.into()),
            },
        }
    }
}

impl From<object_store::Error> for AppError {
    fn from(e: object_store::Error) -> Self {
        match e {
            object_store::Error::NotFound { .. } => {
                AppError::NotFound("the blob's data is missing".to_owned())
            }
            e => AppError::Internal(e.into()),
        }
    }
}

/// The largest JSON or form body (blob uploads and bundles stream and have
/// limits of their own).
pub const MAX_JSON_BODY: usize = 2 * 1024 * 1024;
