//! Home- and list-feed housekeeping: feeds are materialised on write (`db::timelines::fan_out`) and
//! kept to the newest [`HOME_FEED_LENGTH`] entries, as Mastodon keeps its feeds in Redis,
//! so the table grows with the number of users, not with the number of posts. An hourly
//! pass trims every local account's feed in small batches (any node may run it: each trim is
//! an idempotent delete).

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::db::{Db, accounts, timelines};
use crate::state::AppState;

/// Entries kept per home feed (Mastodon's `FeedManager::MAX_ITEMS`).
pub const HOME_FEED_LENGTH: i64 = 400;
/// Time between passes.
const INTERVAL: Duration = Duration::from_secs(3600);
/// Accounts trimmed per transaction (so the writer is never held for long).
const BATCH: i64 = 100;

/// Trims every local account's home feed, and each of its list feeds, to its newest `keep`
/// entries; returns the number of entries removed.
pub async fn trim_home_feeds(db: &Db, keep: i64) -> Result<u64, sqlx::Error> {
    let mut after = 0;
    let mut removed = 0;
    loop {
        let ids = {
            let mut h = db.read().await?;
            accounts::local_ids_after(h.conn(), after, BATCH).await?
        };
        let Some(last) = ids.last() else { break };
        after = *last;
        let mut tx = db.begin().await?;
        for id in &ids {
            removed += timelines::trim_home_feed(tx.conn(), *id, keep).await?;
            removed += timelines::list_feed::trim_lists_of(tx.conn(), *id, keep).await?;
        }
        tx.commit().await?;
    }
    Ok(removed)
}

/// Starts the hourly trimming task (first pass one interval after start-up, so a restart
/// loop never adds load); it stops when `shutdown` is cancelled.
pub fn spawn(state: AppState, shutdown: CancellationToken) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = tokio::time::sleep(INTERVAL) => {}
            }
            match trim_home_feeds(&state.db, HOME_FEED_LENGTH).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(removed = n, "trimmed home feeds"),
                Err(e) => tracing::warn!(error = %e, "trimming home feeds failed"),
            }
        }
    })
}
