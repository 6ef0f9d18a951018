//! Full-text search of statuses: Mastodon's query language (words, `"phrases"`, `-excluded`,
//! `from:`, `has:`, `is:`, `language:`, `before:`/`after:`/`during:`, `in:`) parsed into a
//! [`StatusSearch`] for `db::search`, and the job that indexes statuses written before the
//! index existed.

use crate::db::search::{self as repo, MediaFilter, SearchScope, StatusSearch};
use crate::db::{Conn, accounts};
use crate::jobs::Job;
use crate::state::AppState;
use crate::time::now_ms;

/// Most words or phrases a query may carry (the rest are ignored).
const MAX_TERMS: usize = 16;
/// Statuses indexed per run of the indexing job.
const INDEX_BATCH: i64 = 500;

/// Who `from:` names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Author {
    /// `from:me`.
    Me,
    /// `from:user` or `from:user@domain` (`domain` is `None` for this server).
    Acct {
        /// The username.
        username: String,
        /// The domain, when remote.
        domain: Option<String>,
    },
}

/// A parsed search query.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Parsed {
    /// Words or phrases every result contains.
    pub terms: Vec<String>,
    /// Words or phrases no result contains.
    pub excluded: Vec<String>,
    /// `from:`.
    pub author: Option<Author>,
    /// `-from:`: authors left out.
    pub excluded_authors: Vec<Author>,
    /// `language:`.
    pub language: Option<String>,
    /// `is:reply` / `-is:reply`.
    pub replies: Option<bool>,
    /// `is:sensitive` / `-is:sensitive`.
    pub sensitive: Option<bool>,
    /// Lower time bound from `after:`/`during:` (unix ms, inclusive).
    pub since_ms: Option<i64>,
    /// Upper time bound from `before:`/`during:` (unix ms, exclusive).
    pub until_ms: Option<i64>,
    /// `in:`.
    pub scope: SearchScope,
    /// `has:media|image|video|audio`, negatable.
    pub media: Vec<MediaFilter>,
    /// `has:poll` / `-has:poll`.
    pub poll: Option<bool>,
    /// `has:link` / `-has:link`: a link preview.
    pub link: Option<bool>,
    /// `has:embed` / `-has:embed`: a link preview with an embedded player.
    pub embed: Option<bool>,
}

/// Splits a query into tokens: `(negated, text, quoted)`.
fn tokens(q: &str) -> Vec<(bool, String, bool)> {
    let mut out = Vec::new();
    let mut chars = q.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
            continue;
        }
        let mut negated = false;
        if c == '-' || c == '+' {
            negated = c == '-';
            chars.next();
        }
        if chars.peek() == Some(&'"') {
            chars.next();
            let phrase: String = chars.by_ref().take_while(|&c| c != '"').collect();
            out.push((negated, phrase, true));
        } else {
            let mut word = String::new();
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() {
                    break;
                }
                word.push(c);
                chars.next();
            }
            if !word.is_empty() {
                out.push((negated, word, false));
            }
        }
    }
    out
}

/// Midnight UTC of a `YYYY-MM-DD` date, in unix ms.
fn day_start(s: &str) -> Option<i64> {
    let date = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()?;
    Some(date.and_hms_opt(0, 0, 0)?.and_utc().timestamp_millis())
}

const DAY_MS: i64 = 86_400_000;

/// Parses a query. Unknown operators and malformed operator values are searched as words.
pub fn parse(q: &str) -> Parsed {
    let mut p = Parsed::default();
    for (negated, text, quoted) in tokens(q) {
        let op = (!quoted)
            .then(|| text.split_once(':'))
            .flatten()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| (k.to_ascii_lowercase(), v.to_string()));
        let handled = match op {
            Some((k, v)) => match k.as_str() {
                "from" => {
                    let author = if v.eq_ignore_ascii_case("me") {
                        Author::Me
                    } else {
                        let v = v.trim_start_matches('@');
                        match v.split_once('@') {
                            Some((u, d)) => Author::Acct {
                                username: u.to_string(),
                                domain: Some(d.to_ascii_lowercase()),
                            },
                            None => Author::Acct {
                                username: v.to_string(),
                                domain: None,
                            },
                        }
                    };
                    if negated {
                        p.excluded_authors.push(author);
                    } else {
                        p.author = Some(author);
                    }
                    true
                }
                "language" if !negated => {
                    p.language = Some(v.to_ascii_lowercase());
                    true
                }
                "is" => match v.to_ascii_lowercase().as_str() {
                    "reply" => {
                        p.replies = Some(!negated);
                        true
                    }
                    "sensitive" => {
                        p.sensitive = Some(!negated);
                        true
                    }
                    _ => false,
                },
                "has" => match v.to_ascii_lowercase().as_str() {
                    kind @ ("media" | "image" | "video" | "audio") => {
                        let kinds: &'static [&'static str] = match kind {
                            "image" => &["image"],
                            // Mastodon counts gifv as video.
                            "video" => &["video", "gifv"],
                            "audio" => &["audio"],
                            _ => &[],
                        };
                        p.media.push(MediaFilter {
                            kinds,
                            present: !negated,
                        });
                        true
                    }
                    "poll" => {
                        p.poll = Some(!negated);
                        true
                    }
                    "link" => {
                        p.link = Some(!negated);
                        true
                    }
                    "embed" => {
                        p.embed = Some(!negated);
                        true
                    }
                    _ => false,
                },
                "before" | "after" | "during" if !negated => match day_start(&v) {
                    Some(day) => {
                        let (since, until) = match k.as_str() {
                            "before" => (None, Some(day)),
                            "after" => (Some(day + DAY_MS), None),
                            _ => (Some(day), Some(day + DAY_MS)),
                        };
                        if let Some(s) = since {
                            p.since_ms = Some(p.since_ms.map_or(s, |o: i64| o.max(s)));
                        }
                        if let Some(u) = until {
                            p.until_ms = Some(p.until_ms.map_or(u, |o: i64| o.min(u)));
                        }
                        true
                    }
                    None => false,
                },
                "in" if !negated => match v.to_ascii_lowercase().as_str() {
                    "library" => {
                        p.scope = SearchScope::Library;
                        true
                    }
                    "public" => {
                        p.scope = SearchScope::Public;
                        true
                    }
                    "all" => {
                        p.scope = SearchScope::All;
                        true
                    }
                    _ => false,
                },
                _ => false,
            },
            None => false,
        };
        if handled || p.terms.len() + p.excluded.len() >= MAX_TERMS {
            continue;
        }
        if negated {
            p.excluded.push(text);
        } else {
            p.terms.push(text);
        }
    }
    p
}

