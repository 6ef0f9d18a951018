//! verify_credentials and update_credentials.

use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use serde_json::json;

use super::support::*;
use crate::common::*;

const VERIFY: &str = "/api/v1/accounts/verify_credentials";
const UPDATE: &str = "/api/v1/accounts/update_credentials";

#[tokio::test]
async fn verify_credentials_returns_the_credential_account() {
    each_backend(|app| async move {
        let alice = app.user("alice").await;
        let v = json(app.get(VERIFY, Some(&alice.token)).await, StatusCode::OK).await;
        assert_shape("GET /api/v1/accounts/verify_credentials 200", &v);
        assert_eq!(v["id"], alice.account_id.as_str());
        assert_eq!(v["username"], "alice");
        assert_eq!(v["acct"], "alice");
        assert_eq!(v["source"]["privacy"], "public");
        assert_eq!(v["source"]["note"], "");
        assert_eq!(v["source"]["follow_requests_count"], 0);
        assert_eq!(v["source"]["quote_policy"], "public");
        assert_eq!(v["source"]["attribution_domains"], json!([]));
        assert_eq!(v["role"]["id"], "-99");
        assert_eq!(v["role"]["permissions"], "0");
        assert_eq!(v["role"]["highlighted"], false);

        // Staff roles use Mastodon's default role ids and permission bitmasks.
        let mut tx = app.state.db.begin().await.unwrap();
        let user =
            woolly::db::accounts::get_user_by_account(tx.conn(), alice.account_id.parse().unwrap())
                .await
                .unwrap()
                .unwrap();
        woolly::db::accounts::set_role(tx.conn(), user.id, "moderator", 0)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let v = json(app.get(VERIFY, Some(&alice.token)).await, StatusCode::OK).await;
        assert_eq!(v["role"]["id"], "1");
        assert_eq!(v["role"]["name"], "Moderator");
        assert_eq!(v["role"]["permissions"], "1115420");
        assert_eq!(v["role"]["highlighted"], true);
    })
    .await;
}

