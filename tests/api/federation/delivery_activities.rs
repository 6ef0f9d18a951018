//! Every local action Mastodon federates reaches the remote party as Mastodon renders it:
//! Create, Update (status and profile), Delete, Announce / Undo, Like / Undo, Follow / Undo,
//! Accept / Reject of remote follow requests, Reject for a removed follower, Block / Undo,
//! Add / Remove for pins.

use reqwest::{Method, StatusCode};
use serde_json::json;
use woolly::config::Config;
use woolly::db::follows::Edge;
use woolly::db::statuses::Status;

use super::fake_remote::{FakeHost, Received, remote_edge, remote_follows};
use super::{actor_uri, post, update_profile};
use crate::common::*;

fn fast(c: &mut Config) {
    c.delivery_retry_unit_ms = 5;
}

/// Waits for the next `n` accepted POSTs after the `seen` first ones; returns them.
async fn next(host: &FakeHost, seen: &mut usize, n: usize) -> Vec<Received> {
    let got = host.wait_accepted(*seen + n, 10).await;
    let new = got[*seen..].to_vec();
    *seen += n;
    new
}

async fn act(app: &TestApp, token: &str, path: &str) {
    let resp = app.post_empty(path, Some(token)).await;
    assert_eq!(resp.status(), StatusCode::OK, "POST {path}");
}

