//! Real client libraries against a real server: the unmodified Mastodon.py (PyPI) runs
//! `tests/clients/mastodon_py.py` — app registration, password login, version detection,
//! posting, following, timelines paged by `Link`, notifications, edits, revocation.
//!
//! CI installs Mastodon.py and sets `WOOLLY_REQUIRE_CLIENT_TESTS=1`, which turns a missing
//! library into a failure; elsewhere the test says it is skipped.

use std::process::Command;

use crate::common::*;

fn mastodon_py_available() -> bool {
    Command::new("python3")
        .args(["-c", "import mastodon"])
        .output()
        .is_ok_and(|o| o.status.success())
}

#[tokio::test]
async fn mastodon_py_conformance() {
    if !mastodon_py_available() {
        assert!(
            std::env::var("WOOLLY_REQUIRE_CLIENT_TESTS").is_err(),
            "WOOLLY_REQUIRE_CLIENT_TESTS is set but Mastodon.py is not installed (python3 -m pip install Mastodon.py)"
        );
        eprintln!(
            "NOTE: Mastodon.py is not installed; the Mastodon.py conformance test is skipped."
        );
        return;
    }
    each_backend(|app| async move {
        app.local_account("alice").await;
        app.local_account("bob").await;
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/clients/mastodon_py.py");
        let url = app.url.clone();
        let out = tokio::process::Command::new("python3")
            .arg(script)
            .arg(&url)
            .output()
            .await
            .expect("run python3");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success() && stdout.contains("ALL OK"),
            "Mastodon.py conformance failed on {:?}:\n{stdout}\n{stderr}",
            app.backend
        );
    })
    .await;
}
