//! Applying a domain block to the accounts it governs: the [`Job::ApplyDomainBlock`] job
//! (Mastodon's `BlockDomainService` and, for suspensions, its `DeleteAccountService` per
//! account), durable and in bounded steps so that a large domain neither holds the writer nor
//! outlives a job's deadline.
//!
//! 1. [`Phase::Mark`] walks the remote accounts on the block's domain (and subdomains) by id,
//!    [`MARK_BATCH`] per transaction, and stamps those the block governs: `silenced_at` for a
//!    `silence`, `suspended_at` for a `suspend` (which hides them and their statuses at once),
//!    and forgets avatars and headers under `reject_media`.
//! 2. [`Phase::Purge`] (suspensions) walks them again and removes what we hold of each, one
//!    transaction at a time with at most [`PURGE_EDGES`] follows or [`PURGE_STATUSES`]
//!    statuses in it: follows either way (counters and home feeds kept right), favourites,
//!    notifications, blocks, mutes, mentions, statuses (with the boosts of them, everywhere),
//!    and finally the profile.
//!
//! A run stops after [`STEPS_PER_RUN`] steps or [`RUN_BUDGET`] and hands back the job with
//! its cursor, which the worker stores in place of the old one and runs again (after other
//! due work). Every step is idempotent, so a crash only
//! repeats the last one. A block removed or changed meanwhile ends the walk.

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::DomainPolicies;
use crate::db::domain_blocks::{self as repo, DomainBlock, Limitation};
use crate::db::{accounts, inbox, suspension};
use crate::jobs::Job;
use crate::service::follows;
use crate::state::AppState;

/// Accounts examined (and stamped) per transaction of the marking walk.
pub const MARK_BATCH: i64 = 500;
/// Accounts examined per step of the purging walk.
pub const PURGE_SCAN: i64 = 100;
/// Follows and follow requests severed per transaction.
pub const PURGE_EDGES: usize = 200;
/// Statuses removed per transaction.
pub const PURGE_STATUSES: i64 = 500;
/// How long one run of the job works before handing back its cursor.
pub const RUN_BUDGET: Duration = Duration::from_secs(5);
/// How many steps (transactions) one run takes at most before handing back its cursor.
pub const STEPS_PER_RUN: usize = 50;

/// Where the job is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Stamping the governed accounts.
    #[default]
    Mark,
    /// Removing the content of suspended accounts.
    Purge,
}

/// Whether `block` has anything to apply to existing accounts.
pub fn has_work(block: &DomainBlock) -> bool {
    matches!(block.severity.as_str(), "silence" | "suspend") || block.reject_media
}

/// Runs the job for `block_id` from `after` (an account id) in `phase`, for at most
/// [`STEPS_PER_RUN`] steps and [`RUN_BUDGET`]; returns the job to run next when there is
/// more to do.
pub async fn run(
    state: &AppState,
    block_id: i64,
    mut phase: Phase,
    mut after: i64,
) -> anyhow::Result<Option<Job>> {
    let started = Instant::now();
    let mut steps = 0;
    let rules = super::load(&state.db).await?;
    let Some(block) = rules.rules.values().find(|b| b.id == block_id).cloned() else {
        // Lifted meanwhile.
        return Ok(None);
    };
    loop {
        let next = match phase {
            Phase::Mark => mark_step(state, &rules, &block, after).await?,
            Phase::Purge => purge_step(state, &rules, &block, after).await?,
        };
        match next {
            Some(cursor) => after = cursor,
            None if phase == Phase::Mark && block.severity == "suspend" => {
                phase = Phase::Purge;
                after = 0;
            }
            None => return Ok(None),
        }
        steps += 1;
        if steps >= STEPS_PER_RUN || started.elapsed() >= RUN_BUDGET {
            return Ok(Some(Job::ApplyDomainBlock {
                block_id,
                phase,
                after,
            }));
        }
    }
}

