//! Statuses (posts and boosts), their mentions, hashtags and edit history. The batched loads
//! for rendering pages of statuses live in `db::hydration`.

use sqlx::FromRow;

use super::{Conn, placeholders};
use crate::with_conn;

pub mod interactions;

/// One row of `statuses`.
#[derive(Debug, Clone, FromRow)]
pub struct Status {
    pub id: i64,
    pub uri: String,
    pub url: Option<String>,
    pub account_id: i64,
    /// The source text; empty when loaded with [`DISPLAY_COLUMNS`].
    #[sqlx(default)]
    pub text: String,
    pub content: String,
    pub spoiler_text: String,
    pub sensitive: bool,
    pub visibility: String,
    pub language: Option<String>,
    pub in_reply_to_id: Option<i64>,
    pub in_reply_to_account_id: Option<i64>,
    pub reblog_of_id: Option<i64>,
    pub conversation_id: Option<i64>,
    pub application_id: Option<i64>,
    pub local: bool,
    pub replies_count: i64,
    pub reblogs_count: i64,
    pub favourites_count: i64,
    pub created_at: i64,
    pub edited_at: Option<i64>,
}

/// Columns selected into [`Status`].
pub const STATUS_COLUMNS: &str = "id, uri, url, account_id, text, content, spoiler_text, sensitive, visibility, language, \
     in_reply_to_id, in_reply_to_account_id, reblog_of_id, conversation_id, application_id, local, replies_count, \
     reblogs_count, favourites_count, created_at, edited_at";

/// The columns of [`Status`] needed to render the `Status` entity (without the source text,
/// which only editing and delete-and-redraft read).
pub const DISPLAY_COLUMNS: &str = "id, uri, url, account_id, content, spoiler_text, sensitive, visibility, language, \
     in_reply_to_id, in_reply_to_account_id, reblog_of_id, conversation_id, application_id, local, replies_count, \
     reblogs_count, favourites_count, created_at, edited_at";

/// Inserts a status row (all counters zero).
pub async fn insert(c: Conn<'_>, s: &Status) -> Result<(), sqlx::Error> {
    insert_row(c, s, "").await.map(|_| ())
}

/// Inserts a status row unless one with its `uri` exists; returns whether it was inserted.
/// A clash on the id is still an error.
pub async fn insert_unless_uri_exists(c: Conn<'_>, s: &Status) -> Result<bool, sqlx::Error> {
    insert_row(c, s, " ON CONFLICT (uri) DO NOTHING")
        .await
        .map(|n| n > 0)
}

/// The one `INSERT INTO statuses`, with an optional conflict clause; returns rows inserted.
/// A new status (not a boost) is added to the search index in the same transaction.
async fn insert_row(mut c: Conn<'_>, s: &Status, on_conflict: &str) -> Result<u64, sqlx::Error> {
    let sql = format!(
        "INSERT INTO statuses (id, uri, url, account_id, text, content, spoiler_text, sensitive, visibility, language, \
         in_reply_to_id, in_reply_to_account_id, reblog_of_id, conversation_id, application_id, local, created_at, \
         edited_at, updated_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$17){on_conflict}"
    );
    let inserted = with_conn!(c.re(), |c| {
        sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(s.id)
            .bind(&s.uri)
            .bind(&s.url)
            .bind(s.account_id)
            .bind(&s.text)
            .bind(&s.content)
            .bind(&s.spoiler_text)
            .bind(s.sensitive)
            .bind(&s.visibility)
            .bind(&s.language)
            .bind(s.in_reply_to_id)
            .bind(s.in_reply_to_account_id)
            .bind(s.reblog_of_id)
            .bind(s.conversation_id)
            .bind(s.application_id)
            .bind(s.local)
            .bind(s.created_at)
            .bind(s.edited_at)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
    })?;
    if inserted > 0 && s.reblog_of_id.is_none() {
        let document = super::search::document_of(&s.spoiler_text, &s.content);
        super::search::index_status(c, s.id, &document).await?;
    }
    Ok(inserted)
}

