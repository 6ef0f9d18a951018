//! Background job workers over the durable `jobs` table (see `db::jobs`).
//!
//! A job is enqueued in the same transaction as the change that needs it, and the enqueuing
//! node's workers are woken at once; other nodes find it by polling. Failed jobs are retried
//! with exponential backoff and jitter until `max_attempts`.

use std::time::Duration;

use anyhow::Context;
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

use crate::db::{self, Conn};
use crate::id::next_id;
use crate::state::AppState;
use crate::time::now_ms;

/// Priority of work a local user is waiting for (fan-out of their post).
pub const PRIORITY_LOCAL: i64 = 0;
/// Priority of federation work (deliveries, remote fetches).
pub const PRIORITY_FEDERATION: i64 = 10;

/// What a job does. Stored as JSON in `jobs.payload`, tagged by `jobs.kind`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Job {
    /// Insert a new status into its audience's home feeds.
    FanOut {
        /// The status (or boost) to distribute.
        status_id: i64,
    },
    /// Send `status` notifications to followers who enabled them for the author.
    NotifySubscribers {
        /// The new status.
        status_id: i64,
    },
    /// Expand an outbox activity's recipients into per-inbox deliveries
    /// (`federation::outbox::expand`).
    ExpandDelivery {
        /// The `outbox_activities` row.
        activity_id: i64,
    },
    /// Mail a user a fresh link confirming their e-mail address.
    SendConfirmation {
        /// The user whose address awaits confirmation.
        user_id: i64,
    },
    /// Process an activity received by an inbox (`inbox_activities` row).
    Inbox {
        /// The stored activity.
        id: i64,
    },
    /// Apply a domain block to the accounts it governs, in steps
    /// (`service::domain_blocks::enforce`).
    ApplyDomainBlock {
        /// The `domain_blocks` row.
        block_id: i64,
        /// Where the work is.
        #[serde(default)]
        phase: crate::service::domain_blocks::enforce::Phase,
        /// The last account id handled.
        #[serde(default)]
        after: i64,
    },
    /// Fetch a link preview's page and store the card (`service::cards::fetch`).
    FetchCard {
        /// The `preview_cards` row.
        card_id: i64,
    },
    /// Add statuses written before the search index existed to it, in batches
    /// (`service::search::index_backlog`; enqueued by migration 0200).
    IndexStatuses {
        /// The last status id indexed.
        after: i64,
    },
    /// Make the web-safe files of an upload (`service::media::process`).
    ProcessMedia {
        /// The `media_attachments` row.
        media_id: i64,
    },
    /// Download and process a remote status's attachment (`service::media::remote::fetch`).
    FetchRemoteMedia {
        /// The `media_attachments` row.
        media_id: i64,
    },
    /// Delete stored files no row refers to any more.
    DeleteMediaFiles {
        /// Their keys in the media store.
        keys: Vec<String>,
    },
    /// A poll has ended: tell its voters and author (`service::polls::ended`). Enqueued to
    /// run at the poll's end.
    PollEnded {
        /// The `polls` row.
        poll_id: i64,
    },
    /// Publish a scheduled status (`service::statuses::scheduled::publish`). Enqueued to run
    /// at its time.
    PublishScheduledStatus {
        /// The `scheduled_statuses` row.
        id: i64,
    },
}

impl Job {
    fn kind(&self) -> &'static str {
        match self {
            Job::FanOut { .. } => "fan_out",
            Job::NotifySubscribers { .. } => "notify_subscribers",
            Job::SendConfirmation { .. } => "send_confirmation",
            Job::Inbox { .. } => "inbox",
            Job::ExpandDelivery { .. } => "expand_delivery",
            Job::ApplyDomainBlock { .. } => "apply_domain_block",
            Job::IndexStatuses { .. } => "index_statuses",
            Job::FetchCard { .. } => "fetch_card",
            Job::ProcessMedia { .. } => "process_media",
            Job::FetchRemoteMedia { .. } => "fetch_remote_media",
            Job::DeleteMediaFiles { .. } => "delete_media_files",
            Job::PollEnded { .. } => "poll_ended",
            Job::PublishScheduledStatus { .. } => "publish_scheduled_status",
        }
    }
}

