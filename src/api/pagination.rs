//! Mastodon pagination: `max_id` / `since_id` / `min_id` / `limit` in, `Link` header out.

use axum::Json;
use axum::http::{HeaderValue, Uri, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use crate::api::params::flex;
use crate::db::timelines::Page;
use crate::error::{AppError, AppResult};
use crate::service::hydrate::{RawJson, RenderedStatus};

/// Cursor parameters common to every paginated endpoint.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct PageParams {
    #[serde(default, deserialize_with = "flex::opt_string")]
    pub max_id: Option<String>,
    #[serde(default, deserialize_with = "flex::opt_string")]
    pub since_id: Option<String>,
    #[serde(default, deserialize_with = "flex::opt_string")]
    pub min_id: Option<String>,
    #[serde(default, deserialize_with = "flex::opt_i64")]
    pub limit: Option<i64>,
}

fn cursor(v: &Option<String>) -> Option<i64> {
    // Non-numeric cursors are ignored, as Mastodon does; they cannot match a snowflake.
    v.as_deref().and_then(|s| s.trim().parse::<i64>().ok())
}

impl PageParams {
    /// The page, with `limit` defaulted to `default` and clamped to `1..=max`.
    pub fn page(&self, default: i64, max: i64) -> AppResult<Page> {
        let limit = match self.limit {
            None => default,
            Some(l) if l < 1 => default,
            Some(l) => l.min(max),
        };
        Ok(Page {
            max_id: cursor(&self.max_id),
            since_id: cursor(&self.since_id),
            min_id: cursor(&self.min_id),
            limit,
        })
    }

    /// Limit for endpoints paged with offset (search, directory).
    pub fn limit_only(&self, default: i64, max: i64) -> AppResult<i64> {
        self.page(default, max).map(|p| p.limit)
    }
}

/// Builds `Link: <…max_id=next>; rel="next", <…min_id=prev>; rel="prev"` keeping the request's
/// other query parameters. `next_max` is the cursor of the oldest item, `prev_min` the newest.
pub fn link_header(
    base_url: &str,
    uri: &Uri,
    next_max: Option<i64>,
    prev_min: Option<i64>,
) -> Option<String> {
    let kept: Vec<(String, String)> = uri
        .query()
        .map(|q| {
            form_urlencoded::parse(q.as_bytes())
                .filter(|(k, _)| {
                    !matches!(
                        k.as_ref(),
                        "max_id" | "min_id" | "since_id" | "access_token"
                    )
                })
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect()
        })
        .unwrap_or_default();
    let make = |key: &str, id: i64| {
        let mut ser = form_urlencoded::Serializer::new(String::new());
        for (k, v) in &kept {
            ser.append_pair(k, v);
        }
        ser.append_pair(key, &id.to_string());
        format!("{}{}?{}", base_url, uri.path(), ser.finish())
    };
    let mut parts = Vec::new();
    if let Some(id) = next_max {
        parts.push(format!("<{}>; rel=\"next\"", make("max_id", id)));
    }
    if let Some(id) = prev_min {
        parts.push(format!("<{}>; rel=\"prev\"", make("min_id", id)));
    }
    (!parts.is_empty()).then(|| parts.join(", "))
}

/// A JSON array response with an optional `Link` header.
pub struct Paged<T> {
    /// The items.
    pub items: Vec<T>,
    /// The `Link` header value.
    pub link: Option<String>,
}

impl<T> Paged<T> {
    /// Items paged by their own ids (statuses, notifications): `cursors` are the items' ids in
    /// response order (newest first).
    pub fn by_ids(items: Vec<T>, cursors: &[i64], base_url: &str, uri: &Uri) -> Paged<T> {
        let link = if cursors.is_empty() {
            None
        } else {
            link_header(
                base_url,
                uri,
                cursors.last().copied(),
                cursors.first().copied(),
            )
        };
        Paged { items, link }
    }
}

impl<T: Serialize> IntoResponse for Paged<T> {
    fn into_response(self) -> Response {
        Self::respond(self.link, Json(self.items))
    }
}

impl<T> Paged<T> {
    /// The response: `body` with the `Link` header.
    fn respond(link: Option<String>, body: impl IntoResponse) -> Response {
        let mut resp = body.into_response();
        if let Some(link) = link
            && let Ok(v) = HeaderValue::from_str(&link)
        {
            resp.headers_mut().insert(header::LINK, v);
        }
        resp
    }
}

impl IntoResponse for Paged<RawJson> {
    fn into_response(self) -> Response {
        Self::respond(self.link, RawJson::array(&self.items))
    }
}

impl IntoResponse for Paged<RenderedStatus> {
    fn into_response(self) -> Response {
        Self::respond(
            self.link,
            RawJson::array(self.items.iter().map(|s| &s.json)),
        )
    }
}

/// 400 unless `id` parses as a snowflake; used for path ids.
pub fn path_id(s: &str) -> AppResult<i64> {
    crate::id::parse(s).ok_or(AppError::NotFound)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_keeps_other_params() {
        let uri: Uri = "/api/v1/timelines/public?local=true&limit=2&max_id=9"
            .parse()
            .unwrap();
        let link = link_header("https://x.example", &uri, Some(5), Some(8)).unwrap();
        assert_eq!(
            link,
            "<https://x.example/api/v1/timelines/public?local=true&limit=2&max_id=5>; rel=\"next\", \
             <https://x.example/api/v1/timelines/public?local=true&limit=2&min_id=8>; rel=\"prev\""
        );
    }

    #[test]
    fn limits_are_clamped() {
        let p = PageParams {
            limit: Some(500),
            ..Default::default()
        };
        assert_eq!(p.page(20, 40).unwrap().limit, 40);
        let p = PageParams {
            limit: Some(0),
            ..Default::default()
        };
        assert_eq!(p.page(20, 40).unwrap().limit, 20);
    }
}
