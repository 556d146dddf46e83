//! The form handlers. Each checks the CSRF token, acts through the services
//! as the signed-in caller, leaves a one-time message in the session and
//! redirects (303) to the page to show next.

use axum::extract::{Multipart, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use tower_sessions::Session;

use super::WebForm;
use super::session::{self as sess, SessionUser};
use crate::auth::{Caller, Role};
use crate::error::{AppError, AppResult, bad_request, forbidden, not_found};
use crate::services::{accounts, artifacts, blobs, community, listing, members};
use crate::state::AppState;
use crate::types::definition::{FieldDef, FieldKind};
use crate::types::registry::ArtifactType;

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

// ---------------------------------------------------------------------------
// Accounts

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

// ---------------------------------------------------------------------------
// Artifacts

/// A form value as the field's JSON value; `None` for an empty input.
fn form_value(name: &str, def: &FieldDef, raw: &str) -> AppResult<Option<Value>> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    let scalar = |kind: FieldKind, text: &str| -> AppResult<Value> {
        Ok(match kind {
            FieldKind::Integer => {
                json!(text.parse::<i64>().map_err(|_| bad_request(format!(
                    "'{name}' takes whole numbers, not '{text}'"
                )))?)
            }
            FieldKind::Number => json!(
                text.parse::<f64>()
                    .map_err(|_| bad_request(format!("'{name}' takes numbers, not '{text}'")))?
            ),
            FieldKind::Boolean => match text {
                "true" | "on" | "yes" => json!(true),
                "false" | "off" | "no" => json!(false),
                _ => return Err(bad_request(format!("'{name}' is true or false"))),
            },
            _ => json!(text),
        })
    };
    let lines = || {
        raw.lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect::<Vec<_>>()
    };
    Ok(Some(match def.kind {
        FieldKind::List => Value::Array(
            lines()
                .into_iter()
                .map(|l| scalar(def.item_kind(), l))
                .collect::<AppResult<_>>()?,
        ),
        FieldKind::Dict => {
            let mut m = Map::new();
            for l in lines() {
                let (k, v) = l.split_once('=').ok_or_else(|| {
                    bad_request(format!("'{name}' takes lines of key=value, not '{l}'"))
                })?;
                m.insert(k.trim().to_owned(), scalar(def.item_kind(), v.trim())?);
            }
            Value::Object(m)
        }
        k => scalar(k, raw)?,
    }))
}

/// Link fields are edited as JSON (see docs/TYPES.md for their shapes).
fn link_value(name: &str, raw: &str) -> AppResult<Option<Value>> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    serde_json::from_str(raw)
        .map(Some)
        .map_err(|e| bad_request(format!("'{name}' must be JSON: {e}")))
}

/// The value an input gives for a field or link of the type, by name.
fn input_value(ty: &ArtifactType, name: &str, raw: &str) -> AppResult<Option<Value>> {
    if name == "description" {
        let raw = raw.trim();
        return Ok((!raw.is_empty()).then(|| json!(raw)));
    }
    if let Some(def) = ty.fields.get(name) {
        return form_value(name, def, raw);
    }
    if ty.links.contains_key(name) {
        return link_value(name, raw);
    }
    Err(bad_request(format!("unknown field '{name}'")))
}

fn is_form_control(k: &str) -> bool {
    matches!(
        k,
        "csrf" | "action" | "name" | "version" | "tenant" | "message" | "next"
    )
}

pub async fn create(
    State(state): State<AppState>,
    session: Session,
    Path(type_name): Path<String>,
    WebForm(form): WebForm<Pairs>,
) -> Response {
    let back = format!("/space/new/{}", enc(&type_name));
    let su = match signed_in(&state, &session, &form, &back).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let caller = su.caller();
    let result = async {
        let ty = artifacts::resolve_type(&state.catalog, &type_name)?;
        let mut body = Map::new();
        body.insert("name".into(), json!(get(&form, "name").trim()));
        let version = get(&form, "version").trim();
        if !version.is_empty() {
            body.insert("version".into(), json!(version));
        }
        for (k, raw) in form.iter().filter(|(k, _)| !is_form_control(k)) {
            if let Some(v) = input_value(&ty, k, raw)? {
                body.insert(k.clone(), v);
            }
        }
        let created =
            artifacts::create(&state.catalog, &caller, &type_name, Value::Object(body)).await?;
        let id = created
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        Ok((
            manage_href(&type_name, &id),
            "Created as a draft. Upload its files, then activate it.".to_owned(),
        ))
    }
    .await;
    finish(&session, result, &back).await
}

fn patch(ops: Vec<Value>) -> AppResult<json_patch::Patch> {
    serde_json::from_value(Value::Array(ops)).map_err(|e| AppError::Internal(e.into()))
}

async fn set_field(
    state: &AppState,
    caller: &Caller,
    type_name: &str,
    id: &str,
    path: &str,
    value: &str,
) -> AppResult<Value> {
    let p = patch(vec![json!({"op": "replace", "path": path, "value": value})])?;
    artifacts::update(&state.catalog, caller, type_name, id, &p).await
}

