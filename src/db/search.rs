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

/// The text a status is found by: its content warning and the text of its HTML (tags dropped,
/// block elements and line breaks turned into spaces, character references decoded).
pub fn document_of(spoiler_text: &str, content_html: &str) -> String {
    let mut out = String::with_capacity(spoiler_text.len() + content_html.len() + 1);
    out.push_str(spoiler_text);
    out.push(' ');
    let mut rest = content_html;
    while let Some(i) = rest.find(['<', '&']) {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        if rest.starts_with('<') {
            let end = rest.find('>').map_or(rest.len(), |e| e + 1);
            let name = rest[1..end]
                .trim_start_matches('/')
                .split(|c: char| !c.is_ascii_alphanumeric())
                .next()
                .unwrap_or("")
                .to_ascii_lowercase();
            if matches!(
                name.as_str(),
                "p" | "br"
                    | "div"
                    | "li"
                    | "ul"
                    | "ol"
                    | "blockquote"
                    | "pre"
                    | "h1"
                    | "h2"
                    | "h3"
                    | "h4"
                    | "h5"
                    | "h6"
            ) {
                out.push(' ');
            }
            rest = &rest[end..];
        } else {
            let (decoded, used) = decode_reference(rest);
            match decoded {
                Some(ch) => out.push(ch),
                None => out.push('&'),
            }
            rest = &rest[used..];
        }
    }
    out.push_str(rest);
    out
}

/// Decodes the character reference at the start of `s` (which starts with `&`): the character
/// and the bytes it took, or `None` and 1 when it is not one we know.
fn decode_reference(s: &str) -> (Option<char>, usize) {
    let Some(end) = s.get(..12).unwrap_or(s).find(';') else {
        return (None, 1);
    };
    let body = &s[1..end];
    let ch = match body {
        "amp" => Some('&'),
        "lt" => Some('<'),
        "gt" => Some('>'),
        "quot" => Some('"'),
        "apos" => Some('\''),
        "nbsp" => Some(' '),
        _ => body
            .strip_prefix("#x")
            .or_else(|| body.strip_prefix("#X"))
            .and_then(|h| u32::from_str_radix(h, 16).ok())
            .or_else(|| body.strip_prefix('#').and_then(|d| d.parse().ok()))
            .and_then(char::from_u32),
    };
    match ch {
        Some(c) => (Some(c), end + 1),
        None => (None, 1),
    }
}

/// Text as the index holds it: compatibility-decomposed with the combining marks dropped, so
/// that `élan` is found by `elan` on both engines (PostgreSQL's `simple` configuration keeps
/// accents; the same folding is applied to query terms).
pub fn fold(text: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    use unicode_normalization::char::is_combining_mark;
    text.nfkd().filter(|c| !is_combining_mark(*c)).collect()
}

/// Writes (or rewrites) the search entry of status `id`.
pub async fn index_status(c: Conn<'_>, id: i64, document: &str) -> Result<(), sqlx::Error> {
    let document = fold(document);
    match c {
        Conn::Sqlite(c) => {
            // A contentless FTS5 table takes no UPSERT: the old entry is deleted first.
            sqlx::query("DELETE FROM status_search WHERE rowid = $1")
                .bind(id)
                .execute(&mut *c)
                .await?;
            sqlx::query("INSERT INTO status_search (rowid, document) VALUES ($1, $2)")
                .bind(id)
                .bind(&document)
                .execute(c)
                .await
                .map(|_| ())
        }
        Conn::Postgres(c) => sqlx::query(
            "INSERT INTO status_search (status_id, document) VALUES ($1, to_tsvector('simple', $2)) \
             ON CONFLICT (status_id) DO UPDATE SET document = excluded.document",
        )
        .bind(id)
        .bind(&document)
        .execute(c)
        .await
        .map(|_| ()),
    }
}

