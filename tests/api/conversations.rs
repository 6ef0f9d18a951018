//! Direct-message conversations: built from direct statuses posted locally or received by
//! federation, one per participant set, unread for recipients, read and deleted per account,
//! falling back to the previous status when the newest is deleted.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::*;
use crate::timelines::support::*;

/// Keys Mastodon sends as `null` in these cases but the reference responses have filled.
const NULLABLE: &[&str] = &["application", "last_status_at"];

async fn dm(app: &TestApp, user: &TestUser, text: &str, reply_to: Option<&str>) -> String {
    let mut body = json!({ "status": text, "visibility": "direct" });
    if let Some(r) = reply_to {
        body["in_reply_to_id"] = json!(r);
    }
    let v = json(
        app.post_json("/api/v1/statuses", Some(&user.token), &body)
            .await,
        StatusCode::OK,
    )
    .await;
    v["id"].as_str().unwrap().to_owned()
}

async fn conversations(app: &TestApp, user: &TestUser) -> Value {
    get_ok(app, "/api/v1/conversations", Some(&user.token)).await
}

async fn delete_status(app: &TestApp, user: &TestUser, id: &str) {
    let r = app
        .req(Method::DELETE, &format!("/api/v1/statuses/{id}"))
        .bearer_auth(&user.token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
}

#[tokio::test]
async fn direct_statuses_make_conversations() {
    each_backend(|app| async move {
        let alice = app.user("alice").await;
        let bob = app.user("bob").await;
        let carol = app.user("carol").await;
        let first = dm(&app, &alice, "@bob psst", None).await;
        // Not direct: no conversation.
        json(
            app.post_json(
                "/api/v1/statuses",
                Some(&alice.token),
                &json!({ "status": "@carol hi", "visibility": "private" }),
            )
            .await,
            StatusCode::OK,
        )
        .await;
        app.run_jobs().await;

        let v = conversations(&app, &bob).await;
        // Nullable in Mastodon too: the application of others' statuses, the last post date of
        // accounts without statuses.
        assert_shape_ignoring("GET /api/v1/conversations 200", &v, NULLABLE);
        assert_eq!(v.as_array().unwrap().len(), 1);
        assert_eq!(v[0]["unread"], true);
        assert_eq!(v[0]["accounts"][0]["id"], json!(alice.account_id));
        assert_eq!(v[0]["accounts"].as_array().unwrap().len(), 1);
        assert_eq!(v[0]["last_status"]["id"], json!(first));
        let mine = conversations(&app, &alice).await;
        assert_eq!(mine[0]["unread"], false);
        assert_eq!(mine[0]["accounts"][0]["id"], json!(bob.account_id));
        assert_eq!(conversations(&app, &carol).await, json!([]));

        // Bob answers in the thread: the same conversation on both sides, unread for alice.
        let reply = dm(&app, &bob, "@alice ok", Some(&first)).await;
        let mine = conversations(&app, &alice).await;
        assert_eq!(mine.as_array().unwrap().len(), 1);
        assert_eq!(mine[0]["unread"], true);
        assert_eq!(mine[0]["last_status"]["id"], json!(reply));
        let theirs = conversations(&app, &bob).await;
        assert_eq!(theirs.as_array().unwrap().len(), 1);
        assert_eq!(theirs[0]["unread"], false);

        // A third participant makes another conversation.
        dm(&app, &alice, "@bob @carol all of us", Some(&reply)).await;
        let mine = conversations(&app, &alice).await;
        assert_eq!(mine.as_array().unwrap().len(), 2);
        assert_eq!(mine[0]["accounts"].as_array().unwrap().len(), 2);
        assert_eq!(
            conversations(&app, &carol).await.as_array().unwrap().len(),
            1
        );

        // Deleting the newest status falls back to the previous one; deleting the last one
        // removes the conversation.
        let pair_id = mine[1]["id"].as_str().unwrap().to_owned();
        delete_status(&app, &bob, &reply).await;
        let mine = conversations(&app, &alice).await;
        let pair = mine
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == json!(pair_id))
            .unwrap();
        assert_eq!(pair["last_status"]["id"], json!(first));
        delete_status(&app, &alice, &first).await;
        let mine = conversations(&app, &alice).await;
        assert_eq!(mine.as_array().unwrap().len(), 1);
        assert_ne!(mine[0]["id"], json!(pair_id));
    })
    .await;
}

