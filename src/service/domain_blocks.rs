//! Domain blocks (Mastodon's admin domain blocks), and the one place that decides whether a
//! host is cut off: [`is_blocked`].
//!
//! A block names a domain and covers it and all its subdomains (`example.com` covers
//! `social.example.com`), as Mastodon's `DomainBlock.rule_for` does; a block naming a port
//! (`127.0.0.3:8080`, for tests and private networks) covers that authority only, and a block
//! without one covers every port. Only `suspend` blocks cut a domain off: the inbox refuses
//! its deliveries, the resolver fetches nothing from it, deliveries to it are dropped, and
//! its signatures open nothing on signed fetches. `silence` and `noop` are stored and listed.
//!
//! The list is small and read on every inbox POST, so it is cached in memory
//! ([`DomainBlockCache`], in `AppState`): changes made through the service invalidate it at
//! once; changes made by another process (the `woolly domains` CLI against a running server)
//! are seen within [`RELOAD_AFTER`].

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::db::Db;
use crate::db::domain_blocks::{self as repo, DomainBlock};
use crate::federation::vocab::origin_of;
use crate::id::next_id;
use crate::state::AppState;
use crate::time::now_ms;

/// How long the in-memory list is trusted before it is read again.
pub const RELOAD_AFTER: Duration = Duration::from_secs(10);

/// Severities of a domain block.
pub const SEVERITIES: [&str; 3] = ["silence", "suspend", "noop"];

/// Why a block could not be changed.
#[derive(Debug, thiserror::Error)]
pub enum DomainBlockError {
    /// The domain is not a host name (or `host:port`).
    #[error("invalid domain")]
    InvalidDomain,
    /// The severity is not `silence`, `suspend` or `noop`.
    #[error("invalid severity")]
    InvalidSeverity,
    /// Storage failed.
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// What an operator asks for when blocking a domain.
#[derive(Debug, Clone)]
pub struct NewBlock {
    /// The domain, as typed (normalised here).
    pub domain: String,
    /// `silence`, `suspend` or `noop`.
    pub severity: String,
    /// Reject media files from the domain.
    pub reject_media: bool,
    /// Ignore reports from the domain.
    pub reject_reports: bool,
    /// Note for moderators.
    pub private_comment: Option<String>,
    /// Reason shown publicly.
    pub public_comment: Option<String>,
    /// Obfuscate the domain name in public lists.
    pub obfuscate: bool,
}

impl NewBlock {
    /// A block of `domain` with `severity` and no other option.
    pub fn new(domain: &str, severity: &str) -> NewBlock {
        NewBlock {
            domain: domain.to_owned(),
            severity: severity.to_owned(),
            reject_media: false,
            reject_reports: false,
            private_comment: None,
            public_comment: None,
            obfuscate: false,
        }
    }
}

/// The loaded list.
#[derive(Debug, Default)]
struct Loaded {
    /// Domains (and `host:port` authorities) under a `suspend` block.
    suspended: HashSet<String>,
}

/// The in-memory copy of the suspended domains.
#[derive(Debug, Default)]
pub struct DomainBlockCache {
    inner: parking_lot::RwLock<Option<(Instant, Arc<Loaded>)>>,
}

impl DomainBlockCache {
    /// Forgets the loaded list; the next check reads it again.
    pub fn invalidate(&self) {
        *self.inner.write() = None;
    }