/// Statuses (not boosts) after `after`, in id order, with what their search entries are made
/// of: `(id, spoiler_text, content)`. For indexing statuses written before the index existed.
pub async fn statuses_to_index(
    c: Conn<'_>,
    after: i64,
    limit: i64,
) -> Result<Vec<(i64, String, String)>, sqlx::Error> {
    with_conn!(c, |c| sqlx::query_as::<_, (i64, String, String)>(
        "SELECT id, spoiler_text, content FROM statuses WHERE id > $1 AND reblog_of_id IS NULL \
         ORDER BY id LIMIT $2"
    )
    .bind(after)
    .bind(limit)
    .fetch_all(c)
    .await)
}

/// Which statuses a search looks through (Mastodon's `in:` operator).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SearchScope {
    /// Statuses the searcher wrote, was mentioned in, favourited, bookmarked or boosted.
    Library,
    /// Public statuses of accounts that let themselves be indexed.
    Public,
    /// Both.
    #[default]
    All,
}

/// A full-text status search, already parsed (`service::search_query`).
#[derive(Debug, Clone, Default)]
pub struct StatusSearch {
    /// Who searches.
    pub viewer: i64,
    /// Words or phrases every result contains.
    pub terms: Vec<String>,
    /// Words or phrases no result contains.
    pub excluded: Vec<String>,
    /// Where to look.
    pub scope: SearchScope,
    /// Only statuses by this account.
    pub author: Option<i64>,
    /// No statuses by these accounts.
    pub excluded_authors: Vec<i64>,
    /// Only statuses in this language (ISO 639 code).
    pub language: Option<String>,
    /// Only replies (`true`) or only non-replies (`false`).
    pub replies: Option<bool>,
    /// Only sensitive (`true`) or only non-sensitive (`false`) statuses.
    pub sensitive: Option<bool>,
    /// `has:media|image|video|audio` (and negated): each must (or must not) hold.
    pub media: Vec<MediaFilter>,
    /// `has:poll` (true) or `-has:poll` (false).
    pub poll: Option<bool>,
    /// `has:link`: a link preview (true), or none (false).
    pub link: Option<bool>,
    /// `has:embed`: a link preview with an embedded player (true), or none (false).
    pub embed: Option<bool>,
    /// Only statuses created at or after this time (unix ms).
    pub since_ms: Option<i64>,
    /// Only statuses created before this time (unix ms).
    pub until_ms: Option<i64>,
    /// Page size.
    pub limit: i64,
    /// Results skipped.
    pub offset: i64,
    /// Now (unix ms), for expiring mutes.
    pub now: i64,
}

/// A `has:` filter on a status's media attachments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MediaFilter {
    /// The attachment kinds that count (empty: any attachment).
    pub kinds: &'static [&'static str],
    /// Whether such an attachment must be present (`has:`) or absent (`-has:`).
    pub present: bool,
}

/// Whether a term holds anything the tokenizers index (letters or digits).
fn indexable_term(t: &str) -> bool {
    t.chars().any(char::is_alphanumeric)
}

/// An FTS5 phrase: the term in double quotes, inner quotes doubled, so that no operator or
/// column filter can be smuggled in.
fn fts5_phrase(t: &str) -> String {
    format!("\"{}\"", t.replace('"', "\"\""))
}

/// Ids of the statuses matching `s`, newest first. Visibility is applied by the caller
/// (`service::hydrate`); the scope and the viewer's blocks and mutes are applied here.
pub async fn search_statuses(c: Conn<'_>, s: &StatusSearch) -> Result<Vec<i64>, sqlx::Error> {
    search_statuses_query(c.is_sqlite(), s).fetch_ids(c).await
}

