//! The outbox, followers and following, featured statuses and featured tags.

use super::*;

#[tokio::test]
async fn outbox_pages_public_activities_newest_first() {
    each_backend(|app| async move {
        let alice = app.user("alice").await;
        let bob = app.user("bob").await;
        let mut public_ids = Vec::new();
        for i in 0..22 {
            let s = post(&app, &alice, &format!("post {i}"), "public").await;
            public_ids.push(num(&s["id"]));
        }
        let unlisted = post(&app, &alice, "unlisted", "unlisted").await;
        public_ids.push(num(&unlisted["id"]));
        let private = post(&app, &alice, "private", "private").await;
        let direct = post(&app, &alice, "direct @bob", "direct").await;
        let theirs = post(&app, &bob, "bob's", "public").await;
        let boost = json(
            app.post_empty(
                &format!("/api/v1/statuses/{}/reblog", theirs["id"].as_str().unwrap()),
                Some(&alice.token),
            )
            .await,
            StatusCode::OK,
        )
        .await;
        public_ids.push(num(&boost["id"]));
        public_ids.reverse();

        let outbox = format!("{}/outbox", actor_uri(&app, "alice"));
        let me = json(
            app.get("/api/v1/accounts/verify_credentials", Some(&alice.token))
                .await,
            StatusCode::OK,
        )
        .await;
        let summary = ap_ok(&app, "/users/alice/outbox").await;
        assert_eq!(
            summary,
            json!({
                "@context": "https://www.w3.org/ns/activitystreams",
                "id": outbox,
                "type": "OrderedCollection",
                "totalItems": me["statuses_count"],
                "first": format!("{outbox}?page=true"),
                "last": format!("{outbox}?min_id=0&page=true"),
            })
        );

        let first = ap_ok(&app, &format!("{outbox}?page=true")).await;
        assert_eq!(first["type"], "OrderedCollectionPage");
        assert_eq!(first["id"], format!("{outbox}?page=true"));
        assert_eq!(first["partOf"], outbox);
        let items = first["orderedItems"].as_array().unwrap();
        assert_eq!(items.len(), 20);
        // The newest is the boost.
        assert_eq!(items[0]["type"], "Announce");
        assert_eq!(items[0]["id"], boost["uri"]);
        assert_eq!(items[1]["type"], "Create");
        assert_eq!(items[1]["object"]["type"], "Note");
        assert!(first["@context"][1]["atomUri"].is_string());
        assert_eq!(
            first["prev"],
            format!("{outbox}?min_id={}&page=true", public_ids[0])
        );
        let next = first["next"].as_str().unwrap().to_owned();
        assert_eq!(
            next,
            format!("{outbox}?max_id={}&page=true", public_ids[19])
        );

        let second = ap_ok(&app, &next).await;
        assert_eq!(second["id"], next);
        let rest = second["orderedItems"].as_array().unwrap();
        assert_eq!(rest.len(), public_ids.len() - 20);
        assert!(second.get("next").is_none());
        let mut seen: Vec<String> = items
            .iter()
            .chain(rest)
            .map(|a| a["id"].as_str().unwrap().to_owned())
            .collect();
        let expected: Vec<String> = public_ids
            .iter()
            .map(|id| {
                if *id == num(&boost["id"]) {
                    boost["uri"].as_str().unwrap().to_owned()
                } else {
                    format!("{}/statuses/{id}/activity", actor_uri(&app, "alice"))
                }
            })
            .collect();
        assert_eq!(seen, expected);
        // Nothing followers-only or direct, on any page.
        for hidden in [&private, &direct] {
            let id = hidden["id"].as_str().unwrap();
            assert!(
                !seen.iter().any(|s| s.contains(id)),
                "{id} leaked into the outbox"
            );
        }
        // `last` is the oldest page.
        let last = ap_ok(&app, &format!("{outbox}?min_id=0&page=true")).await;
        let oldest = last["orderedItems"].as_array().unwrap();
        assert_eq!(oldest.len(), 20);
        seen.reverse();
        assert_eq!(oldest.last().unwrap()["id"], seen[0].as_str());
    })
    .await;
}

