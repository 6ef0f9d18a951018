//! `media_attachments`: uploads and cached remote media, their processing state, and which
//! status (if any) each belongs to.

use sqlx::FromRow;

use super::{Conn, padded, placeholders};
use crate::with_conn;

/// A media attachment row.
#[derive(Debug, Clone, FromRow)]
pub struct MediaRow {
    pub id: i64,
    pub account_id: i64,
    pub status_id: Option<i64>,
    pub position: i64,
    /// `image`, `gifv`, `video`, `audio` or `unknown`.
    pub kind: String,
    /// `queued`, `done` or `failed`.
    pub processing: String,
    /// The raw upload, until processed.
    pub upload_key: Option<String>,
    pub file_key: Option<String>,
    pub preview_key: Option<String>,
    pub content_type: Option<String>,
    pub file_size: i64,
    pub description: String,
    pub focus_x: f64,
    pub focus_y: f64,
    /// JSON: Mastodon's `meta` without `focus`.
    pub meta: String,
    pub blurhash: Option<String>,
    pub remote_url: Option<String>,
    pub cached_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// Processing states.
pub mod processing {
    /// Waiting for (or in) its `ProcessMedia` job.
    pub const QUEUED: &str = "queued";
    /// Files ready.
    pub const DONE: &str = "done";
    /// The file could not be processed.
    pub const FAILED: &str = "failed";
}

const COLUMNS: &str = "id, account_id, status_id, position, kind, processing, upload_key, file_key, \
     preview_key, content_type, file_size, description, focus_x, focus_y, meta, blurhash, remote_url, \
     cached_at, created_at, updated_at";

/// Inserts a row.
pub async fn insert(c: Conn<'_>, m: &MediaRow) -> Result<(), sqlx::Error> {
    let sql = format!(
        "INSERT INTO media_attachments ({COLUMNS}) VALUES \
         ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20)"
    );
    with_conn!(c, |c| sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(m.id)
        .bind(m.account_id)
        .bind(m.status_id)
        .bind(m.position)
        .bind(&m.kind)
        .bind(&m.processing)
        .bind(&m.upload_key)
        .bind(&m.file_key)
        .bind(&m.preview_key)
        .bind(&m.content_type)
        .bind(m.file_size)
        .bind(&m.description)
        .bind(m.focus_x)
        .bind(m.focus_y)
        .bind(&m.meta)
        .bind(&m.blurhash)
        .bind(&m.remote_url)
        .bind(m.cached_at)
        .bind(m.created_at)
        .bind(m.updated_at)
        .execute(c)
        .await
        .map(|_| ()))
}

/// One row by id.
pub async fn get(c: Conn<'_>, id: i64) -> Result<Option<MediaRow>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM media_attachments WHERE id = $1");
    with_conn!(c, |c| sqlx::query_as::<_, MediaRow>(sqlx::AssertSqlSafe(
        sql.as_str()
    ))
    .bind(id)
    .fetch_optional(c)
    .await)
}

/// The rows `ids` owned by `account_id`, in no particular order (others are absent).
pub async fn get_owned(
    c: Conn<'_>,
    account_id: i64,
    ids: &[i64],
) -> Result<Vec<MediaRow>, sqlx::Error> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let ids = padded(ids);
    let list = placeholders(2, ids.len());
    let sql =
        format!("SELECT {COLUMNS} FROM media_attachments WHERE account_id = $1 AND id IN ({list})");
    with_conn!(c, |c| {
        let mut q =
            sqlx::query_as::<_, MediaRow>(sqlx::AssertSqlSafe(sql.as_str())).bind(account_id);
        for id in &ids {
            q = q.bind(*id);
        }
        q.fetch_all(c).await
    })
}

