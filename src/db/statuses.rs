//! Statuses (posts and boosts), their mentions, hashtags and edit history, and the per-viewer
//! interaction sets (favourited, reblogged, bookmarked, muted, pinned) used when hydrating.

use std::collections::HashSet;

use sqlx::FromRow;

use super::{Conn, placeholders};
use crate::with_conn;

/// One row of `statuses`.
#[derive(Debug, Clone, FromRow)]
pub struct Status {
    pub id: i64,
    pub uri: String,
    pub url: Option<String>,
    pub account_id: i64,
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

/// Inserts a status row (all counters zero).
pub async fn insert(c: Conn<'_>, s: &Status) -> Result<(), sqlx::Error> {
    with_conn!(c, |c| {
        sqlx::query(
        "INSERT INTO statuses (id, uri, url, account_id, text, content, spoiler_text, sensitive, visibility, language, \
         in_reply_to_id, in_reply_to_account_id, reblog_of_id, conversation_id, application_id, local, created_at, \
         edited_at, updated_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$17)"
    )
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
    .map(|_| ())
    })
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

/// A mention of an account in a status.
#[derive(Debug, Clone, FromRow)]
pub struct MentionRow {
    pub status_id: i64,
    pub account_id: i64,
}

/// Mentions of the given statuses.
pub async fn mentions_of(c: Conn<'_>, status_ids: &[i64]) -> Result<Vec<MentionRow>, sqlx::Error> {
    if status_ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT status_id, account_id FROM mentions WHERE status_id IN ({}) ORDER BY id",
        placeholders(1, status_ids.len())
    );
    with_conn!(c, |c| {
        let mut q = sqlx::query_as::<_, MentionRow>(sqlx::AssertSqlSafe(sql.as_str()));
        for id in status_ids {
            q = q.bind(*id);
        }
        q.fetch_all(c).await
    })
}

/// A hashtag on a status.
#[derive(Debug, Clone, FromRow)]
pub struct TagRow {
    pub status_id: i64,
    pub name: String,
}

/// Hashtags of the given statuses (lower-cased names).
pub async fn tags_of(c: Conn<'_>, status_ids: &[i64]) -> Result<Vec<TagRow>, sqlx::Error> {
    if status_ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT st.status_id, t.name FROM status_tags st JOIN tags t ON t.id = st.tag_id WHERE st.status_id IN ({})",
        placeholders(1, status_ids.len())
    );
    with_conn!(c, |c| {
        let mut q = sqlx::query_as::<_, TagRow>(sqlx::AssertSqlSafe(sql.as_str()));
        for id in status_ids {
            q = q.bind(*id);
        }
        q.fetch_all(c).await
    })
}

/// Names of the applications with these ids: (id, name, website).
pub async fn applications(
    c: Conn<'_>,
    ids: &[i64],
) -> Result<Vec<(i64, String, Option<String>)>, sqlx::Error> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT id, name, website FROM oauth_applications WHERE id IN ({})",
        placeholders(1, ids.len())
    );
    with_conn!(c, |c| {
        let mut q =
            sqlx::query_as::<_, (i64, String, Option<String>)>(sqlx::AssertSqlSafe(sql.as_str()));
        for id in ids {
            q = q.bind(*id);
        }
        q.fetch_all(c).await
    })
}

/// What the viewer has done with each of a set of statuses.
#[derive(Debug, Default, Clone)]
pub struct ViewerFlags {
    pub favourited: HashSet<i64>,
    pub reblogged: HashSet<i64>,
    pub bookmarked: HashSet<i64>,
    pub pinned: HashSet<i64>,
    /// Conversation ids the viewer muted.
    pub muted_conversations: HashSet<i64>,
}

/// Loads the viewer's favourites, boosts, bookmarks, pins and thread mutes among `status_ids`
/// (and `conversation_ids`), in one round trip.
pub async fn viewer_flags(
    c: Conn<'_>,
    viewer: i64,
    status_ids: &[i64],
    conversation_ids: &[i64],
) -> Result<ViewerFlags, sqlx::Error> {
    let mut flags = ViewerFlags::default();
    if status_ids.is_empty() {
        return Ok(flags);
    }
    let n = status_ids.len();
    let list = placeholders(2, n);
    let conv_list = if conversation_ids.is_empty() {
        "NULL".to_owned()
    } else {
        placeholders(2 + n, conversation_ids.len())
    };
    let sql = format!(
        "SELECT 'f', status_id FROM favourites WHERE account_id = $1 AND status_id IN ({list}) \
         UNION ALL SELECT 'r', reblog_of_id FROM statuses WHERE account_id = $1 AND reblog_of_id IN ({list}) \
         UNION ALL SELECT 'b', status_id FROM bookmarks WHERE account_id = $1 AND status_id IN ({list}) \
         UNION ALL SELECT 'p', status_id FROM status_pins WHERE account_id = $1 AND status_id IN ({list}) \
         UNION ALL SELECT 'm', conversation_id FROM conversation_mutes WHERE account_id = $1 AND conversation_id IN ({conv_list})"
    );
    let rows: Vec<(String, i64)> = with_conn!(c, |c| {
        let mut q =
            sqlx::query_as::<_, (String, i64)>(sqlx::AssertSqlSafe(sql.as_str())).bind(viewer);
        for id in status_ids {
            q = q.bind(*id);
        }
        for id in conversation_ids {
            q = q.bind(*id);
        }
        q.fetch_all(c).await
    })?;
    for (kind, id) in rows {
        match kind.as_str() {
            "f" => flags.favourited.insert(id),
            "r" => flags.reblogged.insert(id),
            "b" => flags.bookmarked.insert(id),
            "p" => flags.pinned.insert(id),
            _ => flags.muted_conversations.insert(id),
        };
    }
    Ok(flags)
}

/// Ids among `status_ids` whose direct/private audience includes `viewer` by mention.
pub async fn mentioned_in(
    c: Conn<'_>,
    viewer: i64,
    status_ids: &[i64],
) -> Result<HashSet<i64>, sqlx::Error> {
    if status_ids.is_empty() {
        return Ok(HashSet::new());
    }
    let sql = format!(
        "SELECT status_id FROM mentions WHERE account_id = $1 AND status_id IN ({})",
        placeholders(2, status_ids.len())
    );
    with_conn!(c, |c| {
        let mut q = sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql.as_str())).bind(viewer);
        for id in status_ids {
            q = q.bind(*id);
        }
        q.fetch_all(c).await.map(|v| v.into_iter().collect())
    })
}
