//! `GET /api/v2/search`: accounts, hashtags, local URLs; statuses arrive later.

use reqwest::StatusCode;
use serde_json::json;

use crate::common::*;
use crate::timelines::support::*;

#[tokio::test]
async fn search_finds_accounts_and_hashtags() {
    each_backend(|app| async move {
        let alice = app.user("alice").await;
        let alicia = app.user("alicia").await;
        let bob = app.user("bob").await;
        for u in [&alice, &alicia, &bob] {
            post(&app, aid(u), "hello").await;
        }
        post_with(&app, aid(&bob), Post::new("#Alpine").tag("Alpine")).await;
        post_with(&app, aid(&bob), Post::new("#al").tag("al")).await;

        let v = get_ok(&app, "/api/v2/search?q=ali", None).await;
        assert_eq!(ids(&v["accounts"]).len(), 2);
        assert_eq!(v["statuses"], json!([]));
        assert_eq!(v["hashtags"], json!([]));
        // Exact matches first.
        let v = get_ok(&app, "/api/v2/search?q=alice", Some(&bob.token)).await;
        assert_eq!(ids(&v["accounts"])[0], aid(&alice));

        let v = get_ok(&app, "/api/v2/search?q=%23al", Some(&bob.token)).await;
        assert_eq!(
            v["accounts"],
            json!([]),
            "a #query is not an account search"
        );
        let names: Vec<&str> = v["hashtags"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, vec!["al", "Alpine"]);
        assert_eq!(v["hashtags"][1]["history"].as_array().unwrap().len(), 7);
        assert_eq!(v["hashtags"][1]["history"][0]["uses"], "1");
        assert_eq!(v["hashtags"][1]["following"], false);

        // Shape (with a user, who sees follow flags on tags).
        let v = get_ok(&app, "/api/v2/search?q=al", Some(&bob.token)).await;
        assert_shape("GET /api/v2/search 200", &v);
        assert_eq!(v["collections"], json!([]));

        // type, limit and offset.
        let v = get_ok(&app, "/api/v2/search?q=al&type=hashtags", Some(&bob.token)).await;
        assert_eq!(v["accounts"], json!([]));
        assert_eq!(v["hashtags"].as_array().unwrap().len(), 2);
        let v = get_ok(
            &app,
            "/api/v2/search?q=al&type=accounts&limit=1",
            Some(&bob.token),
        )
        .await;
        assert_eq!(ids(&v["accounts"]).len(), 1);
        let first = ids(&v["accounts"])[0];
        let v = get_ok(
            &app,
            "/api/v2/search?q=al&type=accounts&limit=1&offset=1",
            Some(&bob.token),
        )
        .await;
        assert_eq!(ids(&v["accounts"]).len(), 1);
        assert_ne!(ids(&v["accounts"])[0], first);
        let v = get_ok(&app, "/api/v2/search?q=al&type=statuses", Some(&bob.token)).await;
        assert_eq!(
            v,
            json!({ "accounts": [], "statuses": [], "hashtags": [], "collections": [] })
        );

        // following=true keeps accounts the user follows.
        follow(&app, aid(&bob), aid(&alicia)).await;
        let v = get_ok(
            &app,
            "/api/v2/search?q=ali&following=true",
            Some(&bob.token),
        )
        .await;
        assert_eq!(ids(&v["accounts"]), vec![aid(&alicia)]);
        // Suspended accounts are not found.
        exec(
            &app,
            "UPDATE accounts SET suspended_at = $1 WHERE id = $2",
            &[1, aid(&alice)],
        )
        .await;
        let v = get_ok(&app, "/api/v2/search?q=ali", None).await;
        assert_eq!(ids(&v["accounts"]), vec![aid(&alicia)]);
    })
    .await;
}

#[tokio::test]
async fn search_resolves_local_urls_with_visibility() {
    each_backend(|app| async move {
        let alice = app.user("alice").await;
        let bob = app.user("bob").await;
        let public = post(&app, aid(&alice), "public").await;
        let private = post_with(&app, aid(&alice), Post::new("private").vis("private")).await;
        let url = |id: i64| format!("{}/@alice/{id}", app.url);
        let q = |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
        let v = get_ok(
            &app,
            &format!("/api/v2/search?resolve=true&q={}", q(&url(public))),
            Some(&bob.token),
        )
        .await;
        assert_eq!(ids(&v["statuses"]), vec![public]);
        let v = get_ok(
            &app,
            &format!("/api/v2/search?resolve=true&q={}", q(&url(private))),
            Some(&bob.token),
        )
        .await;
        assert_eq!(v["statuses"], json!([]), "bob does not follow alice");
        let v = get_ok(
            &app,
            &format!("/api/v2/search?resolve=true&q={}", q(&url(private))),
            Some(&alice.token),
        )
        .await;
        assert_eq!(ids(&v["statuses"]), vec![private]);
        let v = get_ok(
            &app,
            &format!(
                "/api/v2/search?resolve=1&q={}",
                q(&format!("{}/users/alice", app.url))
            ),
            Some(&bob.token),
        )
        .await;
        assert_eq!(ids(&v["accounts"]), vec![aid(&alice)]);
    })
    .await;
}

