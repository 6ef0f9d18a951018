//! The remote-interaction page (`/authorize_interaction`), where our WebFinger `subscribe`
//! template and other servers' "follow" buttons send people: sign in and come back, follow
//! a remote account with the form, open a remote post; refusals as HTML pages.

use reqwest::{Client, Response, StatusCode};
use serde_json::Value;

use super::network::{acct, lookup, relationship};
use super::*;
use crate::oauth::{browser, field, page as browse, submit_sign_in};

/// The `subscribe` template of `app`'s WebFinger answer for `user`.
async fn subscribe_template(app: &TestApp, user: &TestUser) -> String {
    let jrd: Value = json(
        app.get(
            &format!(
                "/.well-known/webfinger?resource=acct:{}@{}",
                user.username,
                domain(app)
            ),
            None,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    jrd["links"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["rel"] == "http://ostatus.org/schema/1.0/subscribe")
        .and_then(|l| l["template"].as_str())
        .expect("subscribe link")
        .to_owned()
}

/// GETs `path` on `app` in `browser`.
async fn open(app: &TestApp, browser: &Client, path: &str) -> Response {
    browser
        .get(format!("{}{path}", app.url))
        .send()
        .await
        .unwrap()
}

/// Submits the Follow form with `token` and `account_id`.
async fn submit_follow(app: &TestApp, browser: &Client, token: &str, account_id: &str) -> Response {
    browser
        .post(format!("{}/authorize_interaction", app.url))
        .form(&[("authenticity_token", token), ("account_id", account_id)])
        .send()
        .await
        .unwrap()
}

fn encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[tokio::test]
async fn following_and_opening_remote_things_from_the_interaction_page() {
    each_backend_pair(|a, b| async move {
        let alice = a.user("alice").await;
        let bob = b.user("bob").await;
        let note = post(&b, &bob, "a post to interact with", "public").await;

        // What our WebFinger advertises is this page.
        let template = subscribe_template(&a, &alice).await;
        assert_eq!(
            template,
            format!("{}/authorize_interaction?uri={{uri}}", a.url)
        );
        let path = template
            .strip_prefix(&a.url)
            .unwrap()
            .replace("{uri}", &encode(&acct(&b, &bob)));

        // Not signed in: to the sign-in form, and back after signing in.
        let browser = browser();
        let r = open(&a, &browser, &path).await;
        assert_eq!(r.status(), StatusCode::FOUND);
        let to_sign_in = r.headers()["location"].to_str().unwrap().to_owned();
        assert!(
            to_sign_in.starts_with("/auth/sign_in?return_to="),
            "{to_sign_in}"
        );
        let (status, html) = browse(&a, &browser, &to_sign_in).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(field(&html, "return_to").as_deref(), Some(path.as_str()));
        let r = submit_sign_in(&a, &browser, &html, "alice", "password123").await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert_eq!(r.headers()["location"], path.as_str());

        // Signed in: bob, resolved from B, with a Follow button.
        let (status, html) = browse(&a, &browser, &path).await;
        assert_eq!(status, StatusCode::OK, "{html}");
        assert!(html.contains(&format!("@{}", acct(&b, &bob))), "{html}");
        assert!(html.contains("action=\"/authorize_interaction\""), "{html}");
        let csrf = field(&html, "authenticity_token").unwrap();
        let account_id = field(&html, "account_id").unwrap();
        assert_eq!(account_id, lookup(&a, &alice, &acct(&b, &bob)).await);

        // A forged form is refused; the real one follows (a request until B accepts).
        let r = submit_follow(&a, &browser, "forged", &account_id).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        assert_eq!(
            relationship(&a, &alice, &account_id).await["requested"],
            false
        );
        let r = submit_follow(&a, &browser, &csrf, &account_id).await;
        assert_eq!(r.status(), StatusCode::OK);
        assert!(r.text().await.unwrap().contains("Follow requested"));
        settle(&[&a, &b]).await;
        assert_eq!(
            relationship(&a, &alice, &account_id).await["following"],
            true
        );
        let (_, html) = browse(&a, &browser, &path).await;
        assert!(html.contains("You are following"), "{html}");
        assert!(!html.contains("action=\"/authorize_interaction\""));

        // A post by its URI: a page linking to it.
        let uri = note["uri"].as_str().unwrap();
        let (status, html) = browse(
            &a,
            &browser,
            &format!("/authorize_interaction?uri={}", encode(uri)),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{html}");
        assert!(
            html.contains(&format!("href=\"{}\"", note["url"].as_str().unwrap())),
            "{html}"
        );

        // Nothing there, or nothing this viewer may see: the HTML error page.
        for missing in [
            format!("nobody@{}", domain(&b)),
            format!("{}/users/bob/statuses/1", b.url),
            "not a thing".to_owned(),
        ] {
            let r = open(
                &a,
                &browser,
                &format!("/authorize_interaction?uri={}", encode(&missing)),
            )
            .await;
            assert_eq!(r.status(), StatusCode::NOT_FOUND, "{missing}");
            assert!(
                r.headers()["content-type"]
                    .to_str()
                    .unwrap()
                    .starts_with("text/html")
            );
        }
        let r = open(&a, &browser, "/authorize_interaction").await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);

        // A local account by handle; one's own account has no button.
        let (_, html) = browse(&a, &browser, "/authorize_interaction?acct=acct:alice").await;
        assert!(html.contains("This is your own account."), "{html}");
    })
    .await;
}
