//! The one fake remote server of the federation tests: an HTTP listener on its own loopback
//! address that
//! - serves the ActivityPub documents a test gives it ([`FakeHost::serve`]), by path or by
//!   `path?query`: actors whose keys sign deliveries to Woolly ([`FakeHost::actor`], in
//!   other servers' dialects with [`FakeHost::actor_as`]), stand-alone key documents,
//!   WebFinger answers, honest or hostile ([`FakeHost::finger`]);
//! - records every POST and who signed it: its HTTP signature is checked against the public
//!   key its `keyId` names (fetched from the signer's actor document, as a real server
//!   would), whether the signer is the activity's actor or a server forwarding it; and
//!   answers as scripted (status, `Retry-After`, delay).
//!
//! Remote accounts "on" it can also be inserted into Woolly's database directly
//! ([`FakeHost::account`], [`remote_follows`], [`remote_edge`]).

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use woolly::db::accounts::NewAccount;
use woolly::db::follows::{Edge, FollowRow};
use woolly::federation::keys::PublicKey;
use woolly::federation::signature::{IncomingRequest, SignedRequest, SigningKey};

use super::inbox::Signer;
use crate::common::TestApp;

/// One answer of the fake server.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub retry_after: Option<String>,
}

impl Reply {
    pub fn status(status: u16) -> Reply {
        Reply {
            status,
            retry_after: None,
        }
    }
}

/// A POST the fake server received.
#[derive(Debug, Clone)]
pub struct Received {
    /// Path the activity was posted to.
    pub path: String,
    /// The activity.
    pub body: Value,
    /// Whether the signature verified with the key of the activity's actor.
    pub verified: bool,
    /// The actor whose key validly signed the request (the actor itself, or a server
    /// forwarding someone else's activity), if the signature verified.
    pub signed_by: Option<String>,
    /// The status the fake server answered.
    pub answered: u16,
    /// When it arrived.
    pub at: Instant,
}

#[derive(Default)]
struct Inner {
    received: Mutex<Vec<Received>>,
    script: Mutex<VecDeque<Reply>>,
    default: Mutex<Option<Reply>>,
    delay: Mutex<Duration>,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
    keys: Mutex<HashMap<String, PublicKey>>,
    /// Documents served to GETs, by path or `path?query`.
    docs: Mutex<HashMap<String, Value>>,
    /// Files served to GETs, by path: content type and bytes.
    files: Mutex<HashMap<String, (String, Vec<u8>)>>,
    authority: String,
}

/// A fake remote server.
#[derive(Clone)]
pub struct FakeHost {
    /// `http://127.0.0.N:PORT`.
    pub base: String,
    /// `127.0.0.N:PORT` (the accounts' domain).
    pub authority: String,
    inner: Arc<Inner>,
}

impl FakeHost {
    /// Starts a fake server on `ip` (a loopback address), answering 202 by default.
    pub async fn start(ip: &str) -> FakeHost {
        let listener = TcpListener::bind(format!("{ip}:0")).await.expect("bind");
        Self::serving(listener)
    }

    /// A fake server whose address is reserved but that does not listen yet (connections
    /// are refused) until [`FakeHost::listen`].
    pub fn unstarted(ip: &str) -> FakeHost {
        let l = std::net::TcpListener::bind(format!("{ip}:0")).expect("bind");
        let addr = l.local_addr().unwrap();
        drop(l);
        Self::new(addr.to_string())
    }

    fn new(authority: String) -> FakeHost {
        FakeHost {
            base: format!("http://{authority}"),
            inner: Arc::new(Inner {
                authority: authority.clone(),
                default: Mutex::new(Some(Reply::status(202))),
                ..Inner::default()
            }),
            authority,
        }
    }

    fn serving(listener: TcpListener) -> FakeHost {
        let host = Self::new(listener.local_addr().unwrap().to_string());
        host.spawn(listener);
        host
    }

