//! Request extractors: who is calling ([`Caller`]) and from where
//! ([`Client`]).
//!
//! A request is anonymous, or carries an API token (`X-Auth-Token: <token>`,
//! as python-glareclient sends, or `Authorization: Bearer <token>`), or the
//! website's session cookie (see `web::session`); a session caller's
//! unsafe API calls must carry the CSRF token in `X-CSRF-Token`.

use axum::extract::FromRequestParts;
use axum::http::Method;
use axum::http::request::Parts;
use sea_orm::DatabaseConnection;

use crate::caller::Caller;
use crate::error::{AppError, AppResult};
use crate::services::accounts;
use crate::state::AppState;
use crate::web::session;

/// The token sent, if any. A header that is present but unreadable (or
/// another scheme than Bearer) yields an empty token, which fails
/// authentication with 401 rather than silently making the caller anonymous.
fn token_from_parts(parts: &Parts) -> Option<&str> {
    if let Some(v) = parts.headers.get("x-auth-token") {
        return Some(v.to_str().unwrap_or(""));
    }
    let auth = parts.headers.get(axum::http::header::AUTHORIZATION)?;
    let auth = auth.to_str().unwrap_or("");
    Some(
        auth.strip_prefix("Bearer ")
            .or_else(|| auth.strip_prefix("bearer "))
            .unwrap_or(""),
    )
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// The caller of a request without a token: the session's user, or
/// anonymous. API calls that change something on the strength of the
/// session cookie must carry the CSRF token in `X-CSRF-Token`.
async fn caller_from_session(db: &DatabaseConnection, parts: &Parts) -> AppResult<Caller> {
    let Some(session) = session::of(parts) else {
        return Ok(Caller::Anonymous);
    };
    let Some(su) = session::user(db, &session).await? else {
        return Ok(Caller::Anonymous);
    };
    if !is_safe(&parts.method) {
        let given = parts
            .headers
            .get(session::CSRF_HEADER)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        session::check_csrf(&session, given).await?;
    }
    Ok(su.caller())
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        match token_from_parts(parts) {
            None => caller_from_session(state.db(), parts).await,
            Some(token) => accounts::authenticate_token(state.db(), token).await,
        }
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

    pub fn key(&self, caller: &Caller) -> String {
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
