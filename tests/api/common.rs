//! Test harness: a real Woolly server on 127.0.0.1:0, driven over HTTP with reqwest.
//!
//! Every storage-touching test runs once per backend through [`each_backend`]: SQLite always,
//! PostgreSQL when `WOOLLY_TEST_POSTGRES_URL` is set (each test in its own schema). When it is
//! not set, the harness says so on stderr.

#![allow(dead_code)]

use std::future::Future;
use std::sync::Once;

use reqwest::{Client, Method, RequestBuilder, Response, StatusCode};
use serde_json::Value;
use tokio::net::TcpListener;
use woolly::config::Config;
use woolly::db::{Backend, Db, DbOptions};
use woolly::server::{Running, start};

use woolly::state::AppState;

/// A running test server.
pub struct TestApp {
    /// Base URL, e.g. `http://127.0.0.1:41234`.
    pub url: String,
    /// The server's state (database access for assertions and setup).
    pub state: AppState,
    /// HTTP client (no redirects followed, cookies kept).
    pub client: Client,
    /// Which database this instance runs on.
    pub backend: Backend,
    teardown: Option<Teardown>,
    /// Set while the server is stopped ([`TestApp::stop`]): its PostgreSQL schema, if any.
    stopped_schema: Option<Option<(String, String)>>,
    _dir: tempfile::TempDir,
}

/// A local user with a ready access token.
#[derive(Debug, Clone)]
pub struct TestUser {
    pub username: String,
    pub account_id: String,
    pub token: String,
}

static SKIP_NOTE: Once = Once::new();

/// The backends to test on.
pub fn backends() -> Vec<Backend> {
    let mut v = vec![Backend::Sqlite];
    if std::env::var("WOOLLY_TEST_POSTGRES_URL").is_ok_and(|u| !u.is_empty()) {
        v.push(Backend::Postgres);
    } else {
        SKIP_NOTE.call_once(|| {
            eprintln!("NOTE: WOOLLY_TEST_POSTGRES_URL is not set; storage tests run on SQLite only (PostgreSQL skipped).")
        });
    }
    v
}

/// Runs `f` against a fresh server on every configured backend, then shuts the server down
/// and removes its PostgreSQL schema.
pub async fn each_backend<F, Fut>(f: F)
where
    F: Fn(TestApp) -> Fut,
    Fut: Future<Output = ()>,
{
    each_backend_with(|_| {}, f).await
}

/// Like [`each_backend`], with a configuration tweak.
pub async fn each_backend_with<F, Fut, C>(configure: C, f: F)
where
    F: Fn(TestApp) -> Fut,
    Fut: Future<Output = ()>,
    C: Fn(&mut Config),
{
    for backend in backends() {
        let mut app = TestApp::spawn_with(backend, &configure).await;
        let teardown = app.teardown.take();
        f(app).await;
        if let Some(t) = teardown {
            t.run().await;
        }
    }
}

/// Stops a test server and drops its PostgreSQL schema. It must run on the test's runtime
/// (not in `Drop`): the server's workers may hold a transaction that must finish first.
pub struct Teardown {
    shutdown: tokio_util::sync::CancellationToken,
    handle: tokio::task::JoinHandle<anyhow::Result<()>>,
    pg_schema: Option<(String, String)>,
}

impl Teardown {
    /// Cancels the server, waits for it and its workers to stop, then drops the schema.
    pub async fn run(self) {
        self.shutdown.cancel();
        let _ = tokio::time::timeout(std::time::Duration::from_secs(30), self.handle).await;
        if let Some((base, schema)) = self.pg_schema {
            drop_schema(&base, &schema).await;
        }
    }
}

async fn drop_schema(base: &str, schema: &str) {
    if let Ok(Db::Postgres(pool)) = Db::connect(
        base,
        &DbOptions {
            max_connections: 1,
            ..DbOptions::default()
        },
    )
    .await
    {
        let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP SCHEMA IF EXISTS {schema} CASCADE"
        )))
        .execute(&pool)
        .await;
        pool.close().await;
    }
}

/// Runs `f` against two fresh servers on distinct loopback hosts (`127.0.0.2` and
/// `127.0.0.3`), on every configured backend: two federating instances.
pub async fn each_backend_pair<F, Fut>(f: F)
where
    F: Fn(TestApp, TestApp) -> Fut,
    Fut: Future<Output = ()>,
{
    for backend in backends() {
        let mut a = TestApp::spawn_at(backend, "127.0.0.2", |_| {}).await;
        let mut b = TestApp::spawn_at(backend, "127.0.0.3", |_| {}).await;
        let (ta, tb) = (a.teardown.take(), b.teardown.take());
        f(a, b).await;
        for t in [ta, tb].into_iter().flatten() {
            t.run().await;
        }
    }
}

