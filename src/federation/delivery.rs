//! The delivery worker: sends queued `deliveries` rows (see [`super::outbox`]) to remote
//! inboxes.
//!
//! - Claims due rows with a lease (`locked_until`, [`LEASE_MS`]), as `crate::jobs` does: a
//!   worker killed mid-send leaves rows whose lease expires, and they are sent again.
//!   Delivery is at least once; receivers deduplicate by activity id.
//! - Concurrency is bounded globally (`delivery_concurrency`) and per host
//!   (`delivery_per_host`, counted per worker process): a claim skips hosts already at their
//!   bound and takes at most the bound per host.
//! - Each request is signed at send time with the sender's key (`{actor}#main-key`).
//! - 2xx: done. 4xx other than 401/408/429: the server will never take it, dropped. Anything
//!   else, or no answer: retried on Mastodon's schedule ([`retry_delay_ms`], 17 attempts over
//!   about 2.5 days), never before the server's `Retry-After`.
//! - A host that failed on [`UNAVAILABLE_AFTER_DAYS`] distinct days is unavailable: its
//!   deliveries are dropped (and not queued) until a success, or
//!   [`super::outbox::host_reachable`] on an inbound exchange, clears it (Mastodon's
//!   `DeliveryFailureTracker` and `UnavailableDomain`).
//!
//! The worker runs beside the HTTP server on the same runtime; it never holds a database
//! transaction across a network request, and its database writes are single-row.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::{Notify, Semaphore};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::client::{DeliveryVerdict, FedClient, FetchError};
use super::keys::SigningKey;
use super::render::key_id;
use crate::db::{self, deliveries::Delivery};
use crate::state::AppState;
use crate::time::now_ms;

/// Attempts before a delivery is abandoned: the first and Mastodon's 16 retries.
pub const MAX_ATTEMPTS: i64 = 17;
/// Distinct days of failures after which a host is unavailable.
pub const UNAVAILABLE_AFTER_DAYS: i64 = 7;
/// How long a claimed delivery stays leased (well beyond the client's 30 s deadline).
pub const LEASE_MS: i64 = 5 * 60_000;
/// Longest `Retry-After` honoured (a larger one waits this long).
const MAX_RETRY_AFTER_MS: i64 = 24 * 3600 * 1000;
/// Due rows a claim looks at (so a claim costs the same however long the queue is).
const CLAIM_SCAN: i64 = 1000;
/// Activities kept decoded (body and parsed key) between claims.
const ACTIVITY_CACHE: usize = 256;
/// Longest idle sleep between polls for due deliveries.
const MAX_IDLE: Duration = Duration::from_secs(1);

/// The wait before the next attempt after `attempts` attempts (Mastodon's
/// `DeliveryWorker`: `count⁴ + 15 + rand(0.5·count⁴) + rand(10)·(count+1)` seconds with
/// `count = attempts - 1`), in units of `unit_ms` (1000 = seconds).
pub fn retry_delay_ms(attempts: i64, unit_ms: i64) -> i64 {
    let count = (attempts - 1).clamp(0, 30);
    let p = count.pow(4);
    let jitter = rand::random_range(0..=p / 2) + rand::random_range(0..10) * (count + 1);
    (p + 15 + jitter) * unit_ms
}

/// An activity ready to send.
struct Prepared {
    body: Bytes,
    key: SigningKey,
}

struct Worker {
    state: AppState,
    client: FedClient,
    per_host: usize,
    unit_ms: i64,
    global: Arc<Semaphore>,
    in_flight: Mutex<HashMap<String, usize>>,
    cache: Mutex<HashMap<i64, Arc<Prepared>>>,
    /// Signalled when a send finishes (capacity freed).
    done: Notify,
}

/// Starts the delivery worker; it stops (after in-flight sends finish) when `shutdown` is
/// cancelled.
pub fn spawn(state: AppState, shutdown: CancellationToken) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let client = match state.fed_client() {
            Ok(c) => c,
            Err(e) => {
                tracing::error!(error = %e, "delivery worker: no HTTP client; deliveries stay queued");
                return;
            }
        };
        let w = Arc::new(Worker {
            per_host: state.config.delivery_per_host,
            unit_ms: state.config.delivery_retry_unit_ms.max(1) as i64,
            global: Arc::new(Semaphore::new(state.config.delivery_concurrency)),
            in_flight: Mutex::new(HashMap::new()),
            cache: Mutex::new(HashMap::new()),
            done: Notify::new(),
            client,
            state,
        });
        let mut tasks = JoinSet::new();
        loop {
            let woken = w.state.jobs_notify.notified();
            let freed = w.done.notified();
            while tasks.try_join_next().is_some() {}
            let free = w.global.available_permits();
            let mut idle = MAX_IDLE;
            if free > 0 {
                match w.dispatch(free, &mut tasks).await {
                    Ok(n) if n > 0 => continue,
                    Ok(_) => idle = w.idle_for().await,
                    Err(e) => tracing::error!(error = %format!("{e:#}"), "delivery worker error"),
                }
            }
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = woken => {}
                _ = freed => {}
                _ = tokio::time::sleep(idle) => {}
            }
        }
        while tasks.join_next().await.is_some() {}
    })
}

