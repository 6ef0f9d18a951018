//! Polls: `poll[…]` on `POST /api/v1/statuses`, `GET /api/v1/polls/:id`,
//! `POST /api/v1/polls/:id/votes`, edits of a poll and the end of a poll.

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::*;

/// Posts a public poll by `user` and returns the status.
async fn poll_status(app: &TestApp, user: &TestUser, options: &[&str], multiple: bool) -> Value {
    post(
        app,
        user,
        json!({
            "status": "Which one?",
            "visibility": "public",
            "poll": { "options": options, "expires_in": 3600, "multiple": multiple },
        }),
    )
    .await
}

/// Votes (JSON body), returning the status code and body.
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

/// Moves a poll's end (and its job) into the past.
async fn end_poll(app: &TestApp, poll_id: &str) {
    let past = woolly::time::now_ms() - 1000;
    exec(
        app,
        "UPDATE polls SET expires_at = $2 WHERE id = $1",
        &[num(poll_id), past],
        &[],
    )
    .await;
    exec(
        app,
        "UPDATE jobs SET run_at = $1 WHERE kind = 'poll_ended'",
        &[past],
        &[],
    )
    .await;
}

#[tokio::test]
async fn a_poll_is_posted_shown_and_voted_on() {
    each_backend(|app| async move {
        let alice = member(&app, "alice").await;
        let bob = member(&app, "bob").await;
        let s = poll_status(&app, &alice, &["tea", "coffee"], false).await;
        assert_shape("GET /api/v1/statuses/:id 200", &s);
        let poll = &s["poll"];
        let poll_id = poll["id"].as_str().unwrap().to_owned();
        assert_eq!(poll["multiple"], false);
        assert_eq!(poll["expired"], false);
        assert_eq!(poll["votes_count"], 0);
        assert_eq!(poll["voters_count"], 0);
        assert_eq!(poll["voted"], true, "the author counts as having voted");
        assert_eq!(poll["own_votes"], json!([]));
        assert_eq!(
            poll["options"],
            json!([{"title": "tea", "votes_count": 0}, {"title": "coffee", "votes_count": 0}])
        );
        assert!(poll["expires_at"].as_str().unwrap().ends_with('Z'));

        // Bob has not voted yet; anonymous readers get no viewer fields.
        let (code, p) = get_json(&app, &format!("/api/v1/polls/{poll_id}"), Some(&bob.token)).await;
        assert_eq!(code, StatusCode::OK);
        assert_shape("GET /api/v1/polls/:id 200", &p);
        assert_eq!(p["voted"], false);
        let (code, anon) = get_json(&app, &format!("/api/v1/polls/{poll_id}"), None).await;
        assert_eq!(code, StatusCode::OK);
        assert!(anon.get("voted").is_none() && anon.get("own_votes").is_none());

        // Render the status once for Bob so its rendering is cached, then vote.
        let sid = s["id"].as_str().unwrap();
        let (_, before) =
            get_json(&app, &format!("/api/v1/statuses/{sid}"), Some(&bob.token)).await;
        assert_eq!(before["poll"]["voted"], false);
        let (code, voted) = vote(&app, &bob, &poll_id, json!([1])).await;
        assert_eq!(code, StatusCode::OK, "{voted}");
        assert_shape("POST /api/v1/polls/:id/votes 200", &voted);
        assert_eq!(voted["voted"], true);
        assert_eq!(voted["own_votes"], json!([1]));
        assert_eq!(voted["votes_count"], 1);
        assert_eq!(voted["voters_count"], 1);
        assert_eq!(voted["options"][1]["votes_count"], 1);

        // The status shows the vote at once, to Bob and to everyone else (no stale cache).
        let (_, after) = get_json(&app, &format!("/api/v1/statuses/{sid}"), Some(&bob.token)).await;
        assert_eq!(after["poll"]["voted"], true);
        assert_eq!(after["poll"]["own_votes"], json!([1]));
        assert_eq!(after["poll"]["options"][1]["votes_count"], 1);
        let (_, theirs) =
            get_json(&app, &format!("/api/v1/statuses/{sid}"), Some(&alice.token)).await;
        assert_eq!(theirs["poll"]["votes_count"], 1);
        assert_eq!(theirs["poll"]["own_votes"], json!([]));
        let (_, many) = get_json(
            &app,
            &format!("/api/v1/statuses?id[]={sid}"),
            Some(&bob.token),
        )
        .await;
        assert_eq!(many[0]["poll"]["own_votes"], json!([1]));

        // Timelines carry the poll too.
        app.run_jobs().await;
        let (_, tl) = get_json(&app, "/api/v1/timelines/public", Some(&bob.token)).await;
        assert_eq!(tl[0]["poll"]["id"], poll_id.as_str());
        assert_eq!(tl[0]["poll"]["own_votes"], json!([1]));
    })
    .await;
}

