//! Real client libraries and apps against a real server, unmodified:
//! - Mastodon.py (PyPI) runs `tests/clients/mastodon_py.py` — app registration, password
//!   login, version detection, posting, following, timelines paged by `Link`,
//!   notifications, edits, revocation;
//! - masto.js (npm `masto`, the library behind Elk and Phanpy) runs
//!   `tests/clients/masto_js.mjs` — the same ground through its typed, camelCasing client and
//!   its `Link`-following paginator, plus instance v1/v2, profile edits, every visibility,
//!   status actions and their undo, notifications, markers, search, blocks and mutes;
//! - the `toot` command-line client (PyPI) is driven by `toot_cli` in this module.
//!
//! CI installs all three (`.ci/run`) and sets `WOOLLY_REQUIRE_CLIENT_TESTS=1`, which turns a
//! missing client into a failure; elsewhere each test says it is skipped.

use reqwest::StatusCode;
use std::process::Command;

use crate::common::*;

/// True when `program args…` runs and succeeds; otherwise fails the test under
/// `WOOLLY_REQUIRE_CLIENT_TESTS`, or says the test is skipped.
fn client_available(what: &str, install: &str, program: &str, args: &[&str]) -> bool {
    let ok = Command::new(program)
        .args(args)
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var("WOOLLY_REQUIRE_CLIENT_TESTS").is_err(),
            "WOOLLY_REQUIRE_CLIENT_TESTS is set but {what} is not installed ({install})"
        );
        eprintln!("NOTE: {what} is not installed ({install}); its conformance test is skipped.");
    }
    ok
}

/// Runs a conformance script against `app` and asserts that it printed `ALL OK`.
async fn run_script(app: &TestApp, what: &str, program: &str, script: &str) {
    let out = tokio::process::Command::new(program)
        .arg(script)
        .arg(&app.url)
        .output()
        .await
        .unwrap_or_else(|e| panic!("run {program}: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stdout.contains("ALL OK"),
        "{what} conformance failed on {:?}:\n{stdout}\n{stderr}",
        app.backend
    );
}

#[tokio::test]
async fn mastodon_py_conformance() {
    if !client_available(
        "Mastodon.py",
        "python3 -m pip install Mastodon.py",
        "python3",
        &["-c", "import mastodon"],
    ) {
        return;
    }
    each_backend(|app| async move {
        app.local_account("alice").await;
        app.local_account("bob").await;
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/clients/mastodon_py.py");
        run_script(&app, "Mastodon.py", "python3", script).await;
    })
    .await;
}

#[tokio::test]
async fn masto_js_conformance() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/clients");
    let probe = format!("import('{dir}/node_modules/masto/dist/index.js')");
    if !client_available(
        "masto.js",
        "npm ci --prefix tests/clients",
        "node",
        &["-e", &probe],
    ) {
        return;
    }
    each_backend(|app| async move {
        app.local_account("alice").await;
        app.local_account("bob").await;
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/clients/masto_js.mjs");
        run_script(&app, "masto.js", "node", script).await;
    })
    .await;
}

/// The `toot` command-line client with its own isolated configuration (HOME and
/// XDG_CONFIG_HOME in a temporary directory), logged in to one server.
struct Toot {
    dir: tempfile::TempDir,
    /// `127.0.0.1:PORT`: toot names accounts `user@instance`.
    instance: String,
}

impl Toot {
    fn new(app: &TestApp) -> Toot {
        Toot {
            dir: tempfile::tempdir().expect("tempdir"),
            instance: app.url.trim_start_matches("http://").to_string(),
        }
    }