/// Like [`each_backend_pair`], but A runs no job worker: what A's inbox receives waits until
/// the test processes it (`run_jobs`, or concurrently by hand).
pub async fn each_backend_pair_idle_a<F, Fut>(f: F)
where
    F: Fn(TestApp, TestApp) -> Fut,
    Fut: Future<Output = ()>,
{
    for backend in backends() {
        let mut a = TestApp::spawn_at_with_workers(backend, "127.0.0.2", 0, |_| {}).await;
        let mut b = TestApp::spawn_at(backend, "127.0.0.3", |_| {}).await;
        let (ta, tb) = (a.teardown.take(), b.teardown.take());
        f(a, b).await;
        for t in [ta, tb].into_iter().flatten() {
            t.run().await;
        }
    }
}

/// Runs `f` against three fresh servers on `127.0.0.2`, `127.0.0.3` and `127.0.0.5`, on
/// every configured backend.
pub async fn each_backend_trio<F, Fut>(f: F)
where
    F: Fn(TestApp, TestApp, TestApp) -> Fut,
    Fut: Future<Output = ()>,
{
    for backend in backends() {
        let mut a = TestApp::spawn_at(backend, "127.0.0.2", |_| {}).await;
        let mut b = TestApp::spawn_at(backend, "127.0.0.3", |_| {}).await;
        let mut c = TestApp::spawn_at(backend, "127.0.0.5", |_| {}).await;
        let ts = [a.teardown.take(), b.teardown.take(), c.teardown.take()];
        f(a, b, c).await;
        for t in ts.into_iter().flatten() {
            t.run().await;
        }
    }
}

/// Drops schemas left behind by earlier test runs that crashed (older than an hour).
async fn drop_stale_schemas(base: &str) {
    let Ok(Db::Postgres(pool)) = Db::connect(
        base,
        &DbOptions {
            max_connections: 1,
            ..DbOptions::default()
        },
    )
    .await
    else {
        return;
    };
    let cutoff = woolly::time::now_ms() / 1000 - 3600;
    let names: Vec<String> =
        sqlx::query_scalar("SELECT nspname::text FROM pg_namespace WHERE nspname LIKE 'wt\\_%'")
            .fetch_all(&pool)
            .await
            .unwrap_or_default();
    for name in names {
        let created = name
            .split('_')
            .nth(1)
            .and_then(|t| t.parse::<i64>().ok())
            .unwrap_or(i64::MAX);
        if created < cutoff {
            let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                "DROP SCHEMA IF EXISTS {name} CASCADE"
            )))
            .execute(&pool)
            .await;
        }
    }
    pool.close().await;
}

impl TestApp {
    /// Starts a server on `backend` with the default test configuration.
    pub async fn spawn(backend: Backend) -> TestApp {
        Self::spawn_with(backend, |_| {}).await
    }

    /// Starts a server on `backend`, letting `configure` adjust the configuration.
    pub async fn spawn_with(backend: Backend, configure: impl Fn(&mut Config)) -> TestApp {
        Self::spawn_at(backend, "127.0.0.1", configure).await
    }

    /// Starts a server listening on `ip` (any loopback address, e.g. `127.0.0.2`), so that
    /// several servers in one test have distinct hosts, as federated instances do.
    pub async fn spawn_at(backend: Backend, ip: &str, configure: impl Fn(&mut Config)) -> TestApp {
        Self::spawn_at_with_workers(backend, ip, 1, configure).await
    }

