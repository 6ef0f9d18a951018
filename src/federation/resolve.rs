//! Resolving remote things: actors (by URI, by key id, by `user@domain` through WebFinger),
//! their public keys, and objects (statuses) by URI.
//!
//! Every fetch is signed by the instance actor (servers in authorized-fetch mode refuse
//! unsigned GETs) and goes through [`FedClient`]. A fetched document is accepted only from
//! its own origin: its `id` must have the host of the URL that finally answered, else it is
//! fetched again by its `id` (once). The database row is the cache: an actor is refetched
//! when its row is older than a day ([`STALE_AFTER_MS`]), or when a signature fails to verify
//! with the stored key (key rotation), at most once per [`KEY_REFETCH_INTERVAL_MS`].

use serde_json::Value;
use tokio::sync::OnceCell;

use super::client::{FedClient, FetchError};
use super::key_failures::Refusal;
use super::keys::{PublicKey, SigningKey};
use super::sanitize::sanitize_html;
use super::signature::actor_hint;
use super::vocab::{self, id_of, items, origin_of, same_origin, str_prop, truncate, url_of};
use crate::db::accounts::Account;
use crate::db::inbox::{self as repo, RemoteAccount, RemoteKey};
use crate::db::statuses::Status;
use crate::db::{self, is_unique_violation};
use crate::id::next_id;
use crate::service::hydrate::StoredField;
use crate::state::AppState;
use crate::time::now_ms;

/// An actor document older than this is fetched again when needed (one day).
pub const STALE_AFTER_MS: i64 = 24 * 3600 * 1000;
/// A signature failing with a stored key refetches the actor at most this often (5 minutes).
pub const KEY_REFETCH_INTERVAL_MS: i64 = 5 * 60 * 1000;
/// How far up a reply chain missing parents are fetched.
pub const MAX_REPLY_DEPTH: usize = 8;
/// Profile fields kept from a remote actor.
const MAX_FIELDS: usize = 16;

/// Actor types accepted as accounts.
const ACTOR_TYPES: [&str; 5] = ["Person", "Service", "Application", "Group", "Organization"];

/// Why something could not be resolved.
#[derive(Debug, thiserror::Error)]
pub enum ResolveError {
    /// The remote request failed.
    #[error(transparent)]
    Fetch(#[from] FetchError),
    /// The document is not acceptable (wrong type, origin, missing fields…).
    #[error("invalid document: {0}")]
    Invalid(String),
    /// Storage failed.
    #[error(transparent)]
    Db(#[from] sqlx::Error),
    /// Anything else (keys, jobs).
    #[error("{0:#}")]
    Internal(#[from] anyhow::Error),
}

impl ResolveError {
    fn invalid(msg: impl Into<String>) -> ResolveError {
        ResolveError::Invalid(msg.into())
    }

    /// Whether trying again later may succeed (network trouble, 5xx, storage), as opposed
    /// to a document that will stay unacceptable or gone.
    pub fn is_transient(&self) -> bool {
        match self {
            ResolveError::Fetch(FetchError::Status(s)) => {
                s.is_server_error() || matches!(s.as_u16(), 401 | 408 | 429)
            }
            ResolveError::Fetch(
                FetchError::Timeout | FetchError::Network(_) | FetchError::Redirects,
            ) => true,
            ResolveError::Fetch(_) | ResolveError::Invalid(_) => false,
            ResolveError::Db(_) | ResolveError::Internal(_) => true,
        }
    }
}

/// How much a cached actor row may be trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freshness {
    /// Use the row if there is one; refetch when stale (keeping the row if that fails).
    Cached,
    /// Fetch the document now.
    Refresh,
}

/// A WebFinger answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finger {
    /// `user` of the `subject`.
    pub username: String,
    /// `domain` of the `subject`.
    pub domain: String,
    /// The `self` link: the actor's id.
    pub actor: String,
}

/// What a URL resolved to.
#[derive(Debug, Clone)]
pub enum Found {
    /// An actor.
    Account(Account),
    /// A status.
    Status(Status),
}

/// Resolves remote actors and objects for one task (an inbox delivery, a job, a search).
pub struct Resolver<'a> {
    state: &'a AppState,
    client: FedClient,
    signer: OnceCell<SigningKey>,
}

