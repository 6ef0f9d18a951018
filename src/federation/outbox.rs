//! The outbox: activities of local accounts queued for delivery to other servers.
//!
//! [`enqueue`] runs inside the transaction of the action that caused the activity. It writes
//! one `outbox_activities` row (the JSON as it will be sent, and the recipients as given) and
//! a [`Job::ExpandDelivery`] job; nothing is written when no remote server is concerned (a
//! post by someone without remote followers or mentions enqueues nothing). The job, run by a
//! worker after the commit, expands the recipients into one `deliveries` row per inbox
//! (remote followers' shared inboxes preferred, deduplicated; unavailable hosts and domains
//! under a `suspend` block skipped) in one transaction; so a post to 10,000 followers costs the request two small inserts, and
//! the expansion happens off the request path. [`super::delivery`] then sends each row,
//! signed at send time with the sender's key.
//!
//! Callers wake the workers after committing ([`crate::state::AppState::wake_workers`]).

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::db::{self, Conn};
use crate::federation::render;
use crate::id::next_id;
use crate::jobs::{self, Job, PRIORITY_FEDERATION};
use crate::state::AppState;
use crate::time::now_ms;

/// Who an activity is delivered to. Local accounts among `accounts` are ignored (local
/// effects are written by the action itself).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recipients {
    /// The sender's remote followers, as of when the delivery job runs.
    #[serde(default)]
    pub followers: bool,
    /// Specific accounts, by id (their shared inbox when they have one, else their inbox).
    #[serde(default)]
    pub accounts: Vec<i64>,
    /// Explicit inbox URLs.
    #[serde(default)]
    pub inboxes: Vec<String>,
    /// Inboxes left out whatever the rest says (a forwarded activity's author's own).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exclude: Vec<String>,
}

impl Recipients {
    /// The sender's followers.
    pub fn followers() -> Recipients {
        Recipients {
            followers: true,
            ..Recipients::default()
        }
    }

    /// Specific accounts.
    pub fn accounts(ids: impl IntoIterator<Item = i64>) -> Recipients {
        Recipients::default().and_accounts(ids)
    }

    /// Explicit inbox URLs.
    pub fn inboxes(urls: impl IntoIterator<Item = String>) -> Recipients {
        Recipients {
            inboxes: urls.into_iter().collect(),
            ..Recipients::default()
        }
    }

    /// Adds specific accounts.
    pub fn and_accounts(mut self, ids: impl IntoIterator<Item = i64>) -> Recipients {
        for id in ids {
            if !self.accounts.contains(&id) {
                self.accounts.push(id);
            }
        }
        self
    }

    /// Leaves `url` out (when given).
    pub fn excluding(mut self, url: Option<String>) -> Recipients {
        self.exclude.extend(url);
        self
    }

    /// Adds explicit inboxes.
    pub fn and_inboxes(mut self, urls: impl IntoIterator<Item = String>) -> Recipients {
        self.inboxes.extend(urls);
        self
    }
}

/// Queues `activity`, sent by local account `sender_account_id`, for delivery to `to`,
/// inside the caller's transaction. Returns the outbox row's id, or `None` when no remote
/// server is among the recipients (nothing is written then).
pub async fn enqueue(
    mut c: Conn<'_>,
    sender_account_id: i64,
    activity: &Value,
    to: &Recipients,
) -> Result<Option<i64>, sqlx::Error> {
    match remote_recipients(c.re(), sender_account_id, to).await? {
        Some(to) => enqueue_resolved(c, sender_account_id, activity, &to)
            .await
            .map(Some),
        None => Ok(None),
    }
}

/// The part of `to` on other servers: `None` when there is none (the sender has no remote
/// follower, no account is remote, no inbox is given). Lets a caller skip rendering an
/// activity nobody will receive.
pub async fn remote_recipients(
    mut c: Conn<'_>,
    sender_account_id: i64,
    to: &Recipients,
) -> Result<Option<Recipients>, sqlx::Error> {
    let accounts = db::deliveries::remote_among(c.re(), &to.accounts).await?;
    let followers =
        to.followers && db::deliveries::has_remote_followers(c.re(), sender_account_id).await?;
    if !followers && accounts.is_empty() && to.inboxes.is_empty() {
        return Ok(None);
    }
    Ok(Some(Recipients {
        followers,
        accounts,
        inboxes: to.inboxes.clone(),
        exclude: to.exclude.clone(),
    }))
}

/// Queues `activity` for recipients already narrowed by [`remote_recipients`].
pub async fn enqueue_resolved(
    mut c: Conn<'_>,
    sender_account_id: i64,
    activity: &Value,
    to: &Recipients,
) -> Result<i64, sqlx::Error> {
    let id = next_id();
    let payload = serde_json::to_string(activity).expect("JSON values serialize");
    let recipients = serde_json::to_string(to).expect("recipients serialize");
    db::deliveries::insert_activity(
        c.re(),
        id,
        sender_account_id,
        &payload,
        &recipients,
        now_ms(),
    )
    .await?;
    jobs::enqueue(
        c,
        &Job::ExpandDelivery { activity_id: id },
        PRIORITY_FEDERATION,
    )
    .await?;
    Ok(id)
}

