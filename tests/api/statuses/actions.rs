//! Favourite, boost, bookmark, pin and thread mute, with their undos and account lists.

use reqwest::StatusCode;
use serde_json::json;

use super::*;

#[tokio::test]
async fn favourite_and_unfavourite() {
    each_backend(|app| async move {
        let alice = member(&app, "alice").await;
        let bob = member(&app, "bob").await;
        say(&app, &bob, "hello").await; // so that bob's last_status_at is set, as in the reference
        let s = say(&app, &alice, "like me").await;
        let id = s["id"].as_str().unwrap();
        let (code, v) = act(
            &app,
            &format!("/api/v1/statuses/{id}/favourite"),
            Some(&bob.token),
        )
        .await;
        assert_eq!(code, StatusCode::OK);
        assert_eq!(v["favourited"], true);
        assert!(
            v.get("pinned").is_none(),
            "pinned is only shown on one's own statuses"
        );
        assert_eq!(v["favourites_count"], 1);
        // Again, with a JSON body this time: idempotent.
        let v = json(
            app.post_json(
                &format!("/api/v1/statuses/{id}/favourite"),
                Some(&bob.token),
                &json!({}),
            )
            .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(v["favourites_count"], 1);
        assert_eq!(notifications(&app, &alice, "favourite").await, 1);
        // Favouriting one's own status counts but notifies nobody. (Mastodon's reference
        // shape was recorded on the author's own status, which carries `pinned`.)
        let (_, own) = act(
            &app,
            &format!("/api/v1/statuses/{id}/favourite"),
            Some(&alice.token),
        )
        .await;
        assert_shape("POST /api/v1/statuses/:id/favourite 200", &own);
        assert_eq!(counters(&app, id).await.2, 2);
        assert_eq!(notifications(&app, &alice, "favourite").await, 1);

        let (code, list) =
            get_json(&app, &format!("/api/v1/statuses/{id}/favourited_by"), None).await;
        assert_eq!(code, StatusCode::OK);
        assert_shape("GET /api/v1/statuses/:id/favourited_by 200", &list);
        let names: Vec<&str> = list
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["username"].as_str().unwrap())
            .collect();
        assert_eq!(names, vec!["alice", "bob"], "newest favourite first");

        let (code, v) = act(
            &app,
            &format!("/api/v1/statuses/{id}/unfavourite"),
            Some(&bob.token),
        )
        .await;
        assert_eq!(code, StatusCode::OK);
        assert_eq!(v["favourited"], false);
        assert_eq!(v["favourites_count"], 1);
        assert_eq!(notifications(&app, &alice, "favourite").await, 0);
        let (_, own) = act(
            &app,
            &format!("/api/v1/statuses/{id}/unfavourite"),
            Some(&alice.token),
        )
        .await;
        assert_shape("POST /api/v1/statuses/:id/unfavourite 200", &own);
        assert_eq!(own["favourites_count"], 0);
        act(
            &app,
            &format!("/api/v1/statuses/{id}/favourite"),
            Some(&alice.token),
        )
        .await;
        let (code, v) = act(
            &app,
            &format!("/api/v1/statuses/{id}/unfavourite"),
            Some(&bob.token),
        )
        .await;
        assert_eq!(
            (code, v["favourites_count"].as_i64()),
            (StatusCode::OK, Some(1))
        );

        // Scopes: write:favourites (or write) is needed; a token without it is refused.
        let stranger = member_with_scopes(&app, "stranger", "read write:statuses").await;
        let (code, _) = act(
            &app,
            &format!("/api/v1/statuses/{id}/favourite"),
            Some(&stranger.token),
        )
        .await;
        assert_eq!(code, StatusCode::FORBIDDEN);
        let (code, _) = act(&app, &format!("/api/v1/statuses/{id}/favourite"), None).await;
        assert_eq!(code, StatusCode::UNAUTHORIZED);
        for path in [
            "/api/v1/statuses/999/favourite",
            "/api/v1/statuses/999/unfavourite",
            "/api/v1/statuses/x/favourite",
        ] {
            let (code, v) = act(&app, path, Some(&bob.token)).await;
            assert_eq!(code, StatusCode::NOT_FOUND);
            assert_eq!(v["error"], "Record not found");
        }
    })
    .await;
}

