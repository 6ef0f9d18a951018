//! `AppState`: everything a request handler or a job needs, shared behind one `Arc`.

use std::ops::Deref;
use std::sync::{Arc, OnceLock};

use tokio::sync::Notify;

use crate::api::ratelimit::RateLimiter;
use crate::config::Config;
use crate::db::Db;
use crate::federation::client::{FedClient, FetchError};
use crate::federation::key_failures::KeyFailures;
use crate::media::MediaStore;
use crate::service::domain_blocks::DomainBlockCache;
use crate::service::hydrate::{Render, RenderCache};
use crate::streaming::BusHandle;

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
    /// The suspended domains, cached (see `service::domain_blocks`).
    pub domain_blocks: DomainBlockCache,
    /// Rendered statuses and accounts (see `service::hydrate::cache`).
    pub render_cache: RenderCache,
    /// Signing keys whose fetch failed recently (not fetched again for a while).
    pub key_failures: KeyFailures,
    /// The outbound federation client, built on first use (see [`AppState::fed_client`]).
    fed_client: OnceLock<FedClient>,
    /// The media store, opened on first use (see [`AppState::media`]).
    media: OnceLock<MediaStore>,
    /// This process's open streams (see `api::streaming`).
    pub streams: crate::api::streaming::hub::Hub,
    /// The event bus, connected when the server starts (see [`AppState::bus`]).
    bus: OnceLock<BusHandle>,
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
            domain_blocks: DomainBlockCache::default(),
            render_cache: RenderCache::new(config.render_cache_mb),
            key_failures: KeyFailures::default(),
            fed_client: OnceLock::new(),
            media: OnceLock::new(),
            streams: Default::default(),
            bus: OnceLock::new(),
            config,
        }))
    }
}

impl AppState {
    /// The one outbound HTTP client for federation (shared connection pools), built from the
    /// configuration the first time it is needed.
    pub fn fed_client(&self) -> Result<FedClient, FetchError> {
        if let Some(client) = self.fed_client.get() {
            return Ok(client.clone());
        }
        let client = FedClient::new(&self.config)?;
        Ok(self.fed_client.get_or_init(|| client).clone())
    }
}

impl AppState {
    /// The media store (a local directory or an S3-compatible bucket), opened the first time
    /// it is needed.
    pub fn media(&self) -> anyhow::Result<&MediaStore> {
        if let Some(store) = self.media.get() {
            return Ok(store);
        }
        let store = MediaStore::open(&self.config)?;
        Ok(self.media.get_or_init(|| store))
    }
}

impl AppState {
    /// What `service::hydrate::statuses` needs to render statuses.
    pub fn render(&self) -> Render<'_> {
        Render {
            cfg: &self.config,
            cache: &self.render_cache,
        }
    }
}

impl AppState {
    /// Where committed streaming events go: the bus connected by the server, or nowhere in
    /// a process that serves no streams (the command line).
    pub fn bus(&self) -> BusHandle {
        self.bus.get().cloned().unwrap_or_else(BusHandle::none)
    }

    /// Sets the bus (once, when the server starts).
    pub fn set_bus(&self, bus: BusHandle) {
        let _ = self.bus.set(bus);
    }
}

impl Deref for AppState {
    type Target = Inner;

    fn deref(&self) -> &Inner {
        &self.0
    }
}