#[tokio::test]
async fn form_bodies_multiple_choices_and_hidden_totals() {
    each_backend(|app| async move {
        let alice = member(&app, "alice").await;
        let bob = member(&app, "bob").await;
        let carol = member(&app, "carol").await;
        let resp = app
            .post_form(
                "/api/v1/statuses",
                Some(&alice.token),
                &[
                    ("status", "Pick any"),
                    ("poll[options][]", "a"),
                    ("poll[options][]", "b"),
                    ("poll[options][]", "c"),
                    ("poll[expires_in]", "600"),
                    ("poll[multiple]", "true"),
                    ("poll[hide_totals]", "1"),
                ],
            )
            .await;
        let s = json(resp, StatusCode::OK).await;
        let poll_id = s["poll"]["id"].as_str().unwrap().to_owned();
        assert_eq!(s["poll"]["multiple"], true);
        assert_eq!(s["poll"]["options"].as_array().unwrap().len(), 3);
        assert!(
            s["poll"]["options"][0]["votes_count"].is_null(),
            "totals are hidden"
        );

        let resp = app
            .post_form(
                &format!("/api/v1/polls/{poll_id}/votes"),
                Some(&bob.token),
                &[("choices[]", "0"), ("choices[]", "2")],
            )
            .await;
        let v = json(resp, StatusCode::OK).await;
        assert_eq!(v["own_votes"], json!([0, 2]));
        assert_eq!(v["votes_count"], 2);
        assert_eq!(v["voters_count"], 1);
        assert!(v["options"][0]["votes_count"].is_null());
        // Voting for another option later is allowed on a multiple-choice poll, the same
        // option twice is not.
        let (code, v) = vote(&app, &bob, &poll_id, json!(["1"])).await;
        assert_eq!(code, StatusCode::OK);
        assert_eq!(v["own_votes"], json!([0, 1, 2]));
        let (code, e) = vote(&app, &bob, &poll_id, json!([1])).await;
        assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            e["error"],
            "Validation failed: You have already voted on this poll"
        );
        let (code, e) = vote(&app, &carol, &poll_id, json!([0, 0])).await;
        assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            e["error"],
            "Validation failed: You have already voted on this poll"
        );
        let (code, v) = vote(&app, &carol, &poll_id, json!([0])).await;
        assert_eq!(code, StatusCode::OK);
        assert_eq!(v["votes_count"], 4);
        assert_eq!(v["voters_count"], 2);

        // Once ended, the totals show.
        end_poll(&app, &poll_id).await;
        let (_, p) = get_json(
            &app,
            &format!("/api/v1/polls/{poll_id}"),
            Some(&carol.token),
        )
        .await;
        assert_eq!(p["expired"], true);
        assert_eq!(
            p["options"],
            json!([
                {"title": "a", "votes_count": 2},
                {"title": "b", "votes_count": 1},
                {"title": "c", "votes_count": 1},
            ])
        );
    })
    .await;
}