    /// Runs `toot ARGS…` non-interactively; returns (success, stdout + stderr).
    async fn run(&self, args: &[&str]) -> (bool, String) {
        let out = tokio::process::Command::new("toot")
            .args(args)
            .env("HOME", self.dir.path())
            .env("XDG_CONFIG_HOME", self.dir.path().join("config"))
            .env("TERM", "dumb")
            .env("NO_COLOR", "1")
            .env("PAGER", "cat")
            .stdin(std::process::Stdio::null())
            .output()
            .await
            .expect("run toot");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.success(), text)
    }

    /// Runs `toot --as USER ARGS…` and expects it to succeed.
    async fn ok(&self, user: &str, args: &[&str]) -> String {
        let who = format!("{user}@{}", self.instance);
        let mut all = vec!["--as", who.as_str()];
        all.extend_from_slice(args);
        let (ok, text) = self.run(&all).await;
        assert!(ok, "toot {all:?} failed:\n{text}");
        text
    }

    /// The access token toot stored for `user` after logging in.
    fn token(&self, user: &str) -> String {
        let path = self.dir.path().join("config/toot/config.json");
        let config: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&path).expect("toot config")).unwrap();
        config["users"][format!("{user}@{}", self.instance)]["access_token"]
            .as_str()
            .expect("token in toot's config")
            .to_string()
    }
}