    async fn loaded(&self, db: &Db) -> Result<Arc<Loaded>, sqlx::Error> {
        if let Some((at, l)) = self.inner.read().as_ref()
            && at.elapsed() < RELOAD_AFTER
        {
            return Ok(l.clone());
        }
        let rows = {
            let mut h = db.read().await?;
            repo::all(h.conn()).await?
        };
        let loaded = Arc::new(Loaded {
            suspended: rows
                .into_iter()
                .filter(|b| b.severity == "suspend")
                .map(|b| b.domain)
                .collect(),
        });
        *self.inner.write() = Some((Instant::now(), loaded.clone()));
        Ok(loaded)
    }
}

/// Normalises a domain as typed by an operator: lower case, IDN to ASCII, no trailing dot,
/// the port kept when given. `None` for anything that is not a host (paths, user info, URLs
/// with a scheme other than http(s) are refused; `https://host/` is accepted as `host`).
pub fn normalize(input: &str) -> Option<String> {
    let input = input.trim();
    let bare = input
        .strip_prefix("https://")
        .or_else(|| input.strip_prefix("http://"))
        .unwrap_or(input)
        .trim_end_matches('/');
    if bare.is_empty() || bare.contains(['/', '@', '?', '#', ' ', '*']) {
        return None;
    }
    origin_of(&format!("http://{bare}/")).filter(|d| !d.starts_with('.') && !d.contains(".."))
}

/// The authorities a block must name to cover `host` (`host[:port]`, lower case): the host
/// itself, then without its port, then each parent domain.
fn candidates(host: &str) -> Vec<String> {
    let host = host.trim().trim_end_matches('.').to_ascii_lowercase();
    let mut out = vec![host.clone()];
    let bare = if let Some(rest) = host.strip_prefix('[') {
        // IPv6 literal: `[…]` or `[…]:port`; no parents.
        let end = rest.find(']').map_or(host.len(), |i| i + 2);
        out.push(host[..end].to_owned());
        return out;
    } else {
        match host.rsplit_once(':') {
            Some((h, port)) if port.bytes().all(|b| b.is_ascii_digit()) => h.to_owned(),
            _ => host.clone(),
        }
    };
    let mut rest = bare.as_str();
    loop {
        out.push(rest.to_owned());
        match rest.split_once('.') {
            Some((_, parent)) if !parent.is_empty() => rest = parent,
            _ => break,
        }
    }
    out
}

/// Whether `host` (`host[:port]`) is covered by one of `blocked`.
fn covered(blocked: &HashSet<String>, host: &str) -> bool {
    !blocked.is_empty() && candidates(host).iter().any(|c| blocked.contains(c))
}

/// Whether `host` (`host[:port]`, as `vocab::origin_of` gives it) is under a `suspend` block,
/// itself or through a parent domain.
pub async fn is_blocked(state: &AppState, host: &str) -> Result<bool, sqlx::Error> {
    let loaded = state.domain_blocks.loaded(&state.db).await?;
    Ok(covered(&loaded.suspended, host))
}

/// Whether the host of `uri` is under a `suspend` block (see [`is_blocked`]); a URI
/// without a host is not.
pub async fn is_blocked_uri(state: &AppState, uri: &str) -> Result<bool, sqlx::Error> {
    match origin_of(uri) {
        Some(host) => is_blocked(state, &host).await,
        None => Ok(false),
    }
}

/// Every block, oldest first.
pub async fn list(db: &Db) -> Result<Vec<DomainBlock>, sqlx::Error> {
    let mut h = db.read().await?;
    repo::all(h.conn()).await
}

/// The block with `id`.
pub async fn get(db: &Db, id: i64) -> Result<Option<DomainBlock>, sqlx::Error> {
    let mut h = db.read().await?;
    repo::get(h.conn(), id).await
}

/// Blocks a domain, or changes the block it already has (Mastodon answers the second
/// creation with 422; the API edge does that by looking first).
pub async fn block(
    db: &Db,
    cache: &DomainBlockCache,
    new: NewBlock,
) -> Result<DomainBlock, DomainBlockError> {
    let domain = normalize(&new.domain).ok_or(DomainBlockError::InvalidDomain)?;
    if !SEVERITIES.contains(&new.severity.as_str()) {
        return Err(DomainBlockError::InvalidSeverity);
    }
    let now = now_ms();
    let row = DomainBlock {
        id: next_id(),
        domain,
        severity: new.severity,
        reject_media: new.reject_media,
        reject_reports: new.reject_reports,
        private_comment: new.private_comment,
        public_comment: new.public_comment,
        obfuscate: new.obfuscate,
        created_at: now,
        updated_at: now,
    };
    let mut tx = db.begin().await?;
    let stored = repo::upsert(tx.conn(), &row).await?;
    tx.commit().await?;
    cache.invalidate();
    Ok(stored)
}

/// The block of exactly `domain` (normalised first).
pub async fn find(db: &Db, domain: &str) -> Result<Option<DomainBlock>, DomainBlockError> {
    let domain = normalize(domain).ok_or(DomainBlockError::InvalidDomain)?;
    let mut h = db.read().await?;
    Ok(repo::by_domain(h.conn(), &domain).await?)
}

/// Removes the block with `id`; whether there was one.
pub async fn unblock(db: &Db, cache: &DomainBlockCache, id: i64) -> Result<bool, sqlx::Error> {
    let mut tx = db.begin().await?;
    let deleted = repo::delete(tx.conn(), id).await?;
    tx.commit().await?;
    cache.invalidate();
    Ok(deleted)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(items: &[&str]) -> HashSet<String> {
        items.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn domains_are_normalised() {
        assert_eq!(normalize(" Example.COM. ").as_deref(), Some("example.com"));
        assert_eq!(
            normalize("https://social.example/").as_deref(),
            Some("social.example")
        );
        assert_eq!(
            normalize("127.0.0.3:8080").as_deref(),
            Some("127.0.0.3:8080")
        );
        assert_eq!(
            normalize("bücher.example").as_deref(),
            Some("xn--bcher-kva.example")
        );
        for bad in [
            "",
            "a/b",
            "user@host",
            "*.example.com",
            "a b",
            "ftp://x",
            ".example",
        ] {
            assert_eq!(normalize(bad), None, "{bad}");
        }
    }

    #[test]
    fn blocks_cover_subdomains_and_ports() {
        let blocked = set(&["example.com", "127.0.0.3:8080"]);
        assert!(covered(&blocked, "example.com"));
        assert!(covered(&blocked, "Social.Example.com"));
        assert!(covered(&blocked, "a.b.example.com:8443"));
        assert!(!covered(&blocked, "notexample.com"));
        assert!(!covered(&blocked, "example.co"));
        assert!(covered(&blocked, "127.0.0.3:8080"));
        assert!(!covered(&blocked, "127.0.0.3:8081"));
        assert!(!covered(&blocked, "127.0.0.3"));
        let blocked = set(&["127.0.0.3", "[::1]"]);
        assert!(covered(&blocked, "127.0.0.3:9999"));
        assert!(covered(&blocked, "[::1]:80"));
        assert!(!covered(&set(&[]), "example.com"));
    }
}
