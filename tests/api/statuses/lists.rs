//! `GET /api/v1/favourites`, `GET /api/v1/bookmarks` and the `favourited_by` list: pages
//! follow the interaction rows (not status ids) through `Link` headers.

use reqwest::StatusCode;
use serde_json::Value;

use super::*;

/// Follows a `Link` header relation, returning the path and query to request next.
fn link(resp: &reqwest::Response, rel: &str, base: &str) -> Option<String> {
    let header = resp.headers().get("link")?.to_str().ok()?.to_owned();
    header.split(", ").find_map(|part| {
        let (url, r) = part.split_once("; ")?;
        (r == format!("rel=\"{rel}\"")).then(|| {
            url.trim_start_matches('<')
                .trim_end_matches('>')
                .trim_start_matches(base)
                .to_owned()
        })
    })
}

fn ids(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn favourites_paginate_by_favourite_row() {
    each_backend(|app| async move {
        let alice = member(&app, "alice").await;
        let bob = member(&app, "bob").await;
        let s: Vec<String> = {
            let mut v = Vec::new();
            for t in ["one", "two", "three"] {
                v.push(say(&app, &bob, t).await["id"].as_str().unwrap().to_owned());
            }
            v
        };
        // Favourited out of posting order: the list follows the favourites.
        for i in [0, 2, 1] {
            act(
                &app,
                &format!("/api/v1/statuses/{}/favourite", s[i]),
                Some(&alice.token),
            )
            .await;
        }
        let fav_of = |status: &str| {
            let app = &app;
            let alice = &alice;
            let status = status.to_owned();
            async move {
                scalar(
                    app,
                    "SELECT id FROM favourites WHERE account_id = $1 AND status_id = $2",
                    &[num(&alice.account_id), num(&status)],
                )
                .await
            }
        };
        let resp = app
            .get("/api/v1/favourites?limit=2", Some(&alice.token))
            .await;
        let next = link(&resp, "next", &app.url).unwrap();
        let prev = link(&resp, "prev", &app.url).unwrap();
        let page = json(resp, StatusCode::OK).await;
        assert_eq!(ids(&page), vec![s[1].clone(), s[2].clone()]);
        assert_eq!(
            next,
            format!("/api/v1/favourites?limit=2&max_id={}", fav_of(&s[2]).await)
        );
        assert_eq!(
            prev,
            format!("/api/v1/favourites?limit=2&min_id={}", fav_of(&s[1]).await)
        );
        let resp = app.get(&next, Some(&alice.token)).await;
        let back = link(&resp, "prev", &app.url).unwrap();
        let page = json(resp, StatusCode::OK).await;
        assert_eq!(ids(&page), vec![s[0].clone()]);
        let page = json(app.get(&back, Some(&alice.token)).await, StatusCode::OK).await;
        assert_eq!(ids(&page), vec![s[1].clone(), s[2].clone()]);
        let (_, empty) = get_json(
            &app,
            &format!("/api/v1/favourites?max_id={}", fav_of(&s[0]).await),
            Some(&alice.token),
        )
        .await;
        assert_eq!(empty, serde_json::json!([]));

        // Own statuses carry `pinned`, as in the reference recording.
        let own = say(&app, &alice, "mine").await;
        act(
            &app,
            &format!("/api/v1/statuses/{}/favourite", own["id"].as_str().unwrap()),
            Some(&alice.token),
        )
        .await;
        let (_, list) = get_json(&app, "/api/v1/favourites?limit=1", Some(&alice.token)).await;
        assert_shape("GET /api/v1/favourites 200", &list);
        assert_shape("GET /api/v1/bookmarks 200", &list);
        assert_eq!(list[0]["favourited"], true);

        let bookmarks_only = member_with_scopes(&app, "marks", "read:bookmarks").await;
        error(
            app.get("/api/v1/favourites", Some(&bookmarks_only.token))
                .await,
            StatusCode::FORBIDDEN,
        )
        .await;
        error(
            app.get("/api/v1/favourites", None).await,
            StatusCode::UNAUTHORIZED,
        )
        .await;
        let (code, _) = get_json(&app, "/api/v1/bookmarks", Some(&bookmarks_only.token)).await;
        assert_eq!(code, StatusCode::OK);
    })
    .await;
}

#[tokio::test]
async fn bookmarks_list_skips_what_is_no_longer_visible() {
    each_backend(|app| async move {
        let alice = member(&app, "alice").await;
        let bob = member(&app, "bob").await;
        follow(&app, &alice, &bob, false).await;
        let public = say(&app, &bob, "public").await;
        let private = say_as(&app, &bob, "followers", "private").await;
        let own = say(&app, &alice, "own").await;
        for s in [&public, &private, &own] {
            let (code, _) = act(
                &app,
                &format!("/api/v1/statuses/{}/bookmark", s["id"].as_str().unwrap()),
                Some(&alice.token),
            )
            .await;
            assert_eq!(code, StatusCode::OK);
        }
        let (code, list) = get_json(&app, "/api/v1/bookmarks", Some(&alice.token)).await;
        assert_eq!(code, StatusCode::OK);
        assert_shape(
            "GET /api/v1/bookmarks 200",
            &serde_json::json!([list[0].clone()]),
        );
        assert_eq!(list.as_array().unwrap().len(), 3);
        assert!(
            list.as_array()
                .unwrap()
                .iter()
                .all(|s| s["bookmarked"] == true)
        );

        // After unfollowing, the followers-only post drops out; pages still continue past it.
        exec(
            &app,
            "DELETE FROM follows WHERE account_id = $1",
            &[num(&alice.account_id)],
            &[],
        )
        .await;
        let resp = app
            .get("/api/v1/bookmarks?limit=2", Some(&alice.token))
            .await;
        let next = link(&resp, "next", &app.url).unwrap();
        let page = json(resp, StatusCode::OK).await;
        assert_eq!(ids(&page), vec![own["id"].as_str().unwrap().to_owned()]);
        let page = json(app.get(&next, Some(&alice.token)).await, StatusCode::OK).await;
        assert_eq!(ids(&page), vec![public["id"].as_str().unwrap().to_owned()]);
    })
    .await;
}

#[tokio::test]
async fn favourited_by_paginates_and_hides_blocked_and_muted() {
    each_backend(|app| async move {
        let alice = member(&app, "alice").await;
        let s = say(&app, &alice, "popular").await;
        let id = s["id"].as_str().unwrap().to_owned();
        let mut fans = Vec::new();
        for name in ["f1", "f2", "f3", "f4"] {
            let u = member(&app, name).await;
            act(
                &app,
                &format!("/api/v1/statuses/{id}/favourite"),
                Some(&u.token),
            )
            .await;
            act(
                &app,
                &format!("/api/v1/statuses/{id}/reblog"),
                Some(&u.token),
            )
            .await;
            fans.push(u);
        }
        let names = |v: &Value| -> Vec<String> {
            v.as_array()
                .unwrap()
                .iter()
                .map(|a| a["username"].as_str().unwrap().to_owned())
                .collect()
        };
        for list in ["favourited_by", "reblogged_by"] {
            let resp = app
                .get(&format!("/api/v1/statuses/{id}/{list}?limit=3"), None)
                .await;
            let next = link(&resp, "next", &app.url).unwrap();
            let page = json(resp, StatusCode::OK).await;
            assert_eq!(names(&page), vec!["f4", "f3", "f2"], "{list}");
            let page = json(app.get(&next, None).await, StatusCode::OK).await;
            assert_eq!(names(&page), vec!["f1"], "{list}");
        }
        mute(&app, &alice, &fans[0]).await;
        block(&app, &alice, &fans[1]).await;
        block(&app, &fans[2], &alice).await;
        for list in ["favourited_by", "reblogged_by"] {
            let (_, page) = get_json(
                &app,
                &format!("/api/v1/statuses/{id}/{list}"),
                Some(&alice.token),
            )
            .await;
            assert_eq!(names(&page), vec!["f4"], "{list}");
            let (_, page) = get_json(&app, &format!("/api/v1/statuses/{id}/{list}"), None).await;
            assert_eq!(page.as_array().unwrap().len(), 4, "{list}");
        }
        error(
            app.get("/api/v1/statuses/123/favourited_by", None).await,
            StatusCode::NOT_FOUND,
        )
        .await;
    })
    .await;
}
