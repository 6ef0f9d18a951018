//! Grouped notifications (`/api/v2/notifications`, Mastodon API version 2): favourites and
//! boosts of the same status, and follows, that arrive within 12 hours of the group's first
//! notification share a `group_key`; a page holds up to `limit` groups, each represented by its
//! newest notification in the page, with counts and sample accounts.

use std::collections::{HashMap, HashSet};

use axum::extract::{OriginalUri, Path, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{FilterParams, carries_status, statuses_by_id};
use crate::api::auth::Auth;
use crate::api::entities::Account;
use crate::api::pagination::{PageParams, link_header};
use crate::api::params::{Params, flex};
use crate::db::notifications::{self as repo, GROUPABLE_TYPES, NotificationFilter};
use crate::db::timelines::Page;
use crate::db::{Conn, markers};
use crate::error::{AppError, AppResult};
use crate::service::hydrate;
use crate::service::hydrate::RawJson;
use crate::state::AppState;
use crate::time::{now_ms, rfc3339};

/// Sample accounts per group (Mastodon's `SAMPLE_ACCOUNTS_SIZE`).
const SAMPLE_ACCOUNTS: i64 = 8;
/// Notifications read at most to fill one page of groups.
const MAX_SCANNED: usize = 4000;

/// Routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v2/notifications", get(index))
        .route("/api/v2/notifications/unread_count", get(unread_count))
        .route("/api/v2/notifications/{group_key}", get(show))
        .route("/api/v2/notifications/{group_key}/accounts", get(accounts))
        .route("/api/v2/notifications/{group_key}/dismiss", post(dismiss))
}

/// `NotificationGroup`.
#[derive(Debug, Clone, Serialize)]
pub struct NotificationGroup {
    /// Opaque group key (`ungrouped-<id>` for single notifications).
    pub group_key: String,
    /// Notifications in the group (up to the page's end).
    pub notifications_count: i64,
    /// Notification type.
    #[serde(rename = "type")]
    pub kind: String,
    /// An integer, as Mastodon serialises it.
    pub most_recent_notification_id: i64,
    /// Oldest notification of the group in the page (paginated lists only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page_min_id: Option<String>,
    /// Newest notification of the group in the page (paginated lists only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page_max_id: Option<String>,
    /// When the newest notification in the page was created (paginated lists only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latest_page_notification_at: Option<String>,
    /// Up to 8 accounts that most recently caused notifications of the group.
    pub sample_account_ids: Vec<String>,
    /// The status the notifications are about, for status types.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_id: Option<String>,
}

/// `PartialAccountWithAvatar`.
#[derive(Debug, Clone, Serialize)]
pub struct PartialAccount {
    /// Account id.
    pub id: String,
    /// `user` or `user@domain`.
    pub acct: String,
    /// Whether follows need approval.
    pub locked: bool,
    /// Whether it is a bot.
    pub bot: bool,
    /// Profile page.
    pub url: String,
    /// Avatar URL.
    pub avatar: String,
    /// Non-animated avatar URL.
    pub avatar_static: String,
    /// Avatar alt text.
    pub avatar_description: String,
}

impl From<&Account> for PartialAccount {
    fn from(a: &Account) -> Self {
        PartialAccount {
            id: a.id.clone(),
            acct: a.acct.clone(),
            locked: a.locked,
            bot: a.bot,
            url: a.url.clone(),
            avatar: a.avatar.clone(),
            avatar_static: a.avatar_static.clone(),
            avatar_description: a.avatar_description.clone(),
        }
    }
}

/// `GroupedNotificationsResults`.
#[derive(Debug, Clone, Serialize)]
pub struct GroupedResults {
    /// Accounts referenced by the groups.
    pub accounts: Vec<Account>,
    /// Accounts rendered partially (`expand_accounts=partial_avatars` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partial_accounts: Option<Vec<PartialAccount>>,
    /// Statuses referenced by the groups, pre-rendered; written in by [`GroupedResults::json`].
    #[serde(skip)]
    pub statuses: Vec<RawJson>,
    /// The groups, newest first.
    pub notification_groups: Vec<NotificationGroup>,
}

