//! Trust and safety: each test here pins down one way an attacker (another
//! tenant, a visitor, a hostile publisher) or a crash got through, and
//! shows it is closed. Run on SQLite and on PostgreSQL like every test.

use std::net::SocketAddr;

use appcat::caller::Role;
use appcat::services::{Limits, accounts};
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Method, Request, StatusCode, header};
use serde_json::{Value, json};

use crate::common::{TestApp, error_message};
use crate::web::{Browser, csrf_of};

const ALL_SCOPES: &str = "read,write,publish";

fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

async fn make_public(app: &TestApp, admin: &str, type_name: &str, id: &str) {
    let (s, v) = app
        .patch(
            &format!("/api/v1/artifacts/{type_name}/{id}"),
            Some(admin),
            json!([{"op": "replace", "path": "/visibility", "value": "public"}]),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
}

// ---------------------------------------------------------------------------
// 1. Stored XSS: every text that reaches a page is escaped.

const SCRIPT: &str = "</title><script>alert(\"xss\")</script>";
const IMG: &str = "<img src=x onerror=alert(2)>";

/// The start tags of an HTML document, as written (a `<` followed by a
/// letter, up to the next `>`). Escaped text never contains one.
fn start_tags(html: &str) -> Vec<&str> {
    let b = html.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i + 1 < b.len() {
        if b[i] == b'<' && b[i + 1].is_ascii_alphabetic() {
            let end = html[i..].find('>').map_or(html.len(), |e| i + e + 1);
            out.push(&html[i..end]);
            i = end;
        } else {
            i += 1;
        }
    }
    out
}

/// The attributes of a start tag: `(name, value)`, quotes respected.
fn attributes(tag: &str) -> Vec<(String, String)> {
    let body = tag.trim_start_matches('<').trim_end_matches('>');
    let mut chars = body.chars().peekable();
    // The tag name.
    while chars.peek().is_some_and(|c| !c.is_whitespace()) {
        chars.next();
    }
    let mut out = Vec::new();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace() || *c == '/') {
            chars.next();
        }
        let mut name = String::new();
        while let Some(c) = chars.peek().copied() {
            if c.is_whitespace() || c == '=' || c == '/' {
                break;
            }
            name.push(c);
            chars.next();
        }
        if name.is_empty() {
            break;
        }
        let mut value = String::new();
        if chars.peek() == Some(&'=') {
            chars.next();
            match chars.peek().copied() {
                Some(q @ ('"' | '\'')) => {
                    chars.next();
                    for c in chars.by_ref() {
                        if c == q {
                            break;
                        }
                        value.push(c);
                    }
                }
                _ => {
                    while let Some(c) = chars.peek().copied() {
                        if c.is_whitespace() {
                            break;
                        }
                        value.push(c);
                        chars.next();
                    }
                }
            }
        }
        out.push((name.to_ascii_lowercase(), value));
    }
    out
}

/// No hostile markup reached the page as markup: no script element with
/// the payload, no event-handler attribute, no `javascript:` URL.
fn assert_inert(page: &str, html: &str) {
    assert!(
        !html.contains("<script>alert("),
        "{page}: a script element from data:\n{html}"
    );
    for tag in start_tags(html) {
        for (name, value) in attributes(tag) {
            assert!(!name.starts_with("on"), "{page}: an event handler in {tag}");
            assert!(
                !value.trim().to_ascii_lowercase().starts_with("javascript:"),
                "{page}: a javascript: URL in {tag}"
            );
        }
    }
}

