//! Rate limits as Mastodon sets them: fixed windows per account and per IP, with
//! `X-RateLimit-Limit`, `X-RateLimit-Remaining` and `X-RateLimit-Reset` headers and 429 when
//! exhausted. Loopback clients are exempt, as in Mastodon. Counters are per process.

use std::collections::HashMap;
use std::net::IpAddr;

use parking_lot::Mutex;

use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::time::now_ms;

/// A fixed-window counter store.
pub struct RateLimiter {
    windows: Mutex<Windows>,
}

/// Counters plus when they were last pruned.
struct Windows {
    /// key → (window start, count, window length)
    counts: HashMap<String, (i64, u32, i64)>,
    pruned_at: i64,
}

/// Most keys tracked at once; beyond it new keys are not tracked until the next prune (the
/// per-IP limit, counted first, still applies), so memory stays bounded.
const MAX_KEYS: usize = 200_000;

/// The outcome of counting one request.
#[derive(Debug, Clone, Copy)]
pub struct Decision {
    /// Whether the request may proceed.
    pub allowed: bool,
    /// The window's allowance.
    pub limit: u32,
    /// Requests left in the window.
    pub remaining: u32,
    /// When the window resets (unix ms).
    pub reset_at: i64,
}

impl Default for RateLimiter {
    fn default() -> Self {
        Self::new()
    }
}

impl RateLimiter {
    /// An empty limiter.
    pub fn new() -> RateLimiter {
        RateLimiter {
            windows: Mutex::new(Windows {
                counts: HashMap::new(),
                pruned_at: 0,
            }),
        }
    }

    /// Counts a request against `key` in windows of `period_ms`, allowing `limit` per window.
    pub fn hit(&self, key: &str, limit: u32, period_ms: i64) -> Decision {
        let now = now_ms();
        let window_start = now - now.rem_euclid(period_ms);
        let mut w = self.windows.lock();
        // Drop expired windows at most once a second, never on every request.
        if w.counts.len() >= MAX_KEYS / 2 && now - w.pruned_at > 1000 {
            w.counts
                .retain(|_, (start, _, period)| *start + *period > now);
            w.pruned_at = now;
        }
        if w.counts.len() >= MAX_KEYS && !w.counts.contains_key(key) {
            return Decision {
                allowed: true,
                limit,
                remaining: limit,
                reset_at: window_start + period_ms,
            };
        }
        let entry = w
            .counts
            .entry(key.to_owned())
            .or_insert((window_start, 0, period_ms));
        if entry.0 != window_start {
            *entry = (window_start, 0, period_ms);
        }
        entry.1 = entry.1.saturating_add(1);
        Decision {
            allowed: entry.1 <= limit,
            limit,
            remaining: limit.saturating_sub(entry.1),
            reset_at: window_start + period_ms,
        }
    }
}

/// Deletions (of statuses and of boosts) allowed per account per window, as in Mastodon
/// (`throttle_api_delete`: 30 per 30 minutes): deleting re-federates and rewrites feeds.
pub const DELETES_PER_WINDOW: u32 = 30;
/// The window of [`DELETES_PER_WINDOW`].
pub const DELETE_WINDOW_MS: i64 = 30 * 60_000;

/// Counts one deletion by `account_id` (when the client is rate-limited at all) and refuses
/// it with 429 beyond [`DELETES_PER_WINDOW`] per [`DELETE_WINDOW_MS`].
pub fn check_delete(state: &AppState, ip: IpAddr, account_id: i64) -> AppResult<()> {
    if !state.config.rate_limited(ip) {
        return Ok(());
    }
    let d = state.rate_limiter.hit(
        &format!("delete:{account_id}"),
        DELETES_PER_WINDOW,
        DELETE_WINDOW_MS,
    );
    if d.allowed {
        Ok(())
    } else {
        Err(AppError::TooManyRequests)
    }
}

/// The window of the inbox limit (`inbox_rate_limit` deliveries per IP).
pub const INBOX_WINDOW_MS: i64 = 5 * 60_000;

/// Counts one inbox POST from `ip` (when the client is rate-limited at all); beyond
/// `inbox_rate_limit` per [`INBOX_WINDOW_MS`] it is refused with the seconds until the
/// window resets (for `Retry-After`).
pub fn check_inbox(state: &AppState, ip: IpAddr) -> Result<(), i64> {
    if !state.config.rate_limited(ip) {
        return Ok(());
    }
    let d = state.rate_limiter.hit(
        &format!("inbox:{ip}"),
        state.config.inbox_rate_limit,
        INBOX_WINDOW_MS,
    );
    if d.allowed {
        Ok(())
    } else {
        Err(((d.reset_at - now_ms()) / 1000).max(1))
    }
}

/// Whether an address is exempt from rate limits (loopback, as in Mastodon).
pub fn exempt(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_loopback(),
        IpAddr::V6(v6) => v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v| v.is_loopback()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_is_bounded() {
        let rl = RateLimiter::new();
        for i in 0..(MAX_KEYS + 10) {
            rl.hit(&format!("k{i}"), 5, 300_000);
        }
        assert!(rl.windows.lock().counts.len() <= MAX_KEYS);
        // Untracked keys are let through (the per-IP limit still applies upstream).
        assert!(rl.hit("fresh", 1, 300_000).allowed);
    }

    #[test]
    fn window_counts_down_then_refuses() {
        let rl = RateLimiter::new();
        let d = rl.hit("k", 2, 300_000);
        assert!(d.allowed && d.remaining == 1);
        assert!(rl.hit("k", 2, 300_000).allowed);
        let d = rl.hit("k", 2, 300_000);
        assert!(!d.allowed && d.remaining == 0);
        assert!(rl.hit("other", 2, 300_000).allowed);
    }
}
