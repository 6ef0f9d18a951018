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

        // Blocks hide accounts both ways.
        act(&app, &alice, &bob, "block").await;
        let v = json(
            app.get("/api/v1/accounts/search?q=alice", Some(&bob.token))
                .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(v, json!([]));

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
