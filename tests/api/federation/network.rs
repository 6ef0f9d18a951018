//! Several Woolly servers federating over loopback, driven only through the client API on
//! each side (A on 127.0.0.2, B on 127.0.0.3, C on 127.0.0.5): follows (locked accounts
//! too), every visibility reaching exactly its audience, threads, boosts, favourites, edits,
//! deletes, profile updates, blocks, remote search, and a peer that is down for a while.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::inbox::count;
use super::*;

/// GETs `path` with `user`'s token, asserting 200.
pub(super) async fn get(app: &TestApp, user: &TestUser, path: &str) -> Value {
    json(app.get(path, Some(&user.token)).await, StatusCode::OK).await
}

/// POSTs an action with `user`'s token, asserting 200.
pub(super) async fn act(app: &TestApp, user: &TestUser, path: &str) -> Value {
    json(
        app.post_empty(path, Some(&user.token)).await,
        StatusCode::OK,
    )
    .await
}

/// The id on `app` of the account `acct` (`user@domain`), resolved through lookup.
pub(super) async fn lookup(app: &TestApp, viewer: &TestUser, acct: &str) -> String {
    let a = get(app, viewer, &format!("/api/v1/accounts/lookup?acct={acct}")).await;
    a["id"].as_str().unwrap().to_owned()
}

/// `user` deletes their status `s` (an entity) through the API.
async fn delete_status(app: &TestApp, user: &TestUser, s: &Value) {
    let path = format!("/api/v1/statuses/{}", s["id"].as_str().unwrap());
    let r = app
        .req(Method::DELETE, &path)
        .bearer_auth(&user.token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
}

/// `user` edits their status `s` (an entity) to `text` through the API.
async fn edit_status(app: &TestApp, user: &TestUser, s: &Value, text: impl Into<String>) {
    let path = format!("/api/v1/statuses/{}", s["id"].as_str().unwrap());
    let r = app
        .req(Method::PUT, &path)
        .bearer_auth(&user.token)
        .json(&json!({ "status": text.into() }))
        .send()
        .await
        .unwrap();
    json(r, StatusCode::OK).await;
}

/// `user@domain` of `user` on `app`.
pub(super) fn acct(app: &TestApp, user: &TestUser) -> String {
    format!("{}@{}", user.username, domain(app))
}

/// `viewer`'s relationship with account `id`.
pub(super) async fn relationship(app: &TestApp, viewer: &TestUser, id: &str) -> Value {
    get(
        app,
        viewer,
        &format!("/api/v1/accounts/relationships?id[]={id}"),
    )
    .await[0]
        .clone()
}

/// `user`'s own account as `verify_credentials` shows it.
pub(super) async fn me(app: &TestApp, user: &TestUser) -> Value {
    get(app, user, "/api/v1/accounts/verify_credentials").await
}

/// `who` (on `app`) follows the remote `target` (on `remote`) through the API and the
/// servers settle; returns `target`'s id on `app`.
pub(super) async fn follow_remote(
    app: &TestApp,
    who: &TestUser,
    remote: &TestApp,
    target: &TestUser,
) -> String {
    let id = lookup(app, who, &acct(remote, target)).await;
    act(app, who, &format!("/api/v1/accounts/{id}/follow")).await;
    settle(&[app, remote]).await;
    id
}

/// The uris of `user`'s home timeline (boosts by their original's uri, prefixed `boost:`),
/// newest first.
pub(super) async fn home_uris(app: &TestApp, user: &TestUser) -> Vec<String> {
    get(app, user, "/api/v1/timelines/home")
        .await
        .as_array()
        .unwrap()
        .iter()
        .map(|s| match s["reblog"]["uri"].as_str() {
            Some(u) => format!("boost:{u}"),
            None => s["uri"].as_str().unwrap().to_owned(),
        })
        .collect()
}

/// The uris of a public timeline page on `app` (`query`: e.g. `remote=true`).
pub(super) async fn public_uris(app: &TestApp, query: &str) -> Vec<String> {
    timeline_uris(app, &format!("/api/v1/timelines/public?{query}")).await
}

/// The uris of the timeline page at `path` on `app`, read anonymously.
pub(super) async fn timeline_uris(app: &TestApp, path: &str) -> Vec<String> {
    json(app.get(path, None).await, StatusCode::OK)
        .await
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["uri"].as_str().unwrap().to_owned())
        .collect()
}

/// `uris` sorted: remote copies of posts made within the same second have ids in no
/// particular order (`published` has second precision, as Mastodon renders it).
fn sorted(mut uris: Vec<String>) -> Vec<String> {
    uris.sort();
    uris
}

/// The id on `app` of the status with `uri`, if `app` has it.
pub(super) async fn local_id(app: &TestApp, uri: &Value) -> Option<String> {
    let mut h = app.state.db.read().await.unwrap();
    woolly::db::inbox::status_by_uri(h.conn(), uri.as_str().unwrap())
        .await
        .unwrap()
        .map(|s| s.id.to_string())
}

