//! The social graph: follows, follow requests, blocks, mutes and private notes.

use std::collections::HashSet;

use super::{Conn, placeholders};
use crate::with_conn;

/// Which relation table a set query reads.
#[derive(Debug, Clone, Copy)]
pub enum Relation {
    /// `viewer` follows the account.
    Following,
    /// The account follows `viewer`.
    FollowedBy,
    /// `viewer` blocks the account.
    Blocking,
    /// The account blocks `viewer`.
    BlockedBy,
    /// `viewer` mutes the account (unexpired mutes only).
    Muting,
    /// `viewer` asked to follow the account and waits for approval.
    Requested,
    /// The account asked to follow `viewer`.
    RequestedBy,
}

/// The subset of `ids` that stand in `relation` to `viewer`.
pub async fn among(
    c: Conn<'_>,
    relation: Relation,
    viewer: i64,
    ids: &[i64],
    now: i64,
) -> Result<HashSet<i64>, sqlx::Error> {
    if ids.is_empty() {
        return Ok(HashSet::new());
    }
    let list = placeholders(3, ids.len());
    let sql = match relation {
        Relation::Following => format!(
            "SELECT target_account_id FROM follows WHERE account_id = $1 AND target_account_id IN ({list}) AND $2 = $2"
        ),
        Relation::FollowedBy => format!(
            "SELECT account_id FROM follows WHERE target_account_id = $1 AND account_id IN ({list}) AND $2 = $2"
        ),
        Relation::Blocking => format!(
            "SELECT target_account_id FROM blocks WHERE account_id = $1 AND target_account_id IN ({list}) AND $2 = $2"
        ),
        Relation::BlockedBy => format!(
            "SELECT account_id FROM blocks WHERE target_account_id = $1 AND account_id IN ({list}) AND $2 = $2"
        ),
        Relation::Muting => format!(
            "SELECT target_account_id FROM mutes WHERE account_id = $1 AND target_account_id IN ({list}) AND (expires_at IS NULL OR expires_at > $2)"
        ),
        Relation::Requested => format!(
            "SELECT target_account_id FROM follow_requests WHERE account_id = $1 AND target_account_id IN ({list}) AND $2 = $2"
        ),
        Relation::RequestedBy => format!(
            "SELECT account_id FROM follow_requests WHERE target_account_id = $1 AND account_id IN ({list}) AND $2 = $2"
        ),
    };
    with_conn!(c, |c| {
        let mut q = sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(viewer)
            .bind(now);
        for id in ids {
            q = q.bind(*id);
        }
        q.fetch_all(c).await.map(|v| v.into_iter().collect())
    })
}

/// Whether `account_id` follows `target_account_id`.
pub async fn is_following(
    c: Conn<'_>,
    account_id: i64,
    target_account_id: i64,
) -> Result<bool, sqlx::Error> {
    with_conn!(c, |c| sqlx::query_scalar::<_, i64>(
        "SELECT count(*) FROM follows WHERE account_id = $1 AND target_account_id = $2"
    )
    .bind(account_id)
    .bind(target_account_id)
    .fetch_one(c)
    .await
    .map(|n| n > 0))
}

/// Whether either account blocks the other.
pub async fn blocked_either_way(c: Conn<'_>, a: i64, b: i64) -> Result<bool, sqlx::Error> {
    with_conn!(c, |c| {
        sqlx::query_scalar::<_, i64>(
        "SELECT count(*) FROM blocks WHERE (account_id = $1 AND target_account_id = $2) OR (account_id = $2 AND target_account_id = $1)"
    )
    .bind(a)
    .bind(b)
    .fetch_one(c)
    .await
    .map(|n| n > 0)
    })
}
