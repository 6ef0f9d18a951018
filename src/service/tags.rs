//! Followed hashtags: following creates the tag when it is new (as Mastodon's
//! `TagsController#set_or_create_tag`), unfollowing removes from the home feed what only the
//! follow brought there. Names that are not hashtags are 404, as in Mastodon.

use crate::db::search::{TagRow, tag_by_name};
use crate::db::{Db, statuses, tag_follows};
use crate::error::{AppError, AppResult};
use crate::id::next_id;
use crate::time::now_ms;

/// Longest hashtag name accepted, in characters (as for tags in posts).
pub const MAX_NAME: usize = 100;

/// The hashtag named by a path segment (a leading `#` allowed), or 404 when it cannot be
/// one: word characters only, at most [`MAX_NAME`], not only digits and underscores.
pub fn valid_name(raw: &str) -> AppResult<&str> {
    let name = raw.trim().trim_start_matches('#');
    let ok = !name.is_empty()
        && name.chars().count() <= MAX_NAME
        && name.chars().all(|c| c.is_alphanumeric() || c == '_')
        && name.chars().any(|c| !c.is_ascii_digit() && c != '_');
    if ok {
        Ok(name)
    } else {
        Err(AppError::NotFound)
    }
}

/// `account_id` follows the hashtag `raw` (created if new); returns the tag.
pub async fn follow(db: &Db, account_id: i64, raw: &str) -> AppResult<TagRow> {
    let name = valid_name(raw)?;
    let now = now_ms();
    let mut tx = db.begin().await?;
    let lower = name.to_lowercase();
    let tag_id = statuses::upsert_tag(tx.conn(), &lower, name, now).await?;
    tag_follows::follow(tx.conn(), next_id(), account_id, tag_id, now).await?;
    let tag = tag_by_name(tx.conn(), &lower)
        .await?
        .ok_or(AppError::NotFound)?;
    tx.commit().await?;
    Ok(tag)
}

/// `account_id` stops following the hashtag `raw` (404 for an unknown tag); the statuses the
/// follow alone brought into the home feed leave it in the same transaction.
pub async fn unfollow(db: &Db, account_id: i64, raw: &str) -> AppResult<TagRow> {
    let name = valid_name(raw)?;
    let mut tx = db.begin().await?;
    let tag = tag_by_name(tx.conn(), name)
        .await?
        .ok_or(AppError::NotFound)?;
    if tag_follows::unfollow(tx.conn(), account_id, tag.id).await? {
        tag_follows::unmerge_from_home(tx.conn(), account_id, tag.id).await?;
    }
    tx.commit().await?;
    Ok(tag)
}
