//! The HTTP edge of federation (axum): WebFinger and host-meta, and the content-negotiated
//! documents on the same URLs as the public pages: actors, statuses, their activities and
//! the collections, as ActivityPub JSON for `application/activity+json` /
//! `application/ld+json` requests and as server-rendered HTML for browsers.
//!
//! Documents are built by `crate::federation::render` from rows that
//! `crate::service::federation` loads and filters (unapproved accounts do not exist,
//! followers-only and direct statuses are never served to an unsigned request).

pub mod actors;
pub mod inbox;
pub mod negotiate;
pub mod pages;
pub mod signed;
pub mod statuses;
pub mod webfinger;

use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

use crate::federation::render::Site;
use crate::state::AppState;

/// `Content-Type` of ActivityPub documents.
pub const ACTIVITY_JSON: &str = "application/activity+json; charset=utf-8";

/// Routes of the federation edge.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/.well-known/webfinger", get(webfinger::webfinger))
        .route("/.well-known/host-meta", get(webfinger::host_meta))
        .route(
            "/.well-known/host-meta.json",
            get(webfinger::host_meta_json),
        )
        .route("/inbox", post(inbox::shared))
        // The instance actor's inbox is handled as the shared inbox.
        .route("/actor/inbox", post(inbox::shared))
        .route("/users/{username}/inbox", post(inbox::user))
        .route("/actor", get(actors::instance_actor))
        .route("/actor/outbox", get(actors::instance_actor_outbox))
        .route("/users/{username}", get(actors::actor))
        .route("/users/{username}/outbox", get(actors::outbox))
        .route("/users/{username}/followers", get(actors::followers))
        .route("/users/{username}/following", get(actors::following))
        .route(
            "/users/{username}/collections/featured",
            get(actors::featured),
        )
        .route(
            "/users/{username}/collections/tags",
            get(actors::featured_tags),
        )
        .route("/users/{username}/statuses/{id}", get(statuses::status))
        .route(
            "/users/{username}/statuses/{id}/activity",
            get(statuses::activity),
        )
        .route(
            "/users/{username}/statuses/{id}/replies",
            get(statuses::replies),
        )
        .route(
            "/users/{username}/statuses/{id}/likes",
            get(statuses::likes),
        )
        .route(
            "/users/{username}/statuses/{id}/shares",
            get(statuses::shares),
        )
        .route("/@{username}", get(actors::profile))
        .route("/@{username}/{id}", get(statuses::status_page))
}

/// This server's document locations.
pub fn site(state: &AppState) -> Site<'_> {
    Site {
        url: &state.config.url,
        domain: &state.domain,
        media_url: &state.config.media_base_url,
    }
}

/// How long shared caches may keep a document.
#[derive(Debug, Clone, Copy)]
pub enum Cache {
    /// Three minutes (actors, collections, public statuses), as Mastodon.
    Public,
    /// A page of a changing collection: one minute.
    Page,
}

/// An ActivityPub JSON response.
pub fn activity_json(doc: &Value, cache: Cache) -> Response {
    let mut resp = (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static(ACTIVITY_JSON),
        )],
        doc.to_string(),
    )
        .into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(match cache {
            Cache::Public => "max-age=180, public",
            Cache::Page => "max-age=60, public",
        }),
    );
    h.insert(header::VARY, HeaderValue::from_static("Accept"));
    resp
}

/// A Mastodon-style JSON error (`{"error": …}`) with `Vary: Accept`.
pub fn json_error(status: StatusCode, message: &str) -> Response {
    let mut resp = (status, axum::Json(json!({ "error": message }))).into_response();
    resp.headers_mut()
        .insert(header::VARY, HeaderValue::from_static("Accept"));
    resp
}

/// 404 as JSON.
pub fn not_found_json() -> Response {
    json_error(StatusCode::NOT_FOUND, "Record not found")
}

/// 451 as JSON: what Mastodon answers for the documents of a suspended account.
pub fn suspended_json() -> Response {
    json_error(
        StatusCode::UNAVAILABLE_FOR_LEGAL_REASONS,
        "This account is not available",
    )
}

/// Adds `Vary: Accept` (responses that depend on content negotiation).
pub fn vary_accept(mut resp: Response) -> Response {
    resp.headers_mut()
        .insert(header::VARY, HeaderValue::from_static("Accept"));
    resp
}

/// A 301 to `location`, varying on `Accept` (Mastodon's `redirect_with_vary`).
pub fn redirect_with_vary(location: &str) -> Response {
    match HeaderValue::from_str(location) {
        Ok(loc) => {
            vary_accept((StatusCode::MOVED_PERMANENTLY, [(header::LOCATION, loc)]).into_response())
        }
        Err(_) => not_found_json(),
    }
}

/// A 302 to `location` (a boost's page or document leads to the boosted status).
pub fn redirect_found(location: &str) -> Response {
    match HeaderValue::from_str(location) {
        Ok(loc) => vary_accept((StatusCode::FOUND, [(header::LOCATION, loc)]).into_response()),
        Err(_) => not_found_json(),
    }
}
