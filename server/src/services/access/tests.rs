//! The rules of `access.rs` as one table: for every kind of caller and
//! every state of an artifact, what each action is allowed (`yes`) or
//! refused (`-`). The artifact belongs to tenant `acme`; the shared one is
//! offered to tenant `beta`.
//!
//! The artifact columns are what a service allows: it first finds the
//! artifact with `find_visible` (read, else 404), then asks the action's
//! rule, so each of those cells is `read` and the rule. The last six
//! columns concern a tenant or the catalog, not the artifact, and are the
//! same in every row of a caller:
//!
//! - `create`: create artifacts (and import bundles) in its own tenant
//! - `offers`: see the shares offered to `beta`
//! - `answer`: accept or decline shares offered to `beta`
//! - `admin`: run the catalog (admin page, listing decisions, tenants,
//!   memberships)
//! - `grant`: make another user a catalog admin
//! - `self-`: take away its own admin right

use std::collections::BTreeSet;

use super::*;
use crate::caller::{Principal, Role, Scope};

/// The artifact actions in the order of the table's columns.
const ACTIONS: [Action; 13] = [
    Action::Read,
    Action::Download,
    Action::Write,
    Action::Activate,
    Action::Delete,
    Action::Share,
    Action::Manage,
    Action::Deactivate,
    Action::MakePublic,
    Action::RequestListing,
    Action::Review,
    Action::Reply,
    Action::Moderate,
];

const COLUMNS: [&str; 19] = [
    "read",
    "download",
    "write",
    "activate",
    "delete",
    "share",
    "manage",
    "deactivate",
    "public",
    "listing",
    "review",
    "reply",
    "moderate",
    "create",
    "offers",
    "answer",
    "admin",
    "grant",
    "self-revoke",
];

#[rustfmt::skip]
const TABLE: &[(&str, &str, &str)] = &[
    //                                 read  downl write activ delet share manag deact publi listi revie reply moder | creat offer answe admin grant self-
    ("anonymous",     "private drafted", "-     -     -     -     -     -     -     -     -     -     -     -     -       -     -     -     -     -     -"),
    ("anonymous",     "private active",  "-     -     -     -     -     -     -     -     -     -     -     -     -       -     -     -     -     -     -"),
    ("anonymous",     "shared active",   "-     -     -     -     -     -     -     -     -     -     -     -     -       -     -     -     -     -     -"),
    ("anonymous",     "public active",   "yes   yes   -     -     -     -     -     -     -     -     -     -     -       -     -     -     -     -     -"),
    ("anonymous",     "deactivated",     "-     -     -     -     -     -     -     -     -     -     -     -     -       -     -     -     -     -     -"),

    ("other member",  "private drafted", "-     -     -     -     -     -     -     -     -     -     -     -     -       yes   yes   -     -     -     -"),
    ("other member",  "private active",  "-     -     -     -     -     -     -     -     -     -     -     -     -       yes   yes   -     -     -     -"),
    ("other member",  "shared active",   "yes   yes   -     -     -     -     -     -     -     -     yes   -     -       yes   yes   -     -     -     -"),
    ("other member",  "public active",   "yes   yes   -     -     -     -     -     -     -     -     yes   -     -       yes   yes   -     -     -     -"),
    ("other member",  "deactivated",     "-     -     -     -     -     -     -     -     -     -     -     -     -       yes   yes   -     -     -     -"),

    ("other admin",   "private drafted", "-     -     -     -     -     -     -     -     -     -     -     -     -       yes   yes   yes   -     -     -"),
    ("other admin",   "private active",  "-     -     -     -     -     -     -     -     -     -     -     -     -       yes   yes   yes   -     -     -"),
    ("other admin",   "shared active",   "yes   yes   -     -     -     -     -     -     -     -     yes   -     -       yes   yes   yes   -     -     -"),
    ("other admin",   "public active",   "yes   yes   -     -     -     -     -     -     -     -     yes   -     -       yes   yes   yes   -     -     -"),
    ("other admin",   "deactivated",     "-     -     -     -     -     -     -     -     -     -     -     -     -       yes   yes   yes   -     -     -"),

    ("member",        "private drafted", "yes   yes   yes   yes   yes   -     yes   -     -     -     -     yes   -       yes   -     -     -     -     -"),
    ("member",        "private active",  "yes   yes   yes   -     -     -     yes   -     -     yes   yes   yes   -       yes   -     -     -     -     -"),
    ("member",        "shared active",   "yes   yes   yes   -     -     -     yes   -     -     yes   yes   yes   -       yes   -     -     -     -     -"),
    ("member",        "public active",   "yes   yes   -     -     -     -     yes   -     -     -     yes   yes   -       yes   -     -     -     -     -"),
    ("member",        "deactivated",     "yes   -     yes   -     -     -     yes   -     -     -     -     yes   -       yes   -     -     -     -     -"),

    ("tenant admin",  "private drafted", "yes   yes   yes   yes   yes   yes   yes   -     -     -     -     yes   yes     yes   -     -     -     -     -"),
    ("tenant admin",  "private active",  "yes   yes   yes   -     yes   yes   yes   -     -     yes   yes   yes   yes     yes   -     -     -     -     -"),
    ("tenant admin",  "shared active",   "yes   yes   yes   -     yes   yes   yes   -     -     yes   yes   yes   yes     yes   -     -     -     -     -"),
    ("tenant admin",  "public active",   "yes   yes   -     -     -     -     yes   -     -     -     yes   yes   yes     yes   -     -     -     -     -"),
    ("tenant admin",  "deactivated",     "yes   -     yes   -     yes   yes   yes   -     -     -     -     yes   yes     yes   -     -     -     -     -"),

    ("catalog admin", "private drafted", "yes   yes   yes   yes   yes   yes   yes   -     yes   -     -     -     yes     yes   yes   yes   yes   yes   -"),
    ("catalog admin", "private active",  "yes   yes   yes   -     yes   yes   yes   yes   yes   -     yes   -     yes     yes   yes   yes   yes   yes   -"),
    ("catalog admin", "shared active",   "yes   yes   yes   -     yes   yes   yes   yes   yes   -     yes   -     yes     yes   yes   yes   yes   yes   -"),
    ("catalog admin", "public active",   "yes   yes   yes   -     yes   yes   yes   yes   -     -     yes   -     yes     yes   yes   yes   yes   yes   -"),
    ("catalog admin", "deactivated",     "yes   yes   yes   -     yes   yes   yes   yes   yes   -     -     -     yes     yes   yes   yes   yes   yes   -"),
];

