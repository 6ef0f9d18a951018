//! The batched loads behind `service::hydrate`: a page of statuses costs two queries when
//! their renderings are cached — the statuses' version keys (with the originals of boosts and
//! the authors' versions) and the viewer's relation to all of it — and at most four more
//! for what the cache misses: the statuses with their applications, mentions and hashtags
//! together, their polls (`db::polls`), and the accounts. Each query is a round trip (PostgreSQL) or a hand-off to a
//! connection thread (SQLite), so the count matters more than the size. Id lists are padded
//! to a few fixed lengths ([`super::padded`]) so that prepared statements are reused.

use std::collections::HashSet;
use std::sync::LazyLock;

use sqlx::FromRow;

use super::statuses::{DISPLAY_COLUMNS, Status};
use super::{Conn, padded, placeholders};
use crate::with_conn;

/// A status row (display columns only: `text` is empty) with the name and website of the
/// application that posted it.
#[derive(Debug, Clone, FromRow)]
pub struct StatusWithApp {
    #[sqlx(flatten)]
    pub status: Status,
    pub app_name: Option<String>,
    pub app_website: Option<String>,
}

/// `col, col, …` with every column qualified by `alias`.
fn qualified(columns: &str, alias: &str) -> String {
    columns
        .split(',')
        .map(|c| format!("{alias}.{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// What decides whether a status's cached rendering is current, and who may see it: the
/// status's visibility facts and version columns, and its author's. One row per status; the
/// originals of boosts among `ids` are included (they may or may not be in `ids`).
///
/// The render cache (`service::hydrate::cache`) relies on this: every change to what a
/// `Status` or `Account` entity shows either bumps `updated_at` or changes one of the counters
/// selected here.
#[derive(Debug, Clone, FromRow)]
pub struct StatusKey {
    pub id: i64,
    pub account_id: i64,
    pub reblog_of_id: Option<i64>,
    pub in_reply_to_account_id: Option<i64>,
    pub visibility: String,
    pub conversation_id: Option<i64>,
    pub updated_at: i64,
    pub edited_at: Option<i64>,
    pub replies_count: i64,
    pub reblogs_count: i64,
    pub favourites_count: i64,
    pub author_updated_at: i64,
    pub author_statuses_count: i64,
    pub author_followers_count: i64,
    pub author_following_count: i64,
    pub author_last_status_at: Option<i64>,
    pub author_suspended_at: Option<i64>,
}

/// The [`StatusKey`]s of `ids` and of the originals of the boosts among them, in no
/// particular order; unknown ids are absent.
pub async fn status_keys(c: Conn<'_>, ids: &[i64]) -> Result<Vec<StatusKey>, sqlx::Error> {
    const COLUMNS: &str = "s.id, s.account_id, s.reblog_of_id, s.in_reply_to_account_id, s.visibility, \
         s.conversation_id, s.updated_at, s.edited_at, s.replies_count, s.reblogs_count, s.favourites_count, \
         a.updated_at AS author_updated_at, a.statuses_count AS author_statuses_count, \
         a.followers_count AS author_followers_count, a.following_count AS author_following_count, \
         a.last_status_at AS author_last_status_at, a.suspended_at AS author_suspended_at";
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let ids = padded(ids);
    let list = placeholders(1, ids.len());
    let sql = format!(
        "SELECT {COLUMNS} FROM statuses s JOIN accounts a ON a.id = s.account_id WHERE s.id IN ({list}) \
         UNION ALL \
         SELECT {COLUMNS} FROM statuses s JOIN accounts a ON a.id = s.account_id \
         WHERE s.id IN (SELECT b.reblog_of_id FROM statuses b WHERE b.id IN ({list}) \
                        AND b.reblog_of_id IS NOT NULL) \
           AND s.id NOT IN ({list})"
    );
    with_conn!(c, |c| {
        let mut q = sqlx::query_as::<_, StatusKey>(sqlx::AssertSqlSafe(sql.as_str()));
        for id in &ids {
            q = q.bind(*id);
        }
        q.fetch_all(c).await
    })
}

/// The statuses `ids` (display columns), each with its application, in no particular order.
pub async fn statuses_with_apps(
    c: Conn<'_>,
    ids: &[i64],
) -> Result<Vec<StatusWithApp>, sqlx::Error> {
    static COLUMNS: LazyLock<String> = LazyLock::new(|| {
        format!(
            "{}, ap.name AS app_name, ap.website AS app_website",
            qualified(DISPLAY_COLUMNS, "s")
        )
    });
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let ids = padded(ids);
    let list = placeholders(1, ids.len());
    let cols = COLUMNS.as_str();
    let sql = format!(
        "SELECT {cols} FROM statuses s LEFT JOIN oauth_applications ap ON ap.id = s.application_id \
         WHERE s.id IN ({list})"
    );
    with_conn!(c, |c| {
        let mut q = sqlx::query_as::<_, StatusWithApp>(sqlx::AssertSqlSafe(sql.as_str()));
        for id in &ids {
            q = q.bind(*id);
        }
        q.fetch_all(c).await
    })
}

/// A mention of an account in a status.
#[derive(Debug, Clone)]
pub struct MentionRow {
    pub status_id: i64,
    pub account_id: i64,
}

/// A hashtag on a status.
#[derive(Debug, Clone)]
pub struct TagRow {
    pub status_id: i64,
    pub name: String,
}

/// Active (non-silent) mentions, in the order they were written, and hashtags (lower-cased
/// names) of the given statuses, in one query. Silent mentions (people an edit stopped
/// mentioning) keep their access but are not listed.
pub async fn mentions_and_tags(
    c: Conn<'_>,
    status_ids: &[i64],
) -> Result<(Vec<MentionRow>, Vec<TagRow>), sqlx::Error> {
    if status_ids.is_empty() {
        return Ok((Vec::new(), Vec::new()));
    }
    let status_ids = padded(status_ids);
    let list = placeholders(1, status_ids.len());
    let sql = format!(
        "SELECT CAST(0 AS BIGINT) AS kind, m.id AS ord, m.status_id, m.account_id, \
                CAST(NULL AS TEXT) AS name \
         FROM mentions m WHERE m.status_id IN ({list}) AND NOT m.silent \
         UNION ALL \
         SELECT CAST(1 AS BIGINT), st.tag_id, st.status_id, CAST(0 AS BIGINT), t.name \
         FROM status_tags st JOIN tags t ON t.id = st.tag_id WHERE st.status_id IN ({list}) \
         ORDER BY 1, 2"
    );
    type Row = (i64, i64, i64, i64, Option<String>);
    let rows: Vec<Row> = with_conn!(c, |c| {
        let mut q = sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql.as_str()));
        for id in &status_ids {
            q = q.bind(*id);
        }
        q.fetch_all(c).await
    })?;
    let mut mentions = Vec::new();
    let mut tags = Vec::new();
    for (kind, _, status_id, account_id, name) in rows {
        if kind == 0 {
            mentions.push(MentionRow {
                status_id,
                account_id,
            });
        } else {
            tags.push(TagRow {
                status_id,
                name: name.unwrap_or_default(),
            });
        }
    }
    Ok((mentions, tags))
}

/// What [`viewer_state`] should load for one viewer.
#[derive(Debug, Clone, Copy, Default)]
pub struct ViewerStateQuery<'a> {
    /// The signed-in viewer.
    pub viewer: i64,
    /// Authors whose relation to the viewer decides visibility.
    pub authors: &'a [i64],
    /// Whether "the viewer follows the author" is needed (some status is followers-only).
    pub need_following: bool,
    /// Followers-only and direct statuses, for "the viewer is mentioned".
    pub restricted: &'a [i64],
    /// Statuses whose interaction flags (favourited, reblogged, …) are needed.
    pub flagged: &'a [i64],
    /// Conversations (thread roots) whose mute state is needed.
    pub conversations: &'a [i64],
}

