//! The OAuth 2 JSON endpoints: `POST /oauth/token` (authorization_code with PKCE,
//! client_credentials, and the opt-in password grant), `POST /oauth/revoke` (RFC 7009),
//! the RFC 8414 metadata document and `/oauth/userinfo`. The browser side
//! (`GET/POST /oauth/authorize`) lives in `crate::web::oauth`.
//!
//! Errors follow RFC 6749 §5.2 (`{"error": "invalid_grant", "error_description": "…"}`), with
//! Doorkeeper's descriptions, as Mastodon answers them.

use axum::Extension;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::api::ClientIp;
use crate::api::auth::{Auth, KNOWN_SCOPES, parse_scopes};
use crate::api::params::{Params, flex};
use crate::crypto::sha256_hex;
use crate::db::oauth::{self as repo, Application};
use crate::error::AppError;
use crate::service::hydrate;
use crate::service::oauth::{
    IssuedToken, LoginError, ScopeError, authenticate_client, issue_token, login_attempt_allowed,
    password_login, pkce_matches, requested_scopes,
};
use crate::state::AppState;
use crate::time::now_ms;

/// Routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/oauth/token", post(token))
        .route("/oauth/revoke", post(revoke))
        .route("/oauth/userinfo", get(userinfo).post(userinfo))
        .route("/.well-known/oauth-authorization-server", get(metadata))
}

/// `Token`: the response of `POST /oauth/token` and of sign-up.
#[derive(Debug, Clone, Serialize)]
pub struct Token {
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Granted scopes, space-separated.
    pub scope: String,
    /// Unix seconds.
    pub created_at: i64,
}

impl From<IssuedToken> for Token {
    fn from(t: IssuedToken) -> Token {
        Token {
            access_token: t.access_token,
            token_type: "Bearer",
            scope: t.scope,
            created_at: t.created_at.div_euclid(1000),
        }
    }
}

impl IntoResponse for Token {
    fn into_response(self) -> Response {
        no_store(Json(self).into_response())
    }
}

/// Marks a response carrying credentials as not cacheable (RFC 6749 §5.1).
fn no_store(mut resp: Response) -> Response {
    let h = resp.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    resp
}

/// An RFC 6749 error response.
#[derive(Debug)]
pub struct OAuthError {
    status: StatusCode,
    error: &'static str,
    description: String,
}

const INVALID_GRANT: &str = "The provided authorization grant is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client.";
const INVALID_CLIENT: &str = "Client authentication failed due to unknown client, no client authentication included, or unsupported authentication method.";

impl OAuthError {
    fn new(status: StatusCode, error: &'static str, description: impl Into<String>) -> Self {
        OAuthError {
            status,
            error,
            description: description.into(),
        }
    }

    /// 400 `invalid_request` for a missing parameter.
    fn missing(param: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            format!("Missing required parameter: {param}."),
        )
    }

    /// 400 `invalid_grant` with Doorkeeper's description.
    fn invalid_grant() -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_grant", INVALID_GRANT)
    }

    /// 401 `invalid_client`.
    fn invalid_client() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "invalid_client", INVALID_CLIENT)
    }

    fn unsupported_grant_type() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "The authorization grant type is not supported by the authorization server.",
        )
    }

    fn invalid_scope(e: ScopeError) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            format!(
                "The requested scope is invalid, unknown, or malformed. {}",
                e
            ),
        )
    }
}

impl From<sqlx::Error> for OAuthError {
    fn from(e: sqlx::Error) -> Self {
        tracing::error!(error = ?e, "database error in OAuth endpoint");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            "The authorization server encountered an unexpected condition.",
        )
    }
}

impl From<anyhow::Error> for OAuthError {
    fn from(e: anyhow::Error) -> Self {
        tracing::error!(error = ?e, "internal error in OAuth endpoint");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            "The authorization server encountered an unexpected condition.",
        )
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let body = json!({ "error": self.error, "error_description": self.description });
        let mut resp = no_store((self.status, Json(body)).into_response());
        if self.status == StatusCode::UNAUTHORIZED {
            let challenge = format!(
                "Bearer realm=\"Doorkeeper\", error=\"{}\", error_description=\"{}\"",
                self.error,
                self.description.replace('"', "'")
            );
            if let Ok(v) = HeaderValue::from_str(&challenge) {
                resp.headers_mut().insert(header::WWW_AUTHENTICATE, v);
            }
        }
        resp
    }
}

