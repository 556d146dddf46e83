//! The `appcat` command line: serve, migrate, and tenant, user and token
//! administration.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::{Parser, Subcommand};
use leptos::config::LeptosOptions;
use tokio::net::TcpListener;
use tracing_subscriber::EnvFilter;

use crate::auth::Role;
use crate::config::{Config, ServeConfig};
use crate::services::{Catalog, Limits, accounts, blobs};
use crate::state::AppState;
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
}

#[derive(Debug, Subcommand)]
pub enum TenantCommand {
    /// Create a tenant.
    Create {
        /// Tenant id (lowercase letters, digits, '-', '_'), shown as artifact owner.
        id: String,
        #[arg(long)]
        display_name: Option<String>,
    },
    /// List tenants.
    List,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user, optionally adding them to a tenant.
    Create {
        username: String,
        #[arg(long)]
        display_name: Option<String>,
        #[arg(long)]
        email: Option<String>,
        /// Make the user a catalog administrator.
        #[arg(long)]
        admin: bool,
        /// Tenant to add the user to.
        #[arg(long)]
        tenant: Option<String>,
        /// Role in that tenant: member or admin.
        #[arg(long, default_value = "member")]
        role: String,
    },
    /// Add a user to a tenant or change their role there.
    AddToTenant {
        username: String,
        tenant: String,
        #[arg(long, default_value = "member")]
        role: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a token; it is printed once and only its hash is stored.
    Create {
        #[arg(long)]
        user: String,
        /// Tenant the token acts in.
        #[arg(long)]
        tenant: String,
        #[arg(long, default_value = "cli")]
        name: String,
        /// Comma-separated: read, write, publish (read is implied).
        #[arg(long, default_value = "read,write,publish")]
        scopes: String,
        #[arg(long)]
        expires_in_days: Option<i64>,
    },
    /// List a user's tokens (never the secrets).
    List {
        #[arg(long)]
        user: String,
    },
    /// Revoke a token by id.
    Revoke { id: String },
}

#[derive(Debug, Subcommand)]
pub enum TypesCommand {
    /// Load the definitions, check them against the database (recording a
    /// new version and running its migration rules, as a start would), list them.
    Check,
}

pub fn init_tracing() {
    let filter =
        EnvFilter::try_from_env("APPCAT_LOG").unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
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
    })
}

fn role(text: &str) -> anyhow::Result<Role> {
    Role::parse(text).ok_or_else(|| anyhow::anyhow!("role must be member or admin, not '{text}'"))
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
    let catalog = open_catalog(&config).await?;
    let db = &catalog.db;
    match cli.command {
        Command::Migrate => {}
        Command::Serve(serve) => return serve_catalog(catalog, serve).await,
        Command::Tenant(TenantCommand::Create { id, display_name }) => {
            let t = accounts::create_tenant(db, &id, display_name.as_deref()).await?;
            println!("created tenant {}", t.id);
        }
        Command::Tenant(TenantCommand::List) => {
            for t in accounts::list_tenants(db).await? {
                println!("{}\t{}", t.id, t.display_name);
            }
        }
        Command::User(UserCommand::Create {
            username,
            display_name,
            email,
            admin,
            tenant,
            role: r,
        }) => {
            let r = role(&r)?;
            let u = accounts::create_user(
                db,
                &username,
                display_name.as_deref(),
                email.as_deref(),
                admin,
            )
            .await?;
            if let Some(t) = tenant {
                accounts::set_membership(db, &username, &t, r).await?;
            }
            println!(
                "created user {}{}",
                u.username,
                if admin { " (catalog admin)" } else { "" }
            );
        }
        Command::User(UserCommand::AddToTenant {
            username,
            tenant,
            role: r,
        }) => {
            accounts::set_membership(db, &username, &tenant, role(&r)?).await?;
            println!("{username} is now {r} of {tenant}");
        }
        Command::Token(TokenCommand::Create {
            user,
            tenant,
            name,
            scopes,
            expires_in_days,
        }) => {
            let t =
                accounts::create_token(db, &user, &tenant, &name, &scopes, expires_in_days).await?;
            eprintln!("token {} created; it is shown only once:", t.id);
            println!("{}", t.secret);
        }
        Command::Token(TokenCommand::List { user }) => {
            for t in accounts::list_tokens(db, &user).await? {
                let last = t
                    .last_used_at
                    .map(|d| d.to_rfc3339())
                    .unwrap_or_else(|| "never".into());
                println!(
                    "{}\t{}\t{}\t{}\tlast used {last}",
                    t.id, t.tenant_id, t.name, t.scopes
                );
            }
        }
        Command::Token(TokenCommand::Revoke { id }) => {
            accounts::revoke_token(db, &id).await?;
            println!("revoked {id}");
        }
        Command::Types(TypesCommand::Check) => {
            for ty in catalog.types.all() {
                println!(
                    "{}\t{}\t{}\t{} fields, {} blobs, {} links",
                    ty.name(),
                    ty.def.version,
                    ty.def.display_name,
                    ty.def.fields.len(),
                    ty.def.blobs.len(),
                    ty.def.links.len()
                );
            }
        }
    }
    Ok(())
}

async fn serve_catalog(catalog: Catalog, serve: ServeConfig) -> anyhow::Result<()> {
    let swept = blobs::sweep_abandoned(&catalog)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    if swept > 0 {
        tracing::info!(swept, "cleared uploads abandoned by an earlier run");
    }
    let leptos_options = LeptosOptions::builder()
        .output_name(option_env!("LEPTOS_OUTPUT_NAME").unwrap_or("appcat"))
        .site_root(serve.site_root.as_str())
        .site_pkg_dir("pkg")
        .site_addr(serve.addr)
        .build();
    let state = AppState {
        catalog,
        leptos_options,
    };
    let app = crate::app(state, Duration::from_secs(serve.request_timeout_secs));
    let listener = TcpListener::bind(serve.addr)
        .await
        .with_context(|| format!("cannot listen on {}", serve.addr))?;
    tracing::info!("appcat serving on http://{}", serve.addr);
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
