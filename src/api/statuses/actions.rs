//! `POST /api/v1/statuses/:id/{favourite,reblog,bookmark,pin,mute}` and their undos, which
//! answer with the status as the viewer now sees it, and the `favourited_by` /
//! `reblogged_by` account lists.

use axum::Extension;
use axum::extract::{OriginalUri, Path, State};
use serde::Deserialize;

use super::render;
use crate::api::auth::Auth;
use crate::api::entities;
use crate::api::pagination::{PageParams, Paged, path_id};
use crate::api::params::{Params, flex};
use crate::api::{ClientIp, ratelimit};
use crate::db::statuses::interactions as repo;
use crate::error::{AppError, AppResult};
use crate::service::hydrate::{self, RawJson};
use crate::service::statuses::interactions;
use crate::state::AppState;
use crate::time::now_ms;

type StatusJson = AppResult<RawJson>;

/// `POST /api/v1/statuses/:id/favourite`.
pub async fn favourite(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> StatusJson {
    let viewer = auth.user(&["write:favourites"])?.account.id;
    let id = path_id(&id)?;
    interactions::favourite(&state, viewer, id).await?;
    render(&state, Some(viewer), id).await
}

/// `POST /api/v1/statuses/:id/unfavourite`.
pub async fn unfavourite(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> StatusJson {
    let viewer = auth.user(&["write:favourites"])?.account.id;
    let id = path_id(&id)?;
    interactions::unfavourite(&state, viewer, id).await?;
    render(&state, Some(viewer), id).await
}

/// Parameters of `POST /api/v1/statuses/:id/reblog`.
#[derive(Debug, Deserialize)]
pub struct ReblogParams {
    #[serde(default, deserialize_with = "flex::opt_string")]
    visibility: Option<String>,
}

/// `POST /api/v1/statuses/:id/reblog`: answers with the boost (the original in `reblog`).
pub async fn reblog(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    Params(p): Params<ReblogParams>,
) -> StatusJson {
    let user = auth.user(&["write:statuses"])?;
    let id = path_id(&id)?;
    let boost = interactions::reblog(
        &state,
        &user.account,
        &user.user,
        id,
        p.visibility.as_deref(),
    )
    .await?;
    render(&state, Some(user.account.id), boost).await
}

/// `POST /api/v1/statuses/:id/unreblog`: answers with the original status.
pub async fn unreblog(
    State(state): State<AppState>,
    Extension(ClientIp(ip)): Extension<ClientIp>,
    auth: Auth,
    Path(id): Path<String>,
) -> StatusJson {
    let viewer = auth.user(&["write:statuses"])?.account.id;
    let id = path_id(&id)?;
    ratelimit::check_delete(&state, ip, viewer)?;
    let original = interactions::unreblog(&state, viewer, id).await?;
    render(&state, Some(viewer), original).await
}

/// `POST /api/v1/statuses/:id/bookmark`.
pub async fn bookmark(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> StatusJson {
    let viewer = auth.user(&["write:bookmarks"])?.account.id;
    let id = path_id(&id)?;
    interactions::bookmark(&state, viewer, id).await?;
    render(&state, Some(viewer), id).await
}

/// `POST /api/v1/statuses/:id/unbookmark`.
pub async fn unbookmark(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> StatusJson {
    let viewer = auth.user(&["write:bookmarks"])?.account.id;
    let id = path_id(&id)?;
    interactions::unbookmark(&state, viewer, id).await?;
    render(&state, Some(viewer), id).await
}

/// `POST /api/v1/statuses/:id/pin`.
pub async fn pin(State(state): State<AppState>, auth: Auth, Path(id): Path<String>) -> StatusJson {
    let viewer = auth.user(&["write:accounts"])?.account.id;
    let id = path_id(&id)?;
    interactions::pin(&state, viewer, id).await?;
    render(&state, Some(viewer), id).await
}

/// `POST /api/v1/statuses/:id/unpin`.
pub async fn unpin(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> StatusJson {
    let viewer = auth.user(&["write:accounts"])?.account.id;
    let id = path_id(&id)?;
    interactions::unpin(&state, viewer, id).await?;
    render(&state, Some(viewer), id).await
}

/// `POST /api/v1/statuses/:id/mute`: mutes notifications from the thread.
pub async fn mute(State(state): State<AppState>, auth: Auth, Path(id): Path<String>) -> StatusJson {
    let viewer = auth.user(&["write:mutes"])?.account.id;
    let id = path_id(&id)?;
    interactions::set_thread_muted(&state, viewer, id, true).await?;
    render(&state, Some(viewer), id).await
}

/// `POST /api/v1/statuses/:id/unmute`.
pub async fn unmute(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> StatusJson {
    let viewer = auth.user(&["write:mutes"])?.account.id;
    let id = path_id(&id)?;
    interactions::set_thread_muted(&state, viewer, id, false).await?;
    render(&state, Some(viewer), id).await
}

/// Which account list of a status to read.
#[derive(Clone, Copy)]
enum Who {
    Favourited,
    Reblogged,
}

async fn accounts_of(
    state: &AppState,
    auth: &Auth,
    id: &str,
    uri: &axum::http::Uri,
    p: &PageParams,
    who: Who,
) -> AppResult<Paged<entities::Account>> {
    let viewer = auth.viewer_id(&["read:accounts"])?;
    let id = path_id(id)?;
    let page = p.page(40, 80)?;
    let mut h = state.db.read().await?;
    let s = hydrate::visible_status(h.conn(), viewer, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let target = s.reblog_of_id.unwrap_or(s.id);
    let rows = match who {
        Who::Favourited => {
            repo::favouriters_page(h.conn(), target, viewer, now_ms(), &page).await?
        }
        Who::Reblogged => repo::rebloggers_page(h.conn(), target, viewer, now_ms(), &page).await?,
    };
    let account_ids: Vec<i64> = rows.iter().map(|(_, a)| *a).collect();
    let cursors: Vec<i64> = rows.iter().map(|(r, _)| *r).collect();
    let items = hydrate::accounts_ordered(h.conn(), &state.config, &account_ids).await?;
    Ok(Paged::by_ids(items, &cursors, &state.config.url, uri))
}

/// `GET /api/v1/statuses/:id/favourited_by`.
pub async fn favourited_by(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    OriginalUri(uri): OriginalUri,
    Params(p): Params<PageParams>,
) -> AppResult<Paged<entities::Account>> {
    accounts_of(&state, &auth, &id, &uri, &p, Who::Favourited).await
}

/// `GET /api/v1/statuses/:id/reblogged_by`.
pub async fn reblogged_by(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    OriginalUri(uri): OriginalUri,
    Params(p): Params<PageParams>,
) -> AppResult<Paged<entities::Account>> {
    accounts_of(&state, &auth, &id, &uri, &p, Who::Reblogged).await
}
