//! Endpoints clients call at start-up: read markers, preferences and the notification
//! policy (all real), plus valid, empty answers for features that arrive in later issues
//! (announcements, trends, suggestions, domain blocks), so that
//! clients never hit a 404 while starting.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::api::auth::Auth;
use crate::api::params::{Params, flex};
use crate::db::markers;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::time::{now_ms, rfc3339};

/// Routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/markers", get(get_markers).post(save_markers))
        .route("/api/v1/preferences", get(preferences))
        .route("/api/v2/notifications/policy", get(notification_policy))
        .route("/api/v1/announcements", get(|a: Auth| empty(a, "read")))
        .route(
            "/api/v1/suggestions",
            get(|a: Auth| empty(a, "read:accounts")),
        )
        .route(
            "/api/v2/suggestions",
            get(|a: Auth| empty(a, "read:accounts")),
        )
        .route(
            "/api/v1/domain_blocks",
            get(|a: Auth| empty(a, "read:blocks")),
        )
        .route("/api/v1/trends", get(no_trends))
        .route("/api/v1/trends/tags", get(no_trends))
        .route("/api/v1/trends/statuses", get(no_trends))
        .route("/api/v1/trends/links", get(no_trends))
}

/// An empty list for a signed-in user with `scope`: the feature (announcements,
/// suggestions, domain blocks) arrives in a later issue, and until then nobody has any.
async fn empty(auth: Auth, scope: &'static str) -> AppResult<Json<Value>> {
    auth.user(&[scope])?;
    Ok(Json(json!([])))
}

/// Trends are public and not computed yet: always empty.
async fn no_trends() -> Json<Value> {
    Json(json!([]))
}

/// `timeline[]` of `GET /api/v1/markers`.
#[derive(Debug, Deserialize)]
struct MarkerQuery {
    #[serde(default, deserialize_with = "flex::vec_string")]
    timeline: Vec<String>,
}

fn marker_map(list: &[markers::Marker]) -> Value {
    let mut map = Map::new();
    for m in list {
        map.insert(
            m.timeline.clone(),
            json!({
                "last_read_id": m.last_read_id.to_string(),
                "version": m.version,
                "updated_at": rfc3339(m.updated_at),
            }),
        );
    }
    Value::Object(map)
}

/// `GET /api/v1/markers`: the markers of the requested timelines (none asked, none given).
async fn get_markers(
    State(state): State<AppState>,
    auth: Auth,
    Params(p): Params<MarkerQuery>,
) -> AppResult<Json<Value>> {
    let viewer = auth.user(&["read:statuses"])?.account.id;
    let timelines: Vec<String> = p
        .timeline
        .into_iter()
        .filter(|t| markers::TIMELINES.contains(&t.as_str()))
        .collect();
    let mut h = state.db.read().await?;
    let list = markers::get(h.conn(), viewer, &timelines).await?;
    Ok(Json(marker_map(&list)))
}

/// One timeline's part of `POST /api/v1/markers`.
#[derive(Debug, Deserialize)]
struct MarkerInput {
    #[serde(default, deserialize_with = "flex::opt_string")]
    last_read_id: Option<String>,
}

/// Body of `POST /api/v1/markers`.
#[derive(Debug, Deserialize)]
struct MarkerBody {
    home: Option<MarkerInput>,
    notifications: Option<MarkerInput>,
}

/// `POST /api/v1/markers`: saves `home[last_read_id]` and/or `notifications[last_read_id]`
/// in one transaction and returns the saved markers.
async fn save_markers(
    State(state): State<AppState>,
    auth: Auth,
    Params(p): Params<MarkerBody>,
) -> AppResult<Json<Value>> {
    let viewer = auth.user(&["write:statuses"])?.account.id;
    let now = now_ms();
    let mut saved = Vec::new();
    let mut tx = state.db.begin().await?;
    for (timeline, input) in [("home", p.home), ("notifications", p.notifications)] {
        let Some(input) = input else { continue };
        let Some(id) = input
            .last_read_id
            .as_deref()
            .and_then(|s| s.trim().parse::<i64>().ok())
            .filter(|id| *id >= 0)
        else {
            return Err(AppError::unprocessable(
                "Validation failed: Last read can't be blank",
            ));
        };
        saved.push(markers::save(tx.conn(), viewer, timeline, id, now).await?);
    }
    tx.commit().await?;
    Ok(Json(marker_map(&saved)))
}

/// `GET /api/v1/preferences`: the user's posting defaults and reading preferences.
async fn preferences(auth: Auth) -> AppResult<Json<Value>> {
    let user = &auth.user(&["read:accounts"])?.user;
    Ok(Json(json!({
        "posting:default:visibility": user.default_privacy,
        "posting:default:sensitive": user.default_sensitive,
        "posting:default:language": user.default_language,
        "posting:default:quote_policy": "public",
        "reading:expand:media": "default",
        "reading:expand:spoilers": false,
        "reading:autoplay:gifs": false,
    })))
}

/// `GET /api/v2/notifications/policy`: Woolly filters no notifications, so every policy is
/// `accept` and nothing is ever pending.
async fn notification_policy(auth: Auth) -> AppResult<Json<Value>> {
    auth.user(&["read:notifications"])?;
    Ok(Json(json!({
        "for_not_following": "accept",
        "for_not_followers": "accept",
        "for_new_accounts": "accept",
        "for_private_mentions": "accept",
        "for_limited_accounts": "accept",
        "for_bots": "accept",
        "summary": { "pending_requests_count": 0, "pending_notifications_count": 0 },
    })))
}
