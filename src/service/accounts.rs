//! Creating local accounts (sign-up, operator CLI) and the rules for usernames and passwords.

use crate::config::Config;
use crate::crypto;
use crate::db::accounts::{self as repo, NewAccount, NewUser};
use crate::db::{Conn, Db, is_unique_violation};
use crate::id::next_id;
use crate::time::now_ms;

/// Usernames nobody may register (they would shadow routes or impersonate the service).
pub const RESERVED_USERNAMES: &[&str] = &[
    "admin",
    "administrator",
    "root",
    "support",
    "help",
    "abuse",
    "postmaster",
    "webmaster",
    "hostmaster",
    "security",
    "moderator",
    "mod",
    "owner",
    "staff",
    "system",
    "instance",
    "actor",
    "woolly",
    "mastodon",
    "api",
    "oauth",
    "settings",
    "about",
    "auth",
    "inbox",
    "outbox",
    "users",
    "tags",
    "nodeinfo",
    "well_known",
    "null",
    "undefined",
    "noreply",
    "no_reply",
    "info",
    "contact",
];

/// Longest username accepted (Mastodon's limit).
pub const MAX_USERNAME: usize = 30;
/// Shortest password accepted.
pub const MIN_PASSWORD: usize = 8;
/// Longest password accepted (bounded hashing work).
pub const MAX_PASSWORD: usize = 72;
/// How long an e-mail confirmation link stays valid (Devise's `confirm_within`, 3 days in
/// Mastodon).
pub const CONFIRMATION_WINDOW_MS: i64 = 3 * 86_400_000;

/// A fresh e-mail confirmation token: (the token to mail, its SHA-256 digest to store).
pub fn new_confirmation_token() -> (String, String) {
    let token = crypto::random_token(32);
    let digest = crypto::sha256_hex(&token);
    (token, digest)
}

/// Why an account could not be created; `field` and `code` follow Mastodon's 422 `details`.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{field}: {description}")]
pub struct ValidationError {
    /// Parameter name (`username`, `email`, `password`, `agreement`).
    pub field: &'static str,
    /// `ERR_BLANK`, `ERR_TAKEN`, `ERR_INVALID`, `ERR_RESERVED`, `ERR_TOO_LONG`, `ERR_TOO_SHORT`…
    pub code: &'static str,
    /// Human-readable explanation.
    pub description: String,
}

fn invalid(
    field: &'static str,
    code: &'static str,
    description: impl Into<String>,
) -> ValidationError {
    ValidationError {
        field,
        code,
        description: description.into(),
    }
}

/// Checks a username's syntax and that it is not reserved.
pub fn validate_username(username: &str) -> Result<(), ValidationError> {
    if username.is_empty() {
        return Err(invalid("username", "ERR_BLANK", "can't be blank"));
    }
    if username.len() > MAX_USERNAME {
        return Err(invalid(
            "username",
            "ERR_TOO_LONG",
            format!("is too long (maximum is {MAX_USERNAME} characters)"),
        ));
    }
    if !username
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_')
    {
        return Err(invalid(
            "username",
            "ERR_INVALID",
            "must contain only letters, numbers and underscores",
        ));
    }
    if RESERVED_USERNAMES.contains(&username.to_ascii_lowercase().as_str()) {
        return Err(invalid("username", "ERR_RESERVED", "is reserved"));
    }
    Ok(())
}

/// Checks an e-mail address's basic shape (`local@domain.tld`).
pub fn validate_email(email: &str) -> Result<(), ValidationError> {
    if email.is_empty() {
        return Err(invalid("email", "ERR_BLANK", "can't be blank"));
    }
    let ok = email.len() <= 254
        && !email.chars().any(char::is_whitespace)
        && email.split_once('@').is_some_and(|(l, d)| {
            !l.is_empty() && d.contains('.') && !d.starts_with('.') && !d.ends_with('.')
        });
    if ok {
        Ok(())
    } else {
        Err(invalid("email", "ERR_INVALID", "is invalid"))
    }
}

/// Checks a password's length.
pub fn validate_password(password: &str) -> Result<(), ValidationError> {
    if password.is_empty() {
        return Err(invalid("password", "ERR_BLANK", "can't be blank"));
    }
    if password.chars().count() < MIN_PASSWORD {
        return Err(invalid(
            "password",
            "ERR_TOO_SHORT",
            format!("is too short (minimum is {MIN_PASSWORD} characters)"),
        ));
    }
    if password.len() > MAX_PASSWORD {
        return Err(invalid(
            "password",
            "ERR_TOO_LONG",
            format!("is too long (maximum is {MAX_PASSWORD} characters)"),
        ));
    }
    Ok(())
}

/// What a new local account needs.
#[derive(Debug, Clone)]
pub struct NewLocalAccount {
    pub username: String,
    pub email: String,
    pub password: String,
    pub role: String,
    /// E-mail address already confirmed (CLI `--confirmed`, or no mail server configured).
    pub confirmed: bool,
    /// Approved to log in (false when registrations need approval).
    pub approved: bool,
    pub locale: String,
    pub reason: Option<String>,
    pub sign_up_ip: Option<String>,
}

/// The ids of a created account.
#[derive(Debug, Clone)]
pub struct CreatedAccount {
    pub account_id: i64,
    pub user_id: i64,
    /// The e-mail confirmation token to send, for an unconfirmed account (only its digest is
    /// stored).
    pub confirmation_token: Option<String>,
}

