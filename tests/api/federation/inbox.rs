//! Inbound federation: activities delivered to A's inboxes, signed by a real actor on B
//! (`each_backend_pair`: A on 127.0.0.2, B on 127.0.0.3; A fetches B's actor over loopback),
//! or by a fake actor server speaking other servers' dialects.

use std::time::{Duration, SystemTime};

use reqwest::{Response, StatusCode};
use serde_json::{Value, json};
use woolly::federation::signature::{SigningKey, sign_request};

use super::*;

pub const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";

/// A remote actor's signing identity: actor URI and key.
pub struct Signer {
    pub actor: String,
    pub key: SigningKey,
}

/// The signing identity of local user `username` of `app` (its real key).
pub async fn signer_of(app: &TestApp, user: &TestUser) -> Signer {
    let mut h = app.state.db.read().await.unwrap();
    let pem = woolly::db::accounts::private_key(h.conn(), num(&json!(user.account_id)))
        .await
        .unwrap()
        .expect("local key");
    let actor = actor_uri(app, &user.username);
    Signer {
        key: SigningKey::from_pem(format!("{actor}#main-key"), &pem).unwrap(),
        actor,
    }
}

/// Signs `body` for `POST {app}{path}` with `signer` at `date`; returns the headers.
pub fn signed_headers(
    app: &TestApp,
    path: &str,
    body: &[u8],
    signer: &Signer,
    date: SystemTime,
) -> Vec<(String, String)> {
    let url = url::Url::parse(&format!("{}{path}", app.url)).unwrap();
    sign_request(
        &signer.key,
        "POST",
        &url,
        &[("content-type", "application/activity+json")],
        Some(body),
        date,
    )
    .into_iter()
    .map(|(n, v)| (n.to_string(), v.to_str().unwrap().to_owned()))
    .collect()
}

/// POSTs raw bytes with the given headers.
pub async fn post_raw(
    app: &TestApp,
    path: &str,
    body: Vec<u8>,
    headers: &[(String, String)],
) -> Response {
    let mut r = app
        .req(reqwest::Method::POST, path)
        .header("content-type", "application/activity+json")
        .body(body);
    for (n, v) in headers {
        if n != "host" {
            r = r.header(n, v);
        }
    }
    r.send().await.expect("request")
}

/// Delivers `activity` to `path` on `app`, signed now by `signer`.
pub async fn deliver(app: &TestApp, path: &str, activity: &Value, signer: &Signer) -> StatusCode {
    let body = serde_json::to_vec(activity).unwrap();
    let headers = signed_headers(app, path, &body, signer, SystemTime::now());
    post_raw(app, path, body, &headers).await.status()
}

/// Counts rows of a table (optionally with a WHERE clause).
pub async fn count(app: &TestApp, table_and_where: &str) -> i64 {
    let mut h = app.state.db.read().await.unwrap();
    let sql = format!("SELECT count(*) FROM {table_and_where}");
    let c = h.conn();
    woolly::with_conn!(c, |c| sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(
        sql
    ))
    .fetch_one(&mut *c)
    .await
    .unwrap())
}

pub fn note(id: &str, actor: &str, content: &str, to: Value, cc: Value, tag: Value) -> Value {
    json!({
        "id": id,
        "type": "Note",
        "attributedTo": actor,
        "content": content,
        "to": to,
        "cc": cc,
        "tag": tag,
        "published": "2024-05-01T10:00:00Z",
    })
}

pub fn create(actor: &str, object: Value) -> Value {
    json!({
        "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
        "id": format!("{}/activity", object["id"].as_str().unwrap()),
        "type": "Create",
        "actor": actor,
        "to": object["to"].clone(),
        "cc": object["cc"].clone(),
        "object": object,
    })
}

pub async fn notifications(app: &TestApp, user: &TestUser) -> Vec<Value> {
    json(
        app.get("/api/v1/notifications", Some(&user.token)).await,
        StatusCode::OK,
    )
    .await
    .as_array()
    .unwrap()
    .clone()
}

