//! The outbound delivery queue: `outbox_activities` (one activity, with the recipients still
//! to expand), `deliveries` (one row per activity and inbox, claimed with a lease, deleted
//! when done) and `delivery_hosts` (hosts that failed recently; unavailable after failures
//! on 7 distinct days).

use std::collections::HashSet;

use sqlx::FromRow;

use super::{Conn, placeholders};
use crate::with_conn;

/// Rows inserted per statement when expanding recipients.
const INSERT_CHUNK: usize = 500;

/// Adds an activity to deliver; `recipients` is the JSON the expansion job reads.
pub async fn insert_activity(
    c: Conn<'_>,
    id: i64,
    sender_account_id: i64,
    payload: &str,
    recipients: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    with_conn!(c, |c| sqlx::query(
        "INSERT INTO outbox_activities (id, sender_account_id, payload, recipients, created_at) \
         VALUES ($1,$2,$3,$4,$5)"
    )
    .bind(id)
    .bind(sender_account_id)
    .bind(payload)
    .bind(recipients)
    .bind(now)
    .execute(c)
    .await
    .map(|_| ()))
}

/// Takes the recipients of an activity for expansion: returns `(sender, recipients JSON)` and
/// clears them, so a second expansion (a retried job) finds nothing to do. Inside the
/// expansion's transaction, the row lock serialises concurrent runs.
pub async fn take_recipients(
    mut c: Conn<'_>,
    activity_id: i64,
) -> Result<Option<(i64, String)>, sqlx::Error> {
    let lock = if c.is_sqlite() { "" } else { "FOR UPDATE" };
    let sql = format!(
        "SELECT sender_account_id, recipients FROM outbox_activities \
         WHERE id = $1 AND recipients IS NOT NULL {lock}"
    );
    let row = with_conn!(c.re(), |c| sqlx::query_as::<_, (i64, String)>(
        sqlx::AssertSqlSafe(sql.as_str())
    )
    .bind(activity_id)
    .fetch_optional(c)
    .await)?;
    if row.is_some() {
        with_conn!(c, |c| sqlx::query(
            "UPDATE outbox_activities SET recipients = NULL WHERE id = $1"
        )
        .bind(activity_id)
        .execute(c)
        .await
        .map(|_| ()))?;
    }
    Ok(row)
}

/// Whether `account_id` has at least one remote follower with an inbox.
pub async fn has_remote_followers(c: Conn<'_>, account_id: i64) -> Result<bool, sqlx::Error> {
    with_conn!(c, |c| sqlx::query_scalar::<_, i64>(
        "SELECT count(*) FROM (SELECT 1 FROM follows f JOIN accounts a ON a.id = f.account_id \
         WHERE f.target_account_id = $1 AND a.domain IS NOT NULL \
         AND coalesce(a.shared_inbox_url, a.inbox_url) IS NOT NULL LIMIT 1) t"
    )
    .bind(account_id)
    .fetch_one(c)
    .await
    .map(|n| n > 0))
}

/// The distinct inboxes of `account_id`'s remote followers (the shared inbox when they have
/// one).
pub async fn follower_inboxes(c: Conn<'_>, account_id: i64) -> Result<Vec<String>, sqlx::Error> {
    with_conn!(c, |c| sqlx::query_scalar::<_, String>(
        "SELECT DISTINCT coalesce(a.shared_inbox_url, a.inbox_url) FROM follows f \
         JOIN accounts a ON a.id = f.account_id \
         WHERE f.target_account_id = $1 AND a.domain IS NOT NULL \
         AND coalesce(a.shared_inbox_url, a.inbox_url) IS NOT NULL"
    )
    .bind(account_id)
    .fetch_all(c)
    .await)
}

/// The inboxes (shared inbox preferred) of the remote accounts among `ids`; local accounts
/// and accounts without an inbox are skipped.
pub async fn account_inboxes(c: Conn<'_>, ids: &[i64]) -> Result<Vec<String>, sqlx::Error> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT DISTINCT coalesce(shared_inbox_url, inbox_url) FROM accounts \
         WHERE id IN ({}) AND domain IS NOT NULL \
         AND coalesce(shared_inbox_url, inbox_url) IS NOT NULL",
        placeholders(1, ids.len())
    );
    with_conn!(c, |c| {
        let mut q = sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(sql.as_str()));
        for id in ids {
            q = q.bind(*id);
        }
        q.fetch_all(c).await
    })
}

