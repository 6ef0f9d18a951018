//! Notifications: one row per (recipient, type, causing activity), so repeats are no-ops.
//!
//! Reading applies Mastodon's rules: notifications from suspended accounts, from accounts the
//! recipient blocks, or mutes with notifications hidden, are not shown (even when they predate
//! the block or mute). Lists walk the `notifications_account (account_id, id)` index.

use std::collections::HashMap;

use sqlx::FromRow;

use super::Conn;
use super::timelines::{Page, Query};
use crate::with_conn;

/// One row of `notifications`.
#[derive(Debug, Clone, FromRow)]
pub struct Notification {
    pub id: i64,
    pub account_id: i64,
    pub from_account_id: i64,
    #[sqlx(rename = "type")]
    pub kind: String,
    pub status_id: Option<i64>,
    pub created_at: i64,
    /// Mastodon's grouping key; `None` for types that are never grouped.
    pub group_key: Option<String>,
}

impl Notification {
    /// The `group_key` clients see: the stored key, or `ungrouped-<id>`.
    pub fn public_group_key(&self) -> String {
        match &self.group_key {
            Some(k) => k.clone(),
            None => format!("ungrouped-{}", self.id),
        }
    }
}

/// Columns selected into [`Notification`].
pub const NOTIFICATION_COLUMNS: &str =
    "id, account_id, from_account_id, type, status_id, created_at, group_key";

/// `n.`-qualified [`NOTIFICATION_COLUMNS`].
const N_COLUMNS: &str =
    "n.id, n.account_id, n.from_account_id, n.type, n.status_id, n.created_at, n.group_key";

/// Types whose notifications are grouped (Mastodon's `GROUPABLE_NOTIFICATION_TYPES`).
pub const GROUPABLE_TYPES: &[&str] = &["favourite", "follow", "reblog"];

/// How long a notification group stays open, in hours (Mastodon's `MAXIMUM_GROUP_SPAN_HOURS`).
const MAXIMUM_GROUP_SPAN_HOURS: i64 = 12;

const HOUR_MS: i64 = 3_600_000;

/// The group key for a new notification, as Mastodon computes it: `<type>-<status>-<hour>`
/// for favourites and boosts, `follow-<hour>` for follows, where `<hour>` is the hour bucket
/// of the group's first notification while the group spans less than 12 hours.
async fn group_key_for(
    c: Conn<'_>,
    recipient: i64,
    kind: &str,
    status_id: Option<i64>,
    now: i64,
) -> Result<Option<String>, sqlx::Error> {
    let prefix = match (kind, status_id) {
        ("favourite" | "reblog", Some(s)) => format!("{kind}-{s}"),
        ("follow", _) => "follow".to_owned(),
        _ => return Ok(None),
    };
    let hour = now.div_euclid(HOUR_MS);
    let since = crate::id::min_id_at(now - MAXIMUM_GROUP_SPAN_HOURS * HOUR_MS);
    let previous: Option<String> = with_conn!(c, |c| {
        sqlx::query_scalar::<_, String>(
            "SELECT group_key FROM notifications WHERE account_id = $1 AND type = $2 \
             AND (status_id = $3 OR ($3 IS NULL AND status_id IS NULL)) AND id >= $4 AND group_key IS NOT NULL \
             ORDER BY id DESC LIMIT 1",
        )
        .bind(recipient)
        .bind(kind)
        .bind(status_id.filter(|_| kind != "follow"))
        .bind(since)
        .fetch_optional(c)
        .await
    })?;
    let previous_bucket = previous
        .as_deref()
        .and_then(|k| k.rsplit('-').next())
        .and_then(|b| b.parse::<i64>().ok());
    let bucket = match previous_bucket {
        Some(p) if hour < p + MAXIMUM_GROUP_SPAN_HOURS => p,
        _ => hour,
    };
    Ok(Some(format!("{prefix}-{bucket}")))
}

/// Notification kinds a limited sender may cause only for recipients following them
/// (Mastodon's filterable types).
const FILTERABLE: [&str; 5] = ["mention", "reblog", "follow", "follow_request", "favourite"];