impl<'a> Resolver<'a> {
    /// A resolver with the client's default deadline per request.
    pub fn new(state: &'a AppState) -> Result<Resolver<'a>, ResolveError> {
        Ok(Resolver {
            state,
            client: state.fed_client()?,
            signer: OnceCell::new(),
        })
    }

    /// The same resolver with a shorter deadline per request (work a user waits for).
    pub fn with_timeout(mut self, timeout: std::time::Duration) -> Resolver<'a> {
        self.client = self.client.with_timeout(timeout);
        self
    }

    /// The server state.
    pub fn state(&self) -> &'a AppState {
        self.state
    }

    async fn signer(&self) -> Result<&SigningKey, ResolveError> {
        self.signer
            .get_or_try_init(|| async {
                let keys = crate::service::instance_actor::ensure(&self.state.db).await?;
                let key_id = format!("{}/actor#main-key", self.state.config.url);
                SigningKey::from_pem(key_id, &keys.private_key_pem)
                    .map_err(|e| ResolveError::Internal(anyhow::anyhow!("instance actor key: {e}")))
            })
            .await
    }

    /// Whether `uri` is on this server.
    pub fn is_local(&self, uri: &str) -> bool {
        same_origin(uri, &self.state.config.url)
    }

    /// Refuses URIs on a suspended domain (`service::domain_blocks`): nothing is fetched
    /// from it.
    async fn refuse_blocked(&self, uri: &str) -> Result<(), ResolveError> {
        if crate::service::domain_blocks::is_blocked_uri(self.state, uri).await? {
            return Err(ResolveError::invalid("domain blocked"));
        }
        Ok(())
    }

    /// Fetches the document `uri` from its origin: the answer's `id` must have the host of
    /// the URL that finally answered (redirects included); a document naming another id is
    /// fetched again by that id, once.
    pub async fn fetch(&self, uri: &str) -> Result<Value, ResolveError> {
        if self.is_local(uri) {
            return Err(ResolveError::invalid("local URI"));
        }
        self.refuse_blocked(uri).await?;
        let signer = self.signer().await?;
        let doc = self.client.get_activity(uri, signer).await?;
        let id = str_prop(&doc.json, "id")
            .ok_or_else(|| ResolveError::invalid("document without id"))?
            .to_owned();
        if same_origin(&id, doc.url.as_str()) {
            return Ok(doc.json);
        }
        // Served from elsewhere than its id claims: ask the id's own origin.
        self.refuse_blocked(&id).await?;
        let again = self.client.get_activity(&id, signer).await?;
        if str_prop(&again.json, "id") == Some(id.as_str()) && same_origin(&id, again.url.as_str())
        {
            Ok(again.json)
        } else {
            Err(ResolveError::invalid(
                "document id does not match its origin",
            ))
        }
    }

    /// The account of the actor `uri` (local or remote), fetching it when unknown or (with
    /// [`Freshness::Refresh`] or when stale) again.
    pub async fn actor(&self, uri: &str, freshness: Freshness) -> Result<Account, ResolveError> {
        let existing = {
            let mut h = self.state.db.read().await?;
            match repo::account_by_uri(h.conn(), uri).await? {
                Some(a) => {
                    let extras = repo::actor_extras(h.conn(), a.id).await?;
                    Some((a, extras.and_then(|e| e.fetched_at)))
                }
                None => None,
            }
        };
        if let Some((account, fetched_at)) = &existing {
            if account.is_local() {
                return Ok(account.clone());
            }
            let fresh = fetched_at.is_some_and(|t| now_ms() - t < STALE_AFTER_MS);
            if freshness == Freshness::Cached && (fresh || account.suspended_at.is_some()) {
                return Ok(account.clone());
            }
        }
        if self.is_local(uri) {
            return Err(ResolveError::invalid("unknown local actor"));
        }
        match self.fetch_actor(uri, None).await {
            Ok(account) => Ok(account),
            Err(e) if freshness == Freshness::Cached && existing.is_some() => {
                tracing::debug!(uri, error = %e, "actor refresh failed; using the stored row");
                Ok(existing.expect("checked").0)
            }
            Err(e) => Err(e),
        }
    }

    /// Fetches and stores the actor `uri`. With `key_id`, the actor must publish that key.
    async fn fetch_actor(&self, uri: &str, key_id: Option<&str>) -> Result<Account, ResolveError> {
        let json = self.fetch(uri).await?;
        self.store_actor_document(&json, key_id, None).await
    }

    /// Validates an actor document (already known to come from its origin) and stores it.
    /// `handle` is the `(username, domain)` WebFinger confirmed, if any; otherwise a known
    /// account keeps its handle and a new one gets `preferredUsername@host`.
    pub async fn store_actor_document(
        &self,
        json: &Value,
        key_id: Option<&str>,
        handle: Option<(&str, &str)>,
    ) -> Result<Account, ResolveError> {
        let mut doc = parse_actor(json, key_id)?;
        if self.is_local(&doc.uri) {
            return Err(ResolveError::invalid("a remote document claims a local id"));
        }
        let mut h = self.state.db.read().await?;
        let known = repo::account_by_uri(h.conn(), &doc.uri).await?;
        drop(h);
        match (handle, &known) {
            (Some((u, d)), _) => {
                doc.username = u.to_owned();
                doc.domain = d.to_ascii_lowercase();
            }
            (None, Some(k)) if k.username.eq_ignore_ascii_case(&doc.username) => {
                doc.domain = k.domain.clone().unwrap_or(doc.domain);
            }
            _ => {}
        }
        // The domain's block, if any, limits a new account and keeps its images out.
        let policy = crate::service::domain_blocks::policy(self.state, &doc.domain).await?;
        doc.silenced_at = policy.silenced_since;
        if policy.reject_media {
            doc.avatar_url = None;
            doc.header_url = None;
        }
        let mut tx = self.state.db.begin().await?;
        let id = match repo::upsert_remote_account(tx.conn(), next_id(), &doc, now_ms()).await {
            Ok(id) => id,
            Err(e) if is_unique_violation(&e) => {
                return Err(ResolveError::invalid(format!(
                    "another account is already known as {}@{}",
                    doc.username, doc.domain
                )));
            }
            Err(e) => return Err(e.into()),
        };
        let account = db::accounts::get(tx.conn(), id)
            .await?
            .ok_or_else(|| ResolveError::invalid("account vanished"))?;
        tx.commit().await?;
        Ok(account)
    }

    /// The stored key `key_id` (fetching its actor when unknown) for verifying a signature.
    pub async fn key(&self, key_id: &str) -> Result<RemoteKey, ResolveError> {
        let hint = actor_hint(key_id);
        {
            let mut h = self.state.db.read().await?;
            if let Some(k) = repo::remote_key(h.conn(), key_id, hint).await?
                && k.key_id.as_deref() == Some(key_id)
            {
                return Ok(k);
            }
        }
        self.fetch_key(key_id).await
    }

    /// After a signature failed with `current`: the actor's key fetched again (key rotation),
    /// unless it was fetched less than [`KEY_REFETCH_INTERVAL_MS`] ago.
    pub async fn refreshed_key(
        &self,
        key_id: &str,
        current: &RemoteKey,
    ) -> Result<Option<RemoteKey>, ResolveError> {
        if current
            .fetched_at
            .is_some_and(|t| now_ms() - t < KEY_REFETCH_INTERVAL_MS)
        {
            return Ok(None);
        }
        self.fetch_key(key_id).await.map(Some)
    }

    /// Fetches the key `key_id` (through its actor), unless a fetch of it, or too many of
    /// its host, failed recently ([`super::key_failures`]); outcomes are recorded there.
    async fn fetch_key(&self, key_id: &str) -> Result<RemoteKey, ResolveError> {
        let failures = &self.state.key_failures;
        match failures.check(key_id, now_ms()) {
            Ok(()) => {}
            Err(Refusal::Key(Some(status))) => return Err(FetchError::Status(status).into()),
            Err(_) => {
                return Err(ResolveError::invalid(
                    "fetching this key failed recently; not retried yet",
                ));
            }
        }
        match self.fetch_key_now(key_id).await {
            Ok(key) => {
                failures.succeeded(key_id);
                Ok(key)
            }
            Err(e @ (ResolveError::Db(_) | ResolveError::Internal(_))) => Err(e),
            Err(e) => {
                let status = match &e {
                    ResolveError::Fetch(FetchError::Status(s)) => Some(*s),
                    // A document that is there but unacceptable: the host answered.
                    ResolveError::Invalid(_) => Some(reqwest::StatusCode::UNPROCESSABLE_ENTITY),
                    _ => None,
                };
                failures.failed(key_id, status, now_ms());
                Err(e)
            }
        }
    }

    async fn fetch_key_now(&self, key_id: &str) -> Result<RemoteKey, ResolveError> {
        let key_url = key_id.split('#').next().unwrap_or(key_id);
        let json = self.fetch(key_url).await?;
        let actor_json = if json.get("inbox").is_none()
            && json.get("publicKeyPem").is_some()
            && let Some(owner) = str_prop(&json, "owner")
        {
            // A stand-alone key document: its owner must list it.
            if !same_origin(owner, key_id) {
                return Err(ResolveError::invalid("key owner on another host"));
            }
            self.fetch(owner).await?
        } else {
            json
        };
        let account = self
            .store_actor_document(&actor_json, Some(key_id), None)
            .await?;
        let mut h = self.state.db.read().await?;
        repo::remote_key(h.conn(), key_id, &account.uri)
            .await?
            .filter(|k| k.account_id == account.id)
            .ok_or_else(|| ResolveError::invalid("key not stored"))
    }

    /// Looks `user@domain` up with WebFinger.
    pub async fn webfinger(&self, user: &str, domain: &str) -> Result<Finger, ResolveError> {
        if !valid_username(user) || !valid_domain(domain) {
            return Err(ResolveError::invalid("not a valid user@domain"));
        }
        if crate::service::domain_blocks::is_blocked(self.state, &domain.to_ascii_lowercase())
            .await?
        {
            return Err(ResolveError::invalid("domain blocked"));
        }
        let resource = format!("acct:{user}@{domain}");
        let query: String = form_urlencoded::Serializer::new(String::new())
            .append_pair("resource", &resource)
            .finish();
        let mut schemes = vec!["https"];
        if self.state.config.allow_private_addresses {
            schemes.push("http");
        }
        let mut last = None;
        for scheme in schemes {
            let url = format!("{scheme}://{domain}/.well-known/webfinger?{query}");
            match self
                .client
                .get(&url, "application/jrd+json, application/json", None)
                .await
            {
                Ok(resp) if resp.status.is_success() => {
                    let json: Value = serde_json::from_slice(&resp.body)
                        .map_err(|e| ResolveError::Fetch(FetchError::Json(e)))?;
                    return parse_jrd(&json);
                }
                Ok(resp) => last = Some(ResolveError::Fetch(FetchError::Status(resp.status))),
                Err(e) => last = Some(e.into()),
            }
        }
        Err(last.unwrap_or_else(|| ResolveError::invalid("WebFinger failed")))
    }

    /// Resolves `user@domain` to an account: WebFinger, the actor document, and the reverse
    /// check (the actor's `preferredUsername` at the WebFinger subject's domain must point
    /// back to the same actor id). A known, fresh account is answered from the database.
    pub async fn handle(&self, user: &str, domain: &str) -> Result<Account, ResolveError> {
        {
            let mut h = self.state.db.read().await?;
            if let Some(a) = db::accounts::find_by_username(h.conn(), user, Some(domain)).await?
                && let Some(extras) = repo::actor_extras(h.conn(), a.id).await?
                && extras
                    .fetched_at
                    .is_some_and(|t| now_ms() - t < STALE_AFTER_MS)
            {
                return Ok(a);
            }
        }
        let finger = self.webfinger(user, domain).await?;
        let json = self.fetch(&finger.actor).await?;
        let actor_id = str_prop(&json, "id").unwrap_or_default().to_owned();
        let preferred = str_prop(&json, "preferredUsername").unwrap_or_default();
        if actor_id != finger.actor {
            return Err(ResolveError::invalid("WebFinger and actor ids differ"));
        }
        // The reverse check, unless the first answer already was that query: asked for
        // `preferredUsername@domain`, the domain's server must answer with exactly that
        // subject and the same actor (as Mastodon), and that is the handle stored.
        let handle_domain = finger.domain;
        if !(finger.username.eq_ignore_ascii_case(preferred)
            && finger.username.eq_ignore_ascii_case(user)
            && handle_domain.eq_ignore_ascii_case(domain))
        {
            let back = self.webfinger(preferred, &handle_domain).await?;
            if back.actor != actor_id
                || !back.username.eq_ignore_ascii_case(preferred)
                || !back.domain.eq_ignore_ascii_case(&handle_domain)
            {
                return Err(ResolveError::invalid("reverse WebFinger check failed"));
            }
        }
        self.store_actor_document(&json, None, Some((preferred, &handle_domain)))
            .await
    }

    /// The status `uri`: stored already, or fetched from its origin and stored (its author
    /// resolved, its reply chain followed up to [`MAX_REPLY_DEPTH`]). `None` for an object
    /// that is not a status (or a poll vote).
    pub async fn status(&self, uri: &str, depth: usize) -> Result<Option<Status>, ResolveError> {
        {
            let mut h = self.state.db.read().await?;
            if let Some(s) = repo::status_by_uri(h.conn(), uri).await? {
                return Ok(Some(s));
            }
        }
        if self.is_local(uri) || depth > MAX_REPLY_DEPTH {
            return Ok(None);
        }
        let json = self.fetch(uri).await?;
        self.status_from_fetched(&json, depth).await
    }

    /// Stores a status document fetched from its origin.
    async fn status_from_fetched(
        &self,
        json: &Value,
        depth: usize,
    ) -> Result<Option<Status>, ResolveError> {
        let id = str_prop(json, "id").unwrap_or_default();
        let author_uri = json
            .get("attributedTo")
            .and_then(id_of)
            .ok_or_else(|| ResolveError::invalid("object without attributedTo"))?;
        if !same_origin(author_uri, id) {
            return Err(ResolveError::invalid("object attributed to another host"));
        }
        let author = self.actor(author_uri, Freshness::Cached).await?;
        super::inbox::note::ingest(self, json, &author, depth).await
    }

    /// Resolves a URL given to search: an actor or a status, from its origin.
    pub async fn url(&self, url: &str) -> Result<Option<Found>, ResolveError> {
        {
            let mut h = self.state.db.read().await?;
            if let Some(s) = repo::status_by_uri(h.conn(), url).await? {
                return Ok(Some(Found::Status(s)));
            }
            if let Some(a) = repo::account_by_uri(h.conn(), url).await? {
                return Ok(Some(Found::Account(a)));
            }
        }
        let json = self.fetch(url).await?;
        if ACTOR_TYPES.iter().any(|t| vocab::has_type(&json, t)) {
            let id = str_prop(&json, "id").unwrap_or_default();
            let host = origin_of(id).unwrap_or_default();
            let preferred = str_prop(&json, "preferredUsername").unwrap_or_default();
            // Use the handle path so that the WebFinger checks apply.
            if let Ok(a) = self.handle(preferred, &host).await
                && a.uri == id
            {
                return Ok(Some(Found::Account(a)));
            }
            return self
                .store_actor_document(&json, None, None)
                .await
                .map(|a| Some(Found::Account(a)));
        }
        Ok(self.status_from_fetched(&json, 0).await?.map(Found::Status))
    }
}

