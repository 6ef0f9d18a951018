//! Server-wide facts for the instance endpoints and NodeInfo: rules, peers, weekly activity and
//! the contact account.

use sqlx::FromRow;

use super::Conn;
use crate::with_conn;

/// One row of `instance_rules`.
#[derive(Debug, Clone, FromRow)]
pub struct Rule {
    /// Rule id.
    pub id: i64,
    /// The rule.
    pub text: String,
    /// A longer explanation (may be empty).
    pub hint: String,
}

/// The server rules in display order.
pub async fn rules(c: Conn<'_>) -> Result<Vec<Rule>, sqlx::Error> {
    with_conn!(c, |c| sqlx::query_as::<_, Rule>(
        "SELECT id, text, hint FROM instance_rules ORDER BY position, id"
    )
    .fetch_all(c)
    .await)
}

/// Inserts a rule (operators; tests).
pub async fn insert_rule(
    c: Conn<'_>,
    id: i64,
    text: &str,
    hint: &str,
    position: i64,
    now: i64,
) -> Result<(), sqlx::Error> {
    with_conn!(c, |c| {
        sqlx::query(
        "INSERT INTO instance_rules (id, text, hint, position, created_at) VALUES ($1, $2, $3, $4, $5)"
    )
    .bind(id)
    .bind(text)
    .bind(hint)
    .bind(position)
    .bind(now)
    .execute(c)
    .await
    .map(|_| ())
    })
}

/// Domains of the remote accounts this server knows, sorted.
pub async fn peers(c: Conn<'_>) -> Result<Vec<String>, sqlx::Error> {
    with_conn!(c, |c| sqlx::query_scalar::<_, String>(
        "SELECT DISTINCT lower(domain) AS d FROM accounts WHERE domain IS NOT NULL ORDER BY d"
    )
    .fetch_all(c)
    .await)
}

/// The account of the first (oldest) enabled admin, shown as the instance's contact.
pub async fn contact_account_id(c: Conn<'_>) -> Result<Option<i64>, sqlx::Error> {
    with_conn!(c, |c| sqlx::query_scalar::<_, i64>(
        "SELECT u.account_id FROM users u JOIN accounts a ON a.id = u.account_id \
         WHERE u.role = 'admin' AND NOT u.disabled AND a.suspended_at IS NULL ORDER BY u.id LIMIT 1"
    )
    .fetch_optional(c)
    .await)
}

/// Milliseconds in a week.
pub const WEEK_MS: i64 = 7 * 86_400_000;

/// Counts of one week, oldest bucket index 0 = the week starting at the query's `since`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WeekCounts {
    /// Local posts (not boosts) created.
    pub statuses: i64,
    /// Distinct local users who signed in (obtained a token) or used a token.
    pub logins: i64,
    /// Local users who signed up.
    pub registrations: i64,
}

/// Per-week counts for `weeks` consecutive weeks starting at `since` (unix ms), index 0 first.
///
/// Logins are approximated: Woolly does not log sign-ins, so a user counts as having logged in
/// during a week when one of their access tokens was issued, or last used, in that week.
pub async fn weekly_activity(
    mut c: Conn<'_>,
    since: i64,
    weeks: usize,
) -> Result<Vec<WeekCounts>, sqlx::Error> {
    let mut out = vec![WeekCounts::default(); weeks];
    let min_id = crate::id::min_id_at(since);
    let statuses: Vec<(i64, i64)> = with_conn!(c.re(), |c| sqlx::query_as(
        "SELECT (created_at - $1) / $2 AS w, count(*) FROM statuses \
         WHERE id >= $3 AND created_at >= $1 AND local AND reblog_of_id IS NULL GROUP BY w"
    )
    .bind(since)
    .bind(WEEK_MS)
    .bind(min_id)
    .fetch_all(c)
    .await)?;
    let registrations: Vec<(i64, i64)> = with_conn!(c.re(), |c| {
        sqlx::query_as(
        "SELECT (created_at - $1) / $2 AS w, count(*) FROM users WHERE created_at >= $1 GROUP BY w"
    )
    .bind(since)
    .bind(WEEK_MS)
    .fetch_all(c)
    .await
    })?;
    let logins: Vec<(i64, i64)> = with_conn!(c, |c| sqlx::query_as(
        "SELECT w, count(DISTINCT user_id) FROM ( \
           SELECT (created_at - $1) / $2 AS w, user_id FROM oauth_access_tokens \
             WHERE user_id IS NOT NULL AND created_at >= $1 \
           UNION \
           SELECT (last_used_at - $1) / $2 AS w, user_id FROM oauth_access_tokens \
             WHERE user_id IS NOT NULL AND last_used_at >= $1) t GROUP BY w"
    )
    .bind(since)
    .bind(WEEK_MS)
    .fetch_all(c)
    .await)?;
    let mut put = |rows: Vec<(i64, i64)>, f: fn(&mut WeekCounts) -> &mut i64| {
        for (w, n) in rows {
            if let Some(slot) = usize::try_from(w).ok().and_then(|w| out.get_mut(w)) {
                *f(slot) = n;
            }
        }
    };
    put(statuses, |w| &mut w.statuses);
    put(registrations, |w| &mut w.registrations);
    put(logins, |w| &mut w.logins);
    Ok(out)
}
