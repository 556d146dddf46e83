//! The catalog admin's forms: public-listing decisions, admin rights,
//! tenants and memberships.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use tower_sessions::Session;

use super::{Pairs, finish, get, signed_in};
use crate::caller::Role;
use crate::error::{bad_request, forbidden};
use crate::services::{access, accounts, listing};
use crate::state::AppState;
use crate::web::WebForm;
use crate::web::session::SessionUser;

async fn admin_only(
    state: &AppState,
    session: &Session,
    form: &Pairs,
) -> Result<SessionUser, Response> {
    let su = signed_in(state, session, form, "/admin").await?;
    if !access::can_administer(&su.caller()) {
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
        let u = accounts::set_admin(state.db(), &su.caller(), &id, grant).await?;
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