/// Deadline of resolution done while a user waits (search with `resolve`, lookup).
pub const USER_BUDGET: std::time::Duration = std::time::Duration::from_secs(10);

/// Splits `user@domain` (with an optional leading `@`); `None` for anything else.
pub fn parse_handle(q: &str) -> Option<(&str, &str)> {
    let q = q.trim().trim_start_matches('@');
    let (user, domain) = q.split_once('@')?;
    let ok = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-' | b':'))
    };
    (ok(user) && ok(domain) && !user.contains(':')).then_some((user, domain))
}

/// Resolves `user@domain` for a user waiting on it, within [`USER_BUDGET`]; failures are
/// logged and answered with `None`.
pub async fn handle_for_user(state: &AppState, user: &str, domain: &str) -> Option<Account> {
    let r = Resolver::new(state).ok()?.with_timeout(USER_BUDGET);
    match tokio::time::timeout(USER_BUDGET, r.handle(user, domain)).await {
        Ok(Ok(a)) if a.suspended_at.is_none() => Some(a),
        Ok(Ok(_)) => None,
        Ok(Err(e)) => {
            tracing::debug!(user, domain, error = %e, "handle not resolved");
            None
        }
        Err(_) => None,
    }
}

/// Resolves a URL (actor or status) for a user waiting on it, within [`USER_BUDGET`].
pub async fn url_for_user(state: &AppState, url: &str) -> Option<Found> {
    let r = Resolver::new(state).ok()?.with_timeout(USER_BUDGET);
    match tokio::time::timeout(USER_BUDGET, r.url(url)).await {
        Ok(Ok(found)) => found,
        Ok(Err(e)) => {
            tracing::debug!(url, error = %e, "URL not resolved");
            None
        }
        Err(_) => None,
    }
}

