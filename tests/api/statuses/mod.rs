//! Statuses: posting, reading, editing, deleting, threads, interactions and their lists.
//! Helpers shared by the submodules live here; follows, blocks and mutes are inserted with
//! raw SQL since those endpoints belong to another area.

mod actions;
mod editing;
mod lists;
mod polls;
mod posting;
mod scheduled;
mod thread;
mod visibility;

use reqwest::StatusCode;
use serde_json::{Value, json};
use woolly::db::Conn;
use woolly::with_conn;

use crate::common::*;

/// A user whose token belongs to an application ("Woolly Tests"), as real clients' do, so
/// statuses carry an `application`.
pub async fn member(app: &TestApp, name: &str) -> TestUser {
    member_with_scopes(app, name, "read write follow push").await
}

/// [`member`] with specific scopes.
pub async fn member_with_scopes(app: &TestApp, name: &str, scopes: &str) -> TestUser {
    let mut u = app.user(name).await;
    let account_id: i64 = u.account_id.parse().unwrap();
    let raw = woolly::crypto::random_token(32);
    let mut tx = app.state.db.begin().await.unwrap();
    let user = woolly::db::accounts::get_user_by_account(tx.conn(), account_id)
        .await
        .unwrap()
        .unwrap();
    let app_id = woolly::id::next_id();
    woolly::db::oauth::insert_application(
        tx.conn(),
        &woolly::db::oauth::Application {
            id: app_id,
            name: "Woolly Tests".into(),
            website: Some("https://tests.example".into()),
            redirect_uris: "urn:ietf:wg:oauth:2.0:oob".into(),
            scopes: scopes.into(),
            client_id: woolly::crypto::random_token(16),
            client_secret_hash: woolly::crypto::sha256_hex("secret"),
            created_at: woolly::time::now_ms(),
        },
    )
    .await
    .unwrap();
    woolly::db::oauth::insert_token(
        tx.conn(),
        woolly::id::next_id(),
        &woolly::crypto::sha256_hex(&raw),
        Some(app_id),
        Some(user.id),
        scopes,
        woolly::time::now_ms(),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    u.token = raw;
    u
}

/// Posts a status (JSON body) and returns it, asserting 200.
pub async fn post(app: &TestApp, user: &TestUser, body: Value) -> Value {
    json(
        app.post_json("/api/v1/statuses", Some(&user.token), &body)
            .await,
        StatusCode::OK,
    )
    .await
}

/// Posts a public status with `text`.
pub async fn say(app: &TestApp, user: &TestUser, text: &str) -> Value {
    post(app, user, json!({ "status": text, "visibility": "public" })).await
}

/// Posts with `visibility`.
pub async fn say_as(app: &TestApp, user: &TestUser, text: &str, visibility: &str) -> Value {
    post(
        app,
        user,
        json!({ "status": text, "visibility": visibility }),
    )
    .await
}

/// Replies to `parent` (a status id).
pub async fn reply(
    app: &TestApp,
    user: &TestUser,
    parent: &str,
    text: &str,
    visibility: &str,
) -> Value {
    post(
        app,
        user,
        json!({ "status": text, "visibility": visibility, "in_reply_to_id": parent }),
    )
    .await
}

/// Runs one statement with integer/boolean parameters directly on the database.
pub async fn exec(app: &TestApp, sql: &str, ints: &[i64], flags: &[bool]) {
    let mut tx = app.state.db.begin().await.unwrap();
    let c: Conn<'_> = tx.conn();
    with_conn!(c, |c| {
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for i in ints {
            q = q.bind(*i);
        }
        for f in flags {
            q = q.bind(*f);
        }
        q.execute(&mut *c).await.map(|_| ())
    })
    .unwrap();
    tx.commit().await.unwrap();
}

/// A count (or any single integer) read directly from the database.
pub async fn scalar(app: &TestApp, sql: &str, ints: &[i64]) -> i64 {
    let mut h = app.state.db.read().await.unwrap();
    let c: Conn<'_> = h.conn();
    with_conn!(c, |c| {
        let mut q = sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql));
        for i in ints {
            q = q.bind(*i);
        }
        q.fetch_one(&mut *c).await
    })
    .unwrap()
}

