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
use crate::db::{Conn, accounts, inbox, suspension};
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

/// What a step found.
enum Step {
    /// Work done up to this account id.
    Next(i64),
    /// The walk is over.
    End,
    /// The block was changed or lifted since the run began (a change enqueued its own job).
    Stale,
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
        let step = match phase {
            Phase::Mark => mark_step(state, &rules, &block, after).await?,
            Phase::Purge => purge_step(state, &rules, &block, after).await?,
        };
        match step {
            Step::Next(cursor) => after = cursor,
            Step::End if phase == Phase::Mark && block.severity == "suspend" => {
                phase = Phase::Purge;
                after = 0;
            }
            Step::End | Step::Stale => return Ok(None),
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

/// Whether `block` is still as this run read it, its row locked for the rest of the step's
/// transaction: changing or lifting the block (which lifts what it stamped) waits for the
/// step, or the step sees the change and stamps nothing.
async fn still_in_force(c: Conn<'_>, block: &DomainBlock) -> Result<bool, sqlx::Error> {
    Ok(repo::lock(c, block.id).await?.as_ref() == Some(block))
}

/// The accounts among `rows` that `block` governs (no more specific block names their
/// domain).
fn governed(rules: &DomainPolicies, block: &DomainBlock, rows: &[(i64, String)]) -> Vec<i64> {
    rows.iter()
        .filter(|(_, domain)| rules.rule_for(domain).is_some_and(|b| b.id == block.id))
        .map(|(id, _)| *id)
        .collect()
}

/// Stamps the next batch of governed accounts after `after`.
async fn mark_step(
    state: &AppState,
    rules: &DomainPolicies,
    block: &DomainBlock,
    after: i64,
) -> Result<Step, sqlx::Error> {
    let mut tx = state.db.begin().await?;
    if !still_in_force(tx.conn(), block).await? {
        return Ok(Step::Stale);
    }
    let rows = repo::accounts_under(tx.conn(), &block.domain, after, MARK_BATCH).await?;
    let Some(last) = rows.last().map(|(id, _)| *id) else {
        return Ok(Step::End);
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
    Ok(Step::Next(last))
}

/// Purges (part of) the next governed account after `after`; the cursor stays put while
/// that account has more to remove.
async fn purge_step(
    state: &AppState,
    rules: &DomainPolicies,
    block: &DomainBlock,
    after: i64,
) -> Result<Step, sqlx::Error> {
    let rows = {
        let mut h = state.db.read().await?;
        repo::accounts_under(h.conn(), &block.domain, after, PURGE_SCAN).await?
    };
    let Some(last) = rows.last().map(|(id, _)| *id) else {
        return Ok(Step::End);
    };
    let Some(&account) = governed(rules, block, &rows).first() else {
        return Ok(Step::Next(last));
    };
    let mut tx = state.db.begin().await?;
    if !still_in_force(tx.conn(), block).await? {
        return Ok(Step::Stale);
    }
    let done = purge_account_in(tx.conn(), account, block.created_at).await?;
    tx.commit().await?;
    Ok(Step::Next(if done { account } else { after }))
}

/// One bounded transaction of removing what we hold of suspended remote account `id`;
/// whether it is done.
pub async fn purge_account(state: &AppState, id: i64, since: i64) -> Result<bool, sqlx::Error> {
    let mut tx = state.db.begin().await?;
    let done = purge_account_in(tx.conn(), id, since).await?;
    tx.commit().await?;
    Ok(done)
}

/// [`purge_account`] inside the caller's transaction.
async fn purge_account_in(mut c: Conn<'_>, id: i64, since: i64) -> Result<bool, sqlx::Error> {
    if accounts::get(c.re(), id)
        .await?
        .is_none_or(|a| a.suspended_at.is_none())
    {
        // Not (or no longer) suspended: left alone.
        return Ok(true);
    }
    let edges = inbox::edges_touching(c.re(), id).await?;
    let more_edges = edges.len() > PURGE_EDGES;
    let edges = &edges[..edges.len().min(PURGE_EDGES)];
    let mut locked: Vec<i64> = edges.iter().flat_map(|(_, a, b)| [*a, *b]).collect();
    locked.push(id);
    accounts::lock_rows(c.re(), &locked).await?;
    for (_, follower, followed) in edges {
        follows::sever(c.re(), *follower, *followed).await?;
    }
    if more_edges {
        return Ok(false);
    }
    suspension::remove_interactions(c.re(), id).await?;
    let statuses = suspension::statuses_of(c.re(), id, PURGE_STATUSES).await?;
    suspension::remove_statuses(c.re(), id, &statuses).await?;
    let done = (statuses.len() as i64) < PURGE_STATUSES;
    if done {
        suspension::empty_profile(c, id, since).await?;
    }
    Ok(done)
}
