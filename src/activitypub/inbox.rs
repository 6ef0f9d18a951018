//! The inboxes: `POST /inbox` (shared), `/users/:username/inbox` and `/actor/inbox`.
//!
//! A delivery is accepted (202) only once it is durably stored, and only after:
//! 0. the client IP (as the trusted-proxy rule computes it) is within the inbox rate limit
//!    (`inbox_rate_limit` per 5 minutes; 429 with `Retry-After` beyond, before the body is
//!    read);
//! 1. the raw body was read within 1 MiB (413 beyond);
//! 2. the signature was parsed and checked against the raw body (`Digest`/`Content-Digest`,
//!    required signed headers, `Host`, time window) — no JSON parsed yet;
//! 3. the body was scanned for nesting deeper than `vocab::MAX_JSON_DEPTH` (400);
//! 4. the signing key was found (the stored actor row, or the actor fetched) and the
//!    signature verified with it — refetching the actor once, rate-limited, when the stored
//!    key fails (key rotation);
//! 5. the activity's `actor` was found to be the key's owner (401 otherwise) — or, for a
//!    Create/Update/Delete carrying its author's `signature` block, taken as forwarded by the
//!    signer (processed only as the object's origin confirms, `federation::inbox::forward`) —
//!    and its `id` (when it has one) on the actor's host (400 otherwise);
//! 6. neither the `keyId` nor the key's owner is on a suspended domain (403, checked before
//!    the key is fetched; `service::domain_blocks`).
//!
//! The activity is then stored once per actor and activity id (redeliveries are no-ops that still
//! answer 202) together with the job that processes it (`federation::inbox::process`).

use std::time::SystemTime;

