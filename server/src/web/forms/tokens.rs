//! API tokens: create (the secret is shown once) and revoke.

use axum::extract::{Path, State};
use axum::response::Response;
use tower_sessions::Session;

use super::{Pairs, finish, get, signed_in};
use crate::error::{bad_request, forbidden, not_found};
use crate::services::{access, accounts};
use crate::state::AppState;
use crate::web::WebForm;
use crate::web::session as sess;

pub async fn create_token(
    State(state): State<AppState>,
    session: Session,
    WebForm(form): WebForm<Pairs>,
) -> Response {
    let back = "/space/tokens";
    let su = match signed_in(&state, &session, &form, back).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let result = async {
        let tenant = get(&form, "tenant");
        let member = su.tenants.iter().any(|(t, _)| t == tenant);
        if !access::can_hold_token(su.user.is_admin, member) {
            return Err(forbidden(format!("you are not a member of '{tenant}'")));
        }
        let name = get(&form, "name").trim();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(bad_request("a token's name has 1 to 100 characters"));
        }
        let scopes: Vec<&str> = form
            .iter()
            .filter(|(k, _)| k == "scope")
            .map(|(_, v)| v.as_str())
            .collect();
        let days = match get(&form, "expires_in_days").trim() {
            "" => None,
            d => Some(
                d.parse::<i64>()
                    .ok()
                    .filter(|d| (1..=3650).contains(d))
                    .ok_or_else(|| bad_request("expiry is 1 to 3650 days, or empty for never"))?,
            ),
        };
        let t = accounts::create_token(
            state.db(),
            &su.user.username,
            tenant,
            name,
            &scopes.join(","),
            days,
        )
        .await?;
        sess::put(&session, sess::NEW_TOKEN, &t.secret).await?;
        Ok((back.to_owned(), String::new()))
    }
    .await;
    finish(&session, result, back).await
}

pub async fn revoke_token(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
    WebForm(form): WebForm<Pairs>,
) -> Response {
    let back = "/space/tokens";
    let su = match signed_in(&state, &session, &form, back).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let result = async {
        let mine = accounts::list_tokens(state.db(), &su.user.username).await?;
        let Some(t) = mine.iter().find(|t| t.id == id) else {
            return Err(not_found("no such token"));
        };
        accounts::revoke_token(state.db(), &t.id).await?;
        Ok((back.to_owned(), format!("Token '{}' revoked.", t.name)))
    }
    .await;
    finish(&session, result, back).await
}
