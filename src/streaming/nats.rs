//! The NATS carrier: events published on one subject per instance, which every process
//! subscribes to. The client reconnects and resubscribes by itself.

use std::sync::Arc;

use futures::StreamExt;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::Event;
use super::bus::{Bus, BusHandle, Drops, Inbound, QUEUE, decode, deliver, encode};

struct NatsBus {
    outbound: mpsc::Sender<Vec<u8>>,
    drops: Drops,
}

impl Bus for NatsBus {
    fn publish(&self, event: Arc<Event>) {
        if let Err(mpsc::error::TrySendError::Full(_)) = self.outbound.try_send(encode(&event)) {
            self.drops.record("nats publisher");
        }
    }
}

/// Connects to NATS at `url`, subscribes to `subject` (delivering to `inbound`) and starts
/// the publisher; fails when NATS cannot be reached at start-up.
pub async fn connect(
    url: &str,
    subject: &str,
    inbound: Inbound,
    shutdown: CancellationToken,
) -> anyhow::Result<BusHandle> {
    let client = async_nats::connect(url).await?;
    let mut subscriber = client.subscribe(subject.to_owned()).await?;
    // A round trip, so that the subscription is in place before anything is published.
    client.flush().await?;
    let (outbound, mut rx) = mpsc::channel::<Vec<u8>>(QUEUE);
    let publisher = client.clone();
    let subject_owned = subject.to_owned();
    let stop = shutdown.clone();
    tokio::spawn(async move {
        loop {
            let payload = tokio::select! {
                _ = stop.cancelled() => return,
                p = rx.recv() => match p { Some(p) => p, None => return },
            };
            if let Err(e) = publisher
                .publish(subject_owned.clone(), payload.into())
                .await
            {
                tracing::warn!(error = %e, "publishing a streaming event to NATS failed");
            }
        }
    });
    tokio::spawn(async move {
        let drops = Drops::default();
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => break,
                m = subscriber.next() => match m {
                    Some(m) => {
                        if let Some(e) = decode(&m.payload) {
                            deliver(&inbound, e, &drops);
                        }
                    }
                    None => {
                        tracing::error!("the NATS subscription closed; streaming events from other processes stop");
                        break;
                    }
                },
            }
        }
        drop(client);
    });
    tracing::info!(subject, "streaming events travel over NATS");
    Ok(BusHandle::new(NatsBus {
        outbound,
        drops: Drops::default(),
    }))
}
