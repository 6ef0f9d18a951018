//! A WebSocket connection: subscribe/unsubscribe messages in, frames out.
//!
//! The connection's task waits on three things only: its queue (filled by the dispatcher
//! with frames it wants), the socket (client messages, close) and a heartbeat. Buffers are
//! small (client messages are tiny), a send that does not complete in time ends the
//! connection, and a queue that fills up closes it (see `hub`).

use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::http::HeaderValue;
use axum::response::Response;
use futures::{SinkExt, StreamExt};
use serde::Deserialize;

use super::hub::{Client, Frame, Transport};
use super::{StreamParams, label, resolve_stream};
use crate::api::auth::{CurrentUser, Token};
use crate::state::AppState;

/// Time between pings.
const HEARTBEAT: Duration = Duration::from_secs(15);
/// Longest a frame may take to reach the client.
const SEND_TIMEOUT: Duration = Duration::from_secs(10);
/// Largest message a client may send (subscriptions are a few dozen bytes).
const MAX_CLIENT_MESSAGE: usize = 4096;

/// Accepts the upgrade: registers the client and runs the connection.
pub fn accept(
    state: AppState,
    mut upgrade: WebSocketUpgrade,
    token: Token,
    user: CurrentUser,
    initial: Option<(super::Topic, String)>,
    token_in_protocol: bool,
) -> Response {
    if token_in_protocol {
        let offered: Option<HeaderValue> = upgrade.requested_protocols().next().cloned();
        if let Some(p) = offered {
            // The browser offered the token as the subprotocol; it must come back.
            upgrade.set_selected_protocol(p);
        }
    }
    upgrade
        .read_buffer_size(4096)
        .write_buffer_size(0)
        .max_write_buffer_size(1 << 20)
        .max_message_size(MAX_CLIENT_MESSAGE)
        .max_frame_size(MAX_CLIENT_MESSAGE)
        .on_upgrade(move |socket| run(state, socket, token, user, initial))
}

/// A client message.
#[derive(Debug, Deserialize)]
struct ClientMessage {
    #[serde(rename = "type")]
    kind: String,
    #[serde(flatten)]
    params: StreamParams,
}

async fn run(
    state: AppState,
    socket: WebSocket,
    token: Token,
    user: CurrentUser,
    initial: Option<(super::Topic, String)>,
) {
    let (client, mut queue) = state.streams.connect(
        user.account.id,
        token.id,
        Transport::WebSocket,
        state.config.stream_queue,
    );
    if let Some((topic, l)) = initial {
        state.streams.subscribe(&client, topic, label(l));
    }
    let (mut sink, mut stream) = socket.split();
    let mut heartbeat = tokio::time::interval(HEARTBEAT);
    heartbeat.tick().await;
    loop {
        let outgoing = tokio::select! {
            _ = client.closed() => {
                let _ = tokio::time::timeout(
                    SEND_TIMEOUT,
                    sink.send(Message::Close(Some(CloseFrame { code: 1000, reason: Utf8Bytes::from_static("") }))),
                )
                .await;
                break;
            }
            frame = queue.recv() => match frame {
                Some(Frame::Text(t)) => Message::Text(t),
                Some(Frame::Raw(_)) => continue,
                None => break,
            },
            incoming = stream.next() => match incoming {
                Some(Ok(Message::Text(text))) => match handle(&state, &client, &token, &user, text.as_str()) {
                    Some(reply) => Message::Text(reply),
                    None => continue,
                },
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => break,
                // Pings are answered by the library; binary and pong messages mean nothing.
                Some(Ok(_)) => continue,
            },
            _ = heartbeat.tick() => Message::Ping(bytes::Bytes::new()),
        };
        match tokio::time::timeout(SEND_TIMEOUT, sink.send(outgoing)).await {
            Ok(Ok(())) => {}
            _ => break,
        }
    }
    state.streams.disconnect(&client);
}

/// Handles a client message; an error frame to send back, if any.
fn handle(
    state: &AppState,
    client: &Arc<Client>,
    token: &Token,
    user: &CurrentUser,
    text: &str,
) -> Option<Utf8Bytes> {
    let error = |status: u16, message: &str| {
        Some(Utf8Bytes::from(
            serde_json::json!({ "error": message, "status": status }).to_string(),
        ))
    };
    let Ok(msg) = serde_json::from_str::<ClientMessage>(text) else {
        return error(400, "Invalid JSON");
    };
    match msg.kind.as_str() {
        "subscribe" => match resolve_stream(user, token, &msg.params) {
            Ok((topic, l)) => {
                if state.streams.subscribe(client, topic, label(l)) {
                    None
                } else {
                    error(400, "Too many subscriptions")
                }
            }
            Err(e) => error(e.status, &e.message),
        },
        "unsubscribe" => match resolve_stream(user, token, &msg.params) {
            Ok((topic, _)) => {
                state.streams.unsubscribe(client, &topic);
                None
            }
            Err(e) => error(e.status, &e.message),
        },
        _ => error(400, "Unknown message type"),
    }
}