/// Enqueues `job` to run now, inside the caller's transaction. Call
/// [`AppState::wake_workers`] after committing.
pub async fn enqueue(c: Conn<'_>, job: &Job, priority: i64) -> Result<(), sqlx::Error> {
    enqueue_at(c, job, priority, now_ms()).await
}

/// Enqueues `job` to run at `run_at` (unix ms), inside the caller's transaction.
pub async fn enqueue_at(
    c: Conn<'_>,
    job: &Job,
    priority: i64,
    run_at: i64,
) -> Result<(), sqlx::Error> {
    let payload = serde_json::to_string(job).expect("jobs serialize");
    db::jobs::enqueue(c, next_id(), job.kind(), &payload, priority, run_at).await
}

impl AppState {
    /// Wakes this node's workers after a transaction that enqueued jobs has committed.
    pub fn wake_workers(&self) {
        self.jobs_notify.notify_waiters();
    }
}

/// Runs one job; `Some` is the job's next step, which takes its place (long work done in
/// bounded runs). Handlers must be idempotent: a job may run again after a crash.
async fn run(state: &AppState, job: &Job) -> anyhow::Result<Option<Job>> {
    match job {
        Job::FanOut { status_id } => {
            let mut tx = state.db.begin().await?;
            let accounts = db::timelines::fan_out(tx.conn(), *status_id)
                .await
                .context("fan-out insert")?;
            crate::service::live::home_delivered(*status_id, accounts);
            tx.commit().await?;
        }
        Job::NotifySubscribers { status_id } => {
            crate::service::statuses::notify_subscribers(&state.db, *status_id).await?;
        }
        Job::ExpandDelivery { activity_id } => {
            crate::federation::outbox::expand(state, *activity_id)
                .await
                .context("expanding deliveries")?;
            // The delivery workers listen on the same signal.
            state.wake_workers();
        }
        Job::SendConfirmation { user_id } => {
            crate::service::mail::send_confirmation(state, *user_id).await?;
        }
        Job::Inbox { id } => crate::federation::inbox::process(state, *id).await?,
        Job::PollEnded { poll_id } => crate::service::polls::ended(state, *poll_id).await?,
        Job::PublishScheduledStatus { id } => {
            crate::service::statuses::scheduled::publish(state, *id).await?;
        }
        Job::ApplyDomainBlock {
            block_id,
            phase,
            after,
        } => {
            return crate::service::domain_blocks::enforce::run(state, *block_id, *phase, *after)
                .await;
        }
        Job::FetchCard { card_id } => crate::service::cards::fetch(state, *card_id).await?,
        Job::IndexStatuses { after } => {
            return crate::service::search::index_backlog(state, *after).await;
        }
        Job::ProcessMedia { media_id } => {
            crate::service::media::process::run(state, *media_id).await?;
        }
        Job::FetchRemoteMedia { media_id } => {
            crate::service::media::remote::fetch(state, *media_id).await?;
        }
        Job::DeleteMediaFiles { keys } => {
            crate::service::media::delete_files(state, keys).await?;
        }
    }
    Ok(None)
}

/// Runs pending jobs until none is due; returns how many ran. Tests and the benchmark use
/// this to drain the queue deterministically.
pub async fn run_pending(state: &AppState) -> anyhow::Result<usize> {
    let mut total = 0;
    loop {
        let n = run_batch(state).await?;
        if n == 0 {
            return Ok(total);
        }
        total += n;
    }
}

/// The longest one job may run; beyond it the job fails and is retried with backoff.
pub const JOB_DEADLINE: Duration = Duration::from_secs(120);
/// Jobs claimed at once: few, so that one worker does not hold many federation jobs while
/// local work waits (local jobs are claimed first by priority).
const BATCH: i64 = 4;
/// The lease of a batch: long enough for every job of it to reach its deadline, so a lease
/// never expires while a claimed job still waits its turn.
const LEASE_MS: i64 = BATCH * JOB_DEADLINE.as_millis() as i64 + 30_000;

