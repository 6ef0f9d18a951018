//! Local accounts named in a remote status's `to`/`cc` without a `Mention` tag become silent
//! mentions, as in Mastodon: they may see the status (a direct or followers-only one
//! addressed to them) but it does not list them and they get no mention notification.

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::inbox::{PUBLIC, create, note, signer_of};
use super::relevance::deliver_ok;
use super::*;

async fn local_id(app: &TestApp, uri: &str) -> i64 {
    let mut h = app.state.db.read().await.unwrap();
    woolly::db::inbox::status_by_uri(h.conn(), uri)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("{uri} not stored"))
        .id
}

async fn show(app: &TestApp, user: &TestUser, id: i64) -> (StatusCode, Value) {
    let r = app
        .get(&format!("/api/v1/statuses/{id}"), Some(&user.token))
        .await;
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn notification_types(app: &TestApp, user: &TestUser) -> Vec<String> {
    let all = super::inbox::notifications(app, user).await;
    all.iter()
        .map(|n| n["type"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn addressed_but_untagged_local_accounts_see_without_notification() {
    each_backend_pair(|a, b| async move {
        let alice = a.user("alice").await;
        let carol = a.user("carol").await;
        let bob = b.user("bob").await;
        let bob_s = signer_of(&b, &bob).await;
        let alice_uri = actor_uri(&a, "alice");
        let followers = format!("{}/followers", bob_s.actor);
        let status = |n: u32| format!("{}/statuses/{n}", bob_s.actor);

        // A direct message to alice without a Mention tag, and a followers-only post that
        // also names her in `cc`.
        let direct = note(
            &status(1),
            &bob_s.actor,
            "<p>psst</p>",
            json!([alice_uri]),
            json!([]),
            json!([]),
        );
        let private = note(
            &status(2),
            &bob_s.actor,
            "<p>friends</p>",
            json!([followers]),
            json!([alice_uri]),
            json!([]),
        );
        for n in [&direct, &private] {
            deliver_ok(&a, &create(&bob_s.actor, n.clone()), &bob_s).await;
        }
        for (n, visibility) in [(1, "direct"), (2, "private")] {
            let id = local_id(&a, &status(n)).await;
            let (code, body) = show(&a, &alice, id).await;
            assert_eq!(code, StatusCode::OK, "{body}");
            assert_eq!(body["visibility"], visibility);
            // Silent: not listed among the mentions.
            assert_eq!(body["mentions"], json!([]), "{body}");
            // Nobody else may see it.
            assert_eq!(show(&a, &carol, id).await.0, StatusCode::NOT_FOUND);
        }
        assert!(notification_types(&a, &alice).await.is_empty());
        assert_eq!(
            count_mentions(&a, &alice, true).await,
            2,
            "two silent mention rows"
        );

        // A tagged mention is a real one: listed and notified.
        let tagged = note(
            &status(3),
            &bob_s.actor,
            "<p>hi @alice</p>",
            json!([alice_uri]),
            json!([]),
            json!([{"type": "Mention", "href": alice_uri}]),
        );
        deliver_ok(&a, &create(&bob_s.actor, tagged), &bob_s).await;
        let (_, body) = show(&a, &alice, local_id(&a, &status(3)).await).await;
        assert_eq!(body["mentions"][0]["acct"], "alice");
        assert_eq!(notification_types(&a, &alice).await, vec!["mention"]);

        // Following bob, alice gets such direct messages in her home feed (Mastodon's
        // delivery to mentioned followers), still without a notification.
        follow_actor(&a, &alice, &bob_s.actor).await;
        let later = note(
            &status(4),
            &bob_s.actor,
            "<p>again</p>",
            json!([alice_uri]),
            json!([]),
            json!([]),
        );
        deliver_ok(&a, &create(&bob_s.actor, later), &bob_s).await;
        let home = json(
            a.get("/api/v1/timelines/home", Some(&alice.token)).await,
            StatusCode::OK,
        )
        .await;
        assert!(
            home.as_array()
                .unwrap()
                .iter()
                .any(|s| s["uri"] == status(4).as_str()),
            "{home}"
        );
        assert_eq!(notification_types(&a, &alice).await, vec!["mention"]);
        // A public post naming her in cc is no direct message: it does not notify either.
        let public = note(
            &status(5),
            &bob_s.actor,
            "<p>pub</p>",
            json!(PUBLIC),
            json!([alice_uri]),
            json!([]),
        );
        deliver_ok(&a, &create(&bob_s.actor, public), &bob_s).await;
        assert_eq!(notification_types(&a, &alice).await, vec!["mention"]);
    })
    .await;
}

async fn count_mentions(app: &TestApp, user: &TestUser, silent: bool) -> i64 {
    super::inbox::count(
        app,
        &format!(
            "mentions WHERE account_id = {} AND silent = {}",
            user.account_id,
            if silent { "TRUE" } else { "FALSE" }
        ),
    )
    .await
}
