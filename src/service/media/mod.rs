//! Media attachments: uploading (validated by content, stored raw, processed by a durable
//! `ProcessMedia` job), alt text and focal point, deletion of unattached media, and the
//! `MediaAttachment` entity. Processing is in [`process`], the removal of leftovers in
//! [`cleanup`].

pub mod cleanup;
pub mod process;
pub mod remote;

use bytes::Bytes;
use serde_json::json;

use crate::api::entities::MediaAttachment;
use crate::api::instance::limits::MAX_DESCRIPTION_LENGTH;
use crate::config::Config;
use crate::db::media::{self as repo, MediaRow, processing};
use crate::error::{AppError, AppResult};
use crate::id::next_id;
use crate::jobs::{self, Job};
use crate::media::ffmpeg::TempFile;
use crate::media::image::IMAGE_SIZE_LIMIT;
use crate::media::sniff::{self, Format};
use crate::media::store::{Area, Key};
use crate::media::{Kind, MediaError};
use crate::state::AppState;
use crate::time::now_ms;

/// Largest video or audio upload in bytes (Mastodon's `video_size_limit`, 99 MiB).
pub const VIDEO_SIZE_LIMIT: usize = 103_809_024;

impl From<MediaError> for AppError {
    fn from(e: MediaError) -> Self {
        if e.is_invalid_input() {
            AppError::unprocessable(e.to_string())
        } else {
            AppError::Internal(anyhow::Error::new(e))
        }
    }
}

/// The public URL of a stored file.
pub fn file_url(cfg: &Config, key: &str) -> String {
    format!("{}/{key}", cfg.media_base_url())
}

/// The `MediaAttachment` entity of a row.
pub fn entity(cfg: &Config, m: &MediaRow) -> MediaAttachment {
    let done = m.processing == processing::DONE;
    let url = match (&m.file_key, done) {
        (Some(k), true) => Some(file_url(cfg, k)),
        // Remote media not (or no longer) cached: its origin, as Mastodon does.
        _ if m.remote_url.is_some() && m.status_id.is_some() => m.remote_url.clone(),
        _ => None,
    };
    let preview_url = match &m.preview_key {
        Some(k) if done || m.remote_url.is_none() => Some(file_url(cfg, k)),
        _ => m.remote_url.clone(),
    };
    let mut meta: serde_json::Value = serde_json::from_str(&m.meta).unwrap_or_else(|_| json!({}));
    if let Some(obj) = meta.as_object_mut() {
        obj.insert("focus".into(), json!({ "x": m.focus_x, "y": m.focus_y }));
    }
    MediaAttachment {
        id: m.id.to_string(),
        kind: m.kind.clone(),
        url,
        preview_url,
        remote_url: m.remote_url.clone(),
        preview_remote_url: None,
        text_url: None,
        meta,
        description: (!m.description.is_empty()).then(|| m.description.clone()),
        blurhash: m.blurhash.clone(),
    }
}

/// What a client uploaded.
#[derive(Debug, Clone)]
pub struct Upload {
    /// The file.
    pub data: Bytes,
    /// The type the client declared for it.
    pub content_type: Option<String>,
    /// Alt text.
    pub description: Option<String>,
    /// Focal point, `"x,y"` with both in -1..1.
    pub focus: Option<String>,
}

/// Checks alt text against Mastodon's limit.
fn check_description(d: &str) -> AppResult<()> {
    if d.chars().count() > MAX_DESCRIPTION_LENGTH as usize {
        return Err(AppError::unprocessable(format!(
            "Validation failed: Description is too long (maximum is {MAX_DESCRIPTION_LENGTH} characters)"
        )));
    }
    Ok(())
}

/// Parses a focal point `"x,y"` (each in -1.0..=1.0); Mastodon ignores malformed values.
pub fn parse_focus(s: &str) -> Option<(f64, f64)> {
    let (x, y) = s.split_once(',')?;
    let x: f64 = x.trim().parse().ok()?;
    let y: f64 = y.trim().parse().ok()?;
    let ok = |v: f64| v.is_finite() && (-1.0..=1.0).contains(&v);
    (ok(x) && ok(y)).then_some((x, y))
}

