//! GET /api/v1/accounts/:id/statuses: visibility, filters, pagination.

use reqwest::StatusCode;
use serde_json::json;

use super::support::*;
use crate::common::*;

fn path(id: &str, query: &str) -> String {
    format!("/api/v1/accounts/{id}/statuses{query}")
}

#[tokio::test]
async fn visibility_follows_mastodon_rules() {
    each_backend(|app| async move {
        let author = app.user("author").await;
        let follower = app.user("follower").await;
        let stranger = app.user("stranger").await;
        let friend = app.user("friend").await;
        let public = insert_status(
            &app,
            &author.account_id,
            NewStatus {
                visibility: "public",
                text: "pub",
                ..Default::default()
            },
        )
        .await;
        let unlisted = insert_status(
            &app,
            &author.account_id,
            NewStatus {
                visibility: "unlisted",
                text: "unl",
                ..Default::default()
            },
        )
        .await;
        let private = insert_status(
            &app,
            &author.account_id,
            NewStatus {
                visibility: "private",
                text: "priv",
                ..Default::default()
            },
        )
        .await;
        let mentions = [friend.account_id.as_str()];
        let direct = insert_status(
            &app,
            &author.account_id,
            NewStatus {
                visibility: "direct",
                text: "dm",
                mentions: &mentions,
                ..Default::default()
            },
        )
        .await;
        act(&app, &follower, &author, "follow").await;
        let s = |v: &[i64]| v.iter().map(|i| i.to_string()).collect::<Vec<_>>();

        let anon = json(
            app.get(&path(&author.account_id, ""), None).await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(ids(&anon), s(&[unlisted, public]));
        assert!(
            anon[0].get("favourited").is_none(),
            "no viewer flags when anonymous"
        );

        let v = json(
            app.get(&path(&author.account_id, ""), Some(&stranger.token))
                .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(ids(&v), s(&[unlisted, public]));
        let v = json(
            app.get(&path(&author.account_id, ""), Some(&follower.token))
                .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(ids(&v), s(&[private, unlisted, public]));
        assert_eq!(v[0]["favourited"], false);
        let v = json(
            app.get(&path(&author.account_id, ""), Some(&friend.token))
                .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(ids(&v), s(&[direct, unlisted, public]));
        let v = json(
            app.get(&path(&author.account_id, ""), Some(&author.token))
                .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(ids(&v), s(&[direct, private, unlisted, public]));
        for id in [direct, private, unlisted, public] {
            attribute_to_app(&app, id).await;
        }
        touch(&app, &author).await;
        let v = json(
            app.get(&path(&author.account_id, ""), Some(&author.token))
                .await,
            StatusCode::OK,
        )
        .await;
        assert_shape("GET /api/v1/accounts/:id/statuses 200", &v);

        // Someone the author blocks sees nothing at all; the author's own block of a viewer
        // also ends their follow, so followers-only posts disappear.
        act(&app, &author, &follower, "block").await;
        let v = json(
            app.get(&path(&author.account_id, ""), Some(&follower.token))
                .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(v, json!([]));
        // Blocking the author yourself does not hide their public posts here.
        act(&app, &stranger, &author, "block").await;
        let v = json(
            app.get(&path(&author.account_id, ""), Some(&stranger.token))
                .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(ids(&v), s(&[unlisted, public]));
    })
    .await;
}

#[tokio::test]
async fn filters_and_pagination() {
    each_backend(|app| async move {
        let author = app.user("author").await;
        let other = app.user("other").await;
        let theirs = insert_status(&app, &other.account_id, NewStatus { text: "theirs", ..Default::default() }).await;
        let first = insert_status(&app, &author.account_id, NewStatus { text: "first #Rust", tags: &["rust"], ..Default::default() }).await;
        let self_reply = insert_status(
            &app,
            &author.account_id,
            NewStatus { text: "thread", in_reply_to: Some((first, author.account_id.parse().unwrap())), ..Default::default() },
        )
        .await;
        let reply = insert_status(
            &app,
            &author.account_id,
            NewStatus { text: "reply", in_reply_to: Some((theirs, other.account_id.parse().unwrap())), ..Default::default() },
        )
        .await;
        let boost = insert_status(&app, &author.account_id, NewStatus { reblog_of: Some(theirs), ..Default::default() }).await;
        let last = insert_status(&app, &author.account_id, NewStatus { text: "last", ..Default::default() }).await;
        let id = author.account_id.clone();
        let s = |v: &[i64]| v.iter().map(|i| i.to_string()).collect::<Vec<_>>();

        let v = json(app.get(&path(&id, ""), None).await, StatusCode::OK).await;
        assert_eq!(ids(&v), s(&[last, boost, reply, self_reply, first]));
        assert_eq!(v[1]["reblog"]["id"], theirs.to_string());

        let v = json(app.get(&path(&id, "?exclude_replies=true"), None).await, StatusCode::OK).await;
        assert_eq!(ids(&v), s(&[last, boost, self_reply, first]));
        let v = json(app.get(&path(&id, "?exclude_reblogs=1"), None).await, StatusCode::OK).await;
        assert_eq!(ids(&v), s(&[last, reply, self_reply, first]));
        let v = json(app.get(&path(&id, "?tagged=%23RUST"), None).await, StatusCode::OK).await;
        assert_eq!(ids(&v), s(&[first]));
        let v = json(app.get(&path(&id, "?only_media=true"), None).await, StatusCode::OK).await;
        assert_eq!(v, json!([]));

        exec(
            &app,
            "INSERT INTO status_pins (id, account_id, status_id, created_at) VALUES ($1, $2, $3, 0)",
            &[woolly::id::next_id(), id.parse().unwrap(), reply],
        )
        .await;
        let v = json(app.get(&path(&id, "?pinned=true"), Some(&author.token)).await, StatusCode::OK).await;
        assert_eq!(ids(&v), s(&[reply]));
        assert_eq!(v[0]["pinned"], true);

        // Pages of two, following the Link header both ways.
        let resp = app.get(&path(&id, "?limit=2"), None).await;
        let l = link(&resp).expect("Link header");
        let v = json(resp, StatusCode::OK).await;
        assert_eq!(ids(&v), s(&[last, boost]));
        let next = link_url(&l, "next").unwrap();
        assert!(next.contains(&format!("max_id={boost}")) && next.contains("limit=2"), "{l}");
        assert!(link_url(&l, "prev").unwrap().contains(&format!("min_id={last}")));
        let resp = get_abs(&app, &next, None).await;
        let l2 = link(&resp).unwrap();
        let v = json(resp, StatusCode::OK).await;
        assert_eq!(ids(&v), s(&[reply, self_reply]));
        let prev = link_url(&l2, "prev").unwrap();
        let v = json(get_abs(&app, &prev, None).await, StatusCode::OK).await;
        assert_eq!(ids(&v), s(&[last, boost]));
        let v = json(app.get(&path(&id, &format!("?since_id={self_reply}")), None).await, StatusCode::OK).await;
        assert_eq!(ids(&v), s(&[last, boost, reply]));

        // Limits are clamped to 40; bad input is refused.
        let resp = app.get(&path(&id, "?limit=500"), None).await;
        json(resp, StatusCode::OK).await;
        error(app.get(&path(&id, "?limit=abc"), None).await, StatusCode::BAD_REQUEST).await;
        error(app.get(&path(&id, "?exclude_replies=perhaps"), None).await, StatusCode::BAD_REQUEST).await;
        error(app.get(&path("424242", ""), None).await, StatusCode::NOT_FOUND).await;
        let w = token_with(&app, &other, "read:accounts").await;
        error(app.get(&path(&id, ""), Some(&w)).await, StatusCode::FORBIDDEN).await;
    })
    .await;
}
