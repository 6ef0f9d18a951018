//! Which stream gets which event, rendered for whom.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::client::*;
use crate::common::*;

/// Waits until the server holds `n` subscriptions (a WebSocket subscribes after the
/// handshake, asynchronously).
pub async fn wait_subscriptions(app: &TestApp, n: usize) {
    for _ in 0..200 {
        if app.state.streams.subscriptions() >= n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!(
        "expected {n} subscriptions, have {}",
        app.state.streams.subscriptions()
    );
}

/// A streamed status is exactly what the REST API shows the same reader, in Mastodon's shape
/// (without `application`: test tokens belong to none; `pinned` is only on one's own).
async fn assert_same_as_rest(app: &TestApp, reader: &TestUser, streamed: &Value) {
    let id = streamed["id"].as_str().unwrap();
    let rest = json(
        app.get(&format!("/api/v1/statuses/{id}"), Some(&reader.token))
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(streamed, &rest);
    assert_shape_ignoring(
        "GET /api/v1/statuses/:id 200",
        streamed,
        &["application", "pinned"],
    );
}

async fn post(app: &TestApp, u: &TestUser, body: Value) -> Value {
    json(
        app.post_json("/api/v1/statuses", Some(&u.token), &body)
            .await,
        StatusCode::OK,
    )
    .await
}

async fn act(app: &TestApp, u: &TestUser, target: &TestUser, action: &str) {
    let path = format!("/api/v1/accounts/{}/{action}", target.account_id);
    json(
        app.post_json(&path, Some(&u.token), &json!({})).await,
        StatusCode::OK,
    )
    .await;
}

#[tokio::test]
async fn health_and_refusals() {
    each_backend(|app| async move {
        let resp = app.get("/api/v1/streaming/health", None).await;
        assert_eq!(resp.status(), StatusCode::OK);
        assert_eq!(resp.text().await.unwrap(), "OK");

        // No token, a bad token, an app token: 401 with Mastodon's error shape.
        let (status, body) = sse_connect(&app.url, "/api/v1/streaming/public/local", None)
            .await
            .err()
            .unwrap();
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_shape("GET /api/v1/streaming/public/local 401", &body);
        let (status, _) = sse_connect(&app.url, "/api/v1/streaming/user", Some("nope"))
            .await
            .err()
            .unwrap();
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let app_token = {
            let mut tx = app.state.db.begin().await.unwrap();
            let raw = woolly::crypto::random_token(32);
            woolly::db::oauth::insert_token(
                tx.conn(),
                woolly::id::next_id(),
                &woolly::crypto::sha256_hex(&raw),
                None,
                None,
                "read",
                woolly::time::now_ms(),
            )
            .await
            .unwrap();
            tx.commit().await.unwrap();
            raw
        };
        let (status, _) = sse_connect(&app.url, "/api/v1/streaming/user", Some(&app_token))
            .await
            .err()
            .unwrap();
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(
            ws_connect(&app.url, "nope", TokenIn::Header, "stream=user")
                .await
                .err(),
            Some(StatusCode::UNAUTHORIZED)
        );

        // A token without a read scope; unknown streams; a hashtag stream without a tag.
        let writer = app.user_with_scopes("writer", "write").await;
        let (status, _) = sse_connect(&app.url, "/api/v1/streaming/user", Some(&writer.token))
            .await
            .err()
            .unwrap();
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let alice = app.user("alice").await;
        let (status, body) = sse_connect(&app.url, "/api/v1/streaming/nowhere", Some(&alice.token))
            .await
            .err()
            .unwrap();
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(body["error"], "Unknown channel requested");
        let (status, _) = sse_connect(&app.url, "/api/v1/streaming/hashtag", Some(&alice.token))
            .await
            .err()
            .unwrap();
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(
            ws_connect(&app.url, &alice.token, TokenIn::Header, "stream=bogus")
                .await
                .err(),
            Some(StatusCode::BAD_REQUEST)
        );

        // In-socket errors for bad messages and streams.
        let (mut ws, _) = ws_connect(&app.url, &alice.token, TokenIn::Header, "")
            .await
            .unwrap();
        ws.send(json!({"type": "subscribe", "stream": "nonsense"}))
            .await;
        let f = ws.next().await;
        assert_eq!(f["status"], 400);
        assert!(f["error"].is_string());
        ws.subscribe("list", json!({"list": "1"})).await;
        assert_eq!(ws.next().await["status"], 404);
        ws.send(json!("not an object")).await;
        assert_eq!(ws.next().await["status"], 400);
    })
    .await;
}

#[tokio::test]
async fn the_user_stream_follows_the_home_timeline() {
    each_backend(|app| async move {
        let alice = app.user("alice").await;
        let bob = app.user("bob").await;
        let carol = app.user("carol").await;
        act(&app, &alice, &bob, "follow").await;

        let (mut ws, _) = ws_connect(&app.url, &alice.token, TokenIn::Header, "stream=user")
            .await
            .unwrap();
        wait_subscriptions(&app, 1).await;

        // A followed account's post, rendered for alice.
        let s = post(&app, &bob, json!({"status": "hello followers"})).await;
        let (frame, status) = ws.expect("update").await;
        assert_eq!(frame["stream"], json!(["user"]));
        assert!(frame["payload"].is_string(), "payload is a JSON string");
        assert_eq!(status["id"], s["id"]);
        assert_eq!(status["favourited"], false);
        assert_same_as_rest(&app, &alice, &status).await;

        // Her own post reaches her own home.
        let own = post(&app, &alice, json!({"status": "mine"})).await;
        let (_, status) = ws.expect("update").await;
        assert_eq!(status["id"], own["id"]);

        // A stranger's post does not; a stranger's mention arrives as a notification.
        let carol_post = post(&app, &carol, json!({"status": "nobody follows me"})).await;
        ws.expect_quiet().await;
        post(&app, &carol, json!({"status": "hi @alice"})).await;
        let (_, n) = ws.expect("notification").await;
        assert_eq!(n["type"], "mention");
        assert_shape_ignoring(
            "GET /api/v1/notifications/:id 200",
            &n,
            &[
                "fallback",
                "collection",
                "annual_report",
                "application",
                "pinned",
            ],
        );

        // Favourited by alice: the edit comes with her flags.
        let id = s["id"].as_str().unwrap();
        app.post_json(
            &format!("/api/v1/statuses/{id}/favourite"),
            Some(&alice.token),
            &json!({}),
        )
        .await;
        let resp = app
            .req(Method::PUT, &format!("/api/v1/statuses/{id}"))
            .bearer_auth(&bob.token)
            .json(&json!({"status": "hello followers (edited)"}))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        let (_, edited) = ws.expect("status.update").await;
        assert_eq!(edited["id"], s["id"]);
        assert_eq!(edited["favourited"], true);
        assert!(edited["content"].as_str().unwrap().contains("edited"));

        // A boost by someone she follows arrives as a boost; its undoing as its deletion.
        let boost = json(
            app.post_json(
                &format!(
                    "/api/v1/statuses/{}/reblog",
                    carol_post["id"].as_str().unwrap()
                ),
                Some(&bob.token),
                &json!({}),
            )
            .await,
            StatusCode::OK,
        )
        .await;
        let (_, status) = ws.expect("update").await;
        assert_eq!(status["id"], boost["id"]);
        assert_eq!(status["reblog"]["id"], carol_post["id"]);
        app.post_json(
            &format!(
                "/api/v1/statuses/{}/unreblog",
                carol_post["id"].as_str().unwrap()
            ),
            Some(&bob.token),
            &json!({}),
        )
        .await;
        let (frame, _) = ws.expect("delete").await;
        assert_eq!(frame["payload"], boost["id"]);

        // Deleted: the bare id.
        let resp = app
            .req(Method::DELETE, &format!("/api/v1/statuses/{id}"))
            .bearer_auth(&bob.token)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        let (frame, _) = ws.expect("delete").await;
        assert_eq!(frame["payload"], s["id"]);

        // Followers-only posts reach followers only.
        let (mut carol_ws, _) = ws_connect(&app.url, &carol.token, TokenIn::Query, "stream=public")
            .await
            .unwrap();
        wait_subscriptions(&app, 2).await;
        let private = post(
            &app,
            &bob,
            json!({"status": "followers only", "visibility": "private"}),
        )
        .await;
        let (_, status) = ws.expect("update").await;
        assert_eq!(status["id"], private["id"]);
        carol_ws.expect_quiet().await;

        // Revoking the token closes the streams opened with it at once.
        let app_json = json(
            app.post_json(
                "/api/v1/apps",
                None,
                &json!({"client_name": "t", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob"}),
            )
            .await,
            StatusCode::OK,
        )
        .await;
        let resp = app
            .post_json(
                "/oauth/revoke",
                None,
                &json!({
                    "client_id": app_json["client_id"],
                    "client_secret": app_json["client_secret"],
                    "token": carol.token,
                }),
            )
            .await;
        assert_eq!(resp.status(), StatusCode::OK);
        assert!(carol_ws.closed_within(Duration::from_secs(2)).await);
        assert!(
            ws.next_within(QUIET).await.is_none(),
            "alice's stream stays open"
        );
    })
    .await;
}

#[tokio::test]
async fn public_and_hashtag_streams_multiplexed_with_blocks_and_mutes() {
    each_backend(|app| async move {
        let alice = app.user("alice").await;
        let bob = app.user("bob").await;
        let carol = app.user("carol").await;
        let (mut ws, proto) = ws_connect(&app.url, &alice.token, TokenIn::Protocol, "")
            .await
            .unwrap();
        // The token offered as the subprotocol is echoed back, as browsers require.
        assert_eq!(proto.as_deref(), Some(alice.token.as_str()));
        ws.subscribe("public", json!({})).await;
        ws.subscribe("hashtag", json!({"tag": "Rust"})).await;
        ws.subscribe("public:remote", json!({})).await;
        wait_subscriptions(&app, 3).await;

        let s = post(&app, &bob, json!({"status": "learning #rust"})).await;
        let mut streams = Vec::new();
        for _ in 0..2 {
            let (frame, status) = ws.expect("update").await;
            assert_eq!(status["id"], s["id"]);
            streams.push(frame["stream"].clone());
        }
        streams.sort_by_key(|v| v.to_string());
        assert_eq!(streams, vec![json!(["hashtag", "rust"]), json!(["public"])]);
        // Not on the remote stream, and nothing for unlisted or direct posts.
        post(
            &app,
            &bob,
            json!({"status": "quiet #rust", "visibility": "unlisted"}),
        )
        .await;
        post(
            &app,
            &bob,
            json!({"status": "@carol psst", "visibility": "direct"}),
        )
        .await;
        ws.expect_quiet().await;

        // Alice mutes bob and blocks carol: neither reaches her public streams.
        act(&app, &alice, &bob, "mute").await;
        act(&app, &alice, &carol, "block").await;
        post(&app, &bob, json!({"status": "muted #rust"})).await;
        post(&app, &carol, json!({"status": "blocked"})).await;
        ws.expect_quiet().await;
        // Nor does a post mentioning someone she blocks.
        let dave = app.user("dave").await;
        post(&app, &dave, json!({"status": "hey @carol"})).await;
        ws.expect_quiet().await;
        let ok = post(&app, &dave, json!({"status": "plain"})).await;
        let (_, status) = ws.expect("update").await;
        assert_eq!(status["id"], ok["id"]);

        // Unsubscribed from public: only the hashtag stream is left.
        ws.send(json!({"type": "unsubscribe", "stream": "public"}))
            .await;
        tokio::time::sleep(Duration::from_millis(100)).await;
        post(&app, &dave, json!({"status": "plain again"})).await;
        ws.expect_quiet().await;
        let tagged = post(&app, &dave, json!({"status": "#RUST"})).await;
        let (frame, status) = ws.expect("update").await;
        assert_eq!(frame["stream"], json!(["hashtag", "rust"]));
        assert_eq!(status["id"], tagged["id"]);
    })
    .await;
}

#[tokio::test]
async fn media_streams_carry_only_statuses_with_attachments() {
    each_backend(|app| async move {
        let alice = app.user("alice").await;
        let bob = app.user("bob").await;
        let (mut ws, _) = ws_connect(&app.url, &alice.token, TokenIn::Header, "")
            .await
            .unwrap();
        ws.subscribe("public:media", json!({})).await;
        wait_subscriptions(&app, 1).await;
        post(&app, &bob, json!({"status": "no picture"})).await;
        ws.expect_quiet().await;
        let media =
            crate::media::upload_ready(&app, &bob.token, crate::media::png(8, 8), "image/png")
                .await;
        let s = post(
            &app,
            &bob,
            json!({"status": "a picture", "media_ids": [media["id"]]}),
        )
        .await;
        let (frame, status) = ws.expect("update").await;
        assert_eq!(frame["stream"], json!(["public:media"]));
        assert_eq!(status["id"], s["id"]);
        assert_eq!(status["media_attachments"][0]["id"], media["id"]);
    })
    .await;
}

#[tokio::test]
async fn event_streams_over_http() {
    each_backend(|app| async move {
        let alice = app.user("alice").await;
        let bob = app.user("bob").await;
        let mut local = sse_connect(
            &app.url,
            "/api/v1/streaming/public/local",
            Some(&alice.token),
        )
        .await
        .unwrap();
        let mut tag = sse_connect(
            &app.url,
            "/api/v1/streaming/hashtag/local?tag=cats",
            Some(&alice.token),
        )
        .await
        .unwrap();
        let mut notes = sse_connect(
            &app.url,
            &format!(
                "/api/v1/streaming/user/notification?access_token={}",
                alice.token
            ),
            None,
        )
        .await
        .unwrap();
        wait_subscriptions(&app, 3).await;

        let s = post(&app, &bob, json!({"status": "#cats @alice"})).await;
        let status: Value = serde_json::from_str(&local.expect("update").await).unwrap();
        assert_eq!(status["id"], s["id"]);
        assert_same_as_rest(&app, &alice, &status).await;
        let status: Value = serde_json::from_str(&tag.expect("update").await).unwrap();
        assert_eq!(status["id"], s["id"]);
        let n: Value = serde_json::from_str(&notes.expect("notification").await).unwrap();
        assert_eq!(n["type"], "mention");
        assert_eq!(n["status"]["id"], s["id"]);
        // `user:notification` gets notifications only.
        post(&app, &alice, json!({"status": "my own"})).await;
        notes.expect_quiet().await;

        let id = s["id"].as_str().unwrap();
        app.req(Method::DELETE, &format!("/api/v1/statuses/{id}"))
            .bearer_auth(&bob.token)
            .send()
            .await
            .unwrap();
        // The local stream saw "my own" meanwhile; then the deletion.
        let status: Value = serde_json::from_str(&local.expect("update").await).unwrap();
        assert_eq!(status["account"]["username"], "alice");
        assert_eq!(local.expect("delete").await, id);
        assert_eq!(tag.expect("delete").await, id);
    })
    .await;
}

#[tokio::test]
async fn direct_statuses_are_conversations_of_their_participants() {
    each_backend(|app| async move {
        let alice = app.user("alice").await;
        let bob = app.user("bob").await;
        let carol = app.user("carol").await;
        let (mut a, _) = ws_connect(&app.url, &alice.token, TokenIn::Header, "stream=direct")
            .await
            .unwrap();
        let (mut b, _) = ws_connect(&app.url, &bob.token, TokenIn::Header, "stream=direct")
            .await
            .unwrap();
        let (mut c, _) = ws_connect(&app.url, &carol.token, TokenIn::Header, "stream=direct")
            .await
            .unwrap();
        wait_subscriptions(&app, 3).await;
        let dm = post(
            &app,
            &alice,
            json!({"status": "@bob just us", "visibility": "direct"}),
        )
        .await;
        for (ws, me, other) in [(&mut a, &alice, &bob), (&mut b, &bob, &alice)] {
            let (frame, conv) = ws.expect("conversation").await;
            assert_eq!(frame["stream"], json!(["direct"]));
            assert_eq!(conv["last_status"]["id"], dm["id"]);
            assert_eq!(conv["unread"], true);
            let accounts = conv["accounts"].as_array().unwrap();
            assert_eq!(accounts.len(), 1, "the others, not {}", me.username);
            assert_eq!(accounts[0]["id"], other.account_id.as_str());
            // (Direct posts do not count as the accounts' last status: `last_status_at` is
            // null here, which the reference responses never showed.)
            assert_shape_ignoring(
                "GET /api/v1/conversations 200",
                &json!([conv]),
                &["application", "pinned", "last_status_at"],
            );
        }
        // Carol is not part of it; public posts are no conversation.
        c.expect_quiet().await;
        post(&app, &alice, json!({"status": "@bob in public"})).await;
        b.expect_quiet().await;
    })
    .await;
}

#[tokio::test]
async fn filter_changes_reach_the_user_stream() {
    each_backend(|app| async move {
        let alice = app.user("alice").await;
        let bob = app.user("bob").await;
        let (mut ws, _) = ws_connect(&app.url, &alice.token, TokenIn::Header, "stream=user")
            .await
            .unwrap();
        let mut sse = sse_connect(&app.url, "/api/v1/streaming/user", Some(&alice.token))
            .await
            .unwrap();
        wait_subscriptions(&app, 2).await;
        // What the filters service raises when one of alice's filters changes.
        let id: i64 = alice.account_id.parse().unwrap();
        app.state
            .bus()
            .publish(woolly::streaming::Event::FiltersChanged { account_id: id });
        let (frame, payload) = ws.expect("filters_changed").await;
        assert_eq!(
            frame,
            json!({"stream": ["user"], "event": "filters_changed"})
        );
        assert_eq!(payload, Value::Null);
        sse.expect("filters_changed").await;
        // Only hers.
        let bob_id: i64 = bob.account_id.parse().unwrap();
        app.state
            .bus()
            .publish(woolly::streaming::Event::FiltersChanged { account_id: bob_id });
        ws.expect_quiet().await;
    })
    .await;
}

#[tokio::test]
async fn streams_apply_the_receivers_filters() {
    each_backend(|app| async move {
        let alice = app.user("alice").await;
        let bob = app.user("bob").await;
        json(
            app.post_empty(
                &format!("/api/v1/accounts/{}/follow", bob.account_id),
                Some(&alice.token),
            )
            .await,
            StatusCode::OK,
        )
        .await;
        let (mut ws, _) = ws_connect(&app.url, &alice.token, TokenIn::Header, "stream=user")
            .await
            .unwrap();
        wait_subscriptions(&app, 1).await;
        for (phrase, action) in [("spoiler", "hide"), ("tea", "warn")] {
            let body = json!({
                "title": phrase, "context": ["home"], "filter_action": action,
                "keywords_attributes": [{"keyword": phrase, "whole_word": true}]
            });
            json(
                app.post_json("/api/v2/filters", Some(&alice.token), &body)
                    .await,
                StatusCode::OK,
            )
            .await;
            // Creating a filter tells her streams.
            ws.expect("filters_changed").await;
        }
        post(&app, &bob, json!({"status": "a spoiler here"})).await;
        ws.expect_quiet().await;
        let tea = post(&app, &bob, json!({"status": "tea time"})).await;
        let (_, status) = ws.expect("update").await;
        assert_eq!(status["id"], tea["id"]);
        assert_eq!(status["filtered"][0]["keyword_matches"], json!(["tea"]));
        assert_eq!(status["filtered"][0]["filter"]["title"], "tea");
        // Her own posts are never filtered.
        let own = post(&app, &alice, json!({"status": "my spoiler"})).await;
        let (_, status) = ws.expect("update").await;
        assert_eq!(status["id"], own["id"]);
        assert_eq!(status["filtered"], json!([]));
    })
    .await;
}

#[tokio::test]
async fn the_advertised_streaming_url_serves_streams() {
    each_backend(|app| async move {
        let alice = app.user("alice").await;
        let v2 = json(app.get("/api/v2/instance", None).await, StatusCode::OK).await;
        let v1 = json(app.get("/api/v1/instance", None).await, StatusCode::OK).await;
        let streaming = v2["configuration"]["urls"]["streaming"].as_str().unwrap();
        assert_eq!(v1["urls"]["streaming_api"], streaming);
        // Clients append the path to the advertised base.
        let base = streaming.replacen("ws://", "http://", 1);
        let (mut ws, _) = ws_connect(&base, &alice.token, TokenIn::Query, "stream=public")
            .await
            .unwrap();
        wait_subscriptions(&app, 1).await;
        let s = post(&app, &alice, json!({"status": "hi"})).await;
        let (_, status) = ws.expect("update").await;
        assert_eq!(status["id"], s["id"]);
    })
    .await;
}

#[tokio::test]
async fn federated_statuses_reach_streams() {
    each_backend_pair(|a, b| async move {
        let alice = a.user("alice").await;
        let bob = b.user("bob").await;
        let bob_acct = format!("{}@{}", bob.username, b.state.domain);
        let looked_up = json(
            a.get(
                &format!("/api/v1/accounts/lookup?acct={bob_acct}"),
                Some(&alice.token),
            )
            .await,
            StatusCode::OK,
        )
        .await;
        let bob_on_a = looked_up["id"].as_str().unwrap().to_owned();
        a.post_json(
            &format!("/api/v1/accounts/{bob_on_a}/follow"),
            Some(&alice.token),
            &json!({}),
        )
        .await;
        crate::federation::settle(&[&a, &b]).await;

        let (mut remote, _) = ws_connect(
            &a.url,
            &alice.token,
            TokenIn::Header,
            "stream=public:remote",
        )
        .await
        .unwrap();
        let (mut home, _) = ws_connect(&a.url, &alice.token, TokenIn::Header, "stream=user")
            .await
            .unwrap();
        wait_subscriptions(&a, 2).await;
        let s = post(&b, &bob, json!({"status": "from afar #far"})).await;
        crate::federation::settle(&[&a, &b]).await;
        let (_, status) = remote.expect("update").await;
        assert_eq!(status["uri"], s["uri"]);
        assert_eq!(status["account"]["acct"], bob_acct.as_str());
        let (_, status) = home.expect("update").await;
        assert_eq!(status["uri"], s["uri"]);

        // Edited and deleted over there: the same on the streams here.
        let id = s["id"].as_str().unwrap();
        b.req(Method::PUT, &format!("/api/v1/statuses/{id}"))
            .bearer_auth(&bob.token)
            .json(&json!({"status": "from afar, edited"}))
            .send()
            .await
            .unwrap();
        crate::federation::settle(&[&a, &b]).await;
        let (_, edited) = remote.expect("status.update").await;
        assert!(edited["content"].as_str().unwrap().contains("edited"));
        home.expect("status.update").await;
        b.req(Method::DELETE, &format!("/api/v1/statuses/{id}"))
            .bearer_auth(&bob.token)
            .send()
            .await
            .unwrap();
        crate::federation::settle(&[&a, &b]).await;
        let (frame, _) = remote.expect("delete").await;
        assert_eq!(frame["payload"], status["id"]);
        let (frame, _) = home.expect("delete").await;
        assert_eq!(frame["payload"], status["id"]);
    })
    .await;
}

#[tokio::test]
async fn streams_close_when_their_token_lapses_elsewhere() {
    each_backend(|app| async move {
        let alice = app.user("alice").await;
        let bob = app.user("bob").await;
        let (mut a, _) = ws_connect(&app.url, &alice.token, TokenIn::Header, "stream=public")
            .await
            .unwrap();
        let mut b = sse_connect(&app.url, "/api/v1/streaming/public", Some(&bob.token))
            .await
            .unwrap();
        wait_subscriptions(&app, 2).await;
        // What `woolly accounts reset-password` does from another process: no event is
        // raised, the periodic recheck finds it.
        let user_id: i64 = {
            let mut h = app.state.db.read().await.unwrap();
            woolly::db::accounts::get_user_by_account(h.conn(), alice.account_id.parse().unwrap())
                .await
                .unwrap()
                .unwrap()
                .id
        };
        let mut tx = app.state.db.begin().await.unwrap();
        woolly::db::oauth::revoke_user_tokens(tx.conn(), user_id, woolly::time::now_ms())
            .await
            .unwrap();
        tx.commit().await.unwrap();
        woolly::api::streaming::dispatch::recheck_tokens(&app.state)
            .await
            .unwrap();
        assert!(a.closed_within(Duration::from_secs(2)).await);
        // Bob's stream is untouched.
        let s = post(&app, &bob, json!({"status": "still here"})).await;
        let data: Value = serde_json::from_str(&b.expect("update").await).unwrap();
        assert_eq!(data["id"], s["id"]);
    })
    .await;
}