/// The media of `status_ids`, ordered by status and position.
pub async fn of_statuses(c: Conn<'_>, status_ids: &[i64]) -> Result<Vec<MediaRow>, sqlx::Error> {
    if status_ids.is_empty() {
        return Ok(Vec::new());
    }
    let ids = padded(status_ids);
    let list = placeholders(1, ids.len());
    let sql = format!(
        "SELECT {COLUMNS} FROM media_attachments WHERE status_id IN ({list}) \
         ORDER BY status_id, position, id"
    );
    with_conn!(c, |c| {
        let mut q = sqlx::query_as::<_, MediaRow>(sqlx::AssertSqlSafe(sql.as_str()));
        for id in &ids {
            q = q.bind(*id);
        }
        q.fetch_all(c).await
    })
}

/// What processing produced.
#[derive(Debug, Clone)]
pub struct Processed<'a> {
    pub kind: &'a str,
    pub file_key: &'a str,
    pub preview_key: Option<&'a str>,
    pub content_type: &'a str,
    pub file_size: i64,
    pub meta: &'a str,
    pub blurhash: Option<&'a str>,
}

/// Records a finished processing (only of a row still queued, or of remote media being
/// cached again); returns whether the row was updated.
pub async fn set_processed(
    c: Conn<'_>,
    id: i64,
    p: &Processed<'_>,
    cached_at: Option<i64>,
    now: i64,
) -> Result<bool, sqlx::Error> {
    with_conn!(c, |c| {
        sqlx::query(
        "UPDATE media_attachments SET processing = 'done', kind = $2, file_key = $3, preview_key = $4, \
         content_type = $5, file_size = $6, meta = $7, blurhash = $8, upload_key = NULL, \
         cached_at = $9, updated_at = $10 WHERE id = $1 AND (processing = 'queued' OR remote_url IS NOT NULL)"
    )
    .bind(id)
    .bind(p.kind)
    .bind(p.file_key)
    .bind(p.preview_key)
    .bind(p.content_type)
    .bind(p.file_size)
    .bind(p.meta)
    .bind(p.blurhash)
    .bind(cached_at)
    .bind(now)
    .execute(c)
    .await
    .map(|r| r.rows_affected() > 0)
    })
}

/// Cached remote media made before `cutoff`, oldest first (the cache eviction; index
/// `media_attachments_remote_cache`).
pub async fn cached_before(
    c: Conn<'_>,
    cutoff: i64,
    limit: i64,
) -> Result<Vec<MediaRow>, sqlx::Error> {
    let sql = format!(
        "SELECT {COLUMNS} FROM media_attachments WHERE cached_at IS NOT NULL AND cached_at < $1 \
         ORDER BY cached_at LIMIT $2"
    );
    with_conn!(c, |c| sqlx::query_as::<_, MediaRow>(sqlx::AssertSqlSafe(
        sql.as_str()
    ))
    .bind(cutoff)
    .bind(limit)
    .fetch_all(c)
    .await)
}

/// Marks a cached remote row as no longer cached (queued for a new download); returns whether
/// it was cached.
pub async fn set_uncached(c: Conn<'_>, id: i64, now: i64) -> Result<bool, sqlx::Error> {
    with_conn!(c, |c| sqlx::query(
        "UPDATE media_attachments SET processing = 'queued', cached_at = NULL, file_size = 0, \
         updated_at = $2 WHERE id = $1 AND cached_at IS NOT NULL AND remote_url IS NOT NULL"
    )
    .bind(id)
    .bind(now)
    .execute(c)
    .await
    .map(|r| r.rows_affected() > 0))
}

/// Marks a queued row as failed (its upload is gone).
pub async fn set_failed(c: Conn<'_>, id: i64, now: i64) -> Result<(), sqlx::Error> {
    with_conn!(c, |c| sqlx::query(
        "UPDATE media_attachments SET processing = 'failed', upload_key = NULL, updated_at = $2 \
         WHERE id = $1 AND processing = 'queued'"
    )
    .bind(id)
    .bind(now)
    .execute(c)
    .await
    .map(|_| ()))
}

/// Sets the alt text and focal point.
pub async fn set_description(
    c: Conn<'_>,
    id: i64,
    description: &str,
    focus: (f64, f64),
    now: i64,
) -> Result<(), sqlx::Error> {
    with_conn!(c, |c| {
        sqlx::query(
        "UPDATE media_attachments SET description = $2, focus_x = $3, focus_y = $4, updated_at = $5 \
         WHERE id = $1"
    )
    .bind(id)
    .bind(description)
    .bind(focus.0)
    .bind(focus.1)
    .bind(now)
    .execute(c)
    .await
    .map(|_| ())
    })
}

