//! Notifications (v1 and grouped v2): listing, filters, hiding, dismissing, unread counts
//! against the notifications marker, pagination and shapes.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::*;
use crate::timelines::support::*;

/// Notification types that only exist for features Woolly does not have yet.
const OTHER_FEATURES: &[&str] = &["fallback", "collection", "annual_report"];

/// Creates a notification through the service (as favourites, follows… will).
async fn notify(app: &TestApp, recipient: i64, from: i64, kind: &str, status: Option<i64>) -> i64 {
    let mut tx = app.state.db.begin().await.unwrap();
    let id = woolly::service::notify::notify(
        tx.conn(),
        recipient,
        from,
        kind,
        status,
        woolly::id::next_id(),
    )
    .await
    .unwrap()
    .expect("notification created");
    tx.commit().await.unwrap();
    id
}

/// alice's post, favourited by bob; bob mentions alice; carol follows alice.
/// Returns (alice, bob, carol, alice's post, [favourite, mention, follow] notification ids).
async fn scenario(app: &TestApp) -> (TestUser, TestUser, TestUser, i64, [i64; 3]) {
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let carol = app.user("carol").await;
    let post_id = post(app, aid(&alice), "hello").await;
    let fav = notify(app, aid(&alice), aid(&bob), "favourite", Some(post_id)).await;
    let mention_status =
        post_with(app, aid(&bob), Post::new("@alice hi").mention(aid(&alice))).await;
    let mention = notify(app, aid(&alice), aid(&bob), "mention", Some(mention_status)).await;
    let follow = notify(app, aid(&alice), aid(&carol), "follow", None).await;
    (alice, bob, carol, post_id, [fav, mention, follow])
}

async fn list(app: &TestApp, user: &TestUser, query: &str) -> Value {
    get_ok(
        app,
        &format!("/api/v1/notifications{query}"),
        Some(&user.token),
    )
    .await
}

#[tokio::test]
async fn notifications_list_with_shape_group_keys_and_filters() {
    each_backend(|app| async move {
        let (alice, _bob, carol, post_id, [fav, mention, follow]) = scenario(&app).await;
        let v = list(&app, &alice, "").await;
        assert_eq!(ids(&v), vec![follow, mention, fav]);
        assert_eq!(v[0]["type"], "follow");
        assert!(v[0].get("status").is_none());
        assert_eq!(v[0]["account"]["username"], "carol");
        assert_eq!(v[1]["group_key"], format!("ungrouped-{mention}"));
        let fav_key = v[2]["group_key"].as_str().unwrap();
        assert!(
            fav_key.starts_with(&format!("favourite-{post_id}-")),
            "{fav_key}"
        );
        assert!(v[0]["group_key"].as_str().unwrap().starts_with("follow-"));
        assert_eq!(v[2]["status"]["id"], post_id.to_string());
        // Status-carrying notifications have Mastodon's shape.
        let with_status = list(&app, &alice, "?types[]=favourite&types[]=mention").await;
        assert_eq!(ids(&with_status), vec![mention, fav]);
        assert_shape_ignoring(
            "GET /api/v1/notifications 200",
            &with_status,
            OTHER_FEATURES,
        );

        assert_eq!(
            ids(&list(&app, &alice, "?types[]=follow").await),
            vec![follow]
        );
        assert_eq!(
            ids(&list(&app, &alice, "?types=follow").await),
            vec![follow]
        );
        assert_eq!(
            ids(&list(
                &app,
                &alice,
                "?exclude_types[]=follow&exclude_types[]=mention"
            )
            .await),
            vec![fav]
        );
        assert_eq!(
            ids(&list(&app, &alice, &format!("?account_id={}", carol.account_id)).await),
            vec![follow]
        );
        assert_eq!(list(&app, &alice, "?account_id=nope").await, json!([]));
        assert_eq!(list(&app, &alice, "?types[]=bogus").await, json!([]));
        // Nobody else sees alice's notifications.
        assert_eq!(list(&app, &carol, "").await, json!([]));
    })
    .await;
}