/// Which of `ids` are remote accounts (at least one has to be, for a delivery to exist).
pub async fn remote_among(c: Conn<'_>, ids: &[i64]) -> Result<Vec<i64>, sqlx::Error> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT id FROM accounts WHERE id IN ({}) AND domain IS NOT NULL \
         AND coalesce(shared_inbox_url, inbox_url) IS NOT NULL",
        placeholders(1, ids.len())
    );
    with_conn!(c, |c| {
        let mut q = sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql.as_str()));
        for id in ids {
            q = q.bind(*id);
        }
        q.fetch_all(c).await
    })
}

/// A delivery to insert: `(id, inbox_url, host)`.
pub type NewDelivery = (i64, String, String);

/// Inserts deliveries of `activity_id` due at `run_at`; an inbox already queued for the
/// activity is skipped.
pub async fn insert_deliveries(
    mut c: Conn<'_>,
    activity_id: i64,
    rows: &[NewDelivery],
    run_at: i64,
) -> Result<(), sqlx::Error> {
    for chunk in rows.chunks(INSERT_CHUNK) {
        let values: Vec<String> = (0..chunk.len())
            .map(|i| {
                let b = 4 + i * 3;
                format!("(${},$1,${},${},$2,$3)", b, b + 1, b + 2)
            })
            .collect();
        let sql = format!(
            "INSERT INTO deliveries (id, activity_id, inbox_url, host, run_at, created_at) \
             VALUES {} ON CONFLICT (activity_id, inbox_url) DO NOTHING",
            values.join(",")
        );
        with_conn!(c.re(), |c| {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
                .bind(activity_id)
                .bind(run_at)
                .bind(run_at);
            for (id, inbox, host) in chunk {
                q = q.bind(*id).bind(inbox).bind(host);
            }
            q.execute(c).await.map(|_| ())
        })?;
    }
    Ok(())
}

/// Deletes an activity that has been expanded and has no delivery left. On PostgreSQL the
/// activity's row is locked first: of two transactions finishing its last deliveries at
/// once, the second to get the lock sees the first's deletion committed (each statement of
/// a read-committed transaction sees what committed before it), so one of them deletes it.
pub async fn delete_activity_if_done(mut c: Conn<'_>, activity_id: i64) -> Result<(), sqlx::Error> {
    if !c.is_sqlite() {
        with_conn!(c.re(), |c| sqlx::query(
            "SELECT id FROM outbox_activities WHERE id = $1 FOR UPDATE"
        )
        .bind(activity_id)
        .fetch_optional(c)
        .await
        .map(|_| ()))?;
    }
    with_conn!(c, |c| sqlx::query(
        "DELETE FROM outbox_activities WHERE id = $1 AND recipients IS NULL \
         AND NOT EXISTS (SELECT 1 FROM deliveries WHERE activity_id = $1)"
    )
    .bind(activity_id)
    .execute(c)
    .await
    .map(|_| ()))
}

/// A claimed delivery.
#[derive(Debug, Clone, FromRow)]
pub struct Delivery {
    pub id: i64,
    pub activity_id: i64,
    pub inbox_url: String,
    pub host: String,
    /// Attempts including the one just claimed.
    pub attempts: i64,
}