#[tokio::test]
async fn bad_polls_are_refused() {
    each_backend(|app| async move {
        let alice = member(&app, "alice").await;
        let long = "x".repeat(51);
        let cases = [
            (json!({"options": ["only"], "expires_in": 600}), "Validation failed: Poll options must have more than one item"),
            (json!({"options": ["a", "b", "c", "d", "e"], "expires_in": 600}), "Validation failed: Poll options can't contain more than 4 items"),
            (json!({"options": ["a", long], "expires_in": 600}), "Validation failed: Poll options cannot be longer than 50 characters each"),
            (json!({"options": ["a", "a"], "expires_in": 600}), "Validation failed: Poll options contain duplicate items"),
            (json!({"options": ["a", "b"], "expires_in": 299}), "Validation failed: Poll expires at is too soon"),
            (json!({"options": ["a", "b"], "expires_in": 2_629_747}), "Validation failed: Poll expires at is too far into the future"),
            (json!({"options": ["a", "b"]}), "Validation failed: Poll expires at is too far into the future"),
            (json!(["a", "b"]), "Validation failed: Poll options must have more than one item"),
        ];
        for (poll, message) in cases {
            let body = json!({ "status": "q", "poll": poll });
            let v = error(
                app.post_json("/api/v1/statuses", Some(&alice.token), &body).await,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
            assert_shape("POST /api/v1/statuses 422", &v);
            assert_eq!(v["error"], message, "{body}");
        }
        // The limits themselves are fine: 4 options of 50 characters, 300 s and a month.
        let fifty = "y".repeat(50);
        for expires_in in [300, 2_629_746] {
            post(&app, &alice, json!({
                "status": "q",
                "poll": {"options": ["a", "b", "c", fifty], "expires_in": expires_in},
            }))
            .await;
        }
        // With media attachments: refused (Mastodon's message).
        let v = error(
            app.post_json(
                "/api/v1/statuses",
                Some(&alice.token),
                &json!({"status": "q", "media_ids": ["1"], "poll": {"options": ["a", "b"], "expires_in": 600}}),
            )
            .await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(v["error"], "Cannot attach more than 4 files");
        assert_eq!(scalar(&app, "SELECT count(*) FROM polls", &[]).await, 2);
    })
    .await;
}

#[tokio::test]
async fn bad_votes_are_refused() {
    each_backend(|app| async move {
        let alice = member(&app, "alice").await;
        let bob = member(&app, "bob").await;
        let reader = member_with_scopes(&app, "reader", "read").await;
        let s = poll_status(&app, &alice, &["a", "b"], false).await;
        let poll_id = s["poll"]["id"].as_str().unwrap().to_owned();

        let unprocessable = [
            (
                &alice,
                json!([0]),
                "Validation failed: You cannot vote in your own polls",
            ),
            (
                &bob,
                json!([2]),
                "Validation failed: The chosen vote option does not exist",
            ),
            (
                &bob,
                json!([-1]),
                "Validation failed: The chosen vote option does not exist",
            ),
            (
                &bob,
                json!(["first"]),
                "Validation failed: The chosen vote option does not exist",
            ),
            (
                &bob,
                json!([0, 1]),
                "Validation failed: You have already voted on this poll",
            ),
        ];
        for (who, choices, message) in unprocessable {
            let (code, e) = vote(&app, who, &poll_id, choices.clone()).await;
            assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY, "{choices}");
            assert_shape("POST /api/v1/polls/:id/votes 422", &e);
            assert_eq!(e["error"], message, "{choices}");
        }
        let (code, _) = vote(&app, &bob, &poll_id, json!([])).await;
        assert_eq!(code, StatusCode::BAD_REQUEST);
        let (code, _) = vote(&app, &bob, "123456", json!([0])).await;
        assert_eq!(code, StatusCode::NOT_FOUND);
        let (code, _) = vote(&app, &reader, &poll_id, json!([0])).await;
        assert_eq!(code, StatusCode::FORBIDDEN);
        let resp = app
            .post_json(
                &format!("/api/v1/polls/{poll_id}/votes"),
                None,
                &json!({"choices": [0]}),
            )
            .await;
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);

        let (code, _) = vote(&app, &bob, &poll_id, json!([0])).await;
        assert_eq!(code, StatusCode::OK);
        let (code, e) = vote(&app, &bob, &poll_id, json!([1])).await;
        assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            e["error"],
            "Validation failed: You have already voted on this poll"
        );

        // A followers-only poll is invisible (404) to others, as its status is.
        let private = post(
            &app,
            &alice,
            json!({
                "status": "secret", "visibility": "private",
                "poll": {"options": ["x", "y"], "expires_in": 600},
            }),
        )
        .await;
        let private_poll = private["poll"]["id"].as_str().unwrap();
        let (code, _) = vote(&app, &bob, private_poll, json!([0])).await;
        assert_eq!(code, StatusCode::NOT_FOUND);
        let (code, _) = get_json(
            &app,
            &format!("/api/v1/polls/{private_poll}"),
            Some(&bob.token),
        )
        .await;
        assert_eq!(code, StatusCode::NOT_FOUND);
        let (code, _) = get_json(&app, &format!("/api/v1/polls/{private_poll}"), None).await;
        assert_eq!(code, StatusCode::NOT_FOUND);
        let (code, _) = get_json(&app, "/api/v1/polls/nope", Some(&bob.token)).await;
        assert_eq!(code, StatusCode::NOT_FOUND);
        follow(&app, &bob, &alice, false).await;
        let (code, _) = vote(&app, &bob, private_poll, json!([1])).await;
        assert_eq!(code, StatusCode::OK);

        // Blocking the author (or being blocked) forbids voting.
        let carol = member(&app, "carol").await;
        block(&app, &carol, &alice).await;
        let (code, _) = vote(&app, &carol, &poll_id, json!([0])).await;
        assert_eq!(code, StatusCode::FORBIDDEN);

        // An ended poll takes no votes.
        let dave = member(&app, "dave").await;
        end_poll(&app, &poll_id).await;
        let (code, e) = vote(&app, &dave, &poll_id, json!([0])).await;
        assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(e["error"], "Validation failed: The poll has already ended");
        assert_eq!(
            scalar(
                &app,
                "SELECT votes_count FROM polls WHERE id = $1",
                &[num(&poll_id)]
            )
            .await,
            1
        );
    })
    .await;
}