#[tokio::test]
async fn a_create_delivered_three_times_concurrently_is_stored_once() {
    each_backend_pair(|a, b| async move {
        let alice = a.user("alice").await;
        let bob = b.user("bob").await;
        let signer = signer_of(&b, &bob).await;
        let id = format!("{}/users/bob/statuses/1001", b.url);
        let activity = create(
            &signer.actor,
            note(
                &id,
                &signer.actor,
                "<p>Hello <a href=\"x\" class=\"mention\">@alice</a><script>alert(1)</script></p>",
                json!([PUBLIC]),
                json!([format!("{}/followers", signer.actor), actor_uri(&a, "alice")]),
                json!([{"type": "Mention", "href": actor_uri(&a, "alice"), "name": format!("@alice@{}", domain(&a))},
                       {"type": "Hashtag", "name": "#Fedi", "href": "https://x.example/tags/fedi"}]),
            ),
        );
        let (s1, s2, s3) = tokio::join!(
            deliver(&a, "/inbox", &activity, &signer),
            deliver(&a, "/users/alice/inbox", &activity, &signer),
            deliver(&a, "/inbox", &activity, &signer),
        );
        assert_eq!([s1, s2, s3], [StatusCode::ACCEPTED; 3]);
        a.run_jobs().await;
        assert_eq!(count(&a, "inbox_activities").await, 1);
        assert_eq!(
            count(&a, &format!("statuses WHERE uri = '{id}'")).await,
            1
        );
        let n = notifications(&a, &alice).await;
        assert_eq!(n.len(), 1, "{n:?}");
        assert_eq!(n[0]["type"], "mention");
        let status = &n[0]["status"];
        assert_eq!(status["visibility"], "public");
        assert_eq!(status["uri"], id.as_str());
        assert!(!status["content"].as_str().unwrap().contains("script"));
        assert_eq!(status["tags"][0]["name"], "fedi");
        assert_eq!(
            status["account"]["acct"],
            format!("bob@{}", domain(&b)).as_str()
        );
        // The same object delivered again under another activity id stays one status.
        let mut again = activity.clone();
        again["id"] = json!(format!("{id}/activity2"));
        assert_eq!(deliver(&a, "/inbox", &again, &signer).await, StatusCode::ACCEPTED);
        a.run_jobs().await;
        assert_eq!(count(&a, &format!("statuses WHERE uri = '{id}'")).await, 1);
        assert_eq!(notifications(&a, &alice).await.len(), 1);
        // It is on the federated timeline, not on the local one.
        let public = json(a.get("/api/v1/timelines/public", None).await, StatusCode::OK).await;
        assert_eq!(public.as_array().unwrap().len(), 1);
        let local = json(
            a.get("/api/v1/timelines/public?local=true", None).await,
            StatusCode::OK,
        )
        .await;
        assert!(local.as_array().unwrap().is_empty());
    })
    .await;
}