    /// Like [`TestApp::spawn_at`] with `workers` job workers (0: jobs wait until the test
    /// runs them, for example concurrently).
    pub async fn spawn_at_with_workers(
        backend: Backend,
        ip: &str,
        workers: usize,
        configure: impl Fn(&mut Config),
    ) -> TestApp {
        let dir = tempfile::tempdir().expect("tempdir");
        let listener = TcpListener::bind(format!("{ip}:0")).await.expect("bind");
        let addr = listener.local_addr().unwrap();
        let mut config = Config {
            url: format!("http://{addr}"),
            listen: addr,
            data_dir: dir.path().to_path_buf(),
            // Federation tests run several servers on loopback.
            allow_private_addresses: true,
            // Link previews are fetched at once (tests set their own delay).
            link_preview_jitter_ms: 0,
            ..Config::default()
        };
        let mut pg_schema = None;
        let mut opts = DbOptions {
            max_connections: 8,
            ..DbOptions::default()
        };
        match backend {
            Backend::Sqlite => {
                config.database_url =
                    format!("sqlite://{}", dir.path().join("woolly.sqlite3").display())
            }
            Backend::Postgres => {
                let base =
                    std::env::var("WOOLLY_TEST_POSTGRES_URL").expect("WOOLLY_TEST_POSTGRES_URL");
                static STALE: tokio::sync::OnceCell<()> = tokio::sync::OnceCell::const_new();
                STALE.get_or_init(|| drop_stale_schemas(&base)).await;
                let schema = format!(
                    "wt_{}_{}",
                    woolly::time::now_ms() / 1000,
                    woolly::crypto::random_token(9)
                        .to_lowercase()
                        .replace('-', "_")
                );
                let admin = Db::connect(
                    &base,
                    &DbOptions {
                        max_connections: 1,
                        ..DbOptions::default()
                    },
                )
                .await
                .expect("connect pg");
                if let Db::Postgres(pool) = &admin {
                    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
                        .execute(pool)
                        .await
                        .expect("create schema");
                }
                admin.close().await;
                opts.pg_schema = Some(schema.clone());
                config.database_url = base.clone();
                pg_schema = Some((base, schema));
            }
        }
        configure(&mut config);
        let config = config.validated().expect("valid test config");
        let db = Db::connect(&config.database_url, &opts)
            .await
            .expect("connect");
        db.migrate().await.expect("migrate");
        let state = AppState::new(config, db);
        let Running {
            shutdown, handle, ..
        } = start(state.clone(), listener, workers).expect("start");
        let client = Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .cookie_store(true)
            .build()
            .unwrap();
        TestApp {
            url: format!("http://{addr}"),
            state,
            client,
            backend,
            teardown: Some(Teardown {
                shutdown,
                handle,
                pg_schema,
            }),
            stopped_schema: None,
            _dir: dir,
        }
    }

    /// A request to `path` (relative to the server).
    pub fn req(&self, method: Method, path: &str) -> RequestBuilder {
        self.client.request(method, format!("{}{}", self.url, path))
    }

    /// GET with an optional bearer token.
    pub async fn get(&self, path: &str, token: Option<&str>) -> Response {
        let mut r = self.req(Method::GET, path);
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        r.send().await.expect("request")
    }

    /// POST a JSON body with an optional bearer token.
    pub async fn post_json(&self, path: &str, token: Option<&str>, body: &Value) -> Response {
        let mut r = self.req(Method::POST, path).json(body);
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        r.send().await.expect("request")
    }

    /// POST a form body with an optional bearer token.
    pub async fn post_form(
        &self,
        path: &str,
        token: Option<&str>,
        form: &[(&str, &str)],
    ) -> Response {
        let mut r = self.req(Method::POST, path).form(form);
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        r.send().await.expect("request")
    }

    /// POST with no body and no Content-Type (as many clients do for actions).
    pub async fn post_empty(&self, path: &str, token: Option<&str>) -> Response {
        let mut r = self.req(Method::POST, path);
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        r.send().await.expect("request")
    }

    /// Creates a confirmed local user and a token with `read write follow push` scopes.
    pub async fn user(&self, username: &str) -> TestUser {
        self.user_with_scopes(username, "read write follow push profile")
            .await
    }

    /// Creates a confirmed local user and a token with the given scopes.
    pub async fn user_with_scopes(&self, username: &str, scopes: &str) -> TestUser {
        let created = self.local_account(username).await;
        let token = self.token_for(created.user_id, scopes).await;
        TestUser {
            username: username.into(),
            account_id: created.account_id.to_string(),
            token,
        }
    }

    /// Creates a confirmed, approved local account `username` with the e-mail address
    /// `username@example.com` and the password `password123`, without a token.
    pub async fn local_account(&self, username: &str) -> woolly::service::accounts::CreatedAccount {
        use woolly::service::accounts::{NewLocalAccount, create_local};
        create_local(
            &self.state.db,
            &self.state.config,
            NewLocalAccount {
                username: username.into(),
                email: format!("{username}@example.com"),
                password: "password123".into(),
                role: "user".into(),
                confirmed: true,
                approved: true,
                locale: "en".into(),
                reason: None,
                sign_up_ip: None,
            },
        )
        .await
        .expect("create user")
    }

