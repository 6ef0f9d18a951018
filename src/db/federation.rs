//! Queries behind the ActivityPub documents (actors, notes, collections) and the instance
//! actor's key pair.

use sqlx::FromRow;

use super::{Conn, placeholders};
use crate::with_conn;

/// The instance actor's key pair (the single row of `instance_actor`).
#[derive(Debug, Clone, FromRow)]
pub struct InstanceActorKeys {
    /// SPKI PEM, published in `/actor`.
    pub public_key_pem: String,
    /// PKCS#8 PEM, for signing fetches made on nobody's behalf.
    pub private_key_pem: String,
    /// When the key pair was created.
    pub created_at: i64,
}

/// The instance actor's key pair, if it was created.
pub async fn instance_actor(c: Conn<'_>) -> Result<Option<InstanceActorKeys>, sqlx::Error> {
    with_conn!(c, |c| sqlx::query_as::<_, InstanceActorKeys>(
        "SELECT public_key_pem, private_key_pem, created_at FROM instance_actor WHERE id = 1"
    )
    .fetch_optional(c)
    .await)
}

/// Stores the instance actor's key pair unless one exists already (a concurrent start won);
/// returns whether this one was stored.
pub async fn insert_instance_actor(
    c: Conn<'_>,
    public_key_pem: &str,
    private_key_pem: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    with_conn!(c, |c| {
        sqlx::query(
            "INSERT INTO instance_actor (id, public_key_pem, private_key_pem, created_at) \
             VALUES (1, $1, $2, $3) ON CONFLICT (id) DO NOTHING",
        )
        .bind(public_key_pem)
        .bind(private_key_pem)
        .bind(now)
        .execute(c)
        .await
        .map(|r| r.rows_affected() > 0)
    })
}

/// `(id, uri)` of the statuses with these ids (unknown ids are skipped).
pub async fn status_uris(c: Conn<'_>, ids: &[i64]) -> Result<Vec<(i64, String)>, sqlx::Error> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT id, uri FROM statuses WHERE id IN ({})",
        placeholders(1, ids.len())
    );
    with_conn!(c, |c| {
        let mut q = sqlx::query_as::<_, (i64, String)>(sqlx::AssertSqlSafe(sql.as_str()));
        for id in ids {
            q = q.bind(*id);
        }
        q.fetch_all(c).await
    })
}

/// A hashtag of a status with both spellings.
#[derive(Debug, Clone, FromRow)]
pub struct StatusTag {
    pub status_id: i64,
    /// Lower-cased name (the `/tags/:name` path).
    pub name: String,
    /// The casing first seen.
    pub display_name: String,
}

/// Hashtags of the given statuses, by name within each status.
pub async fn tags_of(c: Conn<'_>, status_ids: &[i64]) -> Result<Vec<StatusTag>, sqlx::Error> {
    if status_ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT st.status_id, t.name, t.display_name FROM status_tags st JOIN tags t ON t.id = st.tag_id \
         WHERE st.status_id IN ({}) ORDER BY st.status_id, t.name",
        placeholders(1, status_ids.len())
    );
    with_conn!(c, |c| {
        let mut q = sqlx::query_as::<_, StatusTag>(sqlx::AssertSqlSafe(sql.as_str()));
        for id in status_ids {
            q = q.bind(*id);
        }
        q.fetch_all(c).await
    })
}

/// For each of `status_ids`, up to `per` of its author's own public or unlisted replies to
/// it, oldest first: `(parent id, reply uri)` (Mastodon's `Status#self_replies`, which the
/// first page of a Note's `replies` collection lists).
pub async fn self_replies(
    c: Conn<'_>,
    status_ids: &[i64],
    per: i64,
) -> Result<Vec<(i64, String)>, sqlx::Error> {
    if status_ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT parent, uri FROM ( \
           SELECT s.in_reply_to_id AS parent, s.uri, s.id, \
                  ROW_NUMBER() OVER (PARTITION BY s.in_reply_to_id ORDER BY s.id) AS rn \
           FROM statuses s JOIN statuses p ON p.id = s.in_reply_to_id \
           WHERE s.in_reply_to_id IN ({}) AND s.account_id = p.account_id \
             AND s.visibility IN ('public', 'unlisted')) r \
         WHERE rn <= $1 ORDER BY parent, id",
        placeholders(2, status_ids.len())
    );
    with_conn!(c, |c| {
        let mut q = sqlx::query_as::<_, (i64, String)>(sqlx::AssertSqlSafe(sql.as_str())).bind(per);
        for id in status_ids {
            q = q.bind(*id);
        }
        q.fetch_all(c).await
    })
}

