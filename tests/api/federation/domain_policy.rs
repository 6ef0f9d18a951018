//! Domain blocks in force, as Mastodon applies them: what `silence`, `reject_media`,
//! `reject_reports` and `suspend` do to what A (127.0.0.2) holds of B's domain (127.0.0.3),
//! driven through the admin and client APIs on both servers; a large suspended domain purged
//! in bounded steps; and no delivery ever queued for a suspended domain.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use woolly::federation::resolve::{Freshness, Resolver};
use woolly::jobs::Job;
use woolly::service::domain_blocks::{self, NewBlock, enforce};

use super::fake_remote::{FakeHost, remote_follows, wait_queue_empty};
use super::inbox::{count, deliver, signer_of};
use super::network::{
    acct, act, follow_remote, get, home_uris, id_on, lookup, me, notifications, public_uris,
    relationship, timeline_uris,
};
use super::*;

/// Creates a domain block through the admin API; returns its entity.
async fn block(app: &TestApp, admin: &str, body: Value) -> Value {
    json(
        app.post_json("/api/v1/admin/domain_blocks", Some(admin), &body)
            .await,
        StatusCode::OK,
    )
    .await
}

/// Lifts a domain block through the admin API.
async fn unblock(app: &TestApp, admin: &str, block: &Value) {
    let path = format!(
        "/api/v1/admin/domain_blocks/{}",
        block["id"].as_str().unwrap()
    );
    let r = app
        .req(Method::DELETE, &path)
        .bearer_auth(admin)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_limited_domain_stays_out_of_public_timelines_and_notifications() {
    each_backend_pair(|a, b| async move {
        let (_, admin) = operator(&a).await;
        let alice = a.user("alice").await;
        let carol = a.user("carol").await;
        let bob = b.user("bob").await;
        let bob_id = follow_remote(&a, &alice, &b, &bob).await;

        let blk = block(
            &a,
            &admin,
            json!({"domain": domain(&b), "severity": "silence"}),
        )
        .await;
        a.run_jobs().await;
        let seen = get(&a, &alice, &format!("/api/v1/accounts/{bob_id}")).await;
        assert_eq!(seen["limited"], true, "{seen}");

        // A public post mentioning a follower and a non-follower, with a hashtag.
        let s = post(
            &b,
            &bob,
            &format!(
                "hello @{} and @{} #woolly",
                acct(&a, &alice),
                acct(&a, &carol)
            ),
            "public",
        )
        .await;
        settle(&[&a, &b]).await;
        let uri = s["uri"].as_str().unwrap().to_owned();
        assert!(!public_uris(&a, "remote=true").await.contains(&uri));
        assert!(!public_uris(&a, "").await.contains(&uri));
        assert!(
            !timeline_uris(&a, "/api/v1/timelines/tag/woolly")
                .await
                .contains(&uri)
        );
        // The follower still gets it, and is told of the mention; the other is not.
        assert!(home_uris(&a, &alice).await.contains(&uri));
        let told = notifications(&a, &alice).await;
        assert!(
            told.contains(&("mention".into(), acct(&b, &bob), uri.clone())),
            "{told:?}"
        );
        assert_eq!(notifications(&a, &carol).await, vec![]);

        // bob's follow of carol (unlocked) becomes a request, and tells her nothing.
        let carol_on_b = lookup(&b, &bob, &acct(&a, &carol)).await;
        act(&b, &bob, &format!("/api/v1/accounts/{carol_on_b}/follow")).await;
        settle(&[&a, &b]).await;
        let requests = get(&a, &carol, "/api/v1/follow_requests").await;
        assert_eq!(requests.as_array().unwrap().len(), 1, "{requests}");
        assert_eq!(requests[0]["acct"], acct(&b, &bob));
        assert_eq!(me(&a, &carol).await["followers_count"], 0);
        assert_eq!(notifications(&a, &carol).await, vec![]);
        let rel = relationship(&b, &bob, &carol_on_b).await;
        assert_eq!(
            (rel["following"].clone(), rel["requested"].clone()),
            (json!(false), json!(true))
        );

        // An account of the domain first seen after the block is limited too.
        let _dave = b.user("dave").await;
        let dave_id = lookup(&a, &alice, &format!("dave@{}", domain(&b))).await;
        let dave = get(&a, &alice, &format!("/api/v1/accounts/{dave_id}")).await;
        assert_eq!(dave["limited"], true);

        // Lifting the block lifts the limits: bob's post is public again.
        unblock(&a, &admin, &blk).await;
        for id in [&bob_id, &dave_id] {
            let acc = get(&a, &alice, &format!("/api/v1/accounts/{id}")).await;
            assert!(acc.get("limited").is_none(), "{acc}");
        }
        assert!(public_uris(&a, "remote=true").await.contains(&uri));
        assert!(
            timeline_uris(&a, "/api/v1/timelines/tag/woolly")
                .await
                .contains(&uri)
        );
    })
    .await;
}

/// A `Flag` about `target` (an actor URI) from `signer`, with activity id `n` on its host.
fn flag(signer: &super::inbox::Signer, target: &str, n: u32) -> Value {
    json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{}/flags/{n}", signer.actor),
        "type": "Flag",
        "actor": signer.actor,
        "object": [target],
        "content": "spam",
    })
}

