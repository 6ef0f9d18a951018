//! Server information: `GET /api/v2/instance` and `/api/v1/instance` with the real limits
//! Woolly enforces, peers, weekly activity, rules, extended description, languages, custom
//! emojis (none yet), NodeInfo 2.0/2.1 and the `/health` probe.

mod languages;

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

use crate::config::{Config, Registrations};
use crate::db::{accounts, instance as repo};
use crate::error::AppResult;
use crate::service::hydrate;
use crate::state::AppState;
use crate::time::now_ms;

/// The Mastodon version Woolly's API corresponds to.
pub const MASTODON_VERSION: &str = "4.3.0";
/// Mastodon API version level (`api_versions.mastodon`): 2 = grouped notifications (v2).
pub const MASTODON_API_VERSION: i64 = 2;
/// Blurhash of the default thumbnail (the placeholder header image, one solid colour).
const DEFAULT_THUMBNAIL_BLURHASH: &str = "00O|kX";

/// Limits Woolly enforces on posts and profiles (Mastodon's defaults).
pub mod limits {
    /// Characters per status.
    pub const MAX_CHARACTERS: i64 = 500;
    /// Media attachments per status.
    pub const MAX_MEDIA_ATTACHMENTS: i64 = 4;
    /// Characters every URL counts for.
    pub const CHARACTERS_RESERVED_PER_URL: i64 = 23;
    /// Display name length.
    pub const MAX_DISPLAY_NAME_LENGTH: i64 = 30;
    /// Bio length.
    pub const MAX_NOTE_LENGTH: i64 = 500;
    /// Alt text of avatars, headers and media.
    pub const MAX_DESCRIPTION_LENGTH: i64 = 1500;
    /// Profile fields.
    pub const MAX_PROFILE_FIELDS: i64 = 4;
    /// Characters of a profile field name or value.
    pub const PROFILE_FIELD_LIMIT: i64 = 255;
    /// Pinned statuses.
    pub const MAX_PINNED_STATUSES: i64 = 5;
    /// Featured hashtags.
    pub const MAX_FEATURED_TAGS: i64 = crate::service::featured_tags::MAX_FEATURED;
}

/// Media types accepted for upload (`media::sniff`; HEIC and AVIF have no decoder here).
/// Video and audio need `ffmpeg` on the server.
const SUPPORTED_MIME_TYPES: &[&str] = &[
    "image/jpeg",
    "image/png",
    "image/gif",
    "image/webp",
    "video/webm",
    "video/mp4",
    "video/quicktime",
    "video/ogg",
    "audio/wave",
    "audio/wav",
    "audio/x-wav",
    "audio/x-pn-wave",
    "audio/vnd.wave",
    "audio/ogg",
    "audio/vorbis",
    "audio/mpeg",
    "audio/mp3",
    "audio/webm",
    "audio/flac",
    "audio/aac",
    "audio/m4a",
    "audio/x-m4a",
    "audio/mp4",
    "audio/3gpp",
];

/// Routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v2/instance", get(v2))
        .route("/api/v1/instance", get(v1))
        .route("/api/v1/instance/peers", get(peers))
        .route("/api/v1/instance/activity", get(activity))
        .route("/api/v1/instance/rules", get(rules))
        .route(
            "/api/v1/instance/extended_description",
            get(extended_description),
        )
        .route("/api/v1/instance/languages", get(languages))
        .route(
            "/api/v1/instance/translation_languages",
            get(|| async { Json(json!({})) }),
        )
        .route("/api/v1/custom_emojis", get(|| async { Json(json!([])) }))
        .route("/.well-known/nodeinfo", get(nodeinfo_links))
        .route("/nodeinfo/2.0", get(nodeinfo_20))
        .route("/nodeinfo/2.1", get(nodeinfo_21))
        .route("/health", get(health))
}

/// `4.3.0 (compatible; Woolly x.y.z)`.
pub fn version() -> String {
    format!(
        "{MASTODON_VERSION} (compatible; Woolly {})",
        env!("CARGO_PKG_VERSION")
    )
}