/// The query behind [`search_statuses`] (exposed for query-plan checks).
pub fn search_statuses_query(sqlite: bool, s: &StatusSearch) -> Query {
    let terms: Vec<String> = s
        .terms
        .iter()
        .filter(|t| indexable_term(t))
        .map(|t| fold(t))
        .collect();
    let excluded: Vec<String> = s
        .excluded
        .iter()
        .filter(|t| indexable_term(t))
        .map(|t| fold(t))
        .collect();
    let mut q;
    if terms.is_empty() {
        q = Query::new("SELECT s.id FROM statuses s WHERE s.reblog_of_id IS NULL");
        if !excluded.is_empty() {
            if sqlite {
                let expr = excluded
                    .iter()
                    .map(|t| fts5_phrase(t))
                    .collect::<Vec<_>>()
                    .join(" OR ");
                q.push(
                    " AND s.id NOT IN (SELECT rowid FROM status_search WHERE status_search MATCH ",
                )
                .push_arg(expr)
                .push(")");
            } else {
                q.push(" AND NOT EXISTS (SELECT 1 FROM status_search f WHERE f.status_id = s.id AND f.document @@ (");
                push_pg_tsquery(&mut q, &excluded, " || ");
                q.push("))");
            }
        }
    } else if sqlite {
        let mut expr = terms
            .iter()
            .map(|t| fts5_phrase(t))
            .collect::<Vec<_>>()
            .join(" ");
        for t in &excluded {
            expr = format!("({expr}) NOT {}", fts5_phrase(t));
        }
        q = Query::new(
            "SELECT s.id FROM status_search f JOIN statuses s ON s.id = f.rowid \
             WHERE f.status_search MATCH ",
        );
        q.push_arg(expr).push(" AND s.reblog_of_id IS NULL");
    } else {
        q = Query::new(
            "SELECT s.id FROM status_search f JOIN statuses s ON s.id = f.status_id WHERE f.document @@ (",
        );
        push_pg_tsquery(&mut q, &terms, " && ");
        for t in &excluded {
            q.push(" && !!phraseto_tsquery('simple', ")
                .push_arg(t.as_str())
                .push(")");
        }
        q.push(") AND s.reblog_of_id IS NULL");
    }
    let v = q.arg(s.viewer);
    let library = format!(
        "(s.account_id = {v} \
          OR EXISTS (SELECT 1 FROM mentions m WHERE m.status_id = s.id AND m.account_id = {v}) \
          OR EXISTS (SELECT 1 FROM favourites f2 WHERE f2.account_id = {v} AND f2.status_id = s.id) \
          OR EXISTS (SELECT 1 FROM bookmarks b2 WHERE b2.account_id = {v} AND b2.status_id = s.id) \
          OR EXISTS (SELECT 1 FROM statuses r WHERE r.account_id = {v} AND r.reblog_of_id = s.id))"
    );
    let public = "(s.visibility = 'public' AND EXISTS \
                  (SELECT 1 FROM accounts ia WHERE ia.id = s.account_id AND ia.indexable))";
    match s.scope {
        SearchScope::Library => q.push(&format!(" AND {library}")),
        SearchScope::Public => q.push(&format!(" AND {public}")),
        SearchScope::All => q.push(&format!(" AND ({library} OR {public})")),
    };
    if let Some(a) = s.author {
        q.push(" AND s.account_id = ").push_arg(a);
    }
    if !s.excluded_authors.is_empty() {
        q.push(" AND s.account_id NOT IN (")
            .push_list(&s.excluded_authors)
            .push(")");
    }
    if let Some(lang) = &s.language {
        q.push(" AND s.language = ").push_arg(lang.as_str());
    }
    match s.replies {
        Some(true) => q.push(" AND s.in_reply_to_id IS NOT NULL"),
        Some(false) => q.push(" AND s.in_reply_to_id IS NULL"),
        None => &mut q,
    };
    if let Some(sensitive) = s.sensitive {
        q.push(" AND s.sensitive = ").push_arg(sensitive);
    }
    for f in &s.media {
        // Index `media_attachments_status (status_id, position)`.
        q.push(if f.present {
            " AND EXISTS"
        } else {
            " AND NOT EXISTS"
        })
        .push(" (SELECT 1 FROM media_attachments ma WHERE ma.status_id = s.id");
        if !f.kinds.is_empty() {
            // Fixed names from `MediaFilter::kinds`, never user input.
            let list: Vec<String> = f.kinds.iter().map(|k| format!("'{k}'")).collect();
            q.push(&format!(" AND ma.kind IN ({})", list.join(", ")));
        }
        q.push(")");
    }
    let exists = |present: bool| {
        if present {
            " AND EXISTS"
        } else {
            " AND NOT EXISTS"
        }
    };
    if let Some(present) = s.poll {
        q.push(exists(present))
            .push(" (SELECT 1 FROM polls po WHERE po.status_id = s.id)");
    }
    if let Some(present) = s.link {
        q.push(exists(present)).push(
            " (SELECT 1 FROM preview_card_statuses pcs JOIN preview_cards pc ON pc.id = pcs.card_id \
             WHERE pcs.status_id = s.id AND pc.state = 'fetched')",
        );
    }
    if let Some(present) = s.embed {
        q.push(exists(present)).push(
            " (SELECT 1 FROM preview_card_statuses pcs JOIN preview_cards pc ON pc.id = pcs.card_id \
             WHERE pcs.status_id = s.id AND pc.state = 'fetched' AND pc.card_type IN ('video', 'rich'))",
        );
    }
    if let Some(since) = s.since_ms {
        q.push(" AND s.id >= ")
            .push_arg(crate::id::min_id_at(since));
    }
    if let Some(until) = s.until_ms {
        q.push(" AND s.id < ").push_arg(crate::id::min_id_at(until));
    }
    // Authors who are suspended, or whom the searcher blocks or mutes (or who block them).
    let now = q.arg(s.now);
    q.push(&format!(
        " AND NOT EXISTS (SELECT 1 FROM accounts sa WHERE sa.id = s.account_id AND sa.suspended_at IS NOT NULL) \
          AND NOT EXISTS (SELECT 1 FROM blocks bl WHERE bl.account_id = {v} AND bl.target_account_id = s.account_id) \
          AND NOT EXISTS (SELECT 1 FROM blocks bl WHERE bl.account_id = s.account_id AND bl.target_account_id = {v}) \
          AND NOT EXISTS (SELECT 1 FROM mutes mu WHERE mu.account_id = {v} AND mu.target_account_id = s.account_id \
                          AND (mu.expires_at IS NULL OR mu.expires_at > {now}))"
    ));
    // FTS5 returns its matches in rowid order when asked for it, so SQLite stops after a page
    // without sorting every match.
    let order = if sqlite && !terms.is_empty() {
        "f.rowid"
    } else {
        "s.id"
    };
    q.push(&format!(" ORDER BY {order} DESC LIMIT "))
        .push_arg(s.limit)
        .push(" OFFSET ")
        .push_arg(s.offset);
    q
}

/// Appends `phraseto_tsquery('simple', $a) <op> phraseto_tsquery('simple', $b) …`.
fn push_pg_tsquery(q: &mut Query, terms: &[String], op: &str) {
    for (i, t) in terms.iter().enumerate() {
        if i > 0 {
            q.push(op);
        }
        q.push("phraseto_tsquery('simple', ")
            .push_arg(t.as_str())
            .push(")");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_are_the_text_of_the_html() {
        assert_eq!(
            document_of(
                "cw",
                "<p>Hello <a href=\"https://x.example/\"><span>x.example</span></a> &amp; &lt;b&gt;</p><p>second&#33;&#x21;<br>line &nbsp;</p>"
            ),
            "cw  Hello x.example & <b>  second!! line   "
        );
        assert_eq!(document_of("", "a & b &bogus; &"), " a & b &bogus; &");
        assert_eq!(fold("Élan ﬁne Ångström"), "Elan fine Angstrom");
    }

    #[test]
    fn fts5_phrases_cannot_carry_operators() {
        assert_eq!(
            fts5_phrase("a\" OR document:\"b"),
            "\"a\"\" OR document:\"\"b\""
        );
        assert!(!indexable_term("\"*:"));
        assert!(indexable_term("é"));
    }
}
