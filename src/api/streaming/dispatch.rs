//! The dispatcher: turns each [`Event`] from the bus into frames for this process's open
//! streams.
//!
//! One task per process takes events in order. For each it first asks the [`Hub`] who here
//! listens (an event nobody here wants costs a hash lookup and nothing else), then loads
//! what the receivers need in batches: a status is rendered once through
//! `service::hydrate::broadcast` with every receiver's visibility and flags, blocks and mutes
//! are applied for public streams, the receivers' filters are asked
//! (`service::stream_filter`), and each distinct frame is built once and shared by every
//! client it goes to.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::ws::Utf8Bytes;
use bytes::Bytes;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::hub::{Frame, Hub, Sub, Topic, Transport};
use crate::db::notifications as repo;
use crate::service::hydrate::broadcast;
use crate::service::stream_filter::{self, FilterContext, Verdict};
use crate::state::AppState;
use crate::streaming::{Event, PublicScope};

/// Starts the dispatcher of this process; it stops with `shutdown` (closing every stream).
pub fn spawn(
    state: AppState,
    mut events: mpsc::Receiver<Arc<Event>>,
    shutdown: CancellationToken,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            let event = tokio::select! {
                _ = shutdown.cancelled() => break,
                e = events.recv() => match e { Some(e) => e, None => break },
            };
            if let Err(e) = dispatch(&state, &event).await {
                tracing::warn!(error = %format!("{e:#}"), ?event, "dispatching a streaming event failed");
            }
        }
        state.streams.close_all();
    })
}

/// Time between checks of the tokens of open streams.
const RECHECK: std::time::Duration = std::time::Duration::from_secs(30);
/// Tokens checked per query.
const RECHECK_CHUNK: usize = 500;

/// Starts the task that closes streams whose token stopped being usable by means no event
/// announced (revoked or a user disabled by another process such as the command line, an
/// account suspended): every 30 s, the distinct tokens of open streams are checked in
/// batches. Revocations through the API close streams at once (a `Disconnect` event).
pub fn spawn_recheck(state: AppState, shutdown: CancellationToken) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = tokio::time::sleep(RECHECK) => {}
            }
            if let Err(e) = recheck_tokens(&state).await {
                tracing::warn!(error = %e, "rechecking the tokens of open streams failed");
            }
        }
    })
}

/// Closes the open streams whose token no longer authenticates a user allowed in.
pub async fn recheck_tokens(state: &AppState) -> Result<(), sqlx::Error> {
    let ids = state.streams.token_ids();
    let mut lapsed: std::collections::HashSet<i64> = ids.iter().copied().collect();
    for chunk in ids.chunks(RECHECK_CHUNK) {
        let mut h = state.db.read().await?;
        for ok in crate::db::oauth::usable_user_tokens(h.conn(), chunk).await? {
            lapsed.remove(&ok);
        }
    }
    if !lapsed.is_empty() {
        state.streams.close_tokens(&lapsed);
    }
    Ok(())
}

/// Which streams a public status goes to.
pub fn public_topics(scope: &PublicScope) -> Vec<Topic> {
    let mut topics = Vec::new();
    for local in [None, Some(scope.local)] {
        topics.push(Topic::Public {
            local,
            media: false,
        });
        if scope.media {
            topics.push(Topic::Public { local, media: true });
        }
    }
    for tag in &scope.tags {
        topics.push(Topic::Hashtag {
            tag: tag.clone(),
            local: false,
        });
        if scope.local {
            topics.push(Topic::Hashtag {
                tag: tag.clone(),
                local: true,
            });
        }
    }
    topics
}

