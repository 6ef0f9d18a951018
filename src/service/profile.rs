//! Editing one's own profile (`PATCH /api/v1/accounts/update_credentials`): validation with
//! Mastodon's limits and error format, rendering of the bio and field values, and the posting
//! defaults reported in `source`.

use std::collections::HashMap;

use serde_json::{Map, Value, json};

use crate::config::Config;
use crate::db::accounts::{self, Account, ProfileUpdate, User};
use crate::db::media as media_repo;
use crate::db::{Conn, follows};
use crate::error::{AppError, AppResult};
use crate::service::federate;
use crate::service::follows as service_follows;
use crate::service::hydrate::{StoredField, account_url, stored_fields};
use crate::service::media::{self, ProfileImage};
use crate::service::text::{self, MentionTarget, Token};
use crate::state::AppState;
use crate::time::now_ms;

/// Longest display name, in characters.
pub const MAX_DISPLAY_NAME: usize = 30;
/// Longest bio, counted like a status (URLs as 23 characters).
pub const MAX_NOTE: usize = 500;
/// Most profile fields.
pub const MAX_FIELDS: usize = 4;
/// Longest field name, in characters.
pub const MAX_FIELD_NAME: usize = 255;
/// Longest field value, in characters.
pub const MAX_FIELD_VALUE: usize = 255;

/// Posting visibilities a user may choose as default.
pub const PRIVACIES: &[&str] = &["public", "unlisted", "private", "direct"];

/// The changes requested; `None` leaves a value untouched.
#[derive(Debug, Clone, Default)]
pub struct ProfileChanges {
    pub display_name: Option<String>,
    pub note: Option<String>,
    /// (name, value) pairs as typed.
    pub fields: Option<Vec<(String, String)>>,
    pub locked: Option<bool>,
    pub bot: Option<bool>,
    pub discoverable: Option<bool>,
    pub indexable: Option<bool>,
    pub hide_collections: Option<bool>,
    /// `source[privacy]`.
    pub privacy: Option<String>,
    /// `source[sensitive]`.
    pub sensitive: Option<bool>,
    /// `source[language]`: `Some(None)` clears it.
    pub language: Option<Option<String>>,
    /// A new avatar: the uploaded file and its declared type.
    pub avatar: Option<(bytes::Bytes, Option<String>)>,
    /// A new header image: the uploaded file and its declared type.
    pub header: Option<(bytes::Bytes, Option<String>)>,
}

/// Validation failures, rendered like Mastodon's `ValidationErrorFormatter`.
#[derive(Debug, Default)]
struct Failures {
    messages: Vec<String>,
    details: Map<String, Value>,
}

impl Failures {
    fn add(&mut self, attr: &str, human: &str, code: &str, description: String) {
        self.messages.push(format!("{human} {description}"));
        let entry = self
            .details
            .entry(attr.to_owned())
            .or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(a) = entry {
            a.push(json!({ "error": code, "description": description }));
        }
    }

    fn into_result(self) -> AppResult<()> {
        if self.messages.is_empty() {
            return Ok(());
        }
        Err(AppError::Unprocessable {
            error: format!("Validation failed: {}", self.messages.join(", ")),
            details: Some(Value::Object(self.details)),
        })
    }
}

fn too_long(max: usize) -> String {
    format!("is too long (maximum is {max} characters)")
}

/// Checks `changes` against Mastodon's limits; all problems are reported at once.
fn validate(changes: &ProfileChanges) -> AppResult<()> {
    let mut f = Failures::default();
    if let Some(d) = &changes.display_name
        && d.chars().count() > MAX_DISPLAY_NAME
    {
        f.add(
            "display_name",
            "Display name",
            "ERR_TOO_LONG",
            too_long(MAX_DISPLAY_NAME),
        );
    }
    if let Some(n) = &changes.note
        && text::status_length(n) > MAX_NOTE
    {
        f.add(
            "note",
            "Note",
            "ERR_TOO_LONG",
            format!("character limit of {MAX_NOTE} exceeded"),
        );
    }
    if let Some(fields) = &changes.fields {
        if fields.len() > MAX_FIELDS {
            f.add("fields", "Fields", "ERR_TOO_LONG", too_long(MAX_FIELDS));
        }
        if fields
            .iter()
            .any(|(n, _)| n.chars().count() > MAX_FIELD_NAME)
        {
            f.add(
                "fields",
                "Fields",
                "ERR_TOO_LONG",
                format!("name {}", too_long(MAX_FIELD_NAME)),
            );
        }
        if fields
            .iter()
            .any(|(_, v)| v.chars().count() > MAX_FIELD_VALUE)
        {
            f.add(
                "fields",
                "Fields",
                "ERR_TOO_LONG",
                format!("value {}", too_long(MAX_FIELD_VALUE)),
            );
        }
        if fields.iter().any(|(n, v)| n.is_empty() && !v.is_empty()) {
            f.add(
                "fields",
                "Fields",
                "ERR_FIELDS_WITH_VALUES_MISSING_LABELS",
                "contains values with missing labels".into(),
            );
        }
    }
    if let Some(p) = &changes.privacy
        && !PRIVACIES.contains(&p.as_str())
    {
        f.add(
            "privacy",
            "Privacy",
            "ERR_INCLUSION",
            "is not included in the list".into(),
        );
    }
    if let Some(Some(l)) = &changes.language
        && !(l.len() == 2 && l.bytes().all(|b| b.is_ascii_lowercase()))
    {
        f.add(
            "language",
            "Language",
            "ERR_INVALID",
            "is not a valid ISO 639-1 language code".into(),
        );
    }
    f.into_result()
}

