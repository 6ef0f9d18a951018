//! Scheduled statuses (`scheduled_statuses`): posting parameters waiting for their time.

use sqlx::FromRow;

use super::Conn;
use super::timelines::Page;
use crate::with_conn;

/// One row of `scheduled_statuses`; `params` is the JSON the API shows and publishing reads.
#[derive(Debug, Clone, FromRow)]
pub struct ScheduledStatus {
    pub id: i64,
    pub account_id: i64,
    pub scheduled_at: i64,
    pub params: String,
    pub idempotency_key: Option<String>,
    pub created_at: i64,
}

/// Stores a scheduled status.
pub async fn insert(c: Conn<'_>, s: &ScheduledStatus) -> Result<(), sqlx::Error> {
    with_conn!(c, |c| {
        sqlx::query(
        "INSERT INTO scheduled_statuses (id, account_id, scheduled_at, params, idempotency_key, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)"
    )
    .bind(s.id)
    .bind(s.account_id)
    .bind(s.scheduled_at)
    .bind(&s.params)
    .bind(&s.idempotency_key)
    .bind(s.created_at)
    .execute(c)
    .await
    .map(|_| ())
    })
}

/// The scheduled status `id` (of `account_id`, when given).
pub async fn get(
    c: Conn<'_>,
    id: i64,
    account_id: Option<i64>,
) -> Result<Option<ScheduledStatus>, sqlx::Error> {
    with_conn!(c, |c| {
        sqlx::query_as::<_, ScheduledStatus>(
        "SELECT id, account_id, scheduled_at, params, idempotency_key, created_at FROM scheduled_statuses \
         WHERE id = $1 AND ($2 IS NULL OR account_id = $2)"
    )
    .bind(id)
    .bind(account_id)
    .fetch_optional(c)
    .await
    })
}

/// `account_id`'s scheduled status made with `Idempotency-Key` `key`.
pub async fn by_idempotency_key(
    c: Conn<'_>,
    account_id: i64,
    key: &str,
) -> Result<Option<ScheduledStatus>, sqlx::Error> {
    with_conn!(c, |c| {
        sqlx::query_as::<_, ScheduledStatus>(
        "SELECT id, account_id, scheduled_at, params, idempotency_key, created_at FROM scheduled_statuses \
         WHERE account_id = $1 AND idempotency_key = $2"
    )
    .bind(account_id)
    .bind(key)
    .fetch_optional(c)
    .await
    })
}

/// A page of `account_id`'s scheduled statuses, newest id first.
pub async fn page(
    c: Conn<'_>,
    account_id: i64,
    page: &Page,
) -> Result<Vec<ScheduledStatus>, sqlx::Error> {
    let (cursor, order) = page.clause("id", 2);
    let sql = format!(
        "SELECT id, account_id, scheduled_at, params, idempotency_key, created_at FROM scheduled_statuses \
         WHERE account_id = $1{cursor} ORDER BY id {order} LIMIT $4"
    );
    let (a, b) = page.bounds();
    let mut rows = with_conn!(c, |c| sqlx::query_as::<_, ScheduledStatus>(
        sqlx::AssertSqlSafe(sql.as_str())
    )
    .bind(account_id)
    .bind(a)
    .bind(b)
    .bind(page.limit)
    .fetch_all(c)
    .await)?;
    if page.min_id.is_some() {
        rows.reverse();
    }
    Ok(rows)
}

/// Moves a scheduled status to `at`; returns whether it exists.
pub async fn reschedule(
    c: Conn<'_>,
    id: i64,
    account_id: i64,
    at: i64,
) -> Result<bool, sqlx::Error> {
    with_conn!(c, |c| sqlx::query(
        "UPDATE scheduled_statuses SET scheduled_at = $3 WHERE id = $1 AND account_id = $2"
    )
    .bind(id)
    .bind(account_id)
    .bind(at)
    .execute(c)
    .await
    .map(|r| r.rows_affected() > 0))
}

/// Deletes a scheduled status; returns whether it existed.
pub async fn delete(c: Conn<'_>, id: i64, account_id: i64) -> Result<bool, sqlx::Error> {
    with_conn!(c, |c| sqlx::query(
        "DELETE FROM scheduled_statuses WHERE id = $1 AND account_id = $2"
    )
    .bind(id)
    .bind(account_id)
    .execute(c)
    .await
    .map(|r| r.rows_affected() > 0))
}

/// How many scheduled statuses `account_id` has, and how many of them are due in
/// `[day_start, day_end)`, leaving out `except` (the one being moved).
pub async fn counts(
    mut c: Conn<'_>,
    account_id: i64,
    day_start: i64,
    day_end: i64,
    except: i64,
) -> Result<(i64, i64), sqlx::Error> {
    let total = with_conn!(c.re(), |c| sqlx::query_scalar::<_, i64>(
        "SELECT count(*) FROM scheduled_statuses WHERE account_id = $1 AND id <> $2"
    )
    .bind(account_id)
    .bind(except)
    .fetch_one(c)
    .await)?;
    let day = with_conn!(c, |c| sqlx::query_scalar::<_, i64>(
        "SELECT count(*) FROM scheduled_statuses WHERE account_id = $1 AND id <> $2 \
         AND scheduled_at >= $3 AND scheduled_at < $4"
    )
    .bind(account_id)
    .bind(except)
    .bind(day_start)
    .bind(day_end)
    .fetch_one(c)
    .await)?;
    Ok((total, day))
}