/// Parameters of `POST /oauth/token` and `POST /oauth/revoke` (form, JSON or query).
#[derive(Debug, Default, Deserialize)]
struct TokenParams {
    #[serde(default, deserialize_with = "flex::opt_string")]
    grant_type: Option<String>,
    #[serde(default, deserialize_with = "flex::opt_string")]
    client_id: Option<String>,
    #[serde(default, deserialize_with = "flex::opt_string")]
    client_secret: Option<String>,
    #[serde(default, deserialize_with = "flex::opt_string")]
    code: Option<String>,
    #[serde(default, deserialize_with = "flex::opt_string")]
    redirect_uri: Option<String>,
    #[serde(default, deserialize_with = "flex::opt_string")]
    code_verifier: Option<String>,
    #[serde(default, deserialize_with = "flex::opt_string")]
    scope: Option<String>,
    #[serde(default, deserialize_with = "flex::opt_string")]
    username: Option<String>,
    #[serde(default, deserialize_with = "flex::opt_string")]
    password: Option<String>,
    #[serde(default, deserialize_with = "flex::opt_string")]
    token: Option<String>,
}

/// Turns a parameter parsing failure into `invalid_request`.
fn params(p: Result<Params<TokenParams>, AppError>) -> Result<TokenParams, OAuthError> {
    match p {
        Ok(Params(p)) => Ok(p),
        Err(e) => Err(OAuthError::new(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            e.to_string(),
        )),
    }
}

