//! Who may see and change what: every rule, in one place (also in
//! `docs/ARCHITECTURE.md`). The REST handlers, the pages' server functions
//! and the website's forms reach them through the services, or ask them
//! directly to decide what a page offers; no handler decides from a
//! caller's role. `access/tests.rs` checks every rule as one table.
//!
//! | | anonymous | other tenant | member | tenant admin | catalog admin |
//! |---|---|---|---|---|---|
//! | read public active | yes | yes | yes | yes | yes |
//! | read shared active | no | if offered and not declined | yes | yes | yes |
//! | read private / drafts / deactivated | no | no | yes (own tenant) | yes | yes |
//! | download a deactivated artifact's files | no | no | no | no | yes |
//! | create, edit, upload (not public) | no | no | yes | yes | yes |
//! | activate (drafted → active) | no | no | yes | yes | yes |
//! | delete drafted | no | no | yes | yes | yes |
//! | see members, the manage page | no | no | yes | yes | yes |
//! | delete active, share, members | no | no | no | yes | yes |
//! | ask for a public listing (active, not public) | no | no | yes | yes | as a member |
//! | rate and review (active; users, not the system) | no | if it reads it | yes | yes | yes |
//! | reply to reviews | no | no | yes | yes | as a member |
//! | moderate reviews, their reports, the moderation log | no | no | no | yes | yes (all tenants) |
//! | accept or decline a share offered to the tenant | no | no | no | yes (receiving tenant) | yes |
//! | publish, deactivate, reactivate, change public | no | no | no | no | yes |
//! | decide listings; tenants, memberships, admin rights | no | no | no | no | yes |
//! | take away one's own admin right | no | no | no | no | no |
//!
//! The rules for one artifact are [`allowed`] with an [`Action`]; they
//! answer for an artifact the caller reads (every service finds it with
//! `artifacts::find_visible` first, which asks [`Action::Read`] and answers
//! 404 otherwise). The rules that concern a tenant or the catalog are the
//! `can_*` functions. Token scopes limit every rule further; the services
//! check them with `Caller::require_scope`. Where an artifact's lifecycle
//! forbids a change (fields of a deactivated artifact, blobs of an active
//! one), the services say so with their own message.
//!
//! What a caller may not read is 404, never 403, so private names do not
//! leak.

use sea_orm::sea_query::{Alias, Condition, Expr, Query};

use crate::caller::Caller;
use crate::entities::{artifact, artifact_member};

pub const DRAFTED: &str = "drafted";
pub const ACTIVE: &str = "active";
pub const DEACTIVATED: &str = "deactivated";
pub const PRIVATE: &str = "private";
pub const SHARED: &str = "shared";
pub const PUBLIC: &str = "public";

/// The rows of `table` (the artifacts table or an alias of it) the caller
/// may read.
pub fn visible_condition(caller: &Caller, table: &Alias) -> Condition {
    let col = |c: &str| Expr::col((table.clone(), Alias::new(c)));
    if caller.is_admin() {
        return Condition::all();
    }
    let public = Condition::all()
        .add(col("visibility").eq(PUBLIC))
        .add(col("status").eq(ACTIVE));
    match caller.tenant() {
        None => public,
        Some(tenant) => {
            let shared_with_me = Query::select()
                .expr(Expr::val(1))
                .from(artifact_member::Entity)
                .and_where(
                    Expr::col((artifact_member::Entity, artifact_member::Column::ArtifactId))
                        .equals((table.clone(), Alias::new("id"))),
                )
                .and_where(
                    Expr::col((artifact_member::Entity, artifact_member::Column::TenantId))
                        .eq(tenant),
                )
                // A declined offer is gone from the receiving tenant's view.
                .and_where(
                    Expr::col((artifact_member::Entity, artifact_member::Column::Status))
                        .ne(super::members::DECLINED),
                )
                .to_owned();
            let shared = Condition::all()
                .add(col("visibility").eq(SHARED))
                .add(col("status").eq(ACTIVE))
                .add(Expr::exists(shared_with_me));
            let owned = if caller.is_member_of(tenant) {
                Condition::all().add(col("owner").eq(tenant))
            } else {
                Condition::all().add(Expr::val(1).eq(0))
            };
            Condition::any().add(public).add(shared).add(owned)
        }
    }
}

/// What the rules look at in an artifact.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Subject<'a> {
    /// The owning tenant.
    pub owner: &'a str,
    pub status: &'a str,
    pub visibility: &'a str,
    /// The caller's tenant was offered the (shared) artifact and did not
    /// decline; only [`Action::Read`] looks at it.
    pub offered_to_caller: bool,
}

impl<'a> Subject<'a> {
    pub fn new(owner: &'a str, status: &'a str, visibility: &'a str) -> Subject<'a> {
        Subject {
            owner,
            status,
            visibility,
            offered_to_caller: false,
        }
    }

    pub fn offered(self, offered_to_caller: bool) -> Subject<'a> {
        Subject {
            offered_to_caller,
            ..self
        }
    }
}