#[tokio::test]
async fn visibility_follows_addressing_and_reaches_home_feeds() {
    each_backend_pair(|a, b| async move {
        let alice = a.user("alice").await;
        let bob = b.user("bob").await;
        let signer = signer_of(&b, &bob).await;
        let followers = format!("{}/followers", signer.actor);
        // Bob follows nobody yet: alice follows bob (a request, accepted by an embedded Follow).
        let bob_on_a = json(
            a.get(
                &format!("/api/v1/accounts/lookup?acct=bob@{}", domain(&b)),
                Some(&alice.token),
            )
            .await,
            StatusCode::OK,
        )
        .await;
        let resp = json(
            a.post_empty(
                &format!(
                    "/api/v1/accounts/{}/follow",
                    bob_on_a["id"].as_str().unwrap()
                ),
                Some(&alice.token),
            )
            .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(resp["requested"], true);
        let accept = json!({
            "id": format!("{}#accepts/follows/1", signer.actor),
            "type": "Accept",
            "actor": signer.actor,
            "object": {"id": format!("{}/follows/99", a.url), "type": "Follow",
                       "actor": actor_uri(&a, "alice"), "object": signer.actor},
        });
        assert_eq!(
            deliver(&a, "/inbox", &accept, &signer).await,
            StatusCode::ACCEPTED
        );
        a.run_jobs().await;
        let rel = json(
            a.get(
                &format!(
                    "/api/v1/accounts/relationships?id[]={}",
                    bob_on_a["id"].as_str().unwrap()
                ),
                Some(&alice.token),
            )
            .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(rel[0]["following"], true, "{rel}");

        let cases = [
            ("public", json!(PUBLIC), json!(followers)),
            ("unlisted", json!(followers), json!("as:Public")),
            ("private", json!(followers), json!([])),
            ("direct", json!(actor_uri(&a, "alice")), json!([])),
        ];
        for (i, (expected, to, cc)) in cases.iter().enumerate() {
            let id = format!("{}/users/bob/statuses/{}", b.url, 2000 + i);
            let tag = if *expected == "direct" {
                json!({"type": "Mention", "href": actor_uri(&a, "alice")})
            } else {
                json!([])
            };
            let activity = create(
                &signer.actor,
                note(&id, &signer.actor, "<p>hi</p>", to.clone(), cc.clone(), tag),
            );
            assert_eq!(
                deliver(&a, "/inbox", &activity, &signer).await,
                StatusCode::ACCEPTED
            );
            a.run_jobs().await;
            let mut h = a.state.db.read().await.unwrap();
            let s = woolly::db::inbox::status_by_uri(h.conn(), &id)
                .await
                .unwrap()
                .unwrap();
            assert_eq!(s.visibility, *expected, "{to} / {cc}");
        }
        let home = json(
            a.get("/api/v1/timelines/home", Some(&alice.token)).await,
            StatusCode::OK,
        )
        .await;
        // public, unlisted, private and the direct message mentioning alice.
        assert_eq!(home.as_array().unwrap().len(), 4, "{home}");
    })
    .await;
}

#[tokio::test]
async fn follows_likes_boosts_and_their_undos() {
    each_backend_pair(|a, b| async move {
        let alice = a.user("alice").await;
        let carol = a.user("carol").await;
        update_profile(&a, &carol, json!({"locked": true})).await;
        let bob = b.user("bob").await;
        let signer = signer_of(&b, &bob).await;

        // Follow of an unlocked account: a follow and a `follow` notification.
        let follow = json!({"id": format!("{}#follows/1", signer.actor), "type": "Follow",
                            "actor": signer.actor, "object": actor_uri(&a, "alice")});
        assert_eq!(deliver(&a, "/users/alice/inbox", &follow, &signer).await, StatusCode::ACCEPTED);
        // Of a locked one: a request.
        let follow_carol = json!({"id": format!("{}#follows/2", signer.actor), "type": "Follow",
                                  "actor": signer.actor, "object": actor_uri(&a, "carol")});
        assert_eq!(deliver(&a, "/inbox", &follow_carol, &signer).await, StatusCode::ACCEPTED);
        a.run_jobs().await;
        let me = json(a.get("/api/v1/accounts/verify_credentials", Some(&alice.token)).await, StatusCode::OK).await;
        assert_eq!(me["followers_count"], 1);
        assert_eq!(notifications(&a, &alice).await[0]["type"], "follow");
        assert_eq!(notifications(&a, &carol).await[0]["type"], "follow_request");
        let requests = json(a.get("/api/v1/follow_requests", Some(&carol.token)).await, StatusCode::OK).await;
        assert_eq!(requests.as_array().unwrap().len(), 1);

        // Like and Announce of alice's post.
        let post = post(&a, &alice, "a post", "public").await;
        let post_uri = post["uri"].as_str().unwrap().to_owned();
        let like = json!({"id": format!("{}#likes/1", signer.actor), "type": "Like",
                          "actor": signer.actor, "object": post_uri,
                          "_misskey_reaction": "👍", "content": "👍"});
        let announce = json!({"id": format!("{}/statuses/77/activity", signer.actor), "type": "Announce",
                              "actor": signer.actor, "object": post_uri,
                              "to": PUBLIC, "cc": [format!("{}/followers", signer.actor)],
                              "published": "2024-05-01T10:00:00Z"});
        for act in [&like, &announce, &like, &announce] {
            assert_eq!(deliver(&a, "/inbox", act, &signer).await, StatusCode::ACCEPTED);
        }
        a.run_jobs().await;
        let s = json(a.get(&format!("/api/v1/statuses/{}", post["id"].as_str().unwrap()), Some(&alice.token)).await, StatusCode::OK).await;
        assert_eq!(s["favourites_count"], 1);
        assert_eq!(s["reblogs_count"], 1);
        let kinds: Vec<String> = notifications(&a, &alice).await.iter().map(|n| n["type"].as_str().unwrap().to_owned()).collect();
        assert_eq!(kinds, vec!["reblog", "favourite", "follow"]);

        // Undo each, by embedded object and by id only.
        let undos = [
            json!({"id": format!("{}#undo/1", signer.actor), "type": "Undo", "actor": signer.actor, "object": like}),
            json!({"id": format!("{}#undo/2", signer.actor), "type": "Undo", "actor": signer.actor, "object": announce["id"]}),
            json!({"id": format!("{}#undo/3", signer.actor), "type": "Undo", "actor": signer.actor, "object": follow}),
            json!({"id": format!("{}#undo/4", signer.actor), "type": "Undo", "actor": signer.actor, "object": follow_carol["id"]}),
        ];
        for u in &undos {
            assert_eq!(deliver(&a, "/inbox", u, &signer).await, StatusCode::ACCEPTED);
        }
        a.run_jobs().await;
        let s = json(a.get(&format!("/api/v1/statuses/{}", post["id"].as_str().unwrap()), Some(&alice.token)).await, StatusCode::OK).await;
        assert_eq!(s["favourites_count"], 0);
        assert_eq!(s["reblogs_count"], 0);
        assert!(notifications(&a, &alice).await.is_empty());
        let me = json(a.get("/api/v1/accounts/verify_credentials", Some(&alice.token)).await, StatusCode::OK).await;
        assert_eq!(me["followers_count"], 0);
        let requests = json(a.get("/api/v1/follow_requests", Some(&carol.token)).await, StatusCode::OK).await;
        assert!(requests.as_array().unwrap().is_empty());

        // A block removes follows both ways.
        assert_eq!(deliver(&a, "/inbox", &follow, &signer).await, StatusCode::ACCEPTED);
        a.run_jobs().await;
        // (a redelivered activity id is a no-op: still no follow)
        assert_eq!(count(&a, "follows").await, 0);
        let follow2 = json!({"id": format!("{}#follows/3", signer.actor), "type": "Follow",
                             "actor": signer.actor, "object": actor_uri(&a, "alice")});
        let block = json!({"id": format!("{}#blocks/1", signer.actor), "type": "Block",
                           "actor": signer.actor, "object": actor_uri(&a, "alice")});
        assert_eq!(deliver(&a, "/inbox", &follow2, &signer).await, StatusCode::ACCEPTED);
        a.run_jobs().await;
        assert_eq!(count(&a, "follows").await, 1);
        assert_eq!(deliver(&a, "/inbox", &block, &signer).await, StatusCode::ACCEPTED);
        a.run_jobs().await;
        assert_eq!(count(&a, "follows").await, 0);
        assert_eq!(count(&a, "blocks").await, 1);
    })
    .await;
}

#[tokio::test]
async fn edits_and_deletes_only_by_the_author() {
    each_backend_pair(|a, b| async move {
        let alice = a.user("alice").await;
        let bob = b.user("bob").await;
        let dave = b.user("dave").await;
        let bob_s = signer_of(&b, &bob).await;
        let dave_s = signer_of(&b, &dave).await;
        follow_actor(&a, &alice, &bob_s.actor).await;
        let id = format!("{}/users/bob/statuses/3001", b.url);
        let n = note(&id, &bob_s.actor, "<p>first</p>", json!(PUBLIC), json!([]), json!([]));
        assert_eq!(deliver(&a, "/inbox", &create(&bob_s.actor, n.clone()), &bob_s).await, StatusCode::ACCEPTED);
        a.run_jobs().await;

        // Dave may neither edit nor delete bob's status.
        let mut forged = n.clone();
        forged["content"] = json!("<p>forged</p>");
        forged["updated"] = json!("2024-05-02T10:00:00Z");
        let upd = json!({"id": format!("{}#updates/1", dave_s.actor), "type": "Update", "actor": dave_s.actor, "object": forged});
        let del = json!({"id": format!("{}#delete/1", dave_s.actor), "type": "Delete", "actor": dave_s.actor,
                         "object": {"id": id, "type": "Tombstone"}});
        assert_eq!(deliver(&a, "/inbox", &upd, &dave_s).await, StatusCode::ACCEPTED);
        assert_eq!(deliver(&a, "/inbox", &del, &dave_s).await, StatusCode::ACCEPTED);
        a.run_jobs().await;
        let mut h = a.state.db.read().await.unwrap();
        let s = woolly::db::inbox::status_by_uri(h.conn(), &id).await.unwrap().expect("still there");
        drop(h);
        assert_eq!(s.content, "<p>first</p>");

        // Bob edits (history kept) and deletes it.
        let mut edited = n.clone();
        edited["content"] = json!("<p>second</p>");
        edited["updated"] = json!("2024-05-02T10:00:00Z");
        let upd = json!({"id": format!("{}#updates/2", bob_s.actor), "type": "Update", "actor": bob_s.actor, "object": edited});
        assert_eq!(deliver(&a, "/inbox", &upd, &bob_s).await, StatusCode::ACCEPTED);
        a.run_jobs().await;
        let history = json(a.get(&format!("/api/v1/statuses/{}/history", s.id), None).await, StatusCode::OK).await;
        assert_eq!(history.as_array().unwrap().len(), 2, "{history}");
        assert_eq!(history[1]["content"], "<p>second</p>");

        // Profile update of the actor itself.
        let mut actor_doc = ap_ok(&b, "/users/bob").await;
        actor_doc["name"] = json!("Bobby");
        let upd = json!({"id": format!("{}#updates/3", bob_s.actor), "type": "Update", "actor": bob_s.actor, "object": actor_doc});
        assert_eq!(deliver(&a, "/inbox", &upd, &bob_s).await, StatusCode::ACCEPTED);
        a.run_jobs().await;
        assert_eq!(count(&a, "accounts WHERE display_name = 'Bobby'").await, 1);

        let del = json!({"id": format!("{}#delete/2", bob_s.actor), "type": "Delete", "actor": bob_s.actor, "object": id});
        assert_eq!(deliver(&a, "/inbox", &del, &bob_s).await, StatusCode::ACCEPTED);
        a.run_jobs().await;
        assert_eq!(count(&a, &format!("statuses WHERE uri = '{id}'")).await, 0);
        assert_eq!(count(&a, &format!("accounts WHERE uri = '{}' AND statuses_count = 0", bob_s.actor)).await, 1);

        // The actor deleting itself takes its account away.
        let del = json!({"id": format!("{}#delete/3", bob_s.actor), "type": "Delete", "actor": bob_s.actor, "object": bob_s.actor});
        assert_eq!(deliver(&a, "/inbox", &del, &bob_s).await, StatusCode::ACCEPTED);
        a.run_jobs().await;
        assert_eq!(count(&a, &format!("accounts WHERE uri = '{}'", bob_s.actor)).await, 0);
    })
    .await;
}

#[tokio::test]
async fn forged_and_hostile_deliveries_are_refused_with_nothing_stored() {
    each_backend_pair(|a, b| async move {
        let alice = a.user("alice").await;
        let bob = b.user("bob").await;
        let mallory = b.user("mallory").await;
        let bob_s = signer_of(&b, &bob).await;
        let mallory_s = signer_of(&b, &mallory).await;
        let id = format!("{}/users/bob/statuses/4001", b.url);
        let activity = create(&bob_s.actor, note(&id, &bob_s.actor, "<p>x</p>", json!(PUBLIC), json!([]), json!([])));
        let body = serde_json::to_vec(&activity).unwrap();

        // Unsigned.
        let r = post_raw(&a, "/inbox", body.clone(), &[]).await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        // Signed by mallory's key but claiming bob's key id (forged signature).
        let forged = Signer { actor: bob_s.actor.clone(), key: SigningKey::from_pem(
            format!("{}#main-key", bob_s.actor),
            &{ let mut h = b.state.db.read().await.unwrap();
               woolly::db::accounts::private_key(h.conn(), num(&json!(mallory.account_id))).await.unwrap().unwrap() }).unwrap() };
        assert_eq!(deliver(&a, "/inbox", &activity, &forged).await, StatusCode::UNAUTHORIZED);
        // Wrong digest: headers signed for another body.
        let headers = signed_headers(&a, "/inbox", b"{}", &bob_s, SystemTime::now());
        assert_eq!(post_raw(&a, "/inbox", body.clone(), &headers).await.status(), StatusCode::UNAUTHORIZED);
        // Stale date (two hours old).
        let headers = signed_headers(&a, "/inbox", &body, &bob_s, SystemTime::now() - Duration::from_secs(7200));
        assert_eq!(post_raw(&a, "/inbox", body.clone(), &headers).await.status(), StatusCode::UNAUTHORIZED);
        // Key owner is not the actor: mallory signs bob's activity.
        assert_eq!(deliver(&a, "/inbox", &activity, &mallory_s).await, StatusCode::UNAUTHORIZED);
        // Oversized.
        let mut big = activity.clone();
        big["object"]["content"] = json!("x".repeat(1024 * 1024 + 10));
        assert_eq!(deliver(&a, "/inbox", &big, &bob_s).await, StatusCode::PAYLOAD_TOO_LARGE);
        // Deeply nested.
        let mut deep = json!("x");
        for _ in 0..100 {
            deep = json!([deep]);
        }
        let mut nested = activity.clone();
        nested["object"]["tag"] = deep;
        assert_eq!(deliver(&a, "/inbox", &nested, &bob_s).await, StatusCode::BAD_REQUEST);
        // Unknown inbox owner.
        assert_eq!(deliver(&a, "/users/nobody/inbox", &activity, &bob_s).await, StatusCode::NOT_FOUND);
        a.run_jobs().await;
        assert_eq!(count(&a, "inbox_activities").await, 0);
        assert_eq!(count(&a, "statuses").await, 0);

        // Accepted at the edge (signed correctly) but refused when processed: an object on
        // another host, attributed to someone else, or claiming a local id.
        let spoofed = [
            create(&bob_s.actor, note("https://elsewhere.example/notes/1", &bob_s.actor, "<p>s</p>", json!(PUBLIC), json!([]), json!([]))),
            create(&bob_s.actor, note(&format!("{}/users/bob/statuses/4002", b.url), &mallory_s.actor, "<p>s</p>", json!(PUBLIC), json!([]), json!([]))),
            create(&bob_s.actor, note(&format!("{}/users/alice/statuses/4003", a.url), &bob_s.actor, "<p>s</p>", json!(PUBLIC), json!([]), json!([]))),
        ];
        for (i, mut s) in spoofed.into_iter().enumerate() {
            // The activity itself is bob's (an id on another host is refused at the edge).
            s["id"] = json!(format!("{}#spoofed/{i}", bob_s.actor));
            assert_eq!(deliver(&a, "/inbox", &s, &bob_s).await, StatusCode::ACCEPTED);
        }
        // An Accept of a follow bob was never asked for, and a Like of nothing.
        let accept = json!({"id": format!("{}#a/1", bob_s.actor), "type": "Accept", "actor": bob_s.actor,
                            "object": {"type": "Follow", "actor": actor_uri(&a, "alice"), "object": mallory_s.actor}});
        assert_eq!(deliver(&a, "/inbox", &accept, &bob_s).await, StatusCode::ACCEPTED);
        // Unknown types are acknowledged and ignored.
        let odd = json!({"id": format!("{}#x/1", bob_s.actor), "type": "EmojiReact", "actor": bob_s.actor, "object": "https://x"});
        assert_eq!(deliver(&a, "/inbox", &odd, &bob_s).await, StatusCode::ACCEPTED);
        a.run_jobs().await;
        assert_eq!(count(&a, "statuses").await, 0);
        assert_eq!(count(&a, "follows").await, 0);
        assert!(notifications(&a, &alice).await.is_empty());
    })
    .await;
}

#[tokio::test]
async fn remote_accounts_and_posts_are_resolved_by_search_and_lookup() {
    each_backend_pair(|a, b| async move {
        let alice = a.user("alice").await;
        let bob = b.user("bob").await;
        let remote_post = post(&b, &bob, "hello from B #woolly", "public").await;
        let handle = format!("bob@{}", domain(&b));

        // Without a token, resolve is refused; unknown handles are 404 to lookup.
        let r = a
            .get(&format!("/api/v2/search?q=@{handle}&resolve=true"), None)
            .await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        let r = a
            .get(
                &format!("/api/v1/accounts/lookup?acct=nobody@{}", domain(&b)),
                Some(&alice.token),
            )
            .await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND);

        for q in [format!("@{handle}"), handle.clone()] {
            let found = json(
                a.get(
                    &format!("/api/v2/search?q={}&resolve=true", urlencode(&q)),
                    Some(&alice.token),
                )
                .await,
                StatusCode::OK,
            )
            .await;
            assert_eq!(found["accounts"][0]["acct"], handle.as_str(), "{found}");
            assert_eq!(found["accounts"].as_array().unwrap().len(), 1);
        }
        let looked_up = json(
            a.get(
                &format!("/api/v1/accounts/lookup?acct={handle}"),
                Some(&alice.token),
            )
            .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(looked_up["acct"], handle.as_str());
        assert_eq!(looked_up["uri"], actor_uri(&b, "bob").as_str());
        assert_shape_ignoring(
            "GET /api/v1/accounts/:id 200",
            &looked_up,
            &["source", "role", "emojis"],
        );

        // A post URL and a profile URL.
        let found = json(
            a.get(
                &format!(
                    "/api/v2/search?q={}&resolve=true",
                    urlencode(remote_post["url"].as_str().unwrap())
                ),
                Some(&alice.token),
            )
            .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(found["statuses"][0]["uri"], remote_post["uri"], "{found}");
        assert_eq!(found["statuses"][0]["tags"][0]["name"], "woolly");
        let found = json(
            a.get(
                &format!(
                    "/api/v2/search?q={}&resolve=true",
                    urlencode(&format!("{}/@bob", b.url))
                ),
                Some(&alice.token),
            )
            .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(found["accounts"][0]["acct"], handle.as_str(), "{found}");
        assert_eq!(count(&a, "accounts WHERE domain IS NOT NULL").await, 1);
    })
    .await;
}

fn urlencode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}
