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

/// Follow options kept on a follow or a pending follow request.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FollowRow {
    /// Row id (also the pagination cursor of follower/following lists).
    pub id: i64,
    /// The follower.
    pub account_id: i64,
    /// The followed account.
    pub target_account_id: i64,
    /// Whether the follower's home feed shows the target's boosts.
    pub show_reblogs: bool,
    /// Whether the follower is notified of the target's new posts.
    pub notify: bool,
    /// JSON array of language codes, or NULL for all languages.
    pub languages: Option<String>,
    /// Creation time (unix ms).
    pub created_at: i64,
}

const FOLLOW_COLUMNS: &str =
    "id, account_id, target_account_id, show_reblogs, notify, languages, created_at";

/// Which of the two tables holding follow edges a query addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edge {
    /// `follows`: established follows.
    Follow,
    /// `follow_requests`: follows waiting for the target's approval.
    Request,
}

impl Edge {
    fn table(self) -> &'static str {
        match self {
            Edge::Follow => "follows",
            Edge::Request => "follow_requests",
        }
    }
}

/// Changes to apply to an existing follow or request; `None` leaves a value as it is.
#[derive(Debug, Clone, Default)]
pub struct FollowOptions {
    /// New `show_reblogs`.
    pub reblogs: Option<bool>,
    /// New `notify`.
    pub notify: Option<bool>,
    /// New `languages` (the inner `None` means all languages).
    pub languages: Option<Option<String>>,
}

/// The edge `account_id` → `target_account_id` in `edge`'s table.
pub async fn get_edge(
    c: Conn<'_>,
    edge: Edge,
    account_id: i64,
    target_account_id: i64,
) -> Result<Option<FollowRow>, sqlx::Error> {
    let sql = format!(
        "SELECT {FOLLOW_COLUMNS} FROM {} WHERE account_id = $1 AND target_account_id = $2",
        edge.table()
    );
    with_conn!(c, |c| sqlx::query_as::<_, FollowRow>(sqlx::AssertSqlSafe(
        sql.as_str()
    ))
    .bind(account_id)
    .bind(target_account_id)
    .fetch_optional(c)
    .await)
}

/// Which end of an edge the actor looked up by a Follow id must be.
#[derive(Debug, Clone, Copy)]
pub enum EdgeSide {
    /// The follower (`account_id`): an `Undo` of its Follow.
    Follower,
    /// The followed account (`target_account_id`): an `Accept`/`Reject` of a Follow of it.
    Target,
}

/// The edge in `edge`'s table whose Follow activity id is `uri` and whose `side` is
/// `actor_id` (an id another actor used for its own edge is not found).
pub async fn edge_by_uri(
    c: Conn<'_>,
    edge: Edge,
    uri: &str,
    side: EdgeSide,
    actor_id: i64,
) -> Result<Option<FollowRow>, sqlx::Error> {
    let column = match side {
        EdgeSide::Follower => "account_id",
        EdgeSide::Target => "target_account_id",
    };
    let sql = format!(
        "SELECT {FOLLOW_COLUMNS} FROM {} WHERE uri = $1 AND {column} = $2",
        edge.table()
    );
    with_conn!(c, |c| sqlx::query_as::<_, FollowRow>(sqlx::AssertSqlSafe(
        sql.as_str()
    ))
    .bind(uri)
    .bind(actor_id)
    .fetch_optional(c)
    .await)
}

/// `(row id, uri)` of the edge `account_id` → `target_account_id`: `uri` is the id of the
/// Follow activity that created it (ours for local followers, the remote server's for remote
/// ones), when known.
pub async fn edge_uri(
    c: Conn<'_>,
    edge: Edge,
    account_id: i64,
    target_account_id: i64,
) -> Result<Option<(i64, Option<String>)>, sqlx::Error> {
    let sql = format!(
        "SELECT id, uri FROM {} WHERE account_id = $1 AND target_account_id = $2",
        edge.table()
    );
    with_conn!(c, |c| sqlx::query_as::<_, (i64, Option<String>)>(
        sqlx::AssertSqlSafe(sql.as_str())
    )
    .bind(account_id)
    .bind(target_account_id)
    .fetch_optional(c)
    .await)
}

/// Records the Follow activity id of the edge `account_id` → `target_account_id`.
pub async fn set_edge_uri(
    c: Conn<'_>,
    edge: Edge,
    account_id: i64,
    target_account_id: i64,
    uri: &str,
) -> Result<(), sqlx::Error> {
    let sql = format!(
        "UPDATE {} SET uri = $3 WHERE account_id = $1 AND target_account_id = $2",
        edge.table()
    );
    with_conn!(c, |c| sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(account_id)
        .bind(target_account_id)
        .bind(uri)
        .execute(c)
        .await
        .map(|_| ()))
}

