//! Polls between two Woolly servers: a poll goes out as a `Question`, votes from the other
//! server come back as `Create(Note{name})`, tallies travel as `Update(Question)`, and the
//! end closes it on both sides with `poll` notifications for the local voters.

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::inbox::{count, deliver};
use super::*;

/// Votes through the API, returning the status code and body.
async fn vote(
    app: &TestApp,
    user: &TestUser,
    poll_id: &str,
    choices: Value,
) -> (StatusCode, Value) {
    let resp = app
        .post_json(
            &format!("/api/v1/polls/{poll_id}/votes"),
            Some(&user.token),
            &json!({ "choices": choices }),
        )
        .await;
    let code = resp.status();
    (code, resp.json().await.unwrap_or(Value::Null))
}

/// `user`'s notifications of type `poll`.
async fn poll_notifications(app: &TestApp, user: &TestUser) -> Vec<Value> {
    json(
        app.get("/api/v1/notifications?types[]=poll", Some(&user.token))
            .await,
        StatusCode::OK,
    )
    .await
    .as_array()
    .unwrap()
    .clone()
}

#[tokio::test]
async fn a_poll_is_voted_on_and_closed_across_two_servers() {
    each_backend_pair(|a, b| async move {
        let alice = a.user("alice").await;
        let bob = b.user("bob").await;
        let carol = b.user("carol").await;
        // Alice (on A) follows Bob (on B).
        let handle = format!("bob@{}", domain(&b));
        let bob_on_a = json(
            a.get(
                &format!("/api/v1/accounts/lookup?acct={handle}"),
                Some(&alice.token),
            )
            .await,
            StatusCode::OK,
        )
        .await;
        json(
            a.post_empty(
                &format!(
                    "/api/v1/accounts/{}/follow",
                    bob_on_a["id"].as_str().unwrap()
                ),
                Some(&alice.token),
            )
            .await,
            StatusCode::OK,
        )
        .await;
        settle(&[&a, &b]).await;

        let status = post_with(
            &b,
            &bob,
            json!({
                "status": "Tea or coffee?",
                "visibility": "public",
                "poll": {"options": ["tea", "coffee"], "expires_in": 3600},
            }),
        )
        .await;
        let poll_on_b = status["poll"]["id"].as_str().unwrap().to_owned();
        // The status document is a Question.
        let doc = ap_ok(
            &b,
            &format!("/users/bob/statuses/{}", status["id"].as_str().unwrap()),
        )
        .await;
        assert_eq!(doc["type"], "Question", "{doc}");
        assert_eq!(doc["oneOf"][1]["name"], "coffee");
        assert_eq!(doc["oneOf"][1]["replies"]["totalItems"], 0);
        assert_eq!(doc["votersCount"], 0);
        assert!(doc["endTime"].is_string() && doc.get("closed").is_none());
        settle(&[&a, &b]).await;

        // It reaches Alice's home feed with its poll.
        let home = json(
            a.get("/api/v1/timelines/home", Some(&alice.token)).await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(home[0]["uri"], status["uri"], "{home}");
        let remote = &home[0]["poll"];
        assert_eq!(remote["options"][0]["title"], "tea");
        assert_eq!(remote["multiple"], false);
        assert_eq!(remote["voted"], false);
        // ActivityPub times have whole seconds.
        assert_eq!(
            remote["expires_at"].as_str().unwrap()[..19],
            status["poll"]["expires_at"].as_str().unwrap()[..19]
        );
        let poll_on_a = remote["id"].as_str().unwrap().to_owned();
        let status_on_a = home[0]["id"].as_str().unwrap().to_owned();

        // Alice votes on A: counted at once there, sent to Bob's server, counted there.
        let (code, v) = vote(&a, &alice, &poll_on_a, json!([1])).await;
        assert_eq!(code, StatusCode::OK, "{v}");
        assert_eq!(v["own_votes"], json!([1]));
        assert_eq!(v["votes_count"], 1);
        let (code, _) = vote(&a, &alice, &poll_on_a, json!([0])).await;
        assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY);
        settle(&[&a, &b]).await;
        let on_b = json(
            b.get(&format!("/api/v1/polls/{poll_on_b}"), Some(&bob.token))
                .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(on_b["votes_count"], 1, "{on_b}");
        assert_eq!(on_b["voters_count"], 1);
        assert_eq!(on_b["options"][1]["votes_count"], 1);

        // Carol votes on B: the new tallies reach A as an Update(Question).
        let (code, _) = vote(&b, &carol, &poll_on_b, json!([0])).await;
        assert_eq!(code, StatusCode::OK);
        settle(&[&a, &b]).await;
        let s = json(
            a.get(
                &format!("/api/v1/statuses/{status_on_a}"),
                Some(&alice.token),
            )
            .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(s["poll"]["votes_count"], 2, "{s}");
        assert_eq!(s["poll"]["voters_count"], 2);
        assert_eq!(
            s["poll"]["options"],
            json!([{"title": "tea", "votes_count": 1}, {"title": "coffee", "votes_count": 1}])
        );
        assert_eq!(s["poll"]["own_votes"], json!([1]));

        // The poll ends on B: Bob and Carol are told, the closed tallies go to A, and
        // Alice is told there when her server's end job runs.
        let past = woolly::time::now_ms() - 1000;
        exec(
            &b,
            "UPDATE polls SET expires_at = $2 WHERE id = $1",
            &[poll_on_b.parse().unwrap(), past],
        )
        .await;
        exec(
            &b,
            "UPDATE jobs SET run_at = $1 WHERE kind = 'poll_ended'",
            &[past],
        )
        .await;
        settle(&[&a, &b]).await;
        assert_eq!(poll_notifications(&b, &bob).await.len(), 1);
        assert_eq!(poll_notifications(&b, &carol).await.len(), 1);
        let doc = ap_ok(
            &b,
            &format!("/users/bob/statuses/{}", status["id"].as_str().unwrap()),
        )
        .await;
        assert!(doc["closed"].is_string(), "{doc}");
        let p = json(
            a.get(&format!("/api/v1/polls/{poll_on_a}"), Some(&alice.token))
                .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(p["expired"], true, "{p}");
        // Closed earlier than announced: A's end job ran at once.
        let n = poll_notifications(&a, &alice).await;
        assert_eq!(n.len(), 1);
        assert_eq!(n[0]["status"]["id"], status_on_a.as_str());
        // An ended poll takes no more votes on either side.
        let dave = a.user("dave").await;
        let (code, _) = vote(&a, &dave, &poll_on_a, json!([0])).await;
        assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY);
    })
    .await;
}

#[tokio::test]
async fn remote_votes_are_checked_like_local_ones() {
    each_backend_pair(|a, b| async move {
        let alice = a.user("alice").await;
        let bob = b.user("bob").await;
        let handle = format!("bob@{}", domain(&b));
        let bob_on_a = json(
            a.get(&format!("/api/v1/accounts/lookup?acct={handle}"), Some(&alice.token)).await,
            StatusCode::OK,
        )
        .await;
        json(
            a.post_empty(&format!("/api/v1/accounts/{}/follow", bob_on_a["id"].as_str().unwrap()), Some(&alice.token))
                .await,
            StatusCode::OK,
        )
        .await;
        settle(&[&a, &b]).await;
        let status = post_with(&b, &bob, json!({
            "status": "Pick any",
            "poll": {"options": ["x", "y", "z"], "expires_in": 3600, "multiple": true},
        }))
        .await;
        let poll_on_b = status["poll"]["id"].as_str().unwrap().to_owned();
        settle(&[&a, &b]).await;
        let home = json(a.get("/api/v1/timelines/home", Some(&alice.token)).await, StatusCode::OK).await;
        assert_eq!(home[0]["poll"]["multiple"], true);
        let poll_on_a = home[0]["poll"]["id"].as_str().unwrap().to_owned();
        let (code, v) = vote(&a, &alice, &poll_on_a, json!([0, 2])).await;
        assert_eq!(code, StatusCode::OK, "{v}");
        settle(&[&a, &b]).await;
        let on_b = json(b.get(&format!("/api/v1/polls/{poll_on_b}"), Some(&bob.token)).await, StatusCode::OK).await;
        assert_eq!(on_b["votes_count"], 2, "{on_b}");
        assert_eq!(on_b["voters_count"], 1);
        assert_eq!(on_b["options"][2]["votes_count"], 1);
        // Redelivered votes count once.
        let redelivered = count(&b, "poll_votes").await;
        assert_eq!(redelivered, 2);

        // Editing the poll's options on B resets every vote, here and there.
        let resp = b
            .req(reqwest::Method::PUT, &format!("/api/v1/statuses/{}", status["id"].as_str().unwrap()))
            .bearer_auth(&bob.token)
            .json(&json!({"status": "Pick any, again", "poll": {"options": ["x", "y"], "expires_in": 3600, "multiple": true}}))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        settle(&[&a, &b]).await;
        assert_eq!(count(&b, "poll_votes").await, 0);
        let p = json(a.get(&format!("/api/v1/polls/{poll_on_a}"), Some(&alice.token)).await, StatusCode::OK).await;
        assert_eq!(p["options"].as_array().unwrap().len(), 2, "{p}");
        assert_eq!(p["own_votes"], json!([]));
        assert_eq!(p["votes_count"], 0);
    })
    .await;
}

/// A vote as Mastodon sends it: `Create(Note{name, inReplyTo})` to the poll's author.
fn vote_activity(voter: &str, n: u32, question: &str, author: &str, name: &str) -> Value {
    json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{voter}#votes/{n}/activity"), "type": "Create", "actor": voter, "to": [author],
        "object": {"id": format!("{voter}#votes/{n}"), "type": "Note", "name": name,
                   "attributedTo": voter, "inReplyTo": question, "to": [author]},
    })
}

