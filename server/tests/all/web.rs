//! The website's accounts, sessions, CSRF protection and forms, driven as a
//! browser without JavaScript would: GET a page, read its CSRF token, POST
//! the form, follow the redirect. Also the listing-request API and its
//! access matrix.

use appcat::caller::Role;
use appcat::services::{Limits, accounts};
use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::builders::TestCatalog;
use crate::common::{TestApp, error_message};

/// A cookie jar with the one session cookie, against one router.
pub struct Browser {
    router: Router,
    pub cookie: Option<String>,
}

fn form_body(pairs: &[(&str, &str)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

/// The CSRF token of the first form on the page.
pub fn csrf_of(html: &str) -> String {
    let marker = "name=\"csrf\" value=\"";
    let at = html.find(marker).expect("a form with a CSRF token") + marker.len();
    html[at..].split('"').next().unwrap_or_default().to_owned()
}

impl Browser {
    pub fn new(router: Router) -> Browser {
        Browser {
            router,
            cookie: None,
        }
    }

    pub async fn send(&mut self, req: Request<Body>) -> (StatusCode, HeaderMap, String) {
        let res = self.router.clone().oneshot(req).await.expect("infallible");
        let (status, headers) = (res.status(), res.headers().clone());
        for c in headers.get_all(header::SET_COOKIE) {
            let c = c.to_str().expect("cookie");
            let pair = c.split(';').next().unwrap_or_default().to_owned();
            if c.contains("Max-Age=0") {
                self.cookie = None;
            } else {
                self.cookie = Some(pair);
            }
        }
        let body = res.into_body().collect().await.expect("body").to_bytes();
        (status, headers, String::from_utf8_lossy(&body).into_owned())
    }

    pub fn request(&self, method: Method, uri: &str) -> axum::http::request::Builder {
        let mut b = Request::builder().method(method).uri(uri);
        if let Some(c) = &self.cookie {
            b = b.header(header::COOKIE, c);
        }
        b
    }

    pub async fn get(&mut self, uri: &str) -> (StatusCode, String) {
        let req = self
            .request(Method::GET, uri)
            .body(Body::empty())
            .expect("request");
        let (s, _, body) = self.send(req).await;
        (s, body)
    }

    /// Posts a form; returns the status and the redirect target.
    pub async fn post(&mut self, uri: &str, pairs: &[(&str, &str)]) -> (StatusCode, String) {
        let req = self
            .request(Method::POST, uri)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(form_body(pairs)))
            .expect("request");
        let (s, headers, body) = self.send(req).await;
        let location = headers
            .get(header::LOCATION)
            .and_then(|l| l.to_str().ok())
            .map(str::to_owned)
            .unwrap_or(body);
        (s, location)
    }

    /// Loads `page` for its token, then posts `pairs` plus the token to
    /// `action`.
    pub async fn submit(
        &mut self,
        page: &str,
        action: &str,
        pairs: &[(&str, &str)],
    ) -> (StatusCode, String) {
        let (s, html) = self.get(page).await;
        assert_eq!(s, StatusCode::OK, "{page}: {html}");
        let token = csrf_of(&html);
        let mut all: Vec<(&str, &str)> = vec![("csrf", token.as_str())];
        all.extend_from_slice(pairs);
        self.post(action, &all).await
    }

    pub async fn register(&mut self, name: &str) {
        let (s, to) = self
            .submit(
                "/register",
                "/register",
                &[
                    ("username", name),
                    ("display_name", ""),
                    ("email", ""),
                    ("password", "correct horse battery"),
                    ("password2", "correct horse battery"),
                ],
            )
            .await;
        assert_eq!((s, to.as_str()), (StatusCode::SEE_OTHER, "/space"));
    }

    pub async fn login(&mut self, name: &str, password: &str) -> (StatusCode, String) {
        self.submit(
            "/login",
            "/login",
            &[
                ("username", name),
                ("password", password),
                ("next", "/space"),
            ],
        )
        .await
    }

    /// The API with the session cookie (and the CSRF header when given).
    pub async fn api(
        &mut self,
        method: Method,
        uri: &str,
        csrf: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut b = self.request(method, uri);
        if let Some(t) = csrf {
            b = b.header("x-csrf-token", t);
        }
        let body = match body {
            Some(v) => {
                b = b.header(header::CONTENT_TYPE, "application/json");
                Body::from(v.to_string())
            }
            None => Body::empty(),
        };
        let (s, _, text) = self.send(b.body(body).expect("request")).await;
        (s, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// A multipart upload as the upload form without JavaScript sends it.
    pub async fn upload(
        &mut self,
        action: &str,
        csrf: &str,
        file_name: &str,
        data: &[u8],
    ) -> (StatusCode, String) {
        let boundary = "xXappcatBoundaryXx";
        let mut body = Vec::new();
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: application/x-yaml\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(data);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let req = self
            .request(Method::POST, action)
            .header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(Body::from(body))
            .expect("request");
        let (s, headers, body) = self.send(req).await;
        let location = headers
            .get(header::LOCATION)
            .and_then(|l| l.to_str().ok())
            .map(str::to_owned)
            .unwrap_or(body);
        (s, location)
    }
}

pub fn id_from(location: &str) -> String {
    location
        .rsplit('/')
        .next()
        .expect("an id at the end")
        .to_owned()
}

pub const TEMPLATE: &[u8] = b"heat_template_version: 2018-08-31\nresources: {}\n";

#[tokio::test]
async fn register_sign_out_and_sign_in_again() {
    let app = TestApp::new().await;
    let mut b = Browser::new(app.router.clone());
    let (s, _) = b.get("/space").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "signed out: sign in first");

    b.register("dora").await;
    let (s, html) = b.get("/space").await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("data-testid=\"user-menu\""), "{html}");
    assert!(html.contains("Welcome"), "the one-time message: {html}");
    // A registered user owns a tenant of the same name.
    let u = accounts::find_user(&app.catalog.db, "dora")
        .await
        .expect("user");
    assert!(
        u.password_hash
            .as_deref()
            .is_some_and(|h| h.starts_with("$argon2id$"))
    );
    let (_, html) = b.get("/space").await;
    assert!(!html.contains("Welcome"), "shown once: {html}");

    let (s, to) = b.submit("/space", "/logout", &[]).await;
    assert_eq!((s, to.as_str()), (StatusCode::SEE_OTHER, "/"));
    assert_eq!(b.get("/space").await.0, StatusCode::UNAUTHORIZED);

    let (s, to) = b.login("dora", "wrong password!").await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert!(to.starts_with("/login"), "{to}");
    let (_, html) = b.get(&to).await;
    assert!(html.contains("wrong username or password"), "{html}");
    assert_eq!(b.get("/space").await.0, StatusCode::UNAUTHORIZED);

    let (s, to) = b.login("dora", "correct horse battery").await;
    assert_eq!((s, to.as_str()), (StatusCode::SEE_OTHER, "/space"));
    assert_eq!(b.get("/space").await.0, StatusCode::OK);

    // Registering a taken name, or with differing passwords, fails.
    let mut other = Browser::new(app.router.clone());
    let (_, to) = other
        .submit(
            "/register",
            "/register",
            &[
                ("username", "dora"),
                ("password", "another password"),
                ("password2", "another password"),
            ],
        )
        .await;
    assert_eq!(to, "/register");
    let (_, html) = other.get("/register").await;
    assert!(html.contains("taken"), "{html}");
    assert_eq!(other.get("/space").await.0, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn csrf_is_required_on_forms_and_on_session_api_calls() {
    let app = TestApp::new().await;
    let mut b = Browser::new(app.router.clone());
    b.register("erin").await;
    let create = &[("name", "nope"), ("version", "1.0.0")];

    let (s, _) = b.post("/space/new/heat_templates", create).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "no token");
    let mut forged = vec![("csrf", "0".repeat(64))];
    forged.extend(create.iter().map(|(k, v)| (*k, v.to_string())));
    let forged: Vec<(&str, &str)> = forged.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (s, _) = b.post("/space/new/heat_templates", &forged).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "wrong token");
    // Sign-out needs the token too.
    assert_eq!(b.post("/logout", &[]).await.0, StatusCode::FORBIDDEN);

    // The API with the session cookie: reads need nothing, writes the header.
    let (s, v) = b
        .api(Method::GET, "/api/v1/artifacts/heat_templates", None, None)
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["total_count"], 0, "nothing was created: {v}");
    let body = json!({"name": "api-made", "version": "1.0.0"});
    let (s, _) = b
        .api(
            Method::POST,
            "/api/v1/artifacts/heat_templates",
            None,
            Some(body.clone()),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (_, html) = b.get("/space").await;
    let token = csrf_of(&html);
    let (s, v) = b
        .api(
            Method::POST,
            "/api/v1/artifacts/heat_templates",
            Some(&token),
            Some(body),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["owner"], "erin");
    // A signed-out browser is anonymous on the API.
    let mut anon = Browser::new(app.router.clone());
    let (s, _) = anon
        .api(
            Method::POST,
            "/api/v1/artifacts/heat_templates",
            Some(&token),
            Some(json!({"name": "x"})),
        )
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn publisher_flow_through_forms_and_admin_approval() {
    let app = TestCatalog::new().admin("root").build().await;
    let root = app.token("root").to_owned();
    accounts::set_password(&app.catalog.db, "root", "root password 1")
        .await
        .expect("password");
    let mut p = Browser::new(app.router.clone());
    p.register("fran").await;

    let (s, to) = p
        .submit(
            "/space/new/heat_templates",
            "/space/new/heat_templates",
            &[
                ("name", "web-stack"),
                ("version", "1.2"),
                ("description", "**Hello** <script>alert(1)</script>"),
                ("tags", "web\n demo \n"),
                ("format", "HOT"),
                ("license", "Apache-2.0"),
                ("metadata", "tier=web\nowner=ops"),
            ],
        )
        .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert!(to.starts_with("/space/a/heat_templates/"), "{to}");
    let id = id_from(&to);
    let api = format!("/api/v1/artifacts/heat_templates/{id}");
    let (s, v) = app.get(&api, Some(&root)).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["version"], "1.2.0");
    assert_eq!(v["tags"], json!(["web", "demo"]));
    assert_eq!(v["metadata"], json!({"tier": "web", "owner": "ops"}));
    assert_eq!(v["status"], "drafted");

    // A bad value is reported on the form and changes nothing.
    let (_, back) = p
        .submit(
            &to,
            &to,
            &[("action", "save"), ("metadata", "no equals sign")],
        )
        .await;
    assert_eq!(back, to);
    let (_, html) = p.get(&to).await;
    assert!(html.contains("key=value"), "{html}");
    assert_eq!(
        app.get(&api, Some(&root)).await.1["metadata"]["tier"],
        "web"
    );

    // Edit: only changed fields are patched.
    let (s, _) = p
        .submit(
            &to,
            &to,
            &[("action", "save"), ("license", "MIT"), ("tags", "web")],
        )
        .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let v = app.get(&api, Some(&root)).await.1;
    assert_eq!(
        (v["license"].clone(), v["tags"].clone()),
        (json!("MIT"), json!(["web"]))
    );

    // Activation needs the template: refused, with the reason shown.
    p.submit(&to, &to, &[("action", "activate")]).await;
    let (_, html) = p.get(&to).await;
    assert!(html.contains("flash error"), "{html}");
    assert_eq!(app.get(&api, Some(&root)).await.1["status"], "drafted");

    // Upload without JavaScript: multipart, CSRF token first.
    let (_, html) = p.get(&to).await;
    let token = csrf_of(&html);
    let blob_action = format!("{to}/blob/template");
    let (s, _) = p.upload(&blob_action, "forged", "t.yaml", TEMPLATE).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert!(app.get(&api, Some(&root)).await.1["template"].is_null());
    let (s, back) = p.upload(&blob_action, &token, "t.yaml", TEMPLATE).await;
    assert_eq!((s, back.as_str()), (StatusCode::SEE_OTHER, to.as_str()));
    let v = app.get(&api, Some(&root)).await.1;
    assert_eq!(v["template"]["size"], TEMPLATE.len());
    assert_eq!(v["template"]["status"], "active");

    let (s, _) = p.submit(&to, &to, &[("action", "activate")]).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(app.get(&api, Some(&root)).await.1["status"], "active");
    // Anonymous visitors do not see it yet.
    let mut anon = Browser::new(app.router.clone());
    assert_eq!(
        anon.get("/apps/heat_templates/web-stack").await.0,
        StatusCode::NOT_FOUND
    );
    // The owner does, through the same page.
    let (s, html) = p.get("/apps/heat_templates/web-stack").await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("<strong>Hello</strong>") && !html.contains("<script>alert"));

    let (s, _) = p
        .submit(
            &to,
            &to,
            &[("action", "request-listing"), ("message", "please")],
        )
        .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (_, html) = p.get(&to).await;
    assert!(html.contains("listing-pending"), "{html}");
    // Asking twice is refused.
    p.submit(&to, &to, &[("action", "request-listing")]).await;
    let (_, html) = p.get(&to).await;
    assert!(html.contains("already pending"), "{html}");

    // The publisher cannot approve, nor open the admin page.
    assert_eq!(p.get("/admin").await.0, StatusCode::FORBIDDEN);
    let (_, reqs) = app
        .get("/api/v1/listing-requests?status=pending", Some(&root))
        .await;
    let rid = reqs["listing_requests"][0]["id"]
        .as_str()
        .expect("a pending request")
        .to_owned();
    let (s, _) = p
        .submit(
            &to,
            &format!("/admin/requests/{rid}"),
            &[("action", "approve")],
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    let mut admin = Browser::new(app.router.clone());
    let (s, _) = admin.login("root", "root password 1").await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (s, html) = admin.get("/admin").await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("web-stack 1.2.0"), "{html}");
    let (s, to_admin) = admin
        .submit(
            "/admin",
            &format!("/admin/requests/{rid}"),
            &[("action", "approve"), ("note", "welcome")],
        )
        .await;
    assert_eq!((s, to_admin.as_str()), (StatusCode::SEE_OTHER, "/admin"));
    let v = app.get(&api, None).await.1;
    assert_eq!(v["visibility"], "public", "{v}");
    assert_eq!(
        anon.get("/apps/heat_templates/web-stack").await.0,
        StatusCode::OK
    );
    let (_, html) = p.get(&to).await;
    assert!(html.contains("listing-approved") && html.contains("welcome"));
}

