//! `appcat import` (the legacy catalog, Murano packages, bundles) and
//! `appcat export` (bundles), with progress bars.

use anyhow::Context;
use clap::Subcommand;

use super::tenants::ensure_tenant;
use crate::caller::Caller;
use crate::services::{Catalog, import};

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

pub(super) async fn run(catalog: &Catalog, command: ImportCommand) -> anyhow::Result<()> {
    let db = &catalog.db;
    match command {
        ImportCommand::AppCatalog {
            assets,
            dead,
            tenant,
        } => {
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
                catalog,
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
        ImportCommand::Murano {
            paths,
            tenant,
            public,
        } => {
            ensure_tenant(db, &tenant).await?;
            let bar = progress_bar("packages");
            let report =
                import::import_murano(catalog, &tenant, &paths, public, &report_to(&bar)).await;
            bar.finish_and_clear();
            print_report("packages", &report);
            if !report.failed.is_empty() {
                anyhow::bail!("{} packages could not be imported", report.failed.len());
            }
        }
        ImportCommand::Bundle { path, tenant } => {
            ensure_tenant(db, &tenant).await?;
            let file = std::fs::File::open(&path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            let report = crate::services::bundles::import(catalog, &Caller::system(&tenant), file)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!(
                "bundle imported: {} artifacts created, {} already present",
                report.created, report.unchanged
            );
        }
    }
    // Plan the new rows with real statistics from the first request on.
    crate::services::list::analyze(catalog)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(())
}

/// Writes the bundle of `artifact` (`appcat export`).
pub(super) async fn export(
    catalog: &Catalog,
    artifact: String,
    tenant: String,
    output: std::path::PathBuf,
) -> anyhow::Result<()> {
    let caller = Caller::system(&tenant);
    let (type_name, id) = crate::services::bundles::find_for_export(catalog, &caller, &artifact)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let file = std::fs::File::create(&output)
        .with_context(|| format!("cannot write {}", output.display()))?;
    let summary = crate::services::bundles::export(catalog, &caller, &type_name, &id, file)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    println!(
        "wrote {} with {} artifacts and {} blobs",
        output.display(),
        summary.artifacts,
        summary.blobs
    );
    Ok(())
}

/// Progress reports of an importer shown on a bar.
pub(super) fn report_to(bar: &indicatif::ProgressBar) -> impl Fn(usize, usize, &str) + Sync + '_ {
    move |done, total, item| {
        bar.set_length(total as u64);
        bar.set_position(done as u64);
        bar.set_message(item.to_owned());
    }
}

pub(super) fn progress_bar(what: &str) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(0);
    let style = indicatif::ProgressStyle::with_template(&format!(
        "{{bar:40}} {{pos}}/{{len}} {what} {{wide_msg}}"
    ))
    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
    bar.set_style(style);
    bar
}

pub(super) fn print_report(what: &str, report: &import::Report) {
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
