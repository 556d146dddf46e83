//! Crash safety of uploads (docs/CRASH-SAFETY.md).
//!
//! `kill_during_uploads` runs the real `appcat` binary, kills it with
//! SIGKILL while uploads are in flight, starts it again on the same
//! database and data directory and checks, within the bound
//! (`APPCAT_STALE_UPLOAD_SECS` + `APPCAT_UPLOAD_SWEEP_SECS`), that no blob
//! is left `saving`, that no stored file is left that no row references,
//! and that every upload answered 200 before the kill downloads intact.
//!
//! `orphan_sweep_*` drive the sweeps through the library.
//!
//! SQLite by default; with `APPCAT_TEST_DATABASE_URL` (a PostgreSQL admin
//! URL) each test creates and drops a PostgreSQL database of its own.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use appcat::caller::Caller;
use appcat::services::view::ArtifactView;
use appcat::services::{Catalog, artifacts, blobs};
use bytes::Bytes;
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Seconds without a heartbeat before an upload counts as abandoned.
const STALE_SECS: u64 = 3;
/// Seconds between sweeps for abandoned uploads.
const SWEEP_SECS: u64 = 1;
/// The most an abandoned upload waits for its rollback once a server runs.
const BOUND: Duration = Duration::from_secs(STALE_SECS + SWEEP_SECS);
/// Allowance for a loaded test machine on top of the bound.
const SLACK: Duration = Duration::from_secs(3);
/// Uploads in flight at the kill (first uploads and replacements).
const SLOW_FIRST: usize = 14;
const SLOW_REPLACING: usize = 3;
/// Uploads completed before the kill (besides the replaced ones).
const COMPLETE: usize = 3;
const SLOW_SIZE: usize = 1024 * 1024;

// ---------------------------------------------------------------- harness

// This binary does not ask which backend it runs on.
#[allow(dead_code)]
#[path = "support/test_db.rs"]
mod test_db;
use test_db::TestDb;

/// A data directory and database the binary runs on, again and again.
struct Env {
    db: TestDb,
    dir: tempfile::TempDir,
}

impl Env {
    async fn new() -> Env {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = TestDb::new(dir.path()).await;
        Env { db, dir }
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn blob_dir(&self) -> PathBuf {
        self.data_dir().join("blobs")
    }

    fn command(&self) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_appcat"));
        // A directory without `.env`, so only what is set here applies.
        c.current_dir(self.dir.path())
            .env("APPCAT_DATABASE_URL", &self.db.url)
            .env("APPCAT_DATA_DIR", self.data_dir())
            .env("APPCAT_STALE_UPLOAD_SECS", STALE_SECS.to_string())
            .env("APPCAT_UPLOAD_SWEEP_SECS", SWEEP_SECS.to_string())
            .env("APPCAT_ORPHAN_SWEEP_SECS", "3600")
            .env("APPCAT_ORPHAN_GRACE_SECS", "600")
            .env("APPCAT_LOG", "info,sqlx=warn,sea_orm_migration=warn")
            .env("LEPTOS_SITE_ROOT", self.dir.path().join("site"))
            .env_remove("APPCAT_TYPES_DIR")
            .env_remove("APPCAT_MAX_BLOB_SIZE");
        c
    }

    /// Runs a CLI command; its standard output.
    fn cli(&self, args: &[&str]) -> String {
        let out = self.command().args(args).output().expect("run appcat");
        assert!(
            out.status.success(),
            "appcat {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf-8")
    }

    async fn connect(&self) -> DatabaseConnection {
        appcat::db::connect(&self.db.url, 2).await.expect("connect")
    }
}

/// `appcat serve` on a free port of 127.0.0.1.
struct Server {
    child: Child,
    addr: String,
    log: PathBuf,
}

