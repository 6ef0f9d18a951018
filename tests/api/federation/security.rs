//! Regression tests of the federation security review: spoofed WebFinger answers, activity
//! ids claimed on another host, keys claimed by another actor, colliding ids. A hostile
//! fake remote ("evil") on 127.0.0.5 serves fixed documents, WebFinger answers chosen per
//! `resource`.

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::fake_remote::FakeHost;
use super::inbox::{Signer, count, deliver, signer_of};
use super::*;

const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";

/// A public `Create` of a Note `id` by `actor` (activity id `{id}/activity`).
fn create(id: &str, actor: &str, content: &str) -> Value {
    json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{id}/activity"), "type": "Create", "actor": actor,
        "to": [PUBLIC], "cc": [],
        "object": {"id": id, "type": "Note", "attributedTo": actor, "content": content,
                   "to": [PUBLIC], "cc": [], "published": "2024-05-01T10:00:00Z"},
    })
}

/// Delivers `signer`'s public Note `id` to `app` (accepted) and processes it.
async fn post_as(app: &TestApp, signer: &Signer, id: &str, content: &str) {
    let activity = create(id, &signer.actor, content);
    assert_eq!(
        deliver(app, "/inbox", &activity, signer).await,
        StatusCode::ACCEPTED
    );
    app.run_jobs().await;
}

/// Looks `acct` up through the API (resolving it), returning the status.
async fn lookup(app: &TestApp, acct: &str) -> StatusCode {
    app.get(&format!("/api/v1/accounts/lookup?acct={acct}"), None)
        .await
        .status()
}

#[tokio::test]
async fn a_reverse_webfinger_answer_naming_another_domain_is_not_stored() {
    each_backend_pair(|a, b| async move {
        let _bob = b.user("bob").await;
        let evil = FakeHost::start("127.0.0.5").await;
        let mallory = evil.actor("bob");
        let victim = format!("acct:bob@{}", domain(&b));
        // Asked for x@evil, evil names its actor bob@evil; asked for bob@evil, it claims
        // the actor is bob on B.
        evil.finger(
            "x",
            &evil.authority,
            &format!("acct:bob@{}", evil.authority),
            &mallory.actor,
        );
        evil.finger("bob", &evil.authority, &victim, &mallory.actor);
        lookup(&a, &format!("x@{}", evil.authority)).await;
        let spoofed = format!(
            "accounts WHERE username = 'bob' AND domain = '{}'",
            domain(&b)
        );
        assert_eq!(count(&a, &spoofed).await, 0, "stored under B's domain");
        assert_eq!(
            count(&a, &format!("accounts WHERE uri = '{}'", mallory.actor)).await,
            0
        );
        // An honest evil: bob@evil is stored as such.
        evil.finger(
            "bob",
            &evil.authority,
            &format!("acct:bob@{}", evil.authority),
            &mallory.actor,
        );
        assert_eq!(
            lookup(&a, &format!("x@{}", evil.authority)).await,
            StatusCode::OK
        );
        let honest = format!(
            "accounts WHERE username = 'bob' AND domain = '{}' AND uri = '{}'",
            evil.authority, mallory.actor
        );
        assert_eq!(count(&a, &honest).await, 1);
        // And B's bob still resolves to B's actor.
        assert_eq!(
            lookup(&a, &format!("bob@{}", domain(&b))).await,
            StatusCode::OK
        );
        let real = format!(
            "accounts WHERE username = 'bob' AND domain = '{}' AND uri = '{}'",
            domain(&b),
            actor_uri(&b, "bob")
        );
        assert_eq!(count(&a, &real).await, 1);
    })
    .await;
}

