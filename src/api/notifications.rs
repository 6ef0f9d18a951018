//! Notifications: the v1 list (`GET /api/v1/notifications`), single notifications, dismissing,
//! clearing, the unread count against the notifications marker, the (always empty) filtered
//! notification requests, and the grouped v2 API in [`grouped`].

pub mod grouped;

use std::collections::HashMap;

use axum::extract::{OriginalUri, Path, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::api::auth::Auth;
use crate::api::entities::Notification;
use crate::api::pagination::{PageParams, Paged, path_id};
use crate::api::params::{Params, flex};
use crate::db::notifications::{self as repo, NotificationFilter};
use crate::db::{Conn, markers};
use crate::error::{AppError, AppResult};
use crate::service::filters::{Context, ViewerFilters};
use crate::service::hydrate::{self, RawJson, Render, RenderedStatus, StatusOptions};
use crate::state::AppState;
use crate::time::{now_ms, rfc3339};

/// Every notification type Mastodon defines; `types[]`/`exclude_types[]` are matched against it.
pub const ALL_TYPES: &[&str] = &[
    "mention",
    "status",
    "reblog",
    "follow",
    "follow_request",
    "favourite",
    "poll",
    "update",
    "admin.sign_up",
    "admin.report",
    "severed_relationships",
    "moderation_warning",
    "annual_report",
    "quote",
    "quoted_update",
];

/// Types whose notification carries the status it is about.
const STATUS_TYPES: &[&str] = &[
    "mention",
    "status",
    "reblog",
    "favourite",
    "poll",
    "update",
    "quote",
    "quoted_update",
];

/// Routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/notifications", get(index))
        .route("/api/v1/notifications/unread_count", get(unread_count))
        .route("/api/v1/notifications/clear", post(clear))
        .route("/api/v1/notifications/requests", get(requests))
        .route(
            "/api/v1/notifications/requests/merged",
            get(requests_merged),
        )
        .route("/api/v1/notifications/{id}", get(show))
        .route("/api/v1/notifications/{id}/dismiss", post(dismiss))
        .merge(grouped::routes())
}

/// `types[]`, `exclude_types[]` and `account_id`, shared by lists and counts.
#[derive(Debug, Default, Deserialize)]
pub struct FilterParams {
    #[serde(default, deserialize_with = "flex::vec_string")]
    types: Vec<String>,
    #[serde(default, deserialize_with = "flex::vec_string")]
    exclude_types: Vec<String>,
    #[serde(default, deserialize_with = "flex::opt_string")]
    account_id: Option<String>,
}

impl FilterParams {
    /// Mastodon's `browserable` scope: requested types (all when none given) that exist,
    /// minus the excluded ones; an unknown `account_id` matches nothing.
    pub fn filter(&self) -> NotificationFilter {
        let mut requested: Vec<&str> = if self.types.is_empty() {
            ALL_TYPES.to_vec()
        } else {
            ALL_TYPES
                .iter()
                .copied()
                .filter(|t| self.types.iter().any(|x| x == t))
                .collect()
        };
        requested.retain(|t| !self.exclude_types.iter().any(|x| x == t));
        let types = (requested.len() != ALL_TYPES.len())
            .then(|| requested.into_iter().map(str::to_owned).collect());
        NotificationFilter {
            types,
            from_account_id: self
                .account_id
                .as_deref()
                .map(|s| crate::id::parse(s.trim()).unwrap_or(0)),
        }
    }
}

/// Query parameters of `GET /api/v1/notifications`.
#[derive(Debug, Deserialize)]
struct ListParams {
    #[serde(flatten)]
    page: PageParams,
    #[serde(flatten)]
    filter: FilterParams,
}

/// Whether notifications of `kind` carry a status.
pub fn carries_status(kind: &str) -> bool {
    STATUS_TYPES.contains(&kind)
}

/// Renders notification rows for their recipient `viewer`, in order. Notifications whose
/// sender is gone, or whose status the recipient can no longer see, are left out.
pub async fn render(
    mut c: Conn<'_>,
    r: &Render<'_>,
    viewer: i64,
    rows: &[repo::Notification],
) -> Result<Vec<RawJson>, sqlx::Error> {
    let mut account_ids: Vec<i64> = rows.iter().map(|n| n.from_account_id).collect();
    account_ids.sort_unstable();
    account_ids.dedup();
    let accounts = hydrate::accounts(c.re(), r.cfg, &account_ids).await?;
    let statuses = statuses_by_id(c, r, viewer, rows).await?;
    Ok(rows
        .iter()
        .filter_map(|n| {
            let account = accounts.get(&n.from_account_id)?.clone();
            let status = if carries_status(&n.kind) {
                Some(statuses.get(&n.status_id?)?.json.as_str())
            } else {
                None
            };
            Some(Notification {
                id: n.id.to_string(),
                kind: n.kind.clone(),
                created_at: rfc3339(n.created_at),
                group_key: n.public_group_key(),
                account,
                status: None,
            })
            .map(|n| {
                let json = RawJson::of(&n);
                match status {
                    Some(s) => json.with_field("status", s),
                    None => json,
                }
            })
        })
        .collect())
}

