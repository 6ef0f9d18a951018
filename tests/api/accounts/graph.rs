//! Followers and following lists: pagination by follow id, hidden collections, exclusions.

use reqwest::StatusCode;
use serde_json::json;

use super::support::*;
use crate::common::*;

#[tokio::test]
async fn followers_and_following_paginate_by_follow_id() {
    each_backend(|app| async move {
        let star = app.user("star").await;
        let mut fans = Vec::new();
        for name in ["f1", "f2", "f3"] {
            let f = app.user(name).await;
            act(&app, &f, &star, "follow").await;
            fans.push(f);
        }
        // f1 follows again later: the row (and its position) does not change.
        act(&app, &fans[0], &star, "follow").await;

        let path = format!("/api/v1/accounts/{}/followers", star.account_id);
        let v = json(app.get(&path, None).await, StatusCode::OK).await;
        assert_shape("GET /api/v1/accounts/:id/followers 200", &v);
        let expected: Vec<String> = fans.iter().rev().map(|f| f.account_id.clone()).collect();
        assert_eq!(ids(&v), expected, "newest follow first");

        let resp = app.get(&format!("{path}?limit=2"), None).await;
        let l = link(&resp).expect("Link");
        let v = json(resp, StatusCode::OK).await;
        assert_eq!(ids(&v), expected[..2]);
        let next = link_url(&l, "next").unwrap();
        // Cursors are follow row ids, not account ids.
        assert!(!next.contains(&fans[1].account_id), "{next}");
        let resp = get_abs(&app, &next, None).await;
        let l2 = link(&resp).expect("Link");
        let v = json(resp, StatusCode::OK).await;
        assert_eq!(ids(&v), expected[2..]);
        let v = json(
            get_abs(&app, &link_url(&l2, "prev").unwrap(), None).await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(ids(&v), expected[..2]);

        let following = format!("/api/v1/accounts/{}/following", fans[0].account_id);
        let v = json(
            app.get(&following, Some(&fans[1].token)).await,
            StatusCode::OK,
        )
        .await;
        assert_shape("GET /api/v1/accounts/:id/following 200", &v);
        assert_eq!(ids(&v), vec![star.account_id.clone()]);

        // Accounts the viewer blocks or mutes, or is blocked by, are left out.
        act(&app, &fans[1], &fans[2], "mute").await;
        act(&app, &fans[0], &fans[1], "block").await;
        let v = json(app.get(&path, Some(&fans[1].token)).await, StatusCode::OK).await;
        assert_eq!(ids(&v), vec![fans[1].account_id.clone()]);
        // Suspended followers are left out for everyone.
        exec(
            &app,
            "UPDATE accounts SET suspended_at = 1 WHERE id = $1",
            &[fans[2].account_id.parse().unwrap()],
        )
        .await;
        let v = json(app.get(&path, None).await, StatusCode::OK).await;
        assert_eq!(
            ids(&v),
            [fans[1].account_id.clone(), fans[0].account_id.clone()]
        );

        // Bad input.
        error(
            app.get("/api/v1/accounts/123/followers", None).await,
            StatusCode::NOT_FOUND,
        )
        .await;
        error(
            app.get(&format!("{path}?limit=lots"), None).await,
            StatusCode::BAD_REQUEST,
        )
        .await;
        let t = token_with(&app, &star, "write").await;
        error(app.get(&path, Some(&t)).await, StatusCode::FORBIDDEN).await;
    })
    .await;
}

#[tokio::test]
async fn hidden_collections_and_blocks() {
    each_backend(|app| async move {
        let owner = app.user("keeper").await;
        let fan = app.user("fan").await;
        let other = app.user("other").await;
        act(&app, &fan, &owner, "follow").await;
        act(&app, &owner, &fan, "follow").await;
        exec(
            &app,
            "UPDATE accounts SET hide_collections = TRUE WHERE id = $1",
            &[owner.account_id.parse().unwrap()],
        )
        .await;
        for list in ["followers", "following"] {
            let path = format!("/api/v1/accounts/{}/{list}", owner.account_id);
            let v = json(app.get(&path, None).await, StatusCode::OK).await;
            assert_eq!(v, json!([]), "{list} hidden from anonymous");
            let v = json(app.get(&path, Some(&other.token)).await, StatusCode::OK).await;
            assert_eq!(v, json!([]), "{list} hidden from others");
            let v = json(app.get(&path, Some(&owner.token)).await, StatusCode::OK).await;
            assert_eq!(
                ids(&v),
                vec![fan.account_id.clone()],
                "{list} visible to the owner"
            );
        }
        // An account that blocks the viewer shows them no followers.
        let path = format!("/api/v1/accounts/{}/followers", fan.account_id);
        let v = json(app.get(&path, Some(&other.token)).await, StatusCode::OK).await;
        assert_eq!(ids(&v), vec![owner.account_id.clone()]);
        act(&app, &fan, &other, "block").await;
        let v = json(app.get(&path, Some(&other.token)).await, StatusCode::OK).await;
        assert_eq!(v, json!([]));
    })
    .await;
}