    fn spawn(&self, listener: TcpListener) {
        let app = axum::Router::new()
            .fallback(dispatch)
            .with_state(self.inner.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
    }

    /// Starts listening on the reserved address of an [`FakeHost::unstarted`] server.
    pub async fn listen(&self) {
        let listener = TcpListener::bind(&self.authority).await.expect("rebind");
        self.spawn(listener);
    }

    /// Answers the next requests with `replies`, in order, then with the default.
    pub fn script(&self, replies: impl IntoIterator<Item = Reply>) {
        self.inner.script.lock().unwrap().extend(replies);
    }

    /// Sets the answer used when the script is exhausted.
    pub fn set_default(&self, reply: Reply) {
        *self.inner.default.lock().unwrap() = Some(reply);
    }

    /// Waits this long before answering each request.
    pub fn set_delay(&self, d: Duration) {
        *self.inner.delay.lock().unwrap() = d;
    }

    /// The most requests handled at once so far.
    pub fn max_in_flight(&self) -> usize {
        self.inner.max_in_flight.load(Ordering::SeqCst)
    }

    /// Everything received so far.
    pub fn received(&self) -> Vec<Received> {
        self.inner.received.lock().unwrap().clone()
    }

    /// Received POSTs that were accepted (2xx answers).
    pub fn accepted(&self) -> Vec<Received> {
        self.received()
            .into_iter()
            .filter(|r| (200..300).contains(&r.answered))
            .collect()
    }

    /// Waits until `n` POSTs were accepted (or fails after `secs` seconds).
    pub async fn wait_accepted(&self, n: usize, secs: u64) -> Vec<Received> {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let got = self.accepted();
            if got.len() >= n {
                return got;
            }
            assert!(
                Instant::now() < deadline,
                "{}: {} of {n} deliveries accepted after {secs} s: {:?}",
                self.authority,
                got.len(),
                self.received()
                    .iter()
                    .map(|r| (r.path.clone(), r.answered))
                    .collect::<Vec<_>>()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Serves `doc` to GETs of `key` (a path, or `path?query` to answer that query only).
    pub fn serve(&self, key: &str, doc: Value) {
        self.inner.docs.lock().unwrap().insert(key.to_owned(), doc);
    }

    /// Serves the file `bytes` as `content_type` to GETs of `path`.
    pub fn serve_file(&self, path: &str, content_type: &str, bytes: Vec<u8>) {
        self.inner
            .files
            .lock()
            .unwrap()
            .insert(path.to_owned(), (content_type.to_owned(), bytes));
    }

    /// Stops serving `key` (404 from now on).
    pub fn withdraw(&self, key: &str) {
        self.inner.docs.lock().unwrap().remove(key);
    }

    /// The document served at `key`.
    pub fn doc(&self, key: &str) -> Value {
        self.inner.docs.lock().unwrap()[key].clone()
    }

    /// Serves the `Person` actor `name` (`preferredUsername` `name`, key `#main-key`, an
    /// inbox and this host's shared inbox); returns its signer.
    pub fn actor(&self, name: &str) -> Signer {
        self.actor_as(name, "Person", false)
    }

    /// Serves the actor `name` of type `kind`; with `gts_key` its key is published
    /// GoToSocial-style (`…/main-key`, also served as a stand-alone key document). Returns
    /// its signer.
    pub fn actor_as(&self, name: &str, kind: &str, gts_key: bool) -> Signer {
        let (private, public) = woolly::crypto::generate_rsa_keypair().unwrap();
        let actor = self.actor_uri(name);
        let key_id = if gts_key {
            format!("{actor}/main-key")
        } else {
            format!("{actor}#main-key")
        };
        self.serve(
            &format!("/users/{name}"),
            json!({
                "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
                "id": actor, "type": kind, "preferredUsername": name, "name": format!("{name} (fake)"),
                "inbox": self.inbox(name), "outbox": format!("{actor}/outbox"),
                "followers": format!("{actor}/followers"),
                "endpoints": {"sharedInbox": self.shared_inbox()},
                "publicKey": {"id": key_id, "owner": actor, "publicKeyPem": public},
            }),
        );
        if gts_key {
            self.serve(
                &format!("/users/{name}/main-key"),
                json!({"id": key_id, "owner": actor, "publicKeyPem": public}),
            );
        }
        Signer {
            key: SigningKey::from_pem(key_id, &private).unwrap(),
            actor,
        }
    }

    /// Answers WebFinger for `acct:{user}@{domain}` with `subject` and a self link to `actor`.
    pub fn finger(&self, user: &str, domain: &str, subject: &str, actor: &str) {
        let query: String = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("resource", &format!("acct:{user}@{domain}"))
            .finish();
        self.serve(
            &format!("/.well-known/webfinger?{query}"),
            json!({
                "subject": subject,
                "links": [{"rel": "self", "type": "application/activity+json", "href": actor}],
            }),
        );
    }

    /// `{base}/users/{username}`.
    pub fn actor_uri(&self, username: &str) -> String {
        format!("{}/users/{username}", self.base)
    }

    /// `{base}/users/{username}/inbox`.
    pub fn inbox(&self, username: &str) -> String {
        format!("{}/users/{username}/inbox", self.base)
    }

    /// `{base}/inbox`.
    pub fn shared_inbox(&self) -> String {
        format!("{}/inbox", self.base)
    }

    /// Inserts the remote account `username` on this host into `app`'s database, with a
    /// shared inbox when `shared`; returns its id.
    pub async fn account(&self, app: &TestApp, username: &str, shared: bool) -> i64 {
        let id = woolly::id::next_id();
        let mut tx = app.state.db.begin().await.unwrap();
        woolly::db::accounts::insert(
            tx.conn(),
            &NewAccount {
                id,
                username: username.into(),
                domain: Some(self.authority.clone()),
                display_name: username.into(),
                uri: self.actor_uri(username),
                url: Some(format!("{}/@{username}", self.base)),
                inbox_url: Some(self.inbox(username)),
                shared_inbox_url: shared.then(|| self.shared_inbox()),
                outbox_url: Some(format!("{}/outbox", self.actor_uri(username))),
                followers_url: Some(format!("{}/followers", self.actor_uri(username))),
                following_url: Some(format!("{}/following", self.actor_uri(username))),
                public_key_pem: String::new(),
                private_key_pem: None,
                locked: false,
                bot: false,
                created_at: woolly::time::now_ms(),
            },
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        id
    }
}

/// Makes `follower` (a remote account id) follow local account `target` (an id), as the
/// inbox would after an accepted Follow; `uri` is the remote Follow's id.
pub async fn remote_follows(app: &TestApp, follower: i64, target: i64, uri: &str) {
    remote_edge(app, Edge::Follow, follower, target, uri).await;
}

/// Inserts the follow or follow request (`edge`) `from` → `to` with the remote Follow's id
/// `uri`, as the inbox would (counters untouched).
pub async fn remote_edge(app: &TestApp, edge: Edge, from: i64, to: i64, uri: &str) {
    let mut tx = app.state.db.begin().await.unwrap();
    woolly::db::follows::insert_edge(
        tx.conn(),
        edge,
        &FollowRow {
            id: woolly::id::next_id(),
            account_id: from,
            target_account_id: to,
            show_reblogs: true,
            notify: false,
            languages: None,
            created_at: woolly::time::now_ms(),
        },
    )
    .await
    .unwrap();
    woolly::db::follows::set_edge_uri(tx.conn(), edge, from, to, uri)
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

/// Waits until `app` has no delivery or outbox activity left (all sent or given up).
pub async fn wait_queue_empty(app: &TestApp, secs: u64) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        app.run_jobs().await;
        let mut h = app.state.db.read().await.unwrap();
        let deliveries = woolly::db::deliveries::pending(h.conn()).await.unwrap();
        let activities = woolly::db::deliveries::pending_activities(h.conn())
            .await
            .unwrap();
        drop(h);
        if deliveries == 0 && activities == 0 {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{deliveries} deliveries and {activities} activities still queued after {secs} s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// GETs are answered from the served documents (`path?query` first, then `path`); anything
/// else is a delivery.
async fn dispatch(
    State(inner): State<Arc<Inner>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if method != Method::GET {
        return receive(inner, uri, headers, body).await;
    }
    let file = inner.files.lock().unwrap().get(uri.path()).cloned();
    if let Some((content_type, bytes)) = file {
        return ([("content-type", content_type)], bytes).into_response();
    }
    let doc = {
        let docs = inner.docs.lock().unwrap();
        uri.path_and_query()
            .and_then(|pq| docs.get(pq.as_str()))
            .or_else(|| docs.get(uri.path()))
            .cloned()
    };
    match doc {
        Some(doc) => (
            [("content-type", "application/activity+json")],
            doc.to_string(),
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn receive(inner: Arc<Inner>, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    let now = inner.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    inner.max_in_flight.fetch_max(now, Ordering::SeqCst);
    let delay = *inner.delay.lock().unwrap();
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let json: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let signed_by = verify(&inner, &uri, &headers, &body).await;
    let verified = signed_by.is_some() && json["actor"].as_str() == signed_by.as_deref();
    let reply = {
        let next = inner.script.lock().unwrap().pop_front();
        next.or_else(|| inner.default.lock().unwrap().clone())
            .unwrap_or(Reply::status(202))
    };
    inner.received.lock().unwrap().push(Received {
        path: uri.path().to_owned(),
        body: json,
        verified,
        signed_by,
        answered: reply.status,
        at: Instant::now(),
    });
    inner.in_flight.fetch_sub(1, Ordering::SeqCst);
    let mut resp = StatusCode::from_u16(reply.status).unwrap().into_response();
    if let Some(ra) = reply.retry_after {
        resp.headers_mut()
            .insert("retry-after", ra.parse().unwrap());
    }
    resp
}

/// Checks the request's signature with the public key its `keyId` names (`…#main-key`),
/// fetched from the signer's actor document; returns the signer when it verified.
async fn verify(inner: &Inner, uri: &Uri, headers: &HeaderMap, body: &[u8]) -> Option<String> {
    let path = uri
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/")
        .to_owned();
    let req = IncomingRequest {
        method: "POST",
        path_and_query: &path,
        scheme: "http",
        host: &inner.authority,
        headers,
        body,
    };
    let signed = SignedRequest::parse(&req, SystemTime::now()).ok()?;
    let actor = signed.key_id().strip_suffix("#main-key")?.to_owned();
    let cached = inner.keys.lock().unwrap().get(&actor).cloned();
    let key = match cached {
        Some(k) => k,
        None => {
            let doc: Value = reqwest::Client::new()
                .get(&actor)
                .header("accept", "application/activity+json")
                .send()
                .await
                .ok()?
                .json()
                .await
                .unwrap_or(Value::Null);
            let key = PublicKey::from_pem(doc["publicKey"]["publicKeyPem"].as_str().unwrap_or(""))
                .ok()?;
            inner
                .keys
                .lock()
                .unwrap()
                .insert(actor.clone(), key.clone());
            key
        }
    };
    signed.verify(&key).is_ok().then_some(actor)
}
