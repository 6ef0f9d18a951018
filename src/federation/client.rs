//! The one outbound HTTP client: everything Woolly asks of other servers goes through
//! [`FedClient`].
//!
//! Safety rules, all on by default (`allow_private_addresses` relaxes the first two for
//! tests and local development):
//! - Only `https://` URLs (`http://` too when private addresses are allowed, and for the web
//!   pages of link previews, [`FedClient::get_page`]).
//! - No special-purpose address (loopback, private, link-local, CGNAT, ULA, multicast, …,
//!   see [`super::address`]) is ever connected to: the DNS resolver drops such addresses from
//!   every answer before the connection is made to one of the remaining ones, so a name
//!   cannot be re-pointed between the check and the connection; IP-literal URLs are checked
//!   directly (they bypass the resolver). No proxy is used.
//! - Redirects are followed by hand, at most [`MAX_REDIRECTS`], each hop checked again (and
//!   re-signed).
//! - Bodies are read as a stream and abandoned beyond [`MAX_BODY_BYTES`] (web pages are cut
//!   there instead); the whole exchange, redirects included, is bounded by [`REQUEST_TIMEOUT`].
//! - The `User-Agent` names Woolly and the instance: `Woolly/<version> (+<WOOLLY_URL>)`.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::{Bytes, BytesMut};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::header::{self, HeaderMap};
use reqwest::{Method, StatusCode};
use url::{Host, Url};

use super::address;
use super::signature::{self, ACTIVITY_ACCEPT, ACTIVITY_CONTENT_TYPE, SigningKey};
use crate::config::Config;

/// Largest response body read (Mastodon's limit for ActivityPub documents).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
/// Deadline of a whole request, redirects and body included.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Deadline of establishing one connection.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Redirects followed before giving up.
pub const MAX_REDIRECTS: usize = 5;

/// Why a remote request failed.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// Not an absolute URL with a host.
    #[error("invalid URL {0:?}")]
    InvalidUrl(String),
    /// A scheme other than `https` (or `http` when private addresses are allowed).
    #[error("URL scheme not allowed: {0}")]
    SchemeNotAllowed(String),
    /// The host is, or resolves only to, special-purpose addresses.
    #[error("address not allowed for {0}")]
    BlockedAddress(String),
    /// The response body exceeds [`MAX_BODY_BYTES`].
    #[error("response body larger than {MAX_BODY_BYTES} bytes")]
    TooLarge,
    /// The request did not complete within its deadline.
    #[error("request timed out")]
    Timeout,
    /// More than [`MAX_REDIRECTS`] redirects, or a redirect without a usable `Location`.
    #[error("too many or invalid redirects")]
    Redirects,
    /// The server answered with an unsuccessful status.
    #[error("HTTP status {0}")]
    Status(StatusCode),
    /// The document is not served as ActivityStreams JSON.
    #[error("unexpected content type {0:?}")]
    ContentType(String),
    /// The body is not valid JSON (or nests too deeply).
    #[error("invalid JSON: {0}")]
    Json(#[source] serde_json::Error),
    /// Connection, TLS or protocol failure.
    #[error("network error: {0}")]
    Network(#[source] reqwest::Error),
}

/// A response read within the limits.
#[derive(Debug)]
pub struct FetchedResponse {
    /// Final status (after redirects).
    pub status: StatusCode,
    /// The URL that answered (after redirects); origin checks compare against it.
    pub url: Url,
    /// Response headers.
    pub headers: HeaderMap,
    /// The body, at most [`MAX_BODY_BYTES`].
    pub body: Bytes,
}

/// An ActivityPub document fetched with [`FedClient::get_activity`].
#[derive(Debug)]
pub struct ActivityDocument {
    /// The URL that served it (after redirects). The caller checks that the document's `id`
    /// has this URL's origin, or refetches it by its `id`.
    pub url: Url,
    /// The parsed JSON.
    pub json: serde_json::Value,
}

/// How a delivery went, as far as the receiving server said.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeliveryOutcome {
    /// The status the inbox answered with.
    pub status: StatusCode,
    /// `Retry-After`, as seconds or an HTTP date, when given.
    pub retry_after: Option<Duration>,
}

/// What to do after a delivery attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryVerdict {
    /// 2xx: done.
    Delivered,
    /// 4xx other than 401, 408 and 429: the server will never accept it (Mastodon's
    /// `response_error_unsalvageable?`).
    Rejected,
    /// Anything else (5xx, 429, 408, 401, 3xx): try again later.
    Retry,
}

