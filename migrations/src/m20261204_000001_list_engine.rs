//! The list engine's own state, kept by the database itself so that no write
//! path can forget it (the API, forms, imports, bundle import, type
//! migrations and bulk loads all write `artifacts` directly):
//!
//! - **Latest markers.** `artifacts.latest_all` is true on the highest
//!   release (non-pre-release) version of its sequence (type, owner, name);
//!   `latest_public` on the highest public, active release version. Triggers
//!   recompute a sequence's markers whenever a row of it is inserted,
//!   deleted, or changes version, status, visibility or sequence. On
//!   PostgreSQL the trigger is per statement (one update per sequence a bulk
//!   statement touches) and takes a per-sequence advisory lock first, so two
//!   transactions adding versions to one sequence cannot both mark theirs.
//! - **Search documents.** SQLite: an FTS5 table over name, display name,
//!   description, tags and provider, filled by triggers, keyed through
//!   `search_docs` (an integer key per artifact, because `VACUUM` may
//!   renumber the rowids of a table without an integer primary key).
//!   PostgreSQL: a generated, weighted `tsvector` column with a GIN index.
//! - **List generation.** One counter that every change to artifacts, their
//!   properties or their members raises, in the same transaction; cached
//!   list counts and facets are valid while it stays the same. On
//!   PostgreSQL it is raised by a deferred trigger, once per transaction at
//!   commit, so the row is locked only for the moment of the commit.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// `expr` for the row `r` as one search column per FTS field, SQLite.
fn sqlite_doc(r: &str) -> String {
    format!(
        "coalesce({r}.name, ''), \
         coalesce(json_extract({r}.properties, '$.display_name'), ''), \
         coalesce({r}.description, ''), \
         coalesce((SELECT group_concat(value, ' ') FROM json_each({r}.properties, '$.tags')), ''), \
         coalesce(json_extract({r}.properties, '$.provided_by.name'), '') || ' ' || \
         coalesce(json_extract({r}.properties, '$.provided_by.company'), '')"
    )
}

/// The marker update of the rows `filter` selects (the same SQL on both
/// databases: SQLite reads `false` as 0).
fn markers(filter: &str) -> String {
    format!(
        "UPDATE artifacts SET \
           latest_all = coalesce(NOT is_prerelease AND version_sort = (\
             SELECT max(a2.version_sort) FROM artifacts a2 \
             WHERE a2.type_name = artifacts.type_name AND a2.owner = artifacts.owner \
               AND a2.name = artifacts.name AND NOT a2.is_prerelease), false), \
           latest_public = coalesce(visibility = 'public' AND status = 'active' \
             AND NOT is_prerelease AND version_sort = (\
             SELECT max(a2.version_sort) FROM artifacts a2 \
             WHERE a2.type_name = artifacts.type_name AND a2.owner = artifacts.owner \
               AND a2.name = artifacts.name AND NOT a2.is_prerelease \
               AND a2.visibility = 'public' AND a2.status = 'active'), false) \
         {filter}"
    )
}

fn sqlite_sequence(row: &str) -> String {
    markers(&format!(
        "WHERE type_name = {row}.type_name AND owner = {row}.owner AND name = {row}.name"
    ))
}

/// A PostgreSQL statement trigger function that locks and recomputes the
/// sequences `touched` (a query over the transition tables) names. The
/// touched sequences are few, while the table may be large and not yet
/// analysed (a bulk load): a hash join over a sequential scan of
/// `artifacts` per statement would make a load quadratic. So the function
/// plans with scans and hash or merge joins priced out (settings that hold
/// only while it runs), and both statements go through `EXECUTE`, planned
/// afresh rather than from a plan cached while the table was empty; each
/// touched sequence is found through `ix_artifacts_sequence`.
fn postgres_markers_function(name: &str, touched: &str) -> String {
    format!(
        "CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql \
         SET enable_seqscan = off SET enable_hashjoin = off SET enable_mergejoin = off AS $$ \
         BEGIN \
           IF pg_trigger_depth() > 1 THEN RETURN NULL; END IF; \
           EXECUTE $q$ SELECT count(*) FROM (SELECT pg_advisory_xact_lock(k) FROM ( \
             SELECT DISTINCT hashtextextended(type_name || '/' || owner || '/' || name, 7303) AS k \
             FROM ({touched}) t ORDER BY k) s) locked $q$; \
           EXECUTE $q$ UPDATE artifacts SET \
             latest_all = coalesce(NOT artifacts.is_prerelease AND artifacts.version_sort = (\
               SELECT max(a2.version_sort) FROM artifacts a2 \
               WHERE a2.type_name = artifacts.type_name AND a2.owner = artifacts.owner \
                 AND a2.name = artifacts.name AND NOT a2.is_prerelease), false), \
             latest_public = coalesce(artifacts.visibility = 'public' AND artifacts.status = 'active' \
               AND NOT artifacts.is_prerelease AND artifacts.version_sort = (\
               SELECT max(a2.version_sort) FROM artifacts a2 \
               WHERE a2.type_name = artifacts.type_name AND a2.owner = artifacts.owner \
                 AND a2.name = artifacts.name AND NOT a2.is_prerelease \
                 AND a2.visibility = 'public' AND a2.status = 'active'), false) \
           FROM (SELECT DISTINCT type_name, owner, name FROM ({touched}) t) s \
           WHERE artifacts.type_name = s.type_name AND artifacts.owner = s.owner \
             AND artifacts.name = s.name $q$; \
           RETURN NULL; \
         END $$"
    )
}

