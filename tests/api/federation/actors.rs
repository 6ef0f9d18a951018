//! Actor documents, content negotiation, the profile page and the instance actor.

use super::*;

fn keys(v: &Value) -> Vec<String> {
    let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
    k.sort();
    k
}

#[tokio::test]
async fn actor_document_is_mastodons() {
    each_backend(|app| async move {
        let alice = app.user("alice").await;
        update_profile(
            &app,
            &alice,
            json!({
                "display_name": "Alice A.",
                "note": "Hello #world",
                "locked": true,
                "fields_attributes": [{ "name": "Site", "value": "https://alice.example" }],
            }),
        )
        .await;
        let (status, headers, v) = ap(&app, "/users/alice").await;
        assert_eq!(status, StatusCode::OK, "{v}");
        assert_eq!(
            headers["content-type"],
            "application/activity+json; charset=utf-8"
        );
        assert_eq!(headers["vary"], "Accept");
        let id = actor_uri(&app, "alice");
        // Exactly the keys a Mastodon actor without avatar, header or move has.
        assert_eq!(
            keys(&v),
            [
                "@context",
                "attachment",
                "discoverable",
                "endpoints",
                "featured",
                "featuredTags",
                "followers",
                "following",
                "id",
                "inbox",
                "indexable",
                "manuallyApprovesFollowers",
                "memorial",
                "name",
                "outbox",
                "preferredUsername",
                "publicKey",
                "published",
                "summary",
                "tag",
                "type",
                "url",
            ]
        );
        assert_eq!(v["id"], id);
        assert_eq!(v["type"], "Person");
        assert_eq!(v["following"], format!("{id}/following"));
        assert_eq!(v["followers"], format!("{id}/followers"));
        assert_eq!(v["inbox"], format!("{id}/inbox"));
        assert_eq!(v["outbox"], format!("{id}/outbox"));
        assert_eq!(v["featured"], format!("{id}/collections/featured"));
        assert_eq!(v["featuredTags"], format!("{id}/collections/tags"));
        assert_eq!(v["preferredUsername"], "alice");
        assert_eq!(v["name"], "Alice A.");
        assert!(v["summary"].as_str().unwrap().starts_with("<p>Hello "));
        assert_eq!(v["url"], format!("{}/@alice", app.url));
        assert_eq!(v["manuallyApprovesFollowers"], true);
        assert_eq!(v["discoverable"], true);
        assert_eq!(v["indexable"], false);
        assert_eq!(v["memorial"], false);
        let published = v["published"].as_str().unwrap();
        assert!(published.ends_with("T00:00:00Z"), "{published}");
        // Hashtags of the bio are the account's tags.
        assert_eq!(
            v["tag"],
            json!([{ "type": "Hashtag", "href": format!("{}/tags/world", app.url), "name": "#world" }])
        );
        assert_eq!(v["attachment"][0]["type"], "PropertyValue");
        assert_eq!(v["attachment"][0]["name"], "Site");
        assert!(
            v["attachment"][0]["value"]
                .as_str()
                .unwrap()
                .contains("href=\"https://alice.example\"")
        );
        assert_eq!(
            v["endpoints"],
            json!({ "sharedInbox": format!("{}/inbox", app.url) })
        );
        let stored = woolly::db::accounts::find_by_username(
            app.state.db.read().await.unwrap().conn(),
            "alice",
            None,
        )
        .await
        .unwrap()
        .unwrap();
        assert_eq!(
            v["publicKey"],
            json!({
                "id": format!("{id}#main-key"),
                "owner": id,
                "publicKeyPem": stored.public_key_pem,
            })
        );
        assert!(stored.public_key_pem.starts_with("-----BEGIN PUBLIC KEY-----"));
        let ctx = &v["@context"];
        assert_eq!(ctx[0], "https://www.w3.org/ns/activitystreams");
        assert_eq!(ctx[1], "https://w3id.org/security/v1");
        for (term, def) in [
            ("manuallyApprovesFollowers", json!("as:manuallyApprovesFollowers")),
            ("toot", json!("http://joinmastodon.org/ns#")),
            ("featured", json!({ "@id": "toot:featured", "@type": "@id" })),
            ("featuredTags", json!({ "@id": "toot:featuredTags", "@type": "@id" })),
            ("alsoKnownAs", json!({ "@id": "as:alsoKnownAs", "@type": "@id" })),
            ("movedTo", json!({ "@id": "as:movedTo", "@type": "@id" })),
            ("schema", json!("http://schema.org#")),
            ("PropertyValue", json!("schema:PropertyValue")),
            ("value", json!("schema:value")),
            ("discoverable", json!("toot:discoverable")),
            ("indexable", json!("toot:indexable")),
            ("memorial", json!("toot:memorial")),
            ("suspended", json!("toot:suspended")),
            ("Hashtag", json!("as:Hashtag")),
        ] {
            assert_eq!(ctx[2][term], def, "@context term {term}");
        }
    })
    .await;
}

