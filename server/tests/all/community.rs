//! Ratings, reviews, moderation and download statistics through the API:
//! the rules, the access matrix, and counting that loses nothing.

use std::net::SocketAddr;

use appcat::caller::Role;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Method, Request, StatusCode};
use sea_orm::{ConnectionTrait, EntityTrait};
use serde_json::{Value, json};

use crate::builders::{Art, Built, TestCatalog};
use crate::common::{TestApp, error_message};

struct World {
    app: Built,
    owner: String,
    member: String,
    other: String,
    shared: String,
    admin: String,
    public: String,
    private: String,
    shared_id: String,
}

/// Tenant acme (olga: admin, mia: member), rival (otto), partner (pat, an
/// artifact is shared with it), and root (catalog admin); a public, a
/// private and a shared active template of acme.
async fn world() -> World {
    let app = TestCatalog::new()
        .user("olga", "acme", Role::Admin)
        .user_with("mia", "acme", Some(Role::Member), "read,write")
        .user("otto", "rival", Role::Admin)
        .user("pat", "partner", Role::Admin)
        .admin("root")
        .artifact("olga", Art::template("liked", "1.0.0").public())
        .artifact("olga", Art::template("secret", "1.0.0"))
        .artifact(
            "olga",
            Art::template("partnered", "1.0.0").shared_with("partner"),
        )
        .build()
        .await;
    let token = |name: &str| app.token(name).to_owned();
    World {
        owner: token("olga"),
        member: token("mia"),
        other: token("otto"),
        shared: token("pat"),
        admin: token("root"),
        public: app.id("liked").to_owned(),
        private: app.id("secret").to_owned(),
        shared_id: app.id("partnered").to_owned(),
        app,
    }
}

fn at(id: &str, rest: &str) -> String {
    format!("/api/v1/artifacts/heat_templates/{id}{rest}")
}