fn sqlite_statements() -> Vec<String> {
    let seq_cols = "type_name, owner, name, version_sort, is_prerelease, status, visibility";
    let mut out = vec![
        "ALTER TABLE artifacts ADD COLUMN latest_all boolean NOT NULL DEFAULT 0".to_owned(),
        "ALTER TABLE artifacts ADD COLUMN latest_public boolean NOT NULL DEFAULT 0".to_owned(),
        // Markers for what exists.
        markers(""),
        "CREATE INDEX ix_artifacts_sequence ON artifacts (type_name, owner, name, version_sort)"
            .to_owned(),
        "CREATE INDEX ix_artifacts_latest_public ON artifacts (type_name, created_at) \
         WHERE latest_public"
            .to_owned(),
        "CREATE INDEX ix_artifacts_latest_public_all ON artifacts (created_at) WHERE latest_public"
            .to_owned(),
        format!(
            "CREATE TRIGGER tr_artifacts_latest_insert AFTER INSERT ON artifacts BEGIN {}; END",
            sqlite_sequence("new")
        ),
        format!(
            "CREATE TRIGGER tr_artifacts_latest_update AFTER UPDATE OF {seq_cols} ON artifacts \
             BEGIN {}; {}; END",
            sqlite_sequence("new"),
            sqlite_sequence("old"),
        ),
        format!(
            "CREATE TRIGGER tr_artifacts_latest_delete AFTER DELETE ON artifacts BEGIN {}; END",
            sqlite_sequence("old")
        ),
        // Search.
        "CREATE TABLE search_docs (doc INTEGER PRIMARY KEY, artifact_id varchar(36) NOT NULL UNIQUE)"
            .to_owned(),
        "CREATE VIRTUAL TABLE artifacts_fts USING fts5(\
           name, display_name, description, tags, provided_by, \
           tokenize = 'unicode61 remove_diacritics 2')"
            .to_owned(),
        "INSERT INTO search_docs (artifact_id) SELECT id FROM artifacts".to_owned(),
        format!(
            "INSERT INTO artifacts_fts (rowid, name, display_name, description, tags, provided_by) \
             SELECT d.doc, {} FROM artifacts a JOIN search_docs d ON d.artifact_id = a.id",
            sqlite_doc("a")
        ),
        format!(
            "CREATE TRIGGER tr_artifacts_search_insert AFTER INSERT ON artifacts BEGIN \
               INSERT INTO search_docs (artifact_id) VALUES (new.id); \
               INSERT INTO artifacts_fts (rowid, name, display_name, description, tags, provided_by) \
               VALUES ((SELECT doc FROM search_docs WHERE artifact_id = new.id), {}); \
             END",
            sqlite_doc("new")
        ),
        format!(
            "CREATE TRIGGER tr_artifacts_search_update AFTER UPDATE OF name, description, properties \
             ON artifacts BEGIN \
               DELETE FROM artifacts_fts WHERE rowid = (SELECT doc FROM search_docs WHERE artifact_id = old.id); \
               INSERT INTO artifacts_fts (rowid, name, display_name, description, tags, provided_by) \
               VALUES ((SELECT doc FROM search_docs WHERE artifact_id = new.id), {}); \
             END",
            sqlite_doc("new")
        ),
        "CREATE TRIGGER tr_artifacts_search_delete AFTER DELETE ON artifacts BEGIN \
           DELETE FROM artifacts_fts WHERE rowid = (SELECT doc FROM search_docs WHERE artifact_id = old.id); \
           DELETE FROM search_docs WHERE artifact_id = old.id; \
         END"
            .to_owned(),
        // The list generation.
        "CREATE TABLE list_generation (id INTEGER PRIMARY KEY CHECK (id = 1), n bigint NOT NULL)"
            .to_owned(),
        "INSERT INTO list_generation (id, n) VALUES (1, 0)".to_owned(),
    ];
    for table in ["artifacts", "artifact_properties", "artifact_members"] {
        for (what, event) in [("i", "INSERT"), ("u", "UPDATE"), ("d", "DELETE")] {
            out.push(format!(
                "CREATE TRIGGER tr_{table}_generation_{what} AFTER {event} ON {table} BEGIN \
                   UPDATE list_generation SET n = n + 1 WHERE id = 1; END"
            ));
        }
    }
    out
}

