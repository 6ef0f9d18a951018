//! Reading ActivityStreams JSON tolerantly, as Mastodon does (plain JSON with known compact
//! keys, no JSON-LD processing): single values where arrays are usual, links as strings or
//! objects, `type` as a string or an array; and the origin rules of the protocol.

use serde_json::Value;
use url::Url;

/// The public collection, in the three spellings found in the wild.
pub const PUBLIC: [&str; 3] = [
    "https://www.w3.org/ns/activitystreams#Public",
    "as:Public",
    "Public",
];

/// Deepest nesting of arrays and objects accepted in a received activity.
pub const MAX_JSON_DEPTH: usize = 24;

/// Whether `uri` names the public collection.
pub fn is_public(uri: &str) -> bool {
    PUBLIC.contains(&uri)
}

/// The id of a reference: the string itself, an object's `id`, or the first of an array.
pub fn id_of(v: &Value) -> Option<&str> {
    match v {
        Value::String(s) => Some(s.as_str()),
        Value::Object(o) => o.get("id").and_then(Value::as_str),
        Value::Array(a) => a.first().and_then(id_of),
        _ => None,
    }
}

/// Every id of a value that may be one reference or an array of them (`to`, `cc`, `object`).
pub fn ids(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::Array(a)) => a.iter().filter_map(id_of).map(str::to_owned).collect(),
        Some(other) => id_of(other).map(str::to_owned).into_iter().collect(),
        None => Vec::new(),
    }
}

/// A value that may be one item or an array of them, as a list.
pub fn items(v: Option<&Value>) -> Vec<&Value> {
    match v {
        Some(Value::Array(a)) => a.iter().collect(),
        Some(Value::Null) | None => Vec::new(),
        Some(other) => vec![other],
    }
}

/// Whether the object's `type` (a string or an array) includes `t`.
pub fn has_type(v: &Value, t: &str) -> bool {
    items(v.get("type")).iter().any(|x| x.as_str() == Some(t))
}

/// The object's first `type`.
pub fn type_of(v: &Value) -> &str {
    items(v.get("type"))
        .first()
        .and_then(|x| x.as_str())
        .unwrap_or("")
}

/// A string property.
pub fn str_prop<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

/// The URL of a link-ish value: a string, a `Link`/`Image` object's `href`/`url`, or the
/// first usable one of an array (an HTML link preferred, as for `url` of Notes).
pub fn url_of(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.clone()),
        Value::Object(o) => o
            .get("href")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .or_else(|| url_of(o.get("url"))),
        Value::Array(a) => a
            .iter()
            .find(|x| x.get("mediaType").and_then(Value::as_str) == Some("text/html"))
            .or_else(|| a.first())
            .and_then(|x| url_of(Some(x))),
        _ => None,
    }
    .filter(|u| u.starts_with("https://") || u.starts_with("http://"))
}

/// The canonical `host[:port]` of a URI for origin comparisons: lower case, IDNA (punycode),
/// no trailing dot, the port only when not the scheme's default. `None` for anything that is
/// not an absolute http(s) URL with a host.
pub fn origin_of(uri: &str) -> Option<String> {
    let url = Url::parse(uri).ok()?;
    if !matches!(url.scheme(), "https" | "http") {
        return None;
    }
    let host = url.host_str()?.trim_end_matches('.').to_ascii_lowercase();
    if host.is_empty() {
        return None;
    }
    Some(match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host,
    })
}

/// Whether two URIs have the same origin (see [`origin_of`]).
pub fn same_origin(a: &str, b: &str) -> bool {
    matches!((origin_of(a), origin_of(b)), (Some(x), Some(y)) if x == y)
}

/// Whether JSON text nests arrays/objects deeper than `max` (checked on the raw bytes before
/// parsing, so a hostile payload costs one linear scan).
pub fn nests_deeper_than(body: &[u8], max: usize) -> bool {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for &b in body {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > max {
                    return true;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    false
}

/// Mastodon's visibility from addressing (`ActivityPub::Parser::StatusParser#visibility`):
/// the public collection in `to` → public; in `cc` → unlisted; the author's followers
/// collection addressed → private; otherwise direct.
pub fn visibility(to: &[String], cc: &[String], followers_url: Option<&str>) -> &'static str {
    if to.iter().any(|u| is_public(u)) {
        "public"
    } else if cc.iter().any(|u| is_public(u)) {
        "unlisted"
    } else if followers_url.is_some_and(|f| to.iter().chain(cc).any(|u| u == f)) {
        "private"
    } else {
        "direct"
    }
}

/// Truncates to at most `max` characters.
pub fn truncate(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn references_in_every_shape() {
        assert_eq!(id_of(&json!("https://a/1")), Some("https://a/1"));
        assert_eq!(id_of(&json!({"id": "https://a/2"})), Some("https://a/2"));
        assert_eq!(id_of(&json!([{"id": "https://a/3"}])), Some("https://a/3"));
        assert_eq!(ids(Some(&json!("https://a/1"))), vec!["https://a/1"]);
        assert_eq!(
            ids(Some(&json!(["https://a/1", {"id": "https://a/2"}]))),
            vec!["https://a/1", "https://a/2"]
        );
        assert!(has_type(&json!({"type": ["Object", "Note"]}), "Note"));
        assert_eq!(type_of(&json!({"type": "Create"})), "Create");
        assert_eq!(
            url_of(Some(&json!([
                {"type": "Link", "mediaType": "application/activity+json", "href": "https://a/x"},
                {"type": "Link", "mediaType": "text/html", "href": "https://a/@x"}
            ]))),
            Some("https://a/@x".into())
        );
        assert_eq!(url_of(Some(&json!("javascript:alert(1)"))), None);
    }

    #[test]
    fn origins_are_canonical() {
        assert_eq!(
            origin_of("https://EXAMPLE.com./x"),
            Some("example.com".into())
        );
        assert_eq!(
            origin_of("https://example.com:443/x"),
            Some("example.com".into())
        );
        assert_eq!(
            origin_of("http://127.0.0.2:8080/x"),
            Some("127.0.0.2:8080".into())
        );
        assert_eq!(
            origin_of("https://bücher.example/"),
            Some("xn--bcher-kva.example".into())
        );
        assert!(same_origin("https://a.example/1", "https://A.example/2"));
        assert!(!same_origin(
            "https://a.example/1",
            "https://a.example.evil/2"
        ));
        assert!(!same_origin(
            "https://a.example/1",
            "https://a.example:8443/2"
        ));
        assert_eq!(origin_of("ftp://a.example/"), None);
    }

    #[test]
    fn depth_is_bounded_before_parsing() {
        let deep = "[".repeat(100) + &"]".repeat(100);
        assert!(nests_deeper_than(deep.as_bytes(), MAX_JSON_DEPTH));
        let flat = br#"{"a": {"b": ["[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["]}}"#;
        assert!(!nests_deeper_than(flat, MAX_JSON_DEPTH));
    }

    #[test]
    fn visibility_like_mastodon() {
        let f = Some("https://a/users/x/followers");
        let public = vec!["https://www.w3.org/ns/activitystreams#Public".to_owned()];
        let followers = vec!["https://a/users/x/followers".to_owned()];
        assert_eq!(visibility(&public, &followers, f), "public");
        assert_eq!(visibility(&["as:Public".into()], &[], f), "public");
        assert_eq!(visibility(&followers, &public, f), "unlisted");
        assert_eq!(visibility(&followers, &[], f), "private");
        assert_eq!(visibility(&["https://b/users/y".into()], &[], f), "direct");
    }
}