fn non_empty(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// Client credentials from HTTP Basic (`client_secret_basic`, values form-encoded per
/// RFC 6749 §2.3.1) or from the parameters (`client_secret_post`).
fn client_credentials(headers: &HeaderMap, p: &TokenParams) -> Option<(String, String)> {
    if let Some(v) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        && v.len() > 6
        && v[..6].eq_ignore_ascii_case("basic ")
    {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(v[6..].trim())
            .ok()?;
        let text = String::from_utf8(decoded).ok()?;
        let (id, secret) = text.split_once(':')?;
        return Some((form_decode(id), form_decode(secret)));
    }
    Some((
        non_empty(&p.client_id)?.to_owned(),
        p.client_secret.clone().unwrap_or_default(),
    ))
}

/// Decodes one `application/x-www-form-urlencoded` value.
fn form_decode(s: &str) -> String {
    form_urlencoded::parse(format!("v={s}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

async fn authenticated_client(
    state: &AppState,
    headers: &HeaderMap,
    p: &TokenParams,
) -> Result<Application, OAuthError> {
    let (id, secret) = client_credentials(headers, p).ok_or_else(OAuthError::invalid_client)?;
    let mut h = state.db.read().await?;
    authenticate_client(h.conn(), &id, &secret)
        .await?
        .ok_or_else(OAuthError::invalid_client)
}

/// `POST /oauth/token`.
async fn token(
    State(state): State<AppState>,
    Extension(ClientIp(ip)): Extension<ClientIp>,
    headers: HeaderMap,
    p: Result<Params<TokenParams>, AppError>,
) -> Result<Token, OAuthError> {
    let p = params(p)?;
    let grant_type = non_empty(&p.grant_type)
        .ok_or_else(|| OAuthError::missing("grant_type"))?
        .to_owned();
    match grant_type.as_str() {
        "authorization_code" | "client_credentials" => {}
        "password" if state.config.password_grant => {}
        _ => return Err(OAuthError::unsupported_grant_type()),
    }
    let app = authenticated_client(&state, &headers, &p).await?;
    let issued = match grant_type.as_str() {
        "authorization_code" => authorization_code_grant(&state, &app, &p).await?,
        "client_credentials" => {
            let scopes = requested_scopes(non_empty(&p.scope), &app.scopes)
                .map_err(OAuthError::invalid_scope)?;
            let mut tx = state.db.begin().await?;
            let t = issue_token(tx.conn(), Some(app.id), None, &scopes, now_ms()).await?;
            tx.commit().await?;
            t
        }
        _ => password_grant(&state, ip, &app, &p).await?,
    };
    Ok(issued.into())
}

async fn authorization_code_grant(
    state: &AppState,
    app: &Application,
    p: &TokenParams,
) -> Result<IssuedToken, OAuthError> {
    let code = non_empty(&p.code).ok_or_else(|| OAuthError::missing("code"))?;
    let redirect_uri =
        non_empty(&p.redirect_uri).ok_or_else(|| OAuthError::missing("redirect_uri"))?;
    let verifier = non_empty(&p.code_verifier);
    let now = now_ms();
    let mut tx = state.db.begin().await?;
    // The code is consumed by the first redemption attempt, successful or not; attempts that
    // are malformed or come from another client leave it alone (the transaction rolls back).
    let Some(grant) = repo::take_code(tx.conn(), &sha256_hex(code)).await? else {
        return Err(OAuthError::invalid_grant());
    };
    if grant.application_id != app.id {
        return Err(OAuthError::invalid_grant());
    }
    if grant.code_challenge.is_some() && verifier.is_none() {
        return Err(OAuthError::missing("code_verifier"));
    }
    let pkce_ok = match (&grant.code_challenge, verifier) {
        (Some(challenge), Some(v)) => pkce_matches(v, challenge),
        // A verifier without a challenge means the request was altered (PKCE downgrade).
        (None, Some(_)) => false,
        (_, None) => true,
    };
    if grant.expires_at <= now || grant.redirect_uri != redirect_uri || !pkce_ok {
        tx.commit().await?;
        return Err(OAuthError::invalid_grant());
    }
    let scopes = parse_scopes(&grant.scopes);
    let t = issue_token(tx.conn(), Some(app.id), Some(grant.user_id), &scopes, now).await?;
    tx.commit().await?;
    Ok(t)
}

async fn password_grant(
    state: &AppState,
    ip: std::net::IpAddr,
    app: &Application,
    p: &TokenParams,
) -> Result<IssuedToken, OAuthError> {
    let username = non_empty(&p.username).ok_or_else(|| OAuthError::missing("username"))?;
    let password = p
        .password
        .as_deref()
        .filter(|s| !s.is_empty())
        .ok_or_else(|| OAuthError::missing("password"))?;
    let scopes =
        requested_scopes(non_empty(&p.scope), &app.scopes).map_err(OAuthError::invalid_scope)?;
    if !login_attempt_allowed(state, ip) {
        return Err(OAuthError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "slow_down",
            "Too many sign-in attempts. Please wait a few minutes and try again.",
        ));
    }
    let (user, _account) = match password_login(&state.db, username, password).await? {
        Ok(found) => found,
        Err(LoginError::BadCredentials) => {
            return Err(OAuthError::invalid_grant());
        }
        Err(refusal) => {
            return Err(OAuthError::new(
                StatusCode::BAD_REQUEST,
                "invalid_grant",
                refusal.message(),
            ));
        }
    };
    let mut tx = state.db.begin().await?;
    let t = issue_token(tx.conn(), Some(app.id), Some(user.id), &scopes, now_ms()).await?;
    tx.commit().await?;
    Ok(t)
}

/// `POST /oauth/revoke` (RFC 7009): 200 `{}` for revoked and for unknown tokens; 403 for a
/// token issued to another client.
async fn revoke(
    State(state): State<AppState>,
    headers: HeaderMap,
    p: Result<Params<TokenParams>, AppError>,
) -> Result<Response, OAuthError> {
    let p = params(p)?;
    let app = authenticated_client(&state, &headers, &p).await?;
    let ok = || no_store(Json(json!({})).into_response());
    let Some(raw) = non_empty(&p.token) else {
        return Ok(ok());
    };
    let mut tx = state.db.begin().await?;
    let Some(found) = repo::find_token_owner(tx.conn(), &sha256_hex(raw)).await? else {
        return Ok(ok());
    };
    if found.application_id.is_some_and(|id| id != app.id) {
        return Err(OAuthError::new(
            StatusCode::FORBIDDEN,
            "unauthorized_client",
            "You are not authorized to revoke this token",
        ));
    }
    if found.revoked_at.is_none() {
        repo::revoke_token_id(tx.conn(), found.id, now_ms()).await?;
        // Its open streams close too (Mastodon kept them open: CVE-2024-25619).
        crate::service::live::token_revoked(found.id);
        tx.commit().await?;
    }
    Ok(ok())
}

/// `GET /.well-known/oauth-authorization-server` (RFC 8414).
async fn metadata(State(state): State<AppState>) -> Json<Value> {
    let base = &state.config.url;
    let mut grants = vec!["authorization_code"];
    if state.config.password_grant {
        grants.push("password");
    }
    grants.push("client_credentials");
    Json(json!({
        "issuer": format!("{base}/"),
        "service_documentation": "https://docs.joinmastodon.org/",
        "authorization_endpoint": format!("{base}/oauth/authorize"),
        "token_endpoint": format!("{base}/oauth/token"),
        "revocation_endpoint": format!("{base}/oauth/revoke"),
        "userinfo_endpoint": format!("{base}/oauth/userinfo"),
        "app_registration_endpoint": format!("{base}/api/v1/apps"),
        "scopes_supported": KNOWN_SCOPES,
        "response_types_supported": ["code"],
        // The code is always returned in the query string.
        "response_modes_supported": ["query"],
        "grant_types_supported": grants,
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "code_challenge_methods_supported": ["S256"],
    }))
}

/// `GET|POST /oauth/userinfo`: OpenID Connect-style claims of the token's user.
async fn userinfo(State(state): State<AppState>, auth: Auth) -> Result<Json<Value>, AppError> {
    let user = auth.user(&["profile", "read:accounts"])?;
    let cfg = &state.config;
    let a = &user.account;
    Ok(Json(json!({
        "iss": format!("{}/", cfg.url),
        "sub": a.uri,
        "name": a.display_name,
        "preferred_username": a.username,
        "profile": hydrate::account_url(cfg, a),
        "picture": a.avatar_url.clone().unwrap_or_else(|| hydrate::default_avatar(cfg)),
    })))
}
