//! The fake remote servers of the federation rows: one HTTP listener per host, each on its
//! own loopback address and all on one port (so that the remote accounts' URIs stay the same
//! from run to run and a kept database can be reused). A host serves actor documents with
//! its public key (the server fetches them to verify signatures) and takes deliveries: it
//! waits a random time within its delay range, answers with its status and records when it
//! answered. A host that does not listen refuses connections.

use std::collections::{HashMap, HashSet};
use std::net::Ipv4Addr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

/// How a host answers deliveries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Behaviour {
    /// Waits a random time in `min_ms..=max_ms`, then answers with `status`.
    Answers {
        status: u16,
        min_ms: u64,
        max_ms: u64,
    },
    /// Nothing listens: connections are refused.
    Refuses,
}

impl Behaviour {
    /// Whether deliveries to the host succeed.
    pub fn healthy(self) -> bool {
        matches!(self, Behaviour::Answers { status, .. } if (200..300).contains(&status))
    }
}

/// One fake server.
pub struct Host {
    /// `127.0.N.M:PORT`: the remote accounts' domain.
    pub authority: String,
    /// `http://{authority}`.
    pub base: String,
    /// The RSA key pair (private, public PEM) its actors sign with, if they sign anything.
    pub key: Option<(String, String)>,
    pub behaviour: Behaviour,
}

impl Host {
    /// `{base}/users/{username}`.
    pub fn actor(&self, username: &str) -> String {
        format!("{}/users/{username}", self.base)
    }

    /// `{base}/users/{username}/inbox`.
    pub fn inbox(&self, username: &str) -> String {
        format!("{}/inbox", self.actor(username))
    }

    /// `{base}/inbox`.
    pub fn shared_inbox(&self) -> String {
        format!("{}/inbox", self.base)
    }
}

/// A delivery a host accepted: which host, at which path, answered when.
#[derive(Debug, Clone)]
pub struct Arrival {
    pub host: usize,
    pub path: String,
    pub answered: Instant,
}

/// What the hosts saw, shared by all of them.
#[derive(Default)]
pub struct Log {
    /// Accepted deliveries by the id of their object (a Create's Note) or, for activities
    /// without an embedded object, of the activity.
    arrivals: Mutex<HashMap<String, Vec<Arrival>>>,
    /// Actor documents served.
    pub actor_fetches: AtomicU64,
    /// Deliveries received (any answer).
    pub deliveries: AtomicU64,
}