/// Resolves a `from:` author to an account id (`None`: no such account).
async fn author_id(
    c: Conn<'_>,
    viewer: i64,
    local_domain: &str,
    a: &Author,
) -> Result<Option<i64>, sqlx::Error> {
    match a {
        Author::Me => Ok(Some(viewer)),
        Author::Acct { username, domain } => {
            let domain = domain
                .as_deref()
                .filter(|d| !d.eq_ignore_ascii_case(local_domain));
            Ok(accounts::find_by_username(c, username, domain)
                .await?
                .map(|a| a.id))
        }
    }
}

/// Ids of the statuses `viewer` finds with query `q`, newest first (visibility is left to
/// `service::hydrate`, which the caller renders them with).
pub async fn statuses(
    mut c: Conn<'_>,
    viewer: i64,
    local_domain: &str,
    q: &str,
    limit: i64,
    offset: i64,
) -> Result<Vec<i64>, sqlx::Error> {
    let p = parse(q);
    if p.terms.is_empty() && p.author.is_none() {
        // A query of operators alone, without an author, would list every status in scope.
        return Ok(Vec::new());
    }
    let author = match &p.author {
        Some(a) => match author_id(c.re(), viewer, local_domain, a).await? {
            Some(id) => Some(id),
            None => return Ok(Vec::new()),
        },
        None => None,
    };
    let mut excluded_authors = Vec::new();
    for a in &p.excluded_authors {
        if let Some(id) = author_id(c.re(), viewer, local_domain, a).await? {
            excluded_authors.push(id);
        }
    }
    let search = StatusSearch {
        viewer,
        terms: p.terms,
        excluded: p.excluded,
        scope: p.scope,
        author,
        excluded_authors,
        language: p.language,
        replies: p.replies,
        sensitive: p.sensitive,
        media: p.media,
        poll: p.poll,
        link: p.link,
        embed: p.embed,
        since_ms: p.since_ms,
        until_ms: p.until_ms,
        limit,
        offset,
        now: now_ms(),
    };
    repo::search_statuses(c, &search).await
}

/// One run of the `IndexStatuses` job: indexes the next batch of statuses after `after` and
/// returns the job's next step while there are more.
pub async fn index_backlog(state: &AppState, after: i64) -> anyhow::Result<Option<Job>> {
    let mut tx = state.db.begin().await?;
    let rows = repo::statuses_to_index(tx.conn(), after, INDEX_BATCH).await?;
    for (id, spoiler_text, content) in &rows {
        let document = repo::document_of(spoiler_text, content);
        repo::index_status(tx.conn(), *id, &document).await?;
    }
    tx.commit().await?;
    Ok(match rows.last() {
        Some((last, _, _)) if rows.len() as i64 == INDEX_BATCH => {
            Some(Job::IndexStatuses { after: *last })
        }
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_parse_like_mastodons() {
        let p = parse(
            "rust \"type system\" -java from:@alice@Example.com is:reply -is:sensitive \
             language:EN during:2024-02-29 in:library unknown:op has:",
        );
        assert_eq!(p.terms, vec!["rust", "type system", "unknown:op", "has:"]);
        assert_eq!(p.excluded, vec!["java"]);
        assert_eq!(
            p.author,
            Some(Author::Acct {
                username: "alice".into(),
                domain: Some("example.com".into())
            })
        );
        assert_eq!(p.replies, Some(true));
        assert_eq!(p.sensitive, Some(false));
        assert_eq!(p.language.as_deref(), Some("en"));
        assert_eq!(p.since_ms, Some(1_709_164_800_000));
        assert_eq!(p.until_ms, Some(1_709_164_800_000 + DAY_MS));
        assert_eq!(p.scope, SearchScope::Library);
    }

    #[test]
    fn operators_combine_and_bad_values_are_words() {
        let p = parse("after:2024-01-01 before:2024-01-10 before:nonsense -from:me has:poll");
        assert_eq!(p.since_ms, Some(1_704_067_200_000 + DAY_MS));
        assert_eq!(p.until_ms, Some(1_704_844_800_000));
        assert_eq!(p.terms, vec!["before:nonsense"]);
        assert_eq!(p.excluded_authors, vec![Author::Me]);
        assert_eq!(p.poll, Some(true));
        assert_eq!(parse("from:me").author, Some(Author::Me));
        assert!(parse("   ").terms.is_empty());
    }
}
