//! Applications, the authorization-code flow driven through the HTML pages (sign-in, consent,
//! PKCE), the other grants, revocation, scopes, the metadata document and userinfo.

use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

use crate::common::*;

pub const CALLBACK: &str = "https://app.example/callback";
pub const OOB: &str = "urn:ietf:wg:oauth:2.0:oob";
/// RFC 7636 appendix B.
pub const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
pub const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

/// A registered application's credentials.
#[derive(Debug, Clone)]
pub struct AppCreds {
    pub client_id: String,
    pub client_secret: String,
}

/// Registers an application with these scopes and redirect URIs (newline-separated).
pub async fn register_app(app: &TestApp, scopes: &str, redirect_uris: &str) -> AppCreds {
    let v = json(
        app.post_json(
            "/api/v1/apps",
            None,
            &json!({"client_name": "Test App", "redirect_uris": redirect_uris, "scopes": scopes, "website": "https://app.example"}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_shape("POST /api/v1/apps 200", &v);
    AppCreds {
        client_id: v["client_id"].as_str().unwrap().to_owned(),
        client_secret: v["client_secret"].as_str().unwrap().to_owned(),
    }
}

/// An app token (client_credentials) with `scope`.
pub async fn app_token(app: &TestApp, c: &AppCreds, scope: &str) -> String {
    let v = json(
        app.post_form(
            "/oauth/token",
            None,
            &[
                ("grant_type", "client_credentials"),
                ("client_id", &c.client_id),
                ("client_secret", &c.client_secret),
                ("scope", scope),
            ],
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_shape("POST /oauth/token 200", &v);
    v["access_token"].as_str().unwrap().to_owned()
}

/// Runs one SQL statement with one text and one string bind (`$1`, `$2`) on either backend.
pub async fn exec_sql(app: &TestApp, sql: &'static str, a: &str, b: &str) {
    let mut tx = app.state.db.begin().await.unwrap();
    woolly::with_conn!(tx.conn(), |c| sqlx::query(sql)
        .bind(a)
        .bind(b)
        .execute(c)
        .await
        .map(|r| r.rows_affected())
        .unwrap());
    tx.commit().await.unwrap();
}

/// A separate browser: its own cookie jar, redirects not followed.
pub fn browser() -> Client {
    Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .unwrap()
}

/// Undoes askama's HTML escaping of attribute values.
fn unescape(s: &str) -> String {
    s.replace("&#38;", "&")
        .replace("&amp;", "&")
        .replace("&#34;", "\"")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#60;", "<")
        .replace("&lt;", "<")
        .replace("&#62;", ">")
        .replace("&gt;", ">")
}

/// The value of the form field `name="…"` in a page.
pub fn field(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker)? + marker.len();
    let end = html[start..].find('"')? + start;
    Some(unescape(&html[start..end]))
}

/// The text of the element with `id="oauth-code"`.
pub fn oob_code(html: &str) -> Option<String> {
    let start = html.find("id=\"oauth-code\"")?;
    let open = html[start..].find('>')? + start + 1;
    let close = html[open..].find('<')? + open;
    Some(html[open..close].trim().to_owned())
}

fn query_param(url: &str, key: &str) -> Option<String> {
    let parsed = url::Url::parse(url).ok()?;
    parsed
        .query_pairs()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
}

pub fn authorize_path(
    c: &AppCreds,
    redirect_uri: &str,
    scope: &str,
    extra: &[(&str, &str)],
) -> String {
    let mut q = form_urlencoded::Serializer::new(String::new());
    q.append_pair("response_type", "code")
        .append_pair("client_id", &c.client_id)
        .append_pair("redirect_uri", redirect_uri)
        .append_pair("scope", scope);
    for (k, v) in extra {
        q.append_pair(k, v);
    }
    format!("/oauth/authorize?{}", q.finish())
}

/// GET a page in `b`; returns (status, body).
pub async fn page(app: &TestApp, b: &Client, path: &str) -> (StatusCode, String) {
    let r = b.get(format!("{}{}", app.url, path)).send().await.unwrap();
    (r.status(), r.text().await.unwrap())
}

/// Submits the sign-in form found in `html`; returns the response.
pub async fn submit_sign_in(
    app: &TestApp,
    b: &Client,
    html: &str,
    login: &str,
    password: &str,
) -> reqwest::Response {
    assert!(
        html.contains("action=\"/auth/sign_in\""),
        "not a sign-in page: {html}"
    );
    let csrf = field(html, "authenticity_token").expect("csrf field");
    let return_to = field(html, "return_to").expect("return_to field");
    b.post(format!("{}/auth/sign_in", app.url))
        .form(&[
            ("authenticity_token", csrf.as_str()),
            ("return_to", return_to.as_str()),
            ("login", login),
            ("password", password),
        ])
        .send()
        .await
        .unwrap()
}

/// Submits the consent form found in `html` with `decision`.
pub async fn submit_consent(
    app: &TestApp,
    b: &Client,
    html: &str,
    decision: &str,
) -> reqwest::Response {
    let mut form: Vec<(String, String)> = Vec::new();
    for name in [
        "authenticity_token",
        "response_type",
        "client_id",
        "redirect_uri",
        "scope",
        "state",
        "code_challenge",
        "code_challenge_method",
    ] {
        if let Some(v) = field(html, name) {
            form.push((name.to_owned(), v));
        }
    }
    form.push(("decision".into(), decision.into()));
    b.post(format!("{}/oauth/authorize", app.url))
        .form(&form)
        .send()
        .await
        .unwrap()
}

/// Signs in as `login` from the authorize page at `path` and returns the consent page HTML.
pub async fn sign_in_to_consent(app: &TestApp, b: &Client, path: &str, login: &str) -> String {
    let (status, html) = page(app, b, path).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    let r = submit_sign_in(app, b, &html, login, "password123").await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap()
    );
    let location = r.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with("/oauth/authorize?"));
    let (status, html) = page(app, b, &location).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Authorization required"), "{html}");
    html
}

/// The whole browser flow with PKCE: returns the authorization code from the redirect.
pub async fn authorize_code(app: &TestApp, c: &AppCreds, login: &str, scope: &str) -> String {
    let b = browser();
    let path = authorize_path(
        c,
        CALLBACK,
        scope,
        &[
            ("state", "st&te"),
            ("code_challenge", CHALLENGE),
            ("code_challenge_method", "S256"),
        ],
    );
    let html = sign_in_to_consent(app, &b, &path, login).await;
    let r = submit_consent(app, &b, &html, "approve").await;
    assert_eq!(r.status(), StatusCode::FOUND);
    let location = r.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with(CALLBACK), "{location}");
    assert_eq!(query_param(&location, "state").as_deref(), Some("st&te"));
    query_param(&location, "code").expect("code in redirect")
}

pub async fn exchange(
    app: &TestApp,
    c: &AppCreds,
    code: &str,
    redirect_uri: &str,
    verifier: Option<&str>,
) -> reqwest::Response {
    let mut form = vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", redirect_uri),
        ("client_id", c.client_id.as_str()),
        ("client_secret", c.client_secret.as_str()),
    ];
    if let Some(v) = verifier {
        form.push(("code_verifier", v));
    }
    app.post_form("/oauth/token", None, &form).await
}

