//! Scheduled statuses: `scheduled_at` on `POST /api/v1/statuses`,
//! `GET/PUT/DELETE /api/v1/scheduled_statuses[/:id]` and publication by a job.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::*;

/// An RFC 3339 time `secs` seconds from now.
fn in_secs(secs: i64) -> String {
    woolly::time::rfc3339(woolly::time::now_ms() + secs * 1000)
}

/// Makes scheduled status `id` (and its job) due now.
async fn make_due(app: &TestApp, id: &str) {
    let past = woolly::time::now_ms() - 1000;
    exec(
        app,
        "UPDATE scheduled_statuses SET scheduled_at = $2 WHERE id = $1",
        &[num(id), past],
        &[],
    )
    .await;
    exec(
        app,
        "UPDATE jobs SET run_at = $1 WHERE kind = 'publish_scheduled_status'",
        &[past],
        &[],
    )
    .await;
}

/// Schedules a status (JSON body), asserting 200.
async fn schedule(app: &TestApp, user: &TestUser, body: Value) -> Value {
    json(
        app.post_json("/api/v1/statuses", Some(&user.token), &body)
            .await,
        StatusCode::OK,
    )
    .await
}

/// The ScheduledStatus shapes, minus `sensitive`: Mastodon echoes the raw parameter there
/// (a string from the form the reference was sampled with); we keep the boolean a JSON
/// client sends, or null.
const ECHOED: &[&str] = &["sensitive"];

