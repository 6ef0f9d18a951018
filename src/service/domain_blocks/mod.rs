//! Domain blocks (Mastodon's admin domain blocks), the one place that decides what a block
//! means for a host ([`policy`], [`is_blocked`]), and applying blocks to the accounts they
//! govern ([`enforce`]).
//!
//! A block names a domain and covers it and all its subdomains (`example.com` covers
//! `social.example.com`); the block that governs a host is the most specific one covering it
//! (Mastodon's `DomainBlock.rule_for`), so a `noop` on `good.example.com` exempts it from a
//! suspension of `example.com`. A block naming a port (`127.0.0.3:8080`, for tests and
//! private networks) covers that authority only; a block without one covers every port.
//!
//! What each severity does, as Mastodon does it:
//! - `suspend`: the domain is cut off (the inbox refuses its deliveries, the resolver fetches
//!   nothing from it, deliveries to it are neither queued nor sent, its signatures open
//!   nothing on signed fetches), and what we hold of it is purged in the background
//!   ([`enforce`]): follows either way, its statuses (from every feed), its favourites,
//!   notifications, blocks, mutes and mentions, with every counter fixed; its accounts stay
//!   as emptied, suspended rows. Lifting the block unsuspends them and restores nothing.
//! - `silence` ("limit"): its accounts are stamped `silenced_at` (existing ones by
//!   [`enforce`], new ones when first stored): left out of public and hashtag timelines,
//!   they notify only local accounts that follow them, and their follows of local accounts
//!   become follow requests. Lifting the block lifts exactly the limits it stamped.
//! - `reject_media`: the avatars and headers of its accounts are forgotten and not stored
//!   again (Woolly keeps no other remote media yet).
//! - `reject_reports`: `Flag`s from it are ignored.
//! - `noop`: only the two options above.
//!
//! The list is small and read on every inbox POST, so it is cached in memory
//! ([`DomainBlockCache`], in `AppState`): changes made through the service invalidate it at
//! once; changes made by another process (the `woolly domains` CLI against a running server)
//! are seen within [`RELOAD_AFTER`]. The enforcement job reads the list from the database.

pub mod enforce;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::db::Db;
use crate::db::domain_blocks::{self as repo, DomainBlock};
use crate::federation::vocab::origin_of;
use crate::id::next_id;
use crate::jobs::{self, Job, PRIORITY_FEDERATION};
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
    /// Whether this block does more than `other` (Mastodon's `DomainBlock#stricter_than?`).
    pub fn stricter_than(&self, other: &DomainBlock) -> bool {
        if self.severity == "suspend" {
            return true;
        }
        if other.severity == "suspend" || (other.severity == "silence" && self.severity == "noop") {
            return false;
        }
        (self.reject_media || !other.reject_media) && (self.reject_reports || !other.reject_reports)
    }

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

/// The blocks in force, by domain: what every check consults.
#[derive(Debug, Default)]
pub struct DomainPolicies {
    rules: HashMap<String, DomainBlock>,
}

/// What the block governing a host asks for (all `false`/`None` without one).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Policy {
    /// The host is cut off.
    pub suspended: bool,
    /// Its accounts are limited, with the governing block's creation time (the stamp their
    /// `silenced_at` gets).
    pub silenced_since: Option<i64>,
    /// Its media (avatars, headers) are not stored.
    pub reject_media: bool,
    /// Its reports (`Flag`s) are ignored.
    pub reject_reports: bool,
}

impl DomainPolicies {
    /// The policies of these blocks.
    pub fn new(blocks: impl IntoIterator<Item = DomainBlock>) -> DomainPolicies {
        DomainPolicies {
            rules: blocks.into_iter().map(|b| (b.domain.clone(), b)).collect(),
        }
    }