impl DeliveryOutcome {
    /// Classifies the status as Mastodon's delivery worker does.
    pub fn verdict(&self) -> DeliveryVerdict {
        let code = self.status.as_u16();
        if self.status.is_success() {
            DeliveryVerdict::Delivered
        } else if self.status.is_client_error() && !matches!(code, 401 | 408 | 429) {
            DeliveryVerdict::Rejected
        } else {
            DeliveryVerdict::Retry
        }
    }
}

/// The outbound HTTP client. Cheap to clone (connection pools are shared).
#[derive(Clone, Debug)]
pub struct FedClient {
    http: reqwest::Client,
    allow_private: bool,
    timeout: Duration,
}

impl FedClient {
    /// Builds the client from the configuration (`url` for the User-Agent,
    /// `allow_private_addresses`).
    pub fn new(config: &Config) -> Result<FedClient, FetchError> {
        let allow_private = config.allow_private_addresses;
        let user_agent = format!("Woolly/{} (+{})", env!("CARGO_PKG_VERSION"), config.url);
        let http = reqwest::Client::builder()
            .user_agent(user_agent)
            .dns_resolver(Arc::new(FilteringResolver { allow_private }))
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(REQUEST_TIMEOUT)
            .build()
            .map_err(FetchError::Network)?;
        Ok(FedClient {
            http,
            allow_private,
            timeout: REQUEST_TIMEOUT,
        })
    }

    /// The same client with another deadline per request (shorter budgets for work done while
    /// a user waits, such as search with `resolve=true`).
    pub fn with_timeout(mut self, timeout: Duration) -> FedClient {
        self.timeout = timeout;
        self
    }

    /// Checks a URL before any connection: parseable, allowed scheme, and an IP-literal host
    /// must be globally reachable (names are checked when resolved).
    pub fn check_url(&self, url: &str) -> Result<Url, FetchError> {
        self.check_url_for(url, Purpose::Federation)
    }

    fn check_url_for(&self, url: &str, purpose: Purpose) -> Result<Url, FetchError> {
        let parsed = Url::parse(url).map_err(|_| FetchError::InvalidUrl(url.to_owned()))?;
        self.check(&parsed, purpose)?;
        Ok(parsed)
    }

    fn check(&self, url: &Url, purpose: Purpose) -> Result<(), FetchError> {
        match url.scheme() {
            "https" => {}
            "http"
                if self.allow_private
                    || matches!(purpose, Purpose::WebPage | Purpose::Media(_)) => {}
            other => return Err(FetchError::SchemeNotAllowed(other.to_owned())),
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(FetchError::InvalidUrl(url.to_string()));
        }
        let ip = match url.host() {
            None => return Err(FetchError::InvalidUrl(url.to_string())),
            Some(Host::Domain(_)) => return Ok(()),
            Some(Host::Ipv4(v4)) => IpAddr::V4(v4),
            Some(Host::Ipv6(v6)) => IpAddr::V6(v6),
        };
        if self.allow_private || address::is_global(ip) {
            Ok(())
        } else {
            Err(FetchError::BlockedAddress(ip.to_string()))
        }
    }

    /// GET `url` with `accept`, signed by `key` when given; any status is returned.
    pub async fn get(
        &self,
        url: &str,
        accept: &str,
        key: Option<&SigningKey>,
    ) -> Result<FetchedResponse, FetchError> {
        let url = self.check_url(url)?;
        self.exchange(Method::GET, url, accept, None, key, Purpose::Federation)
            .await
    }

    /// GETs a web page (or an oEmbed document) for a link preview, unsigned: `http` is
    /// allowed as well as `https` (the address rules are the same), and a body longer than
    /// [`MAX_BODY_BYTES`] is cut there rather than refused (what a preview needs is at the
    /// start). Any status is returned.
    pub async fn get_page(&self, url: &str, accept: &str) -> Result<FetchedResponse, FetchError> {
        let url = self.check_url_for(url, Purpose::WebPage)?;
        self.exchange(Method::GET, url, accept, None, None, Purpose::WebPage)
            .await
    }

