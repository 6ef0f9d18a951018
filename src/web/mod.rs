//! Server-rendered pages and static assets: placeholder images, OAuth sign-in and consent,
//! the remote-interaction page, and the public profile/status permalinks.

pub mod auth;
pub mod files;
pub mod interaction;
pub mod oauth;
pub mod pages;
pub mod session;

use std::collections::HashMap;

use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;

use crate::state::AppState;

const AVATAR_MISSING: &[u8] = include_bytes!("../../assets/avatar-missing.png");
const HEADER_MISSING: &[u8] = include_bytes!("../../assets/header-missing.png");

/// Routes of the web interface.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/avatars/original/missing.png",
            get(|| async { png(AVATAR_MISSING) }),
        )
        .route(
            "/headers/original/missing.png",
            get(|| async { png(HEADER_MISSING) }),
        )
        .merge(files::routes())
        .merge(oauth::routes())
        .merge(auth::routes())
        .merge(interaction::routes())
}

/// An unexpected failure while serving a page: logged, answered with a plain 500 page.
#[derive(Debug)]
pub struct WebError(anyhow::Error);

impl<E: Into<anyhow::Error>> From<E> for WebError {
    fn from(e: E) -> Self {
        WebError(e.into())
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        tracing::error!(error = ?self.0, "internal error on a web page");
        pages::with_page_headers(
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                Html(
                    "<!DOCTYPE html><html lang=\"en\"><meta charset=\"utf-8\"><title>Error</title>\
                     <p>An unexpected error occurred. Please try again later.</p></html>",
                ),
            )
                .into_response(),
        )
    }
}

/// Parses `application/x-www-form-urlencoded` pairs (query string or form body); the first
/// occurrence of a key wins.
pub fn form_pairs(input: &[u8]) -> HashMap<String, String> {
    let mut map = HashMap::new();
    for (k, v) in form_urlencoded::parse(input) {
        map.entry(k.into_owned()).or_insert_with(|| v.into_owned());
    }
    map
}

fn png(bytes: &'static [u8]) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "image/png"),
            (header::CACHE_CONTROL, "public, max-age=604800, immutable"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        bytes,
    )
}
