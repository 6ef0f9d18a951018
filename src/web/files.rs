//! `GET /system/{key}`: media files served from the store (local directory or bucket). Only
//! keys of the server's own grammar are served (`media::store::Key::parse`: no traversal, no
//! raw uploads), with the type their extension names, `nosniff`, a sandboxing
//! `Content-Security-Policy`, a year of caching, and single byte ranges for players.

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use futures::StreamExt;

use crate::media::store::{Area, CACHE_CONTROL, Key};
use crate::state::AppState;

/// The route.
pub fn routes() -> Router<AppState> {
    Router::new().route("/system/{*key}", get(serve))
}

fn status(code: StatusCode) -> Response {
    (
        code,
        [(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        )],
    )
        .into_response()
}

/// A single `bytes=a-b` / `bytes=a-` / `bytes=-n` range; `None` for anything else (served
/// whole, as RFC 9110 allows).
fn parse_range(headers: &HeaderMap) -> Option<(Option<u64>, Option<u64>)> {
    let v = headers.get(header::RANGE)?.to_str().ok()?;
    let spec = v.trim().strip_prefix("bytes=")?;
    if spec.contains(',') {
        return None;
    }
    let (a, b) = spec.split_once('-')?;
    let a = a.trim();
    let b = b.trim();
    match (a.is_empty(), b.is_empty()) {
        (false, false) => {
            let (a, b) = (a.parse().ok()?, b.parse().ok()?);
            (a <= b).then_some((Some(a), Some(b)))
        }
        (false, true) => Some((Some(a.parse().ok()?), None)),
        (true, false) => Some((None, Some(b.parse().ok()?))),
        (true, true) => None,
    }
}

async fn serve(
    State(state): State<AppState>,
    Path(key): Path<String>,
    headers: HeaderMap,
) -> Response {
    let Some(key) = Key::parse(&key).filter(|k| k.area() != Area::Uploads) else {
        return status(StatusCode::NOT_FOUND);
    };
    let Ok(store) = state.media() else {
        return status(StatusCode::SERVICE_UNAVAILABLE);
    };
    let range = parse_range(&headers);
    let fetched = match store.open_read(&key, range).await {
        Ok(f) => f,
        Err(e) if e.is_not_found() => return status(StatusCode::NOT_FOUND),
        Err(e) if range.is_some() => {
            tracing::debug!(error = %e, "unsatisfiable range");
            let mut r = status(StatusCode::RANGE_NOT_SATISFIABLE);
            if let Ok(size) = store.open_read(&key, None).await.map(|f| f.size)
                && let Ok(v) = HeaderValue::from_str(&format!("bytes */{size}"))
            {
                r.headers_mut().insert(header::CONTENT_RANGE, v);
            }
            return r;
        }
        Err(e) => {
            tracing::warn!(error = %e, key = key.as_str(), "reading a media file failed");
            return status(StatusCode::SERVICE_UNAVAILABLE);
        }
    };
    let len = fetched.range.end - fetched.range.start;
    let partial = range.is_some() && len < fetched.size;
    let body = Body::from_stream(fetched.body.map(|r| r.map_err(std::io::Error::other)));
    let mut resp = Response::new(body);
    *resp.status_mut() = if partial {
        StatusCode::PARTIAL_CONTENT
    } else {
        StatusCode::OK
    };
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(key.content_type()),
    );
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(CACHE_CONTROL),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; sandbox"),
    );
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    if partial
        && let Ok(v) = HeaderValue::from_str(&format!(
            "bytes {}-{}/{}",
            fetched.range.start,
            fetched.range.end - 1,
            fetched.size
        ))
    {
        h.insert(header::CONTENT_RANGE, v);
    }
    resp
}
