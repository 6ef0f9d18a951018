//! The harness itself: the server starts on every backend, migrations apply, errors are JSON.

use reqwest::StatusCode;

use crate::common::*;

#[tokio::test]
async fn unknown_route_is_json_404() {
    each_backend(|app| async move {
        let v = error(app.get("/api/v1/nope", None).await, StatusCode::NOT_FOUND).await;
        assert_eq!(v["error"], "Record not found");
    })
    .await;
}

#[tokio::test]
async fn invalid_token_is_401() {
    each_backend(|app| async move {
        let v = error(
            app.get("/api/v1/nope", Some("garbage")).await,
            StatusCode::NOT_FOUND,
        )
        .await;
        assert!(v["error"].is_string());
    })
    .await;
}

#[tokio::test]
async fn users_can_be_created_on_each_backend() {
    each_backend(|app| async move {
        let alice = app.user("alice").await;
        assert!(!alice.token.is_empty());
        let mut h = app.state.db.read().await.unwrap();
        let a = woolly::db::accounts::find_by_username(h.conn(), "ALICE", None)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(a.username, "alice");
        assert!(a.public_key_pem.starts_with("-----BEGIN PUBLIC KEY-----"));
    })
    .await;
}

#[tokio::test]
async fn trailing_slash_is_ignored_like_rails() {
    // Mastodon.py requests `/api/v2/instance/`; Rails routes accept it, so must we.
    each_backend(|app| async move {
        let v = json(app.get("/api/v2/instance/", None).await, StatusCode::OK).await;
        assert!(v["version"].as_str().unwrap().starts_with("4."));
        let alice = app.user("alice").await;
        let me = json(
            app.get("/api/v1/accounts/verify_credentials/", Some(&alice.token))
                .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(me["username"], "alice");
    })
    .await;
}