fn thumbnail_url(cfg: &Config) -> String {
    hydrate::default_header(cfg)
}

fn statuses_config() -> Value {
    json!({
        "max_characters": limits::MAX_CHARACTERS,
        "max_media_attachments": limits::MAX_MEDIA_ATTACHMENTS,
        "characters_reserved_per_url": limits::CHARACTERS_RESERVED_PER_URL,
    })
}

fn media_config(with_description: bool) -> Value {
    let mut v = json!({
        "supported_mime_types": SUPPORTED_MIME_TYPES,
        "image_size_limit": 16_777_216,
        "image_matrix_limit": 33_177_600,
        "video_size_limit": 103_809_024,
        "video_frame_rate_limit": 120,
        "video_matrix_limit": 8_294_400,
    });
    if with_description {
        v["description_limit"] = json!(limits::MAX_DESCRIPTION_LENGTH);
    }
    v
}

fn polls_config() -> Value {
    use crate::service::polls::{MAX_EXPIRATION, MAX_OPTION_CHARS, MAX_OPTIONS, MIN_EXPIRATION};
    json!({
        "max_options": MAX_OPTIONS,
        "max_characters_per_option": MAX_OPTION_CHARS,
        "min_expiration": MIN_EXPIRATION,
        "max_expiration": MAX_EXPIRATION,
    })
}

/// The rules as Mastodon's `Rule` entity (no translations are kept).
fn rule_entities(rules: &[repo::Rule]) -> Vec<Value> {
    rules
        .iter()
        .map(|r| json!({ "id": r.id.to_string(), "text": r.text, "hint": r.hint, "translations": {} }))
        .collect()
}

/// The contact account (the first admin), rendered, or null.
async fn contact_account(state: &AppState) -> AppResult<Value> {
    let mut h = state.db.read().await?;
    let Some(id) = repo::contact_account_id(h.conn()).await? else {
        return Ok(Value::Null);
    };
    let account = hydrate::accounts_ordered(h.conn(), &state.config, &[id])
        .await?
        .pop();
    Ok(account.map_or(Value::Null, |a| json!(a)))
}

/// `GET /api/v2/instance`.
async fn v2(State(state): State<AppState>) -> AppResult<Json<Value>> {
    let cfg = &state.config;
    let (usage, rules) = {
        let mut h = state.db.read().await?;
        (
            accounts::usage(h.conn(), now_ms()).await?,
            repo::rules(h.conn()).await?,
        )
    };
    let thumbnail = thumbnail_url(cfg);
    Ok(Json(json!({
        "domain": state.domain,
        "title": cfg.title,
        "version": version(),
        "source_url": env!("CARGO_PKG_REPOSITORY"),
        "description": cfg.description,
        "usage": { "users": { "active_month": usage.active_month } },
        "thumbnail": {
            "url": thumbnail,
            "description": cfg.title,
            "blurhash": DEFAULT_THUMBNAIL_BLURHASH,
            "versions": { "@1x": thumbnail, "@2x": thumbnail },
        },
        "icon": [],
        "languages": ["en"],
        "configuration": {
            "urls": {
                "streaming": cfg.streaming_url(),
                "status": null,
                "about": format!("{}/about", cfg.url),
                "privacy_policy": format!("{}/privacy-policy", cfg.url),
                "terms_of_service": null,
            },
            // Web Push is not offered (yet), so there is no VAPID key to announce.
            "vapid": { "public_key": "" },
            "accounts": {
                "max_display_name_length": limits::MAX_DISPLAY_NAME_LENGTH,
                "max_note_length": limits::MAX_NOTE_LENGTH,
                "max_avatar_description_length": limits::MAX_DESCRIPTION_LENGTH,
                "max_header_description_length": limits::MAX_DESCRIPTION_LENGTH,
                "max_featured_tags": limits::MAX_FEATURED_TAGS,
                "max_pinned_statuses": limits::MAX_PINNED_STATUSES,
                "max_profile_fields": limits::MAX_PROFILE_FIELDS,
                "profile_field_name_limit": limits::PROFILE_FIELD_LIMIT,
                "profile_field_value_limit": limits::PROFILE_FIELD_LIMIT,
            },
            "statuses": statuses_config(),
            "media_attachments": media_config(true),
            "polls": polls_config(),
            "translation": { "enabled": false },
            "timelines_access": {
                "live_feeds": { "local": "public", "remote": "public" },
                "hashtag_feeds": { "local": "public", "remote": "public" },
                "trending_link_feeds": { "local": "public", "remote": "public" },
            },
            "limited_federation": false,
        },
        "registrations": {
            "enabled": cfg.registrations != Registrations::Closed,
            "approval_required": cfg.registrations == Registrations::Approval,
            "reason_required": false,
            "message": null,
            "min_age": null,
            "url": null,
        },
        "api_versions": { "mastodon": MASTODON_API_VERSION },
        "wrapstodon": null,
        "contact": {
            "email": cfg.contact_email,
            "account": contact_account(&state).await?,
        },
        "rules": rule_entities(&rules),
    })))
}

