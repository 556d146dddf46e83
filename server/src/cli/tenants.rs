//! `appcat tenant`: create and list tenants.

use clap::Subcommand;

use crate::services::accounts;

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

pub(super) async fn run(
    db: &sea_orm::DatabaseConnection,
    command: TenantCommand,
) -> anyhow::Result<()> {
    match command {
        TenantCommand::Create { id, display_name } => {
            let t = accounts::create_tenant(db, &id, display_name.as_deref()).await?;
            println!("created tenant {}", t.id);
        }
        TenantCommand::List => {
            for t in accounts::list_tenants(db).await? {
                println!("{}\t{}", t.id, t.display_name);
            }
        }
    }
    Ok(())
}

pub(super) async fn ensure_tenant(
    db: &sea_orm::DatabaseConnection,
    tenant: &str,
) -> anyhow::Result<()> {
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
