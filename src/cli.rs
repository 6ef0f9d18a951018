//! The `woolly` command line: `serve`, `migrate`, and `accounts …` / `domains …` operator
//! commands in the spirit of Mastodon's `tootctl`.

use clap::{Parser, Subcommand, ValueEnum};

use crate::config::Config;
use crate::db::accounts as repo;
use crate::server::open_db;
use crate::service::accounts::{CreateError, NewLocalAccount, create_local};
use crate::time::{now_ms, rfc3339};

/// Woolly: a federated microblogging server with a Mastodon-compatible API.
#[derive(Debug, Parser)]
#[command(name = "woolly", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the server (applies pending migrations first). The default command.
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Manage local accounts.
    #[command(subcommand)]
    Accounts(AccountsCommand),
    /// Manage domain blocks (a block covers the domain and its subdomains).
    #[command(subcommand)]
    Domains(DomainsCommand),
}

/// Severities of a domain block.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum SeverityArg {
    /// Cut the domain off: no deliveries in or out, no fetches, signatures refused.
    Suspend,
    /// Recorded for moderation (limits accounts in Mastodon).
    Silence,
    /// Recorded only (media or report rejection alone).
    Noop,
}

impl SeverityArg {
    fn as_str(self) -> &'static str {
        match self {
            SeverityArg::Suspend => "suspend",
            SeverityArg::Silence => "silence",
            SeverityArg::Noop => "noop",
        }
    }
}

#[derive(Debug, Subcommand)]
enum DomainsCommand {
    /// Block a domain (or change its block). A running server sees the change within
    /// 10 seconds.
    Block {
        /// Domain name (`example.com`), optionally with a port.
        domain: String,
        /// What the block does.
        #[arg(long, value_enum, default_value = "suspend")]
        severity: SeverityArg,
        /// Reject media files from the domain.
        #[arg(long)]
        reject_media: bool,
        /// Ignore reports from the domain.
        #[arg(long)]
        reject_reports: bool,
        /// Note for moderators.
        #[arg(long)]
        comment: Option<String>,
    },
    /// Remove a domain's block.
    Unblock {
        /// Domain name, as blocked.
        domain: String,
    },
    /// List domain blocks.
    List,
}

/// Roles a local user can have.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum RoleArg {
    User,
    Moderator,
    Admin,
}

impl RoleArg {
    fn as_str(self) -> &'static str {
        match self {
            RoleArg::User => "user",
            RoleArg::Moderator => "moderator",
            RoleArg::Admin => "admin",
        }
    }
}

#[derive(Debug, Subcommand)]
enum AccountsCommand {
    /// Create a local account. Prints the password when it was generated.
    Create {
        /// Username (letters, digits, underscores).
        username: String,
        /// E-mail address.
        #[arg(long)]
        email: String,
        /// Password; generated when omitted.
        #[arg(long)]
        password: Option<String>,
        /// Role of the new user.
        #[arg(long, value_enum, default_value = "user")]
        role: RoleArg,
        /// Mark the e-mail address as confirmed (otherwise, when `smtp_url` is set, a
        /// confirmation e-mail is sent).
        #[arg(long)]
        confirmed: bool,
    },
    /// Change a user's role.
    SetRole {
        /// Username of a local account.
        username: String,
        /// New role.
        #[arg(value_enum)]
        role: RoleArg,
    },
    /// Set a new password (generated and printed) and sign the user out everywhere (access
    /// tokens revoked, browser sessions ended).
    ResetPassword {
        /// Username of a local account.
        username: String,
    },
    /// List local accounts.
    List,
}

/// Parses arguments and runs the chosen command.
pub async fn run() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let config = Config::load()?;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => crate::server::serve(config).await,
        Command::Migrate => {
            let db = open_db(&config).await?;
            db.migrate().await?;
            crate::service::instance_actor::ensure(&db).await?;
            println!("Migrations applied ({:?}).", db.backend());
            Ok(())
        }
        Command::Accounts(cmd) => accounts(config, cmd).await,
        Command::Domains(cmd) => domains(config, cmd).await,
    }
}