#[tokio::test]
async fn bots_are_services() {
    each_backend(|app| async move {
        let bot = app.user("beep").await;
        update_profile(&app, &bot, json!({ "bot": true })).await;
        let v = ap_ok(&app, "/users/beep").await;
        assert_eq!(v["type"], "Service");
        // An empty display name falls back to the username.
        assert_eq!(v["name"], "beep");
    })
    .await;
}

#[tokio::test]
async fn content_negotiation() {
    each_backend(|app| async move {
        app.user("alice").await;
        // A browser on the actor id is sent to the profile page.
        let (status, headers, _) = page(&app, "/users/alice").await;
        assert_eq!(status, StatusCode::MOVED_PERMANENTLY);
        assert_eq!(headers["location"], format!("{}/@alice", app.url));
        assert_eq!(headers["vary"], "Accept");
        // No Accept at all is a browser too.
        let resp = app.get("/users/alice", None).await;
        assert_eq!(resp.status(), StatusCode::MOVED_PERMANENTLY);
        // ActivityPub clients get the actor on either URL, with either media type.
        for accept in [
            "application/activity+json",
            "application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\"",
            "application/ld+json",
        ] {
            for path in ["/users/alice", "/@alice"] {
                let resp = get_accept(&app, path, accept).await;
                assert_eq!(resp.status(), StatusCode::OK, "{path} {accept}");
                assert_eq!(
                    resp.headers()["content-type"],
                    "application/activity+json; charset=utf-8"
                );
                let v: Value = resp.json().await.unwrap();
                assert_eq!(v["id"], actor_uri(&app, "alice"));
            }
        }
        // The profile page.
        let (status, headers, html) = page(&app, "/@alice").await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            headers["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
        assert_eq!(headers["vary"], "Accept");
        assert!(
            html.contains(&format!(
                "<link rel=\"alternate\" type=\"application/activity+json\" href=\"{}\">",
                actor_uri(&app, "alice")
            )),
            "{html}"
        );
        assert!(html.contains(&format!("@alice@{}", domain(&app))));
        // Unknown accounts.
        let (status, _, _) = page(&app, "/@nobody").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, headers, body) = ap(&app, "/users/nobody").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(headers["vary"], "Accept");
        assert_eq!(body["error"], "Record not found");
    })
    .await;
}

#[tokio::test]
async fn profile_page_lists_public_posts_and_escapes_user_text() {
    each_backend(|app| async move {
        let eve = app.user("eve").await;
        update_profile(
            &app,
            &eve,
            json!({
                "display_name": "<script>alert('name')</script>",
                "note": "<img src=x onerror=alert(1)>",
                "fields_attributes": [{ "name": "<b>field</b>", "value": "<i>v</i>" }],
            }),
        )
        .await;
        post_with(
            &app,
            &eve,
            json!({ "status": "public <em>one</em>", "visibility": "public", "spoiler_text": "<u>cw</u>" }),
        )
        .await;
        post(&app, &eve, "unlisted two", "unlisted").await;
        post(&app, &eve, "secret three", "private").await;
        post(&app, &eve, "direct four @eve", "direct").await;
        let (status, _, html) = page(&app, "/@eve").await;
        assert_eq!(status, StatusCode::OK);
        for raw in [
            "<script>alert",
            "<img src=x",
            "<b>field</b>",
            "<i>v</i>",
            "<em>one</em>",
            "<u>cw</u>",
        ] {
            assert!(!html.contains(raw), "unescaped {raw:?} in {html}");
        }
        assert!(html.contains("&lt;script&gt;") || html.contains("&#60;script&#62;"));
        assert!(html.contains("unlisted two"));
        assert!(!html.contains("secret three"));
        assert!(!html.contains("direct four"));
    })
    .await;
}

