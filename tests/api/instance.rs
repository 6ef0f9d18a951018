//! Instance information, NodeInfo and the health probe.

use reqwest::StatusCode;
use serde_json::json;

use crate::common::*;
use crate::timelines::support::*;
use woolly::config::Registrations;

/// Makes `user` an admin.
async fn make_admin(app: &TestApp, user: &TestUser) {
    let mut tx = app.state.db.begin().await.unwrap();
    let u = woolly::db::accounts::get_user_by_account(tx.conn(), aid(user))
        .await
        .unwrap()
        .unwrap();
    woolly::db::accounts::set_role(tx.conn(), u.id, "admin", woolly::time::now_ms())
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn v2_instance_matches_mastodon() {
    each_backend_with(
        |c| {
            c.contact_email = "staff@example.com".into();
            c.title = "Wool Land".into();
        },
        |app| async move {
            let v = get_ok(&app, "/api/v2/instance", None).await;
            assert_eq!(v["contact"]["account"], json!(null));
            let admin = app.user("boss").await;
            make_admin(&app, &admin).await;
            post(&app, aid(&admin), "welcome").await;
            let v = get_ok(&app, "/api/v2/instance", None).await;
            assert_shape("GET /api/v2/instance 200", &v);
            assert_eq!(v["domain"], app.state.domain);
            assert_eq!(v["title"], "Wool Land");
            assert_eq!(
                v["version"],
                format!("4.3.0 (compatible; Woolly {})", env!("CARGO_PKG_VERSION"))
            );
            assert_eq!(v["api_versions"]["mastodon"], 2);
            assert_eq!(v["contact"]["email"], "staff@example.com");
            assert_eq!(v["contact"]["account"]["username"], "boss");
            assert_eq!(v["usage"]["users"]["active_month"], 1);
            let cfg = &v["configuration"];
            assert_eq!(cfg["urls"]["streaming"], app.state.config.streaming_url());
            assert_eq!(cfg["statuses"]["max_characters"], 500);
            assert_eq!(cfg["statuses"]["max_media_attachments"], 4);
            assert_eq!(cfg["statuses"]["characters_reserved_per_url"], 23);
            assert_eq!(cfg["accounts"]["max_display_name_length"], 30);
            assert_eq!(cfg["accounts"]["max_note_length"], 500);
            assert_eq!(cfg["accounts"]["max_profile_fields"], 4);
            assert_eq!(cfg["accounts"]["profile_field_value_limit"], 255);
            assert_eq!(cfg["accounts"]["max_pinned_statuses"], 5);
            assert_eq!(cfg["accounts"]["max_featured_tags"], 10);
            assert_eq!(cfg["polls"]["max_options"], 4);
            assert_eq!(v["registrations"]["enabled"], true);
            assert_eq!(v["registrations"]["approval_required"], false);
            assert_eq!(v["registrations"]["message"], json!(null));
            assert_eq!(v["languages"], json!(["en"]));
            assert_eq!(v["icon"], json!([]));
            // The thumbnail is served.
            let thumb = v["thumbnail"]["url"].as_str().unwrap().to_owned();
            let resp = app.client.get(thumb).send().await.unwrap();
            assert_eq!(resp.status(), StatusCode::OK);
            assert_eq!(resp.headers()["content-type"], "image/png");
        },
    )
    .await;
}

#[tokio::test]
async fn registration_modes_are_reported() {
    each_backend_with(
        |c| c.registrations = Registrations::Approval,
        |app| async move {
            let v = get_ok(&app, "/api/v2/instance", None).await;
            assert_eq!(v["registrations"]["enabled"], true);
            assert_eq!(v["registrations"]["approval_required"], true);
            let v = get_ok(&app, "/api/v1/instance", None).await;
            assert_eq!(v["registrations"], true);
            assert_eq!(v["approval_required"], true);
            let v = get_ok(&app, "/nodeinfo/2.0", None).await;
            assert_eq!(v["openRegistrations"], false);
        },
    )
    .await;
    each_backend_with(
        |c| c.registrations = Registrations::Closed,
        |app| async move {
            let v = get_ok(&app, "/api/v2/instance", None).await;
            assert_eq!(v["registrations"]["enabled"], false);
            let v = get_ok(&app, "/api/v1/instance", None).await;
            assert_eq!(v["registrations"], false);
        },
    )
    .await;
}

#[tokio::test]
async fn v1_instance_matches_mastodon() {
    each_backend(|app| async move {
        let admin = app.user("boss").await;
        make_admin(&app, &admin).await;
        let alice = app.user("alice").await;
        post(&app, aid(&admin), "one").await;
        post(&app, aid(&alice), "two").await;
        post(&app, aid(&alice), "three").await;
        let remote = remote_account(&app, "rita", "far.example").await;
        post(&app, remote, "remote posts are not counted").await;
        remote_account(&app, "ron", "far.example").await;
        remote_account(&app, "zed", "zz.example").await;
        let v = get_ok(&app, "/api/v1/instance", None).await;
        assert_shape("GET /api/v1/instance 200", &v);
        assert_eq!(v["uri"], app.state.domain);
        assert_eq!(
            v["stats"],
            json!({ "user_count": 2, "status_count": 3, "domain_count": 2 })
        );
        assert_eq!(v["urls"]["streaming_api"], app.state.config.streaming_url());
        assert_eq!(v["contact_account"]["username"], "boss");
        assert_eq!(v["configuration"]["statuses"]["max_characters"], 500);
        assert_eq!(v["invites_enabled"], false);
        assert!(v["thumbnail"].as_str().unwrap().starts_with(&app.url));

        let v = get_ok(&app, "/api/v1/instance/peers", None).await;
        assert_shape("GET /api/v1/instance/peers 200", &v);
        assert_eq!(v, json!(["far.example", "zz.example"]));
    })
    .await;
}

#[tokio::test]
async fn rules_descriptions_languages_and_emojis() {
    each_backend(|app| async move {
        let v = get_ok(&app, "/api/v1/instance/rules", None).await;
        assert_shape("GET /api/v1/instance/rules 200", &v);
        assert_eq!(v, json!([]));
        let mut tx = app.state.db.begin().await.unwrap();
        let now = woolly::time::now_ms();
        woolly::db::instance::insert_rule(tx.conn(), 7, "Be kind", "Really.", 2, now)
            .await
            .unwrap();
        woolly::db::instance::insert_rule(tx.conn(), 9, "No spam", "", 1, now)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let v = get_ok(&app, "/api/v1/instance/rules", None).await;
        assert_eq!(
            v,
            json!([
                { "id": "9", "text": "No spam", "hint": "", "translations": {} },
                { "id": "7", "text": "Be kind", "hint": "Really.", "translations": {} },
            ])
        );
        let instance = get_ok(&app, "/api/v2/instance", None).await;
        assert_eq!(instance["rules"], v);
        assert_eq!(get_ok(&app, "/api/v1/instance", None).await["rules"], v);

        let v = get_ok(&app, "/api/v1/instance/extended_description", None).await;
        assert_shape("GET /api/v1/instance/extended_description 200", &v);
        assert_eq!(v["content"], "<p>A Woolly server</p>");
        let v = get_ok(&app, "/api/v1/instance/languages", None).await;
        assert_shape("GET /api/v1/instance/languages 200", &v);
        assert!(
            v.as_array()
                .unwrap()
                .contains(&json!({ "code": "en", "name": "English" }))
        );
        let v = get_ok(&app, "/api/v1/instance/translation_languages", None).await;
        assert_shape("GET /api/v1/instance/translation_languages 200", &v);
        assert_eq!(v, json!({}));
        let v = get_ok(&app, "/api/v1/custom_emojis", None).await;
        assert_shape("GET /api/v1/custom_emojis 200", &v);
        assert_eq!(v, json!([]));
        // Unknown sub-resources stay 404s.
        error(
            app.get("/api/v1/instance/domain_blocks", None).await,
            StatusCode::NOT_FOUND,
        )
        .await;
    })
    .await;
}

#[tokio::test]
async fn weekly_activity_counts() {
    each_backend(|app| async move {
        let alice = app.user("alice").await;
        let bob = app.user("bob").await;
        post(&app, aid(&alice), "a").await;
        post(&app, aid(&bob), "b").await;
        post_with(&app, aid(&bob), Post::new("private").vis("private")).await;
        let remote = remote_account(&app, "rita", "far.example").await;
        post(&app, remote, "not local").await;
        let v = get_ok(&app, "/api/v1/instance/activity", None).await;
        assert_shape("GET /api/v1/instance/activity 200", &v);
        let weeks = v.as_array().unwrap();
        assert_eq!(weeks.len(), 12);
        assert_eq!(weeks[0]["statuses"], "3");
        assert_eq!(weeks[0]["registrations"], "2");
        assert_eq!(weeks[0]["logins"], "2");
        assert_eq!(weeks[1]["statuses"], "0");
        let w0: i64 = weeks[0]["week"].as_str().unwrap().parse().unwrap();
        let w1: i64 = weeks[1]["week"].as_str().unwrap().parse().unwrap();
        assert_eq!(w0 - w1, 7 * 86_400);
        let now = woolly::time::now_ms() / 1000;
        assert!(w0 <= now && now - w0 < 7 * 86_400);
    })
    .await;
}

#[tokio::test]
async fn nodeinfo_documents() {
    each_backend(|app| async move {
        let alice = app.user("alice").await;
        post(&app, aid(&alice), "hello").await;
        app.user("bob").await;
        let v = get_ok(&app, "/.well-known/nodeinfo", None).await;
        assert_shape("GET /.well-known/nodeinfo 200", &v);
        assert_eq!(
            v["links"][0],
            json!({
                "rel": "http://nodeinfo.diaspora.software/ns/schema/2.0",
                "href": format!("{}/nodeinfo/2.0", app.url),
            })
        );
        assert_eq!(
            v["links"][1]["href"],
            format!("{}/nodeinfo/2.1", app.url)
        );
        for version in ["2.0", "2.1"] {
            let resp = app.get(&format!("/nodeinfo/{version}"), None).await;
            assert_eq!(
                resp.headers()["content-type"],
                format!(
                    "application/json; profile=\"http://nodeinfo.diaspora.software/ns/schema/{version}#\""
                )
                .as_str()
            );
            let v = json(resp, StatusCode::OK).await;
            assert_shape("GET /nodeinfo/2.0 200", &v);
            assert_eq!(v["version"], version);
            assert_eq!(v["software"]["name"], "woolly");
            assert_eq!(v["software"]["version"], env!("CARGO_PKG_VERSION"));
            assert_eq!(v["protocols"], json!(["activitypub"]));
            assert_eq!(
                v["usage"],
                json!({ "users": { "total": 2, "activeMonth": 1, "activeHalfyear": 1 }, "localPosts": 1 })
            );
            assert_eq!(v["openRegistrations"], true);
            assert_eq!(v["metadata"]["nodeName"], "Woolly");
            assert_eq!(v["metadata"]["upstream"]["name"], "mastodon");
            assert_eq!(v["software"].get("repository").is_some(), version == "2.1");
        }
    })
    .await;
}

#[tokio::test]
async fn health_probe() {
    each_backend(|app| async move {
        let resp = app.get("/health", None).await;
        assert_eq!(resp.status(), StatusCode::OK);
        assert!(
            resp.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/plain")
        );
        assert_eq!(resp.text().await.unwrap(), "OK");
    })
    .await;
}
