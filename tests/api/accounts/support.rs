//! Helpers shared by the account tests: direct database access for setup and assertions.

use reqwest::{Method, Response};
use serde_json::Value;
use woolly::db::statuses::Status;

use crate::common::*;

/// Runs a statement with integer binds.
pub async fn exec(app: &TestApp, sql: &str, binds: &[i64]) {
    let mut tx = app.state.db.begin().await.unwrap();
    woolly::with_conn!(tx.conn(), |c| {
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for b in binds {
            q = q.bind(*b);
        }
        q.execute(c).await.map(|_| ())
    })
    .unwrap();
    tx.commit().await.unwrap();
}

/// A single integer (e.g. `count(*)`) with integer binds.
pub async fn scalar(app: &TestApp, sql: &str, binds: &[i64]) -> i64 {
    let mut h = app.state.db.read().await.unwrap();
    woolly::with_conn!(h.conn(), |c| {
        let mut q = sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql));
        for b in binds {
            q = q.bind(*b);
        }
        q.fetch_one(c).await
    })
    .unwrap()
}

/// The account row.
pub async fn account(app: &TestApp, id: &str) -> woolly::db::accounts::Account {
    let mut h = app.state.db.read().await.unwrap();
    woolly::db::accounts::get(h.conn(), id.parse().unwrap())
        .await
        .unwrap()
        .expect("account exists")
}

/// (followers_count, following_count) of an account.
pub async fn counters(app: &TestApp, id: &str) -> (i64, i64) {
    let a = account(app, id).await;
    (a.followers_count, a.following_count)
}

/// Number of notifications of `kind` for `recipient` from `from`.
pub async fn notifications(app: &TestApp, recipient: &str, from: &str, kind: &str) -> i64 {
    let mut h = app.state.db.read().await.unwrap();
    woolly::with_conn!(h.conn(), |c| sqlx::query_scalar::<_, i64>(
        "SELECT count(*) FROM notifications WHERE account_id = $1 AND from_account_id = $2 AND type = $3"
    )
    .bind(recipient.parse::<i64>().unwrap())
    .bind(from.parse::<i64>().unwrap())
    .bind(kind)
    .fetch_one(c)
    .await)
    .unwrap()
}

/// Number of `home_feed` entries of `owner` authored by `author`.
pub async fn feed_entries(app: &TestApp, owner: &str, author: &str) -> i64 {
    scalar(
        app,
        "SELECT count(*) FROM home_feed WHERE account_id = $1 AND author_id = $2",
        &[owner.parse().unwrap(), author.parse().unwrap()],
    )
    .await
}

/// What a test status looks like.
#[derive(Debug, Clone, Default)]
pub struct NewStatus<'a> {
    pub visibility: &'a str,
    pub text: &'a str,
    pub in_reply_to: Option<(i64, i64)>,
    pub reblog_of: Option<i64>,
    pub mentions: &'a [&'a str],
    pub tags: &'a [&'a str],
}

/// Inserts a status row (with mentions and tags) directly; returns its id.
pub async fn insert_status(app: &TestApp, author: &str, s: NewStatus<'_>) -> i64 {
    let id = woolly::id::next_id();
    let now = woolly::time::now_ms();
    let author_id: i64 = author.parse().unwrap();
    let row = Status {
        id,
        uri: format!("{}/users/x/statuses/{id}", app.url),
        url: None,
        account_id: author_id,
        text: s.text.into(),
        content: format!("<p>{}</p>", s.text),
        spoiler_text: String::new(),
        sensitive: false,
        visibility: if s.visibility.is_empty() {
            "public".into()
        } else {
            s.visibility.into()
        },
        language: Some("en".into()),
        in_reply_to_id: s.in_reply_to.map(|r| r.0),
        in_reply_to_account_id: s.in_reply_to.map(|r| r.1),
        reblog_of_id: s.reblog_of,
        conversation_id: Some(id),
        application_id: None,
        local: true,
        replies_count: 0,
        reblogs_count: 0,
        favourites_count: 0,
        created_at: now,
        edited_at: None,
    };
    let mut tx = app.state.db.begin().await.unwrap();
    woolly::db::statuses::insert(tx.conn(), &row).await.unwrap();
    for m in s.mentions {
        let m: i64 = m.parse().unwrap();
        woolly::with_conn!(tx.conn(), |c| sqlx::query(
            "INSERT INTO mentions (id, status_id, account_id) VALUES ($1, $2, $3)"
        )
        .bind(woolly::id::next_id())
        .bind(id)
        .bind(m)
        .execute(c)
        .await
        .map(|_| ()))
        .unwrap();
    }
    for t in s.tags {
        let tag_id = woolly::id::next_id();
        woolly::with_conn!(tx.conn(), |c| {
            sqlx::query(
                "INSERT INTO tags (id, name, display_name, created_at) VALUES ($1, $2, $2, $3) ON CONFLICT DO NOTHING",
            )
            .bind(tag_id)
            .bind(t.to_lowercase())
            .bind(now)
            .execute(&mut *c)
            .await
            .unwrap();
            sqlx::query(
                "INSERT INTO status_tags (tag_id, status_id) SELECT id, $1 FROM tags WHERE name = $2",
            )
            .bind(id)
            .bind(t.to_lowercase())
            .execute(&mut *c)
            .await
            .map(|_| ())
        })
        .unwrap();
    }
    tx.commit().await.unwrap();
    id
}

