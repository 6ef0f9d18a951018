//! The open streams of this process: who listens to what, and the bounded queue of each.
//!
//! A connection ([`Client`]) is a few hundred bytes here plus its queue: a bounded channel of
//! frames that are shared, reference-counted bytes (one rendering serves every receiver with
//! the same view). Subscriptions are indexed by [`Topic`], so an event touches only the
//! connections that asked for it; nothing runs for a connection that wants nothing. A
//! client whose queue is full is closed rather than waited for: one slow or dead client
//! never holds up the others, and its memory is bounded by the queue.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::extract::ws::Utf8Bytes;
use bytes::Bytes;
use parking_lot::RwLock;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// What a subscription listens to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Topic {
    /// `user`: home timeline updates, notifications, filter changes of an account.
    User(i64),
    /// `user:notification`: an account's notifications only.
    UserNotification(i64),
    /// `public…`: `local` `None` for all public statuses, `Some(true)` local ones only,
    /// `Some(false)` remote ones only; `media` for those with media only.
    Public { local: Option<bool>, media: bool },
    /// `hashtag` / `hashtag:local` with the lower-cased tag.
    Hashtag { tag: String, local: bool },
    /// `list`: a list's timeline.
    List(i64),
    /// `direct`: an account's conversations.
    Direct(i64),
}

/// How a client is connected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transport {
    /// A WebSocket: JSON text frames naming their stream.
    WebSocket,
    /// Server-sent events: `event:`/`data:` lines.
    Sse,
}

/// One frame ready to send, shared by every client that gets the same bytes.
#[derive(Debug, Clone)]
pub enum Frame {
    /// A WebSocket text message.
    Text(Utf8Bytes),
    /// A piece of an event stream.
    Raw(Bytes),
}

/// One open stream.
#[derive(Debug)]
pub struct Client {
    /// Process-unique id.
    pub id: u64,
    /// The signed-in account.
    pub account_id: i64,
    /// The access token it connected with.
    pub token_id: i64,
    /// How it is connected.
    pub transport: Transport,
    queue: mpsc::Sender<Frame>,
    closed: CancellationToken,
}

impl Client {
    /// Queues `frame` without waiting; a client whose queue is full is closed.
    pub fn offer(&self, frame: Frame) {
        if let Err(mpsc::error::TrySendError::Full(_)) = self.queue.try_send(frame) {
            tracing::info!(
                client = self.id,
                account = self.account_id,
                "closing a streaming client that does not keep up"
            );
            self.close();
        }
    }

    /// Asks the connection to close.
    pub fn close(&self) {
        self.closed.cancel();
    }

    /// Completes when the connection must close.
    pub async fn closed(&self) {
        self.closed.cancelled().await
    }

    /// Whether the connection was asked to close.
    pub fn is_closed(&self) -> bool {
        self.closed.is_cancelled()
    }
}

/// A subscription: a client and the stream name its frames carry (`["hashtag","rust"]`,
/// as JSON).
#[derive(Debug, Clone)]
pub struct Sub {
    /// The client.
    pub client: Arc<Client>,
    /// The `stream` array of its WebSocket frames, as JSON.
    pub label: Arc<str>,
    /// To a public or hashtag stream (where the receiver's blocks and mutes are applied on
    /// delivery), rather than to one of the receiver's own timelines (where fan-out did).
    pub public: bool,
}

#[derive(Debug, Default)]
struct Registry {
    topics: HashMap<Topic, HashMap<u64, Sub>>,
    clients: HashMap<u64, (Arc<Client>, Vec<Topic>)>,
}

/// The registry of this process's open streams.
#[derive(Debug, Default)]
pub struct Hub {
    registry: RwLock<Registry>,
    next_id: AtomicU64,
}

/// Most subscriptions one WebSocket may hold.
pub const MAX_SUBSCRIPTIONS: usize = 64;

impl Hub {
    /// Registers a new client with a queue of `queue_len` frames; the receiver is the
    /// connection's end.
    pub fn connect(
        &self,
        account_id: i64,
        token_id: i64,
        transport: Transport,
        queue_len: usize,
    ) -> (Arc<Client>, mpsc::Receiver<Frame>) {
        let (tx, rx) = mpsc::channel(queue_len);
        let client = Arc::new(Client {
            id: self.next_id.fetch_add(1, Ordering::Relaxed) + 1,
            account_id,
            token_id,
            transport,
            queue: tx,
            closed: CancellationToken::new(),
        });
        self.registry
            .write()
            .clients
            .insert(client.id, (client.clone(), Vec::new()));
        (client, rx)
    }

    /// Subscribes `client` to `topic`; false when it already holds too many subscriptions.
    /// Subscribing twice to the same topic is a no-op.
    pub fn subscribe(&self, client: &Arc<Client>, topic: Topic, label: Arc<str>) -> bool {
        let mut reg = self.registry.write();
        let Some((_, topics)) = reg.clients.get_mut(&client.id) else {
            return false;
        };
        if topics.contains(&topic) {
            return true;
        }
        if topics.len() >= MAX_SUBSCRIPTIONS {
            return false;
        }
        topics.push(topic.clone());
        let public = matches!(topic, Topic::Public { .. } | Topic::Hashtag { .. });
        reg.topics.entry(topic).or_default().insert(
            client.id,
            Sub {
                client: client.clone(),
                label,
                public,
            },
        );
        true
    }

