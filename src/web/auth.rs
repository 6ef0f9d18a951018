//! Signing in to the web pages (`GET/POST /auth/sign_in`, returning to an authorization or
//! remote-interaction page) and confirming an e-mail address
//! (`GET /auth/confirmation?confirmation_token=…`).

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};

use super::oauth::sign_in_form;
use super::pages;
use super::session;
use super::{WebError, form_pairs};
use crate::api::ClientIp;
use crate::crypto::sha256_hex;
use crate::db::oauth::{self as repo, Confirmation};
use crate::service::accounts::CONFIRMATION_WINDOW_MS;
use crate::service::oauth::{LoginError, login_attempt_allowed, password_login};
use crate::state::AppState;
use crate::time::now_ms;

/// Routes of the sign-in and confirmation pages.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/auth/sign_in", get(sign_in_page).post(sign_in))
        .route("/auth/confirmation", get(confirm))
}

/// Only local authorization and remote-interaction pages are acceptable places to return
/// to after signing in.
fn safe_return_to(s: &str) -> Option<&str> {
    ((s.starts_with("/oauth/authorize?") || s.starts_with("/authorize_interaction?"))
        && !s.contains(['\\', '\r', '\n']))
    .then_some(s)
}

/// A 303 to a path checked by [`safe_return_to`].
fn see_other(path: &str) -> Result<Response, WebError> {
    let location = HeaderValue::from_str(path)
        .map_err(|e| WebError::from(anyhow::anyhow!("return_to header: {e}")))?;
    Ok(pages::with_page_headers(
        (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response(),
    ))
}

/// `GET /auth/sign_in[?return_to=…]`: the form (returning to `return_to` afterwards), or who
/// is signed in (or straight to `return_to` when someone is).
async fn sign_in_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response, WebError> {
    let params = form_pairs(query.unwrap_or_default().as_bytes());
    let return_to = params
        .get("return_to")
        .and_then(|r| safe_return_to(r))
        .unwrap_or_default()
        .to_owned();
    if let Some(s) = session::current(&state, &headers).await? {
        if !return_to.is_empty() {
            return see_other(&return_to);
        }
        return Ok(pages::message(
            &state.config,
            StatusCode::OK,
            "Signed in",
            format!("You are signed in as @{}.", s.account.username),
        ));
    }
    Ok(sign_in_form(
        &state,
        &headers,
        StatusCode::OK,
        None,
        return_to,
        None,
        String::new(),
    ))
}

/// `POST /auth/sign_in`: checks the credentials, starts a session and returns to the
/// authorization request.
async fn sign_in(
    State(state): State<AppState>,
    Extension(ClientIp(ip)): Extension<ClientIp>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, WebError> {
    let cfg = &state.config;
    let form = form_pairs(&body);
    let field = |k: &str| form.get(k).cloned().unwrap_or_default();
    let login = field("login").trim().to_owned();
    let return_to = safe_return_to(&field("return_to"))
        .unwrap_or_default()
        .to_owned();
    let again = |status: StatusCode, error: &str, login: String| {
        sign_in_form(
            &state,
            &headers,
            status,
            None,
            return_to.clone(),
            Some(error.to_owned()),
            login,
        )
    };
    if !session::login_csrf_matches(&headers, &field("authenticity_token")) {
        return Ok(again(
            StatusCode::FORBIDDEN,
            "The form has expired or was not sent from this site. Please try again.",
            login,
        ));
    }
    if !login_attempt_allowed(&state, ip) {
        return Ok(again(
            StatusCode::TOO_MANY_REQUESTS,
            "Too many sign-in attempts. Please wait a few minutes and try again.",
            login,
        ));
    }
    let (user, account) = match password_login(&state.db, &login, &field("password")).await? {
        Ok(found) => found,
        Err(e) => {
            let status = match e {
                LoginError::BadCredentials => StatusCode::UNAUTHORIZED,
                _ => StatusCode::FORBIDDEN,
            };
            return Ok(again(status, e.message(), login));
        }
    };
    let cookie = session::start(&state, &headers, user.id).await?;
    let mut resp = if return_to.is_empty() {
        pages::message(
            cfg,
            StatusCode::OK,
            "Signed in",
            format!("You are signed in as @{}.", account.username),
        )
    } else {
        see_other(&return_to)?
    };
    resp.headers_mut().append(header::SET_COOKIE, cookie);
    resp.headers_mut().append(
        header::SET_COOKIE,
        session::clear_cookie(cfg, session::LOGIN_CSRF_COOKIE),
    );
    Ok(resp)
}

/// `GET /auth/confirmation?confirmation_token=…`: confirms an e-mail address. Only the token's
/// digest is stored; links older than [`CONFIRMATION_WINDOW_MS`] are refused (410).
async fn confirm(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Response, WebError> {
    let cfg = &state.config;
    let params = form_pairs(query.unwrap_or_default().as_bytes());
    let token = params
        .get("confirmation_token")
        .map(|t| t.trim())
        .unwrap_or("");
    if token.is_empty() {
        return Ok(pages::message(
            cfg,
            StatusCode::BAD_REQUEST,
            "Confirmation failed",
            "The confirmation link is incomplete.",
        ));
    }
    let now = now_ms();
    let mut tx = state.db.begin().await?;
    let outcome = repo::confirm_email(
        tx.conn(),
        &sha256_hex(token),
        now,
        now - CONFIRMATION_WINDOW_MS,
    )
    .await?;
    tx.commit().await?;
    Ok(match outcome {
        Confirmation::Confirmed(_) => pages::message(
            cfg,
            StatusCode::OK,
            "E-mail address confirmed",
            "Your e-mail address has been confirmed. You can now use your account.",
        ),
        Confirmation::Expired => pages::message(
            cfg,
            StatusCode::GONE,
            "Confirmation link expired",
            "This confirmation link has expired: links are valid for 3 days. Sign in with your \
             app and ask it to send the confirmation e-mail again to get a new link.",
        ),
        Confirmation::Unknown => pages::message(
            cfg,
            StatusCode::NOT_FOUND,
            "Confirmation failed",
            "This confirmation link is invalid or has already been used.",
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn return_to_must_be_local_authorize() {
        assert!(safe_return_to("/oauth/authorize?client_id=x").is_some());
        assert!(safe_return_to("/authorize_interaction?uri=a%40b").is_some());
        assert!(safe_return_to("/authorize_interactions").is_none());
        assert!(safe_return_to("https://evil.example/").is_none());
        assert!(safe_return_to("//evil.example/oauth/authorize?").is_none());
        assert!(safe_return_to("/oauth/authorize?x\r\nSet-Cookie: a").is_none());
        assert!(safe_return_to("").is_none());
    }
}