/// Resolves the local accounts mentioned in `tokens` (`@name` or `@name@thisdomain`); accounts
/// suspended or not confirmed or approved yet stay plain text.
async fn resolve_mentions(
    mut c: Conn<'_>,
    cfg: &Config,
    local_domain: &str,
    tokens: &[Token],
) -> Result<HashMap<String, MentionTarget>, sqlx::Error> {
    let mut out = HashMap::new();
    for (user, domain) in text::mentions(tokens) {
        let local = domain
            .as_deref()
            .is_none_or(|d| d.eq_ignore_ascii_case(local_domain));
        if !local {
            continue;
        }
        if let Some(a) = accounts::find_by_username(c.re(), &user, None).await?
            && a.suspended_at.is_none()
            && !accounts::is_unapproved(c.re(), a.id).await?
        {
            let key = match &domain {
                Some(d) => format!("{}@{}", user.to_lowercase(), d),
                None => user.to_lowercase(),
            };
            out.insert(
                key,
                MentionTarget {
                    url: account_url(cfg, &a),
                    username: a.username.clone(),
                },
            );
        }
    }
    Ok(out)
}

/// Renders a field value: escaped and linkified, without a paragraph, links marked `rel="me"`
/// (as Mastodon does, for link verification).
fn field_value_html(html: String) -> String {
    let inner = match html
        .strip_prefix("<p>")
        .and_then(|s| s.strip_suffix("</p>"))
    {
        Some(s) if !s.contains("<p>") => s.to_owned(),
        _ => html,
    };
    inner.replace("rel=\"nofollow noopener\"", "rel=\"nofollow noopener me\"")
}

/// New avatar and header images, stored before the transaction that points the account at
/// them.
#[derive(Debug, Default)]
struct NewImages {
    avatar: Option<media::StoredProfileImage>,
    header: Option<media::StoredProfileImage>,
}

impl NewImages {
    fn keys(&self) -> Vec<String> {
        [&self.avatar, &self.header]
            .into_iter()
            .flatten()
            .flat_map(|i| i.keys.iter().cloned())
            .collect()
    }
}

/// Validates and applies `changes` to the user's account and posting defaults, in one
/// transaction. Unlocking the account approves its pending follow requests in that same
/// transaction. Nothing is written when any value is invalid; new avatar and header files
/// are stored first and deleted again if the transaction fails, and the files they replace
/// are deleted by a job enqueued in it.
pub async fn update(
    state: &AppState,
    account_id: i64,
    user_id: i64,
    mut changes: ProfileChanges,
) -> AppResult<()> {
    let avatar = changes.avatar.take();
    let header = changes.header.take();
    if let Some(fields) = &mut changes.fields {
        // Mastodon strips both parts and drops rows left entirely blank.
        *fields = fields
            .iter()
            .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
            .filter(|(n, v)| !(n.is_empty() && v.is_empty()))
            .collect();
    }
    validate(&changes)?;
    let mut images = NewImages::default();
    if let Some((data, ct)) = avatar {
        images.avatar = Some(
            media::store_profile_image(state, ProfileImage::Avatar, data, ct.as_deref()).await?,
        );
    }
    if let Some((data, ct)) = header {
        match media::store_profile_image(state, ProfileImage::Header, data, ct.as_deref()).await {
            Ok(h) => images.header = Some(h),
            Err(e) => {
                media::discard_files(state, &images.keys()).await;
                return Err(e);
            }
        }
    }
    let result = write(state, account_id, user_id, changes, &images).await;
    if result.is_err() {
        media::discard_files(state, &images.keys()).await;
    }
    result
}