#[tokio::test]
async fn a_scheduled_status_is_listed_moved_and_published_once() {
    each_backend(|app| async move {
        let alice = member(&app, "alice").await;
        let bob = member(&app, "bob").await;
        let parent = say(&app, &bob, "a question").await;
        let s = schedule(&app, &alice, json!({
            "status": "Later, @bob",
            "scheduled_at": in_secs(3600),
            "in_reply_to_id": parent["id"],
            "poll": {"options": ["yes", "no"], "expires_in": 600},
        }))
        .await;
        assert_shape_ignoring("GET /api/v1/scheduled_statuses/:id 200", &s, ECHOED);
        let id = s["id"].as_str().unwrap().to_owned();
        assert_eq!(s["params"]["text"], "Later, @bob");
        assert_eq!(s["params"]["poll"]["options"], json!(["yes", "no"]));
        assert_eq!(s["params"]["in_reply_to_id"], parent["id"]);
        assert!(s["params"]["visibility"].is_null());
        assert!(s["params"]["application_id"].is_i64());
        assert_eq!(s["media_attachments"], json!([]));
        assert_eq!(statuses_count(&app, &alice).await, 0);
        // Not due: draining the queue publishes nothing.
        app.run_jobs().await;
        assert_eq!(statuses_count(&app, &alice).await, 0);

        let (code, list) = get_json(&app, "/api/v1/scheduled_statuses", Some(&alice.token)).await;
        assert_eq!(code, StatusCode::OK);
        assert_shape_ignoring("GET /api/v1/scheduled_statuses 200", &list, ECHOED);
        assert_eq!(list.as_array().unwrap().len(), 1);
        let (code, one) = get_json(&app, &format!("/api/v1/scheduled_statuses/{id}"), Some(&alice.token)).await;
        assert_eq!(code, StatusCode::OK);
        assert_eq!(one, s);
        // Someone else's is not found.
        let (code, _) = get_json(&app, &format!("/api/v1/scheduled_statuses/{id}"), Some(&bob.token)).await;
        assert_eq!(code, StatusCode::NOT_FOUND);
        let (_, theirs) = get_json(&app, "/api/v1/scheduled_statuses", Some(&bob.token)).await;
        assert_eq!(theirs, json!([]));

        // Moved to another time.
        let later = in_secs(7200);
        let resp = app
            .req(Method::PUT, &format!("/api/v1/scheduled_statuses/{id}"))
            .bearer_auth(&alice.token)
            .json(&json!({"scheduled_at": later}))
            .send()
            .await
            .unwrap();
        let moved = json(resp, StatusCode::OK).await;
        assert_shape_ignoring("PUT /api/v1/scheduled_statuses/:id 200", &moved, ECHOED);
        assert_eq!(moved["scheduled_at"], later);
        let resp = app
            .req(Method::PUT, &format!("/api/v1/scheduled_statuses/{id}"))
            .bearer_auth(&alice.token)
            .json(&json!({"scheduled_at": in_secs(60)}))
            .send()
            .await
            .unwrap();
        let e = error(resp, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(e["error"], "Validation failed: Scheduled at The scheduled date must be in the future");

        // Due: published as a reply with its poll, once, and gone from the list.
        make_due(&app, &id).await;
        app.run_jobs().await;
        assert_eq!(statuses_count(&app, &alice).await, 1);
        let (_, list) = get_json(&app, "/api/v1/scheduled_statuses", Some(&alice.token)).await;
        assert_eq!(list, json!([]));
        let (_, timeline) = get_json(
            &app,
            &format!("/api/v1/accounts/{}/statuses", alice.account_id),
            Some(&alice.token),
        )
        .await;
        let published = &timeline[0];
        assert_eq!(published["in_reply_to_id"], parent["id"]);
        assert_eq!(published["poll"]["options"][0]["title"], "yes");
        assert_eq!(published["application"]["name"], "Woolly Tests");
        assert_eq!(notifications(&app, &bob, "mention").await, 1);
        // The job running again publishes nothing more.
        let sql = format!(
            "INSERT INTO jobs (id, kind, payload, priority, run_at, created_at) \
             VALUES ($1, 'publish_scheduled_status', '{{\"kind\":\"publish_scheduled_status\",\"id\":{id}}}', 0, $2, $2)"
        );
        exec(&app, &sql, &[woolly::id::next_id(), woolly::time::now_ms() - 1], &[]).await;
        app.run_jobs().await;
        assert_eq!(statuses_count(&app, &alice).await, 1);
    })
    .await;
}

#[tokio::test]
async fn cancelled_and_past_times_and_bad_input() {
    each_backend(|app| async move {
        let alice = member(&app, "alice").await;
        let reader = member_with_scopes(&app, "reader", "read").await;
        // A time already past posts at once (a Status, not a ScheduledStatus).
        let now = schedule(&app, &alice, json!({"status": "now", "scheduled_at": in_secs(-60)})).await;
        assert_eq!(now["content"], "<p>now</p>");

        let s = schedule(&app, &alice, json!({"status": "never", "scheduled_at": in_secs(900)})).await;
        let id = s["id"].as_str().unwrap().to_owned();
        let resp = app
            .req(Method::DELETE, &format!("/api/v1/scheduled_statuses/{id}"))
            .bearer_auth(&alice.token)
            .send()
            .await
            .unwrap();
        let v = json(resp, StatusCode::OK).await;
        assert_shape("DELETE /api/v1/scheduled_statuses/:id 200", &v);
        assert_eq!(v, json!({}));
        let resp = app
            .req(Method::DELETE, &format!("/api/v1/scheduled_statuses/{id}"))
            .bearer_auth(&alice.token)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::NOT_FOUND);
        // Its job finds nothing to publish.
        make_due(&app, &id).await;
        app.run_jobs().await;
        assert_eq!(statuses_count(&app, &alice).await, 1);

        // The same Idempotency-Key answers with the same scheduled status.
        let body = json!({"status": "once", "scheduled_at": in_secs(1800)});
        let mut ids = Vec::new();
        for _ in 0..2 {
            let resp = app
                .req(Method::POST, "/api/v1/statuses")
                .bearer_auth(&alice.token)
                .header("Idempotency-Key", "sched-1")
                .json(&body)
                .send()
                .await
                .unwrap();
            ids.push(json(resp, StatusCode::OK).await["id"].clone());
        }
        assert_eq!(ids[0], ids[1]);
        assert_eq!(scalar(&app, "SELECT count(*) FROM scheduled_statuses", &[]).await, 1);
        exec(&app, "DELETE FROM scheduled_statuses", &[], &[]).await;

        let cases = [
            (json!({"status": "soon", "scheduled_at": in_secs(120)}), "Validation failed: Scheduled at The scheduled date must be in the future"),
            (json!({"status": "when?", "scheduled_at": "tomorrow-ish"}), "Validation failed: Scheduled at is invalid"),
            (json!({"status": "", "scheduled_at": in_secs(900)}), "Validation failed: Text can't be blank"),
            (json!({"status": "x", "visibility": "everyone", "scheduled_at": in_secs(900)}), "Validation failed: Visibility is not included in the list"),
            (json!({"status": "x", "scheduled_at": in_secs(900), "poll": {"options": ["a"], "expires_in": 600}}), "Validation failed: Poll options must have more than one item"),
        ];
        for (body, message) in cases {
            let e = error(
                app.post_json("/api/v1/statuses", Some(&alice.token), &body).await,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
            assert_eq!(e["error"], message, "{body}");
        }
        assert_eq!(scalar(&app, "SELECT count(*) FROM scheduled_statuses", &[]).await, 0);

        // Permissions.
        let (code, _) = get_json(&app, "/api/v1/scheduled_statuses", None).await;
        assert_eq!(code, StatusCode::UNAUTHORIZED);
        let s = schedule(&app, &alice, json!({"status": "mine", "scheduled_at": in_secs(900)})).await;
        let id = s["id"].as_str().unwrap();
        let resp = app
            .req(Method::DELETE, &format!("/api/v1/scheduled_statuses/{id}"))
            .bearer_auth(&reader.token)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::FORBIDDEN);
        let (code, _) = get_json(&app, "/api/v1/scheduled_statuses/nope", Some(&alice.token)).await;
        assert_eq!(code, StatusCode::NOT_FOUND);
    })
    .await;
}

