//! Featured hashtags (Mastodon's `methods/featured_tags.md`): the signed-in account's list,
//! featuring and unfeaturing, suggestions (the tags it used most recently and does not feature
//! yet), and the rendering shared with `GET /api/v1/accounts/:id/featured_tags`.

use axum::extract::{Path, State};
use axum::routing::{delete, get};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::api::auth::Auth;
use crate::api::entities::{FeaturedTag, Tag};
use crate::api::pagination::path_id;
use crate::api::params::{Params, flex};
use crate::api::search::render_tags;
use crate::config::Config;
use crate::db::featured_tags as repo;
use crate::db::search as tags_repo;
use crate::error::{AppError, AppResult};
use crate::service::featured_tags;
use crate::state::AppState;

/// Routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/featured_tags", get(list).post(add))
        .route("/api/v1/featured_tags/{id}", delete(remove))
        .route("/api/v1/featured_tags/suggestions", get(suggestions))
}

/// The entity of a featured tag of the account `username` (local).
pub fn render(cfg: &Config, username: &str, t: &repo::FeaturedTag) -> FeaturedTag {
    FeaturedTag {
        id: t.id.to_string(),
        name: t.display_name.clone(),
        url: format!("{}/@{}/tagged/{}", cfg.url, username, t.name),
        statuses_count: t.statuses_count.to_string(),
        last_status_at: t.last_status_at.and_then(|ms| {
            chrono::DateTime::from_timestamp_millis(ms).map(|d| d.format("%Y-%m-%d").to_string())
        }),
    }
}

/// `GET /api/v1/featured_tags`: the signed-in account's featured tags.
async fn list(State(state): State<AppState>, auth: Auth) -> AppResult<Json<Vec<FeaturedTag>>> {
    let me = &auth.user(&["read:accounts"])?.account;
    let mut h = state.db.read().await?;
    let rows = repo::of_account(h.conn(), me.id).await?;
    Ok(Json(
        rows.iter()
            .map(|t| render(&state.config, &me.username, t))
            .collect(),
    ))
}

/// Body of `POST /api/v1/featured_tags`.
#[derive(Debug, Deserialize)]
struct AddParams {
    #[serde(default, deserialize_with = "flex::opt_string")]
    name: Option<String>,
}

/// `POST /api/v1/featured_tags` (`name`): the new featured tag.
async fn add(
    State(state): State<AppState>,
    auth: Auth,
    Params(p): Params<AddParams>,
) -> AppResult<Json<FeaturedTag>> {
    let me = &auth.user(&["write:accounts"])?.account;
    let name = p.name.ok_or_else(|| AppError::missing_param("name"))?;
    let tag = featured_tags::add(&state.db, me.id, &name).await?;
    Ok(Json(render(&state.config, &me.username, &tag)))
}

/// `DELETE /api/v1/featured_tags/:id`: `{}`.
async fn remove(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> AppResult<Json<Value>> {
    let me = auth.user(&["write:accounts"])?.account.id;
    featured_tags::remove(&state.db, me, path_id(&id)?).await?;
    Ok(Json(json!({})))
}

/// `GET /api/v1/featured_tags/suggestions`: the hashtags the user used most recently and
/// does not feature yet.
async fn suggestions(State(state): State<AppState>, auth: Auth) -> AppResult<Json<Vec<Tag>>> {
    let viewer = auth.user(&["read:accounts"])?.account.id;
    let mut h = state.db.read().await?;
    let rows = tags_repo::recently_used_tags(h.conn(), viewer, 10).await?;
    Ok(Json(
        render_tags(h.conn(), &state.config, &rows, Some(viewer)).await?,
    ))
}
