//! Pages render on the server with the right status and only public data.

use appcat::caller::Role;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use serde_json::json;

use crate::builders::TestCatalog;
use crate::common::TestApp;

async fn page(app: &TestApp, uri: &str) -> (StatusCode, String) {
    let (s, _, body) = app
        .send(
            Request::builder()
                .method(Method::GET)
                .uri(uri)
                .body(Body::empty())
                .expect("r"),
        )
        .await;
    (s, String::from_utf8_lossy(&body).into_owned())
}

#[tokio::test]
async fn pages_show_public_artifacts_with_the_right_status() {
    let app = TestCatalog::new()
        .user("alice", "acme", Role::Admin)
        .admin("root")
        .build()
        .await;
    let owner = app.token("alice").to_owned();
    let admin = app.token("root").to_owned();
    let public = app.active_template(&owner, "shown-template", "1.0.0").await;
    app.patch(
        &format!("/api/v1/artifacts/heat_templates/{public}"),
        Some(&admin),
        json!([{"op": "replace", "path": "/visibility", "value": "public"}]),
    )
    .await;
    app.active_template(&owner, "hidden-template", "1.0.0")
        .await;

    let (s, html) = page(&app, "/").await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("<title>appcat</title>"), "{html}");
    assert!(html.contains("1 public artifact<"), "{html}");
    assert!(html.contains("href=\"/apps/heat_templates\""));

    let (s, html) = page(&app, "/apps/heat_templates").await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("shown-template"));
    assert!(
        !html.contains("hidden-template"),
        "private artifacts never reach a page"
    );

    let (s, html) = page(&app, "/apps/nope").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert!(html.contains("Not found"));
    let (s, _) = page(&app, "/no/such/page").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // A stale or forged marker is a bad request, said on the page.
    let (s, html) = page(&app, "/apps/heat_templates?marker=not-a-marker").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(html.contains("flash error"), "{html}");
}

#[tokio::test]
async fn detail_pages_render_sanitised_markdown_versions_and_dependencies() {
    let app = TestCatalog::new()
        .user("alice", "acme", Role::Admin)
        .admin("root")
        .build()
        .await;
    let owner = app.token("alice").to_owned();
    let admin = app.token("root").to_owned();
    let publish = |id: String| {
        let admin = admin.clone();
        let app = &app;
        async move {
            let (s, v) = app
                .patch(
                    &format!("/api/v1/artifacts/heat_templates/{id}"),
                    Some(&admin),
                    json!([{"op": "replace", "path": "/visibility", "value": "public"}]),
                )
                .await;
            assert_eq!(s, StatusCode::OK, "{v}");
        }
    };
    let env = app
        .create("heat_environments", &owner, json!({"name": "env"}))
        .await;
    let old = app.active_template(&owner, "web stack", "1.0.0").await;
    publish(old).await;
    let id = app
        .create(
            "heat_templates",
            &owner,
            json!({"name": "web stack", "version": "1.2.0", "license": "Apache-2.0",
                   "description": "# Web\n**fast** <script>alert(1)</script> [x](javascript:alert(1))",
                   "environments": {"prod": format!("/artifacts/heat_environments/{env}")}}),
        )
        .await;
    let uri = format!("/api/v1/artifacts/heat_templates/{id}");
    app.put_blob(
        &format!("{uri}/template"),
        Some(&owner),
        "text/plain",
        b"heat_template_version: 2016-10-14\n".to_vec(),
    )
    .await;
    app.patch(
        &uri,
        Some(&owner),
        json!([{"op": "replace", "path": "/status", "value": "active"}]),
    )
    .await;
    publish(id.clone()).await;

    let (s, html) = page(&app, "/apps/heat_templates/web%20stack").await;
    assert_eq!(s, StatusCode::OK, "{html}");
    assert!(html.contains("<strong>fast</strong>"), "markdown rendered");
    assert!(!html.contains("<script>alert"), "no script");
    assert!(!html.contains("javascript:alert"), "no javascript: link");
    assert!(
        html.contains(">1.2.0<") && html.contains(">1.0.0<"),
        "both versions listed"
    );
    assert!(html.contains("openstack stack create"), "install hint");
    assert!(
        html.contains(&format!("/api/v1/artifacts/heat_templates/{id}/template")),
        "download link"
    );
    assert!(html.contains("Apache-2.0"));
    // The environment is private: to a visitor it is not in the catalog.
    assert!(
        html.contains("not in the catalog"),
        "unresolved dependency reported"
    );
    let (s, html) = page(&app, "/apps/heat_templates/web%20stack?version=1.0.0").await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        html.contains("aria-current=\"page\">1.0.0<"),
        "selected version"
    );
    for missing in [
        "/apps/heat_templates/web%20stack?version=9.9.9",
        "/apps/heat_templates/nothing",
        "/apps/nope/web%20stack",
    ] {
        let (s, _) = page(&app, missing).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{missing}");
    }
    // Drafts and private artifacts have no page.
    let draft = app
        .create("heat_templates", &owner, json!({"name": "secret plan"}))
        .await;
    let _ = draft;
    let (s, _) = page(&app, "/apps/heat_templates/secret%20plan").await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // Search: name, description or tag, case-insensitive; private never.
    let (s, html) = page(&app, "/apps/heat_templates?q=FAST").await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("1 match for"), "{html}");
    let (_, html) = page(&app, "/apps/heat_templates?q=secret").await;
    assert!(html.contains("0 matches"), "{html}");
    let (_, v) = app
        .get("/api/v1/artifacts/heat_templates?q=web%20st", None)
        .await;
    assert_eq!(v["total_count"], 2);
    let (_, v) = app
        .get("/api/v1/artifacts/heat_templates?q=100%25", None)
        .await;
    assert_eq!(v["total_count"], 0, "% is matched literally");

    // Facets: counts over the result, a value link filters, and the URL
    // carries the filter.
    let (s, html) = page(&app, "/apps/heat_templates").await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        html.contains("href=\"/apps/heat_templates?license=Apache-2.0\""),
        "{html}"
    );
    let (s, html) = page(&app, "/apps/heat_templates?license=Apache-2.0").await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("1 match<"), "{html}");
    assert!(
        html.contains("aria-pressed=\"true\""),
        "the selected value is marked"
    );
    let (_, html) = page(&app, "/apps/all?kind=heat_templates&license=Apache-2.0").await;
    assert!(html.contains("1 match<"), "{html}");
    let (_, html) = page(&app, "/apps/all?kind=images").await;
    assert!(html.contains("0 matches"), "{html}");
}
