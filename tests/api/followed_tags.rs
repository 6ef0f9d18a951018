//! Followed hashtags: follow/unfollow, `following` on tag entities (tag page, search,
//! followed_tags), the paginated list, and public posts with a followed tag entering the home
//! feed (local and remote authors, not boosts, not unlisted or private, blocks and mutes).

use reqwest::StatusCode;

use crate::common::*;
use crate::timelines::support::*;

async fn home_ids(app: &TestApp, user: &TestUser) -> Vec<i64> {
    ids(&get_ok(app, "/api/v1/timelines/home", Some(&user.token)).await)
}

async fn follow_tag(app: &TestApp, user: &TestUser, name: &str) -> serde_json::Value {
    json(
        app.post_empty(&format!("/api/v1/tags/{name}/follow"), Some(&user.token))
            .await,
        StatusCode::OK,
    )
    .await
}

#[tokio::test]
async fn tags_are_followed_and_unfollowed() {
    each_backend(|app| async move {
        let alice = app.user("alice").await;
        let bob = app.user("bob").await;
        // Following an unknown tag creates it, with the casing given.
        let v = follow_tag(&app, &alice, "WoollyTest").await;
        assert_shape("POST /api/v1/tags/:tag/follow 200", &v);
        assert_eq!(v["name"], "WoollyTest");
        assert_eq!(v["following"], true);
        // Idempotent, and case-insensitive.
        let again = follow_tag(&app, &alice, "woollytest").await;
        assert_eq!(again["id"], v["id"]);
        assert_eq!(again["following"], true);

        let page = get_ok(&app, "/api/v1/tags/woollytest", Some(&alice.token)).await;
        assert_shape("GET /api/v1/tags/:tag 200", &page);
        assert_eq!(page["following"], true);
        let other = get_ok(&app, "/api/v1/tags/woollytest", Some(&bob.token)).await;
        assert_eq!(other["following"], false);
        let anon = get_ok(&app, "/api/v1/tags/woollytest", None).await;
        assert!(anon.get("following").is_none());

        let found = get_ok(
            &app,
            "/api/v2/search?q=%23woolly&type=hashtags",
            Some(&alice.token),
        )
        .await;
        assert_eq!(found["hashtags"][0]["following"], true);
        let found = get_ok(
            &app,
            "/api/v2/search?q=%23woolly&type=hashtags",
            Some(&bob.token),
        )
        .await;
        assert_eq!(found["hashtags"][0]["following"], false);

        let list = get_ok(&app, "/api/v1/followed_tags", Some(&alice.token)).await;
        assert_shape("GET /api/v1/followed_tags 200", &list);
        assert_eq!(list.as_array().unwrap().len(), 1);
        assert_eq!(list[0]["following"], true);
        assert_eq!(
            get_ok(&app, "/api/v1/followed_tags", Some(&bob.token)).await,
            serde_json::json!([])
        );

        let v = json(
            app.post_empty("/api/v1/tags/%23WOOLLYTEST/unfollow", Some(&alice.token))
                .await,
            StatusCode::OK,
        )
        .await;
        assert_shape("POST /api/v1/tags/:tag/unfollow 200", &v);
        assert_eq!(v["following"], false);
        assert_eq!(v["name"], "WoollyTest");
        // Unfollowing again is fine.
        json(
            app.post_empty("/api/v1/tags/woollytest/unfollow", Some(&alice.token))
                .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(
            get_ok(&app, "/api/v1/followed_tags", Some(&alice.token)).await,
            serde_json::json!([])
        );
    })
    .await;
}

#[tokio::test]
async fn following_tags_needs_a_user_token_and_a_hashtag_name() {
    each_backend(|app| async move {
        let alice = app.user("alice").await;
        let reader = app.user_with_scopes("reader", "read").await;
        error(
            app.post_empty("/api/v1/tags/rust/follow", None).await,
            StatusCode::UNAUTHORIZED,
        )
        .await;
        error(
            app.post_empty("/api/v1/tags/rust/follow", Some(&reader.token))
                .await,
            StatusCode::FORBIDDEN,
        )
        .await;
        error(
            app.post_empty("/api/v1/tags/rust/unfollow", Some(&reader.token))
                .await,
            StatusCode::FORBIDDEN,
        )
        .await;
        error(
            app.get("/api/v1/followed_tags", None).await,
            StatusCode::UNAUTHORIZED,
        )
        .await;
        let writer = app.user_with_scopes("writer", "write:statuses").await;
        error(
            app.get("/api/v1/followed_tags", Some(&writer.token)).await,
            StatusCode::FORBIDDEN,
        )
        .await;
        // Not hashtag names: 404, as in Mastodon.
        let long = "a".repeat(101);
        for bad in [
            "123",
            "__",
            "no-dash",
            "sp%20ace",
            "%F0%9F%A6%80",
            long.as_str(),
        ] {
            error(
                app.post_empty(&format!("/api/v1/tags/{bad}/follow"), Some(&alice.token))
                    .await,
                StatusCode::NOT_FOUND,
            )
            .await;
        }
        // Unfollowing a tag nobody ever used: 404.
        error(
            app.post_empty("/api/v1/tags/neverseen/unfollow", Some(&alice.token))
                .await,
            StatusCode::NOT_FOUND,
        )
        .await;
        assert_eq!(
            get_ok(&app, "/api/v1/followed_tags", Some(&alice.token)).await,
            serde_json::json!([])
        );
    })
    .await;
}

#[tokio::test]
async fn followed_tags_are_paginated() {
    each_backend(|app| async move {
        let alice = app.user("alice").await;
        for name in ["one", "two", "three"] {
            follow_tag(&app, &alice, name).await;
        }
        let resp = app
            .get("/api/v1/followed_tags?limit=2", Some(&alice.token))
            .await;
        let next = link(&resp, &app.url, "next").expect("next link");
        let first = json(resp, StatusCode::OK).await;
        let names: Vec<&str> = first
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, vec!["three", "two"]);
        let second = get_ok(&app, &next, Some(&alice.token)).await;
        assert_eq!(second.as_array().unwrap().len(), 1);
        assert_eq!(second[0]["name"], "one");
        // Limits are clamped, junk cursors ignored.
        let all = get_ok(
            &app,
            "/api/v1/followed_tags?limit=9999&max_id=junk",
            Some(&alice.token),
        )
        .await;
        assert_eq!(all.as_array().unwrap().len(), 3);
    })
    .await;
}

