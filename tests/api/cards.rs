//! Link previews: the first link of a status becomes its `card`, fetched once per URL by a
//! job, never from private addresses, never for a status with a content warning.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::*;
use crate::timelines::support::*;

/// A web site on loopback that counts the requests each page gets.
struct Site {
    base: String,
    hits: Arc<[AtomicUsize; 8]>,
}

const STORY: usize = 0;
const OEMBED: usize = 1;
const OTHER: usize = 2;
const PLAIN: usize = 3;
const BIG: usize = 4;
const SHARED: usize = 5;
const PICTURED: usize = 6;
const PICTURE: usize = 7;

impl Site {
    async fn start() -> Site {
        let hits: Arc<[AtomicUsize; 8]> = Arc::new(Default::default());
        let app = Router::new()
            .route(
                "/story",
                get(|State(h): State<Arc<[AtomicUsize; 8]>>| async move {
                    h[STORY].fetch_add(1, Ordering::SeqCst);
                    html(
                        r#"<html lang="en"><head><title>ignored</title>
                        <meta property="og:title" content="A story">
                        <meta property="og:description" content="What happened next">
                        <meta property="og:site_name" content="The Site">
                        <link rel="alternate" type="application/json+oembed" href="/oembed">
                        </head><body>…</body></html>"#
                            .to_string(),
                    )
                }),
            )
            .route(
                "/oembed",
                get(|State(h): State<Arc<[AtomicUsize; 8]>>| async move {
                    h[OEMBED].fetch_add(1, Ordering::SeqCst);
                    axum::Json(json!({
                        "type": "video", "version": "1.0", "title": "A story, the video",
                        "author_name": "Reporter", "author_url": "https://site.example/reporter",
                        "width": 480, "height": 270,
                        "html": "<iframe src=\"https://player.example/1\" width=\"480\" height=\"270\"></iframe><script>bad()</script>"
                    }))
                }),
            )
            .route(
                "/other",
                get(|State(h): State<Arc<[AtomicUsize; 8]>>| async move {
                    h[OTHER].fetch_add(1, Ordering::SeqCst);
                    html("<title>Another page</title>".to_string())
                }),
            )
            .route(
                "/shared",
                get(|State(h): State<Arc<[AtomicUsize; 8]>>| async move {
                    h[SHARED].fetch_add(1, Ordering::SeqCst);
                    html("<title>Everyone links this</title>".to_string())
                }),
            )
            .route(
                "/pictured",
                get(|State(h): State<Arc<[AtomicUsize; 8]>>| async move {
                    h[PICTURED].fetch_add(1, Ordering::SeqCst);
                    html(
                        r#"<html><head><meta property="og:title" content="With a picture">
                        <meta property="og:image" content="/picture.png"></head></html>"#
                            .to_string(),
                    )
                }),
            )
            .route(
                "/picture.png",
                get(|State(h): State<Arc<[AtomicUsize; 8]>>| async move {
                    h[PICTURE].fetch_add(1, Ordering::SeqCst);
                    ([(header::CONTENT_TYPE, "image/png")], crate::media::png(1000, 500))
                }),
            )
            .route(
                "/plain",
                get(|State(h): State<Arc<[AtomicUsize; 8]>>| async move {
                    h[PLAIN].fetch_add(1, Ordering::SeqCst);
                    ([(header::CONTENT_TYPE, "text/plain")], "<title>Not HTML</title>").into_response()
                }),
            )
            .route(
                "/big",
                get(|State(h): State<Arc<[AtomicUsize; 8]>>| async move {
                    h[BIG].fetch_add(1, Ordering::SeqCst);
                    // 3 MiB: the preview is read from the first MiB.
                    let mut body = String::from("<html><head><title>Huge page</title></head><body>");
                    body.push_str(&"<p>filler</p>".repeat(3 * 1024 * 1024 / 13));
                    html(body)
                }),
            )
            .with_state(hits.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.ok() });
        Site { base, hits }
    }

    fn hits(&self, page: usize) -> usize {
        self.hits[page].load(Ordering::SeqCst)
    }
}

/// An HTML response.
fn html(body: String) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], body)
}

/// Posts `body` as `user`; returns the status id.
async fn post_status(app: &TestApp, user: &TestUser, body: Value) -> String {
    let v = json(
        app.post_json("/api/v1/statuses", Some(&user.token), &body)
            .await,
        StatusCode::OK,
    )
    .await;
    v["id"].as_str().unwrap().to_string()
}

