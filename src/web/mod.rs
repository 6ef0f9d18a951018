//! Server-rendered pages and static assets: placeholder images, OAuth sign-in and consent,
//! and the public profile/status permalinks.

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
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