/// The numeric id of a user or status.
pub fn num(id: &str) -> i64 {
    id.parse().unwrap()
}

/// `follower` follows `target` (raw row; counters are not this area's concern).
pub async fn follow(app: &TestApp, follower: &TestUser, target: &TestUser, notify: bool) {
    exec(
        app,
        "INSERT INTO follows (id, account_id, target_account_id, show_reblogs, notify, created_at) \
         VALUES ($1, $2, $3, TRUE, $5, $4)",
        &[
            woolly::id::next_id(),
            num(&follower.account_id),
            num(&target.account_id),
            woolly::time::now_ms(),
        ],
        &[notify],
    )
    .await;
}

/// `blocker` blocks `target` (raw row).
pub async fn block(app: &TestApp, blocker: &TestUser, target: &TestUser) {
    exec(
        app,
        "INSERT INTO blocks (id, account_id, target_account_id, created_at) VALUES ($1, $2, $3, $4)",
        &[
            woolly::id::next_id(),
            num(&blocker.account_id),
            num(&target.account_id),
            woolly::time::now_ms(),
        ],
        &[],
    )
    .await;
}

/// `muter` mutes `target` (raw row).
pub async fn mute(app: &TestApp, muter: &TestUser, target: &TestUser) {
    exec(
        app,
        "INSERT INTO mutes (id, account_id, target_account_id, hide_notifications, created_at) \
         VALUES ($1, $2, $3, TRUE, $4)",
        &[
            woolly::id::next_id(),
            num(&muter.account_id),
            num(&target.account_id),
            woolly::time::now_ms(),
        ],
        &[],
    )
    .await;
}

/// How many notifications of `kind` `recipient` has.
pub async fn notifications(app: &TestApp, recipient: &TestUser, kind: &str) -> i64 {
    let mut h = app.state.db.read().await.unwrap();
    let c: Conn<'_> = h.conn();
    with_conn!(c, |c| sqlx::query_scalar::<_, i64>(
        "SELECT count(*) FROM notifications WHERE account_id = $1 AND type = $2"
    )
    .bind(num(&recipient.account_id))
    .bind(kind)
    .fetch_one(&mut *c)
    .await)
    .unwrap()
}

/// A status's counters as stored: (replies, reblogs, favourites).
pub async fn counters(app: &TestApp, status_id: &str) -> (i64, i64, i64) {
    let id = num(status_id);
    (
        scalar(
            app,
            "SELECT replies_count FROM statuses WHERE id = $1",
            &[id],
        )
        .await,
        scalar(
            app,
            "SELECT reblogs_count FROM statuses WHERE id = $1",
            &[id],
        )
        .await,
        scalar(
            app,
            "SELECT favourites_count FROM statuses WHERE id = $1",
            &[id],
        )
        .await,
    )
}

/// An account's stored `statuses_count`.
pub async fn statuses_count(app: &TestApp, user: &TestUser) -> i64 {
    scalar(
        app,
        "SELECT statuses_count FROM accounts WHERE id = $1",
        &[num(&user.account_id)],
    )
    .await
}

/// GET with a token, returning (status, body JSON).
pub async fn get_json(app: &TestApp, path: &str, token: Option<&str>) -> (StatusCode, Value) {
    let resp = app.get(path, token).await;
    let status = resp.status();
    let text = resp.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// POST without a body, returning the status code and body.
pub async fn act(app: &TestApp, path: &str, token: Option<&str>) -> (StatusCode, Value) {
    let resp = app.post_empty(path, token).await;
    let status = resp.status();
    let text = resp.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}
