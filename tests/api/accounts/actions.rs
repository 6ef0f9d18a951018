//! Follow, unfollow, follow requests, remove_from_followers, block, mute, note and
//! relationships.

use reqwest::StatusCode;
use serde_json::json;

use super::support::*;
use crate::common::*;

fn action(target: &TestUser, name: &str) -> String {
    format!("/api/v1/accounts/{}/{name}", target.account_id)
}

#[tokio::test]
async fn follow_and_unfollow() {
    each_backend(|app| async move {
        let alice = app.user("alice").await;
        let bob = app.user("bob").await;
        let older = insert_status(
            &app,
            &bob.account_id,
            NewStatus {
                text: "before",
                ..Default::default()
            },
        )
        .await;
        let private = insert_status(
            &app,
            &bob.account_id,
            NewStatus {
                visibility: "private",
                text: "fo",
                ..Default::default()
            },
        )
        .await;

        let v = act(&app, &alice, &bob, "follow").await;
        assert_shape("POST /api/v1/accounts/:id/follow 200", &v);
        assert_eq!(v["following"], true);
        assert_eq!(v["showing_reblogs"], true);
        assert_eq!(v["notifying"], false);
        assert_eq!(v["requested"], false);
        assert!(v["languages"].is_null());
        assert_eq!(counters(&app, &alice.account_id).await, (0, 1));
        assert_eq!(counters(&app, &bob.account_id).await, (1, 0));
        assert_eq!(
            notifications(&app, &bob.account_id, &alice.account_id, "follow").await,
            1
        );
        // Bob's earlier posts, followers-only ones included, are merged into Alice's feed.
        assert_eq!(
            feed_entries(&app, &alice.account_id, &bob.account_id).await,
            2
        );
        let _ = (older, private);

        // Following again changes only the options given; counters stay exact.
        let v = json(
            app.post_json(
                &action(&bob, "follow"),
                Some(&alice.token),
                &json!({"reblogs": false, "notify": true, "languages": ["en", "DE"]}),
            )
            .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(v["showing_reblogs"], false);
        assert_eq!(v["notifying"], true);
        assert_eq!(v["languages"], json!(["en", "de"]));
        let v = json(
            app.post_form(
                &action(&bob, "follow"),
                Some(&alice.token),
                &[("languages[]", "")],
            )
            .await,
            StatusCode::OK,
        )
        .await;
        assert!(v["languages"].is_null());
        assert_eq!(v["showing_reblogs"], false, "unchanged when not given");
        assert_eq!(counters(&app, &bob.account_id).await, (1, 0));
        assert_eq!(
            notifications(&app, &bob.account_id, &alice.account_id, "follow").await,
            1
        );

        let v = act(&app, &bob, &alice, "follow").await;
        assert_eq!(v["followed_by"], true);

        let v = act(&app, &alice, &bob, "unfollow").await;
        assert_shape("POST /api/v1/accounts/:id/unfollow 200", &v);
        assert_eq!(v["following"], false);
        assert_eq!(v["followed_by"], true);
        assert_eq!(counters(&app, &alice.account_id).await, (1, 0));
        assert_eq!(counters(&app, &bob.account_id).await, (0, 1));
        assert_eq!(
            feed_entries(&app, &alice.account_id, &bob.account_id).await,
            0
        );
        assert_eq!(
            notifications(&app, &bob.account_id, &alice.account_id, "follow").await,
            0
        );
        // Idempotent.
        act(&app, &alice, &bob, "unfollow").await;
        assert_eq!(counters(&app, &bob.account_id).await, (0, 1));
    })
    .await;
}

#[tokio::test]
async fn follow_refusals_and_scopes() {
    each_backend(|app| async move {
        let alice = app.user("alice").await;
        let bob = app.user("bob").await;
        let carol = app.user("carol").await;
        error(
            app.post_empty(&action(&alice, "follow"), Some(&alice.token))
                .await,
            StatusCode::FORBIDDEN,
        )
        .await;
        error(
            app.post_empty("/api/v1/accounts/4242/follow", Some(&alice.token))
                .await,
            StatusCode::NOT_FOUND,
        )
        .await;
        error(
            app.post_empty("/api/v1/accounts/x/follow", Some(&alice.token))
                .await,
            StatusCode::NOT_FOUND,
        )
        .await;
        error(
            app.post_empty("/api/v1/accounts/4242/unfollow", Some(&alice.token))
                .await,
            StatusCode::NOT_FOUND,
        )
        .await;

        // Blocked either way: 403.
        act(&app, &bob, &alice, "block").await;
        error(
            app.post_empty(&action(&bob, "follow"), Some(&alice.token))
                .await,
            StatusCode::FORBIDDEN,
        )
        .await;
        error(
            app.post_empty(&action(&alice, "follow"), Some(&bob.token))
                .await,
            StatusCode::FORBIDDEN,
        )
        .await;

        // Suspended accounts cannot be followed.
        exec(
            &app,
            "UPDATE accounts SET suspended_at = 1 WHERE id = $1",
            &[carol.account_id.parse().unwrap()],
        )
        .await;
        error(
            app.post_empty(&action(&carol, "follow"), Some(&alice.token))
                .await,
            StatusCode::NOT_FOUND,
        )
        .await;

        let dave = app.user("dave").await;
        error(
            app.post_empty(&action(&dave, "follow"), None).await,
            StatusCode::UNAUTHORIZED,
        )
        .await;
        let read = token_with(&app, &alice, "read").await;
        error(
            app.post_empty(&action(&dave, "follow"), Some(&read)).await,
            StatusCode::FORBIDDEN,
        )
        .await;
        let app_only = app_token(&app, "write follow").await;
        error(
            app.post_empty(&action(&dave, "follow"), Some(&app_only))
                .await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        for scopes in ["follow", "write:follows", "write"] {
            let t = token_with(&app, &alice, scopes).await;
            json(
                app.post_empty(&action(&dave, "follow"), Some(&t)).await,
                StatusCode::OK,
            )
            .await;
        }
        // Malformed options.
        error(
            app.post_json(
                &action(&dave, "follow"),
                Some(&alice.token),
                &json!({"reblogs": "sometimes"}),
            )
            .await,
            StatusCode::BAD_REQUEST,
        )
        .await;
        error(
            app.post_json(
                &action(&dave, "follow"),
                Some(&alice.token),
                &json!({"languages": ["klingon"]}),
            )
            .await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(counters(&app, &dave.account_id).await, (1, 0));
    })
    .await;
}

#[tokio::test]
async fn locked_account_request_flow() {
    each_backend(|app| async move {
        let alice = app.user("alice").await;
        let bob = app.user("bob").await;
        let carol = app.user("carol").await;
        exec(
            &app,
            "UPDATE accounts SET locked = TRUE WHERE id = $1",
            &[bob.account_id.parse().unwrap()],
        )
        .await;
        insert_status(
            &app,
            &bob.account_id,
            NewStatus {
                visibility: "private",
                text: "secret",
                ..Default::default()
            },
        )
        .await;

        let v = json(
            app.post_json(
                &action(&bob, "follow"),
                Some(&alice.token),
                &json!({"reblogs": false}),
            )
            .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(v["following"], false);
        assert_eq!(v["requested"], true);
        assert_eq!(v["showing_reblogs"], false);
        assert_eq!(counters(&app, &bob.account_id).await, (0, 0));
        assert_eq!(
            notifications(&app, &bob.account_id, &alice.account_id, "follow_request").await,
            1
        );
        assert_eq!(
            notifications(&app, &bob.account_id, &alice.account_id, "follow").await,
            0
        );
        assert_eq!(
            feed_entries(&app, &alice.account_id, &bob.account_id).await,
            0
        );
        // Asking again keeps a single request.
        let v = act(&app, &alice, &bob, "follow").await;
        assert_eq!(v["requested"], true);
        act(&app, &carol, &bob, "follow").await;

        let v = json(
            app.get("/api/v1/accounts/verify_credentials", Some(&bob.token))
                .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(v["source"]["follow_requests_count"], 2);
        let v = act(&app, &bob, &alice, "block").await;
        let _ = v;
        act(&app, &bob, &alice, "unblock").await;
        // The block withdrew Alice's request.
        let resp = app.get("/api/v1/follow_requests", Some(&bob.token)).await;
        let v = json(resp, StatusCode::OK).await;
        assert_eq!(ids(&v), vec![carol.account_id.clone()]);
        let v = act(&app, &alice, &bob, "follow").await;
        assert_eq!(v["requested"], true);
        touch(&app, &alice).await;
        touch(&app, &carol).await;
        let v = json(
            app.get("/api/v1/follow_requests", Some(&bob.token)).await,
            StatusCode::OK,
        )
        .await;
        assert_shape("GET /api/v1/follow_requests 200", &v);

        let resp = app
            .get("/api/v1/follow_requests?limit=1", Some(&bob.token))
            .await;
        let l = link(&resp).expect("Link");
        let v = json(resp, StatusCode::OK).await;
        assert_eq!(ids(&v), vec![alice.account_id.clone()]);
        let v = json(
            get_abs(&app, &link_url(&l, "next").unwrap(), Some(&bob.token)).await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(ids(&v), vec![carol.account_id.clone()]);

        let r = app
            .get(
                &format!("/api/v1/accounts/relationships?id[]={}", alice.account_id),
                Some(&bob.token),
            )
            .await;
        let r = json(r, StatusCode::OK).await;
        assert_eq!(r[0]["requested_by"], true);

        // Authorize: the follow exists with the request's options.
        let v = json(
            app.post_empty(
                &format!("/api/v1/follow_requests/{}/authorize", alice.account_id),
                Some(&bob.token),
            )
            .await,
            StatusCode::OK,
        )
        .await;
        assert_shape("POST /api/v1/follow_requests/:id/authorize 200", &v);
        assert_eq!(v["followed_by"], true);
        assert_eq!(v["requested_by"], false);
        assert_eq!(counters(&app, &bob.account_id).await, (1, 0));
        assert_eq!(counters(&app, &alice.account_id).await, (0, 1));
        assert_eq!(
            notifications(&app, &bob.account_id, &alice.account_id, "follow").await,
            1
        );
        assert_eq!(
            notifications(&app, &bob.account_id, &alice.account_id, "follow_request").await,
            0
        );
        assert_eq!(
            feed_entries(&app, &alice.account_id, &bob.account_id).await,
            1
        );
        let rel = json(
            app.post_empty(&action(&bob, "follow"), Some(&alice.token))
                .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(rel["following"], true);
        assert_eq!(
            rel["showing_reblogs"], true,
            "last follow call gave no options; request kept none"
        );
        // Authorizing again is a no-op.
        json(
            app.post_empty(
                &format!("/api/v1/follow_requests/{}/authorize", alice.account_id),
                Some(&bob.token),
            )
            .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(counters(&app, &bob.account_id).await, (1, 0));

        // Reject Carol.
        let v = json(
            app.post_empty(
                &format!("/api/v1/follow_requests/{}/reject", carol.account_id),
                Some(&bob.token),
            )
            .await,
            StatusCode::OK,
        )
        .await;
        assert_shape("POST /api/v1/follow_requests/:id/reject 200", &v);
        assert_eq!(v["followed_by"], false);
        assert_eq!(v["requested_by"], false);
        assert_eq!(
            notifications(&app, &bob.account_id, &carol.account_id, "follow_request").await,
            0
        );
        error(
            app.post_empty(
                &format!("/api/v1/follow_requests/{}/reject", carol.account_id),
                Some(&bob.token),
            )
            .await,
            StatusCode::NOT_FOUND,
        )
        .await;
        error(
            app.post_empty(
                &format!("/api/v1/follow_requests/{}/authorize", carol.account_id),
                Some(&bob.token),
            )
            .await,
            StatusCode::NOT_FOUND,
        )
        .await;
        error(
            app.post_empty("/api/v1/follow_requests/77/authorize", Some(&bob.token))
                .await,
            StatusCode::NOT_FOUND,
        )
        .await;

        // Unfollow withdraws a pending request.
        let v = act(&app, &carol, &bob, "follow").await;
        assert_eq!(v["requested"], true);
        let v = act(&app, &carol, &bob, "unfollow").await;
        assert_eq!(v["requested"], false);
        assert_eq!(
            notifications(&app, &bob.account_id, &carol.account_id, "follow_request").await,
            0
        );
        let v = json(
            app.get("/api/v1/follow_requests", Some(&bob.token)).await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(v, json!([]));

        // Scopes.
        error(
            app.get("/api/v1/follow_requests", None).await,
            StatusCode::UNAUTHORIZED,
        )
        .await;
        let w = token_with(&app, &bob, "write").await;
        error(
            app.get("/api/v1/follow_requests", Some(&w)).await,
            StatusCode::FORBIDDEN,
        )
        .await;
        let r = token_with(&app, &bob, "read").await;
        error(
            app.post_empty(
                &format!("/api/v1/follow_requests/{}/reject", carol.account_id),
                Some(&r),
            )
            .await,
            StatusCode::FORBIDDEN,
        )
        .await;
    })
    .await;
}

#[tokio::test]
async fn remove_from_followers() {
    each_backend(|app| async move {
        let alice = app.user("alice").await;
        let bob = app.user("bob").await;
        insert_status(
            &app,
            &bob.account_id,
            NewStatus {
                text: "hi",
                ..Default::default()
            },
        )
        .await;
        act(&app, &alice, &bob, "follow").await;
        assert_eq!(
            feed_entries(&app, &alice.account_id, &bob.account_id).await,
            1
        );
        let v = act(&app, &bob, &alice, "remove_from_followers").await;
        assert_shape("POST /api/v1/accounts/:id/remove_from_followers 200", &v);
        assert_eq!(v["followed_by"], false);
        assert_eq!(counters(&app, &bob.account_id).await, (0, 0));
        assert_eq!(counters(&app, &alice.account_id).await, (0, 0));
        assert_eq!(
            feed_entries(&app, &alice.account_id, &bob.account_id).await,
            0
        );
        act(&app, &bob, &alice, "remove_from_followers").await;
        assert_eq!(counters(&app, &bob.account_id).await, (0, 0));
        let r = token_with(&app, &bob, "read").await;
        error(
            app.post_empty(&action(&alice, "remove_from_followers"), Some(&r))
                .await,
            StatusCode::FORBIDDEN,
        )
        .await;
    })
    .await;
}

#[tokio::test]
async fn block_and_unblock() {
    each_backend(|app| async move {
        let alice = app.user("alice").await;
        let bob = app.user("bob").await;
        insert_status(
            &app,
            &alice.account_id,
            NewStatus {
                text: "a",
                ..Default::default()
            },
        )
        .await;
        insert_status(
            &app,
            &bob.account_id,
            NewStatus {
                text: "b",
                ..Default::default()
            },
        )
        .await;
        act(&app, &alice, &bob, "follow").await;
        act(&app, &bob, &alice, "follow").await;
        assert_eq!(counters(&app, &alice.account_id).await, (1, 1));

        let v = act(&app, &alice, &bob, "block").await;
        assert_shape("POST /api/v1/accounts/:id/block 200", &v);
        assert_eq!(v["blocking"], true);
        assert_eq!(v["following"], false);
        assert_eq!(v["followed_by"], false);
        assert_eq!(counters(&app, &alice.account_id).await, (0, 0));
        assert_eq!(counters(&app, &bob.account_id).await, (0, 0));
        assert_eq!(
            feed_entries(&app, &alice.account_id, &bob.account_id).await,
            0
        );
        assert_eq!(
            feed_entries(&app, &bob.account_id, &alice.account_id).await,
            0
        );
        let r = json(
            app.get(
                &format!("/api/v1/accounts/relationships?id[]={}", alice.account_id),
                Some(&bob.token),
            )
            .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(r[0]["blocked_by"], true);
        act(&app, &alice, &bob, "block").await;
        assert_eq!(scalar(&app, "SELECT count(*) FROM blocks", &[]).await, 1);

        let resp = app.get("/api/v1/blocks", Some(&alice.token)).await;
        let v = json(resp, StatusCode::OK).await;
        assert_shape("GET /api/v1/blocks 200", &v);
        assert_eq!(ids(&v), vec![bob.account_id.clone()]);

        let v = act(&app, &alice, &bob, "unblock").await;
        assert_shape("POST /api/v1/accounts/:id/unblock 200", &v);
        assert_eq!(v["blocking"], false);
        act(&app, &alice, &bob, "unblock").await;
        let v = json(
            app.get("/api/v1/blocks", Some(&alice.token)).await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(v, json!([]));

        // Blocking yourself does nothing; unknown accounts are 404; scopes are checked.
        let v = act(&app, &alice, &alice, "block").await;
        assert_eq!(v["blocking"], false);
        error(
            app.post_empty("/api/v1/accounts/999/block", Some(&alice.token))
                .await,
            StatusCode::NOT_FOUND,
        )
        .await;
        let t = token_with(&app, &alice, "write:follows").await;
        error(
            app.post_empty(&action(&bob, "block"), Some(&t)).await,
            StatusCode::FORBIDDEN,
        )
        .await;
        let t = token_with(&app, &alice, "write:blocks").await;
        json(
            app.post_empty(&action(&bob, "block"), Some(&t)).await,
            StatusCode::OK,
        )
        .await;
        let t = token_with(&app, &alice, "read:mutes").await;
        error(
            app.get("/api/v1/blocks", Some(&t)).await,
            StatusCode::FORBIDDEN,
        )
        .await;
        error(
            app.get("/api/v1/blocks", None).await,
            StatusCode::UNAUTHORIZED,
        )
        .await;
    })
    .await;
}

#[tokio::test]
async fn mute_with_expiry() {
    each_backend(|app| async move {
        let alice = app.user("alice").await;
        let bob = app.user("bob").await;
        let carol = app.user("carol").await;
        let v = act(&app, &alice, &bob, "mute").await;
        assert_shape("POST /api/v1/accounts/:id/mute 200", &v);
        assert_eq!(v["muting"], true);
        assert_eq!(v["muting_notifications"], true);
        assert!(v["muting_expires_at"].is_null());

        let before = woolly::time::now_ms();
        let v = json(
            app.post_json(
                &action(&carol, "mute"),
                Some(&alice.token),
                &json!({"notifications": false, "duration": 3600}),
            )
            .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(v["muting_notifications"], false);
        let expires =
            woolly::time::parse_rfc3339(v["muting_expires_at"].as_str().unwrap()).unwrap();
        assert!(expires >= before + 3_600_000 && expires <= woolly::time::now_ms() + 3_600_000);

        let resp = app.get("/api/v1/mutes", Some(&alice.token)).await;
        let v = json(resp, StatusCode::OK).await;
        assert_shape("GET /api/v1/mutes 200", &v);
        assert_eq!(
            ids(&v),
            vec![carol.account_id.clone(), bob.account_id.clone()]
        );
        assert!(v[0]["mute_expires_at"].is_string());
        assert!(v[1]["mute_expires_at"].is_null());
        let resp = app.get("/api/v1/mutes?limit=1", Some(&alice.token)).await;
        let l = link(&resp).expect("Link");
        let v = json(
            get_abs(&app, &link_url(&l, "next").unwrap(), Some(&alice.token)).await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(ids(&v), vec![bob.account_id.clone()]);

        // A lapsed mute is no mute.
        exec(
            &app,
            "UPDATE mutes SET expires_at = $1 WHERE target_account_id = $2",
            &[
                woolly::time::now_ms() - 1000,
                carol.account_id.parse().unwrap(),
            ],
        )
        .await;
        let v = json(
            app.get("/api/v1/mutes", Some(&alice.token)).await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(ids(&v), vec![bob.account_id.clone()]);
        let r = json(
            app.get(
                &format!("/api/v1/accounts/relationships?id[]={}", carol.account_id),
                Some(&alice.token),
            )
            .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(r[0]["muting"], false);
        // Muting again revives it, forever this time.
        let v = act(&app, &alice, &carol, "mute").await;
        assert_eq!(v["muting"], true);
        assert!(v["muting_expires_at"].is_null());
        assert_eq!(v["muting_notifications"], true);

        let v = act(&app, &alice, &bob, "unmute").await;
        assert_shape("POST /api/v1/accounts/:id/unmute 200", &v);
        assert_eq!(v["muting"], false);
        act(&app, &alice, &bob, "unmute").await;

        error(
            app.post_json(
                &action(&bob, "mute"),
                Some(&alice.token),
                &json!({"duration": -5}),
            )
            .await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        error(
            app.post_json(
                &action(&bob, "mute"),
                Some(&alice.token),
                &json!({"duration": "soon"}),
            )
            .await,
            StatusCode::BAD_REQUEST,
        )
        .await;
        error(
            app.post_empty("/api/v1/accounts/999/mute", Some(&alice.token))
                .await,
            StatusCode::NOT_FOUND,
        )
        .await;
        let t = token_with(&app, &alice, "write:blocks").await;
        error(
            app.post_empty(&action(&bob, "mute"), Some(&t)).await,
            StatusCode::FORBIDDEN,
        )
        .await;
        let t = token_with(&app, &alice, "read:blocks").await;
        error(
            app.get("/api/v1/mutes", Some(&t)).await,
            StatusCode::FORBIDDEN,
        )
        .await;
        let t = token_with(&app, &alice, "read:mutes").await;
        json(app.get("/api/v1/mutes", Some(&t)).await, StatusCode::OK).await;
    })
    .await;
}

#[tokio::test]
async fn private_notes() {
    each_backend(|app| async move {
        let alice = app.user("alice").await;
        let bob = app.user("bob").await;
        let v = json(
            app.post_json(
                &action(&bob, "note"),
                Some(&alice.token),
                &json!({"comment": "met at the conference"}),
            )
            .await,
            StatusCode::OK,
        )
        .await;
        assert_shape("POST /api/v1/accounts/:id/note 200", &v);
        assert_eq!(v["note"], "met at the conference");
        let v = json(
            app.post_form(
                &action(&bob, "note"),
                Some(&alice.token),
                &[("comment", "edited")],
            )
            .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(v["note"], "edited");
        // Bob does not see Alice's note.
        let r = json(
            app.get(
                &format!("/api/v1/accounts/relationships?id[]={}", alice.account_id),
                Some(&bob.token),
            )
            .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(r[0]["note"], "");
        let v = json(
            app.post_json(
                &action(&bob, "note"),
                Some(&alice.token),
                &json!({"comment": ""}),
            )
            .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(v["note"], "");
        assert_eq!(
            scalar(&app, "SELECT count(*) FROM account_notes", &[]).await,
            0
        );
        error(
            app.post_json(
                &action(&bob, "note"),
                Some(&alice.token),
                &json!({"comment": "x".repeat(2001)}),
            )
            .await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        error(
            app.post_empty("/api/v1/accounts/999/note", Some(&alice.token))
                .await,
            StatusCode::NOT_FOUND,
        )
        .await;
        let t = token_with(&app, &alice, "write:follows").await;
        error(
            app.post_empty(&action(&bob, "note"), Some(&t)).await,
            StatusCode::FORBIDDEN,
        )
        .await;
    })
    .await;
}

#[tokio::test]
async fn relationships_in_request_order() {
    each_backend(|app| async move {
        let alice = app.user("alice").await;
        let bob = app.user("bob").await;
        let carol = app.user("carol").await;
        let dave = app.user("dave").await;
        act(&app, &alice, &bob, "follow").await;
        act(&app, &carol, &alice, "follow").await;
        exec(
            &app,
            "UPDATE accounts SET suspended_at = 1 WHERE id = $1",
            &[dave.account_id.parse().unwrap()],
        )
        .await;

        let path = format!(
            "/api/v1/accounts/relationships?id[]={}&id[]=31337&id[]={}&id[]={}&id[]={}",
            carol.account_id, bob.account_id, dave.account_id, carol.account_id
        );
        let v = json(app.get(&path, Some(&alice.token)).await, StatusCode::OK).await;
        assert_shape("GET /api/v1/accounts/relationships 200", &v);
        assert_eq!(
            ids(&v),
            vec![carol.account_id.clone(), bob.account_id.clone()]
        );
        assert_eq!(v[0]["followed_by"], true);
        assert_eq!(v[0]["following"], false);
        assert_eq!(v[1]["following"], true);
        assert_eq!(v[1]["showing_reblogs"], true);
        assert_eq!(v[1]["endorsed"], false);
        assert_eq!(v[1]["domain_blocking"], false);

        let v = json(
            app.get(&format!("{path}&with_suspended=true"), Some(&alice.token))
                .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(ids(&v).len(), 3);
        let v = json(
            app.get(
                &format!("/api/v1/accounts/relationships?id={}", bob.account_id),
                Some(&alice.token),
            )
            .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(ids(&v), vec![bob.account_id.clone()]);
        let v = json(
            app.get("/api/v1/accounts/relationships", Some(&alice.token))
                .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(v, json!([]));

        error(app.get(&path, None).await, StatusCode::UNAUTHORIZED).await;
        let t = app_token(&app, "read").await;
        error(
            app.get(&path, Some(&t)).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        let t = token_with(&app, &alice, "read:accounts").await;
        error(app.get(&path, Some(&t)).await, StatusCode::FORBIDDEN).await;
        let t = token_with(&app, &alice, "follow").await;
        json(app.get(&path, Some(&t)).await, StatusCode::OK).await;
    })
    .await;
}

#[tokio::test]
async fn every_endpoint_checks_tokens_and_scopes() {
    each_backend(|app| async move {
        let alice = app.user("alice").await;
        let bob = app.user("bob").await;
        let b = bob.account_id.clone();
        let read_only = token_with(&app, &alice, "read").await;
        let write_only = token_with(&app, &alice, "write").await;
        let app_only = app_token(&app, "read write follow profile").await;
        use reqwest::Method;
        // (method, path, a user token lacking the needed scope)
        let user_endpoints: Vec<(Method, String, &str)> = vec![
            (
                Method::GET,
                "/api/v1/accounts/verify_credentials".into(),
                &write_only,
            ),
            (
                Method::PATCH,
                "/api/v1/accounts/update_credentials".into(),
                &read_only,
            ),
            (
                Method::GET,
                "/api/v1/accounts/search?q=bob".into(),
                &write_only,
            ),
            (
                Method::GET,
                format!("/api/v1/accounts/relationships?id[]={b}"),
                &write_only,
            ),
            (
                Method::GET,
                format!("/api/v1/accounts/familiar_followers?id[]={b}"),
                &write_only,
            ),
            (
                Method::GET,
                format!("/api/v1/accounts/{b}/lists"),
                &write_only,
            ),
            (
                Method::POST,
                format!("/api/v1/accounts/{b}/follow"),
                &read_only,
            ),
            (
                Method::POST,
                format!("/api/v1/accounts/{b}/unfollow"),
                &read_only,
            ),
            (
                Method::POST,
                format!("/api/v1/accounts/{b}/remove_from_followers"),
                &read_only,
            ),
            (
                Method::POST,
                format!("/api/v1/accounts/{b}/block"),
                &read_only,
            ),
            (
                Method::POST,
                format!("/api/v1/accounts/{b}/unblock"),
                &read_only,
            ),
            (
                Method::POST,
                format!("/api/v1/accounts/{b}/mute"),
                &read_only,
            ),
            (
                Method::POST,
                format!("/api/v1/accounts/{b}/unmute"),
                &read_only,
            ),
            (
                Method::POST,
                format!("/api/v1/accounts/{b}/note"),
                &read_only,
            ),
            (Method::GET, "/api/v1/follow_requests".into(), &write_only),
            (
                Method::POST,
                format!("/api/v1/follow_requests/{b}/authorize"),
                &read_only,
            ),
            (
                Method::POST,
                format!("/api/v1/follow_requests/{b}/reject"),
                &read_only,
            ),
            (Method::GET, "/api/v1/blocks".into(), &write_only),
            (Method::GET, "/api/v1/mutes".into(), &write_only),
        ];
        for (method, path, lacking) in &user_endpoints {
            let send = |token: Option<&str>| {
                let mut r = app.req(method.clone(), path);
                if let Some(t) = token {
                    r = r.bearer_auth(t);
                }
                r.send()
            };
            let what = format!("{method} {path}");
            assert_eq!(
                send(None).await.unwrap().status(),
                StatusCode::UNAUTHORIZED,
                "{what}"
            );
            assert_eq!(
                send(Some("bogus")).await.unwrap().status(),
                StatusCode::UNAUTHORIZED,
                "{what}"
            );
            error(send(Some(lacking)).await.unwrap(), StatusCode::FORBIDDEN).await;
            let e = error(
                send(Some(&app_only)).await.unwrap(),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
            assert_eq!(
                e["error"], "This method requires an authenticated user",
                "{what}"
            );
        }

        // Public endpoints: anonymous is fine, a token must carry the read scope.
        let public_endpoints = [
            format!("/api/v1/accounts/{b}"),
            format!("/api/v1/accounts?id[]={b}"),
            "/api/v1/accounts/lookup?acct=bob".to_string(),
            format!("/api/v1/accounts/{b}/statuses"),
            format!("/api/v1/accounts/{b}/followers"),
            format!("/api/v1/accounts/{b}/following"),
            format!("/api/v1/accounts/{b}/featured_tags"),
        ];
        for path in &public_endpoints {
            json(app.get(path, None).await, StatusCode::OK).await;
            json(app.get(path, Some(&read_only)).await, StatusCode::OK).await;
            json(app.get(path, Some(&app_only)).await, StatusCode::OK).await;
            error(
                app.get(path, Some(&write_only)).await,
                StatusCode::FORBIDDEN,
            )
            .await;
            error(app.get(path, Some("bogus")).await, StatusCode::UNAUTHORIZED).await;
        }
    })
    .await;
}

#[tokio::test]
async fn concurrent_actions_keep_counters_exact() {
    each_backend(|app| async move {
        let app = &app;
        let star = app.user("star").await;
        let mut fans = Vec::new();
        for i in 0..4 {
            fans.push(app.user(&format!("fan{i}")).await);
        }
        let follow_all = fans.iter().flat_map(|f| {
            let path = action(&star, "follow");
            (0..3).map(move |_| (path.clone(), f.token.clone()))
        });
        let results = futures::future::join_all(
            follow_all.map(|(p, t)| async move { app.post_empty(&p, Some(&t)).await.status() }),
        )
        .await;
        assert!(results.iter().all(|s| *s == StatusCode::OK), "{results:?}");
        assert_eq!(counters(app, &star.account_id).await, (4, 0));
        let rows = scalar(
            app,
            "SELECT count(*) FROM follows WHERE target_account_id = $1",
            &[star.account_id.parse().unwrap()],
        )
        .await;
        assert_eq!(rows, 4);

        let unfollow_all = fans.iter().flat_map(|f| {
            let path = action(&star, "unfollow");
            (0..3).map(move |_| (path.clone(), f.token.clone()))
        });
        futures::future::join_all(
            unfollow_all.map(|(p, t)| async move { app.post_empty(&p, Some(&t)).await.status() }),
        )
        .await;
        assert_eq!(counters(app, &star.account_id).await, (0, 0));
        for f in &fans {
            assert_eq!(counters(app, &f.account_id).await, (0, 0));
        }

        // Opposite follows and blocks racing each other neither deadlock nor drift.
        let (a, b) = (&fans[0], &fans[1]);
        for round in 0..5 {
            let (x, y) = if round % 2 == 0 {
                ("follow", "follow")
            } else {
                ("block", "follow")
            };
            let (p1, p2) = (action(b, x), action(a, y));
            let (r1, r2) = tokio::join!(
                app.post_empty(&p1, Some(&a.token)),
                app.post_empty(&p2, Some(&b.token)),
            );
            assert!(
                r1.status() == StatusCode::OK,
                "{}",
                r1.text().await.unwrap()
            );
            // Following someone who just blocked you is refused.
            assert!(matches!(
                r2.status(),
                StatusCode::OK | StatusCode::FORBIDDEN
            ));
            act(app, a, b, "unblock").await;
            let sql =
                "SELECT count(*) FROM follows WHERE account_id = $1 AND target_account_id = $2";
            let (ai, bi): (i64, i64) =
                (a.account_id.parse().unwrap(), b.account_id.parse().unwrap());
            let (ab, ba) = (
                scalar(app, sql, &[ai, bi]).await,
                scalar(app, sql, &[bi, ai]).await,
            );
            assert_eq!(counters(app, &a.account_id).await, (ba, ab));
            assert_eq!(counters(app, &b.account_id).await, (ab, ba));
            act(app, a, b, "unfollow").await;
            act(app, b, a, "unfollow").await;
        }
    })
    .await;
}
