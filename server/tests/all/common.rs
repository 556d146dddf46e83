//! Test harness: a fresh database per test, the app router, and helpers.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use appcat::AppState;
use appcat::caller::Role;
use appcat::services::{Catalog, Limits, accounts};
use appcat::storage::BlobStore;
use appcat::types::TypeRegistry;
use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use bytes::Bytes;
use http_body_util::BodyExt;
use leptos::config::LeptosOptions;
use sea_orm::DatabaseConnection;
use serde_json::{Value, json};
use tower::ServiceExt;

#[path = "../support/test_db.rs"]
mod test_db;
pub use test_db::TestDb;

pub struct TestApp {
    pub catalog: Catalog,
    pub router: Router,
    pub dir: tempfile::TempDir,
    /// Kept alive for the test: dropping it drops a PostgreSQL database.
    pub _db: TestDb,
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A name no other call in this process returns.
pub fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", COUNTER.fetch_add(1, Ordering::Relaxed))
}

pub async fn connect(db: &TestDb) -> DatabaseConnection {
    let conn = appcat::db::connect(&db.url, 8).await.expect("connect");
    appcat::db::migrate(&conn).await.expect("migrate");
    conn
}

impl TestApp {
    pub async fn new() -> TestApp {
        Self::with(Limits::default(), None).await
    }

    pub async fn with(limits: Limits, types_dir: Option<&Path>) -> TestApp {
        Self::with_web(limits, types_dir, appcat::state::Web::open()).await
    }

    /// A second router on the same database and blob store: another replica.
    pub fn replica(&self) -> Router {
        let leptos_options = LeptosOptions::builder()
            .output_name("appcat")
            .site_root(self.dir.path().join("site").display().to_string())
            .build();
        appcat::app(
            AppState {
                catalog: self.catalog.clone(),
                leptos_options,
                web: std::sync::Arc::new(appcat::state::Web::open()),
            },
            Duration::from_secs(30),
        )
    }

    pub async fn with_web(
        limits: Limits,
        types_dir: Option<&Path>,
        web: appcat::state::Web,
    ) -> TestApp {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = TestDb::new(dir.path()).await;
        let conn = connect(&db).await;
        let types = TypeRegistry::load(types_dir).expect("types load");
        types.sync(&conn).await.expect("types sync");
        let store = BlobStore::local(&dir.path().join("blobs")).expect("blob store");
        let catalog = Catalog {
            db: conn,
            types: Arc::new(types),
            store,
            limits,
            counter: Default::default(),
            lists: Default::default(),
        };
        let leptos_options = LeptosOptions::builder()
            .output_name("appcat")
            .site_root(dir.path().join("site").display().to_string())
            .build();
        let state = AppState {
            catalog: catalog.clone(),
            leptos_options,
            web: std::sync::Arc::new(web),
        };
        let router = appcat::app(state, Duration::from_secs(30));
        TestApp {
            catalog,
            router,
            dir,
            _db: db,
        }
    }

    pub async fn tenant(&self, id: &str) {
        accounts::create_tenant(&self.catalog.db, id, None)
            .await
            .expect("tenant");
    }

    /// A user with a token acting in `tenant` (created if missing).
    pub async fn user(
        &self,
        name: &str,
        tenant: &str,
        role: Option<Role>,
        admin: bool,
        scopes: &str,
    ) -> String {
        let db = &self.catalog.db;
        if accounts::find_user(db, name).await.is_err() {
            accounts::create_user(db, name, None, None, admin)
                .await
                .expect("user");
        }
        if accounts::list_tenants(db)
            .await
            .expect("tenants")
            .iter()
            .all(|t| t.id != tenant)
        {
            self.tenant(tenant).await;
        }
        if let Some(role) = role {
            accounts::set_membership(db, name, tenant, role)
                .await
                .expect("membership");
        }
        accounts::create_token(db, name, tenant, "test", scopes, None)
            .await
            .expect("token")
            .secret
    }

