//! The `ProcessMedia` job: turns a raw upload into the files clients are given. Idempotent:
//! a row no longer queued is left alone, and the output keys were fixed at upload, so a
//! rerun after a crash overwrites the same files.

use bytes::Bytes;
use serde_json::json;

use crate::config::Config;

use crate::db::media::{self as repo, MediaRow, processing};
use crate::db::statuses;
use crate::media::ffmpeg::TempFile;
use crate::media::image::{self, Encoded};
use crate::media::sniff;
use crate::media::store::Key;
use crate::media::{Kind, MediaError, image_meta};
use crate::state::AppState;
use crate::time::now_ms;

/// What processing made: files to store under the row's keys, and what to record.
pub struct Output {
    /// The kind after processing.
    pub kind: Kind,
    /// The full-size file.
    pub original: Bytes,
    /// The preview, if any.
    pub preview: Option<Bytes>,
    /// `meta` without `focus`.
    pub meta: serde_json::Value,
    /// Blurhash of the picture.
    pub blurhash: Option<String>,
}

/// Processes a still image into the row's key extensions.
fn still(
    data: &[u8],
    original_ext: &'static str,
    preview_ext: &'static str,
) -> Result<Output, MediaError> {
    let format = sniff::sniff(data).ok_or(MediaError::Unsupported)?;
    if !format.is_image() {
        return Err(MediaError::Unsupported);
    }
    let img = image::decode(data, format)?;
    let p = image::process(&img, original_ext, preview_ext)?;
    let meta = image_meta(&p.original.meta(), &p.small.meta());
    let Encoded { bytes, .. } = p.original;
    Ok(Output {
        kind: Kind::Image,
        original: Bytes::from(bytes),
        preview: Some(Bytes::from(p.small.bytes)),
        meta,
        blurhash: Some(p.blurhash),
    })
}

fn ext_of(key: &Key) -> &'static str {
    match key.content_type() {
        "image/png" => "png",
        _ => "jpg",
    }
}

/// Makes the files of `m` from `data` (CPU-bound work on the blocking pool, or `ffmpeg`).
pub async fn make(cfg: &Config, m: &MediaRow, data: Bytes) -> Result<Output, MediaError> {
    let Some(file_key) = m.file_key.as_deref().and_then(Key::parse) else {
        return Err(MediaError::Internal(format!(
            "media {} has no file key",
            m.id
        )));
    };
    let preview_key = m.preview_key.as_deref().and_then(Key::parse);
    match Kind::parse(&m.kind) {
        Kind::Image => {
            let o = ext_of(&file_key);
            let p = preview_key.as_ref().map_or("jpg", ext_of);
            tokio::task::spawn_blocking(move || still(&data, o, p))
                .await
                .map_err(|e| MediaError::Internal(e.to_string()))?
        }
        kind @ (Kind::Video | Kind::Gifv) => moving(cfg, kind, &data).await,
        Kind::Audio => audio(cfg, &data).await,
        Kind::Unknown => Err(MediaError::Unsupported),
    }
}

async fn write_temp(data: &[u8], ext: &str) -> Result<TempFile, MediaError> {
    let f = TempFile::new(ext);
    tokio::fs::write(f.path(), data)
        .await
        .map_err(|e| MediaError::Internal(e.to_string()))?;
    Ok(f)
}

async fn read_temp(f: &TempFile) -> Result<Bytes, MediaError> {
    tokio::fs::read(f.path())
        .await
        .map(Bytes::from)
        .map_err(|e| MediaError::Internal(e.to_string()))
}

/// Video (or an animated GIF, as a silent gifv): an H.264 MP4, its first frame's preview and
/// blurhash, and the stream facts.
async fn moving(cfg: &Config, kind: Kind, data: &[u8]) -> Result<Output, MediaError> {
    let ffmpeg = cfg.ffmpeg();
    if !ffmpeg.available().await {
        return Err(MediaError::NoFfmpeg);
    }
    let input = write_temp(data, "bin").await?;
    ffmpeg.probe(input.path()).await?;
    let output = TempFile::new("mp4");
    ffmpeg
        .to_mp4(input.path(), output.path(), kind == Kind::Video)
        .await?;
    let probe = ffmpeg.probe(output.path()).await?;
    let frame = TempFile::new("png");
    ffmpeg.first_frame(output.path(), frame.path()).await?;
    let frame = read_temp(&frame).await?;
    let (small, blurhash) = tokio::task::spawn_blocking(move || {
        let img = image::decode(&frame, sniff::Format::Png)?;
        image::preview(&img, "jpg")
    })
    .await
    .map_err(|e| MediaError::Internal(e.to_string()))??;
    let original = read_temp(&output).await?;
    if original.len() > super::VIDEO_SIZE_LIMIT {
        return Err(MediaError::TooLarge);
    }
    let meta = json!({
        "original": {
            "width": probe.width,
            "height": probe.height,
            "frame_rate": probe.frame_rate.0,
            "duration": probe.duration,
            "bitrate": probe.bitrate,
        },
        "small": small.meta(),
    });
    Ok(Output {
        kind,
        original,
        preview: Some(Bytes::from(small.bytes)),
        meta,
        blurhash: Some(blurhash),
    })
}

