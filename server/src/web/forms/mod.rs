//! The form handlers. Each checks the CSRF token, acts through the services
//! as the signed-in caller, leaves a one-time message in the session and
//! redirects (303) to the page to show next.
//!
//! One file per area: [`account`] (sign-in, registration, sign-out, OpenID
//! Connect, the tenant switch), [`artifacts`] (create and manage),
//! [`uploads`], [`shares`], [`tokens`], [`admin`] and [`community`]
//! (ratings and reviews); the helpers they share are here.

pub mod account;
pub mod admin;
pub mod artifacts;
pub mod community;
pub mod shares;
pub mod tokens;
pub mod uploads;

use axum::response::{IntoResponse, Redirect, Response};
use tower_sessions::Session;

use super::session::{self as sess, SessionUser};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

type Pairs = Vec<(String, String)>;

fn get<'a>(f: &'a Pairs, k: &str) -> &'a str {
    f.iter()
        .find(|(key, _)| key == k)
        .map(|(_, v)| v.as_str())
        .unwrap_or("")
}

fn see_other(to: &str) -> Response {
    Redirect::to(to).into_response()
}

/// Only a path on this site is followed. Browsers drop tabs and newlines
/// from URLs and read `\\` as `/`, so `/\t/evil.example` or `/\\evil`
/// would leave the site: anything with whitespace, a control character or
/// a backslash is refused outright, and what is left must still resolve,
/// by the URL standard's own parser, to this origin. The answer is that
/// parser's serialisation (percent-encoded), so it is always a valid header.
pub fn safe_next(next: &str) -> Option<String> {
    if !next.starts_with('/')
        || next.starts_with("//")
        || next.len() > 2048
        || next
            .chars()
            .any(|c| c.is_control() || c.is_whitespace() || c == '\\')
    {
        return None;
    }
    let base = url::Url::parse("http://appcat.invalid/").ok()?;
    let parsed = base.join(next).ok()?;
    if parsed.origin() != base.origin() {
        return None;
    }
    let mut out = parsed.path().to_owned();
    if let Some(q) = parsed.query() {
        out.push('?');
        out.push_str(q);
    }
    if let Some(f) = parsed.fragment() {
        out.push('#');
        out.push_str(f);
    }
    Some(out)
}

fn enc(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

fn manage_href(type_name: &str, id: &str) -> String {
    format!("/space/a/{}/{}", enc(type_name), enc(id))
}

/// Flashes the outcome and redirects: to `to` with `ok`, or back with the
/// error's (client-safe) message.
async fn finish(session: &Session, result: AppResult<(String, String)>, back: &str) -> Response {
    let outcome = match result {
        Ok((to, msg)) => {
            let flashed = if msg.is_empty() {
                Ok(())
            } else {
                sess::flash(session, "ok", msg).await
            };
            flashed.map(|()| to)
        }
        Err(e) => {
            if let AppError::Internal(inner) = &e {
                tracing::error!(error = ?inner, "form failed");
            }
            sess::flash(session, "error", e.to_string())
                .await
                .map(|()| back.to_owned())
        }
    };
    match outcome {
        Ok(to) => see_other(&to),
        Err(e) => e.into_response(),
    }
}

/// The signed-in user after a valid CSRF token, or the response to send.
async fn signed_in(
    state: &AppState,
    session: &Session,
    form: &Pairs,
    back: &str,
) -> Result<SessionUser, Response> {
    sess::check_csrf(session, get(form, "csrf"))
        .await
        .map_err(IntoResponse::into_response)?;
    match sess::user(state.db(), session).await {
        Ok(Some(u)) => Ok(u),
        Ok(None) => Err(see_other(&format!("/login?next={}", enc(back)))),
        Err(e) => Err(e.into_response()),
    }
}
