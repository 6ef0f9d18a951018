//! A complete user journey as a Mastodon client drives it: register an app, sign up, log in a
//! second user through the HTML authorization page with PKCE, post, follow, read timelines and
//! notifications, and page through them by following `Link` headers.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::*;
use crate::oauth::{CALLBACK, VERIFIER, app_token, authorize_code, exchange, register_app};

/// The `rel` URL of a `Link` header, made relative to the server.
fn link(resp: &reqwest::Response, rel: &str, base: &str) -> Option<String> {
    let header = resp.headers().get("link")?.to_str().ok()?.to_owned();
    header.split(',').find_map(|part| {
        let part = part.trim();
        if !part.ends_with(&format!("rel=\"{rel}\"")) {
            return None;
        }
        let url = part
            .split(';')
            .next()?
            .trim()
            .trim_start_matches('<')
            .trim_end_matches('>');
        Some(url.trim_start_matches(base).to_owned())
    })
}

async fn sign_up(app: &TestApp, app_token: &str, username: &str) -> String {
    let v = json(
        app.post_json(
            "/api/v1/accounts",
            Some(app_token),
            &json!({"username": username, "email": format!("{username}@example.com"),
                    "password": "password123", "agreement": true, "locale": "en"}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    v["access_token"].as_str().expect("token").to_owned()
}

fn ids(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn client_journey() {
    each_backend(|app| async move {
        // 1. The client registers itself and gets an app token.
        let creds = register_app(&app, "read write follow push", CALLBACK).await;
        let app_tok = app_token(&app, &creds, "read write").await;

        // 2. Alice signs up through the API; her token works at once (no mail server).
        let alice_tok = sign_up(&app, &app_tok, "alice").await;
        let alice = json(
            app.get("/api/v1/accounts/verify_credentials", Some(&alice_tok))
                .await,
            StatusCode::OK,
        )
        .await;
        assert_shape("GET /api/v1/accounts/verify_credentials 200", &alice);
        let alice_id = alice["id"].as_str().unwrap().to_owned();

        // 3. Bob signs up, then logs in from a second app session through the HTML
        //    authorization page with PKCE, as Elk or Tusky would.
        sign_up(&app, &app_tok, "bob").await;
        let code = authorize_code(&app, &creds, "bob", "read write follow").await;
        let token = json(
            exchange(&app, &creds, &code, CALLBACK, Some(VERIFIER)).await,
            StatusCode::OK,
        )
        .await;
        let bob_tok = token["access_token"].as_str().unwrap().to_owned();
        assert_eq!(token["scope"], "read write follow");
        let bob = json(
            app.get("/api/v1/accounts/verify_credentials", Some(&bob_tok))
                .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(bob["username"], "bob");

        // 4. Bob follows Alice; Alice is notified.
        let rel = json(
            app.post_empty(
                &format!("/api/v1/accounts/{alice_id}/follow"),
                Some(&bob_tok),
            )
            .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(rel["following"], true);

        // 5. Alice posts five statuses, one mentioning Bob and one followers-only.
        let mut posted = Vec::new();
        for i in 0..5 {
            let (text, visibility) = match i {
                2 => ("hello @bob, welcome!".to_owned(), "public"),
                3 => ("for my followers".to_owned(), "private"),
                _ => (format!("post number {i} #woolly"), "public"),
            };
            let s = json(
                app.post_json(
                    "/api/v1/statuses",
                    Some(&alice_tok),
                    &json!({"status": text, "visibility": visibility}),
                )
                .await,
                StatusCode::OK,
            )
            .await;
            // The reference "POST /api/v1/statuses 200" merges ScheduledStatus keys; a posted status
            // has the shape of a fetched one.
            assert_shape("GET /api/v1/statuses/:id 200", &s);
            posted.push(s["id"].as_str().unwrap().to_owned());
        }
        app.run_jobs().await;

        // 6. Bob's home timeline, two at a time, following the Link header to the end.
        let mut seen = Vec::new();
        let mut next = Some("/api/v1/timelines/home?limit=2".to_owned());
        while let Some(path) = next {
            let resp = app.get(&path, Some(&bob_tok)).await;
            let next_link = link(&resp, "next", &app.url);
            let page = json(resp, StatusCode::OK).await;
            let page_ids = ids(&page);
            if page_ids.is_empty() {
                break;
            }
            assert!(page_ids.len() <= 2);
            seen.extend(page_ids);
            next = next_link;
        }
        let mut expected = posted.clone();
        expected.reverse();
        assert_eq!(
            seen, expected,
            "home shows all of Alice's posts, newest first"
        );

        // The prev link of the first page brings nothing newer until Alice posts again.
        let resp = app
            .get("/api/v1/timelines/home?limit=2", Some(&bob_tok))
            .await;
        let prev = link(&resp, "prev", &app.url).expect("prev link");
        assert!(
            json(app.get(&prev, Some(&bob_tok)).await, StatusCode::OK)
                .await
                .as_array()
                .unwrap()
                .is_empty()
        );
        let newer = json(
            app.post_json(
                "/api/v1/statuses",
                Some(&alice_tok),
                &json!({"status": "one more"}),
            )
            .await,
            StatusCode::OK,
        )
        .await;
        app.run_jobs().await;
        assert_eq!(
            ids(&json(app.get(&prev, Some(&bob_tok)).await, StatusCode::OK).await),
            vec![newer["id"].as_str().unwrap()]
        );

        // 7. Bob favourites the mention and boosts the first post; Alice is told.
        let fav = json(
            app.post_empty(
                &format!("/api/v1/statuses/{}/favourite", posted[2]),
                Some(&bob_tok),
            )
            .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(fav["favourited"], true);
        assert_eq!(fav["favourites_count"], 1);
        json(
            app.post_empty(
                &format!("/api/v1/statuses/{}/reblog", posted[0]),
                Some(&bob_tok),
            )
            .await,
            StatusCode::OK,
        )
        .await;

        // 8. Notifications: Bob was mentioned; Alice got a follow, a favourite and a boost.
        let bob_notes = json(
            app.get("/api/v1/notifications", Some(&bob_tok)).await,
            StatusCode::OK,
        )
        .await;
        let kinds: Vec<&str> = bob_notes
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["type"].as_str().unwrap())
            .collect();
        assert_eq!(kinds, vec!["mention"]);
        assert_eq!(bob_notes[0]["status"]["id"], posted[2].as_str());
        let alice_notes = json(
            app.get("/api/v1/notifications", Some(&alice_tok)).await,
            StatusCode::OK,
        )
        .await;
        // `fallback` and `collection` belong to features Woolly does not have yet; a follow
        // notification has no status.
        let with_status = json!([alice_notes[0], alice_notes[1]]);
        assert_shape_ignoring(
            "GET /api/v1/notifications 200",
            &with_status,
            &["fallback", "collection"],
        );
        let kinds: Vec<&str> = alice_notes
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["type"].as_str().unwrap())
            .collect();
        assert_eq!(kinds, vec!["reblog", "favourite", "follow"]);

        // 9. The public timeline shows Alice's public posts (and Bob's boost is not a post of
        //    his own); an anonymous reader never sees the followers-only one.
        let public = json(
            app.get("/api/v1/timelines/public?local=true", None).await,
            StatusCode::OK,
        )
        .await;
        let public_ids = ids(&public);
        assert!(
            !public_ids.contains(&posted[3]),
            "followers-only post leaked to the public timeline"
        );
        assert!(public_ids.contains(&posted[0]));
        error(
            app.get(&format!("/api/v1/statuses/{}", posted[3]), None)
                .await,
            StatusCode::NOT_FOUND,
        )
        .await;

        // 10. Bob unfollows; Alice's posts leave his home timeline.
        json(
            app.post_empty(
                &format!("/api/v1/accounts/{alice_id}/unfollow"),
                Some(&bob_tok),
            )
            .await,
            StatusCode::OK,
        )
        .await;
        let home = json(
            app.get("/api/v1/timelines/home", Some(&bob_tok)).await,
            StatusCode::OK,
        )
        .await;
        assert!(
            ids(&home).iter().all(|id| !posted.contains(id)),
            "unfollowed posts remain: {home}"
        );
    })
    .await;
}