async fn dispatch(state: &AppState, event: &Event) -> anyhow::Result<()> {
    let hub: &Hub = &state.streams;
    match event {
        Event::Home {
            status_id,
            accounts,
        } => {
            let topics: Vec<Topic> = accounts.iter().map(|a| Topic::User(*a)).collect();
            let subs = hub.subscribers(&topics);
            send_status(state, "update", *status_id, subs).await?;
        }
        Event::Public { status_id, scope } => {
            let topics = public_topics(scope);
            let subs = hub.subscribers(&topics);
            send_status(state, "update", *status_id, subs).await?;
        }
        Event::Edited {
            status_id,
            home,
            public,
        } => {
            let mut topics: Vec<Topic> = home.iter().map(|a| Topic::User(*a)).collect();
            if let Some(p) = public {
                topics.extend(public_topics(p));
            }
            let subs = hub.subscribers(&topics);
            send_status(state, "status.update", *status_id, subs).await?;
        }
        Event::Deleted {
            status_id,
            home,
            public,
        } => {
            let mut topics: Vec<Topic> = home.iter().map(|a| Topic::User(*a)).collect();
            if let Some(p) = public {
                topics.extend(public_topics(p));
            }
            let id = status_id.to_string();
            let mut frames = Frames::default();
            for sub in hub.subscribers(&topics) {
                let frame = frames.get(&sub, 0, "delete", || Some(Payload::Text(id.clone())));
                if let Some(f) = frame {
                    sub.client.offer(f);
                }
            }
        }
        Event::Notification {
            account_id,
            notification_id,
        } => {
            let topics = [
                Topic::User(*account_id),
                Topic::UserNotification(*account_id),
            ];
            let subs = hub.subscribers(&topics);
            if subs.is_empty() {
                return Ok(());
            }
            let mut h = state.db.read().await?;
            let now = crate::time::now_ms();
            let Some(row) = repo::get(h.conn(), *account_id, *notification_id, now).await? else {
                return Ok(());
            };
            let Some(json) =
                crate::api::notifications::render(h.conn(), &state.render(), *account_id, &[row])
                    .await?
                    .pop()
            else {
                return Ok(());
            };
            let mut frames = Frames::default();
            for sub in subs {
                let frame = frames.get(&sub, 0, "notification", || {
                    Some(Payload::Json(json.as_str().to_owned()))
                });
                if let Some(f) = frame {
                    sub.client.offer(f);
                }
            }
        }
        Event::Conversation {
            status_id,
            accounts,
        } => {
            super::conversation::send(state, *status_id, accounts).await?;
        }
        Event::FiltersChanged { account_id } => {
            let mut frames = Frames::default();
            for sub in hub.subscribers(&[Topic::User(*account_id)]) {
                if let Some(f) = frames.get(&sub, 0, "filters_changed", || Some(Payload::None)) {
                    sub.client.offer(f);
                }
            }
        }
        Event::Disconnect {
            token_id,
            account_id,
        } => hub.close_matching(*token_id, *account_id),
    }
    Ok(())
}

/// Sends status `status_id` as `event` to `subs`, rendered for each receiver (on public
/// streams, not to receivers who block or mute someone it is by or about).
pub async fn send_status(
    state: &AppState,
    event: &str,
    status_id: i64,
    subs: Vec<Sub>,
) -> anyhow::Result<()> {
    if subs.is_empty() {
        return Ok(());
    }
    let mut viewers: Vec<i64> = subs.iter().map(|s| s.client.account_id).collect();
    viewers.sort_unstable();
    viewers.dedup();
    let exclusions = subs.iter().any(|s| s.public);
    let mut h = state.db.read().await?;
    let rendered =
        broadcast::status_for_viewers(h.conn(), &state.render(), status_id, &viewers, exclusions)
            .await?;
    if rendered.viewers.is_empty() {
        return Ok(());
    }
    let seeing: Vec<i64> = viewers
        .into_iter()
        .filter(|v| rendered.viewers.contains_key(v))
        .collect();
    let home_verdicts =
        stream_filter::verdicts(h.conn(), FilterContext::Home, status_id, &seeing).await?;
    let public_verdicts = if exclusions {
        stream_filter::verdicts(h.conn(), FilterContext::Public, status_id, &seeing).await?
    } else {
        HashMap::new()
    };
    drop(h);
    let mut frames = Frames::default();
    for sub in subs {
        let viewer = sub.client.account_id;
        let Some((json, seen)) = rendered.for_viewer(viewer) else {
            continue;
        };
        let in_public = sub.public;
        if in_public && seen.excluded {
            continue;
        }
        let verdicts = if in_public {
            &public_verdicts
        } else {
            &home_verdicts
        };
        let frame = match verdicts.get(&viewer) {
            Some(Verdict::Hide) => None,
            Some(Verdict::Warn(filtered)) => stream_filter::with_filtered(json.as_str(), filtered)
                .map(|payload| {
                    Frames::build(
                        sub.client.transport,
                        &sub.label,
                        event,
                        &Payload::Json(payload),
                    )
                }),
            None => frames.get(&sub, seen.variant, event, || {
                Some(Payload::Json(json.as_str().to_owned()))
            }),
        };
        if let Some(f) = frame {
            sub.client.offer(f);
        }
    }
    Ok(())
}

/// What a frame carries.
pub enum Payload {
    /// An entity as JSON (a JSON string inside WebSocket frames, as Mastodon sends it).
    Json(String),
    /// Plain text (an id).
    Text(String),
    /// Nothing (`filters_changed`).
    None,
}

