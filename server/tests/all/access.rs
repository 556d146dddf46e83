//! The access matrix: every endpoint, for anonymous, a stranger tenant, a
//! tenant the artifact is shared with, a member and an admin of the owner
//! tenant, and a catalog admin, against private, shared and public
//! artifacts. Expected statuses are written out by hand.

use appcat::caller::Role;
use axum::http::{Method, StatusCode};
use serde_json::json;

use crate::builders::{Art, Built, TestCatalog};
use crate::common::unique;

const ACTORS: [&str; 6] = [
    "anonymous",
    "stranger",
    "other",
    "member",
    "tadmin",
    "admin",
];
const VIS: [&str; 3] = ["private", "shared", "public"];

struct World {
    app: Built,
    tokens: Vec<Option<String>>,
    owner: String,
    admin: String,
}

async fn world() -> World {
    let app = TestCatalog::new()
        .user("sam", "stranger", Role::Admin)
        .user("olga", "other", Role::Admin)
        .user("mia", "acme", Role::Member)
        .user("alice", "acme", Role::Admin)
        .admin("root")
        .build()
        .await;
    let token = |name: &str| app.token(name).to_owned();
    World {
        tokens: vec![
            None,
            Some(token("sam")),
            Some(token("olga")),
            Some(token("mia")),
            Some(token("alice")),
            Some(token("root")),
        ],
        owner: token("alice"),
        admin: token("root"),
        app,
    }
}

impl World {
    /// An active heat template of acme with the given visibility.
    async fn fixture(&self, visibility: &str) -> String {
        let art = Art::template(&unique("tpl"), "1.0.0");
        let art = match visibility {
            "shared" => art.shared_with("other"),
            "public" => art.public(),
            _ => art,
        };
        self.app.add("alice", &art).await
    }

