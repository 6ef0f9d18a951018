//! Inbound statuses and boosts are stored only when they concern this server (Mastodon's
//! `related_to_local_activity?`): an unrelated Create or Announce is acknowledged (202) and
//! leaves nothing behind, while replies, addressed posts, posts of followed accounts and
//! boosts of local posts still arrive.

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::inbox::{PUBLIC, Signer, count, create, deliver, note, signer_of};
use super::*;

/// Whether `app` stores a status with ActivityPub id `uri`.
pub async fn stored(app: &TestApp, uri: &str) -> bool {
    count(app, &format!("statuses WHERE uri = '{uri}'")).await == 1
}

/// Delivers `activity` to `app`'s shared inbox (202 expected) and runs the jobs.
pub async fn deliver_ok(app: &TestApp, activity: &Value, signer: &Signer) {
    assert_eq!(
        deliver(app, "/inbox", activity, signer).await,
        StatusCode::ACCEPTED,
        "{activity}"
    );
    app.run_jobs().await;
}

fn announce(signer: &Signer, n: u32, object: &str) -> Value {
    json!({"id": format!("{}/statuses/{n}/activity", signer.actor), "type": "Announce",
           "actor": signer.actor, "object": object, "to": PUBLIC,
           "cc": [format!("{}/followers", signer.actor)], "published": "2024-05-01T10:00:00Z"})
}