impl<'a> From<&'a artifact::Model> for Subject<'a> {
    fn from(a: &'a artifact::Model) -> Subject<'a> {
        Subject::new(&a.owner, &a.status, &a.visibility)
    }
}

/// What a caller may do with one artifact.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// See it at all (single reads; lists use [`visible_condition`]).
    Read,
    /// Download its files: a deactivated artifact's only catalog admins.
    Download,
    /// Change its fields and blobs (as far as its lifecycle allows).
    Write,
    /// Publish the draft: drafted → active (the manage page's "can
    /// publish").
    Activate,
    Delete,
    /// Change sharing: visibility private/shared and the member list.
    Share,
    /// See it as its owner does: the manage page, the member list.
    Manage,
    /// Deactivate an active artifact, reactivate a deactivated one.
    Deactivate,
    /// Make it public (by a patch, or by approving a listing request).
    MakePublic,
    /// Ask the catalog admins for a public listing.
    RequestListing,
    /// Rate and review it, while it is active: users (not the system).
    Review,
    /// Answer reviews as its publisher.
    Reply,
    /// Hide, unhide and delete reviews, see their reports.
    Moderate,
}

/// Whether `caller` may do `action` with the artifact `a` (which, but for
/// [`Action::Read`], it reads: see the module documentation).
pub fn allowed<'a>(caller: &Caller, action: Action, a: impl Into<Subject<'a>>) -> bool {
    let a = a.into();
    let admin = caller.is_admin();
    let member = acts_for(caller, a.owner);
    let public = a.visibility == PUBLIC;
    match action {
        Action::Read => {
            admin
                || member
                || (a.status == ACTIVE
                    && (public || (a.visibility == SHARED && a.offered_to_caller)))
        }
        Action::Download => a.status != DEACTIVATED || admin,
        Action::Write => admin || (member && !public),
        Action::Activate => a.status == DRAFTED && allowed(caller, Action::Write, a),
        Action::Delete => {
            admin
                || (!public
                    && (caller.is_tenant_admin_of(a.owner) || (member && a.status == DRAFTED)))
        }
        Action::Share => admin || (caller.is_tenant_admin_of(a.owner) && !public),
        Action::Manage => admin || member,
        Action::Deactivate => admin && a.status != DRAFTED,
        Action::MakePublic => admin && !public,
        Action::RequestListing => member && a.status == ACTIVE && !public,
        Action::Review => a.status == ACTIVE && is_user(caller),
        Action::Reply => member,
        Action::Moderate => can_moderate(caller, a.owner),
    }
}

/// A person, not the catalog itself ([`Caller::system`] has no user).
pub fn is_user(caller: &Caller) -> bool {
    caller.principal().is_some_and(|p| !p.user_id.is_empty())
}

/// The caller acts for `owner`: a member of that tenant (a catalog admin
/// acting elsewhere does not).
pub fn acts_for(caller: &Caller, owner: &str) -> bool {
    caller.is_member_of(owner)
}

/// May moderate reviews of `owner`'s artifacts (and see their reports and
/// the moderation log): its admins, and catalog admins.
pub fn can_moderate(caller: &Caller, owner: &str) -> bool {
    caller.is_admin() || caller.is_tenant_admin_of(owner)
}

/// May create artifacts (and import bundles) in the tenant it acts in: a
/// member of it, or a catalog admin.
pub fn can_create(caller: &Caller) -> bool {
    caller.is_admin() || caller.principal().is_some_and(|p| p.role.is_some())
}

/// May see the shares offered to `tenant`: its members, and catalog admins.
/// Offers to other tenants do not exist for the caller (404).
pub fn can_see_offers(caller: &Caller, tenant: &str) -> bool {
    caller.is_admin() || caller.is_member_of(tenant)
}

/// May accept or decline shares offered to `tenant`: its admins, and
/// catalog admins.
pub fn can_answer(caller: &Caller, tenant: &str) -> bool {
    caller.is_admin() || caller.is_tenant_admin_of(tenant)
}

/// May run the catalog: the admin page, listing decisions, tenants,
/// memberships and admin rights; and sees every tenant's listing
/// requests, reports and moderation log. Catalog admins only.
pub fn can_administer(caller: &Caller) -> bool {
    caller.is_admin()
}

/// May make the user `user_id` a catalog admin (`grant`) or take that
/// right away: catalog admins, but none takes away their own.
pub fn can_set_admin(caller: &Caller, user_id: &str, grant: bool) -> bool {
    can_administer(caller) && (grant || caller.principal().is_none_or(|p| p.user_id != user_id))
}

/// May hold an API token for a tenant: a member of it, or a catalog admin
/// (for any tenant).
pub fn can_hold_token(user_is_admin: bool, member_of_tenant: bool) -> bool {
    user_is_admin || member_of_tenant
}

#[cfg(test)]
mod tests;
