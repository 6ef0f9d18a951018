//! What posting and editing share: text normalisation and validation (Mastodon's messages),
//! visibility and language choice, and rendering the text to HTML with its mentions and
//! hashtags resolved.

use std::collections::{HashMap, HashSet};

use crate::config::Config;
use crate::db::follows::{self, Relation};
use crate::db::media::{self, MediaRow};
use crate::db::{Conn, accounts, statuses};
use crate::error::{AppError, AppResult};
use crate::service::hydrate::account_url;
use crate::service::text::{self, MentionTarget, Token};
use crate::state::AppState;

use super::language;

/// Characters a local status may have (text plus content warning; URLs count as 23).
pub const MAX_CHARS: usize = 500;
/// Media attachments a status may carry.
pub const MAX_MEDIA: usize = 4;
/// The visibilities a status can be posted with.
pub const VISIBILITIES: &[&str] = &["public", "unlisted", "private", "direct"];

/// Text and content warning as Mastodon stores them: both trimmed, and a post with only a
/// content warning uses the warning as its text.
pub fn normalize_text(text: Option<&str>, spoiler_text: Option<&str>) -> (String, String) {
    let text = text.unwrap_or("").trim().to_owned();
    let spoiler = spoiler_text.unwrap_or("").trim().to_owned();
    if text.is_empty() && !spoiler.is_empty() {
        (spoiler, String::new())
    } else {
        (text, spoiler)
    }
}

/// Mastodon's validations of a local status's text (which may be blank when media are
/// attached).
pub fn validate_text(text: &str, spoiler_text: &str, with_media: bool) -> AppResult<()> {
    if text.is_empty() && !with_media {
        return Err(AppError::unprocessable(
            "Validation failed: Text can't be blank",
        ));
    }
    if text::status_length(text) + spoiler_text.chars().count() > MAX_CHARS {
        return Err(AppError::unprocessable(format!(
            "Validation failed: Text character limit of {MAX_CHARS} exceeded"
        )));
    }
    Ok(())
}

/// The media ids a client asked to attach, in order (blank entries ignored, repeats once),
/// under Mastodon's rule: at most [`MAX_MEDIA`], and not together with a poll.
pub fn media_ids(media_ids: &[String], poll: bool) -> AppResult<Vec<i64>> {
    let mut raw: Vec<&str> = Vec::new();
    for s in media_ids.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
        if !raw.contains(&s) {
            raw.push(s);
        }
    }
    if raw.len() > MAX_MEDIA || (!raw.is_empty() && poll) {
        return Err(AppError::unprocessable(format!(
            "Cannot attach more than {MAX_MEDIA} files"
        )));
    }
    let bad: Vec<&str> = raw
        .iter()
        .copied()
        .filter(|s| crate::id::parse(s).is_none())
        .collect();
    if !bad.is_empty() {
        return Err(media_not_found(&bad));
    }
    Ok(raw.iter().filter_map(|s| crate::id::parse(s)).collect())
}

fn media_not_found(ids: &[impl std::fmt::Display]) -> AppError {
    let list: Vec<String> = ids.iter().map(ToString::to_string).collect();
    AppError::unprocessable(format!(
        "Media {} not found or already attached to another post",
        list.join(", ")
    ))
}

/// The media `ids` (in that order) for a status of `account_id`: each must be the author's,
/// unattached (or already on `status_id`, when editing) and processed; Mastodon refuses media
/// still being processed ("Try again in a moment").
pub async fn attachable_media(
    c: Conn<'_>,
    account_id: i64,
    ids: &[i64],
    status_id: Option<i64>,
) -> AppResult<Vec<MediaRow>> {
    let rows = media::get_owned(c, account_id, ids).await?;
    let usable = |m: &MediaRow| {
        (m.status_id.is_none() || m.status_id == status_id)
            && m.processing != media::processing::FAILED
    };
    let missing: Vec<i64> = ids
        .iter()
        .copied()
        .filter(|id| !rows.iter().any(|m| m.id == *id && usable(m)))
        .collect();
    if !missing.is_empty() {
        return Err(media_not_found(&missing));
    }
    if rows
        .iter()
        .any(|m| m.processing == media::processing::QUEUED)
    {
        return Err(AppError::unprocessable(
            "Cannot attach files that have not finished processing. Try again in a moment!",
        ));
    }
    let mut ordered = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(m) = rows.iter().find(|m| m.id == *id) {
            ordered.push(m.clone());
        }
    }
    Ok(ordered)
}

