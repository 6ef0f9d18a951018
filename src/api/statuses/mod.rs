//! `/api/v1/statuses`, `/api/v1/favourites` and `/api/v1/bookmarks`: posting, reading,
//! editing and deleting statuses, threads, and interactions (favourite, boost, bookmark, pin,
//! thread mute) with the lists they build.

mod actions;
mod collections;
mod posting;

use axum::Router;
use axum::routing::{get, post};
use serde::Serialize;

use crate::api::entities::{Account, CustomEmoji};
use crate::error::{AppError, AppResult};
use crate::service::hydrate::{self, RawJson, RenderedStatus, StatusOptions};
use crate::state::AppState;

/// Routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/statuses",
            get(posting::index).post(posting::create),
        )
        .route(
            "/api/v1/statuses/{id}",
            get(posting::show)
                .put(posting::update)
                .delete(posting::destroy),
        )
        .route("/api/v1/statuses/{id}/context", get(posting::context))
        .route("/api/v1/statuses/{id}/history", get(posting::history))
        .route("/api/v1/statuses/{id}/source", get(posting::source))
        .route("/api/v1/statuses/{id}/favourite", post(actions::favourite))
        .route(
            "/api/v1/statuses/{id}/unfavourite",
            post(actions::unfavourite),
        )
        .route("/api/v1/statuses/{id}/reblog", post(actions::reblog))
        .route("/api/v1/statuses/{id}/unreblog", post(actions::unreblog))
        .route("/api/v1/statuses/{id}/bookmark", post(actions::bookmark))
        .route(
            "/api/v1/statuses/{id}/unbookmark",
            post(actions::unbookmark),
        )
        .route("/api/v1/statuses/{id}/pin", post(actions::pin))
        .route("/api/v1/statuses/{id}/unpin", post(actions::unpin))
        .route("/api/v1/statuses/{id}/mute", post(actions::mute))
        .route("/api/v1/statuses/{id}/unmute", post(actions::unmute))
        .route(
            "/api/v1/statuses/{id}/favourited_by",
            get(actions::favourited_by),
        )
        .route(
            "/api/v1/statuses/{id}/reblogged_by",
            get(actions::reblogged_by),
        )
        .route("/api/v1/favourites", get(collections::favourites))
        .route("/api/v1/bookmarks", get(collections::bookmarks))
}

/// The `Status` entity of `id` for `viewer`; 404 when absent or not visible to them.
async fn render(state: &AppState, viewer: Option<i64>, id: i64) -> AppResult<RawJson> {
    let mut h = state.db.read().await?;
    hydrate::statuses(
        h.conn(),
        &state.render(),
        viewer,
        &[id],
        StatusOptions::default(),
    )
    .await?
    .pop()
    .map(|s| s.json)
    .ok_or(AppError::NotFound)
}

/// `StatusEdit`: one version of a status in its edit history.
#[derive(Debug, Clone, Serialize)]
pub struct StatusEdit {
    pub content: String,
    pub spoiler_text: String,
    pub sensitive: bool,
    pub created_at: String,
    pub account: Account,
    pub media_attachments: Vec<crate::api::entities::MediaAttachment>,
    pub emojis: Vec<CustomEmoji>,
    /// The version's poll options (`{"options":[{"title":…}]}`), when it had a poll.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub poll: Option<serde_json::Value>,
}

/// `StatusSource`: the plain text of a status, for editing.
#[derive(Debug, Clone, Serialize)]
pub struct StatusSource {
    pub id: String,
    pub text: String,
    pub spoiler_text: String,
}

/// `Context`: the statuses around one status.
pub fn context_json(ancestors: &[RenderedStatus], descendants: &[RenderedStatus]) -> RawJson {
    let list = |l: &[RenderedStatus]| RawJson::array(l.iter().map(|s| &s.json));
    RawJson::object(&[
        ("ancestors", list(ancestors).as_str()),
        ("descendants", list(descendants).as_str()),
    ])
}