/// The id on `app` of the status with `uri`, which `app` must have.
pub(super) async fn id_on(app: &TestApp, uri: &Value) -> String {
    local_id(app, uri)
        .await
        .unwrap_or_else(|| panic!("{} has no copy of {uri}", app.url))
}

/// The status `id` as `viewer` sees it: the HTTP status and the body.
async fn status_as(app: &TestApp, viewer: Option<&TestUser>, id: &str) -> (StatusCode, Value) {
    let r = app
        .get(
            &format!("/api/v1/statuses/{id}"),
            viewer.map(|v| v.token.as_str()),
        )
        .await;
    let code = r.status();
    (code, r.json().await.unwrap_or(Value::Null))
}

/// `user`'s notifications as `(type, account acct, status uri)`.
pub(super) async fn notifications(app: &TestApp, user: &TestUser) -> Vec<(String, String, String)> {
    get(app, user, "/api/v1/notifications")
        .await
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            (
                n["type"].as_str().unwrap().to_owned(),
                n["account"]["acct"].as_str().unwrap().to_owned(),
                n["status"]["uri"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn following_unlocked_and_locked_remote_accounts_and_unfollowing() {
    each_backend_pair(|a, b| async move {
        let alice = a.user("alice").await;
        let dan = a.user("dan").await;
        let bob = b.user("bob").await;
        let carol = b.user("carol").await;
        update_profile(&b, &carol, json!({"locked": true})).await;

        // An unlocked remote account: requested until B's Accept arrives, then following.
        let bob_id = lookup(&a, &alice, &acct(&b, &bob)).await;
        let rel = act(&a, &alice, &format!("/api/v1/accounts/{bob_id}/follow")).await;
        assert_eq!(rel["requested"], true, "{rel}");
        assert_eq!(rel["following"], false, "{rel}");
        settle(&[&a, &b]).await;
        let rel = relationship(&a, &alice, &bob_id).await;
        assert_eq!(
            (&rel["following"], &rel["requested"]),
            (&json!(true), &json!(false))
        );
        assert_eq!(me(&a, &alice).await["following_count"], 1);
        assert_eq!(me(&b, &bob).await["followers_count"], 1);
        let alice_on_b = lookup(&b, &bob, &acct(&a, &alice)).await;
        assert_eq!(
            relationship(&b, &bob, &alice_on_b).await["followed_by"],
            true
        );
        let followers = get(
            &b,
            &bob,
            &format!("/api/v1/accounts/{}/followers", bob.account_id),
        )
        .await;
        assert_eq!(followers[0]["acct"], acct(&a, &alice).as_str());
        assert_eq!(notifications(&b, &bob).await[0].0, "follow");

        // A locked one: the request waits on B until carol decides.
        let carol_id = lookup(&a, &alice, &acct(&b, &carol)).await;
        act(&a, &alice, &format!("/api/v1/accounts/{carol_id}/follow")).await;
        let dan_carol = lookup(&a, &dan, &acct(&b, &carol)).await;
        act(&a, &dan, &format!("/api/v1/accounts/{dan_carol}/follow")).await;
        settle(&[&a, &b]).await;
        let rel = relationship(&a, &alice, &carol_id).await;
        assert_eq!(
            (&rel["following"], &rel["requested"]),
            (&json!(false), &json!(true))
        );
        let requests = get(&b, &carol, "/api/v1/follow_requests").await;
        let mut accts: Vec<&str> = requests
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["acct"].as_str().unwrap())
            .collect();
        accts.sort();
        assert_eq!(accts, [acct(&a, &alice), acct(&a, &dan)]);
        let kinds: Vec<String> = notifications(&b, &carol)
            .await
            .into_iter()
            .map(|n| n.0)
            .collect();
        assert_eq!(kinds, ["follow_request", "follow_request"]);

        // Authorize alice, reject dan.
        let alice_on_b = requests
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["username"] == "alice")
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let dan_on_b = requests
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["username"] == "dan")
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        act(
            &b,
            &carol,
            &format!("/api/v1/follow_requests/{alice_on_b}/authorize"),
        )
        .await;
        act(
            &b,
            &carol,
            &format!("/api/v1/follow_requests/{dan_on_b}/reject"),
        )
        .await;
        settle(&[&a, &b]).await;
        let rel = relationship(&a, &alice, &carol_id).await;
        assert_eq!(
            (&rel["following"], &rel["requested"]),
            (&json!(true), &json!(false))
        );
        let rel = relationship(&a, &dan, &dan_carol).await;
        assert_eq!(
            (&rel["following"], &rel["requested"]),
            (&json!(false), &json!(false))
        );
        assert_eq!(me(&a, &alice).await["following_count"], 2);
        assert_eq!(me(&a, &dan).await["following_count"], 0);
        assert_eq!(me(&b, &carol).await["followers_count"], 1);
        assert!(
            get(&b, &carol, "/api/v1/follow_requests")
                .await
                .as_array()
                .unwrap()
                .is_empty()
        );

        // Unfollowing reaches the other side.
        act(&a, &alice, &format!("/api/v1/accounts/{bob_id}/unfollow")).await;
        settle(&[&a, &b]).await;
        assert_eq!(me(&b, &bob).await["followers_count"], 0);
        assert_eq!(me(&a, &alice).await["following_count"], 1);
        assert_eq!(
            relationship(&b, &bob, &alice_on_b).await["followed_by"],
            false
        );
        assert_eq!(relationship(&a, &alice, &bob_id).await["following"], false);

        // Carol removes alice from her followers: alice no longer follows her.
        act(
            &b,
            &carol,
            &format!("/api/v1/accounts/{alice_on_b}/remove_from_followers"),
        )
        .await;
        settle(&[&a, &b]).await;
        assert_eq!(
            relationship(&a, &alice, &carol_id).await["following"],
            false
        );
        assert_eq!(me(&a, &alice).await["following_count"], 0);
        assert_eq!(me(&b, &carol).await["followers_count"], 0);
    })
    .await;
}

