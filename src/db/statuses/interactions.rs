//! What accounts do with statuses: favourites, bookmarks, pins, thread mutes, and the lists
//! built from them (favourites and bookmarks pages, favourited_by / reblogged_by).
//!
//! Pages here are keyset-paginated on the interaction row's own id (favourite id, bookmark
//! id, boost status id), as Mastodon does; each query returns `(row id, item id)` pairs newest
//! first so the caller can build `Link` headers from the row ids.

use crate::db::Conn;
use crate::db::timelines::Page;
use crate::with_conn;

/// Puts rows read in ascending order (a `min_id` page) back into newest-first order.
fn finish(page: &Page, mut rows: Vec<(i64, i64)>) -> Vec<(i64, i64)> {
    if page.min_id.is_some() {
        rows.reverse();
    }
    rows
}

/// Favourites `status_id` as `account_id`; `false` if it already was.
pub async fn insert_favourite(
    c: Conn<'_>,
    id: i64,
    account_id: i64,
    status_id: i64,
    now: i64,
) -> Result<bool, sqlx::Error> {
    with_conn!(c, |c| {
        sqlx::query(
        "INSERT INTO favourites (id, account_id, status_id, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING"
    )
    .bind(id)
    .bind(account_id)
    .bind(status_id)
    .bind(now)
    .execute(c)
    .await
    .map(|r| r.rows_affected() > 0)
    })
}

/// The id of `account_id`'s favourite of `status_id`.
pub async fn favourite_id(
    c: Conn<'_>,
    account_id: i64,
    status_id: i64,
) -> Result<Option<i64>, sqlx::Error> {
    with_conn!(c, |c| sqlx::query_scalar::<_, i64>(
        "SELECT id FROM favourites WHERE account_id = $1 AND status_id = $2"
    )
    .bind(account_id)
    .bind(status_id)
    .fetch_optional(c)
    .await)
}

/// Removes a favourite by id; `false` if it was already gone.
pub async fn delete_favourite(c: Conn<'_>, id: i64) -> Result<bool, sqlx::Error> {
    with_conn!(c, |c| sqlx::query("DELETE FROM favourites WHERE id = $1")
        .bind(id)
        .execute(c)
        .await
        .map(|r| r.rows_affected() > 0))
}

/// One page of `account_id`'s favourites: (favourite id, status id), newest first.
pub async fn favourites_page(
    c: Conn<'_>,
    account_id: i64,
    page: &Page,
) -> Result<Vec<(i64, i64)>, sqlx::Error> {
    own_page(c, "favourites", account_id, page).await
}

/// One page of `account_id`'s bookmarks: (bookmark id, status id), newest first.
pub async fn bookmarks_page(
    c: Conn<'_>,
    account_id: i64,
    page: &Page,
) -> Result<Vec<(i64, i64)>, sqlx::Error> {
    own_page(c, "bookmarks", account_id, page).await
}

async fn own_page(
    c: Conn<'_>,
    table: &'static str,
    account_id: i64,
    page: &Page,
) -> Result<Vec<(i64, i64)>, sqlx::Error> {
    let (cursor, order) = page.clause("x.id", 2);
    let sql = format!(
        "SELECT x.id, x.status_id FROM {table} x WHERE x.account_id = $1{cursor} ORDER BY x.id {order} LIMIT $4"
    );
    let (a, b) = page.bounds();
    let rows = with_conn!(c, |c| sqlx::query_as::<_, (i64, i64)>(sqlx::AssertSqlSafe(
        sql.as_str()
    ))
    .bind(account_id)
    .bind(a)
    .bind(b)
    .bind(page.limit)
    .fetch_all(c)
    .await)?;
    Ok(finish(page, rows))
}

