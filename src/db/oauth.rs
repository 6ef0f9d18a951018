//! OAuth applications, authorization codes, access tokens and browser sessions.
//! Secrets are stored as SHA-256 digests; lookups are by digest.

use sqlx::FromRow;

use super::Conn;
use super::accounts::{ACCOUNT_COLUMNS, Account, User};
use crate::with_conn;

/// One row of `oauth_applications`.
#[derive(Debug, Clone, FromRow)]
pub struct Application {
    pub id: i64,
    pub name: String,
    pub website: Option<String>,
    pub redirect_uris: String,
    pub scopes: String,
    pub client_id: String,
    pub client_secret_hash: String,
    pub created_at: i64,
}

impl Application {
    /// The registered redirect URIs.
    pub fn redirect_uri_list(&self) -> Vec<String> {
        self.redirect_uris
            .lines()
            .map(str::to_owned)
            .filter(|s| !s.is_empty())
            .collect()
    }
}

const APP_COLUMNS: &str =
    "id, name, website, redirect_uris, scopes, client_id, client_secret_hash, created_at";

/// Inserts an application.
pub async fn insert_application(c: Conn<'_>, app: &Application) -> Result<(), sqlx::Error> {
    with_conn!(c, |c| {
        sqlx::query(
        "INSERT INTO oauth_applications (id, name, website, redirect_uris, scopes, client_id, client_secret_hash, created_at) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8)"
    )
    .bind(app.id)
    .bind(&app.name)
    .bind(&app.website)
    .bind(&app.redirect_uris)
    .bind(&app.scopes)
    .bind(&app.client_id)
    .bind(&app.client_secret_hash)
    .bind(app.created_at)
    .execute(c)
    .await
    .map(|_| ())
    })
}

/// The application with this id.
pub async fn get_application(c: Conn<'_>, id: i64) -> Result<Option<Application>, sqlx::Error> {
    let sql = format!("SELECT {APP_COLUMNS} FROM oauth_applications WHERE id = $1");
    with_conn!(c, |c| sqlx::query_as::<_, Application>(
        sqlx::AssertSqlSafe(sql.as_str())
    )
    .bind(id)
    .fetch_optional(c)
    .await)
}

/// The application with this public client id.
pub async fn find_application_by_client_id(
    c: Conn<'_>,
    client_id: &str,
) -> Result<Option<Application>, sqlx::Error> {
    let sql = format!("SELECT {APP_COLUMNS} FROM oauth_applications WHERE client_id = $1");
    with_conn!(c, |c| sqlx::query_as::<_, Application>(
        sqlx::AssertSqlSafe(sql.as_str())
    )
    .bind(client_id)
    .fetch_optional(c)
    .await)
}

/// One row of `oauth_authorization_codes`.
#[derive(Debug, Clone, FromRow)]
pub struct AuthorizationCode {
    pub code_hash: String,
    pub application_id: i64,
    pub user_id: i64,
    pub redirect_uri: String,
    pub scopes: String,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
    pub expires_at: i64,
    pub created_at: i64,
}

/// Stores an authorization code (by digest).
pub async fn insert_code(c: Conn<'_>, code: &AuthorizationCode) -> Result<(), sqlx::Error> {
    with_conn!(c, |c| {
        sqlx::query(
        "INSERT INTO oauth_authorization_codes (code_hash, application_id, user_id, redirect_uri, scopes, \
         code_challenge, code_challenge_method, expires_at, created_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)"
    )
    .bind(&code.code_hash)
    .bind(code.application_id)
    .bind(code.user_id)
    .bind(&code.redirect_uri)
    .bind(&code.scopes)
    .bind(&code.code_challenge)
    .bind(&code.code_challenge_method)
    .bind(code.expires_at)
    .bind(code.created_at)
    .execute(c)
    .await
    .map(|_| ())
    })
}

/// Removes and returns an authorization code: each code can be redeemed once.
pub async fn take_code(
    c: Conn<'_>,
    code_hash: &str,
) -> Result<Option<AuthorizationCode>, sqlx::Error> {
    with_conn!(c, |c| {
        sqlx::query_as::<_, AuthorizationCode>(
        "DELETE FROM oauth_authorization_codes WHERE code_hash = $1 RETURNING code_hash, application_id, user_id, \
         redirect_uri, scopes, code_challenge, code_challenge_method, expires_at, created_at"
    )
    .bind(code_hash)
    .fetch_optional(c)
    .await
    })
}

