//! Notifications: one row per (recipient, type, causing activity), so repeats are no-ops.

use sqlx::FromRow;

use super::Conn;
use crate::with_conn;

/// One row of `notifications`.
#[derive(Debug, Clone, FromRow)]
pub struct Notification {
    pub id: i64,
    pub account_id: i64,
    pub from_account_id: i64,
    #[sqlx(rename = "type")]
    pub kind: String,
    pub status_id: Option<i64>,
    pub created_at: i64,
}

/// Columns selected into [`Notification`].
pub const NOTIFICATION_COLUMNS: &str =
    "id, account_id, from_account_id, type, status_id, created_at";

/// Creates a notification unless the same (recipient, type, activity) exists, or the
/// recipient blocks the sender or mutes them with notifications hidden, or muted the thread.
/// Returns the new notification's id when one was created.
#[allow(clippy::too_many_arguments)]
pub async fn create(
    c: Conn<'_>,
    id: i64,
    recipient: i64,
    from: i64,
    kind: &str,
    status_id: Option<i64>,
    activity_id: i64,
    now: i64,
) -> Result<Option<i64>, sqlx::Error> {
    let sql = "INSERT INTO notifications (id, account_id, from_account_id, type, status_id, activity_id, created_at) \
        SELECT $1, $2, $3, $4, $5, $6, $7 WHERE $2 <> $3 \
          AND NOT EXISTS (SELECT 1 FROM blocks b WHERE b.account_id = $2 AND b.target_account_id = $3) \
          AND NOT EXISTS (SELECT 1 FROM mutes m WHERE m.account_id = $2 AND m.target_account_id = $3 \
                          AND m.hide_notifications AND (m.expires_at IS NULL OR m.expires_at > $7)) \
          AND NOT EXISTS (SELECT 1 FROM statuses s JOIN conversation_mutes cm ON cm.conversation_id = s.conversation_id \
                          WHERE s.id = $5 AND cm.account_id = $2) \
        ON CONFLICT DO NOTHING";
    let inserted = with_conn!(c, |c| sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .bind(recipient)
        .bind(from)
        .bind(kind)
        .bind(status_id)
        .bind(activity_id)
        .bind(now)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok((inserted > 0).then_some(id))
}

/// Removes notifications caused by an activity that was undone (unfavourite, unfollow…).
pub async fn delete_for_activity(
    c: Conn<'_>,
    recipient: i64,
    kind: &str,
    activity_id: i64,
) -> Result<(), sqlx::Error> {
    with_conn!(c, |c| sqlx::query(
        "DELETE FROM notifications WHERE account_id = $1 AND type = $2 AND activity_id = $3"
    )
    .bind(recipient)
    .bind(kind)
    .bind(activity_id)
    .execute(c)
    .await
    .map(|_| ()))
}
