//! The event bus: how an [`Event`] reaches the dispatcher of every server process.
//!
//! One interface, three carriers. [`LocalBus`] (the default) hands events straight to this
//! process's dispatcher. With `WOOLLY_BUS_URL` set, `redis://…` publishes each event on a
//! Redis pub/sub channel and `nats://…` on a NATS subject, and every process (the publishing
//! one included) subscribes, so several `woolly serve` processes on one database deliver each
//! other's events. Publishing never waits: events go through bounded queues, and under
//! overload the newest are dropped and counted (live updates are a convenience; timelines
//! stay right because they are read from the database).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::Event;

/// Events waiting for this process's dispatcher.
pub type Inbound = mpsc::Sender<Arc<Event>>;

/// Capacity of the queue between the bus and the dispatcher, and of the outbound queue of a
/// network bus.
pub const QUEUE: usize = 8_192;

/// A carrier of events between processes.
pub trait Bus: Send + Sync + 'static {
    /// Hands `event` to every process's dispatcher, this one's included. Never blocks.
    fn publish(&self, event: Arc<Event>);
}

/// A shared handle on the bus; what units of work publish to.
#[derive(Clone)]
pub struct BusHandle(Arc<dyn Bus>);

impl BusHandle {
    /// Wraps a bus.
    pub fn new(bus: impl Bus) -> BusHandle {
        BusHandle(Arc::new(bus))
    }

    /// A bus that drops everything (a process that streams nothing, e.g. the command line).
    pub fn none() -> BusHandle {
        BusHandle::new(NoBus)
    }

    /// Publishes `event`, split so that no message carries too many account ids.
    pub fn publish(&self, event: Event) {
        for e in event.split() {
            self.0.publish(Arc::new(e));
        }
    }
}

struct NoBus;

impl Bus for NoBus {
    fn publish(&self, _: Arc<Event>) {}
}

/// Counts events dropped because a queue was full, warning now and then.
#[derive(Default)]
pub(super) struct Drops(AtomicU64);

impl Drops {
    pub(super) fn record(&self, what: &str) {
        let n = self.0.fetch_add(1, Ordering::Relaxed);
        if n.is_power_of_two() {
            tracing::warn!(
                dropped = n + 1,
                queue = what,
                "streaming events dropped: queue full"
            );
        }
    }
}

/// Hands `event` to the dispatcher without waiting (dropped and counted when it lags).
pub(super) fn deliver(inbound: &Inbound, event: Arc<Event>, drops: &Drops) {
    if let Err(mpsc::error::TrySendError::Full(_)) = inbound.try_send(event) {
        drops.record("dispatcher");
    }
}

/// The in-process bus: one process, events go straight to its dispatcher.
pub struct LocalBus {
    inbound: Inbound,
    drops: Drops,
}

impl LocalBus {
    /// A local bus and the receiving end its events arrive on, holding up to `capacity`.
    pub fn handle(capacity: usize) -> (BusHandle, mpsc::Receiver<Arc<Event>>) {
        let (tx, rx) = mpsc::channel(capacity);
        (
            BusHandle::new(LocalBus {
                inbound: tx,
                drops: Drops::default(),
            }),
            rx,
        )
    }
}

impl Bus for LocalBus {
    fn publish(&self, event: Arc<Event>) {
        deliver(&self.inbound, event, &self.drops);
    }
}

/// Connects the bus `url` names (`None`: in-process) for the instance `domain`; returns the
/// handle to publish on and the receiving end of this process's events. A network bus is
/// subscribed before this returns, so nothing published afterwards is missed; its tasks
/// reconnect after failures and stop with `shutdown`.
pub async fn connect(
    url: Option<&str>,
    domain: &str,
    shutdown: CancellationToken,
) -> anyhow::Result<(BusHandle, mpsc::Receiver<Arc<Event>>)> {
    let Some(url) = url.map(str::trim).filter(|u| !u.is_empty()) else {
        return Ok(LocalBus::handle(QUEUE));
    };
    let (tx, rx) = mpsc::channel(QUEUE);
    let handle = if url.starts_with("redis://") || url.starts_with("rediss://") {
        super::redis::connect(url, &channel_name(domain, ':'), tx, shutdown).await?
    } else if url.starts_with("nats://") || url.starts_with("tls://") {
        super::nats::connect(url, &channel_name(domain, '.'), tx, shutdown).await?
    } else {
        anyhow::bail!("WOOLLY_BUS_URL must start with redis://, rediss:// or nats://");
    };
    Ok((handle, rx))
}

/// The channel (Redis) or subject (NATS) of an instance's events: `woolly<sep>stream<sep>`
/// and the domain with every character other than letters, digits and `-` replaced by `_`,
/// so that two instances sharing a broker never mix.
pub fn channel_name(domain: &str, sep: char) -> String {
    let d: String = domain
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    format!("woolly{sep}stream{sep}{d}")
}

/// Decodes a message from a network bus; malformed ones are logged and skipped.
pub(super) fn decode(payload: &[u8]) -> Option<Arc<Event>> {
    match serde_json::from_slice::<Event>(payload) {
        Ok(e) => Some(Arc::new(e)),
        Err(e) => {
            tracing::warn!(error = %e, "undecodable streaming event on the bus");
            None
        }
    }
}

/// Encodes an event for a network bus.
pub(super) fn encode(event: &Event) -> Vec<u8> {
    serde_json::to_vec(event).expect("events serialise")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channel_names_are_safe_for_both_brokers() {
        assert_eq!(
            channel_name("Social.example:8080", '.'),
            "woolly.stream.social_example_8080"
        );
        assert_eq!(
            channel_name("a-b.example", ':'),
            "woolly:stream:a-b_example"
        );
    }

    #[tokio::test]
    async fn the_local_bus_drops_rather_than_blocks() {
        let (bus, mut rx) = LocalBus::handle(1);
        bus.publish(Event::FiltersChanged { account_id: 1 });
        bus.publish(Event::FiltersChanged { account_id: 2 });
        assert_eq!(
            *rx.recv().await.unwrap(),
            Event::FiltersChanged { account_id: 1 }
        );
        assert!(rx.try_recv().is_err());
    }

    #[tokio::test]
    async fn unknown_schemes_are_refused() {
        let err = connect(
            Some("amqp://localhost"),
            "x.example",
            CancellationToken::new(),
        )
        .await
        .err()
        .unwrap();
        assert!(err.to_string().contains("WOOLLY_BUS_URL"));
    }
}
