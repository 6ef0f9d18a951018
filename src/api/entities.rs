//! Mastodon API entities, serialised exactly as Mastodon 4.x does (keys, types, nullability).
//! Conversion from database rows lives in `crate::service::hydrate`.

use serde::Serialize;

pub mod filters;

/// A profile field (`fields[]`).
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct Field {
    pub name: String,
    pub value: String,
    pub verified_at: Option<String>,
}

/// A custom emoji (none exist yet; the type keeps the `emojis` arrays honest).
#[derive(Debug, Clone, Serialize)]
pub struct CustomEmoji {
    pub shortcode: String,
    pub url: String,
    pub static_url: String,
    pub visible_in_picker: bool,
    pub category: Option<String>,
}

/// A role badge shown on a profile.
#[derive(Debug, Clone, Serialize)]
pub struct AccountRoleBadge {
    pub id: String,
    pub name: String,
    pub color: String,
}

/// Quote / feature approval policy object (`feature_approval`, `quote_approval`).
#[derive(Debug, Clone, Serialize)]
pub struct ApprovalPolicy {
    pub automatic: Vec<String>,
    pub manual: Vec<String>,
    pub current_user: String,
}

/// `Account`.
#[derive(Debug, Clone, Serialize)]
pub struct Account {
    pub id: String,
    pub username: String,
    pub acct: String,
    pub display_name: String,
    pub locked: bool,
    pub bot: bool,
    pub discoverable: Option<bool>,
    pub indexable: bool,
    pub group: bool,
    pub created_at: String,
    pub note: String,
    pub url: String,
    pub uri: String,
    pub avatar: String,
    pub avatar_static: String,
    pub avatar_description: String,
    pub header: String,
    pub header_static: String,
    pub header_description: String,
    pub followers_count: i64,
    pub following_count: i64,
    pub statuses_count: i64,
    pub last_status_at: Option<String>,
    pub hide_collections: Option<bool>,
    pub show_media: bool,
    pub show_media_replies: bool,
    pub show_featured: bool,
    pub noindex: bool,
    pub feature_approval: ApprovalPolicy,
    pub emojis: Vec<CustomEmoji>,
    pub roles: Vec<AccountRoleBadge>,
    pub fields: Vec<Field>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub moved: Option<Box<Account>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suspended: Option<bool>,
    /// `true` for an account limited by a domain block (Mastodon's `limited`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limited: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mute_expires_at: Option<Option<String>>,
}

/// `source` of a CredentialAccount.
#[derive(Debug, Clone, Serialize)]
pub struct AccountSource {
    pub privacy: String,
    pub sensitive: bool,
    pub language: Option<String>,
    pub note: String,
    pub fields: Vec<Field>,
    pub follow_requests_count: i64,
    pub hide_collections: Option<bool>,
    pub discoverable: Option<bool>,
    pub indexable: bool,
    pub attribution_domains: Vec<String>,
    pub quote_policy: String,
}

/// `Role` of a CredentialAccount.
#[derive(Debug, Clone, Serialize)]
pub struct Role {
    pub id: String,
    pub name: String,
    /// Permission bitmask, as a string.
    pub permissions: String,
    pub color: String,
    pub highlighted: bool,
    pub collection_limit: i64,
}

/// `CredentialAccount`: the caller's own account with `source` and `role`.
#[derive(Debug, Clone, Serialize)]
pub struct CredentialAccount {
    #[serde(flatten)]
    pub account: Account,
    pub source: AccountSource,
    pub role: Role,
}

/// A mention in a status.
#[derive(Debug, Clone, Serialize)]
pub struct Mention {
    pub id: String,
    pub username: String,
    pub url: String,
    pub acct: String,
}

/// A hashtag in a status.
#[derive(Debug, Clone, Serialize)]
pub struct StatusTag {
    pub name: String,
    pub url: String,
}

/// The application a status was posted with.
#[derive(Debug, Clone, Serialize)]
pub struct StatusApplication {
    pub name: String,
    pub website: Option<String>,
}