impl Server {
    async fn start(env: &Env, token: &str) -> Server {
        let client = reqwest::Client::new();
        let mut last_log = String::new();
        // A port found free may be taken before the server binds it: retry.
        for attempt in 0..5 {
            let port = std::net::TcpListener::bind("127.0.0.1:0")
                .and_then(|l| l.local_addr())
                .expect("free port")
                .port();
            let addr = format!("127.0.0.1:{port}");
            let log = env.dir.path().join(format!("serve-{port}-{attempt}.log"));
            let file = std::fs::File::create(&log).expect("log file");
            let child = env
                .command()
                .args(["serve", "--addr", &addr])
                .stdout(Stdio::null())
                .stderr(file)
                .spawn()
                .expect("start appcat serve");
            let mut server = Server { child, addr, log };
            let deadline = Instant::now() + Duration::from_secs(90);
            loop {
                if let Some(status) = server.child.try_wait().expect("try_wait") {
                    last_log = std::fs::read_to_string(&server.log).unwrap_or_default();
                    eprintln!("appcat serve exited ({status}), retrying:\n{last_log}");
                    break;
                }
                let ready = client
                    .get(server.url("/api/v1/artifacts/heat_templates"))
                    .header("x-auth-token", token)
                    .timeout(Duration::from_secs(5))
                    .send()
                    .await
                    .is_ok_and(|r| r.status() == 200);
                if ready {
                    return server;
                }
                assert!(
                    Instant::now() < deadline,
                    "appcat serve not ready in time:\n{}",
                    server.log_text()
                );
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
        panic!("appcat serve did not start:\n{last_log}");
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// SIGKILL: no shutdown code runs.
    fn kill(&mut self) {
        self.child.kill().expect("kill");
        self.child.wait().expect("wait");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An upload over a plain socket that sends `sent` bytes of `body` and
/// then stalls with the connection open.
struct SlowUpload {
    stream: TcpStream,
    rest: Vec<u8>,
}

impl SlowUpload {
    async fn start(server: &Server, token: &str, id: &str, body: &[u8], sent: usize) -> Self {
        let mut stream = TcpStream::connect(&server.addr).await.expect("connect");
        let head = format!(
            "PUT /api/v1/artifacts/heat_templates/{id}/template HTTP/1.1\r\n\
             Host: {}\r\nX-Auth-Token: {token}\r\nContent-Type: application/x-yaml\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n",
            server.addr,
            body.len()
        );
        stream.write_all(head.as_bytes()).await.expect("head");
        for chunk in body[..sent].chunks(sent.div_ceil(4).max(1)) {
            stream.write_all(chunk).await.expect("chunk");
            stream.flush().await.expect("flush");
        }
        SlowUpload {
            stream,
            rest: body[sent..].to_vec(),
        }
    }

    /// Sends the rest and returns the response's status and body.
    async fn finish(mut self) -> (u16, String) {
        self.stream.write_all(&self.rest).await.expect("rest");
        let mut response = Vec::new();
        tokio::time::timeout(
            Duration::from_secs(60),
            self.stream.read_to_end(&mut response),
        )
        .await
        .expect("response in time")
        .expect("read response");
        let text = String::from_utf8_lossy(&response).into_owned();
        let status = text
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        (status, text)
    }
}

fn body_for(i: usize, size: usize) -> Vec<u8> {
    let line = format!("# upload {i}: heat_template_version: 2016-10-14\n");
    line.bytes().cycle().take(size).collect()
}

fn sha256(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

async fn create_artifact(
    client: &reqwest::Client,
    server: &Server,
    token: &str,
    name: &str,
) -> String {
    let res = client
        .post(server.url("/api/v1/artifacts/heat_templates"))
        .header("x-auth-token", token)
        .json(&json!({"name": name, "version": "1.0.0"}))
        .send()
        .await
        .expect("create");
    assert_eq!(
        res.status(),
        201,
        "{}",
        res.text().await.unwrap_or_default()
    );
    let v: Value = res.json().await.expect("json");
    v["id"].as_str().expect("id").to_owned()
}

async fn put_template(
    client: &reqwest::Client,
    server: &Server,
    token: &str,
    id: &str,
    body: Vec<u8>,
) -> (u16, Value) {
    let res = client
        .put(server.url(&format!("/api/v1/artifacts/heat_templates/{id}/template")))
        .header("x-auth-token", token)
        .header("content-type", "application/x-yaml")
        .body(body)
        .timeout(Duration::from_secs(60))
        .send()
        .await
        .expect("upload");
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn download(client: &reqwest::Client, server: &Server, token: &str, id: &str) -> Vec<u8> {
    let res = client
        .get(server.url(&format!("/api/v1/artifacts/heat_templates/{id}/template")))
        .header("x-auth-token", token)
        .timeout(Duration::from_secs(60))
        .send()
        .await
        .expect("download");
    assert_eq!(res.status(), 200, "download of {id}");
    res.bytes().await.expect("bytes").to_vec()
}

async fn template_status(
    client: &reqwest::Client,
    server: &Server,
    token: &str,
    id: &str,
) -> Value {
    let res = client
        .get(server.url(&format!("/api/v1/artifacts/heat_templates/{id}")))
        .header("x-auth-token", token)
        .send()
        .await
        .expect("get");
    let v: Value = res.json().await.expect("json");
    v["template"]["status"].clone()
}

/// A blob row as the crash-safety checks see it.
#[derive(Debug)]
struct BlobRow {
    artifact_id: String,
    status: String,
    sha256: Option<String>,
    storage_key: Option<String>,
    upload_key: Option<String>,
}

async fn blob_rows(db: &DatabaseConnection) -> Vec<BlobRow> {
    let sql = "SELECT artifact_id, status, sha256, storage_key, upload_key FROM artifact_blobs";
    db.query_all(Statement::from_string(db.get_database_backend(), sql))
        .await
        .expect("blob rows")
        .into_iter()
        .map(|r| BlobRow {
            artifact_id: r.try_get("", "artifact_id").expect("artifact_id"),
            status: r.try_get("", "status").expect("status"),
            sha256: r.try_get("", "sha256").expect("sha256"),
            storage_key: r.try_get("", "storage_key").expect("storage_key"),
            upload_key: r.try_get("", "upload_key").expect("upload_key"),
        })
        .collect()
}

/// Every file below `root`, as `/`-separated paths relative to it.
fn files_under(root: &Path) -> BTreeSet<String> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeSet<String>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let rel = path.strip_prefix(root).expect("under root");
                let parts: Vec<_> = rel
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect();
                out.insert(parts.join("/"));
            }
        }
    }
    let mut out = BTreeSet::new();
    walk(root, root, &mut out);
    out
}

fn is_partial(name: &str) -> bool {
    name.rsplit_once('#')
        .is_some_and(|(_, n)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// Writes a file last modified `age` ago.
fn plant(path: &Path, age: Duration) {
    std::fs::create_dir_all(path.parent().expect("parent")).expect("dirs");
    std::fs::write(path, b"left behind").expect("write");
    let file = std::fs::File::options()
        .write(true)
        .open(path)
        .expect("open");
    file.set_modified(SystemTime::now() - age).expect("mtime");
}

// ------------------------------------------------------------------ tests

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_during_uploads() {
    let env = Env::new().await;
    env.cli(&["migrate"]);
    env.cli(&["tenant", "create", "acme"]);
    env.cli(&[
        "user", "create", "alice", "--tenant", "acme", "--role", "admin",
    ]);
    let token = env
        .cli(&["token", "create", "--user", "alice", "--tenant", "acme"])
        .trim()
        .to_owned();
    let client = reqwest::Client::new();
    let mut server = Server::start(&env, &token).await;

    let n = SLOW_FIRST + SLOW_REPLACING + COMPLETE;
    let mut ids = Vec::new();
    for i in 0..n {
        ids.push(create_artifact(&client, &server, &token, &format!("crash-{i}")).await);
    }
    let slow_first = &ids[..SLOW_FIRST];
    let replacing = &ids[SLOW_FIRST..SLOW_FIRST + SLOW_REPLACING];
    let complete = &ids[SLOW_FIRST + SLOW_REPLACING..];

    // The blobs being replaced are finished first.
    let mut answered: BTreeMap<String, String> = BTreeMap::new();
    for (i, id) in replacing.iter().enumerate() {
        let body = body_for(1000 + i, 70_000);
        let (s, v) = put_template(&client, &server, &token, id, body.clone()).await;
        assert_eq!(s, 200, "{v}");
        answered.insert(id.clone(), sha256(&body));
    }

    // Then all at once: stalled uploads (first ones and replacements) and
    // a few that complete.
    let stalled = futures::future::join_all(slow_first.iter().chain(replacing).enumerate().map(
        |(i, id)| {
            let body = body_for(i, SLOW_SIZE);
            let (server, token) = (&server, &token);
            async move { SlowUpload::start(server, token, id, &body, 64 * 1024 + i).await }
        },
    ));
    let completing = futures::future::join_all(complete.iter().enumerate().map(|(i, id)| {
        let body = body_for(2000 + i, 200_000 + i);
        let (client, server, token) = (&client, &server, &token);
        async move {
            let (s, v) = put_template(client, server, token, id, body.clone()).await;
            assert_eq!(s, 200, "{v}");
            (id.clone(), sha256(&body))
        }
    }));
    let (stalled, completed) = futures::join!(stalled, completing);
    answered.extend(completed);

    // Wait until every stalled upload holds its claim and has started its
    // partial file, so the kill hits them mid-write.
    let db = env.connect().await;
    let in_flight = SLOW_FIRST + SLOW_REPLACING;
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let saving = blob_rows(&db)
            .await
            .iter()
            .filter(|r| r.status == "saving" && r.upload_key.is_some())
            .count();
        let partial = files_under(&env.blob_dir())
            .iter()
            .filter(|f| is_partial(f))
            .count();
        if saving == in_flight && partial == in_flight {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "uploads not in flight: {saving} saving, {partial} partial files"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    server.kill();
    drop(stalled);
    let killed_at = Instant::now();

    // As the kill leaves it: claims without a writer and partial files.
    let rows = blob_rows(&db).await;
    assert_eq!(
        rows.iter().filter(|r| r.status == "saving").count(),
        in_flight
    );
    // Files a process killed between two steps could leave: one long ago
    // (swept) and one just now (kept: within the grace period).
    let old_orphan = format!("{}/template/{}", uuid::Uuid::new_v4(), uuid::Uuid::new_v4());
    let old_partial = format!("{}/template/{}#1", slow_first[0], uuid::Uuid::new_v4());
    let fresh_orphan = format!("{}/template/{}", uuid::Uuid::new_v4(), uuid::Uuid::new_v4());
    let two_hours = Duration::from_secs(7200);
    plant(&env.blob_dir().join(&old_orphan), two_hours);
    plant(&env.blob_dir().join(&old_partial), two_hours);
    plant(&env.blob_dir().join(&fresh_orphan), Duration::ZERO);

    let server = Server::start(&env, &token).await;
    let started = Instant::now();
    let deadline = started + BOUND + SLACK;
    loop {
        let saving = blob_rows(&db)
            .await
            .iter()
            .filter(|r| r.status == "saving")
            .count();
        let files = files_under(&env.blob_dir());
        let orphans_left = files.contains(&old_orphan) || files.contains(&old_partial);
        if saving == 0 && !orphans_left {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{saving} uploads still saving, old orphans left: {orphans_left}, {:?} after the \
             restart (bound {BOUND:?} + {SLACK:?})\n{}",
            started.elapsed(),
            server.log_text()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    eprintln!(
        "rolled back {:?} after the restart, {:?} after the kill",
        started.elapsed(),
        killed_at.elapsed()
    );

    // No blob saving; the killed first uploads are gone, the replaced
    // blobs restored; every stored file is referenced by a row.
    let rows = blob_rows(&db).await;
    assert!(rows.iter().all(|r| r.status == "active"), "{rows:?}");
    assert!(rows.iter().all(|r| r.upload_key.is_none()), "{rows:?}");
    for id in slow_first {
        assert!(
            rows.iter().all(|r| &r.artifact_id != id),
            "the killed first upload of {id} is rolled back"
        );
    }
    for id in replacing.iter().chain(complete) {
        let row = rows
            .iter()
            .find(|r| &r.artifact_id == id)
            .expect("a finished blob");
        assert_eq!(row.sha256.as_ref(), answered.get(id), "{id}");
    }
    let referenced: BTreeSet<String> = rows.iter().filter_map(|r| r.storage_key.clone()).collect();
    let files = files_under(&env.blob_dir());
    assert!(
        files.contains(&fresh_orphan),
        "a file younger than the grace period is kept"
    );
    let unreferenced: Vec<_> = files
        .iter()
        .filter(|f| **f != fresh_orphan && !referenced.contains(*f))
        .collect();
    assert!(
        unreferenced.is_empty(),
        "files no row references: {unreferenced:?}"
    );
    assert_eq!(
        referenced.len(),
        SLOW_REPLACING + COMPLETE,
        "every finished blob still has its file"
    );

    // Every upload that answered 200 downloads intact.
    for (id, sum) in &answered {
        assert_eq!(&sha256(&download(&client, &server, &token, id).await), sum);
    }

    // The rolled-back slots take uploads again; a live upload that stalls
    // for longer than the bound keeps its claim through its heartbeat and
    // completes.
    let body = body_for(3000, 10_000);
    let (s, v) = put_template(&client, &server, &token, &slow_first[1], body.clone()).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        sha256(&download(&client, &server, &token, &slow_first[1]).await),
        sha256(&body)
    );
    let live_id = &slow_first[0];
    let body = body_for(4000, 100_000);
    let live = SlowUpload::start(&server, &token, live_id, &body, 1000).await;
    let deadline = Instant::now() + Duration::from_secs(30);
    while template_status(&client, &server, &token, live_id).await != "saving" {
        assert!(Instant::now() < deadline, "the live upload never claimed");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let watch_until = Instant::now() + BOUND * 2;
    while Instant::now() < watch_until {
        assert_eq!(
            template_status(&client, &server, &token, live_id).await,
            "saving",
            "a live upload keeps its claim"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let (status, response) = live.finish().await;
    assert_eq!(status, 200, "{response}");
    assert_eq!(
        sha256(&download(&client, &server, &token, live_id).await),
        sha256(&body)
    );
    drop(server);
    db.close().await.ok();
}

/// A catalog on the test's database, as `appcat` opens it.
async fn open(env: &Env) -> Catalog {
    let data_dir = env.data_dir();
    let cli = <appcat::cli::Cli as clap::Parser>::try_parse_from([
        "appcat",
        "--database-url",
        env.db.url.as_str(),
        "--data-dir",
        data_dir.to_str().expect("utf-8 path"),
        "--stale-upload-secs",
        &STALE_SECS.to_string(),
        "migrate",
    ])
    .expect("arguments");
    appcat::cli::open_catalog(&cli.config)
        .await
        .expect("open catalog")
}

async fn draft(catalog: &Catalog, name: &str) -> String {
    let v = artifacts::create(
        catalog,
        &Caller::system("acme"),
        "heat_templates",
        json!({"name": name, "version": "1.0.0"}),
    )
    .await
    .expect("create");
    v.id
}

type Chunks = futures::channel::mpsc::UnboundedReceiver<Result<Bytes, std::io::Error>>;

async fn upload(catalog: &Catalog, id: &str, body: Chunks) -> Result<ArtifactView, String> {
    blobs::upload(
        catalog,
        &Caller::system("acme"),
        "heat_templates",
        id,
        "template",
        None,
        Some("application/x-yaml"),
        None,
        body,
    )
    .await
    .map_err(|e| e.to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orphan_sweep_keeps_young_and_referenced_files() {
    let env = Env::new().await;
    let catalog = open(&env).await;
    appcat::services::accounts::create_tenant(&catalog.db, "acme", None)
        .await
        .expect("tenant");
    let root = env.blob_dir();
    let old = Duration::from_secs(7200);

    // A finished blob, its file unchanged for long.
    let done = draft(&catalog, "done").await;
    let (tx, rx) = futures::channel::mpsc::unbounded();
    tx.unbounded_send(Ok(Bytes::from_static(b"a: 1\n")))
        .expect("send");
    drop(tx);
    let v = upload(&catalog, &done, rx).await.expect("upload");
    assert_eq!(v.to_json()["template"]["status"], "active");
    let rows = blob_rows(&catalog.db).await;
    let kept = rows[0].storage_key.clone().expect("storage key");
    std::fs::File::options()
        .write(true)
        .open(root.join(&kept))
        .expect("open")
        .set_modified(SystemTime::now() - old)
        .expect("mtime");

    // An upload in progress whose client stalls: its partial file is old
    // too, but its row references it.
    let live = draft(&catalog, "live").await;
    let (tx, rx) = futures::channel::mpsc::unbounded();
    tx.unbounded_send(Ok(Bytes::from_static(b"b: ")))
        .expect("send");
    let task = {
        let (catalog, live) = (catalog.clone(), live.clone());
        tokio::spawn(async move { upload(&catalog, &live, rx).await })
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    let partial = loop {
        if let Some(p) = files_under(&root).into_iter().find(|f| is_partial(f)) {
            break p;
        }
        assert!(Instant::now() < deadline, "the upload never started");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    std::fs::File::options()
        .write(true)
        .open(root.join(&partial))
        .expect("open")
        .set_modified(SystemTime::now() - old)
        .expect("mtime");

    // Orphans: old ones (a file and a partial file), a fresh one, and an
    // old empty directory.
    let old_file = format!("{done}/template/{}", uuid::Uuid::new_v4());
    let old_partial = format!("{done}/template/{}#3", uuid::Uuid::new_v4());
    let fresh = format!("{live}/template/{}", uuid::Uuid::new_v4());
    plant(&root.join(&old_file), old);
    plant(&root.join(&old_partial), old);
    plant(&root.join(&fresh), Duration::ZERO);
    let empty = root.join("gone-artifact/template");
    std::fs::create_dir_all(&empty).expect("dir");
    for dir in [&empty, &root.join("gone-artifact")] {
        std::fs::File::open(dir)
            .expect("open dir")
            .set_modified(SystemTime::now() - old)
            .expect("dir mtime");
    }

    let deleted = blobs::sweep_orphans(&catalog, Duration::from_secs(600))
        .await
        .expect("sweep");
    assert_eq!(deleted, 2);
    let files = files_under(&root);
    assert_eq!(
        files,
        BTreeSet::from([kept.clone(), partial.clone(), fresh.clone()]),
        "referenced and young files stay"
    );
    assert!(!root.join("gone-artifact").exists(), "old empty dirs go");

    // The stalled upload outlives the stale limit: its heartbeat keeps its
    // claim against the abandoned-upload sweep, and it completes.
    tokio::time::sleep(Duration::from_secs(STALE_SECS + 1)).await;
    assert_eq!(blobs::sweep_abandoned(&catalog).await.expect("sweep"), 0);
    tx.unbounded_send(Ok(Bytes::from_static(b"2\n")))
        .expect("send");
    drop(tx);
    let v = task.await.expect("join").expect("upload");
    assert_eq!(v.to_json()["template"]["status"], "active");
    assert_eq!(v.to_json()["template"]["sha256"], sha256(b"b: 2\n"));

    // Without a grace period the fresh orphan goes too; blobs stay.
    assert_eq!(
        blobs::sweep_orphans(&catalog, Duration::ZERO)
            .await
            .expect("sweep"),
        1
    );
    let rows = blob_rows(&catalog.db).await;
    let keys: BTreeSet<String> = rows.iter().filter_map(|r| r.storage_key.clone()).collect();
    assert_eq!(files_under(&root), keys);
    catalog.db.close().await.ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn abandoned_sweep_restores_or_removes_and_deletes_partial_files() {
    let env = Env::new().await;
    let catalog = open(&env).await;
    appcat::services::accounts::create_tenant(&catalog.db, "acme", None)
        .await
        .expect("tenant");
    let root = env.blob_dir();
    // A finished blob being replaced, and a first upload, both in flight.
    let replaced = draft(&catalog, "replaced").await;
    let (tx, rx) = futures::channel::mpsc::unbounded();
    tx.unbounded_send(Ok(Bytes::from_static(b"old: 1\n")))
        .expect("send");
    drop(tx);
    upload(&catalog, &replaced, rx).await.expect("upload");
    let first = draft(&catalog, "first").await;
    let mut tasks = Vec::new();
    let mut senders = Vec::new();
    for id in [&replaced, &first] {
        let (tx, rx) = futures::channel::mpsc::unbounded();
        tx.unbounded_send(Ok(Bytes::from_static(b"new: ")))
            .expect("send");
        senders.push(tx);
        let (catalog, id) = (catalog.clone(), id.clone());
        tasks.push(tokio::spawn(async move { upload(&catalog, &id, rx).await }));
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    while files_under(&root).iter().filter(|f| is_partial(f)).count() < 2 {
        assert!(Instant::now() < deadline, "the uploads never started");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // As if their heartbeats had stopped (a hung or partitioned writer):
    // the rows are aged past the stale limit behind the writers' backs. A
    // heartbeat landing between aging and sweeping wins that round (the
    // sweep compares `updated_at`), so age and sweep until both are gone.
    use appcat::entities::artifact_blob;
    let backend = catalog.db.get_database_backend();
    let mut swept = 0;
    let deadline = Instant::now() + Duration::from_secs(30);
    while swept < 2 {
        assert!(Instant::now() < deadline, "the sweep never won");
        let aged = sea_orm::sea_query::Query::update()
            .table(artifact_blob::Entity)
            .value(
                artifact_blob::Column::UpdatedAt,
                chrono::Utc::now() - chrono::Duration::hours(1),
            )
            .and_where(sea_orm::sea_query::Expr::col(artifact_blob::Column::Status).eq("saving"))
            .to_owned();
        catalog.db.execute(backend.build(&aged)).await.expect("age");
        swept += blobs::sweep_abandoned(&catalog).await.expect("sweep");
    }
    assert_eq!(swept, 2);

    let rows = blob_rows(&catalog.db).await;
    assert_eq!(rows.len(), 1, "the first upload is gone: {rows:?}");
    assert_eq!(rows[0].artifact_id, replaced);
    assert_eq!(rows[0].status, "active");
    assert_eq!(
        rows[0].sha256.as_deref(),
        Some(sha256(b"old: 1\n").as_str())
    );
    assert_eq!(
        files_under(&root),
        BTreeSet::from([rows[0].storage_key.clone().expect("key")]),
        "the partial files are deleted"
    );
    // The writers learn at their next heartbeat that they lost the claim
    // and stop with 409, leaving nothing behind.
    for task in tasks {
        let result = tokio::time::timeout(Duration::from_secs(30), task)
            .await
            .expect("the writer stops in time")
            .expect("join");
        let e = result.expect_err("a rolled-back upload fails");
        assert!(e.contains("rolled back"), "{e}");
    }
    drop(senders);
    let rows = blob_rows(&catalog.db).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(
        files_under(&root),
        BTreeSet::from([rows[0].storage_key.clone().expect("key")])
    );
    let v = artifacts::get(
        &catalog,
        &Caller::system("acme"),
        "heat_templates",
        &replaced,
    )
    .await
    .expect("get");
    assert_eq!(v.to_json()["template"]["status"], "active");
    catalog.db.close().await.ok();
}
