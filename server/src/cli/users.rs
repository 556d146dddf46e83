//! `appcat user`: create users, set passwords, add them to tenants.

use clap::Subcommand;

use crate::caller::Role;
use crate::services::accounts;

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

pub(super) async fn run(
    db: &sea_orm::DatabaseConnection,
    command: UserCommand,
) -> anyhow::Result<()> {
    match command {
        UserCommand::Create {
            username,
            display_name,
            email,
            admin,
            tenant,
            role: r,
            password_stdin,
        } => {
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
        UserCommand::SetPassword { username } => {
            let p = read_password()?;
            accounts::set_password(db, &username, &p).await?;
            println!("password set for {username}");
        }
        UserCommand::AddToTenant {
            username,
            tenant,
            role: r,
        } => {
            accounts::set_membership(db, &username, &tenant, role(&r)?).await?;
            println!("{username} is now {r} of {tenant}");
        }
    }
    Ok(())
}

fn role(text: &str) -> anyhow::Result<Role> {
    Role::parse(text).ok_or_else(|| anyhow::anyhow!("role must be member or admin, not '{text}'"))
}

/// The first line of standard input, without its line end.
fn read_password() -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin().read_line(&mut line)?;
    let p = line.trim_end_matches(['\r', '\n']).to_owned();
    anyhow::ensure!(!p.is_empty(), "no password on standard input");
    Ok(p)
}
