//! Pages render on the server with the right status and only public data.

use appcat::auth::Role;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use serde_json::json;

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
    let app = TestApp::new().await;
    let owner = app
        .user(
            "alice",
            "acme",
            Some(Role::Admin),
            false,
            "read,write,publish",
        )
        .await;
    let admin = app
        .user("root", "ops", None, true, "read,write,publish")
        .await;
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
    let (s, _) = page(&app, "/apps/heat_templates?marker=not-a-marker").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}