#[tokio::test]
async fn reblog_and_unreblog() {
    each_backend(|app| async move {
        let alice = member(&app, "alice").await;
        let bob = member(&app, "bob").await;
        let carol = member(&app, "carol").await;
        for u in [&bob, &carol] {
            say(&app, u, "hello").await;
        }
        let s = say(&app, &alice, "boost me").await;
        let id = s["id"].as_str().unwrap();
        let (code, boost) = act(
            &app,
            &format!("/api/v1/statuses/{id}/reblog"),
            Some(&bob.token),
        )
        .await;
        assert_eq!(code, StatusCode::OK);
        // Mastodon's reference shape was recorded on a self-boost (the inner status is the
        // viewer's own and carries `pinned`).
        let own = say(&app, &alice, "self boost").await;
        let (_, self_boost) = act(
            &app,
            &format!("/api/v1/statuses/{}/reblog", own["id"].as_str().unwrap()),
            Some(&alice.token),
        )
        .await;
        assert_shape("POST /api/v1/statuses/:id/reblog 200", &self_boost);
        let (_, unboosted) = act(
            &app,
            &format!("/api/v1/statuses/{}/unreblog", own["id"].as_str().unwrap()),
            Some(&alice.token),
        )
        .await;
        assert_shape("POST /api/v1/statuses/:id/unreblog 200", &unboosted);
        assert_eq!(unboosted["reblogged"], false);
        let boost_id = boost["id"].as_str().unwrap();
        assert_ne!(boost_id, id);
        assert_eq!(boost["reblog"]["id"], id);
        assert_eq!(boost["reblog"]["reblogs_count"], 1);
        assert_eq!(boost["reblogged"], true);
        assert_eq!(boost["reblog"]["reblogged"], true);
        assert_eq!(boost["visibility"], "public");
        assert_eq!(boost["content"], "");
        let activity = format!("{}/users/bob/statuses/{boost_id}/activity", app.url);
        assert_eq!(boost["uri"], activity.as_str());
        assert_eq!(boost["url"], activity.as_str());
        assert_eq!(statuses_count(&app, &bob).await, 2);
        assert_eq!(notifications(&app, &alice, "reblog").await, 1);

        // Idempotent; boosting the boost boosts the original.
        let (_, again) = act(
            &app,
            &format!("/api/v1/statuses/{id}/reblog"),
            Some(&bob.token),
        )
        .await;
        assert_eq!(again["id"], boost_id);
        let (_, via) = act(
            &app,
            &format!("/api/v1/statuses/{boost_id}/reblog"),
            Some(&carol.token),
        )
        .await;
        assert_eq!(via["reblog"]["id"], id);
        assert_eq!(via["reblog"]["reblogs_count"], 2);
        // Boost visibility may be chosen; direct is not a boost visibility.
        let dave = member(&app, "dave").await;
        let v = json(
            app.post_form(
                &format!("/api/v1/statuses/{id}/reblog"),
                Some(&dave.token),
                &[("visibility", "unlisted")],
            )
            .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(v["visibility"], "unlisted");
        let erin = member(&app, "erin").await;
        error(
            app.post_json(
                &format!("/api/v1/statuses/{id}/reblog"),
                Some(&erin.token),
                &json!({ "visibility": "direct" }),
            )
            .await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;

        let (code, list) = get_json(
            &app,
            &format!("/api/v1/statuses/{id}/reblogged_by"),
            Some(&alice.token),
        )
        .await;
        assert_eq!(code, StatusCode::OK);
        assert_shape("GET /api/v1/statuses/:id/reblogged_by 200", &list);
        let names: Vec<&str> = list
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["username"].as_str().unwrap())
            .collect();
        assert_eq!(names, vec!["dave", "carol", "bob"]);

        // The fan-out job puts the boost in the booster's feed.
        app.run_jobs().await;
        assert_eq!(
            scalar(
                &app,
                "SELECT count(*) FROM home_feed WHERE account_id = $1 AND status_id = $2",
                &[num(&bob.account_id), num(boost_id)]
            )
            .await,
            1
        );

        let (code, orig) = act(
            &app,
            &format!("/api/v1/statuses/{id}/unreblog"),
            Some(&bob.token),
        )
        .await;
        assert_eq!(code, StatusCode::OK);
        assert_eq!(orig["id"], id);
        assert_eq!(orig["reblogged"], false);
        assert_eq!(orig["reblogs_count"], 2);
        assert_eq!(statuses_count(&app, &bob).await, 1);
        assert_eq!(notifications(&app, &alice, "reblog").await, 2);
        error(
            app.get(&format!("/api/v1/statuses/{boost_id}"), None).await,
            StatusCode::NOT_FOUND,
        )
        .await;
        // Undoing again is harmless.
        let (code, orig) = act(
            &app,
            &format!("/api/v1/statuses/{id}/unreblog"),
            Some(&bob.token),
        )
        .await;
        assert_eq!(
            (code, orig["reblogs_count"].as_i64()),
            (StatusCode::OK, Some(2))
        );
    })
    .await;
}

#[tokio::test]
async fn reblog_rules_for_private_and_direct() {
    each_backend(|app| async move {
        let alice = member(&app, "alice").await;
        let bob = member(&app, "bob").await;
        follow(&app, &bob, &alice, false).await;
        let private = say_as(&app, &alice, "followers only @bob", "private").await;
        let direct = say_as(&app, &alice, "@bob just you", "direct").await;
        let (pid, did) = (
            private["id"].as_str().unwrap(),
            direct["id"].as_str().unwrap(),
        );
        // Bob sees both but may boost neither.
        for id in [pid, did] {
            let (code, v) = act(
                &app,
                &format!("/api/v1/statuses/{id}/reblog"),
                Some(&bob.token),
            )
            .await;
            assert_eq!(code, StatusCode::FORBIDDEN);
            assert_eq!(v["error"], "This action is not allowed");
        }
        // Alice may boost her own private post; the boost stays private.
        let (code, v) = act(
            &app,
            &format!("/api/v1/statuses/{pid}/reblog"),
            Some(&alice.token),
        )
        .await;
        assert_eq!(code, StatusCode::OK);
        assert_eq!(v["visibility"], "private");
        let (code, _) = act(
            &app,
            &format!("/api/v1/statuses/{did}/reblog"),
            Some(&alice.token),
        )
        .await;
        assert_eq!(code, StatusCode::FORBIDDEN);
        assert_eq!(counters(&app, pid).await.1, 1);
    })
    .await;
}

#[tokio::test]
async fn bookmark_and_unbookmark() {
    each_backend(|app| async move {
        let alice = member(&app, "alice").await;
        let bob = member(&app, "bob").await;
        let s = say(&app, &alice, "keep").await;
        let id = s["id"].as_str().unwrap();
        let (code, v) = act(
            &app,
            &format!("/api/v1/statuses/{id}/bookmark"),
            Some(&bob.token),
        )
        .await;
        assert_eq!(code, StatusCode::OK);
        assert_eq!(v["bookmarked"], true);
        let (_, own) = act(
            &app,
            &format!("/api/v1/statuses/{id}/bookmark"),
            Some(&alice.token),
        )
        .await;
        assert_shape("POST /api/v1/statuses/:id/bookmark 200", &own);
        let (_, own) = act(
            &app,
            &format!("/api/v1/statuses/{id}/unbookmark"),
            Some(&alice.token),
        )
        .await;
        assert_shape("POST /api/v1/statuses/:id/unbookmark 200", &own);
        let (_, v) = act(
            &app,
            &format!("/api/v1/statuses/{id}/bookmark"),
            Some(&bob.token),
        )
        .await;
        assert_eq!(v["bookmarked"], true);
        let (_, mine) = get_json(&app, &format!("/api/v1/statuses/{id}"), Some(&alice.token)).await;
        assert_eq!(
            mine["bookmarked"], false,
            "bookmarks are private to the viewer"
        );
        let (code, v) = act(
            &app,
            &format!("/api/v1/statuses/{id}/unbookmark"),
            Some(&bob.token),
        )
        .await;
        assert_eq!(code, StatusCode::OK);
        assert_eq!(v["bookmarked"], false);
        let favs_only = member_with_scopes(&app, "favs", "write:favourites").await;
        let (code, _) = act(
            &app,
            &format!("/api/v1/statuses/{id}/bookmark"),
            Some(&favs_only.token),
        )
        .await;
        assert_eq!(code, StatusCode::FORBIDDEN);
    })
    .await;
}

#[tokio::test]
async fn concurrent_pins_respect_the_maximum() {
    each_backend(|app| async move {
        let alice = member(&app, "alice").await;
        let mut ids = Vec::new();
        for i in 0..6 {
            ids.push(num(say(&app, &alice, &format!("post {i}")).await["id"]
                .as_str()
                .unwrap()));
        }
        for id in &ids[..4] {
            let (code, v) = act(
                &app,
                &format!("/api/v1/statuses/{id}/pin"),
                Some(&alice.token),
            )
            .await;
            assert_eq!(code, StatusCode::OK, "{v}");
        }
        // A fifth pin is being committed (holding the account row, as a pin does) while
        // another pin request arrives: the request must wait for it and see five pins.
        let alice_id = num(&alice.account_id);
        let mut tx = app.state.db.begin().await.unwrap();
        woolly::db::accounts::lock_rows(tx.conn(), &[alice_id])
            .await
            .unwrap();
        woolly::db::statuses::interactions::insert_pin(
            tx.conn(),
            woolly::id::next_id(),
            alice_id,
            ids[4],
            woolly::time::now_ms(),
        )
        .await
        .unwrap();
        let request = tokio::spawn(
            app.req(
                reqwest::Method::POST,
                &format!("/api/v1/statuses/{}/pin", ids[5]),
            )
            .bearer_auth(&alice.token)
            .send(),
        );
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        tx.commit().await.unwrap();
        let v = error(
            request.await.unwrap().unwrap(),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(
            v["error"],
            "Validation failed: You have already pinned the maximum number of posts"
        );
        assert_eq!(
            scalar(
                &app,
                "SELECT count(*) FROM status_pins WHERE account_id = $1",
                &[alice_id]
            )
            .await,
            5
        );
    })
    .await;
}

#[tokio::test]
async fn pin_rules_and_limit() {
    each_backend(|app| async move {
        let alice = member(&app, "alice").await;
        let bob = member(&app, "bob").await;
        let mut ids = Vec::new();
        for i in 0..6 {
            let vis = if i == 1 { "private" } else { "public" };
            ids.push(
                say_as(&app, &alice, &format!("post {i}"), vis).await["id"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
            );
        }
        for id in &ids[..5] {
            let (code, v) = act(
                &app,
                &format!("/api/v1/statuses/{id}/pin"),
                Some(&alice.token),
            )
            .await;
            assert_eq!(code, StatusCode::OK, "{v}");
            assert_eq!(v["pinned"], true);
        }
        let (_, v) = act(
            &app,
            &format!("/api/v1/statuses/{}/pin", ids[0]),
            Some(&alice.token),
        )
        .await;
        assert_shape("POST /api/v1/statuses/:id/pin 200", &v);
        let (code, v) = act(
            &app,
            &format!("/api/v1/statuses/{}/pin", ids[5]),
            Some(&alice.token),
        )
        .await;
        assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            v["error"],
            "Validation failed: You have already pinned the maximum number of posts"
        );
        let (code, v) = act(
            &app,
            &format!("/api/v1/statuses/{}/unpin", ids[0]),
            Some(&alice.token),
        )
        .await;
        assert_eq!(code, StatusCode::OK);
        assert_shape("POST /api/v1/statuses/:id/unpin 200", &v);
        assert_eq!(v["pinned"], false);
        let (code, _) = act(
            &app,
            &format!("/api/v1/statuses/{}/pin", ids[5]),
            Some(&alice.token),
        )
        .await;
        assert_eq!(code, StatusCode::OK);

        let (code, v) = act(
            &app,
            &format!("/api/v1/statuses/{}/pin", ids[0]),
            Some(&bob.token),
        )
        .await;
        assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            v["error"],
            "Validation failed: Someone else's post cannot be pinned"
        );
        let (_, bob_view) = get_json(
            &app,
            &format!("/api/v1/statuses/{}", ids[0]),
            Some(&bob.token),
        )
        .await;
        assert!(
            bob_view.get("pinned").is_none(),
            "pinned is only shown on one's own statuses"
        );
        let d = say_as(&app, &bob, "@alice direct", "direct").await;
        let (code, v) = act(
            &app,
            &format!("/api/v1/statuses/{}/pin", d["id"].as_str().unwrap()),
            Some(&bob.token),
        )
        .await;
        assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            v["error"],
            "Validation failed: Posts that are only visible to mentioned users cannot be pinned"
        );
        let (_, boost) = act(
            &app,
            &format!("/api/v1/statuses/{}/reblog", ids[2]),
            Some(&bob.token),
        )
        .await;
        let (code, v) = act(
            &app,
            &format!("/api/v1/statuses/{}/pin", boost["id"].as_str().unwrap()),
            Some(&bob.token),
        )
        .await;
        assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(v["error"], "Validation failed: A boost cannot be pinned");
        // Pinning needs write:accounts.
        let poster = member_with_scopes(&app, "poster", "read write:statuses").await;
        let own = say(&app, &poster, "mine").await;
        let (code, _) = act(
            &app,
            &format!("/api/v1/statuses/{}/pin", own["id"].as_str().unwrap()),
            Some(&poster.token),
        )
        .await;
        assert_eq!(code, StatusCode::FORBIDDEN);
    })
    .await;
}

