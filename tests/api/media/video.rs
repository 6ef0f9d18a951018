//! Video, audio and animated GIFs through `ffmpeg`, and the clear refusal without it. The
//! tests that need `ffmpeg` say so and return when it is not installed.

use image::codecs::gif::{GifEncoder, Repeat};
use image::{Delay, Frame, Rgba, RgbaImage};
use reqwest::StatusCode;

use super::*;

/// Whether `ffmpeg` runs here (announced on stderr when not).
async fn have_ffmpeg() -> bool {
    let ok = tokio::process::Command::new("ffmpeg")
        .arg("-version")
        .output()
        .await
        .is_ok_and(|o| o.status.success());
    if !ok {
        eprintln!("NOTE: ffmpeg is not installed; video and audio transcoding tests skipped.");
    }
    ok
}

/// A one-second test clip made by ffmpeg (`lavfi`), in `format` with `args`.
async fn clip(ext: &str, args: &[&str]) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join(format!("clip.{ext}"));
    let status = tokio::process::Command::new("ffmpeg")
        .args(["-v", "error", "-y"])
        .args(args)
        .args(["-metadata", "title=WOOLLY-SECRET-TITLE"])
        .arg(&out)
        .status()
        .await
        .unwrap();
    assert!(status.success());
    std::fs::read(out).unwrap()
}

fn animated_gif() -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut enc = GifEncoder::new(&mut out);
        enc.set_repeat(Repeat::Infinite).unwrap();
        for i in 0..6u8 {
            let img = RgbaImage::from_pixel(64, 48, Rgba([i * 40, 0, 255 - i * 40, 255]));
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

#[tokio::test]
async fn video_is_transcoded_to_mp4_in_a_job() {
    if !have_ffmpeg().await {
        return;
    }
    let webm = clip(
        "webm",
        &[
            "-f",
            "lavfi",
            "-i",
            "testsrc=size=320x240:rate=25",
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=440",
            "-t",
            "1",
            "-c:v",
            "libvpx",
            "-c:a",
            "libvorbis",
        ],
    )
    .await;
    each_backend(|app| {
        let webm = webm.clone();
        async move {
            let alice = app.user("alice").await;
            let v = upload_ready(&app, &alice.token, webm, "video/webm").await;
            // No alt text was given: `description` is null (the reference saw only strings).
            assert_shape_ignoring("GET /api/v1/media/:id 200", &v, &["colors", "description"]);
            assert_eq!(v["type"], "video");
            let o = &v["meta"]["original"];
            assert_eq!(
                (o["width"].as_u64(), o["height"].as_u64()),
                (Some(320), Some(240))
            );
            assert_eq!(o["frame_rate"], "25/1");
            assert!(o["duration"].as_f64().unwrap() > 0.5);
            assert!(v["blurhash"].is_string());
            let file = fetch(&app, v["url"].as_str().unwrap()).await;
            assert_eq!(file.headers()["content-type"], "video/mp4");
            let bytes = file.bytes().await.unwrap();
            assert_eq!(&bytes[4..8], b"ftyp");
            assert!(!bytes.windows(19).any(|w| w == b"WOOLLY-SECRET-TITLE"));
            let preview = fetch(&app, v["preview_url"].as_str().unwrap()).await;
            assert_eq!(preview.headers()["content-type"], "image/jpeg");
        }
    })
    .await;
}

#[tokio::test]
async fn animated_gifs_become_gifv_and_audio_mp3() {
    if !have_ffmpeg().await {
        return;
    }
    let wav = clip(
        "wav",
        &["-f", "lavfi", "-i", "sine=frequency=440", "-t", "1"],
    )
    .await;
    each_backend(|app| {
        let wav = wav.clone();
        async move {
            let alice = app.user("alice").await;
            let v = upload_ready(&app, &alice.token, animated_gif(), "image/gif").await;
            assert_eq!(v["type"], "gifv");
            assert!(v["url"].as_str().unwrap().ends_with(".mp4"));
            assert_eq!(v["meta"]["original"]["width"], 64);

            let a = upload_ready(&app, &alice.token, wav, "audio/wav").await;
            assert_eq!(a["type"], "audio");
            assert!(a["url"].as_str().unwrap().ends_with(".mp3"));
            assert!(a["meta"]["original"]["duration"].as_f64().unwrap() > 0.5);
            let file = fetch(&app, a["url"].as_str().unwrap()).await;
            assert_eq!(file.headers()["content-type"], "audio/mpeg");
        }
    })
    .await;
}

#[tokio::test]
async fn without_ffmpeg_video_is_refused_and_images_still_work() {
    each_backend_with(
        |c| {
            c.ffmpeg_path = "/nonexistent/ffmpeg".into();
            c.ffprobe_path = "/nonexistent/ffprobe".into();
        },
        |app| async move {
            let alice = app.user("alice").await;
            // An MP4 header is enough: it is refused before anything is read further.
            let mut mp4 = b"\0\0\0\x18ftypisom\0\0\0\0isomiso2".to_vec();
            mp4.resize(4096, 0);
            let r = upload_to(&app, &alice.token, "/api/v2/media", mp4, "video/mp4", &[]).await;
            let e = error(r, StatusCode::UNPROCESSABLE_ENTITY).await;
            assert!(
                e["error"]
                    .as_str()
                    .unwrap()
                    .contains("ffmpeg is not installed"),
                "{e}"
            );
            // An animated GIF falls back to its first frame.
            let v = upload_ready(&app, &alice.token, animated_gif(), "image/gif").await;
            assert_eq!(v["type"], "image");
            assert!(v["url"].as_str().unwrap().ends_with(".png"));
            app.run_jobs().await;
            assert!(stored_files(&app).iter().all(|f| f.starts_with("media/")));
        },
    )
    .await;
}

#[tokio::test]
async fn broken_video_is_refused() {
    if !have_ffmpeg().await {
        return;
    }
    each_backend(|app| async move {
        let alice = app.user("alice").await;
        let mut junk = b"\x1A\x45\xDF\xA3".to_vec();
        junk.extend_from_slice(&[0x42; 2000]);
        let r = upload_to(&app, &alice.token, "/api/v2/media", junk, "video/webm", &[]).await;
        let e = error(r, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert!(
            e["error"].as_str().unwrap().contains("could not be read"),
            "{e}"
        );
        app.run_jobs().await;
        assert!(stored_files(&app).is_empty());
    })
    .await;
}
