//! Uploads that must be refused with a clear 422 and leave nothing behind: decompression
//! bombs, truncated files, types that lie, documents, oversized files.

use reqwest::StatusCode;

use super::*;
use crate::statuses::scalar;

/// CRC-32 (ISO-HDLC) as PNG chunks use it.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    let mut body = kind.to_vec();
    body.extend_from_slice(data);
    out.extend_from_slice(&body);
    out.extend_from_slice(&crc32(&body).to_be_bytes());
}

/// A valid-looking PNG of `w`×`h` one-bit pixels whose data is a few bytes: it claims far
/// more pixels than it carries (a decompression bomb's header).
fn png_bomb(w: u32, h: u32) -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&w.to_be_bytes());
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[1, 0, 0, 0, 0]);
    chunk(&mut out, b"IHDR", &ihdr);
    // zlib stream of a few zero bytes (stored block).
    chunk(
        &mut out,
        b"IDAT",
        &[
            0x78, 0x01, 0x01, 0x04, 0x00, 0xFB, 0xFF, 0, 0, 0, 0, 0, 4, 0, 1,
        ],
    );
    chunk(&mut out, b"IEND", &[]);
    out
}

/// A GIF whose logical screen and only frame claim 65535×65535 pixels.
fn gif_bomb() -> Vec<u8> {
    let mut out = b"GIF89a".to_vec();
    out.extend_from_slice(&65535u16.to_le_bytes());
    out.extend_from_slice(&65535u16.to_le_bytes());
    out.extend_from_slice(&[0x80, 0, 0, 0, 0, 0, 255, 255, 255]);
    out.extend_from_slice(&[0x2C, 0, 0, 0, 0]);
    out.extend_from_slice(&65535u16.to_le_bytes());
    out.extend_from_slice(&65535u16.to_le_bytes());
    out.extend_from_slice(&[0, 2, 2, 0x4C, 0x01, 0, 0x3B]);
    out
}

/// Uploads through both endpoints, expects 422 with `needle` in the message, and checks
/// that no file and no row were left behind.
async fn refused(app: &TestApp, token: &str, data: Vec<u8>, content_type: &str, needle: &str) {
    for path in ["/api/v2/media", "/api/v1/media"] {
        let r = upload_to(app, token, path, data.clone(), content_type, &[]).await;
        let e = error(r, StatusCode::UNPROCESSABLE_ENTITY).await;
        let msg = e["error"].as_str().unwrap();
        assert!(msg.contains(needle), "{path}: {msg:?} lacks {needle:?}");
    }
    app.run_jobs().await;
    assert!(
        stored_files(app).is_empty(),
        "files left: {:?}",
        stored_files(app)
    );
    assert_eq!(
        scalar(app, "SELECT COUNT(*) FROM media_attachments", &[]).await,
        0
    );
}

#[tokio::test]
async fn decompression_bombs_are_refused_before_decoding() {
    each_backend(|app| async move {
        let alice = app.user("alice").await;
        refused(
            &app,
            &alice.token,
            png_bomb(100_000, 100_000),
            "image/png",
            "dimensions exceed",
        )
        .await;
        // Within the side bound, over the pixel bound.
        refused(
            &app,
            &alice.token,
            png_bomb(8_000, 8_000),
            "image/png",
            "dimensions exceed",
        )
        .await;
        refused(
            &app,
            &alice.token,
            gif_bomb(),
            "image/gif",
            "dimensions exceed",
        )
        .await;
    })
    .await;
}

#[tokio::test]
async fn truncated_and_corrupt_files_are_refused() {
    each_backend(|app| async move {
        let alice = app.user("alice").await;
        let j = jpeg(200, 100);
        refused(
            &app,
            &alice.token,
            j[..j.len() / 2].to_vec(),
            "image/jpeg",
            "could not be read",
        )
        .await;
        let p = png(200, 100);
        refused(
            &app,
            &alice.token,
            p[..p.len() - 30].to_vec(),
            "image/png",
            "could not be read",
        )
        .await;
        let mut garbage = b"\x89PNG\r\n\x1a\n".to_vec();
        garbage.extend_from_slice(&[7u8; 300]);
        refused(
            &app,
            &alice.token,
            garbage,
            "image/png",
            "could not be read",
        )
        .await;
        refused(
            &app,
            &alice.token,
            Vec::new(),
            "image/png",
            "File can't be blank",
        )
        .await;
    })
    .await;
}

#[tokio::test]
async fn wrong_and_dangerous_types_are_refused() {
    each_backend(|app| async move {
        let alice = app.user("alice").await;
        // A PNG said to be a JPEG.
        refused(
            &app,
            &alice.token,
            png(8, 8),
            "image/jpeg",
            "not what they are reported",
        )
        .await;
        // A JPEG said to be a video.
        refused(
            &app,
            &alice.token,
            jpeg(8, 8),
            "video/mp4",
            "not what they are reported",
        )
        .await;
        // Documents a browser would render, whatever they claim.
        let html = b"<!DOCTYPE html><script>alert(1)</script>".to_vec();
        refused(
            &app,
            &alice.token,
            html.clone(),
            "image/png",
            "content type is invalid",
        )
        .await;
        refused(
            &app,
            &alice.token,
            html,
            "text/html",
            "content type is invalid",
        )
        .await;
        let svg = b"<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\"/>".to_vec();
        refused(
            &app,
            &alice.token,
            svg,
            "image/svg+xml",
            "content type is invalid",
        )
        .await;
        refused(
            &app,
            &alice.token,
            b"just text".to_vec(),
            "text/plain",
            "content type is invalid",
        )
        .await;
    })
    .await;
}

#[tokio::test]
async fn oversized_uploads_are_refused() {
    each_backend(|app| async move {
        let alice = app.user("alice").await;
        // A JPEG beyond the 16 MiB image limit (judged by size, before decoding).
        let mut big = jpeg(16, 16);
        big.resize(16 * 1024 * 1024 + 1, 0);
        refused(
            &app,
            &alice.token,
            big,
            "image/jpeg",
            "must be less than 16 MB",
        )
        .await;
    })
    .await;
}