/// One row of `oauth_access_tokens`.
#[derive(Debug, Clone, FromRow)]
pub struct AccessToken {
    pub id: i64,
    pub application_id: Option<i64>,
    pub user_id: Option<i64>,
    pub scopes: String,
    pub created_at: i64,
}

/// Stores a new access token (by digest).
pub async fn insert_token(
    c: Conn<'_>,
    id: i64,
    token_hash: &str,
    application_id: Option<i64>,
    user_id: Option<i64>,
    scopes: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    with_conn!(c, |c| {
        sqlx::query(
        "INSERT INTO oauth_access_tokens (id, token_hash, application_id, user_id, scopes, created_at) VALUES ($1,$2,$3,$4,$5,$6)"
    )
    .bind(id)
    .bind(token_hash)
    .bind(application_id)
    .bind(user_id)
    .bind(scopes)
    .bind(now)
    .execute(c)
    .await
    .map(|_| ())
    })
}

/// The live (not revoked) token with this digest.
pub async fn find_token(c: Conn<'_>, token_hash: &str) -> Result<Option<AccessToken>, sqlx::Error> {
    with_conn!(c, |c| sqlx::query_as::<_, AccessToken>(
        "SELECT id, application_id, user_id, scopes, created_at FROM oauth_access_tokens \
         WHERE token_hash = $1 AND revoked_at IS NULL"
    )
    .bind(token_hash)
    .fetch_optional(c)
    .await)
}

/// A live user token with its login and profile, as loaded on every authenticated request.
#[derive(Debug, Clone, FromRow)]
pub struct UserToken {
    pub token_id: i64,
    pub token_application_id: Option<i64>,
    pub token_scopes: String,
    pub u_id: i64,
    pub u_email: String,
    pub u_password_hash: String,
    pub u_role: String,
    pub u_confirmed_at: Option<i64>,
    pub u_approved: bool,
    pub u_disabled: bool,
    pub u_otp_secret: Option<String>,
    pub u_locale: String,
    pub u_default_privacy: String,
    pub u_default_sensitive: bool,
    pub u_default_language: Option<String>,
    pub u_created_at: i64,
    #[sqlx(flatten)]
    pub account: Account,
}

impl UserToken {
    /// The login part of the row.
    pub fn user(&self) -> User {
        User {
            id: self.u_id,
            account_id: self.account.id,
            email: self.u_email.clone(),
            password_hash: self.u_password_hash.clone(),
            role: self.u_role.clone(),
            confirmed_at: self.u_confirmed_at,
            approved: self.u_approved,
            disabled: self.u_disabled,
            otp_secret: self.u_otp_secret.clone(),
            locale: self.u_locale.clone(),
            default_privacy: self.u_default_privacy.clone(),
            default_sensitive: self.u_default_sensitive,
            default_language: self.u_default_language.clone(),
            created_at: self.u_created_at,
        }
    }
}

/// The live user token with this digest, its user and account, in one query; `None` for
/// unknown, revoked and application-only tokens (see [`find_token`]).
pub async fn find_user_token(
    c: Conn<'_>,
    token_hash: &str,
) -> Result<Option<UserToken>, sqlx::Error> {
    static SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        let account_cols: Vec<String> = ACCOUNT_COLUMNS
            .split(',')
            .map(|c| format!("a.{}", c.trim()))
            .collect();
        format!(
            "SELECT t.id AS token_id, t.application_id AS token_application_id, \
             t.scopes AS token_scopes, u.id AS u_id, u.email AS u_email, \
             u.password_hash AS u_password_hash, u.role AS u_role, \
             u.confirmed_at AS u_confirmed_at, u.approved AS u_approved, \
             u.disabled AS u_disabled, u.otp_secret AS u_otp_secret, u.locale AS u_locale, \
             u.default_privacy AS u_default_privacy, u.default_sensitive AS u_default_sensitive, \
             u.default_language AS u_default_language, u.created_at AS u_created_at, {} \
             FROM oauth_access_tokens t JOIN users u ON u.id = t.user_id \
             JOIN accounts a ON a.id = u.account_id \
             WHERE t.token_hash = $1 AND t.revoked_at IS NULL",
            account_cols.join(", ")
        )
    });
    with_conn!(c, |c| sqlx::query_as::<_, UserToken>(sqlx::AssertSqlSafe(
        SQL.as_str()
    ))
    .bind(token_hash)
    .fetch_optional(c)
    .await)
}