    /// Ends `client`'s subscription to `topic`.
    pub fn unsubscribe(&self, client: &Client, topic: &Topic) {
        let mut reg = self.registry.write();
        if let Some((_, topics)) = reg.clients.get_mut(&client.id) {
            topics.retain(|t| t != topic);
        }
        remove_from_topic(&mut reg, topic, client.id);
    }

    /// Forgets a client (its connection ended).
    pub fn disconnect(&self, client: &Client) {
        let mut reg = self.registry.write();
        if let Some((_, topics)) = reg.clients.remove(&client.id) {
            for t in &topics {
                remove_from_topic(&mut reg, t, client.id);
            }
        }
    }

    /// The subscriptions to any of `topics`.
    pub fn subscribers<'t>(&self, topics: impl IntoIterator<Item = &'t Topic>) -> Vec<Sub> {
        let reg = self.registry.read();
        let mut out = Vec::new();
        for t in topics {
            if let Some(subs) = reg.topics.get(t) {
                out.extend(subs.values().cloned());
            }
        }
        out
    }

    /// Closes the clients connected with `token_id` or as `account_id`.
    pub fn close_matching(&self, token_id: Option<i64>, account_id: Option<i64>) {
        let reg = self.registry.read();
        for (client, _) in reg.clients.values() {
            if Some(client.token_id) == token_id || Some(client.account_id) == account_id {
                client.close();
            }
        }
    }

    /// The distinct tokens open streams were opened with.
    pub fn token_ids(&self) -> Vec<i64> {
        let reg = self.registry.read();
        let mut ids: Vec<i64> = reg.clients.values().map(|(c, _)| c.token_id).collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    /// Closes the clients whose token is among `lapsed`.
    pub fn close_tokens(&self, lapsed: &std::collections::HashSet<i64>) {
        for (client, _) in self.registry.read().clients.values() {
            if lapsed.contains(&client.token_id) {
                client.close();
            }
        }
    }

    /// Closes every client (shutdown).
    pub fn close_all(&self) {
        for (client, _) in self.registry.read().clients.values() {
            client.close();
        }
    }

    /// Subscriptions held by all clients.
    pub fn subscriptions(&self) -> usize {
        self.registry.read().topics.values().map(HashMap::len).sum()
    }

    /// Open connections.
    pub fn connections(&self) -> usize {
        self.registry.read().clients.len()
    }
}

fn remove_from_topic(reg: &mut Registry, topic: &Topic, id: u64) {
    if let Some(subs) = reg.topics.get_mut(topic) {
        subs.remove(&id);
        if subs.is_empty() {
            reg.topics.remove(topic);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subscriptions_are_indexed_and_forgotten() {
        let hub = Hub::default();
        let (a, _ra) = hub.connect(1, 10, Transport::WebSocket, 4);
        let (b, _rb) = hub.connect(2, 20, Transport::Sse, 4);
        let public = Topic::Public {
            local: None,
            media: false,
        };
        assert!(hub.subscribe(&a, public.clone(), "[\"public\"]".into()));
        assert!(hub.subscribe(&a, public.clone(), "[\"public\"]".into()));
        assert!(hub.subscribe(&b, public.clone(), "[\"public\"]".into()));
        assert!(hub.subscribe(&a, Topic::User(1), "[\"user\"]".into()));
        assert_eq!(hub.subscribers([&public]).len(), 2);
        assert_eq!(hub.subscribers([&Topic::User(1), &public]).len(), 3);
        hub.unsubscribe(&a, &public);
        assert_eq!(hub.subscribers([&public]).len(), 1);
        hub.disconnect(&a);
        assert!(hub.subscribers([&Topic::User(1)]).is_empty());
        assert_eq!(hub.connections(), 1);
        hub.close_matching(Some(20), None);
        assert!(b.is_closed());
    }

    #[test]
    fn a_full_queue_closes_the_client() {
        let hub = Hub::default();
        let (a, mut rx) = hub.connect(1, 10, Transport::Sse, 2);
        for _ in 0..2 {
            a.offer(Frame::Raw(Bytes::from_static(b"x")));
        }
        assert!(!a.is_closed());
        a.offer(Frame::Raw(Bytes::from_static(b"x")));
        assert!(a.is_closed());
        assert!(rx.try_recv().is_ok());
    }

    #[test]
    fn subscriptions_per_client_are_bounded() {
        let hub = Hub::default();
        let (a, _rx) = hub.connect(1, 10, Transport::WebSocket, 2);
        for i in 0..MAX_SUBSCRIPTIONS {
            assert!(hub.subscribe(&a, Topic::List(i as i64), "[]".into()));
        }
        assert!(!hub.subscribe(&a, Topic::List(-1), "[]".into()));
    }
}