#[tokio::test]
async fn notifications_need_a_user_token_with_the_right_scope() {
    each_backend(|app| async move {
        let v = error(
            app.get("/api/v1/notifications", None).await,
            StatusCode::UNAUTHORIZED,
        )
        .await;
        assert_eq!(v["error"], "The access token is invalid");
        let reader = app.user_with_scopes("reader", "read:statuses").await;
        error(
            app.get("/api/v1/notifications", Some(&reader.token)).await,
            StatusCode::FORBIDDEN,
        )
        .await;
        let ro = app.user_with_scopes("ro", "read:notifications").await;
        get_ok(&app, "/api/v1/notifications", Some(&ro.token)).await;
        error(
            app.post_empty("/api/v1/notifications/clear", Some(&ro.token))
                .await,
            StatusCode::FORBIDDEN,
        )
        .await;
        get_ok(&app, "/api/v1/notifications/unread_count", Some(&ro.token)).await;
    })
    .await;
}

#[tokio::test]
async fn blocked_muted_suspended_and_invisible_are_hidden() {
    each_backend(|app| async move {
        let (alice, bob, carol, _post, [_fav, _mention, follow]) = scenario(&app).await;
        // Blocking bob hides what he caused, even from before the block.
        block(&app, aid(&alice), aid(&bob)).await;
        assert_eq!(ids(&list(&app, &alice, "").await), vec![follow]);
        // A mute that keeps notifications does not hide them; one that hides them does.
        let dave = app.user("dave").await;
        let erin = app.user("erin").await;
        let d = notify(&app, aid(&alice), aid(&dave), "follow", None).await;
        let e = notify(&app, aid(&alice), aid(&erin), "follow", None).await;
        mute(&app, aid(&alice), aid(&dave), false).await;
        mute(&app, aid(&alice), aid(&erin), true).await;
        assert_eq!(ids(&list(&app, &alice, "").await), vec![d, follow]);
        let hidden = error(
            app.get(&format!("/api/v1/notifications/{e}"), Some(&alice.token))
                .await,
            StatusCode::NOT_FOUND,
        )
        .await;
        assert_eq!(hidden["error"], "Record not found");
        // Suspended senders disappear.
        exec(
            &app,
            "UPDATE accounts SET suspended_at = $1 WHERE id = $2",
            &[1, aid(&carol)],
        )
        .await;
        assert_eq!(ids(&list(&app, &alice, "").await), vec![d]);
        // A notification about a status the recipient cannot see is skipped.
        let frank = app.user("frank").await;
        let secret = post_with(&app, aid(&frank), Post::new("secret").vis("private")).await;
        let invisible = notify(&app, aid(&alice), aid(&frank), "mention", Some(secret)).await;
        let v = list(&app, &alice, "").await;
        assert_eq!(ids(&v), vec![d]);
        error(
            app.get(
                &format!("/api/v1/notifications/{invisible}"),
                Some(&alice.token),
            )
            .await,
            StatusCode::NOT_FOUND,
        )
        .await;
        // The page still advances past skipped rows.
        let resp = app
            .get("/api/v1/notifications?limit=1", Some(&alice.token))
            .await;
        assert_eq!(
            link(&resp, &app.url, "next").unwrap(),
            format!("/api/v1/notifications?limit=1&max_id={invisible}")
        );
        assert_eq!(json(resp, StatusCode::OK).await, json!([]));
    })
    .await;
}

