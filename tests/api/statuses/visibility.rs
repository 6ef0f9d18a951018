//! Who sees what: public, unlisted, followers-only and direct statuses for the author, a
//! follower, a mentioned account, a stranger and anonymous visitors, across show, context,
//! favourite and boost; and blocks in both directions.

use reqwest::StatusCode;
use serde_json::json;

use super::*;

#[tokio::test]
async fn visibility_matrix() {
    each_backend(|app| async move {
        let alice = member(&app, "alice").await; // author
        let carol = member(&app, "carol").await; // follower
        let bob = member(&app, "bob").await; // mentioned
        let dave = member(&app, "dave").await; // stranger
        follow(&app, &carol, &alice, false).await;
        let p = say_as(&app, &alice, "public", "public").await;
        let u = say_as(&app, &alice, "unlisted", "unlisted").await;
        let f = say_as(&app, &alice, "followers @bob", "private").await;
        let d = say_as(&app, &alice, "direct @bob", "direct").await;
        let posts = [
            ("public", &p),
            ("unlisted", &u),
            ("private", &f),
            ("direct", &d),
        ];
        // (viewer, token, sees public, unlisted, private, direct)
        let viewers: [(&str, Option<&TestUser>, [bool; 4]); 5] = [
            ("author", Some(&alice), [true, true, true, true]),
            ("follower", Some(&carol), [true, true, true, false]),
            ("mentioned", Some(&bob), [true, true, true, true]),
            ("stranger", Some(&dave), [true, true, false, false]),
            ("anonymous", None, [true, true, false, false]),
        ];
        for (who, user, sees) in &viewers {
            let token = user.map(|u| u.token.as_str());
            for (i, (vis, s)) in posts.iter().enumerate() {
                let id = s["id"].as_str().unwrap();
                let want = if sees[i] {
                    StatusCode::OK
                } else {
                    StatusCode::NOT_FOUND
                };
                let (code, body) = get_json(&app, &format!("/api/v1/statuses/{id}"), token).await;
                assert_eq!(code, want, "{who} GET {vis}: {body}");
                let (code, _) =
                    get_json(&app, &format!("/api/v1/statuses/{id}/context"), token).await;
                assert_eq!(code, want, "{who} context {vis}");
                let (code, _) =
                    get_json(&app, &format!("/api/v1/statuses/{id}/favourited_by"), token).await;
                assert_eq!(code, want, "{who} favourited_by {vis}");
                let (code, _) =
                    get_json(&app, &format!("/api/v1/statuses/{id}/history"), token).await;
                assert_eq!(code, want, "{who} history {vis}");
                if let Some(u) = user {
                    let (code, _) = act(
                        &app,
                        &format!("/api/v1/statuses/{id}/favourite"),
                        Some(&u.token),
                    )
                    .await;
                    assert_eq!(code, want, "{who} favourite {vis}");
                    let (code, _) = act(
                        &app,
                        &format!("/api/v1/statuses/{id}/bookmark"),
                        Some(&u.token),
                    )
                    .await;
                    assert_eq!(code, want, "{who} bookmark {vis}");
                    // Boosts: public and unlisted by anyone who sees them; private only by the
                    // author; direct by nobody. Visible-but-not-boostable is a 403.
                    let boostable = match *vis {
                        "public" | "unlisted" => true,
                        "private" => *who == "author",
                        _ => false,
                    };
                    let want_boost = match (sees[i], boostable) {
                        (false, _) => StatusCode::NOT_FOUND,
                        (true, true) => StatusCode::OK,
                        (true, false) => StatusCode::FORBIDDEN,
                    };
                    let (code, body) = act(
                        &app,
                        &format!("/api/v1/statuses/{id}/reblog"),
                        Some(&u.token),
                    )
                    .await;
                    assert_eq!(code, want_boost, "{who} reblog {vis}: {body}");
                } else {
                    let (code, _) =
                        act(&app, &format!("/api/v1/statuses/{id}/favourite"), None).await;
                    assert_eq!(code, StatusCode::UNAUTHORIZED);
                }
            }
        }
        // Counters never reveal restricted interactions to the wrong people, and are right.
        assert_eq!(counters(&app, p["id"].as_str().unwrap()).await, (0, 4, 4));
        assert_eq!(counters(&app, f["id"].as_str().unwrap()).await, (0, 1, 3));
        assert_eq!(counters(&app, d["id"].as_str().unwrap()).await, (0, 0, 2));
        // Mentions in restricted posts notify the mentioned account, who may see them.
        assert_eq!(notifications(&app, &bob, "mention").await, 2);

        // A followers-only reply shows up in the thread only for those who may see it.
        let pid = p["id"].as_str().unwrap();
        let r = reply(&app, &alice, pid, "for followers", "private").await;
        for (user, want) in [(Some(&carol), 1), (Some(&dave), 0), (None, 0)] {
            let (_, ctx) = get_json(
                &app,
                &format!("/api/v1/statuses/{pid}/context"),
                user.map(|u| u.token.as_str()),
            )
            .await;
            assert_eq!(ctx["descendants"].as_array().unwrap().len(), want);
        }
        error(
            app.get(
                &format!("/api/v1/statuses/{}", r["id"].as_str().unwrap()),
                Some(&dave.token),
            )
            .await,
            StatusCode::NOT_FOUND,
        )
        .await;
        let (code, _) = act(
            &app,
            &format!("/api/v1/statuses/{}/unreblog", r["id"].as_str().unwrap()),
            Some(&dave.token),
        )
        .await;
        assert_eq!(code, StatusCode::NOT_FOUND);
        // Nobody may reply to what they cannot see.
        error(
            app.post_json(
                "/api/v1/statuses",
                Some(&dave.token),
                &json!({ "status": "hi", "in_reply_to_id": f["id"] }),
            )
            .await,
            StatusCode::NOT_FOUND,
        )
        .await;
        reply(
            &app,
            &bob,
            d["id"].as_str().unwrap(),
            "@alice thanks",
            "direct",
        )
        .await;
    })
    .await;
}