#[tokio::test]
async fn muting_a_thread_silences_its_notifications() {
    each_backend(|app| async move {
        let alice = member(&app, "alice").await;
        let bob = member(&app, "bob").await;
        let root = say(&app, &alice, "thread").await;
        let id = root["id"].as_str().unwrap();
        let (code, v) = act(
            &app,
            &format!("/api/v1/statuses/{id}/mute"),
            Some(&alice.token),
        )
        .await;
        assert_eq!(code, StatusCode::OK);
        assert_shape("POST /api/v1/statuses/:id/mute 200", &v);
        assert_eq!(v["muted"], true);
        let r = reply(&app, &bob, id, "@alice loud", "public").await;
        act(
            &app,
            &format!("/api/v1/statuses/{}/favourite", r["id"].as_str().unwrap()),
            Some(&alice.token),
        )
        .await;
        act(
            &app,
            &format!("/api/v1/statuses/{id}/favourite"),
            Some(&bob.token),
        )
        .await;
        assert_eq!(notifications(&app, &alice, "mention").await, 0);
        assert_eq!(notifications(&app, &alice, "favourite").await, 0);
        // The reply carries the thread's muted flag for Alice.
        let (_, seen) = get_json(
            &app,
            &format!("/api/v1/statuses/{}", r["id"].as_str().unwrap()),
            Some(&alice.token),
        )
        .await;
        assert_eq!(seen["muted"], true);

        let (code, v) = act(
            &app,
            &format!("/api/v1/statuses/{id}/unmute"),
            Some(&alice.token),
        )
        .await;
        assert_eq!(code, StatusCode::OK);
        assert_shape("POST /api/v1/statuses/:id/unmute 200", &v);
        assert_eq!(v["muted"], false);
        reply(&app, &bob, id, "@alice again", "public").await;
        assert_eq!(notifications(&app, &alice, "mention").await, 1);
        let no_mutes = member_with_scopes(&app, "nomutes", "read write:statuses").await;
        let (code, _) = act(
            &app,
            &format!("/api/v1/statuses/{id}/mute"),
            Some(&no_mutes.token),
        )
        .await;
        assert_eq!(code, StatusCode::FORBIDDEN);
    })
    .await;
}
