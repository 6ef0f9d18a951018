//! Request parameters the way Mastodon clients send them.
//!
//! Clients mix query strings, JSON, `application/x-www-form-urlencoded` and
//! `multipart/form-data`, and use Rails-style nesting: `media_ids[]=1`,
//! `poll[options][]=a`, `fields_attributes[0][name]=x`. [`Params`] merges the query string and
//! the body into one JSON value (body wins), then deserialises the handler's type. Form values
//! are strings, so typed fields use the lenient helpers in [`flex`]. A body-less POST with no
//! `Content-Type` is fine.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::header::CONTENT_TYPE;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::error::AppError;

/// Largest request body accepted on routes without uploads (see the router's body limit).
pub const MAX_PARAMS_BODY: usize = 1024 * 1024;

/// Query string and body parameters, merged and deserialised into `T`.
#[derive(Debug)]
pub struct Params<T>(pub T);

/// A file part of a multipart body.
#[derive(Debug, Clone)]
pub struct UploadedFile {
    /// Form field name (e.g. `file`, `avatar`).
    pub field: String,
    /// Client-supplied file name.
    pub file_name: Option<String>,
    /// Client-supplied content type.
    pub content_type: Option<String>,
    /// File contents.
    pub data: Bytes,
}

/// Parameters plus any uploaded files (for multipart endpoints such as `update_credentials`).
#[derive(Debug)]
pub struct ParamsWithFiles<T> {
    /// The non-file parameters.
    pub params: T,
    /// The file parts, in order.
    pub files: Vec<UploadedFile>,
}

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Params<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let (value, _) = collect(req, state, false).await?;
        Ok(Params(decode(value)?))
    }
}

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ParamsWithFiles<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let (value, files) = collect(req, state, true).await?;
        Ok(ParamsWithFiles {
            params: decode(value)?,
            files,
        })
    }
}

/// Deserialises merged parameters, answering 400 with serde's explanation on failure.
pub fn decode<T: DeserializeOwned>(value: Value) -> Result<T, AppError> {
    serde_json::from_value(value)
        .map_err(|e| AppError::BadRequest(format!("Invalid parameters: {e}")))
}

async fn collect<S: Send + Sync>(
    req: Request,
    state: &S,
    allow_files: bool,
) -> Result<(Value, Vec<UploadedFile>), AppError> {
    let mut root = Value::Object(Map::new());
    if let Some(q) = req.uri().query() {
        for (k, v) in form_urlencoded::parse(q.as_bytes()) {
            insert(&mut root, &k, Value::String(v.into_owned()));
        }
    }
    let content_type = req
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let mut files = Vec::new();
    if content_type.starts_with("multipart/form-data") {
        // Size is bounded by the router's `DefaultBodyLimit` (raised only on upload routes).
        let mut mp = axum::extract::Multipart::from_request(req, state)
            .await
            .map_err(|e| AppError::BadRequest(format!("Invalid multipart body: {e}")))?;
        while let Some(field) = mp
            .next_field()
            .await
            .map_err(|e| AppError::BadRequest(format!("Invalid multipart body: {e}")))?
        {
            let name = field.name().unwrap_or("").to_owned();
            let file_name = field.file_name().map(str::to_owned);
            let ctype = field.content_type().map(str::to_owned);
            let data = field
                .bytes()
                .await
                .map_err(|e| AppError::BadRequest(format!("Invalid multipart body: {e}")))?;
            if file_name.is_some() {
                if !allow_files {
                    return Err(AppError::unprocessable(
                        "File uploads are not accepted here",
                    ));
                }
                files.push(UploadedFile {
                    field: name,
                    file_name,
                    content_type: ctype,
                    data,
                });
            } else {
                let text = String::from_utf8(data.to_vec())
                    .map_err(|_| AppError::BadRequest("Parameters must be UTF-8".into()))?;
                insert(&mut root, &name, Value::String(text));
            }
        }
        return Ok((root, files));
    }
    let body = Bytes::from_request(req, state)
        .await
        .map_err(|e| AppError::BadRequest(format!("Could not read the request body: {e}")))?;
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok((root, files));
    }
    if content_type.starts_with("application/json") || content_type.contains("+json") {
        let parsed: Value = serde_json::from_slice(&body)
            .map_err(|e| AppError::BadRequest(format!("Error while parsing JSON body: {e}")))?;
        match parsed {
            Value::Object(map) => {
                let obj = root.as_object_mut().expect("root is an object");
                for (k, v) in map {
                    obj.insert(k, v);
                }
            }
            _ => {
                return Err(AppError::BadRequest(
                    "The JSON body must be an object".into(),
                ));
            }
        }
    } else if content_type.starts_with("application/x-www-form-urlencoded")
        || content_type.is_empty()
    {
        for (k, v) in form_urlencoded::parse(&body) {
            insert(&mut root, &k, Value::String(v.into_owned()));
        }
    } else {
        return Err(AppError::BadRequest(format!(
            "Unsupported content type: {content_type}"
        )));
    }
    Ok((root, files))
}

