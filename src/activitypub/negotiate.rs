//! Content negotiation between ActivityPub JSON and HTML on the same URLs.

use axum::http::{HeaderMap, header};

/// What a request asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wants {
    /// An ActivityPub document.
    ActivityJson,
    /// A page for a browser (also the default).
    Html,
}

impl Wants {
    /// Reads the `Accept` header.
    pub fn from_headers(headers: &HeaderMap) -> Wants {
        let accept = headers
            .get_all(header::ACCEPT)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect::<Vec<_>>()
            .join(",");
        Wants::from_accept(&accept)
    }

    /// Picks the representation the `Accept` value ranks highest: the JSON-LD types
    /// (`application/activity+json`, `application/ld+json` with any profile, and plain
    /// `application/json`, which Rails serves the same way) against HTML and wildcards. Ties go
    /// to the earlier entry; nothing recognisable means HTML.
    pub fn from_accept(accept: &str) -> Wants {
        let mut best: Option<(f32, Wants)> = None;
        for entry in accept.split(',') {
            let mut parts = entry.split(';');
            let media = parts.next().unwrap_or("").trim().to_ascii_lowercase();
            let mut q = 1.0f32;
            for p in parts {
                let p = p.trim();
                if let Some(v) = p.strip_prefix("q=").or_else(|| p.strip_prefix("Q=")) {
                    q = v.trim().parse().unwrap_or(0.0);
                }
            }
            if q <= 0.0 {
                continue;
            }
            let kind = match media.as_str() {
                "application/activity+json" | "application/ld+json" | "application/json" => {
                    Wants::ActivityJson
                }
                "text/html" | "application/xhtml+xml" | "text/*" | "*/*" => Wants::Html,
                _ => continue,
            };
            if best.is_none_or(|(bq, _)| q > bq) {
                best = Some((q, kind));
            }
        }
        best.map_or(Wants::Html, |(_, w)| w)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_the_preferred_representation() {
        use Wants::*;
        for (accept, want) in [
            ("application/activity+json", ActivityJson),
            (
                "application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\"",
                ActivityJson,
            ),
            (
                "application/activity+json, application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\"",
                ActivityJson,
            ),
            (
                "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
                Html,
            ),
            ("*/*", Html),
            ("", Html),
            ("image/png", Html),
            ("text/html;q=0.5, application/activity+json", ActivityJson),
            ("application/activity+json;q=0, text/html", Html),
            ("application/json", ActivityJson),
        ] {
            assert_eq!(Wants::from_accept(accept), want, "{accept}");
        }
    }
}