/// Issues an app-only token (no user) with `scopes`.
pub async fn app_token(app: &TestApp, scopes: &str) -> String {
    let raw = woolly::crypto::random_token(32);
    let mut tx = app.state.db.begin().await.unwrap();
    woolly::db::oauth::insert_token(
        tx.conn(),
        woolly::id::next_id(),
        &woolly::crypto::sha256_hex(&raw),
        None,
        None,
        scopes,
        woolly::time::now_ms(),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    raw
}

/// A second token for an existing test user, with other scopes.
pub async fn token_with(app: &TestApp, user: &TestUser, scopes: &str) -> String {
    let mut h = app.state.db.read().await.unwrap();
    let u = woolly::db::accounts::get_user_by_account(h.conn(), user.account_id.parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    drop(h);
    app.token_for(u.id, scopes).await
}

/// PATCH with a JSON body.
pub async fn patch_json(app: &TestApp, path: &str, token: Option<&str>, body: &Value) -> Response {
    let mut r = app.req(Method::PATCH, path).json(body);
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    r.send().await.expect("request")
}

/// POST an action and return the Relationship, asserting 200 and its shape.
pub async fn act(app: &TestApp, who: &TestUser, target: &TestUser, action: &str) -> Value {
    let v = json(
        app.post_empty(
            &format!("/api/v1/accounts/{}/{action}", target.account_id),
            Some(&who.token),
        )
        .await,
        reqwest::StatusCode::OK,
    )
    .await;
    assert_eq!(v["id"], target.account_id.as_str());
    v
}

/// The `Link` header of a response.
pub fn link(resp: &Response) -> Option<String> {
    resp.headers()
        .get("link")
        .map(|v| v.to_str().unwrap().to_owned())
}

/// The URL with `rel` in a Link header.
pub fn link_url(link: &str, rel: &str) -> Option<String> {
    link.split(", ").find_map(|part| {
        let (url, r) = part.split_once("; ")?;
        (r == format!("rel=\"{rel}\""))
            .then(|| url.trim_start_matches('<').trim_end_matches('>').to_owned())
    })
}

/// GETs an absolute URL (from a Link header) with a token.
pub async fn get_abs(app: &TestApp, url: &str, token: Option<&str>) -> Response {
    let mut r = app.client.get(url);
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    r.send().await.expect("request")
}

/// The ids of a JSON array of entities.
pub fn ids(v: &Value) -> Vec<String> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_owned())
        .collect()
}

/// Records a recent post time on an account, as accounts that have posted have (the
/// reference shapes were taken from such accounts: `last_status_at` is a date there).
pub async fn touch(app: &TestApp, user: &TestUser) {
    exec(
        app,
        "UPDATE accounts SET last_status_at = $1 WHERE id = $2",
        &[woolly::time::now_ms(), user.account_id.parse().unwrap()],
    )
    .await;
}

/// Creates an OAuth application row and attributes `status` to it.
pub async fn attribute_to_app(app: &TestApp, status: i64) {
    let app_id = woolly::id::next_id();
    let sql = format!(
        "INSERT INTO oauth_applications (id, name, redirect_uris, scopes, client_id, client_secret_hash, created_at) \
         VALUES ($1, 'Test app', 'urn:ietf:wg:oauth:2.0:oob', 'read', 'client-{app_id}', 'x', 0)"
    );
    exec(app, &sql, &[app_id]).await;
    exec(
        app,
        // Like every change of what a status shows, this bumps `updated_at` (the render
        // cache's version).
        "UPDATE statuses SET application_id = $1, updated_at = updated_at + 1 WHERE id = $2",
        &[app_id, status],
    )
    .await;
}
