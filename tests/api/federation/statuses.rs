//! Notes, their activities and collections, boosts, and the status page.

use super::*;

const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";

fn keys(v: &Value) -> Vec<String> {
    let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
    k.sort();
    k
}

#[tokio::test]
async fn notes_are_addressed_by_visibility() {
    each_backend(|app| async move {
        let alice = app.user("alice").await;
        app.user("bob").await;
        let carol = app.user("carol").await;
        follow(&app, &carol, &alice).await;
        let alice_uri = actor_uri(&app, "alice");
        let followers = format!("{alice_uri}/followers");
        let bob_uri = actor_uri(&app, "bob");
        let text = "hi @bob #Rust";
        let public = post_with(
            &app,
            &alice,
            json!({ "status": text, "visibility": "public", "language": "en" }),
        )
        .await;
        let unlisted = post(&app, &alice, text, "unlisted").await;
        let private = post(&app, &alice, text, "private").await;
        let direct = post(&app, &alice, text, "direct").await;

        let id = public["id"].as_str().unwrap();
        let uri = format!("{alice_uri}/statuses/{id}");
        let (status, headers, note) = ap(&app, &format!("/users/alice/statuses/{id}")).await;
        assert_eq!(status, StatusCode::OK, "{note}");
        assert_eq!(
            headers["content-type"],
            "application/activity+json; charset=utf-8"
        );
        assert_eq!(headers["vary"], "Accept");
        assert_eq!(
            keys(&note),
            [
                "@context",
                "atomUri",
                "attachment",
                "attributedTo",
                "cc",
                "content",
                "contentMap",
                "conversation",
                "id",
                "inReplyTo",
                "inReplyToAtomUri",
                "interactionPolicy",
                "likes",
                "published",
                "replies",
                "sensitive",
                "shares",
                "summary",
                "tag",
                "to",
                "type",
                "url",
            ]
        );
        assert_eq!(note["id"], uri);
        assert_eq!(note["type"], "Note");
        assert_eq!(note["summary"], Value::Null);
        assert_eq!(note["inReplyTo"], Value::Null);
        assert_eq!(note["url"], format!("{}/@alice/{id}", app.url));
        assert_eq!(note["attributedTo"], alice_uri);
        assert_eq!(note["to"], json!([PUBLIC]));
        assert_eq!(note["cc"], json!([followers, bob_uri]));
        assert_eq!(note["sensitive"], false);
        assert_eq!(note["atomUri"], uri);
        let conversation = note["conversation"].as_str().unwrap();
        assert!(
            conversation.starts_with(&format!("tag:{},", domain(&app)))
                && conversation.ends_with(&format!(":objectId={id}:objectType=Conversation")),
            "{conversation}"
        );
        assert_eq!(note["content"], public["content"]);
        assert_eq!(note["contentMap"], json!({ "en": public["content"] }));
        assert_eq!(note["attachment"], json!([]));
        assert_eq!(
            note["tag"],
            json!([
                { "type": "Mention", "href": bob_uri, "name": "@bob" },
                { "type": "Hashtag", "href": format!("{}/tags/rust", app.url), "name": "#Rust" },
            ])
        );
        assert_eq!(
            note["replies"],
            json!({
                "id": format!("{uri}/replies"),
                "type": "Collection",
                "first": {
                    "type": "CollectionPage",
                    "next": format!("{uri}/replies?only_other_accounts=true&page=true"),
                    "partOf": format!("{uri}/replies"),
                    "items": [],
                },
            })
        );
        assert_eq!(
            note["likes"],
            json!({ "id": format!("{uri}/likes"), "type": "Collection", "totalItems": 0 })
        );
        assert_eq!(
            note["interactionPolicy"],
            json!({ "canQuote": { "automaticApproval": [PUBLIC] } })
        );
        let ctx = &note["@context"];
        assert_eq!(ctx[0], "https://www.w3.org/ns/activitystreams");
        for (term, def) in [
            ("ostatus", json!("http://ostatus.org#")),
            ("atomUri", json!("ostatus:atomUri")),
            ("inReplyToAtomUri", json!("ostatus:inReplyToAtomUri")),
            ("conversation", json!("ostatus:conversation")),
            ("sensitive", json!("as:sensitive")),
            ("toot", json!("http://joinmastodon.org/ns#")),
            ("votersCount", json!("toot:votersCount")),
            ("Hashtag", json!("as:Hashtag")),
        ] {
            assert_eq!(ctx[1][term], def, "@context term {term}");
        }

        // The same Note on the status page URL, for ActivityPub clients.
        let same = ap_ok(&app, &format!("/@alice/{id}")).await;
        assert_eq!(same, note);

        let id = unlisted["id"].as_str().unwrap();
        let note = ap_ok(&app, &format!("/users/alice/statuses/{id}")).await;
        assert_eq!(note["to"], json!([followers]));
        assert_eq!(note["cc"], json!([PUBLIC, bob_uri]));

        // Followers-only and direct statuses never reach an unsigned request.
        for s in [&private, &direct] {
            let id = s["id"].as_str().unwrap();
            for path in [
                format!("/users/alice/statuses/{id}"),
                format!("/@alice/{id}"),
                format!("/users/alice/statuses/{id}/activity"),
                format!("/users/alice/statuses/{id}/replies"),
                format!("/users/alice/statuses/{id}/likes"),
                format!("/users/alice/statuses/{id}/shares"),
            ] {
                let (status, _, _) = ap(&app, &path).await;
                assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
            }
            let (status, _, html) = page(&app, &format!("/@alice/{id}")).await;
            assert_eq!(status, StatusCode::NOT_FOUND);
            assert!(!html.contains("hi @"), "{html}");
        }
        // A status under someone else's name does not exist.
        let id = public["id"].as_str().unwrap();
        let (status, _, _) = ap(&app, &format!("/users/bob/statuses/{id}")).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    })
    .await;
}

