//! Actions on other accounts, each answering the resulting `Relationship`: follow,
//! unfollow, remove from followers, block, unblock, mute, unmute, note, and approving or
//! rejecting follow requests. Also `GET /api/v1/accounts/relationships`.

use std::collections::HashSet;

use axum::Json;
use axum::extract::{Path, State};
use serde::Deserialize;
use serde_json::Value;

use super::parse_ids;
use crate::api::auth::Auth;
use crate::api::entities::Relationship;
use crate::api::pagination::path_id;
use crate::api::params::{Params, flex};
use crate::db::accounts;
use crate::db::follows::FollowOptions;
use crate::error::{AppError, AppResult};
use crate::service::{follows, relationships};
use crate::state::AppState;

/// Renders the viewer's relationship towards `target` after an action committed.
async fn answer(state: &AppState, viewer: i64, target: i64) -> AppResult<Json<Relationship>> {
    let mut h = state.db.read().await?;
    Ok(Json(
        relationships::relationship(h.conn(), viewer, target).await?,
    ))
}

/// The account an action addresses. As in Mastodon's AccountsController, a local account whose
/// owner has not confirmed their e-mail address or been approved yet is a 404; the services
/// answer for unknown and suspended accounts.
async fn action_target(state: &AppState, raw_id: &str) -> AppResult<i64> {
    let id = path_id(raw_id)?;
    let mut h = state.db.read().await?;
    if accounts::is_unapproved(h.conn(), id).await? {
        return Err(AppError::NotFound);
    }
    Ok(id)
}

/// Parameters of follow.
#[derive(Debug, Deserialize)]
pub struct FollowParams {
    #[serde(default, deserialize_with = "flex::opt_bool")]
    reblogs: Option<bool>,
    #[serde(default, deserialize_with = "flex::opt_bool")]
    notify: Option<bool>,
    /// Absent: unchanged; a list (possibly empty = all languages) replaces it.
    #[serde(default)]
    languages: Option<Value>,
}

fn strings(v: Value) -> AppResult<Vec<String>> {
    let one = |v: Value| match v {
        Value::String(s) => Ok(s),
        other => Err(AppError::BadRequest(format!(
            "Invalid parameters: languages must be strings, got {other}"
        ))),
    };
    match v {
        Value::Array(a) => a.into_iter().map(one).collect(),
        Value::Object(m) => m.into_iter().map(|(_, v)| one(v)).collect(),
        other => Ok(vec![one(other)?]),
    }
}

/// `POST /api/v1/accounts/:id/follow` (reblogs, notify, languages[]).
pub async fn follow(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    Params(p): Params<FollowParams>,
) -> AppResult<Json<Relationship>> {
    let me = auth.user(&["write:follows"])?;
    let target = action_target(&state, &id).await?;
    let languages = match p.languages {
        None => None,
        Some(v) => Some(follows::languages_json(&strings(v)?)?),
    };
    let opts = FollowOptions {
        reblogs: p.reblogs,
        notify: p.notify,
        languages,
    };
    follows::follow(&state, &me.account, target, &opts).await?;
    answer(&state, me.account.id, target).await
}