/// Revokes the token with this digest if it belongs to the application; returns whether one was.
pub async fn revoke_token(
    c: Conn<'_>,
    token_hash: &str,
    application_id: i64,
    now: i64,
) -> Result<bool, sqlx::Error> {
    with_conn!(c, |c| {
        sqlx::query(
        "UPDATE oauth_access_tokens SET revoked_at = $3 WHERE token_hash = $1 AND application_id = $2 AND revoked_at IS NULL"
    )
    .bind(token_hash)
    .bind(application_id)
    .bind(now)
    .execute(c)
    .await
    .map(|r| r.rows_affected() > 0)
    })
}

/// Revokes every token of a user (password reset, disabling).
pub async fn revoke_user_tokens(c: Conn<'_>, user_id: i64, now: i64) -> Result<u64, sqlx::Error> {
    with_conn!(c, |c| sqlx::query(
        "UPDATE oauth_access_tokens SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL"
    )
    .bind(user_id)
    .bind(now)
    .execute(c)
    .await
    .map(|r| r.rows_affected()))
}

/// Those of `token_ids` that still authenticate a user who may use the API: not revoked,
/// the user neither disabled nor suspended (open streams recheck this; see
/// `api::streaming::dispatch`).
pub async fn usable_user_tokens(c: Conn<'_>, token_ids: &[i64]) -> Result<Vec<i64>, sqlx::Error> {
    if token_ids.is_empty() {
        return Ok(Vec::new());
    }
    let ids = super::padded(token_ids);
    let sql = format!(
        "SELECT t.id FROM oauth_access_tokens t JOIN users u ON u.id = t.user_id \
         JOIN accounts a ON a.id = u.account_id \
         WHERE t.id IN ({}) AND t.revoked_at IS NULL AND NOT u.disabled AND a.suspended_at IS NULL",
        super::placeholders(1, ids.len())
    );
    with_conn!(c, |c| {
        let mut q = sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql.as_str()));
        for id in &ids {
            q = q.bind(*id);
        }
        q.fetch_all(c).await
    })
}

/// A browser session for the server-rendered pages.
#[derive(Debug, Clone, FromRow)]
pub struct WebSession {
    pub token_hash: String,
    pub user_id: i64,
    pub csrf_token: String,
    pub expires_at: i64,
}

/// Stores a browser session.
pub async fn insert_session(c: Conn<'_>, s: &WebSession, now: i64) -> Result<(), sqlx::Error> {
    with_conn!(c, |c| {
        sqlx::query(
        "INSERT INTO web_sessions (token_hash, user_id, csrf_token, created_at, expires_at) VALUES ($1,$2,$3,$4,$5)"
    )
    .bind(&s.token_hash)
    .bind(s.user_id)
    .bind(&s.csrf_token)
    .bind(now)
    .bind(s.expires_at)
    .execute(c)
    .await
    .map(|_| ())
    })
}

/// The unexpired session with this digest.
pub async fn find_session(
    c: Conn<'_>,
    token_hash: &str,
    now: i64,
) -> Result<Option<WebSession>, sqlx::Error> {
    with_conn!(c, |c| {
        sqlx::query_as::<_, WebSession>(
        "SELECT token_hash, user_id, csrf_token, expires_at FROM web_sessions WHERE token_hash = $1 AND expires_at > $2"
    )
    .bind(token_hash)
    .bind(now)
    .fetch_optional(c)
    .await
    })
}

/// Ends a browser session.
pub async fn delete_session(c: Conn<'_>, token_hash: &str) -> Result<(), sqlx::Error> {
    with_conn!(c, |c| sqlx::query(
        "DELETE FROM web_sessions WHERE token_hash = $1"
    )
    .bind(token_hash)
    .execute(c)
    .await
    .map(|_| ()))
}

/// A token row looked up for revocation, revoked or not.
#[derive(Debug, Clone, FromRow)]
pub struct TokenOwner {
    pub id: i64,
    pub application_id: Option<i64>,
    pub revoked_at: Option<i64>,
}

/// The token with this digest, including revoked ones (for `POST /oauth/revoke`).
pub async fn find_token_owner(
    c: Conn<'_>,
    token_hash: &str,
) -> Result<Option<TokenOwner>, sqlx::Error> {
    with_conn!(c, |c| sqlx::query_as::<_, TokenOwner>(
        "SELECT id, application_id, revoked_at FROM oauth_access_tokens WHERE token_hash = $1"
    )
    .bind(token_hash)
    .fetch_optional(c)
    .await)
}

