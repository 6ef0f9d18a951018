//! List feeds, materialised on write like the home feed (Mastodon's `FeedManager` `:list`
//! feeds): fan-out of a member's new status into the lists holding them, merge of a new
//! member's recent statuses, removal of a member's entries, the list timeline page and
//! trimming.
//!
//! A list's owner gets what their home feed would get from a member (blocks, mutes, boosts
//! hidden, languages: `push_home_filters`), except that replies to others follow the list's
//! `replies_policy` (Mastodon's `filter_from_list?` with the list's `following` crutch):
//! `followed` lets through replies to accounts the owner follows, `list` replies to other
//! members, `none` none; replies to the owner always pass. Direct statuses never enter lists.
//!
//! Plans: fan-out probes `list_accounts_account (account_id, list_id)`; a page is a range scan
//! of the `list_feed` primary key `(list_id, status_id)`; removal uses `list_feed_author`.

use super::{FanOutStatus, Page, Query, push_aggregation, push_home_filters};
use crate::db::Conn;
use crate::with_conn;

/// SQL condition: `author` (an SQL expression) is a member of one of `receiver`'s exclusive
/// lists, so their statuses stay out of `receiver`'s home feed.
pub fn exclusive_member(receiver: &str, author: &str) -> String {
    format!(
        "EXISTS (SELECT 1 FROM list_accounts xa JOIN lists xl ON xl.id = xa.list_id \
         WHERE xa.account_id = {author} AND xl.account_id = {receiver} AND xl.exclusive)"
    )
}

/// Inserts `s` into every list holding its author whose owner still follows the author and
/// should see it. Idempotent; returns the rows inserted.
pub(super) async fn fan_out(
    c: Conn<'_>,
    s: &FanOutStatus,
    mentioned: &[i64],
) -> Result<u64, sqlx::Error> {
    let mut q = Query::new(
        "INSERT INTO list_feed (list_id, status_id, author_id, reblog_of_id, reblog_author_id) \
         SELECT l.id, ",
    );
    let id = q.arg(s.id);
    let author = q.arg(s.account_id);
    let ro = q.arg(s.reblog_of_id);
    let ra = q.arg(s.reblog_author_id);
    q.push(&format!(
        "{id}, {author}, {ro}, {ra} FROM list_accounts la JOIN lists l ON l.id = la.list_id \
         JOIN follows f ON f.account_id = l.account_id AND f.target_account_id = la.account_id \
         WHERE la.account_id = {author} AND l.account_id <> {author}"
    ));
    push_home_filters(
        &mut q,
        s,
        mentioned,
        "l.account_id",
        "f.show_reblogs",
        "f.languages",
        false,
    );
    if let Some(parent_author) = s.in_reply_to_account_id
        && parent_author != s.account_id
    {
        let p = q.arg(parent_author);
        q.push(&format!(" AND {}", reply_allowed("l", &p)));
    }
    push_aggregation(&mut q, s, "l.id", "list_feed", "list_id");
    q.push(" ON CONFLICT DO NOTHING");
    q.execute(c).await
}

/// SQL condition: a reply to `parent` (an SQL expression) may enter list `l` (an alias).
fn reply_allowed(l: &str, parent: &str) -> String {
    format!(
        "({l}.account_id = {parent} \
          OR ({l}.replies_policy = 'followed' AND EXISTS (SELECT 1 FROM follows rf \
              WHERE rf.account_id = {l}.account_id AND rf.target_account_id = {parent})) \
          OR ({l}.replies_policy = 'list' AND EXISTS (SELECT 1 FROM list_accounts rl \
              WHERE rl.list_id = {l}.id AND rl.account_id = {parent})))"
    )
}

