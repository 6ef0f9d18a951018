//! Federation discovery and documents: WebFinger, host-meta, actors, notes, activities and
//! collections as ActivityPub JSON, and the HTML pages on the same URLs.

mod abuse;
mod actors;
mod authorized_fetch;
mod collections;
mod delivery;
mod delivery_activities;
mod dialects;
mod discovery;
mod domain_policy;
mod fake_remote;
mod forwarding;
mod housekeeping;
mod inbox;
mod media;
mod network;
mod polls;
mod races;
mod relevance;
mod remote_interaction;
mod security;
mod silent_mentions;
mod statuses;

use reqwest::header::HeaderMap;
use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};
use woolly::db::Conn;
use woolly::with_conn;

use crate::common::*;

/// What ActivityPub clients send.
pub const AP: &str = "application/activity+json, application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\"";
/// What a browser sends.
pub const BROWSER: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

/// GETs a path (or an absolute URL) with an `Accept` header.
pub async fn get_accept(app: &TestApp, path: &str, accept: &str) -> Response {
    let url = if path.starts_with("http") {
        path.to_owned()
    } else {
        format!("{}{path}", app.url)
    };
    app.client
        .get(url)
        .header("accept", accept)
        .send()
        .await
        .expect("request")
}

/// GETs an ActivityPub document: (status, headers, JSON body or Null).
pub async fn ap(app: &TestApp, path: &str) -> (StatusCode, HeaderMap, Value) {
    let resp = get_accept(app, path, AP).await;
    let status = resp.status();
    let headers = resp.headers().clone();
    let text = resp.text().await.unwrap();
    (
        status,
        headers,
        serde_json::from_str(&text).unwrap_or(Value::Null),
    )
}

/// GETs an ActivityPub document, asserting 200 and the ActivityPub content type.
pub async fn ap_ok(app: &TestApp, path: &str) -> Value {
    let (status, headers, body) = ap(app, path).await;
    assert_eq!(status, StatusCode::OK, "GET {path}: {body}");
    assert_eq!(
        headers["content-type"], "application/activity+json; charset=utf-8",
        "GET {path}"
    );
    body
}

/// GETs a page as a browser: (status, headers, body text).
pub async fn page(app: &TestApp, path: &str) -> (StatusCode, HeaderMap, String) {
    let resp = get_accept(app, path, BROWSER).await;
    let status = resp.status();
    let headers = resp.headers().clone();
    (status, headers, resp.text().await.unwrap())
}

/// Posts a status with `visibility` (and optional extra JSON fields), returning the entity.
pub async fn post(app: &TestApp, user: &TestUser, text: &str, visibility: &str) -> Value {
    post_with(
        app,
        user,
        json!({ "status": text, "visibility": visibility }),
    )
    .await
}

/// Posts a status with a full JSON body.
pub async fn post_with(app: &TestApp, user: &TestUser, body: Value) -> Value {
    json(
        app.post_json("/api/v1/statuses", Some(&user.token), &body)
            .await,
        StatusCode::OK,
    )
    .await
}

/// `who` follows `target` through the API (counters kept).
pub async fn follow(app: &TestApp, who: &TestUser, target: &TestUser) {
    json(
        app.post_empty(
            &format!("/api/v1/accounts/{}/follow", target.account_id),
            Some(&who.token),
        )
        .await,
        StatusCode::OK,
    )
    .await;
}

/// Updates a user's profile through the API.
pub async fn update_profile(app: &TestApp, user: &TestUser, body: Value) {
    let resp = app
        .req(Method::PATCH, "/api/v1/accounts/update_credentials")
        .bearer_auth(&user.token)
        .json(&body)
        .send()
        .await
        .unwrap();
    json(resp, StatusCode::OK).await;
}

/// The account id on `app` of the remote actor `uri` (fetched from its server when unknown).
pub async fn remote_id(app: &TestApp, uri: &str) -> i64 {
    woolly::federation::resolve::Resolver::new(&app.state)
        .unwrap()
        .actor(uri, woolly::federation::resolve::Freshness::Cached)
        .await
        .expect("remote actor resolved")
        .id
}

/// Makes local `user` of `app` follow the remote actor `uri` (fetched when unknown), as an
/// accepted follow would, and returns the actor's account id. Remote posts and boosts are
/// stored only when they concern the server (Mastodon's rule): following their author is
/// the simplest such link.
pub async fn follow_actor(app: &TestApp, user: &TestUser, uri: &str) -> i64 {
    let target = remote_id(app, uri).await;
    let follow_id = format!("{}/follows/{}", app.url, woolly::id::next_id());
    fake_remote::remote_follows(app, num(&json!(user.account_id)), target, &follow_id).await;
    target
}

/// Creates the admin `operator` on `app`: its user id and a token with the admin scopes.
pub async fn operator(app: &TestApp) -> (i64, String) {
    let created = app.local_account("operator").await;
    let mut tx = app.state.db.begin().await.unwrap();
    woolly::db::accounts::set_role(tx.conn(), created.user_id, "admin", 0)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let token = app
        .token_for(created.user_id, "admin:read admin:write")
        .await;
    (created.user_id, token)
}

/// Runs one statement with integer parameters directly on the database.
pub async fn exec(app: &TestApp, sql: &str, ints: &[i64]) {
    let mut tx = app.state.db.begin().await.unwrap();
    let c: Conn<'_> = tx.conn();
    with_conn!(c, |c| {
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for i in ints {
            q = q.bind(*i);
        }
        q.execute(&mut *c).await.map(|_| ())
    })
    .unwrap();
    tx.commit().await.unwrap();
}

/// The numeric form of an entity id.
pub fn num(v: &Value) -> i64 {
    v.as_str().unwrap().parse().unwrap()
}

/// `{url}/users/{username}`.
pub fn actor_uri(app: &TestApp, username: &str) -> String {
    format!("{}/users/{username}", app.url)
}

/// The handle domain of a test server (`127.0.0.1:PORT`).
pub fn domain(app: &TestApp) -> String {
    app.state.domain.clone()
}

/// Runs the servers' jobs and waits for their delivery workers until none has anything left
/// to do twice in a row (deliveries cross over and cause more work on the other side).
/// Rows waiting for a later retry count as work: stop or fix the peer first.
pub async fn settle(apps: &[&TestApp]) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let mut quiet = 0;
    while quiet < 2 {
        assert!(
            std::time::Instant::now() < deadline,
            "federation did not settle"
        );
        let mut busy = 0;
        for app in apps {
            app.run_jobs().await;
            for table in ["deliveries", "outbox_activities"] {
                busy += inbox::count(app, table).await;
            }
            let mut h = app.state.db.read().await.unwrap();
            busy += woolly::db::jobs::pending_now(h.conn(), woolly::time::now_ms())
                .await
                .unwrap();
        }
        quiet = if busy == 0 { quiet + 1 } else { 0 };
        tokio::time::sleep(std::time::Duration::from_millis(30)).await;
    }
}