/// Drives the unmodified `toot` CLI: password login (`login_cli`), whoami, posting with
/// visibility, content warning and reply, follow/unfollow, home/tag timelines, thread,
/// favourite, boost, notifications (list, filter, clear), search, block/unblock, delete —
/// each checked on toot's output and on the server's state through the API.
#[tokio::test]
async fn toot_cli() {
    if !client_available(
        "toot",
        "python3 -m pip install toot",
        "toot",
        &["--version"],
    ) {
        return;
    }
    each_backend(|app| async move {
        let alice_id = app.local_account("alice").await.account_id.to_string();
        let bob_id = app.local_account("bob").await.account_id.to_string();
        let toot = Toot::new(&app);

        // Log in with e-mail and password, as a script would (the browser flow needs a person).
        for user in ["alice", "bob"] {
            let (ok, text) = toot
                .run(&[
                    "login_cli",
                    "--instance",
                    &app.url,
                    "--email",
                    &format!("{user}@example.com"),
                    "--password",
                    "password123",
                ])
                .await;
            assert!(ok && text.contains("Successfully logged in"), "{text}");
        }
        let (ok, text) = toot
            .run(&["login_cli", "--instance", &app.url, "--email", "alice@example.com", "--password", "wrong"])
            .await;
        assert!(!ok, "a wrong password is refused: {text}");
        let (alice, bob) = (toot.token("alice"), toot.token("bob"));

        let me = toot.ok("alice", &["whoami"]).await;
        assert!(me.contains("@alice") && me.contains(&alice_id), "{me}");
        assert!(toot.ok("alice", &["whois", "bob"]).await.contains(&bob_id));
        let instance = toot.run(&["instance", &app.url]).await.1;
        assert!(instance.contains("Woolly"), "{instance}");

        // Follow first, so that the posts fan out to bob's home.
        let out = toot.ok("bob", &["follow", "alice"]).await;
        assert!(out.contains("You are now following alice"), "{out}");
        let rel = json(
            app.get(&format!("/api/v1/accounts/relationships?id[]={alice_id}"), Some(&bob)).await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(rel[0]["following"], true, "{rel}");

        // Post: plain, then unlisted with a content warning, then a reply.
        let out = toot.ok("alice", &["post", "hello from toot #tootcli"]).await;
        let prefix = format!("Toot posted: {}/@alice/", app.url);
        let first = out
            .lines()
            .find_map(|l| l.strip_prefix(&prefix))
            .unwrap_or_else(|| panic!("a status URL in {out}"))
            .trim()
            .to_string();
        let s = json(app.get(&format!("/api/v1/statuses/{first}"), None).await, StatusCode::OK).await;
        assert_eq!(s["content"], "<p>hello from toot <a href=\"".to_string()
            + &app.url + "/tags/tootcli\" class=\"mention hashtag\" rel=\"tag\">#<span>tootcli</span></a></p>", "{s}");
        assert_eq!(s["visibility"], "public");
        assert_eq!(s["application"]["name"], "toot - a Mastodon CLI client", "posted through toot's app");
        let out = toot
            .ok("alice", &["post", "second @bob", "--visibility", "unlisted", "--spoiler-text", "cw", "--json"])
            .await;
        let second: serde_json::Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
        assert_eq!(second["visibility"], "unlisted");
        assert_eq!(second["spoiler_text"], "cw");
        assert_eq!(second["mentions"][0]["acct"], "bob");
        let second = second["id"].as_str().unwrap().to_string();
        let out = toot.ok("bob", &["post", "@alice a reply", "--reply-to", &first, "--json"]).await;
        let reply: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(reply["in_reply_to_id"], first.as_str());

        // Timelines.
        app.run_jobs().await;
        for args in [&["timelines", "home", "--no-pager"][..], &["timeline"][..]] {
            let home = toot.ok("bob", args).await;
            assert!(home.contains("hello from toot #tootcli") && home.contains("second @bob") && home.contains("a reply"), "{args:?}: {home}");
            assert!(home.find("second @bob") < home.find("hello from toot"), "newest first: {home}");
        }
        let tag = toot.ok("bob", &["timelines", "tag", "tootcli", "--no-pager"]).await;
        assert!(tag.contains("hello from toot") && !tag.contains("second @bob"), "{tag}");
        let thread = toot.ok("bob", &["thread", &first]).await;
        assert!(thread.contains("hello from toot") && thread.contains("a reply"), "{thread}");
        let found = toot.ok("alice", &["search", "tootcli"]).await;
        assert!(found.contains("#tootcli"), "{found}");

        // Favourite and boost, seen in alice's notifications and on the server.
        assert!(toot.ok("bob", &["favourite", &first]).await.contains("Status favourited"));
        assert!(toot.ok("bob", &["reblog", &first]).await.contains("Status reblogged"));
        let s = json(app.get(&format!("/api/v1/statuses/{first}"), Some(&bob)).await, StatusCode::OK).await;
        assert_eq!((s["favourited"].clone(), s["reblogged"].clone()), (true.into(), true.into()), "{s}");
        assert_eq!((s["favourites_count"].clone(), s["reblogs_count"].clone()), (1.into(), 1.into()), "{s}");
        let notes = toot.ok("alice", &["notifications"]).await;
        for line in ["@bob favourited your status", "@bob boosted your status", "@bob now follows you", "@bob mentioned you"] {
            assert!(notes.contains(line), "{line}: {notes}");
        }
        let mentions = toot.ok("bob", &["notifications", "--type", "mention"]).await;
        assert!(mentions.contains("@alice mentioned you") && mentions.contains("second @bob"), "{mentions}");
        assert!(!mentions.contains("favourited"), "{mentions}");
        assert!(toot.ok("alice", &["notifications", "--clear"]).await.contains("Notifications cleared"));
        let left = json(app.get("/api/v1/notifications", Some(&alice)).await, StatusCode::OK).await;
        assert_eq!(left, serde_json::json!([]), "cleared on the server");
        assert!(toot.ok("bob", &["unfavourite", &first]).await.contains("Status unfavourited"));

        // Unfollow, block and unblock (toot finds the account by name through search).
        assert!(toot.ok("bob", &["unfollow", "alice"]).await.contains("You are no longer following alice"));
        assert!(toot.ok("alice", &["block", "bob"]).await.contains("You are now blocking bob"));
        assert!(toot.ok("alice", &["blocked"]).await.contains("@bob"));
        assert!(toot.ok("alice", &["unblock", "bob"]).await.contains("bob is no longer blocked"));
        let rel = json(
            app.get(&format!("/api/v1/accounts/relationships?id[]={bob_id}"), Some(&alice)).await,
            StatusCode::OK,
        )
        .await;
        assert_eq!((rel[0]["blocking"].clone(), rel[0]["followed_by"].clone()), (false.into(), false.into()), "{rel}");

        // Delete.
        assert!(toot.ok("alice", &["delete", &second]).await.contains("Status deleted"));
        let gone = app.get(&format!("/api/v1/statuses/{second}"), Some(&alice)).await;
        assert_eq!(gone.status(), StatusCode::NOT_FOUND);
        let me = json(app.get("/api/v1/accounts/verify_credentials", Some(&alice)).await, StatusCode::OK).await;
        assert_eq!(me["statuses_count"], 1, "{me}");
    })
    .await;
}