/// Parses a JRD: the `subject` (`acct:user@domain`) and the `self` link typed as
/// ActivityStreams JSON.
pub fn parse_jrd(json: &Value) -> Result<Finger, ResolveError> {
    let subject = str_prop(json, "subject").unwrap_or_default();
    let acct = subject.strip_prefix("acct:").unwrap_or(subject);
    let (username, domain) = acct
        .split_once('@')
        .filter(|(u, d)| valid_username(u) && valid_domain(d))
        .ok_or_else(|| ResolveError::invalid("WebFinger subject is not an acct"))?;
    let actor = items(json.get("links"))
        .into_iter()
        .find(|l| {
            str_prop(l, "rel") == Some("self")
                && str_prop(l, "type").is_some_and(super::client::is_activity_content_type)
        })
        .and_then(|l| str_prop(l, "href"))
        .ok_or_else(|| ResolveError::invalid("WebFinger without an ActivityPub self link"))?;
    Ok(Finger {
        username: username.to_owned(),
        domain: domain.to_ascii_lowercase(),
        actor: actor.to_owned(),
    })
}

/// Whether a remote username is acceptable (Mastodon's remote username rule, loosely).
fn valid_username(u: &str) -> bool {
    !u.is_empty()
        && u.len() <= 128
        && u.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
}

