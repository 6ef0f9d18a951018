//! Filters v2 (`filters`, `filter_keywords`, `filter_statuses`) and the texts keyword filters
//! are matched against.

use sqlx::FromRow;

use super::Conn;
use super::timelines::Query;
use crate::with_conn;

/// One row of `filters`.
#[derive(Debug, Clone, FromRow)]
pub struct Filter {
    pub id: i64,
    /// The owner.
    pub account_id: i64,
    pub title: String,
    /// JSON array of contexts (`home`, `notifications`, `public`, `thread`, `account`).
    pub context: String,
    /// `warn`, `hide` or `blur`.
    pub action: String,
    pub expires_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// One row of `filter_keywords`.
#[derive(Debug, Clone, FromRow)]
pub struct Keyword {
    pub id: i64,
    pub filter_id: i64,
    pub keyword: String,
    pub whole_word: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

/// One row of `filter_statuses`.
#[derive(Debug, Clone, FromRow)]
pub struct FilterStatus {
    pub id: i64,
    pub filter_id: i64,
    pub status_id: i64,
    pub created_at: i64,
}

const FILTER_COLUMNS: &str = "SELECT f.id, f.account_id, f.title, f.context, f.action, f.expires_at, \
     f.created_at, f.updated_at FROM filters f";
const KEYWORD_COLUMNS: &str = "SELECT k.id, k.filter_id, k.keyword, k.whole_word, k.created_at, k.updated_at FROM filter_keywords k";
const STATUS_COLUMNS: &str =
    "SELECT s.id, s.filter_id, s.status_id, s.created_at FROM filter_statuses s";

/// Inserts a filter.
pub async fn insert(c: Conn<'_>, f: &Filter) -> Result<(), sqlx::Error> {
    with_conn!(c, |c| {
        sqlx::query(
        "INSERT INTO filters (id, account_id, title, context, action, expires_at, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
    )
    .bind(f.id)
    .bind(f.account_id)
    .bind(&f.title)
    .bind(&f.context)
    .bind(&f.action)
    .bind(f.expires_at)
    .bind(f.created_at)
    .bind(f.updated_at)
    .execute(c)
    .await
    .map(|_| ())
    })
}

/// Saves the editable fields of a filter.
pub async fn update(c: Conn<'_>, f: &Filter) -> Result<(), sqlx::Error> {
    with_conn!(c, |c| {
        sqlx::query(
        "UPDATE filters SET title = $2, context = $3, action = $4, expires_at = $5, updated_at = $6 WHERE id = $1"
    )
    .bind(f.id)
    .bind(&f.title)
    .bind(&f.context)
    .bind(&f.action)
    .bind(f.expires_at)
    .bind(f.updated_at)
    .execute(c)
    .await
    .map(|_| ())
    })
}

/// Deletes a filter with its keywords and statuses.
pub async fn delete(c: Conn<'_>, id: i64) -> Result<(), sqlx::Error> {
    with_conn!(c, |c| sqlx::query("DELETE FROM filters WHERE id = $1")
        .bind(id)
        .execute(c)
        .await
        .map(|_| ()))
}

/// Filter `id` if `owner` owns it.
pub async fn get_owned(c: Conn<'_>, owner: i64, id: i64) -> Result<Option<Filter>, sqlx::Error> {
    let mut q = Query::new(FILTER_COLUMNS);
    q.push(" WHERE f.id = ")
        .push_arg(id)
        .push(" AND f.account_id = ")
        .push_arg(owner);
    Ok(q.fetch_all::<Filter>(c).await?.pop())
}

/// `owner`'s filters, oldest first; with `active_at`, only those not expired then.
pub async fn of_owner(
    c: Conn<'_>,
    owner: i64,
    active_at: Option<i64>,
) -> Result<Vec<Filter>, sqlx::Error> {
    let mut q = Query::new(FILTER_COLUMNS);
    q.push(" WHERE f.account_id = ").push_arg(owner);
    if let Some(now) = active_at {
        q.push(" AND (f.expires_at IS NULL OR f.expires_at > ")
            .push_arg(now)
            .push(")");
    }
    q.push(" ORDER BY f.id");
    q.fetch_all::<Filter>(c).await
}

/// Which of `accounts` have a filter active at `now` (one query for a stream's receivers,
/// most of whom have none).
pub async fn owners_among(
    c: Conn<'_>,
    accounts: &[i64],
    now: i64,
) -> Result<Vec<i64>, sqlx::Error> {
    if accounts.is_empty() {
        return Ok(Vec::new());
    }
    let ids = super::padded(accounts);
    let mut q = Query::new("SELECT DISTINCT account_id FROM filters WHERE account_id IN (");
    q.push_list(&ids)
        .push(") AND (expires_at IS NULL OR expires_at > ")
        .push_arg(now)
        .push(")");
    q.fetch_ids(c).await
}

/// How many filters `owner` has.
pub async fn count_of_owner(c: Conn<'_>, owner: i64) -> Result<i64, sqlx::Error> {
    let mut q = Query::new("SELECT count(*) FROM filters WHERE account_id = ");
    q.push_arg(owner);
    q.fetch_one_i64(c).await
}

/// The keywords of these filters, oldest first.
pub async fn keywords_of(c: Conn<'_>, filters: &[i64]) -> Result<Vec<Keyword>, sqlx::Error> {
    if filters.is_empty() {
        return Ok(Vec::new());
    }
    let mut q = Query::new(KEYWORD_COLUMNS);
    q.push(" WHERE k.filter_id IN (")
        .push_list(filters)
        .push(") ORDER BY k.id");
    q.fetch_all::<Keyword>(c).await
}

/// The statuses of these filters, oldest first.
pub async fn statuses_of(c: Conn<'_>, filters: &[i64]) -> Result<Vec<FilterStatus>, sqlx::Error> {
    if filters.is_empty() {
        return Ok(Vec::new());
    }
    let mut q = Query::new(STATUS_COLUMNS);
    q.push(" WHERE s.filter_id IN (")
        .push_list(filters)
        .push(") ORDER BY s.id");
    q.fetch_all::<FilterStatus>(c).await
}

/// Keyword `id` if it belongs to one of `owner`'s filters.
pub async fn keyword_owned(
    c: Conn<'_>,
    owner: i64,
    id: i64,
) -> Result<Option<Keyword>, sqlx::Error> {
    let mut q = Query::new(KEYWORD_COLUMNS);
    q.push(" JOIN filters f ON f.id = k.filter_id WHERE k.id = ")
        .push_arg(id)
        .push(" AND f.account_id = ")
        .push_arg(owner);
    Ok(q.fetch_all::<Keyword>(c).await?.pop())
}

/// Filter status `id` if it belongs to one of `owner`'s filters.
pub async fn status_owned(
    c: Conn<'_>,
    owner: i64,
    id: i64,
) -> Result<Option<FilterStatus>, sqlx::Error> {
    let mut q = Query::new(STATUS_COLUMNS);
    q.push(" JOIN filters f ON f.id = s.filter_id WHERE s.id = ")
        .push_arg(id)
        .push(" AND f.account_id = ")
        .push_arg(owner);
    Ok(q.fetch_all::<FilterStatus>(c).await?.pop())
}

/// Inserts a keyword.
pub async fn insert_keyword(c: Conn<'_>, k: &Keyword) -> Result<(), sqlx::Error> {
    with_conn!(c, |c| sqlx::query(
        "INSERT INTO filter_keywords (id, filter_id, keyword, whole_word, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6)"
    )
    .bind(k.id)
    .bind(k.filter_id)
    .bind(&k.keyword)
    .bind(k.whole_word)
    .bind(k.created_at)
    .bind(k.updated_at)
    .execute(c)
    .await
    .map(|_| ()))
}

/// Saves a keyword's text and `whole_word`.
pub async fn update_keyword(c: Conn<'_>, k: &Keyword) -> Result<(), sqlx::Error> {
    with_conn!(c, |c| sqlx::query(
        "UPDATE filter_keywords SET keyword = $2, whole_word = $3, updated_at = $4 WHERE id = $1"
    )
    .bind(k.id)
    .bind(&k.keyword)
    .bind(k.whole_word)
    .bind(k.updated_at)
    .execute(c)
    .await
    .map(|_| ()))
}

/// Deletes a keyword.
pub async fn delete_keyword(c: Conn<'_>, id: i64) -> Result<(), sqlx::Error> {
    with_conn!(c, |c| sqlx::query(
        "DELETE FROM filter_keywords WHERE id = $1"
    )
    .bind(id)
    .execute(c)
    .await
    .map(|_| ()))
}

/// Adds a status to a filter; false when it already was in it.
pub async fn insert_status(c: Conn<'_>, s: &FilterStatus) -> Result<bool, sqlx::Error> {
    with_conn!(c, |c| {
        sqlx::query(
        "INSERT INTO filter_statuses (id, filter_id, status_id, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT DO NOTHING"
    )
    .bind(s.id)
    .bind(s.filter_id)
    .bind(s.status_id)
    .bind(s.created_at)
    .execute(c)
    .await
    .map(|r| r.rows_affected() == 1)
    })
}

/// Deletes a filter status.
pub async fn delete_status(c: Conn<'_>, id: i64) -> Result<(), sqlx::Error> {
    with_conn!(c, |c| sqlx::query(
        "DELETE FROM filter_statuses WHERE id = $1"
    )
    .bind(id)
    .execute(c)
    .await
    .map(|_| ()))
}

/// What keyword filters read of a status.
#[derive(Debug, Clone, FromRow)]
pub struct StatusText {
    pub id: i64,
    pub local: bool,
    /// The source as typed (local statuses).
    pub text: String,
    /// The rendered HTML.
    pub content: String,
    pub spoiler_text: String,
}

/// The texts of these statuses (for keyword filters).
pub async fn status_texts(c: Conn<'_>, ids: &[i64]) -> Result<Vec<StatusText>, sqlx::Error> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let ids = super::padded(ids);
    let mut q =
        Query::new("SELECT id, local, text, content, spoiler_text FROM statuses WHERE id IN (");
    q.push_list(&ids).push(")");
    q.fetch_all::<StatusText>(c).await
}