#[tokio::test]
async fn hostile_text_is_escaped_on_every_page() {
    let types = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        types.path().join("gadgets.toml"),
        format!(
            "name = \"gadgets\"\ndisplay_name = {:?}\nversion = \"1.0.0\"\ndescription = {:?}\n\n[blobs.file]\ndescription = \"x\"\n",
            format!("Gadget {SCRIPT}"),
            IMG
        ),
    )
    .expect("type file");
    let app = TestApp::with(Limits::default(), Some(types.path())).await;
    let db = &app.catalog.db;
    accounts::create_tenant(db, "evil", Some(&format!("Evil {SCRIPT}")))
        .await
        .expect("tenant");
    accounts::create_user(db, "mallory", Some(&format!("Mal {IMG}")), None, false)
        .await
        .expect("user");
    accounts::set_membership(db, "mallory", "evil", Role::Admin)
        .await
        .expect("membership");
    accounts::set_password(db, "mallory", "correct horse battery")
        .await
        .expect("password");
    accounts::create_user(db, "root", None, None, true)
        .await
        .expect("admin");
    accounts::set_membership(db, "root", "evil", Role::Admin)
        .await
        .expect("membership");
    accounts::set_password(db, "root", "correct horse battery")
        .await
        .expect("password");
    let token = accounts::create_token(db, "mallory", "evil", "t", ALL_SCOPES, None)
        .await
        .expect("token")
        .secret;
    let admin = accounts::create_token(db, "root", "evil", "t", ALL_SCOPES, None)
        .await
        .expect("token")
        .secret;

    let name = format!("x{SCRIPT}");
    let description = format!(
        "# Hi\n\n{SCRIPT}\n\n{IMG}\n\n[click](javascript:alert(3))\n\n<a href=\"javascript:alert(4)\">a</a>"
    );
    let body = json!({
        "name": name, "version": "1.0.0", "description": description,
        "tags": [format!("t{IMG}")],
        "provided_by": {"name": IMG, "href": "javascript:alert(5)", "company": SCRIPT},
    });
    let id = app.create("heat_templates", &token, body.clone()).await;
    let uri = format!("/api/v1/artifacts/heat_templates/{id}");
    let (s, v) = app
        .put_blob(
            &format!("{uri}/template"),
            Some(&token),
            "application/x-yaml",
            b"heat_template_version: 2016-10-14\n".to_vec(),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = app
        .patch(
            &uri,
            Some(&token),
            json!([{"op": "replace", "path": "/status", "value": "active"}]),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    // A second one stays private and waits in the admin's listing queue.
    let queued = app
        .active_template(&token, &format!("q{SCRIPT}"), "1.0.0")
        .await;
    let (s, v) = app
        .call(
            Method::POST,
            &format!("/api/v1/artifacts/heat_templates/{queued}/listing-requests"),
            Some(&token),
            Some(json!({"message": SCRIPT})),
        )
        .await;
    assert!(s.is_success(), "{s} {v}");
    make_public(&app, &admin, "heat_templates", &id).await;
    let gadget = app
        .create("gadgets", &token, json!({"name": IMG, "version": "1.0.0"}))
        .await;
    let (s, v) = app
        .call(
            Method::POST,
            &format!("{uri}/reviews"),
            Some(&token),
            Some(json!({"body": format!("{SCRIPT} {IMG} [x](javascript:alert(6))")})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");

    let detail = format!("/apps/heat_templates/{}", enc(&name));
    let mut visitor = Browser::new(app.router.clone());
    for page in [
        "/".to_owned(),
        "/apps".to_owned(),
        "/apps/heat_templates".to_owned(),
        "/apps/gadgets".to_owned(),
        format!("/apps?q={}", enc(SCRIPT)),
        format!("/apps/heat_templates?q={}&tag={}", enc(IMG), enc(IMG)),
        detail.clone(),
        format!("/apps/nothing{}", enc(SCRIPT)),
    ] {
        let (_, html) = visitor.get(&page).await;
        assert_inert(&page, &html);
    }
    // The title shows the name, escaped.
    let (s, html) = visitor.get(&detail).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        html.contains("<title>x&lt;/title&gt;&lt;script&gt;alert(&quot;xss&quot;)"),
        "{html}"
    );

    for user in ["mallory", "root"] {
        let mut b = Browser::new(app.router.clone());
        let (s, _) = b.login(user, "correct horse battery").await;
        assert_eq!(s, StatusCode::SEE_OTHER);
        for page in [
            "/space".to_owned(),
            format!("/space/a/heat_templates/{id}"),
            format!("/space/a/heat_templates/{queued}"),
            format!("/space/a/gadgets/{gadget}"),
            "/space/new/gadgets".to_owned(),
            "/space/tokens".to_owned(),
            "/admin".to_owned(),
            detail.clone(),
        ] {
            let (_, html) = b.get(&page).await;
            assert_inert(&format!("{user} {page}"), &html);
        }
    }
}

// ---------------------------------------------------------------------------
// 2 and 3. Dependencies: no hijack across tenants, no name oracle.

struct Tenants {
    app: TestApp,
    /// acme's admin.
    a: String,
    /// rival's admin.
    b: String,
    admin: String,
}

async fn tenants() -> Tenants {
    let app = TestApp::new().await;
    let a = app
        .user("alice", "acme", Some(Role::Admin), false, ALL_SCOPES)
        .await;
    let b = app
        .user("bob", "rival", Some(Role::Admin), false, ALL_SCOPES)
        .await;
    let admin = app.user("root", "ops", None, true, ALL_SCOPES).await;
    Tenants { app, a, b, admin }
}

/// An active heat environment: the target of links.
async fn lib(app: &TestApp, token: &str, name: &str, version: &str) -> String {
    app.active_with_blob(
        token,
        ("heat_environments", "environment"),
        b"parameters: {}\n",
        name,
        version,
    )
    .await
}

/// A drafted heat template whose `environments` link names `wants`.
async fn consumer(app: &TestApp, token: &str, name: &str, wants: &[(&str, &str)]) -> String {
    let environments: serde_json::Map<String, Value> = wants
        .iter()
        .enumerate()
        .map(|(i, (n, req))| (format!("e{i}"), json!({"name": n, "version": req})))
        .collect();
    app.create(
        "heat_templates",
        token,
        json!({"name": name, "version": "1.0.0", "environments": environments}),
    )
    .await
}

async fn share(app: &TestApp, token: &str, id: &str, tenant: &str) -> (StatusCode, Value) {
    app.call(
        Method::POST,
        &format!("/api/v1/artifacts/heat_environments/{id}/members"),
        Some(token),
        Some(json!({"tenant": tenant})),
    )
    .await
}

async fn edges(app: &TestApp, token: &str, id: &str) -> Vec<Value> {
    let (s, g) = app
        .get(
            &format!("/api/v1/artifacts/heat_templates/{id}/dependencies"),
            Some(token),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{g}");
    g["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .filter(|e| e["from"] == id)
        .cloned()
        .collect()
}

#[tokio::test]
async fn a_share_from_another_tenant_is_not_used_until_accepted() {
    let t = tenants().await;
    let app = &t.app;
    let lib_a = lib(app, &t.a, "libx", "1.0.0").await;
    let user = consumer(app, &t.a, "consumer", &[("libx", "")]).await;
    let e = edges(app, &t.a, &user).await;
    assert_eq!(e[0]["to"]["id"], lib_a.as_str(), "{e:?}");
    assert_eq!(e[0]["source"], "own");
    assert_eq!(e[0]["to"]["owner"], "acme");

    // rival offers a higher libx and a liby to acme, unasked.
    let lib_b = lib(app, &t.b, "libx", "9.0.0").await;
    let liby = lib(app, &t.b, "liby", "1.0.0").await;
    let (s, v) = share(app, &t.b, &lib_b, "acme").await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["status"]["acme"], "pending");
    let (s, _) = share(app, &t.b, &liby, "acme").await;
    assert_eq!(s, StatusCode::CREATED);
    // acme sees the offers, but its links do not use them.
    let (_, v) = app
        .get(
            &format!("/api/v1/artifacts/heat_environments/{liby}"),
            Some(&t.a),
        )
        .await;
    assert_eq!(v["visibility"], "shared");
    let e = edges(app, &t.a, &user).await;
    assert_eq!(e[0]["to"]["id"], lib_a.as_str(), "hijacked: {e:?}");
    let wants_y = consumer(app, &t.a, "wants-y", &[("liby", "")]).await;
    assert_eq!(edges(app, &t.a, &wants_y).await[0]["status"], "missing");
    let (_, offers) = app.get("/api/v1/shares?status=pending", Some(&t.a)).await;
    let offered = offers["shares"].as_array().map_or(0, Vec::len);
    assert_eq!(offered, 2, "{offers}");
    let (s, v) = app.get("/api/v1/shares?status=maybe", Some(&t.a)).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(
        app.get("/api/v1/shares", None).await.0,
        StatusCode::UNAUTHORIZED
    );
    // The exported bundle of acme's template holds acme's libx only.
    let (s, _, bytes) = app
        .send(
            Request::builder()
                .uri(format!("/api/v1/artifacts/heat_templates/{user}/bundle"))
                .header("x-auth-token", &t.a)
                .body(Body::empty())
                .expect("request"),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let text = String::from_utf8_lossy(&bytes);
    assert!(
        text.contains("heat_environments/libx@1.0.0"),
        "own libx exported"
    );
    assert!(!text.contains("libx@9.0.0"), "rival's share exported");

    // Only acme's admins answer; rival cannot answer for acme.
    let answer = |token: &str, id: &str, status: &str| {
        let (token, id, status) = (token.to_owned(), id.to_owned(), status.to_owned());
        async move {
            app.call(
                Method::PUT,
                &format!("/api/v1/artifacts/heat_environments/{id}/members/acme"),
                Some(&token),
                Some(json!({"status": status})),
            )
            .await
        }
    };
    assert_eq!(
        answer(&t.b, &liby, "accepted").await.0,
        StatusCode::NOT_FOUND
    );
    let member = app
        .user("amy", "acme", Some(Role::Member), false, ALL_SCOPES)
        .await;
    assert_eq!(
        answer(&member, &liby, "accepted").await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        answer(&t.a, &liby, "maybe").await.0,
        StatusCode::BAD_REQUEST
    );
    let (s, v) = answer(&t.a, &liby, "accepted").await;
    assert_eq!(
        (s, v["status"].as_str()),
        (StatusCode::OK, Some("accepted")),
        "{v}"
    );
    let e = edges(app, &t.a, &wants_y).await;
    assert_eq!(e[0]["status"], "resolved", "{e:?}");
    assert_eq!(e[0]["source"], "accepted_share");
    assert_eq!(e[0]["to"]["owner"], "rival");
    // Own tenant first: acme's libx 1.0.0 over rival's accepted 9.0.0.
    let (s, _) = answer(&t.a, &lib_b, "accepted").await;
    assert_eq!(s, StatusCode::OK);
    let e = edges(app, &t.a, &user).await;
    assert_eq!(e[0]["to"]["id"], lib_a.as_str());
    // Owner's view of the members shows the answers.
    let (_, m) = app
        .get(
            &format!("/api/v1/artifacts/heat_environments/{lib_b}/members"),
            Some(&t.b),
        )
        .await;
    assert_eq!(m["status"]["acme"], "accepted", "{m}");
    // Declining hides the artifact from acme again and unresolves the link.
    let (s, _) = answer(&t.a, &liby, "declined").await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = app
        .get(
            &format!("/api/v1/artifacts/heat_environments/{liby}"),
            Some(&t.a),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(edges(app, &t.a, &wants_y).await[0]["status"], "missing");
    // Public artifacts of other tenants come after the own tenant's.
    make_public(app, &t.admin, "heat_environments", &liby).await;
    let e = edges(app, &t.a, &wants_y).await;
    assert_eq!(
        (e[0]["status"].as_str(), e[0]["source"].as_str()),
        (Some("resolved"), Some("public"))
    );
}

#[tokio::test]
async fn link_states_do_not_tell_invisible_from_missing() {
    let t = tenants().await;
    let app = &t.app;
    // rival has a private "secret" 2.0.0.
    let secret = lib(app, &t.b, "secret", "2.0.0").await;
    let probe = consumer(
        app,
        &t.a,
        "probe",
        &[
            ("secret", ">=2.0"),
            ("secret", ">=9.0"),
            ("no-such-thing", ""),
        ],
    )
    .await;
    let e = edges(app, &t.a, &probe).await;
    let states: Vec<&str> = e
        .iter()
        .map(|x| x["status"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(states, ["missing", "missing", "missing"], "{e:?}");
    // An exact link to an invisible id cannot be stored: the same answer
    // as for an id that does not exist.
    let exact = |target: String| {
        let a = t.a.clone();
        async move {
            app.call(
                Method::POST,
                "/api/v1/artifacts/heat_templates",
                Some(&a),
                Some(json!({"name": "exact", "version": "1.0.0", "environments": {"e": target}})),
            )
            .await
        }
    };
    let (s1, v1) = exact(format!("/artifacts/heat_environments/{secret}")).await;
    let (s2, v2) = exact(format!(
        "/artifacts/heat_environments/{}",
        uuid::Uuid::new_v4()
    ))
    .await;
    assert_eq!((s1, s2), (StatusCode::BAD_REQUEST, StatusCode::BAD_REQUEST));
    let strip = |v: &Value| {
        error_message(v)
            .split(" points at ")
            .next()
            .unwrap_or("")
            .to_owned()
    };
    assert_eq!(strip(&v1), strip(&v2));
    // rival itself sees its own versions: no matching version.
    let mine = consumer(app, &t.b, "mine", &[("secret", ">=9.0")]).await;
    assert_eq!(
        edges(app, &t.b, &mine).await[0]["status"],
        "no_matching_version"
    );
}

// ---------------------------------------------------------------------------
// 4. Reviews and ratings of private versions stay private.

#[tokio::test]
async fn ratings_and_reviews_of_private_versions_are_not_public() {
    let t = tenants().await;
    let app = &t.app;
    let public = app.active_template(&t.a, "seq", "1.0.0").await;
    make_public(app, &t.admin, "heat_templates", &public).await;
    let private = app.active_template(&t.a, "seq", "2.0.0").await;
    let rater = app
        .user("amy", "acme", Some(Role::Member), false, ALL_SCOPES)
        .await;
    let at = |id: &str, rest: &str| format!("/api/v1/artifacts/heat_templates/{id}{rest}");
    let (s, _) = app
        .call(
            Method::PUT,
            &at(&private, "/rating"),
            Some(&rater),
            Some(json!({"stars": 1})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = app
        .call(
            Method::POST,
            &at(&private, "/reviews"),
            Some(&rater),
            Some(json!({"body": "internal: v2 is broken"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    // The public page and API know nothing of it.
    let (_, r) = app.get(&at(&public, "/rating"), None).await;
    assert_eq!(
        (r["count"].as_i64(), r["average"].as_f64()),
        (Some(0), None),
        "{r}"
    );
    let (_, v) = app.get(&at(&public, ""), None).await;
    assert_eq!(v["rating_count"], 0);
    let (_, reviews) = app.get(&at(&public, "/reviews"), None).await;
    assert_eq!(reviews["total"], 0, "{reviews}");
    let (_, html) = Browser::new(app.router.clone())
        .get("/apps/heat_templates/seq")
        .await;
    assert!(!html.contains("v2 is broken"));
    // The tenant sees both.
    let (_, r) = app.get(&at(&public, "/rating"), Some(&t.a)).await;
    assert_eq!(r["count"], 1, "{r}");
    let (_, reviews) = app.get(&at(&public, "/reviews"), Some(&t.a)).await;
    assert_eq!(reviews["total"], 1);
    // A public rating stops counting in public when its version turns private:
    // here, when the version is deactivated.
    let (s, _) = app
        .call(
            Method::PUT,
            &at(&public, "/rating"),
            Some(&rater),
            Some(json!({"stars": 5})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (_, r) = app.get(&at(&public, "/rating"), None).await;
    assert_eq!(r["count"], 1);
    let (s, v) = app
        .patch(
            &at(&public, ""),
            Some(&t.admin),
            json!([{"op": "replace", "path": "/status", "value": "deactivated"}]),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (_, v) = app.get(&at(&private, ""), Some(&t.a)).await;
    assert_eq!(
        v["rating_count"], 0,
        "the public count ignores the deactivated version"
    );
}

// ---------------------------------------------------------------------------
// 5 and 6. The sign-in pause holds under concurrency and tells no names.

#[tokio::test]
async fn sign_in_pause_holds_against_parallel_guesses_and_names_no_user() {
    let app = TestApp::new().await;
    accounts::create_user(&app.catalog.db, "victim", None, None, false)
        .await
        .expect("user");
    accounts::set_password(&app.catalog.db, "victim", "correct horse battery")
        .await
        .expect("password");
    let guesses = futures::future::join_all((0..26).map(|i| {
        let db = app.catalog.db.clone();
        async move { accounts::check_login(&db, "victim", &format!("guess {i}")).await }
    }))
    .await;
    let wrong = guesses
        .iter()
        .filter(|r| matches!(r, Err(appcat::error::AppError::Unauthorized(_))))
        .count();
    assert_eq!(
        wrong,
        accounts::MAX_FAILED_LOGINS as usize,
        "at most MAX guesses may be checked"
    );
    let err = accounts::check_login(&app.catalog.db, "victim", "correct horse battery")
        .await
        .expect_err("paused");
    let paused = err.to_string();
    assert!(paused.contains("too many failed sign-ins"), "{paused}");
    // The same answer for a name no account has.
    for i in 0..accounts::MAX_FAILED_LOGINS {
        let _ = accounts::check_login(&app.catalog.db, "nobody-at-all", &format!("g{i}")).await;
    }
    let err = accounts::check_login(&app.catalog.db, "nobody-at-all", "x")
        .await
        .expect_err("paused");
    assert_eq!(err.to_string(), paused);
}

#[tokio::test]
async fn password_hashing_does_not_stall_other_requests() {
    let app = TestApp::new().await;
    accounts::create_user(&app.catalog.db, "busy", None, None, false)
        .await
        .expect("user");
    accounts::set_password(&app.catalog.db, "busy", "correct horse battery")
        .await
        .expect("password");
    // A current-thread runtime has one thread: if hashing ran on it, the
    // ticker below could not tick while 8 sign-ins hash.
    let ticks = std::sync::Arc::new(std::sync::atomic::AtomicU32::new(0));
    let ticker = {
        let ticks = ticks.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
                ticks.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
        })
    };
    let logins = futures::future::join_all((0..8).map(|_| {
        let db = app.catalog.db.clone();
        async move {
            let started = std::time::Instant::now();
            let r = accounts::check_login(&db, "busy", "correct horse battery").await;
            (r.is_ok(), started.elapsed())
        }
    }))
    .await;
    ticker.abort();
    assert!(logins.iter().all(|(ok, _)| *ok));
    let slowest = logins.iter().map(|(_, d)| *d).max().unwrap_or_default();
    // While the hashes ran, the runtime kept ticking (about every 5 ms).
    let expected = (slowest.as_millis() / 5) as u32;
    let got = ticks.load(std::sync::atomic::Ordering::Relaxed);
    assert!(
        got * 3 >= expected,
        "the runtime ticked {got} times in {slowest:?}: it was blocked"
    );
}

// ---------------------------------------------------------------------------
// 7. Only same-origin paths are followed after sign-in.

#[tokio::test]
async fn sign_in_never_redirects_off_site() {
    let app = TestApp::new().await;
    accounts::create_user(&app.catalog.db, "nina", None, None, false)
        .await
        .expect("user");
    accounts::set_password(&app.catalog.db, "nina", "correct horse battery")
        .await
        .expect("password");
    for next in [
        "/\t/evil.example",
        "/\n/evil.example",
        "/\r\n/evil.example",
        "/ /evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "//evil.example",
        "/\u{b}/evil.example",
        "https://evil.example/",
        "javascript:alert(1)",
        "/%09/evil.example",
    ] {
        let mut b = Browser::new(app.router.clone());
        let (s, html) = b.get("/login").await;
        assert_eq!(s, StatusCode::OK);
        let token = csrf_of(&html);
        let (s, to) = b
            .post(
                "/login",
                &[
                    ("csrf", token.as_str()),
                    ("username", "nina"),
                    ("password", "correct horse battery"),
                    ("next", next),
                ],
            )
            .await;
        assert_eq!(s, StatusCode::SEE_OTHER, "{next:?}: {to}");
        assert!(
            to.starts_with('/')
                && !to.starts_with("//")
                && !to.contains('\\')
                && !to.contains("evil.example")
                || to == "/%09/evil.example",
            "{next:?} redirected to {to:?}"
        );
    }
    assert_eq!(
        appcat::web::forms::safe_next("/apps?q=a b"),
        None,
        "whitespace is refused"
    );
    assert_eq!(
        appcat::web::forms::safe_next("/apps/x?q=%3C").as_deref(),
        Some("/apps/x?q=%3C")
    );
}

// ---------------------------------------------------------------------------
// 8. A bundle goes through the checks an upload does.

fn tar_bundle(manifest: &Value, files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    let text = serde_json::to_vec(manifest).expect("json");
    let mut add = |path: &str, data: &[u8]| {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        builder.append_data(&mut h, path, data).expect("append");
    };
    add("manifest.json", &text);
    for (p, d) in files {
        add(p, d);
    }
    builder.into_inner().expect("tar")
}

#[tokio::test]
async fn bundle_import_validates_like_an_upload() {
    use sha2::Digest;
    let t = tenants().await;
    let app = &t.app;
    let import = |bytes: Vec<u8>| {
        let a = t.a.clone();
        async move {
            let req = Request::builder()
                .method(Method::POST)
                .uri("/api/v1/bundles")
                .header("x-auth-token", a)
                .header("content-type", "application/x-tar")
                .body(Body::from(bytes))
                .expect("request");
            let (s, _, body) = app.send(req).await;
            (
                s,
                serde_json::from_slice::<Value>(&body).unwrap_or(Value::Null),
            )
        }
    };
    let count = || async {
        let (_, v) = app.get("/api/v1/artifacts/all?limit=100", Some(&t.a)).await;
        v["artifacts"].as_array().map_or(0, Vec::len)
    };
    // A garbage "Murano package" is refused, and nothing is created.
    let garbage = b"this is not a zip".to_vec();
    let sha = hex::encode(sha2::Sha256::digest(&garbage));
    let manifest = json!({
        "format": "appcat-bundle/1",
        "root": "a",
        "artifacts": [{
            "key": "a", "type_name": "murano_packages", "type_version": "1.0.0",
            "name": "io.x.App", "version": "1.0.0", "status": "active", "fields": {},
            "blobs": [{"field": "package", "key": "", "external": false, "sha256": sha,
                       "size": garbage.len(), "content_type": "application/zip",
                       "path": format!("blobs/{sha}")}]
        }]
    });
    let before = count().await;
    let (s, v) = import(tar_bundle(
        &manifest,
        &[(&format!("blobs/{sha}"), &garbage)],
    ))
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert!(error_message(&v).contains("invalid bundle"), "{v}");
    assert_eq!(count().await, before);
    // An invalid requirement string is refused too.
    let manifest = json!({
        "format": "appcat-bundle/1",
        "root": "a",
        "artifacts": [{
            "key": "a", "type_name": "murano_packages", "type_version": "1.0.0",
            "name": "io.x.Lib", "version": "1.0.0",
            "status": "drafted", "fields": {"requires": [{"name": "dep", "version": ">=1.0, <<2"}]},
            "blobs": []
        }]
    });
    let (s, v) = import(tar_bundle(&manifest, &[])).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(count().await, before);
}

// ---------------------------------------------------------------------------
// 10. Deeply nested YAML is refused at once.

#[tokio::test]
async fn nested_yaml_in_a_package_is_refused_quickly() {
    let t = tenants().await;
    let app = &t.app;
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    zip.start_file(
        "manifest.yaml",
        zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated),
    )
    .expect("file");
    std::io::Write::write_all(
        &mut zip,
        format!("Format: 1.0\nFullName: {}\n", "[".repeat(100_000)).as_bytes(),
    )
    .expect("write");
    let bytes = zip.finish().expect("zip").into_inner();
    let id = app
        .create(
            "murano_packages",
            &t.a,
            json!({"name": "deep", "version": "1.0.0"}),
        )
        .await;
    let (s, v) = app
        .put_blob(
            &format!("/api/v1/artifacts/murano_packages/{id}/package"),
            Some(&t.a),
            "application/zip",
            bytes,
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert!(error_message(&v).contains("nests deeper"), "{v}");
}

// ---------------------------------------------------------------------------
// 11. Concurrent writers on one name never see a 5xx.

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writers_in_one_sequence_get_no_server_errors() {
    const WRITERS: usize = 8;
    const VERSIONS: usize = 10;
    let t = tenants().await;
    let app = &t.app;
    let mut tokens = Vec::new();
    for i in 0..WRITERS {
        tokens.push(
            app.user(
                &format!("writer{i}"),
                "acme",
                Some(Role::Member),
                false,
                ALL_SCOPES,
            )
            .await,
        );
    }
    let results =
        futures::future::join_all(tokens.iter().enumerate().map(|(w, token)| async move {
            let mut statuses = Vec::new();
            for v in 0..VERSIONS {
                for name in ["shared-a", "shared-b"] {
                    let (s, body) = app
                    .call(
                        Method::POST,
                        "/api/v1/artifacts/heat_templates",
                        Some(token),
                        Some(json!({"name": name, "version": format!("{w}.{v}.0"), "tags": ["x"]})),
                    )
                    .await;
                    statuses.push(s);
                    if let Some(id) = body["id"].as_str() {
                        let uri = format!("/api/v1/artifacts/heat_templates/{id}");
                        let (s, _) = app
                            .patch(
                                &uri,
                                Some(token),
                                json!([{"op": "add", "path": "/tags/-", "value": format!("w{w}")},
                                   {"op": "replace", "path": "/description", "value": "d"}]),
                            )
                            .await;
                        statuses.push(s);
                        let (s, _) = app
                            .put_blob(
                                &format!("{uri}/template"),
                                Some(token),
                                "application/x-yaml",
                                b"heat_template_version: 2016-10-14\n".to_vec(),
                            )
                            .await;
                        statuses.push(s);
                    }
                }
            }
            statuses
        }))
        .await;
    let all: Vec<StatusCode> = results.into_iter().flatten().collect();
    let errors: Vec<&StatusCode> = all.iter().filter(|s| s.is_server_error()).collect();
    assert!(
        errors.is_empty(),
        "{} server errors: {errors:?}",
        errors.len()
    );
    let mut seen = std::collections::BTreeMap::new();
    for s in &all {
        *seen.entry(s.as_u16()).or_insert(0) += 1;
    }
    assert_eq!(all.len(), WRITERS * VERSIONS * 2 * 3, "{seen:?}");
}

// ---------------------------------------------------------------------------
// 12, 13, 14, 15. Limits and malformed input: 4xx, never 5xx or a panic.

#[tokio::test]
async fn limits_nul_bytes_overflows_and_large_bodies_are_client_errors() {
    let t = tenants().await;
    let app = &t.app;
    let create = |body: Value| {
        let a = t.a.clone();
        async move {
            app.call(
                Method::POST,
                "/api/v1/artifacts/murano_packages",
                Some(&a),
                Some(body),
            )
            .await
        }
    };
    // Too many links.
    let links: Vec<Value> = (0..2000)
        .map(|i| json!({"name": format!("lib{i}")}))
        .collect();
    let (s, v) = create(json!({"name": "many", "version": "1.0.0", "requires": links})).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert!(error_message(&v).contains("at most"), "{v}");
    // Too many tags, list items.
    let tags: Vec<String> = (0..1000).map(|i| format!("t{i}")).collect();
    let (s, _) = create(json!({"name": "tags", "version": "1.0.0", "tags": tags})).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let id = app
        .create(
            "murano_packages",
            &t.a,
            json!({"name": "patchme", "version": "1.0.0"}),
        )
        .await;
    let uri = format!("/api/v1/artifacts/murano_packages/{id}");
    let ops: Vec<Value> = (0..2000)
        .map(|i| json!({"op": "add", "path": "/tags/-", "value": format!("t{i}")}))
        .collect();
    let (s, v) = app.patch(&uri, Some(&t.a), json!(ops)).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    // NUL bytes, everywhere a string goes.
    for body in [
        json!({"name": "a\u{0}b", "version": "1.0.0"}),
        json!({"name": "nul", "version": "1.0.0", "description": "x\u{0}y"}),
        json!({"name": "nul", "version": "1.0.0", "tags": ["a\u{0}"]}),
        json!({"name": "nul", "version": "1.0.0", "metadata": {"k\u{0}": "v"}}),
        json!({"name": "nul", "version": "1.0.0", "requires": [{"name": "x\u{0}"}]}),
    ] {
        let (s, v) = create(body.clone()).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{body}: {v}");
        error_message(&v);
    }
    let (s, _) = app
        .patch(
            &uri,
            Some(&t.a),
            json!([{"op": "add", "path": "/description", "value": "\u{0}"}]),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, v) = app
        .get(
            "/api/v1/artifacts/murano_packages?name=eq:a%00b",
            Some(&t.a),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    error_message(&v);
    // Overflowing numbers in version specs.
    for q in [
        "version=spec:%5E18446744073709551615",
        "version=spec:~18446744073709551615.18446744073709551615",
        "version=gte:18446744073709551616.0.0",
        "version=spec:%3C%3D18446744073709551615.18446744073709551615.18446744073709551615",
    ] {
        let (s, v) = app
            .get(
                &format!("/api/v1/artifacts/murano_packages?{q}"),
                Some(&t.a),
            )
            .await;
        assert!(
            s.is_success() || s == StatusCode::BAD_REQUEST,
            "{q}: {s} {v}"
        );
    }
    let (s, v) = create(json!({"name": "huge", "version": "1.0.0", "requires": [{"name": "x", "version": "^18446744073709551615"}]})).await;
    assert!(s.is_success() || s == StatusCode::BAD_REQUEST, "{s} {v}");
    // A body over the JSON limit is 413 in the error shape.
    let big = "x".repeat(3 * 1024 * 1024);
    let (s, v) = create(json!({"name": "big", "version": "1.0.0", "description": big})).await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE, "{v}");
    error_message(&v);
}

// ---------------------------------------------------------------------------
// 16. Security headers.

#[tokio::test]
async fn responses_carry_security_headers() {
    let t = tenants().await;
    let app = &t.app;
    let id = app.active_template(&t.a, "headers", "1.0.0").await;
    let token = t.a.clone();
    let get = |uri: String| {
        let token = token.clone();
        async move {
            let (s, h, _) = app
                .send(
                    Request::builder()
                        .uri(uri)
                        .header("x-auth-token", &token)
                        .body(Body::empty())
                        .expect("request"),
                )
                .await;
            (s, h)
        }
    };
    let (s, h) = get("/apps".to_owned()).await;
    assert_eq!(s, StatusCode::OK);
    let csp = h
        .get(header::CONTENT_SECURITY_POLICY)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(csp.contains("script-src 'self' 'nonce-"), "{csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    for (s, h) in [
        get("/apps".to_owned()).await,
        get("/api/v1/artifacts/heat_templates".to_owned()).await,
        get(format!("/api/v1/artifacts/heat_templates/{id}/template")).await,
        get("/no/such/page".to_owned()).await,
    ] {
        assert!(s.is_success() || s == StatusCode::NOT_FOUND, "{s}");
        assert_eq!(
            h.get(header::X_CONTENT_TYPE_OPTIONS).map(|v| v.as_bytes()),
            Some(&b"nosniff"[..])
        );
        assert_eq!(
            h.get(header::X_FRAME_OPTIONS).map(|v| v.as_bytes()),
            Some(&b"DENY"[..])
        );
        assert!(h.get(header::REFERRER_POLICY).is_some());
        assert!(h.get(header::CONTENT_SECURITY_POLICY).is_some());
    }
    // The nonce in the header is the nonce on the page's scripts.
    let mut b = Browser::new(app.router.clone());
    let req = b
        .request(Method::GET, "/apps")
        .body(Body::empty())
        .expect("request");
    let (_, h, html) = b.send(req).await;
    let csp = h[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap_or_default();
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .and_then(|r| r.split('\'').next())
        .unwrap_or_default();
    assert!(!nonce.is_empty());
    assert!(html.contains(&format!("nonce=\"{nonce}\"")), "{html}");
    // An uploaded HTML file is a download, sandboxed.
    let html_id = app
        .create("images", &t.a, json!({"name": "page", "version": "1.0.0"}))
        .await;
    let (s, v) = app
        .put_blob(
            &format!("/api/v1/artifacts/images/{html_id}/image"),
            Some(&t.a),
            "text/html",
            b"<script>alert(1)</script>".to_vec(),
        )
        .await;
    if s == StatusCode::OK {
        let (_, h) = get(format!("/api/v1/artifacts/images/{html_id}/image")).await;
        let disposition = h[header::CONTENT_DISPOSITION].to_str().unwrap_or_default();
        assert!(disposition.starts_with("attachment"), "{disposition}");
        let csp = h[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap_or_default();
        assert!(csp.contains("sandbox"), "{csp}");
    } else {
        assert!(s.is_client_error(), "{s} {v}");
    }
}

// ---------------------------------------------------------------------------
// 17. Download counts are not inflatable.

#[tokio::test]
async fn downloads_count_gets_once_per_address_whatever_the_user_agent() {
    let t = tenants().await;
    let app = &t.app;
    let id = app.active_template(&t.a, "counted", "1.0.0").await;
    make_public(app, &t.admin, "heat_templates", &id).await;
    let uri = format!("/api/v1/artifacts/heat_templates/{id}/template");
    let addr: SocketAddr = "203.0.113.7:4000".parse().expect("addr");
    for i in 0..20 {
        for method in [Method::GET, Method::HEAD] {
            let mut req = Request::builder()
                .method(method.clone())
                .uri(&uri)
                .header(header::USER_AGENT, format!("agent/{i}"))
                .header("x-forwarded-for", format!("198.51.100.{i}"))
                .body(Body::empty())
                .expect("request");
            req.extensions_mut().insert(ConnectInfo(addr));
            let (s, _, _) = app.send(req).await;
            assert_eq!(s, StatusCode::OK, "{method}");
        }
    }
    // Only HEAD from another address: never counted.
    let mut req = Request::builder()
        .method(Method::HEAD)
        .uri(&uri)
        .body(Body::empty())
        .expect("request");
    req.extensions_mut().insert(ConnectInfo::<SocketAddr>(
        "203.0.113.8:1".parse().expect("addr"),
    ));
    app.send(req).await;
    app.catalog
        .counter
        .flush(&app.catalog.db)
        .await
        .expect("flush");
    let (_, stats) = app
        .get(
            &format!("/api/v1/artifacts/heat_templates/{id}/stats"),
            None,
        )
        .await;
    assert_eq!(stats["downloads_total"], 1, "{stats}");
}

// ---------------------------------------------------------------------------
// 18. The share form changes nothing when the tenant is invalid.

#[tokio::test]
async fn sharing_with_an_unknown_tenant_changes_nothing() {
    let t = tenants().await;
    let app = &t.app;
    accounts::set_password(&app.catalog.db, "alice", "correct horse battery")
        .await
        .expect("password");
    let id = app.active_template(&t.a, "unshared", "1.0.0").await;
    let uri = format!("/api/v1/artifacts/heat_templates/{id}");
    let mut b = Browser::new(app.router.clone());
    let (s, _) = b.login("alice", "correct horse battery").await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let page = format!("/space/a/heat_templates/{id}");
    for tenant in ["no-such-tenant", "", "acme"] {
        let (s, _) = b
            .submit(&page, &page, &[("action", "share"), ("tenant", tenant)])
            .await;
        assert_eq!(s, StatusCode::SEE_OTHER);
        let (_, v) = app.get(&uri, Some(&t.a)).await;
        assert_eq!(v["visibility"], "private", "after sharing with {tenant:?}");
    }
    // Through the API: the same rule.
    let (s, v) = app
        .call(
            Method::POST,
            &format!("{uri}/members"),
            Some(&t.a),
            Some(json!({"tenant": "nope"})),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    let (_, v) = app.get(&uri, Some(&t.a)).await;
    assert_eq!(v["visibility"], "private");
    // A valid share makes it shared, through the form as through the API.
    let (s, _) = b
        .submit(&page, &page, &[("action", "share"), ("tenant", "rival")])
        .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (_, v) = app.get(&uri, Some(&t.a)).await;
    assert_eq!(v["visibility"], "shared");
}

/// Two transactions that lock the same rows in opposite orders deadlock on
/// PostgreSQL; the database aborts one. `db::retry`, which every write
/// service runs its transaction in, runs the aborted one again instead of
/// answering 500. (SQLite serialises writers and never deadlocks.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transaction_aborted_by_a_deadlock_is_retried() {
    use sea_orm::{ConnectionTrait, TransactionTrait};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU32, Ordering};
    let app = TestApp::new().await;
    if !app._db.is_postgres() {
        return;
    }
    let db = app.catalog.db.clone();
    db.execute_unprepared(
        "CREATE TABLE deadlock_probe (id INT PRIMARY KEY, v INT NOT NULL); \
         INSERT INTO deadlock_probe VALUES (1, 0), (2, 0)",
    )
    .await
    .expect("table");
    let barrier = Arc::new(tokio::sync::Barrier::new(2));
    let attempts = Arc::new(AtomicU32::new(0));
    let run = |first: i32, second: i32| {
        let (db, barrier, attempts) = (db.clone(), barrier.clone(), attempts.clone());
        tokio::spawn(async move {
            let once = Arc::new(std::sync::atomic::AtomicBool::new(true));
            appcat::db::retry(|| {
                let (db, barrier, attempts, once) =
                    (db.clone(), barrier.clone(), attempts.clone(), once.clone());
                async move {
                    attempts.fetch_add(1, Ordering::SeqCst);
                    let txn = db.begin().await?;
                    txn.execute_unprepared(&format!(
                        "UPDATE deadlock_probe SET v = v + 1 WHERE id = {first}"
                    ))
                    .await?;
                    // Both hold their first row before either asks for
                    // its second: a deadlock on the first attempt.
                    if once.swap(false, Ordering::SeqCst) {
                        barrier.wait().await;
                    }
                    txn.execute_unprepared(&format!(
                        "UPDATE deadlock_probe SET v = v + 1 WHERE id = {second}"
                    ))
                    .await?;
                    txn.commit().await?;
                    Ok(())
                }
            })
            .await
        })
    };
    let (a, b) = tokio::join!(run(1, 2), run(2, 1));
    assert!(a.expect("task").is_ok() && b.expect("task").is_ok());
    assert!(
        attempts.load(Ordering::SeqCst) >= 3,
        "one transaction was aborted and run again"
    );
    let row = db
        .query_one(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SELECT SUM(v) AS total FROM deadlock_probe",
        ))
        .await
        .expect("query")
        .expect("row");
    let total: i64 = row.try_get("", "total").expect("total");
    assert_eq!(total, 4, "both transactions took effect exactly once");
}
