//! The client-API HTTP edge (axum, like `web` and `activitypub`). One module per Mastodon API
//! area, each exposing `routes()`; [`router`] merges them with the web and federation routes
//! and adds the cross-cutting layers (client IP, rate limits, CORS, tracing, body limits).

pub mod accounts;
pub mod admin;
pub mod apps;
pub mod auth;
pub mod conversations;
pub mod endorsements;
pub mod entities;
pub mod featured_tags;
pub mod filters;
pub mod instance;
pub mod json;
pub mod lists;
pub mod media;
pub mod notifications;
pub mod oauth;
pub mod pagination;
pub mod params;
pub mod polls;
pub mod ratelimit;
pub mod registrations;
pub mod scheduled_statuses;
pub mod search;
pub mod startup;
pub mod statuses;
pub mod streaming;
pub mod tags;
pub mod timelines;

use std::net::{IpAddr, SocketAddr};

use axum::Router;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Request, State};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use tower_http::cors::{Any, CorsLayer};
use tower_http::trace::TraceLayer;

use crate::error::AppError;
use crate::state::AppState;

/// The client's address, after believing `X-Forwarded-For` from trusted proxies only.
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub IpAddr);

/// Builds the whole application router.
pub fn router(state: AppState) -> Router {
    let api = Router::new()
        .merge(apps::routes())
        .merge(oauth::routes())
        .merge(registrations::routes())
        .merge(accounts::routes())
        .merge(admin::routes())
        .merge(statuses::routes())
        .merge(media::routes())
        .merge(polls::routes())
        .merge(scheduled_statuses::routes())
        .merge(timelines::routes())
        .merge(lists::routes())
        .merge(conversations::routes())
        .merge(filters::routes())
        .merge(notifications::routes())
        .merge(search::routes())
        .merge(tags::routes())
        .merge(featured_tags::routes())
        .merge(endorsements::routes())
        .merge(instance::routes())
        .merge(startup::routes())
        .merge(streaming::routes())
        .layer(middleware::from_fn_with_state(state.clone(), rate_limit));
    let cors = CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
            Method::OPTIONS,
        ])
        .allow_headers(Any)
        .expose_headers(Any);
    Router::new()
        .merge(api)
        .merge(crate::web::routes())
        .merge(crate::activitypub::routes())
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(params::MAX_PARAMS_BODY))
        .layer(cors)
        .layer(middleware::from_fn_with_state(state.clone(), client_ip))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            streaming_events,
        ))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

async fn not_found() -> AppError {
    AppError::NotFound
}

/// Runs the request as a unit of work whose committed streaming events are published
/// (`streaming::scope`).
async fn streaming_events(State(state): State<AppState>, req: Request, next: Next) -> Response {
    crate::streaming::scope::run(state.bus(), next.run(req)).await
}

/// Determines [`ClientIp`]: the socket peer, or the last untrusted hop of `X-Forwarded-For`
/// when the peer is a trusted proxy.
async fn client_ip(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
        .unwrap_or(IpAddr::from([127, 0, 0, 1]));
    let mut ip = peer;
    if state.config.trusted_proxies.contains(&peer)
        && let Some(xff) = req
            .headers()
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
    {
        for hop in xff.rsplit(',').map(str::trim) {
            match hop.parse::<IpAddr>() {
                Ok(addr) if state.config.trusted_proxies.contains(&addr) => continue,
                Ok(addr) => {
                    ip = addr;
                    break;
                }
                Err(_) => break,
            }
        }
    }
    req.extensions_mut().insert(ClientIp(ip));
    next.run(req).await
}

/// Mastodon's default limits: 300 requests per 5 minutes per IP and per account; 5 sign-ups
/// per 30 minutes per IP. Loopback clients are exempt unless `rate_limit_exempt_loopback` is off.
async fn rate_limit(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let cfg = &state.config;
    let ip = req
        .extensions()
        .get::<ClientIp>()
        .map(|c| c.0)
        .unwrap_or(IpAddr::from([127, 0, 0, 1]));
    if !cfg.rate_limited(ip) || req.method() == Method::OPTIONS {
        return next.run(req).await;
    }
    let is_signup = req.method() == Method::POST && req.uri().path() == "/api/v1/accounts";
    let mut decisions = Vec::new();
    if is_signup {
        decisions.push(state.rate_limiter.hit(
            &format!("signup:{ip}"),
            cfg.rate_limit_signups,
            30 * 60_000,
        ));
    }
    decisions.push(state.rate_limiter.hit(
        &format!("ip:{ip}"),
        cfg.rate_limit_requests,
        5 * 60_000,
    ));
    // A token is counted only once the address is within its limit, so a client cycling
    // through made-up tokens cannot grow the counter table faster than its IP allowance.
    if decisions.iter().all(|d| d.allowed)
        && let Some(token) = auth::bearer_token_from(req.headers(), req.uri())
    {
        let key = format!("token:{}", crate::crypto::sha256_hex(&token));
        decisions.push(
            state
                .rate_limiter
                .hit(&key, cfg.rate_limit_requests, 5 * 60_000),
        );
    }
    // Report the tightest limit.
    let tightest = *decisions
        .iter()
        .min_by_key(|d| (d.allowed, d.remaining))
        .expect("at least one decision");
    let mut resp = if tightest.allowed {
        next.run(req).await
    } else {
        AppError::TooManyRequests.into_response()
    };
    let h = resp.headers_mut();
    h.insert("x-ratelimit-limit", HeaderValue::from(tightest.limit));
    h.insert(
        "x-ratelimit-remaining",
        HeaderValue::from(tightest.remaining),
    );
    if let Ok(v) = HeaderValue::from_str(&crate::time::rfc3339(tightest.reset_at)) {
        h.insert("x-ratelimit-reset", v);
    }
    if !tightest.allowed {
        *resp.status_mut() = StatusCode::TOO_MANY_REQUESTS;
    }
    resp
}