#[tokio::test]
async fn activity_ids_of_others_cannot_be_claimed_to_suppress_their_activities() {
    each_backend_pair(|a, b| async move {
        let reader = a.user("reader").await;
        let bob = b.user("bob").await;
        let eve = b.user("eve").await;
        let bob_s = signer_of(&b, &bob).await;
        let eve_s = signer_of(&b, &eve).await;
        follow_actor(&a, &reader, &bob_s.actor).await;
        let evil = FakeHost::start("127.0.0.5").await;
        let mallory = evil.actor("mallory");
        let id = format!("{}/statuses/7001", bob_s.actor);
        let delete_id = format!("{id}#delete");
        post_as(&a, &bob_s, &id, "<p>hi</p>").await;
        let stored = format!("statuses WHERE uri = '{id}'");
        assert_eq!(count(&a, &stored).await, 1);

        // Another host's actor may not use B's ids: refused, nothing stored.
        let claim = |actor: &str| {
            json!({"id": delete_id, "type": "Delete", "actor": actor,
                   "object": {"id": id, "type": "Tombstone"}})
        };
        assert_eq!(
            deliver(&a, "/inbox", &claim(&mallory.actor), &mallory).await,
            StatusCode::BAD_REQUEST
        );
        assert_eq!(
            count(
                &a,
                &format!("inbox_activities WHERE activity_uri = '{delete_id}'")
            )
            .await,
            0
        );
        // Another actor of the same host may, but only for itself: bob's Delete with the
        // same id is not taken for a redelivery of eve's.
        assert_eq!(
            deliver(&a, "/inbox", &claim(&eve_s.actor), &eve_s).await,
            StatusCode::ACCEPTED
        );
        a.run_jobs().await;
        assert_eq!(count(&a, &stored).await, 1, "eve deleted bob's status");
        assert_eq!(
            deliver(&a, "/inbox", &claim(&bob_s.actor), &bob_s).await,
            StatusCode::ACCEPTED
        );
        a.run_jobs().await;
        assert_eq!(count(&a, &stored).await, 0, "bob's Delete was suppressed");
    })
    .await;
}

#[tokio::test]
async fn boosts_and_follows_are_only_found_under_the_actors_own_ids() {
    each_backend_pair(|a, b| async move {
        let alice = a.user("alice").await;
        let bob = b.user("bob").await;
        let eve = b.user("eve").await;
        let bob_s = signer_of(&b, &bob).await;
        let eve_s = signer_of(&b, &eve).await;
        follow_actor(&a, &alice, &bob_s.actor).await;
        let evil = FakeHost::start("127.0.0.5").await;
        let mallory = evil.actor("mallory");
        let first = format!("{}/statuses/8001", bob_s.actor);
        post_as(&a, &bob_s, &first, "<p>1</p>").await;

        // Mallory boosts bob's first status under the URI of bob's next one, or without an
        // id: neither is stored, and bob's next status arrives.
        let next = format!("{}/statuses/8002", bob_s.actor);
        let mut boost = json!({"id": next, "type": "Announce", "actor": mallory.actor,
                               "to": [PUBLIC], "object": first});
        assert_eq!(
            deliver(&a, "/inbox", &boost, &mallory).await,
            StatusCode::BAD_REQUEST
        );
        boost.as_object_mut().unwrap().remove("id");
        assert_eq!(
            deliver(&a, "/inbox", &boost, &mallory).await,
            StatusCode::ACCEPTED
        );
        a.run_jobs().await;
        assert_eq!(
            count(&a, "statuses WHERE reblog_of_id IS NOT NULL").await,
            0
        );
        post_as(&a, &bob_s, &next, "<p>2</p>").await;
        let stored = format!(
            "statuses s JOIN accounts a ON a.id = s.account_id \
             WHERE s.uri = '{next}' AND a.uri = '{}' AND s.reblog_of_id IS NULL",
            bob_s.actor
        );
        assert_eq!(count(&a, &stored).await, 1);

        // Eve follows alice under the id bob uses for his Follow; bob's Undo by id still
        // finds his own follow.
        let follow_id = format!("{}#follows/1", bob_s.actor);
        for s in [&eve_s, &bob_s] {
            let f = json!({"id": follow_id, "type": "Follow", "actor": s.actor,
                           "object": actor_uri(&a, "alice")});
            assert_eq!(deliver(&a, "/inbox", &f, s).await, StatusCode::ACCEPTED);
        }
        a.run_jobs().await;
        let follows = |who: &str| {
            format!(
                "follows f JOIN accounts a ON a.id = f.account_id WHERE a.uri = '{who}' \
                 AND f.target_account_id = {}",
                alice.account_id
            )
        };
        assert_eq!(count(&a, &follows(&bob_s.actor)).await, 1);
        assert_eq!(count(&a, &follows(&eve_s.actor)).await, 1);
        let undo = json!({"id": format!("{}#undo/1", bob_s.actor), "type": "Undo",
                          "actor": bob_s.actor, "object": follow_id});
        assert_eq!(
            deliver(&a, "/inbox", &undo, &bob_s).await,
            StatusCode::ACCEPTED
        );
        a.run_jobs().await;
        assert_eq!(count(&a, &follows(&bob_s.actor)).await, 0);
        assert_eq!(count(&a, &follows(&eve_s.actor)).await, 1);
    })
    .await;
}