impl Worker {
    /// How long to sleep when nothing is due: until the next row comes due, at most
    /// [`MAX_IDLE`] (rows queued by other nodes are found by polling).
    async fn idle_for(&self) -> Duration {
        let next = match self.state.db.read().await {
            Ok(mut h) => db::deliveries::next_run_at(h.conn()).await.ok().flatten(),
            Err(_) => None,
        };
        match next {
            Some(at) => Duration::from_millis((at - now_ms()).clamp(5, 1000) as u64),
            None => MAX_IDLE,
        }
    }

    /// Claims up to `free` due deliveries and starts sending them; returns how many started.
    async fn dispatch(
        self: &Arc<Self>,
        free: usize,
        tasks: &mut JoinSet<()>,
    ) -> anyhow::Result<usize> {
        let saturated: Vec<String> = self
            .in_flight
            .lock()
            .expect("in-flight lock")
            .iter()
            .filter(|(_, n)| **n >= self.per_host)
            .map(|(h, _)| h.clone())
            .collect();
        let claimed = {
            let mut tx = self.state.db.begin().await?;
            let rows = db::deliveries::claim(
                tx.conn(),
                now_ms(),
                LEASE_MS,
                self.per_host as i64,
                free as i64,
                CLAIM_SCAN,
                &saturated,
            )
            .await?;
            tx.commit().await?;
            rows
        };
        if claimed.is_empty() {
            return Ok(0);
        }
        // Keep what fits each host's bound (other sends to the host may be in flight).
        let (mut keep, mut give_back) = (Vec::new(), Vec::new());
        {
            let mut in_flight = self.in_flight.lock().expect("in-flight lock");
            for row in claimed {
                let n = in_flight.entry(row.host.clone()).or_default();
                if *n < self.per_host {
                    *n += 1;
                    keep.push(row);
                } else {
                    give_back.push(row);
                }
            }
        }
        if !give_back.is_empty() {
            let mut tx = self.state.db.begin().await?;
            for row in &give_back {
                db::deliveries::unclaim(tx.conn(), row.id).await?;
            }
            tx.commit().await?;
        }
        let prepared = match self.prepare(&keep).await {
            Ok(p) => p,
            Err(e) => {
                for row in &keep {
                    self.release(&row.host);
                }
                return Err(e);
            }
        };
        let (unavailable, started) = (prepared.1, keep.len());
        for row in keep {
            let activity = prepared.0.get(&row.activity_id).cloned();
            let unavailable = unavailable.contains(&row.host);
            let permit = self.global.clone().try_acquire_owned();
            let w = self.clone();
            tasks.spawn(async move {
                let _permit = permit;
                let host = row.host.clone();
                let result = match activity {
                    _ if unavailable => w.drop_row(&row, "host unavailable or blocked").await,
                    None => w.drop_row(&row, "activity or sender gone").await,
                    Some(a) => w.send(&row, &a).await,
                };
                if let Err(e) = result {
                    // The lease expires and the delivery is tried again.
                    tracing::error!(delivery = row.id, error = %format!("{e:#}"), "recording a delivery failed");
                }
                w.release(&host);
                w.done.notify_one();
            });
        }
        Ok(started)
    }

