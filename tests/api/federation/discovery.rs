//! WebFinger and host-meta.

use super::*;

async fn webfinger(app: &TestApp, resource: Option<&str>) -> Response {
    let mut r = app.req(Method::GET, "/.well-known/webfinger");
    if let Some(res) = resource {
        r = r.query(&[("resource", res)]);
    }
    r.send().await.unwrap()
}

async fn jrd(app: &TestApp, resource: &str) -> Value {
    let resp = webfinger(app, Some(resource)).await;
    assert_eq!(resp.status(), StatusCode::OK, "{resource}");
    assert_eq!(
        resp.headers()["content-type"],
        "application/jrd+json; charset=utf-8"
    );
    resp.json().await.unwrap()
}

#[tokio::test]
async fn webfinger_resolves_local_accounts() {
    each_backend(|app| async move {
        app.user("Alice").await;
        let d = domain(&app);
        let actor = actor_uri(&app, "Alice");
        let profile = format!("{}/@Alice", app.url);
        let expected = json!({
            "subject": format!("acct:Alice@{d}"),
            "aliases": [profile, actor],
            "links": [
                { "rel": "http://webfinger.net/rel/profile-page", "type": "text/html", "href": profile },
                { "rel": "self", "type": "application/activity+json", "href": actor },
                {
                    "rel": "http://ostatus.org/schema/1.0/subscribe",
                    "template": format!("{}/authorize_interaction?uri={{uri}}", app.url),
                },
            ],
        });
        // acct: in any case, with or without the scheme; the actor and profile URLs.
        for resource in [
            format!("acct:alice@{d}"),
            format!("acct:ALICE@{}", d.to_uppercase()),
            format!("aLiCe@{d}"),
            actor_uri(&app, "alice"),
            format!("{}/@alice", app.url),
        ] {
            assert_eq!(jrd(&app, &resource).await, expected, "{resource}");
        }
        // CORS, as Mastodon allows cross-origin WebFinger.
        let resp = app
            .req(Method::GET, "/.well-known/webfinger")
            .query(&[("resource", format!("acct:alice@{d}"))])
            .header("origin", "https://elsewhere.example")
            .send()
            .await
            .unwrap();
        assert_eq!(resp.headers()["access-control-allow-origin"], "*");
    })
    .await;
}

#[tokio::test]
async fn webfinger_refuses_what_is_not_ours() {
    each_backend(|app| async move {
        app.user("alice").await;
        let d = domain(&app);
        // Not confirmed yet: does not exist for others.
        woolly::service::accounts::create_local(
            &app.state.db,
            &app.state.config,
            woolly::service::accounts::NewLocalAccount {
                username: "pending".into(),
                email: "pending@example.com".into(),
                password: "password123".into(),
                role: "user".into(),
                confirmed: false,
                approved: true,
                locale: "en".into(),
                reason: None,
                sign_up_ip: None,
            },
        )
        .await
        .unwrap();
        for (resource, status) in [
            (format!("acct:nobody@{d}"), StatusCode::NOT_FOUND),
            (format!("acct:pending@{d}"), StatusCode::NOT_FOUND),
            (
                "acct:alice@elsewhere.example".to_owned(),
                StatusCode::NOT_FOUND,
            ),
            (
                "https://elsewhere.example/users/alice".to_owned(),
                StatusCode::NOT_FOUND,
            ),
            (
                format!("{}/users/alice/statuses/1", app.url),
                StatusCode::NOT_FOUND,
            ),
            ("alice".to_owned(), StatusCode::BAD_REQUEST),
            (String::new(), StatusCode::BAD_REQUEST),
        ] {
            let resp = webfinger(&app, Some(&resource)).await;
            assert_eq!(resp.status(), status, "{resource:?}");
        }
        let resp = webfinger(&app, None).await;
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    })
    .await;
}

#[tokio::test]
async fn webfinger_resolves_the_instance_actor() {
    each_backend(|app| async move {
        let d = domain(&app);
        let actor = format!("{}/actor", app.url);
        for resource in [format!("acct:{d}@{d}"), actor.clone()] {
            let v = jrd(&app, &resource).await;
            assert_eq!(v["subject"], format!("acct:{d}@{d}"));
            assert_eq!(v["aliases"], json!([actor]));
            assert_eq!(v["links"][1]["rel"], "self");
            assert_eq!(v["links"][1]["href"], actor);
        }
    })
    .await;
}

#[tokio::test]
async fn host_meta_points_at_webfinger() {
    each_backend(|app| async move {
        let template = format!("{}/.well-known/webfinger?resource={{uri}}", app.url);
        let resp = app.get("/.well-known/host-meta", None).await;
        assert_eq!(resp.status(), StatusCode::OK);
        assert_eq!(
            resp.headers()["content-type"],
            "application/xrd+xml; charset=utf-8"
        );
        let xml = resp.text().await.unwrap();
        assert!(xml.starts_with("<?xml"), "{xml}");
        assert!(
            xml.contains(&format!("<Link rel=\"lrdd\" template=\"{template}\"/>")),
            "{xml}"
        );
        let v = json(
            app.get("/.well-known/host-meta.json", None).await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(
            v,
            json!({ "links": [{ "rel": "lrdd", "template": template }] })
        );
    })
    .await;
}
