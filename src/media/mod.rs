//! Media files without HTTP or SQL: the store ([`store`]), recognising uploads by content
//! ([`sniff`]), still-image processing ([`image`]) and audio, video and
//! animated GIFs through `ffmpeg` ([`ffmpeg`]). The rules (who may upload, attaching, jobs) are in `service::media`.

pub mod ffmpeg;
pub mod image;
pub mod sniff;
pub mod store;

use serde::{Deserialize, Serialize};

pub use store::MediaStore;

/// Why an upload was refused or its processing failed. Everything but `Internal` and
/// `Store` is the upload's fault (422); those two are ours (retried, or 500).
#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    /// Not a format Woolly accepts (HTML, SVG, documents, HEIC, …).
    #[error("Validation failed: File content type is invalid")]
    Unsupported,
    /// The declared type disagrees with the content.
    #[error("Validation failed: File has contents that are not what they are reported to be")]
    Spoofed,
    /// Over the byte limit of its kind.
    #[error("Validation failed: File file size must be less than {0}")]
    TooBig(&'static str),
    /// Still larger than the byte limit after scaling down.
    #[error("Validation failed: File is too large to be processed")]
    TooLarge,
    /// Over the pixel limit (possibly a decompression bomb).
    #[error(
        "Validation failed: File dimensions exceed the limit of {} pixels",
        image::IMAGE_MATRIX_LIMIT
    )]
    TooManyPixels,
    /// Truncated or corrupt.
    #[error("Validation failed: File could not be read ({0})")]
    Corrupt(String),
    /// Video or audio beyond the duration, frame-rate or frame-size bounds.
    #[error("Validation failed: {0}")]
    OutOfBounds(String),
    /// Video, audio or an animated GIF, and no `ffmpeg` on this server.
    #[error("Video and audio uploads are not supported by this server (ffmpeg is not installed)")]
    NoFfmpeg,
    /// A failure of ours while processing.
    #[error("media processing failed: {0}")]
    Internal(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] store::StoreError),
}

impl MediaError {
    /// Whether the upload itself is at fault (answered 422; processing is not retried).
    pub fn is_invalid_input(&self) -> bool {
        !matches!(self, MediaError::Internal(_) | MediaError::Store(_))
    }
}

/// What a media attachment is, as Mastodon's `type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// A still image.
    Image,
    /// A silent looping video (converted from an animated GIF).
    Gifv,
    /// A video.
    Video,
    /// Audio.
    Audio,
    /// Something that could not be shown (remote media that failed).
    Unknown,
}

impl Kind {
    /// The stored and serialised name.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Image => "image",
            Kind::Gifv => "gifv",
            Kind::Video => "video",
            Kind::Audio => "audio",
            Kind::Unknown => "unknown",
        }
    }

    /// Parses a stored name (unknown names are `Unknown`).
    pub fn parse(s: &str) -> Kind {
        match s {
            "image" => Kind::Image,
            "gifv" => Kind::Gifv,
            "video" => Kind::Video,
            "audio" => Kind::Audio,
            _ => Kind::Unknown,
        }
    }
}

/// `{width, height, size: "WxH", aspect}` of one rendition, as in Mastodon's `meta`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImageMeta {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// `"{width}x{height}"`.
    pub size: String,
    /// Width divided by height.
    pub aspect: f64,
}

impl ImageMeta {
    /// The meta of a `width`×`height` rendition.
    pub fn new(width: u32, height: u32) -> ImageMeta {
        ImageMeta {
            width,
            height,
            size: format!("{width}x{height}"),
            aspect: f64::from(width) / f64::from(height.max(1)),
        }
    }
}

/// Mastodon's `meta` of a still image, without `focus` (kept in its own columns).
pub fn image_meta(original: &ImageMeta, small: &ImageMeta) -> serde_json::Value {
    serde_json::json!({ "original": original, "small": small })
}
