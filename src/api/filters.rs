//! Filters (`methods/filters.md`): v2 `GET/POST /api/v2/filters`, `GET/PUT/DELETE
//! /api/v2/filters/:id`, keywords (`/api/v2/filters/:id/keywords`,
//! `/api/v2/filters/keywords/:id`) and statuses (`/api/v2/filters/:id/statuses`,
//! `/api/v2/filters/statuses/:id`); and the v1 `/api/v1/filters[/:id]` mapped onto them.
//! The rules are in `service::filters`.

use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Deserializer};
use serde_json::{Value, json};

use crate::api::auth::Auth;
use crate::api::entities::filters::{Filter, FilterKeyword, FilterStatus, FilterV1};
use crate::api::pagination::path_id;
use crate::api::params::{Params, flex};
use crate::error::AppResult;
use crate::service::filters::{
    self, FilterInput, KeywordInput, V1Input, keyword_entity, status_entity,
};
use crate::state::AppState;

/// Routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v2/filters", get(index).post(create))
        .route(
            "/api/v2/filters/{id}",
            get(show).put(update).delete(destroy),
        )
        .route(
            "/api/v2/filters/{id}/keywords",
            get(keywords).post(add_keyword),
        )
        .route(
            "/api/v2/filters/keywords/{id}",
            get(show_keyword)
                .put(update_keyword)
                .delete(destroy_keyword),
        )
        .route(
            "/api/v2/filters/{id}/statuses",
            get(statuses).post(add_status),
        )
        .route(
            "/api/v2/filters/statuses/{id}",
            get(show_status).delete(destroy_status),
        )
        .route("/api/v1/filters", get(index_v1).post(create_v1))
        .route(
            "/api/v1/filters/{id}",
            get(show_v1).put(update_v1).delete(destroy_v1),
        )
}

const READ: [&str; 1] = ["read:filters"];
const WRITE: [&str; 1] = ["write:filters"];

/// A list parameter that is `Some` whenever it was given (even empty).
fn given_vec<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<String>>, D::Error> {
    flex::vec_string(d).map(Some)
}

/// An integer parameter that is `Some` whenever it was given (`Some(None)`: given empty).
fn given_i64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<i64>>, D::Error> {
    flex::opt_i64(d).map(Some)
}

/// One of `keywords_attributes[]`.
#[derive(Debug, Default, Deserialize)]
struct KeywordAttr {
    #[serde(default, deserialize_with = "flex::opt_string")]
    id: Option<String>,
    #[serde(default, deserialize_with = "flex::opt_string")]
    keyword: Option<String>,
    #[serde(default, deserialize_with = "flex::opt_bool")]
    whole_word: Option<bool>,
    #[serde(default, rename = "_destroy", deserialize_with = "flex::opt_bool")]
    destroy: Option<bool>,
}

/// Parameters of v2 create and update.
#[derive(Debug, Default, Deserialize)]
struct FilterParams {
    #[serde(default, deserialize_with = "flex::opt_string")]
    title: Option<String>,
    #[serde(default, deserialize_with = "given_vec")]
    context: Option<Vec<String>>,
    #[serde(default, deserialize_with = "flex::opt_string")]
    filter_action: Option<String>,
    #[serde(default, deserialize_with = "given_i64")]
    expires_in: Option<Option<i64>>,
    #[serde(default, deserialize_with = "flex::vec_indexed")]
    keywords_attributes: Option<Vec<KeywordAttr>>,
}

impl From<FilterParams> for FilterInput {
    fn from(p: FilterParams) -> Self {
        FilterInput {
            title: p.title,
            context: p.context,
            action: p.filter_action,
            expires_in: p.expires_in,
            keywords: p
                .keywords_attributes
                .unwrap_or_default()
                .into_iter()
                .map(|k| KeywordInput {
                    // An id that is not a snowflake names no keyword of this filter (404).
                    id: k.id.map(|s| crate::id::parse(s.trim()).unwrap_or(-1)),
                    keyword: k.keyword,
                    whole_word: k.whole_word,
                    destroy: k.destroy.unwrap_or(false),
                })
                .collect(),
        }
    }
}

