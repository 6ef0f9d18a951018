//! Blocks, mutes and private notes, and the `Relationship` entity that summarises how the
//! viewer stands towards other accounts.

use std::collections::HashMap;

use crate::api::entities::Relationship;
use crate::db::accounts::{self, Account};
use crate::db::deliveries as delivery_repo;
use crate::db::follows::{self, Edge, FollowRow, Relation};
use crate::db::{Conn, Db, timelines};
use crate::error::{AppError, AppResult};
use crate::id::next_id;
use crate::service::federate;
use crate::service::follows::sever;
use crate::state::AppState;
use crate::time::{now_ms, rfc3339};

/// Longest private note on an account (Mastodon's `AccountNote` limit).
pub const MAX_NOTE_CHARS: usize = 2_000;

async fn must_exist(c: Conn<'_>, id: i64) -> AppResult<Account> {
    accounts::get(c, id).await?.ok_or(AppError::NotFound)
}

/// `viewer` blocks `target_id`: follows and follow requests in both directions end (with
/// their counters), and each side's posts leave the other's home feed. Blocking yourself
/// does nothing, as in Mastodon. Idempotent.
pub async fn block(state: &AppState, viewer: &Account, target_id: i64) -> AppResult<()> {
    let mut tx = state.db.begin().await?;
    accounts::lock_rows(tx.conn(), &[viewer.id, target_id]).await?;
    let target = must_exist(tx.conn(), target_id).await?;
    if target.id == viewer.id {
        return Ok(());
    }
    // As Mastodon's BlockService: the follows end both ways (Undo(Follow), Reject(Follow)
    // for remote accounts), then the Block is sent.
    federate::unfollow(tx.conn(), viewer.id, target.id).await?;
    federate::answer_follower(tx.conn(), viewer.id, target.id, false).await?;
    sever(tx.conn(), viewer.id, target.id).await?;
    sever(tx.conn(), target.id, viewer.id).await?;
    let block_id = next_id();
    if follows::insert_block(tx.conn(), block_id, viewer.id, target.id, now_ms()).await? {
        federate::block(tx.conn(), viewer.id, target.id, block_id, false).await?;
    }
    timelines::remove_author_from_home(tx.conn(), viewer.id, target.id).await?;
    timelines::remove_author_from_home(tx.conn(), target.id, viewer.id).await?;
    tx.commit().await?;
    state.wake_workers();
    Ok(())
}

/// `viewer` unblocks `target_id`. Idempotent.
pub async fn unblock(state: &AppState, viewer: &Account, target_id: i64) -> AppResult<()> {
    let mut tx = state.db.begin().await?;
    accounts::lock_rows(tx.conn(), &[viewer.id, target_id]).await?;
    must_exist(tx.conn(), target_id).await?;
    if let Some(block_id) = delivery_repo::block_id(tx.conn(), viewer.id, target_id).await? {
        federate::block(tx.conn(), viewer.id, target_id, block_id, true).await?;
    }
    follows::delete_block(tx.conn(), viewer.id, target_id).await?;
    tx.commit().await?;
    state.wake_workers();
    Ok(())
}