#[tokio::test]
async fn create_activity_wraps_the_note() {
    each_backend(|app| async move {
        let alice = app.user("alice").await;
        let s = post(&app, &alice, "hello", "unlisted").await;
        let id = s["id"].as_str().unwrap();
        let uri = format!("{}/statuses/{id}", actor_uri(&app, "alice"));
        let v = ap_ok(&app, &format!("/users/alice/statuses/{id}/activity")).await;
        assert_eq!(v["id"], format!("{uri}/activity"));
        assert_eq!(v["type"], "Create");
        assert_eq!(v["actor"], actor_uri(&app, "alice"));
        assert_eq!(v["to"], v["object"]["to"]);
        assert_eq!(v["cc"], v["object"]["cc"]);
        assert_eq!(v["published"], v["object"]["published"]);
        assert_eq!(v["object"]["id"], uri);
        assert_eq!(v["object"]["type"], "Note");
        assert!(v["@context"][1]["atomUri"].is_string());
        assert!(v["object"].get("@context").is_none());
    })
    .await;
}

#[tokio::test]
async fn replies_edits_and_deletes() {
    each_backend(|app| async move {
        let alice = app.user("alice").await;
        let bob = app.user("bob").await;
        let root = post(&app, &alice, "root", "public").await;
        let root_id = root["id"].as_str().unwrap();
        let root_uri = format!("{}/statuses/{root_id}", actor_uri(&app, "alice"));
        let own = post_with(
            &app,
            &alice,
            json!({ "status": "thread", "visibility": "public", "in_reply_to_id": root_id }),
        )
        .await;
        let other = post_with(
            &app,
            &bob,
            json!({ "status": "@alice hi", "visibility": "unlisted", "in_reply_to_id": root_id }),
        )
        .await;
        let own_uri = format!(
            "{}/statuses/{}",
            actor_uri(&app, "alice"),
            own["id"].as_str().unwrap()
        );

        let note = ap_ok(&app, &format!("/users/alice/statuses/{root_id}")).await;
        assert_eq!(note["replies"]["first"]["items"], json!([own_uri]));
        assert_eq!(
            note["replies"]["first"]["next"],
            format!(
                "{root_uri}/replies?min_id={}&page=true",
                own["id"].as_str().unwrap()
            )
        );
        let reply = ap_ok(
            &app,
            &format!("/users/bob/statuses/{}", other["id"].as_str().unwrap()),
        )
        .await;
        assert_eq!(reply["inReplyTo"], root_uri);
        assert_eq!(reply["inReplyToAtomUri"], root_uri);
        assert_eq!(reply["conversation"], note["conversation"]);
        assert_eq!(reply["cc"][0], json!(PUBLIC));

        // The replies collection: the author's thread first, then other people's replies.
        let coll = ap_ok(&app, &format!("/users/alice/statuses/{root_id}/replies")).await;
        assert_eq!(coll["type"], "Collection");
        assert_eq!(coll["id"], format!("{root_uri}/replies"));
        assert_eq!(coll["first"]["type"], "CollectionPage");
        assert_eq!(coll["first"]["items"][0]["id"], own_uri);
        assert_eq!(
            coll["first"]["next"],
            format!("{root_uri}/replies?only_other_accounts=true&page=true")
        );
        let others = ap_ok(
            &app,
            &format!("/users/alice/statuses/{root_id}/replies?only_other_accounts=true&page=true"),
        )
        .await;
        assert_eq!(others["type"], "CollectionPage");
        assert_eq!(others["partOf"], format!("{root_uri}/replies"));
        assert_eq!(others["items"].as_array().unwrap().len(), 1);
        assert_eq!(others["items"][0]["attributedTo"], actor_uri(&app, "bob"));
        assert!(others.get("next").is_none());

        // Edits carry `updated`.
        let resp = app
            .req(Method::PUT, &format!("/api/v1/statuses/{root_id}"))
            .bearer_auth(&alice.token)
            .json(&json!({ "status": "root, edited" }))
            .send()
            .await
            .unwrap();
        json(resp, StatusCode::OK).await;
        let edited = ap_ok(&app, &format!("/users/alice/statuses/{root_id}")).await;
        assert!(edited["updated"].as_str().unwrap().ends_with('Z'));
        assert!(edited["content"].as_str().unwrap().contains("root, edited"));

        // Likes count favourites.
        json(
            app.post_empty(
                &format!("/api/v1/statuses/{root_id}/favourite"),
                Some(&bob.token),
            )
            .await,
            StatusCode::OK,
        )
        .await;
        let likes = ap_ok(&app, &format!("/users/alice/statuses/{root_id}/likes")).await;
        assert_eq!(likes["totalItems"], 1);

        // Deleted statuses are gone.
        let resp = app
            .req(Method::DELETE, &format!("/api/v1/statuses/{root_id}"))
            .bearer_auth(&alice.token)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        let (status, _, _) = ap(&app, &format!("/users/alice/statuses/{root_id}")).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _, _) = page(&app, &format!("/@alice/{root_id}")).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    })
    .await;
}

