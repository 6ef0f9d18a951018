//! Showing, listing, looking up and searching accounts; lists, featured tags and familiar
//! followers.

use reqwest::StatusCode;
use serde_json::json;

use super::support::*;
use crate::common::*;

#[tokio::test]
async fn show_account() {
    each_backend(|app| async move {
        let alice = app.user("alice").await;
        let bob = app.user("bob").await;
        let path = format!("/api/v1/accounts/{}", alice.account_id);
        let v = json(app.get(&path, None).await, StatusCode::OK).await;
        assert_shape("GET /api/v1/accounts/:id 200", &v);
        assert_eq!(v["username"], "alice");
        assert_eq!(v["url"], format!("{}/@alice", app.url));
        assert!(v.get("source").is_none(), "only credentials carry source");
        json(app.get(&path, Some(&bob.token)).await, StatusCode::OK).await;

        // A token without read:accounts is refused; an app token is fine.
        let w = token_with(&app, &bob, "write").await;
        error(app.get(&path, Some(&w)).await, StatusCode::FORBIDDEN).await;
        let t = app_token(&app, "read").await;
        json(app.get(&path, Some(&t)).await, StatusCode::OK).await;

        for bad in [
            "/api/v1/accounts/1",
            "/api/v1/accounts/abc",
            "/api/v1/accounts/-5",
        ] {
            let e = error(app.get(bad, None).await, StatusCode::NOT_FOUND).await;
            assert_eq!(e["error"], "Record not found");
        }
        exec(
            &app,
            "UPDATE accounts SET suspended_at = 1 WHERE id = $1",
            &[alice.account_id.parse().unwrap()],
        )
        .await;
        error(app.get(&path, None).await, StatusCode::NOT_FOUND).await;
    })
    .await;
}

