//! Ratings, reviews and their moderation. Both belong to an artifact
//! *sequence* (same type, owner and name): a rating holds across versions,
//! a review remembers the version it was written about. Everything here is
//! reached through an artifact the caller may read, so a private artifact's
//! reviews are exactly as private as the artifact.

use std::collections::HashMap;

use chrono::{Duration, Utc};
use sea_orm::sea_query::{Alias, Expr, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait,
};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::Catalog;
use super::access::{self, ACTIVE, Action};
use super::artifacts::{find_visible, refuse_all, timestamp};
use crate::caller::{Caller, Principal, Scope};
use crate::entities::{artifact, moderation_log, rating, review, review_report};
use crate::error::{AppError, AppResult, bad_request, conflict, forbidden, not_found};

/// Longest review or reply, in characters.
pub const MAX_BODY: usize = 5000;
/// How long an author may edit a review.
pub const EDIT_HOURS: i64 = 24;
/// Reviews and replies one user may write per window (counted in the
/// database, so every replica enforces the same limit).
pub const RATE_LIMIT: u64 = 5;
pub const RATE_WINDOW_MINUTES: i64 = 10;

/// An artifact's rating: the sequence's average, how many rated, and the
/// caller's own stars.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RatingSummary {
    /// Average stars (1 to 5), null while nobody rated.
    pub average: Option<f64>,
    pub count: i64,
    /// The caller's stars, if they rated.
    pub mine: Option<i16>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Review {
    pub id: String,
    /// The version the author reviewed.
    pub version: String,
    pub author: String,
    /// Markdown as written.
    pub body: String,
    /// The Markdown rendered and sanitised.
    pub body_html: String,
    pub created_at: String,
    pub edited_at: Option<String>,
    /// Hidden by a moderator: only moderators see it.
    pub hidden: bool,
    pub parent_id: Option<String>,
    /// Written by a member of the publishing tenant.
    pub by_publisher: bool,
    /// The caller may still edit it.
    pub can_edit: bool,
    /// How many users reported it (moderators only; 0 for others).
    pub reports: u64,
    /// Replies, oldest first (one level).
    #[schema(no_recursion)]
    pub replies: Vec<Review>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReviewPage {
    pub reviews: Vec<Review>,
    /// Top-level reviews in all pages.
    pub total: u64,
    pub page: u64,
    pub pages: u64,
    /// The caller may hide, show and delete reviews here.
    pub can_moderate: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ModerationEntry {
    pub id: String,
    pub review_id: String,
    pub type_name: String,
    pub owner: String,
    pub name: String,
    /// Username of who acted (absent if that account is gone).
    pub actor: Option<String>,
    /// `report`, `hide`, `unhide` or `delete`.
    pub action: String,
    pub note: String,
    pub created_at: String,
}

fn render(body: &str) -> String {
    super::markdown::render_markdown(body)
}

/// The user behind a caller who writes: a person (not the system), with
/// the `write` scope.
fn writer(caller: &Caller) -> AppResult<&Principal> {
    let p = caller.require_scope(Scope::Write)?;
    if !access::is_user(caller) {
        return Err(forbidden("only users rate and review"));
    }
    Ok(p)
}

fn check_body(body: &str) -> AppResult<String> {
    let b = body.trim();
    if b.is_empty() {
        return Err(bad_request("a review needs some text"));
    }
    if b.chars().count() > MAX_BODY {
        return Err(bad_request(format!(
            "a review has at most {MAX_BODY} characters"
        )));
    }
    Ok(b.to_owned())
}

/// Ratings of a sequence given on the versions `visible` selects.
fn sequence_ratings(
    type_name: &str,
    owner: &str,
    name: &str,
    visible: Condition,
) -> sea_orm::Select<rating::Entity> {
    let versions = sea_orm::sea_query::Query::select()
        .column(artifact::Column::Id)
        .from(artifact::Entity)
        .cond_where(visible)
        .to_owned();
    rating::Entity::find()
        .filter(rating::Column::TypeName.eq(type_name))
        .filter(rating::Column::Owner.eq(owner))
        .filter(rating::Column::Name.eq(name))
        .filter(rating::Column::ArtifactId.in_subquery(versions))
}

fn score_of(stars: &[i16]) -> (i32, i32) {
    let count = stars.len() as i32;
    let sum: i64 = stars.iter().map(|s| i64::from(*s)).sum();
    let score = if count > 0 {
        ((sum as f64 * 100.0) / f64::from(count)).round() as i32
    } else {
        0
    };
    (score, count)
}

/// A sequence's public average (times 100) and count: only ratings given
/// on versions that are public and active now count, so a rating left on
/// a private version (or one made private later) never shows in public.
pub async fn public_rating<C: ConnectionTrait>(
    db: &C,
    type_name: &str,
    owner: &str,
    name: &str,
) -> AppResult<(i32, i32)> {
    let public = Condition::all()
        .add(artifact::Column::Visibility.eq(super::access::PUBLIC))
        .add(artifact::Column::Status.eq(ACTIVE));
    let stars: Vec<i16> = sequence_ratings(type_name, owner, name, public)
        .select_only()
        .column(rating::Column::Stars)
        .into_tuple()
        .all(db)
        .await?;
    Ok(score_of(&stars))
}

/// Recomputes a sequence's public average and count and copies them to
/// every version (lists sort and filter by these columns). Called whenever
/// a rating, or a version's visibility or status, changes.
pub async fn refresh_rating<C: ConnectionTrait>(
    db: &C,
    type_name: &str,
    owner: &str,
    name: &str,
) -> AppResult<(i32, i32)> {
    let (score, count) = public_rating(db, type_name, owner, name).await?;
    artifact::Entity::update_many()
        .col_expr(artifact::Column::RatingScore, Expr::value(score))
        .col_expr(artifact::Column::RatingCount, Expr::value(count))
        .filter(artifact::Column::TypeName.eq(type_name))
        .filter(artifact::Column::Owner.eq(owner))
        .filter(artifact::Column::Name.eq(name))
        .exec(db)
        .await?;
    Ok((score, count))
}

async fn summary(
    catalog: &Catalog,
    caller: &Caller,
    m: &artifact::Model,
) -> AppResult<RatingSummary> {
    let mine = match caller.principal().filter(|p| !p.user_id.is_empty()) {
        Some(p) => rating::Entity::find_by_id((
            p.user_id.clone(),
            m.type_name.clone(),
            m.owner.clone(),
            m.name.clone(),
        ))
        .one(&catalog.db)
        .await?
        .map(|r| r.stars),
        None => None,
    };
    // Anonymous visitors see the public average kept on the row; anyone
    // else sees the ratings given on the versions they may read.
    let (score, count) = if caller.principal().is_none() {
        (m.rating_score, m.rating_count)
    } else {
        let visible = super::access::visible_condition(caller, &Alias::new("artifacts"));
        let stars: Vec<i16> = sequence_ratings(&m.type_name, &m.owner, &m.name, visible)
            .select_only()
            .column(rating::Column::Stars)
            .into_tuple()
            .all(&catalog.db)
            .await?;
        score_of(&stars)
    };
    Ok(RatingSummary {
        average: (count > 0).then(|| f64::from(score) / 100.0),
        count: i64::from(count),
        mine,
    })
}

pub async fn get_rating(
    catalog: &Catalog,
    caller: &Caller,
    type_name: &str,
    id: &str,
) -> AppResult<RatingSummary> {
    let (_, m) = find_visible(catalog, caller, type_name, id).await?;
    summary(catalog, caller, &m).await
}

/// Rates the artifact's sequence 1 to 5 stars (again: changes the rating).
pub async fn rate(
    catalog: &Catalog,
    caller: &Caller,
    type_name: &str,
    id: &str,
    stars: i64,
) -> AppResult<RatingSummary> {
    crate::db::retry(|| rate_once(catalog, caller, type_name, id, stars)).await
}

async fn rate_once(
    catalog: &Catalog,
    caller: &Caller,
    type_name: &str,
    id: &str,
    stars: i64,
) -> AppResult<RatingSummary> {
    refuse_all(type_name)?;
    let (_, m) = find_visible(catalog, caller, type_name, id).await?;
    let p = writer(caller)?;
    if !(1..=5).contains(&stars) {
        return Err(bad_request("a rating is 1 to 5 stars"));
    }
    if !access::allowed(caller, Action::Review, &m) {
        return Err(forbidden("only active artifacts are rated"));
    }
    let now = Utc::now();
    let txn = catalog.db.begin().await?;
    rating::Entity::insert(rating::ActiveModel {
        user_id: Set(p.user_id.clone()),
        type_name: Set(m.type_name.clone()),
        owner: Set(m.owner.clone()),
        name: Set(m.name.clone()),
        stars: Set(stars as i16),
        created_at: Set(now),
        updated_at: Set(now),
        artifact_id: Set(Some(m.id.clone())),
    })
    .on_conflict(
        OnConflict::columns([
            rating::Column::UserId,
            rating::Column::TypeName,
            rating::Column::Owner,
            rating::Column::Name,
        ])
        .update_columns([
            rating::Column::Stars,
            rating::Column::UpdatedAt,
            rating::Column::ArtifactId,
        ])
        .to_owned(),
    )
    .exec_without_returning(&txn)
    .await?;
    refresh_rating(&txn, &m.type_name, &m.owner, &m.name).await?;
    txn.commit().await?;
    let m = artifact::Entity::find_by_id(m.id.clone())
        .one(&catalog.db)
        .await?
        .ok_or_else(|| not_found("the artifact is gone"))?;
    summary(catalog, caller, &m).await
}

/// Removes the caller's rating.
pub async fn unrate(
    catalog: &Catalog,
    caller: &Caller,
    type_name: &str,
    id: &str,
) -> AppResult<RatingSummary> {
    refuse_all(type_name)?;
    let (_, m) = find_visible(catalog, caller, type_name, id).await?;
    let p = writer(caller)?;
    let txn = catalog.db.begin().await?;
    let gone = rating::Entity::delete_by_id((
        p.user_id.clone(),
        m.type_name.clone(),
        m.owner.clone(),
        m.name.clone(),
    ))
    .exec(&txn)
    .await?;
    if gone.rows_affected == 0 {
        return Err(not_found("you have not rated this artifact"));
    }
    refresh_rating(&txn, &m.type_name, &m.owner, &m.name).await?;
    txn.commit().await?;
    let m = artifact::Entity::find_by_id(m.id.clone())
        .one(&catalog.db)
        .await?
        .ok_or_else(|| not_found("the artifact is gone"))?;
    summary(catalog, caller, &m).await
}

fn in_sequence(r: &review::Model, m: &artifact::Model) -> bool {
    r.type_name == m.type_name && r.owner == m.owner && r.name == m.name
}

async fn find_review(
    catalog: &Catalog,
    m: &artifact::Model,
    review_id: &str,
) -> AppResult<review::Model> {
    review::Entity::find_by_id(review_id.to_owned())
        .one(&catalog.db)
        .await?
        .filter(|r| in_sequence(r, m))
        .ok_or_else(|| not_found(format!("review {review_id} does not exist here")))
}

async fn views(
    catalog: &Catalog,
    caller: &Caller,
    m: &artifact::Model,
    rows: Vec<review::Model>,
    moderator: bool,
) -> AppResult<Vec<Review>> {
    let user_ids: Vec<String> = rows.iter().map(|r| r.user_id.clone()).collect();
    let users = super::accounts::usernames(&catalog.db, user_ids.clone()).await?;
    let publishers: Vec<String> = crate::entities::membership::Entity::find()
        .filter(crate::entities::membership::Column::TenantId.eq(&m.owner))
        .filter(crate::entities::membership::Column::UserId.is_in(user_ids))
        .all(&catalog.db)
        .await?
        .into_iter()
        .map(|mb| mb.user_id)
        .collect();
    let mut reports: HashMap<String, u64> = HashMap::new();
    if moderator {
        let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
        for r in review_report::Entity::find()
            .filter(review_report::Column::ReviewId.is_in(ids))
            .all(&catalog.db)
            .await?
        {
            *reports.entry(r.review_id).or_default() += 1;
        }
    }
    let me = caller
        .principal()
        .map(|p| p.user_id.clone())
        .unwrap_or_default();
    let deadline = Utc::now() - Duration::hours(EDIT_HOURS);
    Ok(rows
        .into_iter()
        .map(|r| Review {
            author: users
                .get(&r.user_id)
                .cloned()
                .unwrap_or_else(|| "(gone)".to_owned()),
            by_publisher: publishers.contains(&r.user_id),
            can_edit: !me.is_empty() && r.user_id == me && r.created_at > deadline,
            reports: reports.get(&r.id).copied().unwrap_or(0),
            body_html: render(&r.body),
            created_at: timestamp(&r.created_at),
            edited_at: r.edited_at.as_ref().map(timestamp),
            id: r.id,
            version: r.version,
            body: r.body,
            hidden: r.hidden,
            parent_id: r.parent_id,
            replies: vec![],
        })
        .collect())
}

/// One page of reviews (newest first) with their replies (oldest first).
/// Hidden reviews and replies are shown to moderators only.
pub async fn list(
    catalog: &Catalog,
    caller: &Caller,
    type_name: &str,
    id: &str,
    page: u64,
    per_page: u64,
) -> AppResult<ReviewPage> {
    let (_, m) = find_visible(catalog, caller, type_name, id).await?;
    let moderator = access::allowed(caller, Action::Moderate, &m);
    let per_page = per_page.clamp(1, 50);
    let page = page.max(1);
    let mut q = review::Entity::find()
        .filter(review::Column::TypeName.eq(&m.type_name))
        .filter(review::Column::Owner.eq(&m.owner))
        .filter(review::Column::Name.eq(&m.name))
        .filter(review::Column::ParentId.is_null());
    if !moderator {
        q = q.filter(review::Column::Hidden.eq(false));
    }
    // Only reviews of versions the caller may read: a review of a private
    // version (or of one made private later, or deleted) is not public.
    let visible = sea_orm::sea_query::Query::select()
        .column(artifact::Column::Id)
        .from(artifact::Entity)
        .cond_where(super::access::visible_condition(
            caller,
            &Alias::new("artifacts"),
        ))
        .to_owned();
    q = q.filter(review::Column::ArtifactId.in_subquery(visible));
    let total = q.clone().count(&catalog.db).await?;
    let rows = q
        .order_by_desc(review::Column::CreatedAt)
        .order_by_asc(review::Column::Id)
        .offset((page - 1) * per_page)
        .limit(per_page)
        .all(&catalog.db)
        .await?;
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let mut rq = review::Entity::find().filter(review::Column::ParentId.is_in(ids));
    if !moderator {
        rq = rq.filter(review::Column::Hidden.eq(false));
    }
    let replies = rq
        .order_by_asc(review::Column::CreatedAt)
        .all(&catalog.db)
        .await?;
    let mut replies = views(catalog, caller, &m, replies, moderator).await?;
    let mut reviews = views(catalog, caller, &m, rows, moderator).await?;
    for r in &mut reviews {
        let (mine, rest): (Vec<Review>, Vec<Review>) = replies
            .into_iter()
            .partition(|x| x.parent_id.as_deref() == Some(r.id.as_str()));
        r.replies = mine;
        replies = rest;
    }
    Ok(ReviewPage {
        reviews,
        total,
        page,
        pages: total.div_ceil(per_page).max(1),
        can_moderate: moderator,
    })
}

/// Writes a review of the version `id`, or (with `parent_id`) the
/// publisher's reply to a review.
pub async fn create(
    catalog: &Catalog,
    caller: &Caller,
    type_name: &str,
    id: &str,
    body: &str,
    parent_id: Option<&str>,
) -> AppResult<Review> {
    refuse_all(type_name)?;
    let (_, m) = find_visible(catalog, caller, type_name, id).await?;
    let p = writer(caller)?.clone();
    if !access::allowed(caller, Action::Review, &m) {
        return Err(forbidden("only active artifacts are reviewed"));
    }
    let body = check_body(body)?;
    if let Some(parent) = parent_id {
        let parent = find_review(catalog, &m, parent).await?;
        if parent.parent_id.is_some() {
            return Err(bad_request("replies are one level deep: answer the review"));
        }
        if parent.hidden {
            return Err(forbidden("this review is hidden"));
        }
        if !access::allowed(caller, Action::Reply, &m) {
            return Err(forbidden("only the publisher replies to reviews"));
        }
    }
    let since = Utc::now() - Duration::minutes(RATE_WINDOW_MINUTES);
    let recent = review::Entity::find()
        .filter(review::Column::UserId.eq(&p.user_id))
        .filter(review::Column::CreatedAt.gt(since))
        .count(&catalog.db)
        .await?;
    if recent >= RATE_LIMIT {
        return Err(AppError::TooManyRequests(format!(
            "at most {RATE_LIMIT} reviews and replies in {RATE_WINDOW_MINUTES} minutes: try again later"
        )));
    }
    let now = Utc::now();
    let row = review::ActiveModel {
        id: Set(Uuid::new_v4().to_string()),
        type_name: Set(m.type_name.clone()),
        owner: Set(m.owner.clone()),
        name: Set(m.name.clone()),
        artifact_id: Set(Some(m.id.clone())),
        version: Set(m.version.clone()),
        user_id: Set(p.user_id.clone()),
        parent_id: Set(parent_id.map(str::to_owned)),
        body: Set(body),
        hidden: Set(false),
        created_at: Set(now),
        updated_at: Set(now),
        edited_at: Set(None),
    }
    .insert(&catalog.db)
    .await?;
    let moderator = access::allowed(caller, Action::Moderate, &m);
    views(catalog, caller, &m, vec![row], moderator)
        .await?
        .pop()
        .ok_or_else(|| not_found("the review is gone"))
}

/// The author changes the text, within [`EDIT_HOURS`].
pub async fn edit(
    catalog: &Catalog,
    caller: &Caller,
    type_name: &str,
    id: &str,
    review_id: &str,
    body: &str,
) -> AppResult<Review> {
    refuse_all(type_name)?;
    let (_, m) = find_visible(catalog, caller, type_name, id).await?;
    let p = writer(caller)?.clone();
    let r = find_review(catalog, &m, review_id).await?;
    if r.user_id != p.user_id {
        return Err(forbidden("only the author edits a review"));
    }
    if r.created_at < Utc::now() - Duration::hours(EDIT_HOURS) {
        return Err(forbidden(format!(
            "reviews can be edited for {EDIT_HOURS} hours after writing"
        )));
    }
    let body = check_body(body)?;
    let now = Utc::now();
    let mut a: review::ActiveModel = r.into();
    a.body = Set(body);
    a.updated_at = Set(now);
    a.edited_at = Set(Some(now));
    let row = a.update(&catalog.db).await?;
    let moderator = access::allowed(caller, Action::Moderate, &m);
    views(catalog, caller, &m, vec![row], moderator)
        .await?
        .pop()
        .ok_or_else(|| not_found("the review is gone"))
}

async fn log(
    catalog: &Catalog,
    caller: &Caller,
    r: &review::Model,
    action: &str,
    note: &str,
) -> AppResult<()> {
    moderation_log::ActiveModel {
        id: Set(Uuid::new_v4().to_string()),
        review_id: Set(r.id.clone()),
        type_name: Set(r.type_name.clone()),
        owner: Set(r.owner.clone()),
        name: Set(r.name.clone()),
        actor_id: Set(caller
            .principal()
            .map(|p| p.user_id.clone())
            .filter(|u| !u.is_empty())),
        action: Set(action.to_owned()),
        note: Set(note.trim().chars().take(2000).collect()),
        created_at: Set(Utc::now()),
    }
    .insert(&catalog.db)
    .await?;
    Ok(())
}

/// Deletes a review (and its replies): its author, or a moderator (logged).
pub async fn delete(
    catalog: &Catalog,
    caller: &Caller,
    type_name: &str,
    id: &str,
    review_id: &str,
) -> AppResult<()> {
    refuse_all(type_name)?;
    let (_, m) = find_visible(catalog, caller, type_name, id).await?;
    let p = writer(caller)?.clone();
    let r = find_review(catalog, &m, review_id).await?;
    let moderator = access::allowed(caller, Action::Moderate, &m);
    if r.user_id != p.user_id && !moderator {
        return Err(forbidden("only the author or a moderator deletes a review"));
    }
    if r.user_id != p.user_id {
        log(catalog, caller, &r, "delete", "").await?;
    }
    review::Entity::delete_by_id(r.id.clone())
        .exec(&catalog.db)
        .await?;
    Ok(())
}

/// Reports a review to the moderators (once per user).
pub async fn report(
    catalog: &Catalog,
    caller: &Caller,
    type_name: &str,
    id: &str,
    review_id: &str,
    reason: &str,
) -> AppResult<()> {
    let (_, m) = find_visible(catalog, caller, type_name, id).await?;
    let p = writer(caller)?.clone();
    let r = find_review(catalog, &m, review_id).await?;
    if r.user_id == p.user_id {
        return Err(bad_request("you cannot report your own review"));
    }
    let reason = reason.trim();
    if reason.chars().count() > 2000 {
        return Err(bad_request("a reason has at most 2000 characters"));
    }
    let inserted = review_report::Entity::insert(review_report::ActiveModel {
        review_id: Set(r.id.clone()),
        user_id: Set(p.user_id.clone()),
        reason: Set(reason.to_owned()),
        created_at: Set(Utc::now()),
    })
    .on_conflict(
        OnConflict::columns([
            review_report::Column::ReviewId,
            review_report::Column::UserId,
        ])
        .do_nothing()
        .to_owned(),
    )
    .exec_without_returning(&catalog.db)
    .await?;
    if inserted == 0 {
        return Err(conflict("you already reported this review"));
    }
    log(catalog, caller, &r, "report", reason).await
}

/// Hides or shows a review again: catalog admins and the artifact's tenant
/// admins. Logged.
pub async fn moderate(
    catalog: &Catalog,
    caller: &Caller,
    type_name: &str,
    id: &str,
    review_id: &str,
    action: &str,
    note: &str,
) -> AppResult<Review> {
    let (_, m) = find_visible(catalog, caller, type_name, id).await?;
    caller.require_scope(Scope::Write)?;
    if !access::allowed(caller, Action::Moderate, &m) {
        return Err(forbidden(
            "only catalog admins and the publisher's tenant admins moderate",
        ));
    }
    let hidden = match action {
        "hide" => true,
        "unhide" => false,
        other => {
            return Err(bad_request(format!(
                "action is hide or unhide, not '{other}'"
            )));
        }
    };
    let r = find_review(catalog, &m, review_id).await?;
    log(catalog, caller, &r, action, note).await?;
    let mut a: review::ActiveModel = r.into();
    a.hidden = Set(hidden);
    let row = a.update(&catalog.db).await?;
    views(catalog, caller, &m, vec![row], true)
        .await?
        .pop()
        .ok_or_else(|| not_found("the review is gone"))
}

async fn log_views(
    catalog: &Catalog,
    rows: Vec<moderation_log::Model>,
) -> AppResult<Vec<ModerationEntry>> {
    let ids: Vec<String> = rows.iter().filter_map(|r| r.actor_id.clone()).collect();
    let users = super::accounts::usernames(&catalog.db, ids).await?;
    Ok(rows
        .into_iter()
        .map(|r| ModerationEntry {
            actor: r.actor_id.as_ref().and_then(|a| users.get(a).cloned()),
            created_at: timestamp(&r.created_at),
            id: r.id,
            review_id: r.review_id,
            type_name: r.type_name,
            owner: r.owner,
            name: r.name,
            action: r.action,
            note: r.note,
        })
        .collect())
}

/// The moderation log, newest first: all of it for catalog admins, the
/// tenant's own for its admins.
pub async fn moderation_log(
    catalog: &Catalog,
    caller: &Caller,
    limit: u64,
) -> AppResult<Vec<ModerationEntry>> {
    let p = caller.require_scope(Scope::Read)?;
    if !access::can_moderate(caller, &p.tenant) {
        return Err(forbidden("only admins read the moderation log"));
    }
    let mut q = moderation_log::Entity::find();
    if !access::can_administer(caller) {
        q = q.filter(moderation_log::Column::Owner.eq(&p.tenant));
    }
    let rows = q
        .order_by_desc(moderation_log::Column::CreatedAt)
        .limit(limit.clamp(1, 1000))
        .all(&catalog.db)
        .await?;
    log_views(catalog, rows).await
}

/// A reported review still shown, for the admin page.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReportedReview {
    pub review_id: String,
    pub type_name: String,
    pub name: String,
    pub version: String,
    /// The artifact reviewed, if that version still exists.
    pub artifact_id: Option<String>,
    pub author: String,
    pub body: String,
    pub reports: u64,
    pub reasons: Vec<String>,
}

/// Reviews with reports that are not hidden (catalog admins: all; tenant
/// admins: their tenant's).
pub async fn reported(catalog: &Catalog, caller: &Caller) -> AppResult<Vec<ReportedReview>> {
    let p = caller.require_scope(Scope::Read)?;
    let reports = review_report::Entity::find()
        .order_by_desc(review_report::Column::CreatedAt)
        .limit(1000)
        .all(&catalog.db)
        .await?;
    let ids: Vec<String> = reports.iter().map(|r| r.review_id.clone()).collect();
    let mut q = review::Entity::find()
        .filter(review::Column::Id.is_in(ids))
        .filter(review::Column::Hidden.eq(false));
    if !access::can_moderate(caller, &p.tenant) {
        return Err(forbidden("only admins see reported reviews"));
    }
    if !access::can_administer(caller) {
        q = q.filter(review::Column::Owner.eq(&p.tenant));
    }
    let rows = q.all(&catalog.db).await?;
    let authors =
        super::accounts::usernames(&catalog.db, rows.iter().map(|r| r.user_id.clone())).await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let mine: Vec<&review_report::Model> =
                reports.iter().filter(|x| x.review_id == r.id).collect();
            ReportedReview {
                reports: mine.len() as u64,
                reasons: mine
                    .iter()
                    .map(|x| x.reason.clone())
                    .filter(|x| !x.is_empty())
                    .collect(),
                author: authors.get(&r.user_id).cloned().unwrap_or_default(),
                review_id: r.id,
                type_name: r.type_name,
                name: r.name,
                version: r.version,
                artifact_id: r.artifact_id,
                body: r.body,
            }
        })
        .collect())
}
