//! Configuration, read once at start from flags and `APPCAT_*` environment
//! variables (documented in the README and `.env.sample`). clap names the
//! variable in any parse error.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Args;

#[derive(Debug, Clone, Args)]
pub struct Config {
    /// Database URL: `sqlite://<file>?mode=rwc` or `postgres://...`.
    /// Default: an SQLite file `appcat.db` in the data directory.
    #[arg(long, env = "APPCAT_DATABASE_URL", global = true)]
    pub database_url: Option<String>,

    /// Directory for the embedded database and the blob store.
    #[arg(long, env = "APPCAT_DATA_DIR", default_value = "data", global = true)]
    pub data_dir: PathBuf,

    /// Extra artifact type definitions (`*.toml`), added to the built-in ones.
    #[arg(long, env = "APPCAT_TYPES_DIR", global = true)]
    pub types_dir: Option<PathBuf>,

    /// Largest blob accepted, in bytes, whatever a type allows.
    #[arg(long, env = "APPCAT_MAX_BLOB_SIZE", default_value_t = 10 * 1024 * 1024 * 1024, global = true)]
    pub max_blob_size: u64,

    /// Seconds without a heartbeat after which an upload still `saving`
    /// counts as abandoned and is rolled back (uploads beat every third of
    /// it); see docs/CRASH-SAFETY.md.
    #[arg(
        long,
        env = "APPCAT_STALE_UPLOAD_SECS",
        default_value_t = 30,
        value_parser = clap::value_parser!(i64).range(3..),
        global = true
    )]
    pub stale_upload_secs: i64,

    /// Most database connections in the pool.
    #[arg(
        long,
        env = "APPCAT_DB_MAX_CONNECTIONS",
        default_value_t = 16,
        global = true
    )]
    pub db_max_connections: u32,

    /// Seconds within which repeated downloads (or page views) of one
    /// artifact by one client count once.
    #[arg(
        long,
        env = "APPCAT_COUNT_WINDOW_SECS",
        default_value_t = 60,
        global = true
    )]
    pub count_window_secs: u64,
}

#[derive(Debug, Clone, Args)]
pub struct ServeConfig {
    /// Address to listen on.
    #[arg(long, env = "APPCAT_ADDR", default_value = "127.0.0.1:3000")]
    pub addr: SocketAddr,

    /// Directory with the compiled site (`pkg/` with the WASM bundle and CSS).
    #[arg(long, env = "LEPTOS_SITE_ROOT", default_value = "target/site")]
    pub site_root: String,

    /// Seconds a page request may take (API requests, such as blob
    /// transfers, are not bounded).
    #[arg(long, env = "APPCAT_REQUEST_TIMEOUT_SECS", default_value_t = 30)]
    pub request_timeout_secs: u64,

    /// Seconds between writes of the download and page-view counts (they
    /// are also written on a clean shutdown).
    #[arg(long, env = "APPCAT_STATS_FLUSH_SECS", default_value_t = 5)]
    pub stats_flush_secs: u64,

    /// Seconds between sweeps for abandoned uploads (also one at start).
    #[arg(long, env = "APPCAT_UPLOAD_SWEEP_SECS", default_value_t = 5)]
    pub upload_sweep_secs: u64,

    /// Seconds between sweeps for stored files no blob refers to (also one
    /// at start).
    #[arg(long, env = "APPCAT_ORPHAN_SWEEP_SECS", default_value_t = 3600)]
    pub orphan_sweep_secs: u64,

    /// Seconds a stored file must be unchanged before the orphan sweep may
    /// delete it; longer than any bundle import takes.
    #[arg(long, env = "APPCAT_ORPHAN_GRACE_SECS", default_value_t = 3600)]
    pub orphan_grace_secs: u64,

    /// Seconds a client has to send a request's headers, counted from when
    /// the connection starts waiting for them (also between requests on a
    /// kept-alive connection): slow or idle connections are closed.
    #[arg(long, env = "APPCAT_HEADER_TIMEOUT_SECS", default_value_t = 20)]
    pub header_timeout_secs: u64,

    /// Seconds a shutdown waits for open requests (uploads, downloads) to
    /// finish before it closes their connections.
    #[arg(long, env = "APPCAT_SHUTDOWN_DRAIN_SECS", default_value_t = 60)]
    pub shutdown_drain_secs: u64,

    #[command(flatten)]
    pub web: WebConfig,
}

/// The website: accounts, sessions and sign-in providers.
#[derive(Debug, Clone, Args)]
pub struct WebConfig {
    /// Whether visitors may create accounts (`open` or `closed`). Closed:
    /// accounts come from the CLI or, for a known identity, the OpenID
    /// Connect provider.
    #[arg(long, env = "APPCAT_REGISTRATION", default_value = "open", value_parser = ["open", "closed"])]
    pub registration: String,

    /// The address users reach the site at (`https://apps.example.org`).
    /// Used for the OpenID Connect redirect; an `https://` URL makes the
    /// session cookie `Secure`. Default: `http://<APPCAT_ADDR>`.
    #[arg(long, env = "APPCAT_PUBLIC_URL")]
    pub public_url: Option<String>,

    /// Days a session lasts without being used.
    #[arg(long, env = "APPCAT_SESSION_DAYS", default_value_t = 14)]
    pub session_days: i64,

    /// OpenID Connect issuer URL; setting it enables "Sign in with ...".
    #[arg(long, env = "APPCAT_OIDC_ISSUER")]
    pub oidc_issuer: Option<String>,

    #[arg(long, env = "APPCAT_OIDC_CLIENT_ID", default_value = "appcat")]
    pub oidc_client_id: String,

    /// The client secret (none: a public client, PKCE only).
    #[arg(long, env = "APPCAT_OIDC_CLIENT_SECRET", hide_env_values = true)]
    pub oidc_client_secret: Option<String>,

    /// Reverse proxies (IP addresses, comma-separated) whose
    /// `X-Forwarded-For` names the client for download counting. Others'
    /// are ignored: a client could put anything there.
    #[arg(long, env = "APPCAT_TRUSTED_PROXIES", value_delimiter = ',')]
    pub trusted_proxies: Vec<std::net::IpAddr>,

    /// The provider's name on the sign-in page.
    #[arg(long, env = "APPCAT_OIDC_NAME", default_value = "single sign-on")]
    pub oidc_name: String,
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            registration: "open".to_owned(),
            public_url: None,
            session_days: 14,
            oidc_issuer: None,
            oidc_client_id: "appcat".to_owned(),
            oidc_client_secret: None,
            oidc_name: "single sign-on".to_owned(),
            trusted_proxies: Vec::new(),
        }
    }
}

impl Config {
    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.clone(),
            None => format!(
                "sqlite://{}?mode=rwc",
                self.data_dir.join("appcat.db").display()
            ),
        }
    }

    pub fn blob_dir(&self) -> PathBuf {
        self.data_dir.join("blobs")
    }
}
