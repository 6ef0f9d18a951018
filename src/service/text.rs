//! Plain text → Mastodon's HTML: paragraphs and line breaks, linkified URLs (with Mastodon's
//! `invisible`/`ellipsis` spans), `@mentions` of known accounts and `#hashtags`. Also the
//! status length rule (each URL counts as 23 characters; a remote mention counts as its
//! local part).
//!
//! Rendering is two-phase so it stays pure: [`scan`] splits the text into tokens and reports
//! the handles it mentions; the caller resolves them to accounts; [`to_html`] renders.

use std::collections::HashMap;

/// Characters a URL counts for, whatever its length (Mastodon's `characters_reserved_per_url`).
pub const URL_CHARS: usize = 23;

/// A piece of scanned text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Token {
    /// Plain text (not yet escaped).
    Text(String),
    /// A URL.
    Url(String),
    /// `@user` or `@user@domain`: (username, domain).
    Mention(String, Option<String>),
    /// `#tag` (as written, without `#`).
    Hashtag(String),
}

/// A mentioned account as resolved by the caller.
#[derive(Debug, Clone)]
pub struct MentionTarget {
    /// Profile URL the link points to.
    pub url: String,
    /// Username shown inside the link.
    pub username: String,
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Splits text into tokens.
pub fn scan(text: &str) -> Vec<Token> {
    let mut finder = linkify::LinkFinder::new();
    finder.kinds(&[linkify::LinkKind::Url]);
    let mut tokens = Vec::new();
    for span in finder.spans(text) {
        let s = span.as_str();
        match span.kind() {
            Some(linkify::LinkKind::Url)
                if s.starts_with("http://") || s.starts_with("https://") =>
            {
                tokens.push(Token::Url(s.to_owned()))
            }
            _ => scan_words(s, &mut tokens),
        }
    }
    // Merge adjacent text tokens.
    let mut merged: Vec<Token> = Vec::with_capacity(tokens.len());
    for t in tokens {
        if let (Some(Token::Text(prev)), Token::Text(cur)) = (merged.last_mut(), &t) {
            prev.push_str(cur);
        } else {
            merged.push(t);
        }
    }
    merged
}

fn scan_words(s: &str, out: &mut Vec<Token>) {
    let chars: Vec<char> = s.chars().collect();
    let mut text = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let prev_ok = i == 0
            || !(is_word(chars[i - 1]) || chars[i - 1] == '/' || (c == '#' && chars[i - 1] == ')'));
        if c == '@'
            && prev_ok
            && let Some((len, user, domain)) = mention_at(&chars[i + 1..])
        {
            flush(&mut text, out);
            out.push(Token::Mention(user, domain));
            i += 1 + len;
            continue;
        }
        if c == '#' && prev_ok {
            let mut j = i + 1;
            while j < chars.len() && (is_word(chars[j]) || chars[j] == '·') {
                j += 1;
            }
            let tag: String = chars[i + 1..j].iter().collect();
            let tag = tag.trim_end_matches('·').to_owned();
            if !tag.is_empty()
                && tag.chars().any(|c| !c.is_ascii_digit() && c != '_')
                && tag.chars().count() <= 100
            {
                flush(&mut text, out);
                let used = tag.chars().count();
                out.push(Token::Hashtag(tag));
                i += 1 + used;
                continue;
            }
        }
        text.push(c);
        i += 1;
    }
    flush(&mut text, out);
}

fn flush(text: &mut String, out: &mut Vec<Token>) {
    if !text.is_empty() {
        out.push(Token::Text(std::mem::take(text)));
    }
}

/// Parses `user` or `user@domain` at the start of `chars` (after the `@`).
fn mention_at(chars: &[char]) -> Option<(usize, String, Option<String>)> {
    let user_char = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '-';
    let mut j = 0;
    while j < chars.len() && user_char(chars[j]) {
        j += 1;
    }
    // Usernames may contain . and - inside, but not end with them.
    while j > 0 && matches!(chars[j - 1], '.' | '-') {
        j -= 1;
    }
    if j == 0 {
        return None;
    }
    let user: String = chars[..j].iter().collect();
    if j < chars.len() && chars[j] == '@' {
        let mut k = j + 1;
        while k < chars.len()
            && (chars[k].is_alphanumeric() || matches!(chars[k], '.' | '-' | ':' | '_'))
        {
            k += 1;
        }
        while k > j + 1 && matches!(chars[k - 1], '.' | '-' | ':') {
            k -= 1;
        }
        if k > j + 1 {
            let domain: String = chars[j + 1..k].iter().collect();
            return Some((k, user, Some(domain.to_lowercase())));
        }
    }
    Some((j, user, None))
}

/// The handles mentioned in `tokens`, deduplicated, in order.
pub fn mentions(tokens: &[Token]) -> Vec<(String, Option<String>)> {
    let mut seen = Vec::new();
    for t in tokens {
        if let Token::Mention(u, d) = t {
            let key = (u.to_lowercase(), d.clone());
            if !seen.iter().any(|(su, sd): &(String, Option<String>)| {
                su.to_lowercase() == key.0 && *sd == key.1
            }) {
                seen.push((u.clone(), d.clone()));
            }
        }
    }
    seen
}

/// The hashtags in `tokens`, lower-cased and deduplicated, in order.
pub fn hashtags(tokens: &[Token]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for t in tokens {
        if let Token::Hashtag(h) = t {
            let l = h.to_lowercase();
            if !out.contains(&l) {
                out.push(l);
            }
        }
    }
    out
}

