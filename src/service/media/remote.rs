//! Media of remote statuses: the `attachment` of a received object read into
//! `media_attachments` rows (with `remote_url`), the `FetchRemoteMedia` job that downloads one
//! through [`FedClient::get_media`](crate::federation::client::FedClient::get_media) (no
//! private address, bounded size and time) and processes it like an upload, and the eviction
//! of cached copies from the bounded cache.
//!
//! A row that is not cached (not yet fetched, refused, failed, under a `reject_media` domain
//! block, or evicted) is shown with its `remote_url`, as Mastodon does.

use std::time::Duration;

use serde_json::Value;

use crate::db::Conn;
use crate::db::media::{self as repo, MediaRow, processing};
use crate::federation::vocab::{has_type, items, str_prop};
use crate::id::next_id;
use crate::jobs::{self, Job};
use crate::media::Kind;
use crate::media::image::IMAGE_SIZE_LIMIT;
use crate::media::store::{Area, Key};
use crate::state::AppState;
use crate::time::now_ms;

/// Attachments kept per remote status (Mastodon's `ACTIVITYPUB_STATUS_ATTACHMENT_MAX`).
pub const MAX_REMOTE_ATTACHMENTS: usize = 16;
/// How long one download may take.
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(60);
/// Longest alt text kept (Mastodon's description limit).
const MAX_DESCRIPTION_CHARS: usize = 1_500;
/// Longest URL kept.
const MAX_URL_LEN: usize = 2_048;

/// An attachment as a remote object describes it.
#[derive(Debug, Clone, PartialEq)]
pub struct RemoteAttachment {
    /// What it is, from its `mediaType` (or its type when that is missing).
    pub kind: Kind,
    /// Where the file is.
    pub url: String,
    /// The declared type, if any.
    pub media_type: Option<String>,
    /// Alt text (`name`).
    pub description: String,
    /// The sender's blurhash, shown until our own is made.
    pub blurhash: Option<String>,
    /// Focal point, each coordinate in −1..1.
    pub focus: (f64, f64),
}

/// The URL of an attachment: a string, or a `Link` (or a list of them) with an `href`.
fn url_of(v: Option<&Value>) -> Option<String> {
    let v = v?;
    let url = match v {
        Value::String(s) => Some(s.as_str()),
        Value::Object(_) => str_prop(v, "href"),
        Value::Array(a) => return a.iter().find_map(|x| url_of(Some(x))),
        _ => None,
    }?;
    let ok =
        url.len() <= MAX_URL_LEN && (url.starts_with("https://") || url.starts_with("http://"));
    ok.then(|| url.to_owned())
}

fn kind_of(media_type: Option<&str>, object: &Value) -> Kind {
    match media_type.and_then(|t| t.split('/').next()) {
        Some("image") => Kind::Image,
        Some("video") => Kind::Video,
        Some("audio") => Kind::Audio,
        Some(_) => Kind::Unknown,
        None if has_type(object, "Image") => Kind::Image,
        None if has_type(object, "Video") => Kind::Video,
        None if has_type(object, "Audio") => Kind::Audio,
        None => Kind::Unknown,
    }
}

fn blurhash_of(v: &Value) -> Option<String> {
    let b = str_prop(v, "blurhash")?;
    // A blurhash is base-83: a few characters of a fixed alphabet (Mastodon checks the same).
    let ok = (6..=200).contains(&b.len())
        && b.bytes()
            .all(|c| c.is_ascii_alphanumeric() || b"#$%*+,-.:;=?@[]^_{|}~".contains(&c));
    ok.then(|| b.to_owned())
}

fn focus_of(v: &Value) -> (f64, f64) {
    let coord = |i: usize| {
        v.get("focalPoint")
            .and_then(|f| f.get(i))
            .and_then(Value::as_f64)
            .filter(|x| x.is_finite())
            .map_or(0.0, |x| x.clamp(-1.0, 1.0))
    };
    (coord(0), coord(1))
}

