//! The `appcat` command line: serve, migrate, and tenant, user and token
//! administration.
//!
//! Here the parsed command line and its dispatch; each command group, its
//! subcommand enum with its handlers, in a file of its own.

mod demo;
mod imports;
mod serve;
mod tenants;
mod tokens;
mod types;
mod users;

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::{Parser, Subcommand};
use tracing_subscriber::EnvFilter;

pub use imports::ImportCommand;
pub use tenants::TenantCommand;
pub use tokens::TokenCommand;
pub use types::TypesCommand;
pub use users::UserCommand;

use crate::config::{Config, ServeConfig};
use crate::services::{Catalog, Limits};
use crate::storage::BlobStore;
use crate::types::TypeRegistry;

#[derive(Debug, Parser)]
#[command(
    name = "appcat",
    version,
    about = "An application and artifact catalog"
)]
pub struct Cli {
    #[command(flatten)]
    pub config: Config,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Migrate the database and serve the catalog (pages and API).
    Serve(ServeConfig),
    /// Apply pending database migrations.
    Migrate,
    /// Tenants (organisations or projects owning artifacts).
    #[command(subcommand)]
    Tenant(TenantCommand),
    /// Users.
    #[command(subcommand)]
    User(UserCommand),
    /// API tokens for the CLI, CI and python-glareclient.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Artifact type definitions.
    #[command(subcommand)]
    Types(TypesCommand),
    /// Import the legacy catalog, Murano packages, or a bundle.
    #[command(subcommand)]
    Import(ImportCommand),
    /// Export an artifact with its whole dependency closure as a bundle.
    Export {
        /// `<type>/<name>[@<version requirement>]`, e.g. `murano_packages/io.murano.apps.docker.Kubernetes@*`.
        artifact: String,
        /// Tenant the command acts for. The export runs with catalog-admin
        /// rights: the highest matching version of any tenant, and its links
        /// resolved across the whole catalog.
        #[arg(long)]
        tenant: String,
        /// Output file (a tar archive).
        #[arg(short, long)]
        output: std::path::PathBuf,
    },
    /// Import demo data when the catalog is empty: the legacy catalog and
    /// the Murano packages found under DIR (used by `make run`).
    Demo {
        /// Folder with `app-catalog/assets.yaml` and `murano/`.
        #[arg(long, env = "APPCAT_SHARED_DATA", default_value = "../shared/data")]
        data: std::path::PathBuf,
    },
    /// Write a synthetic catalog of NAMES x 10 heat templates (three
    /// tenants, public and private, tags and words at known rates) for the
    /// scale benchmark; deterministic for a seed.
    Generate {
        #[arg(long)]
        names: u64,
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Write the artifacts as JSON lines to this file instead of the
        /// database.
        #[arg(long)]
        jsonl: Option<std::path::PathBuf>,
    },
}

pub fn init_tracing() {
    let filter = EnvFilter::try_from_env("APPCAT_LOG")
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm_migration=warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

/// Connects, migrates, loads and checks types, opens the blob store.
pub async fn open_catalog(config: &Config) -> anyhow::Result<Catalog> {
    if config.database_url.is_none() {
        std::fs::create_dir_all(&config.data_dir).with_context(|| {
            format!("cannot create data directory {}", config.data_dir.display())
        })?;
    }
    let types = TypeRegistry::load(config.types_dir.as_deref())?;
    let db = crate::db::connect(&config.database_url(), config.db_max_connections)
        .await
        .context("cannot connect to the database (APPCAT_DATABASE_URL)")?;
    crate::db::migrate(&db)
        .await
        .context("database migration failed")?;
    types.sync(&db).await?;
    let store = BlobStore::local(&config.blob_dir())?;
    let limits = Limits {
        max_blob_size: config.max_blob_size,
        stale_upload_secs: config.stale_upload_secs,
    };
    Ok(Catalog {
        db,
        types: Arc::new(types),
        store,
        limits,
        counter: Arc::new(crate::services::stats::Counter::new(Duration::from_secs(
            config.count_window_secs,
        ))),
        lists: Default::default(),
    })
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let config = cli.config;
    if let Command::Migrate = cli.command {
        if config.database_url.is_none() {
            std::fs::create_dir_all(&config.data_dir).with_context(|| {
                format!("cannot create data directory {}", config.data_dir.display())
            })?;
        }
        let db = crate::db::connect(&config.database_url(), 2).await?;
        crate::db::migrate(&db).await?;
        println!("database is up to date");
        return Ok(());
    }
    if let Command::Generate {
        names,
        seed,
        jsonl: Some(path),
    } = &cli.command
    {
        let file = std::fs::File::create(path)
            .with_context(|| format!("cannot write {}", path.display()))?;
        let mut out = std::io::BufWriter::new(file);
        let n = crate::services::generate::write_jsonl(&mut out, *names, *seed)?;
        std::io::Write::flush(&mut out)?;
        println!("{{\"artifacts\": {n}}}");
        return Ok(());
    }
    let catalog = open_catalog(&config).await?;
    let db = &catalog.db;
    match cli.command {
        Command::Migrate => {}
        Command::Serve(serve) => return serve::serve_catalog(catalog, serve).await,
        Command::Tenant(command) => tenants::run(db, command).await?,
        Command::User(command) => users::run(db, command).await?,
        Command::Token(command) => tokens::run(db, command).await?,
        Command::Import(command) => imports::run(&catalog, command).await?,
        Command::Export {
            artifact,
            tenant,
            output,
        } => imports::export(&catalog, artifact, tenant, output).await?,
        Command::Demo { data } => demo::demo(&catalog, &data).await?,
        Command::Generate {
            names,
            seed,
            jsonl: None,
        } => {
            let loaded = crate::services::generate::load(&catalog, names, seed)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("{}", serde_json::to_string(&loaded)?);
        }
        Command::Generate { .. } => {}
        Command::Types(command) => types::run(&catalog, command),
    }
    Ok(())
}