#[tokio::test]
async fn public_posts_with_followed_tags_reach_the_home_feed() {
    each_backend(|app| async move {
        let alice = app.user("alice").await;
        let bob = app.user("bob").await;
        let carol = app.user("carol").await;
        let dave = app.user("dave").await;
        let remote = remote_account(&app, "rem", "remote.example").await;
        follow_tag(&app, &alice, "Rust").await;

        let local = post_with(&app, aid(&bob), Post::new("#rust").tag("rust")).await;
        let from_remote = post_with(&app, remote, Post::new("#Rust").tag("Rust")).await;
        let unlisted = post_with(
            &app,
            aid(&bob),
            Post::new("#rust").tag("rust").vis("unlisted"),
        )
        .await;
        let private = post_with(
            &app,
            aid(&bob),
            Post::new("#rust").tag("rust").vis("private"),
        )
        .await;
        let untagged = post(&app, aid(&bob), "no tag").await;
        let boost = boost(&app, aid(&carol), local).await;
        let own = post_with(&app, aid(&alice), Post::new("#rust").tag("rust")).await;
        // Two followed tags on one post: one entry.
        follow_tag(&app, &alice, "sqlite").await;
        let both = post_with(
            &app,
            aid(&carol),
            Post::new("#rust #sqlite").tag("rust").tag("sqlite"),
        )
        .await;
        // Blocked and muted authors, and posts mentioning a muted account, stay out.
        block(&app, aid(&alice), aid(&dave)).await;
        let blocked = post_with(&app, aid(&dave), Post::new("#rust").tag("rust")).await;
        let muted_author = app.user("erin").await;
        mute(&app, aid(&alice), aid(&muted_author), false).await;
        let muted = post_with(&app, aid(&muted_author), Post::new("#rust").tag("rust")).await;
        let mentions_muted = post_with(
            &app,
            aid(&carol),
            Post::new("#rust @erin")
                .tag("rust")
                .mention(aid(&muted_author)),
        )
        .await;
        // An author blocking the reader.
        let frank = app.user("frank").await;
        block(&app, aid(&frank), aid(&alice)).await;
        let blocking = post_with(&app, aid(&frank), Post::new("#rust").tag("rust")).await;

        let home = home_ids(&app, &alice).await;
        assert_eq!(home, vec![both, own, from_remote, local]);
        for absent in [
            unlisted,
            private,
            untagged,
            boost,
            blocked,
            muted,
            mentions_muted,
            blocking,
        ] {
            assert!(!home.contains(&absent));
        }
        // Someone following no tag gets none of it.
        let nobody = app.user("nobody").await;
        assert!(home_ids(&app, &nobody).await.is_empty());

        // Unfollowing one tag removes what only it brought, keeping posts with another
        // followed tag, own posts and posts by followed accounts.
        follow(&app, aid(&alice), aid(&bob)).await;
        json(
            app.post_empty("/api/v1/tags/rust/unfollow", Some(&alice.token))
                .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(home_ids(&app, &alice).await, vec![both, own, local]);
        let later = post_with(&app, aid(&carol), Post::new("#rust").tag("rust")).await;
        assert!(!home_ids(&app, &alice).await.contains(&later));
    })
    .await;
}