#[tokio::test]
async fn every_visibility_arrives_exactly_where_it_should() {
    each_backend_trio(|a, b, c| async move {
        let alice = a.user("alice").await;
        let bob = b.user("bob").await; // follows alice
        let carol = b.user("carol").await; // follows alice, mentioned in a direct post
        let dave = b.user("dave").await; // mentioned, does not follow
        let erin = b.user("erin").await; // neither
        let zoe = c.user("zoe").await; // on a third server, not involved
        for u in [&bob, &carol] {
            follow_remote(&b, u, &a, &alice).await;
        }
        assert_eq!(me(&a, &alice).await["followers_count"], 2);

        let public = post(&a, &alice, "public post", "public").await;
        let unlisted = post(&a, &alice, "unlisted post", "unlisted").await;
        let private = post(&a, &alice, "followers only", "private").await;
        // A has never heard of dave: posting resolves the handle (regression: unknown remote
        // mentions used to stay plain text and the post never left A).
        let to_dave = post(&a, &alice, &format!("@{} psst", acct(&b, &dave)), "direct").await;
        let to_carol = post(&a, &alice, &format!("@{} hi", acct(&b, &carol)), "direct").await;
        settle(&[&a, &b, &c]).await;

        let all = [&public, &unlisted, &private, &to_dave, &to_carol];
        let uri = |s: &Value| s["uri"].as_str().unwrap().to_owned();
        // Followers' homes: the three broadcast posts; a direct post only for the mentioned
        // follower (as Mastodon's fan-out to mentioned followers).
        let mut want: Vec<String> = [&private, &unlisted, &public]
            .iter()
            .map(|s| uri(s))
            .collect();
        assert_eq!(sorted(home_uris(&b, &bob).await), sorted(want.clone()));
        want.push(uri(&to_carol));
        assert_eq!(sorted(home_uris(&b, &carol).await), sorted(want));
        // Dave does not follow alice: nothing in his home, a mention notification.
        assert!(home_uris(&b, &dave).await.is_empty());
        assert!(home_uris(&b, &erin).await.is_empty());
        assert_eq!(
            notifications(&b, &dave).await,
            [("mention".to_owned(), acct(&a, &alice), uri(&to_dave))]
        );
        assert_eq!(
            notifications(&b, &carol).await,
            [("mention".to_owned(), acct(&a, &alice), uri(&to_carol))]
        );
        assert!(notifications(&b, &bob).await.is_empty());

        // The status API on B: public and unlisted for anyone, private for followers, direct
        // only for the mentioned account.
        let ids: Vec<String> = {
            let mut v = Vec::new();
            for s in all {
                v.push(id_on(&b, &s["uri"]).await);
            }
            v
        };
        let sees = |v: Option<&TestUser>, i: usize| {
            let (b, ids) = (&b, &ids);
            let v = v.cloned();
            async move { status_as(b, v.as_ref(), &ids[i]).await.0 == StatusCode::OK }
        };
        for (viewer, expected) in [
            (None, [true, true, false, false, false]),
            (Some(&erin), [true, true, false, false, false]),
            (Some(&bob), [true, true, true, false, false]),
            (Some(&carol), [true, true, true, false, true]),
            (Some(&dave), [true, true, false, true, false]),
        ] {
            for (i, want) in expected.iter().enumerate() {
                assert_eq!(
                    sees(viewer, i).await,
                    *want,
                    "viewer {:?}, status {i}",
                    viewer.map(|v| &v.username)
                );
            }
        }
        let (_, s) = status_as(&b, Some(&dave), &ids[3]).await;
        assert_eq!(s["visibility"], "direct");
        assert_eq!(s["account"]["acct"], acct(&a, &alice).as_str());
        assert_eq!(s["mentions"][0]["acct"], "dave");
        let (_, s) = status_as(&b, Some(&bob), &ids[2]).await;
        assert_eq!(s["visibility"], "private");
        let (_, s) = status_as(&b, None, &ids[1]).await;
        assert_eq!(s["visibility"], "unlisted");

        // Public timelines on B: the public post only (remote, not local).
        assert_eq!(public_uris(&b, "remote=true").await, [uri(&public)]);
        assert_eq!(public_uris(&b, "").await, [uri(&public)]);
        assert!(public_uris(&b, "local=true").await.is_empty());
        // Alice's profile on B lists what a stranger may see.
        let alice_on_b = lookup(&b, &erin, &acct(&a, &alice)).await;
        let listed = get(
            &b,
            &erin,
            &format!("/api/v1/accounts/{alice_on_b}/statuses"),
        )
        .await;
        let listed: Vec<String> = listed.as_array().unwrap().iter().map(uri).collect();
        assert_eq!(sorted(listed), sorted(vec![uri(&unlisted), uri(&public)]));

        // The third server heard of nothing.
        assert_eq!(count(&c, "statuses").await, 0);
        assert!(home_uris(&c, &zoe).await.is_empty());
        // B stored the direct posts only as copies visible to their recipients.
        assert_eq!(count(&b, "statuses").await, 5);
    })
    .await;
}