/// Locks the status row `id` until the transaction ends (`SELECT … FOR UPDATE` on
/// PostgreSQL), so that no row referencing it (a boost, a reply, a favourite) can be inserted
/// meanwhile: the foreign-key check of such an insert waits for the lock. A no-op on SQLite,
/// whose single writer connection already runs transactions one at a time.
pub async fn lock(c: Conn<'_>, id: i64) -> Result<(), sqlx::Error> {
    if c.is_sqlite() {
        return Ok(());
    }
    with_conn!(c, |c| sqlx::query_scalar::<_, i64>(
        "SELECT id FROM statuses WHERE id = $1 FOR UPDATE"
    )
    .bind(id)
    .fetch_optional(c)
    .await
    .map(|_| ()))
}

/// The status with this id.
pub async fn get(c: Conn<'_>, id: i64) -> Result<Option<Status>, sqlx::Error> {
    let sql = format!("SELECT {STATUS_COLUMNS} FROM statuses WHERE id = $1");
    with_conn!(c, |c| sqlx::query_as::<_, Status>(sqlx::AssertSqlSafe(
        sql.as_str()
    ))
    .bind(id)
    .fetch_optional(c)
    .await)
}

/// The statuses with these ids, in no particular order; unknown ids are skipped.
pub async fn get_many(c: Conn<'_>, ids: &[i64]) -> Result<Vec<Status>, sqlx::Error> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT {STATUS_COLUMNS} FROM statuses WHERE id IN ({})",
        placeholders(1, ids.len())
    );
    with_conn!(c, |c| {
        let mut q = sqlx::query_as::<_, Status>(sqlx::AssertSqlSafe(sql.as_str()));
        for id in ids {
            q = q.bind(*id);
        }
        q.fetch_all(c).await
    })
}

/// Which denormalised counter of a status to adjust.
#[derive(Debug, Clone, Copy)]
pub enum StatusCounter {
    /// `replies_count`.
    Replies,
    /// `reblogs_count`.
    Reblogs,
    /// `favourites_count`.
    Favourites,
}

/// Adds `delta` to a status counter, never going below zero.
pub async fn bump(
    c: Conn<'_>,
    id: i64,
    counter: StatusCounter,
    delta: i64,
) -> Result<(), sqlx::Error> {
    let col = match counter {
        StatusCounter::Replies => "replies_count",
        StatusCounter::Reblogs => "reblogs_count",
        StatusCounter::Favourites => "favourites_count",
    };
    let sql = format!(
        "UPDATE statuses SET {col} = CASE WHEN {col} + $2 < 0 THEN 0 ELSE {col} + $2 END WHERE id = $1"
    );
    with_conn!(c, |c| sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(id)
        .bind(delta)
        .execute(c)
        .await
        .map(|_| ()))
}

/// New text of an edited status.
#[derive(Debug, Clone)]
pub struct ContentUpdate<'a> {
    pub text: &'a str,
    pub content: &'a str,
    pub spoiler_text: &'a str,
    pub sensitive: bool,
    pub language: Option<&'a str>,
    pub edited_at: i64,
}

/// Writes an edit of a status's text, content warning, sensitivity and language, and its new
/// search entry.
pub async fn update_content(
    mut c: Conn<'_>,
    id: i64,
    u: &ContentUpdate<'_>,
) -> Result<(), sqlx::Error> {
    with_conn!(c.re(), |c| {
        sqlx::query(
        "UPDATE statuses SET text = $2, content = $3, spoiler_text = $4, sensitive = $5, language = $6, \
         edited_at = $7, updated_at = $7 WHERE id = $1"
    )
    .bind(id)
    .bind(u.text)
    .bind(u.content)
    .bind(u.spoiler_text)
    .bind(u.sensitive)
    .bind(u.language)
    .bind(u.edited_at)
    .execute(c)
    .await
    .map(|_| ())
    })?;
    let document = super::search::document_of(u.spoiler_text, u.content);
    super::search::index_status(c, id, &document).await
}