#[tokio::test]
async fn a_key_id_claimed_by_another_actor_does_not_break_the_owners_deliveries() {
    each_backend_pair(|a, b| async move {
        let reader = a.user("reader").await;
        let bob = b.user("bob").await;
        let bob_s = signer_of(&b, &bob).await;
        follow_actor(&a, &reader, &bob_s.actor).await;
        let evil = FakeHost::start("127.0.0.5").await;
        let mallory = evil.actor("mallory");
        // Bob is known to A with his key.
        let first = format!("{}/statuses/9001", bob_s.actor);
        post_as(&a, &bob_s, &first, "<p>1</p>").await;
        // Mallory's profile update claims bob's key id for its own key.
        let mut doc = evil.doc("/users/mallory");
        doc["publicKey"]["id"] = json!(format!("{}#main-key", bob_s.actor));
        let update = json!({"id": format!("{}#updates/1", mallory.actor), "type": "Update",
                            "actor": mallory.actor, "object": doc});
        assert_eq!(
            deliver(&a, "/inbox", &update, &mallory).await,
            StatusCode::ACCEPTED
        );
        a.run_jobs().await;
        let claimed = format!(
            "accounts WHERE uri = '{}' AND key_id = '{}#main-key'",
            mallory.actor, bob_s.actor
        );
        assert_eq!(count(&a, &claimed).await, 0);
        // Bob's next delivery is still verified.
        let next = format!("{}/statuses/9002", bob_s.actor);
        post_as(&a, &bob_s, &next, "<p>2</p>").await;
        assert_eq!(
            count(&a, &format!("statuses WHERE uri = '{next}'")).await,
            1
        );
    })
    .await;
}

#[tokio::test]
async fn a_remote_status_id_clash_is_not_taken_for_a_duplicate() {
    each_backend_pair(|a, b| async move {
        let reader = a.user("reader").await;
        let bob = b.user("bob").await;
        let bob_s = signer_of(&b, &bob).await;
        follow_actor(&a, &reader, &bob_s.actor).await;
        let first = format!("{}/statuses/9501", bob_s.actor);
        post_as(&a, &bob_s, &first, "<p>1</p>").await;
        let mut tx = a.state.db.begin().await.unwrap();
        let stored = woolly::db::inbox::status_by_uri(tx.conn(), &first)
            .await
            .unwrap()
            .expect("stored");
        // Another status drawing the same id: a free id is found next to it…
        let free = woolly::db::inbox::free_status_id(tx.conn(), stored.id)
            .await
            .unwrap();
        assert!(free > stored.id && free - stored.id < 64);
        // …and inserting it under the taken id fails instead of being skipped silently.
        let mut clash = stored.clone();
        clash.uri = format!("{}/statuses/9502", bob_s.actor);
        assert!(
            woolly::db::inbox::insert_status_if_new(tx.conn(), &clash)
                .await
                .is_err()
        );
        drop(tx);
        let mut tx = a.state.db.begin().await.unwrap();
        clash.id = free;
        assert!(
            woolly::db::inbox::insert_status_if_new(tx.conn(), &clash)
                .await
                .unwrap()
        );
        // The same uri again is the duplicate.
        clash.id = free + 1;
        assert!(
            !woolly::db::inbox::insert_status_if_new(tx.conn(), &clash)
                .await
                .unwrap()
        );
    })
    .await;
}