/// Claims up to `limit` due deliveries for `lease_ms`, at most `per_host` per host, none for
/// the hosts in `exclude` (those this worker already keeps busy). Only the `scan` earliest
/// due rows are considered, so a claim costs the same however long the queue is. On
/// PostgreSQL concurrent claimers skip each other's rows.
pub async fn claim(
    c: Conn<'_>,
    now: i64,
    lease_ms: i64,
    per_host: i64,
    limit: i64,
    scan: i64,
    exclude: &[String],
) -> Result<Vec<Delivery>, sqlx::Error> {
    let lock = if c.is_sqlite() {
        ""
    } else {
        "FOR UPDATE SKIP LOCKED"
    };
    let excluded = if exclude.is_empty() {
        String::new()
    } else {
        format!("AND host NOT IN ({})", placeholders(6, exclude.len()))
    };
    let sql = format!(
        "UPDATE deliveries SET locked_until = $1 + $2, attempts = attempts + 1 WHERE id IN (\
         SELECT id FROM (\
           SELECT id, run_at, row_number() OVER (PARTITION BY host ORDER BY run_at, id) AS rn FROM (\
             SELECT id, host, run_at FROM deliveries \
             WHERE run_at <= $1 AND (locked_until IS NULL OR locked_until < $1) {excluded} \
             ORDER BY run_at LIMIT $5 {lock}\
           ) due\
         ) ranked WHERE rn <= $3 ORDER BY run_at LIMIT $4) \
         RETURNING id, activity_id, inbox_url, host, attempts"
    );
    with_conn!(c, |c| {
        let mut q = sqlx::query_as::<_, Delivery>(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(now)
            .bind(lease_ms)
            .bind(per_host)
            .bind(limit)
            .bind(scan);
        for h in exclude {
            q = q.bind(h);
        }
        q.fetch_all(c).await
    })
}

/// Gives back a claimed delivery that was not attempted (its attempt is not counted).
pub async fn unclaim(c: Conn<'_>, id: i64) -> Result<(), sqlx::Error> {
    with_conn!(c, |c| sqlx::query(
        "UPDATE deliveries SET locked_until = NULL, attempts = attempts - 1 WHERE id = $1"
    )
    .bind(id)
    .execute(c)
    .await
    .map(|_| ()))
}

/// What a delivery worker needs of an activity: the body and the sender's key.
#[derive(Debug, Clone, FromRow)]
pub struct ActivityToSend {
    pub id: i64,
    pub payload: String,
    /// The sender's actor uri (the key id is `{uri}#main-key`).
    pub sender_uri: Option<String>,
    pub private_key_pem: Option<String>,
}

/// The activities with `ids` and their senders' keys.
pub async fn activities(c: Conn<'_>, ids: &[i64]) -> Result<Vec<ActivityToSend>, sqlx::Error> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT o.id, o.payload, a.uri AS sender_uri, a.private_key_pem FROM outbox_activities o \
         LEFT JOIN accounts a ON a.id = o.sender_account_id WHERE o.id IN ({})",
        placeholders(1, ids.len())
    );
    with_conn!(c, |c| {
        let mut q = sqlx::query_as::<_, ActivityToSend>(sqlx::AssertSqlSafe(sql.as_str()));
        for id in ids {
            q = q.bind(*id);
        }
        q.fetch_all(c).await
    })
}

/// Deletes a finished (delivered, rejected or abandoned) delivery.
pub async fn complete(c: Conn<'_>, id: i64) -> Result<(), sqlx::Error> {
    with_conn!(c, |c| sqlx::query("DELETE FROM deliveries WHERE id = $1")
        .bind(id)
        .execute(c)
        .await
        .map(|_| ()))
}

/// Schedules another attempt at `run_at`, recording the error.
pub async fn retry(c: Conn<'_>, id: i64, run_at: i64, error: &str) -> Result<(), sqlx::Error> {
    with_conn!(c, |c| sqlx::query(
        "UPDATE deliveries SET run_at = $2, locked_until = NULL, last_error = $3 WHERE id = $1"
    )
    .bind(id)
    .bind(run_at)
    .bind(error)
    .execute(c)
    .await
    .map(|_| ()))
}

