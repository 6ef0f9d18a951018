//! Federation bookkeeping: who may be notified, waking the delivery workers, remembered
//! deletions of remote statuses, and pruning of received activities.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::json;

use super::inbox::{PUBLIC, count, create, deliver, note, signer_of};
use super::*;

/// GETs the account id on `app` of `acct` through lookup.
async fn lookup(app: &TestApp, viewer: &TestUser, acct: &str) -> String {
    let a = json(
        app.get(
            &format!("/api/v1/accounts/lookup?acct={acct}"),
            Some(&viewer.token),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    a["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn remote_accounts_get_no_notification_rows() {
    each_backend_pair(|a, b| async move {
        let alice = a.user("alice").await;
        let bob = b.user("bob").await;
        let bob_on_a = lookup(&a, &alice, &format!("bob@{}", domain(&b))).await;
        a.post_empty(
            &format!("/api/v1/accounts/{bob_on_a}/follow"),
            Some(&alice.token),
        )
        .await;
        settle(&[&a, &b]).await;
        let s = post(&b, &bob, "hello", "public").await;
        settle(&[&a, &b]).await;
        let id = {
            let mut h = a.state.db.read().await.unwrap();
            woolly::db::inbox::status_by_uri(h.conn(), s["uri"].as_str().unwrap())
                .await
                .unwrap()
                .unwrap()
                .id
        };
        for action in ["favourite", "reblog"] {
            let r = a
                .post_empty(
                    &format!("/api/v1/statuses/{id}/{action}"),
                    Some(&alice.token),
                )
                .await;
            assert_eq!(r.status(), StatusCode::OK);
        }
        settle(&[&a, &b]).await;
        // A keeps no notification for bob (his server tells him), B has both.
        assert_eq!(count(&a, "notifications").await, 0);
        assert_eq!(
            count(
                &b,
                &format!("notifications WHERE account_id = {}", bob.account_id)
            )
            .await,
            3
        );
        // The direct check at the storage boundary.
        let mut tx = a.state.db.begin().await.unwrap();
        let made = woolly::service::notify::notify(
            tx.conn(),
            bob_on_a.parse().unwrap(),
            alice.account_id.parse().unwrap(),
            "mention",
            Some(id),
            id,
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        assert_eq!(made, None);
    })
    .await;
}

/// Whether `f` woke the server's workers (deliveries start at once, not at the next poll).
async fn wakes<F: std::future::Future>(app: &TestApp, f: F) -> bool {
    let woken = app.state.jobs_notify.notified();
    f.await;
    tokio::time::timeout(Duration::from_millis(1), woken)
        .await
        .is_ok()
}

#[tokio::test]
async fn graph_and_profile_actions_wake_the_delivery_workers() {
    each_backend_pair(|a, b| async move {
        let alice = a.user("alice").await;
        let carol = a.user("carol").await;
        let bob = b.user("bob").await;
        let bob_on_a = lookup(&a, &alice, &format!("bob@{}", domain(&b))).await;
        let path = |action: &str| format!("/api/v1/accounts/{bob_on_a}/{action}");
        for action in ["follow", "unfollow", "block", "unblock"] {
            let t = alice.token.clone();
            assert!(
                wakes(&a, a.post_empty(&path(action), Some(&t))).await,
                "{action} did not wake the workers"
            );
            settle(&[&a, &b]).await;
        }
        // Bob asks to follow locked carol; carol rejects, then (asked again) authorizes,
        // then removes him from her followers.
        update_profile(&a, &carol, json!({"locked": true})).await;
        let carol_on_b = lookup(&b, &bob, &format!("carol@{}", domain(&a))).await;
        for (i, answer) in ["reject", "authorize"].into_iter().enumerate() {
            b.post_empty(
                &format!("/api/v1/accounts/{carol_on_b}/follow"),
                Some(&bob.token),
            )
            .await;
            settle(&[&a, &b]).await;
            assert_eq!(count(&a, "follow_requests").await, 1, "round {i}");
            let t = carol.token.clone();
            let p = format!("/api/v1/follow_requests/{bob_on_a}/{answer}");
            assert!(wakes(&a, a.post_empty(&p, Some(&t))).await, "{answer}");
            settle(&[&a, &b]).await;
        }
        assert_eq!(count(&b, "follows").await, 1);
        let t = carol.token.clone();
        let p = path("remove_from_followers");
        assert!(wakes(&a, a.post_empty(&p, Some(&t))).await);
        settle(&[&a, &b]).await;
        assert_eq!(count(&b, "follows").await, 0);
        let r = a
            .req(Method::PATCH, "/api/v1/accounts/update_credentials")
            .bearer_auth(&carol.token)
            .json(&json!({"display_name": "Carol"}));
        assert!(wakes(&a, r.send()).await, "profile update");
    })
    .await;
}

#[tokio::test]
async fn a_create_processed_after_its_delete_does_not_bring_the_status_back() {
    each_backend_pair(|a, b| async move {
        let alice = a.user("alice").await;
        let bob = b.user("bob").await;
        let signer = signer_of(&b, &bob).await;
        follow_actor(&a, &alice, &signer.actor).await;
        let delete = |n: u32, uri: &str| {
            json!({"id": format!("{}#delete/{n}", signer.actor), "type": "Delete",
                   "actor": signer.actor, "object": {"id": uri, "type": "Tombstone"}})
        };
        let make = |n: u32, uri: &str| {
            let mut c = create(
                &signer.actor,
                note(
                    uri,
                    &signer.actor,
                    "<p>x</p>",
                    json!(PUBLIC),
                    json!([]),
                    json!([]),
                ),
            );
            c["id"] = json!(format!("{uri}/activity/{n}"));
            c
        };
        // The Delete arrives first, then the Create.
        let early = format!("{}/users/bob/statuses/9001", b.url);
        assert_eq!(
            deliver(&a, "/inbox", &delete(1, &early), &signer).await,
            StatusCode::ACCEPTED
        );
        a.run_jobs().await;
        assert_eq!(
            deliver(&a, "/inbox", &make(1, &early), &signer).await,
            StatusCode::ACCEPTED
        );
        a.run_jobs().await;
        assert_eq!(
            count(&a, &format!("statuses WHERE uri = '{early}'")).await,
            0
        );

        // A known status deleted, then its Create delivered again under a new activity id.
        let known = format!("{}/users/bob/statuses/9002", b.url);
        assert_eq!(
            deliver(&a, "/inbox", &make(2, &known), &signer).await,
            StatusCode::ACCEPTED
        );
        a.run_jobs().await;
        assert_eq!(
            count(&a, &format!("statuses WHERE uri = '{known}'")).await,
            1
        );
        assert_eq!(
            deliver(&a, "/inbox", &delete(2, &known), &signer).await,
            StatusCode::ACCEPTED
        );
        a.run_jobs().await;
        assert_eq!(
            deliver(&a, "/inbox", &make(3, &known), &signer).await,
            StatusCode::ACCEPTED
        );
        a.run_jobs().await;
        assert_eq!(
            count(&a, &format!("statuses WHERE uri = '{known}'")).await,
            0
        );

        // A Delete of an object on another server is not remembered.
        let elsewhere = "https://elsewhere.example/notes/1";
        assert_eq!(
            deliver(&a, "/inbox", &delete(3, elsewhere), &signer).await,
            StatusCode::ACCEPTED
        );
        a.run_jobs().await;
        assert_eq!(count(&a, "status_tombstones").await, 2);

        // Once the deletion is forgotten (six hours), the status may come back.
        let old = woolly::time::now_ms() - woolly::federation::prune::TOMBSTONE_RETENTION_MS - 1;
        exec(&a, "UPDATE status_tombstones SET deleted_at = $1", &[old]).await;
        let pruned = woolly::federation::prune::prune(&a.state.db, woolly::time::now_ms())
            .await
            .unwrap();
        assert_eq!(pruned.tombstones, 2);
        assert_eq!(
            deliver(&a, "/inbox", &make(4, &early), &signer).await,
            StatusCode::ACCEPTED
        );
        a.run_jobs().await;
        assert_eq!(
            count(&a, &format!("statuses WHERE uri = '{early}'")).await,
            1
        );
    })
    .await;
}

#[tokio::test]
async fn old_processed_activities_are_pruned() {
    each_backend_pair(|a, b| async move {
        let alice = a.user("alice").await;
        let bob = b.user("bob").await;
        let signer = signer_of(&b, &bob).await;
        follow_actor(&a, &alice, &signer.actor).await;
        for n in 0..3 {
            let uri = format!("{}/users/bob/statuses/{}", b.url, 7000 + n);
            let c = create(
                &signer.actor,
                note(&uri, &signer.actor, "<p>x</p>", json!(PUBLIC), json!([]), json!([])),
            );
            assert_eq!(deliver(&a, "/inbox", &c, &signer).await, StatusCode::ACCEPTED);
        }
        a.run_jobs().await;
        let now = woolly::time::now_ms();
        let week = woolly::federation::prune::ACTIVITY_RETENTION_MS;
        // Two are older than a week; one of them is not processed yet (it stays).
        exec(&a, "UPDATE inbox_activities SET received_at = $1 WHERE id IN (SELECT id FROM inbox_activities ORDER BY id LIMIT 2)", &[now - week - 1]).await;
        exec(&a, "UPDATE inbox_activities SET processed_at = NULL WHERE id = (SELECT min(id) FROM inbox_activities)", &[]).await;
        let pruned = woolly::federation::prune::prune(&a.state.db, now).await.unwrap();
        assert_eq!(pruned.activities, 1);
        assert_eq!(count(&a, "inbox_activities").await, 2);
        assert_eq!(count(&a, "statuses").await, 3);
        // Nothing more to do on a second pass.
        let again = woolly::federation::prune::prune(&a.state.db, now).await.unwrap();
        assert_eq!(again, woolly::federation::prune::Pruned::default());
    })
    .await;
}