#[tokio::test]
async fn listing_requests_access_matrix() {
    let app = TestCatalog::new()
        .user("olga", "acme", Role::Admin)
        .user_with("mia", "acme", Some(Role::Member), "read,write")
        .user_with("rita", "acme", Some(Role::Member), "read")
        .user("otto", "rival", Role::Admin)
        .admin("root")
        .build()
        .await;
    let owner = app.token("olga").to_owned();
    let member = app.token("mia").to_owned();
    let reader = app.token("rita").to_owned();
    let other = app.token("otto").to_owned();
    let admin = app.token("root").to_owned();
    let active = app.active_template(&owner, "listed", "1.0.0").await;
    let draft = app
        .create(
            "heat_templates",
            &owner,
            json!({"name": "draft", "version": "1.0.0"}),
        )
        .await;
    let ask = |id: &str| format!("/api/v1/artifacts/heat_templates/{id}/listing-requests");
    let post = |uri: String, token: Option<String>, body: Value| {
        let app = &app;
        async move {
            app.call(Method::POST, &uri, token.as_deref(), Some(body))
                .await
        }
    };
    let msg = json!({"message": "hi"});

    // A private artifact does not exist for anonymous callers.
    assert_eq!(
        post(ask(&active), None, msg.clone()).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        post(ask(&active), Some(other.clone()), msg.clone()).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        post(ask(&active), Some(reader.clone()), msg.clone())
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    let (s, v) = post(ask(&draft), Some(member.clone()), msg.clone()).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "drafts are not listed: {v}");
    assert!(error_message(&v).contains("activate"));
    let (s, v) = post(ask(&active), Some(member.clone()), json!({"bogus": 1})).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "unknown fields: {v}");
    let (s, v) = post(ask(&active), Some(member.clone()), msg.clone()).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(
        (v["status"].clone(), v["requested_by"].clone()),
        (json!("pending"), json!("mia"))
    );
    let rid = v["id"].as_str().expect("id").to_owned();
    assert_eq!(
        post(ask(&active), Some(owner.clone()), msg.clone()).await.0,
        StatusCode::CONFLICT
    );

    // Who sees which requests.
    let count = |token: Option<String>| {
        let app = &app;
        async move {
            let (s, v) = app.get("/api/v1/listing-requests", token.as_deref()).await;
            (s, v["listing_requests"].as_array().map_or(0, Vec::len))
        }
    };
    assert_eq!(count(None).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(count(Some(member.clone())).await, (StatusCode::OK, 1));
    assert_eq!(count(Some(other.clone())).await, (StatusCode::OK, 0));
    assert_eq!(count(Some(admin.clone())).await, (StatusCode::OK, 1));
    let (s, _) = app
        .get("/api/v1/listing-requests?status=maybe", Some(&admin))
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);

    // Only catalog admins decide.
    let approve = format!("/api/v1/listing-requests/{rid}/approve");
    for (who, status) in [
        (None, StatusCode::UNAUTHORIZED),
        (Some(owner.clone()), StatusCode::FORBIDDEN),
        (Some(other.clone()), StatusCode::FORBIDDEN),
    ] {
        assert_eq!(post(approve.clone(), who, json!({})).await.0, status);
    }
    let api = format!("/api/v1/artifacts/heat_templates/{active}");
    assert_eq!(
        app.get(&api, None).await.0,
        StatusCode::NOT_FOUND,
        "still private"
    );
    let (s, v) = post(approve.clone(), Some(admin.clone()), json!({"note": "ok"})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(
        (v["status"].clone(), v["decided_by"].clone()),
        (json!("approved"), json!("root"))
    );
    assert_eq!(app.get(&api, None).await.1["visibility"], "public");
    assert_eq!(
        post(approve, Some(admin.clone()), json!({})).await.0,
        StatusCode::CONFLICT
    );
    let missing = "/api/v1/listing-requests/00000000-0000-0000-0000-000000000000/reject";
    assert_eq!(
        post(missing.to_owned(), Some(admin.clone()), json!({}))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    // A public artifact is not asked for again.
    assert_eq!(
        post(ask(&active), Some(owner.clone()), msg.clone()).await.0,
        StatusCode::CONFLICT
    );

    // Rejected: stays private, with the note.
    let second = app.active_template(&owner, "second", "1.0.0").await;
    let (_, v) = post(ask(&second), Some(owner.clone()), json!({})).await;
    let rid = v["id"].as_str().expect("id").to_owned();
    let (s, v) = post(
        format!("/api/v1/listing-requests/{rid}/reject"),
        Some(admin.clone()),
        json!({"note": "needs a description"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        (v["status"].clone(), v["decision_note"].clone()),
        (json!("rejected"), json!("needs a description"))
    );
    let (_, v) = app
        .get(
            &format!("/api/v1/artifacts/heat_templates/{second}"),
            Some(&owner),
        )
        .await;
    assert_eq!(v["visibility"], "private");
}

#[tokio::test]
async fn pages_need_sign_in_and_rights_and_hide_other_tenants() {
    let app = TestCatalog::new()
        .user("olga", "acme", Role::Admin)
        .build()
        .await;
    let owner = app.token("olga").to_owned();
    let private = app.active_template(&owner, "internal", "1.0.0").await;
    let mut anon = Browser::new(app.router.clone());
    for page in [
        "/space",
        "/space/tokens",
        "/admin",
        "/space/new/heat_templates",
    ] {
        assert_eq!(anon.get(page).await.0, StatusCode::UNAUTHORIZED, "{page}");
    }
    let mut rival = Browser::new(app.router.clone());
    rival.register("rival").await;
    assert_eq!(rival.get("/admin").await.0, StatusCode::FORBIDDEN);
    assert_eq!(
        rival
            .get(&format!("/space/a/heat_templates/{private}"))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        rival.get("/apps/heat_templates/internal").await.0,
        StatusCode::NOT_FOUND
    );
    let (_, html) = rival.get("/space").await;
    assert!(!html.contains("internal"), "{html}");
    assert_eq!(
        rival.get("/space/new/no_such_type").await.0,
        StatusCode::NOT_FOUND
    );
    // Forms on another tenant's artifact change nothing.
    let action = format!("/space/a/heat_templates/{private}");
    let (s, _) = rival
        .submit("/space", &action, &[("action", "delete")])
        .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (s, _) = app
        .get(
            &format!("/api/v1/artifacts/heat_templates/{private}"),
            Some(&owner),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "still there");
}

#[tokio::test]
async fn tokens_are_created_shown_once_and_revoked() {
    let app = TestApp::new().await;
    let mut b = Browser::new(app.router.clone());
    b.register("tess").await;
    let (s, to) = b
        .submit(
            "/space/tokens",
            "/space/tokens",
            &[
                ("name", "ci"),
                ("tenant", "tess"),
                ("scope", "write"),
                ("expires_in_days", "30"),
            ],
        )
        .await;
    assert_eq!((s, to.as_str()), (StatusCode::SEE_OTHER, "/space/tokens"));
    let (_, html) = b.get("/space/tokens").await;
    let at = html
        .find("appcat_")
        .map(|_| ())
        .and(html.find("id=\"new-token\">"));
    let at = at.expect("the secret is shown") + "id=\"new-token\">".len();
    let secret: String = html[at..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    assert!(
        secret.starts_with("appcat_") && secret.len() > 40,
        "{secret}"
    );
    let (_, again) = b.get("/space/tokens").await;
    assert!(!again.contains(&secret), "shown once only");
    let (s, _) = app
        .get("/api/v1/artifacts/heat_templates", Some(&secret))
        .await;
    assert_eq!(s, StatusCode::OK);
    // Tokens for a tenant one is not a member of are refused.
    b.submit(
        "/space/tokens",
        "/space/tokens",
        &[("name", "x"), ("tenant", "acme")],
    )
    .await;
    let (_, html) = b.get("/space/tokens").await;
    assert!(html.contains("not a member"), "{html}");

    let tokens = accounts::list_tokens(&app.catalog.db, "tess")
        .await
        .expect("tokens");
    assert_eq!(tokens.len(), 1);
    // Somebody else cannot revoke it.
    let mut other = Browser::new(app.router.clone());
    other.register("uma").await;
    let revoke = format!("/space/tokens/{}/revoke", tokens[0].id);
    other.submit("/space/tokens", &revoke, &[]).await;
    assert_eq!(
        app.get("/api/v1/artifacts/heat_templates", Some(&secret))
            .await
            .0,
        StatusCode::OK
    );
    b.submit("/space/tokens", &revoke, &[]).await;
    assert_eq!(
        app.get("/api/v1/artifacts/heat_templates", Some(&secret))
            .await
            .0,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn registration_can_be_switched_off() {
    let web = appcat::state::Web {
        registration_open: false,
        ..appcat::state::Web::open()
    };
    let app = TestApp::with_web(Limits::default(), None, web).await;
    let mut b = Browser::new(app.router.clone());
    let (s, html) = b.get("/register").await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert!(!html.contains("href=\"/register\""), "no link: {html}");
    let token = csrf_of(&b.get("/login").await.1);
    let (s, _) = b
        .post(
            "/register",
            &[
                ("csrf", &token),
                ("username", "mallory"),
                ("password", "long enough pass"),
                ("password2", "long enough pass"),
            ],
        )
        .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert!(
        accounts::find_user(&app.catalog.db, "mallory")
            .await
            .is_err()
    );
}

#[tokio::test]
async fn session_cookie_flags_and_replicas_share_sessions() {
    let app = TestApp::new().await;
    let mut b = Browser::new(app.router.clone());
    let req = Request::builder()
        .uri("/login")
        .body(Body::empty())
        .expect("request");
    let (_, headers, _) = b.send(req).await;
    let cookie = headers
        .get(header::SET_COOKIE)
        .and_then(|c| c.to_str().ok())
        .expect("a session cookie")
        .to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    assert!(!cookie.contains("Secure"), "plain HTTP: {cookie}");
    b.register("rhea").await;
    // The same cookie on another replica (same database) is the same user.
    let mut replica = Browser {
        router: app.replica(),
        cookie: b.cookie.clone(),
    };
    let (s, html) = replica.get("/space").await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("rhea"));

    let secure = appcat::state::Web {
        secure_cookies: true,
        ..appcat::state::Web::open()
    };
    let app = TestApp::with_web(Limits::default(), None, secure).await;
    let mut b = Browser::new(app.router.clone());
    let req = Request::builder()
        .uri("/login")
        .body(Body::empty())
        .expect("request");
    let (_, headers, _) = b.send(req).await;
    let cookie = headers
        .get(header::SET_COOKIE)
        .and_then(|c| c.to_str().ok())
        .unwrap_or_default();
    assert!(cookie.contains("Secure"), "{cookie}");
}

#[tokio::test]
async fn browse_takes_a_version_requirement_and_a_sort() {
    let app = TestCatalog::new()
        .user("olga", "acme", Role::Admin)
        .admin("root")
        .build()
        .await;
    let owner = app.token("olga").to_owned();
    let admin = app.token("root").to_owned();
    for (name, version) in [("alpha", "1.0.0"), ("beta", "2.5.0"), ("gamma", "3.0.0")] {
        let id = app.active_template(&owner, name, version).await;
        app.patch(
            &format!("/api/v1/artifacts/heat_templates/{id}"),
            Some(&admin),
            json!([{"op": "replace", "path": "/visibility", "value": "public"}]),
        )
        .await;
    }
    let mut b = Browser::new(app.router.clone());
    let (s, html) = b
        .get("/apps/heat_templates?req=%3E%3D2%2C%20%3C3&sort=name")
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        html.contains("beta") && !html.contains(">alpha<") && !html.contains("gamma"),
        "{html}"
    );
    let (s, html) = b.get("/apps/heat_templates?sort=name").await;
    assert_eq!(s, StatusCode::OK);
    let (a, g) = (
        html.find("alpha").expect("alpha"),
        html.find("gamma").expect("gamma"),
    );
    assert!(a < g, "by name");
    let (s, html) = b.get("/apps/heat_templates?req=%5E%5E1").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(html.contains("not a valid version requirement"), "{html}");
    assert_eq!(
        b.get("/apps/heat_templates?sort=sideways").await.0,
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test]
async fn community_forms_rate_review_reply_report_and_moderate() {
    let app = TestCatalog::new()
        .user("olga", "acme", Role::Admin)
        .admin("root")
        .build()
        .await;
    let owner = app.token("olga").to_owned();
    let admin = app.token("root").to_owned();
    accounts::set_password(&app.catalog.db, "olga", "olga password 1")
        .await
        .expect("password");
    let id = app.active_template(&owner, "liked", "1.0.0").await;
    app.patch(
        &format!("/api/v1/artifacts/heat_templates/{id}"),
        Some(&admin),
        json!([{"op": "replace", "path": "/visibility", "value": "public"}]),
    )
    .await;
    let page = "/apps/heat_templates/liked";
    let base = format!("/community/heat_templates/{id}");

    let mut anon = Browser::new(app.router.clone());
    let (s, html) = anon.get(page).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("no ratings yet") && html.contains("to rate and review"));
    assert!(!html.contains("id=\"review-form\""));

    let mut fan = Browser::new(app.router.clone());
    fan.register("fan").await;
    // Without the token nothing happens.
    let (s, _) = fan
        .post(&format!("{base}/rate"), &[("stars", "5"), ("next", page)])
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, to) = fan
        .submit(
            page,
            &format!("{base}/rate"),
            &[("stars", "5"), ("next", page)],
        )
        .await;
    assert_eq!((s, to.as_str()), (StatusCode::SEE_OTHER, page));
    let (_, html) = fan.get(page).await;
    assert!(html.contains("5.0 ★ (1 rating)"), "{html}");
    assert!(html.contains("Remove my rating"));
    // An open redirect is not followed.
    let (_, to) = fan
        .submit(
            page,
            &format!("{base}/review"),
            &[
                ("body", "Lovely **stack**"),
                ("next", "https://evil.example/"),
            ],
        )
        .await;
    assert!(to.starts_with("/apps/heat_templates"), "{to}");
    let (_, html) = fan.get(page).await;
    assert!(html.contains("Lovely <strong>stack</strong>"), "{html}");
    let (_, v) = app
        .get(
            &format!("/api/v1/artifacts/heat_templates/{id}/reviews"),
            None,
        )
        .await;
    let rid = v["reviews"][0]["id"].as_str().expect("review").to_owned();

    // The publisher replies, through the form on the page.
    let mut publisher = Browser::new(app.router.clone());
    publisher.login("olga", "olga password 1").await;
    let (_, html) = publisher.get(page).await;
    assert!(html.contains("Reply as the publisher"));
    publisher
        .submit(
            page,
            &format!("{base}/review"),
            &[("body", "Thank you"), ("parent_id", &rid), ("next", page)],
        )
        .await;
    // A fan cannot reply.
    fan.submit(
        page,
        &format!("{base}/review"),
        &[("body", "me too"), ("parent_id", &rid), ("next", page)],
    )
    .await;
    let (_, html) = fan.get(page).await;
    assert!(html.contains("only the publisher replies"), "{html}");
    let (_, v) = app
        .get(
            &format!("/api/v1/artifacts/heat_templates/{id}/reviews"),
            None,
        )
        .await;
    assert_eq!(v["reviews"][0]["replies"].as_array().map(Vec::len), Some(1));

    // Someone else reports it; the publisher's tenant admin hides it.
    let mut critic = Browser::new(app.router.clone());
    critic.register("critic").await;
    critic
        .submit(
            page,
            &format!("{base}/review/{rid}"),
            &[
                ("action", "report"),
                ("reason", "off topic"),
                ("next", page),
            ],
        )
        .await;
    let (_, html) = critic.get(page).await;
    assert!(html.contains("the moderators will have a look"), "{html}");
    let (_, html) = publisher.get(page).await;
    assert!(html.contains("1 report(s)"), "{html}");
    publisher
        .submit(
            page,
            &format!("{base}/review/{rid}"),
            &[("action", "hide"), ("note", "off topic"), ("next", page)],
        )
        .await;
    let (_, html) = anon.get(page).await;
    assert!(!html.contains("Lovely"), "hidden from visitors");
    let (_, html) = publisher.get(page).await;
    assert!(
        html.contains("Lovely") && html.contains("hidden"),
        "shown to moderators"
    );
    // The fan may not moderate.
    fan.submit(
        page,
        &format!("{base}/review/{rid}"),
        &[("action", "unhide"), ("next", page)],
    )
    .await;
    let (_, v) = app
        .get(
            &format!("/api/v1/artifacts/heat_templates/{id}/reviews"),
            None,
        )
        .await;
    assert_eq!(v["total"], 0);
    // The fan removes their rating.
    fan.submit(
        page,
        &format!("{base}/rate"),
        &[("action", "remove"), ("next", page)],
    )
    .await;
    let (_, html) = anon.get(page).await;
    assert!(html.contains("no ratings yet"));
}

#[tokio::test]
async fn password_sign_in_pauses_after_repeated_failures() {
    use sea_orm::{ConnectionTrait, EntityTrait};
    let app = TestApp::new().await;
    let mut b = Browser::new(app.router.clone());
    b.register("gale").await;
    b.submit("/space", "/logout", &[]).await;
    for _ in 0..accounts::MAX_FAILED_LOGINS {
        let (s, to) = b.login("gale", "not the password").await;
        assert_eq!(s, StatusCode::SEE_OTHER);
        assert!(to.starts_with("/login"), "{to}");
    }
    // Now even the right password is refused, with the reason.
    let (_, to) = b.login("gale", "correct horse battery").await;
    assert!(to.starts_with("/login"), "{to}");
    let (_, html) = b.get(&to).await;
    assert!(html.contains("too many failed sign-ins"), "{html}");
    assert_eq!(b.get("/space").await.0, StatusCode::UNAUTHORIZED);
    // Another account is not affected.
    let mut other = Browser::new(app.router.clone());
    other.register("hale").await;
    // When the pause is over, the right password works and resets the count.
    app.catalog
        .db
        .execute_unprepared(
            "UPDATE sign_in_throttle SET locked_until = '2020-01-01 00:00:00+00:00' WHERE username = 'gale'",
        )
        .await
        .expect("end the pause");
    let (s, to) = b.login("gale", "correct horse battery").await;
    assert_eq!((s, to.as_str()), (StatusCode::SEE_OTHER, "/space"));
    // A right password clears the count.
    let row = appcat::entities::sign_in_throttle::Entity::find_by_id("gale".to_owned())
        .one(&app.catalog.db)
        .await
        .expect("query");
    assert_eq!(row, None);
}
