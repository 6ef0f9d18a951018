//! Hashtag lookups for search, tag pages and featured-tag suggestions, their usage history,
//! and account search restricted to followed accounts.

use std::collections::HashMap;

use sqlx::FromRow;

use super::Conn;
use super::timelines::Query;
use crate::with_conn;

/// One row of `tags`.
#[derive(Debug, Clone, FromRow)]
pub struct TagRow {
    /// Tag id.
    pub id: i64,
    /// Lower-cased name.
    pub name: String,
    /// Name with the casing first seen.
    pub display_name: String,
}

/// Escapes `%`, `_` and `\` for a `LIKE … ESCAPE '\'` pattern.
pub fn like_escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// Tags whose (lower-cased) name starts with `prefix`, shortest names first.
pub async fn tags_by_prefix(
    c: Conn<'_>,
    prefix: &str,
    limit: i64,
    offset: i64,
) -> Result<Vec<TagRow>, sqlx::Error> {
    // A range on the unique `name` index instead of LIKE, which neither engine can serve from
    // that index (PostgreSQL with a non-C collation, SQLite with its case-folding LIKE).
    let low = prefix.to_lowercase();
    let high = prefix_upper_bound(&low);
    with_conn!(c, |c| sqlx::query_as::<_, TagRow>(
        "SELECT id, name, display_name FROM tags WHERE name >= $1 AND ($2 IS NULL OR name < $2) \
         AND name LIKE $5 ESCAPE '\\' ORDER BY length(name), name LIMIT $3 OFFSET $4"
    )
    .bind(&low)
    .bind(high.as_deref())
    .bind(limit)
    .bind(offset)
    // Exact prefix semantics whatever the collation orders between the bounds.
    .bind(format!("{}%", like_escape(&low)))
    .fetch_all(c)
    .await)
}

/// The smallest string greater than every string starting with `prefix` (by code point), or
/// `None` when there is none.
fn prefix_upper_bound(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        if let Some(next) = char::from_u32(last as u32 + 1) {
            chars.push(next);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

/// The tag with this name (case-insensitive).
pub async fn tag_by_name(c: Conn<'_>, name: &str) -> Result<Option<TagRow>, sqlx::Error> {
    with_conn!(c, |c| sqlx::query_as::<_, TagRow>(
        "SELECT id, name, display_name FROM tags WHERE name = $1"
    )
    .bind(name.to_lowercase())
    .fetch_optional(c)
    .await)
}

/// Usage of one tag on one day.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DayUse {
    /// Public statuses carrying the tag.
    pub uses: i64,
    /// Distinct accounts that posted them.
    pub accounts: i64,
}

/// Daily use of `tag_ids` by public statuses over `days` days starting at `since` (unix ms,
/// midnight UTC): `result[tag][0]` is the first day.
pub async fn tag_history(
    c: Conn<'_>,
    tag_ids: &[i64],
    since: i64,
    days: usize,
) -> Result<HashMap<i64, Vec<DayUse>>, sqlx::Error> {
    let mut out: HashMap<i64, Vec<DayUse>> = tag_ids
        .iter()
        .map(|id| (*id, vec![DayUse::default(); days]))
        .collect();
    if tag_ids.is_empty() {
        return Ok(out);
    }
    let mut q = Query::new("SELECT st.tag_id, (s.created_at - ");
    let since_p = q.arg(since);
    q.push(&since_p).push(
        ") / 86400000 AS d, count(*), count(DISTINCT s.account_id) \
         FROM status_tags st JOIN statuses s ON s.id = st.status_id WHERE st.tag_id IN (",
    );
    q.push_list(tag_ids)
        .push(") AND st.status_id >= ")
        .push_arg(crate::id::min_id_at(since))
        .push(&format!(
            " AND s.created_at >= {since_p} AND s.visibility = 'public' AND s.reblog_of_id IS NULL \
             GROUP BY st.tag_id, d"
        ));
    for (tag, day, uses, accounts) in q.fetch_all::<(i64, i64, i64, i64)>(c).await? {
        if let Some(slot) = out
            .get_mut(&tag)
            .and_then(|v| usize::try_from(day).ok().and_then(|d| v.get_mut(d)))
        {
            *slot = DayUse { uses, accounts };
        }
    }
    Ok(out)
}

/// Tags `account_id` used most in their latest 1000 statuses and does not feature yet
/// (Mastodon's featured-tag suggestions).
pub async fn recently_used_tags(
    c: Conn<'_>,
    account_id: i64,
    limit: i64,
) -> Result<Vec<TagRow>, sqlx::Error> {
    with_conn!(c, |c| {
        sqlx::query_as::<_, TagRow>(
        "SELECT t.id, t.name, t.display_name FROM status_tags st JOIN tags t ON t.id = st.tag_id \
         WHERE st.status_id IN (SELECT id FROM statuses WHERE account_id = $1 ORDER BY id DESC LIMIT 1000) \
           AND NOT EXISTS (SELECT 1 FROM featured_tags ft WHERE ft.account_id = $1 AND ft.tag_id = t.id) \
         GROUP BY t.id, t.name, t.display_name ORDER BY count(*) DESC, max(st.status_id) DESC LIMIT $2"
    )
    .bind(account_id)
    .bind(limit)
    .fetch_all(c)
    .await
    })
}
