//! The list engine against the database: latest markers kept right by
//! every kind of write, the plans the indexes serve, cached counts that
//! follow writes, and full-text search.

use appcat::caller::Role;
use appcat::entities::{artifact, artifact_member};
use appcat::services::generate;
use axum::http::StatusCode;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait,
    QueryFilter, Statement, TransactionTrait,
};
use serde_json::{Value, json};

use crate::builders::TestCatalog;
use crate::common::TestApp;

fn ids(v: &Value) -> Vec<String> {
    let mut out: Vec<String> = v["artifacts"]
        .as_array()
        .expect("artifacts")
        .iter()
        .filter_map(|a| a["id"].as_str().map(str::to_owned))
        .collect();
    out.sort();
    out
}

async fn listed(app: &TestApp, token: Option<&str>, q: &str) -> Vec<String> {
    let (s, v) = app
        .get(
            &format!("/api/v1/artifacts/heat_templates?{q}&limit=1000"),
            token,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{q}: {v}");
    assert_eq!(
        v["total_count"].as_u64(),
        Some(v["artifacts"].as_array().map_or(0, Vec::len) as u64),
        "{q}: the count agrees with the rows"
    );
    ids(&v)
}

/// `version=latest` alone reads the markers; with a condition that holds
/// for every row (`status=in:` every status) it compares versions within
/// the sequence, row by row. Both must agree for every caller.
async fn markers_agree(app: &TestApp, callers: &[(&str, Option<&str>)], when: &str) {
    for (who, token) in callers {
        let markers = listed(app, *token, "version=latest").await;
        let scan = listed(
            app,
            *token,
            "version=latest&status=in:drafted,active,deactivated",
        )
        .await;
        assert!(!scan.is_empty(), "{when}, {who}: something is listed");
        assert_eq!(markers, scan, "{when}, {who}");
    }
}

async fn set(app: &TestApp, id: &str, col: artifact::Column, value: &str) {
    artifact::Entity::update_many()
        .col_expr(col, Expr::value(value))
        .filter(artifact::Column::Id.eq(id))
        .exec(&app.catalog.db)
        .await
        .expect("update");
}

#[tokio::test]
async fn latest_markers_follow_every_change_for_every_caller() {
    let app = TestApp::new().await;
    generate::load(&app.catalog, 12, 3).await.expect("load");
    let member_a = app
        .user("amy", "bench-a", Some(Role::Member), false, "read,write")
        .await;
    let member_b = app
        .user("ben", "bench-b", Some(Role::Member), false, "read,write")
        .await;
    let admin = app.user("root", "bench-c", None, true, "read,write").await;
    let callers = [
        ("anonymous", None),
        ("bench-a", Some(member_a.as_str())),
        ("bench-b", Some(member_b.as_str())),
        ("admin", Some(admin.as_str())),
    ];
    markers_agree(&app, &callers, "after the bulk load").await;

    let row = |name: &str, version: &str| {
        let db = app.catalog.db.clone();
        let (name, version) = (name.to_owned(), version.to_owned());
        async move {
            artifact::Entity::find()
                .filter(artifact::Column::Name.eq(name))
                .filter(artifact::Column::Version.eq(version))
                .one(&db)
                .await
                .expect("query")
                .expect("row")
                .id
        }
    };
    // Names 0, 2, 4 ... are public; 0 and 6 belong to bench-a.
    let top = row("app-000000", "1.9.0").await;
    set(&app, &top, artifact::Column::Visibility, "private").await;
    markers_agree(&app, &callers, "the top public version made private").await;
    let anonymous = listed(&app, None, "version=latest&name=app-000000").await;
    assert_eq!(anonymous, vec![row("app-000000", "1.8.0").await]);

    // A version shared with bench-b above the public ones.
    set(&app, &top, artifact::Column::Visibility, "shared").await;
    artifact_member::ActiveModel {
        artifact_id: Set(top.clone()),
        tenant_id: Set("bench-b".into()),
        created_at: Set(chrono::Utc::now()),
        status: Set("accepted".into()),
        decided_at: Set(None),
    }
    .insert(&app.catalog.db)
    .await
    .expect("member");
    markers_agree(&app, &callers, "a version shared with bench-b").await;
    assert_eq!(
        listed(&app, Some(&member_b), "version=latest&name=app-000000").await,
        vec![top.clone()]
    );

    // Drafts, deletes, a higher pre-release, a new version over the API.
    let draft = row("app-000006", "1.9.0").await;
    set(&app, &draft, artifact::Column::Status, "drafted").await;
    artifact::Entity::delete_by_id(row("app-000002", "1.9.0").await)
        .exec(&app.catalog.db)
        .await
        .expect("delete");
    let (s, _) = app
        .call(
            axum::http::Method::POST,
            "/api/v1/artifacts/heat_templates",
            Some(&member_a),
            Some(json!({"name": "app-000000", "version": "2.0.0-rc.1"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, _) = app
        .call(
            axum::http::Method::POST,
            "/api/v1/artifacts/heat_templates",
            Some(&member_a),
            Some(json!({"name": "app-000003", "version": "3.0.0"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    markers_agree(&app, &callers, "drafts, a delete and new versions").await;
    // The owner sees its new draft as latest; nobody else does.
    let newest = row("app-000003", "3.0.0").await;
    assert!(
        listed(&app, Some(&member_a), "version=latest")
            .await
            .contains(&newest)
    );
    assert!(!listed(&app, None, "version=latest").await.contains(&newest));
}

async fn plan(app: &TestApp, sql: &str) -> String {
    // One transaction: the setting and the EXPLAIN on the same connection.
    let txn = app.catalog.db.begin().await.expect("begin");
    let backend = txn.get_database_backend();
    let explain = match backend {
        DbBackend::Postgres => {
            // Tiny test tables are cheaper to scan than to look up; with
            // scans priced out the plan shows whether an index serves.
            txn.execute(Statement::from_string(
                backend,
                "SET LOCAL enable_seqscan = off",
            ))
            .await
            .expect("set");
            format!("EXPLAIN {sql}")
        }
        _ => format!("EXPLAIN QUERY PLAN {sql}"),
    };
    let rows = txn
        .query_all(Statement::from_string(backend, explain))
        .await
        .expect("explain");
    txn.rollback().await.ok();
    rows.iter()
        .map(|r| {
            r.try_get::<String>("", "QUERY PLAN")
                .or_else(|_| r.try_get::<String>("", "detail"))
                .unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test]
async fn list_shapes_are_served_by_indexes() {
    let app = TestApp::new().await;
    generate::load(&app.catalog, 20, 5).await.expect("load");
    let pg = app.catalog.db.get_database_backend() == DbBackend::Postgres;
    let uses = |plan: &str, index: &str| {
        assert!(plan.contains(index), "expected {index} in:\n{plan}");
    };
    // A rare tag: the (name, key, value) index of the properties.
    let p = plan(
        &app,
        "SELECT artifact_id FROM artifact_properties WHERE name = 'tags' AND key = '' \
         AND str_value = 'rare'",
    )
    .await;
    uses(&p, "ix_props_str");
    // Latest public, newest first: the partial index of latest rows.
    let p = plan(
        &app,
        "SELECT id FROM artifacts WHERE type_name = 'heat_templates' AND latest_public \
         ORDER BY created_at DESC LIMIT 25",
    )
    .await;
    uses(&p, "ix_artifacts_latest_public");
    // A name and a version range.
    let p = plan(
        &app,
        "SELECT id FROM artifacts WHERE type_name = 'heat_templates' AND name = 'app-000001' \
         AND version_sort >= '1'",
    )
    .await;
    assert!(
        p.contains("ix_artifacts_type_name_version") || p.contains("ix_artifacts_sequence"),
        "{p}"
    );
    // Full text.
    let p = if pg {
        plan(
            &app,
            "SELECT id FROM artifacts WHERE search_tsv @@ to_tsquery('simple', 'needle:*')",
        )
        .await
    } else {
        plan(
            &app,
            "SELECT d.artifact_id FROM artifacts_fts JOIN search_docs d ON d.doc = artifacts_fts.rowid \
             WHERE artifacts_fts MATCH '\"needle\"*'",
        )
        .await
    };
    uses(
        &p,
        if pg {
            "ix_artifacts_search"
        } else {
            "artifacts_fts"
        },
    );
}

#[tokio::test]
async fn cached_counts_follow_writes() {
    let app = TestCatalog::new()
        .user_with("alice", "acme", Some(Role::Admin), "read,write")
        .build()
        .await;
    let token = app.token("alice").to_owned();
    let count = |q: &'static str| {
        let app = &app;
        let token = token.clone();
        async move {
            let (s, v) = app
                .get(
                    &format!("/api/v1/artifacts/heat_templates?{q}"),
                    Some(&token),
                )
                .await;
            assert_eq!(s, StatusCode::OK);
            v["total_count"].as_u64().expect("count")
        }
    };
    assert_eq!(count("tags=x").await, 0);
    app.create(
        "heat_templates",
        &token,
        json!({"name": "one", "tags": ["x"]}),
    )
    .await;
    assert_eq!(count("tags=x").await, 1, "a create is counted at once");
    let id = app
        .create(
            "heat_templates",
            &token,
            json!({"name": "two", "tags": ["y"]}),
        )
        .await;
    assert_eq!(count("tags=x").await, 1);
    let (s, _) = app
        .patch(
            &format!("/api/v1/artifacts/heat_templates/{id}"),
            Some(&token),
            json!([{"op": "replace", "path": "/tags", "value": ["x"]}]),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(count("tags=x").await, 2, "a changed tag is counted at once");
    assert_eq!(count("q=two").await, 1, "and found by search");
}

#[tokio::test]
async fn full_text_search_covers_the_fields_and_ranks_names_first() {
    let app = TestCatalog::new()
        .user_with("alice", "acme", Some(Role::Admin), "read,write")
        .build()
        .await;
    let token = app.token("alice").to_owned();
    app.create(
        "heat_templates",
        &token,
        json!({"name": "plain", "description": "Runs a Wordpress blog"}),
    )
    .await;
    app.create("heat_templates", &token, json!({"name": "wordpress-stack"}))
        .await;
    app.create(
        "heat_templates",
        &token,
        json!({"name": "tagged", "tags": ["WordPress"]}),
    )
    .await;
    app.create(
        "heat_templates",
        &token,
        json!({"name": "provided", "provided_by": {"name": "Ann", "company": "Pressworks"}}),
    )
    .await;
    let names = |v: &Value| -> Vec<String> {
        v["artifacts"]
            .as_array()
            .expect("artifacts")
            .iter()
            .filter_map(|a| a["name"].as_str().map(str::to_owned))
            .collect()
    };
    let (_, v) = app
        .get(
            "/api/v1/artifacts/heat_templates?q=wordp&sort=relevance",
            Some(&token),
        )
        .await;
    let found = names(&v);
    assert_eq!(found.len(), 3, "{found:?}");
    assert_eq!(
        found[0], "wordpress-stack",
        "the name weighs most: {found:?}"
    );
    assert_eq!(found[2], "plain", "the description least: {found:?}");
    let (_, v) = app
        .get(
            "/api/v1/artifacts/heat_templates?q=pressworks",
            Some(&token),
        )
        .await;
    assert_eq!(names(&v), vec!["provided"]);
    let (s, v) = app
        .get(
            "/api/v1/artifacts/heat_templates?sort=relevance",
            Some(&token),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
}

/// Every page of `q`, in order, following the markers.
async fn pages(app: &TestApp, token: Option<&str>, q: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut marker = String::new();
    loop {
        let (s, v) = app
            .get(
                &format!("/api/v1/artifacts/heat_templates?{q}&limit=25{marker}"),
                token,
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{q}: {v}");
        let page: Vec<String> = v["artifacts"]
            .as_array()
            .expect("artifacts")
            .iter()
            .filter_map(|a| a["id"].as_str().map(str::to_owned))
            .collect();
        let Some(last) = page.last().cloned() else {
            return out;
        };
        out.extend(page);
        marker = format!("&marker={last}");
    }
}

#[tokio::test]
async fn a_frequent_word_pages_like_the_same_rows_found_another_way() {
    // 400 rows, every one tagged and described "bench": more matches than
    // the bound for this size (at least 200), so the word is "frequent" and
    // its pages come from walking the sort order; a word in a few rows is
    // looked up first. Both must page exactly as the equivalent tag filter.
    let app = TestApp::new().await;
    generate::load(&app.catalog, 40, 9).await.expect("load");
    let member = app
        .user("amy", "bench-a", Some(Role::Member), false, "read")
        .await;
    for token in [None, Some(member.as_str())] {
        for sort in ["", "&sort=name:asc", "&sort=version:desc"] {
            let by_word = pages(&app, token, &format!("q=bench{sort}")).await;
            let by_tag = pages(&app, token, &format!("tags=bench{sort}")).await;
            assert!(by_word.len() > 25, "several pages");
            assert_eq!(by_word, by_tag, "q=bench{sort}");
            let rare_word = pages(&app, token, &format!("q=needle{sort}")).await;
            let rare_rows = listed(&app, token, "q=needle").await;
            let mut sorted = rare_word.clone();
            sorted.sort();
            assert_eq!(sorted, rare_rows, "q=needle{sort}");
        }
    }
}