#[tokio::test]
async fn rejected_media_and_reports_of_a_domain() {
    each_backend_pair(|a, b| async move {
        let (_, admin) = operator(&a).await;
        let alice = a.user("alice").await;
        let bob = b.user("bob").await;
        // bob has images on B (uploads arrive with the media work; set in B's database).
        exec(
            &b,
            "UPDATE accounts SET avatar_url = 'https://cdn.example/bob.png', \
             header_url = 'https://cdn.example/bob-header.png' WHERE id = $1",
            &[num(&json!(bob.account_id))],
        )
        .await;
        let bob_id = lookup(&a, &alice, &acct(&b, &bob)).await;
        let seen = get(&a, &alice, &format!("/api/v1/accounts/{bob_id}")).await;
        assert_eq!(seen["avatar"], "https://cdn.example/bob.png");

        // Until the domain's reports are rejected, a Flag becomes a report.
        let bob_s = signer_of(&b, &bob).await;
        let alice_uri = actor_uri(&a, "alice");
        assert_eq!(
            deliver(&a, "/inbox", &flag(&bob_s, &alice_uri, 1), &bob_s).await,
            StatusCode::ACCEPTED
        );
        a.run_jobs().await;
        assert_eq!(count(&a, "reports").await, 1);

        block(
            &a,
            &admin,
            json!({"domain": domain(&b), "severity": "noop", "reject_media": true, "reject_reports": true}),
        )
        .await;
        a.run_jobs().await;
        let seen = get(&a, &alice, &format!("/api/v1/accounts/{bob_id}")).await;
        assert_eq!(seen["avatar"], format!("{}/avatars/original/missing.png", a.url));
        assert_eq!(seen["header"], format!("{}/headers/original/missing.png", a.url));
        assert!(seen.get("limited").is_none(), "a noop limits nothing");
        // Fetched again, the images are still not kept.
        let again = Resolver::new(&a.state)
            .unwrap()
            .actor(&bob_s.actor, Freshness::Refresh)
            .await
            .unwrap();
        assert_eq!((again.avatar_url, again.header_url), (None, None));

        // Its reports are accepted at the door (it is not suspended) and ignored.
        assert_eq!(
            deliver(&a, "/inbox", &flag(&bob_s, &alice_uri, 2), &bob_s).await,
            StatusCode::ACCEPTED
        );
        a.run_jobs().await;
        assert_eq!(count(&a, "reports").await, 1);
        // Its posts still arrive.
        follow_remote(&a, &alice, &b, &bob).await;
        let s = post(&b, &bob, "still here", "public").await;
        settle(&[&a, &b]).await;
        assert!(home_uris(&a, &alice).await.contains(&s["uri"].as_str().unwrap().to_owned()));
    })
    .await;
}

