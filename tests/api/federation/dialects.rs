//! Activities as other servers send them (GoToSocial, Pleroma/Akkoma, Misskey, Lemmy,
//! Mastodon), from actors served by a fake remote on 127.0.0.4, and two Woolly servers
//! talking to each other end to end.

use std::time::SystemTime;

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::fake_remote::FakeHost;
use super::inbox::{Signer, count, post_raw, signed_headers};
use super::*;

const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";

/// Delivers with the `Signature` header's algorithm renamed (GoToSocial and others say
/// `hs2019`; the signing string is the same).
async fn deliver_as(
    app: &TestApp,
    path: &str,
    activity: &Value,
    signer: &Signer,
    algorithm: &str,
) -> StatusCode {
    let body = serde_json::to_vec(activity).unwrap();
    let headers: Vec<(String, String)> =
        signed_headers(app, path, &body, signer, SystemTime::now())
            .into_iter()
            .map(|(n, v)| {
                let v = if n == "signature" {
                    v.replace(
                        "algorithm=\"rsa-sha256\"",
                        &format!("algorithm=\"{algorithm}\""),
                    )
                } else {
                    v
                };
                (n, v)
            })
            .collect();
    post_raw(app, path, body, &headers).await.status()
}

#[tokio::test]
async fn fixtures_of_other_servers_are_understood() {
    each_backend(|a| async move {
        let alice = a.user("alice").await;
        let fake = FakeHost::start("127.0.0.4").await;
        let me = actor_uri(&a, "alice");
        // alice follows the posters below (the Misskey note replies to her): their posts
        // concern this server, so they are stored.

        // GoToSocial: hs2019, `/main-key` key ids, single values where arrays are usual.
        let gts = fake.actor_as("gts", "Person", true);
        follow_actor(&a, &alice, &gts.actor).await;
        let id = format!("{}/statuses/01HX", gts.actor);
        let create = json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": format!("{id}/activity"), "type": "Create", "actor": gts.actor,
            "to": PUBLIC, "cc": format!("{}/followers", gts.actor),
            "object": {
                "id": id, "type": "Note", "attributedTo": gts.actor,
                "content": "<p>hi <span class=\"h-card\"><a href=\"x\" class=\"u-url mention\">@alice</a></span></p>",
                "to": PUBLIC, "cc": format!("{}/followers", gts.actor),
                "tag": {"type": "Mention", "href": me, "name": "@alice"},
                "attachment": {"type": "Document", "mediaType": "image/png", "url": "https://cdn.example/a.png"},
                "published": "2024-05-01T10:00:00Z", "sensitive": false,
                "interactionPolicy": {"canLike": {"always": [PUBLIC]}}
            }
        });
        assert_eq!(deliver_as(&a, "/inbox", &create, &gts, "hs2019").await, StatusCode::ACCEPTED);

        // Pleroma/Akkoma: extra `context`/`conversation`, an LD `signature` and a `proof`
        // block, directMessage flags (ignored), arrays everywhere.
        let pl = fake.actor_as("pleroma", "Person", false);
        follow_actor(&a, &alice, &pl.actor).await;
        let pid = format!("{}/objects/abc", fake.base);
        let create = json!({
            "@context": ["https://www.w3.org/ns/activitystreams", {"@language": "und"}],
            "id": format!("{}/activities/abc", fake.base), "type": "Create", "actor": pl.actor,
            "to": [PUBLIC], "cc": [format!("{}/followers", pl.actor)], "directMessage": false,
            "context": format!("{}/contexts/1", fake.base),
            "signature": {"type": "RsaSignature2017", "creator": format!("{}#main-key", pl.actor), "signatureValue": "AAAA"},
            "proof": {"type": "DataIntegrityProof", "proofValue": "zzz"},
            "object": {
                "id": pid, "type": "Note", "attributedTo": pl.actor, "content": "akkoma says hi",
                "to": [PUBLIC], "cc": [], "tag": [], "attachment": [], "summary": "",
                "context": format!("{}/contexts/1", fake.base),
                "conversation": format!("{}/contexts/1", fake.base),
                "published": "2024-05-01T11:00:00.000000Z", "sensitive": null,
                "source": {"content": "akkoma says hi", "mediaType": "text/plain"}
            }
        });
        assert_eq!(deliver_as(&a, "/inbox", &create, &pl, "rsa-sha256").await, StatusCode::ACCEPTED);

        // Misskey: `_misskey_*` extras, a Service (bot) actor, a reaction-Like on alice's post.
        let mk = fake.actor_as("mk", "Service", false);
        let post = post(&a, &alice, "react to me", "public").await;
        let mid = format!("{}/notes/9xyz", fake.base);
        let create = json!({
            "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1",
                         {"misskey": "https://misskey-hub.net/ns#", "_misskey_content": "misskey:_misskey_content"}],
            "id": format!("{mid}/activity"), "type": "Create", "actor": mk.actor,
            "published": "2024-05-01T12:00:00.000Z",
            "object": {
                "id": mid, "type": "Note", "attributedTo": mk.actor, "summary": null,
                "content": "<p><span>misskey note</span></p>", "_misskey_content": "misskey note",
                "_misskey_quote": null, "quoteUrl": null, "inReplyTo": post["uri"],
                "published": "2024-05-01T12:00:00.000Z", "to": [PUBLIC], "cc": [format!("{}/followers", mk.actor)],
                "sensitive": false, "tag": []
            },
            "to": [PUBLIC], "cc": [format!("{}/followers", mk.actor)]
        });
        assert_eq!(deliver_as(&a, "/inbox", &create, &mk, "rsa-sha256").await, StatusCode::ACCEPTED);
        let like = json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": format!("{}/likes/1", fake.base), "type": "Like", "actor": mk.actor,
            "object": post["uri"], "content": "👍", "_misskey_reaction": "👍"
        });
        assert_eq!(deliver_as(&a, "/users/alice/inbox", &like, &mk, "rsa-sha256").await, StatusCode::ACCEPTED);

        // Lemmy: a Page (a link post) becomes a status with its title and link.
        let lemmy = fake.actor_as("lemmy", "Person", false);
        follow_actor(&a, &alice, &lemmy.actor).await;
        let page_id = format!("{}/post/42", fake.base);
        let create = json!({
            "@context": ["https://join-lemmy.org/context.json", "https://www.w3.org/ns/activitystreams"],
            "id": format!("{}/activities/create/1", fake.base), "type": "Create", "actor": lemmy.actor,
            "to": [PUBLIC], "cc": [format!("{}/c/rust", fake.base)],
            "audience": format!("{}/c/rust", fake.base),
            "object": {
                "id": page_id, "type": "Page", "attributedTo": lemmy.actor, "name": "Rust 2.0 released",
                "url": "https://blog.example/rust", "content": "<p>discuss</p>",
                "mediaType": "text/html", "to": [format!("{}/c/rust", fake.base), PUBLIC],
                "cc": [], "published": "2024-05-01T13:00:00Z", "audience": format!("{}/c/rust", fake.base)
            }
        });
        assert_eq!(deliver_as(&a, "/inbox", &create, &lemmy, "rsa-sha256").await, StatusCode::ACCEPTED);
        a.run_jobs().await;

        assert_eq!(count(&a, "statuses WHERE local = FALSE").await, 4);
        let n = json(a.get("/api/v1/notifications", Some(&alice.token)).await, StatusCode::OK).await;
        let mut kinds: Vec<&str> = n.as_array().unwrap().iter().map(|x| x["type"].as_str().unwrap()).collect();
        kinds.sort_unstable();
        assert_eq!(kinds, vec!["favourite", "mention"], "{n}");
        let mut h = a.state.db.read().await.unwrap();
        let page = woolly::db::inbox::status_by_uri(h.conn(), &page_id).await.unwrap().unwrap();
        assert!(page.content.contains("Rust 2.0 released"), "{}", page.content);
        assert!(page.content.contains("https://blog.example/rust"));
        let reply = woolly::db::inbox::status_by_uri(h.conn(), &mid).await.unwrap().unwrap();
        assert_eq!(reply.in_reply_to_id, Some(num(&post["id"])));
        let bot = woolly::db::inbox::account_by_uri(h.conn(), &mk.actor).await.unwrap().unwrap();
        assert!(bot.bot);
        drop(h);
        let s = json(a.get(&format!("/api/v1/statuses/{}", post["id"].as_str().unwrap()), Some(&alice.token)).await, StatusCode::OK).await;
        assert_eq!(s["replies_count"], 1);
        assert_eq!(s["favourites_count"], 1);

        // A poll vote (a Note with a name answering a local post) is acknowledged only.
        let vote = json!({
            "id": format!("{}/votes/1", fake.base), "type": "Create", "actor": mk.actor, "to": me,
            "object": {"id": format!("{}/votes/1/object", fake.base), "type": "Note", "name": "Option A",
                       "attributedTo": mk.actor, "inReplyTo": post["uri"], "to": me}
        });
        assert_eq!(deliver_as(&a, "/inbox", &vote, &mk, "rsa-sha256").await, StatusCode::ACCEPTED);
        // A Flag from the instance actor of the other server becomes a report.
        let flag = json!({
            "id": format!("{}/flags/1", fake.base), "type": "Flag", "actor": mk.actor,
            "object": [me, post["uri"]], "content": "spam"
        });
        assert_eq!(deliver_as(&a, "/inbox", &flag, &mk, "rsa-sha256").await, StatusCode::ACCEPTED);
        a.run_jobs().await;
        assert_eq!(count(&a, "statuses WHERE local = FALSE").await, 4);
        assert_eq!(count(&a, "reports WHERE comment = 'spam'").await, 1);
    })
    .await;
}

