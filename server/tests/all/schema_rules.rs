//! Rules about the schema itself, checked on the real migrated database.

use sea_orm::{ConnectionTrait, Statement};

use crate::common::{TestDb, connect};

/// Every foreign key cascades (or sets null), so deleting a tenant or an
/// artifact never fails on, or leaves behind, dependent rows.
#[tokio::test]
async fn every_foreign_key_cascades() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = TestDb::new(dir.path()).await;
    let conn = connect(&db).await;
    let backend = conn.get_database_backend();
    let mut checked = 0;
    if db.is_postgres() {
        let rows = conn
            .query_all(Statement::from_string(
                backend,
                "SELECT tc.table_name, rc.delete_rule FROM information_schema.referential_constraints rc \
                 JOIN information_schema.table_constraints tc ON tc.constraint_name = rc.constraint_name \
                 WHERE tc.table_schema = 'public'",
            ))
            .await
            .expect("query");
        for row in rows {
            let table: String = row.try_get("", "table_name").expect("table");
            let rule: String = row.try_get("", "delete_rule").expect("rule");
            assert!(
                rule == "CASCADE" || rule == "SET NULL",
                "{table}: ON DELETE {rule}"
            );
            checked += 1;
        }
    } else {
        let tables = conn
            .query_all(Statement::from_string(
                backend,
                "SELECT name FROM sqlite_master WHERE type = 'table'",
            ))
            .await
            .expect("tables");
        for t in tables {
            let table: String = t.try_get("", "name").expect("name");
            let fks = conn
                .query_all(Statement::from_string(
                    backend,
                    format!("PRAGMA foreign_key_list('{table}')"),
                ))
                .await
                .expect("fks");
            for fk in fks {
                let rule: String = fk.try_get("", "on_delete").expect("on_delete");
                assert!(
                    rule == "CASCADE" || rule == "SET NULL",
                    "{table}: ON DELETE {rule}"
                );
                checked += 1;
            }
        }
    }
    assert!(checked >= 9, "found {checked} foreign keys");
}

/// Version ordering relies on byte-order comparison of `version_sort`:
/// on PostgreSQL the column must use the "C" collation (SQLite compares
/// text bytewise by default).
#[tokio::test]
async fn version_sort_compares_bytewise() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = TestDb::new(dir.path()).await;
    let conn = connect(&db).await;
    let backend = conn.get_database_backend();
    let sql = if db.is_postgres() {
        "SELECT collation_name AS c FROM information_schema.columns \
         WHERE table_name = 'artifacts' AND column_name = 'version_sort'"
    } else {
        "SELECT 'C' AS c WHERE (SELECT sql FROM sqlite_master WHERE name = 'artifacts') NOT LIKE '%COLLATE NOCASE%'"
    };
    let row = conn
        .query_one(Statement::from_string(backend, sql))
        .await
        .expect("query")
        .expect("row");
    assert_eq!(row.try_get::<String>("", "c").expect("collation"), "C");
}
