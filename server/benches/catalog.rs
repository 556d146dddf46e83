//! In-process benchmarks of the API on the embedded SQLite database:
//! listing 25 of 10 000 artifacts with a version filter, showing one, and
//! creating one. Blob throughput and memory are measured against the real
//! server by `benches/blob_transfer.sh` (see docs/BENCHMARKS.md).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use appcat::AppState;
use appcat::caller::Role;
use appcat::services::{Catalog, Limits, accounts, artifacts};
use appcat::storage::BlobStore;
use appcat::types::TypeRegistry;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use criterion::{Criterion, criterion_group, criterion_main};
use http_body_util::BodyExt;
use leptos::config::LeptosOptions;
use serde_json::json;
use tower::ServiceExt;

const NAMES: usize = 1000;
const VERSIONS: usize = 10;

struct Fixture {
    router: axum::Router,
    counter: std::sync::Arc<appcat::services::stats::Counter>,
    db: sea_orm::DatabaseConnection,
    token: String,
    some_id: String,
    _dir: tempfile::TempDir,
}

async fn setup() -> Fixture {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("bench.db").display()
    );
    let db = appcat::db::connect(&url, 8).await.expect("connect");
    appcat::db::migrate(&db).await.expect("migrate");
    let types = TypeRegistry::load(None).expect("types");
    types.sync(&db).await.expect("sync");
    let store = BlobStore::local(&dir.path().join("blobs")).expect("store");
    let catalog = Catalog {
        db: db.clone(),
        types: Arc::new(types),
        store,
        limits: Limits::default(),
        counter: Default::default(),
        lists: Default::default(),
    };
    accounts::create_tenant(&db, "acme", None)
        .await
        .expect("tenant");
    accounts::create_user(&db, "alice", None, None, false)
        .await
        .expect("user");
    accounts::set_membership(&db, "alice", "acme", Role::Admin)
        .await
        .expect("member");
    let token = accounts::create_token(&db, "alice", "acme", "bench", "read,write,publish", None)
        .await
        .expect("token")
        .secret;
    let state_caller = appcat::services::accounts::authenticate_token(&db, &token)
        .await
        .expect("caller");
    let mut some_id = String::new();
    for n in 0..NAMES {
        for v in 0..VERSIONS {
            let body = json!({"name": format!("app-{n:04}"), "version": format!("{}.{}.0", v / 3, v),
                              "tags": ["bench", if n % 2 == 0 { "even" } else { "odd" }],
                              "disk_format": "qcow2", "min_ram": n});
            let created = artifacts::create(&catalog, &state_caller, "images", body)
                .await
                .expect("create");
            if some_id.is_empty() {
                some_id = created.id;
            }
        }
    }
    let stats_counter = catalog.counter.clone();
    let state = AppState {
        catalog,
        leptos_options: LeptosOptions::builder().output_name("appcat").build(),
        web: std::sync::Arc::new(appcat::state::Web::open()),
    };
    Fixture {
        router: appcat::app(state, Duration::from_secs(30)),
        counter: stats_counter,
        db: db.clone(),
        token,
        some_id,
        _dir: dir,
    }
}

async fn call(f: &Fixture, method: &str, uri: &str, body: Option<String>) -> StatusCode {
    let mut req = Request::builder()
        .method(method)
        .uri(uri)
        .header("x-auth-token", &f.token);
    if body.is_some() {
        req = req.header("content-type", "application/json");
    }
    let req = req
        .body(body.map(Body::from).unwrap_or_else(Body::empty))
        .expect("request");
    let res = f.router.clone().oneshot(req).await.expect("infallible");
    let status = res.status();
    let _ = res.into_body().collect().await.expect("body");
    status
}