fn postgres_statements() -> Vec<String> {
    let mut out = vec![
        "ALTER TABLE artifacts ADD COLUMN latest_all boolean NOT NULL DEFAULT false".to_owned(),
        "ALTER TABLE artifacts ADD COLUMN latest_public boolean NOT NULL DEFAULT false".to_owned(),
        markers(""),
        "CREATE INDEX ix_artifacts_sequence ON artifacts (type_name, owner, name, version_sort)"
            .to_owned(),
        "CREATE INDEX ix_artifacts_latest_public ON artifacts (type_name, created_at) \
         WHERE latest_public"
            .to_owned(),
        "CREATE INDEX ix_artifacts_latest_public_all ON artifacts (created_at) WHERE latest_public"
            .to_owned(),
        // One statement's changed sequences, each locked (in a fixed order,
        // so that two statements cannot deadlock on them) and recomputed.
        // The marker update itself fires the update trigger again one level
        // deeper, where it returns at once; an update that changes nothing
        // a marker depends on (downloads, ratings, fields) touches nothing.
        postgres_markers_function(
            "appcat_latest_inserted",
            "SELECT type_name, owner, name FROM new_rows",
        ),
        postgres_markers_function(
            "appcat_latest_deleted",
            "SELECT type_name, owner, name FROM old_rows",
        ),
        postgres_markers_function(
            "appcat_latest_updated",
            "SELECT x.type_name, x.owner, x.name FROM new_rows n JOIN old_rows o ON o.id = n.id \
             CROSS JOIN LATERAL (VALUES (n.type_name, n.owner, n.name), (o.type_name, o.owner, o.name)) \
               AS x (type_name, owner, name) \
             WHERE (n.type_name, n.owner, n.name, n.version_sort, n.is_prerelease, n.status, n.visibility) \
               IS DISTINCT FROM \
               (o.type_name, o.owner, o.name, o.version_sort, o.is_prerelease, o.status, o.visibility)",
        ),
        "CREATE TRIGGER tr_artifacts_latest_insert AFTER INSERT ON artifacts \
         REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION appcat_latest_inserted()"
            .to_owned(),
        "CREATE TRIGGER tr_artifacts_latest_update AFTER UPDATE ON artifacts \
         REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows \
         FOR EACH STATEMENT EXECUTE FUNCTION appcat_latest_updated()"
            .to_owned(),
        "CREATE TRIGGER tr_artifacts_latest_delete AFTER DELETE ON artifacts \
         REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION appcat_latest_deleted()"
            .to_owned(),
        // Search.
        "ALTER TABLE artifacts ADD COLUMN search_tsv tsvector GENERATED ALWAYS AS (\
           setweight(to_tsvector('simple'::regconfig, coalesce(name, '')), 'A') || \
           setweight(to_tsvector('simple'::regconfig, coalesce(properties::jsonb ->> 'display_name', '')), 'A') || \
           setweight(to_tsvector('simple'::regconfig, coalesce((properties::jsonb -> 'tags')::text, '')), 'B') || \
           setweight(to_tsvector('simple'::regconfig, coalesce(properties::jsonb #>> '{provided_by,name}', '') \
             || ' ' || coalesce(properties::jsonb #>> '{provided_by,company}', '')), 'C') || \
           setweight(to_tsvector('simple'::regconfig, coalesce(description, '')), 'D')) STORED"
            .to_owned(),
        "CREATE INDEX ix_artifacts_search ON artifacts USING gin (search_tsv)".to_owned(),
        // The list generation.
        "CREATE TABLE list_generation (id integer PRIMARY KEY CHECK (id = 1), n bigint NOT NULL)"
            .to_owned(),
        "INSERT INTO list_generation (id, n) VALUES (1, 0)".to_owned(),
        "CREATE FUNCTION appcat_bump_list_generation() RETURNS trigger LANGUAGE plpgsql AS $$ \
         BEGIN \
           IF current_setting('appcat.list_bumped', true) IS DISTINCT FROM txid_current()::text THEN \
             PERFORM set_config('appcat.list_bumped', txid_current()::text, true); \
             UPDATE list_generation SET n = n + 1 WHERE id = 1; \
           END IF; \
           RETURN NULL; \
         END $$"
            .to_owned(),
    ];
    for table in ["artifacts", "artifact_properties", "artifact_members"] {
        out.push(format!(
            "CREATE CONSTRAINT TRIGGER tr_{table}_generation AFTER INSERT OR UPDATE OR DELETE \
             ON {table} DEFERRABLE INITIALLY DEFERRED FOR EACH ROW \
             EXECUTE FUNCTION appcat_bump_list_generation()"
        ));
    }
    out
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let statements = match manager.get_database_backend() {
            DatabaseBackend::Postgres => postgres_statements(),
            DatabaseBackend::Sqlite => sqlite_statements(),
            DatabaseBackend::MySql => {
                return Err(DbErr::Migration("MySQL is not supported".into()));
            }
        };
        let db = manager.get_connection();
        for sql in statements {
            db.execute_unprepared(&sql).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let statements: Vec<String> = match manager.get_database_backend() {
            DatabaseBackend::Postgres => {
                let mut v: Vec<String> = ["artifacts", "artifact_properties", "artifact_members"]
                    .iter()
                    .map(|t| format!("DROP TRIGGER IF EXISTS tr_{t}_generation ON {t}"))
                    .collect();
                v.extend(
                    [
                        "DROP FUNCTION IF EXISTS appcat_bump_list_generation()",
                        "DROP TABLE IF EXISTS list_generation",
                        "DROP INDEX IF EXISTS ix_artifacts_search",
                        "ALTER TABLE artifacts DROP COLUMN IF EXISTS search_tsv",
                        "DROP TRIGGER IF EXISTS tr_artifacts_latest_insert ON artifacts",
                        "DROP TRIGGER IF EXISTS tr_artifacts_latest_update ON artifacts",
                        "DROP TRIGGER IF EXISTS tr_artifacts_latest_delete ON artifacts",
                        "DROP FUNCTION IF EXISTS appcat_latest_inserted()",
                        "DROP FUNCTION IF EXISTS appcat_latest_updated()",
                        "DROP FUNCTION IF EXISTS appcat_latest_deleted()",
                        "DROP INDEX IF EXISTS ix_artifacts_latest_public_all",
                        "DROP INDEX IF EXISTS ix_artifacts_latest_public",
                        "DROP INDEX IF EXISTS ix_artifacts_sequence",
                        "ALTER TABLE artifacts DROP COLUMN IF EXISTS latest_public",
                        "ALTER TABLE artifacts DROP COLUMN IF EXISTS latest_all",
                    ]
                    .map(str::to_owned),
                );
                v
            }
            _ => {
                let mut v = Vec::new();
                for table in ["artifacts", "artifact_properties", "artifact_members"] {
                    for what in ["i", "u", "d"] {
                        v.push(format!(
                            "DROP TRIGGER IF EXISTS tr_{table}_generation_{what}"
                        ));
                    }
                }
                v.extend(
                    [
                        "DROP TABLE IF EXISTS list_generation",
                        "DROP TRIGGER IF EXISTS tr_artifacts_search_insert",
                        "DROP TRIGGER IF EXISTS tr_artifacts_search_update",
                        "DROP TRIGGER IF EXISTS tr_artifacts_search_delete",
                        "DROP TABLE IF EXISTS artifacts_fts",
                        "DROP TABLE IF EXISTS search_docs",
                        "DROP TRIGGER IF EXISTS tr_artifacts_latest_insert",
                        "DROP TRIGGER IF EXISTS tr_artifacts_latest_update",
                        "DROP TRIGGER IF EXISTS tr_artifacts_latest_delete",
                        "DROP INDEX IF EXISTS ix_artifacts_latest_public_all",
                        "DROP INDEX IF EXISTS ix_artifacts_latest_public",
                        "DROP INDEX IF EXISTS ix_artifacts_sequence",
                        "ALTER TABLE artifacts DROP COLUMN latest_public",
                        "ALTER TABLE artifacts DROP COLUMN latest_all",
                    ]
                    .map(str::to_owned),
                );
                v
            }
        };
        for sql in statements {
            db.execute_unprepared(&sql).await?;
        }
        Ok(())
    }
}