#[tokio::test]
async fn conversations_are_read_and_deleted_per_account() {
    each_backend(|app| async move {
        let alice = app.user("alice").await;
        let bob = app.user("bob").await;
        dm(&app, &alice, "@bob psst", None).await;
        let v = conversations(&app, &bob).await;
        let id = v[0]["id"].as_str().unwrap().to_owned();

        // Someone else's conversation: 404.
        error(
            app.post_empty(
                &format!("/api/v1/conversations/{id}/read"),
                Some(&alice.token),
            )
            .await,
            StatusCode::NOT_FOUND,
        )
        .await;
        let read = json(
            app.post_empty(
                &format!("/api/v1/conversations/{id}/read"),
                Some(&bob.token),
            )
            .await,
            StatusCode::OK,
        )
        .await;
        assert_shape_ignoring("POST /api/v1/conversations/:id/read 200", &read, NULLABLE);
        assert_eq!(read["unread"], false);
        assert_eq!(conversations(&app, &bob).await[0]["unread"], false);

        let del = |token: String, path: String| {
            let app = &app;
            async move {
                app.req(Method::DELETE, &path)
                    .bearer_auth(token)
                    .send()
                    .await
                    .unwrap()
            }
        };
        let path = format!("/api/v1/conversations/{id}");
        error(
            del(alice.token.clone(), path.clone()).await,
            StatusCode::NOT_FOUND,
        )
        .await;
        let r = json(del(bob.token.clone(), path.clone()).await, StatusCode::OK).await;
        assert_eq!(r, json!({}));
        assert_eq!(conversations(&app, &bob).await, json!([]));
        error(
            del(bob.token.clone(), path.clone()).await,
            StatusCode::NOT_FOUND,
        )
        .await;
        // Alice's side stays.
        assert_eq!(
            conversations(&app, &alice).await.as_array().unwrap().len(),
            1
        );
        // Bad ids.
        for bad in ["nope", "-1", "99999999999999999999"] {
            error(
                app.post_empty(
                    &format!("/api/v1/conversations/{bad}/read"),
                    Some(&bob.token),
                )
                .await,
                StatusCode::NOT_FOUND,
            )
            .await;
            error(
                del(bob.token.clone(), format!("/api/v1/conversations/{bad}")).await,
                StatusCode::NOT_FOUND,
            )
            .await;
        }
        // A new message in the thread brings the conversation back.
        dm(&app, &alice, "@bob again", None).await;
        assert_eq!(conversations(&app, &bob).await.as_array().unwrap().len(), 1);
    })
    .await;
}

#[tokio::test]
async fn conversations_need_tokens_and_skip_blocked_senders() {
    each_backend(|app| async move {
        let alice = app.user("alice").await;
        let bob = app.user("bob").await;
        let reader = app.user_with_scopes("reader", "read").await;
        let writer = app.user_with_scopes("writer", "write:statuses").await;
        error(
            app.get("/api/v1/conversations", None).await,
            StatusCode::UNAUTHORIZED,
        )
        .await;
        error(
            app.get("/api/v1/conversations", Some(&writer.token)).await,
            StatusCode::FORBIDDEN,
        )
        .await;
        dm(&app, &alice, "@reader hi", None).await;
        let v = conversations(&app, &reader).await;
        let id = v[0]["id"].as_str().unwrap().to_owned();
        error(
            app.post_empty(
                &format!("/api/v1/conversations/{id}/read"),
                Some(&reader.token),
            )
            .await,
            StatusCode::FORBIDDEN,
        )
        .await;
        error(
            app.post_empty(&format!("/api/v1/conversations/{id}/read"), None)
                .await,
            StatusCode::UNAUTHORIZED,
        )
        .await;
        // Bob blocks alice: her messages make no conversation for him.
        block(&app, aid(&bob), aid(&alice)).await;
        dm(&app, &alice, "@bob hello?", None).await;
        assert_eq!(conversations(&app, &bob).await, json!([]));
    })
    .await;
}