/// The part of a `Status` that is the same for every viewer: everything but `account`,
/// `reblog`, `poll` (cached beside it, see `service::hydrate::poll`), `quote_approval` and the viewer's flags (`favourited`, `reblogged`, `muted`,
/// `bookmarked`, `pinned`, `filtered`). `service::hydrate` serialises it once per status
/// version, caches it, and writes the complete `Status` around it (see
/// `service::hydrate::json`); the shape tests check the result against Mastodon's.
#[derive(Debug, Clone, Serialize)]
pub struct StatusCore {
    pub id: String,
    pub created_at: String,
    pub in_reply_to_id: Option<String>,
    pub in_reply_to_account_id: Option<String>,
    pub sensitive: bool,
    pub spoiler_text: String,
    pub visibility: String,
    pub language: Option<String>,
    pub uri: String,
    pub url: Option<String>,
    pub replies_count: i64,
    pub reblogs_count: i64,
    pub favourites_count: i64,
    pub quotes_count: i64,
    pub edited_at: Option<String>,
    pub content: String,
    /// Always present (null when unknown), as Mastodon renders it for local statuses.
    pub application: Option<StatusApplication>,
    pub media_attachments: Vec<MediaAttachment>,
    pub mentions: Vec<Mention>,
    pub tags: Vec<StatusTag>,
    pub emojis: Vec<CustomEmoji>,
    pub tagged_collections: Vec<serde_json::Value>,
    pub quote: Option<serde_json::Value>,
    pub card: Option<serde_json::Value>,
}

/// `MediaAttachment`: an upload (or a remote status's file). `url` is null while it is
/// being processed.
#[derive(Debug, Clone, Serialize)]
pub struct MediaAttachment {
    pub id: String,
    /// `image`, `gifv`, `video`, `audio` or `unknown`.
    #[serde(rename = "type")]
    pub kind: String,
    pub url: Option<String>,
    pub preview_url: Option<String>,
    pub remote_url: Option<String>,
    pub preview_remote_url: Option<String>,
    pub text_url: Option<String>,
    /// `original`/`small` sizes, `focus`, and for video and audio the stream facts.
    pub meta: serde_json::Value,
    /// Alt text; null when none was given.
    pub description: Option<String>,
    pub blurhash: Option<String>,
}

/// `Relationship`.
#[derive(Debug, Clone, Serialize)]
pub struct Relationship {
    pub id: String,
    pub following: bool,
    pub showing_reblogs: bool,
    pub notifying: bool,
    pub languages: Option<Vec<String>>,
    pub followed_by: bool,
    pub blocking: bool,
    pub blocked_by: bool,
    pub muting: bool,
    pub muting_notifications: bool,
    pub muting_expires_at: Option<String>,
    pub requested: bool,
    pub requested_by: bool,
    pub domain_blocking: bool,
    pub endorsed: bool,
    pub note: String,
}

/// `Notification` (v1).
#[derive(Debug, Clone, Serialize)]
pub struct Notification {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub created_at: String,
    pub group_key: String,
    pub account: Account,
    /// The status, pre-rendered; written in by [`crate::service::hydrate::json`].
    #[serde(skip)]
    pub status: Option<crate::service::hydrate::RawJson>,
}

/// `Tag` (search results, tag pages).
#[derive(Debug, Clone, Serialize)]
pub struct Tag {
    pub id: String,
    pub name: String,
    pub url: String,
    pub history: Vec<TagHistory>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub following: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub featuring: Option<bool>,
}

/// One day of a tag's usage history; all values are strings, as in Mastodon.
#[derive(Debug, Clone, Serialize)]
pub struct TagHistory {
    pub day: String,
    pub uses: String,
    pub accounts: String,
}

/// `FeaturedTag`: a hashtag featured on a profile, with its use in the account's statuses.
#[derive(Debug, Clone, Serialize)]
pub struct FeaturedTag {
    pub id: String,
    pub name: String,
    /// The account's page of statuses with the tag.
    pub url: String,
    /// A string, as in Mastodon.
    pub statuses_count: String,
    /// The day of the newest such status (`YYYY-MM-DD`), or null.
    pub last_status_at: Option<String>,
}