/// Inserts `value` at a Rails-style key (`a[b][]`) into `root`.
pub fn insert(root: &mut Value, key: &str, value: Value) {
    let mut segments: Vec<&str> = Vec::new();
    match key.find('[') {
        Some(i) if key.ends_with(']') => {
            segments.push(&key[..i]);
            for part in key[i + 1..key.len() - 1].split("][") {
                segments.push(part);
            }
        }
        _ => segments.push(key),
    }
    insert_path(root, &segments, value);
}

fn insert_path(node: &mut Value, path: &[&str], value: Value) {
    let Some((head, rest)) = path.split_first() else {
        return;
    };
    if head.is_empty() {
        // `[]`: append to an array.
        if !node.is_array() {
            *node = Value::Array(Vec::new());
        }
        let arr = node.as_array_mut().expect("array");
        if rest.is_empty() {
            arr.push(value);
        } else {
            // `a[][x]=1&a[][y]=2`: start a new element when the key repeats.
            let start_new = match arr.last() {
                Some(Value::Object(m)) => m.contains_key(rest[0]),
                _ => true,
            };
            if start_new {
                arr.push(Value::Object(Map::new()));
            }
            insert_path(arr.last_mut().expect("just pushed"), rest, value);
        }
        return;
    }
    if !node.is_object() {
        *node = Value::Object(Map::new());
    }
    let obj = node.as_object_mut().expect("object");
    if rest.is_empty() {
        obj.insert((*head).to_owned(), value);
    } else {
        let child = obj.entry((*head).to_owned()).or_insert(Value::Null);
        insert_path(child, rest, value);
    }
}

/// Lenient deserialisers for fields that arrive as strings from forms and as typed values from
/// JSON. Use with `#[serde(default, deserialize_with = "flex::…")]`.
pub mod flex {
    use serde::{Deserialize, Deserializer, de::Error};
    use serde_json::Value;