/// `viewer` mutes `target_id`, hiding notifications from them too when `notifications`, for
/// `duration_secs` seconds (0 = until unmuted). Muting again replaces both settings.
pub async fn mute(
    db: &Db,
    viewer: &Account,
    target_id: i64,
    notifications: bool,
    duration_secs: i64,
) -> AppResult<()> {
    if duration_secs < 0 {
        return Err(AppError::unprocessable(
            "Validation failed: Duration must be a positive number of seconds",
        ));
    }
    let mut tx = db.begin().await?;
    let target = must_exist(tx.conn(), target_id).await?;
    if target.id == viewer.id {
        return Ok(());
    }
    let now = now_ms();
    let expires_at =
        (duration_secs > 0).then(|| now.saturating_add(duration_secs.saturating_mul(1000)));
    follows::upsert_mute(
        tx.conn(),
        next_id(),
        viewer.id,
        target.id,
        notifications,
        expires_at,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// `viewer` unmutes `target_id`. Idempotent.
pub async fn unmute(db: &Db, viewer: &Account, target_id: i64) -> AppResult<()> {
    let mut tx = db.begin().await?;
    must_exist(tx.conn(), target_id).await?;
    follows::delete_mute(tx.conn(), viewer.id, target_id).await?;
    tx.commit().await?;
    Ok(())
}

/// Sets `viewer`'s private note on `target_id`; a blank comment deletes it.
pub async fn set_note(db: &Db, viewer: &Account, target_id: i64, comment: &str) -> AppResult<()> {
    if comment.chars().count() > MAX_NOTE_CHARS {
        return Err(AppError::unprocessable(format!(
            "Validation failed: Comment is too long (maximum is {MAX_NOTE_CHARS} characters)"
        )));
    }
    let mut tx = db.begin().await?;
    must_exist(tx.conn(), target_id).await?;
    if comment.trim().is_empty() {
        follows::delete_note(tx.conn(), viewer.id, target_id).await?;
    } else {
        follows::set_note(tx.conn(), viewer.id, target_id, comment).await?;
    }
    tx.commit().await?;
    Ok(())
}

fn languages(row: &FollowRow) -> Option<Vec<String>> {
    row.languages
        .as_deref()
        .and_then(|l| serde_json::from_str::<Vec<String>>(l).ok())
}

/// `Relationship` entities of `viewer` towards each of `ids`, in the same order.
pub async fn relationships(
    mut c: Conn<'_>,
    viewer: i64,
    ids: &[i64],
) -> Result<Vec<Relationship>, sqlx::Error> {
    let now = now_ms();
    let by_target = |rows: Vec<FollowRow>| -> HashMap<i64, FollowRow> {
        rows.into_iter().map(|r| (r.target_account_id, r)).collect()
    };
    let following = by_target(follows::edges_from(c.re(), Edge::Follow, viewer, ids).await?);
    let requested = by_target(follows::edges_from(c.re(), Edge::Request, viewer, ids).await?);
    let followed_by = follows::among(c.re(), Relation::FollowedBy, viewer, ids, now).await?;
    let blocking = follows::among(c.re(), Relation::Blocking, viewer, ids, now).await?;
    let blocked_by = follows::among(c.re(), Relation::BlockedBy, viewer, ids, now).await?;
    let requested_by = follows::among(c.re(), Relation::RequestedBy, viewer, ids, now).await?;
    let mutes: HashMap<i64, follows::MuteRow> = follows::mutes_of(c.re(), viewer, ids, now)
        .await?
        .into_iter()
        .map(|m| (m.target_account_id, m))
        .collect();
    let endorsed = crate::db::endorsements::among(c.re(), viewer, ids).await?;
    let notes: HashMap<i64, String> = follows::notes_of(c.re(), viewer, ids)
        .await?
        .into_iter()
        .collect();
    Ok(ids
        .iter()
        .map(|id| {
            // The options live on the follow, or on the pending request.
            let edge = following.get(id).or_else(|| requested.get(id));
            let mute = mutes.get(id);
            Relationship {
                id: id.to_string(),
                following: following.contains_key(id),
                showing_reblogs: edge.is_some_and(|e| e.show_reblogs),
                notifying: edge.is_some_and(|e| e.notify),
                languages: edge.and_then(languages),
                followed_by: followed_by.contains(id),
                blocking: blocking.contains(id),
                blocked_by: blocked_by.contains(id),
                muting: mute.is_some(),
                muting_notifications: mute.is_some_and(|m| m.hide_notifications),
                muting_expires_at: mute.and_then(|m| m.expires_at).map(rfc3339),
                requested: requested.contains_key(id),
                requested_by: requested_by.contains(id),
                domain_blocking: false,
                endorsed: endorsed.contains(id),
                note: notes.get(id).cloned().unwrap_or_default(),
            }
        })
        .collect())
}

/// The `Relationship` of `viewer` towards one account.
pub async fn relationship(
    c: Conn<'_>,
    viewer: i64,
    target: i64,
) -> Result<Relationship, sqlx::Error> {
    let mut v = relationships(c, viewer, &[target]).await?;
    Ok(v.pop().expect("one id in, one relationship out"))
}
