//! Connecting to the database and applying migrations.

use std::time::Duration;

use migrations::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbErr};

/// Opens a pool. SQLite gets WAL and a busy timeout, so readers do not block
/// the writer and concurrent writers wait instead of failing.
pub async fn connect(url: &str, max_connections: u32) -> Result<DatabaseConnection, DbErr> {
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .max_connections(max_connections)
        .min_connections(1)
        .acquire_timeout(Duration::from_secs(10))
        .sqlx_logging(false);
    if url.starts_with("sqlite:") {
        options.map_sqlx_sqlite_opts(|o| {
            o.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(30))
                .foreign_keys(true)
        });
    }
    Database::connect(options).await
}

pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    Migrator::up(db, None).await
}

/// Whether the database aborted the statement or transaction only because
/// of other writers, so running it again can succeed: a PostgreSQL
/// deadlock (`40P01`) or serialization failure (`40001`), or SQLite still
/// busy after its timeout (`SQLITE_BUSY`, `SQLITE_LOCKED`, incl. their
/// extended codes).
pub fn is_transient(e: &DbErr) -> bool {
    use sea_orm::RuntimeErr;
    use sea_orm::sqlx::Error as Sqlx;
    let (DbErr::Exec(RuntimeErr::SqlxError(Sqlx::Database(db)))
    | DbErr::Query(RuntimeErr::SqlxError(Sqlx::Database(db)))
    | DbErr::Conn(RuntimeErr::SqlxError(Sqlx::Database(db)))) = e
    else {
        return false;
    };
    let code = db.code().unwrap_or_default();
    match code.as_ref() {
        "40P01" | "40001" => true,
        // SQLite: primary codes 5 (BUSY) and 6 (LOCKED), extended or not.
        c => c.parse::<i64>().is_ok_and(|n| matches!(n & 0xff, 5 | 6)),
    }
}

/// How often [`retry`] runs an operation at most.
pub const MAX_ATTEMPTS: u32 = 5;

/// Runs `op` again (up to [`MAX_ATTEMPTS`] times in all, with a short
/// growing, jittered pause) when it failed only because the database
/// aborted it for a conflict with other writers (see [`is_transient`]).
/// `op` must be a whole unit of work whose failed attempts changed nothing
/// (one transaction, or statements that are safe to repeat).
pub async fn retry<T, F, Fut>(mut op: F) -> crate::error::AppResult<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = crate::error::AppResult<T>>,
{
    let mut attempt = 1;
    loop {
        match op().await {
            Err(crate::error::AppError::Internal(e))
                if attempt < MAX_ATTEMPTS
                    && e.downcast_ref::<DbErr>().is_some_and(is_transient) =>
            {
                let jitter = rand::random::<u64>() % 20;
                let pause = Duration::from_millis(10 * u64::from(attempt * attempt) + jitter);
                tracing::debug!(attempt, error = %e, "retrying after a transient database error");
                tokio::time::sleep(pause).await;
                attempt += 1;
            }
            other => return other,
        }
    }
}
