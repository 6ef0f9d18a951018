//! Inbox forwarding of replies, as Mastodon does it: a remote reply to a local status (and
//! its Update and Delete) that came signed by its author and carries the author's signature
//! block is sent on to the local author's followers through the delivery queue, signed by
//! the local author, leaving out the replier's own server. The receiving Woolly takes such a
//! forwarded activity only as the object's origin confirms it.
//!
//! Three servers: A (alice, the local author), B (bob, who follows alice) and a fake remote
//! C on 127.0.0.4 (carol, the replier, who follows alice too).

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::fake_remote::FakeHost;
use super::inbox::{PUBLIC, Signer, count, create, deliver, note, signer_of};
use super::*;

/// A Linked Data signature block, as Mastodon attaches to the activities it sends (only its
/// presence matters to the forwarding server; receivers check it or, like Woolly, refetch).
fn ld_signed(mut activity: Value, signer: &Signer) -> Value {
    activity["signature"] = json!({
        "type": "RsaSignature2017",
        "creator": format!("{}#main-key", signer.actor),
        "created": "2024-05-01T10:00:00Z",
        "signatureValue": "c2lnbmVk",
    });
    activity
}

async fn stored_on(app: &TestApp, uri: &str) -> bool {
    count(app, &format!("statuses WHERE uri = '{uri}'")).await == 1
}

/// The POSTs C received carrying the activity `id`.
fn received_by(c: &FakeHost, id: &str) -> usize {
    c.received().iter().filter(|r| r.body["id"] == id).count()
}

