//! Applying a reader's filters to statuses: [`ViewerFilters`] is loaded and compiled once per
//! request (or per stream connection) for one reader and one context — at most three small
//! queries, one when the reader has no active filter — and then judges each status without
//! touching the database, given its text (keyword filters only).
//!
//! Matching follows Mastodon's `CustomFilter.apply_cached_filters`: a filter matches when one
//! of its keywords occurs in the status's searchable text (for a boost, the boosted status's),
//! case-insensitively, at word boundaries for `whole_word` keywords (a boundary is only
//! required on a side whose character is a word character), or when the status or the
//! status it boosts is one of the filter's statuses. `hide` drops the status; `warn` and `blur`
//! add a `FilterResult` to its `filtered` list.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;

use regex::Regex;

use super::{Context, entity_without_rules};
use crate::db::Conn;
use crate::db::filters::{self as repo, StatusText};
use crate::service::hydrate::RawJson;

/// One active filter of the reader, compiled.
#[derive(Debug)]
struct Compiled {
    /// The `Filter` entity without keywords and statuses, as a `FilterResult` embeds it.
    entity: String,
    hide: bool,
    keywords: Option<Regex>,
    statuses: HashSet<i64>,
}

/// A reader's active filters for one context, compiled. Cheap to hold per connection.
#[derive(Debug, Default)]
pub struct ViewerFilters {
    filters: Vec<Compiled>,
}

/// What the filters make of one status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// A `hide` filter matched: leave the status (or the notification about it) out.
    Hidden,
    /// Show it with this `filtered` value (a JSON array of `FilterResult`s, `[]` when none).
    Shown(String),
}

impl Verdict {
    /// The `filtered` JSON of a shown status (`[]` when nothing matched).
    pub fn filtered(&self) -> Option<&str> {
        match self {
            Verdict::Hidden => None,
            Verdict::Shown(s) => Some(s),
        }
    }
}

/// The regex for a set of keywords (`None` when there are none or they do not compile,
/// which only an absurdly long set could cause: the keyword part is then ignored).
fn keywords_regex(keywords: &[(String, bool)]) -> Option<Regex> {
    if keywords.is_empty() {
        return None;
    }
    let is_word = |c: char| c.is_alphanumeric() || c == '_';
    let mut pattern = String::new();
    for (i, (kw, whole_word)) in keywords.iter().enumerate() {
        if i > 0 {
            pattern.push('|');
        }
        let start = *whole_word && kw.chars().next().is_some_and(is_word);
        let end = *whole_word && kw.chars().last().is_some_and(is_word);
        let _ = write!(
            pattern,
            "(?i:{}{}{})",
            if start { r"\b" } else { "" },
            regex::escape(kw),
            if end { r"\b" } else { "" }
        );
    }
    regex::RegexBuilder::new(&pattern)
        .size_limit(4 << 20)
        .build()
        .ok()
}

/// Plain text of a status's HTML, as Mastodon's `PlainTextFormatter` makes it for remote
/// statuses: line breaks and paragraphs become newlines, tags go, entities are decoded.
pub fn html_to_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(open) = rest.find('<') {
        out.push_str(&rest[..open]);
        let Some(close) = rest[open..].find('>') else {
            rest = "";
            break;
        };
        let tag = rest[open + 1..open + close].trim().to_ascii_lowercase();
        if tag.starts_with("br") {
            out.push('\n');
        } else if tag == "/p" {
            out.push_str("\n\n");
        }
        rest = &rest[open + close + 1..];
    }
    out.push_str(rest);
    html_escape::decode_html_entities(out.trim_end()).into_owned()
}

/// The text keyword filters are matched against (Mastodon's `Status#searchable_text`): the
/// content warning and the text (the source for local statuses, the HTML made plain for
/// remote ones). Poll options and media descriptions join it when statuses have them.
pub fn searchable_text(s: &StatusText) -> String {
    let body = if s.local && !s.text.is_empty() {
        s.text.clone()
    } else {
        html_to_text(&s.content)
    };
    if s.spoiler_text.is_empty() {
        body
    } else {
        format!("{}\n\n{body}", s.spoiler_text)
    }
}

impl ViewerFilters {
    /// No filters (anonymous readers, contexts without filtering).
    pub fn none() -> ViewerFilters {
        ViewerFilters::default()
    }

    /// Loads and compiles `viewer`'s filters active at `now` for `context`.
    pub async fn load(
        mut c: Conn<'_>,
        viewer: i64,
        context: Context,
        now: i64,
    ) -> Result<ViewerFilters, sqlx::Error> {
        let rows: Vec<repo::Filter> = repo::of_owner(c.re(), viewer, Some(now))
            .await?
            .into_iter()
            .filter(|f| super::contexts_of(f).contains(&context))
            .collect();
        if rows.is_empty() {
            return Ok(ViewerFilters::none());
        }
        let ids: Vec<i64> = rows.iter().map(|f| f.id).collect();
        let mut keywords: HashMap<i64, Vec<(String, bool)>> = HashMap::new();
        for k in repo::keywords_of(c.re(), &ids).await? {
            keywords
                .entry(k.filter_id)
                .or_default()
                .push((k.keyword, k.whole_word));
        }
        let mut statuses: HashMap<i64, HashSet<i64>> = HashMap::new();
        for s in repo::statuses_of(c.re(), &ids).await? {
            statuses.entry(s.filter_id).or_default().insert(s.status_id);
        }
        let filters = rows
            .iter()
            .map(|f| Compiled {
                entity: RawJson::of(&entity_without_rules(f)).into_string(),
                hide: f.action == "hide",
                keywords: keywords_regex(keywords.get(&f.id).map_or(&[], |v| v.as_slice())),
                statuses: statuses.remove(&f.id).unwrap_or_default(),
            })
            .filter(|f| f.keywords.is_some() || !f.statuses.is_empty())
            .collect();
        Ok(ViewerFilters { filters })
    }

