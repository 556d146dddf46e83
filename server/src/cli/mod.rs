//! The `appcat` command line: serve, migrate, and tenant, user and token
//! administration.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::{Parser, Subcommand};
use leptos::config::LeptosOptions;
use tokio::net::TcpListener;
use tracing_subscriber::EnvFilter;

use crate::auth::{Caller, Role};
use crate::config::{Config, ServeConfig};
use crate::services::{Catalog, Limits, accounts, blobs, import};
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
}

#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// The apps.openstack.org `assets.yaml` (all assets become public artifacts).
    AppCatalog {
        assets: std::path::PathBuf,
        /// `assets_dead.yaml`: assets listed inactive are deactivated.
        #[arg(long)]
        dead: Option<std::path::PathBuf>,
        #[arg(long)]
        tenant: String,
    },
    /// Murano packages: zip archives, unpacked directories, or trees of them.
    Murano {
        #[arg(required = true)]
        paths: Vec<std::path::PathBuf>,
        #[arg(long)]
        tenant: String,
        /// Also make the packages public.
        #[arg(long)]
        public: bool,
    },
    /// A bundle written by `appcat export` (all or nothing).
    Bundle {
        path: std::path::PathBuf,
        #[arg(long)]
        tenant: String,
    },
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
        /// Read a password for website sign-in from standard input (first line).
        #[arg(long)]
        password_stdin: bool,
    },
    /// Set a user's website password, read from standard input (first line).
    SetPassword { username: String },
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
    })
}

async fn ensure_tenant(db: &sea_orm::DatabaseConnection, tenant: &str) -> anyhow::Result<()> {
    if accounts::list_tenants(db)
        .await?
        .iter()
        .all(|t| t.id != tenant)
    {
        accounts::create_tenant(db, tenant, None).await?;
        eprintln!("created tenant {tenant}");
    }
    Ok(())
}

/// Progress reports of an importer shown on a bar.
fn report_to(bar: &indicatif::ProgressBar) -> impl Fn(usize, usize, &str) + Sync + '_ {
    move |done, total, item| {
        bar.set_length(total as u64);
        bar.set_position(done as u64);
        bar.set_message(item.to_owned());
    }
}

fn progress_bar(what: &str) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(0);
    let style = indicatif::ProgressStyle::with_template(&format!(
        "{{bar:40}} {{pos}}/{{len}} {what} {{wide_msg}}"
    ))
    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
    bar.set_style(style);
    bar
}

fn print_report(what: &str, report: &import::Report) {
    println!(
        "{what}: {} created, {} updated, {} unchanged, {} failed",
        report.created,
        report.updated,
        report.unchanged,
        report.failed.len()
    );
    for f in &report.failed {
        eprintln!("  failed: {f}");
    }
}