#[tokio::test]
async fn threads_boosts_and_favourites_across_servers() {
    each_backend_pair(|a, b| async move {
        let alice = a.user("alice").await;
        let zed = a.user("zed").await;
        let bob = b.user("bob").await;
        follow_remote(&b, &bob, &a, &alice).await;
        follow_remote(&a, &zed, &b, &bob).await;
        follow_remote(&a, &alice, &b, &bob).await;

        // A thread: alice's post, bob's reply on B, alice's answer on A.
        let root = post(&a, &alice, "root", "public").await;
        settle(&[&a, &b]).await;
        let root_on_b = id_on(&b, &root["uri"]).await;
        let reply = post_with(
            &b,
            &bob,
            json!({"status": format!("@{} a reply", acct(&a, &alice)), "in_reply_to_id": root_on_b}),
        )
        .await;
        settle(&[&a, &b]).await;
        let reply_on_a = id_on(&a, &reply["uri"]).await;
        let answer = post_with(
            &a,
            &alice,
            json!({"status": format!("@{} an answer", acct(&b, &bob)), "in_reply_to_id": reply_on_a}),
        )
        .await;
        settle(&[&a, &b]).await;
        let answer_on_b = id_on(&b, &answer["uri"]).await;
        let uris = |v: &Value| -> Vec<String> {
            v.as_array().unwrap().iter().map(|s| s["uri"].as_str().unwrap().to_owned()).collect()
        };
        let (r, rep, ans) = (
            root["uri"].as_str().unwrap().to_owned(),
            reply["uri"].as_str().unwrap().to_owned(),
            answer["uri"].as_str().unwrap().to_owned(),
        );
        for (app, user, id, anc, desc) in [
            (&a, &alice, root["id"].as_str().unwrap().to_owned(), vec![], vec![rep.clone(), ans.clone()]),
            (&b, &bob, root_on_b.clone(), vec![], vec![rep.clone(), ans.clone()]),
            (&a, &alice, reply_on_a.clone(), vec![r.clone()], vec![ans.clone()]),
            (&b, &bob, answer_on_b.clone(), vec![r.clone(), rep.clone()], vec![]),
        ] {
            let ctx = get(app, user, &format!("/api/v1/statuses/{id}/context")).await;
            assert_eq!(uris(&ctx["ancestors"]), anc, "context of {id} on {}: {ctx}", app.url);
            assert_eq!(uris(&ctx["descendants"]), desc, "context of {id} on {}: {ctx}", app.url);
        }
        let (_, s) = status_as(&b, Some(&bob), &answer_on_b).await;
        assert_eq!(s["in_reply_to_id"], reply["id"]);
        assert_eq!(s["in_reply_to_account_id"], bob.account_id.as_str());
        let (_, s) = status_as(&a, Some(&alice), root["id"].as_str().unwrap()).await;
        assert_eq!(s["replies_count"], 1);
        assert!(notifications(&a, &alice).await.iter().any(|n| n.0 == "mention" && n.2 == rep));
        assert!(notifications(&b, &bob).await.iter().any(|n| n.0 == "mention" && n.2 == ans));

        // Bob boosts alice's root: zed (following bob on A) sees the boost in his home;
        // alice is notified and her post counts it.
        act(&b, &bob, &format!("/api/v1/statuses/{root_on_b}/reblog")).await;
        settle(&[&a, &b]).await;
        assert_eq!(home_uris(&a, &zed).await[0], format!("boost:{r}"));
        let home = get(&a, &zed, "/api/v1/timelines/home").await;
        assert_eq!(home[0]["account"]["acct"], acct(&b, &bob).as_str());
        assert_eq!(home[0]["reblog"]["id"], root["id"]);
        assert!(notifications(&a, &alice).await.contains(&("reblog".to_owned(), acct(&b, &bob), r.clone())));
        let (_, s) = status_as(&a, Some(&alice), root["id"].as_str().unwrap()).await;
        assert_eq!(s["reblogs_count"], 1);

        // Alice favourites bob's reply: bob is notified, the count moves on B; and back.
        act(&a, &alice, &format!("/api/v1/statuses/{reply_on_a}/favourite")).await;
        settle(&[&a, &b]).await;
        let (_, s) = status_as(&b, Some(&bob), reply["id"].as_str().unwrap()).await;
        assert_eq!(s["favourites_count"], 1);
        assert!(notifications(&b, &bob).await.contains(&("favourite".to_owned(), acct(&a, &alice), rep.clone())));
        act(&a, &alice, &format!("/api/v1/statuses/{reply_on_a}/unfavourite")).await;
        settle(&[&a, &b]).await;
        let (_, s) = status_as(&b, Some(&bob), reply["id"].as_str().unwrap()).await;
        assert_eq!(s["favourites_count"], 0);
        assert!(!notifications(&b, &bob).await.iter().any(|n| n.0 == "favourite"));

        // Alice boosts bob's reply: bob is notified.
        act(&a, &alice, &format!("/api/v1/statuses/{reply_on_a}/reblog")).await;
        settle(&[&a, &b]).await;
        assert!(notifications(&b, &bob).await.contains(&("reblog".to_owned(), acct(&a, &alice), rep.clone())));
        let (_, s) = status_as(&b, Some(&bob), reply["id"].as_str().unwrap()).await;
        assert_eq!(s["reblogs_count"], 1);

        // Bob takes his boost back: gone from zed's home, the count drops.
        act(&b, &bob, &format!("/api/v1/statuses/{root_on_b}/unreblog")).await;
        settle(&[&a, &b]).await;
        assert!(!home_uris(&a, &zed).await.contains(&format!("boost:{r}")));
        let (_, s) = status_as(&a, Some(&alice), root["id"].as_str().unwrap()).await;
        assert_eq!(s["reblogs_count"], 0);
        assert!(!notifications(&a, &alice).await.iter().any(|n| n.0 == "reblog"));
    })
    .await;
}