/// The viewer's relation to a page of statuses.
#[derive(Debug, Clone, Default)]
pub struct ViewerState {
    /// Authors the viewer follows (only loaded when asked).
    pub following: HashSet<i64>,
    /// Authors who block the viewer.
    pub blocked_by: HashSet<i64>,
    /// Restricted statuses that mention the viewer.
    pub mentioned: HashSet<i64>,
    /// Statuses the viewer favourited.
    pub favourited: HashSet<i64>,
    /// Statuses the viewer boosted.
    pub reblogged: HashSet<i64>,
    /// Statuses the viewer bookmarked.
    pub bookmarked: HashSet<i64>,
    /// Statuses the viewer pinned.
    pub pinned: HashSet<i64>,
    /// Conversations the viewer muted.
    pub muted_conversations: HashSet<i64>,
}

/// Loads everything [`ViewerStateQuery`] asks for in a single query (a `UNION ALL` of
/// index lookups, each keyed by the viewer).
pub async fn viewer_state(
    c: Conn<'_>,
    q: &ViewerStateQuery<'_>,
) -> Result<ViewerState, sqlx::Error> {
    let mut parts: Vec<String> = Vec::new();
    let mut binds: Vec<i64> = vec![q.viewer];
    // Padded, like every id list here, so that the statement takes few distinct shapes and
    // stays in the prepared-statement cache.
    let list = |ids: &[i64], binds: &mut Vec<i64>| {
        let ids = padded(ids);
        let l = placeholders(binds.len() + 1, ids.len());
        binds.extend_from_slice(&ids);
        l
    };
    if !q.authors.is_empty() {
        if q.need_following {
            let l = list(q.authors, &mut binds);
            parts.push(format!(
                "SELECT 'F', target_account_id FROM follows WHERE account_id = $1 AND target_account_id IN ({l})"
            ));
        }
        let l = list(q.authors, &mut binds);
        parts.push(format!(
            "SELECT 'B', account_id FROM blocks WHERE target_account_id = $1 AND account_id IN ({l})"
        ));
    }
    if !q.restricted.is_empty() {
        let l = list(q.restricted, &mut binds);
        parts.push(format!(
            "SELECT 'M', status_id FROM mentions WHERE account_id = $1 AND status_id IN ({l})"
        ));
    }
    if !q.flagged.is_empty() {
        let l = list(q.flagged, &mut binds);
        parts.push(format!(
            "SELECT 'f', status_id FROM favourites WHERE account_id = $1 AND status_id IN ({l}) \
             UNION ALL SELECT 'r', reblog_of_id FROM statuses WHERE account_id = $1 AND reblog_of_id IN ({l}) \
             UNION ALL SELECT 'b', status_id FROM bookmarks WHERE account_id = $1 AND status_id IN ({l}) \
             UNION ALL SELECT 'p', status_id FROM status_pins WHERE account_id = $1 AND status_id IN ({l})"
        ));
    }
    if !q.conversations.is_empty() {
        let l = list(q.conversations, &mut binds);
        parts.push(format!(
            "SELECT 'm', conversation_id FROM conversation_mutes WHERE account_id = $1 AND conversation_id IN ({l})"
        ));
    }
    let mut state = ViewerState::default();
    if parts.is_empty() {
        return Ok(state);
    }
    let sql = parts.join(" UNION ALL ");
    let rows: Vec<(String, i64)> = with_conn!(c, |c| {
        let mut query = sqlx::query_as::<_, (String, i64)>(sqlx::AssertSqlSafe(sql.as_str()));
        for b in &binds {
            query = query.bind(*b);
        }
        query.fetch_all(c).await
    })?;
    for (kind, id) in rows {
        let set = match kind.as_str() {
            "F" => &mut state.following,
            "B" => &mut state.blocked_by,
            "M" => &mut state.mentioned,
            "f" => &mut state.favourited,
            "r" => &mut state.reblogged,
            "b" => &mut state.bookmarked,
            "p" => &mut state.pinned,
            _ => &mut state.muted_conversations,
        };
        set.insert(id);
    }
    Ok(state)
}