/// Length of `text` by Mastodon's rule.
pub fn status_length(text: &str) -> usize {
    scan(text)
        .iter()
        .map(|t| match t {
            Token::Text(s) => s.chars().count(),
            Token::Url(_) => URL_CHARS,
            Token::Mention(u, _) => 1 + u.chars().count(),
            Token::Hashtag(h) => 1 + h.chars().count(),
        })
        .sum()
}

/// Escapes `& < > "` for HTML text and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            other => out.push(other),
        }
    }
    out
}

fn link_html(url: &str) -> String {
    let (scheme, rest) = match url.find("://") {
        Some(i) => url.split_at(i + 3),
        None => ("", url),
    };
    let (display, hidden): (String, String) = if rest.chars().count() > 30 {
        (
            rest.chars().take(30).collect(),
            rest.chars().skip(30).collect(),
        )
    } else {
        (rest.to_owned(), String::new())
    };
    let class = if hidden.is_empty() { "" } else { "ellipsis" };
    format!(
        "<a href=\"{}\" target=\"_blank\" rel=\"nofollow noopener\" translate=\"no\"><span class=\"invisible\">{}</span><span class=\"{}\">{}</span><span class=\"invisible\">{}</span></a>",
        escape(url),
        escape(scheme),
        class,
        escape(&display),
        escape(&hidden)
    )
}

/// Renders tokens as Mastodon HTML. `resolved` maps lower-cased `user` or `user@domain` to
/// the mentioned account; unresolved mentions stay plain text. `base_url` builds tag links.
pub fn to_html(
    tokens: &[Token],
    resolved: &HashMap<String, MentionTarget>,
    base_url: &str,
) -> String {
    let mut body = String::new();
    for t in tokens {
        match t {
            Token::Text(s) => body.push_str(&escape(s)),
            Token::Url(u) => body.push_str(&link_html(u)),
            Token::Mention(u, d) => {
                let key = match d {
                    Some(d) => format!("{}@{}", u.to_lowercase(), d),
                    None => u.to_lowercase(),
                };
                match resolved.get(&key) {
                    Some(m) => body.push_str(&format!(
                        "<span class=\"h-card\" translate=\"no\"><a href=\"{}\" class=\"u-url mention\">@<span>{}</span></a></span>",
                        escape(&m.url),
                        escape(&m.username)
                    )),
                    None => {
                        body.push('@');
                        body.push_str(&escape(u));
                        if let Some(d) = d {
                            body.push('@');
                            body.push_str(&escape(d));
                        }
                    }
                }
            }
            Token::Hashtag(h) => body.push_str(&format!(
                "<a href=\"{}/tags/{}\" class=\"mention hashtag\" rel=\"tag\">#<span>{}</span></a>",
                base_url,
                escape(&h.to_lowercase()),
                escape(h)
            )),
        }
    }
    // Paragraphs on blank lines, <br /> on single newlines.
    let normalized = body.replace("\r\n", "\n");
    let paragraphs: Vec<String> = normalized
        .split("\n\n")
        .map(|p| p.trim_matches('\n'))
        .filter(|p| !p.is_empty())
        .map(|p| format!("<p>{}</p>", p.replace('\n', "<br />")))
        .collect();
    paragraphs.concat()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scans_mentions_tags_and_urls() {
        let t =
            scan("hi @alice and @bob@remote.example, see https://example.com/x #Rust #123 a@b.c");
        assert_eq!(
            mentions(&t),
            vec![
                ("alice".into(), None),
                ("bob".into(), Some("remote.example".into()))
            ]
        );
        assert_eq!(hashtags(&t), vec!["rust".to_string()]);
        assert!(t.contains(&Token::Url("https://example.com/x".into())));
    }

    #[test]
    fn renders_like_mastodon() {
        let mut resolved = HashMap::new();
        resolved.insert(
            "alice".to_string(),
            MentionTarget {
                url: "https://w.example/@alice".into(),
                username: "alice".into(),
            },
        );
        let html = to_html(
            &scan("Hi @alice <b>&\n\nsecond #Tag"),
            &resolved,
            "https://w.example",
        );
        assert_eq!(
            html,
            "<p>Hi <span class=\"h-card\" translate=\"no\"><a href=\"https://w.example/@alice\" class=\"u-url mention\">@<span>alice</span></a></span> &lt;b&gt;&amp;</p>\
             <p>second <a href=\"https://w.example/tags/tag\" class=\"mention hashtag\" rel=\"tag\">#<span>Tag</span></a></p>"
        );
        let link = to_html(
            &scan("https://example.com/a-very-long-path-that-goes-on-and-on"),
            &HashMap::new(),
            "x",
        );
        assert!(link.contains("<span class=\"invisible\">https://</span><span class=\"ellipsis\">example.com/a-very-long-path-t</span>"));
        assert_eq!(
            to_html(&scan("a\nb"), &HashMap::new(), "x"),
            "<p>a<br />b</p>"
        );
    }

    #[test]
    fn urls_count_as_23() {
        assert_eq!(
            status_length("https://example.com/a-very-long-path-that-goes-on-and-on"),
            23
        );
        assert_eq!(status_length("hi @bob@remote.example"), 7);
        assert_eq!(status_length("héllo"), 5);
    }
}
