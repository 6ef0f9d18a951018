//! Statuses: posting, editing and deleting, threads, and what accounts do with statuses
//! (favourite, boost, bookmark, pin, mute the thread). Every write happens in one
//! transaction together with its counters, notifications and follow-up jobs.
//!
//! Counters follow Mastodon: direct statuses do not count towards `statuses_count`, and only
//! public or unlisted replies count towards the parent's `replies_count`, so a restricted post
//! never shows up in a number seen by someone who may not read it.
//!
//! Notifications written here (`notifications.status_id` / `activity_id`):
//! `mention` → the status / its mention row; `status` → the status / the status;
//! `favourite` → the favourited status / the favourite row; `reblog` → the boosted (original)
//! status / the boost; `update` → the edited status / the new `status_edits` row (one
//! notification per edit). Undoing a favourite or boost removes its notification.

pub mod compose;
pub mod create;
pub mod delete;
pub mod edit;
pub mod interactions;
pub mod language;
pub mod scheduled;
pub mod thread;

use crate::error::AppError;

/// How long an `Idempotency-Key` of `POST /api/v1/statuses` is remembered (1 hour).
pub const IDEMPOTENCY_TTL_MS: i64 = 3_600_000;

/// Statuses an account may pin to its profile.
pub const MAX_PINS: i64 = 5;

/// Whether a status of this visibility counts towards its author's `statuses_count`.
pub fn counts_for_author(visibility: &str) -> bool {
    visibility != "direct"
}

/// Whether a reply of this visibility counts towards its parent's `replies_count`.
pub fn counts_as_reply(visibility: &str) -> bool {
    matches!(visibility, "public" | "unlisted")
}

/// Errors of posting a status.
#[derive(Debug, thiserror::Error)]
pub enum PostError {
    /// `in_reply_to_id` names a status that does not exist or that the author may not see
    /// (404 with Mastodon's message).
    #[error("The post you are trying to reply to does not appear to exist.")]
    ReplyNotFound,
    /// Anything else (validation, storage).
    #[error(transparent)]
    App(#[from] AppError),
}

impl From<sqlx::Error> for PostError {
    fn from(e: sqlx::Error) -> Self {
        PostError::App(e.into())
    }
}

/// Tells followers who asked to be notified of the author's posts (the bell) about a new
/// status. Runs as a job; idempotent, since notifications are unique per activity.
pub async fn notify_subscribers(db: &crate::db::Db, status_id: i64) -> anyhow::Result<()> {
    use crate::db::statuses::{self, interactions};
    use crate::service::notify::{self, kind};
    let mut tx = db.begin().await?;
    let Some(status) = statuses::get(tx.conn(), status_id).await? else {
        // Deleted before the job ran: nothing to announce.
        return Ok(());
    };
    let now = crate::time::now_ms();
    for follower in interactions::followers_to_notify(tx.conn(), status.account_id, now).await? {
        notify::notify(
            tx.conn(),
            follower,
            status.account_id,
            kind::STATUS,
            Some(status.id),
            status.id,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}
