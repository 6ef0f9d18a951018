//! `conversation` events: a direct status shown to its participants' `direct` streams as a
//! `Conversation` (the thread, its other participants and this status as the last one).

use super::dispatch::{Frames, Payload};
use super::hub::Topic;
use crate::service::hydrate::{self, broadcast};
use crate::state::AppState;

/// Sends the conversation of direct status `status_id` to the `direct` streams of
/// `participants` (its author and the accounts it mentions) that may see it.
pub async fn send(state: &AppState, status_id: i64, participants: &[i64]) -> anyhow::Result<()> {
    let topics: Vec<Topic> = participants.iter().map(|a| Topic::Direct(*a)).collect();
    let subs = state.streams.subscribers(&topics);
    if subs.is_empty() {
        return Ok(());
    }
    let mut viewers: Vec<i64> = subs.iter().map(|s| s.client.account_id).collect();
    viewers.sort_unstable();
    viewers.dedup();
    let mut h = state.db.read().await?;
    let rendered =
        broadcast::status_for_viewers(h.conn(), &state.render(), status_id, &viewers, false)
            .await?;
    if rendered.viewers.is_empty() {
        return Ok(());
    }
    let Some(status) = crate::db::statuses::get(h.conn(), status_id).await? else {
        return Ok(());
    };
    let accounts = hydrate::accounts(h.conn(), &state.config, participants).await?;
    drop(h);
    // The thread is the conversation (Mastodon keeps one per participant; the id is theirs
    // to mark read).
    let conversation_id = status.conversation_id.unwrap_or(status.id).to_string();
    for sub in subs {
        let viewer = sub.client.account_id;
        let Some((json, _)) = rendered.for_viewer(viewer) else {
            continue;
        };
        let others: Vec<&crate::api::entities::Account> = participants
            .iter()
            .filter(|a| **a != viewer)
            .filter_map(|a| accounts.get(a))
            .collect();
        let payload = format!(
            "{{\"id\":{},\"unread\":true,\"accounts\":{},\"last_status\":{}}}",
            serde_json::to_string(&conversation_id).expect("strings serialise"),
            serde_json::to_string(&others).expect("entities serialise"),
            json.as_str()
        );
        // Each receiver's conversation names the others: one frame per receiver.
        let frame = Frames::build(
            sub.client.transport,
            &sub.label,
            "conversation",
            &Payload::Json(payload),
        );
        sub.client.offer(frame);
    }
    Ok(())
}
