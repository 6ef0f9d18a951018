//! A negative cache for signing-key fetches: a `keyId` whose fetch failed is not fetched again
//! for [`NEGATIVE_TTL_MS`], and a host whose key fetches keep failing without answering
//! (network errors, timeouts, 5xx: [`HOST_FAILURE_LIMIT`] distinct keys in one window) is not
//! asked for any unknown key until the window ends. So a flood of deliveries signed with
//! unknown or unreachable keys costs at most one fetch per key and a handful per host every
//! few minutes (the inbox's per-IP rate limit bounds the rest). In memory, per process,
//! bounded to [`MAX_ENTRIES`] keys and hosts.

use std::collections::HashMap;

use parking_lot::Mutex;
use reqwest::StatusCode;

use super::vocab::origin_of;

/// How long a failed key fetch is remembered (5 minutes).
pub const NEGATIVE_TTL_MS: i64 = 5 * 60_000;
/// Failed key fetches from one unresponsive host, per window, after which the host is not
/// asked again until the window ends.
pub const HOST_FAILURE_LIMIT: u32 = 5;
/// Most keys (and, separately, hosts) remembered; beyond it, expired entries are dropped
/// and, if none expired, new failures are not remembered (the rate limit still applies).
pub const MAX_ENTRIES: usize = 50_000;

/// Why a key is not fetched now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The key's own fetch failed recently, answering this status (404, 410…) if any.
    Key(Option<StatusCode>),
    /// Its host failed too many key fetches recently.
    Host,
}

#[derive(Default)]
struct Inner {
    /// key id → (remembered until, the status the fetch answered)
    keys: HashMap<String, (i64, Option<StatusCode>)>,
    /// host → (window start, failures in the window)
    hosts: HashMap<String, (i64, u32)>,
}

/// The negative cache (one per process, in `AppState`).
#[derive(Default)]
pub struct KeyFailures {
    inner: Mutex<Inner>,
}

impl KeyFailures {
    /// Whether `key_id` may be fetched at `now` (unix ms), or why not.
    pub fn check(&self, key_id: &str, now: i64) -> Result<(), Refusal> {
        let inner = self.inner.lock();
        if let Some((until, status)) = inner.keys.get(key_id)
            && *until > now
        {
            return Err(Refusal::Key(*status));
        }
        if let Some(host) = origin_of(key_id)
            && let Some((start, n)) = inner.hosts.get(&host)
            && *start + NEGATIVE_TTL_MS > now
            && *n >= HOST_FAILURE_LIMIT
        {
            return Err(Refusal::Host);
        }
        Ok(())
    }

    /// Records that fetching `key_id` failed at `now`; `status` is the HTTP status the host
    /// answered, if it answered. A 4xx answer shows the host is up: it does not count
    /// against the host.
    pub fn failed(&self, key_id: &str, status: Option<StatusCode>, now: i64) {
        let mut inner = self.inner.lock();
        if inner.keys.len() >= MAX_ENTRIES {
            inner.keys.retain(|_, (until, _)| *until > now);
        }
        if inner.keys.len() < MAX_ENTRIES || inner.keys.contains_key(key_id) {
            inner
                .keys
                .insert(key_id.to_owned(), (now + NEGATIVE_TTL_MS, status));
        }
        let host_down = status.is_none_or(|s| !s.is_client_error());
        if let Some(host) = origin_of(key_id).filter(|_| host_down) {
            if inner.hosts.len() >= MAX_ENTRIES {
                inner
                    .hosts
                    .retain(|_, (start, _)| *start + NEGATIVE_TTL_MS > now);
            }
            if inner.hosts.len() < MAX_ENTRIES || inner.hosts.contains_key(&host) {
                let entry = inner.hosts.entry(host).or_insert((now, 0));
                if entry.0 + NEGATIVE_TTL_MS <= now {
                    *entry = (now, 0);
                }
                entry.1 = entry.1.saturating_add(1);
            }
        }
    }

    /// Records that `key_id` was fetched: it and its host are forgotten.
    pub fn succeeded(&self, key_id: &str) {
        let mut inner = self.inner.lock();
        inner.keys.remove(key_id);
        if let Some(host) = origin_of(key_id) {
            inner.hosts.remove(&host);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_key_waits_out_its_ttl() {
        let f = KeyFailures::default();
        let k = "https://a.example/users/x#main-key";
        assert_eq!(f.check(k, 0), Ok(()));
        f.failed(k, Some(StatusCode::GONE), 0);
        assert_eq!(f.check(k, 1), Err(Refusal::Key(Some(StatusCode::GONE))));
        assert_eq!(f.check("https://a.example/users/y#main-key", 1), Ok(()));
        assert_eq!(f.check(k, NEGATIVE_TTL_MS), Ok(()));
        f.failed(k, None, NEGATIVE_TTL_MS);
        f.succeeded(k);
        assert_eq!(f.check(k, NEGATIVE_TTL_MS + 1), Ok(()));
    }

    #[test]
    fn an_unresponsive_host_is_skipped_after_a_few_keys() {
        let f = KeyFailures::default();
        let key = |i: u32| format!("https://down.example/users/u{i}#main-key");
        for i in 0..HOST_FAILURE_LIMIT {
            assert_eq!(f.check(&key(i + 100), 10), Ok(()));
            f.failed(&key(i), None, 10);
        }
        assert_eq!(f.check(&key(999), 11), Err(Refusal::Host));
        assert_eq!(f.check("https://up.example/users/a#main-key", 11), Ok(()));
        // 404s do not count against a host.
        for i in 0..(HOST_FAILURE_LIMIT * 2) {
            f.failed(
                &format!("https://up.example/users/{i}#main-key"),
                Some(StatusCode::NOT_FOUND),
                10,
            );
        }
        assert_eq!(f.check("https://up.example/users/new#main-key", 11), Ok(()));
        // The window ends.
        assert_eq!(f.check(&key(999), 10 + NEGATIVE_TTL_MS), Ok(()));
    }

    #[test]
    fn memory_is_bounded() {
        let f = KeyFailures::default();
        for i in 0..(MAX_ENTRIES + 10) {
            f.failed(&format!("https://h{i}.example/k"), None, 0);
        }
        let inner = f.inner.lock();
        assert!(inner.keys.len() <= MAX_ENTRIES);
        assert!(inner.hosts.len() <= MAX_ENTRIES);
    }
}
