//! Sign-up (`POST /api/v1/accounts`) in every registration mode, validation details, e-mail
//! confirmation, and the rate limits around it.

use reqwest::StatusCode;
use serde_json::{Value, json};
use woolly::config::Registrations;

use crate::common::*;
use crate::mailsink::{MailSink, confirmation_token};
use crate::oauth::{CALLBACK, app_token, register_app};

/// An app token with `write:accounts`, as a client gets before showing its sign-up form.
async fn signup_token(app: &TestApp) -> String {
    let c = register_app(app, "read write", CALLBACK).await;
    app_token(app, &c, "read write").await
}

fn signup_body(username: &str) -> Value {
    json!({
        "username": username,
        "email": format!("{username}@example.com"),
        "password": "correct horse battery",
        "agreement": true,
        "locale": "en",
    })
}

async fn sign_up(app: &TestApp, token: &str, body: &Value) -> reqwest::Response {
    app.post_json("/api/v1/accounts", Some(token), body).await
}

#[tokio::test]
async fn open_registration_returns_a_working_token() {
    each_backend(|app| async move {
        let token = signup_token(&app).await;
        let v = json(
            sign_up(&app, &token, &signup_body("newbie")).await,
            StatusCode::OK,
        )
        .await;
        assert_shape("POST /api/v1/accounts 200", &v);
        assert_eq!(v["token_type"], "Bearer");
        assert_eq!(v["scope"], "read write");
        let user_token = v["access_token"].as_str().unwrap();
        let me = json(
            app.get("/oauth/userinfo", Some(user_token)).await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(me["preferred_username"], "newbie");

        // The new account can sign in with its password.
        let c = register_app(&app, "read", CALLBACK).await;
        let r = app
            .post_form(
                "/oauth/token",
                None,
                &[
                    ("grant_type", "password"),
                    ("client_id", &c.client_id),
                    ("client_secret", &c.client_secret),
                    ("username", "newbie@example.com"),
                    ("password", "correct horse battery"),
                ],
            )
            .await;
        json(r, StatusCode::OK).await;

        // Form-encoded works too, with a string agreement.
        let r = app
            .post_form(
                "/api/v1/accounts",
                Some(&token),
                &[
                    ("username", "formy"),
                    ("email", "formy@example.com"),
                    ("password", "correct horse battery"),
                    ("agreement", "1"),
                ],
            )
            .await;
        let v = json(r, StatusCode::OK).await;
        assert_shape("POST /api/v1/accounts 200", &v);
    })
    .await;
}

#[tokio::test]
async fn validation_errors_report_every_field() {
    each_backend(|app| async move {
        app.user("taken").await;
        let token = signup_token(&app).await;
        let v = error(
            sign_up(
                &app,
                &token,
                &json!({"username": "taken", "email": "taken@example.com", "password": "short"}),
            )
            .await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_shape("POST /api/v1/accounts 422", &v);
        let d = &v["details"];
        assert_eq!(d["username"][0]["error"], "ERR_TAKEN");
        assert_eq!(d["email"][0]["error"], "ERR_TAKEN");
        assert_eq!(d["password"][0]["error"], "ERR_TOO_SHORT");
        assert_eq!(d["agreement"][0]["error"], "ERR_ACCEPTED");
        assert_eq!(d["agreement"][0]["description"], "must be accepted");
        let msg = v["error"].as_str().unwrap();
        assert!(msg.starts_with("Validation failed: Username has already been taken"), "{msg}");
        assert!(msg.contains("Agreement must be accepted"), "{msg}");

        let v = error(
            sign_up(
                &app,
                &token,
                &json!({"username": "bad name!", "email": "nope", "password": "", "agreement": "false", "locale": "<b>"}),
            )
            .await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        let d = &v["details"];
        assert_eq!(d["username"][0]["error"], "ERR_INVALID");
        assert_eq!(d["email"][0]["error"], "ERR_INVALID");
        assert_eq!(d["password"][0]["error"], "ERR_BLANK");
        assert_eq!(d["agreement"][0]["error"], "ERR_ACCEPTED");
        assert_eq!(d["locale"][0]["error"], "ERR_INCLUSION");

        let v = error(
            sign_up(&app, &token, &json!({"agreement": true, "username": "admin", "email": "a@example.com", "password": "password123"})).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(v["details"]["username"][0]["error"], "ERR_RESERVED");
        assert!(v["details"].get("email").is_none());

        // Case-insensitive uniqueness.
        let v = error(
            sign_up(&app, &token, &json!({"agreement": true, "username": "TAKEN", "email": "TAKEN@EXAMPLE.COM", "password": "password123"})).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(v["details"]["username"][0]["error"], "ERR_TAKEN");
        assert_eq!(v["details"]["email"][0]["error"], "ERR_TAKEN");
    })
    .await;
}

#[tokio::test]
async fn sign_up_needs_a_token_with_write_accounts() {
    each_backend(|app| async move {
        error(
            app.post_json("/api/v1/accounts", None, &signup_body("x1"))
                .await,
            StatusCode::UNAUTHORIZED,
        )
        .await;
        let c = register_app(&app, "read write", CALLBACK).await;
        let read_only = app_token(&app, &c, "read").await;
        error(
            sign_up(&app, &read_only, &signup_body("x2")).await,
            StatusCode::FORBIDDEN,
        )
        .await;
        let narrow = app_token(&app, &c, "write:accounts").await;
        json(
            sign_up(&app, &narrow, &signup_body("x3")).await,
            StatusCode::OK,
        )
        .await;
    })
    .await;
}

#[tokio::test]
async fn approval_mode_token_is_pending() {
    each_backend_with(
        |cfg| cfg.registrations = Registrations::Approval,
        |app| async move {
            let token = signup_token(&app).await;
            let mut body = signup_body("hopeful");
            body["reason"] = json!("I would like to join.");
            let v = json(sign_up(&app, &token, &body).await, StatusCode::OK).await;
            assert_shape("POST /api/v1/accounts 200", &v);
            let v = error(
                app.get("/oauth/userinfo", Some(v["access_token"].as_str().unwrap()))
                    .await,
                StatusCode::FORBIDDEN,
            )
            .await;
            assert_eq!(v["error"], "Your login is currently pending approval");
            let mut h = app.state.db.read().await.unwrap();
            let u = woolly::db::accounts::find_user_by_login(h.conn(), "hopeful")
                .await
                .unwrap()
                .unwrap();
            assert!(!u.approved);
        },
    )
    .await;
}

#[tokio::test]
async fn closed_registrations_are_403() {
    each_backend_with(
        |cfg| cfg.registrations = Registrations::Closed,
        |app| async move {
            let token = signup_token(&app).await;
            let v = error(
                sign_up(&app, &token, &signup_body("nope")).await,
                StatusCode::FORBIDDEN,
            )
            .await;
            assert_eq!(v["error"], "This action is not allowed");
        },
    )
    .await;
}

#[tokio::test]
async fn email_confirmation_when_smtp_is_configured() {
    let sink = MailSink::start().await;
    let smtp = sink.url.clone();
    each_backend_with(
        move |cfg| cfg.smtp_url = smtp.clone(),
        |app| {
            let sink = sink.clone();
            // Both backends share the sink: start each run with an empty mailbox.
            sink.clear();
            async move {
                let token = signup_token(&app).await;
                let v = json(
                    sign_up(&app, &token, &signup_body("mailer")).await,
                    StatusCode::OK,
                )
                .await;
                let user_token = v["access_token"].as_str().unwrap().to_owned();
                let v = error(
                    app.get("/oauth/userinfo", Some(&user_token)).await,
                    StatusCode::FORBIDDEN,
                )
                .await;
                assert_eq!(
                    v["error"],
                    "Your login is missing a confirmed e-mail address"
                );
                // The sign-up mail carries a link; only its digest is stored.
                let first = confirmation_token(&sink.wait_for("mailer@example.com", 1).await[0]);
                assert_eq!(
                    stored_confirmation_token(&app, "mailer").await.as_deref(),
                    Some(woolly::crypto::sha256_hex(&first).as_str())
                );

                // Resend…
                let v = json(
                    app.post_empty("/api/v1/emails/confirmations", Some(&user_token))
                        .await,
                    StatusCode::OK,
                )
                .await;
                assert_shape("POST /api/v1/emails/confirmations 200", &v);
                // The mail goes out from a durable job, to the address current when it runs:
                // let this one go before the address changes.
                app.run_jobs().await;
                // …to a corrected address.
                let v = json(
                    app.post_json(
                        "/api/v1/emails/confirmations",
                        Some(&user_token),
                        &json!({"email": "mailer2@example.com"}),
                    )
                    .await,
                    StatusCode::OK,
                )
                .await;
                assert_eq!(v, json!({}));
                let v = error(
                    app.post_json(
                        "/api/v1/emails/confirmations",
                        Some(&user_token),
                        &json!({"email": "bad"}),
                    )
                    .await,
                    StatusCode::UNPROCESSABLE_ENTITY,
                )
                .await;
                assert_eq!(v["details"]["email"][0]["error"], "ERR_INVALID");

                // The password grant refuses unconfirmed users.
                let c = register_app(&app, "read", CALLBACK).await;
                let r = app
                    .post_form(
                        "/oauth/token",
                        None,
                        &[
                            ("grant_type", "password"),
                            ("client_id", &c.client_id),
                            ("client_secret", &c.client_secret),
                            ("username", "mailer2@example.com"),
                            ("password", "correct horse battery"),
                        ],
                    )
                    .await;
                assert_eq!(
                    error(r, StatusCode::BAD_REQUEST).await["error"],
                    "invalid_grant"
                );

                // Each resend issued a fresh link; only the last one works.
                let resent = sink.wait_for("mailer@example.com", 2).await;
                let second = confirmation_token(&resent[1]);
                let latest = confirmation_token(&sink.wait_for("mailer2@example.com", 1).await[0]);
                assert!(first != second && second != latest);
                for stale in [&first, &second] {
                    let r = app
                        .get(
                            &format!("/auth/confirmation?confirmation_token={stale}"),
                            None,
                        )
                        .await;
                    assert_eq!(r.status(), StatusCode::NOT_FOUND);
                }
                // The digest is not the link: it does not confirm anything either.
                let digest = stored_confirmation_token(&app, "mailer").await.unwrap();
                let r = app
                    .get(
                        &format!("/auth/confirmation?confirmation_token={digest}"),
                        None,
                    )
                    .await;
                assert_eq!(r.status(), StatusCode::NOT_FOUND);
                let r = app
                    .get("/auth/confirmation?confirmation_token=wrong", None)
                    .await;
                assert_eq!(r.status(), StatusCode::NOT_FOUND);

                // Follow the link from the e-mail.
                let r = app
                    .get(
                        &format!("/auth/confirmation?confirmation_token={latest}"),
                        None,
                    )
                    .await;
                assert_eq!(r.status(), StatusCode::OK);
                assert!(r.text().await.unwrap().contains("confirmed"));
                // Links work once.
                let r = app
                    .get(
                        &format!("/auth/confirmation?confirmation_token={latest}"),
                        None,
                    )
                    .await;
                assert_eq!(r.status(), StatusCode::NOT_FOUND);
                assert_eq!(stored_confirmation_token(&app, "mailer").await, None);

                let me = json(
                    app.get("/oauth/userinfo", Some(&user_token)).await,
                    StatusCode::OK,
                )
                .await;
                assert_eq!(me["preferred_username"], "mailer");
                let v = error(
                    app.post_empty("/api/v1/emails/confirmations", Some(&user_token))
                        .await,
                    StatusCode::FORBIDDEN,
                )
                .await;
                assert!(
                    v["error"]
                        .as_str()
                        .unwrap()
                        .contains("awaiting confirmation")
                );
                // App tokens have no user to confirm.
                error(
                    app.post_empty("/api/v1/emails/confirmations", Some(&token))
                        .await,
                    StatusCode::UNPROCESSABLE_ENTITY,
                )
                .await;
            }
        },
    )
    .await;
}

/// The confirmation token column of a user, as stored.
async fn stored_confirmation_token(app: &TestApp, username: &str) -> Option<String> {
    let mut h = app.state.db.read().await.unwrap();
    woolly::with_conn!(h.conn(), |c| sqlx::query_scalar::<_, Option<String>>(
        "SELECT u.confirmation_token FROM users u JOIN accounts a ON a.id = u.account_id \
         WHERE a.username = $1"
    )
    .bind(username)
    .fetch_one(c)
    .await)
    .unwrap()
}

#[tokio::test]
async fn confirmation_links_expire_after_three_days() {
    let sink = MailSink::start().await;
    let smtp = sink.url.clone();
    each_backend_with(
        move |cfg| cfg.smtp_url = smtp.clone(),
        |app| {
            let sink = sink.clone();
            // Both backends share the sink: start each run with an empty mailbox.
            sink.clear();
            async move {
                let token = signup_token(&app).await;
                let v = json(
                    sign_up(&app, &token, &signup_body("slowpoke")).await,
                    StatusCode::OK,
                )
                .await;
                let user_token = v["access_token"].as_str().unwrap().to_owned();
                let link = confirmation_token(&sink.wait_for("slowpoke@example.com", 1).await[0]);
                // Sent three days and a minute ago.
                let sent = woolly::time::now_ms() - 3 * 86_400_000 - 60_000;
                let mut tx = app.state.db.begin().await.unwrap();
                woolly::with_conn!(tx.conn(), |c| sqlx::query(
                    "UPDATE users SET confirmation_sent_at = $1 WHERE email = 'slowpoke@example.com'"
                )
                .bind(sent)
                .execute(c)
                .await
                .map(|_| ()))
                .unwrap();
                tx.commit().await.unwrap();

                let r = app
                    .get(&format!("/auth/confirmation?confirmation_token={link}"), None)
                    .await;
                assert_eq!(r.status(), StatusCode::GONE);
                let page = r.text().await.unwrap();
                assert!(page.contains("expired"), "{page}");
                assert!(page.contains("confirmation e-mail again"), "{page}");
                // Still unconfirmed.
                error(
                    app.get("/oauth/userinfo", Some(&user_token)).await,
                    StatusCode::FORBIDDEN,
                )
                .await;

                // A new link (sent now) works.
                json(
                    app.post_empty("/api/v1/emails/confirmations", Some(&user_token))
                        .await,
                    StatusCode::OK,
                )
                .await;
                let fresh = confirmation_token(&sink.wait_for("slowpoke@example.com", 2).await[1]);
                let r = app
                    .get(&format!("/auth/confirmation?confirmation_token={fresh}"), None)
                    .await;
                assert_eq!(r.status(), StatusCode::OK);
                json(
                    app.get("/oauth/userinfo", Some(&user_token)).await,
                    StatusCode::OK,
                )
                .await;
            }
        },
    )
    .await;
}

/// Runs one statement outside any test helper (DDL for fault injection).
async fn ddl(app: &TestApp, sql: &str) {
    let mut tx = app.state.db.begin().await.unwrap();
    woolly::with_conn!(tx.conn(), |c| sqlx::query(sqlx::AssertSqlSafe(sql))
        .execute(c)
        .await
        .map(|_| ()))
    .unwrap();
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn sign_up_is_one_transaction() {
    each_backend(|app| async move {
        let token = signup_token(&app).await;
        // Make issuing the new user's access token fail, after the account and user rows
        // were written.
        let sqlite = app.backend == woolly::db::Backend::Sqlite;
        if sqlite {
            ddl(
                &app,
                "CREATE TRIGGER no_user_tokens BEFORE INSERT ON oauth_access_tokens \
                 WHEN NEW.user_id IS NOT NULL BEGIN SELECT RAISE(ABORT, 'no user tokens'); END",
            )
            .await;
        } else {
            ddl(
                &app,
                "CREATE FUNCTION no_user_tokens() RETURNS trigger AS $$ BEGIN \
                 RAISE EXCEPTION 'no user tokens'; END $$ LANGUAGE plpgsql",
            )
            .await;
            ddl(
                &app,
                "CREATE TRIGGER no_user_tokens BEFORE INSERT ON oauth_access_tokens \
                 FOR EACH ROW WHEN (NEW.user_id IS NOT NULL) EXECUTE FUNCTION no_user_tokens()",
            )
            .await;
        }
        let r = sign_up(&app, &token, &signup_body("halfway")).await;
        assert_eq!(r.status(), StatusCode::INTERNAL_SERVER_ERROR);
        // Nothing of the sign-up remains: no account, no user, the address is free.
        let mut h = app.state.db.read().await.unwrap();
        assert!(
            woolly::db::accounts::find_by_username(h.conn(), "halfway", None)
                .await
                .unwrap()
                .is_none()
        );
        assert!(
            !woolly::db::accounts::email_taken(h.conn(), "halfway@example.com")
                .await
                .unwrap()
        );
        drop(h);

        // Once tokens can be issued again, the same sign-up succeeds.
        ddl(
            &app,
            if sqlite {
                "DROP TRIGGER no_user_tokens"
            } else {
                "DROP TRIGGER no_user_tokens ON oauth_access_tokens"
            },
        )
        .await;
        let v = json(
            sign_up(&app, &token, &signup_body("halfway")).await,
            StatusCode::OK,
        )
        .await;
        let me = json(
            app.get("/oauth/userinfo", Some(v["access_token"].as_str().unwrap()))
                .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(me["preferred_username"], "halfway");
    })
    .await;
}

#[tokio::test]
async fn without_smtp_accounts_are_confirmed_at_once() {
    each_backend(|app| async move {
        let token = signup_token(&app).await;
        json(
            sign_up(&app, &token, &signup_body("quick")).await,
            StatusCode::OK,
        )
        .await;
        let mut h = app.state.db.read().await.unwrap();
        let u = woolly::db::accounts::find_user_by_login(h.conn(), "quick")
            .await
            .unwrap()
            .unwrap();
        assert!(u.confirmed_at.is_some() && u.approved);
    })
    .await;
}

#[tokio::test]
async fn sign_up_rate_limit_and_headers() {
    each_backend_with(
        |cfg| cfg.rate_limit_exempt_loopback = false,
        |app| async move {
            // Every API response carries the headers.
            let r = app
                .get("/.well-known/oauth-authorization-server", None)
                .await;
            assert_eq!(r.status(), StatusCode::OK);
            assert_eq!(r.headers()["x-ratelimit-limit"], "300");
            let remaining: u32 = r.headers()["x-ratelimit-remaining"]
                .to_str()
                .unwrap()
                .parse()
                .unwrap();
            assert!(remaining < 300);
            assert!(
                r.headers()["x-ratelimit-reset"]
                    .to_str()
                    .unwrap()
                    .ends_with('Z')
            );

            let token = signup_token(&app).await;
            // Five attempts per 30 minutes per IP, whatever their outcome.
            for i in 0..5u32 {
                let r = sign_up(&app, &token, &json!({"username": format!("u{i}")})).await;
                assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
                assert_eq!(r.headers()["x-ratelimit-limit"], "5");
                assert_eq!(
                    r.headers()["x-ratelimit-remaining"],
                    (4 - i).to_string().as_str()
                );
            }
            let r = sign_up(&app, &token, &signup_body("sixth")).await;
            assert_eq!(r.headers()["x-ratelimit-limit"], "5");
            assert_eq!(r.headers()["x-ratelimit-remaining"], "0");
            assert!(r.headers().get("x-ratelimit-reset").is_some());
            let v = error(r, StatusCode::TOO_MANY_REQUESTS).await;
            assert!(v["error"].is_string());
            // Other endpoints are not affected by the sign-up limit.
            let r = app
                .get("/.well-known/oauth-authorization-server", None)
                .await;
            assert_eq!(r.status(), StatusCode::OK);
        },
    )
    .await;
}

#[tokio::test]
async fn loopback_is_exempt_by_default() {
    each_backend(|app| async move {
        let r = app
            .get("/.well-known/oauth-authorization-server", None)
            .await;
        assert_eq!(r.status(), StatusCode::OK);
        assert!(r.headers().get("x-ratelimit-limit").is_none());
    })
    .await;
}