impl Log {
    /// The accepted deliveries of the object (or activity) `id`: one per distinct inbox.
    pub fn arrivals_of(&self, id: &str) -> Vec<Arrival> {
        let arrivals = self.arrivals.lock().expect("log lock");
        let mut seen = HashSet::new();
        arrivals
            .get(id)
            .map(|v| {
                v.iter()
                    .filter(|a| seen.insert((a.host, a.path.clone())))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Forgets the arrivals recorded so far.
    pub fn clear(&self) {
        self.arrivals.lock().expect("log lock").clear();
    }
}

/// The running fake hosts.
pub struct Network {
    pub hosts: Vec<Host>,
    pub log: Arc<Log>,
    stop: CancellationToken,
}

/// Generates `n` RSA-2048 key pairs on all cores.
pub async fn key_pairs(n: usize) -> anyhow::Result<Vec<(String, String)>> {
    let threads = std::thread::available_parallelism().map_or(1, |t| t.get());
    let mut tasks = Vec::new();
    for t in 0..threads {
        let count = n / threads + usize::from(t < n % threads);
        tasks.push(tokio::task::spawn_blocking(move || {
            (0..count)
                .map(|_| woolly::crypto::generate_rsa_keypair())
                .collect::<anyhow::Result<Vec<_>>>()
        }));
    }
    let mut out = Vec::with_capacity(n);
    for t in tasks {
        out.extend(t.await??);
    }
    Ok(out)
}

impl Network {
    /// Starts a host on `127.0.{net}.{k+1}:{port}` for each behaviour `k` of each
    /// `(net, behaviours, keys)` group; hosts of a group with keys get one pair each.
    pub async fn start(
        port: u16,
        groups: Vec<(u8, Vec<Behaviour>, bool)>,
    ) -> anyhow::Result<Network> {
        let log = Arc::new(Log::default());
        let stop = CancellationToken::new();
        let mut hosts = Vec::new();
        for (net, behaviours, keyed) in groups {
            let mut keys = if keyed {
                key_pairs(behaviours.len()).await?
            } else {
                Vec::new()
            }
            .into_iter();
            for (k, behaviour) in behaviours.into_iter().enumerate() {
                let ip = Ipv4Addr::new(127, 0, net, k as u8 + 1);
                let authority = format!("{ip}:{port}");
                let host = Host {
                    base: format!("http://{authority}"),
                    authority,
                    key: keys.next(),
                    behaviour,
                };
                if let Behaviour::Answers { .. } = behaviour {
                    let listener = tokio::net::TcpListener::bind((ip, port))
                        .await
                        .with_context(|| {
                            format!(
                                "fake remote server on {ip}:{port} (choose another port with \
                                 --remote-port)"
                            )
                        })?;
                    let state = Arc::new(HostState {
                        index: hosts.len(),
                        base: host.base.clone(),
                        public_pem: host.key.as_ref().map(|k| k.1.clone()).unwrap_or_default(),
                        behaviour,
                        log: log.clone(),
                    });
                    let app = axum::Router::new()
                        .route("/users/{username}", axum::routing::get(actor))
                        .fallback(axum::routing::post(deliver))
                        .with_state(state);
                    let stop = stop.clone();
                    tokio::spawn(async move {
                        let _ = axum::serve(listener, app)
                            .with_graceful_shutdown(stop.cancelled_owned())
                            .await;
                    });
                }
                hosts.push(host);
            }
        }
        Ok(Network { hosts, log, stop })
    }

    /// Stops every host.
    pub fn stop(&self) {
        self.stop.cancel();
    }
}

impl Drop for Network {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

struct HostState {
    index: usize,
    base: String,
    public_pem: String,
    behaviour: Behaviour,
    log: Arc<Log>,
}

/// `GET /users/{username}`: an actor document as Mastodon shapes it.
async fn actor(State(host): State<Arc<HostState>>, Path(username): Path<String>) -> Response {
    host.log.actor_fetches.fetch_add(1, Ordering::Relaxed);
    let id = format!("{}/users/{username}", host.base);
    let doc = json!({
        "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
        "id": id,
        "type": "Person",
        "preferredUsername": username,
        "name": username,
        "summary": "<p>A remote account of the Woolly benchmark.</p>",
        "url": format!("{}/@{username}", host.base),
        "inbox": format!("{id}/inbox"),
        "outbox": format!("{id}/outbox"),
        "followers": format!("{id}/followers"),
        "following": format!("{id}/following"),
        "endpoints": {"sharedInbox": format!("{}/inbox", host.base)},
        "manuallyApprovesFollowers": false,
        "discoverable": true,
        "publicKey": {
            "id": format!("{id}#main-key"),
            "owner": id,
            "publicKeyPem": host.public_pem,
        },
    });
    (
        [(header::CONTENT_TYPE, "application/activity+json")],
        doc.to_string(),
    )
        .into_response()
}

/// Any POST: a delivery.
async fn deliver(State(host): State<Arc<HostState>>, uri: Uri, body: Bytes) -> Response {
    host.log.deliveries.fetch_add(1, Ordering::Relaxed);
    let Behaviour::Answers {
        status,
        min_ms,
        max_ms,
    } = host.behaviour
    else {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    };
    tokio::time::sleep(Duration::from_millis(rand::random_range(min_ms..=max_ms))).await;
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::ACCEPTED);
    if status.is_success() {
        let json: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        let id = json
            .get("object")
            .and_then(|o| o.get("id"))
            .or_else(|| json.get("id"))
            .and_then(Value::as_str);
        if let Some(id) = id {
            host.log
                .arrivals
                .lock()
                .expect("log lock")
                .entry(id.to_owned())
                .or_default()
                .push(Arrival {
                    host: host.index,
                    path: uri.path().to_owned(),
                    answered: Instant::now(),
                });
        }
    }
    status.into_response()
}