#[tokio::test]
async fn verify_credentials_scopes() {
    each_backend(|app| async move {
        let alice = app.user("alice").await;
        error(app.get(VERIFY, None).await, StatusCode::UNAUTHORIZED).await;
        error(
            app.get(VERIFY, Some("nope")).await,
            StatusCode::UNAUTHORIZED,
        )
        .await;
        let write_only = token_with(&app, &alice, "write").await;
        error(
            app.get(VERIFY, Some(&write_only)).await,
            StatusCode::FORBIDDEN,
        )
        .await;
        for scopes in ["profile", "read:accounts", "read"] {
            let t = token_with(&app, &alice, scopes).await;
            json(app.get(VERIFY, Some(&t)).await, StatusCode::OK).await;
        }
        let app_only = app_token(&app, "read").await;
        error(
            app.get(VERIFY, Some(&app_only)).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    })
    .await;
}

#[tokio::test]
async fn update_credentials_with_json() {
    each_backend(|app| async move {
        let alice = app.user("alice").await;
        let bob = app.user("bob").await;
        let body = json!({
            "display_name": "Alice ✨",
            "note": "Hi @bob and @nobody, see https://example.com #Rust\n\nBye",
            "locked": true,
            "bot": "true",
            "discoverable": false,
            "indexable": true,
            "hide_collections": true,
            "fields_attributes": [
                {"name": "Site", "value": "https://alice.example/about"},
                {"name": " Pronouns ", "value": " she/her <b> "},
                {"name": "", "value": ""}
            ],
            "source": {"privacy": "private", "sensitive": true, "language": "de"}
        });
        let v = json(
            patch_json(&app, UPDATE, Some(&alice.token), &body).await,
            StatusCode::OK,
        )
        .await;
        assert_shape("PATCH /api/v1/accounts/update_credentials 200", &v);
        assert_eq!(v["display_name"], "Alice ✨");
        assert_eq!(v["locked"], true);
        assert_eq!(v["bot"], true);
        assert_eq!(v["discoverable"], false);
        assert_eq!(v["indexable"], true);
        assert_eq!(v["hide_collections"], true);
        let note = v["note"].as_str().unwrap();
        assert!(
            note.starts_with("<p>Hi <span class=\"h-card\" translate=\"no\"><a href=\""),
            "{note}"
        );
        assert!(
            note.contains("/@bob\" class=\"u-url mention\">@<span>bob</span></a></span>"),
            "{note}"
        );
        assert!(
            note.contains("@nobody"),
            "unknown mentions stay text: {note}"
        );
        assert!(note.contains("<a href=\"https://example.com\""), "{note}");
        assert!(note.contains("class=\"mention hashtag\""), "{note}");
        assert!(note.ends_with("<p>Bye</p>"), "{note}");
        assert_eq!(v["source"]["note"], body["note"]);
        assert_eq!(v["source"]["privacy"], "private");
        assert_eq!(v["source"]["sensitive"], true);
        assert_eq!(v["source"]["language"], "de");
        assert_eq!(v["source"]["hide_collections"], true);

        let fields = v["fields"].as_array().unwrap();
        assert_eq!(fields.len(), 2, "blank rows are dropped: {fields:?}");
        assert_eq!(fields[0]["name"], "Site");
        let site = fields[0]["value"].as_str().unwrap();
        assert!(
            site.starts_with("<a href=\"https://alice.example/about\""),
            "{site}"
        );
        assert!(site.contains("rel=\"nofollow noopener me\""), "{site}");
        assert_eq!(fields[1]["name"], "Pronouns");
        assert_eq!(fields[1]["value"], "she/her &lt;b&gt;");
        assert!(fields[1]["verified_at"].is_null());
        assert_eq!(
            v["source"]["fields"],
            json!([
                {"name": "Site", "value": "https://alice.example/about", "verified_at": null},
                {"name": "Pronouns", "value": "she/her <b>", "verified_at": null}
            ])
        );

        // The public profile shows the same, and the mentioned account is untouched.
        let p = json(
            app.get(&format!("/api/v1/accounts/{}", alice.account_id), None)
                .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(p["note"], v["note"]);
        assert_eq!(p["fields"], v["fields"]);
        assert_eq!(account(&app, &bob.account_id).await.note, "");

        // Partial updates keep everything else; an empty language clears it.
        let v = json(
            patch_json(
                &app,
                UPDATE,
                Some(&alice.token),
                &json!({"locked": false, "source": {"language": ""}}),
            )
            .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(v["locked"], false);
        assert_eq!(v["display_name"], "Alice ✨");
        assert_eq!(v["fields"].as_array().unwrap().len(), 2);
        assert!(v["source"]["language"].is_null());
        assert_eq!(v["source"]["privacy"], "private");
    })
    .await;
}

#[tokio::test]
async fn update_credentials_with_form_and_multipart() {
    each_backend(|app| async move {
        let alice = app.user("alice").await;
        let resp = app
            .req(reqwest::Method::PATCH, UPDATE)
            .bearer_auth(&alice.token)
            .form(&[
                ("display_name", "Form Alice"),
                ("fields_attributes[0][name]", "a"),
                ("fields_attributes[0][value]", "1"),
                ("fields_attributes[1][name]", "b"),
                ("fields_attributes[1][value]", "2"),
                ("source[privacy]", "unlisted"),
                ("source[sensitive]", "1"),
                ("locked", "true"),
            ])
            .send()
            .await
            .unwrap();
        let v = json(resp, StatusCode::OK).await;
        assert_eq!(v["display_name"], "Form Alice");
        assert_eq!(v["locked"], true);
        assert_eq!(v["source"]["privacy"], "unlisted");
        assert_eq!(v["source"]["sensitive"], true);
        let names: Vec<&str> = v["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["a", "b"]);

        let form = Form::new()
            .text("display_name", "Multipart Alice")
            .text("note", "multi")
            .text("fields_attributes[0][name]", "only")
            .text("fields_attributes[0][value]", "one");
        let resp = app
            .req(reqwest::Method::PATCH, UPDATE)
            .bearer_auth(&alice.token)
            .multipart(form)
            .send()
            .await
            .unwrap();
        let v = json(resp, StatusCode::OK).await;
        assert_eq!(v["display_name"], "Multipart Alice");
        assert_eq!(v["note"], "<p>multi</p>");
        assert_eq!(v["fields"].as_array().unwrap().len(), 1);

        // An avatar that is no image is refused and nothing else is applied.
        let form = Form::new().text("display_name", "Changed").part(
            "avatar",
            Part::bytes(vec![0x89, b'P', b'N', b'G'])
                .file_name("a.png")
                .mime_str("image/png")
                .unwrap(),
        );
        let resp = app
            .req(reqwest::Method::PATCH, UPDATE)
            .bearer_auth(&alice.token)
            .multipart(form)
            .send()
            .await
            .unwrap();
        let e = error(resp, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert!(
            e["error"]
                .as_str()
                .unwrap()
                .contains("content type is invalid"),
            "{e}"
        );
        assert_eq!(
            account(&app, &alice.account_id).await.display_name,
            "Multipart Alice"
        );
    })
    .await;
}

#[tokio::test]
async fn update_credentials_validation() {
    each_backend(|app| async move {
        let alice = app.user("alice").await;
        let five: Vec<_> = (0..5)
            .map(|i| json!({"name": format!("n{i}"), "value": "v"}))
            .collect();
        let e = error(
            patch_json(
                &app,
                UPDATE,
                Some(&alice.token),
                &json!({"display_name": "ok", "fields_attributes": five}),
            )
            .await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_shape("PATCH /api/v1/accounts/update_credentials 422", &e);
        assert_eq!(e["details"]["fields"][0]["error"], "ERR_TOO_LONG");
        assert!(
            e["error"]
                .as_str()
                .unwrap()
                .starts_with("Validation failed: Fields")
        );

        let cases = [
            (json!({"display_name": "x".repeat(31)}), "display_name"),
            (json!({"note": "y".repeat(501)}), "note"),
            (
                json!({"fields_attributes": [{"name": "n".repeat(256), "value": "v"}]}),
                "fields",
            ),
            (
                json!({"fields_attributes": [{"name": "n", "value": "v".repeat(256)}]}),
                "fields",
            ),
            (
                json!({"fields_attributes": [{"name": "", "value": "orphan"}]}),
                "fields",
            ),
            (json!({"source": {"privacy": "everyone"}}), "privacy"),
            (json!({"source": {"language": "english"}}), "language"),
        ];
        for (body, key) in cases {
            let e = error(
                patch_json(&app, UPDATE, Some(&alice.token), &body).await,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
            assert!(e["details"][key][0]["error"].is_string(), "{body}: {e}");
        }
        // Exactly at the limits is fine (a URL counts as 23 characters in the note).
        let long_url = format!("https://example.com/{}", "a".repeat(600));
        json(
            patch_json(
                &app,
                UPDATE,
                Some(&alice.token),
                &json!({"display_name": "x".repeat(30), "note": long_url}),
            )
            .await,
            StatusCode::OK,
        )
        .await;

        // A failed update changes nothing.
        error(
            patch_json(
                &app,
                UPDATE,
                Some(&alice.token),
                &json!({"display_name": "fine", "note": "z".repeat(501)}),
            )
            .await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(
            account(&app, &alice.account_id).await.display_name,
            "x".repeat(30)
        );

        // Malformed values are 400.
        error(
            patch_json(
                &app,
                UPDATE,
                Some(&alice.token),
                &json!({"locked": "maybe"}),
            )
            .await,
            StatusCode::BAD_REQUEST,
        )
        .await;
        error(
            patch_json(
                &app,
                UPDATE,
                Some(&alice.token),
                &json!({"fields_attributes": 5}),
            )
            .await,
            StatusCode::BAD_REQUEST,
        )
        .await;
    })
    .await;
}

#[tokio::test]
async fn update_credentials_scopes() {
    each_backend(|app| async move {
        let alice = app.user("alice").await;
        let body = json!({"display_name": "x"});
        error(
            patch_json(&app, UPDATE, None, &body).await,
            StatusCode::UNAUTHORIZED,
        )
        .await;
        let read = token_with(&app, &alice, "read profile").await;
        error(
            patch_json(&app, UPDATE, Some(&read), &body).await,
            StatusCode::FORBIDDEN,
        )
        .await;
        let app_only = app_token(&app, "write").await;
        error(
            patch_json(&app, UPDATE, Some(&app_only), &body).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        let w = token_with(&app, &alice, "write:accounts").await;
        json(
            patch_json(&app, UPDATE, Some(&w), &body).await,
            StatusCode::OK,
        )
        .await;
    })
    .await;
}

#[tokio::test]
async fn unlocking_approves_pending_follow_requests() {
    each_backend(|app| async move {
        let alice = app.user("alice").await;
        let bob = app.user("bob").await;
        let carol = app.user("carol").await;
        let lock = |locked: bool| json!({ "locked": locked });
        json(
            patch_json(&app, UPDATE, Some(&bob.token), &lock(true)).await,
            StatusCode::OK,
        )
        .await;
        insert_status(
            &app,
            &bob.account_id,
            NewStatus {
                visibility: "private",
                text: "for followers",
                ..Default::default()
            },
        )
        .await;
        let v = act(&app, &alice, &bob, "follow").await;
        assert_eq!(v["requested"], true);
        let v = json(
            app.post_json(
                &format!("/api/v1/accounts/{}/follow", bob.account_id),
                Some(&carol.token),
                &json!({"reblogs": false}),
            )
            .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(v["requested"], true);

        // Other profile changes leave the requests pending.
        json(
            patch_json(
                &app,
                UPDATE,
                Some(&bob.token),
                &json!({"display_name": "Bob", "locked": true}),
            )
            .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(counters(&app, &bob.account_id).await, (0, 0));

        let v = json(
            patch_json(&app, UPDATE, Some(&bob.token), &lock(false)).await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(v["locked"], false);
        assert_eq!(v["followers_count"], 2);
        assert_eq!(v["source"]["follow_requests_count"], 0);
        assert_eq!(counters(&app, &bob.account_id).await, (2, 0));
        assert_eq!(counters(&app, &alice.account_id).await, (0, 1));
        assert_eq!(counters(&app, &carol.account_id).await, (0, 1));
        for who in [&alice, &carol] {
            assert_eq!(
                notifications(&app, &bob.account_id, &who.account_id, "follow").await,
                1
            );
            assert_eq!(
                notifications(&app, &bob.account_id, &who.account_id, "follow_request").await,
                0
            );
            // The followers-only post is in the new followers' home feeds.
            assert_eq!(
                feed_entries(&app, &who.account_id, &bob.account_id).await,
                1
            );
        }
        let v = json(
            app.get("/api/v1/follow_requests", Some(&bob.token)).await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(v, json!([]));
        // The follows keep the requests' options.
        let r = json(
            app.get(
                &format!("/api/v1/accounts/relationships?id[]={}", bob.account_id),
                Some(&carol.token),
            )
            .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(r[0]["following"], true);
        assert_eq!(r[0]["showing_reblogs"], false);
        let r = json(
            app.get(
                &format!("/api/v1/accounts/relationships?id[]={}", bob.account_id),
                Some(&alice.token),
            )
            .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(r[0]["following"], true);
        assert_eq!(r[0]["showing_reblogs"], true);

        // Unlocking an unlocked account changes nothing; new follows are immediate.
        json(
            patch_json(&app, UPDATE, Some(&bob.token), &lock(false)).await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(counters(&app, &bob.account_id).await, (2, 0));
        let dave = app.user("dave").await;
        let v = act(&app, &dave, &bob, "follow").await;
        assert_eq!(v["following"], true);
        assert_eq!(counters(&app, &bob.account_id).await, (3, 0));
    })
    .await;
}