/// Copies the latest `limit` statuses of `member` that the list's owner should see into the
/// list's feed, after `member` was added (Mastodon's `FeedManager#merge_into_list`).
pub async fn merge_member(
    c: Conn<'_>,
    list_id: i64,
    member: i64,
    limit: i64,
) -> Result<u64, sqlx::Error> {
    let sql = format!(
        "INSERT INTO list_feed (list_id, status_id, author_id, reblog_of_id, reblog_author_id) \
        SELECT l.id, s.id, s.account_id, s.reblog_of_id, o.account_id FROM lists l \
        JOIN follows f ON f.account_id = l.account_id AND f.target_account_id = $2 \
        JOIN statuses s ON s.account_id = $2 \
        LEFT JOIN statuses o ON o.id = s.reblog_of_id \
        WHERE l.id = $1 AND s.visibility IN ('public', 'unlisted', 'private') \
          AND (s.in_reply_to_account_id IS NULL OR s.in_reply_to_account_id = s.account_id \
               OR {replies}) \
          AND (s.reblog_of_id IS NULL OR f.show_reblogs) \
          AND (s.language IS NULL OR f.languages IS NULL OR f.languages = '[]' \
               OR f.languages LIKE '%\"' || s.language || '\"%') \
          AND NOT EXISTS (SELECT 1 FROM blocks b WHERE b.account_id = l.account_id AND b.target_account_id IN (s.account_id, o.account_id)) \
          AND NOT EXISTS (SELECT 1 FROM blocks b WHERE b.target_account_id = l.account_id AND b.account_id IN (s.account_id, o.account_id)) \
          AND NOT EXISTS (SELECT 1 FROM mutes mu WHERE mu.account_id = l.account_id AND mu.target_account_id IN (s.account_id, o.account_id) \
                          AND (mu.expires_at IS NULL OR mu.expires_at > $4)) \
          AND NOT EXISTS (SELECT 1 FROM mentions m WHERE m.status_id IN (s.id, s.reblog_of_id) AND NOT m.silent \
                          AND (EXISTS (SELECT 1 FROM blocks b WHERE b.account_id = l.account_id AND b.target_account_id = m.account_id) \
                               OR EXISTS (SELECT 1 FROM mutes mu WHERE mu.account_id = l.account_id AND mu.target_account_id = m.account_id \
                                          AND (mu.expires_at IS NULL OR mu.expires_at > $4)))) \
          AND (s.reblog_of_id IS NULL OR NOT EXISTS (SELECT 1 FROM list_feed h WHERE h.list_id = l.id \
               AND (h.status_id = s.reblog_of_id OR h.reblog_of_id = s.reblog_of_id))) \
        ORDER BY s.id DESC LIMIT $3 \
        ON CONFLICT DO NOTHING",
        replies = reply_allowed("l", "s.in_reply_to_account_id")
    );
    with_conn!(c, |c| sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(list_id)
        .bind(member)
        .bind(limit)
        .bind(crate::time::now_ms())
        .execute(c)
        .await
        .map(|r| r.rows_affected()))
}

/// Removes `author`'s entries (posts and boosts) from one list's feed (member removed).
pub async fn remove_author(c: Conn<'_>, list_id: i64, author: i64) -> Result<u64, sqlx::Error> {
    with_conn!(c, |c| sqlx::query(
        "DELETE FROM list_feed WHERE list_id = $1 AND author_id = $2"
    )
    .bind(list_id)
    .bind(author)
    .execute(c)
    .await
    .map(|r| r.rows_affected()))
}

/// Removes `author`'s entries from every list feed of `owner` (unfollow, block).
pub async fn remove_author_from_lists_of(
    c: Conn<'_>,
    owner: i64,
    author: i64,
) -> Result<u64, sqlx::Error> {
    with_conn!(c, |c| sqlx::query(
        "DELETE FROM list_feed WHERE author_id = $2 \
         AND list_id IN (SELECT l.id FROM lists l WHERE l.account_id = $1)"
    )
    .bind(owner)
    .bind(author)
    .execute(c)
    .await
    .map(|r| r.rows_affected()))
}

/// One page of a list's timeline for its owner `viewer`: the materialised feed minus entries
/// whose author or boosted author the viewer blocks or mutes now.
pub async fn page(
    c: Conn<'_>,
    list_id: i64,
    viewer: i64,
    now: i64,
    page: &Page,
) -> Result<Vec<i64>, sqlx::Error> {
    Ok(page.finish(page_query(list_id, viewer, now, page).fetch_ids(c).await?))
}

/// The query behind [`page`] (exposed for query-plan checks).
pub fn page_query(list_id: i64, viewer: i64, now: i64, page: &Page) -> Query {
    let mut q = Query::new("SELECT f.status_id FROM list_feed f WHERE f.list_id = ");
    q.push_arg(list_id);
    let order = page.push_bounds(&mut q, "f.status_id");
    let v = q.arg(viewer);
    let now = q.arg(now);
    q.push(&format!(
        " AND NOT EXISTS (SELECT 1 FROM blocks b WHERE b.account_id = {v} \
                          AND b.target_account_id IN (f.author_id, f.reblog_author_id)) \
          AND NOT EXISTS (SELECT 1 FROM mutes m WHERE m.account_id = {v} \
                          AND m.target_account_id IN (f.author_id, f.reblog_author_id) \
                          AND (m.expires_at IS NULL OR m.expires_at > {now})) \
         ORDER BY f.status_id {order} LIMIT "
    ));
    q.push_arg(page.limit);
    q
}

/// Removes all but the newest `keep` entries of every list feed of `owner`; returns how
/// many went.
pub async fn trim_lists_of(c: Conn<'_>, owner: i64, keep: i64) -> Result<u64, sqlx::Error> {
    with_conn!(c, |c| {
        sqlx::query(
        "DELETE FROM list_feed WHERE list_id IN (SELECT l.id FROM lists l WHERE l.account_id = $1) \
         AND status_id <= coalesce((SELECT f.status_id FROM list_feed f WHERE f.list_id = list_feed.list_id \
                                    ORDER BY f.status_id DESC LIMIT 1 OFFSET $2), -1)"
    )
    .bind(owner)
    .bind(keep)
    .execute(c)
    .await
    .map(|r| r.rows_affected())
    })
}