/// Creates a notification unless the recipient is not a local account (remote accounts are
/// told by their own server), the same (recipient, type, activity) exists, or the recipient
/// blocks the sender or mutes them with notifications hidden, or muted the thread, or the
/// sender is limited by a domain block and the recipient does not follow them (for the
/// kinds Mastodon filters: mentions, boosts, follows, follow requests, favourites).
/// Returns the new notification's id when one was created.
#[allow(clippy::too_many_arguments)]
pub async fn create(
    mut c: Conn<'_>,
    id: i64,
    recipient: i64,
    from: i64,
    kind: &str,
    status_id: Option<i64>,
    activity_id: i64,
    now: i64,
) -> Result<Option<i64>, sqlx::Error> {
    if recipient == from {
        return Ok(None);
    }
    let group_key = group_key_for(c.re(), recipient, kind, status_id, now).await?;
    let limited = if FILTERABLE.contains(&kind) {
        " AND NOT EXISTS (SELECT 1 FROM accounts la WHERE la.id = $3 AND la.silenced_at IS NOT NULL \
                          AND NOT EXISTS (SELECT 1 FROM follows lf WHERE lf.account_id = $2 AND lf.target_account_id = $3))"
    } else {
        ""
    };
    let sql = format!(
        "INSERT INTO notifications (id, account_id, from_account_id, type, status_id, activity_id, created_at, group_key) \
        SELECT $1, $2, $3, $4, $5, $6, $7, $8 WHERE $2 <> $3 \
          AND EXISTS (SELECT 1 FROM accounts r WHERE r.id = $2 AND r.domain IS NULL) \
          AND NOT EXISTS (SELECT 1 FROM blocks b WHERE b.account_id = $2 AND b.target_account_id = $3) \
          AND NOT EXISTS (SELECT 1 FROM mutes m WHERE m.account_id = $2 AND m.target_account_id = $3 \
                          AND m.hide_notifications AND (m.expires_at IS NULL OR m.expires_at > $7)) \
          AND NOT EXISTS (SELECT 1 FROM statuses s JOIN conversation_mutes cm ON cm.conversation_id = s.conversation_id \
                          WHERE s.id = $5 AND cm.account_id = $2){limited} \
        ON CONFLICT DO NOTHING"
    );
    let inserted = with_conn!(c, |c| sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(id)
        .bind(recipient)
        .bind(from)
        .bind(kind)
        .bind(status_id)
        .bind(activity_id)
        .bind(now)
        .bind(group_key.as_deref())
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok((inserted > 0).then_some(id))
}

/// Creates a notification about the recipient's own content (the end of their poll: Mastodon
/// names them as its sender), unless the recipient is not a local account or was already
/// notified of this activity. Returns whether one was created.
pub async fn create_own(
    c: Conn<'_>,
    id: i64,
    recipient: i64,
    kind: &str,
    status_id: Option<i64>,
    activity_id: i64,
    now: i64,
) -> Result<bool, sqlx::Error> {
    with_conn!(c, |c| {
        sqlx::query(
        "INSERT INTO notifications (id, account_id, from_account_id, type, status_id, activity_id, created_at) \
         SELECT $1, $2, $2, $3, $4, $5, $6 \
         WHERE EXISTS (SELECT 1 FROM accounts r WHERE r.id = $2 AND r.domain IS NULL) \
         ON CONFLICT DO NOTHING"
    )
    .bind(id)
    .bind(recipient)
    .bind(kind)
    .bind(status_id)
    .bind(activity_id)
    .bind(now)
    .execute(c)
    .await
    .map(|r| r.rows_affected() > 0)
    })
}

/// Removes notifications caused by an activity that was undone (unfavourite, unfollow…).
pub async fn delete_for_activity(
    c: Conn<'_>,
    recipient: i64,
    kind: &str,
    activity_id: i64,
) -> Result<(), sqlx::Error> {
    with_conn!(c, |c| sqlx::query(
        "DELETE FROM notifications WHERE account_id = $1 AND type = $2 AND activity_id = $3"
    )
    .bind(recipient)
    .bind(kind)
    .bind(activity_id)
    .execute(c)
    .await
    .map(|_| ()))
}

/// Which notifications a list or count covers (`types[]`, `exclude_types[]`, `account_id`).
#[derive(Debug, Clone, Default)]
pub struct NotificationFilter {
    /// Only these types; `None` for every type. An empty list matches nothing.
    pub types: Option<Vec<String>>,
    /// Only notifications caused by this account.
    pub from_account_id: Option<i64>,
}

/// Appends the recipient's filter conditions on alias `n`.
fn push_filters(q: &mut Query, filter: &NotificationFilter, now: i64) {
    match &filter.types {
        Some(types) if types.is_empty() => {
            q.push(" AND 1 = 0");
        }
        Some(types) => {
            q.push(" AND n.type IN (").push_list(types).push(")");
        }
        None => {}
    }
    if let Some(from) = filter.from_account_id {
        q.push(" AND n.from_account_id = ").push_arg(from);
    }
    let now = q.arg(now);
    q.push(&format!(
        " AND NOT EXISTS (SELECT 1 FROM accounts fa WHERE fa.id = n.from_account_id AND fa.suspended_at IS NOT NULL) \
          AND NOT EXISTS (SELECT 1 FROM blocks b WHERE b.account_id = n.account_id AND b.target_account_id = n.from_account_id) \
          AND NOT EXISTS (SELECT 1 FROM mutes m WHERE m.account_id = n.account_id AND m.target_account_id = n.from_account_id \
                          AND m.hide_notifications AND (m.expires_at IS NULL OR m.expires_at > {now}))"
    ));
}

/// One page of `recipient`'s notifications, newest first.
pub async fn list(
    c: Conn<'_>,
    recipient: i64,
    filter: &NotificationFilter,
    now: i64,
    page: &Page,
) -> Result<Vec<Notification>, sqlx::Error> {
    let mut q = Query::new(&format!(
        "SELECT {N_COLUMNS} FROM notifications n WHERE n.account_id = "
    ));
    q.push_arg(recipient);
    let order = page.push_bounds(&mut q, "n.id");
    push_filters(&mut q, filter, now);
    q.push(&format!(" ORDER BY n.id {order} LIMIT "))
        .push_arg(page.limit);
    let mut rows = q.fetch_all::<Notification>(c).await?;
    if page.min_id.is_some() {
        rows.reverse();
    }
    Ok(rows)
}

/// One notification of `recipient`, unless hidden (see the module documentation).
pub async fn get(
    c: Conn<'_>,
    recipient: i64,
    id: i64,
    now: i64,
) -> Result<Option<Notification>, sqlx::Error> {
    let mut q = Query::new(&format!(
        "SELECT {N_COLUMNS} FROM notifications n WHERE n.account_id = "
    ));
    q.push_arg(recipient).push(" AND n.id = ").push_arg(id);
    push_filters(&mut q, &NotificationFilter::default(), now);
    Ok(q.fetch_all::<Notification>(c).await?.into_iter().next())
}

/// How many of `recipient`'s visible notifications are newer than `after` (all when `None`),
/// counting at most `limit`.
pub async fn count_newer(
    c: Conn<'_>,
    recipient: i64,
    after: Option<i64>,
    filter: &NotificationFilter,
    now: i64,
    limit: i64,
) -> Result<i64, sqlx::Error> {
    let mut q =
        Query::new("SELECT count(*) FROM (SELECT n.id FROM notifications n WHERE n.account_id = ");
    q.push_arg(recipient);
    if let Some(after) = after {
        q.push(" AND n.id > ").push_arg(after);
    }
    push_filters(&mut q, filter, now);
    q.push(" ORDER BY n.id ASC LIMIT ")
        .push_arg(limit)
        .push(") unread");
    q.fetch_one_i64(c).await
}

/// Deletes one notification of `recipient`; returns whether it existed.
pub async fn dismiss(c: Conn<'_>, recipient: i64, id: i64) -> Result<bool, sqlx::Error> {
    with_conn!(c, |c| sqlx::query(
        "DELETE FROM notifications WHERE account_id = $1 AND id = $2"
    )
    .bind(recipient)
    .bind(id)
    .execute(c)
    .await
    .map(|r| r.rows_affected() > 0))
}

/// Deletes every notification of `recipient` in group `group_key`; returns how many.
pub async fn dismiss_group(
    c: Conn<'_>,
    recipient: i64,
    group_key: &str,
) -> Result<u64, sqlx::Error> {
    with_conn!(c, |c| sqlx::query(
        "DELETE FROM notifications WHERE account_id = $1 AND group_key = $2"
    )
    .bind(recipient)
    .bind(group_key)
    .execute(c)
    .await
    .map(|r| r.rows_affected()))
}

/// Deletes all notifications of `recipient`.
pub async fn clear(c: Conn<'_>, recipient: i64) -> Result<u64, sqlx::Error> {
    with_conn!(c, |c| sqlx::query(
        "DELETE FROM notifications WHERE account_id = $1"
    )
    .bind(recipient)
    .execute(c)
    .await
    .map(|r| r.rows_affected()))
}

/// Aggregates of one notification group within a page's id range.
#[derive(Debug, Clone, FromRow)]
pub struct GroupStats {
    /// The group.
    pub group_key: String,
    /// Visible notifications of the group up to the range's end.
    pub notifications_count: i64,
    /// Newest of them.
    pub most_recent_id: i64,
    /// Oldest notification of the group inside the range.
    pub page_min_id: Option<i64>,
    /// Creation time of the newest.
    pub latest_at: i64,
}

/// Statistics and up to `samples` most recent sender ids (newest first) of `recipient`'s
/// groups `keys`, over visible notifications with `id <= end`; `page_min_id` is the oldest one
/// with `id >= start`.
pub async fn group_stats(
    mut c: Conn<'_>,
    recipient: i64,
    keys: &[String],
    start: i64,
    end: i64,
    samples: i64,
    now: i64,
) -> Result<(Vec<GroupStats>, HashMap<String, Vec<i64>>), sqlx::Error> {
    if keys.is_empty() {
        return Ok((Vec::new(), HashMap::new()));
    }
    let scope = |q: &mut Query| {
        q.push(" FROM notifications n WHERE n.account_id = ")
            .push_arg(recipient)
            .push(" AND n.group_key IN (")
            .push_list(keys)
            .push(") AND n.id <= ")
            .push_arg(end);
        push_filters(q, &NotificationFilter::default(), now);
    };
    let mut q = Query::new(
        "SELECT n.group_key, count(*) AS notifications_count, max(n.id) AS most_recent_id, min(CASE WHEN n.id >= ",
    );
    q.push_arg(start)
        .push(" THEN n.id END) AS page_min_id, max(n.created_at) AS latest_at");
    scope(&mut q);
    q.push(" GROUP BY n.group_key");
    let stats = q.fetch_all::<GroupStats>(c.re()).await?;

    let mut q = Query::new(
        "SELECT group_key, from_account_id FROM (SELECT n.group_key, n.from_account_id, n.id, \
         row_number() OVER (PARTITION BY n.group_key ORDER BY n.id DESC) AS rn",
    );
    scope(&mut q);
    q.push(") ranked WHERE rn <= ")
        .push_arg(samples)
        .push(" ORDER BY group_key, id DESC");
    let mut sample_ids: HashMap<String, Vec<i64>> = HashMap::new();
    for (key, from) in q.fetch_all::<(String, i64)>(c).await? {
        sample_ids.entry(key).or_default().push(from);
    }
    Ok((stats, sample_ids))
}

/// Senders of `recipient`'s visible notifications in group `group_key`, newest first.
pub async fn group_senders(
    c: Conn<'_>,
    recipient: i64,
    group_key: &str,
    now: i64,
) -> Result<Vec<i64>, sqlx::Error> {
    let mut q = Query::new("SELECT n.from_account_id FROM notifications n WHERE n.account_id = ");
    q.push_arg(recipient)
        .push(" AND n.group_key = ")
        .push_arg(group_key);
    push_filters(&mut q, &NotificationFilter::default(), now);
    q.push(" ORDER BY n.id DESC");
    q.fetch_ids(c).await
}

/// The newest visible notification of `recipient` in group `group_key`.
pub async fn group_latest(
    c: Conn<'_>,
    recipient: i64,
    group_key: &str,
    now: i64,
) -> Result<Option<Notification>, sqlx::Error> {
    let mut q = Query::new(&format!(
        "SELECT {N_COLUMNS} FROM notifications n WHERE n.account_id = "
    ));
    q.push_arg(recipient)
        .push(" AND n.group_key = ")
        .push_arg(group_key);
    push_filters(&mut q, &NotificationFilter::default(), now);
    q.push(" ORDER BY n.id DESC LIMIT 1");
    Ok(q.fetch_all::<Notification>(c).await?.into_iter().next())
}

/// How many notification groups (counting notifications of types outside `grouped_types` one
/// by one) among `recipient`'s visible notifications newer than `after`, at most `limit`.
pub async fn count_newer_groups(
    c: Conn<'_>,
    recipient: i64,
    after: Option<i64>,
    filter: &NotificationFilter,
    grouped_types: &[String],
    now: i64,
    limit: i64,
) -> Result<i64, sqlx::Error> {
    let mut q =
        Query::new("SELECT count(*) FROM (SELECT DISTINCT CASE WHEN n.group_key IS NOT NULL");
    if grouped_types.is_empty() {
        q.push(" AND 1 = 0");
    } else {
        q.push(" AND n.type IN (")
            .push_list(grouped_types)
            .push(")");
    }
    q.push(" THEN n.group_key ELSE 'ungrouped-' || CAST(n.id AS TEXT) END AS k FROM notifications n WHERE n.account_id = ")
        .push_arg(recipient);
    if let Some(after) = after {
        q.push(" AND n.id > ").push_arg(after);
    }
    push_filters(&mut q, filter, now);
    q.push(" LIMIT ").push_arg(limit).push(") unread");
    q.fetch_one_i64(c).await
}
