//! Direct-message conversations (Mastodon's `methods/conversations.md`): the list, paged by
//! each conversation's newest status as in Mastodon, marking one read, and deleting one.

use axum::extract::{OriginalUri, Path, State};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use serde_json::{Value, json};

use crate::api::auth::Auth;
use crate::api::pagination::{PageParams, Paged, path_id};
use crate::api::params::Params;
use crate::db::Conn;
use crate::db::conversations::{self as repo, Conversation};
use crate::error::{AppError, AppResult};
use crate::service::conversations;
use crate::service::hydrate::{self, RawJson, StatusOptions};
use crate::state::AppState;

/// Default and maximum page sizes.
const LIMIT: (i64, i64) = (20, 40);

/// Routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/conversations", get(list))
        .route("/api/v1/conversations/{id}", delete(remove))
        .route("/api/v1/conversations/{id}/read", post(read))
}

/// Renders conversations as `viewer` sees them: the other participants as accounts and the
/// newest status through `hydrate::statuses` (`null` when the viewer may not see it).
async fn render(
    mut c: Conn<'_>,
    state: &AppState,
    viewer: i64,
    rows: &[Conversation],
) -> AppResult<Vec<RawJson>> {
    let participants: Vec<Vec<i64>> = rows.iter().map(Conversation::participants).collect();
    let mut account_ids: Vec<i64> = participants.iter().flatten().copied().collect();
    account_ids.sort_unstable();
    account_ids.dedup();
    let accounts = hydrate::accounts(c.re(), &state.config, &account_ids).await?;
    let status_ids: Vec<i64> = rows.iter().map(|r| r.last_status_id).collect();
    let statuses = hydrate::statuses(
        c,
        &state.render(),
        Some(viewer),
        &status_ids,
        StatusOptions::default(),
    )
    .await?;
    Ok(rows
        .iter()
        .zip(participants)
        .map(|(row, ids)| {
            let people: Vec<_> = ids.iter().filter_map(|id| accounts.get(id)).collect();
            let last = statuses
                .iter()
                .find(|s| s.id == row.last_status_id)
                .map(|s| s.json.as_str().to_owned())
                .unwrap_or_else(|| "null".into());
            RawJson::object(&[
                ("id", RawJson::of(&row.id.to_string()).as_str()),
                ("unread", if row.unread { "true" } else { "false" }),
                ("accounts", RawJson::of(&people).as_str()),
                ("last_status", &last),
            ])
        })
        .collect())
}

/// `GET /api/v1/conversations` (20 / 40).
async fn list(
    State(state): State<AppState>,
    auth: Auth,
    OriginalUri(uri): OriginalUri,
    Params(p): Params<PageParams>,
) -> AppResult<Paged<RawJson>> {
    let me = auth.user(&["read:statuses"])?.account.id;
    let page = p.page(LIMIT.0, LIMIT.1)?;
    let mut h = state.db.read().await?;
    let rows = repo::page(h.conn(), me, &page).await?;
    let items = render(h.conn(), &state, me, &rows).await?;
    let cursors: Vec<i64> = rows.iter().map(|r| r.last_status_id).collect();
    Ok(Paged::by_ids(items, &cursors, &state.config.url, &uri))
}

/// `POST /api/v1/conversations/:id/read`: the conversation, now read.
async fn read(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> AppResult<RawJson> {
    let me = auth.user(&["write:conversations"])?.account.id;
    let row = conversations::mark_read(&state.db, me, path_id(&id)?).await?;
    let mut h = state.db.read().await?;
    let mut out = render(h.conn(), &state, me, &[row]).await?;
    out.pop().ok_or(AppError::NotFound)
}

/// `DELETE /api/v1/conversations/:id`: `{}`.
async fn remove(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> AppResult<Json<Value>> {
    let me = auth.user(&["write:conversations"])?.account.id;
    conversations::delete(&state.db, me, path_id(&id)?).await?;
    Ok(Json(json!({})))
}
