//! Media: uploads and their processing, serving files, attaching media to statuses, bad
//! input. Test images are made here with the `image` crate.

mod attaching;
mod bad_input;
mod profile_images;
mod s3;
mod uploads;
mod video;

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::{DynamicImage, ImageFormat, Rgb, RgbImage, Rgba, RgbaImage};
use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::common::*;

/// A `w`×`h` JPEG with a gradient (so it compresses like a photo).
pub fn jpeg(w: u32, h: u32) -> Vec<u8> {
    let img = RgbImage::from_fn(w, h, |x, y| {
        Rgb([
            (x * 7 % 256) as u8,
            (y * 5 % 256) as u8,
            ((x + y) % 256) as u8,
        ])
    });
    let mut out = Vec::new();
    DynamicImage::ImageRgb8(img)
        .write_with_encoder(JpegEncoder::new_with_quality(&mut out, 90))
        .unwrap();
    out
}

/// A `w`×`h` PNG, half transparent.
pub fn png(w: u32, h: u32) -> Vec<u8> {
    let img = RgbaImage::from_fn(w, h, |x, _| {
        Rgba([200, 10, 10, if x < w / 2 { 0 } else { 255 }])
    });
    let mut out = Cursor::new(Vec::new());
    DynamicImage::ImageRgba8(img)
        .write_to(&mut out, ImageFormat::Png)
        .unwrap();
    out.into_inner()
}

/// `jpeg` with an EXIF block: orientation 6 (turn 90° clockwise to view), a GPS position
/// and a marker text, inserted right after the SOI marker.
pub fn jpeg_with_exif(w: u32, h: u32) -> Vec<u8> {
    let data = jpeg(w, h);
    // TIFF, little-endian: IFD0 at 8 with Orientation, ImageDescription and a GPS IFD
    // pointer; the GPS IFD has GPSLatitudeRef 'N'.
    let mut tiff: Vec<u8> = Vec::new();
    tiff.extend_from_slice(b"II*\0");
    tiff.extend_from_slice(&8u32.to_le_bytes());
    let desc = b"WOOLLY-SECRET-EXIF\0";
    let ifd0_len = 2 + 3 * 12 + 4;
    let desc_off = 8 + ifd0_len;
    let gps_off = desc_off + desc.len();
    tiff.extend_from_slice(&3u16.to_le_bytes());
    // ImageDescription (0x010E), ASCII.
    tiff.extend_from_slice(&0x010Eu16.to_le_bytes());
    tiff.extend_from_slice(&2u16.to_le_bytes());
    tiff.extend_from_slice(&(desc.len() as u32).to_le_bytes());
    tiff.extend_from_slice(&(desc_off as u32).to_le_bytes());
    // Orientation (0x0112), SHORT, 6.
    tiff.extend_from_slice(&0x0112u16.to_le_bytes());
    tiff.extend_from_slice(&3u16.to_le_bytes());
    tiff.extend_from_slice(&1u32.to_le_bytes());
    tiff.extend_from_slice(&6u16.to_le_bytes());
    tiff.extend_from_slice(&0u16.to_le_bytes());
    // GPSInfo (0x8825), LONG offset.
    tiff.extend_from_slice(&0x8825u16.to_le_bytes());
    tiff.extend_from_slice(&4u16.to_le_bytes());
    tiff.extend_from_slice(&1u32.to_le_bytes());
    tiff.extend_from_slice(&(gps_off as u32).to_le_bytes());
    tiff.extend_from_slice(&0u32.to_le_bytes());
    tiff.extend_from_slice(desc);
    // GPS IFD: GPSLatitudeRef (1), ASCII "N".
    tiff.extend_from_slice(&1u16.to_le_bytes());
    tiff.extend_from_slice(&1u16.to_le_bytes());
    tiff.extend_from_slice(&2u16.to_le_bytes());
    tiff.extend_from_slice(&2u32.to_le_bytes());
    tiff.extend_from_slice(b"N\0\0\0");
    tiff.extend_from_slice(&0u32.to_le_bytes());
    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend_from_slice(&tiff);
    let mut out = data[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&((app1.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(&app1);
    out.extend_from_slice(&data[2..]);
    out
}

/// Uploads `data` as `file` to `path` (`/api/v2/media` or `/api/v1/media`), declaring
/// `content_type`, with extra text fields.
pub async fn upload_to(
    app: &TestApp,
    token: &str,
    path: &str,
    data: Vec<u8>,
    content_type: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let part = reqwest::multipart::Part::bytes(data)
        .file_name("upload.bin")
        .mime_str(content_type)
        .unwrap();
    let mut form = reqwest::multipart::Form::new().part("file", part);
    for (k, v) in fields {
        form = form.text(k.to_string(), v.to_string());
    }
    app.req(Method::POST, path)
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .unwrap()
}

/// Uploads through v2 (asserting 202) and waits until processed; returns the entity.
pub async fn upload_ready(app: &TestApp, token: &str, data: Vec<u8>, content_type: &str) -> Value {
    let v = json(
        upload_to(app, token, "/api/v2/media", data, content_type, &[]).await,
        StatusCode::ACCEPTED,
    )
    .await;
    wait_ready(app, token, v["id"].as_str().unwrap()).await
}

/// Polls `GET /api/v1/media/:id` until it answers 200.
pub async fn wait_ready(app: &TestApp, token: &str, id: &str) -> Value {
    for _ in 0..600 {
        let r = app.get(&format!("/api/v1/media/{id}"), Some(token)).await;
        match r.status() {
            StatusCode::PARTIAL_CONTENT => {
                tokio::time::sleep(std::time::Duration::from_millis(20)).await
            }
            StatusCode::OK => return r.json().await.unwrap(),
            other => panic!("media {id}: {other} {}", r.text().await.unwrap()),
        }
    }
    panic!("media {id} was not processed within 12 s");
}

/// Fetches a file URL the server gave out (absolute), returning the response.
pub async fn fetch(app: &TestApp, url: &str) -> reqwest::Response {
    app.client.get(url).send().await.unwrap()
}

/// Every file in the local media store, as paths relative to it.
pub fn stored_files(app: &TestApp) -> Vec<String> {
    let root = app.state.config.media_directory();
    let mut out = Vec::new();
    let mut stack = vec![root.clone()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p.strip_prefix(&root).unwrap().display().to_string());
            }
        }
    }
    out.sort();
    out
}