#[tokio::test]
async fn the_end_of_a_poll_notifies_voters_and_the_author_once() {
    each_backend(|app| async move {
        let alice = member(&app, "alice").await;
        let bob = member(&app, "bob").await;
        let carol = member(&app, "carol").await;
        let s = poll_status(&app, &alice, &["a", "b"], false).await;
        let poll_id = s["poll"]["id"].as_str().unwrap().to_owned();
        vote(&app, &bob, &poll_id, json!([0])).await;
        // Not yet ended: draining the queue does not run the job.
        app.run_jobs().await;
        assert_eq!(notifications(&app, &alice, "poll").await, 0);
        assert_eq!(scalar(&app, "SELECT count(*) FROM jobs WHERE kind = 'poll_ended'", &[]).await, 1);

        end_poll(&app, &poll_id).await;
        app.run_jobs().await;
        assert_eq!(notifications(&app, &alice, "poll").await, 1);
        assert_eq!(notifications(&app, &bob, "poll").await, 1);
        assert_eq!(notifications(&app, &carol, "poll").await, 0);
        let (_, list) = get_json(&app, "/api/v1/notifications?types[]=poll", Some(&bob.token)).await;
        assert_shape_ignoring("GET /api/v1/notifications 200", &list, &["collection", "fallback", "group_key"]);
        assert_eq!(list[0]["type"], "poll");
        assert_eq!(list[0]["account"]["id"], alice.account_id.as_str());
        assert_eq!(list[0]["status"]["poll"]["expired"], true);
        assert_eq!(list[0]["status"]["poll"]["own_votes"], json!([0]));
        let (_, mine) = get_json(&app, "/api/v1/notifications?types[]=poll", Some(&alice.token)).await;
        assert_eq!(mine[0]["account"]["id"], alice.account_id.as_str());

        // The job running again (a crash after its commit) notifies nobody twice.
        let sql = format!(
            "INSERT INTO jobs (id, kind, payload, priority, run_at, created_at) \
             VALUES ($1, 'poll_ended', '{{\"kind\":\"poll_ended\",\"poll_id\":{poll_id}}}', 0, $2, $2)"
        );
        exec(&app, &sql, &[woolly::id::next_id(), woolly::time::now_ms() - 1], &[]).await;
        app.run_jobs().await;
        assert_eq!(notifications(&app, &alice, "poll").await, 1);
        assert_eq!(notifications(&app, &bob, "poll").await, 1);
    })
    .await;
}

