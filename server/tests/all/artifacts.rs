//! Creating, changing and deleting artifacts; lifecycle rules; bad input.

use appcat::caller::Role;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use serde_json::{Value, json};

use crate::builders::{Built, TestCatalog};
use crate::common::{TestApp, error_message, unique};

/// acme's admin alice and the catalog admin root.
async fn setup() -> (Built, String, String) {
    let app = TestCatalog::new()
        .user("alice", "acme", Role::Admin)
        .admin("root")
        .build()
        .await;
    let (owner, admin) = (app.token("alice").to_owned(), app.token("root").to_owned());
    (app, owner, admin)
}

#[tokio::test]
async fn create_show_update_delete() {
    let (app, owner, _) = setup().await;
    let (s, v) = app
        .call(
            Method::POST,
            "/api/v1/artifacts/images",
            Some(&owner),
            Some(json!({"name": "cirros", "version": "0.4", "disk_format": "qcow2", "min_ram": 64,
                        "tags": ["tiny", "test"], "metadata": {"os": "cirros"}, "description": "A **tiny** image"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["version"], "0.4.0");
    assert_eq!(v["owner"], "acme");
    assert_eq!(v["status"], "drafted");
    assert_eq!(v["visibility"], "private");
    assert_eq!(v["type_name"], "images");
    assert_eq!(v["image"], Value::Null);
    assert_eq!(v["container_format"], Value::Null);
    let id = v["id"].as_str().expect("id").to_owned();
    let uri = format!("/api/v1/artifacts/images/{id}");
    let (s, shown) = app.get(&uri, Some(&owner)).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(shown, v);

    let (s, v) = app
        .patch(
            &uri,
            Some(&owner),
            json!([
                {"op": "replace", "path": "/min_ram", "value": 128},
                {"op": "add", "path": "/tags/-", "value": "more"},
                {"op": "replace", "path": "/metadata/os", "value": "linux"},
                {"op": "replace", "path": "/name", "value": "cirros-2"}
            ]),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["min_ram"], 128);
    assert_eq!(v["tags"], json!(["tiny", "test", "more"]));
    assert_eq!(v["metadata"], json!({"os": "linux"}));
    assert_eq!(v["name"], "cirros-2");
    let (s, v) = app
        .patch(
            &uri,
            Some(&owner),
            json!([{"op": "remove", "path": "/min_ram"}]),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["min_ram"], Value::Null);

    let (s, _) = app.call(Method::DELETE, &uri, Some(&owner), None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, v) = app.get(&uri, Some(&owner)).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    error_message(&v);
}

#[tokio::test]
async fn lifecycle_rules() {
    let (app, owner, admin) = setup().await;
    let id = app
        .create(
            "heat_templates",
            &owner,
            json!({"name": "stack", "version": "1.0.0"}),
        )
        .await;
    let uri = format!("/api/v1/artifacts/heat_templates/{id}");
    // Activation needs the template blob, and names it.
    let (s, v) = app
        .patch(
            &uri,
            Some(&owner),
            json!([{"op": "replace", "path": "/status", "value": "active"}]),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert_eq!(
        error_message(&v),
        "'template' must be available before activation."
    );
    // Public needs active first, and an admin.
    let (s, _) = app
        .patch(
            &uri,
            Some(&admin),
            json!([{"op": "replace", "path": "/visibility", "value": "public"}]),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = app
        .put_blob(
            &format!("{uri}/template"),
            Some(&owner),
            "application/x-yaml",
            b"a: 1\n".to_vec(),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, v) = app
        .patch(
            &uri,
            Some(&owner),
            json!([{"op": "replace", "path": "/status", "value": "active"}]),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert!(v["activated_at"].is_string());
    // Active: immutable fields and blobs are frozen, descriptive ones are not.
    for (path, value) in [
        ("/name", json!("other")),
        ("/version", json!("2.0.0")),
        ("/template_version", json!("x")),
    ] {
        let (s, v) = app
            .patch(
                &uri,
                Some(&owner),
                json!([{"op": "replace", "path": path, "value": value}]),
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{path}: {v}");
    }
    let (s, _) = app
        .patch(
            &uri,
            Some(&owner),
            json!([{"op": "replace", "path": "/description", "value": "new"}]),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = app
        .patch(
            &uri,
            Some(&owner),
            json!([{"op": "add", "path": "/tags", "value": ["x"]}]),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = app
        .put_blob(
            &format!("{uri}/template"),
            Some(&owner),
            "application/x-yaml",
            b"b: 2\n".to_vec(),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // No going back to drafted, no status "deleted", no unknown status.
    for (status, code) in [
        ("drafted", StatusCode::FORBIDDEN),
        ("deleted", StatusCode::BAD_REQUEST),
        ("gone", StatusCode::BAD_REQUEST),
    ] {
        let (s, v) = app
            .patch(
                &uri,
                Some(&owner),
                json!([{"op": "replace", "path": "/status", "value": status}]),
            )
            .await;
        assert_eq!(s, code, "{status}: {v}");
    }
    // Publish; public never goes back; only admins change public artifacts.
    let (s, _) = app
        .patch(
            &uri,
            Some(&owner),
            json!([{"op": "replace", "path": "/visibility", "value": "public"}]),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, v) = app
        .patch(
            &uri,
            Some(&admin),
            json!([{"op": "replace", "path": "/visibility", "value": "public"}]),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, _) = app
        .patch(
            &uri,
            Some(&admin),
            json!([{"op": "replace", "path": "/visibility", "value": "private"}]),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = app
        .patch(
            &uri,
            Some(&owner),
            json!([{"op": "replace", "path": "/description", "value": "mine"}]),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // Deactivate and reactivate: admins only.
    let (s, _) = app
        .patch(
            &uri,
            Some(&owner),
            json!([{"op": "replace", "path": "/status", "value": "deactivated"}]),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = app
        .patch(
            &uri,
            Some(&admin),
            json!([{"op": "replace", "path": "/status", "value": "deactivated"}]),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = app
        .patch(
            &uri,
            Some(&admin),
            json!([{"op": "replace", "path": "/description", "value": "x"}]),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "deactivated artifacts are frozen");
    let (s, v) = app
        .patch(
            &uri,
            Some(&admin),
            json!([{"op": "replace", "path": "/status", "value": "active"}]),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
}

#[tokio::test]
async fn uniqueness() {
    let (app, owner, admin) = setup().await;
    app.create(
        "heat_templates",
        &owner,
        json!({"name": "dup", "version": "1.0"}),
    )
    .await;
    // Same name and version in the same tenant: 409, even written differently.
    let (s, v) = app
        .call(
            Method::POST,
            "/api/v1/artifacts/heat_templates",
            Some(&owner),
            Some(json!({"name": "dup", "version": "1.0.0"})),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    error_message(&v);
    // Another type or another tenant may use it.
    app.create("images", &owner, json!({"name": "dup", "version": "1.0"}))
        .await;
    let other = app
        .user(
            "bob",
            "beta",
            Some(Role::Admin),
            false,
            "read,write,publish",
        )
        .await;
    app.create(
        "heat_templates",
        &other,
        json!({"name": "dup", "version": "1.0"}),
    )
    .await;
    // Renaming into a taken name+version is 409 too.
    let id = app
        .create(
            "heat_templates",
            &owner,
            json!({"name": "dup", "version": "2.0"}),
        )
        .await;
    let (s, _) = app
        .patch(
            &format!("/api/v1/artifacts/heat_templates/{id}"),
            Some(&owner),
            json!([{"op": "replace", "path": "/version", "value": "1.0.0"}]),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    // Once public, name+version is unique across everyone.
    let a = app.active_template(&owner, "pub", "1.0.0").await;
    let b = app.active_template(&other, "pub", "1.0.0").await;
    let (s, _) = app
        .patch(
            &format!("/api/v1/artifacts/heat_templates/{a}"),
            Some(&admin),
            json!([{"op": "replace", "path": "/visibility", "value": "public"}]),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, v) = app
        .patch(
            &format!("/api/v1/artifacts/heat_templates/{b}"),
            Some(&admin),
            json!([{"op": "replace", "path": "/visibility", "value": "public"}]),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
}

#[tokio::test]
async fn bad_input_is_a_4xx_in_one_shape_and_changes_nothing() {
    let (app, owner, _) = setup().await;
    let raw = |method: Method, uri: &str, ct: &str, body: &'static str| {
        Request::builder()
            .method(method)
            .uri(uri)
            .header("x-auth-token", owner.clone())
            .header("content-type", ct)
            .body(Body::from(body))
            .expect("request")
    };
    let cases: Vec<(Request<Body>, StatusCode)> = vec![
        (
            raw(
                Method::POST,
                "/api/v1/artifacts/images",
                "application/json",
                "{\"name\": ",
            ),
            StatusCode::BAD_REQUEST,
        ),
        (
            raw(
                Method::POST,
                "/api/v1/artifacts/images",
                "application/json",
                "[1, 2]",
            ),
            StatusCode::BAD_REQUEST,
        ),
        (
            raw(
                Method::POST,
                "/api/v1/artifacts/images",
                "text/plain",
                "{\"name\": \"x\"}",
            ),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ),
        (
            raw(
                Method::POST,
                "/api/v1/artifacts/images",
                "application/json",
                "{\"version\": \"1\"}",
            ),
            StatusCode::BAD_REQUEST,
        ),
        (
            raw(
                Method::POST,
                "/api/v1/artifacts/images",
                "application/json",
                "{\"name\": \"x\", \"version\": \"1.x\"}",
            ),
            StatusCode::BAD_REQUEST,
        ),
        (
            raw(
                Method::POST,
                "/api/v1/artifacts/images",
                "application/json",
                "{\"name\": \"x\", \"status\": \"active\"}",
            ),
            StatusCode::BAD_REQUEST,
        ),
        (
            raw(
                Method::POST,
                "/api/v1/artifacts/images",
                "application/json",
                "{\"name\": \"x\", \"visibility\": \"public\"}",
            ),
            StatusCode::BAD_REQUEST,
        ),
        (
            raw(
                Method::POST,
                "/api/v1/artifacts/images",
                "application/json",
                "{\"name\": \"x\", \"image\": {}}",
            ),
            StatusCode::BAD_REQUEST,
        ),
        (
            raw(
                Method::POST,
                "/api/v1/artifacts/images",
                "application/json",
                "{\"name\": \"x\", \"bogus\": 1}",
            ),
            StatusCode::BAD_REQUEST,
        ),
        (
            raw(
                Method::POST,
                "/api/v1/artifacts/images",
                "application/json",
                "{\"name\": \"x\", \"min_ram\": \"lots\"}",
            ),
            StatusCode::BAD_REQUEST,
        ),
        (
            raw(
                Method::POST,
                "/api/v1/artifacts/images",
                "application/json",
                "{\"name\": \"x\", \"min_ram\": -1}",
            ),
            StatusCode::BAD_REQUEST,
        ),
        (
            raw(
                Method::POST,
                "/api/v1/artifacts/images",
                "application/json",
                "{\"name\": \"x\", \"disk_format\": \"floppy\"}",
            ),
            StatusCode::BAD_REQUEST,
        ),
        (
            raw(
                Method::POST,
                "/api/v1/artifacts/images",
                "application/json",
                "{\"name\": \"x\", \"tags\": [\"a,b\"]}",
            ),
            StatusCode::BAD_REQUEST,
        ),
        (
            raw(
                Method::POST,
                "/api/v1/artifacts/images",
                "application/json",
                "{\"name\": \"x\", \"kernel_id\": \"/artifacts/images/00000000-0000-0000-0000-000000000000\"}",
            ),
            StatusCode::BAD_REQUEST,
        ),
        (
            raw(
                Method::POST,
                "/api/v1/artifacts/images",
                "application/json",
                "{\"name\": \"x\", \"kernel_id\": \"../../etc/passwd\"}",
            ),
            StatusCode::BAD_REQUEST,
        ),
        (
            raw(
                Method::POST,
                "/api/v1/artifacts/all",
                "application/json",
                "{\"name\": \"x\"}",
            ),
            StatusCode::FORBIDDEN,
        ),
        (
            raw(
                Method::POST,
                "/api/v1/artifacts/nope",
                "application/json",
                "{\"name\": \"x\"}",
            ),
            StatusCode::NOT_FOUND,
        ),
        (
            raw(
                Method::GET,
                "/api/v1/artifacts/images/not-a-uuid",
                "application/json",
                "",
            ),
            StatusCode::NOT_FOUND,
        ),
        (
            raw(Method::GET, "/api/v1/no/such/thing", "application/json", ""),
            StatusCode::NOT_FOUND,
        ),
    ];
    for (req, expected) in cases {
        let what = format!("{} {}", req.method(), req.uri());
        let (s, _, body) = app.send(req).await;
        assert_eq!(s, expected, "{what}: {}", String::from_utf8_lossy(&body));
        let v: Value = serde_json::from_slice(&body).unwrap_or_else(|_| panic!("{what}: not JSON"));
        error_message(&v);
    }
    let (_, v) = app.get("/api/v1/artifacts/images", Some(&owner)).await;
    assert_eq!(v["total_count"], 0, "nothing was created");

    let id = app
        .create("images", &owner, json!({"name": unique("img")}))
        .await;
    let uri = format!("/api/v1/artifacts/images/{id}");
    let (_, before) = app.get(&uri, Some(&owner)).await;
    let patches: Vec<(&str, &'static str, StatusCode)> = vec![
        ("application/json", "[]", StatusCode::UNSUPPORTED_MEDIA_TYPE),
        (
            "application/json-patch+json",
            "[{\"op\": ",
            StatusCode::BAD_REQUEST,
        ),
        (
            "application/json-patch+json",
            "{\"op\": \"replace\"}",
            StatusCode::BAD_REQUEST,
        ),
        (
            "application/json-patch+json",
            "[{\"op\": \"jump\", \"path\": \"/name\"}]",
            StatusCode::BAD_REQUEST,
        ),
        (
            "application/json-patch+json",
            "[{\"op\": \"replace\", \"path\": \"/nope/deeper\", \"value\": 1}]",
            StatusCode::BAD_REQUEST,
        ),
        (
            "application/json-patch+json",
            "[{\"op\": \"add\", \"path\": \"/bogus\", \"value\": 1}]",
            StatusCode::BAD_REQUEST,
        ),
        (
            "application/json-patch+json",
            "[{\"op\": \"replace\", \"path\": \"/id\", \"value\": \"x\"}]",
            StatusCode::FORBIDDEN,
        ),
        (
            "application/json-patch+json",
            "[{\"op\": \"replace\", \"path\": \"/owner\", \"value\": \"other\"}]",
            StatusCode::FORBIDDEN,
        ),
        (
            "application/json-patch+json",
            "[{\"op\": \"replace\", \"path\": \"/image\", \"value\": {\"url\": \"x\"}}]",
            StatusCode::BAD_REQUEST,
        ),
        (
            "application/json-patch+json",
            "[{\"op\": \"replace\", \"path\": \"/min_ram\", \"value\": \"x\"}]",
            StatusCode::BAD_REQUEST,
        ),
        (
            "application/json-patch+json",
            "[{\"op\": \"replace\", \"path\": \"/name\", \"value\": \"ok\"}, {\"op\": \"replace\", \"path\": \"/version\", \"value\": \"not.a.version\"}]",
            StatusCode::BAD_REQUEST,
        ),
        (
            "application/json-patch+json",
            "[{\"op\": \"replace\", \"path\": \"/visibility\", \"value\": \"everyone\"}]",
            StatusCode::BAD_REQUEST,
        ),
        (
            "application/json-patch+json",
            "[{\"op\": \"replace\", \"path\": \"\", \"value\": 5}]",
            StatusCode::BAD_REQUEST,
        ),
    ];
    for (ct, body, expected) in patches {
        let (s, _, bytes) = app.send(raw(Method::PATCH, &uri, ct, body)).await;
        assert_eq!(s, expected, "{body}: {}", String::from_utf8_lossy(&bytes));
        error_message(&serde_json::from_slice(&bytes).expect("json error"));
    }
    let (_, after) = app.get(&uri, Some(&owner)).await;
    assert_eq!(before, after, "failed patches changed nothing");
}

#[tokio::test]
async fn links_point_at_visible_artifacts() {
    let (app, owner, _) = setup().await;
    let kernel = app
        .create("images", &owner, json!({"name": "kernel"}))
        .await;
    let link = format!("/artifacts/images/{kernel}");
    let id = app
        .create("images", &owner, json!({"name": "ami", "kernel_id": link}))
        .await;
    let (_, v) = app
        .get(&format!("/api/v1/artifacts/images/{id}"), Some(&owner))
        .await;
    assert_eq!(v["kernel_id"], link);
    let (_, v) = app
        .get(
            &format!("/api/v1/artifacts/images?kernel_id={link}"),
            Some(&owner),
        )
        .await;
    assert_eq!(v["total_count"], 1);
    // Another tenant cannot link to a private artifact it cannot see.
    let other = app
        .user(
            "bob",
            "beta",
            Some(Role::Admin),
            false,
            "read,write,publish",
        )
        .await;
    let (s, _) = app
        .call(
            Method::POST,
            "/api/v1/artifacts/images",
            Some(&other),
            Some(json!({"name": "x", "kernel_id": link})),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    // Only the declared target types.
    let tpl = app
        .create("heat_templates", &owner, json!({"name": "t"}))
        .await;
    let (s, _) = app
        .call(
            Method::POST,
            "/api/v1/artifacts/images",
            Some(&owner),
            Some(json!({"name": "y", "kernel_id": format!("/artifacts/heat_templates/{tpl}")})),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, _) = app
        .call(
            Method::POST,
            "/api/v1/artifacts/images",
            Some(&owner),
            Some(json!({"name": "z", "kernel_id": "https://example.org/k"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
}

#[tokio::test]
async fn schemas() {
    let app = TestApp::new().await;
    let (s, headers, body) = app
        .send(
            Request::builder()
                .uri("/api/v1/schemas")
                .body(Body::empty())
                .expect("request"),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(headers["content-type"], "application/schema+json");
    let v: Value = serde_json::from_slice(&body).expect("json");
    let mut names: Vec<&String> = v["schemas"].as_object().expect("schemas").keys().collect();
    names.sort();
    assert_eq!(
        names,
        [
            "all",
            "bundles",
            "heat_environments",
            "heat_templates",
            "images",
            "murano_packages",
            "tosca_templates"
        ]
    );
    let (s, v) = app.get("/api/v1/schemas/images", None).await;
    assert_eq!(s, StatusCode::OK);
    let props = &v["schemas"]["images"]["properties"];
    assert_eq!(
        props["disk_format"]["filter_ops"],
        json!(["eq", "neq", "in"])
    );
    assert_eq!(props["disk_format"]["sortable"], true);
    assert_eq!(props["disk_format"]["required_on_activate"], true);
    assert_eq!(props["description"]["mutable"], true);
    assert_eq!(props["image"]["glareType"], "Blob");
    assert_eq!(props["kernel_id"]["glareType"], "Link");
    assert_eq!(
        props["version"]["filter_ops"],
        json!(["eq", "neq", "gt", "gte", "lt", "lte", "in"])
    );
    assert_eq!(v["schemas"]["images"]["version"], "1.0.0");
    let (s, _) = app.get("/api/v1/schemas/nope", None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}
