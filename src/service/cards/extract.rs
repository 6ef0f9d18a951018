//! What a page says about itself: OpenGraph and Twitter meta tags, `<title>`, the
//! description, the language, and the oEmbed endpoint it advertises; and what an oEmbed
//! answer says. Pure functions over bytes already fetched (bounded by the client).

use scraper::{Html, Selector};
use serde_json::Value;
use url::Url;

use crate::db::cards::CardData;

/// Longest title kept (characters).
const MAX_TITLE: usize = 300;
/// Longest description kept (characters).
const MAX_DESCRIPTION: usize = 1000;
/// Longest other text field kept (characters).
const MAX_FIELD: usize = 300;

/// What a page offers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Page {
    /// The card built from the page's own tags (`title` empty: nothing usable).
    pub card: CardData,
    /// The page's oEmbed JSON endpoint, when it advertises one.
    pub oembed_url: Option<String>,
}

/// Cuts `s` to `max` characters, trimmed.
fn clip(s: &str, max: usize) -> String {
    let s = s.trim();
    match s.char_indices().nth(max) {
        Some((i, _)) => s[..i].trim_end().to_string(),
        None => s.to_string(),
    }
}

/// Decodes an HTML body: the charset of the `Content-Type`, else a `<meta charset>` near the
/// start, else UTF-8 (invalid bytes replaced).
pub fn decode(body: &[u8], content_type: Option<&str>) -> String {
    let declared = content_type
        .and_then(|ct| {
            ct.split(';')
                .find_map(|p| p.trim().strip_prefix("charset="))
                .map(|c| c.trim_matches('"').to_string())
        })
        .or_else(|| {
            let head = String::from_utf8_lossy(&body[..body.len().min(2048)]).to_ascii_lowercase();
            let at = head.find("charset=")? + "charset=".len();
            let rest = head[at..].trim_start_matches(['"', '\'']);
            let end = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
                .unwrap_or(rest.len());
            Some(rest[..end].to_string())
        });
    let encoding = declared
        .and_then(|label| encoding_rs::Encoding::for_label(label.as_bytes()))
        .unwrap_or(encoding_rs::UTF_8);
    encoding.decode(body).0.into_owned()
}

/// Reads a page fetched from `base` (its final URL, for relative links).
pub fn page(html: &str, base: &Url) -> Page {
    let doc = Html::parse_document(html);
    let meta = Selector::parse("meta").expect("valid selector");
    let mut tags: Vec<(String, String)> = Vec::new();
    for m in doc.select(&meta) {
        let el = m.value();
        let key = el.attr("property").or_else(|| el.attr("name"));
        if let (Some(k), Some(v)) = (key, el.attr("content")) {
            tags.push((k.trim().to_ascii_lowercase(), v.to_string()));
        }
    }
    let get = |names: &[&str]| -> Option<String> {
        names.iter().find_map(|n| {
            tags.iter()
                .find(|(k, v)| k == n && !v.trim().is_empty())
                .map(|(_, v)| v.trim().to_string())
        })
    };
    let title_el = Selector::parse("title").expect("valid selector");
    let title = get(&["og:title", "twitter:title"]).or_else(|| {
        doc.select(&title_el)
            .next()
            .map(|t| t.text().collect::<String>())
            .filter(|t| !t.trim().is_empty())
    });
    let absolute = |u: &str| {
        base.join(u.trim())
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https"))
            .map(|u| u.to_string())
    };
    let html_el = Selector::parse("html").expect("valid selector");
    let language = doc
        .select(&html_el)
        .next()
        .and_then(|h| h.value().attr("lang"))
        .map(str::to_string)
        .or_else(|| get(&["og:locale"]))
        .and_then(|l| {
            let code = l.split(['-', '_']).next()?.to_ascii_lowercase();
            (code.len() >= 2 && code.len() <= 3 && code.chars().all(|c| c.is_ascii_lowercase()))
                .then_some(code)
        });
    let published_at = get(&["article:published_time", "og:published_time"]).and_then(|t| {
        chrono::DateTime::parse_from_rfc3339(&t)
            .ok()
            .map(|d| d.timestamp_millis())
    });
    let link = Selector::parse("link[rel~=alternate][href]").expect("valid selector");
    let oembed_url = doc
        .select(&link)
        .find(|l| {
            l.value()
                .attr("type")
                .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/json+oembed"))
        })
        .and_then(|l| l.value().attr("href"))
        .and_then(absolute);
    let provider_url = base.origin().ascii_serialization();
    Page {
        card: CardData {
            card_type: "link".into(),
            title: title.map(|t| clip(&t, MAX_TITLE)).unwrap_or_default(),
            description: get(&["og:description", "twitter:description", "description"])
                .map(|d| clip(&d, MAX_DESCRIPTION))
                .unwrap_or_default(),
            author_name: get(&["author", "article:author"])
                .filter(|a| !a.starts_with("http"))
                .map(|a| clip(&a, MAX_FIELD))
                .unwrap_or_default(),
            author_url: String::new(),
            provider_name: get(&["og:site_name"])
                .map(|p| clip(&p, MAX_FIELD))
                .unwrap_or_default(),
            provider_url: if provider_url == "null" {
                String::new()
            } else {
                provider_url
            },
            html: String::new(),
            width: 0,
            height: 0,
            image_remote_url: get(&["og:image", "og:image:url", "twitter:image"])
                .and_then(|i| absolute(&i)),
            image_key: None,
            blurhash: None,
            embed_url: String::new(),
            language,
            published_at,
        },
        oembed_url,
    }
}

