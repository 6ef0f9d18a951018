//! `media_ids` on posting and editing; attachments in the Status JSON, seen as the status is.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::*;
use crate::statuses::{exec, follow, member, num};

fn ids_of(status: &Value) -> Vec<String> {
    status["media_attachments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn post_status(app: &TestApp, token: &str, body: Value) -> reqwest::Response {
    app.post_json("/api/v1/statuses", Some(token), &body).await
}

#[tokio::test]
async fn statuses_carry_their_media_in_order() {
    each_backend(|app| async move {
        let alice = member(&app, "alice").await;
        let a = upload_ready(&app, &alice.token, jpeg(64, 48), "image/jpeg").await;
        let b = upload_ready(&app, &alice.token, png(16, 16), "image/png").await;
        let (a_id, b_id) = (a["id"].as_str().unwrap(), b["id"].as_str().unwrap());
        // Text may be blank when media are attached.
        let s = json(
            post_status(
                &app,
                &alice.token,
                json!({ "status": "", "media_ids": [b_id, a_id], "visibility": "public" }),
            )
            .await,
            StatusCode::OK,
        )
        .await;
        assert_shape_ignoring(
            "POST /api/v1/statuses 200",
            &s,
            &[
                "params",
                "scheduled_at",
                "colors",
                "frame_rate",
                "duration",
                "bitrate",
            ],
        );
        assert_eq!(ids_of(&s), vec![b_id, a_id]);
        assert_eq!(s["media_attachments"][1]["url"], a["url"]);
        assert_eq!(s["media_attachments"][1]["meta"]["original"]["width"], 64);
        let shown = json(
            app.get(
                &format!("/api/v1/statuses/{}", s["id"].as_str().unwrap()),
                None,
            )
            .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(ids_of(&shown), vec![b_id, a_id]);

        // Attached media cannot be attached again, edited through /media, or deleted.
        let r = post_status(
            &app,
            &alice.token,
            json!({ "status": "again", "media_ids": [a_id] }),
        )
        .await;
        let e = error(r, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert!(
            e["error"]
                .as_str()
                .unwrap()
                .contains("not found or already attached")
        );
        let path = format!("/api/v1/media/{a_id}");
        let r = app
            .req(Method::PUT, &path)
            .bearer_auth(&alice.token)
            .json(&json!({ "description": "late" }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
        let r = app
            .req(Method::DELETE, &path)
            .bearer_auth(&alice.token)
            .send()
            .await
            .unwrap();
        let e = error(r, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert!(e["error"].as_str().unwrap().contains("used by a status"));
    })
    .await;
}

#[tokio::test]
async fn media_ids_are_validated_like_mastodon() {
    each_backend(|app| async move {
        let alice = member(&app, "alice").await;
        let bob = member(&app, "bob").await;
        let mut ids = Vec::new();
        for _ in 0..5 {
            let m = upload_ready(&app, &alice.token, jpeg(8, 8), "image/jpeg").await;
            ids.push(m["id"].as_str().unwrap().to_owned());
        }
        let r = post_status(&app, &alice.token, json!({ "status": "five", "media_ids": ids })).await;
        let e = error(r, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(e["error"], "Cannot attach more than 4 files");
        let r = post_status(
            &app,
            &alice.token,
            json!({ "status": "poll", "media_ids": [ids[0]], "poll": { "options": ["a", "b"], "expires_in": 3600 } }),
        )
        .await;
        error(r, StatusCode::UNPROCESSABLE_ENTITY).await;
        // Someone else's media, and unknown ids.
        let r = post_status(&app, &bob.token, json!({ "status": "theirs", "media_ids": [ids[0]] })).await;
        let e = error(r, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(
            e["error"],
            format!("Media {} not found or already attached to another post", ids[0])
        );
        let r = post_status(&app, &alice.token, json!({ "status": "x", "media_ids": ["nope"] })).await;
        error(r, StatusCode::UNPROCESSABLE_ENTITY).await;
        // Blank text without media is still refused.
        let r = post_status(&app, &alice.token, json!({ "status": "" })).await;
        error(r, StatusCode::UNPROCESSABLE_ENTITY).await;

        // Media still being processed: Mastodon asks to try again in a moment.
        let queued = woolly::id::next_id();
        let now = woolly::time::now_ms();
        exec(
            &app,
            "INSERT INTO media_attachments (id, account_id, kind, processing, created_at, updated_at) \
             VALUES ($1, $2, 'image', 'queued', $3, $3)",
            &[queued, num(&alice.account_id), now],
            &[],
        )
        .await;
        let r = post_status(
            &app,
            &alice.token,
            json!({ "status": "soon", "media_ids": [queued.to_string()] }),
        )
        .await;
        let e = error(r, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert!(e["error"].as_str().unwrap().contains("not finished processing"));
        let r = app.get(&format!("/api/v1/media/{queued}"), Some(&alice.token)).await;
        assert_eq!(r.status(), StatusCode::PARTIAL_CONTENT);
    })
    .await;
}

#[tokio::test]
async fn media_of_private_statuses_are_seen_only_by_their_audience() {
    each_backend(|app| async move {
        let alice = member(&app, "alice").await;
        let bob = member(&app, "bob").await;
        let carol = member(&app, "carol").await;
        follow(&app, &bob, &alice, false).await;
        let m = upload_ready(&app, &alice.token, jpeg(8, 8), "image/jpeg").await;
        let s = json(
            post_status(
                &app,
                &alice.token,
                json!({ "status": "followers only", "visibility": "private", "media_ids": [m["id"]] }),
            )
            .await,
            StatusCode::OK,
        )
        .await;
        let path = format!("/api/v1/statuses/{}", s["id"].as_str().unwrap());
        let seen = json(app.get(&path, Some(&bob.token)).await, StatusCode::OK).await;
        assert_eq!(ids_of(&seen), vec![m["id"].as_str().unwrap()]);
        assert_eq!(app.get(&path, Some(&carol.token)).await.status(), StatusCode::NOT_FOUND);
        assert_eq!(app.get(&path, None).await.status(), StatusCode::NOT_FOUND);
        let media_path = format!("/api/v1/media/{}", m["id"].as_str().unwrap());
        assert_eq!(
            app.get(&media_path, Some(&bob.token)).await.status(),
            StatusCode::NOT_FOUND
        );
        // Files of a private status are not guessable: their keys carry 128 random bits.
        let url = m["url"].as_str().unwrap();
        let token = url.rsplit('/').nth(1).unwrap();
        assert_eq!(token.len(), 32);
    })
    .await;
}

#[tokio::test]
async fn edits_replace_attachments_and_the_rendering_follows() {
    each_backend(|app| async move {
        let alice = member(&app, "alice").await;
        let a = upload_ready(&app, &alice.token, jpeg(8, 8), "image/jpeg").await;
        let b = upload_ready(&app, &alice.token, jpeg(9, 9), "image/jpeg").await;
        let (a_id, b_id) = (a["id"].as_str().unwrap(), b["id"].as_str().unwrap());
        let s = json(
            post_status(
                &app,
                &alice.token,
                json!({ "status": "one", "media_ids": [a_id] }),
            )
            .await,
            StatusCode::OK,
        )
        .await;
        let path = format!("/api/v1/statuses/{}", s["id"].as_str().unwrap());
        // Rendered once (cached) before the edit.
        let before = json(app.get(&path, None).await, StatusCode::OK).await;
        assert_eq!(ids_of(&before), vec![a_id]);
        let edit = |body: Value| {
            app.req(Method::PUT, &path)
                .bearer_auth(&alice.token)
                .json(&body)
                .send()
        };
        let edited = json(
            edit(json!({ "status": "one", "media_ids": [b_id, a_id] }))
                .await
                .unwrap(),
            StatusCode::OK,
        )
        .await;
        assert_eq!(ids_of(&edited), vec![b_id, a_id]);
        assert!(edited["edited_at"].is_string());
        let after = json(app.get(&path, None).await, StatusCode::OK).await;
        assert_eq!(ids_of(&after), vec![b_id, a_id]);

        // Dropping media detaches them: they may be deleted (or attached elsewhere) again.
        let edited = json(
            edit(json!({ "status": "text only" })).await.unwrap(),
            StatusCode::OK,
        )
        .await;
        assert!(ids_of(&edited).is_empty());
        let r = app
            .req(Method::DELETE, &format!("/api/v1/media/{a_id}"))
            .bearer_auth(&alice.token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let other = json(
            post_status(
                &app,
                &alice.token,
                json!({ "status": "two", "media_ids": [b_id] }),
            )
            .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(ids_of(&other), vec![b_id]);
    })
    .await;
}

#[tokio::test]
async fn delete_and_redraft_keeps_the_media_for_the_new_post() {
    each_backend(|app| async move {
        let alice = member(&app, "alice").await;
        let m = upload_ready(&app, &alice.token, jpeg(8, 8), "image/jpeg").await;
        let m_id = m["id"].as_str().unwrap();
        let s = json(
            post_status(
                &app,
                &alice.token,
                json!({ "status": "draft", "media_ids": [m_id] }),
            )
            .await,
            StatusCode::OK,
        )
        .await;
        let r = app
            .req(
                Method::DELETE,
                &format!("/api/v1/statuses/{}", s["id"].as_str().unwrap()),
            )
            .bearer_auth(&alice.token)
            .send()
            .await
            .unwrap();
        let deleted = json(r, StatusCode::OK).await;
        assert_eq!(ids_of(&deleted), vec![m_id]);
        let again = json(
            post_status(
                &app,
                &alice.token,
                json!({ "status": "redraft", "media_ids": [m_id] }),
            )
            .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(ids_of(&again), vec![m_id]);
    })
    .await;
}

#[tokio::test]
async fn only_media_lists_statuses_with_attachments() {
    each_backend(|app| async move {
        let alice = member(&app, "alice").await;
        let m = upload_ready(&app, &alice.token, jpeg(8, 8), "image/jpeg").await;
        let with = json(
            post_status(
                &app,
                &alice.token,
                json!({ "status": "pic", "media_ids": [m["id"]], "visibility": "public" }),
            )
            .await,
            StatusCode::OK,
        )
        .await;
        json(
            post_status(
                &app,
                &alice.token,
                json!({ "status": "words", "visibility": "public" }),
            )
            .await,
            StatusCode::OK,
        )
        .await;
        for path in [
            "/api/v1/timelines/public?only_media=true".to_owned(),
            format!(
                "/api/v1/accounts/{}/statuses?only_media=true",
                alice.account_id
            ),
        ] {
            let list = json(app.get(&path, None).await, StatusCode::OK).await;
            let ids: Vec<&str> = list
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s["id"].as_str().unwrap())
                .collect();
            assert_eq!(ids, vec![with["id"].as_str().unwrap()], "{path}");
        }
    })
    .await;
}
