//! Filter entities: `Filter`, `FilterKeyword`, `FilterStatus` (v2) and the v1 `Filter`.

use serde::Serialize;

/// Mastodon's `Filter` (v2). `keywords` and `statuses` are present only where the filter
/// itself is asked for (not inside a `FilterResult`).
#[derive(Debug, Clone, Serialize)]
pub struct Filter {
    pub id: String,
    pub title: String,
    pub context: Vec<String>,
    pub expires_at: Option<String>,
    pub filter_action: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub keywords: Option<Vec<FilterKeyword>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub statuses: Option<Vec<FilterStatus>>,
}

/// Mastodon's `FilterKeyword`.
#[derive(Debug, Clone, Serialize)]
pub struct FilterKeyword {
    pub id: String,
    pub keyword: String,
    pub whole_word: bool,
}

/// Mastodon's `FilterStatus`.
#[derive(Debug, Clone, Serialize)]
pub struct FilterStatus {
    pub id: String,
    pub status_id: String,
}

/// Mastodon's v1 `Filter` (`V1::Filter`): one keyword of a v2 filter.
#[derive(Debug, Clone, Serialize)]
pub struct FilterV1 {
    pub id: String,
    pub phrase: String,
    pub context: Vec<String>,
    pub whole_word: bool,
    pub expires_at: Option<String>,
    pub irreversible: bool,
}