    /// Issues a token for an existing user id directly in the database.
    pub async fn token_for(&self, user_id: i64, scopes: &str) -> String {
        let raw = woolly::crypto::random_token(32);
        let mut tx = self.state.db.begin().await.unwrap();
        woolly::db::oauth::insert_token(
            tx.conn(),
            woolly::id::next_id(),
            &woolly::crypto::sha256_hex(&raw),
            None,
            Some(user_id),
            scopes,
            woolly::time::now_ms(),
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        raw
    }

    /// Runs all due background jobs (fan-out …) to completion.
    /// Also waits for jobs the server's own worker has already claimed, so that everything
    /// enqueued before the call has finished when it returns.
    pub async fn run_jobs(&self) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        loop {
            woolly::jobs::run_pending(&self.state).await.expect("jobs");
            let mut h = self.state.db.read().await.expect("db");
            if woolly::db::jobs::pending_now(h.conn(), woolly::time::now_ms())
                .await
                .expect("pending jobs")
                == 0
            {
                return;
            }
            if std::time::Instant::now() >= deadline {
                let c = h.conn();
                let left: Vec<(String, Option<String>)> = woolly::with_conn!(c, |c| {
                    sqlx::query_as("SELECT kind, last_error FROM jobs")
                        .fetch_all(&mut *c)
                        .await
                        .unwrap_or_default()
                });
                panic!("background jobs did not finish within 30 s: {left:?}");
            }
            drop(h);
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
    }
}

impl TestApp {
    /// Stops the server (its workers finish what they hold) and starts a new one on the same
    /// database, URL and configuration: a server restart. Only for a `TestApp` spawned by the
    /// test itself (`each_backend` keeps the teardown).
    pub async fn restart(mut self) -> TestApp {
        self.stop().await;
        self.start_again().await
    }

    /// Stops the server (its workers finish what they hold); its address refuses connections
    /// until [`TestApp::start_again`]. Only for a self-spawned `TestApp`.
    pub async fn stop(&mut self) {
        let t = self
            .teardown
            .take()
            .expect("stop needs a running, self-spawned TestApp");
        t.shutdown.cancel();
        let _ = tokio::time::timeout(std::time::Duration::from_secs(30), t.handle).await;
        self.stopped_schema = Some(t.pg_schema);
    }

    /// Starts a stopped server again on the same database, URL and configuration.
    pub async fn start_again(mut self) -> TestApp {
        let pg_schema = self
            .stopped_schema
            .take()
            .expect("start_again needs a stopped TestApp");
        let config = self.state.config.clone();
        let listener = TcpListener::bind(config.listen).await.expect("rebind");
        let opts = DbOptions {
            max_connections: 8,
            pg_schema: pg_schema.as_ref().map(|(_, s)| s.clone()),
            ..DbOptions::default()
        };
        let db = Db::connect(&config.database_url, &opts)
            .await
            .expect("reconnect");
        db.migrate().await.expect("migrate");
        let state = AppState::new(config, db);
        let Running {
            shutdown, handle, ..
        } = start(state.clone(), listener, 1).expect("start");
        let dir = std::mem::replace(&mut self._dir, tempfile::tempdir().expect("tempdir"));
        TestApp {
            url: self.url.clone(),
            state,
            client: self.client.clone(),
            backend: self.backend,
            teardown: Some(Teardown {
                shutdown,
                handle,
                pg_schema,
            }),
            stopped_schema: None,
            _dir: dir,
        }
    }

