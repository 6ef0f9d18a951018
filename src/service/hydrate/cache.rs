//! The render cache: serialised `StatusCore`s and `Account`s, each stored with the version
//! it was rendered from.
//!
//! Entries are never invalidated explicitly. Every page load reads the current versions from
//! the database ([`crate::db::hydration::status_keys`]) and an entry is used only when its
//! version is equal, so the cache can never show anything older than the database, on one
//! node or on many. A version is made of the columns that change whenever something shown
//! changes: `updated_at` (edits, profile updates, refetched remote actors) and the counters.
//! Memory is bounded by bytes (S3-FIFO eviction, `quick_cache`).

use std::sync::Arc;

use quick_cache::Weighter;
use quick_cache::sync::Cache;

use super::poll::PollPart;
use crate::db::hydration::StatusKey;

/// What a rendered status depends on, besides its id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusVersion {
    updated_at: i64,
    edited_at: Option<i64>,
    replies: i64,
    reblogs: i64,
    favourites: i64,
}

/// What a rendered account depends on, besides its id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccountVersion {
    updated_at: i64,
    statuses: i64,
    followers: i64,
    following: i64,
    last_status_at: Option<i64>,
    suspended_at: Option<i64>,
}

impl StatusKey {
    /// The version of the status's own rendering.
    pub fn version(&self) -> StatusVersion {
        StatusVersion {
            updated_at: self.updated_at,
            edited_at: self.edited_at,
            replies: self.replies_count,
            reblogs: self.reblogs_count,
            favourites: self.favourites_count,
        }
    }

    /// The version of its author's rendering.
    pub fn author_version(&self) -> AccountVersion {
        AccountVersion {
            updated_at: self.author_updated_at,
            statuses: self.author_statuses_count,
            followers: self.author_followers_count,
            following: self.author_following_count,
            last_status_at: self.author_last_status_at,
            suspended_at: self.author_suspended_at,
        }
    }
}

/// One rendering and the version it was made from.
#[derive(Debug)]
pub struct Entry<V> {
    version: V,
    /// The serialised JSON object.
    pub json: Box<str>,
    /// A status's poll: what every reader sees of it (the rest is written per reader).
    pub poll: Option<Box<PollPart>>,
}

/// Weighs entries by their size in bytes (plus bookkeeping).
#[derive(Clone)]
struct Bytes;

impl<V> Weighter<i64, Arc<Entry<V>>> for Bytes {
    fn weight(&self, _key: &i64, val: &Arc<Entry<V>>) -> u64 {
        val.json.len() as u64 + val.poll.as_ref().map_or(0, |p| p.weight()) + 64
    }
}

/// A byte-bounded map from id to the latest rendering seen.
struct Renderings<V> {
    map: Option<Cache<i64, Arc<Entry<V>>, Bytes>>,
}

impl<V: Copy + PartialEq> Renderings<V> {
    fn new(bytes: u64, typical_size: u64) -> Self {
        let map = (bytes > 0).then(|| {
            let items = (bytes / typical_size).max(16) as usize;
            Cache::with_weighter(items, bytes, Bytes)
        });
        Renderings { map }
    }

    fn get(&self, id: i64, version: V) -> Option<Arc<Entry<V>>> {
        self.map.as_ref()?.get(&id).filter(|e| e.version == version)
    }

    fn put(&self, id: i64, version: V, json: String, poll: Option<PollPart>) -> Arc<Entry<V>> {
        let entry = Arc::new(Entry {
            version,
            json: json.into_boxed_str(),
            poll: poll.map(Box::new),
        });
        if let Some(map) = &self.map {
            map.insert(id, entry.clone());
        }
        entry
    }
}

/// The render cache of one server (one per `AppState`: ids are only unique per database).
pub struct RenderCache {
    statuses: Renderings<StatusVersion>,
    accounts: Renderings<AccountVersion>,
}

impl RenderCache {
    /// A cache using at most about `mib` MiB (0: no caching).
    pub fn new(mib: u64) -> RenderCache {
        let bytes = mib * 1024 * 1024;
        RenderCache {
            statuses: Renderings::new(bytes / 2, 1024),
            accounts: Renderings::new(bytes / 2, 1500),
        }
    }

    /// The cached rendering of status `id`, if it is of `version`.
    pub fn status(&self, id: i64, version: StatusVersion) -> Option<Arc<Entry<StatusVersion>>> {
        self.statuses.get(id, version)
    }

    /// Stores a status's rendering and returns it.
    pub fn put_status(
        &self,
        id: i64,
        version: StatusVersion,
        json: String,
    ) -> Arc<Entry<StatusVersion>> {
        self.statuses.put(id, version, json, None)
    }

    /// Stores a status's rendering with its poll and returns it.
    pub fn put_status_with_poll(
        &self,
        id: i64,
        version: StatusVersion,
        json: String,
        poll: Option<PollPart>,
    ) -> Arc<Entry<StatusVersion>> {
        self.statuses.put(id, version, json, poll)
    }

    /// The cached rendering of account `id`, if it is of `version`.
    pub fn account(&self, id: i64, version: AccountVersion) -> Option<Arc<Entry<AccountVersion>>> {
        self.accounts.get(id, version)
    }

    /// Stores an account's rendering and returns it.
    pub fn put_account(
        &self,
        id: i64,
        version: AccountVersion,
        json: String,
    ) -> Arc<Entry<AccountVersion>> {
        self.accounts.put(id, version, json, None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn version(favourites: i64) -> StatusVersion {
        StatusVersion {
            updated_at: 1,
            edited_at: None,
            replies: 0,
            reblogs: 0,
            favourites,
        }
    }

    #[test]
    fn only_the_same_version_is_a_hit() {
        let cache = RenderCache::new(1);
        assert!(cache.status(7, version(0)).is_none());
        cache.put_status(7, version(0), "{\"id\":\"7\"}".into());
        assert_eq!(
            &*cache.status(7, version(0)).unwrap().json,
            "{\"id\":\"7\"}"
        );
        assert!(cache.status(7, version(1)).is_none());
        cache.put_status(7, version(1), "{}".into());
        assert!(cache.status(7, version(0)).is_none());
        assert!(cache.status(7, version(1)).is_some());
    }

    #[test]
    fn a_zero_sized_cache_stores_nothing() {
        let cache = RenderCache::new(0);
        let e = cache.put_status(7, version(0), "{}".into());
        assert_eq!(&*e.json, "{}");
        assert!(cache.status(7, version(0)).is_none());
    }

    #[test]
    fn memory_is_bounded() {
        let cache = RenderCache::new(1);
        for id in 0..10_000 {
            cache.put_status(id, version(0), "x".repeat(1000));
        }
        let kept = (0..10_000)
            .filter(|id| cache.status(*id, version(0)).is_some())
            .count();
        assert!(kept > 100 && kept < 1000, "{kept} entries kept");
    }
}