/// `GET /api/v2/filters`.
async fn index(State(state): State<AppState>, auth: Auth) -> AppResult<Json<Vec<Filter>>> {
    let me = auth.user(&READ)?.account.id;
    let list = filters::list(&state.db, me).await?;
    Ok(Json(list.iter().map(|f| f.entity()).collect()))
}

/// `GET /api/v2/filters/:id`.
async fn show(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> AppResult<Json<Filter>> {
    let me = auth.user(&READ)?.account.id;
    Ok(Json(
        filters::get(&state.db, me, path_id(&id)?).await?.entity(),
    ))
}

/// `POST /api/v2/filters`.
async fn create(
    State(state): State<AppState>,
    auth: Auth,
    Params(p): Params<FilterParams>,
) -> AppResult<Json<Filter>> {
    let me = auth.user(&WRITE)?.account.id;
    let mut input: FilterInput = p.into();
    input.title.get_or_insert_default();
    input.context.get_or_insert_default();
    Ok(Json(filters::create(&state.db, me, input).await?.entity()))
}

/// `PUT /api/v2/filters/:id`.
async fn update(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    Params(p): Params<FilterParams>,
) -> AppResult<Json<Filter>> {
    let me = auth.user(&WRITE)?.account.id;
    let id = path_id(&id)?;
    Ok(Json(
        filters::update(&state.db, me, id, p.into()).await?.entity(),
    ))
}

/// `DELETE /api/v2/filters/:id`: `{}`.
async fn destroy(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> AppResult<Json<Value>> {
    let me = auth.user(&WRITE)?.account.id;
    filters::delete(&state.db, me, path_id(&id)?).await?;
    Ok(Json(json!({})))
}

/// Parameters of a keyword.
#[derive(Debug, Default, Deserialize)]
struct KeywordParams {
    #[serde(default, deserialize_with = "flex::opt_string")]
    keyword: Option<String>,
    #[serde(default, deserialize_with = "flex::opt_bool")]
    whole_word: Option<bool>,
}

/// `GET /api/v2/filters/:id/keywords`.
async fn keywords(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> AppResult<Json<Vec<FilterKeyword>>> {
    let me = auth.user(&READ)?.account.id;
    let f = filters::get(&state.db, me, path_id(&id)?).await?;
    Ok(Json(f.keywords.iter().map(keyword_entity).collect()))
}

/// `POST /api/v2/filters/:id/keywords` (keyword, whole_word).
async fn add_keyword(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    Params(p): Params<KeywordParams>,
) -> AppResult<Json<FilterKeyword>> {
    let me = auth.user(&WRITE)?.account.id;
    let k = filters::add_keyword(
        &state.db,
        me,
        path_id(&id)?,
        p.keyword.as_deref().unwrap_or(""),
        p.whole_word.unwrap_or(true),
    )
    .await?;
    Ok(Json(keyword_entity(&k)))
}

/// `GET /api/v2/filters/keywords/:id`.
async fn show_keyword(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> AppResult<Json<FilterKeyword>> {
    let me = auth.user(&READ)?.account.id;
    let k = filters::keyword(&state.db, me, path_id(&id)?).await?;
    Ok(Json(keyword_entity(&k)))
}

/// `PUT /api/v2/filters/keywords/:id`.
async fn update_keyword(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    Params(p): Params<KeywordParams>,
) -> AppResult<Json<FilterKeyword>> {
    let me = auth.user(&WRITE)?.account.id;
    let k = filters::update_keyword(
        &state.db,
        me,
        path_id(&id)?,
        p.keyword.as_deref(),
        p.whole_word,
    )
    .await?;
    Ok(Json(keyword_entity(&k)))
}

/// `DELETE /api/v2/filters/keywords/:id`: `{}`.
async fn destroy_keyword(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> AppResult<Json<Value>> {
    let me = auth.user(&WRITE)?.account.id;
    filters::delete_keyword(&state.db, me, path_id(&id)?).await?;
    Ok(Json(json!({})))
}

/// Parameters of a filter status.
#[derive(Debug, Default, Deserialize)]
struct StatusParams {
    #[serde(default, deserialize_with = "flex::opt_string")]
    status_id: Option<String>,
}

/// `GET /api/v2/filters/:id/statuses`.
async fn statuses(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> AppResult<Json<Vec<FilterStatus>>> {
    let me = auth.user(&READ)?.account.id;
    let f = filters::get(&state.db, me, path_id(&id)?).await?;
    Ok(Json(f.statuses.iter().map(status_entity).collect()))
}

/// `POST /api/v2/filters/:id/statuses` (status_id).
async fn add_status(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    Params(p): Params<StatusParams>,
) -> AppResult<Json<FilterStatus>> {
    let me = auth.user(&WRITE)?.account.id;
    let status_id = p
        .status_id
        .as_deref()
        .and_then(|s| crate::id::parse(s.trim()));
    let s = filters::add_status(&state.db, me, path_id(&id)?, status_id).await?;
    Ok(Json(status_entity(&s)))
}

/// `GET /api/v2/filters/statuses/:id`.
async fn show_status(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> AppResult<Json<FilterStatus>> {
    let me = auth.user(&READ)?.account.id;
    let s = filters::status(&state.db, me, path_id(&id)?).await?;
    Ok(Json(status_entity(&s)))
}

/// `DELETE /api/v2/filters/statuses/:id`: `{}`.
async fn destroy_status(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> AppResult<Json<Value>> {
    let me = auth.user(&WRITE)?.account.id;
    filters::delete_status(&state.db, me, path_id(&id)?).await?;
    Ok(Json(json!({})))
}

/// Parameters of the v1 endpoints.
#[derive(Debug, Default, Deserialize)]
struct V1Params {
    #[serde(default, deserialize_with = "flex::opt_string")]
    phrase: Option<String>,
    #[serde(default, deserialize_with = "given_vec")]
    context: Option<Vec<String>>,
    #[serde(default, deserialize_with = "flex::opt_bool")]
    irreversible: Option<bool>,
    #[serde(default, deserialize_with = "flex::opt_bool")]
    whole_word: Option<bool>,
    #[serde(default, deserialize_with = "given_i64")]
    expires_in: Option<Option<i64>>,
}

impl From<V1Params> for V1Input {
    fn from(p: V1Params) -> Self {
        V1Input {
            phrase: p.phrase,
            context: p.context,
            irreversible: p.irreversible,
            whole_word: p.whole_word,
            expires_in: p.expires_in,
        }
    }
}

/// `GET /api/v1/filters`: every keyword of every filter, as v1 filters.
async fn index_v1(State(state): State<AppState>, auth: Auth) -> AppResult<Json<Vec<FilterV1>>> {
    let me = auth.user(&READ)?.account.id;
    Ok(Json(filters::list_v1(&state.db, me).await?))
}

/// `GET /api/v1/filters/:id` (a keyword id).
async fn show_v1(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> AppResult<Json<FilterV1>> {
    let me = auth.user(&READ)?.account.id;
    Ok(Json(filters::get_v1(&state.db, me, path_id(&id)?).await?))
}

/// `POST /api/v1/filters` (phrase, context[], irreversible, whole_word, expires_in).
async fn create_v1(
    State(state): State<AppState>,
    auth: Auth,
    Params(p): Params<V1Params>,
) -> AppResult<Json<FilterV1>> {
    let me = auth.user(&WRITE)?.account.id;
    let mut input: V1Input = p.into();
    input.context.get_or_insert_default();
    Ok(Json(filters::create_v1(&state.db, me, input).await?))
}

/// `PUT /api/v1/filters/:id`.
async fn update_v1(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    Params(p): Params<V1Params>,
) -> AppResult<Json<FilterV1>> {
    let me = auth.user(&WRITE)?.account.id;
    let id = path_id(&id)?;
    Ok(Json(filters::update_v1(&state.db, me, id, p.into()).await?))
}

/// `DELETE /api/v1/filters/:id`: `{}`.
async fn destroy_v1(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> AppResult<Json<Value>> {
    let me = auth.user(&WRITE)?.account.id;
    filters::delete_v1(&state.db, me, path_id(&id)?).await?;
    Ok(Json(json!({})))
}
