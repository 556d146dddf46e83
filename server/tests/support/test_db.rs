//! A database of its own for each test, shared by the test binaries
//! (`tests/all` and `tests/crash.rs`).

use std::path::Path;

use sea_orm::ConnectionTrait;

/// A database of its own: an SQLite file, or a PostgreSQL database that is
/// dropped when the test ends.
pub struct TestDb {
    pub url: String,
    pg: Option<(String, String)>,
}

impl TestDb {
    pub async fn new(dir: &Path) -> TestDb {
        match std::env::var("APPCAT_TEST_DATABASE_URL") {
            Ok(admin_url) if !admin_url.is_empty() => {
                let name = format!("appcat_test_{}", uuid::Uuid::new_v4().simple());
                let admin = sea_orm::Database::connect(&admin_url)
                    .await
                    .expect("connect to PostgreSQL");
                admin
                    .execute_unprepared(&format!("CREATE DATABASE {name}"))
                    .await
                    .expect("create test database");
                admin.close().await.ok();
                let base = admin_url
                    .rsplit_once('/')
                    .map(|(b, _)| b.to_owned())
                    .unwrap_or(admin_url.clone());
                TestDb {
                    url: format!("{base}/{name}"),
                    pg: Some((admin_url, name)),
                }
            }
            _ => TestDb {
                url: format!("sqlite://{}?mode=rwc", dir.join("test.db").display()),
                pg: None,
            },
        }
    }

    pub fn is_postgres(&self) -> bool {
        self.pg.is_some()
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((admin_url, name)) = self.pg.take() {
            // Drop runs inside the test's runtime: use a thread of our own.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("runtime");
                rt.block_on(async move {
                    if let Ok(admin) = sea_orm::Database::connect(&admin_url).await {
                        let _ = admin
                            .execute_unprepared(&format!(
                                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                            ))
                            .await;
                    }
                });
            })
            .join();
        }
    }
}