/// Moves `updated_at` forward (to `now`, or past its current value): what the status shows
/// changed without an edit (e.g. its media finished processing), so its cached rendering is
/// stale.
pub async fn touch(c: Conn<'_>, id: i64, now: i64) -> Result<(), sqlx::Error> {
    with_conn!(c, |c| {
        sqlx::query(
        "UPDATE statuses SET updated_at = CASE WHEN updated_at >= $2 THEN updated_at + 1 ELSE $2 END \
         WHERE id = $1"
    )
    .bind(id)
    .bind(now)
    .execute(c)
    .await
    .map(|_| ())
    })
}

/// Deletes a status. Its boosts, favourites, bookmarks, pins, mentions, tags, edits,
/// notifications and feed entries go with it (foreign keys), the direct-message
/// conversations holding it fall back to their previous status; replies keep existing.
pub async fn delete(mut c: Conn<'_>, id: i64) -> Result<bool, sqlx::Error> {
    super::conversations::remove_status(c.re(), id).await?;
    with_conn!(c, |c| sqlx::query("DELETE FROM statuses WHERE id = $1")
        .bind(id)
        .execute(c)
        .await
        .map(|r| r.rows_affected() > 0))
}

/// Decrements `statuses_count` of every account that boosted `status_id`, before the boosts
/// are removed along with the status. The status row must be locked ([`lock`]) first, so that
/// no boost is added between this count and the delete.
pub async fn uncount_boosts_of(c: Conn<'_>, status_id: i64) -> Result<(), sqlx::Error> {
    with_conn!(c, |c| {
        sqlx::query(
        "UPDATE accounts SET statuses_count = CASE WHEN statuses_count > 0 THEN statuses_count - 1 ELSE 0 END \
         WHERE id IN (SELECT account_id FROM statuses WHERE reblog_of_id = $1 AND visibility <> 'direct')"
    )
    .bind(status_id)
    .execute(c)
    .await
    .map(|_| ())
    })
}

/// `account_id`'s boost of `status_id`, if any.
pub async fn find_reblog(
    c: Conn<'_>,
    account_id: i64,
    status_id: i64,
) -> Result<Option<Status>, sqlx::Error> {
    let sql = format!(
        "SELECT {STATUS_COLUMNS} FROM statuses WHERE account_id = $1 AND reblog_of_id = $2"
    );
    with_conn!(c, |c| sqlx::query_as::<_, Status>(sqlx::AssertSqlSafe(
        sql.as_str()
    ))
    .bind(account_id)
    .bind(status_id)
    .fetch_optional(c)
    .await)
}

/// Local accounts that boosted `status_id` (told about edits).
pub async fn local_rebloggers(c: Conn<'_>, status_id: i64) -> Result<Vec<i64>, sqlx::Error> {
    with_conn!(c, |c| sqlx::query_scalar::<_, i64>(
        "SELECT s.account_id FROM statuses s JOIN accounts a ON a.id = s.account_id \
         WHERE s.reblog_of_id = $1 AND a.domain IS NULL ORDER BY s.id"
    )
    .bind(status_id)
    .fetch_all(c)
    .await)
}

/// Ids of up to `limit` ancestors of `id` (walking `in_reply_to_id`), oldest first.
pub async fn ancestor_ids(c: Conn<'_>, id: i64, limit: i64) -> Result<Vec<i64>, sqlx::Error> {
    let sql = "WITH RECURSIVE up(id, parent, depth) AS ( \
            SELECT id, in_reply_to_id, CAST(0 AS BIGINT) FROM statuses WHERE id = $1 \
            UNION ALL \
            SELECT s.id, s.in_reply_to_id, up.depth + 1 FROM statuses s JOIN up ON s.id = up.parent \
            WHERE up.depth < $2) \
        SELECT id FROM up WHERE depth > 0 ORDER BY depth DESC";
    with_conn!(c, |c| sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(
        sql
    ))
    .bind(id)
    .bind(limit)
    .fetch_all(c)
    .await)
}