/// The `card` of a status, as its author sees it.
async fn card_of(app: &TestApp, user: &TestUser, id: &str) -> Value {
    get_ok(app, &format!("/api/v1/statuses/{id}"), Some(&user.token)).await["card"].clone()
}

#[tokio::test]
async fn the_first_link_of_a_status_becomes_its_card() {
    each_backend(|app| async move {
        let site = Site::start().await;
        let alice = app.user("alice").await;
        let bob = app.user("bob").await;
        let id = post_status(
            &app,
            &alice,
            json!({ "status": format!("@bob #news Read {}/story#part2 and {}/other", site.base, site.base) }),
        )
        .await;
        app.run_jobs().await;
        let card = card_of(&app, &alice, &id).await;
        assert_eq!(card["url"], format!("{}/story", site.base), "{card}");
        assert_eq!(card["type"], "video");
        assert_eq!(card["title"], "A story, the video");
        assert_eq!(card["description"], "What happened next");
        assert_eq!(card["provider_name"], "The Site");
        assert_eq!(card["provider_url"], site.base);
        assert_eq!(card["author_name"], "Reporter");
        assert_eq!(card["authors"][0]["name"], "Reporter");
        assert_eq!(card["language"], "en");
        assert_eq!((card["width"].as_i64(), card["height"].as_i64()), (Some(480), Some(270)));
        assert_eq!(
            card["html"],
            "<iframe src=\"https://player.example/1\" width=\"480\" height=\"270\"></iframe>",
            "only the iframe of the oEmbed HTML is kept"
        );
        for key in ["image", "blurhash", "embed_url", "image_description", "published_at"] {
            assert!(card.get(key).is_some(), "{key} missing from {card}");
        }
        assert_eq!((site.hits(STORY), site.hits(OEMBED), site.hits(OTHER)), (1, 1, 0));
        // Search finds statuses by their previews.
        for (q, expected) in [
            ("from:me%20has:link", vec![id.clone()]),
            ("from:me%20has:embed", vec![id.clone()]),
            ("from:me%20-has:link", Vec::new()),
        ] {
            let v = get_ok(&app, &format!("/api/v2/search?type=statuses&q={q}"), Some(&alice.token)).await;
            let found: Vec<String> = v["statuses"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s["id"].as_str().unwrap().to_string())
                .collect();
            assert_eq!(found, expected, "{q}");
        }
        // Others see the same card in their timelines.
        follow(&app, aid(&bob), aid(&alice)).await;
        let home = get_ok(&app, "/api/v1/timelines/public", Some(&bob.token)).await;
        assert_eq!(home[0]["card"]["title"], "A story, the video");

        // A content warning: no card, nothing fetched.
        let warned = post_status(
            &app,
            &alice,
            json!({ "status": format!("{}/other", site.base), "spoiler_text": "spoilers" }),
        )
        .await;
        app.run_jobs().await;
        assert_eq!(card_of(&app, &alice, &warned).await, Value::Null);
        assert_eq!(site.hits(OTHER), 0);

        // Not HTML, or nothing to show: no card.
        let plain = post_status(&app, &alice, json!({ "status": format!("{}/plain", site.base) })).await;
        let missing = post_status(&app, &alice, json!({ "status": format!("{}/missing", site.base) })).await;
        app.run_jobs().await;
        assert_eq!(card_of(&app, &alice, &plain).await, Value::Null);
        assert_eq!(card_of(&app, &alice, &missing).await, Value::Null);
        assert_eq!(site.hits(PLAIN), 1);

        // A page far larger than the limit is read from its start.
        let big = post_status(&app, &alice, json!({ "status": format!("{}/big", site.base) })).await;
        app.run_jobs().await;
        assert_eq!(card_of(&app, &alice, &big).await["title"], "Huge page");

        // Edits follow the first link: changed, then removed.
        let resp = app
            .req(reqwest::Method::PUT, &format!("/api/v1/statuses/{id}"))
            .bearer_auth(&alice.token)
            .json(&json!({ "status": format!("Now {}/other", site.base) }))
            .send()
            .await
            .unwrap();
        json(resp, StatusCode::OK).await;
        app.run_jobs().await;
        assert_eq!(card_of(&app, &alice, &id).await["title"], "Another page");
        let resp = app
            .req(reqwest::Method::PUT, &format!("/api/v1/statuses/{id}"))
            .bearer_auth(&alice.token)
            .json(&json!({ "status": "No links any more" }))
            .send()
            .await
            .unwrap();
        assert_eq!(json(resp, StatusCode::OK).await["card"], Value::Null);
    })
    .await;
}

