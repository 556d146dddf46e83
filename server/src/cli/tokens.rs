//! `appcat token`: create, list and revoke API tokens.

use clap::Subcommand;

use crate::services::accounts;

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

pub(super) async fn run(
    db: &sea_orm::DatabaseConnection,
    command: TokenCommand,
) -> anyhow::Result<()> {
    match command {
        TokenCommand::Create {
            user,
            tenant,
            name,
            scopes,
            expires_in_days,
        } => {
            let t =
                accounts::create_token(db, &user, &tenant, &name, &scopes, expires_in_days).await?;
            eprintln!("token {} created; it is shown only once:", t.id);
            println!("{}", t.secret);
        }
        TokenCommand::List { user } => {
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
        TokenCommand::Revoke { id } => {
            accounts::revoke_token(db, &id).await?;
            println!("revoked {id}");
        }
    }
    Ok(())
}