/// Errors of [`create_local`], [`prepare_local`] and [`PreparedAccount::insert`].
#[derive(Debug, thiserror::Error)]
pub enum CreateError {
    /// A field is invalid or taken.
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    /// Database or crypto failure.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// Validates and creates a local account with its user and RSA key pair, in one transaction.
/// (Sign-up, which also issues an access token in that transaction, uses [`prepare_local`]
/// and [`PreparedAccount::insert`].)
pub async fn create_local(
    db: &Db,
    cfg: &Config,
    new: NewLocalAccount,
) -> Result<CreatedAccount, CreateError> {
    let prepared = prepare_local(db, cfg, new).await?;
    let mut tx = db.begin().await.map_err(insert_error)?;
    let created = prepared.insert(tx.conn()).await?;
    tx.commit().await.map_err(insert_error)?;
    Ok(created)
}

/// A validated local account with its password hashed and key pair generated (the slow part,
/// done outside any transaction), ready to be inserted with [`PreparedAccount::insert`].
#[derive(Debug, Clone)]
pub struct PreparedAccount {
    account: NewAccount,
    user: NewUser,
    /// The confirmation token to mail (the user row holds its digest).
    confirmation_token: Option<String>,
}

/// Validates `new`, checks that the username and e-mail address are free, hashes the password
/// and generates the RSA key pair. Nothing is written.
pub async fn prepare_local(
    db: &Db,
    cfg: &Config,
    new: NewLocalAccount,
) -> Result<PreparedAccount, CreateError> {
    validate_username(&new.username)?;
    validate_email(&new.email)?;
    validate_password(&new.password)?;
    {
        let mut h = db.read().await.map_err(anyhow::Error::from)?;
        if repo::find_by_username(h.conn(), &new.username, None)
            .await
            .map_err(anyhow::Error::from)?
            .is_some()
        {
            return Err(invalid("username", "ERR_TAKEN", "has already been taken").into());
        }
        if repo::email_taken(h.conn(), &new.email)
            .await
            .map_err(anyhow::Error::from)?
        {
            return Err(invalid("email", "ERR_TAKEN", "has already been taken").into());
        }
    }
    let (hash, keys) = tokio::join!(
        crypto::hash_password_async(new.password.clone()),
        crypto::generate_rsa_keypair_async()
    );
    let hash = hash?;
    let (private_pem, public_pem) = keys?;
    let now = now_ms();
    let account_id = next_id();
    let confirmation = (!new.confirmed).then(new_confirmation_token);
    let actor = format!("{}/users/{}", cfg.url, new.username);
    let account = NewAccount {
        id: account_id,
        username: new.username.clone(),
        domain: None,
        display_name: String::new(),
        uri: actor.clone(),
        url: Some(format!("{}/@{}", cfg.url, new.username)),
        inbox_url: Some(format!("{actor}/inbox")),
        shared_inbox_url: Some(format!("{}/inbox", cfg.url)),
        outbox_url: Some(format!("{actor}/outbox")),
        followers_url: Some(format!("{actor}/followers")),
        following_url: Some(format!("{actor}/following")),
        public_key_pem: public_pem,
        private_key_pem: Some(private_pem),
        locked: false,
        bot: false,
        created_at: now,
    };
    let user = NewUser {
        id: next_id(),
        account_id,
        email: new.email,
        password_hash: hash,
        role: new.role,
        confirmed_at: new.confirmed.then_some(now),
        confirmation_token: confirmation.as_ref().map(|(_, digest)| digest.clone()),
        confirmation_sent_at: confirmation.as_ref().map(|_| now),
        approved: new.approved,
        locale: new.locale,
        reason: new.reason,
        sign_up_ip: new.sign_up_ip,
        created_at: now,
    };
    Ok(PreparedAccount {
        account,
        user,
        confirmation_token: confirmation.map(|(token, _)| token),
    })
}

impl PreparedAccount {
    /// Inserts the account and its user in the caller's transaction. A username or address
    /// taken meanwhile (a concurrent sign-up) is reported like the pre-check reports it; the
    /// transaction must then be abandoned.
    pub async fn insert(&self, mut c: Conn<'_>) -> Result<CreatedAccount, CreateError> {
        repo::insert(c.re(), &self.account)
            .await
            .map_err(insert_error)?;
        repo::insert_user(c, &self.user)
            .await
            .map_err(insert_error)?;
        Ok(CreatedAccount {
            account_id: self.account.id,
            user_id: self.user.id,
            confirmation_token: self.confirmation_token.clone(),
        })
    }
}

/// Maps a failed insert: a unique violation means the username or e-mail was taken by a
/// concurrent sign-up.
fn insert_error(e: sqlx::Error) -> CreateError {
    if is_unique_violation(&e) {
        let field = if e.to_string().contains("email") {
            "email"
        } else {
            "username"
        };
        invalid(field, "ERR_TAKEN", "has already been taken").into()
    } else {
        anyhow::Error::from(e).context("creating account").into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn username_rules() {
        assert!(validate_username("alice_99").is_ok());
        assert_eq!(validate_username("").unwrap_err().code, "ERR_BLANK");
        assert_eq!(validate_username("al ice").unwrap_err().code, "ERR_INVALID");
        assert_eq!(validate_username("émile").unwrap_err().code, "ERR_INVALID");
        assert_eq!(validate_username("Admin").unwrap_err().code, "ERR_RESERVED");
        assert_eq!(
            validate_username(&"a".repeat(31)).unwrap_err().code,
            "ERR_TOO_LONG"
        );
    }

    #[test]
    fn email_and_password_rules() {
        assert!(validate_email("a@b.example").is_ok());
        assert!(validate_email("nope").is_err());
        assert!(validate_email("a@b").is_err());
        assert!(validate_password("short").is_err());
        assert!(validate_password("long enough").is_ok());
        assert!(validate_password(&"x".repeat(73)).is_err());
    }
}
