//! The checks and SQL of listings, without a database (the database runs
//! them in `tests/all/filters.rs` and `tests/all/list_engine.rs`).

use super::*;
use crate::types::TypeRegistry;

fn types() -> TypeRegistry {
    TypeRegistry::load(None).expect("the built-in types load")
}

fn sql(caller: &Caller, q: &ListQuery) -> String {
    sql_text(&types(), caller, q).expect("a valid query")
}

fn refused(q: &ListQuery) -> String {
    match sql_text(&types(), &Caller::Anonymous, q) {
        Err(e) => e.to_string(),
        Ok(s) => panic!("accepted: {s}"),
    }
}

#[test]
fn latest_alone_reads_the_markers_for_every_scope() {
    let q = ListQuery::new("heat_templates").filter(Filter::Latest);
    let anonymous = sql(&Caller::Anonymous, &q);
    assert!(
        anonymous.contains("\"latest_public\" = TRUE"),
        "{anonymous}"
    );
    assert!(
        !anonymous.contains("\"a2\""),
        "no per-row scan: {anonymous}"
    );
    let admin = sql(&Caller::system("x"), &q);
    assert!(admin.contains("\"latest_all\" = TRUE"), "{admin}");
    // Name and owner hold for whole sequences: still the markers.
    let named = sql(&Caller::Anonymous, &q.clone().eq("name", "web"));
    assert!(named.contains("\"latest_public\" = TRUE"), "{named}");
}

#[test]
fn latest_with_a_per_version_condition_compares_within_the_sequence() {
    let q = ListQuery::new("heat_templates")
        .filter(Filter::Latest)
        .filter(Filter::Tags(vec!["db".into()]));
    let s = sql(&Caller::Anonymous, &q);
    assert!(!s.contains("latest_public"), "{s}");
    assert!(s.contains("NOT EXISTS"), "{s}");
    // A requirement that names a pre-release lets pre-releases be latest:
    // the markers skip them, so the scan answers.
    let q = ListQuery::new("heat_templates")
        .filter(Filter::Latest)
        .filter(Filter::VersionSpec(">=1.0.0-rc.1".into()));
    assert!(!sql(&Caller::Anonymous, &q).contains("latest_public"));
}

#[test]
fn full_text_is_a_prefix_match_of_every_word() {
    let q = ListQuery::new("all").filter(Filter::Text("Web, st".into()));
    let s = sql(&Caller::Anonymous, &q);
    assert!(s.contains("artifacts_fts MATCH '\"web\"* \"st\"*'"), "{s}");
    let q = ListQuery::new("all")
        .filter(Filter::Text("db".into()))
        .sort("relevance", SortOrder::Desc);
    assert!(sql(&Caller::Anonymous, &q).contains("bm25("));
    assert_eq!(words("a-b  C_d"), vec!["a", "b", "c", "d"]);
}

#[test]
fn bad_queries_are_refused_with_the_reason() {
    let t = || ListQuery::new("images");
    assert!(refused(&t().eq("min_ram", "bla:1")).contains("unknown filter operator 'bla'"));
    assert!(refused(&t().eq("min_ram", "x")).contains("is not an integer"));
    assert!(refused(&t().eq("nope", "x")).contains("unknown filter 'nope'"));
    assert!(
        refused(&t().filter(Filter::field("name", FilterOp::Gt, "x")))
            .contains("operator 'gt' is not allowed for 'name'")
    );
    assert!(refused(&t().filter(Filter::VersionSpec("^^1".into()))).contains("^^1"));
    assert!(refused(&t().sort("relevance", SortOrder::Desc)).contains("search text"));
    assert!(refused(&t().sort("nope", SortOrder::Asc)).contains("unknown field 'nope'"));
    assert!(refused(&t().limit(0)).contains("limit"));
    assert!(refused(&t().filter(Filter::Text("x".repeat(201)))).contains("at most 200"));
    assert!(refused(&ListQuery::new("nope")).contains("does not exist"));
}

#[test]
fn every_listing_ends_with_a_total_order() {
    let s = sql(
        &Caller::Anonymous,
        &ListQuery::new("images").sort("name", SortOrder::Asc),
    );
    let order = s.split("ORDER BY").nth(1).expect("ordered");
    let name = order.find("\"name\" ASC").expect("name first");
    let created = order.find("\"created_at\" DESC").expect("then newest");
    let id = order.find("\"id\" ASC").expect("then id");
    assert!(name < created && created < id, "{order}");
}

#[test]
fn the_rare_tag_bound_grows_with_the_catalog() {
    use super::narrow_at_most;
    assert_eq!(narrow_at_most(None), 2000);
    assert_eq!(narrow_at_most(Some(0)), 200);
    assert_eq!(narrow_at_most(Some(10_000)), 500);
    assert_eq!(narrow_at_most(Some(1_000_000)), 5000);
    assert_eq!(narrow_at_most(Some(100_000_000)), 5000);
    assert!(narrow_at_most(Some(100_000)) > narrow_at_most(Some(10_000)));
}