    /// Whether no filter applies (every status is shown with `filtered: []`).
    pub fn is_empty(&self) -> bool {
        self.filters.is_empty()
    }

    /// Whether judging a status needs its text (some filter has keywords).
    pub fn needs_text(&self) -> bool {
        self.filters.iter().any(|f| f.keywords.is_some())
    }

    /// Judges status `id` (boosting `reblog_of_id`), whose proper status's searchable text
    /// is `text` (see [`searchable_text`]; `None` when no filter needs it).
    pub fn judge(&self, id: i64, reblog_of_id: Option<i64>, text: Option<&str>) -> Verdict {
        let mut results: Vec<String> = Vec::new();
        for f in &self.filters {
            let mut keyword_matches: Vec<&str> = Vec::new();
            if let (Some(re), Some(text)) = (&f.keywords, text) {
                for m in re.find_iter(text) {
                    if !keyword_matches.contains(&m.as_str()) {
                        keyword_matches.push(m.as_str());
                    }
                }
            }
            let status_matches: Vec<String> = [Some(id), reblog_of_id]
                .into_iter()
                .flatten()
                .filter(|s| f.statuses.contains(s))
                .map(|s| s.to_string())
                .collect();
            if keyword_matches.is_empty() && status_matches.is_empty() {
                continue;
            }
            if f.hide {
                return Verdict::Hidden;
            }
            let kw = if keyword_matches.is_empty() {
                "null".to_owned()
            } else {
                RawJson::of(&keyword_matches).into_string()
            };
            let st = if status_matches.is_empty() {
                "null".to_owned()
            } else {
                RawJson::of(&status_matches).into_string()
            };
            results.push(format!(
                "{{\"filter\":{},\"keyword_matches\":{kw},\"status_matches\":{st}}}",
                f.entity
            ));
        }
        Verdict::Shown(format!("[{}]", results.join(",")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filters(keywords: &[(&str, bool)], statuses: &[i64], hide: bool) -> ViewerFilters {
        let kws: Vec<(String, bool)> = keywords.iter().map(|(k, w)| (k.to_string(), *w)).collect();
        ViewerFilters {
            filters: vec![Compiled {
                entity: "{\"id\":\"1\"}".into(),
                hide,
                keywords: keywords_regex(&kws),
                statuses: statuses.iter().copied().collect(),
            }],
        }
    }

    #[test]
    fn whole_words_and_substrings() {
        let f = filters(
            &[("cat", true), ("dog", false), ("#tag", true), ("c++", true)],
            &[],
            false,
        );
        let judge = |t: &str| f.judge(1, None, Some(t));
        assert_eq!(judge("concatenate"), Verdict::Shown("[]".into()));
        let v = judge("A CAT and hotdogs");
        let parsed: serde_json::Value = serde_json::from_str(v.filtered().unwrap()).unwrap();
        assert_eq!(
            parsed[0]["keyword_matches"],
            serde_json::json!(["CAT", "dog"])
        );
        assert!(parsed[0]["status_matches"].is_null());
        assert_ne!(judge("x#tag y"), Verdict::Shown("[]".into()));
        assert_ne!(judge("I like c++."), Verdict::Shown("[]".into()));
        assert_eq!(judge("#tagged"), Verdict::Shown("[]".into()));
        assert_eq!(judge("Ünïcat"), Verdict::Shown("[]".into()));
    }

    #[test]
    fn statuses_and_hiding() {
        let f = filters(&[], &[7], true);
        assert!(!f.needs_text());
        assert_eq!(f.judge(8, Some(7), None), Verdict::Hidden);
        assert_eq!(f.judge(8, None, None), Verdict::Shown("[]".into()));
        let w = filters(&[], &[7], false);
        let v: serde_json::Value =
            serde_json::from_str(w.judge(7, None, None).filtered().unwrap()).unwrap();
        assert_eq!(v[0]["status_matches"], serde_json::json!(["7"]));
        assert_eq!(v[0]["filter"]["id"], "1");
    }

    #[test]
    fn html_becomes_text() {
        assert_eq!(
            html_to_text("<p>a &amp; b<br>c</p><p>d <a href=\"x\">#tag</a></p>"),
            "a & b\nc\n\nd #tag"
        );
        let s = StatusText {
            id: 1,
            local: false,
            text: String::new(),
            content: "<p>hi</p>".into(),
            spoiler_text: "cw".into(),
        };
        assert_eq!(searchable_text(&s), "cw\n\nhi");
    }
}