#[tokio::test]
async fn search_input_and_authentication_rules() {
    each_backend(|app| async move {
        let alice = app.user("alice").await;
        error(
            app.get("/api/v2/search", None).await,
            StatusCode::BAD_REQUEST,
        )
        .await;
        error(
            app.get("/api/v2/search?q=", Some(&alice.token)).await,
            StatusCode::BAD_REQUEST,
        )
        .await;
        let v = error(
            app.get("/api/v2/search?q=a&resolve=true", None).await,
            StatusCode::UNAUTHORIZED,
        )
        .await;
        assert!(v["error"].as_str().unwrap().contains("resolve"));
        error(
            app.get("/api/v2/search?q=a&type=accounts&offset=5", None)
                .await,
            StatusCode::UNAUTHORIZED,
        )
        .await;
        let narrow = app.user_with_scopes("narrow", "read:statuses").await;
        error(
            app.get("/api/v2/search?q=a", Some(&narrow.token)).await,
            StatusCode::FORBIDDEN,
        )
        .await;
        let ok = app.user_with_scopes("ok", "read:search").await;
        get_ok(&app, "/api/v2/search?q=a", Some(&ok.token)).await;
        error(
            app.get("/api/v2/search?q=a&limit=x", Some(&alice.token))
                .await,
            StatusCode::BAD_REQUEST,
        )
        .await;
    })
    .await;
}

#[tokio::test]
async fn search_leaves_out_blocks_in_either_direction() {
    each_backend(|app| async move {
        let alice = app.user("alice").await;
        let bob = app.user("bobby").await;
        let carol = app.user("bobcat").await;
        // bobby blocks alice; alice blocks bobcat.
        json(
            app.post_empty(
                &format!("/api/v1/accounts/{}/block", alice.account_id),
                Some(&bob.token),
            )
            .await,
            StatusCode::OK,
        )
        .await;
        json(
            app.post_empty(
                &format!("/api/v1/accounts/{}/block", carol.account_id),
                Some(&alice.token),
            )
            .await,
            StatusCode::OK,
        )
        .await;
        let v = json(
            app.get("/api/v2/search?q=bob&type=accounts", Some(&alice.token))
                .await,
            StatusCode::OK,
        )
        .await;
        assert!(v["accounts"].as_array().unwrap().is_empty(), "{v}");
        // Anonymous searchers see both.
        let v = json(
            app.get("/api/v2/search?q=bob&type=accounts", None).await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(v["accounts"].as_array().unwrap().len(), 2, "{v}");
    })
    .await;
}

/// toot finds an account by name (`/api/v2/search?type=accounts&resolve=true`) to unblock or
/// unfollow it: the exact match is found even across a block, as in Mastodon, while partial
/// matches still leave blocks out.
#[tokio::test]
async fn exact_account_match_is_found_across_blocks() {
    each_backend(|app| async move {
        let alice = app.user("alice").await;
        let bob = app.user("bob").await;
        app.user("bobcat").await;
        json(
            app.post_empty(
                &format!("/api/v1/accounts/{}/block", bob.account_id),
                Some(&alice.token),
            )
            .await,
            StatusCode::OK,
        )
        .await;
        let accts = |v: serde_json::Value| -> Vec<String> {
            v["accounts"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a["acct"].as_str().unwrap().to_string())
                .collect()
        };
        for (who, q, found) in [
            (&alice, "bob", vec!["bob", "bobcat"]),
            (&alice, "@bob", vec!["bob", "bobcat"]),
            (&bob, "alice", vec!["alice"]),
        ] {
            let v = json(
                app.get(
                    &format!("/api/v2/search?q={q}&type=accounts&resolve=true"),
                    Some(&who.token),
                )
                .await,
                StatusCode::OK,
            )
            .await;
            assert_eq!(accts(v), found, "{q}");
        }
        let v = json(
            app.get("/api/v1/accounts/search?q=bo", Some(&alice.token))
                .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(v.as_array().unwrap().len(), 1, "{v}");
        assert_eq!(
            v[0]["acct"], "bobcat",
            "partial matches leave the block out"
        );
    })
    .await;
}
