//! OAuth 2 rules shared by the JSON endpoints (`/api/v1/apps`, `/oauth/token`, sign-up) and
//! the server-rendered authorization pages: scope checks, client authentication, password
//! logins, redirect URIs and token issuance. Secrets are only ever stored as SHA-256 digests.

use std::sync::OnceLock;

use crate::api::auth::{KNOWN_SCOPES, parse_scopes, scope_allows};
use crate::crypto::{self, constant_time_eq, sha256_hex};
use crate::db::accounts::{self, Account, User};
use crate::db::oauth::{self as repo, Application};
use crate::db::{Conn, Db};
use crate::id::next_id;

/// The out-of-band redirect URI: the code is shown to the user instead of redirected.
pub const OOB_REDIRECT_URI: &str = "urn:ietf:wg:oauth:2.0:oob";
/// How long an authorization code can be redeemed.
pub const CODE_TTL_MS: i64 = 10 * 60_000;
/// Scope granted when none is requested.
pub const DEFAULT_SCOPE: &str = "read";

/// Why requested scopes were refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScopeError {
    /// A scope Woolly does not know.
    Unknown(String),
    /// A known scope the application was not registered for.
    NotRegistered(String),
}

impl std::fmt::Display for ScopeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ScopeError::Unknown(s) => write!(f, "The scope {s:?} is unknown."),
            ScopeError::NotRegistered(s) => write!(
                f,
                "The scope {s:?} was not requested when the application was registered."
            ),
        }
    }
}

/// Whether `scope` is one Woolly knows.
pub fn is_known_scope(scope: &str) -> bool {
    KNOWN_SCOPES.contains(&scope)
}

/// The scopes of a request (`read` when empty), each known and covered by the
/// application's registered scopes (`read` covers `read:statuses`). Duplicates are dropped.
pub fn requested_scopes(raw: Option<&str>, app_scopes: &str) -> Result<Vec<String>, ScopeError> {
    let mut scopes = dedup(parse_scopes(raw.unwrap_or("")));
    if scopes.is_empty() {
        scopes.push(DEFAULT_SCOPE.to_owned());
    }
    let registered = parse_scopes(app_scopes);
    for s in &scopes {
        if !is_known_scope(s) {
            return Err(ScopeError::Unknown(s.clone()));
        }
        if !scope_allows(&registered, s) {
            return Err(ScopeError::NotRegistered(s.clone()));
        }
    }
    Ok(scopes)
}

/// Removes repeated entries, keeping the first occurrence's position.
pub fn dedup(items: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(items.len());
    for i in items {
        if !out.contains(&i) {
            out.push(i);
        }
    }
    out
}

/// Finds the application with `client_id` and checks `client_secret` against the stored
/// digest in constant time. `None` for an unknown client or a wrong secret.
pub async fn authenticate_client(
    c: Conn<'_>,
    client_id: &str,
    client_secret: &str,
) -> Result<Option<Application>, sqlx::Error> {
    if client_id.is_empty() || client_secret.is_empty() {
        return Ok(None);
    }
    let app = repo::find_application_by_client_id(c, client_id).await?;
    Ok(app.filter(|a| constant_time_eq(&sha256_hex(client_secret), &a.client_secret_hash)))
}

/// A freshly issued access token (the only time the raw token exists).
#[derive(Debug, Clone)]
pub struct IssuedToken {
    /// The bearer token to hand to the client.
    pub access_token: String,
    /// Granted scopes, space-separated.
    pub scope: String,
    /// Creation time, unix milliseconds.
    pub created_at: i64,
}

/// Issues an access token: 32 random bytes, stored as their SHA-256 only.
pub async fn issue_token(
    c: Conn<'_>,
    application_id: Option<i64>,
    user_id: Option<i64>,
    scopes: &[String],
    now: i64,
) -> Result<IssuedToken, sqlx::Error> {
    let raw = crypto::random_token(32);
    let scope = scopes.join(" ");
    repo::insert_token(
        c,
        next_id(),
        &sha256_hex(&raw),
        application_id,
        user_id,
        &scope,
        now,
    )
    .await?;
    Ok(IssuedToken {
        access_token: raw,
        scope,
        created_at: now,
    })
}

/// Password attempts allowed per IP in each 5-minute window, for the sign-in page and the
/// password grant together (Mastodon's limit for sign-in attempts).
pub const LOGIN_ATTEMPTS_LIMIT: u32 = 25;

/// Counts a password attempt from `ip`; `false` when the limit is exhausted. Clients that
/// are exempt from rate limits (see `Config::rate_limited`) are always allowed.
pub fn login_attempt_allowed(state: &crate::state::AppState, ip: std::net::IpAddr) -> bool {
    !state.config.rate_limited(ip)
        || state
            .rate_limiter
            .hit(&format!("login:{ip}"), LOGIN_ATTEMPTS_LIMIT, 5 * 60_000)
            .allowed
}

/// Why a password login was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginError {
    /// Unknown login or wrong password.
    BadCredentials,
    /// The login is disabled or the account suspended.
    Disabled,
    /// The e-mail address is not confirmed yet.
    Unconfirmed,
    /// A moderator has not approved the sign-up yet.
    PendingApproval,
    /// Two-factor authentication is enabled (not supported by password-only logins).
    TwoFactor,
}

impl LoginError {
    /// A message for the person signing in.
    pub fn message(self) -> &'static str {
        match self {
            LoginError::BadCredentials => "Invalid e-mail address, username or password.",
            LoginError::Disabled => "Your account has been disabled.",
            LoginError::Unconfirmed => {
                "You have to confirm your e-mail address before continuing. Check your inbox for the confirmation link."
            }
            LoginError::PendingApproval => {
                "Your account is pending review by the staff. You cannot sign in until it has been approved."
            }
            LoginError::TwoFactor => {
                "This account uses two-factor authentication, which this sign-in page does not support."
            }
        }
    }
}