/// Reads the attachments of an object: `Document`, `Image`, `Video` or `Audio`, a single
/// value or a list, those without a usable URL skipped, at most
/// [`MAX_REMOTE_ATTACHMENTS`].
pub fn parse(object: &Value) -> Vec<RemoteAttachment> {
    items(object.get("attachment"))
        .into_iter()
        .filter(|a| {
            ["Document", "Image", "Video", "Audio"]
                .iter()
                .any(|t| has_type(a, t))
        })
        .filter_map(|a| {
            let url = url_of(a.get("url"))?;
            let media_type = str_prop(a, "mediaType")
                .filter(|t| t.len() <= 100)
                .map(|t| t.to_ascii_lowercase());
            Some(RemoteAttachment {
                kind: kind_of(media_type.as_deref(), a),
                url,
                media_type,
                description: str_prop(a, "name")
                    .or_else(|| str_prop(a, "summary"))
                    .map(|d| d.trim().chars().take(MAX_DESCRIPTION_CHARS).collect())
                    .unwrap_or_default(),
                blurhash: blurhash_of(a),
                focus: focus_of(a),
            })
        })
        .take(MAX_REMOTE_ATTACHMENTS)
        .collect()
}

/// The store keys a remote file of `kind` will be cached under.
fn keys_for(kind: Kind, media_type: Option<&str>) -> (Option<Key>, Option<Key>) {
    let prefix = Key::prefix(Area::Cache);
    let (original, preview) = match kind {
        Kind::Image if media_type == Some("image/png") => ("png", Some("png")),
        Kind::Image => ("jpg", Some("jpg")),
        Kind::Video | Kind::Gifv => ("mp4", Some("jpg")),
        Kind::Audio => ("mp3", None),
        Kind::Unknown => return (None, None),
    };
    (
        Some(Key::file(&prefix, "original", original)),
        preview.map(|ext| Key::file(&prefix, "small", ext)),
    )
}

/// Stores the attachments of a new remote status `status_id` by `account_id` (inside its
/// transaction), enqueuing their downloads unless `fetch` is false (a `reject_media` block).
pub async fn attach(
    mut c: Conn<'_>,
    account_id: i64,
    status_id: i64,
    list: &[RemoteAttachment],
    fetch: bool,
) -> Result<(), sqlx::Error> {
    let now = now_ms();
    for (position, a) in list.iter().enumerate() {
        let (file_key, preview_key) = keys_for(a.kind, a.media_type.as_deref());
        let row = MediaRow {
            id: next_id(),
            account_id,
            status_id: Some(status_id),
            position: position as i64,
            kind: a.kind.as_str().into(),
            processing: if file_key.is_some() {
                processing::QUEUED.into()
            } else {
                processing::FAILED.into()
            },
            upload_key: None,
            content_type: file_key.as_ref().map(|k| k.content_type().into()),
            file_key: file_key.map(|k| k.as_str().into()),
            preview_key: preview_key.map(|k| k.as_str().into()),
            file_size: 0,
            description: a.description.clone(),
            focus_x: a.focus.0,
            focus_y: a.focus.1,
            meta: "{}".into(),
            blurhash: a.blurhash.clone(),
            remote_url: Some(a.url.clone()),
            cached_at: None,
            created_at: now,
            updated_at: now,
        };
        repo::insert(c.re(), &row).await?;
        if fetch && row.processing == processing::QUEUED {
            jobs::enqueue(
                c.re(),
                &Job::FetchRemoteMedia { media_id: row.id },
                jobs::PRIORITY_FEDERATION,
            )
            .await?;
        }
    }
    Ok(())
}

/// The largest file accepted for a kind.
fn size_limit(kind: Kind) -> usize {
    match kind {
        Kind::Image => IMAGE_SIZE_LIMIT,
        _ => super::VIDEO_SIZE_LIMIT,
    }
}