/// The authority (`host[:port]`, lower case) of an inbox URL: the unit of per-host
/// concurrency and availability.
pub fn inbox_host(url: &str) -> Option<String> {
    let u = url::Url::parse(url).ok()?;
    let host = u.host_str()?.to_ascii_lowercase();
    Some(match u.port() {
        Some(p) => format!("{host}:{p}"),
        None => host,
    })
}

/// Expands an activity's recipients into deliveries (the [`Job::ExpandDelivery`] handler).
/// Idempotent: the recipients are taken in the same transaction that inserts the
/// deliveries, so a rerun after a crash either redoes everything or finds nothing to do.
/// Returns the number of inboxes queued.
pub async fn expand(state: &AppState, activity_id: i64) -> Result<usize, sqlx::Error> {
    // Inboxes on suspended domains get no row (the delivery worker drops any queued before
    // a block, too).
    let blocks = crate::service::domain_blocks::policies(state).await?;
    let mut tx = state.db.begin().await?;
    let Some((sender, recipients)) =
        db::deliveries::take_recipients(tx.conn(), activity_id).await?
    else {
        return Ok(0);
    };
    let r: Recipients = serde_json::from_str(&recipients).unwrap_or_default();
    let mut inboxes: BTreeSet<String> = r.inboxes.into_iter().collect();
    if r.followers {
        inboxes.extend(db::deliveries::follower_inboxes(tx.conn(), sender).await?);
    }
    inboxes.extend(db::deliveries::account_inboxes(tx.conn(), &r.accounts).await?);
    for url in &r.exclude {
        inboxes.remove(url);
    }
    let rows: Vec<(String, String)> = inboxes
        .into_iter()
        .filter_map(|inbox| inbox_host(&inbox).map(|h| (inbox, h)))
        .collect();
    let hosts: Vec<String> = rows
        .iter()
        .map(|(_, h)| h.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut unavailable = std::collections::HashSet::new();
    for chunk in hosts.chunks(500) {
        unavailable.extend(db::deliveries::unavailable_among(tx.conn(), chunk).await?);
    }
    let rows: Vec<db::deliveries::NewDelivery> = rows
        .into_iter()
        .filter(|(_, h)| !unavailable.contains(h) && !blocks.is_suspended(h))
        .map(|(inbox, host)| (next_id(), inbox, host))
        .collect();
    db::deliveries::insert_deliveries(tx.conn(), activity_id, &rows, now_ms()).await?;
    db::deliveries::delete_activity_if_done(tx.conn(), activity_id).await?;
    tx.commit().await?;
    Ok(rows.len())
}

/// Queues `Accept(Follow)` from local account `local_account_id` to `remote_follower_id`,
/// answering the Follow activity `follow_activity_id` (the id the remote server gave it).
/// For follows accepted automatically (unlocked accounts) and through the authorize
/// endpoint. Does nothing if either account is missing.
pub async fn accept_follow(
    c: Conn<'_>,
    local_account_id: i64,
    remote_follower_id: i64,
    follow_activity_id: &str,
) -> Result<Option<i64>, sqlx::Error> {
    answer_follow(
        c,
        Answer::Accept,
        local_account_id,
        remote_follower_id,
        follow_activity_id,
    )
    .await
}

/// Queues `Reject(Follow)`: a follow request from a remote account rejected, or a remote
/// follower removed (`remove_from_followers`); `follow_activity_id` is the Follow's id.
pub async fn reject_follow(
    c: Conn<'_>,
    local_account_id: i64,
    remote_follower_id: i64,
    follow_activity_id: &str,
) -> Result<Option<i64>, sqlx::Error> {
    answer_follow(
        c,
        Answer::Reject,
        local_account_id,
        remote_follower_id,
        follow_activity_id,
    )
    .await
}

#[derive(Clone, Copy)]
enum Answer {
    Accept,
    Reject,
}

async fn answer_follow(
    mut c: Conn<'_>,
    answer: Answer,
    local_account_id: i64,
    remote_follower_id: i64,
    follow_activity_id: &str,
) -> Result<Option<i64>, sqlx::Error> {
    let accounts = db::accounts::get_many(c.re(), &[local_account_id, remote_follower_id]).await?;
    let local = accounts.iter().find(|a| a.id == local_account_id);
    let remote = accounts.iter().find(|a| a.id == remote_follower_id);
    let (Some(local), Some(remote)) = (local, remote) else {
        return Ok(None);
    };
    if !local.is_local() || remote.is_local() {
        return Ok(None);
    }
    let follow = render::follow(follow_activity_id, &remote.uri, &local.uri);
    let activity = match answer {
        Answer::Accept => render::accept_follow(&local.uri, next_id(), follow),
        Answer::Reject => render::reject_follow(&local.uri, next_id(), follow),
    };
    enqueue(
        c,
        local_account_id,
        &activity,
        &Recipients::accounts([remote_follower_id]),
    )
    .await
}

/// Clears the delivery failures of `host` (`host[:port]` as [`inbox_host`] computes it): any
/// successful exchange with a host, such as a verified inbound delivery from it, makes it
/// available again (Mastodon's `DeliveryFailureTracker.reset!`).
pub async fn host_reachable(c: Conn<'_>, host: &str) -> Result<(), sqlx::Error> {
    db::deliveries::host_succeeded(c, &host.to_ascii_lowercase()).await
}