#[tokio::test]
async fn daily_and_total_limits_and_pagination() {
    each_backend(|app| async move {
        let alice = member(&app, "alice").await;
        // 25 on one day are allowed, the 26th is not; another day still is.
        let day = woolly::time::now_ms() + 3 * 86_400_000;
        let day = day - day.rem_euclid(86_400_000) + 3_600_000;
        for i in 0..25 {
            schedule(&app, &alice, json!({"status": format!("post {i}"), "scheduled_at": woolly::time::rfc3339(day + i * 60_000)})).await;
        }
        let e = error(
            app.post_json(
                "/api/v1/statuses",
                Some(&alice.token),
                &json!({"status": "one too many", "scheduled_at": woolly::time::rfc3339(day + 3_600_000)}),
            )
            .await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(e["error"], "Validation failed: You have exceeded the limit of 25 scheduled posts for today");
        schedule(&app, &alice, json!({"status": "next day", "scheduled_at": woolly::time::rfc3339(day + 86_400_000)})).await;

        // Pages of 20 by default, newest first, with Link headers.
        let resp = app.get("/api/v1/scheduled_statuses?limit=10", Some(&alice.token)).await;
        let link = resp.headers().get("link").unwrap().to_str().unwrap().to_owned();
        let page: Value = json(resp, StatusCode::OK).await;
        assert_eq!(page.as_array().unwrap().len(), 10);
        assert_eq!(page[0]["params"]["text"], "next day");
        assert!(link.contains("max_id=") && link.contains("rel=\"next\""), "{link}");
        let last = page[9]["id"].as_str().unwrap();
        let (_, rest) = get_json(&app, &format!("/api/v1/scheduled_statuses?max_id={last}&limit=40"), Some(&alice.token)).await;
        assert_eq!(rest.as_array().unwrap().len(), 16);

        // The total limit (300), counted with rows stored directly.
        let base = woolly::time::now_ms() + 30 * 86_400_000;
        for i in 0..274 {
            exec(
                &app,
                "INSERT INTO scheduled_statuses (id, account_id, scheduled_at, params, created_at) \
                 VALUES ($1, $2, $3, '{\"text\":\"x\"}', $3)",
                &[woolly::id::next_id(), num(&alice.account_id), base + i * 86_400_000],
                &[],
            )
            .await;
        }
        let e = error(
            app.post_json(
                "/api/v1/statuses",
                Some(&alice.token),
                &json!({"status": "over", "scheduled_at": in_secs(900)}),
            )
            .await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(e["error"], "Validation failed: You have exceeded the limit of 300 scheduled posts");
    })
    .await;
}