/// The edit: one JSON patch with every field whose input differs from the
/// stored value (unchanged immutable fields are left alone).
async fn save(
    state: &AppState,
    caller: &Caller,
    type_name: &str,
    id: &str,
    form: &Pairs,
) -> AppResult<()> {
    let ty = artifacts::resolve_type(&state.catalog, type_name)?;
    let current = artifacts::get(&state.catalog, caller, type_name, id).await?;
    let mut ops = Vec::new();
    for (k, raw) in form.iter().filter(|(k, _)| !is_form_control(k)) {
        let new = input_value(&ty, k, raw)?;
        let old = current.get(k.as_str()).filter(|v| !v.is_null());
        let empty_old = old.is_none_or(|v| {
            v.as_array().is_some_and(Vec::is_empty)
                || v.as_object().is_some_and(Map::is_empty)
                || v.as_str().is_some_and(str::is_empty)
        });
        match new {
            Some(v) if old != Some(&v) => {
                ops.push(json!({"op": "add", "path": format!("/{k}"), "value": v}));
            }
            None if !empty_old => {
                ops.push(json!({"op": "remove", "path": format!("/{k}")}));
            }
            _ => {}
        }
    }
    if ops.is_empty() {
        return Ok(());
    }
    artifacts::update(&state.catalog, caller, type_name, id, &patch(ops)?).await?;
    Ok(())
}

pub async fn manage(
    State(state): State<AppState>,
    session: Session,
    Path((type_name, id)): Path<(String, String)>,
    WebForm(form): WebForm<Pairs>,
) -> Response {
    let back = manage_href(&type_name, &id);
    let su = match signed_in(&state, &session, &form, &back).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let caller = su.caller();
    let cat = &state.catalog;
    let result: AppResult<(String, String)> = async {
        let done = |msg: &str| Ok((back.clone(), msg.to_owned()));
        match get(&form, "action") {
            "save" => {
                save(&state, &caller, &type_name, &id, &form).await?;
                done("Saved.")
            }
            "activate" | "reactivate" => {
                set_field(&state, &caller, &type_name, &id, "/status", "active").await?;
                done("Active.")
            }
            "deactivate" => {
                set_field(&state, &caller, &type_name, &id, "/status", "deactivated").await?;
                done("Deactivated: hidden from everyone but its tenant and the catalog admins.")
            }
            "delete" => {
                artifacts::delete(cat, &caller, &type_name, &id).await?;
                Ok(("/space".to_owned(), "Deleted.".to_owned()))
            }
            "share" => {
                // One rule for the form and the REST API: the service
                // checks everything, then shares (and makes a private
                // artifact `shared`) in one transaction.
                let tenant = get(&form, "tenant").trim();
                members::add(cat, &caller, &type_name, &id, tenant).await?;
                done(&format!(
                    "Offered to {tenant}: its links use the artifact once its admins accept."
                ))
            }
            "unshare" => {
                let tenant = get(&form, "tenant");
                members::remove(cat, &caller, &type_name, &id, tenant).await?;
                done(&format!("No longer shared with {tenant}."))
            }
            "request-listing" => {
                listing::request(cat, &caller, &type_name, &id, get(&form, "message")).await?;
                done("Public listing requested: a catalog admin will review it.")
            }
            other => Err(bad_request(format!("unknown action '{other}'"))),
        }
    }
    .await;
    finish(&session, result, &back).await
}

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
                        .get(blob.as_str())
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