fn catalog(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let f = rt.block_on(setup());
    let counter = AtomicU64::new(0);
    let mut group = c.benchmark_group("api");
    group.sample_size(50);
    group.bench_function("list 25 of 10000, version>=2.0", |b| {
        b.to_async(&rt).iter(|| async {
            assert_eq!(
                call(
                    &f,
                    "GET",
                    "/api/v1/artifacts/images?version=gte:2.0&limit=25",
                    None
                )
                .await,
                StatusCode::OK
            )
        })
    });
    group.bench_function("list 25 of 10000, version=latest", |b| {
        b.to_async(&rt).iter(|| async {
            assert_eq!(
                call(
                    &f,
                    "GET",
                    "/api/v1/artifacts/images?version=latest&limit=25",
                    None
                )
                .await,
                StatusCode::OK
            )
        })
    });
    group.bench_function("list 25 of 10000, spec + tag + sort", |b| {
        b.to_async(&rt).iter(|| async {
            let uri =
                "/api/v1/artifacts/images?version=spec:%5E1.2&tags=even&sort=name:asc&limit=25";
            assert_eq!(call(&f, "GET", uri, None).await, StatusCode::OK)
        })
    });
    let show = format!("/api/v1/artifacts/images/{}", f.some_id);
    group.bench_function("get one", |b| {
        b.to_async(&rt)
            .iter(|| async { assert_eq!(call(&f, "GET", &show, None).await, StatusCode::OK) })
    });
    group.bench_function("create one", |b| {
        b.to_async(&rt).iter(|| async {
            let n = counter.fetch_add(1, Ordering::Relaxed);
            let body =
                json!({"name": format!("new-{n}"), "version": "1.0.0", "tags": ["x"]}).to_string();
            assert_eq!(
                call(&f, "POST", "/api/v1/artifacts/images", Some(body)).await,
                StatusCode::CREATED
            )
        })
    });
    // Downloads and their counting: a 64 KiB blob through the API (counted
    // once per client and window), the counter's hit alone for a new
    // client each time, and a batched write of 1 000 artifact-days.
    let blob = format!("/api/v1/artifacts/images/{}/image", f.some_id);
    rt.block_on(async {
        let req = Request::builder()
            .method("PUT")
            .uri(&blob)
            .header("x-auth-token", &f.token)
            .header("content-type", "application/octet-stream")
            .body(Body::from(vec![7u8; 64 * 1024]))
            .expect("request");
        let res = f.router.clone().oneshot(req).await.expect("infallible");
        assert_eq!(res.status(), StatusCode::OK);
    });
    group.bench_function("download 64 KiB blob (counted)", |b| {
        b.to_async(&rt)
            .iter(|| async { assert_eq!(call(&f, "GET", &blob, None).await, StatusCode::OK) })
    });
    let hits = AtomicU64::new(0);
    group.bench_function("count a download (new client)", |b| {
        b.iter(|| {
            let n = hits.fetch_add(1, Ordering::Relaxed);
            f.counter.hit(
                appcat::services::stats::Kind::Download,
                &f.some_id,
                &format!("addr:10.0.{}.{}|bench", n / 250, n % 250),
            )
        })
    });
    group.finish();
    let mut flush = c.benchmark_group("stats");
    flush.sample_size(10);
    let ids: Vec<String> = rt.block_on(async {
        use sea_orm::{EntityTrait, QuerySelect};
        appcat::entities::artifact::Entity::find()
            .select_only()
            .column(appcat::entities::artifact::Column::Id)
            .limit(1000)
            .into_tuple()
            .all(&f.db)
            .await
            .expect("ids")
    });
    flush.bench_function("flush 1000 artifact-days", |b| {
        b.to_async(&rt).iter(|| async {
            for id in &ids {
                f.counter.hit(
                    appcat::services::stats::Kind::View,
                    id,
                    &format!("c{}", hits.fetch_add(1, Ordering::Relaxed)),
                );
            }
            f.counter.flush(&f.db).await.expect("flush")
        })
    });
    flush.finish();
}

criterion_group!(benches, catalog);
criterion_main!(benches);