#[tokio::test]
async fn votes_from_other_servers_follow_the_polls_rules() {
    each_backend(|a| async move {
        let alice = a.user("alice").await;
        let fake = super::fake_remote::FakeHost::start("127.0.0.4").await;
        let ann = fake.actor("ann");
        let ben = fake.actor("ben");
        let me = actor_uri(&a, "alice");
        let status = post_with(
            &a,
            &alice,
            json!({
                "status": "Tea or coffee?",
                "poll": {"options": ["tea", "coffee"], "expires_in": 3600},
            }),
        )
        .await;
        let question = status["uri"].as_str().unwrap().to_owned();
        let poll_id = status["poll"]["id"].as_str().unwrap().to_owned();
        // Ann votes "coffee"; the same vote delivered again in another activity counts once;
        // a second choice in a single-choice poll and an unknown option are ignored.
        assert_eq!(
            deliver(
                &a,
                "/inbox",
                &vote_activity(&ann.actor, 1, &question, &me, "coffee"),
                &ann
            )
            .await,
            StatusCode::ACCEPTED
        );
        let mut again = vote_activity(&ann.actor, 1, &question, &me, "coffee");
        again["id"] = json!(format!("{}#votes/1/activity-again", ann.actor));
        assert_eq!(
            deliver(&a, "/inbox", &again, &ann).await,
            StatusCode::ACCEPTED
        );
        assert_eq!(
            deliver(
                &a,
                "/inbox",
                &vote_activity(&ann.actor, 2, &question, &me, "tea"),
                &ann
            )
            .await,
            StatusCode::ACCEPTED
        );
        assert_eq!(
            deliver(
                &a,
                "/inbox",
                &vote_activity(&ben.actor, 3, &question, &me, "water"),
                &ben
            )
            .await,
            StatusCode::ACCEPTED
        );
        a.run_jobs().await;
        let p = json(
            a.get(&format!("/api/v1/polls/{poll_id}"), Some(&alice.token))
                .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(p["votes_count"], 1, "{p}");
        assert_eq!(p["options"][1]["votes_count"], 1);
        assert_eq!(
            count(&a, "statuses WHERE local = FALSE").await,
            0,
            "votes are not statuses"
        );
        // Ann, a voter, is sent the new tallies.
        let got = fake.wait_accepted(1, 10).await;
        let update = got
            .iter()
            .map(|r| &r.body)
            .find(|b| b["type"] == "Update")
            .expect("an Update(Question)");
        assert_eq!(update["object"]["type"], "Question");
        assert_eq!(update["object"]["oneOf"][1]["replies"]["totalItems"], 1);
        assert_eq!(update["object"]["votersCount"], 1);

        // After the end, votes are ignored.
        let past = woolly::time::now_ms() - 1000;
        exec(
            &a,
            "UPDATE polls SET expires_at = $2 WHERE id = $1",
            &[poll_id.parse().unwrap(), past],
        )
        .await;
        assert_eq!(
            deliver(
                &a,
                "/inbox",
                &vote_activity(&ben.actor, 4, &question, &me, "tea"),
                &ben
            )
            .await,
            StatusCode::ACCEPTED
        );
        a.run_jobs().await;
        assert_eq!(count(&a, "poll_votes").await, 1);
    })
    .await;
}
