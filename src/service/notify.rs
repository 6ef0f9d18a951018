//! Creating notifications (the one place that decides who is told about what).

use crate::db::{Conn, notifications};
use crate::id::next_id;
use crate::time::now_ms;

/// Notification types Woolly emits (all advertised by Mastodon 4.x clients).
pub mod kind {
    /// Someone mentioned you.
    pub const MENTION: &str = "mention";
    /// Someone you enabled notifications for posted.
    pub const STATUS: &str = "status";
    /// Someone boosted your status.
    pub const REBLOG: &str = "reblog";
    /// Someone followed you.
    pub const FOLLOW: &str = "follow";
    /// Someone requested to follow you.
    pub const FOLLOW_REQUEST: &str = "follow_request";
    /// Someone favourited your status.
    pub const FAVOURITE: &str = "favourite";
    /// A status you interacted with was edited.
    pub const UPDATE: &str = "update";
    /// A poll you voted in or created has ended.
    pub const POLL: &str = "poll";
}

/// Notifies `recipient` that `from` did `kind` (caused by row `activity_id`). No-op when the
/// recipient is not a local account (its own server notifies it), is the actor, blocks or mutes them, muted the thread, or was already notified
/// of this activity. Returns the new notification id.
pub async fn notify(
    c: Conn<'_>,
    recipient: i64,
    from: i64,
    kind: &str,
    status_id: Option<i64>,
    activity_id: i64,
) -> Result<Option<i64>, sqlx::Error> {
    let id = notifications::create(
        c,
        next_id(),
        recipient,
        from,
        kind,
        status_id,
        activity_id,
        now_ms(),
    )
    .await?;
    if let Some(id) = id {
        super::live::notified(recipient, id);
    }
    Ok(id)
}