/// Attaches `media` to `status_id` in their order, and detaches any other media it had.
pub async fn attach_media(
    mut c: Conn<'_>,
    account_id: i64,
    status_id: i64,
    media: &[MediaRow],
    now: i64,
) -> AppResult<()> {
    let ids: Vec<i64> = media.iter().map(|m| m.id).collect();
    media::detach_others(c.re(), status_id, &ids, now).await?;
    for (position, m) in media.iter().enumerate() {
        if !media::attach(c.re(), m.id, account_id, status_id, position as i64, now).await? {
            // Attached elsewhere by a concurrent request since it was checked.
            return Err(media_not_found(&[m.id]));
        }
    }
    Ok(())
}

/// The visibility to post with: the parameter, else the user's default.
pub fn visibility(param: Option<&str>, default: &str) -> AppResult<String> {
    let v = match param.map(str::trim) {
        Some(v) if !v.is_empty() => v,
        _ => default,
    };
    if VISIBILITIES.contains(&v) {
        Ok(v.to_owned())
    } else {
        Err(AppError::unprocessable(
            "Validation failed: Visibility is not included in the list",
        ))
    }
}

/// The language to post with: the parameter if supported, else the user's default posting
/// language, else their interface locale, else English.
pub fn language(param: Option<&str>, fallbacks: &[Option<&str>]) -> String {
    language::cascade(std::iter::once(param).chain(fallbacks.iter().copied()))
}

/// Remote accounts one status may cause to be resolved (the rest must be known already).
pub const MAX_RESOLVED_MENTIONS: usize = 10;

/// Resolves the remote accounts `text` mentions (`@user@other.domain`) that this server does
/// not know yet, so that [`render`] finds them, as Mastodon's `ProcessMentionsService` does
/// while posting: WebFinger and actor fetches, concurrently, within the user budget
/// (`resolve::USER_BUDGET`). Call it before opening the posting transaction; handles that
/// cannot be resolved stay plain text.
pub async fn resolve_remote_mentions(state: &AppState, text: &str) -> Result<(), sqlx::Error> {
    let tokens = text::scan(text);
    let mut unknown = Vec::new();
    {
        let mut h = state.db.read().await?;
        for (user, domain) in text::mentions(&tokens) {
            let Some(domain) = domain.filter(|d| !d.eq_ignore_ascii_case(&state.domain)) else {
                continue;
            };
            if unknown.len() == MAX_RESOLVED_MENTIONS {
                break;
            }
            if accounts::find_by_username(h.conn(), &user, Some(&domain))
                .await?
                .is_none()
            {
                unknown.push((user, domain));
            }
        }
    }
    futures::future::join_all(
        unknown
            .iter()
            .map(|(user, domain)| crate::federation::resolve::handle_for_user(state, user, domain)),
    )
    .await;
    Ok(())
}

/// A mentioned account found while rendering.
#[derive(Debug, Clone, Copy)]
pub struct Mentioned {
    /// Account id.
    pub account_id: i64,
    /// Whether the account is local (and so notified directly).
    pub local: bool,
}

/// A status text rendered for storage.
#[derive(Debug, Clone)]
pub struct Rendered {
    /// Mastodon-style HTML.
    pub content: String,
    /// Accounts mentioned, deduplicated, in order of appearance.
    pub mentions: Vec<Mentioned>,
    /// Hashtags: (lower-cased name, name as first written).
    pub tags: Vec<(String, String)>,
}

