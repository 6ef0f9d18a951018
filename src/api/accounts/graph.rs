//! Account lists paginated by internal row ids (follow, request, block or mute ids):
//! followers, following, follow requests, blocks and mutes. Clients follow the `Link` header.

use axum::extract::{OriginalUri, Path, State};
use axum::http::Uri;

use super::visible_account;
use crate::api::auth::Auth;
use crate::api::entities::Account;
use crate::api::pagination::{PageParams, Paged};
use crate::api::params::Params;
use crate::db::follows::{self, AccountList, ListEntry, Relation};
use crate::db::timelines::Page;
use crate::error::AppResult;
use crate::service::hydrate;
use crate::state::AppState;
use crate::time::{now_ms, rfc3339};

/// Default and maximum page sizes of account lists.
const DEFAULT_LIMIT: i64 = 40;
const MAX_LIMIT: i64 = 80;

/// Reads one page of `list` and renders it with the row ids as cursors.
async fn render(
    state: &AppState,
    list: AccountList,
    owner: i64,
    viewer: Option<i64>,
    page: &Page,
    uri: &Uri,
) -> AppResult<Paged<Account>> {
    let mut h = state.db.read().await?;
    let entries: Vec<ListEntry> =
        follows::list_page(h.conn(), list, owner, viewer, now_ms(), page).await?;
    let ids: Vec<i64> = entries.iter().map(|e| e.account_id).collect();
    let mut map = hydrate::accounts(h.conn(), &state.config, &ids).await?;
    let mut items = Vec::with_capacity(entries.len());
    for e in &entries {
        if let Some(mut a) = map.remove(&e.account_id) {
            if matches!(list, AccountList::Mutes) {
                a.mute_expires_at = Some(e.expires_at.map(rfc3339));
            }
            items.push(a);
        }
    }
    let cursors: Vec<i64> = entries.iter().map(|e| e.row_id).collect();
    Ok(Paged::by_ids(items, &cursors, &state.config.url, uri))
}

/// Followers or following of the account in the path. Empty when the account hides its
/// collections (except for itself) or blocks the viewer.
async fn collection(
    state: AppState,
    auth: Auth,
    id: String,
    uri: Uri,
    p: PageParams,
    list: AccountList,
) -> AppResult<Paged<Account>> {
    let viewer = auth.viewer_id(&["read:accounts"])?;
    let page = p.page(DEFAULT_LIMIT, MAX_LIMIT)?;
    let account = {
        let mut h = state.db.read().await?;
        let account = visible_account(h.conn(), &id).await?;
        let hidden = account.hide_collections && viewer != Some(account.id);
        let blocked = match viewer {
            Some(v) if v != account.id => {
                !follows::among(h.conn(), Relation::BlockedBy, v, &[account.id], now_ms())
                    .await?
                    .is_empty()
            }
            _ => false,
        };
        if hidden || blocked {
            return Ok(Paged {
                items: Vec::new(),
                link: None,
            });
        }
        account
    };
    render(&state, list, account.id, viewer, &page, &uri).await
}

/// `GET /api/v1/accounts/:id/followers` (40 / 80).
pub async fn followers(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    OriginalUri(uri): OriginalUri,
    Params(p): Params<PageParams>,
) -> AppResult<Paged<Account>> {
    collection(state, auth, id, uri, p, AccountList::Followers).await
}

/// `GET /api/v1/accounts/:id/following` (40 / 80).
pub async fn following(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    OriginalUri(uri): OriginalUri,
    Params(p): Params<PageParams>,
) -> AppResult<Paged<Account>> {
    collection(state, auth, id, uri, p, AccountList::Following).await
}

/// `GET /api/v1/follow_requests` (40 / 80): accounts waiting for your approval.
pub async fn follow_requests(
    State(state): State<AppState>,
    auth: Auth,
    OriginalUri(uri): OriginalUri,
    Params(p): Params<PageParams>,
) -> AppResult<Paged<Account>> {
    let me = auth.user(&["read:follows"])?;
    let page = p.page(DEFAULT_LIMIT, MAX_LIMIT)?;
    render(
        &state,
        AccountList::FollowRequests,
        me.account.id,
        None,
        &page,
        &uri,
    )
    .await
}

/// `GET /api/v1/blocks` (40 / 80).
pub async fn blocks(
    State(state): State<AppState>,
    auth: Auth,
    OriginalUri(uri): OriginalUri,
    Params(p): Params<PageParams>,
) -> AppResult<Paged<Account>> {
    let me = auth.user(&["read:blocks"])?;
    let page = p.page(DEFAULT_LIMIT, MAX_LIMIT)?;
    render(
        &state,
        AccountList::Blocks,
        me.account.id,
        None,
        &page,
        &uri,
    )
    .await
}

/// `GET /api/v1/mutes` (40 / 80): MutedAccount entities (`mute_expires_at`); lapsed mutes
/// are not listed.
pub async fn mutes(
    State(state): State<AppState>,
    auth: Auth,
    OriginalUri(uri): OriginalUri,
    Params(p): Params<PageParams>,
) -> AppResult<Paged<Account>> {
    let me = auth.user(&["read:mutes"])?;
    let page = p.page(DEFAULT_LIMIT, MAX_LIMIT)?;
    render(&state, AccountList::Mutes, me.account.id, None, &page, &uri).await
}
