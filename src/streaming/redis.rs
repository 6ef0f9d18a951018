//! The Redis carrier: events published on one pub/sub channel per instance, which every
//! process subscribes to.

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use redis::AsyncCommands;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::Event;
use super::bus::{Bus, BusHandle, Drops, Inbound, QUEUE, decode, deliver, encode};

/// Waits between reconnection attempts.
const RETRY: Duration = Duration::from_secs(1);

struct RedisBus {
    outbound: mpsc::Sender<Vec<u8>>,
    drops: Drops,
}

impl Bus for RedisBus {
    fn publish(&self, event: Arc<Event>) {
        if let Err(mpsc::error::TrySendError::Full(_)) = self.outbound.try_send(encode(&event)) {
            self.drops.record("redis publisher");
        }
    }
}

/// Connects to Redis at `url`, subscribes to `channel` (delivering to `inbound`) and starts
/// the publisher; fails when Redis cannot be reached at start-up.
pub async fn connect(
    url: &str,
    channel: &str,
    inbound: Inbound,
    shutdown: CancellationToken,
) -> anyhow::Result<BusHandle> {
    let client = redis::Client::open(url)?;
    let publisher = client.get_multiplexed_async_connection().await?;
    let mut pubsub = client.get_async_pubsub().await?;
    pubsub.subscribe(channel).await?;
    let (outbound, rx) = mpsc::channel(QUEUE);
    tokio::spawn(publish_loop(
        client.clone(),
        publisher,
        channel.to_owned(),
        rx,
        shutdown.clone(),
    ));
    tokio::spawn(subscribe_loop(
        client,
        pubsub,
        channel.to_owned(),
        inbound,
        shutdown,
    ));
    tracing::info!(channel, "streaming events travel over Redis");
    Ok(BusHandle::new(RedisBus {
        outbound,
        drops: Drops::default(),
    }))
}

async fn publish_loop(
    client: redis::Client,
    mut conn: redis::aio::MultiplexedConnection,
    channel: String,
    mut rx: mpsc::Receiver<Vec<u8>>,
    shutdown: CancellationToken,
) {
    loop {
        let payload = tokio::select! {
            _ = shutdown.cancelled() => return,
            p = rx.recv() => match p { Some(p) => p, None => return },
        };
        let sent: redis::RedisResult<i64> = conn.publish(&channel, payload).await;
        if let Err(e) = sent {
            // The event is lost (live updates are best effort); reconnect for the next ones.
            tracing::warn!(error = %e, "publishing a streaming event to Redis failed");
            loop {
                tokio::select! {
                    _ = shutdown.cancelled() => return,
                    _ = tokio::time::sleep(RETRY) => {}
                }
                match client.get_multiplexed_async_connection().await {
                    Ok(c) => {
                        conn = c;
                        break;
                    }
                    Err(e) => tracing::warn!(error = %e, "reconnecting to Redis failed"),
                }
            }
        }
    }
}

async fn subscribe_loop(
    client: redis::Client,
    mut pubsub: redis::aio::PubSub,
    channel: String,
    inbound: Inbound,
    shutdown: CancellationToken,
) {
    let drops = Drops::default();
    loop {
        {
            let mut messages = pubsub.on_message();
            loop {
                tokio::select! {
                    _ = shutdown.cancelled() => return,
                    m = messages.next() => match m {
                        Some(m) => {
                            if let Some(e) = decode(m.get_payload_bytes()) {
                                deliver(&inbound, e, &drops);
                            }
                        }
                        None => break,
                    },
                }
            }
        }
        tracing::warn!("the Redis subscription ended; resubscribing");
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tokio::time::sleep(RETRY) => {}
            }
            match client.get_async_pubsub().await {
                Ok(mut p) => match p.subscribe(&channel).await {
                    Ok(()) => {
                        pubsub = p;
                        break;
                    }
                    Err(e) => tracing::warn!(error = %e, "resubscribing to Redis failed"),
                },
                Err(e) => tracing::warn!(error = %e, "reconnecting to Redis failed"),
            }
        }
    }
}
