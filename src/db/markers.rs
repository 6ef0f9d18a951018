//! Read markers: the last status (home) or notification a user has seen, synced across apps.

use sqlx::FromRow;

use super::Conn;
use super::timelines::Query;
use crate::with_conn;

/// Timelines that can carry a marker.
pub const TIMELINES: &[&str] = &["home", "notifications"];

/// One row of `markers`.
#[derive(Debug, Clone, FromRow)]
pub struct Marker {
    /// `home` or `notifications`.
    pub timeline: String,
    /// Id of the last status (home) or notification read.
    pub last_read_id: i64,
    /// Optimistic-locking version: 0 when created, +1 on every change of `last_read_id`.
    pub version: i64,
    /// Last change, unix ms.
    pub updated_at: i64,
}

/// The markers of `account_id` for these timelines (those that exist).
pub async fn get(
    c: Conn<'_>,
    account_id: i64,
    timelines: &[String],
) -> Result<Vec<Marker>, sqlx::Error> {
    if timelines.is_empty() {
        return Ok(Vec::new());
    }
    let mut q = Query::new(
        "SELECT timeline, last_read_id, version, updated_at FROM markers WHERE account_id = ",
    );
    q.push_arg(account_id)
        .push(" AND timeline IN (")
        .push_list(timelines)
        .push(") ORDER BY timeline");
    q.fetch_all::<Marker>(c).await
}

/// The `last_read_id` of one marker.
pub async fn last_read_id(
    c: Conn<'_>,
    account_id: i64,
    timeline: &str,
) -> Result<Option<i64>, sqlx::Error> {
    with_conn!(c, |c| sqlx::query_scalar::<_, i64>(
        "SELECT last_read_id FROM markers WHERE account_id = $1 AND timeline = $2"
    )
    .bind(account_id)
    .bind(timeline)
    .fetch_optional(c)
    .await)
}

/// Creates or moves a marker (`timeline` must be one of [`TIMELINES`]). An unchanged
/// position keeps its version and time, as Mastodon does; returns the stored marker.
pub async fn save(
    mut c: Conn<'_>,
    account_id: i64,
    timeline: &str,
    last_read_id: i64,
    now: i64,
) -> Result<Marker, sqlx::Error> {
    with_conn!(c.re(), |c| {
        sqlx::query(
        "INSERT INTO markers (account_id, timeline, last_read_id, version, updated_at) VALUES ($1, $2, $3, 0, $4) \
         ON CONFLICT (account_id, timeline) DO UPDATE SET last_read_id = excluded.last_read_id, \
           version = markers.version + 1, updated_at = excluded.updated_at \
         WHERE markers.last_read_id <> excluded.last_read_id"
    )
    .bind(account_id)
    .bind(timeline)
    .bind(last_read_id)
    .bind(now)
    .execute(c)
    .await
    .map(|_| ())
    })?;
    with_conn!(c, |c| {
        sqlx::query_as::<_, Marker>(
        "SELECT timeline, last_read_id, version, updated_at FROM markers WHERE account_id = $1 AND timeline = $2"
    )
    .bind(account_id)
    .bind(timeline)
    .fetch_one(c)
    .await
    })
}
