//! What each receiver's own filters say about a status on a live stream: the hook through
//! which filters (v2) reach the streaming API.
//!
//! The dispatcher (`api::streaming::dispatch`) calls [`verdicts`] once per event with every
//! receiver of it, after visibility, blocks and mutes were applied, and before anything is
//! sent: [`Verdict::Hide`] drops the event for that receiver, [`Verdict::Warn`] sends the
//! status with its `filtered` array set. Receivers absent from the answer see the status
//! as it is.

use std::collections::HashMap;

use crate::db::Conn;

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
/// no matching filter are absent. No account can define filters yet (the filters API lists
/// none), so nothing matches; the filters service answers here once filters are stored.
pub async fn verdicts(
    _c: Conn<'_>,
    _context: FilterContext,
    _status_id: i64,
    _receivers: &[i64],
) -> Result<HashMap<i64, Verdict>, sqlx::Error> {
    Ok(HashMap::new())
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