#[tokio::test]
async fn edits_and_deletes_propagate() {
    each_backend_pair(|a, b| async move {
        let alice = a.user("alice").await;
        let bob = b.user("bob").await;
        follow_remote(&b, &bob, &a, &alice).await;
        let s = post(&a, &alice, "first version", "public").await;
        let reply_target = post(&a, &alice, "will be deleted", "private").await;
        settle(&[&a, &b]).await;
        let on_b = id_on(&b, &s["uri"]).await;

        edit_status(&a, &alice, &s, "second version").await;
        settle(&[&a, &b]).await;
        let (_, copy) = status_as(&b, Some(&bob), &on_b).await;
        assert!(
            copy["content"].as_str().unwrap().contains("second version"),
            "{copy}"
        );
        assert!(copy["edited_at"].is_string(), "{copy}");
        let history = get(&b, &bob, &format!("/api/v1/statuses/{on_b}/history")).await;
        let contents: Vec<&str> = history
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["content"].as_str().unwrap())
            .collect();
        assert_eq!(contents.len(), 2, "{history}");
        assert!(contents[0].contains("first version") && contents[1].contains("second version"));
        let home = get(&b, &bob, "/api/v1/timelines/home").await;
        let in_home = home
            .as_array()
            .unwrap()
            .iter()
            .find(|h| h["uri"] == s["uri"])
            .unwrap();
        assert!(
            in_home["content"]
                .as_str()
                .unwrap()
                .contains("second version")
        );

        // Deletes: gone from B's home and status API (the private one too).
        let private_on_b = id_on(&b, &reply_target["uri"]).await;
        for st in [&s, &reply_target] {
            delete_status(&a, &alice, st).await;
        }
        settle(&[&a, &b]).await;
        assert!(home_uris(&b, &bob).await.is_empty());
        for id in [&on_b, &private_on_b] {
            assert_eq!(status_as(&b, Some(&bob), id).await.0, StatusCode::NOT_FOUND);
        }
        assert_eq!(local_id(&b, &s["uri"]).await, None);
        let alice_on_b = lookup(&b, &bob, &acct(&a, &alice)).await;
        let acc = get(&b, &bob, &format!("/api/v1/accounts/{alice_on_b}")).await;
        assert_eq!(acc["statuses_count"], 0, "{acc}");
    })
    .await;
}

