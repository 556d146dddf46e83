//! Type definitions from a directory, and what happens when they change.

use appcat::caller::Role;
use appcat::services::Limits;
use appcat::types::TypeRegistry;
use axum::http::StatusCode;
use serde_json::json;

use crate::common::TestApp;

const V1: &str = r#"
name = "widgets"
display_name = "Widget"
version = "1.0.0"
[fields.color]
kind = "enum"
allowed = ["red", "blue"]
sortable = true
[fields.size]
kind = "integer"
[blobs.payload]
max_size = 100
"#;

fn write(dir: &std::path::Path, text: &str) {
    std::fs::write(dir.join("widgets.toml"), text).expect("write definition");
}

#[tokio::test]
async fn custom_types_load_without_rebuild_and_change_under_rules() {
    let types_dir = tempfile::tempdir().expect("tempdir");
    write(types_dir.path(), V1);
    let app = TestApp::with(Limits::default(), Some(types_dir.path())).await;
    let t = app
        .user(
            "alice",
            "acme",
            Some(Role::Admin),
            false,
            "read,write,publish",
        )
        .await;
    let id = app
        .create(
            "widgets",
            &t,
            json!({"name": "w", "color": "red", "size": 3}),
        )
        .await;
    let (s, v) = app.get("/api/v1/schemas/widgets", None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        v["schemas"]["widgets"]["properties"]["color"]["enum"],
        json!(["red", "blue"])
    );
    let (s, _) = app
        .put_blob(
            &format!("/api/v1/artifacts/widgets/{id}/payload"),
            Some(&t),
            "text/plain",
            vec![0; 101],
        )
        .await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE);
    let db = &app.catalog.db;
    let load = |text: &str| {
        write(types_dir.path(), text);
        TypeRegistry::load(Some(types_dir.path())).expect("definition loads")
    };

    // The same version with other content is refused.
    let changed_same_version = V1.replace(
        "[fields.size]",
        "[fields.weight]\nkind = \"number\"\n[fields.size]",
    );
    let err = load(&changed_same_version)
        .sync(db)
        .await
        .expect_err("refused");
    assert!(
        err.to_string()
            .contains("give the changed definition a new version"),
        "{err}"
    );

    // A compatible change (new optional field) applies as it is; the
    // artifact keeps the type version it was made with.
    let v11 = changed_same_version.replace("version = \"1.0.0\"", "version = \"1.1.0\"");
    load(&v11)
        .sync(db)
        .await
        .expect("compatible change applies");
    let (_, v) = app
        .get(&format!("/api/v1/artifacts/widgets/{id}"), Some(&t))
        .await;
    assert_eq!(v["type_version"], "1.0.0");

    // Incompatible (a field changes kind, an enum value goes away) without a
    // rule: the start is refused, naming the change.
    let v2 = v11
        .replace("version = \"1.1.0\"", "version = \"2.0.0\"")
        .replace("allowed = [\"red\", \"blue\"]", "allowed = [\"blue\"]");
    let err = load(&v2).sync(db).await.expect_err("refused");
    let msg = err.to_string();
    assert!(
        msg.contains("widgets") && msg.contains("color") && msg.contains("from = \"1.0.0\""),
        "{msg}"
    );

    // With a migration rule for artifacts of 1.0.0, it applies and migrates.
    let v2_rule = format!("{v2}\n[[migrations]]\nfrom = \"1.0.0\"\nset = {{ color = \"blue\" }}\n");
    load(&v2_rule).sync(db).await.expect("migration applies");
    let (_, v) = app
        .get(&format!("/api/v1/artifacts/widgets/{id}"), Some(&t))
        .await;
    assert_eq!(v["type_version"], "2.0.0");
    assert_eq!(v["color"], "blue");
    let (_, list) = app
        .get("/api/v1/artifacts/widgets?color=blue", Some(&t))
        .await;
    assert_eq!(list["total_count"], 1, "the index follows the migration");

    // Going back to an older version is refused.
    let err = load(&v11).sync(db).await.expect_err("downgrade refused");
    assert!(err.to_string().contains("older"), "{err}");

    // A broken file is refused with its name.
    write(types_dir.path(), "name = \"widgets\"\nversion = 1\n");
    let err = TypeRegistry::load(Some(types_dir.path())).expect_err("invalid");
    assert!(err.to_string().contains("widgets.toml"), "{err}");
}
