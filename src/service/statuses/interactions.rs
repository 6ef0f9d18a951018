//! Favourites, boosts, bookmarks, pins and thread mutes. Every action first checks that the
//! viewer may see the status (404 otherwise, as Mastodon answers); actions on a boost apply to
//! the boosted status. Each returns nothing or the id to render; the API layer renders it.

use crate::db::accounts::{self, Account, Counter, User};
use crate::db::follows::{self, Relation};
use crate::db::notifications;
use crate::db::statuses::{self, Status, StatusCounter, interactions as repo};
use crate::db::{Conn, is_unique_violation};
use crate::error::{AppError, AppResult};
use crate::id::next_id;
use crate::jobs::{self, Job};
use crate::service::notify::{self, kind};
use crate::service::{federate, hydrate};
use crate::state::AppState;
use crate::time::now_ms;

use super::{MAX_PINS, counts_for_author};

/// Mastodon's answer to an action the viewer may not take on a status they can see.
fn not_allowed() -> AppError {
    AppError::Forbidden("This action is not allowed".into())
}

/// The status `id` as `viewer` sees it, and the status actions apply to (the boosted one for
/// a boost). 404 when it does not exist or is not visible.
async fn visible_target(mut c: Conn<'_>, viewer: i64, id: i64) -> AppResult<(Status, Status)> {
    let s = hydrate::visible_status(c.re(), Some(viewer), id)
        .await?
        .ok_or(AppError::NotFound)?;
    let target = match s.reblog_of_id {
        Some(o) => statuses::get(c, o).await?.ok_or(AppError::NotFound)?,
        None => s.clone(),
    };
    Ok((s, target))
}

/// The status actions apply to, visible or not (for undoing what was done while it was).
async fn any_target(mut c: Conn<'_>, id: i64) -> AppResult<Status> {
    let s = statuses::get(c.re(), id).await?.ok_or(AppError::NotFound)?;
    match s.reblog_of_id {
        Some(o) => statuses::get(c, o).await?.ok_or(AppError::NotFound),
        None => Ok(s),
    }
}

async fn blocks(c: Conn<'_>, viewer: i64, author: i64) -> Result<bool, sqlx::Error> {
    Ok(
        follows::among(c, Relation::Blocking, viewer, &[author], now_ms())
            .await?
            .contains(&author),
    )
}

/// Favourites status `id` (idempotent) and notifies its author.
pub async fn favourite(state: &AppState, viewer: i64, id: i64) -> AppResult<()> {
    let mut tx = state.db.begin().await?;
    let (_, target) = visible_target(tx.conn(), viewer, id).await?;
    if blocks(tx.conn(), viewer, target.account_id).await? {
        return Err(not_allowed());
    }
    let fav_id = next_id();
    if repo::insert_favourite(tx.conn(), fav_id, viewer, target.id, now_ms()).await? {
        statuses::bump(tx.conn(), target.id, StatusCounter::Favourites, 1).await?;
        notify::notify(
            tx.conn(),
            target.account_id,
            viewer,
            kind::FAVOURITE,
            Some(target.id),
            fav_id,
        )
        .await?;
        federate::favourite(tx.conn(), viewer, fav_id, &target, false).await?;
    }
    tx.commit().await?;
    state.wake_workers();
    Ok(())
}

/// Removes the viewer's favourite of status `id`, and the notification it caused.
pub async fn unfavourite(state: &AppState, viewer: i64, id: i64) -> AppResult<()> {
    let mut tx = state.db.begin().await?;
    let target = any_target(tx.conn(), id).await?;
    match repo::favourite_id(tx.conn(), viewer, target.id).await? {
        Some(fav_id) => {
            if repo::delete_favourite(tx.conn(), fav_id).await? {
                statuses::bump(tx.conn(), target.id, StatusCounter::Favourites, -1).await?;
                notifications::delete_for_activity(
                    tx.conn(),
                    target.account_id,
                    kind::FAVOURITE,
                    fav_id,
                )
                .await?;
                federate::favourite(tx.conn(), viewer, fav_id, &target, true).await?;
            }
        }
        None => {
            visible_target(tx.conn(), viewer, id).await?;
        }
    }
    tx.commit().await?;
    state.wake_workers();
    Ok(())
}