/// Runs `job` to completion or fails it after `deadline`.
async fn run_with_deadline<T>(
    deadline: Duration,
    job: impl std::future::Future<Output = anyhow::Result<T>>,
) -> anyhow::Result<T> {
    tokio::time::timeout(deadline, job)
        .await
        .unwrap_or_else(|_| Err(anyhow::anyhow!("job exceeded its {deadline:?} deadline")))
}

async fn run_batch(state: &AppState) -> anyhow::Result<usize> {
    let claimed = {
        let mut tx = state.db.begin().await?;
        let jobs = db::jobs::claim(tx.conn(), now_ms(), LEASE_MS, BATCH).await?;
        tx.commit().await?;
        jobs
    };
    let n = claimed.len();
    for row in claimed {
        let result = match serde_json::from_str::<Job>(&row.payload) {
            Ok(job) => {
                // Boxed: a job's future is large (inbox processing), and tests poll it on
                // their own thread's stack.
                let work = Box::pin(run_with_deadline(JOB_DEADLINE, run(state, &job)));
                crate::streaming::scope::run(state.bus(), work).await
            }
            Err(e) => Err(anyhow::anyhow!("undecodable job payload: {e}")),
        };
        let mut tx = state.db.begin().await?;
        match result {
            Ok(None) => db::jobs::complete(tx.conn(), row.id).await?,
            Ok(Some(next)) => {
                let payload = serde_json::to_string(&next).expect("jobs serialize");
                db::jobs::reschedule(tx.conn(), row.id, next.kind(), &payload, now_ms()).await?;
            }
            Err(e) if row.attempts >= row.max_attempts => {
                tracing::error!(job_id = row.id, kind = %row.kind, error = %format!("{e:#}"), "job failed permanently");
                db::jobs::complete(tx.conn(), row.id).await?;
            }
            Err(e) => {
                let backoff = 1000 * 2i64.pow(row.attempts.clamp(0, 20) as u32);
                let jitter = rand::random_range(0..=backoff / 4);
                tracing::warn!(job_id = row.id, kind = %row.kind, attempt = row.attempts, error = %format!("{e:#}"), "job failed; will retry");
                db::jobs::retry(
                    tx.conn(),
                    row.id,
                    now_ms() + backoff + jitter,
                    &format!("{e:#}"),
                )
                .await?;
            }
        }
        tx.commit().await?;
    }
    Ok(n)
}

/// Spawns `count` workers that run until `shutdown` is cancelled.
pub fn spawn_workers(
    state: AppState,
    count: usize,
    shutdown: CancellationToken,
) -> Vec<tokio::task::JoinHandle<()>> {
    (0..count)
        .map(|_| {
            let state = state.clone();
            let shutdown = shutdown.clone();
            tokio::spawn(async move {
                loop {
                    let notified = state.jobs_notify.notified();
                    let ran = match run_batch(&state).await {
                        Ok(n) => n,
                        Err(e) => {
                            tracing::error!(error = %format!("{e:#}"), "job worker error");
                            0
                        }
                    };
                    if ran > 0 {
                        continue;
                    }
                    tokio::select! {
                        _ = shutdown.cancelled() => break,
                        _ = notified => {}
                        // Poll for jobs enqueued by other nodes and for retries coming due.
                        _ = tokio::time::sleep(Duration::from_millis(500)) => {}
                    }
                }
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_job_past_its_deadline_fails() {
        let slow = run_with_deadline(Duration::from_millis(20), async {
            tokio::time::sleep(Duration::from_secs(60)).await;
            Ok(())
        })
        .await;
        assert!(slow.unwrap_err().to_string().contains("deadline"));
        let quick = run_with_deadline(Duration::from_secs(5), async { Ok(()) }).await;
        assert!(quick.is_ok());
    }
}