/// What [`audience_state`] loads: one status (with the original it boosts) against many
/// signed-in viewers at once, for live streams.
#[derive(Debug, Clone, Copy, Default)]
pub struct AudienceQuery<'a> {
    /// The viewers (at most a few hundred per call; callers split longer lists).
    pub viewers: &'a [i64],
    /// The status and, for a boost, its original.
    pub statuses: &'a [i64],
    /// Their authors.
    pub authors: &'a [i64],
    /// The author of a followers-only status among them: its followers may see it.
    pub followers_of: Option<i64>,
    /// Thread roots whose mute state is needed.
    pub conversations: &'a [i64],
    /// Whether to find the viewers who block or mute an author or an actively mentioned
    /// account (public streams leave those out, as Mastodon's streaming server does).
    pub exclusions: bool,
    /// Now (unix ms), for mutes that expire.
    pub now: i64,
}

/// What one viewer has to do with the status of an [`AudienceQuery`]: `(kind, viewer,
/// subject)` rows, kinds as in [`ViewerState`] — `B` blocked by author `subject`, `F`
/// follows `subject`, `M` mentioned in `subject`, `f`/`r`/`b`/`p` favourited, boosted,
/// bookmarked, pinned `subject`, `m` muted thread `subject` — plus `X`: blocks or mutes
/// someone the status is by or about. One query (a `UNION ALL` of index lookups).
pub async fn audience_state(
    c: Conn<'_>,
    q: &AudienceQuery<'_>,
) -> Result<Vec<(String, i64, i64)>, sqlx::Error> {
    if q.viewers.is_empty() || q.statuses.is_empty() {
        return Ok(Vec::new());
    }
    let mut binds: Vec<i64> = Vec::new();
    let mut list = |ids: &[i64]| {
        let ids = padded(ids);
        let l = placeholders(binds.len() + 1, ids.len());
        binds.extend_from_slice(&ids);
        l
    };
    // Each list is bound once and its placeholders reused by every part.
    let v = list(q.viewers);
    let st = list(q.statuses);
    let a = list(q.authors);
    let mut parts = vec![
        format!(
            "SELECT 'B', target_account_id, account_id FROM blocks WHERE account_id IN ({a}) AND target_account_id IN ({v})"
        ),
        format!(
            "SELECT 'M', account_id, status_id FROM mentions WHERE status_id IN ({st}) AND account_id IN ({v})"
        ),
        format!(
            "SELECT 'f', account_id, status_id FROM favourites WHERE status_id IN ({st}) AND account_id IN ({v})"
        ),
        format!(
            "SELECT 'r', account_id, reblog_of_id FROM statuses WHERE reblog_of_id IN ({st}) AND account_id IN ({v})"
        ),
        format!(
            "SELECT 'b', account_id, status_id FROM bookmarks WHERE status_id IN ({st}) AND account_id IN ({v})"
        ),
        format!(
            "SELECT 'p', account_id, status_id FROM status_pins WHERE status_id IN ({st}) AND account_id IN ({v})"
        ),
    ];
    if let Some(author) = q.followers_of {
        let f = list(&[author]);
        parts.push(format!(
            "SELECT 'F', account_id, target_account_id FROM follows WHERE target_account_id = {f} AND account_id IN ({v})"
        ));
    }
    if !q.conversations.is_empty() {
        let cv = list(q.conversations);
        parts.push(format!(
            "SELECT 'm', account_id, conversation_id FROM conversation_mutes WHERE conversation_id IN ({cv}) AND account_id IN ({v})"
        ));
    }
    if q.exclusions {
        let now = list(&[q.now]);
        let about = format!(
            "target_account_id IN ({a}) OR target_account_id IN \
             (SELECT m.account_id FROM mentions m WHERE m.status_id IN ({st}) AND NOT m.silent)"
        );
        parts.push(format!(
            "SELECT 'X', account_id, CAST(0 AS BIGINT) FROM blocks WHERE account_id IN ({v}) AND ({about})"
        ));
        parts.push(format!(
            "SELECT 'X', account_id, CAST(0 AS BIGINT) FROM mutes WHERE account_id IN ({v}) AND ({about}) \
             AND (expires_at IS NULL OR expires_at > {now})"
        ));
    }
    let sql = parts.join(" UNION ALL ");
    with_conn!(c, |c| {
        let mut query = sqlx::query_as::<_, (String, i64, i64)>(sqlx::AssertSqlSafe(sql.as_str()));
        for b in &binds {
            query = query.bind(*b);
        }
        query.fetch_all(c).await
    })
}

#[cfg(test)]
mod tests {
    use super::qualified;

    #[test]
    fn qualifies_columns() {
        assert_eq!(qualified("id, uri,url", "s"), "s.id, s.uri, s.url");
    }
}
