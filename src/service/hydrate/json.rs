//! Pre-rendered JSON, and the one place a complete `Status` is written.
//!
//! A page of statuses is mostly the same bytes for every reader: the status's own fields and
//! its author's `Account`. Those are serialised once per version and cached
//! ([`super::cache`]); a response is then written by copying them and adding the few
//! viewer-dependent fields, which is much cheaper than building and serialising entities.

use std::fmt::Write as _;

use serde::Serialize;

use super::poll::{PollPart, PollReader, write_poll};

/// A JSON value rendered in advance, written into responses verbatim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawJson(String);

impl RawJson {
    /// Serialises `value` (an entity: plain structs, which always serialise).
    pub fn of<T: Serialize + ?Sized>(value: &T) -> RawJson {
        RawJson(serde_json::to_string(value).expect("entities serialise to JSON"))
    }

    /// Wraps JSON text written by this module's writers (valid JSON by construction).
    pub(crate) fn written(json: String) -> RawJson {
        RawJson(json)
    }

    /// The JSON text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The JSON text, owned.
    pub fn into_string(self) -> String {
        self.0
    }

    /// `[a,b,…]` of already rendered values.
    pub fn array<'a>(items: impl IntoIterator<Item = &'a RawJson>) -> RawJson {
        let mut out = String::from("[");
        for (i, item) in items.into_iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(&item.0);
        }
        out.push(']');
        RawJson(out)
    }

    /// `{"key":value,…}` of already rendered values (keys need no escaping).
    pub fn object(fields: &[(&str, &str)]) -> RawJson {
        fields
            .iter()
            .fold(RawJson("{}".into()), |o, (k, v)| o.with_field(k, v))
    }

    /// This object with `"key":value` added (`value` is JSON; `key` needs no escaping).
    /// Values that are not objects are returned unchanged.
    pub fn with_field(mut self, key: &str, value: &str) -> RawJson {
        if !self.0.ends_with('}') {
            return self;
        }
        self.0.pop();
        if self.0.len() > 1 {
            self.0.push(',');
        }
        let _ = write!(self.0, "\"{key}\":{value}}}");
        self
    }
}

/// What one viewer sees of their own relation to a status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ViewerFlags {
    pub favourited: bool,
    pub reblogged: bool,
    pub muted: bool,
    pub bookmarked: bool,
    /// `Some` only on the viewer's own statuses.
    pub pinned: Option<bool>,
}

/// The parts of one `Status` to write.
pub struct StatusParts<'a> {
    /// The serialised `StatusCore` object (`{…}`).
    pub core: &'a str,
    /// The serialised author `Account`.
    pub account: &'a str,
    /// The boosted status, already written, for a boost.
    pub reblog: Option<&'a str>,
    /// Public or unlisted (quotable by anyone).
    pub quotable: bool,
    /// The viewer's flags; `None` for anonymous readers (the keys are then absent).
    pub viewer: Option<ViewerFlags>,
    /// The status's poll and its reader (`"poll":null` without one).
    pub poll: Option<(&'a PollPart, PollReader<'a>)>,
    /// The viewer's `filtered` results (a JSON array; `None`: `[]`). Viewer-specific: never
    /// part of a cached rendering.
    pub filtered: Option<&'a str>,
}

/// Writes a complete `Status` object.
pub fn write_status(out: &mut String, p: &StatusParts<'_>) {
    let core = p.core.strip_suffix('}').unwrap_or(p.core);
    out.push_str(core);
    out.push_str(",\"account\":");
    out.push_str(p.account);
    out.push_str(",\"reblog\":");
    out.push_str(p.reblog.unwrap_or("null"));
    out.push_str(",\"poll\":");
    match p.poll {
        Some((poll, reader)) => write_poll(out, poll, reader),
        None => out.push_str("null"),
    }
    out.push_str(",\"quote_approval\":{\"automatic\":");
    out.push_str(if p.quotable { "[\"public\"]" } else { "[]" });
    out.push_str(",\"manual\":[],\"current_user\":");
    out.push_str(if p.quotable && p.viewer.is_some() {
        "\"automatic\"}"
    } else {
        "\"denied\"}"
    });
    if let Some(v) = p.viewer {
        let b = |x: bool| if x { "true" } else { "false" };
        let _ = write!(
            out,
            ",\"favourited\":{},\"reblogged\":{},\"muted\":{},\"bookmarked\":{}",
            b(v.favourited),
            b(v.reblogged),
            b(v.muted),
            b(v.bookmarked)
        );
        if let Some(pinned) = v.pinned {
            let _ = write!(out, ",\"pinned\":{}", b(pinned));
        }
        out.push_str(",\"filtered\":");
        out.push_str(p.filtered.unwrap_or("[]"));
    }
    out.push('}');
}

/// Writes a complete `Status` object into a new [`RawJson`].
pub fn status(p: &StatusParts<'_>) -> RawJson {
    let mut out = String::with_capacity(p.core.len() + p.account.len() + 256);
    write_status(&mut out, p);
    RawJson(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_added_to_objects() {
        let o = RawJson::of(&serde_json::json!({"a": 1}));
        assert_eq!(
            o.with_field("text", "\"hi\"").as_str(),
            r#"{"a":1,"text":"hi"}"#
        );
        let empty = RawJson("{}".into());
        assert_eq!(empty.with_field("x", "null").as_str(), r#"{"x":null}"#);
        let arr = RawJson::of(&[1, 2]);
        assert_eq!(arr.clone().with_field("x", "1"), arr);
        let list = [RawJson::of(&1), RawJson::of(&"b")];
        assert_eq!(RawJson::array(&list).as_str(), r#"[1,"b"]"#);
        assert_eq!(RawJson::array(&[]).as_str(), "[]");
        let obj = RawJson::object(&[("a", "[]"), ("b", "{}")]);
        assert_eq!(obj.as_str(), r#"{"a":[],"b":{}}"#);
    }

    #[test]
    fn a_status_is_valid_json_with_viewer_fields() {
        let core = r#"{"id":"1","content":"<p>hi</p>"}"#;
        let account = r#"{"id":"2"}"#;
        let anonymous = status(&StatusParts {
            core,
            account,
            reblog: None,
            quotable: true,
            viewer: None,
            poll: None,
            filtered: None,
        });
        let v: serde_json::Value = serde_json::from_str(anonymous.as_str()).unwrap();
        assert_eq!(v["account"]["id"], "2");
        assert!(v["reblog"].is_null());
        assert!(v["poll"].is_null());
        assert_eq!(v["quote_approval"]["current_user"], "denied");
        assert!(v.get("favourited").is_none() && v.get("filtered").is_none());

        let boost = status(&StatusParts {
            core: r#"{"id":"3"}"#,
            account,
            reblog: Some(anonymous.as_str()),
            quotable: false,
            viewer: Some(ViewerFlags {
                favourited: true,
                pinned: Some(false),
                ..Default::default()
            }),
            poll: None,
            filtered: Some(r#"[{"filter":{"id":"1"}}]"#),
        });
        let v: serde_json::Value = serde_json::from_str(boost.as_str()).unwrap();
        assert_eq!(v["reblog"]["id"], "1");
        assert_eq!(v["favourited"], true);
        assert_eq!(v["reblogged"], false);
        assert_eq!(v["pinned"], false);
        assert_eq!(v["filtered"][0]["filter"]["id"], "1");
        assert_eq!(v["quote_approval"]["automatic"], serde_json::json!([]));
    }
}
