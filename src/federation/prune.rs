//! Periodic housekeeping of federation records: received activities are kept as long as
//! redeliveries of them may still arrive ([`ACTIVITY_RETENTION_MS`], well beyond senders'
//! retry envelopes of about 2.5 days), deleted remote statuses are remembered for
//! [`TOMBSTONE_RETENTION_MS`] (Mastodon's six hours). Every node may run it: each pass is a
//! few bounded, idempotent deletes.

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::db::{Db, inbox as repo};
use crate::state::AppState;
use crate::time::now_ms;

/// How long a processed received activity is kept (for recognising redeliveries).
pub const ACTIVITY_RETENTION_MS: i64 = 7 * 24 * 3600 * 1000;
/// How long a remote status deletion is remembered.
pub const TOMBSTONE_RETENTION_MS: i64 = 6 * 3600 * 1000;
/// Time between passes.
const INTERVAL: Duration = Duration::from_secs(3600);
/// Rows deleted per transaction (so a backlog never holds the writer for long).
const BATCH: i64 = 1000;

/// What one pass removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pruned {
    /// Received activities.
    pub activities: u64,
    /// Remembered deletions.
    pub tombstones: u64,
}

/// Removes what is older than the retention periods, as of `now`.
pub async fn prune(db: &Db, now: i64) -> Result<Pruned, sqlx::Error> {
    let mut pruned = Pruned::default();
    loop {
        let mut tx = db.begin().await?;
        let n = repo::prune_activities(tx.conn(), now - ACTIVITY_RETENTION_MS, BATCH).await?;
        tx.commit().await?;
        pruned.activities += n;
        if n < BATCH as u64 {
            break;
        }
    }
    let mut tx = db.begin().await?;
    pruned.tombstones = repo::prune_tombstones(tx.conn(), now - TOMBSTONE_RETENTION_MS).await?;
    tx.commit().await?;
    Ok(pruned)
}

/// Starts the hourly pruning task (first pass at start-up); it stops when `shutdown` is
/// cancelled.
pub fn spawn(state: AppState, shutdown: CancellationToken) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            match prune(&state.db, now_ms()).await {
                Ok(p) if p != Pruned::default() => tracing::info!(?p, "pruned federation records"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "pruning federation records failed"),
            }
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = tokio::time::sleep(INTERVAL) => {}
            }
        }
    })
}
