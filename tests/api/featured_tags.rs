//! Featured hashtags: add (validation, duplicates, the limit of 10), list with counts of the
//! account's public and unlisted statuses, remove, the public per-account list, suggestions
//! leaving featured tags out, and `featuring` on tag entities.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::*;
use crate::timelines::support::*;

async fn feature(app: &TestApp, user: &TestUser, name: &str) -> reqwest::Response {
    app.post_json(
        "/api/v1/featured_tags",
        Some(&user.token),
        &json!({ "name": name }),
    )
    .await
}

async fn unfeature(app: &TestApp, user: &TestUser, id: &str) -> reqwest::Response {
    app.req(Method::DELETE, &format!("/api/v1/featured_tags/{id}"))
        .bearer_auth(&user.token)
        .send()
        .await
        .unwrap()
}

fn names(v: &Value) -> Vec<&str> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn tags_are_featured_listed_and_removed() {
    each_backend(|app| async move {
        let alice = app.user("alice").await;
        let bob = app.user("bob").await;
        post_with(&app, aid(&alice), Post::new("#rust").tag("rust")).await;
        post_with(
            &app,
            aid(&alice),
            Post::new("#rust").tag("rust").vis("unlisted"),
        )
        .await;
        // Not counted: followers-only, and other people's.
        post_with(
            &app,
            aid(&alice),
            Post::new("#rust").tag("rust").vis("private"),
        )
        .await;
        post_with(&app, aid(&bob), Post::new("#rust").tag("rust")).await;

        let v = json(feature(&app, &alice, "#Woolly").await, StatusCode::OK).await;
        assert_shape("POST /api/v1/featured_tags 200", &v);
        assert_eq!(v["name"], "Woolly");
        assert_eq!(v["statuses_count"], "0");
        assert_eq!(v["last_status_at"], Value::Null);
        assert_eq!(v["url"], format!("{}/@alice/tagged/woolly", app.url));
        let rust = json(feature(&app, &alice, "rust").await, StatusCode::OK).await;
        assert_eq!(rust["statuses_count"], "2");
        let day = rust["last_status_at"].as_str().unwrap();
        assert_eq!(day.len(), 10, "{day}");

        // Most used first.
        let mine = get_ok(&app, "/api/v1/featured_tags", Some(&alice.token)).await;
        assert_eq!(names(&mine), vec!["rust", "Woolly"]);
        let public = format!("/api/v1/accounts/{}/featured_tags", alice.account_id);
        let theirs = get_ok(&app, &public, None).await;
        assert_shape("GET /api/v1/accounts/:id/featured_tags 200", &theirs);
        assert_eq!(theirs, mine);
        assert_eq!(
            get_ok(&app, "/api/v1/featured_tags", Some(&bob.token)).await,
            json!([])
        );

        // `featuring` on tag entities, for the viewer only.
        let t = get_ok(&app, "/api/v1/tags/rust", Some(&alice.token)).await;
        assert_eq!(t["featuring"], true);
        let t = get_ok(&app, "/api/v1/tags/rust", Some(&bob.token)).await;
        assert_eq!(t["featuring"], false);
        // Suggestions leave featured tags out.
        let s = get_ok(
            &app,
            "/api/v1/featured_tags/suggestions",
            Some(&alice.token),
        )
        .await;
        assert_eq!(s, json!([]));
        let s = get_ok(&app, "/api/v1/featured_tags/suggestions", Some(&bob.token)).await;
        assert_eq!(names(&s), vec!["rust"]);

        // Someone else's: 404; own: {} and gone.
        let id = rust["id"].as_str().unwrap();
        error(unfeature(&app, &bob, id).await, StatusCode::NOT_FOUND).await;
        let r = json(unfeature(&app, &alice, id).await, StatusCode::OK).await;
        assert_shape("DELETE /api/v1/featured_tags/:id 200", &r);
        error(unfeature(&app, &alice, id).await, StatusCode::NOT_FOUND).await;
        error(unfeature(&app, &alice, "junk").await, StatusCode::NOT_FOUND).await;
        assert_eq!(names(&get_ok(&app, &public, None).await), vec!["Woolly"]);
    })
    .await;
}