#[tokio::test]
async fn two_woolly_servers_follow_post_favourite_reply_and_delete() {
    each_backend_pair(|a, b| async move {
        let alice = a.user("alice").await;
        let bob = b.user("bob").await;
        let handle = format!("bob@{}", domain(&b));
        let bob_on_a = json(
            a.get(
                &format!("/api/v1/accounts/lookup?acct={handle}"),
                Some(&alice.token),
            )
            .await,
            StatusCode::OK,
        )
        .await;
        let bob_id = bob_on_a["id"].as_str().unwrap().to_owned();
        json(
            a.post_empty(
                &format!("/api/v1/accounts/{bob_id}/follow"),
                Some(&alice.token),
            )
            .await,
            StatusCode::OK,
        )
        .await;
        settle(&[&a, &b]).await;
        let rel = json(
            a.get(
                &format!("/api/v1/accounts/relationships?id[]={bob_id}"),
                Some(&alice.token),
            )
            .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(rel[0]["following"], true, "{rel}");
        let bob_me = json(
            b.get("/api/v1/accounts/verify_credentials", Some(&bob.token))
                .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(bob_me["followers_count"], 1);

        // Bob posts, mentioning alice; it reaches her home feed and notifications.
        let text = format!("hello @alice@{}", domain(&a));
        let status = post(&b, &bob, &text, "public").await;
        settle(&[&a, &b]).await;
        let home = json(
            a.get("/api/v1/timelines/home", Some(&alice.token)).await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(home[0]["uri"], status["uri"], "{home}");
        let n = json(
            a.get("/api/v1/notifications", Some(&alice.token)).await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(n[0]["type"], "mention", "{n}");

        // Alice favourites and replies; bob sees both.
        let local_id = home[0]["id"].as_str().unwrap().to_owned();
        json(
            a.post_empty(
                &format!("/api/v1/statuses/{local_id}/favourite"),
                Some(&alice.token),
            )
            .await,
            StatusCode::OK,
        )
        .await;
        post_with(
            &a,
            &alice,
            json!({"status": format!("@{handle} hi back"), "in_reply_to_id": local_id}),
        )
        .await;
        settle(&[&a, &b]).await;
        let on_b = json(
            b.get(
                &format!("/api/v1/statuses/{}", status["id"].as_str().unwrap()),
                Some(&bob.token),
            )
            .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(on_b["favourites_count"], 1, "{on_b}");
        assert_eq!(on_b["replies_count"], 1, "{on_b}");

        // Bob deletes; it is gone from A.
        let r = b
            .req(
                reqwest::Method::DELETE,
                &format!("/api/v1/statuses/{}", status["id"].as_str().unwrap()),
            )
            .bearer_auth(&bob.token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        settle(&[&a, &b]).await;
        assert_eq!(
            count(
                &a,
                &format!("statuses WHERE uri = '{}'", status["uri"].as_str().unwrap())
            )
            .await,
            0
        );
    })
    .await;
}

#[tokio::test]
async fn a_signing_key_rotation_is_picked_up() {
    each_backend(|a| async move {
        let alice = a.user("alice").await;
        let fake = FakeHost::start("127.0.0.4").await;
        let old = fake.actor_as("rot", "Person", false);
        follow_actor(&a, &alice, &old.actor).await;
        let hello = |n: u32, s: &Signer| {
            let id = format!("{}/notes/{n}", s.actor);
            json!({"id": format!("{id}/activity"), "type": "Create", "actor": s.actor,
                   "object": {"id": id, "type": "Note", "attributedTo": s.actor, "content": "x", "to": PUBLIC}})
        };
        assert_eq!(deliver_as(&a, "/inbox", &hello(1, &old), &old, "rsa-sha256").await, StatusCode::ACCEPTED);
        // The actor rotates its key (same key id); the stored key is fresh, so a failing
        // signature does not refetch at once.
        let new = fake.actor_as("rot", "Person", false);
        assert_eq!(deliver_as(&a, "/inbox", &hello(2, &new), &new, "rsa-sha256").await, StatusCode::UNAUTHORIZED);
        // Once the stored key is older than the refetch interval, it is refetched once.
        exec(&a, "UPDATE accounts SET fetched_at = $1 WHERE domain IS NOT NULL", &[0]).await;
        assert_eq!(deliver_as(&a, "/inbox", &hello(3, &new), &new, "rsa-sha256").await, StatusCode::ACCEPTED);
        // The old key no longer works.
        assert_eq!(deliver_as(&a, "/inbox", &hello(4, &old), &old, "rsa-sha256").await, StatusCode::UNAUTHORIZED);
        a.run_jobs().await;
        assert_eq!(count(&a, "statuses").await, 2);
    })
    .await;
}
