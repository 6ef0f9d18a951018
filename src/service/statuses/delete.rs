//! `DELETE /api/v1/statuses/:id`: removes one's own status (or boost) and answers with it,
//! including its source `text`, for "delete and redraft".

use serde_json::Value;

use crate::db::accounts::{self, Account, Counter};
use crate::db::notifications;
use crate::db::statuses::{self, StatusCounter};
use crate::error::{AppError, AppResult};
use crate::service::federate;
use crate::service::hydrate::{self, StatusOptions};
use crate::service::notify::kind;
use crate::state::AppState;

use super::{counts_as_reply, counts_for_author};

/// Deletes `account`'s status `id` (someone else's is a 404) and returns it as it was, with
/// `text` set and the author's `statuses_count` already decremented (the `Status` entity as
/// JSON). Boosts of it go too, and the boosters' counters are kept right.
pub async fn delete(state: &AppState, account: &Account, id: i64) -> AppResult<Value> {
    let mut tx = state.db.begin().await?;
    // Locked first: a boost committed between the boosters' count below and the DELETE would
    // be removed by the cascade without its booster's counter being decremented.
    statuses::lock(tx.conn(), id).await?;
    let s = statuses::get(tx.conn(), id)
        .await?
        .filter(|s| s.account_id == account.id)
        .ok_or(AppError::NotFound)?;
    let rendered = match hydrate::statuses(
        tx.conn(),
        &state.render(),
        Some(account.id),
        &[id],
        StatusOptions::default(),
    )
    .await?
    .pop()
    {
        Some(e) => e,
        // One's own boost of a status one may no longer see (its author blocked us): still
        // deletable, answered without the boosted status.
        None => hydrate::statuses(
            tx.conn(),
            &state.render(),
            Some(account.id),
            &[id],
            StatusOptions {
                check_visibility: false,
                without_reblogs: true,
                filters: None,
            },
        )
        .await?
        .pop()
        .ok_or(AppError::NotFound)?,
    };
    let mut entity: Value =
        serde_json::from_str(rendered.json.as_str()).map_err(|e| AppError::Internal(e.into()))?;
    entity["text"] = Value::String(s.text.clone());
    if counts_for_author(&s.visibility) {
        accounts::bump(tx.conn(), account.id, Counter::Statuses, -1).await?;
        if let Some(n) = entity["account"]["statuses_count"].as_i64() {
            entity["account"]["statuses_count"] = Value::from((n - 1).max(0));
        }
    }
    if let Some(parent) = s.in_reply_to_id
        && counts_as_reply(&s.visibility)
    {
        statuses::bump(tx.conn(), parent, StatusCounter::Replies, -1).await?;
    }
    if let Some(original) = s.reblog_of_id {
        statuses::bump(tx.conn(), original, StatusCounter::Reblogs, -1).await?;
        if let Some(o) = statuses::get(tx.conn(), original).await? {
            notifications::delete_for_activity(tx.conn(), o.account_id, kind::REBLOG, s.id).await?;
        }
    }
    federate::status_deleted(tx.conn(), &s).await?;
    crate::service::live::status_deleted(tx.conn(), &s, account.silenced_at.is_some()).await?;
    statuses::uncount_boosts_of(tx.conn(), id).await?;
    statuses::delete(tx.conn(), id).await?;
    tx.commit().await?;
    state.wake_workers();
    Ok(entity)
}
