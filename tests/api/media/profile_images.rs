//! Avatars and headers through `update_credentials`: cropped, re-encoded, with a still
//! version of animated ones; replaced files are deleted.

use image::codecs::gif::{GifEncoder, Repeat};
use image::{Delay, Frame, Rgba, RgbaImage};
use reqwest::multipart::{Form, Part};
use reqwest::{Method, StatusCode};

use super::*;

const UPDATE: &str = "/api/v1/accounts/update_credentials";

/// A two-frame animated GIF.
fn animated_gif(w: u32, h: u32) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut enc = GifEncoder::new(&mut out);
        enc.set_repeat(Repeat::Infinite).unwrap();
        for c in [[255, 0, 0, 255], [0, 0, 255, 255]] {
            let img = RgbaImage::from_pixel(w, h, Rgba(c));
            enc.encode_frame(Frame::from_parts(
                img,
                0,
                0,
                Delay::from_numer_denom_ms(100, 1),
            ))
            .unwrap();
        }
    }
    out
}

async fn update(
    app: &TestApp,
    token: &str,
    field: &str,
    data: Vec<u8>,
    ct: &str,
) -> reqwest::Response {
    let form = Form::new().part(
        field.to_owned(),
        Part::bytes(data).file_name("img").mime_str(ct).unwrap(),
    );
    app.req(Method::PATCH, UPDATE)
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .unwrap()
}

async fn dims(app: &TestApp, url: &str) -> (u32, u32, String) {
    let r = fetch(app, url).await;
    assert_eq!(r.status(), StatusCode::OK, "{url}");
    let ct = r.headers()["content-type"].to_str().unwrap().to_owned();
    let img = image::load_from_memory(&r.bytes().await.unwrap()).unwrap();
    (img.width(), img.height(), ct)
}

#[tokio::test]
async fn avatar_and_header_are_cropped_and_served() {
    each_backend(|app| async move {
        let alice = app.user("alice").await;
        let v = json(
            update(
                &app,
                &alice.token,
                "avatar",
                jpeg_with_exif(800, 600),
                "image/jpeg",
            )
            .await,
            StatusCode::OK,
        )
        .await;
        assert_shape("PATCH /api/v1/accounts/update_credentials 200", &v);
        let avatar = v["avatar"].as_str().unwrap().to_owned();
        assert!(
            avatar.starts_with(&format!("{}/system/avatars/", app.url)),
            "{avatar}"
        );
        assert_eq!(v["avatar_static"], v["avatar"]);
        assert_eq!(dims(&app, &avatar).await, (400, 400, "image/jpeg".into()));
        let bytes = fetch(&app, &avatar).await.bytes().await.unwrap();
        assert!(!bytes.windows(18).any(|w| w == b"WOOLLY-SECRET-EXIF"));

        let v = json(
            update(&app, &alice.token, "header", png(3000, 500), "image/png").await,
            StatusCode::OK,
        )
        .await;
        let header = v["header"].as_str().unwrap();
        assert_eq!(dims(&app, header).await, (1500, 500, "image/png".into()));
        // The avatar is untouched by a header change; others see both.
        assert_eq!(v["avatar"], avatar.as_str());
        let shown = json(
            app.get(&format!("/api/v1/accounts/{}", alice.account_id), None)
                .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(shown["header"], header);

        // Replacing the avatar deletes the old file.
        let v = json(
            update(&app, &alice.token, "avatar", jpeg(100, 100), "image/jpeg").await,
            StatusCode::OK,
        )
        .await;
        assert_ne!(v["avatar"], avatar.as_str());
        app.run_jobs().await;
        assert_eq!(fetch(&app, &avatar).await.status(), StatusCode::NOT_FOUND);
        assert_eq!(stored_files(&app).len(), 2, "{:?}", stored_files(&app));
    })
    .await;
}

#[tokio::test]
async fn animated_avatars_get_a_still_version() {
    each_backend(|app| async move {
        let alice = app.user("alice").await;
        let v = json(
            update(
                &app,
                &alice.token,
                "avatar",
                animated_gif(50, 50),
                "image/gif",
            )
            .await,
            StatusCode::OK,
        )
        .await;
        let avatar = v["avatar"].as_str().unwrap();
        let still = v["avatar_static"].as_str().unwrap();
        assert!(avatar.ends_with("/original.gif"), "{avatar}");
        assert!(still.ends_with("/static.png"), "{still}");
        assert_eq!(dims(&app, avatar).await, (400, 400, "image/gif".into()));
        assert_eq!(dims(&app, still).await, (400, 400, "image/png".into()));
        let frames = {
            use image::AnimationDecoder;
            let bytes = fetch(&app, avatar).await.bytes().await.unwrap();
            image::codecs::gif::GifDecoder::new(std::io::Cursor::new(bytes))
                .unwrap()
                .into_frames()
                .count()
        };
        assert_eq!(frames, 2);
    })
    .await;
}

#[tokio::test]
async fn bad_profile_images_are_refused_without_leftovers() {
    each_backend(|app| async move {
        let alice = app.user("alice").await;
        let j = jpeg(64, 64);
        for (data, ct, needle) in [
            (j[..j.len() / 2].to_vec(), "image/jpeg", "could not be read"),
            (png(8, 8), "image/jpeg", "not what they are reported"),
            (
                b"<svg onload=alert(1)>".to_vec(),
                "image/svg+xml",
                "content type is invalid",
            ),
        ] {
            for field in ["avatar", "header"] {
                let e = error(
                    update(&app, &alice.token, field, data.clone(), ct).await,
                    StatusCode::UNPROCESSABLE_ENTITY,
                )
                .await;
                assert!(e["error"].as_str().unwrap().contains(needle), "{e}");
            }
        }
        let mut big = jpeg(16, 16);
        big.resize(8 * 1024 * 1024 + 1, 0);
        let e = error(
            update(&app, &alice.token, "avatar", big, "image/jpeg").await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert!(e["error"].as_str().unwrap().contains("8 MB"), "{e}");
        // A header failing after a good avatar leaves neither behind.
        let form = Form::new()
            .part(
                "avatar",
                Part::bytes(jpeg(32, 32))
                    .file_name("a")
                    .mime_str("image/jpeg")
                    .unwrap(),
            )
            .part(
                "header",
                Part::bytes(b"nope".to_vec())
                    .file_name("h")
                    .mime_str("image/png")
                    .unwrap(),
            );
        let r = app
            .req(Method::PATCH, UPDATE)
            .bearer_auth(&alice.token)
            .multipart(form)
            .send()
            .await
            .unwrap();
        error(r, StatusCode::UNPROCESSABLE_ENTITY).await;
        app.run_jobs().await;
        assert!(stored_files(&app).is_empty(), "{:?}", stored_files(&app));
        let me = json(
            app.get("/api/v1/accounts/verify_credentials", Some(&alice.token))
                .await,
            StatusCode::OK,
        )
        .await;
        assert!(
            me["avatar"]
                .as_str()
                .unwrap()
                .ends_with("/avatars/original/missing.png")
        );
    })
    .await;
}
