//! `POST /api/v2/media`, `POST /api/v1/media`, `GET`/`PUT`/`DELETE /api/v1/media/:id`, and
//! the files served under `/system/`.

use reqwest::{Method, StatusCode};
use serde_json::json;

use super::*;

/// Keys of Mastodon's media shapes that only video and audio have.
const AV_ONLY: &[&str] = &["colors", "frame_rate", "duration", "bitrate"];

#[tokio::test]
async fn v2_upload_is_processed_by_a_job_then_served() {
    each_backend(|app| async move {
        let alice = app.user("alice").await;
        let r = upload_to(
            &app,
            &alice.token,
            "/api/v2/media",
            jpeg(1280, 720),
            "image/jpeg",
            &[("description", "A gradient"), ("focus", "0.5,-0.25")],
        )
        .await;
        let pending = json(r, StatusCode::ACCEPTED).await;
        // While processing: no `url` yet, nor sizes or blurhash.
        let mut ignored = AV_ONLY.to_vec();
        ignored.extend(["original", "small", "blurhash"]);
        assert_shape_ignoring("POST /api/v2/media 202", &pending, &ignored);
        assert!(pending["url"].is_null());
        assert_eq!(pending["type"], "image");
        assert_eq!(pending["description"], "A gradient");
        assert_eq!(pending["meta"]["focus"], json!({ "x": 0.5, "y": -0.25 }));

        let id = pending["id"].as_str().unwrap();
        let ready = wait_ready(&app, &alice.token, id).await;
        assert_shape_ignoring("GET /api/v1/media/:id 200", &ready, AV_ONLY);
        assert_eq!(
            ready["meta"]["original"],
            json!({ "width": 1280, "height": 720, "size": "1280x720", "aspect": 1280.0 / 720.0 })
        );
        assert_eq!(ready["meta"]["small"]["size"], "640x360");
        assert!(!ready["blurhash"].as_str().unwrap().is_empty());
        assert_eq!(ready["preview_url"], pending["preview_url"]);

        let url = ready["url"].as_str().unwrap();
        assert!(url.starts_with(&format!("{}/system/media/", app.url)));
        let file = fetch(&app, url).await;
        assert_eq!(file.status(), StatusCode::OK);
        let h = file.headers().clone();
        assert_eq!(h["content-type"], "image/jpeg");
        assert_eq!(h["x-content-type-options"], "nosniff");
        assert!(
            h["cache-control"]
                .to_str()
                .unwrap()
                .contains("max-age=31536000")
        );
        let bytes = file.bytes().await.unwrap();
        let img = image::load_from_memory(&bytes).unwrap();
        assert_eq!((img.width(), img.height()), (1280, 720));
        let preview = fetch(&app, ready["preview_url"].as_str().unwrap()).await;
        assert_eq!(preview.status(), StatusCode::OK);
        let small = image::load_from_memory(&preview.bytes().await.unwrap()).unwrap();
        assert_eq!((small.width(), small.height()), (640, 360));
        // The raw upload is gone once processed: only the two files remain.
        app.run_jobs().await;
        let files = stored_files(&app);
        assert_eq!(files.len(), 2, "{files:?}");
        assert!(files.iter().all(|f| f.starts_with("media/")));
    })
    .await;
}

#[tokio::test]
async fn exif_orientation_is_applied_and_metadata_stripped() {
    each_backend(|app| async move {
        let alice = app.user("alice").await;
        let data = jpeg_with_exif(40, 20);
        assert!(
            data.windows(18).any(|w| w == b"WOOLLY-SECRET-EXIF"),
            "the test file carries its marker"
        );
        let ready = upload_ready(&app, &alice.token, data, "image/jpeg").await;
        // Orientation 6: the stored picture is turned upright (portrait).
        assert_eq!(ready["meta"]["original"]["width"], 20);
        assert_eq!(ready["meta"]["original"]["height"], 40);
        for key in ["url", "preview_url"] {
            let bytes = fetch(&app, ready[key].as_str().unwrap())
                .await
                .bytes()
                .await
                .unwrap();
            assert!(!bytes.windows(4).any(|w| w == b"Exif"), "{key} keeps EXIF");
            assert!(
                !bytes.windows(18).any(|w| w == b"WOOLLY-SECRET-EXIF"),
                "{key} keeps the description"
            );
            let img = image::load_from_memory(&bytes).unwrap();
            assert!(img.height() > img.width());
        }
    })
    .await;
}

#[tokio::test]
async fn v1_upload_answers_once_processed_and_keeps_transparency() {
    each_backend(|app| async move {
        let alice = app.user("alice").await;
        let r = upload_to(
            &app,
            &alice.token,
            "/api/v1/media",
            png(64, 32),
            "image/png",
            &[],
        )
        .await;
        let v = json(r, StatusCode::OK).await;
        assert_shape_ignoring("POST /api/v2/media 200", &v, AV_ONLY);
        assert!(v["description"].is_null());
        let url = v["url"].as_str().unwrap();
        assert!(url.ends_with(".png"), "{url}");
        let file = fetch(&app, url).await;
        assert_eq!(file.headers()["content-type"], "image/png");
        let img = image::load_from_memory(&file.bytes().await.unwrap()).unwrap();
        assert!(img.color().has_alpha());
        // The preview of a transparent image is a PNG too.
        assert!(v["preview_url"].as_str().unwrap().ends_with(".png"));
    })
    .await;
}