    /// GETs a media file (a remote status's attachment, a link preview's image), unsigned:
    /// `http` is allowed as well as `https` (the address rules are the same), and the body is
    /// refused as [`FetchError::TooLarge`] as soon as
    /// it exceeds `max_bytes`. Any status is returned.
    pub async fn get_media(
        &self,
        url: &str,
        max_bytes: usize,
    ) -> Result<FetchedResponse, FetchError> {
        let purpose = Purpose::Media(max_bytes);
        let url = self.check_url_for(url, purpose)?;
        self.exchange(Method::GET, url, "*/*", None, None, purpose)
            .await
    }

    /// Fetches an ActivityPub document, signed by `key` (a user's, or the instance actor's
    /// when no user is involved: servers in authorized-fetch mode refuse unsigned GETs).
    /// Requires a 2xx status and an ActivityStreams content type (`application/activity+json`,
    /// or `application/ld+json` with the ActivityStreams profile).
    pub async fn get_activity(
        &self,
        url: &str,
        key: &SigningKey,
    ) -> Result<ActivityDocument, FetchError> {
        let response = self.get(url, ACTIVITY_ACCEPT, Some(key)).await?;
        if !response.status.is_success() {
            return Err(FetchError::Status(response.status));
        }
        let content_type = response
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        if !is_activity_content_type(content_type) {
            return Err(FetchError::ContentType(content_type.to_owned()));
        }
        let json = serde_json::from_slice(&response.body).map_err(FetchError::Json)?;
        Ok(ActivityDocument {
            url: response.url,
            json,
        })
    }

    /// Delivers an activity to an inbox: POST of `body` as `application/activity+json`,
    /// signed by `key` with a `Digest`. Every answer of the server is an `Ok` outcome (see
    /// [`DeliveryOutcome::verdict`]); errors are for requests that got no answer.
    pub async fn post_activity(
        &self,
        inbox: &str,
        body: Bytes,
        key: &SigningKey,
    ) -> Result<DeliveryOutcome, FetchError> {
        let url = self.check_url(inbox)?;
        let response = self
            .exchange(
                Method::POST,
                url,
                ACTIVITY_ACCEPT,
                Some(body),
                Some(key),
                Purpose::Federation,
            )
            .await?;
        let retry_after = response
            .headers
            .get(header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| parse_retry_after(v, SystemTime::now()));
        Ok(DeliveryOutcome {
            status: response.status,
            retry_after,
        })
    }

    /// One request with its redirects, under the deadline.
    async fn exchange(
        &self,
        method: Method,
        url: Url,
        accept: &str,
        body: Option<Bytes>,
        key: Option<&SigningKey>,
        purpose: Purpose,
    ) -> Result<FetchedResponse, FetchError> {
        let exchange = self.follow(method, url, accept, body, key, purpose);
        match tokio::time::timeout(self.timeout, exchange).await {
            Ok(result) => result,
            Err(_) => Err(FetchError::Timeout),
        }
    }

    async fn follow(
        &self,
        mut method: Method,
        mut url: Url,
        accept: &str,
        mut body: Option<Bytes>,
        key: Option<&SigningKey>,
        purpose: Purpose,
    ) -> Result<FetchedResponse, FetchError> {
        for _ in 0..=MAX_REDIRECTS {
            self.check(&url, purpose)?;
            let mut request = self
                .http
                .request(method.clone(), url.clone())
                .header(header::ACCEPT, accept);
            if body.is_some() {
                request = request.header(header::CONTENT_TYPE, ACTIVITY_CONTENT_TYPE);
            }
            if let Some(key) = key {
                let signed: &[(&str, &str)] = if body.is_some() {
                    &[("content-type", ACTIVITY_CONTENT_TYPE)]
                } else {
                    &[("accept", accept)]
                };
                let headers = signature::sign_request(
                    key,
                    method.as_str(),
                    &url,
                    signed,
                    body.as_deref(),
                    SystemTime::now(),
                );
                for (name, value) in headers {
                    request = request.header(name, value);
                }
            }
            if let Some(body) = &body {
                request = request.body(body.clone());
            }
            let response = request.send().await.map_err(network_error)?;
            let status = response.status();
            let redirect = match status.as_u16() {
                // 303, and 301/302 on GET, continue as GET; 307/308 keep method and body.
                303 => Some(true),
                301 | 302 if method == Method::GET => Some(true),
                307 | 308 => Some(false),
                _ => None,
            };
            if let Some(to_get) = redirect {
                let location = response
                    .headers()
                    .get(header::LOCATION)
                    .and_then(|v| v.to_str().ok())
                    .ok_or(FetchError::Redirects)?;
                url = url.join(location).map_err(|_| FetchError::Redirects)?;
                if to_get && method != Method::GET {
                    method = Method::GET;
                    body = None;
                }
                continue;
            }
            let headers = response.headers().clone();
            let body = match purpose {
                Purpose::Federation => read_limited(response, MAX_BODY_BYTES).await?,
                Purpose::Media(max) => read_limited(response, max).await?,
                Purpose::WebPage => read_truncated(response).await?,
            };
            return Ok(FetchedResponse {
                status,
                url,
                headers,
                body,
            });
        }
        Err(FetchError::Redirects)
    }
}