#[tokio::test]
async fn single_notification_dismiss_and_clear() {
    each_backend(|app| async move {
        let (alice, bob, _carol, _post, [fav, mention, follow]) = scenario(&app).await;
        let v = get_ok(
            &app,
            &format!("/api/v1/notifications/{fav}"),
            Some(&alice.token),
        )
        .await;
        assert_shape_ignoring("GET /api/v1/notifications/:id 200", &v, OTHER_FEATURES);
        assert_eq!(v["type"], "favourite");
        for path in [
            format!("/api/v1/notifications/{fav}"),
            "/api/v1/notifications/12345".to_string(),
            "/api/v1/notifications/garbage".to_string(),
        ] {
            error(
                app.get(&path, Some(&bob.token)).await,
                StatusCode::NOT_FOUND,
            )
            .await;
        }
        // Dismissing someone else's notification is a 404 and changes nothing.
        error(
            app.post_empty(
                &format!("/api/v1/notifications/{fav}/dismiss"),
                Some(&bob.token),
            )
            .await,
            StatusCode::NOT_FOUND,
        )
        .await;
        let v = json(
            app.post_empty(
                &format!("/api/v1/notifications/{fav}/dismiss"),
                Some(&alice.token),
            )
            .await,
            StatusCode::OK,
        )
        .await;
        assert_shape("POST /api/v1/notifications/:id/dismiss 200", &v);
        assert_eq!(v, json!({}));
        assert_eq!(ids(&list(&app, &alice, "").await), vec![follow, mention]);
        error(
            app.post_empty(
                &format!("/api/v1/notifications/{fav}/dismiss"),
                Some(&alice.token),
            )
            .await,
            StatusCode::NOT_FOUND,
        )
        .await;
        let v = json(
            app.post_empty("/api/v1/notifications/clear", Some(&alice.token))
                .await,
            StatusCode::OK,
        )
        .await;
        assert_shape("POST /api/v1/notifications/clear 200", &v);
        assert_eq!(list(&app, &alice, "").await, json!([]));
    })
    .await;
}

#[tokio::test]
async fn unread_count_follows_the_notifications_marker() {
    each_backend(|app| async move {
        let (alice, _bob, _carol, _post, [fav, mention, _follow]) = scenario(&app).await;
        let count = |q: &'static str| {
            let app = &app;
            let alice = &alice;
            async move {
                get_ok(
                    app,
                    &format!("/api/v1/notifications/unread_count{q}"),
                    Some(&alice.token),
                )
                .await
            }
        };
        let v = count("").await;
        assert_shape("GET /api/v1/notifications/unread_count 200", &v);
        assert_eq!(v, json!({ "count": 3 }));
        assert_eq!(count("?limit=2").await["count"], 2);
        let v = json(
            app.post_form(
                "/api/v1/markers",
                Some(&alice.token),
                &[("notifications[last_read_id]", &fav.to_string())],
            )
            .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(v["notifications"]["last_read_id"], fav.to_string());
        assert_eq!(count("").await["count"], 2);
        assert_eq!(count("?types[]=mention").await["count"], 1);
        assert_eq!(count("?exclude_types[]=mention").await["count"], 1);
        app.post_json(
            "/api/v1/markers",
            Some(&alice.token),
            &json!({ "notifications": { "last_read_id": mention.to_string() } }),
        )
        .await;
        assert_eq!(count("").await["count"], 1);
        // The grouped count counts groups.
        let v = get_ok(
            &app,
            "/api/v2/notifications/unread_count",
            Some(&alice.token),
        )
        .await;
        assert_eq!(v, json!({ "count": 1 }));
    })
    .await;
}

#[tokio::test]
async fn notifications_paginate_with_link_headers() {
    each_backend(|app| async move {
        let alice = app.user("alice").await;
        let mut made = Vec::new();
        for i in 0..5 {
            let u = app.user(&format!("fan{i}")).await;
            made.push(notify(&app, aid(&alice), aid(&u), "follow", None).await);
        }
        made.reverse();
        let resp = app
            .get("/api/v1/notifications?limit=2", Some(&alice.token))
            .await;
        let next = link(&resp, &app.url, "next").unwrap();
        let prev = link(&resp, &app.url, "prev").unwrap();
        assert_eq!(ids(&json(resp, StatusCode::OK).await), made[0..2]);
        assert_eq!(
            next,
            format!("/api/v1/notifications?limit=2&max_id={}", made[1])
        );
        assert_eq!(
            prev,
            format!("/api/v1/notifications?limit=2&min_id={}", made[0])
        );
        assert_eq!(
            ids(&get_ok(&app, &next, Some(&alice.token)).await),
            made[2..4]
        );
        let v = list(&app, &alice, &format!("?limit=2&min_id={}", made[4])).await;
        assert_eq!(ids(&v), made[2..4]);
        let v = list(&app, &alice, &format!("?since_id={}", made[2])).await;
        assert_eq!(ids(&v), made[0..2]);
        // Filters are kept in the links.
        let resp = app
            .get(
                "/api/v1/notifications?limit=1&types[]=follow",
                Some(&alice.token),
            )
            .await;
        let next = link(&resp, &app.url, "next").unwrap();
        assert!(next.contains("types%5B%5D=follow"), "{next}");
        assert_eq!(
            ids(&get_ok(&app, &next, Some(&alice.token)).await),
            made[1..2]
        );
        // Default 40, max 80.
        assert_eq!(ids(&list(&app, &alice, "?limit=500").await).len(), 5);
    })
    .await;
}

