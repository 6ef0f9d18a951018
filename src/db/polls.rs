//! Polls and their votes (`polls`, `poll_votes`).

use sqlx::FromRow;

use super::{Conn, padded, placeholders};
use crate::with_conn;

/// One row of `polls`. `options` and `tallies` are JSON arrays (see [`Poll::titles`]).
#[derive(Debug, Clone, FromRow)]
pub struct Poll {
    pub id: i64,
    pub status_id: i64,
    pub account_id: i64,
    pub local: bool,
    pub options: String,
    pub tallies: String,
    pub multiple: bool,
    pub hide_totals: bool,
    pub votes_count: i64,
    pub voters_count: Option<i64>,
    pub expires_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl Poll {
    /// The option titles.
    pub fn titles(&self) -> Vec<String> {
        serde_json::from_str(&self.options).unwrap_or_default()
    }

    /// The votes per option, as long as the titles (missing counts are zero).
    pub fn counts(&self) -> Vec<i64> {
        let mut t: Vec<i64> = serde_json::from_str(&self.tallies).unwrap_or_default();
        t.resize(self.titles().len(), 0);
        t
    }

    /// Whether the poll has ended at `now` (unix ms).
    pub fn expired_at(&self, now: i64) -> bool {
        self.expires_at.is_some_and(|e| e <= now)
    }
}

const COLUMNS: &str = "id, status_id, account_id, local, options, tallies, multiple, hide_totals, votes_count, \
     voters_count, expires_at, created_at, updated_at";

/// Inserts a poll.
pub async fn insert(c: Conn<'_>, p: &Poll) -> Result<(), sqlx::Error> {
    with_conn!(c, |c| {
        sqlx::query(
        "INSERT INTO polls (id, status_id, account_id, local, options, tallies, multiple, hide_totals, \
         votes_count, voters_count, expires_at, created_at, updated_at) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13)"
    )
    .bind(p.id)
    .bind(p.status_id)
    .bind(p.account_id)
    .bind(p.local)
    .bind(&p.options)
    .bind(&p.tallies)
    .bind(p.multiple)
    .bind(p.hide_totals)
    .bind(p.votes_count)
    .bind(p.voters_count)
    .bind(p.expires_at)
    .bind(p.created_at)
    .bind(p.updated_at)
    .execute(c)
    .await
    .map(|_| ())
    })
}

/// The poll with this id.
pub async fn get(c: Conn<'_>, id: i64) -> Result<Option<Poll>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM polls WHERE id = $1");
    with_conn!(c, |c| sqlx::query_as::<_, Poll>(sqlx::AssertSqlSafe(
        sql.as_str()
    ))
    .bind(id)
    .fetch_optional(c)
    .await)
}

/// The poll of status `status_id`.
pub async fn of_status(c: Conn<'_>, status_id: i64) -> Result<Option<Poll>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM polls WHERE status_id = $1");
    with_conn!(c, |c| sqlx::query_as::<_, Poll>(sqlx::AssertSqlSafe(
        sql.as_str()
    ))
    .bind(status_id)
    .fetch_optional(c)
    .await)
}

/// The polls of these statuses, in no particular order.
pub async fn of_statuses(c: Conn<'_>, status_ids: &[i64]) -> Result<Vec<Poll>, sqlx::Error> {
    if status_ids.is_empty() {
        return Ok(Vec::new());
    }
    let ids = padded(status_ids);
    let sql = format!(
        "SELECT {COLUMNS} FROM polls WHERE status_id IN ({})",
        placeholders(1, ids.len())
    );
    with_conn!(c, |c| {
        let mut q = sqlx::query_as::<_, Poll>(sqlx::AssertSqlSafe(sql.as_str()));
        for id in &ids {
            q = q.bind(*id);
        }
        q.fetch_all(c).await
    })
}

/// Replaces a poll's definition (an edit that changed it): new options, kind and end, every
/// tally zero. The votes are deleted separately ([`delete_votes`]).
pub async fn redefine(c: Conn<'_>, p: &Poll) -> Result<(), sqlx::Error> {
    with_conn!(c, |c| {
        sqlx::query(
        "UPDATE polls SET options = $2, tallies = $3, multiple = $4, hide_totals = $5, votes_count = $6, \
         voters_count = $7, expires_at = $8, updated_at = $9 WHERE id = $1"
    )
    .bind(p.id)
    .bind(&p.options)
    .bind(&p.tallies)
    .bind(p.multiple)
    .bind(p.hide_totals)
    .bind(p.votes_count)
    .bind(p.voters_count)
    .bind(p.expires_at)
    .bind(p.updated_at)
    .execute(c)
    .await
    .map(|_| ())
    })
}

/// Deletes a poll (its votes go with it).
pub async fn delete(c: Conn<'_>, id: i64) -> Result<(), sqlx::Error> {
    with_conn!(c, |c| sqlx::query("DELETE FROM polls WHERE id = $1")
        .bind(id)
        .execute(c)
        .await
        .map(|_| ()))
}

/// Deletes every vote of a poll.
pub async fn delete_votes(c: Conn<'_>, poll_id: i64) -> Result<(), sqlx::Error> {
    with_conn!(c, |c| sqlx::query(
        "DELETE FROM poll_votes WHERE poll_id = $1"
    )
    .bind(poll_id)
    .execute(c)
    .await
    .map(|_| ()))
}

/// One vote.
#[derive(Debug, Clone, FromRow)]
pub struct Vote {
    pub id: i64,
    pub poll_id: i64,
    pub account_id: i64,
    pub choice: i64,
    pub uri: Option<String>,
    pub created_at: i64,
}

/// Stores a vote unless the same (poll, account, choice) or `uri` exists; returns whether
/// it was stored.
pub async fn insert_vote(c: Conn<'_>, v: &Vote) -> Result<bool, sqlx::Error> {
    with_conn!(c, |c| sqlx::query(
        "INSERT INTO poll_votes (id, poll_id, account_id, choice, uri, created_at) \
         VALUES ($1,$2,$3,$4,$5,$6) ON CONFLICT DO NOTHING"
    )
    .bind(v.id)
    .bind(v.poll_id)
    .bind(v.account_id)
    .bind(v.choice)
    .bind(&v.uri)
    .bind(v.created_at)
    .execute(c)
    .await
    .map(|r| r.rows_affected() > 0))
}

/// The choices `account_id` voted for in `poll_id`, in order.
pub async fn choices_of(
    c: Conn<'_>,
    poll_id: i64,
    account_id: i64,
) -> Result<Vec<i64>, sqlx::Error> {
    with_conn!(c, |c| sqlx::query_scalar::<_, i64>(
        "SELECT choice FROM poll_votes WHERE account_id = $1 AND poll_id = $2 ORDER BY choice"
    )
    .bind(account_id)
    .bind(poll_id)
    .fetch_all(c)
    .await)
}

/// `viewer`'s votes in these polls, as (poll id, choice) pairs ordered by poll and choice.
pub async fn votes_of(
    c: Conn<'_>,
    viewer: i64,
    poll_ids: &[i64],
) -> Result<Vec<(i64, i64)>, sqlx::Error> {
    if poll_ids.is_empty() {
        return Ok(Vec::new());
    }
    let ids = padded(poll_ids);
    let sql = format!(
        "SELECT poll_id, choice FROM poll_votes WHERE account_id = $1 AND poll_id IN ({}) \
         ORDER BY poll_id, choice",
        placeholders(2, ids.len())
    );
    with_conn!(c, |c| {
        let mut q = sqlx::query_as::<_, (i64, i64)>(sqlx::AssertSqlSafe(sql.as_str())).bind(viewer);
        for id in &ids {
            q = q.bind(*id);
        }
        q.fetch_all(c).await
    })
}

/// Recounts a local poll's tallies, votes and voters from its votes.
pub async fn recount(mut c: Conn<'_>, poll: &Poll, now: i64) -> Result<(), sqlx::Error> {
    let rows: Vec<(i64, i64)> = with_conn!(c.re(), |c| sqlx::query_as::<_, (i64, i64)>(
        "SELECT choice, count(*) FROM poll_votes WHERE poll_id = $1 GROUP BY choice"
    )
    .bind(poll.id)
    .fetch_all(c)
    .await)?;
    let voters: i64 = with_conn!(c.re(), |c| sqlx::query_scalar::<_, i64>(
        "SELECT count(DISTINCT account_id) FROM poll_votes WHERE poll_id = $1"
    )
    .bind(poll.id)
    .fetch_one(c)
    .await)?;
    let mut tallies = vec![0i64; poll.titles().len()];
    for (choice, n) in rows {
        if let Some(t) = usize::try_from(choice)
            .ok()
            .and_then(|i| tallies.get_mut(i))
        {
            *t = n;
        }
    }
    let votes: i64 = tallies.iter().sum();
    set_tallies(c, poll.id, &tallies, votes, Some(voters), now).await
}

/// Writes a poll's tallies and totals.
pub async fn set_tallies(
    c: Conn<'_>,
    poll_id: i64,
    tallies: &[i64],
    votes_count: i64,
    voters_count: Option<i64>,
    now: i64,
) -> Result<(), sqlx::Error> {
    let tallies = serde_json::to_string(tallies).expect("integers serialise");
    with_conn!(c, |c| {
        sqlx::query(
        "UPDATE polls SET tallies = $2, votes_count = $3, voters_count = $4, updated_at = $5 WHERE id = $1"
    )
    .bind(poll_id)
    .bind(&tallies)
    .bind(votes_count)
    .bind(voters_count)
    .bind(now)
    .execute(c)
    .await
    .map(|_| ())
    })
}

/// Sets when a poll ends (a remote poll closed early, or its end changed).
pub async fn set_expires_at(c: Conn<'_>, poll_id: i64, at: Option<i64>) -> Result<(), sqlx::Error> {
    with_conn!(c, |c| sqlx::query(
        "UPDATE polls SET expires_at = $2 WHERE id = $1"
    )
    .bind(poll_id)
    .bind(at)
    .execute(c)
    .await
    .map(|_| ()))
}

/// Local accounts that voted in a poll (each once).
pub async fn local_voters(c: Conn<'_>, poll_id: i64) -> Result<Vec<i64>, sqlx::Error> {
    with_conn!(c, |c| sqlx::query_scalar::<_, i64>(
        "SELECT DISTINCT v.account_id FROM poll_votes v JOIN accounts a ON a.id = v.account_id \
         WHERE v.poll_id = $1 AND a.domain IS NULL ORDER BY v.account_id"
    )
    .bind(poll_id)
    .fetch_all(c)
    .await)
}

/// Remote accounts that voted in a poll (each once): they are sent its tallies.
pub async fn remote_voters(c: Conn<'_>, poll_id: i64) -> Result<Vec<i64>, sqlx::Error> {
    with_conn!(c, |c| sqlx::query_scalar::<_, i64>(
        "SELECT DISTINCT v.account_id FROM poll_votes v JOIN accounts a ON a.id = v.account_id \
         WHERE v.poll_id = $1 AND a.domain IS NOT NULL ORDER BY v.account_id"
    )
    .bind(poll_id)
    .fetch_all(c)
    .await)
}

/// Marks status `status_id` changed, so its cached rendering is replaced (what a `Status`
/// shows of its poll changed). `updated_at` always moves forward, even within a millisecond.
pub async fn touch_status(c: Conn<'_>, status_id: i64, now: i64) -> Result<(), sqlx::Error> {
    with_conn!(c, |c| {
        sqlx::query(
        "UPDATE statuses SET updated_at = CASE WHEN updated_at >= $2 THEN updated_at + 1 ELSE $2 END \
         WHERE id = $1"
    )
    .bind(status_id)
    .bind(now)
    .execute(c)
    .await
    .map(|_| ())
    })
}

/// Locks the poll row until the transaction ends (PostgreSQL; SQLite's single writer
/// serialises transactions already), so concurrent votes are counted one after the other.
pub async fn lock(c: Conn<'_>, id: i64) -> Result<(), sqlx::Error> {
    if c.is_sqlite() {
        return Ok(());
    }
    with_conn!(c, |c| sqlx::query_scalar::<_, i64>(
        "SELECT id FROM polls WHERE id = $1 FOR UPDATE"
    )
    .bind(id)
    .fetch_optional(c)
    .await
    .map(|_| ()))
}

/// Records the poll options (JSON array of titles) of one stored version of a status.
pub async fn set_edit_options(
    c: Conn<'_>,
    edit_id: i64,
    options: Option<&str>,
) -> Result<(), sqlx::Error> {
    with_conn!(c, |c| sqlx::query(
        "UPDATE status_edits SET poll_options = $2 WHERE id = $1"
    )
    .bind(edit_id)
    .bind(options)
    .execute(c)
    .await
    .map(|_| ()))
}

/// The poll options recorded for each stored version of a status, by version id.
pub async fn edit_options(
    c: Conn<'_>,
    status_id: i64,
) -> Result<Vec<(i64, Option<String>)>, sqlx::Error> {
    with_conn!(c, |c| sqlx::query_as::<_, (i64, Option<String>)>(
        "SELECT id, poll_options FROM status_edits WHERE status_id = $1 ORDER BY id"
    )
    .bind(status_id)
    .fetch_all(c)
    .await)
}
