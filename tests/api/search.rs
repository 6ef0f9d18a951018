//! `GET /api/v2/search`: accounts, hashtags, local URLs, and statuses by full-text search.

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
        assert_eq!(v["accounts"], json!([]));
        assert_eq!(v["hashtags"], json!([]));
        assert_eq!(
            v["statuses"][0]["content"], "<p>#al</p>",
            "bob's own status is in his library"
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

/// Posts through the client API; returns the status JSON.
async fn api_post(app: &TestApp, token: &str, body: serde_json::Value) -> serde_json::Value {
    json(
        app.post_json("/api/v1/statuses", Some(token), &body).await,
        StatusCode::OK,
    )
    .await
}

/// The ids of the statuses a search finds.
async fn found(app: &TestApp, q: &str, token: Option<&str>) -> Vec<i64> {
    let path = format!("/api/v2/search?type=statuses&q={}", urlencoding_encode(q));
    ids(&get_ok(app, &path, token).await["statuses"])
}

/// Percent-encodes a query value.
fn urlencoding_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn statuses_are_found_by_full_text_within_what_the_searcher_may_see() {
    each_backend(|app| async move {
        let alice = app.user("alice").await;
        let bob = app.user("bob").await;
        let carol = app.user("carol").await;
        let fox = api_post(
            &app,
            &alice.token,
            json!({ "status": "The quick brown fox jumps over the lazy dog", "language": "en" }),
        )
        .await;
        let fox_id: i64 = fox["id"].as_str().unwrap().parse().unwrap();
        let secret = api_post(
            &app,
            &alice.token,
            json!({ "status": "@bob the brown fox hides here", "visibility": "private", "language": "de" }),
        )
        .await;
        let secret_id: i64 = secret["id"].as_str().unwrap().parse().unwrap();
        let warned = api_post(
            &app,
            &alice.token,
            json!({ "status": "behind a warning", "spoiler_text": "Spoilers about Élan", "sensitive": true }),
        )
        .await;
        let warned_id: i64 = warned["id"].as_str().unwrap().parse().unwrap();

        // The author's own library: words, phrases, the content warning (accents folded).
        assert_eq!(found(&app, "brown fox", Some(&alice.token)).await, vec![secret_id, fox_id]);
        assert_eq!(found(&app, "\"quick brown\"", Some(&alice.token)).await, vec![fox_id]);
        assert_eq!(found(&app, "\"brown quick\"", Some(&alice.token)).await, Vec::<i64>::new());
        assert_eq!(found(&app, "fox -hides", Some(&alice.token)).await, vec![fox_id]);
        assert_eq!(found(&app, "elan", Some(&alice.token)).await, vec![warned_id]);
        assert_eq!(found(&app, "warning is:sensitive", Some(&alice.token)).await, vec![warned_id]);
        assert!(found(&app, "warning -is:sensitive", Some(&alice.token)).await.is_empty());
        assert_eq!(found(&app, "fox language:en", Some(&alice.token)).await, vec![fox_id]);
        assert_eq!(found(&app, "from:me fox", Some(&alice.token)).await.len(), 2);
        assert_eq!(found(&app, "from:me", Some(&alice.token)).await.len(), 3, "an author alone is a query");
        assert!(found(&app, "fox before:2000-01-01", Some(&alice.token)).await.is_empty());
        assert_eq!(found(&app, "fox after:2000-01-01", Some(&alice.token)).await.len(), 2);
        assert!(found(&app, "fox has:media", Some(&alice.token)).await.is_empty());
        assert!(found(&app, "fox in:public", Some(&alice.token)).await.is_empty(), "alice is not indexable");

        // Bob: mentioned in the private post, so it is in his library; the public one is not
        // (alice has not opted into search).
        assert_eq!(found(&app, "fox", Some(&bob.token)).await, vec![secret_id]);
        // Carol sees neither; after favouriting the public one, it is hers to find.
        assert!(found(&app, "fox", Some(&carol.token)).await.is_empty());
        json(
            app.post_empty(&format!("/api/v1/statuses/{fox_id}/favourite"), Some(&carol.token)).await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(found(&app, "fox", Some(&carol.token)).await, vec![fox_id]);
        assert_eq!(found(&app, "fox from:alice", Some(&carol.token)).await, vec![fox_id]);
        assert!(found(&app, "fox from:nobody", Some(&carol.token)).await.is_empty());
        assert!(found(&app, "fox -from:alice", Some(&carol.token)).await.is_empty());

        // Once alice is indexable, her public posts are found by anyone signed in, with the
        // Status shape; never anonymously (as Mastodon).
        let resp = app
            .req(reqwest::Method::PATCH, "/api/v1/accounts/update_credentials")
            .bearer_auth(&alice.token)
            .json(&json!({ "indexable": true }))
            .send()
            .await
            .unwrap();
        json(resp, StatusCode::OK).await;
        assert_eq!(found(&app, "lazy dog", Some(&bob.token)).await, vec![fox_id]);
        assert_eq!(found(&app, "fox in:public", Some(&bob.token)).await, vec![fox_id]);
        assert_eq!(found(&app, "fox in:library", Some(&bob.token)).await, vec![secret_id]);
        let v = get_ok(&app, "/api/v2/search?q=lazy&type=statuses", Some(&bob.token)).await;
        assert_shape("GET /api/v2/search 200", &v);
        assert!(found(&app, "lazy dog", None).await.is_empty());
        // Blocks and mutes leave the author out.
        block(&app, aid(&bob), aid(&alice)).await;
        assert!(found(&app, "fox", Some(&bob.token)).await.is_empty());

        // Edits replace the indexed text; deletion removes it.
        let resp = app
            .req(reqwest::Method::PUT, &format!("/api/v1/statuses/{fox_id}"))
            .bearer_auth(&alice.token)
            .json(&json!({ "status": "A slow red panda" }))
            .send()
            .await
            .unwrap();
        json(resp, StatusCode::OK).await;
        assert!(found(&app, "quick", Some(&alice.token)).await.is_empty());
        assert_eq!(found(&app, "panda", Some(&alice.token)).await, vec![fox_id]);
        let resp = app
            .req(reqwest::Method::DELETE, &format!("/api/v1/statuses/{fox_id}"))
            .bearer_auth(&alice.token)
            .send()
            .await
            .unwrap();
        json(resp, StatusCode::OK).await;
        assert!(found(&app, "panda", Some(&alice.token)).await.is_empty());

        // Limit and offset page through the results.
        let v = get_ok(&app, "/api/v2/search?q=from:me&type=statuses&limit=1&offset=1", Some(&alice.token)).await;
        assert_eq!(ids(&v["statuses"]), vec![secret_id]);

        // Query syntax of the engines cannot be injected: these are words, not operators.
        for q in ["\"", "*", "fox OR panda", "document:fox", "NEAR(fox hides)", "fox & !panda", "-", "\"\"", "fox:", "('", "a\"b"] {
            let v = get_ok(&app, &format!("/api/v2/search?type=statuses&q={}", urlencoding_encode(q)), Some(&alice.token)).await;
            assert!(v["statuses"].is_array(), "{q}");
        }
    })
    .await;
}

#[tokio::test]
async fn statuses_written_before_the_index_are_indexed_by_a_job() {
    each_backend(|app| async move {
        let alice = app.user("alice").await;
        let id = post(&app, aid(&alice), "an old walrus").await;
        // As before migration 0200: no entry.
        let sql = if matches!(app.state.db, woolly::db::Db::Sqlite { .. }) {
            "DELETE FROM status_search WHERE rowid = $1"
        } else {
            "DELETE FROM status_search WHERE status_id = $1"
        };
        exec(&app, sql, &[id]).await;
        assert!(found(&app, "walrus", Some(&alice.token)).await.is_empty());
        let mut tx = app.state.db.begin().await.unwrap();
        woolly::jobs::enqueue(
            tx.conn(),
            &woolly::jobs::Job::IndexStatuses { after: 0 },
            woolly::jobs::PRIORITY_FEDERATION,
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        app.run_jobs().await;
        assert_eq!(found(&app, "walrus", Some(&alice.token)).await, vec![id]);
    })
    .await;
}

#[tokio::test]
async fn status_search_uses_the_full_text_index() {
    each_backend(|app| async move {
        let search = woolly::db::search::StatusSearch {
            viewer: 1,
            terms: vec!["fox".into(), "brown".into()],
            excluded: vec!["cat".into()],
            limit: 20,
            ..Default::default()
        };
        let sqlite = app.backend == woolly::db::Backend::Sqlite;
        let mut h = app.state.db.read().await.unwrap();
        if !sqlite {
            woolly::with_conn!(h.conn(), |c| {
                sqlx::query("SET enable_seqscan = off")
                    .execute(&mut *c)
                    .await
                    .unwrap();
            });
        }
        let plan = woolly::db::search::search_statuses_query(sqlite, &search)
            .explain(h.conn())
            .await
            .unwrap()
            .join("\n");
        if sqlite {
            assert!(plan.contains("SCAN f VIRTUAL TABLE INDEX"), "{plan}");
            assert!(
                plan.contains("SEARCH s USING INTEGER PRIMARY KEY"),
                "{plan}"
            );
            assert!(
                !plan.contains("TEMP B-TREE"),
                "matches come in id order:\n{plan}"
            );
        } else {
            assert!(plan.contains("status_search_document"), "{plan}");
        }
    })
    .await;
}

#[tokio::test]
async fn has_media_image_video_and_audio_filter_statuses_and_can_be_negated() {
    each_backend(|app| async move {
        let alice = app.user("alice").await;
        let media =
            crate::media::upload_ready(&app, &alice.token, crate::media::png(8, 8), "image/png")
                .await;
        let pictured = api_post(
            &app,
            &alice.token,
            json!({ "status": "otter picture", "media_ids": [media["id"]] }),
        )
        .await;
        let pictured: i64 = pictured["id"].as_str().unwrap().parse().unwrap();
        let plain = api_post(&app, &alice.token, json!({ "status": "otter words" })).await;
        let plain: i64 = plain["id"].as_str().unwrap().parse().unwrap();
        let t = Some(alice.token.as_str());
        assert_eq!(found(&app, "otter", t).await, vec![plain, pictured]);
        assert_eq!(found(&app, "otter has:media", t).await, vec![pictured]);
        assert_eq!(found(&app, "otter has:image", t).await, vec![pictured]);
        assert_eq!(found(&app, "otter has:video", t).await, Vec::<i64>::new());
        assert_eq!(found(&app, "otter has:audio", t).await, Vec::<i64>::new());
        assert_eq!(found(&app, "otter -has:media", t).await, vec![plain]);
        assert_eq!(
            found(&app, "otter -has:video", t).await,
            vec![plain, pictured]
        );
        assert_eq!(
            found(&app, "otter has:media -has:image", t).await,
            Vec::<i64>::new()
        );
        // Polls are not stored yet: has:poll still matches nothing.
        assert_eq!(found(&app, "otter has:poll", t).await, Vec::<i64>::new());
    })
    .await;
}

#[tokio::test]
async fn statuses_with_polls_are_found_by_has_poll() {
    each_backend(|app| async move {
        let alice = app.user("alice").await;
        let poll = api_post(
            &app,
            &alice.token,
            json!({ "status": "tea or coffee", "poll": { "options": ["tea", "coffee"], "expires_in": 3600 } }),
        )
        .await;
        let plain = api_post(&app, &alice.token, json!({ "status": "just tea" })).await;
        let id = |v: &serde_json::Value| v["id"].as_str().unwrap().parse::<i64>().unwrap();
        assert_eq!(found(&app, "tea has:poll", Some(&alice.token)).await, vec![id(&poll)]);
        assert_eq!(found(&app, "tea -has:poll", Some(&alice.token)).await, vec![id(&plain)]);
        assert!(found(&app, "tea has:link", Some(&alice.token)).await.is_empty());
    })
    .await;
}