/// The reply tree below `id`, as (status id, parent id) pairs, at most `max_depth` levels deep
/// and at most `cap` rows, in no particular order.
pub async fn descendant_edges(
    c: Conn<'_>,
    id: i64,
    max_depth: i64,
    cap: i64,
) -> Result<Vec<(i64, i64)>, sqlx::Error> {
    let sql = "WITH RECURSIVE down(id, parent, depth) AS ( \
            SELECT id, in_reply_to_id, CAST(1 AS BIGINT) FROM statuses WHERE in_reply_to_id = $1 \
            UNION ALL \
            SELECT s.id, s.in_reply_to_id, down.depth + 1 FROM statuses s JOIN down ON s.in_reply_to_id = down.id \
            WHERE down.depth < $2) \
        SELECT id, parent FROM down LIMIT $3";
    with_conn!(c, |c| sqlx::query_as::<_, (i64, i64)>(sqlx::AssertSqlSafe(
        sql
    ))
    .bind(id)
    .bind(max_depth)
    .bind(cap)
    .fetch_all(c)
    .await)
}

/// A mention row of one status.
#[derive(Debug, Clone, FromRow)]
pub struct MentionRecord {
    pub id: i64,
    pub account_id: i64,
    pub silent: bool,
}

/// All mention rows of a status (silent ones included).
pub async fn mention_records(
    c: Conn<'_>,
    status_id: i64,
) -> Result<Vec<MentionRecord>, sqlx::Error> {
    with_conn!(c, |c| sqlx::query_as::<_, MentionRecord>(
        "SELECT id, account_id, silent FROM mentions WHERE status_id = $1 ORDER BY id"
    )
    .bind(status_id)
    .fetch_all(c)
    .await)
}

/// Records that `status_id` mentions `account_id`; a `silent` mention gives access without
/// being shown or notified.
pub async fn insert_mention(
    c: Conn<'_>,
    id: i64,
    status_id: i64,
    account_id: i64,
    silent: bool,
) -> Result<(), sqlx::Error> {
    with_conn!(c, |c| sqlx::query(
        "INSERT INTO mentions (id, status_id, account_id, silent) VALUES ($1, $2, $3, $4)"
    )
    .bind(id)
    .bind(status_id)
    .bind(account_id)
    .bind(silent)
    .execute(c)
    .await
    .map(|_| ()))
}

/// Marks a mention silent (kept for access, no longer shown) or active again.
pub async fn set_mention_silent(c: Conn<'_>, id: i64, silent: bool) -> Result<(), sqlx::Error> {
    with_conn!(c, |c| sqlx::query(
        "UPDATE mentions SET silent = $2 WHERE id = $1"
    )
    .bind(id)
    .bind(silent)
    .execute(c)
    .await
    .map(|_| ()))
}

/// The id of hashtag `name` (lower-cased), creating it with `display_name` if new.
pub async fn upsert_tag(
    mut c: Conn<'_>,
    name: &str,
    display_name: &str,
    now: i64,
) -> Result<i64, sqlx::Error> {
    with_conn!(c.re(), |c| {
        sqlx::query(
        "INSERT INTO tags (id, name, display_name, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (name) DO NOTHING"
    )
    .bind(crate::id::next_id())
    .bind(name)
    .bind(display_name)
    .bind(now)
    .execute(c)
    .await
    .map(|_| ())
    })?;
    with_conn!(c, |c| sqlx::query_scalar::<_, i64>(
        "SELECT id FROM tags WHERE name = $1"
    )
    .bind(name)
    .fetch_one(c)
    .await)
}