/// Accounts hidden from `viewer` in account lists: blocked either way, muted, or suspended.
/// Uses `$1` = viewer (0 when anonymous) and `$2` = now; `col` is the listed account column.
fn excluded_for_viewer(col: &str) -> String {
    format!(
        " AND NOT EXISTS (SELECT 1 FROM accounts sa WHERE sa.id = {col} AND sa.suspended_at IS NOT NULL) \
          AND NOT EXISTS (SELECT 1 FROM blocks b WHERE (b.account_id = $1 AND b.target_account_id = {col}) \
                                                 OR (b.account_id = {col} AND b.target_account_id = $1)) \
          AND NOT EXISTS (SELECT 1 FROM mutes m WHERE m.account_id = $1 AND m.target_account_id = {col} \
                          AND (m.expires_at IS NULL OR m.expires_at > $2))"
    )
}

/// One page of the accounts that favourited `status_id`: (favourite id, account id), newest
/// first, without the ones `viewer` blocks, mutes or is blocked by.
pub async fn favouriters_page(
    c: Conn<'_>,
    status_id: i64,
    viewer: Option<i64>,
    now: i64,
    page: &Page,
) -> Result<Vec<(i64, i64)>, sqlx::Error> {
    let (cursor, order) = page.clause("f.id", 4);
    let excluded = excluded_for_viewer("f.account_id");
    let sql = format!(
        "SELECT f.id, f.account_id FROM favourites f WHERE f.status_id = $3{cursor}{excluded} \
         ORDER BY f.id {order} LIMIT $6"
    );
    account_page(c, &sql, status_id, viewer, now, page).await
}

/// One page of the accounts that boosted `status_id`: (boost id, account id), newest first,
/// without the ones `viewer` blocks, mutes or is blocked by.
pub async fn rebloggers_page(
    c: Conn<'_>,
    status_id: i64,
    viewer: Option<i64>,
    now: i64,
    page: &Page,
) -> Result<Vec<(i64, i64)>, sqlx::Error> {
    let (cursor, order) = page.clause("s.id", 4);
    let excluded = excluded_for_viewer("s.account_id");
    let sql = format!(
        "SELECT s.id, s.account_id FROM statuses s WHERE s.reblog_of_id = $3{cursor}{excluded} \
         ORDER BY s.id {order} LIMIT $6"
    );
    account_page(c, &sql, status_id, viewer, now, page).await
}

async fn account_page(
    c: Conn<'_>,
    sql: &str,
    status_id: i64,
    viewer: Option<i64>,
    now: i64,
    page: &Page,
) -> Result<Vec<(i64, i64)>, sqlx::Error> {
    let (a, b) = page.bounds();
    let rows = with_conn!(c, |c| sqlx::query_as::<_, (i64, i64)>(sqlx::AssertSqlSafe(
        sql
    ))
    .bind(viewer.unwrap_or(0))
    .bind(now)
    .bind(status_id)
    .bind(a)
    .bind(b)
    .bind(page.limit)
    .fetch_all(c)
    .await)?;
    Ok(finish(page, rows))
}

/// Bookmarks `status_id` for `account_id`; `false` if it already was.
pub async fn insert_bookmark(
    c: Conn<'_>,
    id: i64,
    account_id: i64,
    status_id: i64,
    now: i64,
) -> Result<bool, sqlx::Error> {
    with_conn!(c, |c| {
        sqlx::query(
        "INSERT INTO bookmarks (id, account_id, status_id, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING"
    )
    .bind(id)
    .bind(account_id)
    .bind(status_id)
    .bind(now)
    .execute(c)
    .await
    .map(|r| r.rows_affected() > 0)
    })
}

/// Removes `account_id`'s bookmark of `status_id`; `false` if there was none.
pub async fn delete_bookmark(
    c: Conn<'_>,
    account_id: i64,
    status_id: i64,
) -> Result<bool, sqlx::Error> {
    with_conn!(c, |c| sqlx::query(
        "DELETE FROM bookmarks WHERE account_id = $1 AND status_id = $2"
    )
    .bind(account_id)
    .bind(status_id)
    .execute(c)
    .await
    .map(|r| r.rows_affected() > 0))
}

