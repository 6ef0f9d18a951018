//! A server-sent event stream: one subscription, frames out, `:thump` heartbeats.

use std::time::Duration;

use axum::body::Body;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use futures::stream;

use super::hub::{Client, Frame, Hub, Transport};
use super::label;
use crate::api::auth::{CurrentUser, Token};
use crate::state::AppState;

/// Time between heartbeat comments.
const HEARTBEAT: Duration = Duration::from_secs(15);

/// Forgets the client when the response body is dropped (the client went away).
struct Registered {
    state: AppState,
    client: std::sync::Arc<Client>,
}

impl Drop for Registered {
    fn drop(&mut self) {
        let hub: &Hub = &self.state.streams;
        hub.disconnect(&self.client);
    }
}

/// Opens an event stream subscribed to `initial`.
pub fn open(
    state: AppState,
    token: Token,
    user: CurrentUser,
    (topic, l): (super::Topic, String),
) -> Response {
    let (client, queue) = state.streams.connect(
        user.account.id,
        token.id,
        Transport::Sse,
        state.config.stream_queue,
    );
    state.streams.subscribe(&client, topic, label(l));
    let registered = Registered { state, client };
    let mut heartbeat = tokio::time::interval(HEARTBEAT);
    heartbeat.reset();
    // The first bytes flush the headers at once, as Mastodon's `:)`.
    let first = stream::once(async { Ok::<Bytes, std::io::Error>(Bytes::from_static(b":)\n\n")) });
    let rest = stream::unfold(
        (registered, queue, heartbeat),
        |(registered, mut queue, mut heartbeat)| async move {
            let chunk = tokio::select! {
                _ = registered.client.closed() => None,
                f = queue.recv() => match f {
                    Some(Frame::Raw(b)) => Some(b),
                    Some(Frame::Text(t)) => Some(Bytes::from(t)),
                    None => None,
                },
                _ = heartbeat.tick() => Some(Bytes::from_static(b":thump\n\n")),
            };
            chunk.map(|c| (Ok(c), (registered, queue, heartbeat)))
        },
    );
    (
        [
            (header::CONTENT_TYPE, "text/event-stream"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        [("x-accel-buffering", "no")],
        Body::from_stream(futures::StreamExt::chain(first, rest)),
    )
        .into_response()
}
