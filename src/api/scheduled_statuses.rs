//! Scheduled statuses: `GET /api/v1/scheduled_statuses[/:id]`, `PUT` (a new time) and
//! `DELETE` (cancel). They are created by `POST /api/v1/statuses` with `scheduled_at`.

use axum::extract::{OriginalUri, Path, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::api::auth::Auth;
use crate::api::pagination::{PageParams, Paged, path_id};
use crate::api::params::{Params, flex};
use crate::db::scheduled_statuses::{self, ScheduledStatus};
use crate::error::{AppError, AppResult};
use crate::service::statuses::scheduled;
use crate::state::AppState;
use crate::time::rfc3339;

/// Routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/scheduled_statuses", get(index))
        .route(
            "/api/v1/scheduled_statuses/{id}",
            get(show).put(update).delete(destroy),
        )
}

/// The `ScheduledStatus` entity of a row.
pub fn entity(row: &ScheduledStatus) -> AppResult<Value> {
    let params: Value =
        serde_json::from_str(&row.params).map_err(|e| AppError::Internal(e.into()))?;
    Ok(json!({
        "id": row.id.to_string(),
        "scheduled_at": rfc3339(row.scheduled_at),
        "params": params,
        "media_attachments": [],
    }))
}

/// `GET /api/v1/scheduled_statuses`: one's scheduled statuses, newest first (20 by
/// default, at most 40), with `Link` headers.
async fn index(
    State(state): State<AppState>,
    OriginalUri(uri): OriginalUri,
    auth: Auth,
    Params(p): Params<PageParams>,
) -> AppResult<Paged<Value>> {
    let user = auth.user(&["read:statuses"])?;
    let page = p.page(20, 40)?;
    let mut h = state.db.read().await?;
    let rows = scheduled_statuses::page(h.conn(), user.account.id, &page).await?;
    let cursors: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let items = rows.iter().map(entity).collect::<AppResult<Vec<_>>>()?;
    Ok(Paged::by_ids(items, &cursors, &state.config.url, &uri))
}

/// `GET /api/v1/scheduled_statuses/:id`.
async fn show(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> AppResult<Json<Value>> {
    let user = auth.user(&["read:statuses"])?;
    let mut h = state.db.read().await?;
    let row = scheduled_statuses::get(h.conn(), path_id(&id)?, Some(user.account.id))
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(Json(entity(&row)?))
}

/// Parameters of `PUT /api/v1/scheduled_statuses/:id`.
#[derive(Debug, Deserialize)]
struct UpdateParams {
    #[serde(default, deserialize_with = "flex::opt_string")]
    scheduled_at: Option<String>,
}

/// `PUT /api/v1/scheduled_statuses/:id`: a new time (at least 5 minutes ahead).
async fn update(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    Params(p): Params<UpdateParams>,
) -> AppResult<Json<Value>> {
    let user = auth.user(&["write:statuses"])?;
    let row = scheduled::reschedule(
        &state,
        &user.account,
        path_id(&id)?,
        p.scheduled_at.as_deref(),
    )
    .await?;
    Ok(Json(entity(&row)?))
}

/// `DELETE /api/v1/scheduled_statuses/:id`: cancels it; answers `{}`.
async fn destroy(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> AppResult<Json<Value>> {
    let user = auth.user(&["write:statuses"])?;
    let id = path_id(&id)?;
    let mut tx = state.db.begin().await?;
    if !scheduled_statuses::delete(tx.conn(), id, user.account.id).await? {
        return Err(AppError::NotFound);
    }
    tx.commit().await?;
    Ok(Json(json!({})))
}
