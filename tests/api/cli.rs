//! The `woolly` command line (`migrate`, `accounts …`), run as a real process against a
//! fresh data directory (SQLite) and, when configured, a fresh PostgreSQL schema.

use std::path::Path;
use std::process::Output;

use woolly::db::{Backend, Db, DbOptions};

use crate::common::backends;

/// Where one CLI test keeps its data.
struct Env {
    dir: tempfile::TempDir,
    database_url: String,
    pg: Option<(String, String)>,
}

impl Env {
    async fn new(backend: Backend) -> Env {
        let dir = tempfile::tempdir().unwrap();
        match backend {
            Backend::Sqlite => Env {
                database_url: format!("sqlite://{}", dir.path().join("woolly.sqlite3").display()),
                dir,
                pg: None,
            },
            Backend::Postgres => {
                let base = std::env::var("WOOLLY_TEST_POSTGRES_URL").unwrap();
                let schema = format!(
                    "cli_{}",
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
                Env {
                    database_url: format!("{base}{sep}options=-c%20search_path%3D{schema}"),
                    dir,
                    pg: Some((base, schema)),
                }
            }
        }
    }

    /// Runs `woolly args…` with only this environment's configuration.
    async fn run(&self, args: &[&str]) -> Output {
        self.run_with(args, &[]).await
    }

    /// Like [`Env::run`], with extra environment variables.
    async fn run_with(&self, args: &[&str], extra: &[(&str, &str)]) -> Output {
        let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_woolly"));
        for (k, _) in std::env::vars() {
            if k.starts_with("WOOLLY_") {
                cmd.env_remove(k);
            }
        }
        cmd.args(args)
            .env("WOOLLY_CONFIG", self.dir.path().join("absent.toml"))
            .env("WOOLLY_DATA_DIR", self.dir.path())
            .env("WOOLLY_URL", "https://social.example")
            .env("WOOLLY_LOG", "warn");
        if self.pg.is_some() {
            cmd.env("WOOLLY_DATABASE_URL", &self.database_url);
        }
        cmd.envs(extra.iter().copied());
        cmd.output().await.expect("run woolly")
    }

    async fn db(&self) -> Db {
        Db::connect(&self.database_url, &DbOptions::default())
            .await
            .unwrap()
    }

    async fn cleanup(self) {
        if let Some((base, schema)) = &self.pg
            && let Db::Postgres(pool) = admin(base).await
        {
            let _ = sqlx::query(sqlx::AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
                .execute(&pool)
                .await;
            pool.close().await;
        }
    }
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

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn ok(o: &Output) -> String {
    assert!(
        o.status.success(),
        "exit {:?}\nstdout: {}\nstderr: {}",
        o.status,
        stdout(o),
        String::from_utf8_lossy(&o.stderr)
    );
    stdout(o)
}

/// The value after `prefix` on the line that contains it.
fn after<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    text.lines()
        .find_map(|l| l.split_once(prefix).map(|(_, rest)| rest.trim()))
}

#[tokio::test]
async fn migrate_and_account_commands() {
    for backend in backends() {
        let env = Env::new(backend).await;
        let out = ok(&env.run(&["migrate"]).await);
        assert!(out.contains("Migrations applied"), "{out}");
        // Idempotent.
        ok(&env.run(&["migrate"]).await);
        if backend == Backend::Sqlite {
            assert!(Path::new(&env.dir.path().join("woolly.sqlite3")).exists());
        }

        // A generated password is printed.
        let out = ok(&env
            .run(&["accounts", "create", "bob", "--email", "bob@example.com"])
            .await);
        assert!(out.contains("created @bob"), "{out}");
        let generated = after(&out, "New password:")
            .expect("generated password")
            .to_owned();
        assert!(generated.len() >= 20);

        // A given password is not.
        let out = ok(&env
            .run(&[
                "accounts",
                "create",
                "carol",
                "--email",
                "carol@example.com",
                "--password",
                "carols-secret-pw",
                "--role",
                "admin",
                "--confirmed",
            ])
            .await);
        assert!(!out.contains("password"), "{out}");
        assert!(!out.contains("carols-secret-pw"));

        let db = env.db().await;
        {
            let mut h = db.read().await.unwrap();
            let bob = woolly::db::accounts::find_user_by_login(h.conn(), "bob")
                .await
                .unwrap()
                .unwrap();
            assert!(woolly::crypto::verify_password(
                &generated,
                &bob.password_hash
            ));
            assert_eq!(bob.role, "user");
            let carol = woolly::db::accounts::find_user_by_login(h.conn(), "carol@example.com")
                .await
                .unwrap()
                .unwrap();
            assert_eq!(carol.role, "admin");
            assert!(carol.confirmed_at.is_some());
            assert!(woolly::crypto::verify_password(
                "carols-secret-pw",
                &carol.password_hash
            ));
        }

        let out = ok(&env.run(&["accounts", "list"]).await);
        let bob_line = out
            .lines()
            .find(|l| l.starts_with("bob "))
            .expect("bob listed");
        assert!(
            bob_line.contains("user") && bob_line.contains("bob@example.com"),
            "{out}"
        );
        let carol_line = out
            .lines()
            .find(|l| l.starts_with("carol "))
            .expect("carol listed");
        assert!(
            carol_line.contains("admin") && carol_line.contains("true"),
            "{out}"
        );

        // set-role.
        let out = ok(&env.run(&["accounts", "set-role", "bob", "moderator"]).await);
        assert!(out.contains("moderator"));
        let out = ok(&env.run(&["accounts", "list"]).await);
        assert!(
            out.lines()
                .find(|l| l.starts_with("bob "))
                .unwrap()
                .contains("moderator")
        );

        // reset-password: a new password, old tokens revoked, sessions ended.
        let bob = {
            let mut h = db.read().await.unwrap();
            woolly::db::accounts::find_user_by_login(h.conn(), "bob")
                .await
                .unwrap()
                .unwrap()
        };
        let old_token = woolly::crypto::random_token(32);
        let old_hash = woolly::crypto::sha256_hex(&old_token);
        let now = woolly::time::now_ms();
        {
            let mut tx = db.begin().await.unwrap();
            woolly::db::oauth::insert_token(
                tx.conn(),
                woolly::id::next_id(),
                &old_hash,
                None,
                Some(bob.id),
                "read",
                now,
            )
            .await
            .unwrap();
            woolly::db::oauth::insert_session(
                tx.conn(),
                &woolly::db::oauth::WebSession {
                    token_hash: "session-digest".into(),
                    user_id: bob.id,
                    csrf_token: "csrf".into(),
                    expires_at: now + 3_600_000,
                },
                now,
            )
            .await
            .unwrap();
            tx.commit().await.unwrap();
        }
        let out = ok(&env.run(&["accounts", "reset-password", "bob"]).await);
        let new_password = after(&out, "new password for @bob:")
            .expect("new password")
            .to_owned();
        assert!(new_password.len() >= 20 && new_password != generated);
        {
            let mut h = db.read().await.unwrap();
            assert!(
                woolly::db::oauth::find_token(h.conn(), &old_hash)
                    .await
                    .unwrap()
                    .is_none()
            );
            assert!(
                woolly::db::oauth::find_session(h.conn(), "session-digest", now)
                    .await
                    .unwrap()
                    .is_none()
            );
            let bob = woolly::db::accounts::find_user_by_login(h.conn(), "bob")
                .await
                .unwrap()
                .unwrap();
            assert!(woolly::crypto::verify_password(
                &new_password,
                &bob.password_hash
            ));
            assert!(!woolly::crypto::verify_password(
                &generated,
                &bob.password_hash
            ));
        }
        db.close().await;

        // With a mail server configured, accounts start unconfirmed and a confirmation
        // e-mail is attempted; a delivery failure is only a warning.
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let smtp = format!("smtp://127.0.0.1:{port}");
        let o = env
            .run_with(
                &["accounts", "create", "erin", "--email", "erin@example.com"],
                &[("WOOLLY_SMTP_URL", &smtp)],
            )
            .await;
        ok(&o);
        assert!(String::from_utf8_lossy(&o.stderr).contains("could not be sent"));
        let out = ok(&env.run(&["accounts", "list"]).await);
        let erin_line = out
            .lines()
            .find(|l| l.starts_with("erin "))
            .expect("erin listed");
        assert!(erin_line.contains("false"), "{out}");

        // Failures exit non-zero with a message.
        let o = env
            .run(&["accounts", "create", "bad name", "--email", "x@example.com"])
            .await;
        assert!(!o.status.success());
        assert!(String::from_utf8_lossy(&o.stderr).contains("username"));
        let o = env
            .run(&["accounts", "create", "bob", "--email", "other@example.com"])
            .await;
        assert!(!o.status.success());
        assert!(String::from_utf8_lossy(&o.stderr).contains("taken"));
        let o = env
            .run(&[
                "accounts",
                "create",
                "dave",
                "--email",
                "dave@example.com",
                "--password",
                "short",
            ])
            .await;
        assert!(!o.status.success());
        let o = env.run(&["accounts", "set-role", "nobody", "admin"]).await;
        assert!(!o.status.success());
        assert!(String::from_utf8_lossy(&o.stderr).contains("nobody"));
        let o = env.run(&["accounts", "set-role", "bob", "emperor"]).await;
        assert!(!o.status.success());
        let o = env.run(&["accounts", "reset-password", "nobody"]).await;
        assert!(!o.status.success());

        env.cleanup().await;
    }
}

#[tokio::test]
async fn domain_block_commands() {
    for backend in backends() {
        let env = Env::new(backend).await;
        let out = ok(&env
            .run(&["domains", "block", "Spam.Example.", "--reject-reports"])
            .await);
        assert!(out.contains("spam.example is blocked (suspend)"), "{out}");
        let out = ok(&env
            .run(&["domains", "block", "quiet.example", "--severity", "silence"])
            .await);
        assert!(out.contains("quiet.example is blocked (silence)"), "{out}");
        // Blocking again changes the block.
        ok(&env
            .run(&["domains", "block", "quiet.example", "--severity", "suspend"])
            .await);

        let out = ok(&env.run(&["domains", "list"]).await);
        let spam = out
            .lines()
            .find(|l| l.starts_with("spam.example "))
            .expect("spam.example listed");
        assert!(spam.contains("suspend") && spam.contains("reject"), "{out}");
        let quiet = out
            .lines()
            .find(|l| l.starts_with("quiet.example "))
            .expect("quiet.example listed");
        assert!(quiet.contains("suspend"), "{out}");
        assert_eq!(out.lines().count(), 3, "header and two blocks: {out}");

        let db = env.db().await;
        {
            let mut h = db.read().await.unwrap();
            let rows = woolly::db::domain_blocks::all(h.conn()).await.unwrap();
            assert_eq!(rows.len(), 2);
            assert!(rows[0].reject_reports && !rows[0].reject_media);
            // Each block (and the change) left a durable job applying it to known accounts.
            assert_eq!(woolly::db::jobs::pending(h.conn()).await.unwrap(), 3);
        }
        db.close().await;

        let out = ok(&env.run(&["domains", "unblock", "SPAM.example"]).await);
        assert!(out.contains("spam.example is no longer blocked"), "{out}");
        let out = ok(&env.run(&["domains", "list"]).await);
        assert!(!out.contains("spam.example"), "{out}");

        // Unknown blocks and invalid domains fail with a message.
        let o = env.run(&["domains", "unblock", "spam.example"]).await;
        assert!(!o.status.success());
        assert!(String::from_utf8_lossy(&o.stderr).contains("not blocked"));
        let o = env.run(&["domains", "block", "user@host"]).await;
        assert!(!o.status.success());
        assert!(String::from_utf8_lossy(&o.stderr).contains("invalid domain"));
        env.cleanup().await;
    }
}
