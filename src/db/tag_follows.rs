//! Followed hashtags (`tag_follows`): follow, unfollow, pages of followed tags, which of some
//! tags an account follows, and the removal of an unfollowed tag's posts from the home feed.

use super::Conn;
use super::search::TagRow;
use super::timelines::{Page, Query};
use crate::with_conn;

/// Records that `account_id` follows `tag_id` (idempotent).
pub async fn follow(
    c: Conn<'_>,
    id: i64,
    account_id: i64,
    tag_id: i64,
    now: i64,
) -> Result<(), sqlx::Error> {
    with_conn!(c, |c| sqlx::query(
        "INSERT INTO tag_follows (id, account_id, tag_id, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (account_id, tag_id) DO NOTHING"
    )
    .bind(id)
    .bind(account_id)
    .bind(tag_id)
    .bind(now)
    .execute(c)
    .await
    .map(|_| ()))
}

/// Removes the follow; returns whether there was one.
pub async fn unfollow(c: Conn<'_>, account_id: i64, tag_id: i64) -> Result<bool, sqlx::Error> {
    with_conn!(c, |c| sqlx::query(
        "DELETE FROM tag_follows WHERE account_id = $1 AND tag_id = $2"
    )
    .bind(account_id)
    .bind(tag_id)
    .execute(c)
    .await
    .map(|r| r.rows_affected() > 0))
}

/// Which of `tag_ids` `account_id` follows.
pub async fn followed_among(
    c: Conn<'_>,
    account_id: i64,
    tag_ids: &[i64],
) -> Result<Vec<i64>, sqlx::Error> {
    if tag_ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut q = Query::new("SELECT tag_id FROM tag_follows WHERE account_id = ");
    q.push_arg(account_id).push(" AND tag_id IN (");
    q.push_list(tag_ids).push(")");
    q.fetch_ids(c).await
}

/// One page of the tags `account_id` follows, newest follow first: `(follow id, tag)`.
pub async fn page(
    c: Conn<'_>,
    account_id: i64,
    page: &Page,
) -> Result<Vec<(i64, TagRow)>, sqlx::Error> {
    let mut q = Query::new(
        "SELECT tf.id AS follow_id, t.id, t.name, t.display_name FROM tag_follows tf \
         JOIN tags t ON t.id = tf.tag_id WHERE tf.account_id = ",
    );
    q.push_arg(account_id);
    let order = page.push_bounds(&mut q, "tf.id");
    q.push(&format!(" ORDER BY tf.id {order} LIMIT "));
    q.push_arg(page.limit);
    let rows = q.fetch_all::<FollowedTag>(c).await?;
    let mut out: Vec<(i64, TagRow)> = rows
        .into_iter()
        .map(|r| {
            (
                r.follow_id,
                TagRow {
                    id: r.id,
                    name: r.name,
                    display_name: r.display_name,
                },
            )
        })
        .collect();
    if page.min_id.is_some() {
        out.reverse();
    }
    Ok(out)
}

/// A row of [`page`].
#[derive(Debug, sqlx::FromRow)]
struct FollowedTag {
    follow_id: i64,
    id: i64,
    name: String,
    display_name: String,
}

/// Removes from `account_id`'s home feed the statuses carrying `tag_id` that only a tag
/// follow brought there: not the account's own, not by an account it follows, and not
/// carrying another tag it still follows (Mastodon's `FeedManager#unmerge_tag_from_home`).
pub async fn unmerge_from_home(
    c: Conn<'_>,
    account_id: i64,
    tag_id: i64,
) -> Result<u64, sqlx::Error> {
    with_conn!(c, |c| {
        sqlx::query(
        "DELETE FROM home_feed WHERE account_id = $1 AND author_id <> $1 AND reblog_of_id IS NULL \
           AND status_id IN (SELECT st.status_id FROM status_tags st WHERE st.tag_id = $2) \
           AND NOT EXISTS (SELECT 1 FROM follows f WHERE f.account_id = $1 AND f.target_account_id = home_feed.author_id) \
           AND NOT EXISTS (SELECT 1 FROM status_tags st2 JOIN tag_follows tf ON tf.tag_id = st2.tag_id AND tf.account_id = $1 \
                           WHERE st2.status_id = home_feed.status_id)"
    )
    .bind(account_id)
    .bind(tag_id)
    .execute(c)
    .await
    .map(|r| r.rows_affected())
    })
}
