//! Filters, version semantics, sorting and marker pagination.

use appcat::caller::Role;
use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::builders::{Built, TestCatalog};
use crate::common::{TestApp, error_message};

fn versions(v: &Value) -> Vec<String> {
    v["artifacts"]
        .as_array()
        .expect("artifacts")
        .iter()
        .map(|a| {
            format!(
                "{}@{}",
                a["name"].as_str().unwrap_or(""),
                a["version"].as_str().unwrap_or("")
            )
        })
        .collect()
}

async fn seeded() -> (Built, String) {
    let app = TestCatalog::new()
        .user("alice", "acme", Role::Admin)
        .build()
        .await;
    let token = app.token("alice").to_owned();
    for (i, v) in [
        "1.0.0",
        "2.1",
        "2.5.0",
        "3.0.0-rc.1",
        "3.5.6",
        "3.5.7",
        "10.0.0",
        "1.10.0",
        "1.9.0",
    ]
    .iter()
    .enumerate()
    {
        let tags = if i % 2 == 0 {
            json!(["even", "all"])
        } else {
            json!(["odd", "all"])
        };
        app.create("images", &token, json!({"name": "foo", "version": v, "tags": tags, "min_ram": i * 256,
            "disk_format": if i % 3 == 0 { "qcow2" } else { "raw" }, "metadata": {"idx": i.to_string()},
            "license": if i == 0 { "Apache-2.0" } else { "GPL, v2" }}))
            .await;
    }
    app.create(
        "images",
        &token,
        json!({"name": "bar", "version": "1.0.0", "tags": ["all"]}),
    )
    .await;
    app.create(
        "images",
        &token,
        json!({"name": "bar", "version": "2.0.0-beta"}),
    )
    .await;
    (app, token)
}

