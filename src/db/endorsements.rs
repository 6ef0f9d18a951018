//! Endorsed accounts (`account_pins`): endorse, unendorse, which of some accounts an account
//! endorses, and pages of an account's endorsements.

use super::Conn;
use super::timelines::{Page, Query};
use crate::with_conn;

/// Records that `account_id` endorses `target` (idempotent).
pub async fn add(
    c: Conn<'_>,
    id: i64,
    account_id: i64,
    target: i64,
    now: i64,
) -> Result<(), sqlx::Error> {
    with_conn!(c, |c| {
        sqlx::query(
        "INSERT INTO account_pins (id, account_id, target_account_id, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (account_id, target_account_id) DO NOTHING"
    )
    .bind(id)
    .bind(account_id)
    .bind(target)
    .bind(now)
    .execute(c)
    .await
    .map(|_| ())
    })
}

/// Removes the endorsement of `target` by `account_id`, if any.
pub async fn remove(c: Conn<'_>, account_id: i64, target: i64) -> Result<(), sqlx::Error> {
    with_conn!(c, |c| sqlx::query(
        "DELETE FROM account_pins WHERE account_id = $1 AND target_account_id = $2"
    )
    .bind(account_id)
    .bind(target)
    .execute(c)
    .await
    .map(|_| ()))
}

/// Which of `ids` `account_id` endorses.
pub async fn among(c: Conn<'_>, account_id: i64, ids: &[i64]) -> Result<Vec<i64>, sqlx::Error> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut q = Query::new("SELECT target_account_id FROM account_pins WHERE account_id = ");
    q.push_arg(account_id).push(" AND target_account_id IN (");
    q.push_list(ids).push(")");
    q.fetch_ids(c).await
}

/// One page of `account_id`'s endorsements, newest first, leaving out suspended accounts:
/// `(endorsement id, endorsed account id)`.
pub async fn page(
    c: Conn<'_>,
    account_id: i64,
    page: &Page,
) -> Result<Vec<(i64, i64)>, sqlx::Error> {
    let mut q =
        Query::new("SELECT p.id, p.target_account_id FROM account_pins p WHERE p.account_id = ");
    q.push_arg(account_id);
    let order = page.push_bounds(&mut q, "p.id");
    q.push(" AND NOT EXISTS (SELECT 1 FROM accounts a WHERE a.id = p.target_account_id AND a.suspended_at IS NOT NULL)");
    q.push(&format!(" ORDER BY p.id {order} LIMIT "));
    q.push_arg(page.limit);
    let mut rows = q.fetch_all::<(i64, i64)>(c).await?;
    if page.min_id.is_some() {
        rows.reverse();
    }
    Ok(rows)
}