#[tokio::test]
async fn editing_a_poll_resets_its_votes_and_removing_it_deletes_it() {
    each_backend(|app| async move {
        let alice = member(&app, "alice").await;
        let bob = member(&app, "bob").await;
        let s = poll_status(&app, &alice, &["a", "b"], false).await;
        let sid = s["id"].as_str().unwrap();
        let poll_id = s["poll"]["id"].as_str().unwrap().to_owned();
        vote(&app, &bob, &poll_id, json!([0])).await;

        let edit = |body: Value| {
            let app = &app;
            let token = alice.token.clone();
            async move {
                let resp = app
                    .req(reqwest::Method::PUT, &format!("/api/v1/statuses/{sid}"))
                    .bearer_auth(token)
                    .json(&body)
                    .send()
                    .await
                    .unwrap();
                json(resp, StatusCode::OK).await
            }
        };
        // Only the text changes (same options, kind): the votes stay.
        let e = edit(json!({"status": "Which one, really?", "poll": {"options": ["a", "b"], "expires_in": 3600}})).await;
        assert_shape("PUT /api/v1/statuses/:id 200", &e);
        assert_eq!(e["poll"]["id"], poll_id.as_str());
        assert_eq!(e["poll"]["votes_count"], 1);
        // New options: every vote is gone.
        let e = edit(json!({"status": "Which one, really?", "poll": {"options": ["a", "b", "c"], "expires_in": 3600}})).await;
        assert_eq!(e["poll"]["votes_count"], 0);
        assert_eq!(e["poll"]["options"].as_array().unwrap().len(), 3);
        let (_, p) = get_json(&app, &format!("/api/v1/polls/{poll_id}"), Some(&bob.token)).await;
        assert_eq!(p["voted"], false);
        assert_eq!(p["own_votes"], json!([]));
        // The history keeps each version's options.
        let (_, history) = get_json(&app, &format!("/api/v1/statuses/{sid}/history"), Some(&bob.token)).await;
        assert_shape("GET /api/v1/statuses/:id/history 200", &history);
        let versions = history.as_array().unwrap();
        assert_eq!(versions.len(), 3, "{history}");
        assert_eq!(versions[0]["poll"], json!({"options": [{"title": "a"}, {"title": "b"}]}));
        assert_eq!(versions[2]["poll"]["options"][2]["title"], "c");
        // Invalid poll in an edit: 422, nothing changes.
        let resp = app
            .req(reqwest::Method::PUT, &format!("/api/v1/statuses/{sid}"))
            .bearer_auth(&alice.token)
            .json(&json!({"status": "x", "poll": {"options": ["a"], "expires_in": 3600}}))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
        // No poll in the edit: the poll is removed.
        let e = edit(json!({"status": "No more poll"})).await;
        assert!(e["poll"].is_null());
        let (_, history) = get_json(&app, &format!("/api/v1/statuses/{sid}/history"), None).await;
        assert!(history[3].get("poll").is_none(), "{history}");
        let (code, _) = get_json(&app, &format!("/api/v1/polls/{poll_id}"), Some(&bob.token)).await;
        assert_eq!(code, StatusCode::NOT_FOUND);
        // And a poll can be added by an edit.
        let e = edit(json!({"status": "Poll again", "poll": {"options": ["x", "y"], "expires_in": 600}})).await;
        assert_eq!(e["poll"]["options"][0]["title"], "x");
    })
    .await;
}