    /// Runs `check` for every actor and visibility and compares with the
    /// expected table (rows: actors, columns: private, shared, public).
    async fn matrix<F, Fut>(&self, what: &str, expected: [[u16; 3]; 6], check: F)
    where
        F: Fn(&'static str, Option<String>, String) -> Fut,
        Fut: std::future::Future<Output = u16>,
    {
        let mut failures = Vec::new();
        for (a, actor) in ACTORS.iter().enumerate() {
            for (v, vis) in VIS.iter().enumerate() {
                let id = self.fixture(vis).await;
                let got = check(vis, self.tokens[a].clone(), id).await;
                if got != expected[a][v] {
                    failures.push(format!(
                        "{what}: {actor} on {vis}: expected {}, got {got}",
                        expected[a][v]
                    ));
                }
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }
}

#[tokio::test]
async fn read_endpoints() {
    let w = world().await;
    let app = &w.app;
    let read = [
        [404, 404, 200],
        [404, 404, 200],
        [404, 200, 200],
        [200, 200, 200],
        [200, 200, 200],
        [200, 200, 200],
    ];
    w.matrix("show", read, |_, token, id| async move {
        app.get(
            &format!("/api/v1/artifacts/heat_templates/{id}"),
            token.as_deref(),
        )
        .await
        .0
        .as_u16()
    })
    .await;
    w.matrix("show via all", read, |_, token, id| async move {
        app.get(&format!("/api/v1/artifacts/all/{id}"), token.as_deref())
            .await
            .0
            .as_u16()
    })
    .await;
    w.matrix("download", read, |_, token, id| async move {
        app.get(
            &format!("/api/v1/artifacts/heat_templates/{id}/template"),
            token.as_deref(),
        )
        .await
        .0
        .as_u16()
    })
    .await;
    // Listed (200) or not (404), by id filter.
    w.matrix("list", read, |_, token, id| async move {
        let (s, v) = app
            .get(
                &format!("/api/v1/artifacts/heat_templates?id={id}"),
                token.as_deref(),
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        if v["artifacts"].as_array().is_some_and(|a| a.len() == 1) {
            200
        } else {
            404
        }
    })
    .await;
    w.matrix(
        "members list",
        [
            [404, 404, 403],
            [404, 404, 403],
            [404, 403, 403],
            [200, 200, 200],
            [200, 200, 200],
            [200, 200, 200],
        ],
        |_, token, id| async move {
            app.get(
                &format!("/api/v1/artifacts/heat_templates/{id}/members"),
                token.as_deref(),
            )
            .await
            .0
            .as_u16()
        },
    )
    .await;
}

#[tokio::test]
async fn write_endpoints() {
    let w = world().await;
    let app = &w.app;
    w.matrix(
        "patch description",
        [
            [404, 404, 401],
            [404, 404, 403],
            [404, 403, 403],
            [200, 200, 403],
            [200, 200, 403],
            [200, 200, 200],
        ],
        |_, token, id| async move {
            app.patch(
                &format!("/api/v1/artifacts/heat_templates/{id}"),
                token.as_deref(),
                json!([{"op": "replace", "path": "/description", "value": "changed"}]),
            )
            .await
            .0
            .as_u16()
        },
    )
    .await;
    w.matrix(
        "delete",
        [
            [404, 404, 401],
            [404, 404, 403],
            [404, 403, 403],
            [403, 403, 403],
            [204, 204, 403],
            [204, 204, 204],
        ],
        |_, token, id| async move {
            app.call(
                Method::DELETE,
                &format!("/api/v1/artifacts/heat_templates/{id}"),
                token.as_deref(),
                None,
            )
            .await
            .0
            .as_u16()
        },
    )
    .await;
    w.matrix(
        "add member",
        [
            [404, 404, 401],
            [404, 404, 403],
            [404, 403, 403],
            [403, 403, 403],
            [201, 201, 403],
            [201, 201, 201],
        ],
        |_, token, id| async move {
            app.call(
                Method::POST,
                &format!("/api/v1/artifacts/heat_templates/{id}/members"),
                token.as_deref(),
                Some(json!({"tenant": "stranger"})),
            )
            .await
            .0
            .as_u16()
        },
    )
    .await;
    w.matrix(
        "publish",
        [
            [404, 404, 401],
            [404, 404, 403],
            [404, 403, 403],
            [403, 403, 403],
            [403, 403, 403],
            [200, 200, 200],
        ],
        |_, token, id| async move {
            // On a public artifact this changes nothing, and is still refused
            // to whoever may not change it.
            app.patch(
                &format!("/api/v1/artifacts/heat_templates/{id}"),
                token.as_deref(),
                json!([{"op": "replace", "path": "/visibility", "value": "public"}]),
            )
            .await
            .0
            .as_u16()
        },
    )
    .await;
    w.matrix(
        "deactivate",
        [
            [404, 404, 401],
            [404, 404, 403],
            [404, 403, 403],
            [403, 403, 403],
            [403, 403, 403],
            [200, 200, 200],
        ],
        |_, token, id| async move {
            app.patch(
                &format!("/api/v1/artifacts/heat_templates/{id}"),
                token.as_deref(),
                json!([{"op": "replace", "path": "/status", "value": "deactivated"}]),
            )
            .await
            .0
            .as_u16()
        },
    )
    .await;
    // Active artifacts' blobs are frozen, for everyone who may see them.
    w.matrix(
        "upload to active",
        [
            [404, 404, 401],
            [404, 404, 403],
            [404, 403, 403],
            [403, 403, 403],
            [403, 403, 403],
            [403, 403, 403],
        ],
        |_, token, id| async move {
            app.put_blob(
                &format!("/api/v1/artifacts/heat_templates/{id}/template"),
                token.as_deref(),
                "text/plain",
                b"x".to_vec(),
            )
            .await
            .0
            .as_u16()
        },
    )
    .await;
}

#[tokio::test]
async fn drafts_and_creation() {
    let w = world().await;
    let app = &w.app;
    // Creation: anonymous needs a token; everyone else creates in their tenant.
    for (i, actor) in ACTORS.iter().enumerate() {
        let (s, v) = app
            .call(
                Method::POST,
                "/api/v1/artifacts/heat_templates",
                w.tokens[i].as_deref(),
                Some(json!({"name": unique("new")})),
            )
            .await;
        let expected = if i == 0 {
            StatusCode::UNAUTHORIZED
        } else {
            StatusCode::CREATED
        };
        assert_eq!(s, expected, "{actor}: {v}");
    }
    // A read-only token cannot create or change.
    let reader = app
        .user("rita", "acme", Some(Role::Member), false, "read")
        .await;
    let (s, _) = app
        .call(
            Method::POST,
            "/api/v1/artifacts/heat_templates",
            Some(&reader),
            Some(json!({"name": "x"})),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // A write token without `publish` cannot activate.
    let writer = app
        .user("walt", "acme", Some(Role::Member), false, "write")
        .await;
    let id = app
        .create("heat_templates", &writer, json!({"name": unique("w")}))
        .await;
    let uri = format!("/api/v1/artifacts/heat_templates/{id}");
    let (s, _) = app
        .put_blob(
            &format!("{uri}/template"),
            Some(&writer),
            "text/plain",
            b"x".to_vec(),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = app
        .patch(
            &uri,
            Some(&writer),
            json!([{"op": "replace", "path": "/status", "value": "active"}]),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // Drafts: upload and delete by actor.
    let expected = [404, 404, 404, 200, 200, 200];
    for (i, actor) in ACTORS.iter().enumerate() {
        let id = app
            .create("heat_templates", &w.owner, json!({"name": unique("d")}))
            .await;
        let (s, _) = app
            .put_blob(
                &format!("/api/v1/artifacts/heat_templates/{id}/template"),
                w.tokens[i].as_deref(),
                "text/plain",
                b"x".to_vec(),
            )
            .await;
        assert_eq!(s.as_u16(), expected[i], "upload to draft by {actor}");
        let (s, _) = app
            .call(
                Method::DELETE,
                &format!("/api/v1/artifacts/heat_templates/{id}"),
                w.tokens[i].as_deref(),
                None,
            )
            .await;
        let expected_delete = [404, 404, 404, 204, 204, 204];
        assert_eq!(s.as_u16(), expected_delete[i], "delete draft by {actor}");
    }
    // Invalid and expired tokens are 401, not anonymous.
    let (s, v) = app
        .get("/api/v1/artifacts/heat_templates", Some("appcat_nope"))
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "{v}");
    let (s, _, _) = app
        .send(
            axum::http::Request::builder()
                .uri("/api/v1/artifacts/heat_templates")
                .header("authorization", format!("Bearer {}", w.owner))
                .body(axum::body::Body::empty())
                .expect("request"),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
}

#[tokio::test]
async fn listing_respects_visibility() {
    let w = world().await;
    let app = &w.app;
    let private = w.fixture("private").await;
    let shared = w.fixture("shared").await;
    let public = w.fixture("public").await;
    let draft = app
        .create("heat_templates", &w.owner, json!({"name": unique("draft")}))
        .await;
    let ids = |v: &serde_json::Value| -> Vec<String> {
        v["artifacts"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|x| x["id"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    let expect = [
        (0, vec![&public]),
        (1, vec![&public]),
        (2, vec![&shared, &public]),
        (3, vec![&private, &shared, &public, &draft]),
        (5, vec![&private, &shared, &public, &draft]),
    ];
    for (actor, wanted) in expect {
        let (s, v) = app
            .get(
                "/api/v1/artifacts/heat_templates?limit=100",
                w.tokens[actor].as_deref(),
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        let got = ids(&v);
        let mut want: Vec<String> = wanted.into_iter().cloned().collect();
        want.sort();
        let mut got_sorted = got.clone();
        got_sorted.sort();
        assert_eq!(got_sorted, want, "actor {}", ACTORS[actor]);
        assert_eq!(v["total_count"], want.len(), "actor {}", ACTORS[actor]);
    }
    // Deactivated artifacts disappear for everyone but the owner and admins.
    let uri = format!("/api/v1/artifacts/heat_templates/{public}");
    let (s, _) = app
        .patch(
            &uri,
            Some(&w.admin),
            json!([{"op": "replace", "path": "/status", "value": "deactivated"}]),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(app.get(&uri, None).await.0, StatusCode::NOT_FOUND);
    assert_eq!(
        app.get(&uri, w.tokens[3].as_deref()).await.0,
        StatusCode::OK
    );
    // ... and only admins download them.
    assert_eq!(
        app.get(&format!("{uri}/template"), w.tokens[3].as_deref())
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.get(&format!("{uri}/template"), Some(&w.admin)).await.0,
        StatusCode::OK
    );
}
