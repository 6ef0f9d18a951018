//! Polls: `GET /api/v1/polls/:id` and `POST /api/v1/polls/:id/votes`.

use axum::Router;
use axum::extract::{Path, State};
use axum::routing::{get, post};
use serde::Deserialize;

use crate::api::auth::Auth;
use crate::api::pagination::path_id;
use crate::api::params::{Params, flex};
use crate::error::AppResult;
use crate::service::hydrate::RawJson;
use crate::service::polls;
use crate::state::AppState;

/// Routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/polls/{id}", get(show))
        .route("/api/v1/polls/{id}/votes", post(vote))
}

/// `GET /api/v1/polls/:id`: the poll of a status the caller may see.
async fn show(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> AppResult<RawJson> {
    let viewer = auth.viewer_id(&["read:statuses"])?;
    polls::show(&state, viewer, path_id(&id)?).await
}

/// Parameters of `POST /api/v1/polls/:id/votes`.
#[derive(Debug, Deserialize)]
struct VoteParams {
    #[serde(default, deserialize_with = "flex::vec_string")]
    choices: Vec<String>,
}

/// `POST /api/v1/polls/:id/votes`.
async fn vote(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    Params(p): Params<VoteParams>,
) -> AppResult<RawJson> {
    let user = auth.user(&["write:statuses"])?;
    polls::vote(&state, &user.account, path_id(&id)?, &p.choices).await
}
