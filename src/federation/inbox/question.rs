//! Polls of remote statuses: a `Question`'s options (`oneOf` for one choice, `anyOf` for
//! several), their tallies (`replies.totalItems`), end (`closed`, else `endTime`) and
//! `votersCount`, stored with the status and refreshed by every `Update` of it (the author's
//! server sends one as votes come in). Votes of local accounts are kept (`own_votes`, the
//! end notifications) and reset when the options change.

use serde_json::Value;

use crate::db::Conn;
use crate::db::polls::{self, Poll};
use crate::db::statuses::Status;
use crate::federation::vocab::{has_type, items, str_prop, truncate};
use crate::id::next_id;
use crate::service::polls::schedule_end;
use crate::state::AppState;
use crate::time::{now_ms, parse_rfc3339};

/// Options kept of a remote poll (Mastodon accepts more than it lets its users create).
const MAX_OPTIONS: usize = 20;
/// Characters kept of an option's title.
const MAX_TITLE_CHARS: usize = 500;
/// Largest count believed (so that sums never overflow).
const MAX_COUNT: i64 = 1_000_000_000_000;

/// A poll read from a Question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemotePoll {
    /// Option titles.
    pub options: Vec<String>,
    /// Votes per option.
    pub tallies: Vec<i64>,
    /// `anyOf`: several choices allowed.
    pub multiple: bool,
    /// When it ends or ended (unix ms).
    pub expires_at: Option<i64>,
    /// Distinct voters, when given.
    pub voters_count: Option<i64>,
}

/// The poll of a Question (`None` for other objects, or a Question without options).
pub fn parse(object: &Value) -> Option<RemotePoll> {
    if !has_type(object, "Question") {
        return None;
    }
    let (list, multiple) = match object.get("anyOf").filter(|v| !v.is_null()) {
        Some(v) => (v, true),
        None => (object.get("oneOf")?, false),
    };
    let mut options = Vec::new();
    let mut tallies = Vec::new();
    for item in items(Some(list)).into_iter().take(MAX_OPTIONS) {
        let Some(name) = str_prop(item, "name") else {
            continue;
        };
        options.push(truncate(name, MAX_TITLE_CHARS));
        let n = item
            .get("replies")
            .and_then(|r| r.get("totalItems"))
            .and_then(Value::as_i64)
            .unwrap_or(0);
        tallies.push(n.clamp(0, MAX_COUNT));
    }
    if options.is_empty() {
        return None;
    }
    let closed = match object.get("closed") {
        Some(Value::String(s)) => parse_rfc3339(s),
        Some(Value::Bool(true)) => Some(now_ms()),
        _ => None,
    };
    let expires_at = closed.or_else(|| str_prop(object, "endTime").and_then(parse_rfc3339));
    let voters_count = object
        .get("votersCount")
        .and_then(Value::as_i64)
        .map(|n| n.clamp(0, MAX_COUNT));
    Some(RemotePoll {
        options,
        tallies,
        multiple,
        expires_at,
        voters_count,
    })
}

fn row(p: &RemotePoll, id: i64, status: &Status, now: i64) -> Poll {
    Poll {
        id,
        status_id: status.id,
        account_id: status.account_id,
        local: false,
        options: serde_json::to_string(&p.options).expect("strings serialise"),
        tallies: serde_json::to_string(&p.tallies).expect("integers serialise"),
        multiple: p.multiple,
        hide_totals: false,
        votes_count: p.tallies.iter().sum(),
        voters_count: p.voters_count,
        expires_at: p.expires_at,
        created_at: now,
        updated_at: now,
    }
}

/// Stores the poll of a remote status just inserted (in its transaction), and schedules
/// the notifications of its end for local voters.
pub async fn store(mut c: Conn<'_>, status: &Status, p: &RemotePoll) -> Result<(), sqlx::Error> {
    let now = now_ms();
    let id = next_id();
    polls::insert(c.re(), &row(p, id, status, now)).await?;
    if let Some(end) = p.expires_at.filter(|e| *e > now) {
        schedule_end(c, id, end).await?;
    }
    Ok(())
}

/// Brings the poll of remote status `status` up to date with an `Update` of it: new
/// tallies and end, or new options (which void the local votes). Touches the status.
pub async fn refresh(state: &AppState, status: &Status, p: &RemotePoll) -> Result<(), sqlx::Error> {
    let now = now_ms();
    let mut tx = state.db.begin().await?;
    match polls::of_status(tx.conn(), status.id).await? {
        None => store(tx.conn(), status, p).await?,
        Some(existing) if existing.local => return Ok(()),
        Some(existing) => {
            polls::lock(tx.conn(), existing.id).await?;
            if existing.titles() != p.options || existing.multiple != p.multiple {
                polls::delete_votes(tx.conn(), existing.id).await?;
                polls::redefine(tx.conn(), &row(p, existing.id, status, now)).await?;
            } else {
                polls::set_tallies(
                    tx.conn(),
                    existing.id,
                    &p.tallies,
                    p.tallies.iter().sum(),
                    p.voters_count,
                    now,
                )
                .await?;
                polls::set_expires_at(tx.conn(), existing.id, p.expires_at).await?;
            }
            // A poll closed early (or moved) ends for local voters at its new end, or now.
            if p.expires_at != existing.expires_at
                && let Some(end) = p.expires_at
            {
                schedule_end(tx.conn(), existing.id, end.max(now)).await?;
            }
        }
    }
    polls::touch_status(tx.conn(), status.id, now).await?;
    tx.commit().await?;
    state.wake_workers();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn questions_in_mastodons_shape() {
        let q = json!({
            "type": "Question",
            "anyOf": [
                {"type": "Note", "name": "a", "replies": {"type": "Collection", "totalItems": 3}},
                {"type": "Note", "name": "b", "replies": {"totalItems": -1}},
                {"type": "Note", "name": "c", "replies": {"totalItems": i64::MAX}},
                {"type": "Note"},
            ],
            "endTime": "2024-01-01T00:00:00Z",
            "votersCount": 2,
        });
        let p = parse(&q).unwrap();
        assert_eq!(p.options, vec!["a", "b", "c"]);
        assert_eq!(p.tallies, vec![3, 0, MAX_COUNT]);
        assert!(p.multiple);
        assert_eq!(p.expires_at, Some(1_704_067_200_000));
        assert_eq!(p.voters_count, Some(2));

        let closed = json!({"type": "Question", "oneOf": [{"name": "x"}],
                            "endTime": "2024-01-02T00:00:00Z", "closed": "2024-01-01T00:00:00Z"});
        let p = parse(&closed).unwrap();
        assert!(!p.multiple);
        assert_eq!(p.expires_at, Some(1_704_067_200_000));
        assert!(parse(&json!({"type": "Note", "oneOf": [{"name": "x"}]})).is_none());
        assert!(parse(&json!({"type": "Question", "oneOf": []})).is_none());
    }
}