/// The frames of one event, built once per (rendering, stream name, transport).
#[derive(Default)]
pub struct Frames {
    built: HashMap<(usize, Arc<str>, Transport), Frame>,
}

impl Frames {
    /// The frame of rendering `variant` for `sub`, built with `payload` the first time.
    pub fn get(
        &mut self,
        sub: &Sub,
        variant: usize,
        event: &str,
        payload: impl FnOnce() -> Option<Payload>,
    ) -> Option<Frame> {
        let transport = sub.client.transport;
        // Event streams do not name the stream: one frame serves all of them.
        let label: Arc<str> = match transport {
            Transport::WebSocket => sub.label.clone(),
            Transport::Sse => Arc::from(""),
        };
        let key = (variant, label, transport);
        if let Some(f) = self.built.get(&key) {
            return Some(f.clone());
        }
        let frame = Self::build(transport, &sub.label, event, &payload()?);
        self.built.insert(key, frame.clone());
        Some(frame)
    }

    /// One frame: `{"stream":[…],"event":"…","payload":"…"}` on a WebSocket (the payload a
    /// JSON string, absent when there is none), `event: …\ndata: …\n\n` on an event stream.
    pub fn build(transport: Transport, label: &str, event: &str, payload: &Payload) -> Frame {
        match transport {
            Transport::WebSocket => {
                let mut out = String::with_capacity(64 + label.len());
                out.push_str("{\"stream\":");
                out.push_str(label);
                out.push_str(",\"event\":");
                out.push_str(&serde_json::to_string(event).expect("strings serialise"));
                match payload {
                    Payload::Json(p) | Payload::Text(p) => {
                        out.push_str(",\"payload\":");
                        out.push_str(&serde_json::to_string(p).expect("strings serialise"));
                    }
                    Payload::None => {}
                }
                out.push('}');
                Frame::Text(Utf8Bytes::from(out))
            }
            Transport::Sse => {
                let data = match payload {
                    Payload::Json(p) | Payload::Text(p) => p.as_str(),
                    Payload::None => "null",
                };
                Frame::Raw(Bytes::from(format!("event: {event}\ndata: {data}\n\n")))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn websocket_frames_carry_the_payload_as_a_string() {
        let Frame::Text(t) = Frames::build(
            Transport::WebSocket,
            "[\"hashtag\",\"rust\"]",
            "update",
            &Payload::Json("{\"id\":\"1\",\"content\":\"<p>\\\"hi\\\"</p>\"}".into()),
        ) else {
            panic!("text frame expected")
        };
        let v: serde_json::Value = serde_json::from_str(t.as_str()).unwrap();
        assert_eq!(v["stream"], serde_json::json!(["hashtag", "rust"]));
        assert_eq!(v["event"], "update");
        let inner: serde_json::Value =
            serde_json::from_str(v["payload"].as_str().unwrap()).unwrap();
        assert_eq!(inner["content"], "<p>\"hi\"</p>");
        let Frame::Text(t) = Frames::build(
            Transport::WebSocket,
            "[\"user\"]",
            "filters_changed",
            &Payload::None,
        ) else {
            panic!("text frame expected")
        };
        assert_eq!(
            t.as_str(),
            r#"{"stream":["user"],"event":"filters_changed"}"#
        );
    }

    #[test]
    fn event_stream_frames() {
        let Frame::Raw(b) =
            Frames::build(Transport::Sse, "", "delete", &Payload::Text("12".into()))
        else {
            panic!("raw frame expected")
        };
        assert_eq!(&b[..], b"event: delete\ndata: 12\n\n");
    }

    #[test]
    fn public_statuses_reach_the_right_streams() {
        let t = public_topics(&PublicScope {
            local: true,
            media: false,
            tags: vec!["rust".into()],
        });
        assert!(t.contains(&Topic::Public {
            local: None,
            media: false
        }));
        assert!(t.contains(&Topic::Public {
            local: Some(true),
            media: false
        }));
        assert!(!t.contains(&Topic::Public {
            local: Some(false),
            media: false
        }));
        assert!(t.contains(&Topic::Hashtag {
            tag: "rust".into(),
            local: true
        }));
        let remote = public_topics(&PublicScope {
            local: false,
            media: true,
            tags: vec!["rust".into()],
        });
        assert!(remote.contains(&Topic::Public {
            local: Some(false),
            media: true
        }));
        assert!(!remote.contains(&Topic::Hashtag {
            tag: "rust".into(),
            local: true
        }));
    }
}
