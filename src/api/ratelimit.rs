//! Rate limits as Mastodon sets them: fixed windows per account and per IP, with
//! `X-RateLimit-Limit`, `X-RateLimit-Remaining` and `X-RateLimit-Reset` headers and 429 when
//! exhausted. Loopback clients are exempt, as in Mastodon. Counters are per process.

use std::collections::HashMap;
use std::net::IpAddr;

use parking_lot::Mutex;

use crate::time::now_ms;

/// A fixed-window counter store.
pub struct RateLimiter {
    windows: Mutex<HashMap<String, (i64, u32)>>,
}

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
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// Counts a request against `key` in windows of `period_ms`, allowing `limit` per window.
    pub fn hit(&self, key: &str, limit: u32, period_ms: i64) -> Decision {
        let now = now_ms();
        let window_start = now - now.rem_euclid(period_ms);
        let mut map = self.windows.lock();
        if map.len() > 100_000 {
            map.retain(|_, (start, _)| *start >= window_start);
        }
        let entry = map.entry(key.to_owned()).or_insert((window_start, 0));
        if entry.0 != window_start {
            *entry = (window_start, 0);
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