    pub async fn send(&self, req: Request<Body>) -> (StatusCode, HeaderMap, Bytes) {
        let res = self.router.clone().oneshot(req).await.expect("infallible");
        let status = res.status();
        let headers = res.headers().clone();
        let body = res.into_body().collect().await.expect("body").to_bytes();
        (status, headers, body)
    }

    pub async fn call(
        &self,
        method: Method,
        uri: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = Request::builder().method(method.clone()).uri(uri);
        if let Some(t) = token {
            req = req.header("x-auth-token", t);
        }
        let body = match body {
            Some(v) => {
                let ct = if method == Method::PATCH {
                    "application/json-patch+json"
                } else {
                    "application/json"
                };
                req = req.header("content-type", ct);
                Body::from(v.to_string())
            }
            None => Body::empty(),
        };
        let (status, _, bytes) = self.send(req.body(body).expect("request")).await;
        let value = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or(Value::Null)
        };
        (status, value)
    }

    pub async fn get(&self, uri: &str, token: Option<&str>) -> (StatusCode, Value) {
        self.call(Method::GET, uri, token, None).await
    }

    pub async fn put_blob(
        &self,
        uri: &str,
        token: Option<&str>,
        content_type: &str,
        data: Vec<u8>,
    ) -> (StatusCode, Value) {
        let mut req = Request::builder()
            .method(Method::PUT)
            .uri(uri)
            .header("content-type", content_type);
        if let Some(t) = token {
            req = req.header("x-auth-token", t);
        }
        let req = req
            .header("content-length", data.len())
            .body(Body::from(data))
            .expect("request");
        let (status, _, bytes) = self.send(req).await;
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }

    pub async fn patch(&self, uri: &str, token: Option<&str>, ops: Value) -> (StatusCode, Value) {
        self.call(Method::PATCH, uri, token, Some(ops)).await
    }

    /// Creates an artifact and returns its id; panics unless 201.
    pub async fn create(&self, type_name: &str, token: &str, body: Value) -> String {
        let (status, v) = self
            .call(
                Method::POST,
                &format!("/api/v1/artifacts/{type_name}"),
                Some(token),
                Some(body),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{v}");
        v["id"].as_str().expect("id").to_owned()
    }

    /// A heat template with its template blob, activated.
    pub async fn active_template(&self, token: &str, name: &str, version: &str) -> String {
        self.active_with_blob(
            token,
            ("heat_templates", "template"),
            b"heat_template_version: 2016-10-14\n",
            name,
            version,
        )
        .await
    }

    /// An artifact of `type_name` with one YAML blob in `field`, activated.
    pub async fn active_with_blob(
        &self,
        token: &str,
        (type_name, field): (&str, &str),
        data: &[u8],
        name: &str,
        version: &str,
    ) -> String {
        self.active_from(
            token,
            (type_name, field),
            ("application/x-yaml", data),
            json!({"name": name, "version": version}),
        )
        .await
    }

    /// An artifact of `type_name` created from `body`, with one blob of
    /// `content_type` in `field`, activated.
    pub async fn active_from(
        &self,
        token: &str,
        (type_name, field): (&str, &str),
        (content_type, data): (&str, &[u8]),
        body: Value,
    ) -> String {
        let id = self.create(type_name, token, body).await;
        let uri = format!("/api/v1/artifacts/{type_name}/{id}");
        let (s, v) = self
            .put_blob(
                &format!("{uri}/{field}"),
                Some(token),
                content_type,
                data.to_vec(),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let (s, v) = self
            .patch(
                &uri,
                Some(token),
                json!([{"op": "replace", "path": "/status", "value": "active"}]),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        id
    }
}

/// Asserts the error shape and returns the message.
pub fn error_message(v: &Value) -> String {
    assert!(v["code"].is_u64(), "not an error body: {v}");
    assert!(
        v["title"].is_string() && v["explanation"].is_string(),
        "{v}"
    );
    assert!(v["error"]["type"].is_string(), "{v}");
    v["error"]["message"].as_str().expect("message").to_owned()
}