/// Revokes the token with this row id (no-op when already revoked).
pub async fn revoke_token_id(c: Conn<'_>, id: i64, now: i64) -> Result<(), sqlx::Error> {
    with_conn!(c, |c| sqlx::query(
        "UPDATE oauth_access_tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL"
    )
    .bind(id)
    .bind(now)
    .execute(c)
    .await
    .map(|_| ()))
}

/// Deletes authorization codes that expired before `now`.
pub async fn delete_expired_codes(c: Conn<'_>, now: i64) -> Result<u64, sqlx::Error> {
    with_conn!(c, |c| sqlx::query(
        "DELETE FROM oauth_authorization_codes WHERE expires_at <= $1"
    )
    .bind(now)
    .execute(c)
    .await
    .map(|r| r.rows_affected()))
}

/// Deletes browser sessions that expired before `now`.
pub async fn delete_expired_sessions(c: Conn<'_>, now: i64) -> Result<u64, sqlx::Error> {
    with_conn!(c, |c| sqlx::query(
        "DELETE FROM web_sessions WHERE expires_at <= $1"
    )
    .bind(now)
    .execute(c)
    .await
    .map(|r| r.rows_affected()))
}

/// Ends every browser session of a user (password reset, disabling).
pub async fn delete_user_sessions(c: Conn<'_>, user_id: i64) -> Result<u64, sqlx::Error> {
    with_conn!(c, |c| sqlx::query(
        "DELETE FROM web_sessions WHERE user_id = $1"
    )
    .bind(user_id)
    .execute(c)
    .await
    .map(|r| r.rows_affected()))
}

/// Replaces a user's e-mail confirmation token with `digest` (SHA-256 of the token sent),
/// sent at `now`.
pub async fn set_confirmation_token(
    c: Conn<'_>,
    user_id: i64,
    digest: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    with_conn!(c, |c| {
        sqlx::query(
        "UPDATE users SET confirmation_token = $2, confirmation_sent_at = $3, updated_at = $3 WHERE id = $1"
    )
    .bind(user_id)
    .bind(digest)
    .bind(now)
    .execute(c)
    .await
    .map(|_| ())
    })
}

/// Changes the address of a user whose address is not confirmed yet.
pub async fn set_unconfirmed_email(
    c: Conn<'_>,
    user_id: i64,
    email: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    with_conn!(c, |c| sqlx::query(
        "UPDATE users SET email = $2, updated_at = $3 WHERE id = $1 AND confirmed_at IS NULL"
    )
    .bind(user_id)
    .bind(email)
    .bind(now)
    .execute(c)
    .await
    .map(|_| ()))
}

/// What following a confirmation link did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Confirmation {
    /// The address of this user is now confirmed (the token is consumed).
    Confirmed(i64),
    /// The token exists but was sent before the confirmation window; nothing changed.
    Expired,
    /// No user holds this token (wrong, or already used).
    Unknown,
}

/// Confirms the e-mail address of the user whose confirmation token has SHA-256 `digest`,
/// provided it was sent at or after `sent_after`; the token is consumed.
pub async fn confirm_email(
    mut c: Conn<'_>,
    digest: &str,
    now: i64,
    sent_after: i64,
) -> Result<Confirmation, sqlx::Error> {
    let confirmed = with_conn!(c.re(), |c| {
        sqlx::query_scalar::<_, i64>(
        "UPDATE users SET confirmed_at = $2, confirmation_token = NULL, confirmation_sent_at = NULL, \
         updated_at = $2 WHERE confirmation_token = $1 AND confirmation_sent_at >= $3 RETURNING id"
    )
    .bind(digest)
    .bind(now)
    .bind(sent_after)
    .fetch_optional(c)
    .await
    })?;
    if let Some(id) = confirmed {
        return Ok(Confirmation::Confirmed(id));
    }
    let exists = with_conn!(c, |c| sqlx::query_scalar::<_, i64>(
        "SELECT id FROM users WHERE confirmation_token = $1"
    )
    .bind(digest)
    .fetch_optional(c)
    .await)?;
    Ok(if exists.is_some() {
        Confirmation::Expired
    } else {
        Confirmation::Unknown
    })
}
