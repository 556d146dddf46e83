//! The upload form of a blob field, for browsers without JavaScript.

use axum::extract::{Multipart, Path, State};
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use tower_sessions::Session;

use super::{finish, manage_href, signed_in};
use crate::error::{AppError, bad_request, forbidden};
use crate::services::blobs;
use crate::state::AppState;

/// The upload form without JavaScript: `csrf`, then optionally `key` (for
/// a blob dict), then the file, streamed into the blob store.
pub async fn upload(
    State(state): State<AppState>,
    session: Session,
    Path((type_name, id, blob)): Path<(String, String, String)>,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    let back = manage_href(&type_name, &id);
    let mut multipart = match multipart {
        Ok(m) => m,
        Err(e) => return AppError::from(e).into_response(),
    };
    let bad = |e: axum::extract::multipart::MultipartError| {
        bad_request(format!("malformed upload: {}", e.body_text())).into_response()
    };
    // The token comes first, so nothing is stored for a forged form.
    let csrf = match multipart.next_field().await {
        Ok(Some(f)) if f.name() == Some("csrf") => match f.text().await {
            Ok(t) => t,
            Err(e) => return bad(e),
        },
        Ok(_) => {
            return forbidden("the upload form must start with its CSRF token").into_response();
        }
        Err(e) => return bad(e),
    };
    let form = vec![("csrf".to_owned(), csrf)];
    let su = match signed_in(&state, &session, &form, &back).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let caller = su.caller();
    let result = async {
        let mut key = String::new();
        loop {
            let Some(field) = multipart
                .next_field()
                .await
                .map_err(|e| bad_request(format!("malformed upload: {}", e.body_text())))?
            else {
                return Err(bad_request("choose a file to upload"));
            };
            match field.name() {
                Some("key") => {
                    key = field
                        .text()
                        .await
                        .map_err(|e| bad_request(format!("malformed upload: {}", e.body_text())))?
                        .trim()
                        .to_owned();
                }
                Some("file") => {
                    let file_name = field.file_name().unwrap_or("").to_owned();
                    if file_name.is_empty() {
                        return Err(bad_request("choose a file to upload"));
                    }
                    let content_type = field
                        .content_type()
                        .unwrap_or("application/octet-stream")
                        .to_owned();
                    let key = (!key.is_empty()).then_some(key.as_str());
                    let stored = blobs::upload(
                        &state.catalog,
                        &caller,
                        &type_name,
                        &id,
                        &blob,
                        key,
                        Some(&content_type),
                        None,
                        field,
                    )
                    .await?;
                    let size = stored
                        .field(blob.as_str())
                        .and_then(|b| {
                            b.get("size")
                                .or_else(|| key.and_then(|k| b.get(k)?.get("size")))
                        })
                        .and_then(Value::as_u64)
                        .map(|s| format!(" ({s} bytes)"))
                        .unwrap_or_default();
                    return Ok((back.clone(), format!("Uploaded {file_name}{size}.")));
                }
                _ => {}
            }
        }
    }
    .await;
    finish(&session, result, &back).await
}