// ---------------------------------------------------------------------------
// Tokens

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
        if !su.tenants.iter().any(|(t, _)| t == tenant) && !su.user.is_admin {
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

// ---------------------------------------------------------------------------
// Admin

async fn admin_only(
    state: &AppState,
    session: &Session,
    form: &Pairs,
) -> Result<SessionUser, Response> {
    let su = signed_in(state, session, form, "/admin").await?;
    if !su.user.is_admin {
        return Err(forbidden("catalog admins only").into_response());
    }
    Ok(su)
}

pub async fn decide(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
    WebForm(form): WebForm<Pairs>,
) -> Response {
    let su = match admin_only(&state, &session, &form).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let approve = get(&form, "action") == "approve";
    let result = async {
        let r = listing::decide(
            &state.catalog,
            &su.caller(),
            &id,
            approve,
            get(&form, "note"),
        )
        .await?;
        Ok((
            "/admin".to_owned(),
            format!("{} {} {}: {}.", r.type_name, r.name, r.version, r.status),
        ))
    }
    .await;
    finish(&session, result, "/admin").await
}

pub async fn admin_user(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
    WebForm(form): WebForm<Pairs>,
) -> Response {
    let su = match admin_only(&state, &session, &form).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let result = async {
        let grant = match get(&form, "action") {
            "grant-admin" => true,
            "revoke-admin" => false,
            other => return Err(bad_request(format!("unknown action '{other}'"))),
        };
        if id == su.user.id && !grant {
            return Err(forbidden("you cannot take away your own admin rights"));
        }
        let u = accounts::set_admin(state.db(), &id, grant).await?;
        Ok((
            "/admin".to_owned(),
            format!(
                "{} is {} a catalog admin.",
                u.username,
                if grant { "now" } else { "no longer" }
            ),
        ))
    }
    .await;
    finish(&session, result, "/admin").await
}

pub async fn admin_tenant(
    State(state): State<AppState>,
    session: Session,
    WebForm(form): WebForm<Pairs>,
) -> Response {
    if let Err(r) = admin_only(&state, &session, &form).await {
        return r;
    }
    let result = async {
        let display = get(&form, "display_name").trim();
        let t = accounts::create_tenant(
            state.db(),
            get(&form, "id").trim(),
            Some(display).filter(|d| !d.is_empty()),
        )
        .await?;
        Ok(("/admin".to_owned(), format!("Tenant {} created.", t.id)))
    }
    .await;
    finish(&session, result, "/admin").await
}

pub async fn admin_membership(
    State(state): State<AppState>,
    session: Session,
    WebForm(form): WebForm<Pairs>,
) -> Response {
    if let Err(r) = admin_only(&state, &session, &form).await {
        return r;
    }
    let result = async {
        let role = Role::parse(get(&form, "role"))
            .ok_or_else(|| bad_request("role is member or admin"))?;
        let (user, tenant) = (get(&form, "username").trim(), get(&form, "tenant").trim());
        accounts::set_membership(state.db(), user, tenant, role).await?;
        Ok((
            "/admin".to_owned(),
            format!("{user} is now {} of {tenant}.", role.as_str()),
        ))
    }
    .await;
    finish(&session, result, "/admin").await
}

// ---------------------------------------------------------------------------
// Ratings and reviews (the detail page's forms)

fn back_to(form: &Pairs, type_name: &str) -> String {
    safe_next(get(form, "next")).unwrap_or_else(|| format!("/apps/{}", enc(type_name)))
}

pub async fn rate(
    State(state): State<AppState>,
    session: Session,
    Path((type_name, id)): Path<(String, String)>,
    WebForm(form): WebForm<Pairs>,
) -> Response {
    let back = back_to(&form, &type_name);
    let su = match signed_in(&state, &session, &form, &back).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let caller = su.caller();
    let result = async {
        if get(&form, "action") == "remove" {
            community::unrate(&state.catalog, &caller, &type_name, &id).await?;
            return Ok((back.clone(), "Your rating is removed.".to_owned()));
        }
        let stars: i64 = get(&form, "stars")
            .parse()
            .map_err(|_| bad_request("choose 1 to 5 stars"))?;
        community::rate(&state.catalog, &caller, &type_name, &id, stars).await?;
        Ok((back.clone(), format!("Rated {stars} ★.")))
    }
    .await;
    finish(&session, result, &back).await
}

pub async fn review(
    State(state): State<AppState>,
    session: Session,
    Path((type_name, id)): Path<(String, String)>,
    WebForm(form): WebForm<Pairs>,
) -> Response {
    let back = back_to(&form, &type_name);
    let su = match signed_in(&state, &session, &form, &back).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let caller = su.caller();
    let parent = Some(get(&form, "parent_id")).filter(|p| !p.is_empty());
    let result = async {
        community::create(
            &state.catalog,
            &caller,
            &type_name,
            &id,
            get(&form, "body"),
            parent,
        )
        .await?;
        Ok((
            format!("{back}#reviews"),
            if parent.is_some() {
                "Reply posted."
            } else {
                "Review posted."
            }
            .to_owned(),
        ))
    }
    .await;
    finish(&session, result, &back).await
}

pub async fn review_action(
    State(state): State<AppState>,
    session: Session,
    Path((type_name, id, review_id)): Path<(String, String, String)>,
    WebForm(form): WebForm<Pairs>,
) -> Response {
    let back = back_to(&form, &type_name);
    let su = match signed_in(&state, &session, &form, &back).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let caller = su.caller();
    let cat = &state.catalog;
    let result = async {
        let msg = match get(&form, "action") {
            "edit" => {
                community::edit(
                    cat,
                    &caller,
                    &type_name,
                    &id,
                    &review_id,
                    get(&form, "body"),
                )
                .await?;
                "Review updated."
            }
            "delete" => {
                community::delete(cat, &caller, &type_name, &id, &review_id).await?;
                "Review deleted."
            }
            "report" => {
                community::report(
                    cat,
                    &caller,
                    &type_name,
                    &id,
                    &review_id,
                    get(&form, "reason"),
                )
                .await?;
                "Reported: the moderators will have a look."
            }
            action @ ("hide" | "unhide") => {
                community::moderate(
                    cat,
                    &caller,
                    &type_name,
                    &id,
                    &review_id,
                    action,
                    get(&form, "note"),
                )
                .await?;
                if action == "hide" {
                    "Review hidden."
                } else {
                    "Review shown again."
                }
            }
            other => return Err(bad_request(format!("unknown action '{other}'"))),
        };
        Ok((format!("{back}#reviews"), msg.to_owned()))
    }
    .await;
    finish(&session, result, &back).await
}
