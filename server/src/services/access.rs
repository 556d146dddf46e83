//! Who may see and change what. The rules, in one place (also in
//! `docs/ARCHITECTURE.md`):
//!
//! | | anonymous | other tenant | member | tenant admin | catalog admin |
//! |---|---|---|---|---|---|
//! | read public active | yes | yes | yes | yes | yes |
//! | read shared active | no | if offered and not declined | yes | yes | yes |
//! | read private / drafts / deactivated | no | no | yes (own tenant) | yes | yes |
//! | create, edit, upload (not public) | no | no | yes | yes | yes |
//! | activate (drafted → active) | no | no | yes | yes | yes |
//! | delete drafted | no | no | yes | yes | yes |
//! | delete active, share, members | no | no | no | yes | yes |
//! | accept or decline a share offered to the tenant | no | no | no | yes (receiving tenant) | yes |
//! | publish, deactivate, reactivate, change public | no | no | no | no | yes |
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

/// Read access to one artifact; `shared_with_caller` says whether the
/// caller's tenant is among its members.
pub fn can_read(caller: &Caller, a: &artifact::Model, shared_with_caller: bool) -> bool {
    if caller.is_admin() || caller.is_member_of(&a.owner) {
        return true;
    }
    a.status == ACTIVE && (a.visibility == PUBLIC || (a.visibility == SHARED && shared_with_caller))
}

/// May change the artifact's fields and blobs.
pub fn can_write(caller: &Caller, a: &artifact::Model) -> bool {
    caller.is_admin() || (caller.is_member_of(&a.owner) && a.visibility != PUBLIC)
}

pub fn can_delete(caller: &Caller, a: &artifact::Model) -> bool {
    caller.is_admin()
        || (a.visibility != PUBLIC
            && (caller.is_tenant_admin_of(&a.owner)
                || (caller.is_member_of(&a.owner) && a.status == DRAFTED)))
}

/// May change sharing (visibility private/shared and the member list).
pub fn can_share(caller: &Caller, a: &artifact::Model) -> bool {
    caller.is_admin() || (caller.is_tenant_admin_of(&a.owner) && a.visibility != PUBLIC)
}
