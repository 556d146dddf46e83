//! The OpenAPI document: served, complete, and snapshotted so that every API
//! change shows in review.

use axum::http::StatusCode;

use crate::common::TestApp;

#[tokio::test]
async fn openapi_document_is_served_and_matches_the_snapshot() {
    let app = TestApp::new().await;
    let (s, v) = app.get("/api/openapi.json", None).await;
    assert_eq!(s, StatusCode::OK);
    let paths = v["paths"].as_object().expect("paths");
    for path in [
        "/api/v1/schemas",
        "/api/v1/schemas/{type_name}",
        "/api/v1/artifacts/{type_name}",
        "/api/v1/artifacts/{type_name}/{id}",
        "/api/v1/artifacts/{type_name}/{id}/{blob}",
        "/api/v1/artifacts/{type_name}/{id}/{blob}/{key}",
        "/api/v1/artifacts/{type_name}/{id}/members",
        "/api/v1/artifacts/{type_name}/{id}/members/{tenant}",
    ] {
        assert!(paths.contains_key(path), "{path} is documented");
    }
    insta::assert_json_snapshot!("openapi", v);
}