/// What a request is for, which decides the schemes allowed and how a long body is treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Purpose {
    /// ActivityPub, WebFinger and other server-to-server exchanges.
    Federation,
    /// A web page read for a link preview.
    WebPage,
    /// A media file, of at most this many bytes.
    Media(usize),
}

/// Reads at most [`MAX_BODY_BYTES`] of a body and drops the rest unread.
async fn read_truncated(mut response: reqwest::Response) -> Result<Bytes, FetchError> {
    let mut body = BytesMut::new();
    while let Some(chunk) = response.chunk().await.map_err(network_error)? {
        let room = MAX_BODY_BYTES - body.len();
        if chunk.len() >= room {
            body.extend_from_slice(&chunk[..room]);
            break;
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// Reads a body, giving up as soon as it exceeds `max` bytes.
async fn read_limited(mut response: reqwest::Response, max: usize) -> Result<Bytes, FetchError> {
    if response
        .content_length()
        .is_some_and(|len| len > max as u64)
    {
        return Err(FetchError::TooLarge);
    }
    let mut body = BytesMut::new();
    while let Some(chunk) = response.chunk().await.map_err(network_error)? {
        if body.len() + chunk.len() > max {
            return Err(FetchError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// Whether a `Content-Type` is ActivityStreams JSON, as Mastodon requires of fetched
/// documents (so that, for example, a user upload served as JSON is not taken for an actor).
pub fn is_activity_content_type(value: &str) -> bool {
    let mut parts = value.split(';');
    let mime = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
    match mime.as_str() {
        "application/activity+json" => true,
        "application/ld+json" => parts.any(|param| {
            let Some((name, value)) = param.split_once('=') else {
                return false;
            };
            name.trim().eq_ignore_ascii_case("profile")
                && value
                    .trim()
                    .trim_matches('"')
                    .split_ascii_whitespace()
                    .any(|p| p == "https://www.w3.org/ns/activitystreams")
        }),
        _ => false,
    }
}

/// `Retry-After` as delay-seconds or an HTTP date (relative to `now`).
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// Maps a reqwest error, recognising a refusal by the resolver.
fn network_error(error: reqwest::Error) -> FetchError {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&error);
    while let Some(e) = source {
        if let Some(blocked) = e.downcast_ref::<Blocked>() {
            return FetchError::BlockedAddress(blocked.0.clone());
        }
        source = e.source();
    }
    if error.is_timeout() {
        FetchError::Timeout
    } else {
        FetchError::Network(error)
    }
}

/// The resolver's refusal: the name resolved only to special-purpose addresses.
#[derive(Debug)]
struct Blocked(String);

impl std::fmt::Display for Blocked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} resolves only to non-public addresses", self.0)
    }
}

impl std::error::Error for Blocked {}

/// The system resolver, with every non-global address removed from the answer.
#[derive(Debug)]
struct FilteringResolver {
    allow_private: bool,
}

impl FilteringResolver {
    async fn lookup(
        host: String,
        allow_private: bool,
    ) -> Result<Vec<SocketAddr>, Box<dyn std::error::Error + Send + Sync>> {
        let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
        let allowed: Vec<SocketAddr> = found
            .into_iter()
            .filter(|addr| allow_private || address::is_global(addr.ip()))
            .collect();
        if allowed.is_empty() {
            return Err(Box::new(Blocked(host)));
        }
        Ok(allowed)
    }
}

impl Resolve for FilteringResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_owned();
        let allow_private = self.allow_private;
        Box::pin(async move {
            let addrs = Self::lookup(host, allow_private).await?;
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

#[cfg(test)]
mod tests;
