//! `AppState`: everything a request handler or a job needs, shared behind one `Arc`.

use std::ops::Deref;
use std::sync::Arc;

use tokio::sync::Notify;

use crate::api::ratelimit::RateLimiter;
use crate::config::Config;
use crate::db::Db;

/// Shared server state; cheap to clone.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

/// The contents of [`AppState`].
pub struct Inner {
    /// Loaded configuration.
    pub config: Config,
    /// The instance's domain as used in handles (`host[:port]`).
    pub domain: String,
    /// Database pool.
    pub db: Db,
    /// Wakes the job workers when a job is enqueued on this node.
    pub jobs_notify: Notify,
    /// Request counters for rate limiting.
    pub rate_limiter: RateLimiter,
}

impl AppState {
    /// Builds the state from a configuration and an open database.
    pub fn new(config: Config, db: Db) -> AppState {
        let domain = config.domain();
        AppState(Arc::new(Inner {
            domain,
            db,
            jobs_notify: Notify::new(),
            rate_limiter: RateLimiter::new(),
            config,
        }))
    }
}

impl Deref for AppState {
    type Target = Inner;

    fn deref(&self) -> &Inner {
        &self.0
    }
}
