//! Abuse bounds of the inbox: a per-IP rate limit (the client IP as the trusted-proxy rule
//! computes it) answering 429, and a negative cache of failed key fetches, so that a flood of
//! deliveries signed with unknown or unreachable keys cannot make the server fetch endlessly.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use reqwest::StatusCode;
use serde_json::json;
use woolly::federation::key_failures::HOST_FAILURE_LIMIT;
use woolly::federation::signature::SigningKey;

use super::inbox::{PUBLIC, Signer, count, create, deliver, note};
use super::*;

/// A server on 127.0.0.4 answering every request with `status`, counting the requests.
async fn counting_server(status: u16) -> (String, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.4:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    let app = axum::Router::new().fallback(move || {
        let counter = counter.clone();
        async move {
            counter.fetch_add(1, Ordering::SeqCst);
            axum::http::StatusCode::from_u16(status).unwrap()
        }
    });
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (base, hits)
}

/// A signing identity `{base}/users/{name}` whose actor document the server cannot get.
fn ghost(base: &str, name: &str, pem: &str) -> Signer {
    let actor = format!("{base}/users/{name}");
    Signer {
        key: SigningKey::from_pem(format!("{actor}#main-key"), pem).unwrap(),
        actor,
    }
}

#[tokio::test]
async fn inbox_posts_are_rate_limited_per_client_ip() {
    each_backend_with(
        |c| {
            c.rate_limit_exempt_loopback = false;
            c.inbox_rate_limit = 3;
        },
        |app| async move {
            // The test client reaches the server from 127.0.0.1, a trusted proxy by
            // default: the client IP is the forwarded one.
            let post_from = |ip: &'static str| {
                app.req(reqwest::Method::POST, "/inbox")
                    .header("x-forwarded-for", ip)
                    .header("content-type", "application/activity+json")
                    .body("{}")
                    .send()
            };
            for _ in 0..3 {
                assert_eq!(
                    post_from("203.0.113.7").await.unwrap().status(),
                    StatusCode::UNAUTHORIZED
                );
            }
            let refused = post_from("203.0.113.7").await.unwrap();
            assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
            let retry: i64 = refused.headers()["retry-after"]
                .to_str()
                .unwrap()
                .parse()
                .unwrap();
            assert!((1..=300).contains(&retry), "{retry}");
            assert_eq!(
                refused.json::<serde_json::Value>().await.unwrap()["error"],
                "Too many requests"
            );
            // The personal and instance-actor inboxes share the count.
            for path in ["/users/nobody/inbox", "/actor/inbox"] {
                let r = app
                    .req(reqwest::Method::POST, path)
                    .header("x-forwarded-for", "203.0.113.7")
                    .body("{}")
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS, "{path}");
            }
            // Another client is counted on its own; the client API is not affected.
            assert_eq!(
                post_from("203.0.113.8").await.unwrap().status(),
                StatusCode::UNAUTHORIZED
            );
            let api = app
                .req(reqwest::Method::GET, "/api/v1/instance")
                .header("x-forwarded-for", "203.0.113.7")
                .send()
                .await
                .unwrap();
            assert_eq!(api.status(), StatusCode::OK);
            assert_eq!(count(&app, "inbox_activities").await, 0);
        },
    )
    .await;
}

#[tokio::test]
async fn failed_key_fetches_are_not_repeated() {
    each_backend(|app| async move {
        let (private, _) = woolly::crypto::generate_rsa_keypair().unwrap();
        // An unreachable host (503 to everything).
        let (down, down_hits) = counting_server(503).await;
        let activity = |s: &Signer, n: u32| {
            create(
                &s.actor,
                note(
                    &format!("{}/statuses/{n}", s.actor),
                    &s.actor,
                    "<p>x</p>",
                    json!(PUBLIC),
                    json!([]),
                    json!([]),
                ),
            )
        };
        let g = ghost(&down, "ghost", &private);
        for n in 0..4 {
            assert_eq!(
                deliver(&app, "/inbox", &activity(&g, n), &g).await,
                StatusCode::UNAUTHORIZED
            );
        }
        assert_eq!(down_hits.load(Ordering::SeqCst), 1, "one fetch for one key");
        // New key ids on the same host: fetched until the host has failed often enough,
        // then not at all.
        for i in 0..(HOST_FAILURE_LIMIT as usize * 3) {
            let g = ghost(&down, &format!("ghost{i}"), &private);
            assert_eq!(
                deliver(&app, "/inbox", &activity(&g, 1), &g).await,
                StatusCode::UNAUTHORIZED
            );
        }
        assert_eq!(
            down_hits.load(Ordering::SeqCst),
            HOST_FAILURE_LIMIT as usize
        );

        // A host that answers 404: each unknown key is asked for once, the host stays
        // usable; an actor deleting itself is still acknowledged (202) every time.
        let (gone, gone_hits) = counting_server(404).await;
        for round in 0..2 {
            for i in 0..(HOST_FAILURE_LIMIT as usize * 2) {
                let g = ghost(&gone, &format!("u{i}"), &private);
                assert_eq!(
                    deliver(&app, "/inbox", &activity(&g, round), &g).await,
                    StatusCode::UNAUTHORIZED
                );
            }
        }
        assert_eq!(
            gone_hits.load(Ordering::SeqCst),
            HOST_FAILURE_LIMIT as usize * 2
        );
        let g = ghost(&gone, "deleted", &private);
        for n in 0..3 {
            let delete = json!({"id": format!("{}#delete/{n}", g.actor), "type": "Delete",
                                "actor": g.actor, "object": g.actor});
            assert_eq!(
                deliver(&app, "/inbox", &delete, &g).await,
                StatusCode::ACCEPTED
            );
        }
        assert_eq!(
            gone_hits.load(Ordering::SeqCst),
            HOST_FAILURE_LIMIT as usize * 2 + 1
        );
        assert_eq!(count(&app, "inbox_activities").await, 0);
        assert_eq!(count(&app, "accounts WHERE domain IS NOT NULL").await, 0);
    })
    .await;
}
