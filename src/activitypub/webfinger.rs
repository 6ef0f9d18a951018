//! `/.well-known/webfinger` and `/.well-known/host-meta`.
//!
//! WebFinger resolves `acct:user@domain` (case-insensitive, `acct:` optional, the domain must
//! be ours), the actor URL `{url}/users/user`, the profile URL `{url}/@user`, and the instance
//! actor (`acct:{domain}@{domain}`, `{url}/actor`), as Mastodon's `WebfingerResource` does.
//! Answers are empty-bodied 400 (no or malformed resource) and 404 (unknown, unapproved or
//! elsewhere), as Mastodon's.

use axum::extract::{RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::activitypub::site;
use crate::error::AppError;
use crate::federation::render::{self, Site};
use crate::service::federation::{self as docs, LocalAccount};
use crate::state::AppState;

/// Longest `resource` considered (a handle or a URL of ours is far shorter).
const MAX_RESOURCE: usize = 512;

/// What a WebFinger resource names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resource {
    /// A local username (not yet looked up).
    User(String),
    /// The instance actor.
    InstanceActor,
}

/// Why a resource does not resolve.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResourceError {
    /// Not an `acct:` URI or an http(s) URL: 400.
    Invalid,
    /// Well-formed but not one of ours: 404.
    NotOurs,
}

/// Parses a WebFinger `resource` against this site.
pub fn parse_resource(site: Site<'_>, resource: &str) -> Result<Resource, ResourceError> {
    let resource = resource.trim();
    let lower = resource.to_ascii_lowercase();
    if lower.starts_with("http://") || lower.starts_with("https://") {
        return parse_url(site, resource);
    }
    if !resource.contains('@') {
        return Err(ResourceError::Invalid);
    }
    let acct = if lower.starts_with("acct:") {
        &resource[5..]
    } else {
        resource
    };
    let acct = acct.strip_prefix('@').unwrap_or(acct);
    let (user, domain) = acct.rsplit_once('@').ok_or(ResourceError::Invalid)?;
    if !domain.eq_ignore_ascii_case(site.domain) {
        return Err(ResourceError::NotOurs);
    }
    if user.eq_ignore_ascii_case(site.domain) {
        return Ok(Resource::InstanceActor);
    }
    if user.is_empty() || user.contains('@') {
        return Err(ResourceError::NotOurs);
    }
    Ok(Resource::User(user.to_owned()))
}

fn parse_url(site: Site<'_>, resource: &str) -> Result<Resource, ResourceError> {
    let (ours, theirs) = match (url::Url::parse(site.url), url::Url::parse(resource)) {
        (Ok(a), Ok(b)) => (a, b),
        _ => return Err(ResourceError::NotOurs),
    };
    if ours.scheme() != theirs.scheme()
        || ours.host_str().map(str::to_ascii_lowercase)
            != theirs.host_str().map(str::to_ascii_lowercase)
        || ours.port_or_known_default() != theirs.port_or_known_default()
    {
        return Err(ResourceError::NotOurs);
    }
    let path = theirs.path().trim_end_matches('/');
    if path == "/actor" {
        return Ok(Resource::InstanceActor);
    }
    let user = path
        .strip_prefix("/users/")
        .or_else(|| path.strip_prefix("/@"))
        .filter(|u| !u.is_empty() && !u.contains('/'))
        .ok_or(ResourceError::NotOurs)?;
    Ok(Resource::User(user.to_owned()))
}

/// An empty-bodied answer with Mastodon's short public caching of failures.
fn head(status: StatusCode) -> Response {
    (
        status,
        [(
            header::CACHE_CONTROL,
            HeaderValue::from_static("max-age=180, public"),
        )],
    )
        .into_response()
}

/// A JRD response.
fn jrd(doc: &serde_json::Value) -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/jrd+json; charset=utf-8"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("max-age=259200, public"),
            ),
        ],
        doc.to_string(),
    )
        .into_response()
}

/// `GET /.well-known/webfinger?resource=…`
pub async fn webfinger(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Response, AppError> {
    let resource = crate::web::form_pairs(query.unwrap_or_default().as_bytes())
        .remove("resource")
        .filter(|r| !r.trim().is_empty());
    let Some(resource) = resource else {
        return Ok(head(StatusCode::BAD_REQUEST));
    };
    if resource.len() > MAX_RESOURCE {
        return Ok(head(StatusCode::BAD_REQUEST));
    }
    let site = site(&state);
    let username = match parse_resource(site, &resource) {
        Ok(Resource::InstanceActor) => {
            return Ok(jrd(&render::webfinger_instance_actor(site)));
        }
        Ok(Resource::User(u)) => u,
        Err(ResourceError::Invalid) => return Ok(head(StatusCode::BAD_REQUEST)),
        Err(ResourceError::NotOurs) => return Ok(head(StatusCode::NOT_FOUND)),
    };
    let mut h = state.db.read().await?;
    // A suspended account still resolves (its actor says `suspended`), as in Mastodon until
    // the account's data is deleted.
    match docs::local_account(h.conn(), &username).await? {
        LocalAccount::Active(a) | LocalAccount::Suspended(a) => {
            Ok(jrd(&render::webfinger_account(site, &a)))
        }
        LocalAccount::Missing => Ok(head(StatusCode::NOT_FOUND)),
    }
}

/// `GET /.well-known/host-meta` (XRD).
pub async fn host_meta(State(state): State<AppState>) -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/xrd+xml; charset=utf-8"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("max-age=259200, public"),
            ),
        ],
        render::host_meta_xml(site(&state)),
    )
        .into_response()
}

/// `GET /.well-known/host-meta.json`.
pub async fn host_meta_json(State(state): State<AppState>) -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json; charset=utf-8"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("max-age=259200, public"),
            ),
        ],
        render::host_meta_json(site(&state)).to_string(),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SITE: Site<'static> = Site {
        url: "https://w.example",
        domain: "w.example",
        media_url: "",
    };

    #[test]
    fn resources() {
        let user = |u: &str| Ok(Resource::User(u.into()));
        assert_eq!(parse_resource(SITE, "acct:Alice@W.Example"), user("Alice"));
        assert_eq!(parse_resource(SITE, "alice@w.example"), user("alice"));
        assert_eq!(parse_resource(SITE, "acct:@alice@w.example"), user("alice"));
        assert_eq!(
            parse_resource(SITE, "https://w.example/users/alice"),
            user("alice")
        );
        assert_eq!(
            parse_resource(SITE, "https://W.example/@alice"),
            user("alice")
        );
        assert_eq!(
            parse_resource(SITE, "acct:w.example@w.example"),
            Ok(Resource::InstanceActor)
        );
        assert_eq!(
            parse_resource(SITE, "https://w.example/actor"),
            Ok(Resource::InstanceActor)
        );
        assert_eq!(
            parse_resource(SITE, "acct:alice@other.example"),
            Err(ResourceError::NotOurs)
        );
        assert_eq!(
            parse_resource(SITE, "https://other.example/users/alice"),
            Err(ResourceError::NotOurs)
        );
        assert_eq!(
            parse_resource(SITE, "http://w.example/users/alice"),
            Err(ResourceError::NotOurs)
        );
        assert_eq!(
            parse_resource(SITE, "https://w.example/users/alice/statuses/1"),
            Err(ResourceError::NotOurs)
        );
        assert_eq!(parse_resource(SITE, "alice"), Err(ResourceError::Invalid));
        assert_eq!(parse_resource(SITE, "acct:"), Err(ResourceError::Invalid));
    }
}
