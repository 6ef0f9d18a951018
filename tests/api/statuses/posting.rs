//! `POST /api/v1/statuses`, `GET /api/v1/statuses/:id` and `GET /api/v1/statuses?id[]=`.

use reqwest::StatusCode;
use serde_json::json;

use super::*;

#[tokio::test]
async fn post_renders_html_and_counts() {
    each_backend(|app| async move {
        let alice = member(&app, "alice").await;
        let bob = member(&app, "bob").await;
        let domain = app.state.domain.clone();
        let s = post(
            &app,
            &alice,
            json!({
                "status": format!("Hi @bob and @BOB@{domain} & @nobody, see https://example.com/a-very-long-path-that-goes-on-and-on #Rust #rust\n\nbye"),
                "visibility": "public",
            }),
        )
        .await;
        // The reference shape of this endpoint merges in ScheduledStatus answers (`scheduled_at`,
        // `params`); a posted status has the Status shape.
        assert_shape("GET /api/v1/statuses/:id 200", &s);
        let id = s["id"].as_str().unwrap();
        let content = s["content"].as_str().unwrap();
        let bob_link = format!(
            "<span class=\"h-card\" translate=\"no\"><a href=\"{}/@bob\" class=\"u-url mention\">@<span>bob</span></a></span>",
            app.url
        );
        assert_eq!(content.matches(&bob_link).count(), 2, "{content}");
        assert!(content.contains("&amp; @nobody"), "{content}");
        assert!(content.contains("<span class=\"invisible\">https://</span><span class=\"ellipsis\">example.com/a-very-long-path-t</span>"), "{content}");
        assert!(content.contains(&format!(
            "<a href=\"{}/tags/rust\" class=\"mention hashtag\" rel=\"tag\">#<span>Rust</span></a>",
            app.url
        )));
        assert!(content.starts_with("<p>Hi ") && content.ends_with("<p>bye</p>"), "{content}");
        assert_eq!(s["mentions"].as_array().unwrap().len(), 1);
        assert_eq!(s["mentions"][0]["acct"], "bob");
        assert_eq!(s["mentions"][0]["id"], bob.account_id.as_str());
        assert_eq!(s["tags"], json!([{ "name": "rust", "url": format!("{}/tags/rust", app.url) }]));
        assert_eq!(s["uri"], format!("{}/users/alice/statuses/{id}", app.url));
        assert_eq!(s["url"], format!("{}/@alice/{id}", app.url));
        assert_eq!(s["application"]["name"], "Woolly Tests");
        assert_eq!(s["language"], "en");
        assert_eq!(s["visibility"], "public");
        assert_eq!(s["favourited"], false);
        assert_eq!(s["pinned"], false);
        assert_eq!(s["account"]["statuses_count"], 1);
        assert!(s["account"]["last_status_at"].is_string());

        // Stored rows: one mention, one tag (display name as first written), one notification.
        let sid = num(id);
        assert_eq!(scalar(&app, "SELECT count(*) FROM mentions WHERE status_id = $1", &[sid]).await, 1);
        assert_eq!(scalar(&app, "SELECT count(*) FROM status_tags WHERE status_id = $1", &[sid]).await, 1);
        assert_eq!(scalar(&app, "SELECT count(*) FROM tags WHERE name = 'rust' AND display_name = 'Rust'", &[]).await, 1);
        assert_eq!(notifications(&app, &bob, "mention").await, 1);
        assert_eq!(scalar(&app, "SELECT conversation_id FROM statuses WHERE id = $1", &[sid]).await, sid);

        // Fan-out puts it in the author's home feed.
        app.run_jobs().await;
        assert_eq!(
            scalar(&app, "SELECT count(*) FROM home_feed WHERE account_id = $1 AND status_id = $2", &[num(&alice.account_id), sid]).await,
            1
        );

        let (code, shown) = get_json(&app, &format!("/api/v1/statuses/{id}"), None).await;
        assert_eq!(code, StatusCode::OK);
        assert_eq!(shown["content"], s["content"]);
        assert!(shown.get("favourited").is_none(), "anonymous views carry no viewer flags");
        let (_, mine) = get_json(&app, &format!("/api/v1/statuses/{id}"), Some(&alice.token)).await;
        assert_shape("GET /api/v1/statuses/:id 200", &mine);
    })
    .await;
}

