//! Still images: decoded with the `image` crate under strict limits, turned upright by their
//! EXIF orientation, and written anew from pixels (so no metadata block of the upload, EXIF,
//! GPS, XMP, ICC or comments, survives), within Mastodon's pixel and byte limits; a preview
//! and a blurhash. Everything here is CPU-bound: call it on the blocking pool.

use std::io::Cursor;

use image::codecs::gif::{GifDecoder, GifEncoder, Repeat};
use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::imageops::FilterType;
use image::{AnimationDecoder, DynamicImage, Frame, ImageDecoder, ImageReader, Limits};

use super::sniff::Format;
use super::{ImageMeta, MediaError};

/// Largest image upload in bytes (Mastodon's `image_size_limit`).
pub const IMAGE_SIZE_LIMIT: usize = 16 * 1024 * 1024;
/// Most pixels an image may have (Mastodon's `image_matrix_limit`, 7680×4320). Larger
/// uploads are refused before their pixels are decoded: this is the decompression-bomb bound.
pub const IMAGE_MATRIX_LIMIT: u64 = 33_177_600;
/// Pixels of the preview (`small`), Mastodon's 640×360.
pub const SMALL_PIXELS: u64 = 230_400;
/// Frames of an animated GIF avatar or header that are kept (beyond: the first frame only).
const MAX_AVATAR_FRAMES: usize = 200;
/// The widest side an image may have, whatever its pixel count.
const MAX_SIDE: u32 = 16_384;
/// Memory the decoder may allocate.
const MAX_ALLOC: u64 = 512 * 1024 * 1024;

/// An encoded image ready to store.
#[derive(Debug, Clone)]
pub struct Encoded {
    /// The file.
    pub bytes: Vec<u8>,
    /// Its extension in the store (`jpg`, `png`, `gif`).
    pub ext: &'static str,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
}

impl Encoded {
    /// `{width, height, size, aspect}` of this rendition.
    pub fn meta(&self) -> ImageMeta {
        ImageMeta::new(self.width, self.height)
    }
}

/// A processed still image: the full-size version, the preview and the blurhash.
#[derive(Debug, Clone)]
pub struct Processed {
    /// The full-size image, re-encoded.
    pub original: Encoded,
    /// The preview.
    pub small: Encoded,
    /// Blurhash of the image.
    pub blurhash: String,
}

fn limits() -> Limits {
    let mut l = Limits::default();
    l.max_image_width = Some(MAX_SIDE);
    l.max_image_height = Some(MAX_SIDE);
    l.max_alloc = Some(MAX_ALLOC);
    l
}

fn corrupt(e: image::ImageError) -> MediaError {
    match e {
        image::ImageError::Limits(_) => MediaError::TooManyPixels,
        other => MediaError::Corrupt(other.to_string()),
    }
}

/// A JPEG's entropy-coded data ends with the EOI marker; a file cut short lacks it (the
/// decoder would otherwise paint the missing part grey and accept it).
fn jpeg_complete(data: &[u8]) -> bool {
    // Byte stuffing keeps 0xFF 0xD9 out of entropy-coded data, so the marker only appears as
    // a marker. Embedded thumbnails end with one too, but before the main image's scan.
    let Some(scan) = data.windows(2).rposition(|w| w == [0xFF, 0xDA]) else {
        return false;
    };
    data[scan..].windows(2).any(|w| w == [0xFF, 0xD9])
}

/// Decodes `data` (whose format was sniffed as `format`) upright, refusing anything over
/// [`IMAGE_MATRIX_LIMIT`] pixels before decoding its pixels, and files that are truncated or
/// corrupt.
pub fn decode(data: &[u8], format: Format) -> Result<DynamicImage, MediaError> {
    if format == Format::Jpeg && !jpeg_complete(data) {
        return Err(MediaError::Corrupt("the JPEG data is truncated".into()));
    }
    let mut reader = ImageReader::new(Cursor::new(data))
        .with_guessed_format()
        .map_err(|e| MediaError::Corrupt(e.to_string()))?;
    reader.limits(limits());
    let mut decoder = reader.into_decoder().map_err(corrupt)?;
    let (w, h) = decoder.dimensions();
    if w == 0 || h == 0 {
        return Err(MediaError::Corrupt("the image is empty".into()));
    }
    if u64::from(w) * u64::from(h) > IMAGE_MATRIX_LIMIT {
        return Err(MediaError::TooManyPixels);
    }
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut img = DynamicImage::from_decoder(decoder).map_err(corrupt)?;
    img.apply_orientation(orientation);
    Ok(img)
}