/// Inserts an edge unless the pair already has one; returns whether a row was inserted.
pub async fn insert_edge(c: Conn<'_>, edge: Edge, row: &FollowRow) -> Result<bool, sqlx::Error> {
    let sql = format!(
        "INSERT INTO {} (id, account_id, target_account_id, show_reblogs, notify, languages, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
        edge.table()
    );
    with_conn!(c, |c| sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(row.id)
        .bind(row.account_id)
        .bind(row.target_account_id)
        .bind(row.show_reblogs)
        .bind(row.notify)
        .bind(&row.languages)
        .bind(row.created_at)
        .execute(c)
        .await
        .map(|r| r.rows_affected() > 0))
}

/// Applies `opts` to the edge `account_id` → `target_account_id`, if it exists.
pub async fn update_edge_options(
    c: Conn<'_>,
    edge: Edge,
    account_id: i64,
    target_account_id: i64,
    opts: &FollowOptions,
) -> Result<(), sqlx::Error> {
    let sql = format!(
        "UPDATE {} SET show_reblogs = coalesce($3, show_reblogs), notify = coalesce($4, notify), \
         languages = CASE WHEN $5 THEN $6 ELSE languages END \
         WHERE account_id = $1 AND target_account_id = $2",
        edge.table()
    );
    let (set_languages, languages) = match &opts.languages {
        Some(l) => (true, l.clone()),
        None => (false, None),
    };
    with_conn!(c, |c| sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(account_id)
        .bind(target_account_id)
        .bind(opts.reblogs)
        .bind(opts.notify)
        .bind(set_languages)
        .bind(languages)
        .execute(c)
        .await
        .map(|_| ()))
}

/// Deletes the edge `account_id` → `target_account_id`; returns the deleted row's id.
pub async fn delete_edge(
    c: Conn<'_>,
    edge: Edge,
    account_id: i64,
    target_account_id: i64,
) -> Result<Option<i64>, sqlx::Error> {
    let sql = format!(
        "DELETE FROM {} WHERE account_id = $1 AND target_account_id = $2 RETURNING id",
        edge.table()
    );
    with_conn!(c, |c| sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(
        sql.as_str()
    ))
    .bind(account_id)
    .bind(target_account_id)
    .fetch_optional(c)
    .await)
}

/// The edges from `viewer` to any of `ids` (what `viewer` follows or requested).
pub async fn edges_from(
    c: Conn<'_>,
    edge: Edge,
    viewer: i64,
    ids: &[i64],
) -> Result<Vec<FollowRow>, sqlx::Error> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT {FOLLOW_COLUMNS} FROM {} WHERE account_id = $1 AND target_account_id IN ({})",
        edge.table(),
        placeholders(2, ids.len())
    );
    with_conn!(c, |c| {
        let mut q = sqlx::query_as::<_, FollowRow>(sqlx::AssertSqlSafe(sql.as_str())).bind(viewer);
        for id in ids {
            q = q.bind(*id);
        }
        q.fetch_all(c).await
    })
}

/// Number of pending follow requests addressed to `account_id`.
pub async fn count_requests_to(c: Conn<'_>, account_id: i64) -> Result<i64, sqlx::Error> {
    with_conn!(c, |c| sqlx::query_scalar::<_, i64>(
        "SELECT count(*) FROM follow_requests r JOIN accounts a ON a.id = r.account_id \
         WHERE r.target_account_id = $1 AND a.suspended_at IS NULL"
    )
    .bind(account_id)
    .fetch_one(c)
    .await)
}

/// The accounts with a pending follow request to `account_id`, oldest request first.
pub async fn requesters_of(c: Conn<'_>, account_id: i64) -> Result<Vec<i64>, sqlx::Error> {
    with_conn!(c, |c| sqlx::query_scalar::<_, i64>(
        "SELECT account_id FROM follow_requests WHERE target_account_id = $1 ORDER BY id"
    )
    .bind(account_id)
    .fetch_all(c)
    .await)
}

/// Inserts a block unless it exists; returns whether a row was inserted.
pub async fn insert_block(
    c: Conn<'_>,
    id: i64,
    account_id: i64,
    target_account_id: i64,
    now: i64,
) -> Result<bool, sqlx::Error> {
    with_conn!(c, |c| {
        sqlx::query(
        "INSERT INTO blocks (id, account_id, target_account_id, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT DO NOTHING"
    )
    .bind(id)
    .bind(account_id)
    .bind(target_account_id)
    .bind(now)
    .execute(c)
    .await
    .map(|r| r.rows_affected() > 0)
    })
}