/// Loads the demo catalog once: the legacy catalog and the Murano packages
/// of the shared data folder, into the public tenant `openstack`.
async fn demo(catalog: &Catalog, data: &std::path::Path) -> anyhow::Result<()> {
    let assets = data.join("app-catalog/assets.yaml");
    if !assets.is_file() {
        println!(
            "no demo data at {} (set APPCAT_SHARED_DATA); the catalog starts empty. Import with \
             `appcat import app-catalog <assets.yaml> --tenant <t>` or `appcat import murano <dir> --tenant <t> --public`",
            data.display()
        );
        return Ok(());
    }
    let page = crate::services::list::list(
        catalog,
        &Caller::system("openstack"),
        "all",
        &[("limit".into(), "1".into())],
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    if page.total_count > 0 {
        println!(
            "the catalog already holds {} artifacts; demo data not loaded again",
            page.total_count
        );
        return Ok(());
    }
    ensure_tenant(&catalog.db, "openstack").await?;
    let murano_dir = data.join("murano");
    if murano_dir.is_dir() {
        let bar = progress_bar("packages");
        let report =
            import::import_murano(catalog, "openstack", &[murano_dir], true, &report_to(&bar))
                .await;
        bar.finish_and_clear();
        print_report("Murano packages", &report);
    }
    let text = std::fs::read(&assets)?;
    let dead = std::fs::read(data.join("app-catalog/assets_dead.yaml")).ok();
    let bar = progress_bar("assets");
    let report = import::import_app_catalog(
        catalog,
        "openstack",
        &text,
        dead.as_deref(),
        &report_to(&bar),
    )
    .await
    .map_err(|e| anyhow::anyhow!(e))?;
    bar.finish_and_clear();
    print_report("apps.openstack.org assets", &report);
    demo_community(catalog)
        .await
        .map_err(|e| anyhow::anyhow!("demo reviews: {e}"))?;
    Ok(())
}

/// A few clearly labelled demo ratings, reviews, a publisher reply and 90
/// days of download history on some apps, so the community features show
/// on a fresh demo. Only `appcat demo` writes these, never a migration.
async fn demo_community(catalog: &Catalog) -> Result<(), crate::error::AppError> {
    use crate::auth::{Principal, Scope};
    use crate::services::{community, stats};
    use std::collections::BTreeSet;
    let db = &catalog.db;
    let as_user = |u: &crate::entities::user::Model, tenant: &str, role: Option<Role>| {
        Caller::User(Principal {
            user_id: u.id.clone(),
            username: u.username.clone(),
            tenant: tenant.to_owned(),
            role,
            is_admin: false,
            scopes: BTreeSet::from([Scope::Read, Scope::Write, Scope::Publish]),
        })
    };
    let mut reviewers = Vec::new();
    for name in ["demo-reviewer-1", "demo-reviewer-2", "demo-reviewer-3"] {
        let u = accounts::create_user(db, name, Some("Demo reviewer"), None, false).await?;
        reviewers.push(as_user(&u, "", None));
    }
    let publisher =
        accounts::create_user(db, "demo-publisher", Some("Demo publisher"), None, false).await?;
    accounts::set_membership(db, "demo-publisher", "openstack", Role::Admin).await?;
    let publisher = as_user(&publisher, "openstack", Some(Role::Admin));

    let mut picked = Vec::new();
    for ty in ["murano_packages", "heat_templates", "images"] {
        let page = crate::services::list::list(
            catalog,
            &Caller::Anonymous,
            ty,
            &[
                ("status".into(), "eq:active".into()),
                ("version".into(), "latest".into()),
                ("sort".into(), "name:asc".into()),
                ("limit".into(), "3".into()),
            ],
        )
        .await?;
        for a in page.artifacts {
            let s = |k: &str| {
                a.get(k)
                    .and_then(serde_json::Value::as_str)
                    .unwrap_or("")
                    .to_owned()
            };
            picked.push((s("type_name"), s("id"), s("name")));
        }
    }
    const LABEL: &str = "*(Demo review: sample data loaded by `appcat demo`.)*";
    let texts = [
        "Deployed it on a test cloud in minutes; the defaults are sensible.",
        "Works, but the **documentation** could say more about the required flavors.",
        "Solid. We use it in our CI environment.",
    ];
    let today = chrono::Utc::now().date_naive();
    for (i, (ty, id, name)) in picked.iter().enumerate() {
        for (j, r) in reviewers.iter().enumerate() {
            let stars = 3 + ((i + j) % 3) as i64;
            community::rate(catalog, r, ty, id, stars).await?;
        }
        if i % 2 == 0 {
            let review = community::create(
                catalog,
                &reviewers[i % reviewers.len()],
                ty,
                id,
                &format!("{LABEL}\n\n{}", texts[i % texts.len()]),
                None,
            )
            .await?;
            if i % 4 == 0 {
                community::create(
                    catalog,
                    &publisher,
                    ty,
                    id,
                    &format!(
                        "{LABEL}\n\nThanks! {name} gets more documentation in its next release."
                    ),
                    Some(&review.id),
                )
                .await?;
            }
        }
        // 90 days of history, varying by day and artifact.
        let days: Vec<(String, u64, u64)> = (0..90)
            .map(|d| {
                let day = today - chrono::Duration::days(89 - d);
                let wave = ((d as u64 * 7 + i as u64 * 13) % 11) + (d as u64 / 15);
                (day.format("%Y-%m-%d").to_string(), wave, wave * 3 + 2)
            })
            .collect();
        stats::add_history(catalog, id, &days).await?;
    }
    println!(
        "demo community data: {} apps with demo ratings, reviews (labelled as demo) and 90 days of download history",
        picked.len()
    );
    Ok(())
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
            password_stdin,
        }) => {
            let r = role(&r)?;
            let password = if password_stdin {
                Some(read_password()?)
            } else {
                None
            };
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
            if let Some(p) = password {
                accounts::set_password(db, &username, &p).await?;
            }
            println!(
                "created user {}{}",
                u.username,
                if admin { " (catalog admin)" } else { "" }
            );
        }
        Command::User(UserCommand::SetPassword { username }) => {
            let p = read_password()?;
            accounts::set_password(db, &username, &p).await?;
            println!("password set for {username}");
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
        Command::Import(ImportCommand::AppCatalog {
            assets,
            dead,
            tenant,
        }) => {
            ensure_tenant(db, &tenant).await?;
            let text = std::fs::read(&assets)
                .with_context(|| format!("cannot read {}", assets.display()))?;
            let dead_text = match &dead {
                Some(p) => {
                    Some(std::fs::read(p).with_context(|| format!("cannot read {}", p.display()))?)
                }
                None => None,
            };
            let bar = progress_bar("assets");
            let report = import::import_app_catalog(
                &catalog,
                &tenant,
                &text,
                dead_text.as_deref(),
                &report_to(&bar),
            )
            .await
            .map_err(|e| anyhow::anyhow!(e))?;
            bar.finish_and_clear();
            print_report("assets", &report);
            if !report.failed.is_empty() {
                anyhow::bail!("{} assets could not be imported", report.failed.len());
            }
        }
        Command::Import(ImportCommand::Murano {
            paths,
            tenant,
            public,
        }) => {
            ensure_tenant(db, &tenant).await?;
            let bar = progress_bar("packages");
            let report =
                import::import_murano(&catalog, &tenant, &paths, public, &report_to(&bar)).await;
            bar.finish_and_clear();
            print_report("packages", &report);
            if !report.failed.is_empty() {
                anyhow::bail!("{} packages could not be imported", report.failed.len());
            }
        }
        Command::Import(ImportCommand::Bundle { path, tenant }) => {
            ensure_tenant(db, &tenant).await?;
            let file = std::fs::File::open(&path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            let report = crate::services::bundles::import(&catalog, &Caller::system(&tenant), file)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!(
                "bundle imported: {} artifacts created, {} already present",
                report.created, report.unchanged
            );
        }
        Command::Export {
            artifact,
            tenant,
            output,
        } => {
            let caller = Caller::system(&tenant);
            let (type_name, id) =
                crate::services::bundles::find_for_export(&catalog, &caller, &artifact)
                    .await
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
            let file = std::fs::File::create(&output)
                .with_context(|| format!("cannot write {}", output.display()))?;
            let summary =
                crate::services::bundles::export(&catalog, &caller, &type_name, &id, file)
                    .await
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!(
                "wrote {} with {} artifacts and {} blobs",
                output.display(),
                summary.artifacts,
                summary.blobs
            );
        }
        Command::Demo { data } => demo(&catalog, &data).await?,
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
    let sweeper = blobs::spawn_sweeper(
        catalog.clone(),
        blobs::Sweeps {
            abandoned_every: Duration::from_secs(serve.upload_sweep_secs),
            orphans_every: Duration::from_secs(serve.orphan_sweep_secs),
            orphan_grace: Duration::from_secs(serve.orphan_grace_secs),
        },
    );
    let leptos_options = LeptosOptions::builder()
        .output_name(option_env!("LEPTOS_OUTPUT_NAME").unwrap_or("appcat"))
        .site_root(serve.site_root.as_str())
        .site_pkg_dir("pkg")
        .site_addr(serve.addr)
        .build();
    let web = crate::web::settings(&serve.web, serve.addr)?;
    if !web.secure_cookies {
        tracing::info!(
            "session cookies are not marked Secure: set APPCAT_PUBLIC_URL=https://... behind HTTPS"
        );
    }
    // Expired sessions and old sign-in counts are removed every ten minutes.
    let store = crate::web::store::DbStore::new(catalog.db.clone());
    let throttle_db = catalog.db.clone();
    tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(600));
        loop {
            every.tick().await;
            if let Err(e) = store.delete_expired().await {
                tracing::warn!(error = %e, "could not remove expired sessions");
            }
            if let Err(e) = accounts::prune_sign_in_throttle(&throttle_db).await {
                tracing::warn!(error = %e, "could not prune old sign-in counts");
            }
        }
    });
    let state = AppState {
        catalog,
        leptos_options,
        web: std::sync::Arc::new(web),
    };
    let counter = state.catalog.counter.clone();
    let db = state.catalog.db.clone();
    let app = crate::app(state, Duration::from_secs(serve.request_timeout_secs));
    // Download and view counts are written in batches.
    let flusher = {
        let (counter, db) = (counter.clone(), db.clone());
        let every = Duration::from_secs(serve.stats_flush_secs.max(1));
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            loop {
                tick.tick().await;
                if let Err(e) = counter.flush(&db).await {
                    tracing::warn!(error = %e, "could not write download counts; retrying");
                }
            }
        })
    };
    let listener = TcpListener::bind(serve.addr)
        .await
        .with_context(|| format!("cannot listen on {}", serve.addr))?;
    tracing::info!("appcat serving on http://{}", serve.addr);
    crate::serve::serve(
        listener,
        app,
        Duration::from_secs(serve.header_timeout_secs.max(1)),
        Duration::from_secs(serve.shutdown_drain_secs),
        shutdown_signal(),
    )
    .await?;
    // A clean shutdown loses no count.
    sweeper.abort();
    flusher.abort();
    let written = counter
        .flush(&db)
        .await
        .map_err(|e| anyhow::anyhow!("writing the last download counts: {e}"))?;
    tracing::info!(written, "download and view counts written");
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

/// The first line of standard input, without its line end.
fn read_password() -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin().read_line(&mut line)?;
    let p = line.trim_end_matches(['\r', '\n']).to_owned();
    anyhow::ensure!(!p.is_empty(), "no password on standard input");
    Ok(p)
}