#[tokio::test]
async fn grouped_notifications_v2() {
    each_backend(|app| async move {
        let alice = app.user("alice").await;
        let bob = app.user("bob").await;
        let carol = app.user("carol").await;
        let dave = app.user("dave").await;
        // Everyone has posted (Mastodon's reference accounts all have `last_status_at`).
        for u in [&bob, &carol, &dave] {
            post(&app, aid(u), "hi").await;
        }
        let p1 = post(&app, aid(&alice), "one").await;
        let p2 = post(&app, aid(&alice), "two").await;
        let f1 = notify(&app, aid(&alice), aid(&bob), "favourite", Some(p1)).await;
        let f2 = notify(&app, aid(&alice), aid(&carol), "favourite", Some(p1)).await;
        let r1 = notify(&app, aid(&alice), aid(&dave), "reblog", Some(p2)).await;
        let fo1 = notify(&app, aid(&alice), aid(&bob), "follow", None).await;
        let fo2 = notify(&app, aid(&alice), aid(&dave), "follow", None).await;
        let mention_status =
            post_with(&app, aid(&bob), Post::new("hey").mention(aid(&alice))).await;
        let m = notify(&app, aid(&alice), aid(&bob), "mention", Some(mention_status)).await;

        let resp = app.get("/api/v2/notifications", Some(&alice.token)).await;
        assert_eq!(
            link(&resp, &app.url, "prev").unwrap(),
            format!("/api/v2/notifications?min_id={m}")
        );
        let v = json(resp, StatusCode::OK).await;
        let groups = v["notification_groups"].as_array().unwrap();
        let kinds: Vec<&str> = groups.iter().map(|g| g["type"].as_str().unwrap()).collect();
        assert_eq!(kinds, vec!["mention", "follow", "reblog", "favourite"]);
        assert_eq!(groups[0]["group_key"], format!("ungrouped-{m}"));
        assert_eq!(groups[1]["notifications_count"], 2);
        assert_eq!(groups[1]["most_recent_notification_id"], json!(fo2));
        assert_eq!(groups[1]["page_min_id"], fo1.to_string());
        assert_eq!(
            groups[1]["sample_account_ids"],
            json!([dave.account_id, bob.account_id])
        );
        assert_eq!(groups[3]["notifications_count"], 2);
        assert_eq!(groups[3]["status_id"], p1.to_string());
        assert_eq!(groups[3]["page_max_id"], f2.to_string());
        assert_eq!(groups[3]["page_min_id"], f1.to_string());
        assert_eq!(groups[2]["sample_account_ids"], json!([dave.account_id]));
        assert_eq!(v["statuses"].as_array().unwrap().len(), 3);
        assert_eq!(v["accounts"].as_array().unwrap().len(), 3);
        assert!(v.get("partial_accounts").is_none());
        let _ = r1;

        // Shape (status-carrying groups on the user's own statuses).
        let v = get_ok(
            &app,
            "/api/v2/notifications?types[]=favourite&types[]=reblog&expand_accounts=partial_avatars",
            Some(&alice.token),
        )
        .await;
        assert_shape_ignoring("GET /api/v2/notifications 200", &v, OTHER_FEATURES);
        // With partial avatars, only each group's newest account is complete.
        assert_eq!(v["accounts"].as_array().unwrap().len(), 2);
        assert_eq!(v["partial_accounts"][0]["id"], bob.account_id);

        // grouped_types[] limits grouping.
        let v = get_ok(
            &app,
            "/api/v2/notifications?grouped_types[]=favourite",
            Some(&alice.token),
        )
        .await;
        let groups = v["notification_groups"].as_array().unwrap();
        assert_eq!(groups.len(), 5);
        assert_eq!(groups[1]["group_key"], format!("ungrouped-{fo2}"));

        // Pagination counts groups.
        let resp = app.get("/api/v2/notifications?limit=2", Some(&alice.token)).await;
        let next = link(&resp, &app.url, "next").unwrap();
        let v = json(resp, StatusCode::OK).await;
        assert_eq!(v["notification_groups"].as_array().unwrap().len(), 2);
        assert_eq!(next, format!("/api/v2/notifications?limit=2&max_id={fo2}"));
        let v = get_ok(&app, &next, Some(&alice.token)).await;
        let kinds: Vec<&str> = v["notification_groups"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["type"].as_str().unwrap())
            .collect();
        assert_eq!(kinds, vec!["follow", "reblog"]);

        // One group, its accounts, and dismissing it.
        let key = get_ok(&app, &format!("/api/v1/notifications/{f1}"), Some(&alice.token)).await
            ["group_key"]
            .as_str()
            .unwrap()
            .to_owned();
        let v = get_ok(&app, &format!("/api/v2/notifications/{key}"), Some(&alice.token)).await;
        assert_shape_ignoring(
            "GET /api/v2/notifications/favourite-117440824337744080-497779 200",
            &v,
            OTHER_FEATURES,
        );
        assert_eq!(v["notification_groups"][0]["notifications_count"], 2);
        assert!(v["notification_groups"][0].get("page_min_id").is_none());
        let v = get_ok(
            &app,
            &format!("/api/v2/notifications/{key}/accounts"),
            Some(&alice.token),
        )
        .await;
        assert_shape(
            "GET /api/v2/notifications/favourite-117440824337744080-497779/accounts 200",
            &v,
        );
        assert_eq!(ids(&v), vec![aid(&carol), aid(&bob)]);
        let v = get_ok(
            &app,
            &format!("/api/v2/notifications/ungrouped-{m}"),
            Some(&alice.token),
        )
        .await;
        assert_eq!(v["notification_groups"][0]["type"], "mention");
        error(
            app.get("/api/v2/notifications/favourite-1-1", Some(&alice.token)).await,
            StatusCode::NOT_FOUND,
        )
        .await;
        error(
            app.get(&format!("/api/v2/notifications/{key}"), Some(&bob.token)).await,
            StatusCode::NOT_FOUND,
        )
        .await;
        let v = json(
            app.post_empty(&format!("/api/v2/notifications/{key}/dismiss"), Some(&alice.token))
                .await,
            StatusCode::OK,
        )
        .await;
        assert_shape(
            "POST /api/v2/notifications/favourite-117440824337744080-497779/dismiss 200",
            &v,
        );
        assert!(!ids(&list(&app, &alice, "").await).contains(&f1));
        assert!(!ids(&list(&app, &alice, "").await).contains(&f2));
        error(app.get("/api/v2/notifications", None).await, StatusCode::UNAUTHORIZED).await;
    })
    .await;
}

#[tokio::test]
async fn notification_requests_are_always_empty() {
    each_backend(|app| async move {
        let alice = app.user("alice").await;
        let v = get_ok(&app, "/api/v1/notifications/requests", Some(&alice.token)).await;
        assert_eq!(v, json!([]));
        let v = get_ok(
            &app,
            "/api/v1/notifications/requests/merged",
            Some(&alice.token),
        )
        .await;
        assert_shape("GET /api/v1/notifications/requests/merged 200", &v);
        error(
            app.get("/api/v1/notifications/requests", None).await,
            StatusCode::UNAUTHORIZED,
        )
        .await;
    })
    .await;
}