/// Inserts a public status by remote account `author` with `uri`; returns its id.
async fn remote_status(app: &TestApp, author: i64, uri: &str) -> i64 {
    let id = woolly::id::next_id();
    let now = woolly::time::now_ms();
    let mut tx = app.state.db.begin().await.unwrap();
    woolly::db::statuses::insert(
        tx.conn(),
        &Status {
            id,
            uri: uri.into(),
            url: Some(uri.into()),
            account_id: author,
            text: String::new(),
            content: "<p>remote</p>".into(),
            spoiler_text: String::new(),
            sensitive: false,
            visibility: "public".into(),
            language: Some("en".into()),
            in_reply_to_id: None,
            in_reply_to_account_id: None,
            reblog_of_id: None,
            conversation_id: Some(id),
            application_id: None,
            local: false,
            replies_count: 0,
            reblogs_count: 0,
            favourites_count: 0,
            created_at: now,
            edited_at: None,
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    id
}

#[tokio::test]
async fn local_actions_are_delivered_as_mastodon_renders_them() {
    each_backend_with(fast, |app| async move {
        let alice = app.user("alice").await;
        let alice_id: i64 = alice.account_id.parse().unwrap();
        let me = actor_uri(&app, "alice");
        let host = FakeHost::start("127.0.0.81").await;
        let r = host.account(&app, "r", true).await;
        let r_follow = format!("{}/follows/r", host.base);
        remote_follows(&app, r, alice_id, &r_follow).await;
        let s = host.account(&app, "s", false).await;
        let mut seen = 0;

        // Create, then Update after an edit.
        let st = post(&app, &alice, "first", "public").await;
        let id = st["id"].as_str().unwrap().to_owned();
        let uri = st["uri"].as_str().unwrap().to_owned();
        let c = &next(&host, &mut seen, 1).await[0];
        assert_eq!(c.body["type"], "Create");
        assert_eq!(c.body["id"], format!("{uri}/activity"));
        let resp = app
            .req(Method::PUT, &format!("/api/v1/statuses/{id}"))
            .bearer_auth(&alice.token)
            .json(&json!({ "status": "first, edited" }))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        let u = &next(&host, &mut seen, 1).await[0];
        assert_eq!(u.body["type"], "Update");
        assert_eq!(u.body["object"]["id"], uri.as_str());
        assert!(
            u.body["object"]["content"]
                .as_str()
                .unwrap()
                .contains("edited")
        );
        assert!(u.body["object"]["updated"].is_string());

        // Pin and unpin: Add and Remove on the featured collection.
        act(&app, &alice.token, &format!("/api/v1/statuses/{id}/pin")).await;
        act(&app, &alice.token, &format!("/api/v1/statuses/{id}/unpin")).await;
        let pins = next(&host, &mut seen, 2).await;
        let mut types: Vec<&str> = pins
            .iter()
            .map(|p| p.body["type"].as_str().unwrap())
            .collect();
        types.sort();
        assert_eq!(types, ["Add", "Remove"]);
        for p in &pins {
            assert_eq!(p.body["object"], uri.as_str());
            assert_eq!(p.body["target"], format!("{me}/collections/featured"));
        }

        // Boost and unboost: Announce, then Undo(Announce) embedding it.
        act(&app, &alice.token, &format!("/api/v1/statuses/{id}/reblog")).await;
        let a = next(&host, &mut seen, 1).await[0].body.clone();
        assert_eq!(a["type"], "Announce");
        assert_eq!(a["object"], uri.as_str());
        act(
            &app,
            &alice.token,
            &format!("/api/v1/statuses/{id}/unreblog"),
        )
        .await;
        let undo = &next(&host, &mut seen, 1).await[0].body;
        assert_eq!(undo["type"], "Undo");
        assert_eq!(undo["object"]["type"], "Announce");
        assert_eq!(undo["object"]["id"], a["id"]);

        // Favourite a remote status: Like to its author's inbox; then Undo(Like).
        let rs_uri = format!("{}/users/s/statuses/1", host.base);
        let rs = remote_status(&app, s, &rs_uri).await;
        act(
            &app,
            &alice.token,
            &format!("/api/v1/statuses/{rs}/favourite"),
        )
        .await;
        let like = next(&host, &mut seen, 1).await[0].clone();
        assert_eq!(like.path, "/users/s/inbox");
        assert_eq!(like.body["type"], "Like");
        assert_eq!(like.body["object"], rs_uri.as_str());
        act(
            &app,
            &alice.token,
            &format!("/api/v1/statuses/{rs}/unfavourite"),
        )
        .await;
        let undo = &next(&host, &mut seen, 1).await[0].body;
        assert_eq!(undo["type"], "Undo");
        assert_eq!(undo["object"]["id"], like.body["id"]);

        // Follow a remote account: a pending request and a Follow; unfollow: Undo(Follow).
        let rel = json(
            app.post_empty(&format!("/api/v1/accounts/{s}/follow"), Some(&alice.token))
                .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(rel["requested"], true);
        assert_eq!(rel["following"], false);
        let follow = next(&host, &mut seen, 1).await[0].body.clone();
        assert_eq!(follow["type"], "Follow");
        assert_eq!(follow["actor"], me.as_str());
        assert_eq!(follow["object"], host.actor_uri("s"));
        act(
            &app,
            &alice.token,
            &format!("/api/v1/accounts/{s}/unfollow"),
        )
        .await;
        let undo = &next(&host, &mut seen, 1).await[0].body;
        assert_eq!(undo["type"], "Undo");
        assert_eq!(undo["object"]["type"], "Follow");
        assert_eq!(undo["object"]["id"], follow["id"]);

        // Profile update: Update(Person) to the followers.
        update_profile(&app, &alice, json!({ "display_name": "Alice A." })).await;
        let up = &next(&host, &mut seen, 1).await[0].body;
        assert_eq!(up["type"], "Update");
        assert_eq!(up["object"]["type"], "Person");
        assert_eq!(up["object"]["name"], "Alice A.");

        // Delete: a Tombstone.
        let resp = app
            .req(Method::DELETE, &format!("/api/v1/statuses/{id}"))
            .bearer_auth(&alice.token)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        let del = &next(&host, &mut seen, 1).await[0].body;
        assert_eq!(del["type"], "Delete");
        assert_eq!(del["object"]["type"], "Tombstone");
        assert_eq!(del["object"]["id"], uri.as_str());

        // Remote follow requests to a locked account: authorized → Accept naming the
        // remote Follow; rejected → Reject.
        update_profile(&app, &alice, json!({ "locked": true })).await;
        next(&host, &mut seen, 1).await;
        let t = host.account(&app, "t", false).await;
        let v = host.account(&app, "v", false).await;
        let t_follow = format!("{}/follows/t", host.base);
        let v_follow = format!("{}/follows/v", host.base);
        remote_edge(&app, Edge::Request, t, alice_id, &t_follow).await;
        remote_edge(&app, Edge::Request, v, alice_id, &v_follow).await;
        act(
            &app,
            &alice.token,
            &format!("/api/v1/follow_requests/{t}/authorize"),
        )
        .await;
        let acc = next(&host, &mut seen, 1).await[0].clone();
        assert_eq!(acc.path, "/users/t/inbox");
        assert_eq!(acc.body["type"], "Accept");
        assert_eq!(acc.body["actor"], me.as_str());
        assert_eq!(acc.body["object"]["type"], "Follow");
        assert_eq!(acc.body["object"]["id"], t_follow.as_str());
        assert_eq!(acc.body["object"]["actor"], host.actor_uri("t"));
        act(
            &app,
            &alice.token,
            &format!("/api/v1/follow_requests/{v}/reject"),
        )
        .await;
        let rej = &next(&host, &mut seen, 1).await[0].body;
        assert_eq!(rej["type"], "Reject");
        assert_eq!(rej["object"]["id"], v_follow.as_str());

        // Removing a follower: Reject(Follow) of its Follow.
        act(
            &app,
            &alice.token,
            &format!("/api/v1/accounts/{t}/remove_from_followers"),
        )
        .await;
        let rem = &next(&host, &mut seen, 1).await[0].body;
        assert_eq!(rem["type"], "Reject");
        assert_eq!(rem["object"]["id"], t_follow.as_str());

        // Blocking a follower: Reject(Follow), then Block; unblocking: Undo(Block).
        act(&app, &alice.token, &format!("/api/v1/accounts/{r}/block")).await;
        let two = next(&host, &mut seen, 2).await;
        let mut types: Vec<&str> = two
            .iter()
            .map(|p| p.body["type"].as_str().unwrap())
            .collect();
        types.sort();
        assert_eq!(types, ["Block", "Reject"]);
        let block = two.iter().find(|p| p.body["type"] == "Block").unwrap();
        assert_eq!(block.body["object"], host.actor_uri("r"));
        let rejected = two.iter().find(|p| p.body["type"] == "Reject").unwrap();
        assert_eq!(rejected.body["object"]["id"], r_follow.as_str());
        act(&app, &alice.token, &format!("/api/v1/accounts/{r}/unblock")).await;
        let unb = &next(&host, &mut seen, 1).await[0].body;
        assert_eq!(unb["type"], "Undo");
        assert_eq!(unb["object"]["id"], block.body["id"]);

        // Everything was signed by alice's key, and nothing more arrived.
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        let all = host.received();
        assert_eq!(all.len(), seen);
        assert!(
            all.iter()
                .all(|r| r.verified && r.body["actor"] == me.as_str())
        );
    })
    .await;
}