/// Boosts status `id` and returns the boost's id (the existing one when already boosted).
/// Only public and unlisted statuses may be boosted, and one's own private ones (the boost
/// then stays private); `visibility` (public, unlisted or private) defaults to the user's
/// default privacy (private when that is direct).
pub async fn reblog(
    state: &AppState,
    account: &Account,
    user: &User,
    id: i64,
    visibility: Option<&str>,
) -> AppResult<i64> {
    let viewer = account.id;
    let mut tx = state.db.begin().await?;
    let (_, target) = visible_target(tx.conn(), viewer, id).await?;
    let owned = target.account_id == viewer;
    let allowed = match target.visibility.as_str() {
        "public" | "unlisted" => true,
        "private" => owned,
        _ => false,
    };
    if !allowed || blocks(tx.conn(), viewer, target.account_id).await? {
        return Err(not_allowed());
    }
    if let Some(existing) = statuses::find_reblog(tx.conn(), viewer, target.id).await? {
        return Ok(existing.id);
    }
    let visibility = if target.visibility == "private" {
        "private".to_owned()
    } else {
        match visibility.map(str::trim).filter(|v| !v.is_empty()) {
            Some(v @ ("public" | "unlisted" | "private")) => v.to_owned(),
            Some(_) => {
                return Err(AppError::unprocessable(
                    "Validation failed: Visibility is not included in the list",
                ));
            }
            None => match user.default_privacy.as_str() {
                "public" | "unlisted" => user.default_privacy.clone(),
                _ => "private".to_owned(),
            },
        }
    };
    let now = now_ms();
    let boost_id = next_id();
    let uri = format!("{}/statuses/{boost_id}/activity", account.uri);
    let row = Status {
        id: boost_id,
        url: Some(uri.clone()),
        uri,
        account_id: viewer,
        text: String::new(),
        content: String::new(),
        spoiler_text: String::new(),
        sensitive: false,
        visibility,
        language: None,
        in_reply_to_id: None,
        in_reply_to_account_id: None,
        reblog_of_id: Some(target.id),
        conversation_id: None,
        application_id: None,
        local: true,
        replies_count: 0,
        reblogs_count: 0,
        favourites_count: 0,
        created_at: now,
        edited_at: None,
    };
    if let Err(e) = statuses::insert(tx.conn(), &row).await {
        if is_unique_violation(&e) {
            // A concurrent request boosted it first.
            drop(tx);
            let mut h = state.db.read().await?;
            if let Some(existing) = statuses::find_reblog(h.conn(), viewer, target.id).await? {
                return Ok(existing.id);
            }
        }
        return Err(e.into());
    }
    if counts_for_author(&row.visibility) {
        accounts::bump(tx.conn(), viewer, Counter::Statuses, 1).await?;
        accounts::touch_last_status(tx.conn(), viewer, now).await?;
    }
    statuses::bump(tx.conn(), target.id, StatusCounter::Reblogs, 1).await?;
    notify::notify(
        tx.conn(),
        target.account_id,
        viewer,
        kind::REBLOG,
        Some(target.id),
        boost_id,
    )
    .await?;
    jobs::enqueue(
        tx.conn(),
        &Job::FanOut {
            status_id: boost_id,
        },
        jobs::PRIORITY_LOCAL,
    )
    .await?;
    federate::boosted(tx.conn(), boost_id).await?;
    tx.commit().await?;
    state.wake_workers();
    Ok(boost_id)
}

/// Undoes the viewer's boost of status `id` (if any) and returns the boosted status's id.
pub async fn unreblog(state: &AppState, viewer: i64, id: i64) -> AppResult<i64> {
    let mut tx = state.db.begin().await?;
    let target = any_target(tx.conn(), id).await?;
    match statuses::find_reblog(tx.conn(), viewer, target.id).await? {
        Some(boost) => {
            federate::boost_removed(tx.conn(), &boost).await?;
            crate::service::live::status_deleted(tx.conn(), &boost, false).await?;
            if statuses::delete(tx.conn(), boost.id).await? {
                if counts_for_author(&boost.visibility) {
                    accounts::bump(tx.conn(), viewer, Counter::Statuses, -1).await?;
                }
                statuses::bump(tx.conn(), target.id, StatusCounter::Reblogs, -1).await?;
                notifications::delete_for_activity(
                    tx.conn(),
                    target.account_id,
                    kind::REBLOG,
                    boost.id,
                )
                .await?;
            }
        }
        None => {
            visible_target(tx.conn(), viewer, id).await?;
        }
    }
    tx.commit().await?;
    state.wake_workers();
    Ok(target.id)
}

