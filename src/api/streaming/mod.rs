//! The streaming API: live timelines and notifications over a WebSocket
//! (`GET /api/v1/streaming`, several streams multiplexed on one socket) or server-sent events
//! (`GET /api/v1/streaming/{user,public,hashtag,…}`), and `GET /api/v1/streaming/health`.
//!
//! A user token is required (as in Mastodon since 4.2): `Authorization: Bearer`, the
//! `Sec-WebSocket-Protocol` header (browsers cannot set headers on a WebSocket; the token is
//! echoed back as the chosen protocol) or `access_token`. Each connection registers its
//! subscriptions in the process's [`hub::Hub`]; the [`dispatch`]er fills their bounded
//! queues from the event bus (`crate::streaming`).

pub mod conversation;
pub mod dispatch;
pub mod hub;
mod sse;
mod ws;

use std::sync::Arc;

use axum::Router;
use axum::extract::ws::{WebSocketUpgrade, rejection::WebSocketUpgradeRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;

use crate::api::auth::{self, Auth, CurrentUser, Token};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use hub::Topic;

/// Routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/streaming", get(websocket))
        .route("/api/v1/streaming/health", get(health))
        .route("/api/v1/streaming/{*stream}", get(event_stream))
}

/// `GET /api/v1/streaming/health`.
async fn health() -> Response {
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], "OK").into_response()
}

/// The parameters naming a stream (query string, or a WebSocket subscribe message).
#[derive(Debug, Default, Deserialize)]
pub struct StreamParams {
    /// The stream's name (`user`, `public:local`, `hashtag`, …).
    #[serde(default)]
    pub stream: Option<String>,
    /// The hashtag of `hashtag` streams.
    #[serde(default)]
    pub tag: Option<String>,
    /// The list of `list` streams.
    #[serde(default)]
    pub list: Option<serde_json::Value>,
    /// `public` streams: media only.
    #[serde(default)]
    pub only_media: Option<serde_json::Value>,
}

fn truthy(v: &Option<serde_json::Value>) -> bool {
    match v {
        Some(serde_json::Value::Bool(b)) => *b,
        Some(serde_json::Value::String(s)) => matches!(s.as_str(), "true" | "1" | "on"),
        Some(serde_json::Value::Number(n)) => n.as_i64() == Some(1),
        _ => false,
    }
}

/// A request for a stream that cannot be granted, with the status Mastodon answers.
#[derive(Debug)]
pub struct StreamError {
    /// HTTP status (also sent inside WebSocket error frames).
    pub status: u16,
    /// The message.
    pub message: String,
}

impl StreamError {
    fn new(status: u16, message: &str) -> StreamError {
        StreamError {
            status,
            message: message.to_owned(),
        }
    }
}

/// The topic a stream name and its parameters stand for, for `user`, with the stream's
/// `stream` array (as JSON) for WebSocket frames; checks the token's scopes.
pub fn resolve_stream(
    user: &CurrentUser,
    token: &Token,
    p: &StreamParams,
) -> Result<(Topic, String), StreamError> {
    let name = p.stream.as_deref().unwrap_or("").trim();
    let me = user.account.id;
    let media = truthy(&p.only_media);
    let tag = || -> Result<String, StreamError> {
        let t = p
            .tag
            .as_deref()
            .map(|t| t.trim().trim_start_matches('#').to_lowercase())
            .filter(|t| !t.is_empty())
            .ok_or_else(|| StreamError::new(400, "Missing tag name parameter"))?;
        if t.len() > 200 {
            return Err(StreamError::new(400, "Missing tag name parameter"));
        }
        Ok(t)
    };
    let public = |local: Option<bool>, media: bool| Topic::Public { local, media };
    let (topic, label_args): (Topic, Vec<String>) = match name {
        "user" => (Topic::User(me), vec![]),
        "user:notification" => (Topic::UserNotification(me), vec![]),
        "public" if media => (public(None, true), vec![]),
        "public" => (public(None, false), vec![]),
        "public:media" => (public(None, true), vec![]),
        "public:local" if media => (public(Some(true), true), vec![]),
        "public:local" => (public(Some(true), false), vec![]),
        "public:local:media" => (public(Some(true), true), vec![]),
        "public:remote" if media => (public(Some(false), true), vec![]),
        "public:remote" => (public(Some(false), false), vec![]),
        "public:remote:media" => (public(Some(false), true), vec![]),
        "hashtag" => {
            let t = tag()?;
            (
                Topic::Hashtag {
                    tag: t.clone(),
                    local: false,
                },
                vec![t],
            )
        }
        "hashtag:local" => {
            let t = tag()?;
            (
                Topic::Hashtag {
                    tag: t.clone(),
                    local: true,
                },
                vec![t],
            )
        }
        // Lists are not stored yet: no list can be found.
        "list" => return Err(StreamError::new(404, "List not found")),
        "direct" => (Topic::Direct(me), vec![]),
        _ => return Err(StreamError::new(400, "Unknown stream type")),
    };
    let scopes: &[&str] = match topic {
        Topic::UserNotification(_) => &["read", "read:notifications"],
        _ => &["read", "read:statuses"],
    };
    if !scopes.iter().any(|s| auth::scope_allows(&token.scopes, s)) {
        return Err(StreamError::new(
            401,
            "Access token does not have the required scopes",
        ));
    }
    // The stream name a client sees: media variants named as asked.
    let shown = match (name, media) {
        ("public", true) => "public:media",
        ("public:local", true) => "public:local:media",
        ("public:remote", true) => "public:remote:media",
        (n, _) => n,
    };
    let mut label = vec![shown.to_owned()];
    label.extend(label_args);
    let label = serde_json::to_string(&label).expect("strings serialise");
    Ok((topic, label))
}