#[tokio::test]
async fn suspending_a_domain_purges_what_we_hold_of_it() {
    each_backend_pair(|a, b| async move {
        let (_, admin) = operator(&a).await;
        let alice = a.user("alice").await;
        let carol = a.user("carol").await;
        let bob = b.user("bob").await;
        let dan = b.user("dan").await;
        let bob_id = follow_remote(&a, &alice, &b, &bob).await;
        follow_remote(&b, &bob, &a, &alice).await;
        let dan_id = {
            follow_remote(&b, &dan, &a, &carol).await;
            lookup(&a, &alice, &acct(&b, &dan)).await
        };
        // alice's post gets bob's reply, favourite and boost.
        let p = post(&a, &alice, "a post by alice", "public").await;
        settle(&[&a, &b]).await;
        let p_on_b = id_on(&b, &p["uri"]).await;
        post_with(
            &b,
            &bob,
            json!({"status": format!("@{} a reply", acct(&a, &alice)), "in_reply_to_id": p_on_b}),
        )
        .await;
        act(&b, &bob, &format!("/api/v1/statuses/{p_on_b}/favourite")).await;
        act(&b, &bob, &format!("/api/v1/statuses/{p_on_b}/reblog")).await;
        // bob's post mentions carol; alice boosts and favourites it; carol mutes dan later.
        let s1 = post(&b, &bob, &format!("hi @{}", acct(&a, &carol)), "public").await;
        settle(&[&a, &b]).await;
        let s1_on_a = id_on(&a, &s1["uri"]).await;
        act(&a, &alice, &format!("/api/v1/statuses/{s1_on_a}/reblog")).await;
        act(&a, &alice, &format!("/api/v1/statuses/{s1_on_a}/favourite")).await;
        settle(&[&a, &b]).await;
        assert_eq!(notifications(&a, &carol).await.len(), 2, "bob's mention, dan's follow");
        act(&a, &carol, &format!("/api/v1/accounts/{dan_id}/mute")).await;
        let p_id = p["id"].as_str().unwrap();
        let before = get(&a, &alice, &format!("/api/v1/statuses/{p_id}")).await;
        assert_eq!(
            [&before["replies_count"], &before["reblogs_count"], &before["favourites_count"]],
            [&json!(1), &json!(1), &json!(1)]
        );
        let alice_before = me(&a, &alice).await;
        assert_eq!(
            [&alice_before["followers_count"], &alice_before["following_count"], &alice_before["statuses_count"]],
            [&json!(1), &json!(1), &json!(2)]
        );
        assert!(home_uris(&a, &alice).await.contains(&s1["uri"].as_str().unwrap().to_owned()));

        let blk = block(
            &a,
            &admin,
            json!({"domain": domain(&b), "severity": "suspend"}),
        )
        .await;
        a.run_jobs().await;

        for id in [&bob_id, &dan_id] {
            let r = a.get(&format!("/api/v1/accounts/{id}"), Some(&alice.token)).await;
            assert_eq!(r.status(), StatusCode::NOT_FOUND);
        }
        let after = get(&a, &alice, &format!("/api/v1/statuses/{p_id}")).await;
        assert_eq!(
            [&after["replies_count"], &after["reblogs_count"], &after["favourites_count"]],
            [&json!(0), &json!(0), &json!(0)]
        );
        let alice_after = me(&a, &alice).await;
        assert_eq!(
            [&alice_after["followers_count"], &alice_after["following_count"], &alice_after["statuses_count"]],
            [&json!(0), &json!(0), &json!(1)],
            "the follows either way and alice's boost of bob's post are gone"
        );
        assert_eq!(me(&a, &carol).await["followers_count"], 0);
        assert_eq!(home_uris(&a, &alice).await, vec![p["uri"].as_str().unwrap().to_owned()]);
        assert_eq!(notifications(&a, &carol).await, vec![]);
        assert!(notifications(&a, &alice).await.iter().all(|n| n.1 != acct(&b, &bob)));
        let remote = format!("({bob_id}, {dan_id})");
        for table in [
            format!("statuses WHERE account_id IN {remote}"),
            format!("follows WHERE account_id IN {remote} OR target_account_id IN {remote}"),
            format!("favourites WHERE account_id IN {remote}"),
            format!("mutes WHERE target_account_id IN {remote}"),
            format!("mentions WHERE account_id IN {remote}"),
            "statuses WHERE reblog_of_id IS NOT NULL".to_owned(),
        ] {
            assert_eq!(count(&a, &table).await, 0, "{table}");
        }
        // The accounts stay, emptied and suspended.
        assert_eq!(
            count(&a, &format!("accounts WHERE id IN {remote} AND suspended_at IS NOT NULL AND display_name = ''")).await,
            2
        );

        // Lifting the block unsuspends them and restores nothing.
        unblock(&a, &admin, &blk).await;
        let bob_now = get(&a, &alice, &format!("/api/v1/accounts/{bob_id}")).await;
        assert_eq!(
            [&bob_now["statuses_count"], &bob_now["followers_count"]],
            [&json!(0), &json!(0)]
        );
        assert_eq!(relationship(&a, &alice, &bob_id).await["following"], false);
        assert_eq!(count(&a, &format!("statuses WHERE account_id = {bob_id}")).await, 0);
    })
    .await;
}

/// Inserts `n` statuses by `author` replying to `parent` (all public) in one statement.
async fn bulk_replies(app: &TestApp, author: i64, parent: i64, n: i64) {
    let base = woolly::id::next_id();
    let sql = "WITH RECURSIVE seq(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM seq WHERE k < $4) \
         INSERT INTO statuses (id, uri, account_id, visibility, in_reply_to_id, in_reply_to_account_id, \
                               local, created_at, updated_at) \
         SELECT $1 + k, 'https://big.example/s/' || ($1 + k), $2, 'public', $3, \
                (SELECT account_id FROM statuses WHERE id = $3), FALSE, 0, 0 FROM seq";
    exec(app, sql, &[base, author, parent, n]).await;
    exec(
        app,
        "UPDATE statuses SET replies_count = replies_count + $2 WHERE id = $1",
        &[parent, n],
    )
    .await;
}

