//! Endorsements (Mastodon's `AccountPin`): an account endorses accounts it follows, shown on
//! its profile; endorsing anyone else is 422, and unfollowing (`follows::sever`) removes the
//! endorsement.

use crate::db::follows::{self, Edge};
use crate::db::{Db, accounts, endorsements};
use crate::error::{AppError, AppResult};
use crate::id::next_id;
use crate::time::now_ms;

/// `owner` endorses `target` (404 for an unknown or suspended account, 422 unless followed).
pub async fn endorse(db: &Db, owner: i64, target: i64) -> AppResult<()> {
    let mut tx = db.begin().await?;
    match accounts::get(tx.conn(), target).await? {
        Some(a) if a.suspended_at.is_none() => {}
        _ => return Err(AppError::NotFound),
    }
    let followed = follows::edges_from(tx.conn(), Edge::Follow, owner, &[target])
        .await?
        .into_iter()
        .any(|e| e.target_account_id == target);
    if !followed {
        return Err(AppError::unprocessable(
            "Validation failed: You must be already following the person you want to endorse",
        ));
    }
    endorsements::add(tx.conn(), next_id(), owner, target, now_ms()).await?;
    tx.commit().await?;
    Ok(())
}

/// `owner` stops endorsing `target` (404 for an unknown account). Idempotent.
pub async fn unendorse(db: &Db, owner: i64, target: i64) -> AppResult<()> {
    let mut tx = db.begin().await?;
    if accounts::get(tx.conn(), target).await?.is_none() {
        return Err(AppError::NotFound);
    }
    endorsements::remove(tx.conn(), owner, target).await?;
    tx.commit().await?;
    Ok(())
}
