//! Signed fetches: who signed a GET for an ActivityPub document, and authorized-fetch mode.
//!
//! A GET carrying an HTTP signature is verified like an inbox POST (`SignedRequest::parse`
//! with our host, which for GET requires `(request-target)`, `host` and a date; the key
//! found or fetched by the inbox's `Resolver`, refetched once on failure for key rotation);
//! the requester is then the signing actor, and `service::federation::may_see` lets it see
//! what Mastodon's `StatusPolicy` would (followers-only statuses when it follows the author,
//! direct ones when mentioned). Signatures from a suspended domain
//! (`service::domain_blocks`) or by a local key open nothing.
//!
//! Without `authorized_fetch`, a missing or failing signature just means an anonymous
//! request, as in Mastodon. With it ([`Need::Signature`] documents), the request is refused:
//! 401 when unsigned or invalid, 403 when the signer's domain is blocked. Actors are served
//! to everyone ([`Need::Nothing`]), but an unsigned request gets only the minimal actor.

use std::time::SystemTime;

use axum::extract::{FromRequestParts, OriginalUri};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::Response;

use super::json_error;
use crate::federation::keys::PublicKey;
use crate::federation::resolve::{Resolver, USER_BUDGET};
use crate::federation::signature::{IncomingRequest, SignedRequest};
use crate::service::domain_blocks;
use crate::service::federation::Requester;
use crate::state::AppState;

/// What a document asks of the request in authorized-fetch mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// Served whatever the signature (actors, the instance actor).
    Nothing,
    /// Requires a valid signature from a server that is not blocked when
    /// `authorized_fetch` is on (statuses, activities, outboxes, collections).
    Signature,
}

/// Why a signature opened nothing.
#[derive(Debug)]
enum Failure {
    /// No signature.
    Unsigned,
    /// Malformed, expired, unverifiable or wrong.
    Invalid(String),
    /// By an actor of a suspended domain.
    Blocked,
    /// Storage or key trouble on our side.
    Internal(anyhow::Error),
}

/// Whether the request carries a signature of either kind.
fn is_signed(headers: &HeaderMap) -> bool {
    headers.contains_key("signature")
        || headers.contains_key("signature-input")
        || headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("Signature "))
}

/// What signature verification needs of a GET: method, path and query as received, and
/// headers. An extractor that never fails.
#[derive(Debug, Clone)]
pub struct Fetch {
    method: Method,
    uri: Uri,
    headers: HeaderMap,
}

impl<S: Send + Sync> FromRequestParts<S> for Fetch {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Fetch, Self::Rejection> {
        let uri = parts
            .extensions
            .get::<OriginalUri>()
            .map_or_else(|| parts.uri.clone(), |o| o.0.clone());
        Ok(Fetch {
            method: parts.method.clone(),
            uri,
            headers: parts.headers.clone(),
        })
    }
}

impl Fetch {
    /// The request's headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }
}

/// The requester of a GET (see the module documentation), or the refusal to answer with.
pub async fn requester(state: &AppState, fetch: &Fetch, need: Need) -> Result<Requester, Response> {
    let result = if is_signed(&fetch.headers) {
        verify(state, &fetch.method, &fetch.uri, &fetch.headers).await
    } else {
        Err(Failure::Unsigned)
    };
    let failure = match result {
        Ok(r) => return Ok(r),
        Err(f) => f,
    };
    if let Failure::Internal(e) = &failure {
        tracing::error!(error = %format!("{e:#}"), "signed fetch");
    }
    if !(state.config.authorized_fetch && need == Need::Signature) {
        return Ok(Requester::Anonymous);
    }
    Err(match failure {
        Failure::Unsigned => json_error(StatusCode::UNAUTHORIZED, "Request not signed"),
        Failure::Invalid(why) => json_error(StatusCode::UNAUTHORIZED, &why),
        Failure::Blocked => json_error(StatusCode::FORBIDDEN, "Domain blocked"),
        Failure::Internal(_) => {
            json_error(StatusCode::INTERNAL_SERVER_ERROR, "Internal server error")
        }
    })
}

async fn verify(
    state: &AppState,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
) -> Result<Requester, Failure> {
    let scheme = if state.config.url.starts_with("https://") {
        "https"
    } else {
        "http"
    };
    let request = IncomingRequest {
        method: method.as_str(),
        path_and_query: uri.path_and_query().map(|p| p.as_str()).unwrap_or("/"),
        scheme,
        host: &state.domain,
        headers,
        body: &[],
    };
    let signed = SignedRequest::parse(&request, SystemTime::now())
        .map_err(|e| Failure::Invalid(format!("Invalid signature: {e}")))?;
    let key_id = signed.key_id().to_owned();
    let blocked = |uri: String| async move {
        domain_blocks::is_blocked_uri(state, &uri)
            .await
            .map_err(|e| Failure::Internal(e.into()))
    };
    if blocked(key_id.clone()).await? {
        return Err(Failure::Blocked);
    }
    let resolver = Resolver::new(state)
        .map_err(|e| Failure::Internal(e.into()))?
        .with_timeout(USER_BUDGET);
    if resolver.is_local(&key_id) {
        return Err(Failure::Invalid("Local keys do not sign fetches".into()));
    }
    let key = resolver
        .key(&key_id)
        .await
        .map_err(|e| Failure::Invalid(format!("Could not resolve the signing key: {e}")))?;
    let checks = |pem: &str| {
        PublicKey::from_pem(pem)
            .ok()
            .is_some_and(|pk| signed.verify(&pk).is_ok())
    };
    let key = if checks(&key.public_key_pem) {
        key
    } else {
        match resolver.refreshed_key(&key_id, &key).await {
            Ok(Some(fresh)) if checks(&fresh.public_key_pem) => fresh,
            _ => return Err(Failure::Invalid("Signature verification failed".into())),
        }
    };
    if blocked(key.uri.clone()).await? {
        return Err(Failure::Blocked);
    }
    if key.suspended_at.is_some() {
        return Err(Failure::Invalid("The signing actor is suspended".into()));
    }
    Ok(Requester::Account(key.account_id))
}

/// Marks a response whose content depends on the request's signature: not to be stored by
/// shared caches (`private`), and varying on `Signature` as well as `Accept` — as Mastodon
/// does for signed requests and in authorized-fetch mode.
pub fn personal(mut resp: Response) -> Response {
    let h = resp.headers_mut();
    if let Some(cc) = h.get(header::CACHE_CONTROL).and_then(|v| v.to_str().ok()) {
        let private = cc.replace("public", "private");
        if let Ok(v) = HeaderValue::from_str(&private) {
            h.insert(header::CACHE_CONTROL, v);
        }
    }
    h.insert(header::VARY, HeaderValue::from_static("Accept, Signature"));
    resp
}

/// Applies [`personal`] when the answer may depend on who signed: in authorized-fetch mode,
/// or for a signed requester.
pub fn for_requester(state: &AppState, requester: &Requester, resp: Response) -> Response {
    if state.config.authorized_fetch || *requester != Requester::Anonymous {
        personal(resp)
    } else {
        resp
    }
}