    /// The block governing `host` (`host[:port]`): the most specific one naming it, its
    /// authority without the port, or a parent domain.
    pub fn rule_for(&self, host: &str) -> Option<&DomainBlock> {
        if self.rules.is_empty() {
            return None;
        }
        candidates(host).iter().find_map(|c| self.rules.get(c))
    }

    /// What the block governing `host` asks for.
    pub fn policy(&self, host: &str) -> Policy {
        let Some(b) = self.rule_for(host) else {
            return Policy::default();
        };
        let suspended = b.severity == "suspend";
        Policy {
            suspended,
            silenced_since: (b.severity == "silence").then_some(b.created_at),
            reject_media: suspended || b.reject_media,
            reject_reports: suspended || b.reject_reports,
        }
    }

    /// Whether `host` is cut off (governed by a `suspend` block).
    pub fn is_suspended(&self, host: &str) -> bool {
        self.rule_for(host).is_some_and(|b| b.severity == "suspend")
    }
}

/// The in-memory copy of the blocks.
#[derive(Debug, Default)]
pub struct DomainBlockCache {
    inner: parking_lot::RwLock<Option<(Instant, Arc<DomainPolicies>)>>,
}

impl DomainBlockCache {
    /// Forgets the loaded list; the next check reads it again.
    pub fn invalidate(&self) {
        *self.inner.write() = None;
    }

    async fn loaded(&self, db: &Db) -> Result<Arc<DomainPolicies>, sqlx::Error> {
        if let Some((at, l)) = self.inner.read().as_ref()
            && at.elapsed() < RELOAD_AFTER
        {
            return Ok(l.clone());
        }
        let loaded = Arc::new(load(db).await?);
        *self.inner.write() = Some((Instant::now(), loaded.clone()));
        Ok(loaded)
    }
}

