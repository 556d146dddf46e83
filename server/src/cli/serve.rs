//! `appcat serve`: sweeps, background tasks, the server loop and a clean
//! shutdown.

use std::time::Duration;

use anyhow::Context;
use leptos::config::LeptosOptions;
use tokio::net::TcpListener;

use crate::config::ServeConfig;
use crate::services::{Catalog, accounts, blobs};
use crate::state::AppState;

pub(super) async fn serve_catalog(catalog: Catalog, serve: ServeConfig) -> anyhow::Result<()> {
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