#[tokio::test]
async fn a_link_in_many_posts_is_fetched_once() {
    each_backend(|app| async move {
        let site = Site::start().await;
        let mut users = Vec::new();
        for i in 0..5 {
            users.push(app.user(&format!("user{i}")).await);
        }
        let url = format!("{}/shared", site.base);
        // 20 posts at once, by five people.
        let posts =
            (0..20).map(|i| {
                let (app, user, url) = (&app, &users[i % 5], &url);
                async move {
                    post_status(app, user, json!({ "status": format!("look {url} ({i})") })).await
                }
            });
        let ids = futures::future::join_all(posts).await;
        app.run_jobs().await;
        assert_eq!(site.hits(SHARED), 1, "one fetch for every post");
        for (i, id) in ids.iter().enumerate() {
            assert_eq!(
                card_of(&app, &users[i % 5], id).await["title"],
                "Everyone links this"
            );
        }
    })
    .await;
}

#[tokio::test]
async fn first_fetches_wait_a_random_delay() {
    each_backend_with(
        |c| c.link_preview_jitter_ms = 60_000,
        |app| async move {
            let alice = app.user("alice").await;
            post_status(
                &app,
                &alice,
                json!({ "status": "see https://jitter.example/page" }),
            )
            .await;
            let mut h = app.state.db.read().await.unwrap();
            let c = h.conn();
            let delays: Vec<i64> = woolly::with_conn!(c, |c| {
                sqlx::query_scalar("SELECT run_at - created_at FROM jobs WHERE kind = 'fetch_card'")
                    .fetch_all(&mut *c)
                    .await
                    .unwrap()
            });
            assert_eq!(delays.len(), 1);
            assert!((0..60_000).contains(&delays[0]), "{delays:?}");
        },
    )
    .await;
}

#[tokio::test]
async fn previews_are_never_fetched_from_private_addresses() {
    each_backend_with(
        |c| c.allow_private_addresses = false,
        |app| async move {
            let site = Site::start().await;
            let alice = app.user("alice").await;
            let port = site.base.rsplit(':').next().unwrap().to_string();
            let mut ids = Vec::new();
            for url in [
                format!("{}/story", site.base),
                format!("http://localhost:{port}/story"),
                format!("http://[::ffff:127.0.0.1]:{port}/story"),
                format!("http://0x7f000001:{port}/story"),
            ] {
                ids.push(post_status(&app, &alice, json!({ "status": format!("x {url}") })).await);
            }
            app.run_jobs().await;
            assert_eq!(site.hits(STORY), 0, "loopback was contacted");
            for id in &ids {
                assert_eq!(card_of(&app, &alice, id).await, Value::Null);
            }
        },
    )
    .await;
}

#[tokio::test]
async fn a_pages_image_is_stored_resized_with_its_blurhash() {
    each_backend(|app| async move {
        let site = Site::start().await;
        let alice = app.user("alice").await;
        let id = post_status(
            &app,
            &alice,
            json!({ "status": format!("see {}/pictured", site.base) }),
        )
        .await;
        app.run_jobs().await;
        let card = card_of(&app, &alice, &id).await;
        assert_eq!(card["title"], "With a picture", "{card}");
        let image = card["image"].as_str().expect("an image");
        assert!(
            image.starts_with(&format!("{}/system/cache/", app.url)),
            "{image}"
        );
        assert!(
            card["blurhash"].as_str().is_some_and(|b| !b.is_empty()),
            "{card}"
        );
        // Scaled down to fit 640×640, the aspect ratio kept.
        assert_eq!(
            (card["width"].as_i64(), card["height"].as_i64()),
            (Some(640), Some(320))
        );
        let r = crate::media::fetch(&app, image).await;
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.headers()["content-type"], "image/jpeg");
        assert_eq!((site.hits(PICTURED), site.hits(PICTURE)), (1, 1));
        // A page whose image is not a picture gets its card without one.
        let id = post_status(
            &app,
            &alice,
            json!({ "status": format!("and {}/story", site.base) }),
        )
        .await;
        app.run_jobs().await;
        let card = card_of(&app, &alice, &id).await;
        assert_eq!(card["image"], Value::Null, "{card}");
        assert_eq!(card["blurhash"], Value::Null);
    })
    .await;
}