/// Replaces the hashtags of a status.
pub async fn set_status_tags(
    mut c: Conn<'_>,
    status_id: i64,
    tag_ids: &[i64],
) -> Result<(), sqlx::Error> {
    with_conn!(c.re(), |c| sqlx::query(
        "DELETE FROM status_tags WHERE status_id = $1"
    )
    .bind(status_id)
    .execute(c)
    .await
    .map(|_| ()))?;
    for tag_id in tag_ids {
        with_conn!(c.re(), |c| sqlx::query(
            "INSERT INTO status_tags (tag_id, status_id) VALUES ($1, $2) ON CONFLICT DO NOTHING"
        )
        .bind(*tag_id)
        .bind(status_id)
        .execute(c)
        .await
        .map(|_| ()))?;
    }
    Ok(())
}

/// One stored version of an edited status.
#[derive(Debug, Clone, FromRow)]
pub struct Edit {
    pub id: i64,
    pub status_id: i64,
    pub account_id: i64,
    pub text: String,
    pub content: String,
    pub spoiler_text: String,
    pub sensitive: bool,
    pub created_at: i64,
}

/// Stores a version of a status.
pub async fn insert_edit(c: Conn<'_>, e: &Edit) -> Result<(), sqlx::Error> {
    with_conn!(c, |c| {
        sqlx::query(
        "INSERT INTO status_edits (id, status_id, account_id, text, content, spoiler_text, sensitive, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
    )
    .bind(e.id)
    .bind(e.status_id)
    .bind(e.account_id)
    .bind(&e.text)
    .bind(&e.content)
    .bind(&e.spoiler_text)
    .bind(e.sensitive)
    .bind(e.created_at)
    .execute(c)
    .await
    .map(|_| ())
    })
}

/// The stored versions of a status, oldest first (empty if it was never edited).
pub async fn edits_of(c: Conn<'_>, status_id: i64) -> Result<Vec<Edit>, sqlx::Error> {
    with_conn!(c, |c| sqlx::query_as::<_, Edit>(
        "SELECT id, status_id, account_id, text, content, spoiler_text, sensitive, created_at \
         FROM status_edits WHERE status_id = $1 ORDER BY id"
    )
    .bind(status_id)
    .fetch_all(c)
    .await)
}

/// The status posted with `Idempotency-Key` `key` by `account_id` at or after `since`.
pub async fn idempotent_status(
    c: Conn<'_>,
    account_id: i64,
    key: &str,
    since: i64,
) -> Result<Option<i64>, sqlx::Error> {
    with_conn!(c, |c| {
        sqlx::query_scalar::<_, i64>(
        "SELECT status_id FROM idempotency_keys WHERE account_id = $1 AND key = $2 AND created_at >= $3"
    )
    .bind(account_id)
    .bind(key)
    .bind(since)
    .fetch_optional(c)
    .await
    })
}

/// Remembers that `key` produced `status_id`, first forgetting the account's keys older
/// than `expired_before`. Fails with a unique violation when a live key exists (a concurrent
/// duplicate request).
pub async fn remember_idempotency(
    mut c: Conn<'_>,
    account_id: i64,
    key: &str,
    status_id: i64,
    now: i64,
    expired_before: i64,
) -> Result<(), sqlx::Error> {
    with_conn!(c.re(), |c| sqlx::query(
        "DELETE FROM idempotency_keys WHERE account_id = $1 AND created_at < $2"
    )
    .bind(account_id)
    .bind(expired_before)
    .execute(c)
    .await
    .map(|_| ()))?;
    with_conn!(c, |c| {
        sqlx::query(
        "INSERT INTO idempotency_keys (account_id, key, status_id, created_at) VALUES ($1, $2, $3, $4)"
    )
    .bind(account_id)
    .bind(key)
    .bind(status_id)
    .bind(now)
    .execute(c)
    .await
    .map(|_| ())
    })
}
