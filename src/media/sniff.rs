//! What a file really is, from its first bytes: uploads are judged by their content, and the
//! type a client declares must agree with it.

/// A file format Woolly accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// JPEG image.
    Jpeg,
    /// PNG image.
    Png,
    /// GIF image (possibly animated).
    Gif,
    /// WebP image.
    Webp,
    /// ISO base media (MP4, QuickTime, M4A, 3GP).
    Mp4,
    /// Matroska / WebM.
    Webm,
    /// Ogg (Vorbis, Opus, Theora).
    Ogg,
    /// MPEG audio (MP3).
    Mp3,
    /// RIFF WAVE audio.
    Wav,
    /// FLAC audio.
    Flac,
}

impl Format {
    /// Whether the image decoder handles it.
    pub fn is_image(self) -> bool {
        matches!(
            self,
            Format::Jpeg | Format::Png | Format::Gif | Format::Webp
        )
    }

    /// The content types a client may declare for this format (the common aliases too).
    fn declared_types(self) -> &'static [&'static str] {
        match self {
            Format::Jpeg => &["image/jpeg", "image/jpg", "image/pjpeg"],
            Format::Png => &["image/png", "image/apng"],
            Format::Gif => &["image/gif"],
            Format::Webp => &["image/webp"],
            Format::Mp4 => &[
                "video/mp4",
                "video/quicktime",
                "video/3gpp",
                "video/x-m4v",
                "audio/mp4",
                "audio/m4a",
                "audio/x-m4a",
                "audio/aac",
                "audio/3gpp",
            ],
            Format::Webm => &["video/webm", "audio/webm", "video/x-matroska"],
            Format::Ogg => &[
                "video/ogg",
                "audio/ogg",
                "audio/opus",
                "audio/vorbis",
                "application/ogg",
            ],
            Format::Mp3 => &["audio/mpeg", "audio/mp3"],
            Format::Wav => &[
                "audio/wav",
                "audio/wave",
                "audio/x-wav",
                "audio/x-pn-wave",
                "audio/vnd.wave",
            ],
            Format::Flac => &["audio/flac", "audio/x-flac"],
        }
    }

    /// Whether a client's declared `Content-Type` agrees with the content. Declarations that
    /// say nothing (`application/octet-stream`, none) agree with anything.
    pub fn agrees_with(self, declared: Option<&str>) -> bool {
        let Some(d) = declared else { return true };
        let d = d
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        d.is_empty() || d == "application/octet-stream" || self.declared_types().contains(&&*d)
    }
}

/// The format of `data`, or `None` for anything Woolly does not accept (including HTML,
/// SVG and every other document type).
pub fn sniff(data: &[u8]) -> Option<Format> {
    let starts = |p: &[u8]| data.starts_with(p);
    if starts(&[0xFF, 0xD8, 0xFF]) {
        return Some(Format::Jpeg);
    }
    if starts(b"\x89PNG\r\n\x1a\n") {
        return Some(Format::Png);
    }
    if starts(b"GIF87a") || starts(b"GIF89a") {
        return Some(Format::Gif);
    }
    if data.len() >= 12 && &data[..4] == b"RIFF" {
        return match &data[8..12] {
            b"WEBP" => Some(Format::Webp),
            b"WAVE" => Some(Format::Wav),
            _ => None,
        };
    }
    if data.len() >= 12 && &data[4..8] == b"ftyp" {
        // HEIC/AVIF are ISO files too, but no decoder here reads them.
        let brand = &data[8..12];
        if matches!(
            brand,
            b"heic" | b"heix" | b"hevc" | b"heim" | b"heis" | b"mif1" | b"msf1" | b"avif" | b"avis"
        ) {
            return None;
        }
        return Some(Format::Mp4);
    }
    if starts(&[0x1A, 0x45, 0xDF, 0xA3]) {
        return Some(Format::Webm);
    }
    if starts(b"OggS") {
        return Some(Format::Ogg);
    }
    if starts(b"fLaC") {
        return Some(Format::Flac);
    }
    if starts(b"ID3") || (data.len() >= 2 && data[0] == 0xFF && data[1] & 0xE0 == 0xE0) {
        return Some(Format::Mp3);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_formats_and_refuses_documents() {
        assert_eq!(sniff(b"\xFF\xD8\xFF\xE0\0\x10JFIF"), Some(Format::Jpeg));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n...."), Some(Format::Png));
        assert_eq!(sniff(b"GIF89a...."), Some(Format::Gif));
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 "), Some(Format::Webp));
        assert_eq!(sniff(b"\0\0\0\x18ftypisom"), Some(Format::Mp4));
        assert_eq!(sniff(b"\0\0\0\x18ftypheic"), None);
        assert_eq!(sniff(b"<html><script>alert(1)</script>"), None);
        assert_eq!(sniff(b"<?xml version=\"1.0\"?><svg"), None);
        assert_eq!(sniff(b""), None);
    }

    #[test]
    fn declared_types_must_agree() {
        assert!(Format::Png.agrees_with(Some("image/png")));
        assert!(Format::Png.agrees_with(None));
        assert!(Format::Png.agrees_with(Some("application/octet-stream")));
        assert!(Format::Jpeg.agrees_with(Some("image/JPEG; charset=binary")));
        assert!(!Format::Png.agrees_with(Some("image/jpeg")));
        assert!(!Format::Jpeg.agrees_with(Some("text/html")));
    }
}
