//! Featured hashtags (Mastodon's `FeaturedTag`): at most [`MAX_FEATURED`] per account, each a
//! valid hashtag name (created if new), not featured twice.

use crate::db::featured_tags::{self, FeaturedTag};
use crate::db::search::{TagRow, tag_by_name};
use crate::db::{Db, accounts, statuses};
use crate::error::{AppError, AppResult};
use crate::id::next_id;
use crate::service::tags::{MAX_NAME, valid_name};
use crate::time::now_ms;

/// Featured tags per account (Mastodon's `FeaturedTag::LIMIT`, announced as
/// `max_featured_tags`).
pub const MAX_FEATURED: i64 = 10;

/// Features hashtag `raw` (a leading `#` allowed) on `owner`'s profile; returns it.
pub async fn add(db: &Db, owner: i64, raw: &str) -> AppResult<FeaturedTag> {
    let name = raw.trim().trim_start_matches('#');
    if name.is_empty() {
        return Err(AppError::unprocessable(
            "Validation failed: Name can't be blank",
        ));
    }
    let valid = name.chars().count() <= MAX_NAME
        && name.chars().all(|c| c.is_alphanumeric() || c == '_')
        && name.chars().any(|c| !c.is_ascii_digit() && c != '_');
    if !valid {
        return Err(AppError::unprocessable(
            "Validation failed: Name is invalid",
        ));
    }
    let now = now_ms();
    let id = next_id();
    let mut tx = db.begin().await?;
    accounts::lock_rows(tx.conn(), &[owner]).await?;
    if featured_tags::count(tx.conn(), owner).await? >= MAX_FEATURED {
        return Err(AppError::unprocessable(format!(
            "Validation failed: You can only feature up to {MAX_FEATURED} hashtags"
        )));
    }
    let tag_id = statuses::upsert_tag(tx.conn(), &name.to_lowercase(), name, now).await?;
    if !featured_tags::add(tx.conn(), id, owner, tag_id, now).await? {
        return Err(AppError::unprocessable(
            "Validation failed: Name has already been taken",
        ));
    }
    let tag = featured_tags::of_account(tx.conn(), owner)
        .await?
        .into_iter()
        .find(|t| t.id == id)
        .ok_or(AppError::NotFound)?;
    tx.commit().await?;
    Ok(tag)
}

/// Stops featuring `owner`'s featured tag `id` (404 if it is not theirs).
pub async fn remove(db: &Db, owner: i64, id: i64) -> AppResult<()> {
    let mut tx = db.begin().await?;
    if !featured_tags::remove(tx.conn(), owner, id).await? {
        return Err(AppError::NotFound);
    }
    tx.commit().await?;
    Ok(())
}

/// `POST /api/v1/tags/:name/feature`: features hashtag `raw` (404 when it cannot be one;
/// created if new); featuring it again is fine, an 11th is 422. Returns the tag.
pub async fn feature_tag(db: &Db, owner: i64, raw: &str) -> AppResult<TagRow> {
    let name = valid_name(raw)?;
    let lower = name.to_lowercase();
    let now = now_ms();
    let mut tx = db.begin().await?;
    accounts::lock_rows(tx.conn(), &[owner]).await?;
    let tag_id = statuses::upsert_tag(tx.conn(), &lower, name, now).await?;
    let already = !featured_tags::featured_among(tx.conn(), owner, &[tag_id])
        .await?
        .is_empty();
    if !already {
        if featured_tags::count(tx.conn(), owner).await? >= MAX_FEATURED {
            return Err(AppError::unprocessable(format!(
                "Validation failed: You can only feature up to {MAX_FEATURED} hashtags"
            )));
        }
        featured_tags::add(tx.conn(), next_id(), owner, tag_id, now).await?;
    }
    let tag = tag_by_name(tx.conn(), &lower)
        .await?
        .ok_or(AppError::NotFound)?;
    tx.commit().await?;
    Ok(tag)
}

/// `POST /api/v1/tags/:name/unfeature`: stops featuring hashtag `raw` (404 for an unknown
/// tag). Idempotent. Returns the tag.
pub async fn unfeature_tag(db: &Db, owner: i64, raw: &str) -> AppResult<TagRow> {
    let name = valid_name(raw)?;
    let mut tx = db.begin().await?;
    let tag = tag_by_name(tx.conn(), name)
        .await?
        .ok_or(AppError::NotFound)?;
    featured_tags::remove_tag(tx.conn(), owner, tag.id).await?;
    tx.commit().await?;
    Ok(tag)
}
