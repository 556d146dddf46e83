//! The answer of a tenant to a share offered to it.

use axum::extract::{Path, State};
use axum::response::Response;
use tower_sessions::Session;

use super::{Pairs, finish, get, signed_in};
use crate::error::bad_request;
use crate::services::members;
use crate::state::AppState;
use crate::web::WebForm;

/// Accepts or declines a share offered to the signed-in user's tenant.
pub async fn answer_share(
    State(state): State<AppState>,
    session: Session,
    Path((type_name, id)): Path<(String, String)>,
    WebForm(form): WebForm<Pairs>,
) -> Response {
    let back = "/space";
    let su = match signed_in(&state, &session, &form, back).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let caller = su.caller();
    let result = async {
        let tenant = caller
            .tenant()
            .map(str::to_owned)
            .ok_or_else(|| bad_request("choose a tenant first"))?;
        let answer = get(&form, "answer");
        members::answer(&state.catalog, &caller, &type_name, &id, &tenant, answer).await?;
        let msg = if answer == members::ACCEPTED {
            "Share accepted: this tenant's links may now resolve to it."
        } else {
            "Share declined: it is hidden from this tenant."
        };
        Ok((back.to_owned(), msg.to_owned()))
    }
    .await;
    finish(&session, result, back).await
}
