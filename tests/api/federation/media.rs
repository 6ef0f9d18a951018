//! Media attachments across servers: a Note's `Document`s out, remote attachments in (stored
//! with their origin, downloaded through the federation client, processed like uploads), and
//! hostile attachments refused.

use reqwest::StatusCode;
use serde_json::{Value, json};
use woolly::service::domain_blocks::{self, NewBlock};

use super::fake_remote::FakeHost;
use super::inbox::{count, create, deliver, note};
use super::{ap_ok, domain, follow_actor, post_with, settle};
use crate::common::{TestApp, each_backend, each_backend_pair, each_backend_with, json};
use crate::media::{fetch, png, stored_files, upload_to, wait_ready};

const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";

/// The home timeline of `token` on `app`.
async fn home(app: &TestApp, token: &str) -> Value {
    json(
        app.get("/api/v1/timelines/home", Some(token)).await,
        StatusCode::OK,
    )
    .await
}

#[tokio::test]
async fn an_image_posted_on_one_server_arrives_on_the_other_with_alt_text_and_a_cached_copy() {
    each_backend_pair(|a, b| async move {
        let alice = a.user("alice").await;
        let bob = b.user("bob").await;
        let found = json(
            b.get(
                &format!("/api/v1/accounts/lookup?acct=alice@{}", domain(&a)),
                Some(&bob.token),
            )
            .await,
            StatusCode::OK,
        )
        .await;
        json(
            b.post_empty(
                &format!("/api/v1/accounts/{}/follow", found["id"].as_str().unwrap()),
                Some(&bob.token),
            )
            .await,
            StatusCode::OK,
        )
        .await;
        settle(&[&a, &b]).await;

        let up = json(
            upload_to(
                &a,
                &alice.token,
                "/api/v2/media",
                png(64, 48),
                "image/png",
                &[("description", "a red square"), ("focus", "0.5,-0.5")],
            )
            .await,
            StatusCode::ACCEPTED,
        )
        .await;
        let media = wait_ready(&a, &alice.token, up["id"].as_str().unwrap()).await;
        let status = post_with(
            &a,
            &alice,
            json!({ "status": "look", "media_ids": [media["id"]] }),
        )
        .await;

        // The Note carries the Document as Mastodon renders it.
        let path = status["uri"].as_str().unwrap().replace(&a.url, "");
        let doc = ap_ok(&a, &path).await;
        let d = &doc["attachment"][0];
        assert_eq!(d["type"], "Document", "{doc}");
        assert_eq!(d["mediaType"], "image/png");
        assert_eq!(d["url"], media["url"]);
        assert_eq!(d["name"], "a red square");
        assert_eq!(d["blurhash"], media["blurhash"]);
        assert_eq!(d["focalPoint"], json!([0.5, -0.5]));
        assert_eq!(d["width"], 64);
        assert_eq!(d["height"], 48);

        settle(&[&a, &b]).await;
        let feed = home(&b, &bob.token).await;
        assert_eq!(feed[0]["uri"], status["uri"], "{feed}");
        let m = &feed[0]["media_attachments"][0];
        assert_eq!(m["type"], "image", "{m}");
        assert_eq!(m["description"], "a red square");
        assert_eq!(m["remote_url"], media["url"]);
        assert!(m["blurhash"].as_str().is_some_and(|b| !b.is_empty()), "{m}");
        assert_eq!(m["meta"]["focus"], json!({ "x": 0.5, "y": -0.5 }));
        assert_eq!(m["meta"]["original"]["width"], 64);
        // Served from B's own copy.
        let url = m["url"].as_str().unwrap();
        assert!(
            url.starts_with(&format!("{}/system/cache/", b.url)),
            "{url}"
        );
        let r = fetch(&b, url).await;
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.headers()["content-type"], "image/png");
        let preview = m["preview_url"].as_str().unwrap();
        assert!(preview.starts_with(&b.url), "{preview}");
        assert!(stored_files(&b).iter().any(|f| f.starts_with("cache/")));
    })
    .await;
}