/// Whether `d` is a hostname (LDH labels) or an IPv4 address, with an optional port: what
/// may be put in a WebFinger URL or stored as an account's domain.
fn valid_domain(d: &str) -> bool {
    let (host, port) = match d.rsplit_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (d, None),
    };
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    };
    host.len() <= 253
        && host.split('.').all(label_ok)
        && port.is_none_or(|p| !p.is_empty() && p.len() <= 5 && p.parse::<u16>().is_ok())
}

/// Validates an actor document and maps it to a row: an accepted type, an `id` with a host,
/// an `inbox`, a `preferredUsername`, and a `publicKey` owned by the actor (the one named
/// `key_id` when given). Remote HTML is sanitized; strings and lists are bounded.
pub fn parse_actor(json: &Value, key_id: Option<&str>) -> Result<RemoteAccount, ResolveError> {
    let actor_type = ACTOR_TYPES
        .iter()
        .find(|t| vocab::has_type(json, t))
        .ok_or_else(|| ResolveError::invalid("not an actor type"))?;
    let uri = str_prop(json, "id").ok_or_else(|| ResolveError::invalid("actor without id"))?;
    let domain = origin_of(uri).ok_or_else(|| ResolveError::invalid("actor id without host"))?;
    let inbox =
        str_prop(json, "inbox").ok_or_else(|| ResolveError::invalid("actor without inbox"))?;
    let username = str_prop(json, "preferredUsername").unwrap_or_default();
    if !valid_username(username) {
        return Err(ResolveError::invalid("invalid preferredUsername"));
    }
    let keys = items(json.get("publicKey"));
    let key = match key_id {
        Some(k) => keys.iter().find(|x| str_prop(x, "id") == Some(k)),
        None => keys.first(),
    }
    .ok_or_else(|| ResolveError::invalid("actor does not publish the signing key"))?;
    let owner = key.get("owner").and_then(id_of);
    if owner != Some(uri) {
        return Err(ResolveError::invalid("key owner is not the actor"));
    }
    let pem = str_prop(key, "publicKeyPem").unwrap_or_default();
    PublicKey::from_pem(pem).map_err(|_| ResolveError::invalid("unreadable public key"))?;
    let key_id = str_prop(key, "id").unwrap_or(uri).to_owned();
    // A key id elsewhere could be another actor's: deliveries signed with it would find
    // this actor's key.
    if !same_origin(&key_id, uri) {
        return Err(ResolveError::invalid("key id not on the actor's host"));
    }
    let same_host = |u: Option<String>| u.filter(|u| same_origin(u, uri));
    let fields: Vec<StoredField> = items(json.get("attachment"))
        .into_iter()
        .filter(|a| vocab::has_type(a, "PropertyValue"))
        .take(MAX_FIELDS)
        .map(|a| StoredField {
            name: truncate(str_prop(a, "name").unwrap_or_default(), 255),
            value: sanitize_html(&truncate(str_prop(a, "value").unwrap_or_default(), 2047)),
            ..StoredField::default()
        })
        .collect();
    let also_known_as: Vec<String> = vocab::ids(json.get("alsoKnownAs"))
        .into_iter()
        .take(MAX_FIELDS)
        .collect();
    let endpoints = json.get("endpoints");
    Ok(RemoteAccount {
        uri: uri.to_owned(),
        username: username.to_owned(),
        domain,
        display_name: truncate(str_prop(json, "name").unwrap_or_default().trim(), 100),
        note: sanitize_html(&truncate(
            str_prop(json, "summary").unwrap_or_default(),
            20_000,
        )),
        fields: serde_json::to_string(&fields).expect("fields serialize"),
        locked: json
            .get("manuallyApprovesFollowers")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        bot: matches!(*actor_type, "Service" | "Application"),
        discoverable: json
            .get("discoverable")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        indexable: json
            .get("indexable")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        avatar_url: url_of(json.get("icon")),
        header_url: url_of(json.get("image")),
        url: url_of(json.get("url")),
        inbox_url: inbox.to_owned(),
        shared_inbox_url: endpoints
            .and_then(|e| str_prop(e, "sharedInbox"))
            .map(str::to_owned)
            .or_else(|| str_prop(json, "sharedInbox").map(str::to_owned)),
        outbox_url: same_host(str_prop(json, "outbox").map(str::to_owned)),
        followers_url: same_host(str_prop(json, "followers").map(str::to_owned)),
        following_url: same_host(str_prop(json, "following").map(str::to_owned)),
        featured_url: same_host(str_prop(json, "featured").map(str::to_owned)),
        key_id,
        public_key_pem: pem.to_owned(),
        actor_type: (*actor_type).to_owned(),
        also_known_as: serde_json::to_string(&also_known_as).expect("strings serialize"),
        moved_to_uri: json.get("movedTo").and_then(id_of).map(str::to_owned),
        silenced_at: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pem() -> String {
        let (_, public) = crate::crypto::generate_rsa_keypair().unwrap();
        public
    }

    #[test]
    fn actors_are_validated() {
        let pem = pem();
        let actor = json!({
            "id": "https://social.example/users/Bob",
            "type": ["Person"],
            "preferredUsername": "Bob",
            "name": "Bob <b>",
            "summary": "<p>hi<script>x</script></p>",
            "inbox": "https://social.example/users/Bob/inbox",
            "endpoints": {"sharedInbox": "https://social.example/inbox"},
            "followers": "https://social.example/users/Bob/followers",
            "manuallyApprovesFollowers": true,
            "icon": {"type": "Image", "url": "https://cdn.example/a.png"},
            "attachment": {"type": "PropertyValue", "name": "site", "value": "<a href=\"https://x.example\">x</a><img src=x>"},
            "alsoKnownAs": "https://old.example/users/bob",
            "publicKey": {"id": "https://social.example/users/Bob#main-key", "owner": "https://social.example/users/Bob", "publicKeyPem": pem},
        });
        let a = parse_actor(&actor, Some("https://social.example/users/Bob#main-key")).unwrap();
        assert_eq!(a.username, "Bob");
        assert_eq!(a.domain, "social.example");
        assert!(a.locked);
        assert!(!a.note.contains("script"));
        assert!(!a.fields.contains("<img"));
        assert_eq!(a.avatar_url.as_deref(), Some("https://cdn.example/a.png"));
        assert_eq!(a.also_known_as, "[\"https://old.example/users/bob\"]");
        assert_eq!(
            a.shared_inbox_url.as_deref(),
            Some("https://social.example/inbox")
        );

        // The key must be the one that signed, and owned by the actor.
        assert!(parse_actor(&actor, Some("https://social.example/users/Bob#other")).is_err());
        let mut forged = actor.clone();
        forged["publicKey"]["owner"] = json!("https://social.example/users/alice");
        assert!(parse_actor(&forged, None).is_err());
        let mut no_inbox = actor.clone();
        no_inbox.as_object_mut().unwrap().remove("inbox");
        assert!(parse_actor(&no_inbox, None).is_err());
        let mut note = actor.clone();
        note["type"] = json!("Note");
        assert!(parse_actor(&note, None).is_err());
    }

    #[test]
    fn jrd_self_links_in_both_types() {
        let jrd = json!({
            "subject": "acct:bob@Social.Example",
            "links": [
                {"rel": "http://webfinger.net/rel/profile-page", "type": "text/html", "href": "https://social.example/@bob"},
                {"rel": "self", "type": "application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\"", "href": "https://social.example/users/bob"}
            ]
        });
        let f = parse_jrd(&jrd).unwrap();
        assert_eq!(f.username, "bob");
        assert_eq!(f.domain, "social.example");
        assert_eq!(f.actor, "https://social.example/users/bob");
        assert!(parse_jrd(&json!({"subject": "acct:bob@x", "links": []})).is_err());
    }
}
