//! Lists and their members (`lists`, `list_accounts`). The list feeds are in
//! `timelines::list_feed`.

use sqlx::FromRow;

use super::Conn;
use super::timelines::{Page, Query};
use crate::with_conn;

/// One row of `lists`.
#[derive(Debug, Clone, FromRow)]
pub struct List {
    pub id: i64,
    /// The owner.
    pub account_id: i64,
    pub title: String,
    /// `followed`, `list` or `none`.
    pub replies_policy: String,
    /// Members' posts are left out of the owner's home feed.
    pub exclusive: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

const COLUMNS: &str =
    "SELECT id, account_id, title, replies_policy, exclusive, created_at, updated_at FROM lists";

/// Inserts a list.
pub async fn insert(c: Conn<'_>, l: &List) -> Result<(), sqlx::Error> {
    with_conn!(c, |c| {
        sqlx::query(
        "INSERT INTO lists (id, account_id, title, replies_policy, exclusive, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)"
    )
    .bind(l.id)
    .bind(l.account_id)
    .bind(&l.title)
    .bind(&l.replies_policy)
    .bind(l.exclusive)
    .bind(l.created_at)
    .bind(l.updated_at)
    .execute(c)
    .await
    .map(|_| ())
    })
}

/// Saves the editable fields of a list.
pub async fn update(c: Conn<'_>, l: &List) -> Result<(), sqlx::Error> {
    with_conn!(c, |c| {
        sqlx::query(
        "UPDATE lists SET title = $2, replies_policy = $3, exclusive = $4, updated_at = $5 WHERE id = $1"
    )
    .bind(l.id)
    .bind(&l.title)
    .bind(&l.replies_policy)
    .bind(l.exclusive)
    .bind(l.updated_at)
    .execute(c)
    .await
    .map(|_| ())
    })
}

/// Deletes a list (its members and feed go with it).
pub async fn delete(c: Conn<'_>, id: i64) -> Result<(), sqlx::Error> {
    with_conn!(c, |c| sqlx::query("DELETE FROM lists WHERE id = $1")
        .bind(id)
        .execute(c)
        .await
        .map(|_| ()))
}

/// The list `id` if `owner` owns it.
pub async fn get_owned(c: Conn<'_>, owner: i64, id: i64) -> Result<Option<List>, sqlx::Error> {
    let mut q = Query::new(COLUMNS);
    q.push(" WHERE id = ")
        .push_arg(id)
        .push(" AND account_id = ")
        .push_arg(owner);
    Ok(q.fetch_all::<List>(c).await?.pop())
}

/// `owner`'s lists, oldest first.
pub async fn of_owner(c: Conn<'_>, owner: i64) -> Result<Vec<List>, sqlx::Error> {
    let mut q = Query::new(COLUMNS);
    q.push(" WHERE account_id = ")
        .push_arg(owner)
        .push(" ORDER BY id");
    q.fetch_all::<List>(c).await
}

/// How many lists `owner` has.
pub async fn count_of_owner(c: Conn<'_>, owner: i64) -> Result<i64, sqlx::Error> {
    let mut q = Query::new("SELECT count(*) FROM lists WHERE account_id = ");
    q.push_arg(owner);
    q.fetch_one_i64(c).await
}

/// `owner`'s lists that hold `member`, oldest first.
pub async fn of_owner_with_member(
    c: Conn<'_>,
    owner: i64,
    member: i64,
) -> Result<Vec<List>, sqlx::Error> {
    let mut q = Query::new(COLUMNS);
    q.push(" WHERE account_id = ")
        .push_arg(owner)
        .push(" AND id IN (SELECT la.list_id FROM list_accounts la WHERE la.account_id = ")
        .push_arg(member)
        .push(") ORDER BY id");
    q.fetch_all::<List>(c).await
}

/// Which of `accounts` are members of list `list_id`.
pub async fn members_among(
    c: Conn<'_>,
    list_id: i64,
    accounts: &[i64],
) -> Result<Vec<i64>, sqlx::Error> {
    if accounts.is_empty() {
        return Ok(Vec::new());
    }
    let mut q = Query::new("SELECT account_id FROM list_accounts WHERE list_id = ");
    q.push_arg(list_id)
        .push(" AND account_id IN (")
        .push_list(accounts)
        .push(")");
    q.fetch_ids(c).await
}

/// Adds `account_id` to list `list_id` (membership id `id`); false when it already was one.
pub async fn add_member(
    c: Conn<'_>,
    id: i64,
    list_id: i64,
    account_id: i64,
) -> Result<bool, sqlx::Error> {
    with_conn!(c, |c| {
        sqlx::query(
        "INSERT INTO list_accounts (id, list_id, account_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING"
    )
    .bind(id)
    .bind(list_id)
    .bind(account_id)
    .execute(c)
    .await
    .map(|r| r.rows_affected() == 1)
    })
}

/// Removes `account_id` from list `list_id`; whether it was a member.
pub async fn remove_member(
    c: Conn<'_>,
    list_id: i64,
    account_id: i64,
) -> Result<bool, sqlx::Error> {
    with_conn!(c, |c| sqlx::query(
        "DELETE FROM list_accounts WHERE list_id = $1 AND account_id = $2"
    )
    .bind(list_id)
    .bind(account_id)
    .execute(c)
    .await
    .map(|r| r.rows_affected() == 1))
}

/// Removes `member` from every list of `owner` (unfollow, block).
pub async fn remove_from_lists_of(
    c: Conn<'_>,
    owner: i64,
    member: i64,
) -> Result<u64, sqlx::Error> {
    with_conn!(c, |c| sqlx::query(
        "DELETE FROM list_accounts WHERE account_id = $2 \
         AND list_id IN (SELECT l.id FROM lists l WHERE l.account_id = $1)"
    )
    .bind(owner)
    .bind(member)
    .execute(c)
    .await
    .map(|r| r.rows_affected()))
}

/// `(membership id, account id)` of one page of a list's members, newest membership first;
/// `page.limit == 0` gives them all.
pub async fn members_page(
    c: Conn<'_>,
    list_id: i64,
    page: &Page,
) -> Result<Vec<(i64, i64)>, sqlx::Error> {
    let mut q = Query::new("SELECT la.id, la.account_id FROM list_accounts la WHERE la.list_id = ");
    q.push_arg(list_id);
    let order = page.push_bounds(&mut q, "la.id");
    q.push(" AND NOT EXISTS (SELECT 1 FROM accounts a WHERE a.id = la.account_id AND a.suspended_at IS NOT NULL)");
    q.push(&format!(" ORDER BY la.id {order}"));
    if page.limit > 0 {
        q.push(" LIMIT ").push_arg(page.limit);
    }
    let mut rows = q.fetch_all::<(i64, i64)>(c).await?;
    if page.min_id.is_some() {
        rows.reverse();
    }
    Ok(rows)
}
