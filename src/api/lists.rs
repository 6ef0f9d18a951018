//! Lists (`methods/lists.md`): `GET/POST /api/v1/lists`, `GET/PUT/DELETE /api/v1/lists/:id`,
//! `GET/POST/DELETE /api/v1/lists/:id/accounts`, `GET /api/v1/accounts/:id/lists` and the list
//! timeline `GET /api/v1/timelines/list/:id`. The rules are in `service::lists`.

use axum::extract::{OriginalUri, Path, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::api::accounts::visible_account;
use crate::api::auth::Auth;
use crate::api::entities::Account;
use crate::api::pagination::{PageParams, Paged, path_id};
use crate::api::params::{Params, flex};
use crate::db::lists::{self as repo, List as ListRow};
use crate::db::timelines::list_feed;
use crate::error::AppResult;
use crate::service::filters::{Context, ViewerFilters};
use crate::service::hydrate::{self, RenderedStatus, StatusOptions};
use crate::service::lists::{self, ListInput};
use crate::state::AppState;
use crate::time::now_ms;

/// Default and maximum page sizes of the list timeline (statuses) and members (accounts).
const STATUSES_LIMIT: (i64, i64) = (20, 40);
const ACCOUNTS_LIMIT: (i64, i64) = (40, 80);

/// Routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/lists", get(index).post(create))
        .route("/api/v1/lists/{id}", get(show).put(update).delete(destroy))
        .route(
            "/api/v1/lists/{id}/accounts",
            get(members).post(add_members).delete(remove_members),
        )
        .route("/api/v1/accounts/{id}/lists", get(account_lists))
        .route("/api/v1/timelines/list/{id}", get(timeline))
}

/// Mastodon's `List` entity.
#[derive(Debug, Serialize)]
pub struct ListEntity {
    pub id: String,
    pub title: String,
    pub replies_policy: String,
    pub exclusive: bool,
}

impl From<ListRow> for ListEntity {
    fn from(l: ListRow) -> Self {
        ListEntity {
            id: l.id.to_string(),
            title: l.title,
            replies_policy: l.replies_policy,
            exclusive: l.exclusive,
        }
    }
}

/// Parameters of create and update.
#[derive(Debug, Default, Deserialize)]
struct ListParams {
    #[serde(default, deserialize_with = "flex::opt_string")]
    title: Option<String>,
    #[serde(default, deserialize_with = "flex::opt_string")]
    replies_policy: Option<String>,
    #[serde(default, deserialize_with = "flex::opt_bool")]
    exclusive: Option<bool>,
}

impl From<ListParams> for ListInput {
    fn from(p: ListParams) -> Self {
        ListInput {
            title: p.title,
            replies_policy: p.replies_policy,
            exclusive: p.exclusive,
        }
    }
}

/// `account_ids[]` of the member endpoints.
#[derive(Debug, Default, Deserialize)]
struct MemberParams {
    #[serde(default, deserialize_with = "flex::vec_string")]
    account_ids: Vec<String>,
}

impl MemberParams {
    /// The ids; one that is not a snowflake names no account (404 when adding).
    fn ids(&self) -> Vec<i64> {
        self.account_ids
            .iter()
            .map(|s| crate::id::parse(s.trim()).unwrap_or(-1))
            .collect()
    }
}

/// `GET /api/v1/lists`: the user's lists.
async fn index(State(state): State<AppState>, auth: Auth) -> AppResult<Json<Vec<ListEntity>>> {
    let me = auth.user(&["read:lists"])?.account.id;
    let mut h = state.db.read().await?;
    let rows = repo::of_owner(h.conn(), me).await?;
    Ok(Json(rows.into_iter().map(Into::into).collect()))
}

