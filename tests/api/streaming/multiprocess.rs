//! Two real `woolly serve` processes on one PostgreSQL schema, with the event bus on Redis
//! or NATS: a post made through one arrives on streams opened on the other.
//!
//! Skipped (with a note) unless `WOOLLY_TEST_POSTGRES_URL` and `WOOLLY_TEST_REDIS_URL` /
//! `WOOLLY_TEST_NATS_URL` are set.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;
use tokio::process::{Child, Command};
use woolly::db::{Db, DbOptions};

use super::client::*;

/// A free loopback port (bound and released).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn admin(base: &str) -> Db {
    Db::connect(
        base,
        &DbOptions {
            max_connections: 1,
            ..DbOptions::default()
        },
    )
    .await
    .unwrap()
}

struct Cluster {
    dir: tempfile::TempDir,
    base: String,
    schema: String,
    database_url: String,
    url: String,
    bus_url: String,
    children: Vec<Child>,
}

impl Cluster {
    async fn new(bus_url: String) -> Cluster {
        let base = std::env::var("WOOLLY_TEST_POSTGRES_URL").unwrap();
        let schema = format!(
            "mp_{}",
            woolly::crypto::random_token(9)
                .to_lowercase()
                .replace('-', "_")
        );
        if let Db::Postgres(pool) = admin(&base).await {
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
                .execute(&pool)
                .await
                .unwrap();
            pool.close().await;
        }
        let sep = if base.contains('?') { '&' } else { '?' };
        Cluster {
            dir: tempfile::tempdir().unwrap(),
            database_url: format!("{base}{sep}options=-c%20search_path%3D{schema}"),
            base,
            schema,
            // One instance (one public URL; unique per run, so is its bus channel) served by
            // several processes.
            url: format!("http://127.0.0.1:{}", free_port()),
            bus_url,
            children: Vec::new(),
        }
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_woolly"));
        for (k, _) in std::env::vars() {
            if k.starts_with("WOOLLY_") {
                cmd.env_remove(k);
            }
        }
        cmd.args(args)
            .env("WOOLLY_CONFIG", self.dir.path().join("absent.toml"))
            .env("WOOLLY_DATA_DIR", self.dir.path())
            .env("WOOLLY_URL", &self.url)
            .env("WOOLLY_DATABASE_URL", &self.database_url)
            .env("WOOLLY_BUS_URL", &self.bus_url)
            .env("WOOLLY_LOG", "warn")
            .kill_on_drop(true);
        cmd
    }

    /// Starts one more `woolly serve`; returns its base URL once it answers.
    async fn serve(&mut self) -> String {
        let port = free_port();
        let child = self
            .command(&["serve"])
            .env("WOOLLY_LISTEN", format!("127.0.0.1:{port}"))
            .spawn()
            .expect("spawn woolly serve");
        self.children.push(child);
        let base = format!("http://127.0.0.1:{port}");
        let client = reqwest::Client::new();
        for _ in 0..300 {
            if let Ok(r) = client
                .get(format!("{base}/api/v1/streaming/health"))
                .send()
                .await
                && r.status() == StatusCode::OK
            {
                return base;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("woolly serve did not come up on {base}");
    }

    /// A confirmed user with a `read write follow` token: (account id, token).
    async fn user(&self, username: &str) -> (String, String) {
        let db = Db::connect(&self.database_url, &DbOptions::default())
            .await
            .unwrap();
        let config = woolly::config::Config {
            url: self.url.clone(),
            ..Default::default()
        }
        .validated()
        .unwrap();
        let created = woolly::service::accounts::create_local(
            &db,
            &config,
            woolly::service::accounts::NewLocalAccount {
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
        .unwrap();
        let raw = woolly::crypto::random_token(32);
        let mut tx = db.begin().await.unwrap();
        woolly::db::oauth::insert_token(
            tx.conn(),
            woolly::id::next_id(),
            &woolly::crypto::sha256_hex(&raw),
            None,
            Some(created.user_id),
            "read write follow",
            woolly::time::now_ms(),
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        db.close().await;
        (created.account_id.to_string(), raw)
    }

    async fn stop(mut self) {
        for c in &mut self.children {
            let _ = c.kill().await;
        }
        if let Db::Postgres(pool) = admin(&self.base).await {
            let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                "DROP SCHEMA {} CASCADE",
                self.schema
            )))
            .execute(&pool)
            .await;
            pool.close().await;
        }
    }
}

/// Runs the two-process scenario over the bus at `bus_url`.
async fn across_processes(bus_url: String) {
    let mut cluster = Cluster::new(bus_url).await;
    let out = cluster.command(&["migrate"]).output().await.unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let a = cluster.serve().await;
    let b = cluster.serve().await;
    let (_, alice) = cluster.user("alice").await;
    let (bob_id, bob) = cluster.user("bob").await;
    let http = reqwest::Client::new();
    let resp = http
        .post(format!("{a}/api/v1/accounts/{bob_id}/follow"))
        .bearer_auth(&alice)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);

    // Streams opened on B; the post made through A.
    let (mut public, _) = ws_connect(&b, &alice, TokenIn::Header, "stream=public:local")
        .await
        .unwrap();
    let mut home = sse_connect(&b, "/api/v1/streaming/user", Some(&alice))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let resp = http
        .post(format!("{a}/api/v1/statuses"))
        .bearer_auth(&bob)
        .json(&json!({"status": "across processes"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let posted: serde_json::Value = resp.json().await.unwrap();
    let (frame, status) = public.expect("update").await;
    assert_eq!(frame["stream"], json!(["public:local"]));
    assert_eq!(status["id"], posted["id"]);
    // The home feed's fan-out ran in whichever process claimed the job.
    let data: serde_json::Value = serde_json::from_str(&home.expect("update").await).unwrap();
    assert_eq!(data["id"], posted["id"]);
    cluster.stop().await;
}

fn configured(var: &str) -> Option<String> {
    let pg = std::env::var("WOOLLY_TEST_POSTGRES_URL").is_ok_and(|u| !u.is_empty());
    match std::env::var(var) {
        Ok(url) if pg && !url.is_empty() => Some(url),
        _ => {
            eprintln!(
                "NOTE: {var} or WOOLLY_TEST_POSTGRES_URL is not set; the two-process streaming test is skipped."
            );
            None
        }
    }
}

#[tokio::test]
async fn two_processes_share_events_over_redis() {
    if let Some(url) = configured("WOOLLY_TEST_REDIS_URL") {
        across_processes(url).await;
    }
}

#[tokio::test]
async fn two_processes_share_events_over_nats() {
    if let Some(url) = configured("WOOLLY_TEST_NATS_URL") {
        across_processes(url).await;
    }
}