#[tokio::test]
async fn suspended_accounts_keep_an_emptied_actor() {
    each_backend(|app| async move {
        let alice = app.user("alice").await;
        update_profile(
            &app,
            &alice,
            json!({ "display_name": "Alice", "note": "bio" }),
        )
        .await;
        let s = post(&app, &alice, "hello", "public").await;
        exec(
            &app,
            "UPDATE accounts SET suspended_at = $1 WHERE id = $2",
            &[woolly::time::now_ms(), alice.account_id.parse().unwrap()],
        )
        .await;
        let v = ap_ok(&app, "/users/alice").await;
        assert_eq!(v["suspended"], true);
        assert_eq!(v["name"], "alice");
        assert_eq!(v["summary"], "");
        assert_eq!(v["attachment"], json!([]));
        assert!(v["publicKey"]["publicKeyPem"].is_string());
        for path in [
            "/users/alice/outbox".to_owned(),
            "/users/alice/followers".to_owned(),
            "/users/alice/collections/featured".to_owned(),
            format!("/users/alice/statuses/{}", s["id"].as_str().unwrap()),
        ] {
            let (status, _, _) = ap(&app, &path).await;
            assert_eq!(status, StatusCode::UNAVAILABLE_FOR_LEGAL_REASONS, "{path}");
        }
        let (status, _, _) = page(&app, "/@alice").await;
        assert_eq!(status, StatusCode::UNAVAILABLE_FOR_LEGAL_REASONS);
        // WebFinger still resolves it (Mastodon answers 410 only once the data is deleted).
        let resp = app
            .req(Method::GET, "/.well-known/webfinger")
            .query(&[("resource", format!("acct:alice@{}", domain(&app)))])
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
    })
    .await;
}

#[tokio::test]
async fn instance_actor_has_one_persistent_key() {
    each_backend(|app| async move {
        let v = ap_ok(&app, "/actor").await;
        let id = format!("{}/actor", app.url);
        assert_eq!(v["id"], id);
        assert_eq!(v["type"], "Application");
        assert_eq!(v["preferredUsername"], domain(&app));
        assert_eq!(v["inbox"], format!("{id}/inbox"));
        assert_eq!(v["outbox"], format!("{id}/outbox"));
        assert_eq!(v["manuallyApprovesFollowers"], true);
        assert_eq!(
            v["endpoints"],
            json!({ "sharedInbox": format!("{}/inbox", app.url) })
        );
        assert_eq!(v["publicKey"]["id"], format!("{id}#main-key"));
        assert_eq!(v["publicKey"]["owner"], id);
        let pem = v["publicKey"]["publicKeyPem"].as_str().unwrap().to_owned();
        assert!(pem.starts_with("-----BEGIN PUBLIC KEY-----"), "{pem}");
        // Browsers get the JSON too (there is no page), and the key never changes.
        let resp = get_accept(&app, "/actor", BROWSER).await;
        let again: Value = resp.json().await.unwrap();
        assert_eq!(again["publicKey"]["publicKeyPem"], pem.as_str());
        let keys = woolly::service::instance_actor::ensure(&app.state.db)
            .await
            .unwrap();
        assert_eq!(keys.public_key_pem, pem);
        assert!(
            keys.private_key_pem
                .starts_with("-----BEGIN PRIVATE KEY-----")
        );
        // It is not an account: nothing in account lists or counts.
        let (status, _, _) = ap(&app, &format!("/users/{}", domain(&app))).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let outbox = ap_ok(&app, "/actor/outbox").await;
        assert_eq!(outbox["type"], "OrderedCollection");
        assert_eq!(outbox["totalItems"], 0);
    })
    .await;
}
