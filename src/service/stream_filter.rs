//! What each receiver's own filters say about a status on a live stream: the hook through
//! which filters (v2) reach the streaming API.
//!
//! The dispatcher (`api::streaming::dispatch`) calls [`verdicts`] once per event with every
//! receiver of it, after visibility, blocks and mutes were applied, and before anything is
//! sent: [`Verdict::Hide`] drops the event for that receiver, [`Verdict::Warn`] sends the
//! status with its `filtered` array set. Receivers absent from the answer see the status
//! as it is.

use std::collections::HashMap;

use crate::db::filters as filters_repo;
use crate::db::{Conn, statuses};
use crate::service::filters::{self, Context, ViewerFilters};
use crate::time::now_ms;

/// Mastodon's filter contexts a stream belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterContext {
    /// `user` and `list` streams.
    Home,
    /// Public and hashtag streams.
    Public,
    /// The statuses of notifications.
    Notifications,
}

/// One receiver's filters' verdict on one status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// A `hide` filter matched: the receiver does not get the event.
    Hide,
    /// `warn` (or `blur`) filters matched: the `filtered` array (`FilterResult` entities,
    /// as JSON) to send with the status.
    Warn(String),
}

/// The verdicts of `receivers`' filters on status `status_id` in `context`; receivers with
/// no matching filter are absent. One query finds the receivers with any active filter
/// (usually few); only theirs are loaded, and the status's text is read once, when a keyword
/// filter needs it. One's own statuses are never filtered, as on timelines.
pub async fn verdicts(
    mut c: Conn<'_>,
    context: FilterContext,
    status_id: i64,
    receivers: &[i64],
) -> Result<HashMap<i64, Verdict>, sqlx::Error> {
    let mut out = HashMap::new();
    let now = now_ms();
    let owners = filters_repo::owners_among(c.re(), receivers, now).await?;
    if owners.is_empty() {
        return Ok(out);
    }
    let Some(status) = statuses::get(c.re(), status_id).await? else {
        return Ok(out);
    };
    let proper = status.reblog_of_id.unwrap_or(status.id);
    let author = match status.reblog_of_id {
        Some(o) => statuses::get(c.re(), o).await?.map(|s| s.account_id),
        None => Some(status.account_id),
    };
    let context = match context {
        FilterContext::Home => Context::Home,
        FilterContext::Public => Context::Public,
        FilterContext::Notifications => Context::Notifications,
    };
    let mut text: Option<String> = None;
    for owner in owners {
        if Some(owner) == author || owner == status.account_id {
            continue;
        }
        let f = ViewerFilters::load(c.re(), owner, context, now).await?;
        if f.is_empty() {
            continue;
        }
        if f.needs_text() && text.is_none() {
            text = filters_repo::status_texts(c.re(), &[proper])
                .await?
                .first()
                .map(filters::searchable_text);
        }
        match f.judge(status.id, status.reblog_of_id, text.as_deref()) {
            filters::Verdict::Hidden => {
                out.insert(owner, Verdict::Hide);
            }
            filters::Verdict::Shown(filtered) if filtered != "[]" => {
                out.insert(owner, Verdict::Warn(filtered));
            }
            filters::Verdict::Shown(_) => {}
        }
    }
    Ok(out)
}

/// `status` (a rendered `Status` written for a signed-in reader, which ends with
/// `"filtered":[]}`) with its `filtered` array replaced by `filtered`.
pub fn with_filtered(status: &str, filtered: &str) -> Option<String> {
    let head = status.strip_suffix("\"filtered\":[]}")?;
    Some(format!("{head}\"filtered\":{filtered}}}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_filtered_array_is_replaced() {
        assert_eq!(
            with_filtered(
                r#"{"id":"1","filtered":[]}"#,
                r#"[{"keyword_matches":["x"]}]"#
            )
            .as_deref(),
            Some(r#"{"id":"1","filtered":[{"keyword_matches":["x"]}]}"#)
        );
        assert_eq!(with_filtered(r#"{"id":"1"}"#, "[]"), None);
    }
}
