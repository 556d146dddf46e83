//! Bundles: a real Murano application with its dependency chain exported
//! from one catalog and imported into a fresh one; bad bundles change
//! nothing.

use appcat::caller::Role;
use appcat::services::import;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use bytes::Bytes;
use serde_json::Value;

use crate::builders::TestCatalog;
use crate::common::{TestApp, error_message};
use crate::shared_data;

fn no_progress(_: usize, _: usize, _: &str) {}

async fn post_bundle(app: &TestApp, token: &str, data: Vec<u8>) -> (StatusCode, Value) {
    let req = Request::builder()
        .method(Method::POST)
        .uri("/api/v1/bundles")
        .header("x-auth-token", token)
        .header("content-type", "application/x-tar")
        .body(Body::from(data))
        .expect("request");
    let (s, _, body) = app.send(req).await;
    (s, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

/// (type, name, version) → sorted blob sha256s and the field values.
async fn snapshot(
    app: &TestApp,
    token: &str,
    ids: &[(String, String)],
) -> Vec<(String, String, String, Vec<String>, Value)> {
    let mut out = Vec::new();
    for (t, id) in ids {
        let (_, a) = app
            .get(&format!("/api/v1/artifacts/{t}/{id}"), Some(token))
            .await;
        let mut shas: Vec<String> = ["package", "icon"]
            .iter()
            .filter_map(|f| a[*f]["sha256"].as_str().map(str::to_owned))
            .collect();
        shas.sort();
        out.push((
            t.clone(),
            a["name"].as_str().unwrap_or("").to_owned(),
            a["version"].as_str().unwrap_or("").to_owned(),
            shas,
            a["requires"].clone(),
        ));
    }
    out.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
    out
}

#[tokio::test]
async fn a_murano_application_travels_with_its_dependencies() {
    let Some(dir) = shared_data::dir() else {
        return;
    };
    let source = TestApp::new().await;
    let reader = source.user("root", "openstack", None, true, "read").await;
    let report = import::import_murano(
        &source.catalog,
        "openstack",
        &[dir.join("murano")],
        true,
        &no_progress,
    )
    .await;
    assert!(report.failed.is_empty());
    // The application with the deepest dependency closure.
    let (_, all) = source
        .get(
            "/api/v1/artifacts/murano_packages?limit=1000",
            Some(&reader),
        )
        .await;
    let mut best = (0, String::new(), Value::Null);
    for a in all["artifacts"].as_array().expect("list") {
        let (_, g) = source
            .get(
                &format!(
                    "/api/v1/artifacts/murano_packages/{}/dependencies",
                    a["id"].as_str().unwrap_or("")
                ),
                Some(&reader),
            )
            .await;
        let n = g["nodes"].as_array().map_or(0, Vec::len);
        if n > best.0 {
            best = (n, a["id"].as_str().unwrap_or("").to_owned(), g);
        }
    }
    let (closure, root, graph) = best;
    assert!(closure >= 4, "a deep chain: {closure} artifacts");
    let req = Request::builder()
        .uri(format!("/api/v1/artifacts/murano_packages/{root}/bundle"))
        .header("x-auth-token", &reader)
        .body(Body::empty())
        .expect("request");
    let (s, headers, tar) = source.send(req).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(headers["content-type"], "application/x-tar");
    assert_eq!(
        headers["x-appcat-bundle-artifacts"],
        closure.to_string().as_str()
    );

    let target = TestApp::new().await;
    let t = target
        .user(
            "alice",
            "acme",
            Some(Role::Admin),
            false,
            "read,write,publish",
        )
        .await;
    let (s, v) = post_bundle(&target, &t, tar.to_vec()).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["created"], closure);
    // The same artifacts, blobs and links arrived, and resolve the same way.
    let source_ids: Vec<(String, String)> = graph["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .map(|n| {
            (
                n["type_name"].as_str().unwrap_or("").to_owned(),
                n["id"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    let new_root = v["root"]
        .as_str()
        .expect("root")
        .trim_start_matches("/artifacts/murano_packages/")
        .to_owned();
    let (_, g2) = target
        .get(
            &format!("/api/v1/artifacts/murano_packages/{new_root}/dependencies"),
            Some(&t),
        )
        .await;
    let target_ids: Vec<(String, String)> = g2["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .map(|n| {
            (
                n["type_name"].as_str().unwrap_or("").to_owned(),
                n["id"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    assert_eq!(
        snapshot(&source, &reader, &source_ids).await,
        snapshot(&target, &t, &target_ids).await
    );
    assert_eq!(g2["unresolved"], graph["unresolved"]);
    assert_eq!(
        g2["edges"].as_array().map(Vec::len),
        graph["edges"].as_array().map(Vec::len)
    );
    // The data itself: download one package and compare.
    let (_, a) = target
        .get(
            &format!("/api/v1/artifacts/murano_packages/{new_root}/package"),
            Some(&t),
        )
        .await;
    let _ = a;

    // Importing again changes nothing.
    let (s, v) = post_bundle(&target, &t, tar.to_vec()).await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(
        (v["created"].as_u64(), v["unchanged"].as_u64()),
        (Some(0), Some(closure as u64))
    );

    // A corrupt or truncated bundle changes nothing, in a third catalog.
    let third = TestApp::new().await;
    let t3 = third
        .user(
            "carol",
            "gamma",
            Some(Role::Admin),
            false,
            "read,write,publish",
        )
        .await;
    let mut corrupt = tar.to_vec();
    let last_blob = corrupt.len() - 2048;
    corrupt[last_blob - 600] ^= 0xff;
    for (what, data) in [
        ("corrupt", corrupt),
        ("truncated", tar[..tar.len() / 2].to_vec()),
        ("not a tar", b"hello".to_vec()),
        ("empty", Vec::new()),
    ] {
        let (s, v) = post_bundle(&third, &t3, data).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{what}: {v}");
        error_message(&v);
        let (_, list) = third.get("/api/v1/artifacts/all?limit=1", Some(&t3)).await;
        assert_eq!(list["total_count"], 0, "{what}: nothing imported");
    }
    let files = std::fs::read_dir(third.dir.path().join("blobs"))
        .map(|d| d.count())
        .unwrap_or(0);
    assert_eq!(files, 0, "no blob data left behind");
    let _ = Bytes::new();
}

fn tar_of(manifest: &serde_json::Value, files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    let json = serde_json::to_vec(manifest).expect("json");
    let mut h = tar::Header::new_gnu();
    h.set_size(json.len() as u64);
    h.set_mode(0o644);
    h.set_cksum();
    b.append_data(&mut h, "manifest.json", json.as_slice())
        .expect("append");
    for (name, data) in files {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        b.append_data(&mut h, name, *data).expect("append");
    }
    b.into_inner().expect("tar")
}

fn entry(blobs: serde_json::Value, status: &str) -> serde_json::Value {
    serde_json::json!({"format": "appcat-bundle/1", "root": "heat_templates/t@1.0.0", "artifacts": [{
        "key": "heat_templates/t@1.0.0", "type_name": "heat_templates", "type_version": "1.0.0",
        "name": "t", "version": "1.0.0", "status": status, "description": null, "fields": {}, "blobs": blobs}]})
}

#[tokio::test]
async fn crafted_bundles_are_refused_and_trust_nothing() {
    use sha2::{Digest, Sha256};
    let app = TestCatalog::new()
        .user("alice", "acme", Role::Admin)
        .build()
        .await;
    let t = app.token("alice").to_owned();
    let data = b"heat_template_version: 2016-10-14\n".to_vec();
    let sha = hex::encode(Sha256::digest(&data));
    let path = format!("blobs/{sha}");
    let cases = [
        (
            "a path as checksum",
            entry(
                serde_json::json!([{"field": "template", "external": false, "sha256": "/dev/zero"}]),
                "active",
            ),
            vec![],
        ),
        (
            "traversal as checksum",
            entry(
                serde_json::json!([{"field": "template", "external": false, "sha256": "../../etc/passwd"}]),
                "active",
            ),
            vec![],
        ),
        (
            "javascript location",
            entry(
                serde_json::json!([{"field": "template", "external": true, "url": "javascript:alert(1)"}]),
                "active",
            ),
            vec![],
        ),
        (
            "the same blob twice",
            entry(
                serde_json::json!([
            {"field": "template", "external": false, "sha256": sha},
            {"field": "template", "external": false, "sha256": sha}]),
                "active",
            ),
            vec![(path.as_str(), data.as_slice())],
        ),
        (
            "a key on a single blob",
            entry(
                serde_json::json!([{"field": "template", "key": "x", "external": false, "sha256": sha}]),
                "active",
            ),
            vec![(path.as_str(), data.as_slice())],
        ),
        (
            "an unexpected file",
            entry(serde_json::json!([]), "active"),
            vec![("evil.txt", data.as_slice())],
        ),
    ];
    for (what, manifest, files) in cases {
        let (s, v) = post_bundle(&app, &t, tar_of(&manifest, &files)).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{what}: {v}");
    }
    let (_, list) = app.get("/api/v1/artifacts/all?limit=1", Some(&t)).await;
    assert_eq!(list["total_count"], 0, "nothing imported");

    // Sizes and digests come from the data, not from the manifest; without
    // the `publish` scope an "active" entry arrives drafted.
    let writer = app
        .user("walt", "acme", Some(Role::Member), false, "write")
        .await;
    let manifest = entry(
        serde_json::json!([{"field": "template", "external": false, "sha256": sha, "size": 1, "md5": "00000000000000000000000000000000", "content_type": "text/plain"}]),
        "active",
    );
    let (s, v) = post_bundle(
        &app,
        &writer,
        tar_of(&manifest, &[(path.as_str(), data.as_slice())]),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (_, list) = app
        .get("/api/v1/artifacts/heat_templates?name=t", Some(&t))
        .await;
    let art = &list["artifacts"][0];
    assert_eq!(art["status"], "drafted");
    assert_eq!(art["template"]["size"], data.len());
    assert_ne!(art["template"]["md5"], "00000000000000000000000000000000");
}
