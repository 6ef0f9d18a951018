//! Reading profiles: one account, several accounts, lookup by handle, search, familiar
//! followers, and the (still empty) lists and the featured tags of an account.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, State};
use serde::{Deserialize, Serialize};

use super::{approved_account, parse_ids, visible_account};
use crate::api::auth::Auth;
use crate::api::entities::Account;
use crate::api::pagination::PageParams;
use crate::api::params::{Params, flex};
use crate::db::accounts::{self, AccountSearch};
use crate::db::follows;
use crate::error::{AppError, AppResult};
use crate::service::hydrate;
use crate::state::AppState;

/// Most ids `GET /api/v1/accounts` accepts (Mastodon's `DEFAULT_ACCOUNTS_LIMIT`).
const MAX_INDEX_IDS: usize = 40;

/// `GET /api/v1/accounts/:id`: 404 for unknown, suspended and not yet confirmed or approved
/// accounts.
pub async fn show(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> AppResult<Json<Account>> {
    auth.viewer(&["read:accounts"])?;
    let mut h = state.db.read().await?;
    let account = approved_account(h.conn(), &id).await?;
    Ok(Json(hydrate::account(&state.config, &account)))
}

/// `id[]` of multi-account endpoints.
#[derive(Debug, Deserialize)]
pub struct IdsParams {
    #[serde(default, deserialize_with = "flex::vec_string")]
    id: Vec<String>,
}

/// `GET /api/v1/accounts?id[]=…` (Mastodon 4.3): the accounts in the order asked for;
/// unknown, suspended and not yet confirmed or approved ones are left out.
pub async fn index(
    State(state): State<AppState>,
    auth: Auth,
    Params(p): Params<IdsParams>,
) -> AppResult<Json<Vec<Account>>> {
    auth.viewer(&["read:accounts"])?;
    let ids = parse_ids(&p.id);
    if p.id.len() > MAX_INDEX_IDS {
        return Err(AppError::unprocessable(format!(
            "Too many ids requested (maximum is {MAX_INDEX_IDS})"
        )));
    }
    let mut h = state.db.read().await?;
    let unapproved = accounts::unapproved_among(h.conn(), &ids).await?;
    let mut rows: HashMap<i64, _> = accounts::get_many(h.conn(), &ids)
        .await?
        .into_iter()
        .filter(|a| a.suspended_at.is_none() && !unapproved.contains(&a.id))
        .map(|a| (a.id, a))
        .collect();
    Ok(Json(
        ids.iter()
            .filter_map(|id| rows.remove(id))
            .map(|a| hydrate::account(&state.config, &a))
            .collect(),
    ))
}

/// Parameters of lookup.
#[derive(Debug, Deserialize)]
pub struct LookupParams {
    #[serde(default, deserialize_with = "flex::opt_string")]
    acct: Option<String>,
}

/// `GET /api/v1/accounts/lookup?acct=`: `user`, `@user`, `user@thisdomain`, or a remote
/// `user@domain` (resolved through WebFinger when unknown). 404 for suspended accounts and
/// local ones not confirmed or approved yet.
pub async fn lookup(
    State(state): State<AppState>,
    auth: Auth,
    Params(p): Params<LookupParams>,
) -> AppResult<Json<Account>> {
    auth.viewer(&["read:accounts"])?;
    let acct = p.acct.unwrap_or_default();
    let acct = acct.trim().trim_start_matches('@');
    let username = match acct.split_once('@') {
        None => acct,
        Some((u, d)) if d.eq_ignore_ascii_case(&state.domain) => u,
        Some((u, d)) => return remote_lookup(&state, u, d).await,
    };
    if username.is_empty() {
        return Err(AppError::NotFound);
    }
    let mut h = state.db.read().await?;
    match accounts::find_by_username(h.conn(), username, None).await? {
        Some(a) if a.suspended_at.is_none() && !accounts::is_unapproved(h.conn(), a.id).await? => {
            Ok(Json(hydrate::account(&state.config, &a)))
        }
        _ => Err(AppError::NotFound),
    }
}

/// A remote account by handle: known already, or resolved through WebFinger (within a time
/// budget), as Mastodon's lookup does.
async fn remote_lookup(state: &AppState, user: &str, domain: &str) -> AppResult<Json<Account>> {
    let known = {
        let mut h = state.db.read().await?;
        accounts::find_by_username(h.conn(), user, Some(domain)).await?
    };
    let account = match known {
        Some(a) => Some(a),
        None => match crate::federation::resolve::parse_handle(&format!("{user}@{domain}")) {
            Some((u, d)) => crate::federation::resolve::handle_for_user(state, u, d).await,
            None => None,
        },
    };
    match account {
        Some(a) if a.suspended_at.is_none() => Ok(Json(hydrate::account(&state.config, &a))),
        _ => Err(AppError::NotFound),
    }
}

/// Parameters of account search.
#[derive(Debug, Deserialize)]
pub struct SearchParams {
    #[serde(default, deserialize_with = "flex::opt_string")]
    q: Option<String>,
    #[serde(default, deserialize_with = "flex::opt_i64")]
    offset: Option<i64>,
    #[serde(default, deserialize_with = "flex::opt_bool")]
    following: Option<bool>,
    #[serde(flatten)]
    page: PageParams,
}

/// `GET /api/v1/accounts/search` (40 / 80). `resolve` is ignored: only local accounts (and
/// remote ones already known) can be found until federation resolves handles.
pub async fn search(
    State(state): State<AppState>,
    auth: Auth,
    Params(p): Params<SearchParams>,
) -> AppResult<Json<Vec<Account>>> {
    let me = auth.user(&["read:accounts"])?;
    let limit = p.page.limit_only(40, 80)?;
    let offset = p.offset.unwrap_or(0);
    if offset < 0 {
        return Err(AppError::BadRequest(
            "Invalid parameters: offset must not be negative".into(),
        ));
    }
    let q = p.q.unwrap_or_default();
    if q.trim().trim_start_matches('@').is_empty() {
        return Ok(Json(Vec::new()));
    }
    let mut h = state.db.read().await?;
    let rows = accounts::search_accounts(
        h.conn(),
        &AccountSearch {
            q: &q,
            local_domain: &state.domain,
            viewer: me.account.id,
            following_only: p.following.unwrap_or(false),
            limit,
            offset,
        },
    )
    .await?;
    Ok(Json(
        rows.iter()
            .map(|a| hydrate::account(&state.config, a))
            .collect(),
    ))
}

/// One entry of familiar_followers.
#[derive(Debug, Serialize)]
pub struct FamiliarFollowers {
    id: String,
    accounts: Vec<Account>,
}

/// `GET /api/v1/accounts/familiar_followers?id[]=`: for each account, the accounts you
/// follow that follow it (none for accounts hiding their collections).
pub async fn familiar_followers(
    State(state): State<AppState>,
    auth: Auth,
    Params(p): Params<IdsParams>,
) -> AppResult<Json<Vec<FamiliarFollowers>>> {
    let me = auth.user(&["read:follows"])?;
    let ids = parse_ids(&p.id);
    let mut h = state.db.read().await?;
    let targets: HashMap<i64, bool> = accounts::get_many(h.conn(), &ids)
        .await?
        .into_iter()
        .filter(|a| a.suspended_at.is_none())
        .map(|a| (a.id, a.hide_collections))
        .collect();
    let open: Vec<i64> = ids
        .iter()
        .copied()
        .filter(|id| targets.get(id) == Some(&false))
        .collect();
    let pairs = follows::familiar_followers(h.conn(), me.account.id, &open).await?;
    let follower_ids: Vec<i64> = pairs.iter().map(|(_, f)| *f).collect();
    let entities = hydrate::accounts(h.conn(), &state.config, &follower_ids).await?;
    let mut by_target: HashMap<i64, Vec<Account>> = HashMap::new();
    for (target, follower) in pairs {
        if let Some(e) = entities.get(&follower) {
            by_target.entry(target).or_default().push(e.clone());
        }
    }
    Ok(Json(
        ids.iter()
            .filter(|id| targets.contains_key(id))
            .map(|id| FamiliarFollowers {
                id: id.to_string(),
                accounts: by_target.remove(id).unwrap_or_default(),
            })
            .collect(),
    ))
}

/// `GET /api/v1/accounts/:id/featured_tags`: the hashtags the account features, most used
/// first.
pub async fn featured_tags(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> AppResult<Json<Vec<crate::api::entities::FeaturedTag>>> {
    auth.viewer(&["read:accounts"])?;
    let mut h = state.db.read().await?;
    let account = visible_account(h.conn(), &id).await?;
    let rows = crate::db::featured_tags::of_account(h.conn(), account.id).await?;
    Ok(Json(
        rows.iter()
            .map(|t| crate::api::featured_tags::render(&state.config, &account.username, t))
            .collect(),
    ))
}