impl GroupedResults {
    /// The `GroupedNotificationsResults` entity as JSON.
    pub fn json(&self) -> RawJson {
        RawJson::of(self).with_field("statuses", RawJson::array(&self.statuses).as_str())
    }
}

/// Query parameters of `GET /api/v2/notifications`.
#[derive(Debug, Deserialize)]
struct ListParams {
    #[serde(flatten)]
    page: PageParams,
    #[serde(flatten)]
    filter: FilterParams,
    #[serde(default, deserialize_with = "flex::vec_string")]
    grouped_types: Vec<String>,
    #[serde(default, deserialize_with = "flex::opt_string")]
    expand_accounts: Option<String>,
}

/// The types actually grouped: `grouped_types[]` among the groupable ones, all when absent.
fn grouped_types(requested: &[String]) -> Vec<String> {
    GROUPABLE_TYPES
        .iter()
        .filter(|t| requested.is_empty() || requested.iter().any(|r| r == *t))
        .map(|t| (*t).to_owned())
        .collect()
}

/// The key a notification is grouped under for this request.
fn effective_key(n: &repo::Notification, grouped: &[String]) -> String {
    match &n.group_key {
        Some(k) if grouped.contains(&n.kind) => k.clone(),
        _ => format!("ungrouped-{}", n.id),
    }
}

/// Walks the filtered notifications in page order and keeps the first one of each group until
/// `page.limit` groups are found. Returns the representatives (in walking order) and whether
/// the page is complete (more notifications may follow).
async fn walk(
    mut c: Conn<'_>,
    viewer: i64,
    filter: &NotificationFilter,
    grouped: &[String],
    page: &Page,
    now: i64,
) -> Result<(Vec<repo::Notification>, bool), sqlx::Error> {
    let ascending = page.min_id.is_some();
    let limit = usize::try_from(page.limit).unwrap_or(1);
    let mut cursor = *page;
    cursor.limit = (page.limit * 2).clamp(20, 200);
    let mut seen = HashSet::new();
    let mut reps = Vec::new();
    let mut scanned = 0;
    loop {
        let mut rows = repo::list(c.re(), viewer, filter, now, &cursor).await?;
        let fetched = rows.len();
        if ascending {
            rows.reverse();
        }
        let Some(last) = rows.last().map(|n| n.id) else {
            return Ok((reps, false));
        };
        for n in rows {
            if seen.insert(effective_key(&n, grouped)) {
                reps.push(n);
                if reps.len() == limit {
                    return Ok((reps, true));
                }
            }
        }
        scanned += fetched;
        if (fetched as i64) < cursor.limit {
            return Ok((reps, false));
        }
        if scanned >= MAX_SCANNED {
            return Ok((reps, true));
        }
        if ascending {
            cursor.min_id = Some(last);
        } else {
            cursor.max_id = Some(last);
        }
    }
}

