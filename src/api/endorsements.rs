//! Endorsed accounts (Mastodon's `methods/endorsements.md` and the account actions): endorse
//! and unendorse (`pin`/`unpin`, and their 4.4 names `endorse`/`unendorse`), the signed-in
//! account's endorsements and any account's public list.

use axum::extract::{OriginalUri, Path, State};
use axum::routing::{get, post};
use axum::{Json, Router};

use crate::api::accounts::visible_account;
use crate::api::auth::Auth;
use crate::api::entities::{Account, Relationship};
use crate::api::pagination::{PageParams, Paged, path_id};
use crate::api::params::Params;
use crate::db::endorsements as repo;
use crate::db::timelines::Page;
use crate::error::AppResult;
use crate::service::{endorsements, hydrate, relationships};
use crate::state::AppState;

/// Default and maximum page sizes (accounts).
const LIMIT: (i64, i64) = (40, 80);

/// Routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/accounts/{id}/pin", post(endorse))
        .route("/api/v1/accounts/{id}/endorse", post(endorse))
        .route("/api/v1/accounts/{id}/unpin", post(unendorse))
        .route("/api/v1/accounts/{id}/unendorse", post(unendorse))
        .route("/api/v1/endorsements", get(mine))
        .route("/api/v1/accounts/{id}/endorsements", get(of_account))
}

/// `POST /api/v1/accounts/:id/endorse` (or `pin`): the Relationship, `endorsed` true.
async fn endorse(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> AppResult<Json<Relationship>> {
    let me = auth.user(&["write:accounts"])?.account.id;
    let target = path_id(&id)?;
    endorsements::endorse(&state.db, me, target).await?;
    let mut h = state.db.read().await?;
    Ok(Json(
        relationships::relationship(h.conn(), me, target).await?,
    ))
}

/// `POST /api/v1/accounts/:id/unendorse` (or `unpin`): the Relationship, `endorsed` false.
async fn unendorse(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> AppResult<Json<Relationship>> {
    let me = auth.user(&["write:accounts"])?.account.id;
    let target = path_id(&id)?;
    endorsements::unendorse(&state.db, me, target).await?;
    let mut h = state.db.read().await?;
    Ok(Json(
        relationships::relationship(h.conn(), me, target).await?,
    ))
}

/// One page of `owner`'s endorsed accounts.
async fn page_of(
    state: &AppState,
    owner: i64,
    page: &Page,
    uri: &axum::http::Uri,
) -> AppResult<Paged<Account>> {
    let mut h = state.db.read().await?;
    let rows = repo::page(h.conn(), owner, page).await?;
    let ids: Vec<i64> = rows.iter().map(|(_, a)| *a).collect();
    let mut map = hydrate::accounts(h.conn(), &state.config, &ids).await?;
    let items: Vec<Account> = ids.iter().filter_map(|a| map.remove(a)).collect();
    let cursors: Vec<i64> = rows.iter().map(|(row, _)| *row).collect();
    Ok(Paged::by_ids(items, &cursors, &state.config.url, uri))
}

/// `GET /api/v1/endorsements` (40 / 80): the signed-in account's endorsements.
async fn mine(
    State(state): State<AppState>,
    auth: Auth,
    OriginalUri(uri): OriginalUri,
    Params(p): Params<PageParams>,
) -> AppResult<Paged<Account>> {
    let me = auth.user(&["read:accounts"])?.account.id;
    let page = p.page(LIMIT.0, LIMIT.1)?;
    page_of(&state, me, &page, &uri).await
}

/// `GET /api/v1/accounts/:id/endorsements` (40 / 80): the accounts an account endorses
/// (public; 404 for an unknown or suspended account).
async fn of_account(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    OriginalUri(uri): OriginalUri,
    Params(p): Params<PageParams>,
) -> AppResult<Paged<Account>> {
    auth.viewer(&["read:accounts"])?;
    let page = p.page(LIMIT.0, LIMIT.1)?;
    let account = {
        let mut h = state.db.read().await?;
        visible_account(h.conn(), &id).await?
    };
    page_of(&state, account.id, &page, &uri).await
}