#[tokio::test]
async fn hostile_attachments_are_shown_by_their_origin_and_never_cached() {
    each_backend(|app| async move {
        let fake = FakeHost::start("127.0.0.91").await;
        let eve = fake.actor("eve");
        let alice = app.user("alice").await;
        follow_actor(&app, &alice, &eve.actor).await;
        fake.serve_file("/files/ok.png", "image/png", png(32, 32));
        // Larger than the 16 MB allowed for images.
        fake.serve_file(
            "/files/big.png",
            "image/png",
            vec![0x89; 16 * 1024 * 1024 + 10],
        );
        // Not an image at all.
        fake.serve_file(
            "/files/page.png",
            "text/html",
            b"<html><body>not a picture</body></html>".to_vec(),
        );
        let attachment: Vec<Value> = ["ok", "big", "page", "missing"]
            .iter()
            .map(|n| {
                json!({
                    "type": "Document", "mediaType": "image/png",
                    "url": format!("{}/files/{n}.png", fake.base), "name": n,
                })
            })
            .chain([
                json!({ "type": "Document", "mediaType": "image/png", "url": "file:///etc/passwd" }),
                json!({ "type": "Link", "href": format!("{}/files/ok.png", fake.base) }),
            ])
            .collect();
        let mut n = note(
            &format!("{}/notes/1", eve.actor),
            &eve.actor,
            "<p>pictures</p>",
            json!([PUBLIC]),
            json!([]),
            json!([]),
        );
        n["attachment"] = Value::Array(attachment);
        assert_eq!(
            deliver(&app, "/inbox", &create(&eve.actor, n), &eve).await,
            StatusCode::ACCEPTED
        );
        settle(&[&app]).await;
        let feed = home(&app, &alice.token).await;
        let media = feed[0]["media_attachments"].as_array().unwrap().clone();
        // Unusable URLs and non-media objects are skipped.
        assert_eq!(media.len(), 4, "{media:?}");
        assert!(media[0]["url"].as_str().unwrap().starts_with(&app.url));
        for m in &media[1..] {
            assert_eq!(m["url"], m["remote_url"], "{m}");
            assert!(!m["url"].as_str().unwrap().starts_with(&app.url));
        }
        assert_eq!(media[1]["description"], "big");
        let cached = stored_files(&app)
            .into_iter()
            .filter(|f| f.starts_with("cache/"))
            .count();
        // The good image's original and preview only.
        assert_eq!(cached, 2);

        // Evicted from the cache: files gone, the origin shown again.
        let evicted = woolly::service::media::remote::evict(&app.state, i64::MAX, 100)
            .await
            .unwrap();
        assert_eq!(evicted, 1);
        assert!(!stored_files(&app).iter().any(|f| f.starts_with("cache/")));
        let feed = home(&app, &alice.token).await;
        let m = &feed[0]["media_attachments"][0];
        assert_eq!(m["url"], m["remote_url"], "{m}");
    })
    .await;
}

#[tokio::test]
async fn private_addresses_and_reject_media_domains_are_never_fetched() {
    each_backend_with(
        |c| c.allow_private_addresses = false,
        |app| async move {
            let fake = FakeHost::start("127.0.0.92").await;
            fake.serve_file("/files/ok.png", "image/png", png(16, 16));
            let eve_id = fake.account(&app, "eve", true).await;
            let eve = {
                let mut h = app.state.db.read().await.unwrap();
                woolly::db::accounts::get(h.conn(), eve_id)
                    .await
                    .unwrap()
                    .unwrap()
            };
            let resolver = woolly::federation::resolve::Resolver::new(&app.state).unwrap();
            let with_image = |id: &str, url: &str| {
                let mut n = note(
                    &format!("{}/notes/{id}", fake.actor_uri("eve")),
                    &fake.actor_uri("eve"),
                    "<p>x</p>",
                    json!([PUBLIC]),
                    json!([]),
                    json!([]),
                );
                n["attachment"] = json!([{ "type": "Image", "url": url }]);
                n
            };
            // A loopback file, and one on a private network: refused before connecting.
            for (id, url) in [
                ("1", format!("{}/files/ok.png", fake.base)),
                ("2", "http://10.1.2.3/x.png".to_owned()),
            ] {
                let s = woolly::federation::inbox::note::ingest(
                    &resolver,
                    &with_image(id, &url),
                    &eve,
                    0,
                )
                .await
                .unwrap()
                .unwrap();
                app.run_jobs().await;
                let m = &json(
                    app.get(&format!("/api/v1/statuses/{}", s.id), None).await,
                    StatusCode::OK,
                )
                .await["media_attachments"][0];
                assert_eq!(m["url"], url.as_str(), "{m}");
                assert_eq!(m["remote_url"], url.as_str());
            }
            assert!(!stored_files(&app).iter().any(|f| f.starts_with("cache/")));

            // A reject_media block keeps a domain's media out: no download is even queued.
            domain_blocks::block(
                &app.state.db,
                &app.state.domain_blocks,
                NewBlock {
                    reject_media: true,
                    ..NewBlock::new(&fake.authority, "noop")
                },
            )
            .await
            .unwrap();
            app.run_jobs().await;
            woolly::federation::inbox::note::ingest(
                &resolver,
                &with_image("3", "https://media.example/x.png"),
                &eve,
                0,
            )
            .await
            .unwrap()
            .unwrap();
            let queued = count(&app, "jobs WHERE kind = 'fetch_remote_media'").await;
            assert_eq!(queued, 0);
        },
    )
    .await;
}
