//! The remote-interaction page, `GET /authorize_interaction?uri=…` (also `?acct=`): where
//! other servers' "follow" and "interact" buttons send their users, and what our WebFinger
//! `subscribe` template names. Signed-in users see the account with a Follow button (a form
//! posted back here with the session's anti-CSRF token) or a link to the status; others are
//! sent to sign in first and brought back. What the `uri` names is found with
//! `service::locate` (remote things fetched within the user's time budget); anything not
//! found, or a status the viewer may not see, is the HTML error page.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::pages::{self, Chrome, InteractionPage};
use super::session::{self, SignedIn};
use super::{WebError, form_pairs};
use crate::db::accounts::Account;
use crate::db::follows::{self, Edge, FollowOptions};
use crate::error::AppError;
use crate::service::follows::{FollowOutcome, follow};
use crate::service::hydrate;
use crate::service::locate::{Located, locate};
use crate::state::AppState;

/// The longest `uri` looked at.
const MAX_URI: usize = 2048;

/// Routes of the remote-interaction page.
pub fn routes() -> Router<AppState> {
    Router::new().route("/authorize_interaction", get(show).post(follow_account))
}

/// The path of this page for `uri`, to come back to after signing in.
fn page_path(uri: &str) -> String {
    let q: String = form_urlencoded::Serializer::new(String::new())
        .append_pair("uri", uri)
        .finish();
    format!("/authorize_interaction?{q}")
}

/// A link target taken from another server's document: http(s) only.
fn web_link(url: Option<&str>) -> Option<String> {
    url.filter(|u| u.starts_with("https://") || u.starts_with("http://"))
        .map(str::to_owned)
}

fn not_found(state: &AppState) -> Response {
    pages::message(
        &state.config,
        StatusCode::NOT_FOUND,
        "Not found",
        "Nothing could be found at this address, or you may not see it.",
    )
}

/// `GET /authorize_interaction?uri=`.
async fn show(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response, WebError> {
    let params = form_pairs(query.unwrap_or_default().as_bytes());
    let uri = params
        .get("uri")
        .or_else(|| params.get("acct"))
        .map(|u| u.trim().to_owned())
        .unwrap_or_default();
    if uri.is_empty() || uri.len() > MAX_URI {
        return Ok(pages::message(
            &state.config,
            StatusCode::BAD_REQUEST,
            "Invalid request",
            "The address to interact with is missing or too long.",
        ));
    }
    let Some(viewer) = session::current(&state, &headers).await? else {
        let q: String = form_urlencoded::Serializer::new(String::new())
            .append_pair("return_to", &page_path(&uri))
            .finish();
        let location = HeaderValue::from_str(&format!("/auth/sign_in?{q}"))?;
        return Ok(pages::with_page_headers(
            (StatusCode::FOUND, [(header::LOCATION, location)]).into_response(),
        ));
    };
    match locate(&state, &uri).await? {
        Some(Located::Account(a)) => Ok(account_page(&state, &viewer, &a).await?),
        Some(Located::Status(s)) => {
            let (shown, author) = {
                let mut h = state.db.read().await?;
                let shown =
                    hydrate::visible_status(h.conn(), Some(viewer.account.id), s.id).await?;
                let author = crate::db::accounts::get(h.conn(), s.account_id).await?;
                (shown, author)
            };
            let (Some(status), Some(author)) = (shown, author) else {
                return Ok(not_found(&state));
            };
            let link = if author.is_local() {
                Some(format!(
                    "{}/@{}/{}",
                    state.config.url, author.username, status.id
                ))
            } else {
                web_link(status.url.as_deref()).or_else(|| web_link(Some(&status.uri)))
            };
            Ok(pages::message_with_link(
                &state.config,
                StatusCode::OK,
                "Interact with a post",
                format!(
                    "A post by @{}. It is now available to your apps: search for its address \
                     to reply, boost or favourite it.",
                    author.acct()
                ),
                (link.unwrap_or_default(), "Open the post".into()),
            ))
        }
        None => Ok(not_found(&state)),
    }
}

/// The account with its Follow button, or where the viewer stands with it.
async fn account_page(
    state: &AppState,
    viewer: &SignedIn,
    a: &Account,
) -> Result<Response, WebError> {
    let relationship = if a.id == viewer.account.id {
        Some("This is your own account.".to_owned())
    } else {
        let mut h = state.db.read().await?;
        if follows::get_edge(h.conn(), Edge::Follow, viewer.account.id, a.id)
            .await?
            .is_some()
        {
            Some(format!("You are following @{}.", a.acct()))
        } else if follows::get_edge(h.conn(), Edge::Request, viewer.account.id, a.id)
            .await?
            .is_some()
        {
            Some(format!("Your follow request to @{} is pending.", a.acct()))
        } else {
            None
        }
    };
    let profile_url = if a.is_local() {
        Some(hydrate::account_url(&state.config, a))
    } else {
        web_link(a.url.as_deref()).or_else(|| web_link(Some(&a.uri)))
    };
    Ok(pages::render(
        StatusCode::OK,
        &InteractionPage {
            chrome: Chrome::new(&state.config, format!("Follow @{}", a.acct())),
            display_name: if a.display_name.is_empty() {
                a.username.clone()
            } else {
                a.display_name.clone()
            },
            acct: a.acct(),
            profile_url,
            relationship,
            account_id: a.id.to_string(),
            csrf_token: viewer.session.csrf_token.clone(),
            username: viewer.account.username.clone(),
        },
    ))
}

/// `POST /authorize_interaction` (`account_id`, `authenticity_token`): follows the account,
/// or asks to when it is locked or remote.
async fn follow_account(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, WebError> {
    let cfg = &state.config;
    let form = form_pairs(&body);
    let Some(viewer) = session::current(&state, &headers).await? else {
        return Ok(pages::message(
            cfg,
            StatusCode::UNAUTHORIZED,
            "Sign in required",
            "Your session has expired. Please sign in and try again.",
        ));
    };
    if !viewer.csrf_matches(form.get("authenticity_token").map_or("", String::as_str)) {
        return Ok(pages::form_expired(cfg, "Follow failed"));
    }
    let Some(target) = form.get("account_id").and_then(|id| crate::id::parse(id)) else {
        return Ok(not_found(&state));
    };
    let outcome = follow(&state, &viewer.account, target, &FollowOptions::default()).await;
    let acct = {
        let mut h = state.db.read().await?;
        crate::db::accounts::get(h.conn(), target)
            .await?
            .map(|a| a.acct())
            .unwrap_or_default()
    };
    Ok(match outcome {
        Ok(FollowOutcome::Following) => pages::message(
            cfg,
            StatusCode::OK,
            "Following",
            format!("You are now following @{acct}."),
        ),
        Ok(FollowOutcome::Requested) => pages::message(
            cfg,
            StatusCode::OK,
            "Follow requested",
            format!("Your follow request to @{acct} was sent; it waits for their approval."),
        ),
        Err(AppError::NotFound) => not_found(&state),
        Err(AppError::Forbidden(msg)) => {
            pages::message(cfg, StatusCode::FORBIDDEN, "Follow failed", msg)
        }
        Err(e) => return Err(WebError::from(e)),
    })
}