#[tokio::test]
async fn index_by_ids() {
    each_backend(|app| async move {
        let alice = app.user("alice").await;
        let bob = app.user("bob").await;
        let carol = app.user("carol").await;
        exec(
            &app,
            "UPDATE accounts SET suspended_at = 1 WHERE id = $1",
            &[carol.account_id.parse().unwrap()],
        )
        .await;
        let path = format!(
            "/api/v1/accounts?id[]={}&id[]=12345&id[]={}&id[]={}&id[]={}",
            bob.account_id, alice.account_id, carol.account_id, bob.account_id
        );
        let v = json(app.get(&path, None).await, StatusCode::OK).await;
        assert_shape("GET /api/v1/accounts 200", &v);
        assert_eq!(
            ids(&v),
            vec![bob.account_id.clone(), alice.account_id.clone()]
        );

        let v = json(
            app.get(&format!("/api/v1/accounts?id={}", alice.account_id), None)
                .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(ids(&v), vec![alice.account_id.clone()]);
        let v = json(app.get("/api/v1/accounts", None).await, StatusCode::OK).await;
        assert_eq!(v, json!([]));

        let many: Vec<String> = (1..=41).map(|i| format!("id[]={i}")).collect();
        error(
            app.get(&format!("/api/v1/accounts?{}", many.join("&")), None)
                .await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    })
    .await;
}

#[tokio::test]
async fn lookup_by_handle() {
    each_backend(|app| async move {
        let alice = app.user("alice").await;
        let domain = app.state.domain.clone();
        for acct in ["alice", "@alice", "ALICE", &format!("alice@{domain}")] {
            let v = json(
                app.get(
                    &format!("/api/v1/accounts/lookup?acct={}", urlencode(acct)),
                    None,
                )
                .await,
                StatusCode::OK,
            )
            .await;
            assert_shape("GET /api/v1/accounts/lookup 200", &v);
            assert_eq!(v["id"], alice.account_id.as_str(), "{acct}");
        }
        for acct in ["nobody", "alice@remote.example", "", "@"] {
            let e = error(
                app.get(
                    &format!("/api/v1/accounts/lookup?acct={}", urlencode(acct)),
                    None,
                )
                .await,
                StatusCode::NOT_FOUND,
            )
            .await;
            assert_shape("GET /api/v1/accounts/lookup 404", &e);
        }
        error(
            app.get("/api/v1/accounts/lookup", None).await,
            StatusCode::NOT_FOUND,
        )
        .await;
    })
    .await;
}

fn urlencode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[tokio::test]
async fn search_accounts() {
    each_backend(|app| async move {
        let alice = app.user("alice").await;
        let alfred = app.user("alfred").await;
        let albert = app.user("albert").await;
        let bob = app.user("bob").await;
        exec(
            &app,
            "UPDATE accounts SET display_name = 'Robert Allen' WHERE id = $1",
            &[bob.account_id.parse().unwrap()],
        )
        .await;

        let v = json(
            app.get("/api/v1/accounts/search?q=al", Some(&bob.token))
                .await,
            StatusCode::OK,
        )
        .await;
        assert_shape("GET /api/v1/accounts/search 200", &v);
        let found = ids(&v);
        assert_eq!(found.len(), 4, "prefix and display-name matches: {v}");
        assert!(found.contains(&bob.account_id));

        // Exact username first; followed accounts before others.
        act(&app, &bob, &albert, "follow").await;
        let v = json(
            app.get("/api/v1/accounts/search?q=@alfred", Some(&bob.token))
                .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(ids(&v)[0], alfred.account_id);
        let v = json(
            app.get("/api/v1/accounts/search?q=al&limit=1", Some(&bob.token))
                .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(ids(&v), vec![albert.account_id.clone()]);
        let v = json(
            app.get(
                "/api/v1/accounts/search?q=al&limit=1&offset=1",
                Some(&bob.token),
            )
            .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(ids(&v).len(), 1);
        assert_ne!(ids(&v)[0], albert.account_id);
        let v = json(
            app.get(
                "/api/v1/accounts/search?q=al&following=true",
                Some(&bob.token),
            )
            .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(ids(&v), vec![albert.account_id.clone()]);
        let domain = app.state.domain.clone();
        let v = json(
            app.get(
                &format!("/api/v1/accounts/search?q=alice@{domain}&resolve=true"),
                Some(&bob.token),
            )
            .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(ids(&v), vec![alice.account_id.clone()]);

        // Blocks hide partial matches both ways; the exact name is still found (as in
        // Mastodon, so that clients can find an account to unblock by its name).
        act(&app, &alice, &bob, "block").await;
        let v = json(
            app.get("/api/v1/accounts/search?q=ali", Some(&bob.token))
                .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(v, json!([]));
        let v = json(
            app.get("/api/v1/accounts/search?q=alice", Some(&bob.token))
                .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(ids(&v), vec![alice.account_id.clone()]);

        // Blank queries find nothing; bad input and missing auth are refused.
        let v = json(
            app.get("/api/v1/accounts/search?q=", Some(&bob.token))
                .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(v, json!([]));
        error(
            app.get("/api/v1/accounts/search?q=al&limit=x", Some(&bob.token))
                .await,
            StatusCode::BAD_REQUEST,
        )
        .await;
        error(
            app.get("/api/v1/accounts/search?q=al&offset=-1", Some(&bob.token))
                .await,
            StatusCode::BAD_REQUEST,
        )
        .await;
        error(
            app.get("/api/v1/accounts/search?q=al", None).await,
            StatusCode::UNAUTHORIZED,
        )
        .await;
        let t = app_token(&app, "read").await;
        error(
            app.get("/api/v1/accounts/search?q=al", Some(&t)).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    })
    .await;
}

#[tokio::test]
async fn lists_and_featured_tags_are_empty() {
    each_backend(|app| async move {
        let alice = app.user("alice").await;
        let bob = app.user("bob").await;
        let lists = format!("/api/v1/accounts/{}/lists", bob.account_id);
        let v = json(app.get(&lists, Some(&alice.token)).await, StatusCode::OK).await;
        assert_shape("GET /api/v1/accounts/:id/lists 200", &v);
        assert_eq!(v, json!([]));
        error(app.get(&lists, None).await, StatusCode::UNAUTHORIZED).await;
        error(
            app.get("/api/v1/accounts/99/lists", Some(&alice.token))
                .await,
            StatusCode::NOT_FOUND,
        )
        .await;

        let tags = format!("/api/v1/accounts/{}/featured_tags", bob.account_id);
        let v = json(app.get(&tags, None).await, StatusCode::OK).await;
        assert_shape("GET /api/v1/accounts/:id/featured_tags 200", &v);
        assert_eq!(v, json!([]));
        error(
            app.get("/api/v1/accounts/99/featured_tags", None).await,
            StatusCode::NOT_FOUND,
        )
        .await;
    })
    .await;
}

#[tokio::test]
async fn familiar_followers() {
    each_backend(|app| async move {
        let me = app.user("me").await;
        let friend = app.user("friend").await;
        let shy = app.user("shy").await;
        let target = app.user("target").await;
        let other = app.user("other").await;
        act(&app, &me, &friend, "follow").await;
        act(&app, &me, &shy, "follow").await;
        act(&app, &friend, &target, "follow").await;
        act(&app, &shy, &target, "follow").await;
        act(&app, &other, &target, "follow").await;
        exec(
            &app,
            "UPDATE accounts SET hide_collections = TRUE WHERE id = $1",
            &[shy.account_id.parse().unwrap()],
        )
        .await;
        let path = format!(
            "/api/v1/accounts/familiar_followers?id[]={}&id[]={}&id[]=777",
            target.account_id, other.account_id
        );
        let v = json(app.get(&path, Some(&me.token)).await, StatusCode::OK).await;
        assert_shape("GET /api/v1/accounts/familiar_followers 200", &v);
        assert_eq!(v.as_array().unwrap().len(), 2);
        assert_eq!(v[0]["id"], target.account_id.as_str());
        assert_eq!(ids(&v[0]["accounts"]), vec![friend.account_id.clone()]);
        assert_eq!(v[1]["id"], other.account_id.as_str());
        assert_eq!(v[1]["accounts"], json!([]));

        error(app.get(&path, None).await, StatusCode::UNAUTHORIZED).await;
        let w = token_with(&app, &me, "read:statuses").await;
        error(app.get(&path, Some(&w)).await, StatusCode::FORBIDDEN).await;
    })
    .await;
}

/// Creates a local user in a given confirmation/approval state; returns (account id, token).
async fn user_in_state(
    app: &TestApp,
    name: &str,
    confirmed: bool,
    approved: bool,
) -> (String, String) {
    use woolly::service::accounts::{NewLocalAccount, create_local};
    let created = create_local(
        &app.state.db,
        &app.state.config,
        NewLocalAccount {
            username: name.into(),
            email: format!("{name}@example.com"),
            password: "password123".into(),
            role: "user".into(),
            confirmed,
            approved,
            locale: "en".into(),
            reason: None,
            sign_up_ip: None,
        },
    )
    .await
    .unwrap();
    let token = app
        .token_for(created.user_id, "read write follow profile")
        .await;
    (created.account_id.to_string(), token)
}

#[tokio::test]
async fn unconfirmed_and_unapproved_accounts_are_hidden() {
    each_backend(|app| async move {
        let alice = app.user("alice").await;
        let (pending_id, pending_token) = user_in_state(&app, "pendingpat", true, false).await;
        let (unconfirmed_id, _) = user_in_state(&app, "unconfirmeduma", false, true).await;
        let me = Some(alice.token.as_str());

        for (id, name) in [
            (&pending_id, "pendingpat"),
            (&unconfirmed_id, "unconfirmeduma"),
        ] {
            for token in [me, None] {
                let e = error(
                    app.get(&format!("/api/v1/accounts/{id}"), token).await,
                    StatusCode::NOT_FOUND,
                )
                .await;
                assert_eq!(e["error"], "Record not found");
                error(
                    app.get(&format!("/api/v1/accounts/lookup?acct={name}"), token)
                        .await,
                    StatusCode::NOT_FOUND,
                )
                .await;
            }
            let v = json(
                app.get(
                    &format!("/api/v1/accounts?id[]={id}&id[]={}", alice.account_id),
                    me,
                )
                .await,
                StatusCode::OK,
            )
            .await;
            assert_eq!(ids(&v), vec![alice.account_id.clone()]);
            for q in [name, &name[..4]] {
                let v = json(
                    app.get(&format!("/api/v1/accounts/search?q={q}"), me).await,
                    StatusCode::OK,
                )
                .await;
                assert_eq!(v, json!([]), "{q}");
                let v = json(
                    app.get(&format!("/api/v2/search?q={q}&type=accounts"), me)
                        .await,
                    StatusCode::OK,
                )
                .await;
                assert_eq!(v["accounts"], json!([]), "{q}");
            }
            for action in ["follow", "unfollow", "block", "unblock", "mute", "unmute"] {
                error(
                    app.post_empty(&format!("/api/v1/accounts/{id}/{action}"), me)
                        .await,
                    StatusCode::NOT_FOUND,
                )
                .await;
            }
            // Relationships are not filtered in Mastodon either (only suspended accounts).
            let v = json(
                app.get(&format!("/api/v1/accounts/relationships?id[]={id}"), me)
                    .await,
                StatusCode::OK,
            )
            .await;
            assert_eq!(v[0]["following"], false);
        }

        // Mentions of them stay plain text and notify nobody.
        let v = json(
            app.post_json(
                "/api/v1/statuses",
                me,
                &json!({"status": "hello @pendingpat and @unconfirmeduma"}),
            )
            .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(v["mentions"], json!([]));
        assert!(!v["content"].as_str().unwrap().contains("<a"), "{v}");
        assert_eq!(
            notifications(&app, &pending_id, &alice.account_id, "mention").await,
            0
        );
        // …and are not linked in a bio either.
        let v = json(
            patch_json(
                &app,
                "/api/v1/accounts/update_credentials",
                me,
                &json!({"note": "friend of @pendingpat"}),
            )
            .await,
            StatusCode::OK,
        )
        .await;
        assert!(!v["note"].as_str().unwrap().contains("<a"), "{v}");

        // The pending owner sees their own account only through verify_credentials, and only
        // when the app says it can handle a non-functional login.
        let v = error(
            app.get("/api/v1/accounts/verify_credentials", Some(&pending_token))
                .await,
            StatusCode::FORBIDDEN,
        )
        .await;
        assert_eq!(v["error"], "Your login is currently pending approval");
        let v = json(
            app.get(
                "/api/v1/accounts/verify_credentials?allow_nonfunctional=true",
                Some(&pending_token),
            )
            .await,
            StatusCode::OK,
        )
        .await;
        assert_shape("GET /api/v1/accounts/verify_credentials 200", &v);
        assert_eq!(v["id"], pending_id.as_str());
        error(
            app.get(
                "/api/v1/accounts/verify_credentials?allow_nonfunctional=true",
                None,
            )
            .await,
            StatusCode::UNAUTHORIZED,
        )
        .await;
        error(
            app.get(
                &format!("/api/v1/accounts/{pending_id}"),
                Some(&pending_token),
            )
            .await,
            StatusCode::FORBIDDEN,
        )
        .await;

        // Once approved, the account is visible, findable and mentionable.
        exec(
            &app,
            "UPDATE users SET approved = TRUE WHERE account_id = $1",
            &[pending_id.parse().unwrap()],
        )
        .await;
        let v = json(
            app.get(&format!("/api/v1/accounts/{pending_id}"), me).await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(v["username"], "pendingpat");
        let v = json(
            app.get("/api/v1/accounts/lookup?acct=pendingpat", None)
                .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(v["id"], pending_id.as_str());
        let v = json(
            app.get("/api/v1/accounts/search?q=pendingpat", me).await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(ids(&v), vec![pending_id.clone()]);
        let v = json(
            app.post_json("/api/v1/statuses", me, &json!({"status": "hi @pendingpat"}))
                .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(v["mentions"][0]["id"], pending_id.as_str());
        assert_eq!(
            notifications(&app, &pending_id, &alice.account_id, "mention").await,
            1
        );
        json(
            app.post_empty(&format!("/api/v1/accounts/{pending_id}/follow"), me)
                .await,
            StatusCode::OK,
        )
        .await;
    })
    .await;
}