/// Which replies a page of a `replies` collection lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RepliesOf {
    /// The author's own replies (a thread).
    Author,
    /// Everybody else's, from accounts that are not suspended.
    Others,
}

/// Ids of public and unlisted replies to `status_id` (written by `author_id`), oldest first,
/// after `min_id`, at most `limit`.
pub async fn replies_page(
    c: Conn<'_>,
    status_id: i64,
    author_id: i64,
    which: RepliesOf,
    min_id: Option<i64>,
    limit: i64,
) -> Result<Vec<i64>, sqlx::Error> {
    let who = match which {
        RepliesOf::Author => "s.account_id = $2",
        RepliesOf::Others => {
            "s.account_id <> $2 AND NOT EXISTS (SELECT 1 FROM accounts a \
             WHERE a.id = s.account_id AND a.suspended_at IS NOT NULL)"
        }
    };
    let sql = format!(
        "SELECT s.id FROM statuses s WHERE s.in_reply_to_id = $1 AND {who} \
         AND s.visibility IN ('public', 'unlisted') AND ($3 IS NULL OR s.id > $3) \
         ORDER BY s.id LIMIT $4"
    );
    with_conn!(c, |c| sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(
        sql.as_str()
    ))
    .bind(status_id)
    .bind(author_id)
    .bind(min_id)
    .bind(limit)
    .fetch_all(c)
    .await)
}

/// Which side of the follow graph [`follow_uris`] lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The accounts following the owner.
    Followers,
    /// The accounts the owner follows.
    Following,
}

/// ActivityPub ids of one page of an account's followers or followed accounts, most recent
/// follow first, skipping suspended accounts (`offset`/`limit` paging, as Mastodon pages
/// these collections by number).
pub async fn follow_uris(
    c: Conn<'_>,
    side: Side,
    owner: i64,
    offset: i64,
    limit: i64,
) -> Result<Vec<String>, sqlx::Error> {
    let (listed, owner_col) = match side {
        Side::Followers => ("f.account_id", "f.target_account_id"),
        Side::Following => ("f.target_account_id", "f.account_id"),
    };
    let sql = format!(
        "SELECT a.uri FROM follows f JOIN accounts a ON a.id = {listed} \
         WHERE {owner_col} = $1 AND a.suspended_at IS NULL \
         ORDER BY f.id DESC LIMIT $2 OFFSET $3"
    );
    with_conn!(c, |c| sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(
        sql.as_str()
    ))
    .bind(owner)
    .bind(limit)
    .bind(offset)
    .fetch_all(c)
    .await)
}

/// Ids of the statuses `account_id` pinned, most recently pinned first.
pub async fn pinned_ids(c: Conn<'_>, account_id: i64) -> Result<Vec<i64>, sqlx::Error> {
    with_conn!(c, |c| sqlx::query_scalar::<_, i64>(
        "SELECT status_id FROM status_pins WHERE account_id = $1 ORDER BY id DESC"
    )
    .bind(account_id)
    .fetch_all(c)
    .await)
}

/// The subset of `status_ids` that mention `account_id`.
pub async fn mentioned_among(
    c: Conn<'_>,
    account_id: i64,
    status_ids: &[i64],
) -> Result<Vec<i64>, sqlx::Error> {
    if status_ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT status_id FROM mentions WHERE account_id = $1 AND status_id IN ({})",
        placeholders(2, status_ids.len())
    );
    with_conn!(c, |c| {
        let mut q =
            sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql.as_str())).bind(account_id);
        for id in status_ids {
            q = q.bind(*id);
        }
        q.fetch_all(c).await
    })
}