/// An argon2 hash of a random password, verified against when the login is unknown so that
/// unknown logins take as long as wrong passwords.
fn dummy_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| {
        crypto::hash_password(&crypto::random_token(16)).unwrap_or_else(|_| String::new())
    })
}

/// Checks a login (e-mail address or username) and password, then whether the user may use
/// the account: not disabled or suspended, confirmed, approved, without two-factor
/// authentication. Credentials are checked first so the state of an account is only
/// revealed to someone who knows its password.
pub async fn password_login(
    db: &Db,
    login: &str,
    password: &str,
) -> anyhow::Result<Result<(User, Account), LoginError>> {
    let login = login.trim();
    let found = if login.is_empty() {
        None
    } else {
        let mut h = db.read().await?;
        match accounts::find_user_by_login(h.conn(), login).await? {
            Some(user) => accounts::get(h.conn(), user.account_id)
                .await?
                .map(|account| (user, account)),
            None => None,
        }
    };
    let Some((user, account)) = found else {
        let dummy = tokio::task::spawn_blocking(dummy_hash).await?;
        crypto::verify_password_async(password.to_owned(), dummy.to_owned()).await;
        return Ok(Err(LoginError::BadCredentials));
    };
    if password.is_empty()
        || !crypto::verify_password_async(password.to_owned(), user.password_hash.clone()).await
    {
        return Ok(Err(LoginError::BadCredentials));
    }
    Ok(login_state(&user, &account).map(|()| (user, account)))
}

/// Whether a user with valid credentials may sign in.
pub fn login_state(user: &User, account: &Account) -> Result<(), LoginError> {
    if user.disabled || account.suspended_at.is_some() {
        Err(LoginError::Disabled)
    } else if user.confirmed_at.is_none() {
        Err(LoginError::Unconfirmed)
    } else if !user.approved {
        Err(LoginError::PendingApproval)
    } else if user.otp_secret.as_deref().is_some_and(|s| !s.is_empty()) {
        Err(LoginError::TwoFactor)
    } else {
        Ok(())
    }
}

/// Checks one redirect URI for registration: the out-of-band URN, or an absolute URI without
/// fragment whose scheme cannot run code in a browser. Returns Doorkeeper's message on error.
pub fn check_redirect_uri(uri: &str) -> Result<(), &'static str> {
    if uri == OOB_REDIRECT_URI {
        return Ok(());
    }
    let parsed = url::Url::parse(uri).map_err(|_| "must be an absolute URI.")?;
    if parsed.fragment().is_some() {
        return Err("cannot contain a fragment.");
    }
    if matches!(
        parsed.scheme(),
        "javascript" | "data" | "vbscript" | "file" | "blob" | "about"
    ) {
        return Err("is forbidden by the server.");
    }
    Ok(())
}

/// `redirect_uri` with `params` added to its query string.
pub fn redirect_with(redirect_uri: &str, params: &[(&str, &str)]) -> Option<String> {
    let mut url = url::Url::parse(redirect_uri).ok()?;
    {
        let mut q = url.query_pairs_mut();
        for (k, v) in params {
            q.append_pair(k, v);
        }
    }
    Some(url.to_string())
}

/// Whether `s` is a PKCE S256 code challenge: 43 base64url characters (RFC 7636 §4.2).
pub fn valid_code_challenge(s: &str) -> bool {
    s.len() == 43
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Whether `s` is a syntactically valid PKCE code verifier (RFC 7636 §4.1).
pub fn valid_code_verifier(s: &str) -> bool {
    (43..=128).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

/// Checks a PKCE verifier against a stored S256 challenge, in constant time.
pub fn pkce_matches(verifier: &str, challenge: &str) -> bool {
    valid_code_verifier(verifier) && constant_time_eq(&crypto::sha256_b64url(verifier), challenge)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_must_be_known_and_registered() {
        assert_eq!(
            requested_scopes(None, "read write").unwrap(),
            vec!["read".to_string()]
        );
        assert_eq!(
            requested_scopes(Some("read:accounts write read:accounts"), "read write").unwrap(),
            vec!["read:accounts".to_string(), "write".to_string()]
        );
        assert_eq!(
            requested_scopes(Some("push"), "read write"),
            Err(ScopeError::NotRegistered("push".into()))
        );
        assert_eq!(
            requested_scopes(Some("read bogus"), "read"),
            Err(ScopeError::Unknown("bogus".into()))
        );
        assert!(requested_scopes(None, "write").is_err());
    }

    #[test]
    fn redirect_uris() {
        assert!(check_redirect_uri(OOB_REDIRECT_URI).is_ok());
        assert!(check_redirect_uri("https://app.example/cb").is_ok());
        assert!(check_redirect_uri("tusky://oauth").is_ok());
        assert!(check_redirect_uri("http://127.0.0.1:8080/").is_ok());
        assert!(check_redirect_uri("/relative").is_err());
        assert!(check_redirect_uri("not a uri").is_err());
        assert!(check_redirect_uri("https://app.example/cb#frag").is_err());
        assert!(check_redirect_uri("javascript:alert(1)").is_err());
        assert_eq!(
            redirect_with(
                "https://app.example/cb?x=1",
                &[("code", "a b"), ("state", "s")]
            )
            .unwrap(),
            "https://app.example/cb?x=1&code=a+b&state=s"
        );
    }

    #[test]
    fn pkce() {
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        assert!(valid_code_challenge(challenge));
        assert!(pkce_matches(verifier, challenge));
        assert!(!pkce_matches("short", challenge));
        assert!(!pkce_matches(&"a".repeat(43), challenge));
    }
}