/// Deletes a row.
pub async fn delete(c: Conn<'_>, id: i64) -> Result<bool, sqlx::Error> {
    with_conn!(c, |c| sqlx::query(
        "DELETE FROM media_attachments WHERE id = $1"
    )
    .bind(id)
    .execute(c)
    .await
    .map(|r| r.rows_affected() > 0))
}

/// Attaches `id` to `status_id` at `position`, if it belongs to `account_id` and is not
/// attached to another status; returns whether it was.
pub async fn attach(
    c: Conn<'_>,
    id: i64,
    account_id: i64,
    status_id: i64,
    position: i64,
    now: i64,
) -> Result<bool, sqlx::Error> {
    with_conn!(c, |c| sqlx::query(
        "UPDATE media_attachments SET status_id = $3, position = $4, updated_at = $5 \
         WHERE id = $1 AND account_id = $2 AND (status_id IS NULL OR status_id = $3)"
    )
    .bind(id)
    .bind(account_id)
    .bind(status_id)
    .bind(position)
    .bind(now)
    .execute(c)
    .await
    .map(|r| r.rows_affected() > 0))
}

/// Detaches from `status_id` every attachment not in `keep` (an edit removed them).
pub async fn detach_others(
    c: Conn<'_>,
    status_id: i64,
    keep: &[i64],
    now: i64,
) -> Result<(), sqlx::Error> {
    let keep = if keep.is_empty() {
        vec![0]
    } else {
        padded(keep)
    };
    let list = placeholders(3, keep.len());
    let sql = format!(
        "UPDATE media_attachments SET status_id = NULL, updated_at = $2 \
         WHERE status_id = $1 AND id NOT IN ({list})"
    );
    with_conn!(c, |c| {
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(status_id)
            .bind(now);
        for id in &keep {
            q = q.bind(*id);
        }
        q.execute(c).await.map(|_| ())
    })
}

/// Unattached rows created before `before`, oldest first: what the cleanup removes.
pub async fn unattached_before(
    c: Conn<'_>,
    before: i64,
    limit: i64,
) -> Result<Vec<MediaRow>, sqlx::Error> {
    let sql = format!(
        "SELECT {COLUMNS} FROM media_attachments WHERE status_id IS NULL AND created_at < $1 \
         ORDER BY created_at LIMIT $2"
    );
    with_conn!(c, |c| sqlx::query_as::<_, MediaRow>(sqlx::AssertSqlSafe(
        sql.as_str()
    ))
    .bind(before)
    .bind(limit)
    .fetch_all(c)
    .await)
}

/// Which of `keys` some row still names as its raw upload.
pub async fn uploads_in_use(c: Conn<'_>, keys: &[String]) -> Result<Vec<String>, sqlx::Error> {
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    let list = placeholders(1, keys.len());
    let sql = format!("SELECT upload_key FROM media_attachments WHERE upload_key IN ({list})");
    with_conn!(c, |c| {
        let mut q = sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(sql.as_str()));
        for k in keys {
            q = q.bind(k);
        }
        q.fetch_all(c).await
    })
}

/// Points a local account's `avatar_url` (`which = "avatar"`) or `header_url` (`"header"`)
/// at a stored image, bumping `updated_at` (the Account entity shows it).
pub async fn set_profile_image(
    c: Conn<'_>,
    account_id: i64,
    which: &str,
    url: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    let sql = match which {
        "avatar" => "UPDATE accounts SET avatar_url = $2, updated_at = $3 WHERE id = $1",
        _ => "UPDATE accounts SET header_url = $2, updated_at = $3 WHERE id = $1",
    };
    with_conn!(c, |c| sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(account_id)
        .bind(url)
        .bind(now)
        .execute(c)
        .await
        .map(|_| ()))
}
