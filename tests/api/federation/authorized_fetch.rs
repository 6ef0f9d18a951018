//! Signed fetches and authorized-fetch mode, and domain blocks: A (127.0.0.2) serves alice's
//! documents to actors of B (127.0.0.3) who sign their GETs with their real keys, A
//! fetching their actors from B to verify.

use std::time::SystemTime;

use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde_json::{Value, json};
use woolly::config::Config;
use woolly::federation::resolve::{Freshness, Resolver};
use woolly::federation::signature::sign_request;
use woolly::service::domain_blocks::{self, NewBlock};

use super::fake_remote::{remote_follows, wait_queue_empty};
use super::inbox::{Signer, count, deliver, signer_of};
use super::*;

/// GETs `path` on `app` as ActivityPub JSON, signed by `signer` when given.
async fn fetch(
    app: &TestApp,
    path: &str,
    signer: Option<&Signer>,
) -> (StatusCode, HeaderMap, Value) {
    let url = url::Url::parse(&format!("{}{path}", app.url)).unwrap();
    let mut r = app.client.get(url.clone()).header("accept", AP);
    if let Some(s) = signer {
        for (n, v) in sign_request(
            &s.key,
            "GET",
            &url,
            &[("accept", AP)],
            None,
            SystemTime::now(),
        ) {
            if n != "host" {
                r = r.header(n, v);
            }
        }
    }
    let resp = r.send().await.unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    let body = resp.json().await.unwrap_or(Value::Null);
    (status, headers, body)
}

