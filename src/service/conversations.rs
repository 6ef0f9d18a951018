//! Direct-message conversations (Mastodon's `AccountConversation`): every direct status is
//! recorded, in the transaction that stores it, in the conversation of its local author and
//! of each local account it mentions that takes it (not blocking or muting the author) — one
//! conversation per account, thread and set of other participants (the author and the
//! accounts actively mentioned). Unread for recipients, read for the author. Deleting a status
//! takes it out (`db::statuses::delete`).

use crate::db::{Conn, Db, conversations};
use crate::error::{AppError, AppResult};
use crate::id::next_id;
use crate::time::now_ms;

/// Records status `status_id` in its participants' conversations if it is direct (a no-op
/// otherwise). Idempotent.
pub async fn record(mut c: Conn<'_>, status_id: i64) -> Result<(), sqlx::Error> {
    let Some(s) = conversations::direct_status(c.re(), status_id).await? else {
        return Ok(());
    };
    let mentioned = conversations::mentioned(c.re(), s.id, s.account_id, now_ms()).await?;
    let mut everyone: Vec<i64> = mentioned.iter().map(|(id, _)| *id).collect();
    everyone.push(s.account_id);
    everyone.sort_unstable();
    everyone.dedup();
    let mut recipients: Vec<i64> = mentioned
        .iter()
        .filter(|(id, takes)| *takes && *id != s.account_id)
        .map(|(id, _)| *id)
        .collect();
    if s.local_author {
        recipients.push(s.account_id);
    }
    recipients.sort_unstable();
    recipients.dedup();
    for recipient in recipients {
        let others: Vec<i64> = everyone
            .iter()
            .copied()
            .filter(|id| *id != recipient)
            .collect();
        let key = serde_json::to_string(&others).expect("ids serialise");
        conversations::add_status(
            c.re(),
            next_id(),
            recipient,
            s.thread,
            &key,
            s.id,
            recipient != s.account_id,
        )
        .await?;
    }
    Ok(())
}

/// Marks `owner`'s conversation `id` read (404 if it is not theirs); returns it.
pub async fn mark_read(db: &Db, owner: i64, id: i64) -> AppResult<conversations::Conversation> {
    let mut tx = db.begin().await?;
    if !conversations::mark_read(tx.conn(), owner, id).await? {
        return Err(AppError::NotFound);
    }
    let row = conversations::owned(tx.conn(), owner, id)
        .await?
        .ok_or(AppError::NotFound)?;
    tx.commit().await?;
    Ok(row)
}

/// Deletes `owner`'s conversation `id` (404 if it is not theirs); the statuses stay, and a
/// new status in the thread starts it again.
pub async fn delete(db: &Db, owner: i64, id: i64) -> AppResult<()> {
    let mut tx = db.begin().await?;
    if !conversations::delete(tx.conn(), owner, id).await? {
        return Err(AppError::NotFound);
    }
    tx.commit().await?;
    Ok(())
}