#[tokio::test]
async fn blocks_hide_and_forbid() {
    each_backend(|app| async move {
        let alice = member(&app, "alice").await;
        let dave = member(&app, "dave").await;
        let erin = member(&app, "erin").await;
        let p = say(&app, &alice, "hello").await;
        let id = p["id"].as_str().unwrap();
        // Alice blocks Dave: her posts are hidden from him (anonymous visitors still see them).
        block(&app, &alice, &dave).await;
        error(
            app.get(&format!("/api/v1/statuses/{id}"), Some(&dave.token))
                .await,
            StatusCode::NOT_FOUND,
        )
        .await;
        error(
            app.get(&format!("/api/v1/statuses/{id}/context"), Some(&dave.token))
                .await,
            StatusCode::NOT_FOUND,
        )
        .await;
        let (code, _) = act(
            &app,
            &format!("/api/v1/statuses/{id}/favourite"),
            Some(&dave.token),
        )
        .await;
        assert_eq!(code, StatusCode::NOT_FOUND);
        let (code, _) = act(
            &app,
            &format!("/api/v1/statuses/{id}/reblog"),
            Some(&dave.token),
        )
        .await;
        assert_eq!(code, StatusCode::NOT_FOUND);
        let (code, _) = get_json(&app, &format!("/api/v1/statuses/{id}"), None).await;
        assert_eq!(code, StatusCode::OK);
        // Dave cannot reply to her either; his mention of her does not reach her.
        error(
            app.post_json(
                "/api/v1/statuses",
                Some(&dave.token),
                &json!({ "status": "hey", "in_reply_to_id": id }),
            )
            .await,
            StatusCode::NOT_FOUND,
        )
        .await;
        say(&app, &dave, "@alice hey").await;
        assert_eq!(notifications(&app, &alice, "mention").await, 0);

        // Erin blocks Alice: she still sees the post but may not interact with it.
        block(&app, &erin, &alice).await;
        let (code, _) = get_json(&app, &format!("/api/v1/statuses/{id}"), Some(&erin.token)).await;
        assert_eq!(code, StatusCode::OK);
        for action in ["favourite", "reblog"] {
            let (code, v) = act(
                &app,
                &format!("/api/v1/statuses/{id}/{action}"),
                Some(&erin.token),
            )
            .await;
            assert_eq!(code, StatusCode::FORBIDDEN, "{action}");
            assert_eq!(v["error"], "This action is not allowed");
        }
        // Alice may still mention Erin (the mention is stored), but Erin, who blocks her, is
        // not notified.
        let m = say(&app, &alice, "@erin hi").await;
        assert_eq!(m["mentions"].as_array().unwrap().len(), 1);
        assert_eq!(notifications(&app, &erin, "mention").await, 0);
        // Mentions of accounts the author blocks are dropped.
        let m = say(&app, &alice, "@dave hi").await;
        assert!(m["mentions"].as_array().unwrap().is_empty());
        assert_eq!(m["content"], "<p>@dave hi</p>");
    })
    .await;
}

#[tokio::test]
async fn statuses_of_suspended_accounts_are_unavailable() {
    each_backend(|app| async move {
        let alice = member(&app, "alice").await;
        let bob = member(&app, "bob").await;
        let post = say(&app, &alice, "soon gone").await;
        let id = post["id"].as_str().unwrap().to_owned();
        let boost = json(
            app.post_empty(&format!("/api/v1/statuses/{id}/reblog"), Some(&bob.token))
                .await,
            StatusCode::OK,
        )
        .await;
        let alice_id: i64 = alice.account_id.parse().unwrap();
        exec(
            &app,
            "UPDATE accounts SET suspended_at = 1 WHERE id = $1",
            &[alice_id],
            &[],
        )
        .await;
        for path in [
            format!("/api/v1/statuses/{id}"),
            format!("/api/v1/statuses/{}", boost["id"].as_str().unwrap()),
        ] {
            error(
                app.get(&path, Some(&bob.token)).await,
                StatusCode::NOT_FOUND,
            )
            .await;
            error(app.get(&path, None).await, StatusCode::NOT_FOUND).await;
        }
        error(
            app.post_empty(
                &format!("/api/v1/statuses/{id}/favourite"),
                Some(&bob.token),
            )
            .await,
            StatusCode::NOT_FOUND,
        )
        .await;
        let public = json(
            app.get("/api/v1/timelines/public", None).await,
            StatusCode::OK,
        )
        .await;
        assert!(public.as_array().unwrap().is_empty(), "{public}");
    })
    .await;
}

#[tokio::test]
async fn source_needs_a_user_token() {
    each_backend(|app| async move {
        let alice = member(&app, "alice").await;
        let post = say(&app, &alice, "my words").await;
        let path = format!("/api/v1/statuses/{}/source", post["id"].as_str().unwrap());
        let creds = crate::oauth::register_app(&app, "read", crate::oauth::CALLBACK).await;
        let app_tok = crate::oauth::app_token(&app, &creds, "read").await;
        error(
            app.get(&path, Some(&app_tok)).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        let v = json(app.get(&path, Some(&alice.token)).await, StatusCode::OK).await;
        assert_eq!(v["text"], "my words");
    })
    .await;
}