#[tokio::test]
async fn unrelated_creates_and_announces_store_nothing_related_ones_arrive() {
    each_backend_pair(|a, b| async move {
        let alice = a.user("alice").await;
        let bob = b.user("bob").await;
        let dave = b.user("dave").await;
        let bob_s = signer_of(&b, &bob).await;
        let dave_s = signer_of(&b, &dave).await;
        let bob_followers = format!("{}/followers", bob_s.actor);
        let dave_followers = format!("{}/followers", dave_s.actor);
        let status = |who: &Signer, n: u32| format!("{}/statuses/{n}", who.actor);
        let alice_uri = actor_uri(&a, "alice");

        // Nobody here follows bob and he addresses nobody here: public, followers-only and
        // direct posts, and a boost of a post on his own server, all leave nothing.
        let b_post = post(&b, &bob, "a post on B", "public").await;
        let unrelated = [
            create(
                &bob_s.actor,
                note(
                    &status(&bob_s, 1),
                    &bob_s.actor,
                    "<p>1</p>",
                    json!(PUBLIC),
                    json!([bob_followers]),
                    json!([]),
                ),
            ),
            create(
                &bob_s.actor,
                note(
                    &status(&bob_s, 2),
                    &bob_s.actor,
                    "<p>2</p>",
                    json!([bob_followers]),
                    json!([]),
                    json!([]),
                ),
            ),
            create(
                &bob_s.actor,
                note(
                    &status(&bob_s, 3),
                    &bob_s.actor,
                    "<p>3</p>",
                    json!(["https://elsewhere.example/users/x"]),
                    json!([]),
                    json!([]),
                ),
            ),
            // A Mention tag alone (not in to/cc) does not make it related, as in Mastodon.
            create(
                &bob_s.actor,
                note(
                    &status(&bob_s, 4),
                    &bob_s.actor,
                    "<p>4</p>",
                    json!(PUBLIC),
                    json!([]),
                    json!([{"type": "Mention", "href": alice_uri}]),
                ),
            ),
        ];
        for activity in &unrelated {
            deliver_ok(&a, activity, &bob_s).await;
        }
        deliver_ok(
            &a,
            &announce(&bob_s, 90, b_post["uri"].as_str().unwrap()),
            &bob_s,
        )
        .await;
        assert_eq!(count(&a, "statuses").await, 0);
        assert_eq!(count(&a, "home_feed").await, 0);
        let public = json(
            a.get("/api/v1/timelines/public", None).await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(public, json!([]));
        // Acknowledged and processed all the same.
        assert_eq!(
            count(&a, "inbox_activities WHERE processed_at IS NULL").await,
            0
        );

        // Addressed to alice (to/cc), or a reply to her post: stored.
        let alice_post = post(&a, &alice, "alice's post", "public").await;
        let alice_post_uri = alice_post["uri"].as_str().unwrap();
        let addressed = create(
            &bob_s.actor,
            note(
                &status(&bob_s, 10),
                &bob_s.actor,
                "<p>10</p>",
                json!(PUBLIC),
                json!([alice_uri]),
                json!([]),
            ),
        );
        deliver_ok(&a, &addressed, &bob_s).await;
        assert!(stored(&a, &status(&bob_s, 10)).await);
        let mut reply = note(
            &status(&dave_s, 11),
            &dave_s.actor,
            "<p>11</p>",
            json!(PUBLIC),
            json!([dave_followers]),
            json!([]),
        );
        reply["inReplyTo"] = json!(alice_post_uri);
        deliver_ok(&a, &create(&dave_s.actor, reply.clone()), &dave_s).await;
        assert!(stored(&a, &status(&dave_s, 11)).await);
        // A followers-only reply that addresses nobody here is not (Mastodon needs a follow
        // or an address for those).
        let mut private_reply = reply.clone();
        private_reply["id"] = json!(status(&dave_s, 12));
        private_reply["to"] = json!([dave_followers]);
        private_reply["cc"] = json!([]);
        deliver_ok(&a, &create(&dave_s.actor, private_reply), &dave_s).await;
        assert!(!stored(&a, &status(&dave_s, 12)).await);

        // Once alice follows bob, his public and followers-only posts arrive, replies to
        // them by strangers too, and so do his boosts; a stranger's boost of his post not.
        follow_actor(&a, &alice, &bob_s.actor).await;
        for activity in &unrelated[..2] {
            // (a new activity id: the first delivery's id is remembered as seen)
            let mut again = activity.clone();
            again["id"] = json!(format!("{}/again", activity["id"].as_str().unwrap()));
            deliver_ok(&a, &again, &bob_s).await;
        }
        assert!(stored(&a, &status(&bob_s, 1)).await);
        assert!(stored(&a, &status(&bob_s, 2)).await);
        let mut reply_to_bob = note(
            &status(&dave_s, 13),
            &dave_s.actor,
            "<p>13</p>",
            json!(PUBLIC),
            json!([]),
            json!([]),
        );
        reply_to_bob["inReplyTo"] = json!(status(&bob_s, 1));
        deliver_ok(&a, &create(&dave_s.actor, reply_to_bob), &dave_s).await;
        assert!(stored(&a, &status(&dave_s, 13)).await);
        deliver_ok(
            &a,
            &announce(&dave_s, 91, b_post["uri"].as_str().unwrap()),
            &dave_s,
        )
        .await;
        assert!(!stored(&a, &format!("{}/statuses/91/activity", dave_s.actor)).await);
        assert!(!stored(&a, b_post["uri"].as_str().unwrap()).await);
        let bob_boost = announce(&bob_s, 92, b_post["uri"].as_str().unwrap());
        deliver_ok(&a, &bob_boost, &bob_s).await;
        assert!(stored(&a, &format!("{}/statuses/92/activity", bob_s.actor)).await);
        assert!(stored(&a, b_post["uri"].as_str().unwrap()).await);
        // A stranger's boost of alice's own post is related to her.
        deliver_ok(&a, &announce(&dave_s, 93, alice_post_uri), &dave_s).await;
        assert!(stored(&a, &format!("{}/statuses/93/activity", dave_s.actor)).await);
        let home = json(
            a.get("/api/v1/timelines/home", Some(&alice.token)).await,
            StatusCode::OK,
        )
        .await;
        let uris: Vec<&str> = home
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["uri"].as_str().unwrap())
            .collect();
        assert!(uris.contains(&status(&bob_s, 2).as_str()), "{uris:?}");
    })
    .await;
}
