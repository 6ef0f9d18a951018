//! The durable job queue: rows in `jobs`, claimed with a lease, deleted when done.
//!
//! Enqueue inside the transaction that caused the job, so the job exists exactly when the
//! change does. Claiming sets `locked_until`; a crashed worker's lease expires and the job
//! runs again, so every job handler must be idempotent.

use sqlx::FromRow;

use super::Conn;
use crate::with_conn;

/// A claimed job.
#[derive(Debug, Clone, FromRow)]
pub struct Job {
    pub id: i64,
    pub kind: String,
    pub payload: String,
    pub attempts: i64,
    pub max_attempts: i64,
}

/// Adds a job that may run from `run_at` (unix ms). Lower `priority` runs first.
pub async fn enqueue(
    c: Conn<'_>,
    id: i64,
    kind: &str,
    payload: &str,
    priority: i64,
    run_at: i64,
) -> Result<(), sqlx::Error> {
    with_conn!(c, |c| {
        sqlx::query(
        "INSERT INTO jobs (id, kind, payload, priority, run_at, created_at) VALUES ($1,$2,$3,$4,$5,$5)"
    )
    .bind(id)
    .bind(kind)
    .bind(payload)
    .bind(priority)
    .bind(run_at)
    .execute(c)
    .await
    .map(|_| ())
    })
}

/// Claims up to `limit` due jobs for `lease_ms`. On PostgreSQL concurrent claimers skip each
/// other's rows (`FOR UPDATE SKIP LOCKED`); SQLite has a single writer, so claims are serial.
pub async fn claim(
    c: Conn<'_>,
    now: i64,
    lease_ms: i64,
    limit: i64,
) -> Result<Vec<Job>, sqlx::Error> {
    let lock = if c.is_sqlite() {
        ""
    } else {
        "FOR UPDATE SKIP LOCKED"
    };
    let sql = format!(
        "UPDATE jobs SET locked_until = $1 + $2, attempts = attempts + 1 WHERE id IN (\
         SELECT id FROM jobs WHERE run_at <= $1 AND (locked_until IS NULL OR locked_until < $1) \
         ORDER BY priority, run_at LIMIT $3 {lock}) RETURNING id, kind, payload, attempts, max_attempts"
    );
    with_conn!(c, |c| sqlx::query_as::<_, Job>(sqlx::AssertSqlSafe(
        sql.as_str()
    ))
    .bind(now)
    .bind(lease_ms)
    .bind(limit)
    .fetch_all(c)
    .await)
}

/// Deletes a finished job.
pub async fn complete(c: Conn<'_>, id: i64) -> Result<(), sqlx::Error> {
    with_conn!(c, |c| sqlx::query("DELETE FROM jobs WHERE id = $1")
        .bind(id)
        .execute(c)
        .await
        .map(|_| ()))
}

/// Replaces a job that finished one step with its next step (`kind`, `payload`), due at
/// `run_at`, with a fresh attempt count.
pub async fn reschedule(
    c: Conn<'_>,
    id: i64,
    kind: &str,
    payload: &str,
    run_at: i64,
) -> Result<(), sqlx::Error> {
    with_conn!(c, |c| sqlx::query(
        "UPDATE jobs SET kind = $2, payload = $3, run_at = $4, locked_until = NULL, attempts = 0, \
         last_error = NULL WHERE id = $1"
    )
    .bind(id)
    .bind(kind)
    .bind(payload)
    .bind(run_at)
    .execute(c)
    .await
    .map(|_| ()))
}

/// Schedules a failed job for another attempt at `retry_at`, recording the error.
pub async fn retry(c: Conn<'_>, id: i64, retry_at: i64, error: &str) -> Result<(), sqlx::Error> {
    with_conn!(c, |c| sqlx::query(
        "UPDATE jobs SET run_at = $2, locked_until = NULL, last_error = $3 WHERE id = $1"
    )
    .bind(id)
    .bind(retry_at)
    .bind(error)
    .execute(c)
    .await
    .map(|_| ()))
}

/// The earliest `run_at` of a job that is not leased, to know how long a worker may sleep.
pub async fn next_run_at(c: Conn<'_>) -> Result<Option<i64>, sqlx::Error> {
    with_conn!(c, |c| sqlx::query_scalar::<_, Option<i64>>(
        "SELECT min(run_at) FROM jobs WHERE locked_until IS NULL"
    )
    .fetch_one(c)
    .await)
}

/// Number of jobs waiting (all kinds).
pub async fn pending(c: Conn<'_>) -> Result<i64, sqlx::Error> {
    with_conn!(c, |c| sqlx::query_scalar::<_, i64>(
        "SELECT count(*) FROM jobs"
    )
    .fetch_one(c)
    .await)
}

/// Number of jobs due at `now`, running, or waiting for a retry: everything but the jobs
/// scheduled for later that never ran (the end of a poll, a scheduled status), which tests
/// and benchmarks draining the queue must not wait for.
pub async fn pending_now(c: Conn<'_>, now: i64) -> Result<i64, sqlx::Error> {
    with_conn!(c, |c| sqlx::query_scalar::<_, i64>(
        "SELECT count(*) FROM jobs WHERE run_at <= $1 OR attempts > 0"
    )
    .bind(now)
    .fetch_one(c)
    .await)
}
