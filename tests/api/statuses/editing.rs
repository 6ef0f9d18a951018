//! `PUT /api/v1/statuses/:id`, `…/history`, `…/source` and `DELETE /api/v1/statuses/:id`.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::*;

async fn put(app: &TestApp, user: &TestUser, id: &str, body: Value) -> reqwest::Response {
    app.req(Method::PUT, &format!("/api/v1/statuses/{id}"))
        .bearer_auth(&user.token)
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn delete(app: &TestApp, token: Option<&str>, id: &str) -> reqwest::Response {
    let mut r = app.req(Method::DELETE, &format!("/api/v1/statuses/{id}"));
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    r.send().await.unwrap()
}

#[tokio::test]
async fn edit_keeps_history_and_notifies_boosters() {
    each_backend(|app| async move {
        let alice = member(&app, "alice").await;
        let bob = member(&app, "bob").await;
        let carol = member(&app, "carol").await;
        let s = say(&app, &alice, "first #one @bob").await;
        let id = s["id"].as_str().unwrap().to_owned();

        // Never edited: a single history entry.
        let (code, history) = get_json(&app, &format!("/api/v1/statuses/{id}/history"), None).await;
        assert_eq!(code, StatusCode::OK);
        assert_shape("GET /api/v1/statuses/:id/history 200", &history);
        assert_eq!(history.as_array().unwrap().len(), 1);
        assert_eq!(history[0]["content"], s["content"]);

        act(
            &app,
            &format!("/api/v1/statuses/{id}/reblog"),
            Some(&bob.token),
        )
        .await;
        let edited = json(
            put(
                &app,
                &alice,
                &id,
                json!({ "status": "second #two @carol", "spoiler_text": "cw", "language": "de" }),
            )
            .await,
            StatusCode::OK,
        )
        .await;
        assert_shape("PUT /api/v1/statuses/:id 200", &edited);
        assert!(edited["edited_at"].is_string());
        assert_eq!(edited["spoiler_text"], "cw");
        assert_eq!(edited["sensitive"], true);
        assert_eq!(edited["language"], "de");
        assert_eq!(edited["id"], id.as_str());
        assert!(
            edited["content"]
                .as_str()
                .unwrap()
                .contains("@<span>carol</span>")
        );
        assert_eq!(
            edited["mentions"].as_array().unwrap().len(),
            1,
            "bob's mention is now silent"
        );
        assert_eq!(edited["mentions"][0]["acct"], "carol");
        assert_eq!(edited["tags"][0]["name"], "two");
        assert_eq!(edited["tags"].as_array().unwrap().len(), 1);

        // The newly mentioned account is told; the booster gets `update`.
        assert_eq!(notifications(&app, &carol, "mention").await, 1);
        assert_eq!(notifications(&app, &bob, "update").await, 1);
        assert_eq!(notifications(&app, &alice, "update").await, 0);

        // Bob still has access through his (silent) mention even if the post were private.
        let sid = num(&id);
        assert_eq!(
            scalar(
                &app,
                "SELECT count(*) FROM mentions WHERE status_id = $1 AND silent",
                &[sid]
            )
            .await,
            1
        );

        let again = json(
            put(&app, &alice, &id, json!({ "status": "third" })).await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(again["spoiler_text"], "");
        assert_eq!(again["sensitive"], false);
        assert_eq!(
            again["language"], "de",
            "an absent language keeps the current one"
        );
        assert_eq!(notifications(&app, &bob, "update").await, 2);

        let (_, history) = get_json(
            &app,
            &format!("/api/v1/statuses/{id}/history"),
            Some(&bob.token),
        )
        .await;
        assert_shape("GET /api/v1/statuses/:id/history 200", &history);
        let contents: Vec<&str> = history
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["content"].as_str().unwrap())
            .collect();
        assert_eq!(contents.len(), 3);
        assert!(contents[0].contains("first"));
        assert!(contents[1].contains("second"));
        assert_eq!(contents[2], "<p>third</p>");
        assert_eq!(history[1]["spoiler_text"], "cw");
        assert_eq!(history[0]["created_at"], s["created_at"]);
        assert_eq!(history[2]["account"]["id"], alice.account_id.as_str());

        // An edit that changes nothing stores no version.
        json(
            put(
                &app,
                &alice,
                &id,
                json!({ "status": "third", "language": "de" }),
            )
            .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(
            scalar(
                &app,
                "SELECT count(*) FROM status_edits WHERE status_id = $1",
                &[sid]
            )
            .await,
            3
        );

        let (code, source) = get_json(
            &app,
            &format!("/api/v1/statuses/{id}/source"),
            Some(&alice.token),
        )
        .await;
        assert_eq!(code, StatusCode::OK);
        assert_shape("GET /api/v1/statuses/:id/source 200", &source);
        assert_eq!(
            source,
            json!({ "id": id, "text": "third", "spoiler_text": "" })
        );
        error(
            app.get(&format!("/api/v1/statuses/{id}/source"), None)
                .await,
            StatusCode::UNAUTHORIZED,
        )
        .await;
    })
    .await;
}

#[tokio::test]
async fn edit_rules() {
    each_backend(|app| async move {
        let alice = member(&app, "alice").await;
        let bob = member(&app, "bob").await;
        let s = say(&app, &alice, "mine").await;
        let id = s["id"].as_str().unwrap();
        error(
            put(&app, &bob, id, json!({ "status": "hijack" })).await,
            StatusCode::NOT_FOUND,
        )
        .await;
        error(
            put(&app, &alice, "123", json!({ "status": "x" })).await,
            StatusCode::NOT_FOUND,
        )
        .await;
        let v = error(
            put(&app, &alice, id, json!({ "status": "" })).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(v["error"], "Validation failed: Text can't be blank");
        let v = error(
            put(&app, &alice, id, json!({ "status": "x".repeat(501) })).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(
            v["error"],
            "Validation failed: Text character limit of 500 exceeded"
        );
        error(
            put(
                &app,
                &alice,
                id,
                json!({ "status": "x", "media_ids": ["1"] }),
            )
            .await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        let resp = app
            .req(Method::PUT, &format!("/api/v1/statuses/{id}"))
            .bearer_auth(&alice.token)
            .form(&[("status", "edited by form"), ("sensitive", "1")])
            .send()
            .await
            .unwrap();
        let v = json(resp, StatusCode::OK).await;
        assert_eq!(v["content"], "<p>edited by form</p>");
        assert_eq!(v["sensitive"], true);
        let reader = member_with_scopes(&app, "reader", "read").await;
        error(
            put(&app, &reader, id, json!({ "status": "x" })).await,
            StatusCode::FORBIDDEN,
        )
        .await;
        // History and source of what one may not see are 404s.
        let p = say_as(&app, &alice, "private", "private").await;
        let pid = p["id"].as_str().unwrap();
        error(
            app.get(&format!("/api/v1/statuses/{pid}/history"), None)
                .await,
            StatusCode::NOT_FOUND,
        )
        .await;
        error(
            app.get(&format!("/api/v1/statuses/{pid}/source"), Some(&bob.token))
                .await,
            StatusCode::NOT_FOUND,
        )
        .await;
    })
    .await;
}

#[tokio::test]
async fn delete_returns_the_source_and_fixes_counters() {
    each_backend(|app| async move {
        let alice = member(&app, "alice").await;
        let bob = member(&app, "bob").await;
        let carol = member(&app, "carol").await;
        let root = say(&app, &alice, "root").await;
        let root_id = root["id"].as_str().unwrap().to_owned();
        let r = reply(&app, &bob, &root_id, "**reply** @alice", "public").await;
        let rid = r["id"].as_str().unwrap().to_owned();
        act(
            &app,
            &format!("/api/v1/statuses/{rid}/reblog"),
            Some(&carol.token),
        )
        .await;
        act(
            &app,
            &format!("/api/v1/statuses/{rid}/favourite"),
            Some(&alice.token),
        )
        .await;
        act(
            &app,
            &format!("/api/v1/statuses/{rid}/bookmark"),
            Some(&alice.token),
        )
        .await;
        assert_eq!(counters(&app, &root_id).await.0, 1);
        assert_eq!(statuses_count(&app, &carol).await, 1);
        assert_eq!(notifications(&app, &alice, "mention").await, 1);

        error(
            delete(&app, Some(&alice.token), &rid).await,
            StatusCode::NOT_FOUND,
        )
        .await;
        error(delete(&app, None, &rid).await, StatusCode::UNAUTHORIZED).await;
        let gone = json(delete(&app, Some(&bob.token), &rid).await, StatusCode::OK).await;
        assert_shape("DELETE /api/v1/statuses/:id 200", &gone);
        assert_eq!(gone["text"], "**reply** @alice");
        assert!(
            gone.get("content").is_none(),
            "delete-and-redraft answers text, not content"
        );
        assert_eq!(gone["id"], rid.as_str());
        assert_eq!(gone["account"]["statuses_count"], 0);

        assert_eq!(statuses_count(&app, &bob).await, 0);
        assert_eq!(
            statuses_count(&app, &carol).await,
            0,
            "the boost went with it"
        );
        assert_eq!(counters(&app, &root_id).await.0, 0);
        assert_eq!(
            scalar(
                &app,
                "SELECT count(*) FROM statuses WHERE reblog_of_id = $1",
                &[num(&rid)]
            )
            .await,
            0
        );
        assert_eq!(scalar(&app, "SELECT count(*) FROM bookmarks", &[]).await, 0);
        assert_eq!(notifications(&app, &alice, "mention").await, 0);
        assert_eq!(notifications(&app, &bob, "reblog").await, 0);
        let v = error(
            delete(&app, Some(&bob.token), &rid).await,
            StatusCode::NOT_FOUND,
        )
        .await;
        assert_shape("DELETE /api/v1/statuses/:id 404", &v);
        error(
            app.get(&format!("/api/v1/statuses/{rid}"), None).await,
            StatusCode::NOT_FOUND,
        )
        .await;

        // Deleting one's boost through DELETE undoes the boost.
        let boost = json(
            app.post_empty(
                &format!("/api/v1/statuses/{root_id}/reblog"),
                Some(&carol.token),
            )
            .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(counters(&app, &root_id).await.1, 1);
        assert_eq!(notifications(&app, &alice, "reblog").await, 1);
        let gone = json(
            delete(&app, Some(&carol.token), boost["id"].as_str().unwrap()).await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(gone["reblog"]["id"], root_id.as_str());
        assert_eq!(counters(&app, &root_id).await.1, 0);
        assert_eq!(statuses_count(&app, &carol).await, 0);
        assert_eq!(notifications(&app, &alice, "reblog").await, 0);

        // A direct status never counted, so deleting it does not uncount anything.
        say(&app, &alice, "another").await;
        let d = say_as(&app, &alice, "@bob psst", "direct").await;
        assert_eq!(statuses_count(&app, &alice).await, 2);
        json(
            delete(&app, Some(&alice.token), d["id"].as_str().unwrap()).await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(statuses_count(&app, &alice).await, 2);
    })
    .await;
}

#[tokio::test]
async fn delete_racing_a_boost_keeps_the_boosters_count() {
    each_backend(|app| async move {
        let alice = member(&app, "alice").await;
        let bob = member(&app, "bob").await;
        let s = say(&app, &alice, "boost me").await;
        let sid = num(s["id"].as_str().unwrap());
        let before = statuses_count(&app, &bob).await;
        // Bob's boost is being committed (its row inserted, his counter bumped) while Alice
        // deletes the status.
        let mut tx = app.state.db.begin().await.unwrap();
        let boost_id = woolly::id::next_id();
        let uri = format!("{}/users/bob/statuses/{boost_id}/activity", app.url);
        woolly::db::statuses::insert(
            tx.conn(),
            &woolly::db::statuses::Status {
                id: boost_id,
                uri: uri.clone(),
                url: Some(uri),
                account_id: num(&bob.account_id),
                text: String::new(),
                content: String::new(),
                spoiler_text: String::new(),
                sensitive: false,
                visibility: "public".into(),
                language: None,
                in_reply_to_id: None,
                in_reply_to_account_id: None,
                reblog_of_id: Some(sid),
                conversation_id: None,
                application_id: None,
                local: true,
                replies_count: 0,
                reblogs_count: 0,
                favourites_count: 0,
                created_at: woolly::time::now_ms(),
                edited_at: None,
            },
        )
        .await
        .unwrap();
        woolly::db::accounts::bump(
            tx.conn(),
            num(&bob.account_id),
            woolly::db::accounts::Counter::Statuses,
            1,
        )
        .await
        .unwrap();
        let request = tokio::spawn(
            app.req(Method::DELETE, &format!("/api/v1/statuses/{sid}"))
                .bearer_auth(&alice.token)
                .send(),
        );
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        tx.commit().await.unwrap();
        json(request.await.unwrap().unwrap(), StatusCode::OK).await;
        // The boost went with the status, and so did its count.
        assert_eq!(
            scalar(
                &app,
                "SELECT count(*) FROM statuses WHERE id = $1",
                &[boost_id]
            )
            .await,
            0
        );
        assert_eq!(statuses_count(&app, &bob).await, before);
    })
    .await;
}

#[tokio::test]
async fn own_boost_of_a_now_hidden_status_can_be_deleted() {
    each_backend(|app| async move {
        let alice = member(&app, "alice").await;
        let bob = member(&app, "bob").await;
        let s = say(&app, &alice, "boost me").await;
        let (_, boost) = act(
            &app,
            &format!("/api/v1/statuses/{}/reblog", s["id"].as_str().unwrap()),
            Some(&bob.token),
        )
        .await;
        let boost_id = boost["id"].as_str().unwrap();
        block(&app, &alice, &bob).await;
        error(
            app.get(&format!("/api/v1/statuses/{boost_id}"), Some(&bob.token))
                .await,
            StatusCode::NOT_FOUND,
        )
        .await;
        let gone = json(
            delete(&app, Some(&bob.token), boost_id).await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(gone["id"], boost_id);
        assert!(
            gone["reblog"].is_null(),
            "the hidden original is not revealed"
        );
        assert_eq!(counters(&app, s["id"].as_str().unwrap()).await.1, 0);
        assert_eq!(statuses_count(&app, &bob).await, 0);
    })
    .await;
}