#[tokio::test]
async fn featuring_tags_is_validated_and_limited() {
    each_backend(|app| async move {
        let alice = app.user("alice").await;
        let reader = app.user_with_scopes("reader", "read").await;
        error(
            app.post_json("/api/v1/featured_tags", None, &json!({ "name": "x1" }))
                .await,
            StatusCode::UNAUTHORIZED,
        )
        .await;
        error(feature(&app, &reader, "rust").await, StatusCode::FORBIDDEN).await;
        error(
            app.get("/api/v1/featured_tags", None).await,
            StatusCode::UNAUTHORIZED,
        )
        .await;
        error(
            app.post_json("/api/v1/featured_tags", Some(&alice.token), &json!({}))
                .await,
            StatusCode::BAD_REQUEST,
        )
        .await;
        let long = "a".repeat(101);
        for bad in ["", "#", "123", "no-dash", "two words", long.as_str()] {
            let e = error(
                feature(&app, &alice, bad).await,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
            assert!(
                e["error"]
                    .as_str()
                    .unwrap()
                    .starts_with("Validation failed"),
                "{e}"
            );
        }
        json(feature(&app, &alice, "Rust").await, StatusCode::OK).await;
        let e = error(
            feature(&app, &alice, "rust").await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(e["error"], "Validation failed: Name has already been taken");
        for i in 1..10 {
            json(
                feature(&app, &alice, &format!("tag{i}")).await,
                StatusCode::OK,
            )
            .await;
        }
        error(
            feature(&app, &alice, "eleventh").await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        let mine = get_ok(&app, "/api/v1/featured_tags", Some(&alice.token)).await;
        assert_eq!(mine.as_array().unwrap().len(), 10);
        // Unknown or suspended accounts: 404.
        error(
            app.get("/api/v1/accounts/99/featured_tags", None).await,
            StatusCode::NOT_FOUND,
        )
        .await;
    })
    .await;
}

#[tokio::test]
async fn tags_are_featured_from_their_page() {
    each_backend(|app| async move {
        let alice = app.user("alice").await;
        let reader = app.user_with_scopes("reader", "read").await;
        let v = json(
            app.post_empty("/api/v1/tags/Woolly/feature", Some(&alice.token))
                .await,
            StatusCode::OK,
        )
        .await;
        assert_shape("POST /api/v1/tags/:tag/feature 200", &v);
        assert_eq!(v["featuring"], true);
        assert_eq!(v["name"], "Woolly");
        // Again: fine, still one.
        json(
            app.post_empty("/api/v1/tags/woolly/feature", Some(&alice.token))
                .await,
            StatusCode::OK,
        )
        .await;
        let mine = get_ok(&app, "/api/v1/featured_tags", Some(&alice.token)).await;
        assert_eq!(names(&mine), vec!["Woolly"]);
        let v = json(
            app.post_empty("/api/v1/tags/woolly/unfeature", Some(&alice.token))
                .await,
            StatusCode::OK,
        )
        .await;
        assert_shape("POST /api/v1/tags/:tag/unfeature 200", &v);
        assert_eq!(v["featuring"], false);
        assert_eq!(
            get_ok(&app, "/api/v1/featured_tags", Some(&alice.token)).await,
            json!([])
        );
        // Bad names, unknown tags, scopes, the limit.
        error(
            app.post_empty("/api/v1/tags/no-dash/feature", Some(&alice.token))
                .await,
            StatusCode::NOT_FOUND,
        )
        .await;
        error(
            app.post_empty("/api/v1/tags/neverseen/unfeature", Some(&alice.token))
                .await,
            StatusCode::NOT_FOUND,
        )
        .await;
        error(
            app.post_empty("/api/v1/tags/rust/feature", Some(&reader.token))
                .await,
            StatusCode::FORBIDDEN,
        )
        .await;
        error(
            app.post_empty("/api/v1/tags/rust/feature", None).await,
            StatusCode::UNAUTHORIZED,
        )
        .await;
        for i in 0..10 {
            json(
                app.post_empty(&format!("/api/v1/tags/t{i}/feature"), Some(&alice.token))
                    .await,
                StatusCode::OK,
            )
            .await;
        }
        error(
            app.post_empty("/api/v1/tags/eleventh/feature", Some(&alice.token))
                .await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    })
    .await;
}
