//! Outbound delivery: who receives what, signatures, shared-inbox deduplication, retries,
//! `Retry-After`, permanent failures, hosts down then up, restarts, per-host concurrency and
//! unavailable hosts. Remote servers are [`FakeHost`]s on their own loopback addresses.

use std::time::Duration;

use serde_json::Value;
use woolly::config::Config;

use super::fake_remote::{FakeHost, Reply, remote_follows, wait_queue_empty};
use super::{actor_uri, post};
use crate::common::*;

/// Quick retries (the schedule's unit is 5 ms instead of a second), two requests per host.
fn fast(c: &mut Config) {
    c.delivery_retry_unit_ms = 5;
    c.delivery_per_host = 2;
}

/// The ids of the activities' objects (a Create's Note id).
fn object_ids(received: &[super::fake_remote::Received]) -> Vec<String> {
    received
        .iter()
        .map(|r| match &r.body["object"] {
            Value::String(s) => s.clone(),
            o => o["id"].as_str().unwrap_or_default().to_owned(),
        })
        .collect()
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn every_visibility_reaches_exactly_its_audience() {
    each_backend_with(fast, |app| async move {
        let alice = app.user("alice").await;
        let bob = app.user("bob").await;
        super::follow(&app, &bob, &alice).await;
        let alice_id: i64 = alice.account_id.parse().unwrap();
        // h1: three followers behind one shared inbox; h2: a follower without a shared
        // inbox; h3: someone mentioned, not following; h4: a stranger.
        let (h1, h2, h3, h4) = (
            FakeHost::start("127.0.0.21").await,
            FakeHost::start("127.0.0.22").await,
            FakeHost::start("127.0.0.23").await,
            FakeHost::start("127.0.0.24").await,
        );
        for name in ["f1", "f2", "f3"] {
            let id = h1.account(&app, name, true).await;
            remote_follows(&app, id, alice_id, &format!("{}/follows/{name}", h1.base)).await;
        }
        let f4 = h2.account(&app, "f4", false).await;
        remote_follows(&app, f4, alice_id, &format!("{}/follows/1", h2.base)).await;
        h3.account(&app, "m", true).await;
        h4.account(&app, "stranger", true).await;
        let mention = format!("@m@{}", h3.authority);

        let mut sent = Vec::new();
        for (n, visibility) in ["public", "unlisted", "private"].iter().enumerate() {
            let s = post(&app, &alice, &format!("{visibility} {mention}"), visibility).await;
            sent.push((s["uri"].as_str().unwrap().to_owned(), *visibility));
            h1.wait_accepted(n + 1, 10).await;
            h2.wait_accepted(n + 1, 10).await;
            h3.wait_accepted(n + 1, 10).await;
        }
        let direct = post(&app, &alice, &format!("psst {mention}"), "direct").await;
        h3.wait_accepted(4, 10).await;
        // A direct post to local accounts only, and a post nobody remote should see, queue
        // nothing for delivery.
        post(&app, &alice, "@bob hello", "direct").await;
        wait_queue_empty(&app, 10).await;
        let other = app.user("carol").await;
        post(&app, &other, "nobody remote follows me", "public").await;
        app.run_jobs().await;
        {
            let mut h = app.state.db.read().await.unwrap();
            assert_eq!(
                woolly::db::deliveries::pending_activities(h.conn())
                    .await
                    .unwrap(),
                0
            );
        }
        tokio::time::sleep(Duration::from_millis(300)).await;

        // h1: one POST per post, to the shared inbox (deduplicated across f1, f2, f3).
        let got1 = h1.received();
        assert_eq!(got1.len(), 3, "{:?}", object_ids(&got1));
        assert!(got1.iter().all(|r| r.path == "/inbox" && r.verified));
        // h2: to the follower's own inbox.
        let got2 = h2.received();
        assert_eq!(got2.len(), 3);
        assert!(
            got2.iter()
                .all(|r| r.path == "/users/f4/inbox" && r.verified)
        );
        // h3: the mentioned account gets every post, the direct one included.
        let got3 = h3.received();
        assert_eq!(got3.len(), 4);
        assert!(got3.iter().all(|r| r.verified));
        assert_eq!(
            object_ids(&got3).last().unwrap(),
            direct["uri"].as_str().unwrap()
        );
        // h4 never hears of anything.
        assert!(h4.received().is_empty());

        // Addressing by visibility, mentions as Mention tags.
        let followers = format!("{}/followers", actor_uri(&app, "alice"));
        let m_uri = h3.actor_uri("m");
        let public = "https://www.w3.org/ns/activitystreams#Public";
        for (r, (uri, visibility)) in got1.iter().zip(&sent) {
            let a = &r.body;
            assert_eq!(a["type"], "Create");
            assert_eq!(a["actor"], actor_uri(&app, "alice"));
            assert_eq!(a["object"]["id"], uri.as_str());
            let (to, cc) = (strings(&a["to"]), strings(&a["cc"]));
            match *visibility {
                "public" => {
                    assert_eq!(to, [public]);
                    assert_eq!(cc, [followers.clone(), m_uri.clone()]);
                }
                "unlisted" => {
                    assert_eq!(to, [followers.as_str()]);
                    assert_eq!(cc, [public.to_owned(), m_uri.clone()]);
                }
                _ => {
                    assert_eq!(to, [followers.as_str()]);
                    assert_eq!(cc, [m_uri.as_str()]);
                }
            }
            assert_eq!(a["object"]["tag"][0]["type"], "Mention");
            assert_eq!(a["object"]["tag"][0]["href"], m_uri.as_str());
        }
        let d = &got3[3].body;
        assert_eq!(strings(&d["to"]), [m_uri.as_str()]);
        assert!(strings(&d["cc"]).is_empty());
        assert_eq!(d["object"]["tag"][0]["type"], "Mention");
    })
    .await;
}

#[tokio::test]
async fn retries_back_off_honour_retry_after_and_stop_on_permanent_failures() {
    each_backend_with(fast, |app| async move {
        let alice = app.user("alice").await;
        let alice_id: i64 = alice.account_id.parse().unwrap();
        let flaky = FakeHost::start("127.0.0.31").await;
        let slow = FakeHost::start("127.0.0.32").await;
        let gone = FakeHost::start("127.0.0.33").await;
        let missing = FakeHost::start("127.0.0.34").await;
        for (h, n) in [(&flaky, "a"), (&slow, "b"), (&gone, "c"), (&missing, "d")] {
            let id = h.account(&app, n, true).await;
            remote_follows(&app, id, alice_id, &format!("{}/f/{n}", h.base)).await;
        }
        flaky.script([Reply::status(500), Reply::status(502)]);
        slow.script([Reply {
            status: 503,
            retry_after: Some("2".into()),
        }]);
        gone.set_default(Reply::status(410));
        missing.set_default(Reply::status(404));

        post(&app, &alice, "hello", "public").await;
        // 500, 502, then accepted: three attempts, each after a backoff.
        let got = flaky.wait_accepted(1, 10).await;
        let all = flaky.received();
        assert_eq!(all.len(), 3, "{all:?}");
        assert_eq!(got[0].body["type"], "Create");
        // The first retry waits at least 15 units (75 ms), the second at least 16.
        assert!(all[1].at - all[0].at >= Duration::from_millis(75));
        assert!(all[2].at - all[1].at >= Duration::from_millis(80));
        // Retry-After: 2 is honoured although the schedule would retry sooner.
        slow.wait_accepted(1, 10).await;
        let s = slow.received();
        assert_eq!(s.len(), 2);
        assert!(
            s[1].at - s[0].at >= Duration::from_millis(1900),
            "retried after {:?}",
            s[1].at - s[0].at
        );
        // 410 and 404 are final: one attempt each, nothing left queued.
        wait_queue_empty(&app, 10).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(gone.received().len(), 1);
        assert_eq!(missing.received().len(), 1);
        assert!(flaky.received().iter().all(|r| r.verified));
    })
    .await;
}

#[tokio::test]
async fn a_host_down_for_a_while_receives_everything_queued() {
    each_backend_with(fast, |app| async move {
        let alice = app.user("alice").await;
        let alice_id: i64 = alice.account_id.parse().unwrap();
        let host = FakeHost::start("127.0.0.41").await;
        let f = host.account(&app, "f", true).await;
        remote_follows(&app, f, alice_id, &format!("{}/f/1", host.base)).await;
        host.set_default(Reply::status(503));
        let mut uris = Vec::new();
        for i in 0..3 {
            let s = post(&app, &alice, &format!("post {i}"), "public").await;
            uris.push(s["uri"].as_str().unwrap().to_owned());
        }
        // Let every post fail at least twice.
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while host.received().len() < 6 {
            assert!(std::time::Instant::now() < deadline);
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert!(host.accepted().is_empty());
        host.set_default(Reply::status(202));
        let got = host.wait_accepted(3, 20).await;
        let mut ids = object_ids(&got);
        ids.sort();
        uris.sort();
        assert_eq!(ids, uris);
        wait_queue_empty(&app, 10).await;
    })
    .await;
}

#[tokio::test]
async fn deliveries_resume_after_a_restart() {
    for backend in backends() {
        let app = TestApp::spawn_at(backend, "127.0.0.1", fast).await;
        let alice = app.user("alice").await;
        let alice_id: i64 = alice.account_id.parse().unwrap();
        // Connections to the host are refused until it starts listening.
        let host = FakeHost::unstarted("127.0.0.51");
        let f = host.account(&app, "f", true).await;
        remote_follows(&app, f, alice_id, &format!("{}/f/1", host.base)).await;
        let first = post(&app, &alice, "before the restart", "public").await;
        // Wait for a failed attempt to be recorded.
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            let mut h = app.state.db.read().await.unwrap();
            let failed: i64 = woolly::with_conn!(h.conn(), |c| sqlx::query_scalar(
                "SELECT count(*) FROM deliveries WHERE attempts > 0 AND locked_until IS NULL"
            )
            .fetch_one(&mut *c)
            .await
            .unwrap());
            if failed > 0 {
                break;
            }
            assert!(std::time::Instant::now() < deadline, "no failed attempt");
            drop(h);
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        // A second post whose delivery a worker "crashes" on: claimed with a lease that
        // has lapsed (as after a kill -9), never completed.
        let second = post(&app, &alice, "claimed by a dead worker", "public").await;
        app.run_jobs().await;
        let app = app.restart().await;
        {
            let mut tx = app.state.db.begin().await.unwrap();
            woolly::db::deliveries::claim(
                tx.conn(),
                woolly::time::now_ms() + 60_000,
                -59_000,
                10,
                10,
                100,
                &[],
            )
            .await
            .unwrap();
            tx.commit().await.unwrap();
        }
        host.listen().await;
        let got = host.wait_accepted(2, 20).await;
        let mut ids = object_ids(&got);
        ids.sort();
        let mut want = vec![
            first["uri"].as_str().unwrap().to_owned(),
            second["uri"].as_str().unwrap().to_owned(),
        ];
        want.sort();
        assert_eq!(ids, want);
        assert!(got.iter().all(|r| r.verified));
        wait_queue_empty(&app, 10).await;
        app.shutdown().await;
    }
}

#[tokio::test]
async fn concurrency_per_host_is_bounded() {
    each_backend_with(fast, |app| async move {
        let alice = app.user("alice").await;
        let alice_id: i64 = alice.account_id.parse().unwrap();
        let busy = FakeHost::start("127.0.0.61").await;
        busy.set_delay(Duration::from_millis(150));
        // Ten followers with personal inboxes only: ten deliveries to one host.
        for i in 0..10 {
            let id = busy.account(&app, &format!("u{i}"), false).await;
            remote_follows(&app, id, alice_id, &format!("{}/f/{i}", busy.base)).await;
        }
        let other = FakeHost::start("127.0.0.62").await;
        let o = other.account(&app, "o", true).await;
        remote_follows(&app, o, alice_id, &format!("{}/f/o", other.base)).await;
        post(&app, &alice, "to many inboxes", "public").await;
        // The other host is not held up behind the busy one.
        other.wait_accepted(1, 10).await;
        assert!(busy.accepted().len() < 10);
        let got = busy.wait_accepted(10, 20).await;
        let mut paths: Vec<String> = got.iter().map(|r| r.path.clone()).collect();
        paths.sort();
        paths.dedup();
        assert_eq!(paths.len(), 10);
        assert_eq!(busy.max_in_flight(), 2, "per-host bound");
    })
    .await;
}

#[tokio::test]
async fn a_host_failing_on_seven_days_is_skipped_until_it_succeeds() {
    each_backend_with(fast, |app| async move {
        let alice = app.user("alice").await;
        let alice_id: i64 = alice.account_id.parse().unwrap();
        let host = FakeHost::start("127.0.0.71").await;
        let f = host.account(&app, "f", true).await;
        remote_follows(&app, f, alice_id, &format!("{}/f/1", host.base)).await;
        let now = woolly::time::now_ms();
        let today = now / 86_400_000;
        {
            let mut tx = app.state.db.begin().await.unwrap();
            for day in today - 6..=today {
                for _ in 0..2 {
                    let unavailable = woolly::db::deliveries::host_failed(
                        tx.conn(),
                        &host.authority,
                        day,
                        now,
                        woolly::federation::delivery::UNAVAILABLE_AFTER_DAYS,
                    )
                    .await
                    .unwrap();
                    // Unavailable on the seventh distinct day, not before.
                    assert_eq!(unavailable, day == today);
                }
            }
            tx.commit().await.unwrap();
        }
        post(&app, &alice, "not for an unavailable host", "public").await;
        wait_queue_empty(&app, 10).await;
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(host.received().is_empty());
        // Any success (here: an inbound exchange) makes it available again.
        {
            let mut tx = app.state.db.begin().await.unwrap();
            woolly::federation::outbox::host_reachable(tx.conn(), &host.authority)
                .await
                .unwrap();
            tx.commit().await.unwrap();
        }
        let s = post(&app, &alice, "welcome back", "public").await;
        let got = host.wait_accepted(1, 10).await;
        assert_eq!(got[0].body["object"]["id"], s["uri"]);
    })
    .await;
}