/// Runs the `FetchRemoteMedia` job: downloads the row's `remote_url` and processes it into
/// the row's cache keys. A refused URL (private address, bad scheme), an error status, a file
/// too large or not what it claims to be marks the row `failed` (it is then shown by its
/// `remote_url`); store errors are retried.
pub async fn fetch(state: &AppState, media_id: i64) -> anyhow::Result<()> {
    let m = {
        let mut h = state.db.read().await?;
        repo::get(h.conn(), media_id).await?
    };
    let Some(m) = m.filter(|m| m.processing == processing::QUEUED && m.cached_at.is_none()) else {
        return Ok(());
    };
    let Some(url) = m.remote_url.clone() else {
        return Ok(());
    };
    // A block made after the status arrived keeps the file out as well.
    let host = url::Url::parse(&url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned));
    let author_domain = {
        let mut h = state.db.read().await?;
        crate::db::accounts::get(h.conn(), m.account_id)
            .await?
            .and_then(|a| a.domain)
    };
    for domain in [author_domain, host].into_iter().flatten() {
        let policy = crate::service::domain_blocks::policy(state, &domain).await?;
        if policy.reject_media || policy.suspended {
            return fail(state, &m).await;
        }
    }
    let kind = Kind::parse(&m.kind);
    let client = state.fed_client()?.with_timeout(FETCH_TIMEOUT);
    let body = match client.get_media(&url, size_limit(kind)).await {
        Ok(r) if r.status.is_success() => r.body,
        Ok(r) => {
            tracing::info!(media_id, url, status = %r.status, "remote media not fetched");
            return fail(state, &m).await;
        }
        Err(e) => {
            tracing::info!(media_id, url, error = %e, "remote media not fetched");
            return fail(state, &m).await;
        }
    };
    match super::process::make(&state.config, &m, body).await {
        Ok(out) => {
            super::process::store_output(state, &m, out, Some(now_ms())).await?;
        }
        Err(e) if e.is_invalid_input() => {
            tracing::info!(media_id, error = %e, "remote media could not be processed");
            fail(state, &m).await?;
        }
        Err(e) => return Err(e.into()),
    }
    Ok(())
}

/// Marks the row failed; its attached status is rendered again (it now shows the origin).
async fn fail(state: &AppState, m: &MediaRow) -> anyhow::Result<()> {
    let now = now_ms();
    let mut tx = state.db.begin().await?;
    repo::set_failed(tx.conn(), m.id, now).await?;
    if let Some(status_id) = m.status_id {
        crate::db::statuses::touch(tx.conn(), status_id, now).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Evicts cached remote files made before `cutoff` (at most `limit` rows): the row is marked
/// uncached and queued again (shown by its `remote_url`, refetched by a new
/// `FetchRemoteMedia` job when asked for), then its files are deleted. Returns how many rows
/// were evicted.
pub async fn evict(state: &AppState, cutoff: i64, limit: i64) -> anyhow::Result<usize> {
    let rows = {
        let mut h = state.db.read().await?;
        repo::cached_before(h.conn(), cutoff, limit).await?
    };
    let store = state.media()?;
    let mut evicted = 0;
    for m in rows {
        let now = now_ms();
        let mut tx = state.db.begin().await?;
        let done = repo::set_uncached(tx.conn(), m.id, now).await?;
        if done && let Some(status_id) = m.status_id {
            crate::db::statuses::touch(tx.conn(), status_id, now).await?;
        }
        tx.commit().await?;
        if !done {
            continue;
        }
        for key in [&m.file_key, &m.preview_key].into_iter().flatten() {
            if let Some(k) = Key::parse(key) {
                store.delete(&k).await?;
            }
        }
        evicted += 1;
    }
    Ok(evicted)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_attachments_in_several_shapes() {
        let one = json!({ "attachment": {
            "type": "Image", "url": { "type": "Link", "href": "https://r.example/a.png" },
            "mediaType": "image/png", "name": " a cat ", "blurhash": "LEHV6nWB2yk8pyo0adR*.7kCMdnj",
            "focalPoint": [0.5, -3.0]
        }});
        let p = parse(&one);
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].kind, Kind::Image);
        assert_eq!(p[0].url, "https://r.example/a.png");
        assert_eq!(p[0].description, "a cat");
        assert_eq!(p[0].focus, (0.5, -1.0));
        assert!(p[0].blurhash.is_some());

        let many: Vec<Value> = (0..20)
            .map(|i| json!({ "type": "Document", "mediaType": "video/mp4", "url": format!("https://r.example/{i}.mp4") }))
            .collect();
        let p = parse(&json!({ "attachment": many }));
        assert_eq!(p.len(), MAX_REMOTE_ATTACHMENTS);
        assert_eq!(p[0].kind, Kind::Video);

        let bad = json!({ "attachment": [
            { "type": "Document", "url": "file:///etc/passwd" },
            { "type": "PropertyValue", "url": "https://r.example/x" },
            { "type": "Document", "mediaType": "application/pdf", "url": "https://r.example/x.pdf",
              "blurhash": "<script>" },
        ]});
        let p = parse(&bad);
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].kind, Kind::Unknown);
        assert_eq!(p[0].blurhash, None);
    }
}
