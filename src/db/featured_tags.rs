//! Featured hashtags (`featured_tags`): add, remove, count, which of some tags an account
//! features, and an account's featured tags with their use in its statuses.

use sqlx::FromRow;

use super::Conn;
use super::timelines::Query;
use crate::with_conn;

/// A featured tag with what its entity shows.
#[derive(Debug, Clone, FromRow)]
pub struct FeaturedTag {
    /// Snowflake id of the feature.
    pub id: i64,
    /// Lower-cased tag name (for the URL).
    pub name: String,
    /// Tag name as first seen.
    pub display_name: String,
    /// The owner's public and unlisted statuses carrying the tag.
    pub statuses_count: i64,
    /// When the newest of them was posted (unix ms).
    pub last_status_at: Option<i64>,
}

/// Features `tag_id` on `account_id`'s profile; `false` when it already was.
pub async fn add(
    c: Conn<'_>,
    id: i64,
    account_id: i64,
    tag_id: i64,
    now: i64,
) -> Result<bool, sqlx::Error> {
    with_conn!(c, |c| sqlx::query(
        "INSERT INTO featured_tags (id, account_id, tag_id, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (account_id, tag_id) DO NOTHING"
    )
    .bind(id)
    .bind(account_id)
    .bind(tag_id)
    .bind(now)
    .execute(c)
    .await
    .map(|r| r.rows_affected() > 0))
}

/// Removes `account_id`'s featured tag `id`; returns whether it existed.
pub async fn remove(c: Conn<'_>, account_id: i64, id: i64) -> Result<bool, sqlx::Error> {
    with_conn!(c, |c| sqlx::query(
        "DELETE FROM featured_tags WHERE id = $1 AND account_id = $2"
    )
    .bind(id)
    .bind(account_id)
    .execute(c)
    .await
    .map(|r| r.rows_affected() > 0))
}

/// How many tags `account_id` features.
pub async fn count(c: Conn<'_>, account_id: i64) -> Result<i64, sqlx::Error> {
    with_conn!(c, |c| sqlx::query_scalar::<_, i64>(
        "SELECT count(*) FROM featured_tags WHERE account_id = $1"
    )
    .bind(account_id)
    .fetch_one(c)
    .await)
}

/// Which of `tag_ids` `account_id` features.
pub async fn featured_among(
    c: Conn<'_>,
    account_id: i64,
    tag_ids: &[i64],
) -> Result<Vec<i64>, sqlx::Error> {
    if tag_ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut q = Query::new("SELECT tag_id FROM featured_tags WHERE account_id = ");
    q.push_arg(account_id).push(" AND tag_id IN (");
    q.push_list(tag_ids).push(")");
    q.fetch_ids(c).await
}

/// `account_id`'s featured tags, most used first (as Mastodon orders them), with their use
/// in the account's public and unlisted statuses (at most 10 tags, each counted through the
/// `status_tags` primary key).
pub async fn of_account(c: Conn<'_>, account_id: i64) -> Result<Vec<FeaturedTag>, sqlx::Error> {
    with_conn!(c, |c| sqlx::query_as::<_, FeaturedTag>(
        "SELECT ft.id, t.name, t.display_name, count(s.id) AS statuses_count, \
                max(s.created_at) AS last_status_at \
         FROM featured_tags ft JOIN tags t ON t.id = ft.tag_id \
         LEFT JOIN status_tags st ON st.tag_id = ft.tag_id \
         LEFT JOIN statuses s ON s.id = st.status_id AND s.account_id = ft.account_id \
              AND s.visibility IN ('public', 'unlisted') AND s.reblog_of_id IS NULL \
         WHERE ft.account_id = $1 \
         GROUP BY ft.id, t.name, t.display_name \
         ORDER BY count(s.id) DESC, ft.id"
    )
    .bind(account_id)
    .fetch_all(c)
    .await)
}

/// Stops featuring `tag_id` on `account_id`'s profile, if it was.
pub async fn remove_tag(c: Conn<'_>, account_id: i64, tag_id: i64) -> Result<(), sqlx::Error> {
    with_conn!(c, |c| sqlx::query(
        "DELETE FROM featured_tags WHERE account_id = $1 AND tag_id = $2"
    )
    .bind(account_id)
    .bind(tag_id)
    .execute(c)
    .await
    .map(|_| ()))
}