/// Removes a block; returns whether one existed.
pub async fn delete_block(
    c: Conn<'_>,
    account_id: i64,
    target_account_id: i64,
) -> Result<bool, sqlx::Error> {
    with_conn!(c, |c| sqlx::query(
        "DELETE FROM blocks WHERE account_id = $1 AND target_account_id = $2"
    )
    .bind(account_id)
    .bind(target_account_id)
    .execute(c)
    .await
    .map(|r| r.rows_affected() > 0))
}

/// A mute as seen by its owner.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MuteRow {
    /// Row id (pagination cursor of `GET /api/v1/mutes`).
    pub id: i64,
    /// The muted account.
    pub target_account_id: i64,
    /// Whether notifications from the account are hidden too.
    pub hide_notifications: bool,
    /// When the mute lapses (unix ms), or NULL for never.
    pub expires_at: Option<i64>,
}

/// Creates or replaces the mute `account_id` → `target_account_id` (an existing row keeps its
/// id, so list positions stay stable).
pub async fn upsert_mute(
    c: Conn<'_>,
    id: i64,
    account_id: i64,
    target_account_id: i64,
    hide_notifications: bool,
    expires_at: Option<i64>,
    now: i64,
) -> Result<(), sqlx::Error> {
    with_conn!(c, |c| {
        sqlx::query(
        "INSERT INTO mutes (id, account_id, target_account_id, hide_notifications, expires_at, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (account_id, target_account_id) \
         DO UPDATE SET hide_notifications = excluded.hide_notifications, expires_at = excluded.expires_at"
    )
    .bind(id)
    .bind(account_id)
    .bind(target_account_id)
    .bind(hide_notifications)
    .bind(expires_at)
    .bind(now)
    .execute(c)
    .await
    .map(|_| ())
    })
}

/// Removes a mute; returns whether one existed.
pub async fn delete_mute(
    c: Conn<'_>,
    account_id: i64,
    target_account_id: i64,
) -> Result<bool, sqlx::Error> {
    with_conn!(c, |c| sqlx::query(
        "DELETE FROM mutes WHERE account_id = $1 AND target_account_id = $2"
    )
    .bind(account_id)
    .bind(target_account_id)
    .execute(c)
    .await
    .map(|r| r.rows_affected() > 0))
}

/// `viewer`'s unexpired mutes of any of `ids`.
pub async fn mutes_of(
    c: Conn<'_>,
    viewer: i64,
    ids: &[i64],
    now: i64,
) -> Result<Vec<MuteRow>, sqlx::Error> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT id, target_account_id, hide_notifications, expires_at FROM mutes \
         WHERE account_id = $1 AND (expires_at IS NULL OR expires_at > $2) AND target_account_id IN ({})",
        placeholders(3, ids.len())
    );
    with_conn!(c, |c| {
        let mut q = sqlx::query_as::<_, MuteRow>(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(viewer)
            .bind(now);
        for id in ids {
            q = q.bind(*id);
        }
        q.fetch_all(c).await
    })
}

/// Sets `account_id`'s private note on `target_account_id`.
pub async fn set_note(
    c: Conn<'_>,
    account_id: i64,
    target_account_id: i64,
    comment: &str,
) -> Result<(), sqlx::Error> {
    with_conn!(c, |c| sqlx::query(
        "INSERT INTO account_notes (account_id, target_account_id, comment) VALUES ($1, $2, $3) \
         ON CONFLICT (account_id, target_account_id) DO UPDATE SET comment = excluded.comment"
    )
    .bind(account_id)
    .bind(target_account_id)
    .bind(comment)
    .execute(c)
    .await
    .map(|_| ()))
}

/// Deletes `account_id`'s private note on `target_account_id`.
pub async fn delete_note(
    c: Conn<'_>,
    account_id: i64,
    target_account_id: i64,
) -> Result<(), sqlx::Error> {
    with_conn!(c, |c| sqlx::query(
        "DELETE FROM account_notes WHERE account_id = $1 AND target_account_id = $2"
    )
    .bind(account_id)
    .bind(target_account_id)
    .execute(c)
    .await
    .map(|_| ()))
}

/// `viewer`'s notes on any of `ids`: (target, comment).
pub async fn notes_of(
    c: Conn<'_>,
    viewer: i64,
    ids: &[i64],
) -> Result<Vec<(i64, String)>, sqlx::Error> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT target_account_id, comment FROM account_notes WHERE account_id = $1 AND target_account_id IN ({})",
        placeholders(2, ids.len())
    );
    with_conn!(c, |c| {
        let mut q =
            sqlx::query_as::<_, (i64, String)>(sqlx::AssertSqlSafe(sql.as_str())).bind(viewer);
        for id in ids {
            q = q.bind(*id);
        }
        q.fetch_all(c).await
    })
}