/// Records a failed delivery to `host` on unix day `day`: a new day adds one failure day; the
/// host becomes unavailable (from `now`) when `threshold` days are reached. Returns whether
/// the host is unavailable now.
pub async fn host_failed(
    mut c: Conn<'_>,
    host: &str,
    day: i64,
    now: i64,
    threshold: i64,
) -> Result<bool, sqlx::Error> {
    with_conn!(c.re(), |c| sqlx::query(
        "INSERT INTO delivery_hosts (host, failure_days, last_failure_day) VALUES ($1, 1, $2) \
         ON CONFLICT (host) DO UPDATE SET \
         failure_days = delivery_hosts.failure_days \
           + CASE WHEN delivery_hosts.last_failure_day < $2 THEN 1 ELSE 0 END, \
         last_failure_day = CASE WHEN delivery_hosts.last_failure_day < $2 THEN $2 \
           ELSE delivery_hosts.last_failure_day END"
    )
    .bind(host)
    .bind(day)
    .execute(c)
    .await
    .map(|_| ()))?;
    with_conn!(c, |c| sqlx::query_scalar::<_, Option<i64>>(
        "UPDATE delivery_hosts SET unavailable_since = coalesce(unavailable_since, $2) \
         WHERE host = $1 AND (failure_days >= $3 OR unavailable_since IS NOT NULL) \
         RETURNING unavailable_since"
    )
    .bind(host)
    .bind(now)
    .bind(threshold)
    .fetch_optional(c)
    .await
    .map(|v| v.flatten().is_some()))
}

/// Forgets the failures of `host` (any success, outbound or inbound, clears them).
pub async fn host_succeeded(c: Conn<'_>, host: &str) -> Result<(), sqlx::Error> {
    with_conn!(c, |c| sqlx::query(
        "DELETE FROM delivery_hosts WHERE host = $1"
    )
    .bind(host)
    .execute(c)
    .await
    .map(|_| ()))
}

/// The hosts among `hosts` that are unavailable.
pub async fn unavailable_among(
    c: Conn<'_>,
    hosts: &[String],
) -> Result<HashSet<String>, sqlx::Error> {
    if hosts.is_empty() {
        return Ok(HashSet::new());
    }
    let sql = format!(
        "SELECT host FROM delivery_hosts WHERE unavailable_since IS NOT NULL AND host IN ({})",
        placeholders(1, hosts.len())
    );
    with_conn!(c, |c| {
        let mut q = sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(sql.as_str()));
        for h in hosts {
            q = q.bind(h);
        }
        q.fetch_all(c).await.map(|v| v.into_iter().collect())
    })
}

/// Number of deliveries waiting (tests and the benchmark).
pub async fn pending(c: Conn<'_>) -> Result<i64, sqlx::Error> {
    with_conn!(c, |c| sqlx::query_scalar::<_, i64>(
        "SELECT count(*) FROM deliveries"
    )
    .fetch_one(c)
    .await)
}

/// Number of activities not fully delivered (tests and the benchmark).
pub async fn pending_activities(c: Conn<'_>) -> Result<i64, sqlx::Error> {
    with_conn!(c, |c| sqlx::query_scalar::<_, i64>(
        "SELECT count(*) FROM outbox_activities"
    )
    .fetch_one(c)
    .await)
}

/// The earliest time a delivery that is not leased comes due (how long a worker may sleep).
pub async fn next_run_at(c: Conn<'_>) -> Result<Option<i64>, sqlx::Error> {
    with_conn!(c, |c| sqlx::query_scalar::<_, Option<i64>>(
        "SELECT min(run_at) FROM deliveries WHERE locked_until IS NULL"
    )
    .fetch_one(c)
    .await)
}

// ---------------------------------------------------------------------------------------------
// What local actions need to address their activities

/// The remote accounts that boosted `status_id` (a deleted status's Delete reaches their
/// servers, as Mastodon's `StatusReachFinder` does).
pub async fn remote_boosters(c: Conn<'_>, status_id: i64) -> Result<Vec<i64>, sqlx::Error> {
    with_conn!(c, |c| sqlx::query_scalar::<_, i64>(
        "SELECT DISTINCT s.account_id FROM statuses s JOIN accounts a ON a.id = s.account_id \
         WHERE s.reblog_of_id = $1 AND a.domain IS NOT NULL"
    )
    .bind(status_id)
    .fetch_all(c)
    .await)
}

/// The id of the block `account_id` → `target_account_id`.
pub async fn block_id(
    c: Conn<'_>,
    account_id: i64,
    target_account_id: i64,
) -> Result<Option<i64>, sqlx::Error> {
    with_conn!(c, |c| sqlx::query_scalar::<_, i64>(
        "SELECT id FROM blocks WHERE account_id = $1 AND target_account_id = $2"
    )
    .bind(account_id)
    .bind(target_account_id)
    .fetch_optional(c)
    .await)
}
