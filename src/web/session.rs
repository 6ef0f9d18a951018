//! Browser sessions for the server-rendered pages. The cookie holds a random token; the
//! database stores its SHA-256 with a per-session anti-CSRF token. Cookies are `HttpOnly`,
//! `SameSite=Lax`, and `Secure` when `WOOLLY_URL` is https.
//!
//! Before signing in there is no session, so the sign-in form is protected by a
//! double-submit cookie ([`LOGIN_CSRF_COOKIE`]).

use axum::http::{HeaderMap, HeaderValue, header};

use crate::config::Config;
use crate::crypto::{constant_time_eq, random_token, sha256_hex};
use crate::db::accounts::{self, Account, User};
use crate::db::oauth::{self as repo, WebSession};
use crate::state::AppState;
use crate::time::now_ms;

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "woolly_session";
/// Name of the pre-session anti-CSRF cookie of the sign-in form.
pub const LOGIN_CSRF_COOKIE: &str = "woolly_login_csrf";
/// How long a browser session lasts.
pub const SESSION_TTL_MS: i64 = 14 * 24 * 3_600_000;

/// The value of cookie `name` in the request, if present.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim_matches('"').to_owned())
        .filter(|v| !v.is_empty())
}

/// A `Set-Cookie` value for a cookie of the server's pages.
pub fn set_cookie(cfg: &Config, name: &str, value: &str, max_age_secs: i64) -> HeaderValue {
    let secure = if cfg.url.starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/; Max-Age={max_age_secs}; HttpOnly; SameSite=Lax{secure}"
    ))
    .expect("cookie values are URL-safe base64")
}

/// A `Set-Cookie` value that deletes a cookie.
pub fn clear_cookie(cfg: &Config, name: &str) -> HeaderValue {
    set_cookie(cfg, name, "", 0)
}

/// Whether `s` looks like one of our random tokens (URL-safe base64).
fn token_shaped(s: &str) -> bool {
    (20..=100).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// A signed-in browser.
#[derive(Debug, Clone)]
pub struct SignedIn {
    /// The session row.
    pub session: WebSession,
    /// The user.
    pub user: User,
    /// Their account.
    pub account: Account,
}

impl SignedIn {
    /// Whether `token` is this session's anti-CSRF token (constant-time).
    pub fn csrf_matches(&self, token: &str) -> bool {
        !token.is_empty() && constant_time_eq(token, &self.session.csrf_token)
    }
}

/// The session of the request, if its cookie is valid and the user may still sign in.
pub async fn current(state: &AppState, headers: &HeaderMap) -> anyhow::Result<Option<SignedIn>> {
    let Some(raw) = cookie(headers, SESSION_COOKIE).filter(|c| token_shaped(c)) else {
        return Ok(None);
    };
    let mut h = state.db.read().await?;
    let Some(session) = repo::find_session(h.conn(), &sha256_hex(&raw), now_ms()).await? else {
        return Ok(None);
    };
    let Some(user) = accounts::get_user(h.conn(), session.user_id).await? else {
        return Ok(None);
    };
    let Some(account) = accounts::get(h.conn(), user.account_id).await? else {
        return Ok(None);
    };
    if crate::service::oauth::login_state(&user, &account).is_err() {
        return Ok(None);
    }
    Ok(Some(SignedIn {
        session,
        user,
        account,
    }))
}

/// Starts a session for `user_id`, ending the browser's previous one; returns the
/// `Set-Cookie` value.
pub async fn start(
    state: &AppState,
    headers: &HeaderMap,
    user_id: i64,
) -> anyhow::Result<HeaderValue> {
    let raw = random_token(32);
    let now = now_ms();
    let session = WebSession {
        token_hash: sha256_hex(&raw),
        user_id,
        csrf_token: random_token(32),
        expires_at: now + SESSION_TTL_MS,
    };
    let mut tx = state.db.begin().await?;
    if let Some(old) = cookie(headers, SESSION_COOKIE) {
        repo::delete_session(tx.conn(), &sha256_hex(&old)).await?;
    }
    repo::delete_expired_sessions(tx.conn(), now).await?;
    repo::insert_session(tx.conn(), &session, now).await?;
    tx.commit().await?;
    Ok(set_cookie(
        &state.config,
        SESSION_COOKIE,
        &raw,
        SESSION_TTL_MS / 1000,
    ))
}

/// The sign-in form's anti-CSRF token: the browser's existing cookie value, or a new one
/// with the `Set-Cookie` value that stores it.
pub fn login_csrf(cfg: &Config, headers: &HeaderMap) -> (String, Option<HeaderValue>) {
    match cookie(headers, LOGIN_CSRF_COOKIE).filter(|c| token_shaped(c)) {
        Some(existing) => (existing, None),
        None => {
            let token = random_token(32);
            let set = set_cookie(cfg, LOGIN_CSRF_COOKIE, &token, 24 * 3600);
            (token, Some(set))
        }
    }
}

/// Whether the submitted sign-in form token matches the browser's cookie (constant-time).
pub fn login_csrf_matches(headers: &HeaderMap, submitted: &str) -> bool {
    match cookie(headers, LOGIN_CSRF_COOKIE) {
        Some(c) => !submitted.is_empty() && constant_time_eq(&c, submitted),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_parsed_and_flagged() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; woolly_session=abc; b=2"),
        );
        assert_eq!(cookie(&h, SESSION_COOKIE).as_deref(), Some("abc"));
        assert_eq!(cookie(&h, "missing"), None);
        let cfg = Config {
            url: "https://social.example".into(),
            ..Config::default()
        };
        let v = set_cookie(&cfg, "n", "v", 60);
        let v = v.to_str().unwrap();
        assert!(v.contains("HttpOnly") && v.contains("SameSite=Lax") && v.contains("Secure"));
        let v = set_cookie(&Config::default(), "n", "v", 60);
        assert!(!v.to_str().unwrap().contains("Secure"));
    }
}