#[tokio::test]
async fn boosts_are_announces() {
    each_backend(|app| async move {
        let alice = app.user("alice").await;
        let bob = app.user("bob").await;
        let s = post(&app, &alice, "boost me", "public").await;
        let id = s["id"].as_str().unwrap();
        let boost = json(
            app.post_empty(&format!("/api/v1/statuses/{id}/reblog"), Some(&bob.token))
                .await,
            StatusCode::OK,
        )
        .await;
        let bid = boost["id"].as_str().unwrap();
        let bob_uri = actor_uri(&app, "bob");
        let announce_id = format!("{bob_uri}/statuses/{bid}/activity");
        assert_eq!(boost["uri"], announce_id);
        let v = ap_ok(&app, &announce_id).await;
        assert_eq!(
            v,
            json!({
                "@context": "https://www.w3.org/ns/activitystreams",
                "id": announce_id,
                "type": "Announce",
                "actor": bob_uri,
                "published": v["published"],
                "to": [PUBLIC],
                "cc": [actor_uri(&app, "alice"), format!("{bob_uri}/followers")],
                "object": format!("{}/statuses/{id}", actor_uri(&app, "alice")),
            })
        );
        // A boost's document and page lead to the boosted status.
        let (status, headers, _) = ap(&app, &format!("/users/bob/statuses/{bid}")).await;
        assert_eq!(status, StatusCode::FOUND);
        assert_eq!(headers["location"], format!("{}/@alice/{id}", app.url));
        let (status, headers, _) = page(&app, &format!("/@bob/{bid}")).await;
        assert_eq!(status, StatusCode::FOUND);
        assert_eq!(headers["location"], format!("{}/@alice/{id}", app.url));
        // Shares count boosts.
        let shares = ap_ok(&app, &format!("/users/alice/statuses/{id}/shares")).await;
        assert_eq!(shares["totalItems"], 1);
    })
    .await;
}

#[tokio::test]
async fn status_page_escapes_user_text() {
    each_backend(|app| async move {
        let eve = app.user("eve").await;
        update_profile(&app, &eve, json!({ "display_name": "<b>Eve</b>" })).await;
        let s = post_with(
            &app,
            &eve,
            json!({
                "status": "<script>alert(1)</script> & more",
                "visibility": "public",
                "spoiler_text": "<i>careful</i>",
            }),
        )
        .await;
        let id = s["id"].as_str().unwrap();
        // Browsers on the ActivityPub id are sent to the page.
        let (status, headers, _) = page(&app, &format!("/users/eve/statuses/{id}")).await;
        assert_eq!(status, StatusCode::MOVED_PERMANENTLY);
        assert_eq!(headers["location"], format!("{}/@eve/{id}", app.url));
        assert_eq!(headers["vary"], "Accept");
        let (status, headers, html) = page(&app, &format!("/@eve/{id}")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(headers["vary"], "Accept");
        for raw in ["<script>", "<i>careful</i>", "<b>Eve</b>"] {
            assert!(!html.contains(raw), "unescaped {raw:?} in {html}");
        }
        assert!(html.contains("&amp; more"), "{html}");
        assert!(html.contains(&format!("href=\"{}/users/eve/statuses/{id}\"", app.url)));
    })
    .await;
}