/// Writes validated `changes` and the stored `images` in one transaction.
async fn write(
    state: &AppState,
    account_id: i64,
    user_id: i64,
    changes: ProfileChanges,
    images: &NewImages,
) -> AppResult<()> {
    let (cfg, local_domain) = (&state.config, state.domain.as_str());

    let mut tx = state.db.begin().await?;
    // The account's row is locked before it is read, so that `locked` cannot change under a
    // concurrent follow; when unlocking, the rows of the accounts waiting for approval are
    // locked with it (in id order, as every action between two accounts does).
    let mut lock = vec![account_id];
    if changes.locked == Some(false) {
        lock.extend(follows::requesters_of(tx.conn(), account_id).await?);
    }
    accounts::lock_rows(tx.conn(), &lock).await?;
    let account: Account = accounts::get(tx.conn(), account_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let user: User = accounts::get_user(tx.conn(), user_id)
        .await?
        .ok_or(AppError::NotFound)?;

    let (note, note_source) = match &changes.note {
        Some(src) => {
            let tokens = text::scan(src);
            let resolved = resolve_mentions(tx.conn(), cfg, local_domain, &tokens).await?;
            (text::to_html(&tokens, &resolved, &cfg.url), src.clone())
        }
        None => (account.note.clone(), account.note_source.clone()),
    };
    let fields = match &changes.fields {
        Some(pairs) => {
            let previous = stored_fields(&account.fields);
            let mut stored = Vec::with_capacity(pairs.len());
            for (name, value) in pairs {
                let one_line = value.replace(['\r', '\n'], " ");
                let tokens = text::scan(&one_line);
                let resolved = resolve_mentions(tx.conn(), cfg, local_domain, &tokens).await?;
                // A verification survives as long as the value is unchanged.
                let verified_at = previous
                    .iter()
                    .find(|p| p.value_source == *value)
                    .and_then(|p| p.verified_at.clone());
                stored.push(StoredField {
                    name: name.clone(),
                    value: field_value_html(text::to_html(&tokens, &resolved, &cfg.url)),
                    value_source: value.clone(),
                    verified_at,
                });
            }
            serde_json::to_string(&stored).map_err(anyhow::Error::from)?
        }
        None => account.fields.clone(),
    };
    let profile = ProfileUpdate {
        display_name: changes
            .display_name
            .clone()
            .unwrap_or_else(|| account.display_name.clone()),
        note,
        note_source,
        fields,
        locked: changes.locked.unwrap_or(account.locked),
        bot: changes.bot.unwrap_or(account.bot),
        discoverable: changes.discoverable.unwrap_or(account.discoverable),
        indexable: changes.indexable.unwrap_or(account.indexable),
        hide_collections: changes.hide_collections.unwrap_or(account.hide_collections),
    };
    let now = now_ms();
    accounts::update_profile(tx.conn(), account.id, &profile, now).await?;
    let mut replaced = Vec::new();
    if let Some(a) = &images.avatar {
        media_repo::set_profile_image(tx.conn(), account.id, "avatar", &a.url, now).await?;
        replaced.extend(media::profile_image_keys(
            cfg,
            account.avatar_url.as_deref(),
        ));
    }
    if let Some(h) = &images.header {
        media_repo::set_profile_image(tx.conn(), account.id, "header", &h.url, now).await?;
        replaced.extend(media::profile_image_keys(
            cfg,
            account.header_url.as_deref(),
        ));
    }
    media::enqueue_file_deletion(tx.conn(), replaced).await?;
    if account.locked && !profile.locked {
        // Unlocking approves everyone who was waiting (Mastodon's UpdateAccountService).
        service_follows::authorize_all_requests(tx.conn(), account.id).await?;
    }
    federate::profile_updated(tx.conn(), federate::site(cfg, local_domain), account.id).await?;
    if changes.privacy.is_some() || changes.sensitive.is_some() || changes.language.is_some() {
        let privacy = changes.privacy.unwrap_or(user.default_privacy);
        let sensitive = changes.sensitive.unwrap_or(user.default_sensitive);
        let language = match changes.language {
            Some(l) => l,
            None => user.default_language,
        };
        accounts::update_posting_defaults(
            tx.conn(),
            user.id,
            &privacy,
            sensitive,
            language.as_deref(),
        )
        .await?;
    }
    tx.commit().await?;
    state.wake_workers();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_values_lose_the_paragraph_and_gain_rel_me() {
        let html = text::to_html(
            &text::scan("https://example.com/me"),
            &HashMap::new(),
            "https://w.example",
        );
        let v = field_value_html(html);
        assert!(v.starts_with("<a href=\"https://example.com/me\""), "{v}");
        assert!(v.contains("rel=\"nofollow noopener me\""), "{v}");
        assert_eq!(
            field_value_html(text::to_html(&text::scan("a <b>"), &HashMap::new(), "x")),
            "a &lt;b&gt;"
        );
    }

    #[test]
    fn validation_reports_every_problem() {
        let changes = ProfileChanges {
            display_name: Some("x".repeat(31)),
            note: Some("y".repeat(501)),
            fields: Some(vec![("".into(), "v".into())]),
            privacy: Some("secret".into()),
            ..Default::default()
        };
        let Err(AppError::Unprocessable { error, details }) = validate(&changes) else {
            panic!("expected a validation error");
        };
        assert!(error.starts_with("Validation failed: Display name is too long"));
        let d = details.unwrap();
        for key in ["display_name", "note", "fields", "privacy"] {
            assert!(d[key][0]["error"].is_string(), "{key}: {d}");
        }
        assert!(validate(&ProfileChanges::default()).is_ok());
        let long_url = format!("https://example.com/{}", "a".repeat(600));
        assert!(
            validate(&ProfileChanges {
                note: Some(long_url),
                ..Default::default()
            })
            .is_ok()
        );
    }
}
