//! Endpoints clients call at start-up: markers, preferences, notification policy, tags, and
//! the valid-but-empty lists of features that arrive later.

use reqwest::StatusCode;
use serde_json::json;

use crate::common::*;
use crate::timelines::support::*;

#[tokio::test]
async fn markers_are_saved_and_versioned() {
    each_backend(|app| async move {
        let alice = app.user("alice").await;
        let all = "/api/v1/markers?timeline[]=home&timeline[]=notifications";
        assert_eq!(get_ok(&app, all, Some(&alice.token)).await, json!({}));
        let v = json(
            app.post_form(
                "/api/v1/markers",
                Some(&alice.token),
                &[("home[last_read_id]", "103194548672408537")],
            )
            .await,
            StatusCode::OK,
        )
        .await;
        assert_shape("POST /api/v1/markers 200", &v);
        assert_eq!(v["home"]["last_read_id"], "103194548672408537");
        assert_eq!(v["home"]["version"], 0);
        assert!(v.get("notifications").is_none());
        // Moving a marker bumps its version; an unchanged position keeps it.
        let v = json(
            app.post_json(
                "/api/v1/markers",
                Some(&alice.token),
                &json!({ "home": { "last_read_id": "103194548672408999" },
                         "notifications": { "last_read_id": 35098814 } }),
            )
            .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(v["home"]["version"], 1);
        assert_eq!(v["notifications"]["version"], 0);
        assert_eq!(v["notifications"]["last_read_id"], "35098814");
        let v = json(
            app.post_form(
                "/api/v1/markers",
                Some(&alice.token),
                &[("home[last_read_id]", "103194548672408999")],
            )
            .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(v["home"]["version"], 1);

        let v = get_ok(&app, "/api/v1/markers?timeline[]=home", Some(&alice.token)).await;
        assert_shape("GET /api/v1/markers 200", &v);
        assert_eq!(v["home"]["last_read_id"], "103194548672408999");
        assert!(v.get("notifications").is_none());
        let v = get_ok(&app, all, Some(&alice.token)).await;
        assert_eq!(v["notifications"]["last_read_id"], "35098814");
        assert_eq!(
            get_ok(&app, "/api/v1/markers", Some(&alice.token)).await,
            json!({})
        );
        // Markers are per user.
        let bob = app.user("bob").await;
        assert_eq!(get_ok(&app, all, Some(&bob.token)).await, json!({}));
        // Bad input, missing token, wrong scope.
        error(
            app.post_form(
                "/api/v1/markers",
                Some(&alice.token),
                &[("home[last_read_id]", "x")],
            )
            .await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        error(
            app.post_json(
                "/api/v1/markers",
                Some(&alice.token),
                &json!({ "home": {} }),
            )
            .await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(
            json(
                app.post_empty("/api/v1/markers", Some(&alice.token)).await,
                StatusCode::OK
            )
            .await,
            json!({})
        );
        error(app.get(all, None).await, StatusCode::UNAUTHORIZED).await;
        let reader = app.user_with_scopes("reader", "read").await;
        get_ok(&app, all, Some(&reader.token)).await;
        error(
            app.post_form(
                "/api/v1/markers",
                Some(&reader.token),
                &[("home[last_read_id]", "1")],
            )
            .await,
            StatusCode::FORBIDDEN,
        )
        .await;
    })
    .await;
}

#[tokio::test]
async fn preferences_reflect_posting_defaults() {
    each_backend(|app| async move {
        let alice = app.user("alice").await;
        let v = get_ok(&app, "/api/v1/preferences", Some(&alice.token)).await;
        assert_eq!(v["posting:default:visibility"], "public");
        assert_eq!(v["posting:default:sensitive"], false);
        assert_eq!(v["posting:default:language"], json!(null));
        assert_eq!(v["reading:expand:media"], "default");
        let mut tx = app.state.db.begin().await.unwrap();
        let user = woolly::db::accounts::get_user_by_account(tx.conn(), aid(&alice))
            .await
            .unwrap()
            .unwrap();
        woolly::db::accounts::update_posting_defaults(
            tx.conn(),
            user.id,
            "private",
            true,
            Some("de"),
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        let v = get_ok(&app, "/api/v1/preferences", Some(&alice.token)).await;
        assert_shape("GET /api/v1/preferences 200", &v);
        assert_eq!(v["posting:default:visibility"], "private");
        assert_eq!(v["posting:default:sensitive"], true);
        assert_eq!(v["posting:default:language"], "de");
        assert_eq!(v["posting:default:quote_policy"], "public");
        assert_eq!(v["reading:expand:spoilers"], false);
        assert_eq!(v["reading:autoplay:gifs"], false);
        error(
            app.get("/api/v1/preferences", None).await,
            StatusCode::UNAUTHORIZED,
        )
        .await;
        let narrow = app.user_with_scopes("narrow", "read:statuses").await;
        error(
            app.get("/api/v1/preferences", Some(&narrow.token)).await,
            StatusCode::FORBIDDEN,
        )
        .await;
    })
    .await;
}

#[tokio::test]
async fn notification_policy_accepts_everything() {
    each_backend(|app| async move {
        let alice = app.user("alice").await;
        let v = get_ok(&app, "/api/v2/notifications/policy", Some(&alice.token)).await;
        assert_shape("GET /api/v2/notifications/policy 200", &v);
        for key in [
            "for_not_following",
            "for_not_followers",
            "for_new_accounts",
            "for_private_mentions",
            "for_limited_accounts",
        ] {
            assert_eq!(v[key], "accept");
        }
        assert_eq!(v["summary"]["pending_requests_count"], 0);
        error(
            app.get("/api/v2/notifications/policy", None).await,
            StatusCode::UNAUTHORIZED,
        )
        .await;
    })
    .await;
}

#[tokio::test]
async fn features_from_later_issues_answer_empty_lists() {
    each_backend(|app| async move {
        let alice = app.user("alice").await;
        let reader = app.user_with_scopes("reader", "write:statuses").await;
        let with_user = [
            ("/api/v1/announcements", None),
            ("/api/v1/suggestions", Some("GET /api/v1/suggestions 200")),
            ("/api/v2/suggestions", Some("GET /api/v2/suggestions 200")),
            (
                "/api/v1/domain_blocks",
                Some("GET /api/v1/domain_blocks 200"),
            ),
            (
                "/api/v1/scheduled_statuses",
                Some("GET /api/v1/scheduled_statuses 200"),
            ),
        ];
        for (path, shape) in with_user {
            let v = get_ok(&app, path, Some(&alice.token)).await;
            assert_eq!(v, json!([]), "{path}");
            if let Some(key) = shape {
                assert_shape(key, &v);
            }
            error(app.get(path, None).await, StatusCode::UNAUTHORIZED).await;
            error(
                app.get(path, Some(&reader.token)).await,
                StatusCode::FORBIDDEN,
            )
            .await;
        }
        for path in [
            "/api/v1/trends",
            "/api/v1/trends/tags",
            "/api/v1/trends/statuses",
            "/api/v1/trends/links",
        ] {
            let v = get_ok(&app, path, None).await;
            assert_eq!(v, json!([]), "{path}");
            // `/api/v1/trends` is the older name of `/api/v1/trends/tags`.
            let key = match path {
                "/api/v1/trends" => "GET /api/v1/trends/tags 200".to_owned(),
                p => format!("GET {p} 200"),
            };
            assert_shape(&key, &v);
        }
    })
    .await;
}

#[tokio::test]
async fn tag_pages_and_featured_tag_suggestions() {
    each_backend(|app| async move {
        let alice = app.user("alice").await;
        let bob = app.user("bob").await;
        post_with(&app, aid(&alice), Post::new("#Rust").tag("Rust")).await;
        post_with(
            &app,
            aid(&alice),
            Post::new("#rust #sqlite").tag("rust").tag("sqlite"),
        )
        .await;
        post_with(&app, aid(&bob), Post::new("#rust").tag("rust")).await;
        post_with(
            &app,
            aid(&bob),
            Post::new("#rust").tag("rust").vis("private"),
        )
        .await;

        let v = get_ok(&app, "/api/v1/tags/RUST", Some(&bob.token)).await;
        assert_shape("GET /api/v1/tags/:tag 200", &v);
        assert_eq!(v["name"], "Rust");
        assert_eq!(v["url"], format!("{}/tags/rust", app.url));
        assert_eq!(v["following"], false);
        let history = v["history"].as_array().unwrap();
        assert_eq!(history.len(), 7);
        // Today: three public uses by two accounts (the private post is not counted).
        assert_eq!(history[0]["uses"], "3");
        assert_eq!(history[0]["accounts"], "2");
        assert_eq!(history[1]["uses"], "0");
        let day: i64 = history[0]["day"].as_str().unwrap().parse().unwrap();
        assert_eq!(day % 86_400, 0);
        let anon = get_ok(&app, "/api/v1/tags/rust", None).await;
        assert!(anon.get("following").is_none());
        error(
            app.get("/api/v1/tags/nothing", None).await,
            StatusCode::NOT_FOUND,
        )
        .await;

        let v = get_ok(
            &app,
            "/api/v1/featured_tags/suggestions",
            Some(&alice.token),
        )
        .await;
        assert_shape("GET /api/v1/featured_tags/suggestions 200", &v);
        let names: Vec<&str> = v
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, vec!["Rust", "sqlite"]);
        error(
            app.get("/api/v1/featured_tags/suggestions", None).await,
            StatusCode::UNAUTHORIZED,
        )
        .await;
    })
    .await;
}