/// `POST /api/v1/accounts/:id/unfollow` (also withdraws a pending request).
pub async fn unfollow(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> AppResult<Json<Relationship>> {
    let me = auth.user(&["write:follows"])?;
    let target = action_target(&state, &id).await?;
    follows::unfollow(&state, &me.account, target).await?;
    answer(&state, me.account.id, target).await
}

/// `POST /api/v1/accounts/:id/remove_from_followers`.
pub async fn remove_from_followers(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> AppResult<Json<Relationship>> {
    let me = auth.user(&["write:follows"])?;
    let target = action_target(&state, &id).await?;
    follows::remove_from_followers(&state, &me.account, target).await?;
    answer(&state, me.account.id, target).await
}

/// `POST /api/v1/accounts/:id/block`.
pub async fn block(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> AppResult<Json<Relationship>> {
    let me = auth.user(&["write:blocks"])?;
    let target = action_target(&state, &id).await?;
    relationships::block(&state, &me.account, target).await?;
    answer(&state, me.account.id, target).await
}

/// `POST /api/v1/accounts/:id/unblock`.
pub async fn unblock(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> AppResult<Json<Relationship>> {
    let me = auth.user(&["write:blocks"])?;
    let target = action_target(&state, &id).await?;
    relationships::unblock(&state, &me.account, target).await?;
    answer(&state, me.account.id, target).await
}

/// Parameters of mute.
#[derive(Debug, Deserialize)]
pub struct MuteParams {
    #[serde(default, deserialize_with = "flex::opt_bool")]
    notifications: Option<bool>,
    /// Seconds; 0 or absent mutes until unmuted.
    #[serde(default, deserialize_with = "flex::opt_i64")]
    duration: Option<i64>,
}

/// `POST /api/v1/accounts/:id/mute` (notifications = true, duration = 0).
pub async fn mute(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    Params(p): Params<MuteParams>,
) -> AppResult<Json<Relationship>> {
    let me = auth.user(&["write:mutes"])?;
    let target = action_target(&state, &id).await?;
    relationships::mute(
        &state.db,
        &me.account,
        target,
        p.notifications.unwrap_or(true),
        p.duration.unwrap_or(0),
    )
    .await?;
    answer(&state, me.account.id, target).await
}

/// `POST /api/v1/accounts/:id/unmute`.
pub async fn unmute(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> AppResult<Json<Relationship>> {
    let me = auth.user(&["write:mutes"])?;
    let target = action_target(&state, &id).await?;
    relationships::unmute(&state.db, &me.account, target).await?;
    answer(&state, me.account.id, target).await
}

/// Parameters of note.
#[derive(Debug, Deserialize)]
pub struct NoteParams {
    #[serde(default, deserialize_with = "flex::opt_string")]
    comment: Option<String>,
}

/// `POST /api/v1/accounts/:id/note` (comment; blank or absent deletes the note).
pub async fn note(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    Params(p): Params<NoteParams>,
) -> AppResult<Json<Relationship>> {
    let me = auth.user(&["write:accounts"])?;
    let target = path_id(&id)?;
    relationships::set_note(
        &state.db,
        &me.account,
        target,
        p.comment.as_deref().unwrap_or(""),
    )
    .await?;
    answer(&state, me.account.id, target).await
}

/// `POST /api/v1/follow_requests/:account_id/authorize`.
pub async fn authorize(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> AppResult<Json<Relationship>> {
    let me = auth.user(&["write:follows"])?;
    let requester = path_id(&id)?;
    follows::authorize_request(&state, &me.account, requester).await?;
    answer(&state, me.account.id, requester).await
}

/// `POST /api/v1/follow_requests/:account_id/reject`.
pub async fn reject(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> AppResult<Json<Relationship>> {
    let me = auth.user(&["write:follows"])?;
    let requester = path_id(&id)?;
    follows::reject_request(&state, &me.account, requester).await?;
    answer(&state, me.account.id, requester).await
}

/// Parameters of relationships.
#[derive(Debug, Deserialize)]
pub struct RelationshipsParams {
    #[serde(default, deserialize_with = "flex::vec_string")]
    id: Vec<String>,
    #[serde(default, deserialize_with = "flex::bool")]
    with_suspended: bool,
}

/// `GET /api/v1/accounts/relationships?id[]=` (with_suspended): in the order asked for,
/// unknown accounts (and suspended ones, unless asked) left out.
pub async fn relationships(
    State(state): State<AppState>,
    auth: Auth,
    Params(p): Params<RelationshipsParams>,
) -> AppResult<Json<Vec<Relationship>>> {
    let me = auth.user(&["read:follows"])?;
    let ids = parse_ids(&p.id);
    let mut h = state.db.read().await?;
    let known: HashSet<i64> = accounts::get_many(h.conn(), &ids)
        .await?
        .into_iter()
        .filter(|a| p.with_suspended || a.suspended_at.is_none())
        .map(|a| a.id)
        .collect();
    let ids: Vec<i64> = ids.into_iter().filter(|id| known.contains(id)).collect();
    Ok(Json(
        relationships::relationships(h.conn(), me.account.id, &ids).await?,
    ))
}
