//! The media store: every file Woolly keeps (processed uploads, previews, avatars, cached
//! remote media, raw uploads awaiting processing) behind one interface, a local directory by
//! default or an S3-compatible bucket (`object_store`).
//!
//! Keys are chosen by the server, never by clients: `{area}/{random}/{name}.{ext}` with a
//! fixed set of areas, a 128-bit random part (so URLs of media attached to private posts
//! cannot be guessed) and an extension from a fixed list, from which the `Content-Type` a
//! file is served with is derived. [`Key::parse`] accepts only that grammar, so a served
//! path can never traverse out of the store or name a raw upload.

use std::sync::Arc;

use bytes::Bytes;
use futures::StreamExt;
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::{
    Attribute, Attributes, GetOptions, GetRange, ObjectStore, ObjectStoreExt, PutOptions,
    PutPayload,
};

use crate::config::Config;

/// `Cache-Control` of every served file: keys are never reused, so files never change.
pub const CACHE_CONTROL: &str = "public, max-age=31536000, immutable";

/// Where a key lives. Raw uploads are stored but never served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Area {
    /// Processed media attachments of local accounts.
    Media,
    /// Local accounts' avatars.
    Avatars,
    /// Local accounts' header images.
    Headers,
    /// Cached copies of remote media.
    Cache,
    /// Raw uploads waiting for their processing job (never served).
    Uploads,
}

impl Area {
    fn name(self) -> &'static str {
        match self {
            Area::Media => "media",
            Area::Avatars => "avatars",
            Area::Headers => "headers",
            Area::Cache => "cache",
            Area::Uploads => "uploads",
        }
    }

    fn from_name(s: &str) -> Option<Area> {
        Some(match s {
            "media" => Area::Media,
            "avatars" => Area::Avatars,
            "headers" => Area::Headers,
            "cache" => Area::Cache,
            "uploads" => Area::Uploads,
            _ => return None,
        })
    }
}

/// File extensions the server writes, with the `Content-Type` each is served with. Nothing
/// that a browser would render as a document (HTML, SVG, XML) is on the list.
const TYPES: &[(&str, &str)] = &[
    ("jpg", "image/jpeg"),
    ("png", "image/png"),
    ("gif", "image/gif"),
    ("webp", "image/webp"),
    ("mp4", "video/mp4"),
    ("mp3", "audio/mpeg"),
    ("bin", "application/octet-stream"),
];

/// The `Content-Type` of a file extension the store uses.
pub fn content_type_of_ext(ext: &str) -> Option<&'static str> {
    TYPES.iter().find(|(e, _)| *e == ext).map(|(_, t)| *t)
}

/// The extension the store uses for a content type.
pub fn ext_of_content_type(ct: &str) -> Option<&'static str> {
    TYPES.iter().find(|(_, t)| *t == ct).map(|(e, _)| *e)
}

/// A validated storage key: `{area}/{token}/{name}.{ext}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key(String);

impl Key {
    /// A fresh key prefix in `area`: `{area}/{32 random hex digits}`.
    pub fn prefix(area: Area) -> String {
        let token: [u8; 16] = rand::random();
        format!("{}/{}", area.name(), hex::encode(token))
    }

    /// `{prefix}/{name}.{ext}`; `prefix` must come from [`Key::prefix`].
    pub fn file(prefix: &str, name: &str, ext: &str) -> Key {
        Key(format!("{prefix}/{name}.{ext}"))
    }

    /// Parses a key (as found in a served path or the database), accepting only the
    /// grammar the server writes.
    pub fn parse(s: &str) -> Option<Key> {
        let mut parts = s.split('/');
        let (area, token, file) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() || Area::from_name(area).is_none() {
            return None;
        }
        if token.len() != 32 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let (name, ext) = file.split_once('.')?;
        let name_ok = !name.is_empty()
            && name.len() <= 16
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
        if !name_ok || content_type_of_ext(ext).is_none() {
            return None;
        }
        Some(Key(s.to_owned()))
    }