/// Builds the groups for representatives `reps` (newest first), with counts, sample accounts
/// and (when `paged`) page bounds computed over notifications with ids in `start..=end`.
#[allow(clippy::too_many_arguments)]
async fn build(
    mut c: Conn<'_>,
    state: &AppState,
    viewer: i64,
    reps: &[repo::Notification],
    grouped: &[String],
    (start, end): (i64, i64),
    paged: bool,
    partial_avatars: bool,
) -> Result<GroupedResults, sqlx::Error> {
    let now = now_ms();
    let keys: Vec<String> = reps
        .iter()
        .map(|n| effective_key(n, grouped))
        .filter(|k| !k.starts_with("ungrouped-"))
        .collect();
    let (stats, samples) =
        repo::group_stats(c.re(), viewer, &keys, start, end, SAMPLE_ACCOUNTS, now).await?;
    let stats: HashMap<String, repo::GroupStats> = stats
        .into_iter()
        .map(|s| (s.group_key.clone(), s))
        .collect();
    let statuses = statuses_by_id(c.re(), &state.render(), viewer, reps).await?;

    let mut groups = Vec::new();
    let mut status_order = Vec::new();
    for n in reps {
        let key = effective_key(n, grouped);
        let status_id = if carries_status(&n.kind) {
            match n.status_id.filter(|id| statuses.contains_key(id)) {
                Some(id) => Some(id),
                None => continue,
            }
        } else {
            None
        };
        let (count, most_recent, min_id, latest_at, sample) = match stats.get(&key) {
            Some(s) => (
                s.notifications_count,
                s.most_recent_id,
                s.page_min_id.unwrap_or(n.id),
                s.latest_at,
                samples.get(&key).cloned().unwrap_or_default(),
            ),
            None => (1, n.id, n.id, n.created_at, vec![n.from_account_id]),
        };
        if let Some(id) = status_id
            && !status_order.contains(&id)
        {
            status_order.push(id);
        }
        groups.push((
            sample,
            NotificationGroup {
                group_key: key,
                notifications_count: count,
                kind: n.kind.clone(),
                most_recent_notification_id: most_recent,
                page_min_id: paged.then(|| min_id.to_string()),
                page_max_id: paged.then(|| most_recent.to_string()),
                latest_page_notification_at: paged.then(|| rfc3339(latest_at)),
                sample_account_ids: Vec::new(),
                status_id: status_id.map(|id| id.to_string()),
            },
        ));
    }

    let mut all_ids: Vec<i64> = groups.iter().flat_map(|(s, _)| s.clone()).collect();
    all_ids.sort_unstable();
    all_ids.dedup();
    let accounts = hydrate::accounts(c, &state.config, &all_ids).await?;
    let mut full: Vec<i64> = Vec::new();
    let mut partial: Vec<i64> = Vec::new();
    let mut out_groups = Vec::new();
    for (sample, mut group) in groups {
        let sample: Vec<i64> = sample
            .into_iter()
            .filter(|id| accounts.contains_key(id))
            .collect();
        if sample.is_empty() {
            continue;
        }
        for (i, id) in sample.iter().enumerate() {
            let list = if i == 0 || !partial_avatars {
                &mut full
            } else {
                &mut partial
            };
            if !list.contains(id) {
                list.push(*id);
            }
        }
        group.sample_account_ids = sample.iter().map(|id| id.to_string()).collect();
        out_groups.push(group);
    }
    partial.retain(|id| !full.contains(id));
    Ok(GroupedResults {
        accounts: full
            .iter()
            .filter_map(|id| accounts.get(id).cloned())
            .collect(),
        partial_accounts: partial_avatars.then(|| {
            partial
                .iter()
                .filter_map(|id| accounts.get(id).map(PartialAccount::from))
                .collect()
        }),
        statuses: status_order
            .iter()
            .filter_map(|id| statuses.get(id).map(|s| s.json.clone()))
            .collect(),
        notification_groups: out_groups,
    })
}

/// `GET /api/v2/notifications`: up to 40 groups per page (at most 80), newest first.
async fn index(
    State(state): State<AppState>,
    auth: Auth,
    OriginalUri(uri): OriginalUri,
    Params(p): Params<ListParams>,
) -> AppResult<(HeaderMap, RawJson)> {
    let viewer = auth.user(&["read:notifications"])?.account.id;
    let page = p.page.page(40, 80)?;
    let grouped = grouped_types(&p.grouped_types);
    let partial_avatars = p.expand_accounts.as_deref() == Some("partial_avatars");
    let mut h = state.db.read().await?;
    let (mut reps, complete) = walk(
        h.conn(),
        viewer,
        &p.filter.filter(),
        &grouped,
        &page,
        now_ms(),
    )
    .await?;
    let ascending = page.min_id.is_some();
    if ascending {
        reps.reverse();
    }
    let mut headers = HeaderMap::new();
    let (Some(first), Some(last)) = (reps.first().map(|n| n.id), reps.last().map(|n| n.id)) else {
        return Ok((
            headers,
            GroupedResults {
                accounts: Vec::new(),
                partial_accounts: partial_avatars.then(Vec::new),
                statuses: Vec::new(),
                notification_groups: Vec::new(),
            }
            .json(),
        ));
    };
    // The id range the page covers; the last page of a walk extends to its far bound.
    let mut range = (last, first);
    if !complete {
        if ascending {
            range.1 = page.max_id.map(|m| m - 1).unwrap_or(i64::MAX);
        } else {
            range.0 = page.since_id.map(|s| s + 1).unwrap_or(0);
        }
    }
    let results = build(
        h.conn(),
        &state,
        viewer,
        &reps,
        &grouped,
        range,
        true,
        partial_avatars,
    )
    .await?;
    if let Some(link) = link_header(&state.config.url, &uri, Some(last), Some(first))
        && let Ok(v) = HeaderValue::from_str(&link)
    {
        headers.insert(header::LINK, v);
    }
    Ok((headers, results.json()))
}