/// Only an `<iframe>` survives from oEmbed HTML, with the attributes a player needs, as
/// Mastodon keeps it; anything else is dropped.
fn sanitize_embed(html: &str) -> String {
    let cleaned = ammonia::Builder::empty()
        .add_tags(["iframe"])
        .add_tag_attributes(
            "iframe",
            [
                "src",
                "width",
                "height",
                "allowfullscreen",
                "frameborder",
                "allow",
                "title",
            ],
        )
        .url_schemes(["https"].into_iter().collect())
        .link_rel(None)
        .clean(html)
        .to_string();
    if cleaned.trim_start().starts_with("<iframe") {
        cleaned
    } else {
        String::new()
    }
}

/// Merges an oEmbed answer into the page's card: its type, title, author, provider, size,
/// thumbnail and (for `video`/`rich`) the sanitized embed.
pub fn apply_oembed(card: &mut CardData, json: &Value, base: &Url) {
    let text = |k: &str| {
        json.get(k)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
    };
    let number = |k: &str| {
        json.get(k)
            .and_then(|v| {
                v.as_i64()
                    .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
            })
            .filter(|n| (0..=10_000).contains(n))
    };
    let url = |k: &str| {
        text(k)
            .and_then(|u| base.join(u).ok())
            .filter(|u| matches!(u.scheme(), "http" | "https"))
            .map(|u| u.to_string())
    };
    if let Some(t) = text("title") {
        card.title = clip(t, MAX_TITLE);
    }
    if let Some(a) = text("author_name") {
        card.author_name = clip(a, MAX_FIELD);
    }
    if let Some(a) = url("author_url") {
        card.author_url = a;
    }
    if let Some(p) = text("provider_name") {
        card.provider_name = clip(p, MAX_FIELD);
    }
    if let Some(p) = url("provider_url") {
        card.provider_url = p;
    }
    if let Some(t) = url("thumbnail_url") {
        card.image_remote_url = Some(t);
    }
    match text("type") {
        Some("photo") => {
            if let Some(u) = url("url") {
                card.card_type = "photo".into();
                card.embed_url = u.clone();
                card.image_remote_url.get_or_insert(u);
                card.width = number("width").unwrap_or(0);
                card.height = number("height").unwrap_or(0);
            }
        }
        Some(kind @ ("video" | "rich")) => {
            let embed = text("html").map(sanitize_embed).unwrap_or_default();
            if !embed.is_empty() {
                card.card_type = kind.into();
                card.html = embed;
                card.width = number("width").unwrap_or(0);
                card.height = number("height").unwrap_or(0);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Url {
        Url::parse("https://news.example/articles/1?x=2").unwrap()
    }

    #[test]
    fn open_graph_wins_over_the_title_tag() {
        let html = r#"<!doctype html><html lang="de-AT"><head>
            <title>Fallback</title>
            <meta property="og:title" content="  Big   news ">
            <meta property="og:description" content="What happened">
            <meta property="og:site_name" content="News">
            <meta property="og:image" content="/img/a.jpg">
            <meta property="article:published_time" content="2024-05-01T10:00:00Z">
            <link rel="alternate" type="application/json+oembed" href="/oembed?u=1">
            </head><body><p>x</p></body></html>"#;
        let p = page(html, &base());
        assert_eq!(p.card.title, "Big   news");
        assert_eq!(p.card.description, "What happened");
        assert_eq!(p.card.provider_name, "News");
        assert_eq!(p.card.provider_url, "https://news.example");
        assert_eq!(
            p.card.image_remote_url.as_deref(),
            Some("https://news.example/img/a.jpg")
        );
        assert_eq!(p.card.language.as_deref(), Some("de"));
        assert_eq!(p.card.published_at, Some(1_714_557_600_000));
        assert_eq!(
            p.oembed_url.as_deref(),
            Some("https://news.example/oembed?u=1")
        );
        let plain = page(
            "<title>Only a title</title><meta name=description content=d>",
            &base(),
        );
        assert_eq!(plain.card.title, "Only a title");
        assert_eq!(plain.card.description, "d");
        assert!(page("<p>nothing</p>", &base()).card.title.is_empty());
    }

    #[test]
    fn unsafe_urls_and_long_text_are_not_kept() {
        let long = "x".repeat(5000);
        let html = format!(
            r#"<meta property="og:title" content="{long}"><meta property="og:image" content="javascript:alert(1)">"#
        );
        let p = page(&html, &base());
        assert_eq!(p.card.title.chars().count(), MAX_TITLE);
        assert_eq!(p.card.image_remote_url, None);
    }

    #[test]
    fn oembed_embeds_keep_only_an_iframe() {
        let mut card = page("<title>t</title>", &base()).card;
        apply_oembed(
            &mut card,
            &serde_json::json!({
                "type": "video", "title": "A video", "author_name": "Someone",
                "provider_name": "Tube", "width": 640, "height": "360",
                "html": "<iframe src=\"https://tube.example/embed/1\" width=\"640\" onload=\"evil()\"></iframe><script>x()</script>",
                "thumbnail_url": "https://tube.example/t.jpg"
            }),
            &base(),
        );
        assert_eq!(card.card_type, "video");
        assert_eq!(card.title, "A video");
        assert_eq!((card.width, card.height), (640, 360));
        assert_eq!(
            card.html,
            "<iframe src=\"https://tube.example/embed/1\" width=\"640\"></iframe>"
        );
        let mut card = page("<title>t</title>", &base()).card;
        apply_oembed(
            &mut card,
            &serde_json::json!({ "type": "rich", "html": "<div><script>x()</script></div>" }),
            &base(),
        );
        assert_eq!(card.card_type, "link", "no iframe, no embed");
        assert_eq!(card.html, "");
    }

    #[test]
    fn bodies_are_decoded_by_their_charset() {
        let latin1 = b"<title>caf\xe9</title>";
        assert_eq!(
            decode(latin1, Some("text/html; charset=ISO-8859-1")),
            "<title>café</title>"
        );
        let meta = b"<meta charset=\"windows-1252\"><title>\x93q\x94</title>";
        assert!(decode(meta, Some("text/html")).contains("\u{201c}q\u{201d}"));
        assert_eq!(decode("é".as_bytes(), None), "é");
    }
}