async fn oauth_error(resp: reqwest::Response, status: StatusCode, code: &str) -> Value {
    let v = error(resp, status).await;
    assert_eq!(v["error"], code, "{v}");
    assert!(v["error_description"].is_string(), "{v}");
    v
}

#[tokio::test]
async fn apps_register_from_json_form_and_arrays() {
    each_backend(|app| async move {
        // JSON with an array of redirect URIs.
        let v = json(
            app.post_json(
                "/api/v1/apps",
                None,
                &json!({"client_name": "Elk", "redirect_uris": [CALLBACK, OOB], "scopes": "read write push"}),
            )
            .await,
            StatusCode::OK,
        )
        .await;
        assert_shape("POST /api/v1/apps 200", &v);
        assert_eq!(v["name"], "Elk");
        assert_eq!(v["website"], Value::Null);
        assert_eq!(v["scopes"], json!(["read", "write", "push"]));
        assert_eq!(v["redirect_uris"], json!([CALLBACK, OOB]));
        assert_eq!(v["redirect_uri"], format!("{CALLBACK}\n{OOB}"));
        assert_eq!(v["client_secret_expires_at"], 0);
        assert_eq!(v["vapid_key"], "");
        assert!(v["client_secret"].as_str().unwrap().len() >= 43);

        // The secret is stored only as a digest.
        let mut h = app.state.db.read().await.unwrap();
        let row = woolly::db::oauth::find_application_by_client_id(
            h.conn(),
            v["client_id"].as_str().unwrap(),
        )
        .await
        .unwrap()
        .unwrap();
        drop(h);
        assert_ne!(row.client_secret_hash, v["client_secret"].as_str().unwrap());
        assert_eq!(
            row.client_secret_hash,
            woolly::crypto::sha256_hex(v["client_secret"].as_str().unwrap())
        );

        // Form, with Rails-style array and default scope.
        let r = app
            .post_form(
                "/api/v1/apps",
                None,
                &[
                    ("client_name", "Tusky"),
                    ("redirect_uris[]", "tusky://oauth"),
                    ("redirect_uris[]", OOB),
                    ("website", "https://tusky.app"),
                ],
            )
            .await;
        let v = json(r, StatusCode::OK).await;
        assert_shape("POST /api/v1/apps 200", &v);
        assert_eq!(v["scopes"], json!(["read"]));
        assert_eq!(v["website"], "https://tusky.app");
        assert_eq!(v["redirect_uris"], json!(["tusky://oauth", OOB]));

        // A whitespace-separated string.
        let v = json(
            app.post_form(
                "/api/v1/apps",
                None,
                &[
                    ("client_name", "toot"),
                    ("redirect_uris", "https://a.example/cb https://a.example/other"),
                    ("scopes", "read:accounts write:statuses"),
                ],
            )
            .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(
            v["redirect_uris"],
            json!(["https://a.example/cb", "https://a.example/other"])
        );
        assert_eq!(v["scopes"], json!(["read:accounts", "write:statuses"]));
    })
    .await;
}

#[tokio::test]
async fn apps_validation_errors_are_422() {
    each_backend(|app| async move {
        let cases = [
            (json!({"redirect_uris": CALLBACK}), "Name can't be blank"),
            (json!({"client_name": "x"}), "Redirect URI can't be blank"),
            (
                json!({"client_name": "x", "redirect_uris": "/relative"}),
                "Redirect URI must be an absolute URI.",
            ),
            (
                json!({"client_name": "x", "redirect_uris": "https://a.example/#frag"}),
                "Redirect URI cannot contain a fragment.",
            ),
            (
                json!({"client_name": "x", "redirect_uris": CALLBACK, "scopes": "read bogus"}),
                "Scopes doesn't match configured on the server.",
            ),
            (
                json!({"client_name": "x", "redirect_uris": CALLBACK, "website": "not a url"}),
                "Website is not a valid URL",
            ),
            (
                json!({"client_name": "x".repeat(61), "redirect_uris": CALLBACK}),
                "Name is too long (maximum is 60 characters)",
            ),
        ];
        for (body, message) in cases {
            let v = error(
                app.post_json("/api/v1/apps", None, &body).await,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
            assert_eq!(
                v["error"],
                format!("Validation failed: {message}"),
                "{body}"
            );
        }
        // Several problems are reported together.
        let v = error(
            app.post_json("/api/v1/apps", None, &json!({})).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(
            v["error"],
            "Validation failed: Name can't be blank, Redirect URI can't be blank"
        );
        // Malformed JSON is a 400.
        let r = app
            .req(reqwest::Method::POST, "/api/v1/apps")
            .header("content-type", "application/json")
            .body("{not json")
            .send()
            .await
            .unwrap();
        error(r, StatusCode::BAD_REQUEST).await;
    })
    .await;
}

#[tokio::test]
async fn apps_verify_credentials() {
    each_backend(|app| async move {
        let c = register_app(&app, "read write", CALLBACK).await;
        let token = app_token(&app, &c, "read").await;
        let v = json(
            app.get("/api/v1/apps/verify_credentials", Some(&token))
                .await,
            StatusCode::OK,
        )
        .await;
        assert_shape("GET /api/v1/apps/verify_credentials 200", &v);
        assert_eq!(v["name"], "Test App");
        assert_eq!(v["website"], "https://app.example");
        assert_eq!(v["scopes"], json!(["read", "write"]));
        assert!(v.get("client_secret").is_none());
        error(
            app.get("/api/v1/apps/verify_credentials", None).await,
            StatusCode::UNAUTHORIZED,
        )
        .await;
        error(
            app.get("/api/v1/apps/verify_credentials", Some("nope"))
                .await,
            StatusCode::UNAUTHORIZED,
        )
        .await;
    })
    .await;
}

#[tokio::test]
async fn authorization_code_flow_with_pkce() {
    each_backend(|app| async move {
        app.user("alice").await;
        let c = register_app(&app, "read write follow push", CALLBACK).await;

        let code = authorize_code(&app, &c, "alice", "read write").await;
        let v = json(
            exchange(&app, &c, &code, CALLBACK, Some(VERIFIER)).await,
            StatusCode::OK,
        )
        .await;
        assert_shape("POST /oauth/token 200", &v);
        assert_eq!(v["token_type"], "Bearer");
        assert_eq!(v["scope"], "read write");
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        assert!((v["created_at"].as_i64().unwrap() - now).abs() < 60);
        let token = v["access_token"].as_str().unwrap().to_owned();
        // The token is stored only as a digest.
        let mut h = app.state.db.read().await.unwrap();
        assert!(
            woolly::db::oauth::find_token(h.conn(), &woolly::crypto::sha256_hex(&token))
                .await
                .unwrap()
                .is_some()
        );
        drop(h);

        let me = json(
            app.get("/oauth/userinfo", Some(&token)).await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(me["preferred_username"], "alice");
        let v = json(
            app.get("/api/v1/apps/verify_credentials", Some(&token))
                .await,
            StatusCode::OK,
        )
        .await;
        assert_shape("GET /api/v1/apps/verify_credentials 200", &v);

        // A code works once.
        oauth_error(
            exchange(&app, &c, &code, CALLBACK, Some(VERIFIER)).await,
            StatusCode::BAD_REQUEST,
            "invalid_grant",
        )
        .await;

        // A wrong verifier is refused, and the code is then spent.
        let code = authorize_code(&app, &c, "alice", "read").await;
        oauth_error(
            exchange(&app, &c, &code, CALLBACK, Some(&"x".repeat(43))).await,
            StatusCode::BAD_REQUEST,
            "invalid_grant",
        )
        .await;
        oauth_error(
            exchange(&app, &c, &code, CALLBACK, Some(VERIFIER)).await,
            StatusCode::BAD_REQUEST,
            "invalid_grant",
        )
        .await;

        // A missing verifier is a malformed request that leaves the code usable; so is another
        // client presenting it. A redirect URI mismatch spends it.
        let code = authorize_code(&app, &c, "alice", "read").await;
        oauth_error(
            exchange(&app, &c, &code, CALLBACK, None).await,
            StatusCode::BAD_REQUEST,
            "invalid_request",
        )
        .await;
        let other = register_app(&app, "read", CALLBACK).await;
        oauth_error(
            exchange(&app, &other, &code, CALLBACK, Some(VERIFIER)).await,
            StatusCode::BAD_REQUEST,
            "invalid_grant",
        )
        .await;
        let v = json(
            exchange(&app, &c, &code, CALLBACK, Some(VERIFIER)).await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(v["scope"], "read");
        let code = authorize_code(&app, &c, "alice", "read").await;
        oauth_error(
            exchange(&app, &c, &code, "https://app.example/other", Some(VERIFIER)).await,
            StatusCode::BAD_REQUEST,
            "invalid_grant",
        )
        .await;

        // Missing parameters, wrong client secret.
        oauth_error(
            app.post_form(
                "/oauth/token",
                None,
                &[
                    ("grant_type", "authorization_code"),
                    ("client_id", &c.client_id),
                    ("client_secret", &c.client_secret),
                ],
            )
            .await,
            StatusCode::BAD_REQUEST,
            "invalid_request",
        )
        .await;
        let bad = AppCreds {
            client_id: c.client_id.clone(),
            client_secret: "wrong".into(),
        };
        let r = exchange(&app, &bad, "whatever", CALLBACK, Some(VERIFIER)).await;
        assert!(r.headers().get("www-authenticate").is_some());
        oauth_error(r, StatusCode::UNAUTHORIZED, "invalid_client").await;
    })
    .await;
}

#[tokio::test]
async fn authorization_without_pkce_and_with_json_and_basic_auth() {
    each_backend(|app| async move {
        app.user("alice").await;
        let c = register_app(&app, "read write", CALLBACK).await;
        let b = browser();
        let path = authorize_path(&c, CALLBACK, "read", &[]);
        let html = sign_in_to_consent(&app, &b, &path, "alice@example.com").await;
        assert!(html.contains("@alice"));
        assert!(html.contains("Test App"));
        let r = submit_consent(&app, &b, &html, "approve").await;
        assert_eq!(r.status(), StatusCode::FOUND);
        let location = r.headers()["location"].to_str().unwrap().to_owned();
        assert_eq!(query_param(&location, "state"), None);
        let code = query_param(&location, "code").unwrap();
        // JSON body, client authenticated with HTTP Basic.
        let r = app
            .req(reqwest::Method::POST, "/oauth/token")
            .basic_auth(&c.client_id, Some(&c.client_secret))
            .json(&json!({"grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.headers()["cache-control"], "no-store");
        let v = json(r, StatusCode::OK).await;
        assert_shape("POST /oauth/token 200", &v);
        assert_eq!(v["scope"], "read");

        // A verifier for a code issued without a challenge is refused.
        let r = submit_consent(&app, &b, &html, "approve").await;
        let code = query_param(r.headers()["location"].to_str().unwrap(), "code").unwrap();
        oauth_error(
            exchange(&app, &c, &code, CALLBACK, Some(VERIFIER)).await,
            StatusCode::BAD_REQUEST,
            "invalid_grant",
        )
        .await;

        // Signed in already: the consent page comes at once, unless force_login.
        let (status, html) = page(&app, &b, &path).await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("Authorization required"));
        let forced = authorize_path(&c, CALLBACK, "read", &[("force_login", "true")]);
        let (_, html) = page(&app, &b, &forced).await;
        assert!(html.contains("action=\"/auth/sign_in\""));
        assert!(!field(&html, "return_to").unwrap().contains("force_login"));
    })
    .await;
}

#[tokio::test]
async fn deny_redirects_with_access_denied() {
    each_backend(|app| async move {
        app.user("alice").await;
        let c = register_app(&app, "read", CALLBACK).await;
        let b = browser();
        let path = authorize_path(&c, CALLBACK, "read", &[("state", "s1")]);
        let html = sign_in_to_consent(&app, &b, &path, "alice").await;
        let r = submit_consent(&app, &b, &html, "deny").await;
        assert_eq!(r.status(), StatusCode::FOUND);
        let location = r.headers()["location"].to_str().unwrap().to_owned();
        assert!(location.starts_with(CALLBACK));
        assert_eq!(
            query_param(&location, "error").as_deref(),
            Some("access_denied")
        );
        assert_eq!(query_param(&location, "state").as_deref(), Some("s1"));
        assert_eq!(query_param(&location, "code"), None);
    })
    .await;
}

#[tokio::test]
async fn consent_requires_csrf_token_and_session() {
    each_backend(|app| async move {
        app.user("alice").await;
        let c = register_app(&app, "read", CALLBACK).await;
        let b = browser();
        let path = authorize_path(&c, CALLBACK, "read", &[]);
        let html = sign_in_to_consent(&app, &b, &path, "alice").await;
        let forged = html.replace(
            &field(&html, "authenticity_token").unwrap(),
            "forged-token-forged-token-forged-token-xx",
        );
        let r = submit_consent(&app, &b, &forged, "approve").await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        assert!(r.headers().get("location").is_none());
        // Another browser without a session gets the sign-in form, not a code.
        let r = submit_consent(&app, &browser(), &html, "approve").await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        assert!(r.text().await.unwrap().contains("action=\"/auth/sign_in\""));
        // The sign-in form itself needs its cookie-bound token.
        let r = browser()
            .post(format!("{}/auth/sign_in", app.url))
            .form(&[
                ("login", "alice"),
                ("password", "password123"),
                ("authenticity_token", "x"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        assert!(
            r.headers()
                .get("set-cookie")
                .is_none_or(|v| !v.to_str().unwrap().starts_with("woolly_session="))
        );
    })
    .await;
}

#[tokio::test]
async fn session_cookie_is_http_only_and_lax() {
    each_backend(|app| async move {
        app.user("alice").await;
        let c = register_app(&app, "read", CALLBACK).await;
        let b = browser();
        let (_, html) = page(&app, &b, &authorize_path(&c, CALLBACK, "read", &[])).await;
        let r = submit_sign_in(&app, &b, &html, "alice", "password123").await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let cookie = r
            .headers()
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .find(|v| v.starts_with("woolly_session="))
            .expect("session cookie");
        assert!(cookie.contains("HttpOnly"));
        assert!(cookie.contains("SameSite=Lax"));
        assert!(!cookie.contains("Secure"), "http:// server: no Secure flag");
        // Only the digest is stored.
        let raw = cookie["woolly_session=".len()..].split(';').next().unwrap();
        let mut h = app.state.db.read().await.unwrap();
        let s = woolly::db::oauth::find_session(
            h.conn(),
            &woolly::crypto::sha256_hex(raw),
            woolly::time::now_ms(),
        )
        .await
        .unwrap();
        assert!(s.is_some());
    })
    .await;
}

#[tokio::test]
async fn invalid_authorization_requests_get_an_error_page() {
    each_backend(|app| async move {
        let c = register_app(&app, "read write", CALLBACK).await;
        let unknown = AppCreds {
            client_id: "unknown".into(),
            client_secret: String::new(),
        };
        let cases = [
            authorize_path(&unknown, CALLBACK, "read", &[]),
            authorize_path(&c, "https://evil.example/cb", "read", &[]),
            authorize_path(&c, CALLBACK, "read push", &[]),
            authorize_path(&c, CALLBACK, "read bogus", &[]),
            authorize_path(
                &c,
                CALLBACK,
                "read",
                &[
                    ("code_challenge", CHALLENGE),
                    ("code_challenge_method", "plain"),
                ],
            ),
            authorize_path(
                &c,
                CALLBACK,
                "read",
                &[
                    ("code_challenge", "short"),
                    ("code_challenge_method", "S256"),
                ],
            ),
            authorize_path(&c, CALLBACK, "read", &[])
                .replace("response_type=code", "response_type=token"),
            "/oauth/authorize".to_owned(),
        ];
        for path in cases {
            let r = app.get(&path, None).await;
            assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{path}");
            assert!(r.headers().get("location").is_none());
            assert!(
                r.headers()["content-type"]
                    .to_str()
                    .unwrap()
                    .starts_with("text/html")
            );
            let body = r.text().await.unwrap();
            assert!(body.contains("Authorization failed"), "{body}");
            assert!(!body.contains("evil.example"));
        }
        // The client_id is HTML-escaped when echoed anywhere.
        let r = app
            .get(
                "/oauth/authorize?response_type=code&client_id=%3Cscript%3E",
                None,
            )
            .await;
        assert!(!r.text().await.unwrap().contains("<script>"));
    })
    .await;
}

#[tokio::test]
async fn sign_in_refusals() {
    each_backend(|app| async move {
        app.user("alice").await;
        app.user("dora").await;
        app.user("otto").await;
        app.user("una").await;
        app.user("pat").await;
        exec_sql(
            &app,
            "UPDATE users SET disabled = TRUE WHERE email = $1 OR email = $2",
            "dora@example.com",
            "",
        )
        .await;
        exec_sql(
            &app,
            "UPDATE users SET otp_secret = $2 WHERE email = $1",
            "otto@example.com",
            "JBSWY3DPEHPK3PXP",
        )
        .await;
        exec_sql(
            &app,
            "UPDATE users SET confirmed_at = NULL WHERE email = $1 OR email = $2",
            "una@example.com",
            "",
        )
        .await;
        exec_sql(
            &app,
            "UPDATE users SET approved = FALSE WHERE email = $1 OR email = $2",
            "pat@example.com",
            "",
        )
        .await;
        let c = register_app(&app, "read", CALLBACK).await;
        let path = authorize_path(&c, CALLBACK, "read", &[]);
        let cases = [
            (
                "alice",
                "wrong-password",
                StatusCode::UNAUTHORIZED,
                "Invalid e-mail address",
            ),
            (
                "nobody",
                "password123",
                StatusCode::UNAUTHORIZED,
                "Invalid e-mail address",
            ),
            ("dora", "password123", StatusCode::FORBIDDEN, "disabled"),
            ("otto", "password123", StatusCode::FORBIDDEN, "two-factor"),
            (
                "una",
                "password123",
                StatusCode::FORBIDDEN,
                "confirm your e-mail",
            ),
            (
                "pat",
                "password123",
                StatusCode::FORBIDDEN,
                "pending review",
            ),
        ];
        for (login, password, status, message) in cases {
            let b = browser();
            let (_, html) = page(&app, &b, &path).await;
            let r = submit_sign_in(&app, &b, &html, login, password).await;
            assert_eq!(r.status(), status, "{login}");
            let body = r.text().await.unwrap();
            assert!(body.contains(message), "{login}: {body}");
            assert!(body.contains("action=\"/auth/sign_in\""));
            // Still not signed in.
            let (_, html) = page(&app, &b, &path).await;
            assert!(html.contains("action=\"/auth/sign_in\""), "{login}");
        }
    })
    .await;
}

#[tokio::test]
async fn oob_shows_the_code() {
    each_backend(|app| async move {
        app.user("alice").await;
        let c = register_app(&app, "read write", OOB).await;
        let b = browser();
        let path = authorize_path(&c, OOB, "read", &[]);
        let html = sign_in_to_consent(&app, &b, &path, "alice").await;
        let r = submit_consent(&app, &b, &html, "approve").await;
        assert_eq!(r.status(), StatusCode::OK);
        assert!(r.headers().get("location").is_none());
        let body = r.text().await.unwrap();
        let code = oob_code(&body).expect("code on the page");
        assert!(code.len() >= 43);
        let v = json(exchange(&app, &c, &code, OOB, None).await, StatusCode::OK).await;
        assert_shape("POST /oauth/token 200", &v);
        // Without a redirect_uri parameter, the single registered URI is used.
        let path = format!(
            "/oauth/authorize?response_type=code&client_id={}&scope=read",
            c.client_id
        );
        let (status, html) = page(&app, &b, &path).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(field(&html, "redirect_uri").as_deref(), Some(OOB));
    })
    .await;
}

#[tokio::test]
async fn client_credentials_grant() {
    each_backend(|app| async move {
        let c = register_app(&app, "read write", CALLBACK).await;
        let token = app_token(&app, &c, "read").await;
        // App tokens have no user.
        let v = error(
            app.get("/oauth/userinfo", Some(&token)).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert!(v["error"].as_str().unwrap().contains("authenticated user"));
        // Default scope is read.
        let v = json(
            app.post_form(
                "/oauth/token",
                None,
                &[
                    ("grant_type", "client_credentials"),
                    ("client_id", &c.client_id),
                    ("client_secret", &c.client_secret),
                ],
            )
            .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(v["scope"], "read");
        // Beyond the registered scopes.
        oauth_error(
            app.post_form(
                "/oauth/token",
                None,
                &[
                    ("grant_type", "client_credentials"),
                    ("client_id", &c.client_id),
                    ("client_secret", &c.client_secret),
                    ("scope", "read push"),
                ],
            )
            .await,
            StatusCode::BAD_REQUEST,
            "invalid_scope",
        )
        .await;
        // Unknown client, missing and unsupported grant types.
        oauth_error(
            app.post_form(
                "/oauth/token",
                None,
                &[
                    ("grant_type", "client_credentials"),
                    ("client_id", "nope"),
                    ("client_secret", "x"),
                ],
            )
            .await,
            StatusCode::UNAUTHORIZED,
            "invalid_client",
        )
        .await;
        oauth_error(
            app.post_form("/oauth/token", None, &[("client_id", &c.client_id)])
                .await,
            StatusCode::BAD_REQUEST,
            "invalid_request",
        )
        .await;
        oauth_error(
            app.post_form(
                "/oauth/token",
                None,
                &[
                    ("grant_type", "implicit"),
                    ("client_id", &c.client_id),
                    ("client_secret", &c.client_secret),
                ],
            )
            .await,
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
        )
        .await;
    })
    .await;
}

async fn password_grant(
    app: &TestApp,
    c: &AppCreds,
    username: &str,
    password: &str,
) -> reqwest::Response {
    app.post_form(
        "/oauth/token",
        None,
        &[
            ("grant_type", "password"),
            ("client_id", &c.client_id),
            ("client_secret", &c.client_secret),
            ("username", username),
            ("password", password),
            ("scope", "read write"),
        ],
    )
    .await
}

#[tokio::test]
async fn password_grant_by_email_and_username() {
    each_backend(|app| async move {
        app.user("alice").await;
        app.user("otto").await;
        app.user("dora").await;
        exec_sql(
            &app,
            "UPDATE users SET otp_secret = $2 WHERE email = $1",
            "otto@example.com",
            "JBSWY3DPEHPK3PXP",
        )
        .await;
        exec_sql(
            &app,
            "UPDATE users SET disabled = TRUE WHERE email = $1 OR email = $2",
            "dora@example.com",
            "",
        )
        .await;
        let c = register_app(&app, "read write", CALLBACK).await;
        for login in ["alice@example.com", "ALICE", "alice"] {
            let v = json(
                password_grant(&app, &c, login, "password123").await,
                StatusCode::OK,
            )
            .await;
            assert_shape("POST /oauth/token 200", &v);
            assert_eq!(v["scope"], "read write");
            let me = json(
                app.get("/oauth/userinfo", Some(v["access_token"].as_str().unwrap()))
                    .await,
                StatusCode::OK,
            )
            .await;
            assert_eq!(me["preferred_username"], "alice");
        }
        oauth_error(
            password_grant(&app, &c, "alice", "wrong").await,
            StatusCode::BAD_REQUEST,
            "invalid_grant",
        )
        .await;
        oauth_error(
            password_grant(&app, &c, "nobody", "password123").await,
            StatusCode::BAD_REQUEST,
            "invalid_grant",
        )
        .await;
        let v = oauth_error(
            password_grant(&app, &c, "otto", "password123").await,
            StatusCode::BAD_REQUEST,
            "invalid_grant",
        )
        .await;
        assert!(
            v["error_description"]
                .as_str()
                .unwrap()
                .contains("two-factor")
        );
        oauth_error(
            password_grant(&app, &c, "dora", "password123").await,
            StatusCode::BAD_REQUEST,
            "invalid_grant",
        )
        .await;
        oauth_error(
            password_grant(&app, &c, "", "password123").await,
            StatusCode::BAD_REQUEST,
            "invalid_request",
        )
        .await;
    })
    .await;
}

#[tokio::test]
async fn password_grant_can_be_disabled() {
    each_backend_with(
        |cfg| cfg.password_grant = false,
        |app| async move {
            app.user("alice").await;
            let c = register_app(&app, "read write", CALLBACK).await;
            oauth_error(
                password_grant(&app, &c, "alice", "password123").await,
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
            )
            .await;
            let v = json(
                app.get("/.well-known/oauth-authorization-server", None)
                    .await,
                StatusCode::OK,
            )
            .await;
            assert_eq!(
                v["grant_types_supported"],
                json!(["authorization_code", "client_credentials"])
            );
        },
    )
    .await;
}

#[tokio::test]
async fn revoke_then_401() {
    each_backend(|app| async move {
        app.user("alice").await;
        let c = register_app(&app, "read write", CALLBACK).await;
        let v = json(
            password_grant(&app, &c, "alice", "password123").await,
            StatusCode::OK,
        )
        .await;
        let token = v["access_token"].as_str().unwrap().to_owned();
        json(
            app.get("/oauth/userinfo", Some(&token)).await,
            StatusCode::OK,
        )
        .await;

        // Another client may not revoke it.
        let other = register_app(&app, "read", CALLBACK).await;
        oauth_error(
            app.post_form(
                "/oauth/revoke",
                None,
                &[
                    ("client_id", &other.client_id),
                    ("client_secret", &other.client_secret),
                    ("token", &token),
                ],
            )
            .await,
            StatusCode::FORBIDDEN,
            "unauthorized_client",
        )
        .await;
        // Bad client credentials.
        oauth_error(
            app.post_form(
                "/oauth/revoke",
                None,
                &[
                    ("client_id", &c.client_id),
                    ("client_secret", "wrong"),
                    ("token", &token),
                ],
            )
            .await,
            StatusCode::UNAUTHORIZED,
            "invalid_client",
        )
        .await;
        json(
            app.get("/oauth/userinfo", Some(&token)).await,
            StatusCode::OK,
        )
        .await;

        let revoke = |t: String| {
            let app = &app;
            let c = &c;
            async move {
                app.post_form(
                    "/oauth/revoke",
                    None,
                    &[
                        ("client_id", &c.client_id),
                        ("client_secret", &c.client_secret),
                        ("token", &t),
                    ],
                )
                .await
            }
        };
        assert_eq!(
            json(revoke(token.clone()).await, StatusCode::OK).await,
            json!({})
        );
        let v = error(
            app.get("/oauth/userinfo", Some(&token)).await,
            StatusCode::UNAUTHORIZED,
        )
        .await;
        assert_eq!(v["error"], "The access token is invalid");
        // Idempotent, and unknown tokens are fine too (RFC 7009).
        assert_eq!(
            json(revoke(token.clone()).await, StatusCode::OK).await,
            json!({})
        );
        assert_eq!(
            json(revoke("never-issued".into()).await, StatusCode::OK).await,
            json!({})
        );
    })
    .await;
}

#[tokio::test]
async fn scopes_are_enforced() {
    each_backend(|app| async move {
        let reader = app.user_with_scopes("reader", "read:accounts").await;
        // read:accounts may read the profile…
        let v = json(app.get("/oauth/userinfo", Some(&reader.token)).await, StatusCode::OK).await;
        assert_eq!(v["preferred_username"], "reader");
        // …but not write.
        let v = error(
            app.post_json(
                "/api/v1/accounts",
                Some(&reader.token),
                &json!({"username": "x", "email": "x@example.com", "password": "password123", "agreement": true}),
            )
            .await,
            StatusCode::FORBIDDEN,
        )
        .await;
        assert_eq!(v["error"], "This action is outside the authorized scopes");
        let writer = app.user_with_scopes("writer", "write:statuses").await;
        error(app.get("/oauth/userinfo", Some(&writer.token)).await, StatusCode::FORBIDDEN).await;
        let profile = app.user_with_scopes("prof", "profile").await;
        json(app.get("/oauth/userinfo", Some(&profile.token)).await, StatusCode::OK).await;
        // No token.
        error(app.get("/oauth/userinfo", None).await, StatusCode::UNAUTHORIZED).await;
    })
    .await;
}

#[tokio::test]
async fn metadata_document() {
    each_backend(|app| async move {
        let v = json(
            app.get("/.well-known/oauth-authorization-server", None)
                .await,
            StatusCode::OK,
        )
        .await;
        assert_shape("GET /.well-known/oauth-authorization-server 200", &v);
        assert_eq!(v["issuer"], format!("{}/", app.url));
        assert_eq!(
            v["authorization_endpoint"],
            format!("{}/oauth/authorize", app.url)
        );
        assert_eq!(v["token_endpoint"], format!("{}/oauth/token", app.url));
        assert_eq!(
            v["revocation_endpoint"],
            format!("{}/oauth/revoke", app.url)
        );
        assert_eq!(
            v["userinfo_endpoint"],
            format!("{}/oauth/userinfo", app.url)
        );
        assert_eq!(
            v["app_registration_endpoint"],
            format!("{}/api/v1/apps", app.url)
        );
        assert_eq!(v["response_types_supported"], json!(["code"]));
        assert_eq!(v["code_challenge_methods_supported"], json!(["S256"]));
        assert_eq!(
            v["grant_types_supported"],
            json!(["authorization_code", "password", "client_credentials"])
        );
        let scopes = v["scopes_supported"].as_array().unwrap();
        for s in [
            "read",
            "write",
            "follow",
            "push",
            "profile",
            "read:statuses",
        ] {
            assert!(scopes.contains(&json!(s)), "{s}");
        }
    })
    .await;
}

#[tokio::test]
async fn userinfo_claims() {
    each_backend(|app| async move {
        let alice = app.user("alice").await;
        for method in [reqwest::Method::GET, reqwest::Method::POST] {
            let r = app
                .req(method, "/oauth/userinfo")
                .bearer_auth(&alice.token)
                .send()
                .await
                .unwrap();
            let v = json(r, StatusCode::OK).await;
            assert_eq!(v["iss"], format!("{}/", app.url));
            assert_eq!(v["sub"], format!("{}/users/alice", app.url));
            assert_eq!(v["preferred_username"], "alice");
            assert_eq!(v["name"], "");
            assert_eq!(v["profile"], format!("{}/@alice", app.url));
            assert_eq!(
                v["picture"],
                format!("{}/avatars/original/missing.png", app.url)
            );
        }
    })
    .await;
}

#[tokio::test]
async fn password_attempts_are_rate_limited() {
    each_backend_with(
        |cfg| cfg.rate_limit_exempt_loopback = false,
        |app| async move {
            app.user("alice").await;
            let c = register_app(&app, "read write", CALLBACK).await;
            for _ in 0..25 {
                oauth_error(
                    password_grant(&app, &c, "alice", "guess").await,
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                )
                .await;
            }
            // Even the right password waits now, in the API and on the sign-in page.
            oauth_error(
                password_grant(&app, &c, "alice", "password123").await,
                StatusCode::TOO_MANY_REQUESTS,
                "slow_down",
            )
            .await;
            let b = browser();
            let (_, html) = page(&app, &b, &authorize_path(&c, CALLBACK, "read", &[])).await;
            let r = submit_sign_in(&app, &b, &html, "alice", "password123").await;
            assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
            assert!(
                r.text()
                    .await
                    .unwrap()
                    .contains("Too many sign-in attempts")
            );
        },
    )
    .await;
}