/// What an accepted upload becomes, decided before anything is stored.
struct Plan {
    kind: Kind,
    original_ext: &'static str,
    preview_ext: Option<&'static str>,
}

/// Judges an upload by its content: format, declared type, size; for images a full decode
/// under the pixel limit, for audio and video a probe under `ffmpeg`'s bounds (bombs,
/// truncated and corrupt files are refused here, before anything is stored).
async fn plan(state: &AppState, data: &Bytes, declared: Option<&str>) -> Result<Plan, MediaError> {
    let format = sniff::sniff(data).ok_or(MediaError::Unsupported)?;
    if !format.agrees_with(declared) {
        return Err(MediaError::Spoofed);
    }
    let ffmpeg = state.config.ffmpeg();
    if !format.is_image() {
        if data.len() > VIDEO_SIZE_LIMIT {
            return Err(MediaError::TooBig("99 MB"));
        }
        if !ffmpeg.available().await {
            return Err(MediaError::NoFfmpeg);
        }
        let input = TempFile::new("bin");
        tokio::fs::write(input.path(), data)
            .await
            .map_err(|e| MediaError::Internal(e.to_string()))?;
        let probe = ffmpeg.probe(input.path()).await?;
        return Ok(if probe.has_video {
            Plan {
                kind: Kind::Video,
                original_ext: "mp4",
                preview_ext: Some("jpg"),
            }
        } else {
            Plan {
                kind: Kind::Audio,
                original_ext: "mp3",
                preview_ext: None,
            }
        });
    }
    if data.len() > IMAGE_SIZE_LIMIT {
        return Err(MediaError::TooBig("16 MB"));
    }
    let bytes = data.clone();
    let (original_ext, preview_ext, animated) = tokio::task::spawn_blocking(move || {
        let img = crate::media::image::decode(&bytes, format)?;
        let (o, p) = crate::media::image::extensions(&img, format);
        let animated = format == Format::Gif && crate::media::image::is_animated_gif(&bytes);
        Ok::<_, MediaError>((o, p, animated))
    })
    .await
    .map_err(|e| MediaError::Internal(e.to_string()))??;
    // Animated GIFs become silent looping videos; without ffmpeg, their first frame.
    if animated && ffmpeg.available().await {
        return Ok(Plan {
            kind: Kind::Gifv,
            original_ext: "mp4",
            preview_ext: Some("jpg"),
        });
    }
    Ok(Plan {
        kind: Kind::Image,
        original_ext,
        preview_ext: Some(preview_ext),
    })
}

/// Accepts an upload of `account_id`: validates it, stores the raw file and, in one
/// transaction, the row and its `ProcessMedia` job. Returns the row (still queued).
pub async fn upload(state: &AppState, account_id: i64, up: Upload) -> AppResult<MediaRow> {
    let description = up.description.unwrap_or_default().trim().to_owned();
    check_description(&description)?;
    let focus = up
        .focus
        .as_deref()
        .and_then(parse_focus)
        .unwrap_or((0.0, 0.0));
    if up.data.is_empty() {
        return Err(AppError::unprocessable(
            "Validation failed: File can't be blank",
        ));
    }
    let plan = plan(state, &up.data, up.content_type.as_deref()).await?;
    let store = state.media()?;
    let upload_key = Key::file(&Key::prefix(Area::Uploads), "raw", "bin");
    let prefix = Key::prefix(Area::Media);
    let file_key = Key::file(&prefix, "original", plan.original_ext);
    let preview_key = plan.preview_ext.map(|ext| Key::file(&prefix, "small", ext));
    store
        .put(&upload_key, up.data)
        .await
        .map_err(MediaError::from)?;
    let now = now_ms();
    let row = MediaRow {
        id: next_id(),
        account_id,
        status_id: None,
        position: 0,
        kind: plan.kind.as_str().into(),
        processing: processing::QUEUED.into(),
        upload_key: Some(upload_key.as_str().into()),
        file_key: Some(file_key.as_str().into()),
        preview_key: preview_key.map(|k| k.as_str().into()),
        content_type: Some(file_key.content_type().into()),
        file_size: 0,
        description,
        focus_x: focus.0,
        focus_y: focus.1,
        meta: "{}".into(),
        blurhash: None,
        remote_url: None,
        cached_at: None,
        created_at: now,
        updated_at: now,
    };
    let stored = async {
        let mut tx = state.db.begin().await?;
        repo::insert(tx.conn(), &row).await?;
        jobs::enqueue(
            tx.conn(),
            &Job::ProcessMedia { media_id: row.id },
            jobs::PRIORITY_LOCAL,
        )
        .await?;
        tx.commit().await
    }
    .await;
    if let Err(e) = stored {
        // Nothing refers to the raw file: leave nothing behind.
        let _ = store.delete(&upload_key).await;
        return Err(e.into());
    }
    state.wake_workers();
    Ok(row)
}

