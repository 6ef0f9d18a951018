//! Mastodon-style 64-bit ids: `unix_ms << 16 | sequence`, time-ordered, rendered as strings.
//!
//! The sequence is a per-process counter seeded randomly, so ids made in the same
//! millisecond by one process are distinct and increasing, and two processes rarely collide
//! (a collision is a unique-key violation, never silent corruption).

use std::sync::atomic::{AtomicU64, Ordering};

use crate::time::now_ms;

static SEQUENCE: AtomicU64 = AtomicU64::new(0);
static LAST: AtomicU64 = AtomicU64::new(0);

/// A new id for a row created now.
pub fn next_id() -> i64 {
    // Monotonic within the process: never go below the last id handed out.
    let seq = SEQUENCE.fetch_add(1, Ordering::Relaxed);
    let seq = if seq == 0 {
        let seed: u64 = rand::random::<u16>() as u64;
        SEQUENCE.store(seed + 1, Ordering::Relaxed);
        seed
    } else {
        seq
    };
    let candidate = ((now_ms() as u64) << 16) | (seq & 0xffff);
    let mut last = LAST.load(Ordering::Relaxed);
    loop {
        let next = if candidate > last {
            candidate
        } else {
            last + 1
        };
        match LAST.compare_exchange_weak(last, next, Ordering::Relaxed, Ordering::Relaxed) {
            Ok(_) => return next as i64,
            Err(actual) => last = actual,
        }
    }
}

/// An id for a row whose logical time is `ms` (e.g. a remote status's `published`).
pub fn id_at(ms: i64) -> i64 {
    ((ms as u64) << 16 | (rand::random::<u16>() as u64)) as i64
}

/// The smallest id that could have been created at `ms`; used to turn times into cursors.
pub fn min_id_at(ms: i64) -> i64 {
    ((ms as u64) << 16) as i64
}

/// Parses an id from its string form; `None` for anything that is not a positive integer.
pub fn parse(s: &str) -> Option<i64> {
    s.parse::<i64>().ok().filter(|v| *v > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_strictly_increase_and_encode_time() {
        let before = now_ms();
        let mut prev = 0;
        for _ in 0..100_000 {
            let id = next_id();
            assert!(id > prev);
            prev = id;
        }
        assert!((prev >> 16) >= before);
        assert!((prev >> 16) <= now_ms() + 2);
    }

    #[test]
    fn parse_rejects_garbage() {
        assert_eq!(parse("123"), Some(123));
        assert_eq!(parse("-1"), None);
        assert_eq!(parse("abc"), None);
        assert_eq!(parse(""), None);
    }
}
