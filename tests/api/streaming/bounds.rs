//! A slow or dead client never blocks the others nor holds unbounded memory.

use reqwest::StatusCode;
use serde_json::json;
use woolly::api::streaming::hub::{Topic, Transport};

use super::client::*;
use super::events::wait_subscriptions;
use crate::common::*;

#[tokio::test]
async fn a_client_that_does_not_read_is_dropped_and_others_keep_up() {
    each_backend_with(
        |c| c.stream_queue = 4,
        |app| async move {
            let alice = app.user("alice").await;
            let bob = app.user("bob").await;
            let (mut reader, _) =
                ws_connect(&app.url, &alice.token, TokenIn::Header, "stream=public")
                    .await
                    .unwrap();
            wait_subscriptions(&app, 1).await;
            // A client whose connection stopped draining its queue (its socket buffers full):
            // registered like any other, its queue never read.
            let bob_id: i64 = bob.account_id.parse().unwrap();
            let (stuck, queue) = app.state.streams.connect(
                bob_id,
                0,
                Transport::WebSocket,
                app.state.config.stream_queue,
            );
            assert!(app.state.streams.subscribe(
                &stuck,
                Topic::Public {
                    local: None,
                    media: false
                },
                "[\"public\"]".into(),
            ));
            let mut ids = Vec::new();
            for i in 0..8 {
                let resp = app
                    .post_json(
                        "/api/v1/statuses",
                        Some(&alice.token),
                        &json!({"status": format!("post {i}")}),
                    )
                    .await;
                ids.push(json(resp, StatusCode::OK).await["id"].clone());
            }
            // The reader got every post, in order, while the stuck client held 4 frames and
            // was told to close.
            for id in &ids {
                let (_, status) = reader.expect("update").await;
                assert_eq!(&status["id"], id);
            }
            assert!(stuck.is_closed());
            assert_eq!(queue.len(), 4, "the queue never grows beyond its bound");
            // Its connection task would now end; the hub forgets it.
            app.state.streams.disconnect(&stuck);
            assert_eq!(app.state.streams.connections(), 1);
            drop(queue);
            // The reader is unaffected.
            let resp = app
                .post_json(
                    "/api/v1/statuses",
                    Some(&alice.token),
                    &json!({"status": "x"}),
                )
                .await;
            let id = json(resp, StatusCode::OK).await["id"].clone();
            let (_, status) = reader.expect("update").await;
            assert_eq!(status["id"], id);
        },
    )
    .await;
}