/// One entry of an account list paginated by an internal row id.
#[derive(Debug, Clone, Copy, sqlx::FromRow)]
pub struct ListEntry {
    /// Row id of the follow, request, block or mute (the cursor).
    pub row_id: i64,
    /// The account listed.
    pub account_id: i64,
    /// Mute expiry (mutes only).
    pub expires_at: Option<i64>,
}

/// Which account list [`list_page`] reads.
#[derive(Debug, Clone, Copy)]
pub enum AccountList {
    /// Followers of the owner.
    Followers,
    /// Accounts the owner follows.
    Following,
    /// Accounts waiting for the owner's approval.
    FollowRequests,
    /// Accounts the owner blocks.
    Blocks,
    /// Accounts the owner mutes (unexpired mutes only).
    Mutes,
}

/// One page of an account list of `owner`, newest row first. Suspended accounts are left
/// out; with a `viewer`, so are accounts the viewer blocks, mutes or is blocked by (as in
/// Mastodon's follower lists).
pub async fn list_page(
    c: Conn<'_>,
    list: AccountList,
    owner: i64,
    viewer: Option<i64>,
    now: i64,
    page: &super::timelines::Page,
) -> Result<Vec<ListEntry>, sqlx::Error> {
    let (from, listed, owner_col, expires) = match list {
        AccountList::Followers => ("follows r", "r.account_id", "r.target_account_id", "NULL"),
        AccountList::Following => ("follows r", "r.target_account_id", "r.account_id", "NULL"),
        AccountList::FollowRequests => (
            "follow_requests r",
            "r.account_id",
            "r.target_account_id",
            "NULL",
        ),
        AccountList::Blocks => ("blocks r", "r.target_account_id", "r.account_id", "NULL"),
        AccountList::Mutes => (
            "mutes r",
            "r.target_account_id",
            "r.account_id",
            "r.expires_at",
        ),
    };
    let (cursor, order) = page.clause("r.id", 4);
    let mut filter = String::new();
    if matches!(list, AccountList::Mutes) {
        filter.push_str(" AND (r.expires_at IS NULL OR r.expires_at > $3)");
    }
    if viewer.is_some() && matches!(list, AccountList::Followers | AccountList::Following) {
        filter.push_str(&format!(
            " AND NOT EXISTS (SELECT 1 FROM blocks b WHERE (b.account_id = $2 AND b.target_account_id = {listed}) \
                 OR (b.account_id = {listed} AND b.target_account_id = $2)) \
             AND NOT EXISTS (SELECT 1 FROM mutes m WHERE m.account_id = $2 AND m.target_account_id = {listed} \
                 AND (m.expires_at IS NULL OR m.expires_at > $3))"
        ));
    }
    let sql = format!(
        "SELECT r.id AS row_id, {listed} AS account_id, CAST({expires} AS BIGINT) AS expires_at \
         FROM {from} JOIN accounts a ON a.id = {listed} \
         WHERE {owner_col} = $1 AND a.suspended_at IS NULL AND $2 = $2 AND $3 = $3{filter}{cursor} \
         ORDER BY r.id {order} LIMIT $6"
    );
    let (a, b) = page.bounds();
    let rows = with_conn!(c, |c| sqlx::query_as::<_, ListEntry>(sqlx::AssertSqlSafe(
        sql.as_str()
    ))
    .bind(owner)
    .bind(viewer.unwrap_or(0))
    .bind(now)
    .bind(a)
    .bind(b)
    .bind(page.limit)
    .fetch_all(c)
    .await)?;
    let mut rows = rows;
    if page.min_id.is_some() {
        rows.reverse();
    }
    Ok(rows)
}

/// For each of `ids`, the accounts `viewer` follows (and that do not hide their collections)
/// which follow it: (target, follower) pairs, oldest follow first.
pub async fn familiar_followers(
    c: Conn<'_>,
    viewer: i64,
    ids: &[i64],
) -> Result<Vec<(i64, i64)>, sqlx::Error> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT f.target_account_id, f.account_id FROM follows f \
         JOIN follows mine ON mine.account_id = $1 AND mine.target_account_id = f.account_id \
         JOIN accounts a ON a.id = f.account_id \
         WHERE a.suspended_at IS NULL AND NOT a.hide_collections AND f.target_account_id IN ({}) \
         ORDER BY f.id",
        placeholders(2, ids.len())
    );
    with_conn!(c, |c| {
        let mut q = sqlx::query_as::<_, (i64, i64)>(sqlx::AssertSqlSafe(sql.as_str())).bind(viewer);
        for id in ids {
            q = q.bind(*id);
        }
        q.fetch_all(c).await
    })
}