/// The newest visible notification of a group key (`ungrouped-<id>` included).
async fn group_head(
    c: Conn<'_>,
    viewer: i64,
    key: &str,
) -> Result<Option<repo::Notification>, sqlx::Error> {
    match key.strip_prefix("ungrouped-") {
        Some(id) => match crate::id::parse(id) {
            Some(id) => repo::get(c, viewer, id, now_ms()).await,
            None => Ok(None),
        },
        None => repo::group_latest(c, viewer, key, now_ms()).await,
    }
}

/// `GET /api/v2/notifications/:group_key`: one group.
async fn show(
    State(state): State<AppState>,
    auth: Auth,
    Path(key): Path<String>,
) -> AppResult<RawJson> {
    let viewer = auth.user(&["read:notifications"])?.account.id;
    let mut h = state.db.read().await?;
    let head = group_head(h.conn(), viewer, &key)
        .await?
        .ok_or(AppError::NotFound)?;
    let grouped = grouped_types(&[]);
    let results = build(
        h.conn(),
        &state,
        viewer,
        std::slice::from_ref(&head),
        &grouped,
        (0, i64::MAX),
        false,
        false,
    )
    .await?;
    if results.notification_groups.is_empty() {
        return Err(AppError::NotFound);
    }
    Ok(results.json())
}

/// `GET /api/v2/notifications/:group_key/accounts`: everyone in the group, newest first.
async fn accounts(
    State(state): State<AppState>,
    auth: Auth,
    Path(key): Path<String>,
) -> AppResult<Json<Vec<Account>>> {
    let viewer = auth.user(&["read:notifications"])?.account.id;
    let mut h = state.db.read().await?;
    let mut ids = match key.strip_prefix("ungrouped-") {
        Some(_) => group_head(h.conn(), viewer, &key)
            .await?
            .map(|n| vec![n.from_account_id])
            .unwrap_or_default(),
        None => repo::group_senders(h.conn(), viewer, &key, now_ms()).await?,
    };
    let mut seen = HashSet::new();
    ids.retain(|id| seen.insert(*id));
    let accounts = hydrate::accounts_ordered(h.conn(), &state.config, &ids).await?;
    Ok(Json(accounts))
}

/// `POST /api/v2/notifications/:group_key/dismiss`: deletes the whole group.
async fn dismiss(
    State(state): State<AppState>,
    auth: Auth,
    Path(key): Path<String>,
) -> AppResult<Json<Value>> {
    let viewer = auth.user(&["write:notifications"])?.account.id;
    let mut tx = state.db.begin().await?;
    match key.strip_prefix("ungrouped-") {
        Some(id) => {
            if let Some(id) = crate::id::parse(id) {
                repo::dismiss(tx.conn(), viewer, id).await?;
            }
        }
        None => {
            repo::dismiss_group(tx.conn(), viewer, &key).await?;
        }
    }
    tx.commit().await?;
    Ok(Json(json!({})))
}

/// Query parameters of `GET /api/v2/notifications/unread_count`.
#[derive(Debug, Deserialize)]
struct CountParams {
    #[serde(flatten)]
    count: super::CountParams,
    #[serde(default, deserialize_with = "flex::vec_string")]
    grouped_types: Vec<String>,
}

/// `GET /api/v2/notifications/unread_count`: unread notification groups, capped by `limit`.
async fn unread_count(
    State(state): State<AppState>,
    auth: Auth,
    Params(p): Params<CountParams>,
) -> AppResult<Json<Value>> {
    let viewer = auth.user(&["read:notifications"])?.account.id;
    let mut h = state.db.read().await?;
    let marker = markers::last_read_id(h.conn(), viewer, "notifications").await?;
    let count = repo::count_newer_groups(
        h.conn(),
        viewer,
        marker,
        &p.count.filter.filter(),
        &grouped_types(&p.grouped_types),
        now_ms(),
        p.count.limit(),
    )
    .await?;
    Ok(Json(json!({ "count": count })))
}