#[tokio::test]
async fn media_endpoints_need_the_owner_and_the_scope() {
    each_backend(|app| async move {
        let alice = app.user("alice").await;
        let bob = app.user("bob").await;
        let m = upload_ready(&app, &alice.token, jpeg(32, 32), "image/jpeg").await;
        let path = format!("/api/v1/media/{}", m["id"].as_str().unwrap());

        // Someone else's media do not exist for them.
        assert_eq!(
            app.get(&path, Some(&bob.token)).await.status(),
            StatusCode::NOT_FOUND
        );
        let r = app
            .req(Method::PUT, &path)
            .bearer_auth(&bob.token)
            .json(&json!({ "description": "mine" }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
        let r = app
            .req(Method::DELETE, &path)
            .bearer_auth(&bob.token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
        assert_eq!(
            app.get("/api/v1/media/123", Some(&alice.token))
                .await
                .status(),
            StatusCode::NOT_FOUND
        );

        // Without a token, 401; without `write:media`, 403.
        assert_eq!(
            app.get(&path, None).await.status(),
            StatusCode::UNAUTHORIZED
        );
        let uid: i64 = {
            let mut h = app.state.db.read().await.unwrap();
            woolly::db::accounts::get_user_by_account(h.conn(), alice.account_id.parse().unwrap())
                .await
                .unwrap()
                .unwrap()
                .id
        };
        let reader = app.token_for(uid, "read").await;
        error(app.get(&path, Some(&reader)).await, StatusCode::FORBIDDEN).await;
        let r = upload_to(
            &app,
            &reader,
            "/api/v2/media",
            jpeg(8, 8),
            "image/jpeg",
            &[],
        )
        .await;
        error(r, StatusCode::FORBIDDEN).await;
        assert!(
            stored_files(&app)
                .iter()
                .all(|f| !f.starts_with("uploads/"))
        );
    })
    .await;
}

#[tokio::test]
async fn alt_text_and_focus_are_updated_and_unattached_media_deleted() {
    each_backend(|app| async move {
        let alice = app.user("alice").await;
        let m = upload_ready(&app, &alice.token, jpeg(32, 32), "image/jpeg").await;
        let path = format!("/api/v1/media/{}", m["id"].as_str().unwrap());
        let r = app
            .req(Method::PUT, &path)
            .bearer_auth(&alice.token)
            .form(&[("description", "A square"), ("focus", "-1.0,1.0")])
            .send()
            .await
            .unwrap();
        let v = json(r, StatusCode::OK).await;
        assert_shape_ignoring("GET /api/v1/media/:id 200", &v, AV_ONLY);
        assert_eq!(v["description"], "A square");
        assert_eq!(v["meta"]["focus"], json!({ "x": -1.0, "y": 1.0 }));
        // Too long an alt text.
        let r = app
            .req(Method::PUT, &path)
            .bearer_auth(&alice.token)
            .json(&json!({ "description": "x".repeat(1501) }))
            .send()
            .await
            .unwrap();
        let e = error(r, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert!(
            e["error"]
                .as_str()
                .unwrap()
                .contains("Description is too long")
        );

        let url = v["url"].as_str().unwrap().to_owned();
        let r = app
            .req(Method::DELETE, &path)
            .bearer_auth(&alice.token)
            .send()
            .await
            .unwrap();
        assert_eq!(json(r, StatusCode::OK).await, json!({}));
        assert_eq!(
            app.get(&path, Some(&alice.token)).await.status(),
            StatusCode::NOT_FOUND
        );
        app.run_jobs().await;
        assert_eq!(fetch(&app, &url).await.status(), StatusCode::NOT_FOUND);
        assert!(stored_files(&app).is_empty(), "{:?}", stored_files(&app));
    })
    .await;
}

#[tokio::test]
async fn files_are_served_only_by_their_own_keys_with_ranges() {
    each_backend(|app| async move {
        let alice = app.user("alice").await;
        let m = upload_ready(&app, &alice.token, jpeg(300, 200), "image/jpeg").await;
        let url = m["url"].as_str().unwrap();
        let whole = fetch(&app, url).await.bytes().await.unwrap();

        let r = app
            .client
            .get(url)
            .header("range", "bytes=10-19")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::PARTIAL_CONTENT);
        assert_eq!(
            r.headers()["content-range"],
            format!("bytes 10-19/{}", whole.len()).as_str()
        );
        assert_eq!(r.bytes().await.unwrap(), whole.slice(10..20));

        let token = url.rsplit('/').nth(1).unwrap();
        for bad in [
            format!("/system/media/{token}/original.html"),
            format!("/system/media/{token}/../../woolly.sqlite3"),
            format!("/system/media/{token}/%2e%2e/original.jpg"),
            format!("/system/uploads/{token}/raw.bin"),
            "/system/woolly.sqlite3".to_owned(),
            "/system/".to_owned(),
        ] {
            let r = app.get(&bad, None).await;
            assert_eq!(r.status(), StatusCode::NOT_FOUND, "{bad}");
        }
    })
    .await;
}
