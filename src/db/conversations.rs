//! Direct-message conversations (`account_conversations` and their statuses): recording a
//! direct status for its local author and local recipients, removing a deleted status, pages,
//! marking read and deleting.

use sqlx::FromRow;

use super::Conn;
use super::timelines::{Page, Query};
use crate::with_conn;

/// One row of `account_conversations`.
#[derive(Debug, Clone, FromRow)]
pub struct Conversation {
    /// Snowflake id (the entity's `id`).
    pub id: i64,
    /// The owner.
    pub account_id: i64,
    /// The thread.
    pub conversation_id: i64,
    /// The other participants, a JSON array of ids.
    pub participant_ids: String,
    /// The newest status.
    pub last_status_id: i64,
    /// Whether the owner has not read the newest status.
    pub unread: bool,
}

impl Conversation {
    /// The other participants' ids.
    pub fn participants(&self) -> Vec<i64> {
        serde_json::from_str(&self.participant_ids).unwrap_or_default()
    }
}

/// What recording a direct status needs to know about it.
#[derive(Debug, Clone, FromRow)]
pub struct DirectStatus {
    /// Status id.
    pub id: i64,
    /// Author.
    pub account_id: i64,
    /// The thread (the status's own id when it has none).
    pub thread: i64,
    /// Whether the author is local.
    pub local_author: bool,
}

/// The status `status_id` when it is direct and not a boost.
pub async fn direct_status(
    c: Conn<'_>,
    status_id: i64,
) -> Result<Option<DirectStatus>, sqlx::Error> {
    with_conn!(c, |c| sqlx::query_as::<_, DirectStatus>(
        "SELECT s.id, s.account_id, coalesce(s.conversation_id, s.id) AS thread, \
                (a.domain IS NULL) AS local_author \
         FROM statuses s JOIN accounts a ON a.id = s.account_id \
         WHERE s.id = $1 AND s.visibility = 'direct' AND s.reblog_of_id IS NULL"
    )
    .bind(status_id)
    .fetch_optional(c)
    .await)
}

/// The accounts actively mentioned in `status_id`, with whether each is a local account that
/// takes the message (neither blocking nor muting `author`).
pub async fn mentioned(
    c: Conn<'_>,
    status_id: i64,
    author: i64,
    now: i64,
) -> Result<Vec<(i64, bool)>, sqlx::Error> {
    with_conn!(c, |c| {
        sqlx::query_as::<_, (i64, bool)>(
        "SELECT DISTINCT m.account_id, (a.domain IS NULL \
             AND NOT EXISTS (SELECT 1 FROM blocks b WHERE b.account_id = m.account_id AND b.target_account_id = $2) \
             AND NOT EXISTS (SELECT 1 FROM mutes mu WHERE mu.account_id = m.account_id AND mu.target_account_id = $2 \
                             AND (mu.expires_at IS NULL OR mu.expires_at > $3))) AS takes \
         FROM mentions m JOIN accounts a ON a.id = m.account_id \
         WHERE m.status_id = $1 AND NOT m.silent"
    )
    .bind(status_id)
    .bind(author)
    .bind(now)
    .fetch_all(c)
    .await
    })
}

/// Adds `status_id` to `account_id`'s conversation in `thread` with `participant_ids`
/// (created if new): it becomes the newest status if it is newer, and `unread` is set.
pub async fn add_status(
    mut c: Conn<'_>,
    new_id: i64,
    account_id: i64,
    thread: i64,
    participant_ids: &str,
    status_id: i64,
    unread: bool,
) -> Result<(), sqlx::Error> {
    with_conn!(c.re(), |c| {
        sqlx::query(
        "INSERT INTO account_conversations (id, account_id, conversation_id, participant_ids, last_status_id, unread) \
         VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (account_id, conversation_id, participant_ids) DO UPDATE SET \
           last_status_id = CASE WHEN excluded.last_status_id > account_conversations.last_status_id \
                                 THEN excluded.last_status_id ELSE account_conversations.last_status_id END, \
           unread = excluded.unread"
    )
    .bind(new_id)
    .bind(account_id)
    .bind(thread)
    .bind(participant_ids)
    .bind(status_id)
    .bind(unread)
    .execute(c)
    .await
    .map(|_| ())
    })?;
    with_conn!(c, |c| sqlx::query(
        "INSERT INTO account_conversation_statuses (account_conversation_id, status_id) \
         SELECT id, $4 FROM account_conversations \
         WHERE account_id = $1 AND conversation_id = $2 AND participant_ids = $3 \
         ON CONFLICT DO NOTHING"
    )
    .bind(account_id)
    .bind(thread)
    .bind(participant_ids)
    .bind(status_id)
    .execute(c)
    .await
    .map(|_| ()))
}