/// The blocks as stored now (bypassing the cache).
pub async fn load(db: &Db) -> Result<DomainPolicies, sqlx::Error> {
    let mut h = db.read().await?;
    Ok(DomainPolicies::new(repo::all(h.conn()).await?))
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

/// The policies in force (cached; see [`DomainBlockCache`]).
pub async fn policies(state: &AppState) -> Result<Arc<DomainPolicies>, sqlx::Error> {
    state.domain_blocks.loaded(&state.db).await
}

/// What the block governing `host` (`host[:port]`, or an account's domain) asks for.
pub async fn policy(state: &AppState, host: &str) -> Result<Policy, sqlx::Error> {
    Ok(policies(state).await?.policy(host))
}

/// Whether `host` (`host[:port]`, as `vocab::origin_of` gives it) is cut off: governed by a
/// `suspend` block, on itself or a parent domain.
pub async fn is_blocked(state: &AppState, host: &str) -> Result<bool, sqlx::Error> {
    Ok(policies(state).await?.is_suspended(host))
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
    let previous = repo::by_domain(tx.conn(), &row.domain).await?;
    let stored = repo::upsert(tx.conn(), &row).await?;
    if let Some(prev) = previous
        && prev.severity != stored.severity
    {
        // A changed severity first lifts what the old one did (Mastodon's retroactive
        // update); the job then applies the new one.
        repo::lift(
            tx.conn(),
            &stored.domain,
            stored.created_at,
            stored.severity != "silence",
            stored.severity != "suspend",
        )
        .await?;
    }
    if enforce::has_work(&stored) {
        jobs::enqueue(
            tx.conn(),
            &Job::ApplyDomainBlock {
                block_id: stored.id,
                phase: enforce::Phase::Mark,
                after: 0,
            },
            PRIORITY_FEDERATION,
        )
        .await?;
    }
    tx.commit().await?;
    cache.invalidate();
    Ok(stored)
}

/// The block a new one conflicts with, as Mastodon's admin API decides: the block governing
/// its domain, when it names the same domain or the new one is not stricter (a subdomain
/// cannot get a laxer block than its parent).
pub async fn conflicting(db: &Db, new: &NewBlock) -> Result<Option<DomainBlock>, DomainBlockError> {
    let domain = normalize(&new.domain).ok_or(DomainBlockError::InvalidDomain)?;
    let rules = load(db).await?;
    Ok(rules
        .rule_for(&domain)
        .filter(|existing| existing.domain == domain || !new.stricter_than(existing))
        .cloned())
}

/// The block of exactly `domain` (normalised first).
pub async fn find(db: &Db, domain: &str) -> Result<Option<DomainBlock>, DomainBlockError> {
    let domain = normalize(domain).ok_or(DomainBlockError::InvalidDomain)?;
    let mut h = db.read().await?;
    Ok(repo::by_domain(h.conn(), &domain).await?)
}

/// Removes the block with `id`; whether there was one. The limits and suspensions it
/// stamped on accounts are lifted in the same transaction (Mastodon's
/// `UnblockDomainService`); what a suspension purged stays purged.
pub async fn unblock(db: &Db, cache: &DomainBlockCache, id: i64) -> Result<bool, sqlx::Error> {
    let mut tx = db.begin().await?;
    let block = repo::get(tx.conn(), id).await?;
    // Deleting first takes the row's lock, which a running enforcement step holds while it
    // stamps accounts: the lift comes after any such step.
    let deleted = repo::delete(tx.conn(), id).await?;
    if let Some(b) = block.filter(|_| deleted) {
        repo::lift(tx.conn(), &b.domain, b.created_at, true, true).await?;
    }
    tx.commit().await?;
    cache.invalidate();
    Ok(deleted)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(items: &[(&str, &str)]) -> DomainPolicies {
        DomainPolicies::new(
            items
                .iter()
                .enumerate()
                .map(|(i, (domain, severity))| DomainBlock {
                    id: i as i64 + 1,
                    domain: (*domain).to_owned(),
                    severity: (*severity).to_owned(),
                    reject_media: false,
                    reject_reports: false,
                    private_comment: None,
                    public_comment: None,
                    obfuscate: false,
                    created_at: 100 + i as i64,
                    updated_at: 100,
                }),
        )
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
        let blocked = rules(&[("example.com", "suspend"), ("127.0.0.3:8080", "suspend")]);
        assert!(blocked.is_suspended("example.com"));
        assert!(blocked.is_suspended("Social.Example.com"));
        assert!(blocked.is_suspended("a.b.example.com:8443"));
        assert!(!blocked.is_suspended("notexample.com"));
        assert!(!blocked.is_suspended("example.co"));
        assert!(blocked.is_suspended("127.0.0.3:8080"));
        assert!(!blocked.is_suspended("127.0.0.3:8081"));
        assert!(!blocked.is_suspended("127.0.0.3"));
        let blocked = rules(&[("127.0.0.3", "suspend"), ("[::1]", "suspend")]);
        assert!(blocked.is_suspended("127.0.0.3:9999"));
        assert!(blocked.is_suspended("[::1]:80"));
        assert!(!rules(&[]).is_suspended("example.com"));
    }

    #[test]
    fn the_most_specific_block_governs() {
        let p = rules(&[
            ("example.com", "suspend"),
            ("good.example.com", "noop"),
            ("loud.example.com", "silence"),
        ]);
        assert!(p.is_suspended("bad.example.com"));
        assert!(!p.is_suspended("good.example.com"));
        assert!(!p.is_suspended("a.good.example.com"));
        assert_eq!(p.rule_for("x.loud.example.com").unwrap().id, 3);
        let loud = p.policy("loud.example.com");
        assert_eq!(loud.silenced_since, Some(102));
        assert!(!loud.suspended && !loud.reject_media && !loud.reject_reports);
        let bad = p.policy("bad.example.com");
        assert!(bad.suspended && bad.reject_media && bad.reject_reports);
        assert_eq!(bad.silenced_since, None);
        assert_eq!(p.policy("elsewhere.org"), Policy::default());
    }
}