/// The path of a status entity's ActivityPub document.
fn path_of(app: &TestApp, status: &Value) -> String {
    status["uri"]
        .as_str()
        .unwrap()
        .strip_prefix(&app.url)
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn signed_fetches_open_what_the_signer_may_see() {
    each_backend_pair(|a, b| async move {
        let alice = a.user("alice").await;
        let alice_id = num(&json!(alice.account_id));
        let (bob, carol, dave) = (
            b.user("bob").await,
            b.user("carol").await,
            b.user("dave").await,
        );
        let (bob_s, carol_s, dave_s) = (
            signer_of(&b, &bob).await,
            signer_of(&b, &carol).await,
            signer_of(&b, &dave).await,
        );
        let bob_id = remote_id(&a, &bob_s.actor).await;
        remote_id(&a, &carol_s.actor).await;
        let dave_id = remote_id(&a, &dave_s.actor).await;
        remote_follows(&a, bob_id, alice_id, &format!("{}/follows/1", b.url)).await;

        let private = post(&a, &alice, "for followers", "private").await;
        let direct = post(&a, &alice, &format!("psst @carol@{}", domain(&b)), "direct").await;
        let public = post(&a, &alice, "hello world", "public").await;
        let (private_path, direct_path) = (path_of(&a, &private), path_of(&a, &direct));

        // Followers-only: the follower's signature opens it, nobody else's.
        let (status, headers, note) = fetch(&a, &private_path, Some(&bob_s)).await;
        assert_eq!(status, StatusCode::OK, "{note}");
        assert_eq!(note["content"], "<p>for followers</p>");
        let cache = headers["cache-control"].to_str().unwrap();
        assert!(
            cache.contains("private") && !cache.contains("public"),
            "{cache}"
        );
        assert!(headers["vary"].to_str().unwrap().contains("Signature"));
        for path in [
            format!("{private_path}/activity"),
            format!("{private_path}/replies"),
        ] {
            assert_eq!(
                fetch(&a, &path, Some(&bob_s)).await.0,
                StatusCode::OK,
                "{path}"
            );
        }
        assert_eq!(
            fetch(&a, &private_path, Some(&carol_s)).await.0,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            fetch(&a, &private_path, None).await.0,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            fetch(&a, &format!("{private_path}/activity"), None).await.0,
            StatusCode::NOT_FOUND
        );

        // Direct: the mentioned actor only (following is not enough).
        let (status, _, note) = fetch(&a, &direct_path, Some(&carol_s)).await;
        assert_eq!(status, StatusCode::OK, "{note}");
        assert!(note["content"].as_str().unwrap().contains("psst"));
        assert_eq!(
            fetch(&a, &direct_path, Some(&bob_s)).await.0,
            StatusCode::NOT_FOUND
        );
        assert_eq!(fetch(&a, &direct_path, None).await.0, StatusCode::NOT_FOUND);

        // A signature that does not verify (carol's key under bob's key id) is no signature.
        let forged = Signer {
            actor: bob_s.actor.clone(),
            key: woolly::federation::signature::SigningKey::from_pem(
                format!("{}#main-key", bob_s.actor),
                &{
                    let mut h = b.state.db.read().await.unwrap();
                    woolly::db::accounts::private_key(h.conn(), num(&json!(carol.account_id)))
                        .await
                        .unwrap()
                        .unwrap()
                },
            )
            .unwrap(),
        };
        assert_eq!(
            fetch(&a, &private_path, Some(&forged)).await.0,
            StatusCode::NOT_FOUND
        );

        // The outbox shows the follower the followers-only post, and strangers not.
        let outbox = "/users/alice/outbox?page=true";
        let uris = |page: &Value| -> Vec<String> {
            page["orderedItems"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["object"]["id"].as_str().unwrap_or_default().to_owned())
                .collect()
        };
        let (status, _, page) = fetch(&a, outbox, Some(&bob_s)).await;
        assert_eq!(status, StatusCode::OK);
        let seen = uris(&page);
        assert!(
            seen.contains(&private["uri"].as_str().unwrap().to_owned()),
            "{seen:?}"
        );
        assert!(!seen.contains(&direct["uri"].as_str().unwrap().to_owned()));
        let (_, headers, page) = fetch(&a, outbox, None).await;
        assert_eq!(
            uris(&page),
            vec![public["uri"].as_str().unwrap().to_owned()]
        );
        assert!(
            headers["cache-control"]
                .to_str()
                .unwrap()
                .contains("public")
        );
        let (_, _, page) = fetch(&a, outbox, Some(&carol_s)).await;
        assert!(uris(&page).contains(&direct["uri"].as_str().unwrap().to_owned()));

        // An actor alice blocks sees not even her public posts when it signs (Mastodon's
        // StatusPolicy); unsigned requests still do.
        json(
            a.post_empty(
                &format!("/api/v1/accounts/{dave_id}/block"),
                Some(&alice.token),
            )
            .await,
            StatusCode::OK,
        )
        .await;
        let public_path = path_of(&a, &public);
        assert_eq!(
            fetch(&a, &public_path, Some(&dave_s)).await.0,
            StatusCode::NOT_FOUND
        );
        assert_eq!(fetch(&a, &public_path, None).await.0, StatusCode::OK);
        assert_eq!(
            fetch(&a, &public_path, Some(&bob_s)).await.0,
            StatusCode::OK
        );
    })
    .await;
}

/// Runs `f` against A in authorized-fetch mode and an ordinary B, on every backend.
async fn with_secure_pair<F, Fut>(f: F)
where
    F: Fn(TestApp, TestApp) -> Fut,
    Fut: std::future::Future<Output = (TestApp, TestApp)>,
{
    for backend in backends() {
        let a = TestApp::spawn_at(backend, "127.0.0.2", |c: &mut Config| {
            c.authorized_fetch = true
        })
        .await;
        let b = TestApp::spawn_at(backend, "127.0.0.3", |_| {}).await;
        let (a, b) = f(a, b).await;
        a.shutdown().await;
        b.shutdown().await;
    }
}

#[tokio::test]
async fn authorized_fetch_requires_signatures() {
    with_secure_pair(|a, b| async move {
        let alice = a.user("alice").await;
        let bob = b.user("bob").await;
        let bob_s = signer_of(&b, &bob).await;
        let public = post(&a, &alice, "hello", "public").await;
        let status_path = path_of(&a, &public);

        // Unsigned: documents are refused, the actor is served cut down.
        for path in [
            status_path.clone(),
            format!("{status_path}/activity"),
            format!("{status_path}/replies"),
            format!("{status_path}/likes"),
            format!("/@alice/{}", public["id"].as_str().unwrap()),
            "/users/alice/outbox".into(),
            "/users/alice/outbox?page=true".into(),
            "/users/alice/followers".into(),
            "/users/alice/following?page=1".into(),
            "/users/alice/collections/featured".into(),
            "/users/alice/collections/tags".into(),
            "/actor/outbox".into(),
            // Not even whether an account exists.
            "/users/nobody/outbox".into(),
        ] {
            let (status, _, body) = fetch(&a, &path, None).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{path}: {body}");
            assert!(body["error"].is_string());
        }
        let (status, headers, actor) = fetch(&a, "/users/alice", None).await;
        assert_eq!(status, StatusCode::OK);
        assert!(headers["vary"].to_str().unwrap().contains("Signature"));
        let mut keys: Vec<&str> = actor
            .as_object()
            .unwrap()
            .keys()
            .map(|k| k.as_str())
            .collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            [
                "@context",
                "endpoints",
                "id",
                "inbox",
                "preferredUsername",
                "publicKey",
                "type"
            ]
        );
        assert!(actor["publicKey"]["publicKeyPem"].is_string());

        // Signed: everything, the full actor included.
        for path in [
            status_path.clone(),
            format!("{status_path}/activity"),
            "/users/alice/outbox?page=true".into(),
            "/users/alice/followers?page=1".into(),
            "/users/alice/collections/featured".into(),
            "/actor/outbox".into(),
        ] {
            let (status, headers, body) = fetch(&a, &path, Some(&bob_s)).await;
            assert_eq!(status, StatusCode::OK, "{path}: {body}");
            assert!(
                headers["cache-control"]
                    .to_str()
                    .unwrap()
                    .contains("private")
            );
        }
        let (_, _, actor) = fetch(&a, "/users/alice", Some(&bob_s)).await;
        assert_eq!(
            actor["followers"],
            format!("{}/users/alice/followers", a.url)
        );
        assert_eq!(
            fetch(&a, "/users/nobody/outbox", Some(&bob_s)).await.0,
            StatusCode::NOT_FOUND
        );

        // Public all the same: the instance actor, WebFinger, host-meta, NodeInfo, pages.
        let (status, _, instance) = fetch(&a, "/actor", None).await;
        assert_eq!(status, StatusCode::OK);
        assert!(instance["publicKey"].is_object());
        let webfinger = format!("/.well-known/webfinger?resource=acct:alice@{}", domain(&a));
        for path in [
            webfinger.as_str(),
            "/.well-known/host-meta",
            "/.well-known/nodeinfo",
            "/nodeinfo/2.0",
        ] {
            assert_eq!(a.get(path, None).await.status(), StatusCode::OK, "{path}");
        }
        assert_eq!(page(&a, "/@alice").await.0, StatusCode::OK);

        // B still finds alice (its fetches are signed by its instance actor).
        let found = json(
            b.get(
                &format!("/api/v1/accounts/lookup?acct=alice@{}", domain(&a)),
                Some(&bob.token),
            )
            .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(found["username"], "alice");

        // A blocked domain's signatures are refused (403), whole domain and port-less.
        domain_blocks::block(
            &a.state.db,
            &a.state.domain_blocks,
            NewBlock::new("127.0.0.3", "suspend"),
        )
        .await
        .unwrap();
        assert_eq!(
            fetch(&a, &status_path, Some(&bob_s)).await.0,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            fetch(&a, &status_path, None).await.0,
            StatusCode::UNAUTHORIZED
        );
        // Actors stay served, cut down.
        let (status, _, actor) = fetch(&a, "/users/alice", Some(&bob_s)).await;
        assert_eq!(status, StatusCode::OK);
        assert!(actor.get("followers").is_none());
        // A silence is no suspension.
        domain_blocks::block(
            &a.state.db,
            &a.state.domain_blocks,
            NewBlock::new("127.0.0.3", "silence"),
        )
        .await
        .unwrap();
        assert_eq!(
            fetch(&a, &status_path, Some(&bob_s)).await.0,
            StatusCode::OK
        );
        (a, b)
    })
    .await;
}

#[tokio::test]
async fn suspended_domains_are_cut_off() {
    each_backend_pair(|a, b| async move {
        let alice = a.user("alice").await;
        let alice_id = num(&json!(alice.account_id));
        let bob = b.user("bob").await;
        let carol = b.user("carol").await;
        let bob_s = signer_of(&b, &bob).await;
        let carol_s = signer_of(&b, &carol).await;
        // bob is known and follows alice; carol is not known yet.
        let bob_id = remote_id(&a, &bob_s.actor).await;
        remote_follows(&a, bob_id, alice_id, &format!("{}/follows/1", b.url)).await;

        let block = domain_blocks::block(
            &a.state.db,
            &a.state.domain_blocks,
            NewBlock::new(&domain(&b), "suspend"),
        )
        .await
        .unwrap();
        assert_eq!(block.domain, domain(&b));

        // The inbox refuses deliveries without storing anything or fetching the signer.
        let accounts_before = count(&a, "accounts").await;
        for signer in [&bob_s, &carol_s] {
            let note = json!({
                "id": format!("{}/notes/{}", signer.actor, woolly::id::next_id()),
                "type": "Note",
                "attributedTo": signer.actor,
                "content": "hi",
                "to": ["https://www.w3.org/ns/activitystreams#Public"],
            });
            let activity = json!({
                "@context": "https://www.w3.org/ns/activitystreams",
                "id": format!("{}/activity", note["id"].as_str().unwrap()),
                "type": "Create",
                "actor": signer.actor,
                "to": note["to"].clone(),
                "object": note,
            });
            for path in ["/inbox", "/users/alice/inbox"] {
                assert_eq!(
                    deliver(&a, path, &activity, signer).await,
                    StatusCode::FORBIDDEN
                );
            }
        }
        assert_eq!(count(&a, "inbox_activities").await, 0);
        assert_eq!(count(&a, "accounts").await, accounts_before);

        // Nothing is fetched from it: lookups and searches find nothing new.
        let resp = a
            .get(
                &format!("/api/v1/accounts/lookup?acct=carol@{}", domain(&b)),
                Some(&alice.token),
            )
            .await;
        assert_eq!(resp.status(), StatusCode::NOT_FOUND);
        assert!(
            Resolver::new(&a.state)
                .unwrap()
                .actor(&carol_s.actor, Freshness::Refresh)
                .await
                .is_err()
        );

        // Deliveries to it are dropped: bob's server never hears of alice's post.
        let s = post(&a, &alice, "not for them", "public").await;
        wait_queue_empty(&a, 20).await;
        b.run_jobs().await;
        assert_eq!(
            count(
                &b,
                &format!("statuses WHERE uri = '{}'", s["uri"].as_str().unwrap())
            )
            .await,
            0
        );
        assert_eq!(count(&b, "inbox_activities").await, 0);

        // Lifting the block takes effect at once.
        assert!(
            domain_blocks::unblock(&a.state.db, &a.state.domain_blocks, block.id)
                .await
                .unwrap()
        );
        let note = json!({
            "id": format!("{}/notes/after", bob_s.actor),
            "type": "Note",
            "attributedTo": bob_s.actor,
            "content": "back",
            "to": ["https://www.w3.org/ns/activitystreams#Public"],
        });
        let activity = json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": format!("{}/notes/after/activity", bob_s.actor),
            "type": "Create",
            "actor": bob_s.actor,
            "to": note["to"].clone(),
            "object": note,
        });
        assert_eq!(
            deliver(&a, "/inbox", &activity, &bob_s).await,
            StatusCode::ACCEPTED
        );
    })
    .await;
}

