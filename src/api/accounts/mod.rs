//! Accounts: credentials and profile editing, profiles and their statuses, follower lists,
//! follows and follow requests, blocks, mutes, notes and relationships
//! (Mastodon's `methods/accounts.md`, `follow_requests.md`, `blocks.md`, `mutes.md`).
//! `POST /api/v1/accounts` (sign-up) lives in `api::registrations`.

mod actions;
mod credentials;
mod graph;
mod profiles;
mod statuses;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, patch, post};

use crate::db::accounts::Account;
use crate::db::{Conn, accounts};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// Most ids one multi-account request may name (bounds the SQL `IN` lists).
const MAX_IDS: usize = 1_000;

/// Body limit of update_credentials, which may carry avatar and header images (so that a
/// client sending one gets the API's answer rather than a transport error).
const UPDATE_CREDENTIALS_BODY: usize = 16 * 1024 * 1024;

/// Routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/accounts/verify_credentials",
            get(credentials::verify_credentials),
        )
        .route(
            "/api/v1/accounts/update_credentials",
            patch(credentials::update_credentials)
                .layer(DefaultBodyLimit::max(UPDATE_CREDENTIALS_BODY)),
        )
        .route("/api/v1/accounts", get(profiles::index))
        .route("/api/v1/accounts/lookup", get(profiles::lookup))
        .route("/api/v1/accounts/search", get(profiles::search))
        .route(
            "/api/v1/accounts/relationships",
            get(actions::relationships),
        )
        .route(
            "/api/v1/accounts/familiar_followers",
            get(profiles::familiar_followers),
        )
        .route("/api/v1/accounts/{id}", get(profiles::show))
        .route("/api/v1/accounts/{id}/statuses", get(statuses::index))
        .route("/api/v1/accounts/{id}/followers", get(graph::followers))
        .route("/api/v1/accounts/{id}/following", get(graph::following))
        .route(
            "/api/v1/accounts/{id}/featured_tags",
            get(profiles::featured_tags),
        )
        .route("/api/v1/accounts/{id}/follow", post(actions::follow))
        .route("/api/v1/accounts/{id}/unfollow", post(actions::unfollow))
        .route(
            "/api/v1/accounts/{id}/remove_from_followers",
            post(actions::remove_from_followers),
        )
        .route("/api/v1/accounts/{id}/block", post(actions::block))
        .route("/api/v1/accounts/{id}/unblock", post(actions::unblock))
        .route("/api/v1/accounts/{id}/mute", post(actions::mute))
        .route("/api/v1/accounts/{id}/unmute", post(actions::unmute))
        .route("/api/v1/accounts/{id}/note", post(actions::note))
        .route("/api/v1/follow_requests", get(graph::follow_requests))
        .route(
            "/api/v1/follow_requests/{id}/authorize",
            post(actions::authorize),
        )
        .route("/api/v1/follow_requests/{id}/reject", post(actions::reject))
        .route("/api/v1/blocks", get(graph::blocks))
        .route("/api/v1/mutes", get(graph::mutes))
}

/// Parses `id[]` values: unknown formats are dropped (they cannot name an account), repeats
/// removed, order kept, at most [`MAX_IDS`].
fn parse_ids(raw: &[String]) -> Vec<i64> {
    let mut out: Vec<i64> = Vec::new();
    for id in raw.iter().filter_map(|s| crate::id::parse(s.trim())) {
        if !out.contains(&id) {
            out.push(id);
            if out.len() == MAX_IDS {
                break;
            }
        }
    }
    out
}

/// The account named in a path: 404 when unknown or suspended.
pub(crate) async fn visible_account(c: Conn<'_>, raw_id: &str) -> AppResult<Account> {
    let id = crate::api::pagination::path_id(raw_id)?;
    match accounts::get(c, id).await? {
        Some(a) if a.suspended_at.is_none() => Ok(a),
        _ => Err(AppError::NotFound),
    }
}

/// The account named in a path, for `GET /api/v1/accounts/:id`: 404 when unknown or
/// suspended, and also (as in Mastodon) for a local account whose owner has not confirmed
/// their e-mail address or been approved yet; the owner sees their own account through
/// verify_credentials.
async fn approved_account(mut c: Conn<'_>, raw_id: &str) -> AppResult<Account> {
    let account = visible_account(c.re(), raw_id).await?;
    if accounts::is_unapproved(c, account.id).await? {
        return Err(AppError::NotFound);
    }
    Ok(account)
}