async fn domains(config: Config, cmd: DomainsCommand) -> anyhow::Result<()> {
    use crate::service::domain_blocks::{self as blocks, DomainBlockCache, NewBlock};
    let db = open_db(&config).await?;
    db.migrate().await?;
    // This process has no server to tell; a running server rereads within 10 s.
    let cache = DomainBlockCache::default();
    match cmd {
        DomainsCommand::Block {
            domain,
            severity,
            reject_media,
            reject_reports,
            comment,
        } => {
            let new = NewBlock {
                reject_media,
                reject_reports,
                private_comment: comment,
                ..NewBlock::new(&domain, severity.as_str())
            };
            let b = blocks::block(&db, &cache, new)
                .await
                .map_err(|e| anyhow::anyhow!("{domain}: {e}"))?;
            println!(
                "OK: {} is blocked ({}); the server's workers apply it to the accounts it knows",
                b.domain, b.severity
            );
            Ok(())
        }
        DomainsCommand::Unblock { domain } => {
            let found = blocks::find(&db, &domain)
                .await
                .map_err(|e| anyhow::anyhow!("{domain}: {e}"))?;
            let Some(b) = found else {
                anyhow::bail!("{domain} is not blocked");
            };
            blocks::unblock(&db, &cache, b.id).await?;
            println!("OK: {} is no longer blocked", b.domain);
            Ok(())
        }
        DomainsCommand::List => {
            println!(
                "{:<40} {:<8} {:<6} {:<7} {:<24} COMMENT",
                "DOMAIN", "SEVERITY", "MEDIA", "REPORTS", "CREATED"
            );
            for b in blocks::list(&db).await? {
                println!(
                    "{:<40} {:<8} {:<6} {:<7} {:<24} {}",
                    b.domain,
                    b.severity,
                    if b.reject_media { "reject" } else { "-" },
                    if b.reject_reports { "reject" } else { "-" },
                    rfc3339(b.created_at),
                    b.private_comment.unwrap_or_default()
                );
            }
            Ok(())
        }
    }
}

async fn accounts(config: Config, cmd: AccountsCommand) -> anyhow::Result<()> {
    let db = open_db(&config).await?;
    db.migrate().await?;
    match cmd {
        AccountsCommand::Create {
            username,
            email,
            password,
            role,
            confirmed,
        } => {
            let generated = password.is_none();
            let password = password.unwrap_or_else(|| crate::crypto::random_token(18));
            let confirmed = confirmed || !config.email_confirmation_required();
            let new = NewLocalAccount {
                username: username.clone(),
                email: email.clone(),
                password: password.clone(),
                role: role.as_str().into(),
                confirmed,
                approved: true,
                locale: "en".into(),
                reason: None,
                sign_up_ip: None,
            };
            match create_local(&db, &config, new).await {
                Ok(created) => {
                    println!(
                        "OK: created @{username} (account id {})",
                        created.account_id
                    );
                    if generated {
                        println!("New password: {password}");
                    }
                    if let Some(token) = &created.confirmation_token {
                        send_confirmation(&config, token, &email, &username).await;
                    }
                    Ok(())
                }
                Err(CreateError::Invalid(v)) => {
                    anyhow::bail!("{} {} ({})", v.field, v.description, v.code)
                }
                Err(CreateError::Internal(e)) => Err(e),
            }
        }
        AccountsCommand::SetRole { username, role } => {
            let user = find_user(&db, &username).await?;
            let mut tx = db.begin().await?;
            repo::set_role(tx.conn(), user.id, role.as_str(), now_ms()).await?;
            tx.commit().await?;
            println!("OK: @{username} is now {}", role.as_str());
            Ok(())
        }
        AccountsCommand::ResetPassword { username } => {
            let user = find_user(&db, &username).await?;
            let password = crate::crypto::random_token(18);
            let hash = crate::crypto::hash_password_async(password.clone()).await?;
            let mut tx = db.begin().await?;
            repo::set_password_hash(tx.conn(), user.id, &hash, now_ms()).await?;
            crate::db::oauth::revoke_user_tokens(tx.conn(), user.id, now_ms()).await?;
            crate::db::oauth::delete_user_sessions(tx.conn(), user.id).await?;
            tx.commit().await?;
            println!("OK: new password for @{username}: {password}");
            Ok(())
        }
        AccountsCommand::List => {
            let mut h = db.read().await?;
            let users = repo::list_users(h.conn()).await?;
            println!(
                "{:<20} {:<10} {:<9} {:<9} {:<24} EMAIL",
                "USERNAME", "ROLE", "CONFIRMED", "APPROVED", "CREATED"
            );
            for u in users {
                println!(
                    "{:<20} {:<10} {:<9} {:<9} {:<24} {}",
                    u.username,
                    if u.disabled {
                        format!("{} (off)", u.role)
                    } else {
                        u.role.clone()
                    },
                    u.confirmed_at.is_some(),
                    u.approved,
                    rfc3339(u.created_at),
                    u.email
                );
            }
            Ok(())
        }
    }
}

/// Sends the confirmation e-mail of a new unconfirmed user; a delivery failure is reported
/// but does not fail the command (the user can ask for the mail again).
async fn send_confirmation(config: &Config, token: &str, email: &str, username: &str) {
    let mail = crate::service::mail::confirmation_mail(config, email, username, token);
    match crate::service::mail::send(config, &mail).await {
        Ok(()) => println!("Confirmation e-mail sent to {email}."),
        Err(e) => eprintln!(
            "warning: the confirmation e-mail to {email} could not be sent ({e:#}); \
             use --confirmed to skip confirmation"
        ),
    }
}

async fn find_user(db: &crate::db::Db, username: &str) -> anyhow::Result<repo::User> {
    let mut h = db.read().await?;
    let account = repo::find_by_username(h.conn(), username, None)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no local account @{username}"))?;
    repo::get_user_by_account(h.conn(), account.id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("@{username} has no login"))
}