#[tokio::test]
async fn profile_updates_and_blocks_reach_the_other_server() {
    each_backend_pair(|a, b| async move {
        let alice = a.user("alice").await;
        let bob = b.user("bob").await;
        let carol = b.user("carol").await;
        follow_remote(&b, &bob, &a, &alice).await;
        follow_remote(&b, &carol, &a, &alice).await;
        follow_remote(&a, &alice, &b, &carol).await;

        update_profile(
            &a,
            &alice,
            json!({"display_name": "Alice A.", "note": "I federate"}),
        )
        .await;
        settle(&[&a, &b]).await;
        let alice_on_b = lookup(&b, &bob, &acct(&a, &alice)).await;
        let acc = get(&b, &bob, &format!("/api/v1/accounts/{alice_on_b}")).await;
        assert_eq!(acc["display_name"], "Alice A.");
        assert!(
            acc["note"].as_str().unwrap().contains("I federate"),
            "{acc}"
        );

        // Alice blocks bob: B drops bob's follow, and alice's next posts never reach him.
        let bob_on_a = lookup(&a, &alice, &acct(&b, &bob)).await;
        act(&a, &alice, &format!("/api/v1/accounts/{bob_on_a}/block")).await;
        settle(&[&a, &b]).await;
        let rel = relationship(&b, &bob, &alice_on_b).await;
        assert_eq!(rel["following"], false, "{rel}");
        assert_eq!(rel["blocked_by"], true, "{rel}");
        assert_eq!(me(&b, &bob).await["following_count"], 0);
        assert_eq!(me(&a, &alice).await["followers_count"], 1);
        let after = post(&a, &alice, "after the block", "public").await;
        settle(&[&a, &b]).await;
        // Carol (still following) has it, bob does not.
        assert_eq!(
            home_uris(&b, &carol).await[0],
            after["uri"].as_str().unwrap()
        );
        assert!(
            !home_uris(&b, &bob)
                .await
                .contains(&after["uri"].as_str().unwrap().to_owned())
        );
        let after_on_b = id_on(&b, &after["uri"]).await;
        assert_eq!(
            status_as(&b, Some(&bob), &after_on_b).await.0,
            StatusCode::NOT_FOUND
        );
        // Bob cannot follow again.
        let r = b
            .post_empty(
                &format!("/api/v1/accounts/{alice_on_b}/follow"),
                Some(&bob.token),
            )
            .await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN);

        // Carol blocks alice from B: alice loses her follow of carol, carol loses hers.
        act(&b, &carol, &format!("/api/v1/accounts/{alice_on_b}/block")).await;
        settle(&[&a, &b]).await;
        let carol_on_a = lookup(&a, &alice, &acct(&b, &carol)).await;
        let rel = relationship(&a, &alice, &carol_on_a).await;
        assert_eq!(
            (&rel["following"], &rel["followed_by"]),
            (&json!(false), &json!(false)),
            "{rel}"
        );
        assert_eq!(me(&a, &alice).await["followers_count"], 0);
        assert_eq!(me(&a, &alice).await["following_count"], 0);

        // Unblocking is heard too: bob may follow again.
        act(&a, &alice, &format!("/api/v1/accounts/{bob_on_a}/unblock")).await;
        settle(&[&a, &b]).await;
        assert_eq!(
            relationship(&b, &bob, &alice_on_b).await["blocked_by"],
            false
        );
        follow_remote(&b, &bob, &a, &alice).await;
        assert_eq!(relationship(&b, &bob, &alice_on_b).await["following"], true);
    })
    .await;
}

#[tokio::test]
async fn remote_search_by_handle_and_by_post_url() {
    each_backend_pair(|a, b| async move {
        let alice = a.user("alice").await;
        let bob = b.user("bob").await;
        let public = post(&b, &bob, "findable", "public").await;
        let private = post(&b, &bob, "not for strangers", "private").await;
        let search = |q: String| {
            let (a, alice) = (&a, &alice);
            async move {
                let q: String = form_urlencoded::byte_serialize(q.as_bytes()).collect();
                get(a, alice, &format!("/api/v2/search?q={q}&resolve=true")).await
            }
        };
        let found = search(format!("@{}", acct(&b, &bob))).await;
        assert_eq!(
            found["accounts"][0]["acct"],
            acct(&b, &bob).as_str(),
            "{found}"
        );
        assert_eq!(
            found["accounts"][0]["url"],
            format!("{}/@bob", b.url).as_str()
        );
        // By the page URL and by the ActivityPub id.
        for q in [&public["url"], &public["uri"]] {
            let found = search(q.as_str().unwrap().to_owned()).await;
            let got = &found["statuses"][0];
            assert_eq!(got["uri"], public["uri"], "{found}");
            assert!(got["content"].as_str().unwrap().contains("findable"));
            assert_eq!(got["account"]["acct"], acct(&b, &bob).as_str());
        }
        // A followers-only post is not handed to a stranger's server.
        let found = search(private["url"].as_str().unwrap().to_owned()).await;
        assert!(found["statuses"].as_array().unwrap().is_empty(), "{found}");
        assert_eq!(local_id(&a, &private["uri"]).await, None);
        // The found account can be followed; its later posts arrive.
        let id = found_account_id(&a, &alice, &acct(&b, &bob)).await;
        act(&a, &alice, &format!("/api/v1/accounts/{id}/follow")).await;
        settle(&[&a, &b]).await;
        let later = post(&b, &bob, "for my new follower", "private").await;
        settle(&[&a, &b]).await;
        // Remote copies take their id from `published`, which has whole seconds: the post
        // may sort next to, not above, what arrived in the same second.
        assert!(
            home_uris(&a, &alice)
                .await
                .contains(&later["uri"].as_str().unwrap().to_owned())
        );
    })
    .await;
}

async fn found_account_id(app: &TestApp, viewer: &TestUser, acct: &str) -> String {
    let found = get(
        app,
        viewer,
        &format!("/api/v2/search?q=@{acct}&resolve=true"),
    )
    .await;
    found["accounts"][0]["id"].as_str().unwrap().to_owned()
}