fn user(id: &str, tenant: &str, role: Option<Role>, is_admin: bool) -> Caller {
    Caller::User(Principal {
        user_id: id.to_owned(),
        username: id.to_owned(),
        tenant: tenant.to_owned(),
        role,
        is_admin,
        scopes: BTreeSet::from([Scope::Read, Scope::Write, Scope::Publish]),
    })
}

fn caller(kind: &str) -> Caller {
    match kind {
        "anonymous" => Caller::Anonymous,
        "other member" => user("bea", "beta", Some(Role::Member), false),
        "other admin" => user("bob", "beta", Some(Role::Admin), false),
        "member" => user("ann", "acme", Some(Role::Member), false),
        "tenant admin" => user("ada", "acme", Some(Role::Admin), false),
        // Acting in a tenant it is not a member of.
        "catalog admin" => user("root", "gamma", None, true),
        other => panic!("unknown caller kind '{other}'"),
    }
}

/// `acme`'s artifact in `state`, as `caller` sees it.
fn artifact<'a>(state: &str, caller: &Caller) -> Subject<'a> {
    let (status, visibility) = match state {
        "private drafted" => (DRAFTED, PRIVATE),
        "private active" => (ACTIVE, PRIVATE),
        "shared active" => (ACTIVE, SHARED),
        "public active" => (ACTIVE, PUBLIC),
        "deactivated" => (DEACTIVATED, PRIVATE),
        other => panic!("unknown artifact state '{other}'"),
    };
    let offered = visibility == SHARED && caller.tenant() == Some("beta");
    Subject::new("acme", status, visibility).offered(offered)
}

fn cells(caller: &Caller, a: Subject<'_>) -> Vec<bool> {
    let reads = allowed(caller, Action::Read, a);
    let own_id = caller.principal().map_or("", |p| p.user_id.as_str());
    let mut out: Vec<bool> = ACTIONS
        .iter()
        .map(|&action| reads && allowed(caller, action, a))
        .collect();
    out.extend([
        can_create(caller),
        can_see_offers(caller, "beta"),
        can_answer(caller, "beta"),
        can_administer(caller),
        can_set_admin(caller, "someone-else", true),
        can_set_admin(caller, own_id, false),
    ]);
    out
}

#[test]
fn every_rule_as_one_table() {
    let kinds = [
        "anonymous",
        "other member",
        "other admin",
        "member",
        "tenant admin",
        "catalog admin",
    ];
    let states = [
        "private drafted",
        "private active",
        "shared active",
        "public active",
        "deactivated",
    ];
    // Every caller kind in every state, once.
    let rows: Vec<(&str, &str)> = TABLE.iter().map(|(k, s, _)| (*k, *s)).collect();
    let all: Vec<(&str, &str)> = kinds
        .iter()
        .flat_map(|k| states.iter().map(move |s| (*k, *s)))
        .collect();
    assert_eq!(
        rows, all,
        "the table lists each caller kind in each state once"
    );

    let mut wrong = Vec::new();
    for (kind, state, expected) in TABLE {
        let expected: Vec<&str> = expected.split_whitespace().collect();
        assert_eq!(
            expected.len(),
            COLUMNS.len(),
            "{kind}, {state}: one cell per column"
        );
        let c = caller(kind);
        let actual = cells(&c, artifact(state, &c));
        for ((column, want), got) in COLUMNS.iter().zip(&expected).zip(actual) {
            let want = match *want {
                "yes" => true,
                "-" => false,
                other => panic!("{kind}, {state}, {column}: '{other}' is neither yes nor -"),
            };
            if want != got {
                wrong.push(format!(
                    "{kind}, {state}, {column}: expected {want}, got {got}"
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "cells that disagree:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn the_system_caller_administers_but_is_no_user() {
    let system = Caller::system("acme");
    let a = Subject::new("acme", ACTIVE, PUBLIC);
    assert!(can_administer(&system));
    assert!(allowed(
        &system,
        Action::MakePublic,
        Subject::new("acme", ACTIVE, PRIVATE)
    ));
    assert!(
        !allowed(&system, Action::Review, a),
        "the catalog itself does not review"
    );
}
