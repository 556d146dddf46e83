//! Snapshots of the JSON the REST API answers today, over one small fixed
//! catalog: list pages and their filters (for three kinds of callers), one
//! artifact, a type's schema, error bodies, members and shares, dependency
//! graphs and stats. A refactor that changes any answer shows here.
//!
//! Ids and user ids are replaced by stable names (`<images/cirros@0.4.0>`,
//! `<user:alice>`) wherever they stand, links, blob URLs and markers
//! included, and timestamps by `[timestamp]`: see [`Fixture::norm`]. List
//! pages show each artifact as its name only, but for `list_unfiltered`,
//! which shows them whole; that every listed artifact equals what `GET` of
//! it answers (whole in `show_one`) is asserted instead. Artifacts are
//! created one after the other, so the default order (newest first) never
//! ties.

use appcat::caller::Role;
use appcat::services::accounts;
use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::TestApp;
use crate::filters::enc;

const SCOPES: &str = "read,write,publish";
const NO_SUCH_ID: &str = "00000000-0000-0000-0000-000000000000";

/// The catalog every test starts from, and what the snapshots need to
/// know about it.
struct Fixture {
    app: TestApp,
    /// Tokens by user name: alice (admin of acme), bob (admin of beta),
    /// root (catalog admin).
    tokens: Vec<(&'static str, String)>,
    /// Raw id and stable name of every artifact and user.
    names: Vec<(String, String)>,
    /// What `POST .../members` answered when `env` was offered to beta.
    offer: Value,
}

impl Fixture {
    fn token(&self, who: &str) -> Option<&str> {
        self.tokens
            .iter()
            .find(|(name, _)| *name == who)
            .map(|(_, t)| t.as_str())
    }

    /// The raw id of the artifact named `type/name@version`.
    fn id(&self, name: &str) -> String {
        let wanted = format!("<{name}>");
        self.names
            .iter()
            .find(|(_, n)| *n == wanted)
            .map(|(id, _)| id.clone())
            .unwrap_or_else(|| panic!("no artifact {name}"))
    }

    /// Creates an artifact as `who` and names it.
    async fn add(&mut self, who: &str, type_name: &str, body: Value) -> String {
        let token = self.token(who).expect("token").to_owned();
        let id = self.app.create(type_name, &token, body).await;
        self.remember(type_name, &id).await
    }