#[tokio::test]
async fn ratings_are_one_per_user_per_sequence_and_sort_and_filter() {
    let w = world().await;
    let app = &w.app;
    let rating = at(&w.public, "/rating");
    let (s, v) = app.get(&rating, None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        (v["average"].clone(), v["count"].clone()),
        (Value::Null, json!(0)),
        "unrated is null, not 0"
    );
    assert_eq!(
        app.get(&at(&w.public, ""), None).await.1["rating"],
        Value::Null
    );

    let put = |token: Option<String>, body: Value| {
        let rating = rating.clone();
        async move {
            app.call(Method::PUT, &rating, token.as_deref(), Some(body))
                .await
        }
    };
    assert_eq!(
        put(None, json!({"stars": 5})).await.0,
        StatusCode::UNAUTHORIZED
    );
    for bad in [
        json!({"stars": 0}),
        json!({"stars": 6}),
        json!({"stars": "five"}),
        json!({}),
    ] {
        let (s, v) = put(Some(w.other.clone()), bad.clone()).await;
        assert!(
            s == StatusCode::BAD_REQUEST || s == StatusCode::UNPROCESSABLE_ENTITY,
            "{bad}: {s} {v}"
        );
    }
    assert_eq!(
        put(Some(w.other.clone()), json!({"stars": 5})).await.0,
        StatusCode::OK
    );
    let (_, v) = put(Some(w.shared.clone()), json!({"stars": 2})).await;
    assert_eq!(
        (v["average"].as_f64(), v["count"].clone(), v["mine"].clone()),
        (Some(3.5), json!(2), json!(2))
    );
    // Rating again changes it, it does not add one.
    let (_, v) = put(Some(w.shared.clone()), json!({"stars": 4})).await;
    assert_eq!(
        (v["average"].as_f64(), v["count"].clone()),
        (Some(4.5), json!(2))
    );

    // A new version of the sequence shows the same rating.
    let v2 = w.app.active_template(&w.owner, "liked", "2.0.0").await;
    let (_, a) = app.get(&at(&v2, ""), Some(&w.owner)).await;
    assert_eq!(
        (a["rating"].as_f64(), a["rating_count"].clone()),
        (Some(4.5), json!(2))
    );
    let (_, r2) = app.get(&at(&v2, "/rating"), Some(&w.owner)).await;
    assert_eq!(
        (r2["average"].as_f64(), r2["mine"].clone()),
        (Some(4.5), Value::Null)
    );
    // The owner rates version 2: it counts for version 1 too.
    app.call(
        Method::PUT,
        &at(&v2, "/rating"),
        Some(&w.owner),
        Some(json!({"stars": 3})),
    )
    .await;
    let (_, r1) = app.get(&rating, Some(&w.owner)).await;
    assert_eq!(
        (r1["count"].clone(), r1["mine"].clone()),
        (json!(3), json!(3)),
        "one rating for every version"
    );
    app.call(Method::DELETE, &at(&v2, "/rating"), Some(&w.owner), None)
        .await;

    // Sorting and filtering by rating.
    // The stored rating that lists sort and filter by counts public
    // versions only, so "meh" is made public.
    let other = w.app.active_template(&w.owner, "meh", "1.0.0").await;
    app.patch(
        &at(&other, ""),
        Some(&w.admin),
        json!([{"op": "replace", "path": "/visibility", "value": "public"}]),
    )
    .await;
    app.call(
        Method::PUT,
        &at(&other, "/rating"),
        Some(&w.owner),
        Some(json!({"stars": 2})),
    )
    .await;
    let (_, l) = app
        .get(
            "/api/v1/artifacts/heat_templates?sort=rating:desc&rating=gte:1",
            Some(&w.owner),
        )
        .await;
    let names: Vec<&str> = l["artifacts"]
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|a| a["name"].as_str())
        .collect();
    assert_eq!(names, ["liked", "liked", "meh"], "{l}");
    let (_, l) = app
        .get(
            "/api/v1/artifacts/heat_templates?rating=gte:4.5",
            Some(&w.owner),
        )
        .await;
    assert_eq!(l["total_count"], 2);
    let (s, _) = app
        .get(
            "/api/v1/artifacts/heat_templates?rating=gte:9",
            Some(&w.owner),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);

    // Removing.
    let (s, v) = app
        .call(Method::DELETE, &rating, Some(&w.other), None)
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        (v["average"].as_f64(), v["count"].clone(), v["mine"].clone()),
        (Some(4.0), json!(1), Value::Null)
    );
    assert_eq!(
        app.call(Method::DELETE, &rating, Some(&w.other), None)
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    // Drafts are not rated; the read-only view 'all' is not written through.
    let draft = app
        .create("heat_templates", &w.owner, json!({"name": "draft"}))
        .await;
    assert_eq!(
        app.call(
            Method::PUT,
            &at(&draft, "/rating"),
            Some(&w.owner),
            Some(json!({"stars": 3}))
        )
        .await
        .0,
        StatusCode::FORBIDDEN
    );
    let (s, _) = app
        .call(
            Method::PUT,
            &format!("/api/v1/artifacts/all/{}/rating", w.public),
            Some(&w.owner),
            Some(json!({"stars": 3})),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn reviews_replies_edits_and_rate_limits() {
    let w = world().await;
    let app = &w.app;
    let reviews = at(&w.public, "/reviews");
    let post = |token: &str, body: Value| {
        let reviews = reviews.clone();
        let token = token.to_owned();
        async move {
            app.call(Method::POST, &reviews, Some(&token), Some(body))
                .await
        }
    };
    assert_eq!(
        app.call(Method::POST, &reviews, None, Some(json!({"body": "hi"})))
            .await
            .0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        post(&w.other, json!({"body": "   "})).await.0,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        post(&w.other, json!({"body": "x".repeat(5001)})).await.0,
        StatusCode::BAD_REQUEST
    );
    let (s, r) = post(&w.other, json!({"body": "**Great** <script>x</script>"})).await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    assert_eq!(r["version"], "1.0.0");
    assert!(
        r["body_html"]
            .as_str()
            .is_some_and(|h| h.contains("<strong>Great</strong>") && !h.contains("<script"))
    );
    let rid = r["id"].as_str().expect("id").to_owned();

    // Replies: the publisher's tenant only, one level deep.
    let reply = json!({"body": "Thanks", "parent_id": rid});
    assert_eq!(
        post(&w.shared, reply.clone()).await.0,
        StatusCode::FORBIDDEN
    );
    let (s, rep) = post(&w.member, reply).await;
    assert_eq!(s, StatusCode::CREATED, "{rep}");
    let (s, _) = post(&w.owner, json!({"body": "deeper", "parent_id": rep["id"]})).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, _) = post(
        &w.owner,
        json!({"body": "?", "parent_id": "00000000-0000-0000-0000-000000000000"}),
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // Anonymous readers see the thread.
    let (s, page) = app.get(&reviews, None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(page["total"], 1);
    assert_eq!(page["reviews"][0]["replies"][0]["by_publisher"], true);
    assert_eq!(page["reviews"][0]["author"], "otto");

    // Edits: the author only, within the window.
    let one = format!("{reviews}/{rid}");
    assert_eq!(
        app.call(
            Method::PATCH,
            &one,
            Some(&w.shared),
            Some(json!({"body": "mine now"}))
        )
        .await
        .0,
        StatusCode::FORBIDDEN
    );
    let (s, e) = app
        .call(
            Method::PATCH,
            &one,
            Some(&w.other),
            Some(json!({"body": "Good"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(e["edited_at"].is_string());
    app.catalog
        .db
        .execute_unprepared(&format!(
            "UPDATE reviews SET created_at = '2020-01-01 00:00:00+00:00' WHERE id = '{rid}'"
        ))
        .await
        .expect("age the review");
    let (s, v) = app
        .call(
            Method::PATCH,
            &one,
            Some(&w.other),
            Some(json!({"body": "late"})),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    assert!(error_message(&v).contains("24 hours"));

    // Pagination, newest first.
    for i in 0..3 {
        let (s, _) = post(&w.shared, json!({"body": format!("review {i}")})).await;
        assert_eq!(s, StatusCode::CREATED);
    }
    let (_, p1) = app.get(&format!("{reviews}?limit=2"), None).await;
    assert_eq!(
        (p1["total"].clone(), p1["pages"].clone()),
        (json!(4), json!(2))
    );
    assert_eq!(p1["reviews"][0]["body"], "review 2");
    let (_, p2) = app.get(&format!("{reviews}?limit=2&page=2"), None).await;
    assert_eq!(p2["reviews"][1]["author"], "otto");
    assert_eq!(
        app.get(&format!("{reviews}?page=x"), None).await.0,
        StatusCode::BAD_REQUEST
    );

    // Five per ten minutes per user; the limit is counted in the database.
    post(&w.shared, json!({"body": "four"})).await;
    post(&w.shared, json!({"body": "five"})).await;
    let (s, v) = post(&w.shared, json!({"body": "six"})).await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS, "{v}");

    // Deleting one's own review takes its replies with it.
    assert_eq!(
        app.call(Method::DELETE, &one, Some(&w.shared), None)
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.call(Method::DELETE, &one, Some(&w.other), None).await.0,
        StatusCode::NO_CONTENT
    );
    let (_, page) = app.get(&format!("{reviews}?limit=50"), None).await;
    assert!(
        page["reviews"]
            .as_array()
            .expect("reviews")
            .iter()
            .all(|r| r["author"] != "otto")
    );
}

#[tokio::test]
async fn moderation_hides_reports_and_logs() {
    let w = world().await;
    let app = &w.app;
    let reviews = at(&w.public, "/reviews");
    let (_, r) = app
        .call(
            Method::POST,
            &reviews,
            Some(&w.other),
            Some(json!({"body": "spam spam"})),
        )
        .await;
    let rid = r["id"].as_str().expect("id").to_owned();
    let one = format!("{reviews}/{rid}");

    let report = format!("{one}/report");
    assert_eq!(
        app.call(Method::POST, &report, None, Some(json!({})))
            .await
            .0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.call(Method::POST, &report, Some(&w.other), Some(json!({})))
            .await
            .0,
        StatusCode::BAD_REQUEST,
        "not one's own"
    );
    assert_eq!(
        app.call(
            Method::POST,
            &report,
            Some(&w.shared),
            Some(json!({"reason": "spam"}))
        )
        .await
        .0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.call(
            Method::POST,
            &report,
            Some(&w.shared),
            Some(json!({"reason": "spam"}))
        )
        .await
        .0,
        StatusCode::CONFLICT
    );

    let moderate = format!("{one}/moderate");
    let hide = json!({"action": "hide", "note": "spam"});
    for (who, status) in [
        (None, StatusCode::UNAUTHORIZED),
        (Some(&w.member), StatusCode::FORBIDDEN),
        (Some(&w.other), StatusCode::FORBIDDEN),
        (Some(&w.shared), StatusCode::FORBIDDEN),
    ] {
        assert_eq!(
            app.call(
                Method::POST,
                &moderate,
                who.map(String::as_str),
                Some(hide.clone())
            )
            .await
            .0,
            status
        );
    }
    let (s, _) = app
        .call(
            Method::POST,
            &moderate,
            Some(&w.owner),
            Some(json!({"action": "shred"})),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, v) = app
        .call(Method::POST, &moderate, Some(&w.owner), Some(hide))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["hidden"], true);

    // Hidden: gone for readers, still there (marked) for admins.
    for who in [None, Some(&w.other), Some(&w.member)] {
        let (_, page) = app.get(&reviews, who.map(String::as_str)).await;
        assert_eq!(page["total"], 0, "{who:?}");
    }
    for who in [&w.owner, &w.admin] {
        let (_, page) = app.get(&reviews, Some(who)).await;
        assert_eq!(
            (page["total"].clone(), page["reviews"][0]["hidden"].clone()),
            (json!(1), json!(true))
        );
        assert_eq!(page["reviews"][0]["reports"], 1);
        assert_eq!(page["can_moderate"], true);
    }
    // No replies to hidden reviews.
    let (s, _) = app
        .call(
            Method::POST,
            &reviews,
            Some(&w.owner),
            Some(json!({"body": "re", "parent_id": rid})),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    let (s, _) = app
        .call(
            Method::POST,
            &moderate,
            Some(&w.admin),
            Some(json!({"action": "unhide"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(app.get(&reviews, None).await.1["total"], 1);
    // Moderators delete other people's reviews.
    assert_eq!(
        app.call(Method::DELETE, &one, Some(&w.member), None)
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.call(Method::DELETE, &one, Some(&w.admin), None).await.0,
        StatusCode::NO_CONTENT
    );

    // The log: report, hide, unhide, delete, newest first.
    let (s, _) = app.get("/api/v1/moderation-log", None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_eq!(
        app.get("/api/v1/moderation-log", Some(&w.member)).await.0,
        StatusCode::FORBIDDEN
    );
    let (_, log) = app.get("/api/v1/moderation-log", Some(&w.owner)).await;
    let actions: Vec<&str> = log["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert_eq!(actions, ["delete", "unhide", "hide", "report"], "{log}");
    assert_eq!(log["entries"][2]["actor"], "olga");
    let (_, rival_log) = app.get("/api/v1/moderation-log", Some(&w.other)).await;
    assert_eq!(
        rival_log["entries"].as_array().map(Vec::len),
        Some(0),
        "another tenant's log is not theirs"
    );
    let (_, all) = app
        .get("/api/v1/moderation-log?limit=2", Some(&w.admin))
        .await;
    assert_eq!(all["entries"].as_array().map(Vec::len), Some(2));
}

#[tokio::test]
async fn community_endpoints_follow_the_artifacts_visibility() {
    let w = world().await;
    let app = &w.app;
    // Seed a review on the private and the shared artifact.
    for id in [&w.private, &w.shared_id] {
        let (s, _) = app
            .call(
                Method::POST,
                &at(id, "/reviews"),
                Some(&w.member),
                Some(json!({"body": "internal"})),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED);
    }
    let reads = ["/rating", "/reviews", "/stats"];
    let cases: Vec<(&str, Option<&String>, &String, StatusCode)> = vec![
        ("anonymous/private", None, &w.private, StatusCode::NOT_FOUND),
        (
            "other/private",
            Some(&w.other),
            &w.private,
            StatusCode::NOT_FOUND,
        ),
        (
            "partner/private",
            Some(&w.shared),
            &w.private,
            StatusCode::NOT_FOUND,
        ),
        (
            "member/private",
            Some(&w.member),
            &w.private,
            StatusCode::OK,
        ),
        ("owner/private", Some(&w.owner), &w.private, StatusCode::OK),
        ("admin/private", Some(&w.admin), &w.private, StatusCode::OK),
        (
            "anonymous/shared",
            None,
            &w.shared_id,
            StatusCode::NOT_FOUND,
        ),
        (
            "other/shared",
            Some(&w.other),
            &w.shared_id,
            StatusCode::NOT_FOUND,
        ),
        (
            "partner/shared",
            Some(&w.shared),
            &w.shared_id,
            StatusCode::OK,
        ),
        ("anonymous/public", None, &w.public, StatusCode::OK),
        ("other/public", Some(&w.other), &w.public, StatusCode::OK),
    ];
    for (name, who, id, want) in &cases {
        for r in reads {
            let (s, v) = app.get(&at(id, r), who.map(String::as_str)).await;
            assert_eq!(s, *want, "{name} GET {r}: {v}");
        }
        // Writing: what one cannot read does not exist.
        if *want == StatusCode::NOT_FOUND {
            for (m, path, body) in [
                (Method::PUT, "/rating", json!({"stars": 1})),
                (Method::POST, "/reviews", json!({"body": "x"})),
            ] {
                let (s, _) = app
                    .call(
                        m.clone(),
                        &at(id, path),
                        who.map(String::as_str),
                        Some(body),
                    )
                    .await;
                assert_eq!(s, StatusCode::NOT_FOUND, "{name} {m} {path}");
            }
        }
    }
    // The partner may review the shared artifact; its replies are the owner's.
    let (s, _) = app
        .call(
            Method::PUT,
            &at(&w.shared_id, "/rating"),
            Some(&w.shared),
            Some(json!({"stars": 5})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    // The private artifact's review never shows up elsewhere.
    let (_, page) = app.get(&at(&w.public, "/reviews"), Some(&w.other)).await;
    assert_eq!(page["total"], 0);
    // A read-only token reads but does not write.
    let reader = app
        .user("rita", "acme", Some(Role::Member), false, "read")
        .await;
    let (s, _) = app
        .call(
            Method::POST,
            &at(&w.public, "/reviews"),
            Some(&reader),
            Some(json!({"body": "x"})),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}

async fn download(
    app: &TestApp,
    uri: &str,
    client: Option<SocketAddr>,
    range: Option<&str>,
) -> StatusCode {
    let mut req = Request::builder().uri(uri).header("user-agent", "test");
    if let Some(r) = range {
        req = req.header("range", r);
    }
    let mut req = req.body(Body::empty()).expect("request");
    if let Some(addr) = client {
        req.extensions_mut().insert(ConnectInfo(addr));
    }
    app.send(req).await.0
}

#[tokio::test]
async fn downloads_are_counted_once_per_client_and_none_is_lost() {
    let w = world().await;
    let app = &w.app;
    let blob = at(&w.public, "/template");
    let addr = |i: u32| SocketAddr::from(([10, 0, (i / 250) as u8, (i % 250) as u8 + 1], 4000));

    // One client, three times within the window: one download. A resumed
    // download (range not from 0) is the same download.
    for _ in 0..3 {
        assert_eq!(
            download(app, &blob, Some(addr(0)), None).await,
            StatusCode::OK
        );
    }
    assert_eq!(
        download(app, &blob, Some(addr(1)), Some("bytes=5-")).await,
        StatusCode::PARTIAL_CONTENT
    );
    let (_, st) = app.get(&at(&w.public, "/stats"), None).await;
    assert_eq!(
        st["downloads_total"], 1,
        "pending counts are included: {st}"
    );

    // Many clients at once: every one counted.
    let n = 200u32;
    let tasks: Vec<_> = (1..=n)
        .map(|i| {
            let router = app.router.clone();
            let blob = blob.clone();
            tokio::spawn(async move {
                use tower::ServiceExt;
                let mut req = Request::builder()
                    .uri(blob)
                    .body(Body::empty())
                    .expect("request");
                req.extensions_mut().insert(ConnectInfo(addr(i + 1000)));
                router.oneshot(req).await.expect("response").status()
            })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.expect("task"), StatusCode::OK);
    }
    // Signed-in users count as themselves, wherever they come from.
    let uri = blob.clone();
    for i in 0..3 {
        let mut req = Request::builder()
            .uri(&uri)
            .header("x-auth-token", &w.other)
            .body(Body::empty())
            .expect("r");
        req.extensions_mut().insert(ConnectInfo(addr(5000 + i)));
        assert_eq!(app.send(req).await.0, StatusCode::OK);
    }
    let written = app
        .catalog
        .counter
        .flush(&app.catalog.db)
        .await
        .expect("flush");
    assert_eq!(written, 1 + u64::from(n) + 1);
    let (_, st) = app.get(&at(&w.public, "/stats"), None).await;
    assert_eq!(st["downloads_total"], 1 + n + 1, "{st}");
    let days = st["days"].as_array().expect("days");
    assert_eq!(days.len(), 90);
    assert_eq!(
        days.last().map(|d| d["downloads"].clone()),
        Some(json!(1 + n + 1))
    );
    let (_, a) = app.get(&at(&w.public, ""), None).await;
    assert_eq!(a["downloads"], 1 + n + 1, "the sort column follows");
    let rows = appcat::entities::daily_count::Entity::find()
        .all(&app.catalog.db)
        .await
        .expect("rows");
    assert_eq!(rows.len(), 1, "one row per artifact and day");

    // Sorting by downloads.
    let other = w.app.active_template(&w.owner, "unloved", "1.0.0").await;
    let (_, l) = app
        .get(
            "/api/v1/artifacts/heat_templates?sort=downloads:desc&name=in:liked,unloved",
            Some(&w.owner),
        )
        .await;
    assert_eq!(l["artifacts"][0]["name"], "liked");
    assert_eq!(l["artifacts"][1]["id"], other);
    let (_, l) = app
        .get(
            "/api/v1/artifacts/heat_templates?downloads=gt:100",
            Some(&w.owner),
        )
        .await;
    assert_eq!(l["total_count"], 1);

    // A flush with nothing pending writes nothing; a deleted artifact's
    // pending counts are dropped, not retried forever.
    assert_eq!(
        app.catalog
            .counter
            .flush(&app.catalog.db)
            .await
            .expect("flush"),
        0
    );
    let draft = app
        .create("heat_templates", &w.owner, json!({"name": "gone"}))
        .await;
    app.put_blob(
        &at(&draft, "/template"),
        Some(&w.owner),
        "application/x-yaml",
        b"a: 1\n".to_vec(),
    )
    .await;
    assert_eq!(
        download(app, &at(&draft, "/template"), None, None).await,
        StatusCode::NOT_FOUND
    );
    let (s, _) = app.get(&at(&draft, "/template"), Some(&w.owner)).await;
    assert_eq!(s, StatusCode::OK);
    app.call(Method::DELETE, &at(&draft, ""), Some(&w.owner), None)
        .await;
    assert_eq!(
        app.catalog
            .counter
            .flush(&app.catalog.db)
            .await
            .expect("flush"),
        0
    );
}

#[tokio::test]
async fn detail_pages_count_views_and_show_the_community() {
    let w = world().await;
    let app = &w.app;
    app.call(
        Method::PUT,
        &at(&w.public, "/rating"),
        Some(&w.other),
        Some(json!({"stars": 4})),
    )
    .await;
    app.call(
        Method::POST,
        &at(&w.public, "/reviews"),
        Some(&w.other),
        Some(json!({"body": "Nice *template*"})),
    )
    .await;
    for i in 0..3u8 {
        let mut req = Request::builder()
            .uri("/apps/heat_templates/liked")
            .body(Body::empty())
            .expect("r");
        req.extensions_mut()
            .insert(ConnectInfo(SocketAddr::from(([10, 1, 1, i % 2], 1))));
        let (s, _, body) = app.send(req).await;
        assert_eq!(s, StatusCode::OK);
        let html = String::from_utf8_lossy(&body);
        assert!(html.contains("4.0 ★ (1 rating)"), "{html}");
        assert!(html.contains("<em>template</em>"));
        assert!(html.contains("<svg"), "the chart is drawn on the server");
    }
    let (_, st) = app.get(&at(&w.public, "/stats"), None).await;
    assert_eq!(st["views_total"], 2, "two clients, three views: {st}");
    // An unrated artifact says so.
    let (_, _, body) = app
        .send(
            Request::builder()
                .uri("/apps/heat_templates")
                .body(Body::empty())
                .expect("r"),
        )
        .await;
    assert!(String::from_utf8_lossy(&body).contains("4.0 ★"));
    let (_, v) = app.get(&at(&w.public, ""), None).await;
    assert_eq!(v["rating_count"], 1);
    let _ = &w.admin;
}
