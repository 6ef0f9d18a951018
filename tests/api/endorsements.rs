//! Endorsed accounts: endorse/unendorse (and the older pin/unpin), only followed accounts,
//! `endorsed` in Relationship, the own and public lists with pagination, and removal on
//! unfollow.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::*;
use crate::timelines::support::*;

async fn act(app: &TestApp, user: &TestUser, target: &TestUser, action: &str) -> reqwest::Response {
    app.post_empty(
        &format!("/api/v1/accounts/{}/{action}", target.account_id),
        Some(&user.token),
    )
    .await
}

fn usernames(v: &Value) -> Vec<&str> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|a| a["username"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn followed_accounts_are_endorsed_and_unendorsed() {
    each_backend(|app| async move {
        let alice = app.user("alice").await;
        let bob = app.user("bob").await;
        let carol = app.user("carol").await;
        follow(&app, aid(&alice), aid(&bob)).await;
        follow(&app, aid(&alice), aid(&carol)).await;

        let r = json(act(&app, &alice, &bob, "endorse").await, StatusCode::OK).await;
        assert_shape("POST /api/v1/accounts/:id/endorse 200", &r);
        assert_eq!(r["endorsed"], true);
        // The older name, and idempotent.
        let r = json(act(&app, &alice, &carol, "pin").await, StatusCode::OK).await;
        assert_shape("POST /api/v1/accounts/:id/pin 200", &r);
        assert_eq!(r["endorsed"], true);
        json(act(&app, &alice, &carol, "pin").await, StatusCode::OK).await;

        let rel = get_ok(
            &app,
            &format!("/api/v1/accounts/relationships?id[]={}", bob.account_id),
            Some(&alice.token),
        )
        .await;
        assert_eq!(rel[0]["endorsed"], true);

        let mine = get_ok(&app, "/api/v1/endorsements", Some(&alice.token)).await;
        assert_shape("GET /api/v1/endorsements 200", &mine);
        assert_eq!(usernames(&mine), vec!["carol", "bob"]);
        let public = format!("/api/v1/accounts/{}/endorsements", alice.account_id);
        assert_eq!(get_ok(&app, &public, None).await, mine);
        assert_eq!(
            get_ok(&app, "/api/v1/endorsements", Some(&bob.token)).await,
            json!([])
        );

        // Pages.
        let resp = app
            .get("/api/v1/endorsements?limit=1", Some(&alice.token))
            .await;
        let next = link(&resp, &app.url, "next").expect("next link");
        assert_eq!(usernames(&json(resp, StatusCode::OK).await), vec!["carol"]);
        assert_eq!(
            usernames(&get_ok(&app, &next, Some(&alice.token)).await),
            vec!["bob"]
        );

        let r = json(act(&app, &alice, &bob, "unendorse").await, StatusCode::OK).await;
        assert_shape("POST /api/v1/accounts/:id/unendorse 200", &r);
        assert_eq!(r["endorsed"], false);
        json(act(&app, &alice, &bob, "unpin").await, StatusCode::OK).await;
        assert_eq!(usernames(&get_ok(&app, &public, None).await), vec!["carol"]);

        // Unfollowing removes the endorsement.
        json(act(&app, &alice, &carol, "unfollow").await, StatusCode::OK).await;
        assert_eq!(get_ok(&app, &public, None).await, json!([]));
    })
    .await;
}

#[tokio::test]
async fn endorsing_needs_a_follow_and_a_user_token() {
    each_backend(|app| async move {
        let alice = app.user("alice").await;
        let bob = app.user("bob").await;
        let reader = app.user_with_scopes("reader", "read").await;
        let e = error(
            act(&app, &alice, &bob, "endorse").await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert!(e["error"].as_str().unwrap().contains("following"), "{e}");
        error(
            act(&app, &alice, &alice, "endorse").await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        error(
            act(&app, &reader, &bob, "endorse").await,
            StatusCode::FORBIDDEN,
        )
        .await;
        error(
            app.post_empty(
                &format!("/api/v1/accounts/{}/endorse", bob.account_id),
                None,
            )
            .await,
            StatusCode::UNAUTHORIZED,
        )
        .await;
        for bad in ["99", "junk"] {
            error(
                app.post_empty(
                    &format!("/api/v1/accounts/{bad}/endorse"),
                    Some(&alice.token),
                )
                .await,
                StatusCode::NOT_FOUND,
            )
            .await;
            error(
                app.post_empty(
                    &format!("/api/v1/accounts/{bad}/unendorse"),
                    Some(&alice.token),
                )
                .await,
                StatusCode::NOT_FOUND,
            )
            .await;
            error(
                app.get(&format!("/api/v1/accounts/{bad}/endorsements"), None)
                    .await,
                StatusCode::NOT_FOUND,
            )
            .await;
        }
        error(
            app.get("/api/v1/endorsements", None).await,
            StatusCode::UNAUTHORIZED,
        )
        .await;
        let writer = app.user_with_scopes("writer", "write:statuses").await;
        error(
            app.get("/api/v1/endorsements", Some(&writer.token)).await,
            StatusCode::FORBIDDEN,
        )
        .await;
    })
    .await;
}
