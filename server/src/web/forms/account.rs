//! Sign-in, registration and sign-out, the OpenID Connect redirect and
//! callback, and the choice of the tenant to act in.

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tower_sessions::Session;

use super::{Pairs, enc, finish, get, safe_next, see_other, signed_in};
use crate::error::{AppError, bad_request, forbidden, not_found};
use crate::services::accounts;
use crate::state::AppState;
use crate::web::WebForm;
use crate::web::session as sess;

pub async fn login(
    State(state): State<AppState>,
    session: Session,
    WebForm(form): WebForm<Pairs>,
) -> Response {
    if let Err(e) = sess::check_csrf(&session, get(&form, "csrf")).await {
        return e.into_response();
    }
    let next = safe_next(get(&form, "next")).unwrap_or_else(|| "/space".to_owned());
    let back = format!("/login?next={}", enc(&next));
    let result = async {
        let u = accounts::check_login(state.db(), get(&form, "username"), get(&form, "password"))
            .await?;
        sess::sign_in(&session, &u.id).await?;
        Ok((next.clone(), format!("Signed in as {}.", u.username)))
    }
    .await;
    finish(&session, result, &back).await
}

pub async fn register(
    State(state): State<AppState>,
    session: Session,
    WebForm(form): WebForm<Pairs>,
) -> Response {
    if let Err(e) = sess::check_csrf(&session, get(&form, "csrf")).await {
        return e.into_response();
    }
    let result = async {
        if !state.web.registration_open {
            return Err(forbidden(
                "registration is closed on this catalog: ask its operator for an account",
            ));
        }
        let password = get(&form, "password");
        if password != get(&form, "password2") {
            return Err(bad_request("the two passwords differ"));
        }
        let username = get(&form, "username").trim().to_lowercase();
        let display = get(&form, "display_name").trim();
        let u = accounts::register(
            state.db(),
            &username,
            Some(display).filter(|d| !d.is_empty()),
            Some(get(&form, "email").trim()),
            Some(password),
        )
        .await?;
        sess::sign_in(&session, &u.id).await?;
        Ok((
            "/space".to_owned(),
            format!(
                "Welcome, {}! Your tenant '{}' is ready.",
                u.display_name, u.username
            ),
        ))
    }
    .await;
    finish(&session, result, "/register").await
}

pub async fn logout(session: Session, WebForm(form): WebForm<Pairs>) -> Response {
    if let Err(e) = sess::check_csrf(&session, get(&form, "csrf")).await {
        return e.into_response();
    }
    match sess::sign_out(&session).await {
        Ok(()) => see_other("/"),
        Err(e) => e.into_response(),
    }
}

#[derive(Debug, Deserialize)]
pub struct OidcStart {
    next: Option<String>,
}

pub async fn oidc_login(
    State(state): State<AppState>,
    session: Session,
    Query(q): Query<OidcStart>,
) -> Response {
    let Some(oidc) = state.web.oidc.clone() else {
        return not_found("no sign-in provider is configured").into_response();
    };
    let next = q.next.as_deref().and_then(safe_next);
    let result = async {
        let (url, pending) = oidc
            .begin(next)
            .await
            .map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))?;
        sess::put(&session, sess::OIDC_PENDING, &pending).await?;
        Ok(url)
    }
    .await;
    match result {
        Ok(url) => Redirect::to(&url).into_response(),
        Err(e) => {
            finish(
                &session,
                Err(match e {
                    AppError::Internal(_) => AppError::Unavailable,
                    e => e,
                }),
                "/login",
            )
            .await
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct OidcReturn {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

pub async fn oidc_callback(
    State(state): State<AppState>,
    session: Session,
    Query(q): Query<OidcReturn>,
) -> Response {
    let Some(oidc) = state.web.oidc.clone() else {
        return not_found("no sign-in provider is configured").into_response();
    };
    let result = async {
        let pending: crate::oidc::PendingLogin = sess::take(&session, sess::OIDC_PENDING)
            .await?
            .ok_or_else(|| {
                bad_request("this sign-in has expired or was already used: start again")
            })?;
        if let Some(err) = q.error {
            return Err(AppError::Unauthorized(format!(
                "the provider refused the sign-in: {}",
                q.error_description.unwrap_or(err)
            )));
        }
        let code = q
            .code
            .ok_or_else(|| bad_request("the provider sent no code"))?;
        let st = q
            .state
            .ok_or_else(|| bad_request("the provider sent no state"))?;
        let next = pending.next.clone();
        let id = oidc.finish(pending, &code, &st).await.map_err(|e| {
            tracing::warn!(error = %e, "OpenID Connect sign-in failed");
            AppError::Unauthorized(format!("the sign-in could not be verified: {e}"))
        })?;
        let Some(u) = accounts::user_for_identity(
            state.db(),
            &id.issuer,
            &id.subject,
            id.preferred_username.as_deref(),
            id.email.as_deref(),
            id.name.as_deref(),
            state.web.registration_open,
        )
        .await?
        else {
            return Err(forbidden(
                "no account is linked to this identity and registration is closed",
            ));
        };
        sess::sign_in(&session, &u.id).await?;
        Ok((
            next.unwrap_or_else(|| "/space".to_owned()),
            format!("Signed in as {}.", u.username),
        ))
    }
    .await;
    finish(&session, result, "/login").await
}

pub async fn switch_tenant(
    State(state): State<AppState>,
    session: Session,
    WebForm(form): WebForm<Pairs>,
) -> Response {
    let back = safe_next(get(&form, "next")).unwrap_or_else(|| "/space".to_owned());
    let su = match signed_in(&state, &session, &form, &back).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let tenant = get(&form, "tenant");
    let result = async {
        if !su.tenants.iter().any(|(t, _)| t == tenant) {
            return Err(forbidden(format!("you are not a member of '{tenant}'")));
        }
        sess::set_tenant(&session, tenant).await?;
        Ok(("/space".to_owned(), format!("Now acting in {tenant}.")))
    }
    .await;
    finish(&session, result, &back).await
}