/// Renders `text` for `author_id`: resolves `@user` and `@user@this.domain` to local accounts
/// (and `@user@other.domain` to accounts already known), leaving unknown or suspended ones,
/// local ones not confirmed or approved yet and accounts the author blocks as plain text, and
/// collects the hashtags.
pub async fn render(
    mut c: Conn<'_>,
    cfg: &Config,
    local_domain: &str,
    author_id: i64,
    text: &str,
) -> Result<Rendered, sqlx::Error> {
    let tokens = text::scan(text);
    let mut found: Vec<(String, accounts::Account)> = Vec::new();
    for (user, domain) in text::mentions(&tokens) {
        let lookup_domain = domain
            .as_deref()
            .filter(|d| !d.eq_ignore_ascii_case(local_domain));
        let Some(account) = accounts::find_by_username(c.re(), &user, lookup_domain).await? else {
            continue;
        };
        if account.suspended_at.is_some() {
            continue;
        }
        let key = match &domain {
            Some(d) => format!("{}@{}", user.to_lowercase(), d),
            None => user.to_lowercase(),
        };
        found.push((key, account));
    }
    // Local accounts not confirmed or approved yet cannot be mentioned (as in Mastodon).
    let ids: Vec<i64> = found.iter().map(|(_, a)| a.id).collect();
    let unapproved = accounts::unapproved_among(c.re(), &ids).await?;
    found.retain(|(_, a)| !unapproved.contains(&a.id));
    let ids: Vec<i64> = found.iter().map(|(_, a)| a.id).collect();
    let blocked = follows::among(
        c.re(),
        Relation::Blocking,
        author_id,
        &ids,
        crate::time::now_ms(),
    )
    .await?;
    let mut resolved = HashMap::new();
    let mut mentions = Vec::new();
    let mut seen = HashSet::new();
    for (key, account) in found {
        if blocked.contains(&account.id) {
            continue;
        }
        resolved.insert(
            key,
            MentionTarget {
                url: account_url(cfg, &account),
                username: account.username.clone(),
            },
        );
        if seen.insert(account.id) {
            mentions.push(Mentioned {
                account_id: account.id,
                local: account.is_local(),
            });
        }
    }
    let mut tags: Vec<(String, String)> = Vec::new();
    for t in &tokens {
        if let Token::Hashtag(h) = t {
            let name = h.to_lowercase();
            if !tags.iter().any(|(n, _)| *n == name) {
                tags.push((name, h.clone()));
            }
        }
    }
    Ok(Rendered {
        content: text::to_html(&tokens, &resolved, &cfg.url),
        mentions,
        tags,
    })
}

/// Stores the hashtags of a status (creating unknown tags), replacing any previous ones.
pub async fn store_tags(
    mut c: Conn<'_>,
    status_id: i64,
    tags: &[(String, String)],
    now: i64,
) -> Result<(), sqlx::Error> {
    let mut ids = Vec::with_capacity(tags.len());
    for (name, display) in tags {
        ids.push(statuses::upsert_tag(c.re(), name, display, now).await?);
    }
    statuses::set_status_tags(c, status_id, &ids).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_rules() {
        assert_eq!(
            normalize_text(Some("  hi "), None),
            ("hi".to_string(), String::new())
        );
        assert_eq!(
            normalize_text(Some(" "), Some("cw")),
            ("cw".to_string(), String::new())
        );
        assert!(validate_text("", "", false).is_err());
        assert!(validate_text("", "", true).is_ok());
        assert!(validate_text(&"a".repeat(500), "", false).is_ok());
        assert!(validate_text(&"a".repeat(499), "bb", false).is_err());
        let urls = format!(
            "{} https://example.com/{}",
            "a".repeat(476),
            "x".repeat(300)
        );
        assert!(validate_text(&urls, "", false).is_ok());
    }

    #[test]
    fn visibility_and_language() {
        assert_eq!(visibility(None, "unlisted").unwrap(), "unlisted");
        assert_eq!(visibility(Some("direct"), "public").unwrap(), "direct");
        assert!(visibility(Some("everyone"), "public").is_err());
        assert_eq!(language(Some("xx"), &[Some("de"), Some("en")]), "de");
        assert_eq!(language(None, &[None, Some("fr")]), "fr");
    }

    #[test]
    fn media_ids_are_bounded_and_exclusive_with_polls() {
        assert_eq!(media_ids(&[], false).unwrap(), Vec::<i64>::new());
        assert_eq!(media_ids(&["".into()], false).unwrap(), Vec::<i64>::new());
        assert_eq!(
            media_ids(&["12".into(), " 7 ".into(), "12".into()], false).unwrap(),
            vec![12, 7]
        );
        let five: Vec<String> = (1..=5).map(|i| i.to_string()).collect();
        assert!(media_ids(&five, false).is_err());
        assert!(media_ids(&["1".into()], true).is_err());
        assert!(media_ids(&[], true).is_ok());
        let e = media_ids(&["x1".into()], false).unwrap_err();
        assert!(e.to_string().contains("Media x1 not found"));
    }
}