/// `account_id`'s media `id`, or 404.
pub async fn owned(state: &AppState, account_id: i64, id: i64) -> AppResult<MediaRow> {
    let mut h = state.db.read().await?;
    repo::get(h.conn(), id)
        .await?
        .filter(|m| m.account_id == account_id)
        .ok_or(AppError::NotFound)
}

/// Waits (at most `timeout`) until `id` is no longer queued; returns its latest row.
pub async fn wait_processed(
    state: &AppState,
    account_id: i64,
    id: i64,
    timeout: std::time::Duration,
) -> AppResult<MediaRow> {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        let m = owned(state, account_id, id).await?;
        if m.processing != processing::QUEUED || tokio::time::Instant::now() >= deadline {
            return Ok(m);
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// `PUT /api/v1/media/:id`: alt text and focal point of one's own unattached media (once
/// attached, they change through the status edit, as in Mastodon).
pub async fn update(
    state: &AppState,
    account_id: i64,
    id: i64,
    description: Option<String>,
    focus: Option<String>,
) -> AppResult<MediaRow> {
    let m = owned(state, account_id, id).await?;
    if m.status_id.is_some() {
        return Err(AppError::NotFound);
    }
    let description = match description {
        Some(d) => d.trim().to_owned(),
        None => m.description.clone(),
    };
    check_description(&description)?;
    let focus = focus
        .as_deref()
        .and_then(parse_focus)
        .unwrap_or((m.focus_x, m.focus_y));
    let mut tx = state.db.begin().await?;
    repo::set_description(tx.conn(), id, &description, focus, now_ms()).await?;
    tx.commit().await?;
    owned(state, account_id, id).await
}

/// `DELETE /api/v1/media/:id`: one's own media that no status uses; its files go in a job.
pub async fn delete(state: &AppState, account_id: i64, id: i64) -> AppResult<()> {
    let m = owned(state, account_id, id).await?;
    if m.status_id.is_some() {
        return Err(AppError::unprocessable(
            "Media attachment is currently used by a status",
        ));
    }
    let mut tx = state.db.begin().await?;
    remove(tx.conn(), &m).await?;
    tx.commit().await?;
    state.wake_workers();
    Ok(())
}

/// Deletes a row and enqueues the deletion of its files (inside the caller's transaction).
pub(crate) async fn remove(mut c: crate::db::Conn<'_>, m: &MediaRow) -> Result<(), sqlx::Error> {
    repo::delete(c.re(), m.id).await?;
    enqueue_file_deletion(c, files_of(m)).await
}

/// Every stored file of a row.
fn files_of(m: &MediaRow) -> Vec<String> {
    [&m.upload_key, &m.file_key, &m.preview_key]
        .into_iter()
        .flatten()
        .cloned()
        .collect()
}

/// The `DeleteMediaFiles` job: removes files no row refers to any more.
pub async fn delete_files(state: &AppState, keys: &[String]) -> anyhow::Result<()> {
    let store = state.media()?;
    for k in keys {
        if let Some(key) = Key::parse(k) {
            store.delete(&key).await?;
        }
    }
    Ok(())
}

/// Largest avatar or header upload (Mastodon's limit with libvips).
pub const PROFILE_IMAGE_LIMIT: usize = 8 * 1024 * 1024;

/// Which profile image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProfileImage {
    /// The avatar: 400×400, cropped to fill.
    Avatar,
    /// The header: 1500×500, cropped to fill.
    Header,
}

/// A stored avatar or header: its URL (an animated GIF for animated uploads, whose still
/// first frame is its `static` sibling, see [`static_url`]) and its files.
#[derive(Debug, Clone)]
pub struct StoredProfileImage {
    /// The URL to show.
    pub url: String,
    /// Its keys in the store (the image and, when animated, its still version).
    pub keys: Vec<String>,
}

/// Validates, crops and stores an uploaded avatar or header (the account row is updated by
/// the caller, which deletes the files again if its transaction fails).
pub async fn store_profile_image(
    state: &AppState,
    which: ProfileImage,
    data: Bytes,
    declared: Option<&str>,
) -> AppResult<StoredProfileImage> {
    if data.is_empty() {
        return Err(MediaError::Corrupt("the file is empty".into()).into());
    }
    let format = sniff::sniff(&data).ok_or(MediaError::Unsupported)?;
    if !format.agrees_with(declared) {
        return Err(MediaError::Spoofed.into());
    }
    if !format.is_image() {
        return Err(MediaError::Unsupported.into());
    }
    if data.len() > PROFILE_IMAGE_LIMIT {
        return Err(MediaError::TooBig("8 MB").into());
    }
    let (w, h, area) = match which {
        ProfileImage::Avatar => (400, 400, Area::Avatars),
        ProfileImage::Header => (1500, 500, Area::Headers),
    };
    let (image, still) = tokio::task::spawn_blocking(move || {
        crate::media::image::profile_image(&data, format, w, h)
    })
    .await
    .map_err(|e| AppError::Internal(e.into()))??;
    let store = state.media()?;
    let prefix = Key::prefix(area);
    let key = Key::file(&prefix, "original", image.ext);
    let mut keys = vec![key.as_str().to_owned()];
    store
        .put(&key, Bytes::from(image.bytes))
        .await
        .map_err(MediaError::from)?;
    if let Some(still) = still {
        let static_key = Key::file(&prefix, "static", still.ext);
        keys.push(static_key.as_str().to_owned());
        if let Err(e) = store.put(&static_key, Bytes::from(still.bytes)).await {
            let _ = store.delete(&key).await;
            return Err(MediaError::from(e).into());
        }
    }
    Ok(StoredProfileImage {
        url: file_url(&state.config, key.as_str()),
        keys,
    })
}

/// The still version of an avatar or header URL: for our own animated uploads
/// (`…/original.gif`) the `static.png` beside it, otherwise the URL itself.
pub fn static_url(cfg: &Config, url: &str) -> String {
    if !url.ends_with("/original.gif") {
        return url.to_owned();
    }
    let base = cfg.media_base_url();
    match url
        .strip_prefix(&base)
        .and_then(|rest| rest.strip_prefix('/'))
        .and_then(Key::parse)
    {
        Some(key) if key.as_str().ends_with("/original.gif") => {
            file_url(cfg, &format!("{}/static.png", key.prefix_of()))
        }
        _ => url.to_owned(),
    }
}

/// The stored files of one of our avatar or header URLs (none for remote or default ones).
pub fn profile_image_keys(cfg: &Config, url: Option<&str>) -> Vec<String> {
    let base = cfg.media_base_url();
    let Some(key) = url
        .and_then(|u| u.strip_prefix(&base))
        .and_then(|rest| rest.strip_prefix('/'))
        .and_then(Key::parse)
    else {
        return Vec::new();
    };
    let mut keys = vec![key.as_str().to_owned()];
    if key.as_str().ends_with("/original.gif") {
        keys.push(format!("{}/static.png", key.prefix_of()));
    }
    keys
}

/// Enqueues the deletion of `keys` inside the caller's transaction (nothing when empty).
pub async fn enqueue_file_deletion(
    c: crate::db::Conn<'_>,
    keys: Vec<String>,
) -> Result<(), sqlx::Error> {
    if keys.is_empty() {
        return Ok(());
    }
    jobs::enqueue(c, &Job::DeleteMediaFiles { keys }, jobs::PRIORITY_LOCAL).await
}

/// Deletes just-stored files whose row was not written (best effort; what fails here is
/// left for nobody, so it is logged).
pub async fn discard_files(state: &AppState, keys: &[String]) {
    if let Err(e) = delete_files(state, keys).await {
        tracing::warn!(error = %format!("{e:#}"), ?keys, "could not delete unused media files");
    }
}