#[tokio::test]
async fn admin_api_manages_domain_blocks() {
    each_backend(|app| async move {
        let (operator_id, admin) = operator(&app).await;
        let narrow = app.token_for(operator_id, "read write").await;
        let user = app.user("mallory").await;
        let path = "/api/v1/admin/domain_blocks";

        let b = json(
            app.post_json(
                path,
                Some(&admin),
                &json!({"domain": "Bad.Example", "severity": "suspend", "reject_reports": true, "public_comment": "spam"}),
            )
            .await,
            StatusCode::OK,
        )
        .await;
        assert_shape("POST /api/v1/admin/domain_blocks 200", &b);
        assert_eq!(b["domain"], "bad.example");
        assert_eq!(b["severity"], "suspend");
        assert_eq!(b["reject_reports"], true);
        assert_eq!(b["digest"], woolly::crypto::sha256_hex("bad.example"));
        // It is in force at once, subdomains included.
        assert!(
            domain_blocks::is_blocked(&app.state, "social.bad.example")
                .await
                .unwrap()
        );

        // A second block of the domain is refused with the existing one.
        let dup = app
            .post_json(path, Some(&admin), &json!({"domain": "bad.example"}))
            .await;
        let dup = json(dup, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(dup["existing_domain_block"]["id"], b["id"]);
        error(
            app.post_json(path, Some(&admin), &json!({"domain": "a/b"})).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        error(
            app.post_json(path, Some(&admin), &json!({"domain": "x.example", "severity": "nuke"}))
                .await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;

        let list = json(app.get(path, Some(&admin)).await, StatusCode::OK).await;
        assert_shape("GET /api/v1/admin/domain_blocks 200", &list);
        assert_eq!(list.as_array().unwrap().len(), 1);
        let id = b["id"].as_str().unwrap();
        let one = json(
            app.get(&format!("{path}/{id}"), Some(&admin)).await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(one["domain"], "bad.example");

        // Softened to a silence: no longer cut off.
        let resp = app
            .req(reqwest::Method::PUT, &format!("{path}/{id}"))
            .bearer_auth(&admin)
            .json(&json!({"severity": "silence"}))
            .send()
            .await
            .unwrap();
        let updated = json(resp, StatusCode::OK).await;
        assert_eq!(updated["severity"], "silence");
        assert_eq!(updated["public_comment"], "spam");
        assert!(!domain_blocks::is_blocked(&app.state, "bad.example").await.unwrap());

        // Scopes and role.
        error(app.get(path, Some(&narrow)).await, StatusCode::FORBIDDEN).await;
        error(app.get(path, Some(&user.token)).await, StatusCode::FORBIDDEN).await;
        error(app.get(path, None).await, StatusCode::UNAUTHORIZED).await;

        let resp = app
            .req(reqwest::Method::DELETE, &format!("{path}/{id}"))
            .bearer_auth(&admin)
            .send()
            .await
            .unwrap();
        assert_eq!(json(resp, StatusCode::OK).await, json!({}));
        error(
            app.get(&format!("{path}/{id}"), Some(&admin)).await,
            StatusCode::NOT_FOUND,
        )
        .await;
    })
    .await;
}