    /// Names an artifact `<type/name@version>`, as the admin reads it.
    async fn remember(&mut self, type_name: &str, id: &str) -> String {
        let (s, v) = self
            .app
            .get(
                &format!("/api/v1/artifacts/{type_name}/{id}"),
                self.token("root"),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let name = format!(
            "<{type_name}/{}@{}>",
            v["name"].as_str().expect("name"),
            v["version"].as_str().expect("version")
        );
        self.names.push((id.to_owned(), name));
        id.to_owned()
    }

    /// `v` with every known id replaced by its name (in keys too) and
    /// every timestamp by `[timestamp]`; panics on an id it does not know.
    fn norm(&self, v: &Value) -> Value {
        match v {
            Value::String(s) => Value::String(self.norm_str(s)),
            Value::Array(items) => Value::Array(items.iter().map(|x| self.norm(x)).collect()),
            Value::Object(o) => Value::Object(
                o.iter()
                    .map(|(k, x)| (self.norm_str(k), self.norm(x)))
                    .collect(),
            ),
            other => other.clone(),
        }
    }

    fn norm_str(&self, s: &str) -> String {
        if chrono::DateTime::parse_from_rfc3339(s).is_ok() {
            return "[timestamp]".to_owned();
        }
        let out = self
            .names
            .iter()
            .fold(s.to_owned(), |out, (id, name)| out.replace(id, name));
        let unknown = out
            .split(|c: char| !(c.is_ascii_hexdigit() || c == '-'))
            .any(|w| w.len() == 36 && uuid::Uuid::parse_str(w).is_ok());
        assert!(!unknown, "an id the test does not know: {out}");
        out
    }

    /// One request as a snapshot shows it: what was asked, by whom, and
    /// the answer.
    async fn step(&self, who: &str, method: Method, uri: &str, body: Option<Value>) -> Value {
        let (s, v) = self
            .app
            .call(
                method.clone(),
                &format!("/api/v1{}", enc(uri)),
                self.token(who),
                body.clone(),
            )
            .await;
        let mut request = format!("{method} {uri} as {who}");
        if let Some(body) = body {
            request.push_str(&format!(" with {body}"));
        }
        self.norm(&json!({"request": request, "status": s.as_u16(), "body": v}))
    }

    /// A list page (`uri` as sent), raw, after checking that every artifact on it is what
    /// `GET` of it answers to the same caller.
    async fn page(&self, who: &str, uri: &str) -> Value {
        let (s, v) = self
            .app
            .get(&format!("/api/v1{uri}"), self.token(who))
            .await;
        assert_eq!(s, StatusCode::OK, "{uri}: {v}");
        for a in v["artifacts"].as_array().expect("artifacts") {
            let (s, shown) = self
                .app
                .get(
                    &format!(
                        "/api/v1/artifacts/{}/{}",
                        a["type_name"].as_str().expect("type_name"),
                        a["id"].as_str().expect("id")
                    ),
                    self.token(who),
                )
                .await;
            assert_eq!(s, StatusCode::OK, "{shown}");
            assert_eq!(&shown, a, "{uri}: the list shows the artifact as GET does");
        }
        v
    }

    /// A list page normalised, each artifact by its name only.
    fn brief(&self, page: &Value) -> Value {
        let mut v = self.norm(page);
        let names: Vec<Value> = v["artifacts"]
            .as_array()
            .expect("artifacts")
            .iter()
            .map(|a| a["id"].clone())
            .collect();
        v["artifacts"] = Value::Array(names);
        v
    }
}

/// Two tenants, acme and beta. acme has four images (one with a blob,
/// active and public; one with a dict field and a link; one a
/// pre-release), a heat environment offered to beta (shared) and a heat
/// template; beta has an image and a template that depends on others.
async fn fixture() -> Fixture {
    let app = TestApp::new().await;
    let mut tokens = Vec::new();
    for (name, tenant, role, admin) in [
        ("alice", "acme", Some(Role::Admin), false),
        ("bob", "beta", Some(Role::Admin), false),
        ("root", "ops", None, true),
    ] {
        tokens.push((name, app.user(name, tenant, role, admin, SCOPES).await));
    }
    let mut names = vec![(NO_SUCH_ID.to_owned(), "<no-such-id>".to_owned())];
    for (name, _) in &tokens {
        let user = accounts::find_user(&app.catalog.db, name)
            .await
            .expect("user");
        names.push((user.id, format!("<user:{name}>")));
    }
    let mut c = Fixture {
        app,
        tokens,
        names,
        offer: Value::Null,
    };
    let alice = c.token("alice").expect("alice").to_owned();

    let kernel = c
        .add(
            "alice",
            "images",
            json!({"name": "kernel", "version": "1.0", "tags": ["boot"],
                   "disk_format": "aki", "container_format": "aki"}),
        )
        .await;
    let cirros = c
        .app
        .active_from(
            &alice,
            ("images", "image"),
            ("application/octet-stream", b"cirros disk image\n"),
            json!({"name": "cirros", "version": "0.4.0", "description": "A **tiny** image",
                   "tags": ["tiny", "test"], "disk_format": "qcow2", "container_format": "bare",
                   "min_ram": 64, "metadata": {"os": "cirros"}}),
        )
        .await;
    c.remember("images", &cirros).await;
    let (s, v) = c
        .app
        .patch(
            &format!("/api/v1/artifacts/images/{cirros}"),
            c.token("root"),
            json!([{"op": "replace", "path": "/visibility", "value": "public"}]),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    c.add(
        "alice",
        "images",
        json!({"name": "cirros", "version": "0.5.0", "tags": ["tiny"], "min_ram": 128,
               "metadata": {"os": "cirros", "arch": "x86_64"},
               "kernel_id": format!("/artifacts/images/{kernel}")}),
    )
    .await;
    c.add(
        "alice",
        "images",
        json!({"name": "ubuntu", "version": "2.0.0-beta.1", "tags": ["test"],
               "license": "Apache-2.0"}),
    )
    .await;
    let env = c
        .app
        .active_from(
            &alice,
            ("heat_environments", "environment"),
            ("application/x-yaml", b"parameters: {}\n"),
            json!({"name": "env", "version": "1.0.0", "description": "Parameters"}),
        )
        .await;
    c.remember("heat_environments", &env).await;
    let (s, offer) = c
        .app
        .call(
            Method::POST,
            &format!("/api/v1/artifacts/heat_environments/{env}/members"),
            Some(&alice),
            Some(json!({"tenant": "beta"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{offer}");
    c.offer = offer;
    let stack = c
        .app
        .active_from(
            &alice,
            ("heat_templates", "template"),
            ("application/x-yaml", b"heat_template_version: 2016-10-14\n"),
            json!({"name": "stack", "version": "1.0.0", "tags": ["web"],
                   "template_version": "2016-10-14", "default_envs": {"prod": "env"},
                   "environments": {"prod": {"name": "env", "version": "^1"}}}),
        )
        .await;
    c.remember("heat_templates", &stack).await;

    let beta_image = c
        .add(
            "bob",
            "images",
            json!({"name": "beta-image", "version": "1.0.0", "tags": ["test"], "min_ram": 256}),
        )
        .await;
    c.add(
        "bob",
        "heat_templates",
        json!({"name": "beta-stack", "version": "1.0.0",
        "environments": {"main": {"name": "env"}},
        "depends": [
            {"name": "cirros", "version": "^0.4", "type": "images"},
            format!("/artifacts/images/{beta_image}"),
            {"name": "nothing"},
            "https://example.org/lib.yaml"
        ]}),
    )
    .await;
    c
}

#[tokio::test]
async fn list_pages() {
    let c = fixture().await;
    let v = c.page("alice", "/artifacts/images").await;
    insta::assert_json_snapshot!("list_unfiltered", c.norm(&v));
    for (name, uri) in [
        ("list_name", "/artifacts/images?name=cirros"),
        ("list_version_gte", "/artifacts/images?version=gte:0.5"),
        ("list_version_latest", "/artifacts/images?version=latest"),
        ("list_tags", "/artifacts/images?tags=tiny,test"),
        ("list_q", "/artifacts/images?q=tiny"),
        ("list_sort_name_asc", "/artifacts/images?sort=name:asc"),
        ("list_all", "/artifacts/all"),
    ] {
        let v = c.page("alice", &enc(uri)).await;
        insta::assert_json_snapshot!(name, c.brief(&v));
    }
    // Pages of two, following `next` to the end.
    let mut pages = Vec::new();
    let mut next = Some("/artifacts/images?limit=2".to_owned());
    while let Some(uri) = next {
        assert!(pages.len() < 4, "{pages:?}");
        let v = c.page("alice", &uri).await;
        next = v["next"].as_str().map(str::to_owned);
        pages.push(c.brief(&v));
    }
    insta::assert_json_snapshot!("list_limit_2_pages", pages);
}

#[tokio::test]
async fn list_pages_by_caller() {
    let c = fixture().await;
    for (name, who, uri) in [
        ("list_anonymous", "anonymous", "/artifacts/images"),
        ("list_all_anonymous", "anonymous", "/artifacts/all"),
        ("list_other_tenant", "bob", "/artifacts/images"),
        ("list_all_other_tenant", "bob", "/artifacts/all"),
    ] {
        let v = c.page(who, &enc(uri)).await;
        insta::assert_json_snapshot!(name, c.brief(&v));
    }
}

#[tokio::test]
async fn show_one() {
    let c = fixture().await;
    let mut shown = Vec::new();
    for name in ["heat_templates/stack@1.0.0", "heat_environments/env@1.0.0"] {
        let (type_name, _) = name.split_once('/').expect("type");
        let uri = format!("/artifacts/{type_name}/{}", c.id(name));
        shown.push(c.step("alice", Method::GET, &uri, None).await);
    }
    insta::assert_json_snapshot!("show_one", shown);
}

#[tokio::test]
async fn schema_of_a_type() {
    let c = fixture().await;
    let v = c
        .step("anonymous", Method::GET, "/schemas/heat_environments", None)
        .await;
    insta::assert_json_snapshot!("schema_heat_environments", v);
}

#[tokio::test]
async fn error_bodies() {
    let c = fixture().await;
    let mut answers = Vec::new();
    for uri in [
        "/artifacts/images?min_ram=between:1",
        "/artifacts/images?version=between:1",
        "/artifacts/images?name=gt:x",
        "/artifacts/images?version=spec:>>1",
        "/artifacts/images?version=gt:abc",
        "/artifacts/nope",
        "/artifacts/images?limit=0",
        "/artifacts/images?limit=ten",
        "/artifacts/images?bogus=1",
        "/artifacts/images?sort=name:sideways",
        format!("/artifacts/images?marker={NO_SUCH_ID}").as_str(),
        format!("/artifacts/images/{NO_SUCH_ID}").as_str(),
    ] {
        answers.push(c.step("alice", Method::GET, uri, None).await);
    }
    insta::assert_json_snapshot!("error_bodies", answers);
}

#[tokio::test]
async fn members_and_shares() {
    let c = fixture().await;
    let env = c.id("heat_environments/env@1.0.0");
    let members = format!("/artifacts/heat_environments/{env}/members");
    let mut steps = vec![c.norm(&json!({
        "request": format!("POST {members} as alice with {{\"tenant\":\"beta\"}}"),
        "status": 201,
        "body": c.offer,
    }))];
    steps.push(c.step("alice", Method::GET, &members, None).await);
    steps.push(c.step("bob", Method::GET, "/shares", None).await);
    steps.push(
        c.step(
            "bob",
            Method::PUT,
            &format!("{members}/beta"),
            Some(json!({"status": "accepted"})),
        )
        .await,
    );
    steps.push(c.step("alice", Method::GET, &members, None).await);
    steps.push(
        c.step("bob", Method::GET, "/shares?status=accepted", None)
            .await,
    );
    steps.push(
        c.step("bob", Method::GET, "/shares?status=pending", None)
            .await,
    );
    insta::assert_json_snapshot!("members_and_shares", steps);
}

#[tokio::test]
async fn dependencies() {
    let c = fixture().await;
    let beta_stack = format!(
        "/artifacts/heat_templates/{}",
        c.id("heat_templates/beta-stack@1.0.0")
    );
    let cirros = format!("/artifacts/images/{}", c.id("images/cirros@0.4.0"));
    let env = c.id("heat_environments/env@1.0.0");
    let graph = format!("{beta_stack}/dependencies");
    // Before beta accepts the share, its link to `env` is missing; the
    // snapshot keeps only that edge and the count (the rest is as after).
    let mut pending = c.step("bob", Method::GET, &graph, None).await;
    let body = &pending["body"];
    let edges: Vec<Value> = body["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .filter(|e| e["field"] == "environments")
        .cloned()
        .collect();
    pending["body"] = json!({"edges": edges, "unresolved": body["unresolved"]});
    pending["request"] = json!(format!(
        "{} (the environments edge only)",
        pending["request"].as_str().expect("request")
    ));
    let mut steps = vec![pending];
    let (s, v) = c
        .app
        .call(
            Method::PUT,
            &format!("/api/v1/artifacts/heat_environments/{env}/members/beta"),
            c.token("bob"),
            Some(json!({"status": "accepted"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    steps.push(c.step("bob", Method::GET, &graph, None).await);
    let stack = c.id("heat_templates/stack@1.0.0");
    steps.push(
        c.step(
            "alice",
            Method::GET,
            &format!("/artifacts/heat_templates/{stack}/dependencies"),
            None,
        )
        .await,
    );
    for who in ["bob", "alice"] {
        steps.push(
            c.step(who, Method::GET, &format!("{cirros}/dependents"), None)
                .await,
        );
    }
    insta::assert_json_snapshot!("dependencies", steps);
}

#[tokio::test]
async fn stats() {
    let c = fixture().await;
    let cirros = format!("/artifacts/images/{}", c.id("images/cirros@0.4.0"));
    // Three clients download; alice twice, which counts once.
    for who in ["alice", "bob", "anonymous", "alice"] {
        let mut req = axum::http::Request::builder().uri(format!("/api/v1{cirros}/image"));
        if let Some(token) = c.token(who) {
            req = req.header("x-auth-token", token);
        }
        let req = req.body(axum::body::Body::empty()).expect("request");
        let (s, _, body) = c.app.send(req).await;
        assert_eq!(s, StatusCode::OK, "{who}");
        assert_eq!(&body[..], b"cirros disk image\n");
    }
    let uri = format!("{cirros}/stats");
    let pending = c.step("anonymous", Method::GET, &uri, None).await;
    c.app
        .catalog
        .counter
        .flush(&c.app.catalog.db)
        .await
        .expect("flush");
    let mut written = c.step("anonymous", Method::GET, &uri, None).await;
    assert_eq!(pending, written, "pending counts are counted");
    // The 90 days, oldest first, every one present; the snapshot keeps the
    // first, the last and those with counts, named by how long ago they are.
    let days = written["body"]["days"].as_array().expect("days").clone();
    assert_eq!(days.len(), 90);
    let today = chrono::Utc::now().date_naive();
    let kept: Vec<Value> = days
        .iter()
        .enumerate()
        .filter(|(i, d)| *i == 0 || *i == days.len() - 1 || d["downloads"] != 0 || d["views"] != 0)
        .map(|(i, d)| {
            let ago = days.len() - 1 - i;
            let date = today - chrono::Duration::days(i64::try_from(ago).expect("days"));
            assert_eq!(d["day"], date.format("%Y-%m-%d").to_string(), "{d}");
            let mut d = d.clone();
            d["day"] = json!(if ago == 0 {
                "[today]".to_owned()
            } else {
                format!("[today-{ago}]")
            });
            d
        })
        .collect();
    written["body"]["days"] = Value::Array(kept);
    let (_, shown) = c.app.get(&format!("/api/v1{cirros}"), None).await;
    insta::assert_json_snapshot!(
        "stats",
        json!({"stats": written, "downloads_field": shown["downloads"]})
    );
}