/// `GET /api/v1/instance` (deprecated in Mastodon, still used by many clients).
async fn v1(State(state): State<AppState>) -> AppResult<Json<Value>> {
    let cfg = &state.config;
    let (usage, rules) = {
        let mut h = state.db.read().await?;
        (
            accounts::usage(h.conn(), now_ms()).await?,
            repo::rules(h.conn()).await?,
        )
    };
    Ok(Json(json!({
        "uri": state.domain,
        "title": cfg.title,
        "short_description": cfg.description,
        "description": cfg.description,
        "email": cfg.contact_email,
        "version": version(),
        "urls": { "streaming_api": cfg.streaming_url() },
        "stats": {
            "user_count": usage.users,
            "status_count": usage.local_posts,
            "domain_count": usage.domains,
        },
        "thumbnail": thumbnail_url(cfg),
        "languages": ["en"],
        "registrations": cfg.registrations != Registrations::Closed,
        "approval_required": cfg.registrations == Registrations::Approval,
        "invites_enabled": false,
        "configuration": {
            "accounts": {
                "max_featured_tags": limits::MAX_FEATURED_TAGS,
                "max_pinned_statuses": limits::MAX_PINNED_STATUSES,
            },
            "statuses": statuses_config(),
            "media_attachments": media_config(false),
            "polls": polls_config(),
        },
        "contact_account": contact_account(&state).await?,
        "rules": rule_entities(&rules),
    })))
}

/// `GET /api/v1/instance/peers`: domains this server knows accounts on.
async fn peers(State(state): State<AppState>) -> AppResult<Json<Vec<String>>> {
    let mut h = state.db.read().await?;
    Ok(Json(repo::peers(h.conn()).await?))
}

/// Start (unix ms) of the week (Monday 00:00 UTC) containing `ms`.
fn week_start(ms: i64) -> i64 {
    let day = ms.div_euclid(86_400_000);
    // 1970-01-01 was a Thursday: day 0 is weekday 3 counting from Monday = 0.
    let weekday = (day + 3).rem_euclid(7);
    (day - weekday) * 86_400_000
}

/// `GET /api/v1/instance/activity`: the last 12 weeks, current week first. Logins are
/// approximated from access tokens (see `db::instance::weekly_activity`).
async fn activity(State(state): State<AppState>) -> AppResult<Json<Vec<Value>>> {
    const WEEKS: usize = 12;
    let current = week_start(now_ms());
    let since = current - (WEEKS as i64 - 1) * repo::WEEK_MS;
    let mut h = state.db.read().await?;
    let counts = repo::weekly_activity(h.conn(), since, WEEKS).await?;
    Ok(Json(
        counts
            .iter()
            .enumerate()
            .rev()
            .map(|(i, w)| {
                json!({
                    "week": ((since + i as i64 * repo::WEEK_MS) / 1000).to_string(),
                    "statuses": w.statuses.to_string(),
                    "logins": w.logins.to_string(),
                    "registrations": w.registrations.to_string(),
                })
            })
            .collect(),
    ))
}