/// How many statuses `account_id` has pinned.
pub async fn pin_count(c: Conn<'_>, account_id: i64) -> Result<i64, sqlx::Error> {
    with_conn!(c, |c| sqlx::query_scalar::<_, i64>(
        "SELECT count(*) FROM status_pins WHERE account_id = $1"
    )
    .bind(account_id)
    .fetch_one(c)
    .await)
}

/// Whether `account_id` pinned `status_id`.
pub async fn is_pinned(c: Conn<'_>, account_id: i64, status_id: i64) -> Result<bool, sqlx::Error> {
    with_conn!(c, |c| sqlx::query_scalar::<_, i64>(
        "SELECT count(*) FROM status_pins WHERE account_id = $1 AND status_id = $2"
    )
    .bind(account_id)
    .bind(status_id)
    .fetch_one(c)
    .await
    .map(|n| n > 0))
}

/// Pins `status_id` to `account_id`'s profile; `false` if it already was.
pub async fn insert_pin(
    c: Conn<'_>,
    id: i64,
    account_id: i64,
    status_id: i64,
    now: i64,
) -> Result<bool, sqlx::Error> {
    with_conn!(c, |c| {
        sqlx::query(
        "INSERT INTO status_pins (id, account_id, status_id, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING"
    )
    .bind(id)
    .bind(account_id)
    .bind(status_id)
    .bind(now)
    .execute(c)
    .await
    .map(|r| r.rows_affected() > 0)
    })
}

/// Unpins `status_id`; `false` if it was not pinned.
pub async fn delete_pin(c: Conn<'_>, account_id: i64, status_id: i64) -> Result<bool, sqlx::Error> {
    with_conn!(c, |c| sqlx::query(
        "DELETE FROM status_pins WHERE account_id = $1 AND status_id = $2"
    )
    .bind(account_id)
    .bind(status_id)
    .execute(c)
    .await
    .map(|r| r.rows_affected() > 0))
}

/// Mutes notifications from a conversation for `account_id` (idempotent).
pub async fn mute_conversation(
    c: Conn<'_>,
    account_id: i64,
    conversation_id: i64,
) -> Result<(), sqlx::Error> {
    with_conn!(c, |c| {
        sqlx::query(
        "INSERT INTO conversation_mutes (account_id, conversation_id) VALUES ($1, $2) ON CONFLICT DO NOTHING"
    )
    .bind(account_id)
    .bind(conversation_id)
    .execute(c)
    .await
    .map(|_| ())
    })
}

/// Unmutes a conversation for `account_id` (idempotent).
pub async fn unmute_conversation(
    c: Conn<'_>,
    account_id: i64,
    conversation_id: i64,
) -> Result<(), sqlx::Error> {
    with_conn!(c, |c| sqlx::query(
        "DELETE FROM conversation_mutes WHERE account_id = $1 AND conversation_id = $2"
    )
    .bind(account_id)
    .bind(conversation_id)
    .execute(c)
    .await
    .map(|_| ()))
}

/// Local followers of `author` who asked to be notified of their posts (`notify`), minus
/// those who mute the author.
pub async fn followers_to_notify(
    c: Conn<'_>,
    author: i64,
    now: i64,
) -> Result<Vec<i64>, sqlx::Error> {
    with_conn!(c, |c| {
        sqlx::query_scalar::<_, i64>(
        "SELECT f.account_id FROM follows f JOIN accounts a ON a.id = f.account_id \
         WHERE f.target_account_id = $1 AND f.notify AND a.domain IS NULL \
           AND NOT EXISTS (SELECT 1 FROM mutes m WHERE m.account_id = f.account_id AND m.target_account_id = $1 \
                           AND (m.expires_at IS NULL OR m.expires_at > $2)) \
         ORDER BY f.id"
    )
    .bind(author)
    .bind(now)
    .fetch_all(c)
    .await
    })
}
