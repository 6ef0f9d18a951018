//! The hourly removal of media nobody uses: uploads never attached to a status (or whose
//! status was deleted) once a day old, as Mastodon's media cleanup does, and raw upload
//! files left by an upload interrupted between storing the file and committing its row,
//! and cached copies of remote media older than `media_cache_retention_days`.
//! Every node may run it: each step is a bounded, idempotent transaction.

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::db::media as repo;
use crate::media::store::Area;
use crate::state::AppState;
use crate::time::now_ms;

/// How long unattached media are kept.
pub const UNATTACHED_RETENTION_MS: i64 = 24 * 3600 * 1000;
/// Time between passes.
const INTERVAL: Duration = Duration::from_secs(3600);
/// Rows (or files) handled per step.
const BATCH: i64 = 200;

/// What one pass removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Cleaned {
    /// Unattached media rows (their files are deleted by jobs).
    pub media: u64,
    /// Raw upload files no row referred to.
    pub uploads: u64,
    /// Cached remote media evicted (`media_cache_retention_days`).
    pub evicted: u64,
}

/// Removes unattached media created before `now - UNATTACHED_RETENTION_MS`, and raw uploads
/// older than that which no row names.
pub async fn run(state: &AppState, now: i64) -> anyhow::Result<Cleaned> {
    let cutoff = now - UNATTACHED_RETENTION_MS;
    let mut cleaned = Cleaned::default();
    loop {
        let mut tx = state.db.begin().await?;
        let rows = repo::unattached_before(tx.conn(), cutoff, BATCH).await?;
        for m in &rows {
            super::remove(tx.conn(), m).await?;
        }
        tx.commit().await?;
        cleaned.media += rows.len() as u64;
        if rows.len() < BATCH as usize {
            break;
        }
    }
    state.wake_workers();
    let store = state.media()?;
    let old = store
        .list_older(Area::Uploads, cutoff, BATCH as usize)
        .await?;
    let names: Vec<String> = old.iter().map(|k| k.as_str().to_owned()).collect();
    let in_use = {
        let mut h = state.db.read().await?;
        repo::uploads_in_use(h.conn(), &names).await?
    };
    for k in old
        .iter()
        .filter(|k| !in_use.iter().any(|u| u == k.as_str()))
    {
        store.delete(k).await?;
        cleaned.uploads += 1;
    }
    let days = state.config.media_cache_retention_days;
    if days > 0 {
        let cutoff = now - (days as i64) * 24 * 3600 * 1000;
        loop {
            let n = super::remote::evict(state, cutoff, BATCH).await?;
            cleaned.evicted += n as u64;
            if n < BATCH as usize {
                break;
            }
        }
    }
    Ok(cleaned)
}

/// Starts the hourly cleanup (first pass at start-up); it stops when `shutdown` is cancelled.
pub fn spawn(state: AppState, shutdown: CancellationToken) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            match run(&state, now_ms()).await {
                Ok(c) if c != Cleaned::default() => tracing::info!(?c, "removed unused media"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %format!("{e:#}"), "media cleanup failed"),
            }
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = tokio::time::sleep(INTERVAL) => {}
            }
        }
    })
}