/// `GET /api/v1/instance/rules`.
async fn rules(State(state): State<AppState>) -> AppResult<Json<Vec<Value>>> {
    let mut h = state.db.read().await?;
    Ok(Json(rule_entities(&repo::rules(h.conn()).await?)))
}

/// `GET /api/v1/instance/extended_description`: the configured description as HTML.
async fn extended_description(State(state): State<AppState>) -> Json<Value> {
    let content = format!(
        "<p>{}</p>",
        html_escape::encode_text(&state.config.description)
    );
    Json(json!({ "updated_at": null, "content": content }))
}

/// `GET /api/v1/instance/languages`.
async fn languages() -> Json<Vec<Value>> {
    Json(
        languages::LANGUAGES
            .iter()
            .map(|(code, name)| json!({ "code": code, "name": name }))
            .collect(),
    )
}

/// `GET /.well-known/nodeinfo`: where the NodeInfo documents are.
async fn nodeinfo_links(State(state): State<AppState>) -> Json<Value> {
    let url = &state.config.url;
    Json(json!({
        "links": [
            { "rel": "http://nodeinfo.diaspora.software/ns/schema/2.0", "href": format!("{url}/nodeinfo/2.0") },
            { "rel": "http://nodeinfo.diaspora.software/ns/schema/2.1", "href": format!("{url}/nodeinfo/2.1") },
        ]
    }))
}

/// A NodeInfo document of schema `version` (`2.0` or `2.1`).
async fn nodeinfo(state: &AppState, version: &'static str) -> AppResult<Response> {
    let cfg = &state.config;
    let usage = {
        let mut h = state.db.read().await?;
        accounts::usage(h.conn(), now_ms()).await?
    };
    let mut software = json!({ "name": "woolly", "version": env!("CARGO_PKG_VERSION") });
    if version == "2.1" {
        software["repository"] = json!(env!("CARGO_PKG_REPOSITORY"));
        software["homepage"] = json!(env!("CARGO_PKG_REPOSITORY"));
    }
    let body = json!({
        "version": version,
        "software": software,
        "protocols": ["activitypub"],
        "services": { "outbound": [], "inbound": [] },
        "usage": {
            "users": {
                "total": usage.users,
                "activeMonth": usage.active_month,
                "activeHalfyear": usage.active_halfyear,
            },
            "localPosts": usage.local_posts,
        },
        "openRegistrations": cfg.registrations == Registrations::Open,
        "metadata": {
            "nodeName": cfg.title,
            "nodeDescription": cfg.description,
            "upstream": { "name": "mastodon", "version": MASTODON_VERSION },
        },
    });
    let content_type = format!(
        "application/json; profile=\"http://nodeinfo.diaspora.software/ns/schema/{version}#\""
    );
    Ok(([(header::CONTENT_TYPE, content_type)], body.to_string()).into_response())
}

/// `GET /nodeinfo/2.0`.
async fn nodeinfo_20(State(state): State<AppState>) -> AppResult<Response> {
    nodeinfo(&state, "2.0").await
}

/// `GET /nodeinfo/2.1`.
async fn nodeinfo_21(State(state): State<AppState>) -> AppResult<Response> {
    nodeinfo(&state, "2.1").await
}

/// `GET /health`: `OK` once the database answers.
async fn health(State(state): State<AppState>) -> AppResult<impl IntoResponse> {
    let mut h = state.db.read().await?;
    accounts::get(h.conn(), 0).await?;
    Ok(([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], "OK"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weeks_start_on_monday() {
        // 2019-12-05 (a Thursday) → Monday 2019-12-02.
        assert_eq!(week_start(1_575_545_687_196), 1_575_244_800_000);
        assert_eq!(week_start(1_575_244_800_000), 1_575_244_800_000);
        assert!(version().starts_with("4.3.0 (compatible; Woolly "));
    }
}