/// The statuses of `rows` the recipient may see, hydrated for them, by id.
pub async fn statuses_by_id(
    c: Conn<'_>,
    r: &Render<'_>,
    viewer: i64,
    rows: &[repo::Notification],
) -> Result<HashMap<i64, RenderedStatus>, sqlx::Error> {
    let mut ids: Vec<i64> = rows
        .iter()
        .filter(|n| carries_status(&n.kind))
        .filter_map(|n| n.status_id)
        .collect();
    ids.sort_unstable();
    ids.dedup();
    // Notifications about statuses a `hide` filter matches are left out with them.
    let mut c = c;
    let filters = ViewerFilters::load(c.re(), viewer, Context::Notifications, now_ms()).await?;
    let statuses =
        hydrate::statuses(c, r, Some(viewer), &ids, StatusOptions::filtered(&filters)).await?;
    Ok(statuses.into_iter().map(|s| (s.id, s)).collect())
}

/// `GET /api/v1/notifications`: 40 per page (at most 80), newest first, with a `Link` header.
async fn index(
    State(state): State<AppState>,
    auth: Auth,
    OriginalUri(uri): OriginalUri,
    Params(p): Params<ListParams>,
) -> AppResult<Paged<RawJson>> {
    let viewer = auth.user(&["read:notifications"])?.account.id;
    let page = p.page.page(40, 80)?;
    let mut h = state.db.read().await?;
    let rows = repo::list(h.conn(), viewer, &p.filter.filter(), now_ms(), &page).await?;
    let cursors: Vec<i64> = rows.iter().map(|n| n.id).collect();
    let items = render(h.conn(), &state.render(), viewer, &rows).await?;
    Ok(Paged::by_ids(items, &cursors, &state.config.url, &uri))
}

/// `GET /api/v1/notifications/:id`.
async fn show(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> AppResult<RawJson> {
    let viewer = auth.user(&["read:notifications"])?.account.id;
    let id = path_id(&id)?;
    let mut h = state.db.read().await?;
    let row = repo::get(h.conn(), viewer, id, now_ms())
        .await?
        .ok_or(AppError::NotFound)?;
    let mut items = render(h.conn(), &state.render(), viewer, &[row]).await?;
    items.pop().ok_or(AppError::NotFound)
}

/// `POST /api/v1/notifications/clear`: deletes all of the user's notifications.
async fn clear(State(state): State<AppState>, auth: Auth) -> AppResult<Json<Value>> {
    let viewer = auth.user(&["write:notifications"])?.account.id;
    let mut tx = state.db.begin().await?;
    repo::clear(tx.conn(), viewer).await?;
    tx.commit().await?;
    Ok(Json(json!({})))
}

/// `POST /api/v1/notifications/:id/dismiss`.
async fn dismiss(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> AppResult<Json<Value>> {
    let viewer = auth.user(&["write:notifications"])?.account.id;
    let id = path_id(&id)?;
    let mut tx = state.db.begin().await?;
    if !repo::dismiss(tx.conn(), viewer, id).await? {
        return Err(AppError::NotFound);
    }
    tx.commit().await?;
    Ok(Json(json!({})))
}

/// Query parameters of the unread counts.
#[derive(Debug, Deserialize)]
pub struct CountParams {
    #[serde(default, deserialize_with = "flex::opt_i64")]
    limit: Option<i64>,
    #[serde(flatten)]
    filter: FilterParams,
}

impl CountParams {
    /// The cap: 100 by default, at most 1000.
    pub fn limit(&self) -> i64 {
        match self.limit {
            Some(l) if l >= 1 => l.min(1000),
            _ => 100,
        }
    }
}

/// `GET /api/v1/notifications/unread_count`: notifications newer than the notifications
/// marker (all of them without a marker), capped by `limit`.
async fn unread_count(
    State(state): State<AppState>,
    auth: Auth,
    Params(p): Params<CountParams>,
) -> AppResult<Json<Value>> {
    let viewer = auth.user(&["read:notifications"])?.account.id;
    let mut h = state.db.read().await?;
    let marker = markers::last_read_id(h.conn(), viewer, "notifications").await?;
    let count = repo::count_newer(
        h.conn(),
        viewer,
        marker,
        &p.filter.filter(),
        now_ms(),
        p.limit(),
    )
    .await?;
    Ok(Json(json!({ "count": count })))
}

/// `GET /api/v1/notifications/requests`: Woolly's notification policy accepts everything (see
/// `GET /api/v2/notifications/policy`), so there are never filtered notification requests.
async fn requests(
    auth: Auth,
    OriginalUri(uri): OriginalUri,
    State(state): State<AppState>,
) -> AppResult<Paged<Value>> {
    auth.user(&["read:notifications"])?;
    Ok(Paged::by_ids(Vec::new(), &[], &state.config.url, &uri))
}

/// `GET /api/v1/notifications/requests/merged`: with nothing ever filtered, accepted requests
/// are always merged.
async fn requests_merged(auth: Auth) -> AppResult<Json<Value>> {
    auth.user(&["read:notifications"])?;
    Ok(Json(json!({ "merged": true })))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(types: &[&str], exclude: &[&str]) -> FilterParams {
        FilterParams {
            types: types.iter().map(|s| s.to_string()).collect(),
            exclude_types: exclude.iter().map(|s| s.to_string()).collect(),
            account_id: None,
        }
    }

    #[test]
    fn type_filters_follow_mastodon() {
        assert_eq!(params(&[], &[]).filter().types, None);
        assert_eq!(
            params(&["mention", "bogus"], &[]).filter().types,
            Some(vec!["mention".to_string()])
        );
        assert_eq!(params(&["bogus"], &[]).filter().types, Some(vec![]));
        let t = params(&[], &["follow"]).filter().types.unwrap();
        assert!(!t.contains(&"follow".to_string()) && t.contains(&"mention".to_string()));
        assert_eq!(
            params(&["follow"], &["follow"]).filter().types,
            Some(vec![])
        );
    }
}