/// Percent-encodes the values of a readable query string.
pub fn enc(q: &str) -> String {
    q.split('&')
        .map(|pair| match pair.split_once('=') {
            Some((k, v)) => format!(
                "{k}={}",
                form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>()
            ),
            None => pair.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("&")
}

async fn query(app: &TestApp, token: &str, q: &str) -> Vec<String> {
    let (s, v) = app
        .get(&format!("/api/v1/artifacts/images?{}", enc(q)), Some(token))
        .await;
    assert_eq!(s, StatusCode::OK, "{q}: {v}");
    let mut got = versions(&v);
    if !q.contains("sort=") {
        got.sort();
    }
    got
}

#[tokio::test]
async fn version_filters() {
    let (app, t) = seeded().await;
    // The seed's query in one request: the latest foo between 2.1 and 3.5.7.
    assert_eq!(
        query(
            &app,
            &t,
            "name=foo&version=gt:2.1&version=lt:3.5.7&version=latest"
        )
        .await,
        ["foo@3.5.6"]
    );
    // Latest per name skips pre-releases.
    assert_eq!(
        query(&app, &t, "version=latest").await,
        ["bar@1.0.0", "foo@10.0.0"]
    );
    assert_eq!(
        query(&app, &t, "name=foo&version=gte:1.9&version=lte:1.10").await,
        ["foo@1.10.0", "foo@1.9.0"]
    );
    assert_eq!(query(&app, &t, "name=foo&version=2.1").await, ["foo@2.1.0"]);
    assert_eq!(
        query(&app, &t, "name=foo&version=in:2.1,10").await,
        ["foo@10.0.0", "foo@2.1.0"]
    );
    // Comparisons include pre-releases, as Glare's do.
    assert_eq!(
        query(&app, &t, "name=foo&version=gt:3.0.0-alpha&version=lt:3.0.0").await,
        ["foo@3.0.0-rc.1"]
    );
    // Requirements, cargo and pip style.
    assert_eq!(
        query(&app, &t, "name=foo&version=spec:>=2.1, <3.5.7").await,
        ["foo@2.1.0", "foo@2.5.0", "foo@3.5.6"]
    );
    assert_eq!(
        query(&app, &t, "name=foo&version=spec:>2.1,<3.5.7").await,
        ["foo@2.5.0", "foo@3.5.6"]
    );
    assert_eq!(
        query(&app, &t, "name=foo&version=spec:^1.2").await,
        ["foo@1.10.0", "foo@1.9.0"]
    );
    assert_eq!(
        query(&app, &t, "name=foo&version=spec:~3.5").await,
        ["foo@3.5.6", "foo@3.5.7"]
    );
    assert_eq!(
        query(&app, &t, "name=foo&version=spec:3.5.*").await,
        ["foo@3.5.6", "foo@3.5.7"]
    );
    assert_eq!(
        query(&app, &t, "name=foo&version=spec:==1.*").await,
        ["foo@1.0.0", "foo@1.10.0", "foo@1.9.0"]
    );
    assert_eq!(
        query(&app, &t, "name=foo&version=spec:>=3.0.0-rc.1, <3.5").await,
        ["foo@3.0.0-rc.1"]
    );
    assert_eq!(
        query(&app, &t, "name=foo&version=spec:>=2, <4&version=latest").await,
        ["foo@3.5.7"]
    );
    assert_eq!(
        query(&app, &t, "name=foo&version=spec:>=2.1,!=2.5,<3.5.7").await,
        ["foo@2.1.0", "foo@3.5.6"]
    );
    assert_eq!(
        query(&app, &t, "name=foo&version=or:spec:^2&version=or:10.0.0").await,
        ["foo@10.0.0", "foo@2.1.0", "foo@2.5.0"]
    );
    // `latest` takes a pre-release when a requirement asks for one.
    assert_eq!(
        query(&app, &t, "name=bar&version=spec:>=1.0.0-a&version=latest").await,
        ["bar@2.0.0-beta"]
    );
    // Sorting by version is semver order, done by the database.
    assert_eq!(
        query(&app, &t, "name=foo&sort=version:asc").await,
        [
            "foo@1.0.0",
            "foo@1.9.0",
            "foo@1.10.0",
            "foo@2.1.0",
            "foo@2.5.0",
            "foo@3.0.0-rc.1",
            "foo@3.5.6",
            "foo@3.5.7",
            "foo@10.0.0"
        ]
    );
    for bad in [
        "version=gt:abc",
        "version=spec:>>1",
        "version=spec:",
        "version=like:1",
        "version=between:1",
    ] {
        let (s, v) = app
            .get(&format!("/api/v1/artifacts/images?{}", enc(bad)), Some(&t))
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{bad}");
        error_message(&v);
    }
}

#[tokio::test]
async fn field_filters() {
    let (app, t) = seeded().await;
    assert_eq!(query(&app, &t, "tags=even,all&name=foo").await.len(), 5);
    assert_eq!(query(&app, &t, "tags-any=even,odd").await.len(), 9);
    assert_eq!(query(&app, &t, "tags=all").await.len(), 10);
    assert_eq!(
        query(&app, &t, "disk_format=qcow2").await,
        ["foo@1.0.0", "foo@10.0.0", "foo@3.0.0-rc.1"]
    );
    assert_eq!(query(&app, &t, "disk_format=in:qcow2,raw").await.len(), 9);
    assert_eq!(
        query(&app, &t, "min_ram=gte:1792").await,
        ["foo@1.10.0", "foo@1.9.0"]
    );
    assert_eq!(query(&app, &t, "metadata.idx=3").await, ["foo@3.0.0-rc.1"]);
    assert_eq!(query(&app, &t, "metadata=idx").await.len(), 9);
    assert_eq!(query(&app, &t, "license=in:\"GPL, v2\"").await.len(), 8);
    assert_eq!(query(&app, &t, "license=like:apache%").await, ["foo@1.0.0"]);
    assert_eq!(
        query(&app, &t, "name=neq:foo").await,
        ["bar@1.0.0", "bar@2.0.0-beta"]
    );
    // or: filters form one group, at least one of which holds.
    assert_eq!(
        query(&app, &t, "name=or:bar&version=or:10.0.0").await,
        ["bar@1.0.0", "bar@2.0.0-beta", "foo@10.0.0"]
    );
    assert_eq!(
        query(&app, &t, "created_at=gt:2000-01-01T00:00:00Z")
            .await
            .len(),
        11
    );
    assert_eq!(query(&app, &t, "created_at=lt:2000-01-01").await.len(), 0);
    // Sorting by a type field.
    let sorted = query(&app, &t, "name=foo&sort=min_ram:desc&limit=3").await;
    assert_eq!(sorted, ["foo@1.9.0", "foo@1.10.0", "foo@10.0.0"]);
    for bad in [
        "bogus=1",
        "name=gt:x",
        "min_ram=lots",
        "min_ram=like:1",
        "tags.x=1",
        "limit=0",
        "limit=1001",
        "limit=ten",
        "sort=bogus",
        "sort=os_version",
        "sort=name:sideways",
        "created_at=yesterday",
        "marker=00000000-0000-0000-0000-000000000000",
    ] {
        let (s, v) = app
            .get(&format!("/api/v1/artifacts/images?{}", enc(bad)), Some(&t))
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{bad}: {v}");
        error_message(&v);
    }
}

#[tokio::test]
async fn marker_pagination_visits_every_row_once() {
    let (app, t) = seeded().await;
    for sort in [
        "",
        "&sort=name:asc,version:desc",
        "&sort=min_ram:asc",
        "&sort=activated_at:desc",
    ] {
        let (_, all) = app
            .get(
                &format!("/api/v1/artifacts/images?limit=100{sort}"),
                Some(&t),
            )
            .await;
        let expected = versions(&all);
        let mut seen = Vec::new();
        let mut next = Some(format!("/artifacts/images?limit=3{sort}"));
        let mut pages = 0;
        while let Some(link) = next {
            assert!(
                link.starts_with("/artifacts/images"),
                "links are relative to the API root: {link}"
            );
            let (s, page) = app.get(&format!("/api/v1{link}"), Some(&t)).await;
            assert_eq!(s, StatusCode::OK, "{page}");
            assert_eq!(page["total_count"], 11);
            seen.extend(versions(&page));
            next = page["next"].as_str().map(str::to_owned);
            pages += 1;
            assert!(pages < 10);
        }
        assert_eq!(seen, expected, "sort {sort}");
    }
    let (_, v) = app
        .get("/api/v1/artifacts/images?limit=5&name=foo", Some(&t))
        .await;
    assert_eq!(v["first"], "/artifacts/images?limit=5&name=foo");
    assert_eq!(v["schema"], "/schemas/images");
    assert_eq!(v["type_name"], "images");
}

#[tokio::test]
async fn the_all_view_lists_across_types() {
    let (app, t) = seeded().await;
    app.create(
        "heat_templates",
        &t,
        json!({"name": "foo", "version": "99.0.0"}),
    )
    .await;
    let (s, v) = app
        .get("/api/v1/artifacts/all?name=foo&version=latest", Some(&t))
        .await;
    assert_eq!(s, StatusCode::OK);
    let mut got: Vec<String> = v["artifacts"]
        .as_array()
        .expect("list")
        .iter()
        .map(|a| {
            format!(
                "{}:{}",
                a["type_name"].as_str().unwrap_or(""),
                a["version"].as_str().unwrap_or("")
            )
        })
        .collect();
    got.sort();
    assert_eq!(got, ["heat_templates:99.0.0", "images:10.0.0"]);
    let (s, _) = app
        .get("/api/v1/artifacts/all?type_name=heat_templates", Some(&t))
        .await;
    assert_eq!(s, StatusCode::OK);
    // Type-specific fields are not filters of `all`.
    let (s, _) = app
        .get("/api/v1/artifacts/all?disk_format=raw", Some(&t))
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    // `latest` is per sequence: the same name in another tenant is another
    // sequence.
    let other = app
        .user(
            "bob",
            "beta",
            Some(Role::Admin),
            false,
            "read,write,publish",
        )
        .await;
    app.create("images", &other, json!({"name": "foo", "version": "0.1.0"}))
        .await;
    let admin = app.user("root", "ops", None, true, "read").await;
    let (_, v) = app
        .get(
            "/api/v1/artifacts/images?name=foo&version=latest",
            Some(&admin),
        )
        .await;
    let mut got = versions(&v);
    got.sort();
    assert_eq!(got, ["foo@0.1.0", "foo@10.0.0"]);
    // `all` is read-only.
    let id = v["artifacts"][0]["id"].as_str().expect("id").to_owned();
    let (s, _) = app
        .patch(
            &format!("/api/v1/artifacts/all/{id}"),
            Some(&t),
            json!([{"op": "replace", "path": "/description", "value": "x"}]),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = app
        .call(
            axum::http::Method::DELETE,
            &format!("/api/v1/artifacts/all/{id}"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}