/// Quick delivery retries (the schedule's unit is 5 ms instead of a second).
fn fast(c: &mut woolly::config::Config) {
    c.delivery_retry_unit_ms = 5;
}

#[tokio::test]
async fn a_peer_down_for_a_while_receives_everything_queued() {
    for backend in backends() {
        let a = TestApp::spawn_at(backend, "127.0.0.2", fast).await;
        let mut b = TestApp::spawn_at(backend, "127.0.0.3", fast).await;
        let alice = a.user("alice").await;
        let other = a.user("other").await;
        let bob = b.user("bob").await;
        follow_remote(&b, &bob, &a, &alice).await;
        follow_remote(&a, &alice, &b, &bob).await;
        let mine = post(&b, &bob, "bob's post", "public").await;
        settle(&[&a, &b]).await;
        let mine_on_a = id_on(&a, &mine["uri"]).await;
        let bob_on_a = lookup(&a, &alice, &acct(&b, &bob)).await;

        b.stop().await;
        let p1 = post(&a, &alice, "while B is down", "public").await;
        let p2 = post(
            &a,
            &alice,
            &format!("@{} are you there?", acct(&b, &bob)),
            "direct",
        )
        .await;
        act(
            &a,
            &alice,
            &format!("/api/v1/statuses/{mine_on_a}/favourite"),
        )
        .await;
        act(&a, &other, &format!("/api/v1/accounts/{bob_on_a}/follow")).await;
        update_profile(
            &a,
            &alice,
            json!({"display_name": "Alice (while you were away)"}),
        )
        .await;
        // Every delivery fails at least twice and stays queued.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
        loop {
            a.run_jobs().await;
            let retried = count(&a, "deliveries WHERE attempts >= 2").await;
            if retried >= 5 {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "deliveries were not retried"
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert_eq!(count(&a, "deliveries").await, 5);

        // B comes back on the same database and port: everything arrives.
        let b = b.start_again().await;
        settle(&[&a, &b]).await;
        let home = home_uris(&b, &bob).await;
        assert!(
            home.contains(&p1["uri"].as_str().unwrap().to_owned()),
            "{home:?}"
        );
        let n = notifications(&b, &bob).await;
        assert!(
            n.contains(&(
                "mention".to_owned(),
                acct(&a, &alice),
                p2["uri"].as_str().unwrap().to_owned()
            )),
            "{n:?}"
        );
        assert!(
            n.contains(&(
                "favourite".to_owned(),
                acct(&a, &alice),
                mine["uri"].as_str().unwrap().to_owned()
            )),
            "{n:?}"
        );
        assert!(
            n.iter().any(|x| x.0 == "follow" && x.1 == acct(&a, &other)),
            "{n:?}"
        );
        assert_eq!(relationship(&a, &other, &bob_on_a).await["following"], true);
        let alice_on_b = lookup(&b, &bob, &acct(&a, &alice)).await;
        let acc = get(&b, &bob, &format!("/api/v1/accounts/{alice_on_b}")).await;
        assert_eq!(acc["display_name"], "Alice (while you were away)");
        b.shutdown().await;
        a.shutdown().await;
    }
}

#[tokio::test]
async fn locked_accounts_private_posts_edits_of_boosted_posts_and_tags() {
    each_backend_pair(|a, b| async move {
        let alice = a.user("alice").await;
        let bob = b.user("bob").await;
        let erin = b.user("erin").await;
        // Alice locks her account; B learns it, and erin's follow waits on A.
        update_profile(&a, &alice, json!({"locked": true})).await;
        follow_remote(&b, &bob, &a, &alice).await;
        let requests = get(&a, &alice, "/api/v1/follow_requests").await;
        assert_eq!(requests[0]["acct"], acct(&b, &bob).as_str(), "{requests}");
        let alice_on_b = lookup(&b, &bob, &acct(&a, &alice)).await;
        let acc = get(&b, &bob, &format!("/api/v1/accounts/{alice_on_b}")).await;
        assert_eq!(acc["locked"], true, "{acc}");
        let bob_on_a = requests[0]["id"].as_str().unwrap().to_owned();
        assert_eq!(
            relationship(&a, &alice, &bob_on_a).await["requested_by"],
            true
        );

        // Before approval a followers-only post does not reach bob.
        let early = post(&a, &alice, "before you were approved", "private").await;
        settle(&[&a, &b]).await;
        assert_eq!(local_id(&b, &early["uri"]).await, None);
        act(
            &a,
            &alice,
            &format!("/api/v1/follow_requests/{bob_on_a}/authorize"),
        )
        .await;
        settle(&[&a, &b]).await;
        assert_eq!(relationship(&b, &bob, &alice_on_b).await["following"], true);
        let private = post(&a, &alice, "now you may read this #woolly", "private").await;
        let public = post(&a, &alice, "and this #Woolly", "public").await;
        settle(&[&a, &b]).await;
        assert_eq!(
            sorted(home_uris(&b, &bob).await),
            sorted(vec![
                private["uri"].as_str().unwrap().to_owned(),
                public["uri"].as_str().unwrap().to_owned()
            ])
        );
        // Hashtag timelines: the public post only, for anyone.
        let tagged = json(
            b.get("/api/v1/timelines/tag/woolly", None).await,
            StatusCode::OK,
        )
        .await;
        let tagged: Vec<&Value> = tagged
            .as_array()
            .unwrap()
            .iter()
            .map(|s| &s["uri"])
            .collect();
        assert_eq!(tagged, [&public["uri"]]);
        // Erin does not follow: the private post is not hers to see.
        let private_on_b = id_on(&b, &private["uri"]).await;
        assert_eq!(
            status_as(&b, Some(&erin), &private_on_b).await.0,
            StatusCode::NOT_FOUND
        );
        // A boost of a private post is refused.
        let r = b
            .post_empty(
                &format!("/api/v1/statuses/{private_on_b}/reblog"),
                Some(&bob.token),
            )
            .await;
        assert!(r.status().is_client_error());

        // Bob boosts the public post; alice edits it: bob is told on B (as Mastodon tells
        // boosters), the copy and its history follow.
        let public_on_b = id_on(&b, &public["uri"]).await;
        act(&b, &bob, &format!("/api/v1/statuses/{public_on_b}/reblog")).await;
        settle(&[&a, &b]).await;
        edit_status(
            &a,
            &alice,
            &public,
            format!("and this, edited, @{}", acct(&b, &erin)),
        )
        .await;
        settle(&[&a, &b]).await;
        let n = notifications(&b, &bob).await;
        assert!(
            n.contains(&(
                "update".to_owned(),
                acct(&a, &alice),
                public["uri"].as_str().unwrap().to_owned()
            )),
            "{n:?}"
        );
        // Newly mentioned in the edit: erin hears of it.
        let n = notifications(&b, &erin).await;
        assert!(
            n.contains(&(
                "mention".to_owned(),
                acct(&a, &alice),
                public["uri"].as_str().unwrap().to_owned()
            )),
            "{n:?}"
        );
        let (_, s) = status_as(&b, Some(&erin), &public_on_b).await;
        assert!(s["content"].as_str().unwrap().contains("edited"), "{s}");
        assert_eq!(s["reblogs_count"], 1);
        assert_eq!(s["tags"].as_array().unwrap().len(), 0, "{s}");
        let (_, mine) = status_as(&a, Some(&alice), public["id"].as_str().unwrap()).await;
        assert_eq!(mine["reblogs_count"], 1);

        // Deleting the boosted post removes bob's boost of it on B too.
        delete_status(&a, &alice, &public).await;
        settle(&[&a, &b]).await;
        let statuses = get(
            &b,
            &bob,
            &format!("/api/v1/accounts/{}/statuses", bob.account_id),
        )
        .await;
        assert!(statuses.as_array().unwrap().is_empty(), "{statuses}");
        assert_eq!(me(&b, &bob).await["statuses_count"], 0);
        assert_eq!(
            sorted(home_uris(&b, &bob).await),
            vec![private["uri"].as_str().unwrap().to_owned()]
        );
    })
    .await;
}

#[tokio::test]
async fn unfollowed_and_blocking_receivers_get_nothing_more() {
    each_backend_pair(|a, b| async move {
        let alice = a.user("alice").await;
        let bob = b.user("bob").await;
        let carol = b.user("carol").await;
        follow_remote(&b, &bob, &a, &alice).await;
        follow_remote(&b, &carol, &a, &alice).await;
        let alice_on_b = lookup(&b, &bob, &acct(&a, &alice)).await;
        // Bob unfollows; carol blocks alice on her side.
        act(&b, &bob, &format!("/api/v1/accounts/{alice_on_b}/unfollow")).await;
        act(&b, &carol, &format!("/api/v1/accounts/{alice_on_b}/block")).await;
        settle(&[&a, &b]).await;
        assert_eq!(me(&a, &alice).await["followers_count"], 0);
        let s = post(&a, &alice, "anyone there?", "public").await;
        let p = post(&a, &alice, "followers?", "private").await;
        settle(&[&a, &b]).await;
        // Nobody on B follows alice any more: nothing was sent.
        assert_eq!(local_id(&b, &s["uri"]).await, None);
        assert_eq!(local_id(&b, &p["uri"]).await, None);
        assert!(home_uris(&b, &bob).await.is_empty());
        assert!(home_uris(&b, &carol).await.is_empty());
        // A mention of carol, who blocks alice, is neither shown nor notified.
        // (Mastodon still shows it to her when she opens it: only the author's blocks hide.)
        post(
            &a,
            &alice,
            &format!("@{} hello?", acct(&b, &carol)),
            "public",
        )
        .await;
        settle(&[&a, &b]).await;
        assert!(notifications(&b, &carol).await.is_empty());
        assert!(home_uris(&b, &carol).await.is_empty());
        // A's copy of the relationship: alice is blocked by carol.
        let carol_on_a = lookup(&a, &alice, &acct(&b, &carol)).await;
        let r = a
            .post_empty(
                &format!("/api/v1/accounts/{carol_on_a}/follow"),
                Some(&alice.token),
            )
            .await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
    })
    .await;
}