/// Whether any pixel is not fully opaque.
fn uses_alpha(img: &DynamicImage) -> bool {
    if !img.color().has_alpha() {
        return false;
    }
    img.to_rgba8().pixels().any(|p| p.0[3] != 255)
}

/// The extensions of the full-size version and the preview of an upload: PNG for PNG and
/// GIF uploads (screenshots, drawings) and for transparent images, JPEG otherwise; previews
/// are JPEG unless transparent.
pub fn extensions(img: &DynamicImage, format: Format) -> (&'static str, &'static str) {
    let alpha = uses_alpha(img);
    let lossless = alpha || matches!(format, Format::Png | Format::Gif);
    (
        if lossless { "png" } else { "jpg" },
        if alpha { "png" } else { "jpg" },
    )
}

/// Encodes `img` as `ext` (`png` or `jpg`).
fn encode(img: &DynamicImage, ext: &'static str, quality: u8) -> Result<Encoded, MediaError> {
    let mut bytes = Vec::new();
    if ext == "png" {
        let out = if img.color().has_alpha() {
            DynamicImage::ImageRgba8(img.to_rgba8())
        } else {
            DynamicImage::ImageRgb8(img.to_rgb8())
        };
        out.write_with_encoder(PngEncoder::new(&mut bytes))
            .map_err(|e| MediaError::Internal(e.to_string()))?;
    } else {
        DynamicImage::ImageRgb8(img.to_rgb8())
            .write_with_encoder(JpegEncoder::new_with_quality(&mut bytes, quality))
            .map_err(|e| MediaError::Internal(e.to_string()))?;
    }
    Ok(Encoded {
        bytes,
        ext,
        width: img.width(),
        height: img.height(),
    })
}

/// `img` scaled down (never up) to at most `pixels` pixels, keeping its aspect ratio.
fn fit_pixels(img: &DynamicImage, pixels: u64) -> DynamicImage {
    let (w, h) = (u64::from(img.width()), u64::from(img.height()));
    if w * h <= pixels {
        return img.clone();
    }
    let scale = (pixels as f64 / (w * h) as f64).sqrt();
    let nw = ((w as f64 * scale).floor() as u32).max(1);
    let nh = ((h as f64 * scale).floor() as u32).max(1);
    img.resize_exact(nw, nh, FilterType::Triangle)
}

/// The blurhash of `img` (4×4 components, computed on a small thumbnail).
pub fn blurhash(img: &DynamicImage) -> String {
    let thumb = img.thumbnail(64, 64).to_rgba8();
    blurhash::encode(4, 4, thumb.width(), thumb.height(), thumb.as_raw()).unwrap_or_default()
}

/// Re-encodes a decoded upload: the full-size version as `original_ext`, scaled down until
/// it fits [`IMAGE_SIZE_LIMIT`], the preview as `preview_ext` (see [`extensions`]) and the
/// blurhash.
pub fn process(
    img: &DynamicImage,
    original_ext: &'static str,
    preview_ext: &'static str,
) -> Result<Processed, MediaError> {
    let mut full = img.clone();
    let mut original = encode(&full, original_ext, 90)?;
    let mut tries = 0;
    while original.bytes.len() > IMAGE_SIZE_LIMIT {
        tries += 1;
        if tries > 6 {
            return Err(MediaError::TooLarge);
        }
        let pixels = u64::from(full.width()) * u64::from(full.height());
        full = fit_pixels(&full, pixels * 3 / 4);
        original = encode(&full, original_ext, 85)?;
    }
    let small = encode(&fit_pixels(img, SMALL_PIXELS), preview_ext, 80)?;
    Ok(Processed {
        original,
        small,
        blurhash: blurhash(img),
    })
}

/// A link preview's image: scaled down (never up) to fit `max`×`max`, as a JPEG, with its
/// blurhash.
pub fn card_image(img: &DynamicImage, max: u32) -> Result<(Encoded, String), MediaError> {
    let fitted = if img.width() > max || img.height() > max {
        img.resize(max, max, FilterType::Triangle)
    } else {
        img.clone()
    };
    Ok((encode(&fitted, "jpg", 85)?, blurhash(&fitted)))
}