    fn truthy(v: &Value) -> Result<Option<bool>, String> {
        Ok(match v {
            Value::Null => None,
            Value::Bool(b) => Some(*b),
            Value::Number(n) => Some(n.as_i64().unwrap_or(0) != 0),
            Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
                "" => None,
                "true" | "1" | "on" | "yes" | "t" => Some(true),
                "false" | "0" | "off" | "no" | "f" => Some(false),
                other => return Err(format!("expected a boolean, got {other:?}")),
            },
            other => return Err(format!("expected a boolean, got {other}")),
        })
    }

    /// `true`, `"true"`, `"1"`, `1`, `"on"` … as a bool; absent/empty is `None`.
    pub fn opt_bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
        truthy(&Value::deserialize(d)?).map_err(D::Error::custom)
    }

    /// Like [`opt_bool`], with absent meaning `false`.
    pub fn bool<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
        opt_bool(d).map(|b| b.unwrap_or(false))
    }

    /// An integer given as a number or a numeric string; empty is `None`.
    pub fn opt_i64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
        match Value::deserialize(d)? {
            Value::Null => Ok(None),
            Value::Number(n) => n
                .as_i64()
                .map(Some)
                .ok_or_else(|| D::Error::custom("expected an integer")),
            Value::String(s) if s.trim().is_empty() => Ok(None),
            Value::String(s) => s
                .trim()
                .parse()
                .map(Some)
                .map_err(|_| D::Error::custom(format!("expected an integer, got {s:?}"))),
            other => Err(D::Error::custom(format!(
                "expected an integer, got {other}"
            ))),
        }
    }

    /// A string, also accepting numbers and booleans (ids sent as JSON numbers); empty is `None`.
    pub fn opt_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
        match Value::deserialize(d)? {
            Value::Null => Ok(None),
            Value::String(s) => Ok(Some(s)),
            Value::Number(n) => Ok(Some(n.to_string())),
            Value::Bool(b) => Ok(Some(b.to_string())),
            other => Err(D::Error::custom(format!("expected a string, got {other}"))),
        }
    }

    /// A list given as an array, a single value, or an object keyed by index (`a[0]=x`).
    /// Elements may be strings or numbers; they come back as strings.
    pub fn vec_string<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
        fn one(v: Value) -> Option<String> {
            match v {
                Value::String(s) => Some(s),
                Value::Number(n) => Some(n.to_string()),
                Value::Bool(b) => Some(b.to_string()),
                _ => None,
            }
        }
        Ok(match Value::deserialize(d)? {
            Value::Null => Vec::new(),
            Value::Array(a) => a.into_iter().filter_map(one).collect(),
            Value::Object(m) => {
                let mut items: Vec<(String, Value)> = m.into_iter().collect();
                items.sort_by_key(|(k, _)| k.parse::<i64>().unwrap_or(i64::MAX));
                items.into_iter().filter_map(|(_, v)| one(v)).collect()
            }
            other => one(other).into_iter().collect(),
        })
    }

    /// A list of objects given as an array or an object keyed by index
    /// (`fields_attributes[0][name]=…`).
    pub fn vec_indexed<'de, D: Deserializer<'de>, T: serde::de::DeserializeOwned>(
        d: D,
    ) -> Result<Option<Vec<T>>, D::Error> {
        let items: Vec<Value> = match Value::deserialize(d)? {
            Value::Null => return Ok(None),
            Value::Array(a) => a,
            Value::Object(m) => {
                let mut items: Vec<(String, Value)> = m.into_iter().collect();
                items.sort_by_key(|(k, _)| k.parse::<i64>().unwrap_or(i64::MAX));
                items.into_iter().map(|(_, v)| v).collect()
            }
            other => return Err(D::Error::custom(format!("expected a list, got {other}"))),
        };
        items
            .into_iter()
            .map(|v| serde_json::from_value(v).map_err(D::Error::custom))
            .collect::<Result<Vec<T>, _>>()
            .map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(pairs: &[(&str, &str)]) -> Value {
        let mut root = Value::Object(Map::new());
        for (k, v) in pairs {
            insert(&mut root, k, Value::String((*v).into()));
        }
        root
    }

    #[test]
    fn rails_style_keys() {
        let v = parse(&[
            ("status", "hi"),
            ("media_ids[]", "1"),
            ("media_ids[]", "2"),
            ("poll[options][]", "a"),
            ("poll[options][]", "b"),
            ("poll[expires_in]", "300"),
            ("fields_attributes[0][name]", "n0"),
            ("fields_attributes[0][value]", "v0"),
            ("fields_attributes[1][name]", "n1"),
            ("source[privacy]", "private"),
        ]);
        assert_eq!(
            v,
            json!({
                "status": "hi",
                "media_ids": ["1", "2"],
                "poll": {"options": ["a", "b"], "expires_in": "300"},
                "fields_attributes": {"0": {"name": "n0", "value": "v0"}, "1": {"name": "n1"}},
                "source": {"privacy": "private"}
            })
        );
    }

    #[test]
    fn array_of_objects() {
        let v = parse(&[("a[][x]", "1"), ("a[][y]", "2"), ("a[][x]", "3")]);
        assert_eq!(v, json!({"a": [{"x": "1", "y": "2"}, {"x": "3"}]}));
    }

    #[derive(serde::Deserialize)]
    struct T {
        #[serde(default, deserialize_with = "flex::opt_bool")]
        b: Option<bool>,
        #[serde(default, deserialize_with = "flex::vec_string")]
        ids: Vec<String>,
        #[serde(default, deserialize_with = "flex::opt_i64")]
        n: Option<i64>,
    }

    #[test]
    fn flex_values() {
        let t: T = serde_json::from_value(json!({"b": "true", "ids": "5", "n": "7"})).unwrap();
        assert_eq!(
            (t.b, t.ids, t.n),
            (Some(true), vec!["5".to_string()], Some(7))
        );
        let t: T = serde_json::from_value(json!({"b": false, "ids": [1, "2"], "n": 3})).unwrap();
        assert_eq!(
            (t.b, t.ids, t.n),
            (Some(false), vec!["1".to_string(), "2".to_string()], Some(3))
        );
        let t: T = serde_json::from_value(json!({})).unwrap();
        assert_eq!((t.b, t.ids.len(), t.n), (None, 0, None));
        assert!(serde_json::from_value::<T>(json!({"b": "maybe"})).is_err());
    }
}