#[tokio::test]
async fn conversations_are_paginated_by_their_newest_status() {
    each_backend(|app| async move {
        let alice = app.user("alice").await;
        for name in ["b1", "b2", "b3"] {
            app.user(name).await;
            dm(&app, &alice, &format!("@{name} hi"), None).await;
        }
        let resp = app
            .get("/api/v1/conversations?limit=2", Some(&alice.token))
            .await;
        let next = link(&resp, &app.url, "next").expect("next link");
        let first = json(resp, StatusCode::OK).await;
        assert_eq!(first.as_array().unwrap().len(), 2);
        assert_eq!(first[0]["accounts"][0]["username"], "b3");
        let second = get_ok(&app, &next, Some(&alice.token)).await;
        assert_eq!(second.as_array().unwrap().len(), 1);
        assert_eq!(second[0]["accounts"][0]["username"], "b1");
        let all = get_ok(&app, "/api/v1/conversations?limit=500", Some(&alice.token)).await;
        assert_eq!(all.as_array().unwrap().len(), 3);
    })
    .await;
}

#[tokio::test]
async fn direct_statuses_from_another_server_make_conversations() {
    each_backend_pair(|a, b| async move {
        let alice = a.user("alice").await;
        let bob = b.user("bob").await;
        let text = format!("@alice@{} a secret", crate::federation::domain(&a));
        let sent = dm(&b, &bob, &text, None).await;
        crate::federation::settle(&[&a, &b]).await;
        let v = conversations(&a, &alice).await;
        assert_eq!(v.as_array().unwrap().len(), 1, "{v}");
        assert_eq!(v[0]["unread"], true);
        assert_eq!(
            v[0]["accounts"][0]["acct"],
            json!(format!("bob@{}", crate::federation::domain(&b)))
        );
        assert!(
            v[0]["last_status"]["content"]
                .as_str()
                .unwrap()
                .contains("a secret")
        );
        // The sender's side is on the sender's server.
        let mine = conversations(&b, &bob).await;
        assert_eq!(mine[0]["unread"], false);
        // Deleted remotely: the conversation goes.
        delete_status(&b, &bob, &sent).await;
        crate::federation::settle(&[&a, &b]).await;
        assert_eq!(conversations(&a, &alice).await, json!([]));
    })
    .await;
}

#[tokio::test]
async fn suspending_the_sender_domain_takes_its_messages_out() {
    each_backend_pair(|a, b| async move {
        let alice = a.user("alice").await;
        let bob = b.user("bob").await;
        let text = format!("@alice@{} psst", crate::federation::domain(&a));
        dm(&b, &bob, &text, None).await;
        // Alice answers: her conversation holds both statuses.
        crate::federation::settle(&[&a, &b]).await;
        let v = conversations(&a, &alice).await;
        let received = v[0]["last_status"]["id"].as_str().unwrap().to_owned();
        let handle = format!("@bob@{} ok", crate::federation::domain(&b));
        let answer = dm(&a, &alice, &handle, Some(&received)).await;
        assert_eq!(conversations(&a, &alice).await.as_array().unwrap().len(), 1);
        // A second thread holds only bob's status.
        dm(
            &b,
            &bob,
            &format!("@alice@{} other", crate::federation::domain(&a)),
            None,
        )
        .await;
        crate::federation::settle(&[&a, &b]).await;
        assert_eq!(conversations(&a, &alice).await.as_array().unwrap().len(), 2);
        let (_, admin) = crate::federation::operator(&a).await;
        json(
            a.post_json(
                "/api/v1/admin/domain_blocks",
                Some(&admin),
                &json!({"domain": crate::federation::domain(&b), "severity": "suspend"}),
            )
            .await,
            StatusCode::OK,
        )
        .await;
        a.run_jobs().await;
        // Bob's statuses are purged: the thread holding only his goes, the other keeps alice's
        // answer.
        let v = conversations(&a, &alice).await;
        assert_eq!(v.as_array().unwrap().len(), 1, "{v}");
        assert_eq!(v[0]["last_status"]["id"], json!(answer));
    })
    .await;
}