/// The user behind a streaming request: 401 without a valid user token or for an app token,
/// 403 for a login that may not be used.
async fn authenticate(state: &AppState, raw: Option<String>) -> AppResult<(Token, CurrentUser)> {
    let raw = raw.ok_or_else(|| AppError::Unauthorized)?;
    let token = auth::resolve_token(state, &raw)
        .await?
        .ok_or(AppError::Unauthorized)?;
    let auth = Auth(Some(token.clone()));
    let user = match auth.user(&[]) {
        Ok(u) => u.clone(),
        Err(AppError::Unprocessable { .. }) => return Err(AppError::Unauthorized),
        Err(e) => return Err(e),
    };
    Ok((token, user))
}

/// The token of a WebSocket request: the header, the query, or the offered subprotocol
/// (returned second when it came from there, to be echoed back).
fn websocket_token(headers: &HeaderMap, uri: &Uri) -> (Option<String>, bool) {
    if let Some(t) = auth::bearer_token_from(headers, uri) {
        return (Some(t), false);
    }
    let proto = headers
        .get(header::SEC_WEBSOCKET_PROTOCOL)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').map(str::trim).find(|p| !p.is_empty()))
        .map(str::to_owned);
    let from_protocol = proto.is_some();
    (proto, from_protocol)
}

/// `GET /api/v1/streaming`: a WebSocket (optionally subscribed at once with `?stream=`); as
/// a plain GET with `?stream=`, the same stream as server-sent events.
async fn websocket(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    Query(params): Query<StreamParams>,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    let (raw, from_protocol) = websocket_token(&headers, &uri);
    let (token, user) = match authenticate(&state, raw).await {
        Ok(t) => t,
        Err(e) => return e.into_response(),
    };
    let initial = match params.stream.as_deref() {
        Some(s) if !s.trim().is_empty() => match resolve_stream(&user, &token, &params) {
            Ok(t) => Some(t),
            Err(e) => return stream_error(e),
        },
        _ => None,
    };
    match upgrade {
        Ok(upgrade) => ws::accept(state, upgrade, token, user, initial, from_protocol),
        Err(_) => match initial {
            Some(initial) => sse::open(state, token, user, initial),
            None => AppError::BadRequest("Unknown stream type".into()).into_response(),
        },
    }
}

/// `GET /api/v1/streaming/{stream path}`: server-sent events.
async fn event_stream(
    State(state): State<AppState>,
    Path(path): Path<String>,
    auth: Auth,
    Query(mut params): Query<StreamParams>,
) -> Response {
    let name = match path.trim_matches('/') {
        "user" => "user",
        "user/notification" => "user:notification",
        "public" => "public",
        "public/local" => "public:local",
        "public/remote" => "public:remote",
        "hashtag" => "hashtag",
        "hashtag/local" => "hashtag:local",
        "list" => "list",
        "direct" => "direct",
        _ => {
            return stream_error(StreamError::new(400, "Unknown channel requested"));
        }
    };
    let Some(token) = auth.0.clone() else {
        return AppError::Unauthorized.into_response();
    };
    let user = match auth.user(&[]) {
        Ok(u) => u.clone(),
        Err(AppError::Unprocessable { .. }) => return AppError::Unauthorized.into_response(),
        Err(e) => return e.into_response(),
    };
    params.stream = Some(name.to_owned());
    match resolve_stream(&user, &token, &params) {
        Ok(initial) => sse::open(state, token, user, initial),
        Err(e) => stream_error(e),
    }
}

/// A refused stream as Mastodon's `{"error": …}` with its status.
fn stream_error(e: StreamError) -> Response {
    let status =
        axum::http::StatusCode::from_u16(e.status).unwrap_or(axum::http::StatusCode::BAD_REQUEST);
    (
        status,
        axum::Json(serde_json::json!({ "error": e.message })),
    )
        .into_response()
}

/// The label of a subscription, shared.
fn label(s: String) -> Arc<str> {
    Arc::from(s)
}