/// Audio: an MP3 and its duration and bitrate.
async fn audio(cfg: &Config, data: &[u8]) -> Result<Output, MediaError> {
    let ffmpeg = cfg.ffmpeg();
    if !ffmpeg.available().await {
        return Err(MediaError::NoFfmpeg);
    }
    let input = write_temp(data, "bin").await?;
    ffmpeg.probe(input.path()).await?;
    let output = TempFile::new("mp3");
    ffmpeg.to_mp3(input.path(), output.path()).await?;
    let probe = ffmpeg.probe(output.path()).await?;
    let original = read_temp(&output).await?;
    Ok(Output {
        kind: Kind::Audio,
        original,
        preview: None,
        meta: json!({ "original": { "duration": probe.duration, "bitrate": probe.bitrate } }),
        blurhash: None,
    })
}

/// Stores `out` under the row's keys and records it; returns whether the row was updated.
pub async fn store_output(
    state: &AppState,
    m: &MediaRow,
    out: Output,
    cached_at: Option<i64>,
) -> anyhow::Result<bool> {
    let store = state.media()?;
    let file_key = m
        .file_key
        .as_deref()
        .and_then(Key::parse)
        .ok_or_else(|| anyhow::anyhow!("media {} has no file key", m.id))?;
    let file_size = out.original.len() as i64;
    store.put(&file_key, out.original).await?;
    if let (Some(preview), Some(key)) = (out.preview, m.preview_key.as_deref().and_then(Key::parse))
    {
        store.put(&key, preview).await?;
    }
    let meta = out.meta.to_string();
    let now = now_ms();
    let mut tx = state.db.begin().await?;
    let updated = repo::set_processed(
        tx.conn(),
        m.id,
        &repo::Processed {
            kind: out.kind.as_str(),
            file_key: file_key.as_str(),
            preview_key: m.preview_key.as_deref(),
            content_type: file_key.content_type(),
            file_size,
            meta: &meta,
            blurhash: out.blurhash.as_deref(),
        },
        cached_at,
        now,
    )
    .await?;
    // What an attached status shows changed: its rendering must be made again.
    if updated && let Some(status_id) = m.status_id {
        statuses::touch(tx.conn(), status_id, now).await?;
    }
    tx.commit().await?;
    Ok(updated)
}

/// Runs the `ProcessMedia` job for `media_id`.
pub async fn run(state: &AppState, media_id: i64) -> anyhow::Result<()> {
    let m = {
        let mut h = state.db.read().await?;
        repo::get(h.conn(), media_id).await?
    };
    let Some(m) = m.filter(|m| m.processing == processing::QUEUED) else {
        return Ok(());
    };
    let store = state.media()?;
    let Some(upload_key) = m.upload_key.as_deref().and_then(Key::parse) else {
        fail(state, &m).await?;
        return Ok(());
    };
    let data = match store.get(&upload_key).await {
        Ok(d) => d,
        Err(e) if e.is_not_found() => {
            fail(state, &m).await?;
            return Ok(());
        }
        Err(e) => return Err(e.into()),
    };
    match make(&state.config, &m, data).await {
        Ok(out) => {
            store_output(state, &m, out, None).await?;
        }
        Err(e) if e.is_invalid_input() => {
            tracing::info!(media_id, error = %e, "media could not be processed");
            fail(state, &m).await?;
        }
        Err(e) => return Err(e.into()),
    }
    store.delete(&upload_key).await?;
    Ok(())
}

/// Marks the row failed and drops its raw upload.
async fn fail(state: &AppState, m: &MediaRow) -> anyhow::Result<()> {
    let mut tx = state.db.begin().await?;
    repo::set_failed(tx.conn(), m.id, now_ms()).await?;
    tx.commit().await?;
    if let Some(k) = m.upload_key.as_deref().and_then(Key::parse) {
        state.media()?.delete(&k).await?;
    }
    Ok(())
}
