//! A Delete processed at the same time as the Create of the same object never leaves the
//! status behind (on PostgreSQL the two transactions are serialised on the object's URI).

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use woolly::with_conn;

use super::inbox::{PUBLIC, count, create, deliver, note, signer_of};
use super::*;

/// The id under which `app` stored the received activity `uri`.
async fn received_id(app: &TestApp, uri: &str) -> i64 {
    let mut h = app.state.db.read().await.unwrap();
    let c = h.conn();
    with_conn!(c, |c| sqlx::query_scalar::<_, i64>(
        "SELECT id FROM inbox_activities WHERE activity_uri = $1"
    )
    .bind(uri)
    .fetch_one(&mut *c)
    .await
    .unwrap())
}

#[tokio::test]
async fn a_delete_racing_its_create_never_leaves_the_status() {
    each_backend_pair_idle_a(|a, b| async move {
        let alice = a.user("alice").await;
        let bob = b.user("bob").await;
        let s = signer_of(&b, &bob).await;
        // Many hashtags and a mention make the Create's transaction long enough for the
        // Delete to overlap it.
        let tags: Vec<Value> = (0..30)
            .map(|i| json!({"type": "Hashtag", "name": format!("#race{i}")}))
            .chain([json!({"type": "Mention", "href": actor_uri(&a, "alice")})])
            .collect();
        follow_actor(&a, &alice, &s.actor).await;
        for i in 0..16u64 {
            let uri = format!("{}/statuses/{}", s.actor, 500 + i);
            let activity = create(
                &s.actor,
                note(
                    &uri,
                    &s.actor,
                    "<p>now you see it</p>",
                    json!(PUBLIC),
                    json!([actor_uri(&a, "alice")]),
                    json!(tags),
                ),
            );
            let delete = json!({"id": format!("{uri}#delete"), "type": "Delete", "actor": s.actor,
                                "object": {"id": uri, "type": "Tombstone"}});
            assert_eq!(
                deliver(&a, "/inbox", &activity, &s).await,
                StatusCode::ACCEPTED
            );
            assert_eq!(
                deliver(&a, "/inbox", &delete, &s).await,
                StatusCode::ACCEPTED
            );
            let create_id = received_id(&a, activity["id"].as_str().unwrap()).await;
            let delete_id = received_id(&a, delete["id"].as_str().unwrap()).await;
            // The Delete starts a little later each round, sweeping across the Create.
            let lag = Duration::from_micros(i * 600);
            let (c, d) = tokio::join!(
                woolly::federation::inbox::process(&a.state, create_id),
                async {
                    tokio::time::sleep(lag).await;
                    woolly::federation::inbox::process(&a.state, delete_id).await
                }
            );
            c.unwrap();
            d.unwrap();
            assert_eq!(
                count(&a, &format!("statuses WHERE uri = '{uri}'")).await,
                0,
                "round {i}"
            );
        }
        a.run_jobs().await;
        assert_eq!(count(&a, "statuses").await, 0);
        assert_eq!(count(&a, "home_feed").await, 0);
        assert_eq!(count(&a, "mentions").await, 0);
        assert_eq!(count(&a, "notifications").await, 0);
        assert_eq!(
            count(
                &a,
                &format!("accounts WHERE uri = '{}' AND statuses_count = 0", s.actor)
            )
            .await,
            1
        );
    })
    .await;
}
