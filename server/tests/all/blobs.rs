//! Blob upload and download: checksums, ranges, limits, content types,
//! external locations, broken and concurrent uploads.

use appcat::caller::Role;
use appcat::services::Limits;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use bytes::Bytes;
use md5::{Digest as _, Md5};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::builders::{Art, Built, TestCatalog};
use crate::common::error_message;

/// acme's admin alice and a drafted heat template of hers: the app, her
/// token and the draft's URI.
async fn with_draft(catalog: TestCatalog) -> (Built, String, String) {
    let app = catalog
        .user("alice", "acme", Role::Admin)
        .artifact("alice", Art::draft("heat_templates", json!({"name": "t"})))
        .build()
        .await;
    let (t, uri) = (app.token("alice").to_owned(), app.uri("t"));
    (app, t, uri)
}

fn data(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i * 31 % 251) as u8).collect()
}

#[tokio::test]
async fn upload_download_checksums_and_ranges() {
    let (app, t, uri) = with_draft(TestCatalog::new()).await;
    let body = data(300_000);
    let (s, v) = app
        .put_blob(
            &format!("{uri}/template"),
            Some(&t),
            "application/x-yaml",
            body.clone(),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let blob = &v["template"];
    assert_eq!(blob["size"], 300_000);
    assert_eq!(blob["status"], "active");
    assert_eq!(blob["external"], false);
    assert_eq!(blob["content_type"], "application/x-yaml");
    assert_eq!(blob["md5"], hex::encode(Md5::digest(&body)));
    assert_eq!(blob["sha256"], hex::encode(Sha256::digest(&body)));
    assert_eq!(
        blob["url"],
        uri.trim_start_matches("/api/v1").to_owned() + "/template"
    );

    let get = |range: Option<&str>| {
        let mut r = Request::builder()
            .uri(format!("{uri}/template"))
            .header("x-auth-token", t.clone());
        if let Some(range) = range {
            r = r.header("range", range);
        }
        r.body(Body::empty()).expect("request")
    };
    let (s, h, bytes) = app.send(get(None)).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(bytes.as_ref(), body.as_slice());
    assert_eq!(h["content-md5"], hex::encode(Md5::digest(&body)).as_str());
    assert_eq!(
        h["x-openstack-glare-content-sha256"],
        hex::encode(Sha256::digest(&body)).as_str()
    );
    assert!(h.contains_key("x-openstack-glare-content-sha1"));
    assert_eq!(h["accept-ranges"], "bytes");
    let (s, h, bytes) = app.send(get(Some("bytes=100-199"))).await;
    assert_eq!(s, StatusCode::PARTIAL_CONTENT);
    assert_eq!(bytes.as_ref(), &body[100..200]);
    assert_eq!(h["content-range"], "bytes 100-199/300000");
    let (s, _, bytes) = app.send(get(Some("bytes=-10"))).await;
    assert_eq!(s, StatusCode::PARTIAL_CONTENT);
    assert_eq!(bytes.as_ref(), &body[299_990..]);
    let (s, h, bytes) = app.send(get(Some("bytes=400000-"))).await;
    assert_eq!(s, StatusCode::RANGE_NOT_SATISFIABLE);
    assert_eq!(h["content-range"], "bytes */300000");
    error_message(&serde_json::from_slice(&bytes).expect("json"));

    // Re-upload while drafted replaces the data.
    let (s, v) = app
        .put_blob(
            &format!("{uri}/template"),
            Some(&t),
            "application/x-yaml",
            b"new".to_vec(),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["template"]["size"], 3);
    let (_, _, bytes) = app.send(get(None)).await;
    assert_eq!(bytes.as_ref(), b"new");

    // Blob dicts: entries by key.
    let (s, v) = app
        .put_blob(
            &format!("{uri}/nested_templates/net.yaml"),
            Some(&t),
            "text/plain",
            b"n".to_vec(),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["nested_templates"]["net.yaml"]["size"], 1);
    let (s, _) = app
        .get(&format!("{uri}/nested_templates/net.yaml"), Some(&t))
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = app
        .put_blob(
            &format!("{uri}/nested_templates"),
            Some(&t),
            "text/plain",
            b"n".to_vec(),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "a dict needs a key");
    let (s, _) = app
        .put_blob(
            &format!("{uri}/template/key"),
            Some(&t),
            "text/plain",
            b"n".to_vec(),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "a single blob has no keys");
    let (s, _) = app
        .put_blob(
            &format!("{uri}/nested_templates/..%2Fetc"),
            Some(&t),
            "text/plain",
            b"n".to_vec(),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "no '/' in keys");
    let (s, _) = app
        .put_blob(
            &format!("{uri}/nope"),
            Some(&t),
            "text/plain",
            b"n".to_vec(),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = app.get(&format!("{uri}/icon"), Some(&t)).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "not uploaded yet");

    // Deleting the artifact removes the stored data.
    let files_before = count_files(&app.dir.path().join("blobs"));
    assert!(files_before >= 2);
    let (s, _) = app.call(Method::DELETE, &uri, Some(&t), None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert_eq!(count_files(&app.dir.path().join("blobs")), 0);
}

fn count_files(dir: &std::path::Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .filter_map(Result::ok)
        .map(|e| {
            if e.path().is_dir() {
                count_files(&e.path())
            } else {
                1
            }
        })
        .sum()
}

#[tokio::test]
async fn limits_and_content_types() {
    let (app, t, uri) = with_draft(TestCatalog::new().limits(Limits {
        max_blob_size: 1000,
        ..Limits::default()
    }))
    .await;
    // Declared too large: refused before reading.
    let (s, v) = app
        .put_blob(
            &format!("{uri}/template"),
            Some(&t),
            "text/plain",
            data(1001),
        )
        .await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE, "{v}");
    // Streamed without a length and too large: refused while reading.
    let chunks: Vec<Result<Bytes, std::io::Error>> =
        (0..5).map(|_| Ok(Bytes::from(data(300)))).collect();
    let req = Request::builder()
        .method(Method::PUT)
        .uri(format!("{uri}/template"))
        .header("x-auth-token", t.clone())
        .body(Body::from_stream(futures::stream::iter(chunks)))
        .expect("request");
    let (s, _, _) = app.send(req).await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE);
    let (_, v) = app.get(&uri, Some(&t)).await;
    assert_eq!(v["template"], Value::Null, "nothing left behind");
    // Icons must be images.
    let (s, _) = app
        .put_blob(
            &format!("{uri}/icon"),
            Some(&t),
            "text/html",
            b"<b>".to_vec(),
        )
        .await;
    assert_eq!(s, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let (s, _) = app
        .put_blob(
            &format!("{uri}/icon"),
            Some(&t),
            "image/png",
            b"png".to_vec(),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(count_files(&app.dir.path().join("blobs")), 1);
}

#[tokio::test]
async fn broken_and_truncated_uploads_leave_no_trace() {
    let (app, t, uri) = with_draft(TestCatalog::new()).await;
    let (_, before) = app.get(&uri, Some(&t)).await;
    // The body breaks off.
    let chunks: Vec<Result<Bytes, std::io::Error>> = vec![
        Ok(Bytes::from(data(1000))),
        Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "reset",
        )),
    ];
    let req = Request::builder()
        .method(Method::PUT)
        .uri(format!("{uri}/template"))
        .header("x-auth-token", t.clone())
        .body(Body::from_stream(futures::stream::iter(chunks)))
        .expect("request");
    let (s, _, _) = app.send(req).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    // Fewer bytes than Content-Length.
    let req = Request::builder()
        .method(Method::PUT)
        .uri(format!("{uri}/template"))
        .header("x-auth-token", t.clone())
        .header("content-length", "5000")
        .body(Body::from_stream(futures::stream::iter(vec![Ok::<
            _,
            std::io::Error,
        >(
            Bytes::from(data(10)),
        )])))
        .expect("request");
    let (s, _, _) = app.send(req).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (_, after) = app.get(&uri, Some(&t)).await;
    assert_eq!(after["template"], Value::Null);
    assert_eq!(before["updated_at"], after["updated_at"]);
    assert_eq!(count_files(&app.dir.path().join("blobs")), 0);

    // A failed replacement keeps the blob it was replacing.
    let (s, v) = app
        .put_blob(
            &format!("{uri}/template"),
            Some(&t),
            "text/plain",
            b"good".to_vec(),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let good = v["template"].clone();
    let req = Request::builder()
        .method(Method::PUT)
        .uri(format!("{uri}/template"))
        .header("x-auth-token", t.clone())
        .body(Body::from_stream(futures::stream::iter(vec![
            Ok(Bytes::from_static(b"bad")),
            Err(std::io::Error::other("gone")),
        ])))
        .expect("request");
    let (s, _, _) = app.send(req).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (_, v) = app.get(&uri, Some(&t)).await;
    assert_eq!(v["template"], good);
    let (_, _, bytes) = app
        .send(
            Request::builder()
                .uri(format!("{uri}/template"))
                .header("x-auth-token", t.clone())
                .body(Body::empty())
                .expect("r"),
        )
        .await;
    assert_eq!(bytes.as_ref(), b"good");
}

#[tokio::test]
async fn a_second_upload_while_saving_is_409() {
    let (app, t, uri) = with_draft(TestCatalog::new()).await;
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(1);
    tx.send(Ok(Bytes::from_static(b"first part ")))
        .await
        .expect("send");
    let req = Request::builder()
        .method(Method::PUT)
        .uri(format!("{uri}/template"))
        .header("x-auth-token", t.clone())
        .body(Body::from_stream(tokio_stream(rx)))
        .expect("request");
    let router = app.router.clone();
    let first = tokio::spawn(async move { tower::ServiceExt::oneshot(router, req).await });
    // Wait until the first upload has claimed the blob.
    let mut saving = false;
    for _ in 0..200 {
        let (_, v) = app.get(&uri, Some(&t)).await;
        if v["template"]["status"] == "saving" {
            saving = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert!(saving, "the first upload shows as saving");
    let (s, v) = app
        .put_blob(
            &format!("{uri}/template"),
            Some(&t),
            "text/plain",
            b"second".to_vec(),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    // Activation waits for blobs to finish.
    let (s, _) = app
        .patch(
            &uri,
            Some(&t),
            json!([{"op": "replace", "path": "/status", "value": "active"}]),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    let (s, _) = app.get(&format!("{uri}/template"), Some(&t)).await;
    assert_eq!(s, StatusCode::CONFLICT, "no download while saving");
    tx.send(Ok(Bytes::from_static(b"and the rest")))
        .await
        .expect("send");
    drop(tx);
    let res = first.await.expect("join").expect("response");
    assert_eq!(res.status(), StatusCode::OK);
    let (_, v) = app.get(&uri, Some(&t)).await;
    assert_eq!(v["template"]["size"], 23);
}

fn tokio_stream(
    mut rx: tokio::sync::mpsc::Receiver<Result<Bytes, std::io::Error>>,
) -> impl futures::Stream<Item = Result<Bytes, std::io::Error>> {
    futures::stream::poll_fn(move |cx| rx.poll_recv(cx))
}

#[tokio::test]
async fn external_locations_redirect() {
    let (app, t, uri) = with_draft(TestCatalog::new()).await;
    let put = |body: &'static str| {
        Request::builder()
            .method(Method::PUT)
            .uri(format!("{uri}/template"))
            .header("x-auth-token", t.clone())
            .header(
                "content-type",
                "application/vnd+openstack.glare-custom-location+json",
            )
            .body(Body::from(body))
            .expect("request")
    };
    let (s, _, body) = app
        .send(put(
            r#"{"url": "https://example.org/t.yaml", "md5": "0123456789abcdef0123456789abcdef"}"#,
        ))
        .await;
    assert_eq!(s, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
    let v: Value = serde_json::from_slice(&body).expect("json");
    assert_eq!(v["template"]["external"], true);
    assert_eq!(v["template"]["url"], "https://example.org/t.yaml");
    let (s, h, _) = app
        .send(
            Request::builder()
                .uri(format!("{uri}/template"))
                .header("x-auth-token", t.clone())
                .body(Body::empty())
                .expect("r"),
        )
        .await;
    assert_eq!(s, StatusCode::MOVED_PERMANENTLY);
    assert_eq!(h["location"], "https://example.org/t.yaml");
    for bad in [
        r#"{"url": "file:///etc/passwd"}"#,
        r#"{"url": "https://x", "md5": "zz"}"#,
        r#"{"url": 5}"#,
        "{",
    ] {
        let (s, _, _) = app.send(put(bad)).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{bad}");
    }
    // Removing the location.
    let (s, v) = app
        .call(Method::DELETE, &format!("{uri}/template"), Some(&t), None)
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["template"], Value::Null);
    // Stored blobs are not removed this way.
    app.put_blob(
        &format!("{uri}/template"),
        Some(&t),
        "text/plain",
        b"x".to_vec(),
    )
    .await;
    let (s, _) = app
        .call(Method::DELETE, &format!("{uri}/template"), Some(&t), None)
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn uploads_abandoned_by_a_crash_are_swept_or_restored() {
    use appcat::entities::artifact_blob;
    use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, Set};
    let (app, t, uri) = with_draft(TestCatalog::new()).await;
    let (s, v) = app
        .put_blob(
            &format!("{uri}/template"),
            Some(&t),
            "text/plain",
            b"kept".to_vec(),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let id = v["id"].as_str().expect("id").to_owned();
    let (s, _) = app
        .put_blob(
            &format!("{uri}/nested_templates/a"),
            Some(&t),
            "text/plain",
            b"x".to_vec(),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    // As a process killed mid-upload leaves them: a replacement of a
    // finished blob, and a first upload, both still `saving`, long ago.
    let long_ago = chrono::Utc::now() - chrono::Duration::hours(2);
    let rows = artifact_blob::Entity::find()
        .filter(artifact_blob::Column::ArtifactId.eq(&id))
        .all(&app.catalog.db)
        .await
        .expect("rows");
    for row in rows {
        let first_upload = row.field == "nested_templates";
        let mut a = row.into_active_model();
        a.status = Set("saving".to_owned());
        a.updated_at = Set(long_ago);
        if first_upload {
            a.sha256 = Set(None);
            a.md5 = Set(None);
            a.sha1 = Set(None);
        }
        a.update(&app.catalog.db).await.expect("update");
    }
    // While stale rows wait for the sweep, a new upload may take their place.
    let (_, v) = app.get(&uri, Some(&t)).await;
    assert_eq!(v["template"]["status"], "saving");
    let swept = appcat::services::blobs::sweep_abandoned(&app.catalog)
        .await
        .expect("sweep");
    assert_eq!(swept, 2);
    let (_, v) = app.get(&uri, Some(&t)).await;
    assert_eq!(
        v["template"]["status"], "active",
        "the finished blob is restored"
    );
    assert_eq!(
        v["nested_templates"],
        serde_json::json!({}),
        "the unfinished one is gone"
    );
    let (s, _, bytes) = app
        .send(
            Request::builder()
                .uri(format!("{uri}/template"))
                .header("x-auth-token", t.clone())
                .body(Body::empty())
                .expect("r"),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(bytes.as_ref(), b"kept");
}