    fn release(&self, host: &str) {
        let mut in_flight = self.in_flight.lock().expect("in-flight lock");
        if let Some(n) = in_flight.get_mut(host) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                in_flight.remove(host);
            }
        }
    }

    /// The activities of `rows` (cached, or loaded and decoded) and the unavailable or
    /// blocked (suspended domain) hosts among theirs.
    async fn prepare(
        &self,
        rows: &[Delivery],
    ) -> anyhow::Result<(HashMap<i64, Arc<Prepared>>, HashSet<String>)> {
        let mut out = HashMap::new();
        let mut missing = Vec::new();
        {
            let cache = self.cache.lock().expect("cache lock");
            for r in rows {
                match cache.get(&r.activity_id) {
                    Some(p) => {
                        out.insert(r.activity_id, p.clone());
                    }
                    None if !missing.contains(&r.activity_id) => missing.push(r.activity_id),
                    None => {}
                }
            }
        }
        let mut hosts: Vec<String> = rows.iter().map(|r| r.host.clone()).collect();
        hosts.sort();
        hosts.dedup();
        let mut h = self.state.db.read().await?;
        let mut unavailable = db::deliveries::unavailable_among(h.conn(), &hosts).await?;
        let loaded = db::deliveries::activities(h.conn(), &missing).await?;
        drop(h);
        // A suspended domain gets nothing, whenever its deliveries were queued.
        for host in hosts {
            if crate::service::domain_blocks::is_blocked(&self.state, &host).await? {
                unavailable.insert(host);
            }
        }
        let mut cache = self.cache.lock().expect("cache lock");
        if cache.len() + loaded.len() > ACTIVITY_CACHE {
            cache.clear();
        }
        for a in loaded {
            let key = match (&a.sender_uri, &a.private_key_pem) {
                (Some(uri), Some(pem)) => match SigningKey::from_pem(key_id(uri), pem) {
                    Ok(k) => Some(k),
                    Err(e) => {
                        tracing::error!(activity = a.id, error = %e, "unusable sender key");
                        None
                    }
                },
                _ => None,
            };
            let Some(key) = key else { continue };
            let p = Arc::new(Prepared {
                body: Bytes::from(a.payload),
                key,
            });
            cache.insert(a.id, p.clone());
            out.insert(a.id, p);
        }
        Ok((out, unavailable))
    }

    /// Deletes a delivery that will not be attempted.
    async fn drop_row(&self, row: &Delivery, why: &str) -> anyhow::Result<()> {
        tracing::info!(inbox = %row.inbox_url, reason = why, "delivery dropped");
        let mut tx = self.state.db.begin().await?;
        db::deliveries::complete(tx.conn(), row.id).await?;
        db::deliveries::delete_activity_if_done(tx.conn(), row.activity_id).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Sends one delivery and records the outcome.
    async fn send(&self, row: &Delivery, a: &Prepared) -> anyhow::Result<()> {
        let result = self
            .client
            .post_activity(&row.inbox_url, a.body.clone(), &a.key)
            .await;
        let now = now_ms();
        let (done, host_ok, retry_after, error) = match result {
            Ok(o) => match o.verdict() {
                DeliveryVerdict::Delivered => (true, true, None, String::new()),
                DeliveryVerdict::Rejected => {
                    tracing::info!(inbox = %row.inbox_url, status = %o.status, "delivery refused permanently");
                    (true, true, None, String::new())
                }
                DeliveryVerdict::Retry => (
                    false,
                    false,
                    o.retry_after,
                    format!("HTTP status {}", o.status),
                ),
            },
            // Requests that can never be made: not worth retrying, not the host's fault.
            Err(
                e @ (FetchError::InvalidUrl(_)
                | FetchError::SchemeNotAllowed(_)
                | FetchError::BlockedAddress(_)),
            ) => {
                tracing::info!(inbox = %row.inbox_url, error = %e, "delivery impossible");
                (true, false, None, String::new())
            }
            Err(e) => (false, false, None, e.to_string()),
        };
        let mut tx = self.state.db.begin().await?;
        if done {
            db::deliveries::complete(tx.conn(), row.id).await?;
            if host_ok {
                db::deliveries::host_succeeded(tx.conn(), &row.host).await?;
            }
        } else {
            let day = now.div_euclid(86_400_000);
            let unavailable =
                db::deliveries::host_failed(tx.conn(), &row.host, day, now, UNAVAILABLE_AFTER_DAYS)
                    .await?;
            if unavailable || row.attempts >= MAX_ATTEMPTS {
                tracing::warn!(inbox = %row.inbox_url, attempts = row.attempts, unavailable, error = %error, "delivery abandoned");
                db::deliveries::complete(tx.conn(), row.id).await?;
            } else {
                let backoff = retry_delay_ms(row.attempts, self.unit_ms);
                let asked = retry_after.map_or(0, |d| {
                    i64::try_from(d.as_millis())
                        .unwrap_or(i64::MAX)
                        .min(MAX_RETRY_AFTER_MS)
                });
                tracing::debug!(inbox = %row.inbox_url, attempt = row.attempts, error = %error, "delivery failed; will retry");
                db::deliveries::retry(tx.conn(), row.id, now + backoff.max(asked), &error).await?;
            }
        }
        db::deliveries::delete_activity_if_done(tx.conn(), row.activity_id).await?;
        tx.commit().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedule_matches_mastodons_envelope() {
        // 16 waits between 17 attempts: at least 2.06 days, at most about 3.1 days.
        for _ in 0..50 {
            let total: i64 = (1..MAX_ATTEMPTS).map(|a| retry_delay_ms(a, 1000)).sum();
            let days = total as f64 / 86_400_000.0;
            assert!((2.0..3.2).contains(&days), "{days} days");
        }
        let first = retry_delay_ms(1, 1000);
        assert!((15_000..=24_000).contains(&first), "{first}");
        // The last wait is about 14 hours.
        let last = retry_delay_ms(MAX_ATTEMPTS - 1, 1000);
        assert!(last > 14 * 3600 * 1000 && last < 22 * 3600 * 1000, "{last}");
    }
}