/// The preview (as `ext`) and blurhash of a decoded picture (a video's first frame).
pub fn preview(img: &DynamicImage, ext: &'static str) -> Result<(Encoded, String), MediaError> {
    Ok((
        encode(&fit_pixels(img, SMALL_PIXELS), ext, 80)?,
        blurhash(img),
    ))
}

/// An avatar or header, cropped to fill `width`×`height`: the image to show and, for an
/// animated GIF, a still first frame (`None` otherwise: the image is its own static version).
pub fn profile_image(
    data: &[u8],
    format: Format,
    width: u32,
    height: u32,
) -> Result<(Encoded, Option<Encoded>), MediaError> {
    let still = decode(data, format)?;
    let cropped = still.resize_to_fill(width, height, FilterType::Lanczos3);
    if format == Format::Gif
        && let Some(animated) = animated_gif(data, width, height)?
    {
        return Ok((animated, Some(encode(&cropped, "png", 90)?)));
    }
    let (ext, _) = extensions(&cropped, format);
    Ok((encode(&cropped, ext, 90)?, None))
}

/// Whether a GIF has more than one frame (counting stops at two).
pub fn is_animated_gif(data: &[u8]) -> bool {
    let Ok(mut d) = GifDecoder::new(Cursor::new(data)) else {
        return false;
    };
    if d.set_limits(limits()).is_err() {
        return false;
    }
    d.into_frames().take(2).filter(Result::is_ok).count() > 1
}

/// An animated GIF re-encoded frame by frame, each cropped to fill `width`×`height`; `None`
/// when it has one frame or more than [`MAX_AVATAR_FRAMES`].
fn animated_gif(data: &[u8], width: u32, height: u32) -> Result<Option<Encoded>, MediaError> {
    let mut d = GifDecoder::new(Cursor::new(data)).map_err(corrupt)?;
    d.set_limits(limits()).map_err(corrupt)?;
    let mut frames = Vec::new();
    for f in d.into_frames().take(MAX_AVATAR_FRAMES + 1) {
        let f = f.map_err(corrupt)?;
        let delay = f.delay();
        let img = DynamicImage::ImageRgba8(f.into_buffer());
        let img = img
            .resize_to_fill(width, height, FilterType::Triangle)
            .to_rgba8();
        frames.push(Frame::from_parts(img, 0, 0, delay));
    }
    if frames.len() < 2 || frames.len() > MAX_AVATAR_FRAMES {
        return Ok(None);
    }
    let mut bytes = Vec::new();
    {
        let mut enc = GifEncoder::new_with_speed(&mut bytes, 10);
        enc.set_repeat(Repeat::Infinite)
            .map_err(|e| MediaError::Internal(e.to_string()))?;
        enc.encode_frames(frames)
            .map_err(|e| MediaError::Internal(e.to_string()))?;
    }
    Ok(Some(Encoded {
        bytes,
        ext: "gif",
        width,
        height,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{Rgb, RgbImage};

    fn jpeg(w: u32, h: u32) -> Vec<u8> {
        let img = RgbImage::from_fn(w, h, |x, y| Rgb([(x % 256) as u8, (y % 256) as u8, 90]));
        let mut out = Vec::new();
        DynamicImage::ImageRgb8(img)
            .write_with_encoder(JpegEncoder::new_with_quality(&mut out, 90))
            .unwrap();
        out
    }

    #[test]
    fn processes_a_jpeg_into_original_preview_and_blurhash() {
        let data = jpeg(1280, 720);
        let img = decode(&data, Format::Jpeg).unwrap();
        assert_eq!(extensions(&img, Format::Jpeg), ("jpg", "jpg"));
        let p = process(&img, "jpg", "jpg").unwrap();
        assert_eq!((p.original.width, p.original.height), (1280, 720));
        assert_eq!(p.original.ext, "jpg");
        assert_eq!((p.small.width, p.small.height), (640, 360));
        assert!(!p.blurhash.is_empty());
    }

    #[test]
    fn refuses_truncated_jpegs() {
        let data = jpeg(64, 64);
        let cut = &data[..data.len() / 2];
        assert!(matches!(
            decode(cut, Format::Jpeg),
            Err(MediaError::Corrupt(_))
        ));
    }
}