#[tokio::test]
async fn form_multipart_and_json_bodies_are_accepted() {
    each_backend(|app| async move {
        let alice = member(&app, "alice").await;
        let form = json(
            app.post_form(
                "/api/v1/statuses",
                Some(&alice.token),
                &[
                    ("status", "from a form"),
                    ("visibility", "unlisted"),
                    ("sensitive", "true"),
                    ("spoiler_text", "cw"),
                    ("media_ids[]", ""),
                ],
            )
            .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(form["visibility"], "unlisted");
        assert_eq!(form["sensitive"], true);
        assert_eq!(form["spoiler_text"], "cw");

        let mp = reqwest::multipart::Form::new()
            .text("status", "from multipart")
            .text("visibility", "private")
            .text("language", "de");
        let resp = app
            .req(reqwest::Method::POST, "/api/v1/statuses")
            .bearer_auth(&alice.token)
            .multipart(mp)
            .send()
            .await
            .unwrap();
        let mp = json(resp, StatusCode::OK).await;
        assert_eq!(mp["content"], "<p>from multipart</p>");
        assert_eq!(mp["visibility"], "private");
        assert_eq!(mp["language"], "de");

        // A content warning alone becomes the text and marks the post sensitive.
        let cw = post(&app, &alice, json!({ "spoiler_text": "only a warning" })).await;
        assert_eq!(cw["content"], "<p>only a warning</p>");
        assert_eq!(cw["spoiler_text"], "");
        assert_eq!(cw["sensitive"], false, "the warning moved into the text");

        // Unknown languages fall back to the default.
        let lang = post(
            &app,
            &alice,
            json!({ "status": "x", "language": "klingon" }),
        )
        .await;
        assert_eq!(lang["language"], "en");

        // Wrong content type and broken JSON are 400s.
        let resp = app
            .req(reqwest::Method::POST, "/api/v1/statuses")
            .bearer_auth(&alice.token)
            .header("content-type", "text/plain")
            .body("status=hi")
            .send()
            .await
            .unwrap();
        error(resp, StatusCode::BAD_REQUEST).await;
        let resp = app
            .req(reqwest::Method::POST, "/api/v1/statuses")
            .bearer_auth(&alice.token)
            .header("content-type", "application/json")
            .body("{\"status\": ")
            .send()
            .await
            .unwrap();
        error(resp, StatusCode::BAD_REQUEST).await;
        assert_eq!(statuses_count(&app, &alice).await, 4);
    })
    .await;
}

#[tokio::test]
async fn validation_errors_are_422() {
    each_backend(|app| async move {
        let alice = member(&app, "alice").await;
        let cases = [
            (json!({}), "Validation failed: Text can't be blank"),
            (
                json!({ "status": "   \n " }),
                "Validation failed: Text can't be blank",
            ),
            (
                json!({ "status": "a".repeat(501) }),
                "Validation failed: Text character limit of 500 exceeded",
            ),
            (
                json!({ "status": "a".repeat(490), "spoiler_text": "0123456789!" }),
                "Validation failed: Text character limit of 500 exceeded",
            ),
            (
                json!({ "status": "hi", "visibility": "everyone" }),
                "Validation failed: Visibility is not included in the list",
            ),
        ];
        for (body, message) in cases {
            let v = error(
                app.post_json("/api/v1/statuses", Some(&alice.token), &body)
                    .await,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
            assert_shape("POST /api/v1/statuses 422", &v);
            assert_eq!(v["error"], message, "{body}");
        }
        for body in [
            json!({ "status": "pic", "media_ids": ["123"] }),
            json!({ "status": "poll", "poll": { "options": ["a", "b"], "expires_in": 300 }, "media_ids": ["1"] }),
            json!({ "status": "later", "scheduled_at": "in a while" }),
        ] {
            let v = error(
                app.post_json("/api/v1/statuses", Some(&alice.token), &body)
                    .await,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
            assert!(!v["error"].as_str().unwrap().is_empty());
        }
        // Exactly 500 characters is fine; every URL counts as 23 however long it is.
        post(&app, &alice, json!({ "status": "a".repeat(500) })).await;
        let with_url = format!(
            "{} https://example.com/{}",
            "b".repeat(476),
            "x".repeat(200)
        );
        post(&app, &alice, json!({ "status": with_url })).await;
        let over = format!(
            "{} https://example.com/{}",
            "b".repeat(477),
            "x".repeat(200)
        );
        let v = error(
            app.post_json(
                "/api/v1/statuses",
                Some(&alice.token),
                &json!({ "status": over }),
            )
            .await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(
            v["error"],
            "Validation failed: Text character limit of 500 exceeded"
        );
        // An empty poll object or null is not a poll.
        post(&app, &alice, json!({ "status": "no poll", "poll": null })).await;

        let v = error(
            app.post_json(
                "/api/v1/statuses",
                Some(&alice.token),
                &json!({ "status": "re", "in_reply_to_id": "123456" }),
            )
            .await,
            StatusCode::NOT_FOUND,
        )
        .await;
        assert_eq!(
            v["error"],
            "The post you are trying to reply to does not appear to exist."
        );
        error(
            app.post_json(
                "/api/v1/statuses",
                Some(&alice.token),
                &json!({ "status": "re", "in_reply_to_id": "nope" }),
            )
            .await,
            StatusCode::NOT_FOUND,
        )
        .await;
        assert_eq!(statuses_count(&app, &alice).await, 3);
    })
    .await;
}

#[tokio::test]
async fn posting_needs_a_user_token_with_write_statuses() {
    each_backend(|app| async move {
        let reader = member_with_scopes(&app, "reader", "read").await;
        let body = json!({ "status": "hi" });
        error(
            app.post_json("/api/v1/statuses", None, &body).await,
            StatusCode::UNAUTHORIZED,
        )
        .await;
        error(
            app.post_json("/api/v1/statuses", Some("bogus"), &body)
                .await,
            StatusCode::UNAUTHORIZED,
        )
        .await;
        error(
            app.post_json("/api/v1/statuses", Some(&reader.token), &body)
                .await,
            StatusCode::FORBIDDEN,
        )
        .await;
        let writer = member_with_scopes(&app, "writer", "write:statuses").await;
        post(&app, &writer, body).await;
    })
    .await;
}

#[tokio::test]
async fn idempotency_key_returns_the_same_status() {
    each_backend(|app| async move {
        let alice = member(&app, "alice").await;
        let bob = member(&app, "bob").await;
        let send = |user: &TestUser, key: &str, text: &str| {
            app.req(reqwest::Method::POST, "/api/v1/statuses")
                .bearer_auth(&user.token)
                .header("Idempotency-Key", key)
                .json(&json!({ "status": text }))
                .send()
        };
        let first = json(send(&alice, "k1", "once").await.unwrap(), StatusCode::OK).await;
        let again = json(send(&alice, "k1", "once, retried").await.unwrap(), StatusCode::OK).await;
        assert_eq!(first["id"], again["id"]);
        assert_eq!(again["content"], "<p>once</p>");
        let other = json(send(&alice, "k2", "twice").await.unwrap(), StatusCode::OK).await;
        assert_ne!(first["id"], other["id"]);
        let bobs = json(send(&bob, "k1", "bob's").await.unwrap(), StatusCode::OK).await;
        assert_ne!(first["id"], bobs["id"]);
        assert_eq!(statuses_count(&app, &alice).await, 2);

        // Concurrent duplicates create one status.
        let (a, b, c) = tokio::join!(send(&alice, "race", "r"), send(&alice, "race", "r"), send(&alice, "race", "r"));
        let a = json(a.unwrap(), StatusCode::OK).await;
        let b = json(b.unwrap(), StatusCode::OK).await;
        let c = json(c.unwrap(), StatusCode::OK).await;
        assert_eq!(a["id"], b["id"]);
        assert_eq!(a["id"], c["id"]);
        assert_eq!(
            scalar(&app, "SELECT count(*) FROM statuses WHERE account_id = $1", &[num(&alice.account_id)]).await,
            3
        );

        // An expired key is forgotten.
        exec(&app, "UPDATE idempotency_keys SET created_at = created_at - 3700000 WHERE key = 'k1' AND account_id = $1", &[num(&alice.account_id)], &[]).await;
        let later = json(send(&alice, "k1", "new").await.unwrap(), StatusCode::OK).await;
        assert_ne!(later["id"], first["id"]);
    })
    .await;
}

#[tokio::test]
async fn defaults_come_from_the_user_preferences() {
    each_backend(|app| async move {
        let alice = member(&app, "alice").await;
        exec(
            &app,
            "UPDATE users SET default_privacy = 'unlisted', default_language = 'fr', default_sensitive = $2 WHERE account_id = $1",
            &[num(&alice.account_id)],
            &[true],
        )
        .await;
        let s = post(&app, &alice, json!({ "status": "défaut" })).await;
        assert_eq!(s["visibility"], "unlisted");
        assert_eq!(s["language"], "fr");
        assert_eq!(s["sensitive"], true);
        let s = post(&app, &alice, json!({ "status": "x", "visibility": "public", "language": "de", "sensitive": false })).await;
        assert_eq!((s["visibility"].as_str(), s["language"].as_str(), s["sensitive"].as_bool()), (Some("public"), Some("de"), Some(false)));
    })
    .await;
}

#[tokio::test]
async fn replies_thread_and_count() {
    each_backend(|app| async move {
        let alice = member(&app, "alice").await;
        let bob = member(&app, "bob").await;
        let root = say(&app, &alice, "root").await;
        let root_id = root["id"].as_str().unwrap();
        let r1 = reply(&app, &bob, root_id, "@alice hi", "public").await;
        assert_eq!(r1["in_reply_to_id"], root_id);
        assert_eq!(r1["in_reply_to_account_id"], alice.account_id.as_str());
        // Alice continues her own thread below Bob's reply: it answers Bob.
        let r2 = reply(&app, &alice, r1["id"].as_str().unwrap(), "more", "unlisted").await;
        assert_eq!(r2["in_reply_to_account_id"], bob.account_id.as_str());
        // A self-reply to a reply keeps pointing at whom the thread answers.
        let r3 = reply(
            &app,
            &alice,
            r2["id"].as_str().unwrap(),
            "and more",
            "public",
        )
        .await;
        assert_eq!(r3["in_reply_to_account_id"], bob.account_id.as_str());
        // Followers-only and direct replies do not show in replies_count.
        reply(&app, &bob, root_id, "private", "private").await;
        reply(&app, &bob, root_id, "@alice direct", "direct").await;
        for s in [&r1, &r2, &r3] {
            assert_eq!(
                scalar(
                    &app,
                    "SELECT conversation_id FROM statuses WHERE id = $1",
                    &[num(s["id"].as_str().unwrap())]
                )
                .await,
                num(root_id)
            );
        }
        assert_eq!(counters(&app, root_id).await.0, 1);
        let (_, root) = get_json(&app, &format!("/api/v1/statuses/{root_id}"), None).await;
        assert_eq!(root["replies_count"], 1);
        // Direct statuses are not counted in statuses_count either.
        assert_eq!(statuses_count(&app, &bob).await, 2);

        // Replying to a boost answers the boosted status.
        let boost = json(
            app.post_empty(
                &format!("/api/v1/statuses/{root_id}/reblog"),
                Some(&bob.token),
            )
            .await,
            StatusCode::OK,
        )
        .await;
        let r4 = reply(
            &app,
            &bob,
            boost["id"].as_str().unwrap(),
            "via boost",
            "public",
        )
        .await;
        assert_eq!(r4["in_reply_to_id"], root_id);
        assert_eq!(counters(&app, root_id).await.0, 2);
    })
    .await;
}

#[tokio::test]
async fn status_notifications_reach_subscribed_followers() {
    each_backend(|app| async move {
        let alice = member(&app, "alice").await;
        let bell = member(&app, "bell").await;
        let quiet = member(&app, "quiet").await;
        let bob = member(&app, "bob").await;
        follow(&app, &bell, &alice, true).await;
        follow(&app, &quiet, &alice, false).await;
        say(&app, &alice, "public").await;
        say_as(&app, &alice, "followers", "private").await;
        say_as(&app, &alice, "secret", "direct").await;
        let other = say(&app, &bob, "bob's").await;
        reply(
            &app,
            &alice,
            other["id"].as_str().unwrap(),
            "reply to bob",
            "public",
        )
        .await;
        // Subscriber notifications are sent by a background job.
        app.run_jobs().await;
        assert_eq!(notifications(&app, &bell, "status").await, 2);
        assert_eq!(notifications(&app, &quiet, "status").await, 0);
        assert_eq!(notifications(&app, &bob, "status").await, 0);
    })
    .await;
}

#[tokio::test]
async fn show_and_index() {
    each_backend(|app| async move {
        let alice = member(&app, "alice").await;
        let bob = member(&app, "bob").await;
        let a = say(&app, &alice, "a").await;
        let b = say_as(&app, &alice, "b", "private").await;
        let c = say(&app, &alice, "c").await;
        let (a, b, c) = (
            a["id"].as_str().unwrap(),
            b["id"].as_str().unwrap(),
            c["id"].as_str().unwrap(),
        );
        let path =
            format!("/api/v1/statuses?id[]={c}&id[]={b}&id[]={a}&id[]=999&id[]=junk&id[]={c}");
        let (code, list) = get_json(&app, &path, Some(&bob.token)).await;
        assert_eq!(code, StatusCode::OK);
        let ids: Vec<&str> = list
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["id"].as_str().unwrap())
            .collect();
        assert_eq!(
            ids,
            vec![c, a],
            "ordered as asked, invisible and unknown skipped"
        );
        let (_, mine) = get_json(&app, &path, Some(&alice.token)).await;
        assert_eq!(mine.as_array().unwrap().len(), 3);
        let (_, none) = get_json(&app, "/api/v1/statuses", None).await;
        assert_eq!(none, json!([]));
        let many: String = (1..=21).map(|i| format!("id[]={i}&")).collect();
        error(
            app.get(&format!("/api/v1/statuses?{many}"), None).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;

        for path in [
            "/api/v1/statuses/123",
            "/api/v1/statuses/abc",
            &format!("/api/v1/statuses/{b}"),
        ] {
            let v = error(app.get(path, None).await, StatusCode::NOT_FOUND).await;
            assert_shape("GET /api/v1/statuses/:id 404", &v);
            assert_eq!(v["error"], "Record not found");
        }
    })
    .await;
}

#[tokio::test]
async fn deletions_are_limited_to_30_per_half_hour() {
    each_backend_with(
        |cfg| cfg.rate_limit_exempt_loopback = false,
        |app| async move {
            let alice = app.user("alice").await;
            let bob = app.user("bob").await;
            let bobs = json(
                app.post_json(
                    "/api/v1/statuses",
                    Some(&bob.token),
                    &json!({"status": "boost me"}),
                )
                .await,
                StatusCode::OK,
            )
            .await;
            let bobs_id = bobs["id"].as_str().unwrap();
            let mut ids = Vec::new();
            for i in 0..30 {
                let v = json(
                    app.post_json(
                        "/api/v1/statuses",
                        Some(&alice.token),
                        &json!({"status": format!("post {i}")}),
                    )
                    .await,
                    StatusCode::OK,
                )
                .await;
                ids.push(v["id"].as_str().unwrap().to_owned());
            }
            let reblogged = app
                .post_empty(
                    &format!("/api/v1/statuses/{bobs_id}/reblog"),
                    Some(&alice.token),
                )
                .await;
            assert_eq!(reblogged.status(), StatusCode::OK);
            let delete = |id: String| {
                app.req(reqwest::Method::DELETE, &format!("/api/v1/statuses/{id}"))
                    .bearer_auth(&alice.token)
                    .send()
            };
            // 29 deletions and one unreblog use up the allowance…
            for id in ids.drain(..29) {
                assert_eq!(delete(id).await.unwrap().status(), StatusCode::OK);
            }
            let r = app
                .post_empty(
                    &format!("/api/v1/statuses/{bobs_id}/unreblog"),
                    Some(&alice.token),
                )
                .await;
            assert_eq!(r.status(), StatusCode::OK);
            // …so the 31st is refused in Mastodon's format and deletes nothing.
            let last = ids.pop().unwrap();
            let v = error(
                delete(last.clone()).await.unwrap(),
                StatusCode::TOO_MANY_REQUESTS,
            )
            .await;
            assert!(v["error"].is_string());
            let still = app
                .get(&format!("/api/v1/statuses/{last}"), Some(&alice.token))
                .await;
            assert_eq!(still.status(), StatusCode::OK);
            // Other people's deletions are counted separately.
            let r = app
                .req(
                    reqwest::Method::DELETE,
                    &format!("/api/v1/statuses/{bobs_id}"),
                )
                .bearer_auth(&bob.token)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::OK);
        },
    )
    .await;
}