/// Takes `status_id` (about to be deleted) out of every conversation holding it: a
/// conversation left without statuses goes, the others fall back to their newest remaining
/// status (Mastodon's `AccountConversation.remove_status`).
pub async fn remove_status(c: Conn<'_>, status_id: i64) -> Result<(), sqlx::Error> {
    remove_statuses(c, &[status_id]).await
}

/// [`remove_status`] for several statuses at once (suspensions delete statuses in batches).
pub async fn remove_statuses(mut c: Conn<'_>, ids: &[i64]) -> Result<(), sqlx::Error> {
    if ids.is_empty() {
        return Ok(());
    }
    let holding = |q: &mut Query| {
        q.push("SELECT account_conversation_id FROM account_conversation_statuses WHERE status_id IN (")
            .push_list(ids)
            .push(")");
    };
    let mut q = Query::new("DELETE FROM account_conversations WHERE id IN (");
    holding(&mut q);
    q.push(
        ") AND NOT EXISTS (SELECT 1 FROM account_conversation_statuses cs \
         WHERE cs.account_conversation_id = account_conversations.id AND cs.status_id NOT IN (",
    )
    .push_list(ids)
    .push("))");
    q.execute(c.re()).await?;
    let mut q = Query::new(
        "UPDATE account_conversations SET last_status_id = \
           (SELECT max(cs.status_id) FROM account_conversation_statuses cs \
            WHERE cs.account_conversation_id = account_conversations.id AND cs.status_id NOT IN (",
    );
    q.push_list(ids).push(")) WHERE id IN (");
    holding(&mut q);
    q.push(") AND last_status_id IN (").push_list(ids).push(")");
    q.execute(c.re()).await?;
    let mut q = Query::new("DELETE FROM account_conversation_statuses WHERE status_id IN (");
    q.push_list(ids).push(")");
    q.execute(c).await.map(|_| ())
}

const COLUMNS: &str = "SELECT id, account_id, conversation_id, participant_ids, last_status_id, unread FROM account_conversations";

/// One page of `account_id`'s conversations, newest last status first (the page bounds
/// apply to `last_status_id`, as in Mastodon).
pub async fn page(
    c: Conn<'_>,
    account_id: i64,
    page: &Page,
) -> Result<Vec<Conversation>, sqlx::Error> {
    let mut q = Query::new(COLUMNS);
    q.push(" WHERE account_id = ").push_arg(account_id);
    let order = page.push_bounds(&mut q, "last_status_id");
    q.push(&format!(" ORDER BY last_status_id {order} LIMIT "));
    q.push_arg(page.limit);
    let mut rows = q.fetch_all::<Conversation>(c).await?;
    if page.min_id.is_some() {
        rows.reverse();
    }
    Ok(rows)
}

/// `account_id`'s conversation `id`.
pub async fn owned(
    c: Conn<'_>,
    account_id: i64,
    id: i64,
) -> Result<Option<Conversation>, sqlx::Error> {
    let mut q = Query::new(COLUMNS);
    q.push(" WHERE id = ").push_arg(id);
    q.push(" AND account_id = ").push_arg(account_id);
    Ok(q.fetch_all::<Conversation>(c).await?.pop())
}

/// Marks `account_id`'s conversation `id` read; returns whether it exists.
pub async fn mark_read(c: Conn<'_>, account_id: i64, id: i64) -> Result<bool, sqlx::Error> {
    with_conn!(c, |c| sqlx::query(
        "UPDATE account_conversations SET unread = FALSE WHERE id = $1 AND account_id = $2"
    )
    .bind(id)
    .bind(account_id)
    .execute(c)
    .await
    .map(|r| r.rows_affected() > 0))
}

/// Deletes `account_id`'s conversation `id` (its statuses stay); returns whether it existed.
pub async fn delete(c: Conn<'_>, account_id: i64, id: i64) -> Result<bool, sqlx::Error> {
    with_conn!(c, |c| sqlx::query(
        "DELETE FROM account_conversations WHERE id = $1 AND account_id = $2"
    )
    .bind(id)
    .bind(account_id)
    .execute(c)
    .await
    .map(|r| r.rows_affected() > 0))
}