    /// Stops the server and drops its schema (for tests that spawn a `TestApp` themselves;
    /// `each_backend` does this automatically).
    pub async fn shutdown(mut self) {
        if let Some(t) = self.teardown.take() {
            t.run().await;
        } else if let Some(Some((base, schema))) = self.stopped_schema.take() {
            drop_schema(&base, &schema).await;
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // Without an async teardown (a panicking test), stop the server; a leftover schema is
        // removed by a later run (`drop_stale_schemas`).
        if let Some(t) = self.teardown.take() {
            t.shutdown.cancel();
        }
    }
}

/// Reads a JSON body, asserting the status first (with the body in the failure message).
pub async fn json(resp: Response, expected: StatusCode) -> Value {
    let status = resp.status();
    let text = resp.text().await.expect("body");
    assert_eq!(status, expected, "unexpected status; body: {text}");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// Asserts a Mastodon error body `{"error": "..."}` with the given status.
pub async fn error(resp: Response, expected: StatusCode) -> Value {
    let v = json(resp, expected).await;
    assert!(
        v["error"].is_string(),
        "error body must carry an \"error\" string: {v}"
    );
    v
}

/// Asserts that `value` has the keys and value types real Mastodon 4.7 returns for `key`
/// (e.g. `"GET /api/v1/statuses/:id 200"`), recursively. Extra keys are allowed.
pub fn assert_shape(key: &str, value: &Value) {
    static SHAPES: std::sync::OnceLock<Value> = std::sync::OnceLock::new();
    let shapes = SHAPES.get_or_init(|| {
        let text = include_str!("../fixtures/mastodon-response-shapes.json");
        serde_json::from_str::<Value>(text).unwrap()["shapes"].clone()
    });
    let shape = shapes
        .get(key)
        .unwrap_or_else(|| panic!("no reference shape for {key}"));
    let mut problems = Vec::new();
    check_shape(shape, value, "$", &mut problems);
    assert!(
        problems.is_empty(),
        "{key}: response differs from Mastodon's shape:\n  {}\nvalue: {value}",
        problems.join("\n  ")
    );
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "float",
        Value::Number(_) => "int",
        Value::String(_) => "str",
        Value::Array(_) => "list",
        Value::Object(_) => "obj",
    }
}

fn check_shape(shape: &Value, value: &Value, path: &str, problems: &mut Vec<String>) {
    let types: Vec<&str> = shape["types"]
        .as_array()
        .map(|a| a.iter().filter_map(|t| t.as_str()).collect())
        .unwrap_or_default();
    let actual = type_name(value);
    if !types.is_empty() {
        let non_null: Vec<&&str> = types.iter().filter(|t| **t != "null").collect();
        let ok = types.contains(&actual)
            || (actual == "int" && types.contains(&"float"))
            || (actual == "float" && types.contains(&"int"))
            // Reference saw only null here; any value is plausible for us. (A null where the
            // reference never saw one is refused.)
            || non_null.is_empty();
        if !ok {
            problems.push(format!("{path}: type {actual}, expected one of {types:?}"));
            return;
        }
    }
    if let (Some(keys), Value::Object(map)) = (shape.get("keys").and_then(|k| k.as_object()), value)
    {
        for (k, sub) in keys {
            match map.get(k) {
                None => problems.push(format!("{path}.{k}: missing")),
                Some(v) => check_shape(sub, v, &format!("{path}.{k}"), problems),
            }
        }
    }
    if let (Some(items), Value::Array(arr)) = (shape.get("items"), value) {
        for (i, v) in arr.iter().enumerate().take(3) {
            check_shape(items, v, &format!("{path}[{i}]"), problems);
        }
    }
}

/// Like [`assert_shape`], leaving out reference keys named in `ignored` (at any depth): keys
/// Mastodon only sends for features or types the tested response does not involve
/// (`fallback`, `collection`, `annual_report`…).
pub fn assert_shape_ignoring(key: &str, value: &Value, ignored: &[&str]) {
    static SHAPES: std::sync::OnceLock<Value> = std::sync::OnceLock::new();
    let shapes = SHAPES.get_or_init(|| {
        let text = include_str!("../fixtures/mastodon-response-shapes.json");
        serde_json::from_str::<Value>(text).unwrap()["shapes"].clone()
    });
    let mut shape = shapes
        .get(key)
        .unwrap_or_else(|| panic!("no reference shape for {key}"))
        .clone();
    fn prune(shape: &mut Value, ignored: &[&str]) {
        if let Some(keys) = shape.get_mut("keys").and_then(|k| k.as_object_mut()) {
            keys.retain(|k, _| !ignored.contains(&k.as_str()));
            for sub in keys.values_mut() {
                prune(sub, ignored);
            }
        }
        if let Some(items) = shape.get_mut("items") {
            prune(items, ignored);
        }
    }
    prune(&mut shape, ignored);
    let mut problems = Vec::new();
    check_shape(&shape, value, "$", &mut problems);
    assert!(
        problems.is_empty(),
        "{key}: response differs from Mastodon's shape:\n  {}\nvalue: {value}",
        problems.join("\n  ")
    );
}