#[tokio::test]
async fn a_large_suspended_domain_is_purged_in_bounded_steps() {
    each_backend(|app| async move {
        let alice = app.user("alice").await;
        let alice_id = num(&json!(alice.account_id));
        let host = FakeHost::unstarted("127.0.0.6");
        // More accounts than one purge scan, each following alice, and one with more
        // statuses than one purge step removes.
        let mut remote = Vec::new();
        for i in 0..(enforce::PURGE_SCAN + 20) {
            let id = host.account(&app, &format!("r{i}"), true).await;
            remote_follows(&app, id, alice_id, &format!("{}/follows/{i}", host.base)).await;
            remote.push(id);
        }
        exec(
            &app,
            "UPDATE accounts SET followers_count = $2 WHERE id = $1",
            &[alice_id, remote.len() as i64],
        )
        .await;
        let p = post(&app, &alice, "reply to me", "public").await;
        let p_id = num(&p["id"]);
        let big = remote[remote.len() - 1];
        let n = 2 * enforce::PURGE_STATUSES + 200;
        bulk_replies(&app, big, p_id, n).await;

        // One step removes a bounded part of a suspended account's statuses.
        exec(&app, "UPDATE accounts SET suspended_at = 1 WHERE id = $1", &[big]).await;
        assert!(!enforce::purge_account(&app.state, big, 1).await.unwrap());
        assert_eq!(
            count(&app, &format!("statuses WHERE account_id = {big}")).await,
            n - enforce::PURGE_STATUSES
        );
        let p_now = get(&app, &alice, &format!("/api/v1/statuses/{p_id}")).await;
        assert_eq!(p_now["replies_count"], n - enforce::PURGE_STATUSES);

        // The whole domain, through the job: a run stamps every account, then hands itself
        // back with its cursor in the purge.
        let blk = domain_blocks::block(
            &app.state.db,
            &app.state.domain_blocks,
            NewBlock::new(&host.authority, "suspend"),
        )
        .await
        .unwrap();
        let next = enforce::run(&app.state, blk.id, enforce::Phase::Mark, 0)
            .await
            .unwrap();
        assert!(
            matches!(next, Some(Job::ApplyDomainBlock { block_id, phase: enforce::Phase::Purge, after })
                if block_id == blk.id && after > 0),
            "{next:?}"
        );
        app.run_jobs().await;
        assert_eq!(count(&app, "jobs").await, 0);
        assert_eq!(count(&app, "statuses WHERE local = FALSE").await, 0);
        assert_eq!(count(&app, "follows").await, 0);
        assert_eq!(
            count(&app, "accounts WHERE domain IS NOT NULL AND suspended_at IS NULL").await,
            0
        );
        assert_eq!(me(&app, &alice).await["followers_count"], 0);
        let p_now = get(&app, &alice, &format!("/api/v1/statuses/{p_id}")).await;
        assert_eq!(p_now["replies_count"], 0);
    })
    .await;
}

#[tokio::test]
async fn no_delivery_is_queued_for_a_suspended_domain() {
    each_backend(|app| async move {
        let alice = app.user("alice").await;
        let alice_id = num(&json!(alice.account_id));
        let blocked = FakeHost::start("127.0.0.6").await;
        let open = FakeHost::start("127.0.0.7").await;
        let r1 = blocked.account(&app, "r1", true).await;
        let r2 = open.account(&app, "r2", true).await;
        remote_follows(&app, r1, alice_id, &format!("{}/follows/1", blocked.base)).await;
        remote_follows(&app, r2, alice_id, &format!("{}/follows/2", open.base)).await;
        domain_blocks::block(
            &app.state.db,
            &app.state.domain_blocks,
            NewBlock::new(&blocked.authority, "suspend"),
        )
        .await
        .unwrap();

        // Expansion writes no row for an inbox there, however it is named.
        let id = woolly::id::next_id();
        let recipients = json!({"accounts": [r1, r2], "inboxes": [blocked.shared_inbox()]});
        let mut tx = app.state.db.begin().await.unwrap();
        woolly::db::deliveries::insert_activity(
            tx.conn(),
            id,
            alice_id,
            &json!({"id": format!("{}/test", app.url), "type": "Test", "actor": actor_uri(&app, "alice")})
                .to_string(),
            &recipients.to_string(),
            woolly::time::now_ms(),
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        assert_eq!(
            woolly::federation::outbox::expand(&app.state, id).await.unwrap(),
            1
        );

        // A post reaches the open host only.
        post(&app, &alice, "hello", "public").await;
        wait_queue_empty(&app, 20).await;
        let got = open.wait_accepted(2, 10).await;
        assert!(got.iter().any(|r| r.body["type"] == "Create"), "{got:?}");
        assert!(blocked.received().is_empty());
    })
    .await;
}
