//! Ratings and reviews: the detail page's forms under `/community/...`.

use axum::extract::{Path, State};
use axum::response::Response;
use tower_sessions::Session;

use super::{Pairs, enc, finish, get, safe_next, signed_in};
use crate::error::bad_request;
use crate::services::community;
use crate::state::AppState;
use crate::web::WebForm;

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