#[tokio::test]
async fn replies_to_local_statuses_are_forwarded_to_the_authors_followers() {
    each_backend_pair(|a, b| async move {
        let alice = a.user("alice").await;
        let bob = b.user("bob").await;
        let alice_uri = actor_uri(&a, "alice");
        // bob (on B) follows alice.
        super::network::follow_remote(&b, &bob, &a, &alice).await;
        let parent = post(&a, &alice, "what do you think?", "public").await;
        let parent_uri = parent["uri"].as_str().unwrap().to_owned();
        settle(&[&a, &b]).await;
        assert!(stored_on(&b, &parent_uri).await);

        // carol (on C) follows alice too, and so does dave on another fake server D.
        let c = FakeHost::start("127.0.0.4").await;
        let carol = c.actor("carol");
        let d = FakeHost::start("127.0.0.4").await;
        let dave = d.actor("dave");
        for follower in [&carol, &dave] {
            let follow = json!({"id": format!("{}#follows/1", follower.actor), "type": "Follow",
                                "actor": follower.actor, "object": alice_uri});
            assert_eq!(
                deliver(&a, "/inbox", &follow, follower).await,
                StatusCode::ACCEPTED
            );
        }
        settle(&[&a, &b]).await;

        // carol replies, publicly, signing the activity herself.
        let reply_path = "/users/carol/statuses/1";
        let reply_uri = format!("{}{reply_path}", c.base);
        let followers = format!("{}/followers", carol.actor);
        let mut reply = note(
            &reply_uri,
            &carol.actor,
            "<p>I agree</p>",
            json!(PUBLIC),
            json!([followers, alice_uri]),
            json!([{"type": "Mention", "href": alice_uri}]),
        );
        reply["inReplyTo"] = json!(parent_uri);
        c.serve(reply_path, reply.clone());
        let create_reply = ld_signed(create(&carol.actor, reply.clone()), &carol);
        assert_eq!(
            deliver(&a, "/inbox", &create_reply, &carol).await,
            StatusCode::ACCEPTED
        );
        settle(&[&a, &b]).await;
        assert!(stored_on(&a, &reply_uri).await);
        // B got it from A (signed by alice), checked it with C, and shows it in the thread.
        assert!(stored_on(&b, &reply_uri).await);
        let parent_on_b = {
            let mut h = b.state.db.read().await.unwrap();
            woolly::db::inbox::status_by_uri(h.conn(), &parent_uri)
                .await
                .unwrap()
                .unwrap()
                .id
        };
        let context = json(
            b.get(
                &format!("/api/v1/statuses/{parent_on_b}/context"),
                Some(&bob.token),
            )
            .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(
            context["descendants"][0]["uri"],
            reply_uri.as_str(),
            "{context}"
        );
        // Not sent back to the replier's own server; D got the activity as carol sent it
        // (her signature block included), signed by alice.
        assert_eq!(received_by(&c, create_reply["id"].as_str().unwrap()), 0);
        let at_d: Vec<_> = d
            .received()
            .into_iter()
            .filter(|r| r.body["id"] == create_reply["id"])
            .collect();
        assert_eq!(at_d.len(), 1);
        assert_eq!(at_d[0].body, create_reply);
        assert_eq!(at_d[0].signed_by.as_deref(), Some(alice_uri.as_str()));

        // Not forwarded: a reply without the author's signature block, and a direct one.
        let mut unsigned = reply.clone();
        unsigned["id"] = json!(format!("{}/users/carol/statuses/2", c.base));
        let mut direct = reply.clone();
        direct["id"] = json!(format!("{}/users/carol/statuses/3", c.base));
        direct["to"] = json!([alice_uri]);
        direct["cc"] = json!([]);
        for (n, activity) in [
            create(&carol.actor, unsigned.clone()),
            ld_signed(create(&carol.actor, direct.clone()), &carol),
        ]
        .iter()
        .enumerate()
        {
            assert_eq!(
                deliver(&a, "/inbox", activity, &carol).await,
                StatusCode::ACCEPTED,
                "{n}"
            );
        }
        settle(&[&a, &b]).await;
        for n in [&unsigned, &direct] {
            let uri = n["id"].as_str().unwrap();
            assert!(stored_on(&a, uri).await, "{uri}");
            assert!(!stored_on(&b, uri).await, "{uri}");
        }

        // An edit follows the reply: B takes the edited text from C.
        let mut edited = reply.clone();
        edited["content"] = json!("<p>I agree, mostly</p>");
        edited["updated"] = json!("2024-05-02T10:00:00Z");
        c.serve(reply_path, edited.clone());
        let update = ld_signed(
            json!({"id": format!("{reply_uri}#updates/1"), "type": "Update", "actor": carol.actor,
                   "to": edited["to"], "cc": edited["cc"], "object": edited}),
            &carol,
        );
        assert_eq!(
            deliver(&a, "/inbox", &update, &carol).await,
            StatusCode::ACCEPTED
        );
        settle(&[&a, &b]).await;
        assert_eq!(
            count(&b, "statuses WHERE content = '<p>I agree, mostly</p>'").await,
            1
        );

        // A "forwarded" Delete while the reply still exists at its origin changes nothing:
        // alice's server cannot delete carol's reply on B.
        let alice_s = signer_of(&a, &alice).await;
        let forged = ld_signed(
            json!({"id": format!("{reply_uri}#delete"), "type": "Delete", "actor": carol.actor,
                   "object": {"id": reply_uri, "type": "Tombstone"}}),
            &carol,
        );
        assert_eq!(
            deliver(&b, "/inbox", &forged, &alice_s).await,
            StatusCode::ACCEPTED
        );
        b.run_jobs().await;
        assert!(stored_on(&b, &reply_uri).await);

        // carol deletes it: A removes it and forwards the Delete; B checks with C (gone)
        // and removes it too.
        c.withdraw(reply_path);
        let delete = ld_signed(
            json!({"id": format!("{reply_uri}#delete/2"), "type": "Delete", "actor": carol.actor,
                   "object": {"id": reply_uri, "type": "Tombstone"}}),
            &carol,
        );
        assert_eq!(
            deliver(&a, "/inbox", &delete, &carol).await,
            StatusCode::ACCEPTED
        );
        settle(&[&a, &b]).await;
        assert!(!stored_on(&a, &reply_uri).await);
        assert!(!stored_on(&b, &reply_uri).await);
        let forwarded_delete = received_by(&c, delete["id"].as_str().unwrap());
        assert_eq!(forwarded_delete, 0, "not sent back to C");
        // A plain activity signed by someone else than its actor is still refused.
        let mut plain = create(&carol.actor, reply.clone());
        plain["id"] = json!(format!("{reply_uri}/again"));
        assert_eq!(
            deliver(&b, "/inbox", &plain, &alice_s).await,
            StatusCode::UNAUTHORIZED
        );
    })
    .await;
}