/// Bookmarks status `id` (idempotent).
pub async fn bookmark(state: &AppState, viewer: i64, id: i64) -> AppResult<()> {
    let mut tx = state.db.begin().await?;
    let (_, target) = visible_target(tx.conn(), viewer, id).await?;
    repo::insert_bookmark(tx.conn(), next_id(), viewer, target.id, now_ms()).await?;
    tx.commit().await?;
    Ok(())
}

/// Removes the viewer's bookmark of status `id` (idempotent).
pub async fn unbookmark(state: &AppState, viewer: i64, id: i64) -> AppResult<()> {
    let mut tx = state.db.begin().await?;
    let target = any_target(tx.conn(), id).await?;
    if !repo::delete_bookmark(tx.conn(), viewer, target.id).await? {
        visible_target(tx.conn(), viewer, id).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Pins status `id` to the viewer's profile: only one's own statuses, not boosts, not direct
/// ones, and at most [`MAX_PINS`] (Mastodon's validation messages). The viewer's account row
/// is locked before the pins are counted, so concurrent pins cannot exceed the maximum.
pub async fn pin(state: &AppState, viewer: i64, id: i64) -> AppResult<()> {
    let mut tx = state.db.begin().await?;
    accounts::lock_rows(tx.conn(), &[viewer]).await?;
    let (s, _) = visible_target(tx.conn(), viewer, id).await?;
    if repo::is_pinned(tx.conn(), viewer, s.id).await? {
        return Ok(());
    }
    let mut errors = Vec::new();
    if s.reblog_of_id.is_some() {
        errors.push("A boost cannot be pinned");
    }
    if s.account_id != viewer {
        errors.push("Someone else's post cannot be pinned");
    }
    if s.visibility == "direct" {
        errors.push("Posts that are only visible to mentioned users cannot be pinned");
    }
    if repo::pin_count(tx.conn(), viewer).await? >= MAX_PINS {
        errors.push("You have already pinned the maximum number of posts");
    }
    if !errors.is_empty() {
        return Err(AppError::unprocessable(format!(
            "Validation failed: {}",
            errors.join(", ")
        )));
    }
    if repo::insert_pin(tx.conn(), next_id(), viewer, s.id, now_ms()).await? {
        federate::pin(tx.conn(), viewer, &s, true).await?;
    }
    tx.commit().await?;
    state.wake_workers();
    Ok(())
}

/// Unpins status `id` (idempotent).
pub async fn unpin(state: &AppState, viewer: i64, id: i64) -> AppResult<()> {
    let mut tx = state.db.begin().await?;
    let (s, _) = visible_target(tx.conn(), viewer, id).await?;
    if repo::delete_pin(tx.conn(), viewer, s.id).await? {
        federate::pin(tx.conn(), viewer, &s, false).await?;
    }
    tx.commit().await?;
    state.wake_workers();
    Ok(())
}

/// Mutes (or with `muted = false` unmutes) notifications from the thread of status `id`.
pub async fn set_thread_muted(
    state: &AppState,
    viewer: i64,
    id: i64,
    muted: bool,
) -> AppResult<()> {
    let mut tx = state.db.begin().await?;
    let (_, target) = visible_target(tx.conn(), viewer, id).await?;
    let conversation = target.conversation_id.ok_or_else(|| {
        AppError::unprocessable("Validation failed: This post is not part of a conversation")
    })?;
    if muted {
        repo::mute_conversation(tx.conn(), viewer, conversation).await?;
    } else {
        repo::unmute_conversation(tx.conn(), viewer, conversation).await?;
    }
    tx.commit().await?;
    Ok(())
}