#[tokio::test]
async fn followers_and_following_are_counted_and_paged() {
    each_backend(|app| async move {
        let alice = app.user("alice").await;
        let mut fans = Vec::new();
        for i in 0..13 {
            let u = app.user(&format!("fan{i}")).await;
            follow(&app, &u, &alice).await;
            fans.push(u);
        }
        let followers = format!("{}/followers", actor_uri(&app, "alice"));
        let summary = ap_ok(&app, "/users/alice/followers").await;
        assert_eq!(
            summary,
            json!({
                "@context": "https://www.w3.org/ns/activitystreams",
                "id": followers,
                "type": "OrderedCollection",
                "totalItems": 13,
                "first": format!("{followers}?page=1"),
            })
        );
        let p1 = ap_ok(&app, &format!("{followers}?page=1")).await;
        assert_eq!(p1["type"], "OrderedCollectionPage");
        assert_eq!(p1["id"], format!("{followers}?page=1"));
        assert_eq!(p1["totalItems"], 13);
        assert_eq!(p1["partOf"], followers);
        assert_eq!(p1["next"], format!("{followers}?page=2"));
        assert!(p1.get("prev").is_none());
        let items = p1["orderedItems"].as_array().unwrap();
        assert_eq!(items.len(), 12);
        assert_eq!(items[0], actor_uri(&app, "fan12"));
        let p2 = ap_ok(&app, &format!("{followers}?page=2")).await;
        assert_eq!(p2["orderedItems"], json!([actor_uri(&app, "fan0")]));
        assert_eq!(p2["prev"], format!("{followers}?page=1"));
        assert!(p2.get("next").is_none());

        let following = ap_ok(&app, "/users/fan3/following?page=1").await;
        assert_eq!(following["totalItems"], 1);
        assert_eq!(following["orderedItems"], json!([actor_uri(&app, "alice")]));
        let alice_following = ap_ok(&app, "/users/alice/following").await;
        assert_eq!(alice_following["totalItems"], 0);

        // Hidden collections show only their size.
        update_profile(&app, &alice, json!({ "hide_collections": true })).await;
        let hidden = ap_ok(&app, "/users/alice/followers").await;
        assert_eq!(
            hidden,
            json!({
                "@context": "https://www.w3.org/ns/activitystreams",
                "id": followers,
                "type": "OrderedCollection",
                "totalItems": 13,
            })
        );
        let (status, _, body) = ap(&app, &format!("{followers}?page=1")).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        let (status, _, _) = ap(&app, "/users/alice/following?page=1").await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    })
    .await;
}

#[tokio::test]
async fn featured_statuses_and_tags() {
    each_backend(|app| async move {
        let alice = app.user("alice").await;
        let public = post(&app, &alice, "pinned #one", "public").await;
        let private = post(&app, &alice, "pinned, followers only", "private").await;
        for s in [&public, &private] {
            json(
                app.post_empty(
                    &format!("/api/v1/statuses/{}/pin", s["id"].as_str().unwrap()),
                    Some(&alice.token),
                )
                .await,
                StatusCode::OK,
            )
            .await;
        }
        let alice_uri = actor_uri(&app, "alice");
        let v = ap_ok(&app, "/users/alice/collections/featured").await;
        assert_eq!(v["id"], format!("{alice_uri}/collections/featured"));
        assert_eq!(v["type"], "OrderedCollection");
        assert_eq!(v["totalItems"], 2);
        let items = v["orderedItems"].as_array().unwrap();
        // Most recently pinned first; a followers-only pin appears only as its id.
        assert_eq!(
            items[0],
            format!("{alice_uri}/statuses/{}", private["id"].as_str().unwrap())
        );
        assert_eq!(items[1]["type"], "Note");
        assert_eq!(
            items[1]["id"],
            format!("{alice_uri}/statuses/{}", public["id"].as_str().unwrap())
        );
        assert_eq!(v["@context"][1]["Hashtag"], "as:Hashtag");

        let tags = ap_ok(&app, "/users/alice/collections/tags").await;
        assert_eq!(
            tags,
            json!({
                "@context": "https://www.w3.org/ns/activitystreams",
                "id": format!("{alice_uri}/collections/tags"),
                "type": "Collection",
                "totalItems": 0,
                "items": [],
            })
        );
    })
    .await;
}