/// `GET /api/v1/lists/:id`.
async fn show(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> AppResult<Json<ListEntity>> {
    let me = auth.user(&["read:lists"])?.account.id;
    let id = path_id(&id)?;
    let mut h = state.db.read().await?;
    Ok(Json(lists::owned(h.conn(), me, id).await?.into()))
}

/// `POST /api/v1/lists` (title, replies_policy, exclusive).
async fn create(
    State(state): State<AppState>,
    auth: Auth,
    Params(p): Params<ListParams>,
) -> AppResult<Json<ListEntity>> {
    let me = auth.user(&["write:lists"])?.account.id;
    let input: ListInput = p.into();
    let input = ListInput {
        title: Some(input.title.unwrap_or_default()),
        ..input
    };
    Ok(Json(lists::create(&state.db, me, input).await?.into()))
}

/// `PUT /api/v1/lists/:id`: changes what is given.
async fn update(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    Params(p): Params<ListParams>,
) -> AppResult<Json<ListEntity>> {
    let me = auth.user(&["write:lists"])?.account.id;
    let id = path_id(&id)?;
    Ok(Json(
        lists::update(&state.db, me, id, p.into()).await?.into(),
    ))
}

/// `DELETE /api/v1/lists/:id`: `{}`.
async fn destroy(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> AppResult<Json<Value>> {
    let me = auth.user(&["write:lists"])?.account.id;
    let id = path_id(&id)?;
    lists::delete(&state.db, me, id).await?;
    Ok(Json(json!({})))
}

/// `GET /api/v1/lists/:id/accounts` (40 / 80; `limit=0`: all of them).
async fn members(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    OriginalUri(uri): OriginalUri,
    Params(p): Params<PageParams>,
) -> AppResult<Paged<Account>> {
    let me = auth.user(&["read:lists"])?.account.id;
    let id = path_id(&id)?;
    let all = p.limit == Some(0);
    let mut page = PageParams {
        limit: if all { None } else { p.limit },
        ..p
    }
    .page(ACCOUNTS_LIMIT.0, ACCOUNTS_LIMIT.1)?;
    if all {
        page.limit = 0;
    }
    let mut h = state.db.read().await?;
    let list = lists::owned(h.conn(), me, id).await?;
    let rows = repo::members_page(h.conn(), list.id, &page).await?;
    let ids: Vec<i64> = rows.iter().map(|(_, a)| *a).collect();
    let mut map = hydrate::accounts(h.conn(), &state.config, &ids).await?;
    let items: Vec<Account> = ids.iter().filter_map(|a| map.remove(a)).collect();
    if all {
        return Ok(Paged { items, link: None });
    }
    let cursors: Vec<i64> = rows.iter().map(|(row, _)| *row).collect();
    Ok(Paged::by_ids(items, &cursors, &state.config.url, &uri))
}

/// `POST /api/v1/lists/:id/accounts` (account_ids[]): `{}`.
async fn add_members(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    Params(p): Params<MemberParams>,
) -> AppResult<Json<Value>> {
    let me = auth.user(&["write:lists"])?.account.id;
    let id = path_id(&id)?;
    lists::add_accounts(&state.db, me, id, &p.ids()).await?;
    Ok(Json(json!({})))
}

/// `DELETE /api/v1/lists/:id/accounts` (account_ids[]): `{}`.
async fn remove_members(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    Params(p): Params<MemberParams>,
) -> AppResult<Json<Value>> {
    let me = auth.user(&["write:lists"])?.account.id;
    let id = path_id(&id)?;
    let ids: Vec<i64> = p.ids().into_iter().filter(|i| *i > 0).collect();
    lists::remove_accounts(&state.db, me, id, &ids).await?;
    Ok(Json(json!({})))
}

/// `GET /api/v1/accounts/:id/lists`: the user's lists holding that account.
async fn account_lists(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> AppResult<Json<Vec<ListEntity>>> {
    let me = auth.user(&["read:lists"])?.account.id;
    let mut h = state.db.read().await?;
    let account = visible_account(h.conn(), &id).await?;
    let rows = repo::of_owner_with_member(h.conn(), me, account.id).await?;
    Ok(Json(rows.into_iter().map(Into::into).collect()))
}

/// `GET /api/v1/timelines/list/:id`: the list's feed (20 / 40).
async fn timeline(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    OriginalUri(uri): OriginalUri,
    Params(p): Params<PageParams>,
) -> AppResult<Paged<RenderedStatus>> {
    let me = auth.user(&["read:lists"])?.account.id;
    let id = path_id(&id)?;
    let page = p.page(STATUSES_LIMIT.0, STATUSES_LIMIT.1)?;
    let mut h = state.db.read().await?;
    let list = lists::owned(h.conn(), me, id).await?;
    let ids = list_feed::page(h.conn(), list.id, me, now_ms(), &page).await?;
    let filters = ViewerFilters::load(h.conn(), me, Context::Home, now_ms()).await?;
    let statuses = hydrate::statuses(
        h.conn(),
        &state.render(),
        Some(me),
        &ids,
        StatusOptions::filtered(&filters),
    )
    .await?;
    Ok(Paged::by_ids(statuses, &ids, &state.config.url, &uri))
}