    /// The key as a string.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The area the key is in.
    pub fn area(&self) -> Area {
        Area::from_name(self.0.split('/').next().unwrap_or("")).expect("validated key")
    }

    /// The `{area}/{token}` prefix the key shares with its sibling files.
    pub fn prefix_of(&self) -> &str {
        self.0.rsplit_once('/').map_or(&self.0, |(p, _)| p)
    }

    /// The `Content-Type` the file is served with.
    pub fn content_type(&self) -> &'static str {
        let ext = self.0.rsplit_once('.').map_or("", |(_, e)| e);
        content_type_of_ext(ext).unwrap_or("application/octet-stream")
    }

    fn path(&self) -> Path {
        Path::from(self.0.as_str())
    }
}

/// A storage failure (I/O, network, or a misconfigured bucket).
#[derive(Debug, thiserror::Error)]
#[error("media store: {0}")]
pub struct StoreError(#[from] object_store::Error);

impl StoreError {
    /// Whether the object did not exist.
    pub fn is_not_found(&self) -> bool {
        matches!(self.0, object_store::Error::NotFound { .. })
    }
}

/// A file read from the store, possibly a byte range of it.
pub struct Fetched {
    /// The bytes, streamed.
    pub body: futures::stream::BoxStream<'static, Result<Bytes, StoreError>>,
    /// Which bytes of the file are returned.
    pub range: std::ops::Range<u64>,
    /// The whole file's size.
    pub size: u64,
}

/// The media store, cheap to clone.
#[derive(Clone, Debug)]
pub struct MediaStore {
    inner: Arc<dyn ObjectStore>,
    base_url: String,
}

impl MediaStore {
    /// Opens the store the configuration names: `media_storage = "local"` (a directory,
    /// created if missing) or `"s3"` (an S3-compatible bucket).
    pub fn open(cfg: &Config) -> anyhow::Result<MediaStore> {
        let inner: Arc<dyn ObjectStore> = match cfg.media_storage.as_str() {
            "s3" => {
                let mut b = AmazonS3Builder::new()
                    .with_bucket_name(&cfg.s3_bucket)
                    .with_region(&cfg.s3_region)
                    .with_access_key_id(&cfg.s3_access_key_id)
                    .with_secret_access_key(&cfg.s3_secret_access_key);
                if !cfg.s3_endpoint.is_empty() {
                    b = b
                        .with_endpoint(&cfg.s3_endpoint)
                        .with_allow_http(cfg.s3_endpoint.starts_with("http://"))
                        .with_virtual_hosted_style_request(false);
                }
                Arc::new(b.build()?)
            }
            _ => {
                let dir = cfg.media_directory();
                std::fs::create_dir_all(&dir)?;
                Arc::new(LocalFileSystem::new_with_prefix(&dir)?.with_automatic_cleanup(true))
            }
        };
        Ok(MediaStore {
            inner,
            base_url: cfg.media_base_url(),
        })
    }

    /// The public URL of a stored file.
    pub fn url(&self, key: &str) -> String {
        format!("{}/{key}", self.base_url)
    }

    /// The key of one of our URLs (`None` for any other URL).
    pub fn key_of_url(&self, url: &str) -> Option<Key> {
        url.strip_prefix(&self.base_url)?
            .strip_prefix('/')
            .and_then(Key::parse)
    }

    /// Stores `bytes` under `key`, atomically (a reader sees the whole file or none).
    pub async fn put(&self, key: &Key, bytes: Bytes) -> Result<(), StoreError> {
        let mut attributes = Attributes::new();
        attributes.insert(Attribute::ContentType, key.content_type().into());
        attributes.insert(Attribute::CacheControl, CACHE_CONTROL.into());
        let opts = PutOptions {
            attributes,
            ..PutOptions::default()
        };
        // The local file system cannot keep attributes; the type follows from the key.
        let result = self
            .inner
            .put_opts(&key.path(), PutPayload::from_bytes(bytes.clone()), opts)
            .await;
        match result {
            Err(object_store::Error::NotImplemented { .. }) => {
                self.inner
                    .put(&key.path(), PutPayload::from_bytes(bytes))
                    .await?;
            }
            other => {
                other?;
            }
        }
        Ok(())
    }

    /// Reads a whole file.
    pub async fn get(&self, key: &Key) -> Result<Bytes, StoreError> {
        Ok(self.inner.get(&key.path()).await?.bytes().await?)
    }

    /// Reads a file, or the byte range `range` of it (`start..end`, either end open).
    pub async fn open_read(
        &self,
        key: &Key,
        range: Option<(Option<u64>, Option<u64>)>,
    ) -> Result<Fetched, StoreError> {
        let range = range.map(|r| match r {
            (Some(start), Some(end)) => GetRange::Bounded(start..end.saturating_add(1)),
            (Some(start), None) => GetRange::Offset(start),
            (None, Some(suffix)) => GetRange::Suffix(suffix),
            (None, None) => GetRange::Offset(0),
        });
        let opts = GetOptions {
            range,
            ..GetOptions::default()
        };
        let r = self.inner.get_opts(&key.path(), opts).await?;
        let size = r.meta.size;
        let range = r.range.clone();
        let body = r.into_stream().map(|b| b.map_err(StoreError)).boxed();
        Ok(Fetched { body, range, size })
    }

    /// Deletes a file; a missing file is not an error.
    pub async fn delete(&self, key: &Key) -> Result<(), StoreError> {
        match self.inner.delete(&key.path()).await {
            Err(object_store::Error::NotFound { .. }) => Ok(()),
            other => Ok(other?),
        }
    }

    /// Deletes every file under `prefix` (`{area}/{token}`).
    pub async fn delete_prefix(&self, prefix: &str) -> Result<(), StoreError> {
        let keys: Vec<Path> = self
            .inner
            .list(Some(&Path::from(prefix)))
            .map(|m| m.map(|m| m.location))
            .collect::<Vec<_>>()
            .await
            .into_iter()
            .collect::<Result<_, _>>()?;
        for k in keys {
            match self.inner.delete(&k).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }

    /// Files in `area` last written before `before_ms` (unix ms), at most `limit` of them:
    /// what the cleanup pass looks at for leftovers no row refers to.
    pub async fn list_older(
        &self,
        area: Area,
        before_ms: i64,
        limit: usize,
    ) -> Result<Vec<Key>, StoreError> {
        let mut out = Vec::new();
        let mut stream = self.inner.list(Some(&Path::from(area.name())));
        while let Some(meta) = stream.next().await {
            let meta = meta?;
            if meta.last_modified.timestamp_millis() >= before_ms {
                continue;
            }
            if let Some(k) = Key::parse(meta.location.as_ref()) {
                out.push(k);
                if out.len() >= limit {
                    break;
                }
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_accept_only_the_server_grammar() {
        let prefix = Key::prefix(Area::Media);
        let k = Key::file(&prefix, "original", "jpg");
        assert_eq!(Key::parse(k.as_str()), Some(k.clone()));
        assert_eq!(k.content_type(), "image/jpeg");
        assert_eq!(k.prefix_of(), prefix);
        let token = "0123456789abcdef0123456789abcdef";
        for bad in [
            "../etc/passwd",
            "media/../../x.jpg",
            &format!("media/{token}/../original.jpg"),
            &format!("media/{token}/original.html"),
            &format!("media/{token}/original.svg"),
            &format!("media/{token}/Original.jpg"),
            &format!("media/{token}/original"),
            &format!("other/{token}/original.jpg"),
            &format!("media/{token}x/original.jpg"),
            &format!("media/{token}/a/original.jpg"),
            &format!("/media/{token}/original.jpg"),
            &format!("media/{token}/original.jpg.html"),
            &format!("media/{token}/.jpg"),
        ] {
            assert!(Key::parse(bad).is_none(), "{bad} accepted");
        }
        assert!(Key::parse(&format!("uploads/{token}/raw.bin")).is_some());
    }
}