use axum::Extension;
use axum::body::Body;
use axum::extract::{OriginalUri, Path, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::json_error;
use crate::api::ClientIp;
use crate::db::inbox::RemoteKey;
use crate::db::{accounts, inbox as repo};
use crate::federation::client::FetchError;
use crate::federation::inbox::{actor_of, dedup_key, forward};
use crate::federation::keys::PublicKey;
use crate::federation::outbox;
use crate::federation::resolve::{ResolveError, Resolver};
use crate::federation::signature::{IncomingRequest, SignedRequest};
use crate::federation::vocab::{self, MAX_JSON_DEPTH};
use crate::id::next_id;
use crate::jobs::{self, Job};
use crate::state::AppState;
use crate::time::now_ms;

/// Largest activity accepted.
pub const MAX_ACTIVITY_BYTES: usize = 1024 * 1024;

/// `POST /inbox`, and `POST /actor/inbox` (the instance actor's inbox, handled alike).
pub async fn shared(
    State(state): State<AppState>,
    ip: Option<Extension<ClientIp>>,
    method: Method,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    if let Some(refused) = rate_limited(&state, ip) {
        return refused;
    }
    receive(&state, &method, &uri, &headers, body).await
}

/// `POST /users/:username/inbox`: 404 for an account that does not exist here.
pub async fn user(
    State(state): State<AppState>,
    Path(username): Path<String>,
    ip: Option<Extension<ClientIp>>,
    method: Method,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    if let Some(refused) = rate_limited(&state, ip) {
        return refused;
    }
    let exists = match state.db.read().await {
        Ok(mut h) => accounts::find_by_username(h.conn(), &username, None).await,
        Err(e) => Err(e),
    };
    match exists {
        Ok(Some(_)) => receive(&state, &method, &uri, &headers, body).await,
        Ok(None) => super::not_found_json(),
        Err(e) => internal(e.into()),
    }
}

/// The 429 answer when the client is over the inbox rate limit.
fn rate_limited(state: &AppState, ip: Option<Extension<ClientIp>>) -> Option<Response> {
    let ip = ip.map_or(
        std::net::IpAddr::from([127, 0, 0, 1]),
        |Extension(ClientIp(ip))| ip,
    );
    let retry_after = crate::api::ratelimit::check_inbox(state, ip).err()?;
    let mut resp = json_error(StatusCode::TOO_MANY_REQUESTS, "Too many requests");
    resp.headers_mut()
        .insert("retry-after", axum::http::HeaderValue::from(retry_after));
    Some(resp)
}

fn unauthorized(msg: &str) -> Response {
    json_error(StatusCode::UNAUTHORIZED, msg)
}

fn internal(e: anyhow::Error) -> Response {
    tracing::error!(error = %format!("{e:#}"), "inbox");
    json_error(StatusCode::INTERNAL_SERVER_ERROR, "Internal server error")
}

/// Whether the (still unverified) body is the actor deleting itself: such a Delete from an
/// actor whose document is gone is acknowledged without anything to do, as Mastodon does.
fn is_self_delete(body: &[u8]) -> bool {
    serde_json::from_slice::<Value>(body).is_ok_and(|v| {
        vocab::type_of(&v) == "Delete"
            && actor_of(&v).is_some()
            && v.get("object").and_then(vocab::id_of) == actor_of(&v)
    })
}

/// Whether an activity signed by another than its `actor` has the shape of a forwarded one:
/// a Create, Update or Delete carrying its author's `signature` block, by a remote actor.
fn is_forwarded(activity: &Value, actor: &str, state: &AppState) -> bool {
    forward::FORWARDED_TYPES.contains(&vocab::type_of(activity))
        && forward::has_author_signature(activity)
        && !vocab::same_origin(actor, &state.config.url)
}

async fn receive(
    state: &AppState,
    method: &Method,
    uri: &axum::http::Uri,
    headers: &HeaderMap,
    body: Body,
) -> Response {
    let Ok(body) = axum::body::to_bytes(body, MAX_ACTIVITY_BYTES).await else {
        return json_error(StatusCode::PAYLOAD_TOO_LARGE, "Payload too large");
    };
    let scheme = if state.config.url.starts_with("https://") {
        "https"
    } else {
        "http"
    };
    let path_and_query = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    let request = IncomingRequest {
        method: method.as_str(),
        path_and_query,
        scheme,
        host: &state.domain,
        headers,
        body: &body,
    };
    let signed = match SignedRequest::parse(&request, SystemTime::now()) {
        Ok(s) => s,
        Err(e) => return unauthorized(&format!("Invalid signature: {e}")),
    };
    // A suspended domain is refused before anything is fetched or stored (Mastodon answers
    // 403 too, which senders take as final).
    match crate::service::domain_blocks::is_blocked_uri(state, signed.key_id()).await {
        Ok(false) => {}
        Ok(true) => return json_error(StatusCode::FORBIDDEN, "Domain blocked"),
        Err(e) => return internal(e.into()),
    }
    if vocab::nests_deeper_than(&body, MAX_JSON_DEPTH) {
        return json_error(StatusCode::BAD_REQUEST, "Activity nests too deeply");
    }
    let resolver = match Resolver::new(state) {
        Ok(r) => r,
        Err(e) => return internal(e.into()),
    };
    let key_id = signed.key_id().to_owned();
    let key = match resolver.key(&key_id).await {
        Ok(k) => k,
        Err(ResolveError::Fetch(FetchError::Status(s)))
            if matches!(s.as_u16(), 404 | 410) && is_self_delete(&body) =>
        {
            return StatusCode::ACCEPTED.into_response();
        }
        Err(e) if matches!(e, ResolveError::Db(_) | ResolveError::Internal(_)) => {
            return internal(e.into());
        }
        Err(e) => return unauthorized(&format!("Could not resolve the signing key: {e}")),
    };
    let verified = PublicKey::from_pem(&key.public_key_pem)
        .ok()
        .is_some_and(|pk| signed.verify(&pk).is_ok());
    let key = if verified {
        key
    } else {
        match resolver.refreshed_key(&key_id, &key).await {
            Ok(Some(fresh))
                if PublicKey::from_pem(&fresh.public_key_pem)
                    .ok()
                    .is_some_and(|pk| signed.verify(&pk).is_ok()) =>
            {
                fresh
            }
            _ => return unauthorized("Signature verification failed"),
        }
    };
    let activity: Value = match serde_json::from_slice(&body) {
        Ok(v @ Value::Object(_)) => v,
        _ => return json_error(StatusCode::BAD_REQUEST, "Not a JSON object"),
    };
    // Signed by someone else than its actor: acceptable only as a forwarded activity
    // (`federation::inbox::forward`), which is acted on only as its origin confirms.
    let Some(actor) = actor_of(&activity) else {
        return unauthorized("The activity's actor is not the owner of the signing key");
    };
    let forwarded = actor != key.uri;
    if forwarded && !is_forwarded(&activity, actor, state) {
        return unauthorized("The activity's actor is not the owner of the signing key");
    }
    // An activity id on another host is not the actor's own (Mastodon does not process
    // it as such); accepting it would let the actor claim ids that others will use.
    if let Some(id) = vocab::str_prop(&activity, "id")
        && !vocab::same_origin(id, actor)
    {
        return json_error(
            StatusCode::BAD_REQUEST,
            "The activity id is not on the actor's host",
        );
    }
    if key.suspended_at.is_some() {
        return StatusCode::ACCEPTED.into_response();
    }
    // The key's owner may live elsewhere than its id claims (and a forwarded activity's
    // actor elsewhere than its forwarder).
    for owner in [key.uri.as_str(), actor] {
        match crate::service::domain_blocks::is_blocked_uri(state, owner).await {
            Ok(false) => {}
            Ok(true) => return json_error(StatusCode::FORBIDDEN, "Domain blocked"),
            Err(e) => return internal(e.into()),
        }
    }
    match store(state, &activity, &body, &key).await {
        Ok(()) => StatusCode::ACCEPTED.into_response(),
        Err(e) => internal(e),
    }
}

/// Stores the activity (once per signer and activity id) with its processing job.
async fn store(
    state: &AppState,
    activity: &Value,
    body: &[u8],
    signer: &RemoteKey,
) -> anyhow::Result<()> {
    let account_id = signer.account_id;
    let id = next_id();
    let key = dedup_key(activity, body);
    let kind = vocab::truncate(vocab::type_of(activity), 64);
    let payload = std::str::from_utf8(body)?;
    let mut tx = state.db.begin().await?;
    // A verified delivery from a host proves it reachable again (for our deliveries to it).
    if let Some(host) = vocab::origin_of(&signer.uri) {
        outbox::host_reachable(tx.conn(), &host).await?;
    }
    if repo::insert_activity(tx.conn(), id, &key, account_id, &kind, payload, now_ms()).await? {
        jobs::enqueue(tx.conn(), &Job::Inbox { id }, jobs::PRIORITY_FEDERATION).await?;
    }
    tx.commit().await?;
    state.wake_workers();
    Ok(())
}