/// The accounts among `rows` that `block` governs (no more specific block names their
/// domain).
fn governed(rules: &DomainPolicies, block: &DomainBlock, rows: &[(i64, String)]) -> Vec<i64> {
    rows.iter()
        .filter(|(_, domain)| rules.rule_for(domain).is_some_and(|b| b.id == block.id))
        .map(|(id, _)| *id)
        .collect()
}

/// Stamps the next batch of governed accounts after `after`; the new cursor, or `None` at
/// the end.
async fn mark_step(
    state: &AppState,
    rules: &DomainPolicies,
    block: &DomainBlock,
    after: i64,
) -> Result<Option<i64>, sqlx::Error> {
    let mut tx = state.db.begin().await?;
    let rows = repo::accounts_under(tx.conn(), &block.domain, after, MARK_BATCH).await?;
    let Some(last) = rows.last().map(|(id, _)| *id) else {
        return Ok(None);
    };
    let ids = governed(rules, block, &rows);
    match block.severity.as_str() {
        "silence" => {
            repo::limit_accounts(tx.conn(), &ids, Limitation::Silence, block.created_at).await?;
        }
        "suspend" => {
            repo::limit_accounts(tx.conn(), &ids, Limitation::Suspend, block.created_at).await?;
        }
        _ => {}
    }
    if block.reject_media || block.severity == "suspend" {
        repo::limit_accounts(tx.conn(), &ids, Limitation::ClearMedia, block.created_at).await?;
    }
    tx.commit().await?;
    Ok(Some(last))
}

/// Purges (part of) the next governed account after `after`; the new cursor (unchanged while
/// that account has more to remove), or `None` at the end.
async fn purge_step(
    state: &AppState,
    rules: &DomainPolicies,
    block: &DomainBlock,
    after: i64,
) -> Result<Option<i64>, sqlx::Error> {
    let rows = {
        let mut h = state.db.read().await?;
        repo::accounts_under(h.conn(), &block.domain, after, PURGE_SCAN).await?
    };
    let Some(last) = rows.last().map(|(id, _)| *id) else {
        return Ok(None);
    };
    let Some(&account) = governed(rules, block, &rows).first() else {
        return Ok(Some(last));
    };
    if purge_account(state, account, block.created_at).await? {
        Ok(Some(account))
    } else {
        Ok(Some(after))
    }
}

/// One bounded transaction of removing what we hold of suspended remote account `id`;
/// whether it is done.
pub async fn purge_account(state: &AppState, id: i64, since: i64) -> Result<bool, sqlx::Error> {
    let mut tx = state.db.begin().await?;
    if accounts::get(tx.conn(), id)
        .await?
        .is_none_or(|a| a.suspended_at.is_none())
    {
        // Unsuspended meanwhile (the block was lifted): left alone.
        return Ok(true);
    }
    let edges = inbox::edges_touching(tx.conn(), id).await?;
    let more_edges = edges.len() > PURGE_EDGES;
    let edges = &edges[..edges.len().min(PURGE_EDGES)];
    let mut locked: Vec<i64> = edges.iter().flat_map(|(_, a, b)| [*a, *b]).collect();
    locked.push(id);
    accounts::lock_rows(tx.conn(), &locked).await?;
    for (_, follower, followed) in edges {
        follows::sever(tx.conn(), *follower, *followed).await?;
    }
    if more_edges {
        tx.commit().await?;
        return Ok(false);
    }
    suspension::remove_interactions(tx.conn(), id).await?;
    let statuses = suspension::statuses_of(tx.conn(), id, PURGE_STATUSES).await?;
    suspension::remove_statuses(tx.conn(), id, &statuses).await?;
    let done = (statuses.len() as i64) < PURGE_STATUSES;
    if done {
        suspension::empty_profile(tx.conn(), id, since).await?;
    }
    tx.commit().await?;
    Ok(done)
}
