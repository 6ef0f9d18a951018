//! Posting, reading, editing and deleting statuses; threads, edit history and source.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{StatusEdit, StatusSource, context_json, render};
use crate::api::auth::Auth;
use crate::api::pagination::path_id;
use crate::api::params::{Params, decode, flex};
use crate::api::{ClientIp, ratelimit, scheduled_statuses};
use crate::db::{accounts, polls, statuses};
use crate::error::{AppError, AppResult};
use crate::service::hydrate::{self, RawJson, StatusOptions};
use crate::service::polls::PollInput;
use crate::service::statuses::create::{self, NewStatus};
use crate::service::statuses::edit::{self, EditStatus};
use crate::service::statuses::thread::{self, Limits};
use crate::service::statuses::{PostError, delete, scheduled};
use crate::state::AppState;
use crate::time::{now_ms, rfc3339};

/// Most ids `GET /api/v1/statuses` accepts (Mastodon's `DEFAULT_STATUSES_LIMIT`).
const MAX_IDS: usize = 20;

/// `poll[…]` as sent: an object with `options[]`, `expires_in`, `multiple`, `hide_totals`.
#[derive(Debug, Deserialize)]
struct PollParams {
    #[serde(default, deserialize_with = "flex::vec_string")]
    options: Vec<String>,
    #[serde(default, deserialize_with = "flex::opt_i64")]
    expires_in: Option<i64>,
    #[serde(default, deserialize_with = "flex::opt_bool")]
    multiple: Option<bool>,
    #[serde(default, deserialize_with = "flex::opt_bool")]
    hide_totals: Option<bool>,
}

/// The poll a `poll` parameter describes; `null`, `{}` and empty values mean none (clients
/// send them).
fn poll_input(v: Option<Value>) -> AppResult<Option<PollInput>> {
    let v = match v {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Object(m)) if m.is_empty() => return Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => return Ok(None),
        Some(Value::Object(m)) => Value::Object(m),
        Some(_) => {
            return Err(AppError::unprocessable(
                "Validation failed: Poll options must have more than one item",
            ));
        }
    };
    let p: PollParams = decode(v)?;
    Ok(Some(PollInput {
        options: p.options,
        expires_in: p.expires_in,
        multiple: p.multiple.unwrap_or(false),
        hide_totals: p.hide_totals.unwrap_or(false),
    }))
}

/// Parameters of `POST /api/v1/statuses`.
#[derive(Debug, Deserialize)]
pub struct CreateParams {
    #[serde(default, deserialize_with = "flex::opt_string")]
    status: Option<String>,
    #[serde(default, deserialize_with = "flex::opt_string")]
    spoiler_text: Option<String>,
    #[serde(default, deserialize_with = "flex::opt_bool")]
    sensitive: Option<bool>,
    #[serde(default, deserialize_with = "flex::opt_string")]
    visibility: Option<String>,
    #[serde(default, deserialize_with = "flex::opt_string")]
    language: Option<String>,
    #[serde(default, deserialize_with = "flex::opt_string")]
    in_reply_to_id: Option<String>,
    #[serde(default, deserialize_with = "flex::vec_string")]
    media_ids: Vec<String>,
    #[serde(default)]
    poll: Option<Value>,
    #[serde(default, deserialize_with = "flex::opt_string")]
    scheduled_at: Option<String>,
    #[serde(default, deserialize_with = "flex::opt_string")]
    quoted_status_id: Option<String>,
}

/// `POST /api/v1/statuses`.
pub async fn create(
    State(state): State<AppState>,
    auth: Auth,
    headers: HeaderMap,
    Params(p): Params<CreateParams>,
) -> AppResult<Response> {
    let user = auth.user(&["write:statuses"])?;
    let application_id = auth.0.as_ref().and_then(|t| t.application_id);
    let idempotency_key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let at = scheduled::when(p.scheduled_at.as_deref(), now_ms())?;
    let new = NewStatus {
        poll: poll_input(p.poll)?,
        text: p.status,
        spoiler_text: p.spoiler_text,
        sensitive: p.sensitive,
        visibility: p.visibility,
        language: p.language,
        in_reply_to_id: p.in_reply_to_id,
        media_ids: p.media_ids,
        scheduled_status_id: None,
        quoted_status_id: p.quoted_status_id,
        application_id,
        idempotency_key,
    };
    if let Some(at) = at {
        let row = scheduled::schedule(&state, &user.account, &user.user, new, at).await?;
        return Ok(Json(scheduled_statuses::entity(&row)?).into_response());
    }
    match create::create(&state, &user.account, &user.user, new).await {
        Ok(id) => Ok(render(&state, Some(user.account.id), id)
            .await?
            .into_response()),
        Err(e @ PostError::ReplyNotFound) => Ok((
            StatusCode::NOT_FOUND,
            Json(json!({ "error": e.to_string() })),
        )
            .into_response()),
        Err(PostError::App(e)) => Err(e),
    }
}

/// Parameters of `GET /api/v1/statuses`.
#[derive(Debug, Deserialize)]
pub struct IdsParams {
    #[serde(default, deserialize_with = "flex::vec_string")]
    id: Vec<String>,
}

/// `GET /api/v1/statuses?id[]=…`: several statuses at once, in the order asked, skipping the
/// ones that do not exist or that the viewer may not see.
pub async fn index(
    State(state): State<AppState>,
    auth: Auth,
    Params(p): Params<IdsParams>,
) -> AppResult<RawJson> {
    let viewer = auth.viewer_id(&["read:statuses"])?;
    let mut raw: Vec<&str> = p.id.iter().map(|s| s.trim()).collect();
    raw.sort_unstable();
    raw.dedup();
    if raw.len() > MAX_IDS {
        return Err(AppError::unprocessable(format!(
            "Too many ids requested: at most {MAX_IDS} are allowed"
        )));
    }
    let mut ids: Vec<i64> = Vec::new();
    for id in p.id.iter().filter_map(|s| crate::id::parse(s.trim())) {
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    let mut h = state.db.read().await?;
    let list = hydrate::statuses(
        h.conn(),
        &state.render(),
        viewer,
        &ids,
        StatusOptions::default(),
    )
    .await?;
    Ok(RawJson::array(list.iter().map(|s| &s.json)))
}

/// `GET /api/v1/statuses/:id`.
pub async fn show(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> AppResult<RawJson> {
    let viewer = auth.viewer_id(&["read:statuses"])?;
    render(&state, viewer, path_id(&id)?).await
}

/// Parameters of `PUT /api/v1/statuses/:id`.
#[derive(Debug, Deserialize)]
pub struct EditParams {
    #[serde(default, deserialize_with = "flex::opt_string")]
    status: Option<String>,
    #[serde(default, deserialize_with = "flex::opt_string")]
    spoiler_text: Option<String>,
    #[serde(default, deserialize_with = "flex::opt_bool")]
    sensitive: Option<bool>,
    #[serde(default, deserialize_with = "flex::opt_string")]
    language: Option<String>,
    #[serde(default, deserialize_with = "flex::vec_string")]
    media_ids: Vec<String>,
    #[serde(default)]
    poll: Option<Value>,
}

/// `PUT /api/v1/statuses/:id`: edits one's own status.
pub async fn update(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    Params(p): Params<EditParams>,
) -> AppResult<RawJson> {
    let user = auth.user(&["write:statuses"])?;
    let id = path_id(&id)?;
    let e = EditStatus {
        poll: poll_input(p.poll)?,
        text: p.status,
        spoiler_text: p.spoiler_text,
        sensitive: p.sensitive,
        language: p.language,
        media_ids: p.media_ids,
    };
    edit::edit(&state, &user.account, &user.user, id, e).await?;
    render(&state, Some(user.account.id), id).await
}

/// `DELETE /api/v1/statuses/:id`: deletes one's own status; the answer carries its source
/// `text` (instead of `content`) for "delete and redraft".
pub async fn destroy(
    State(state): State<AppState>,
    Extension(ClientIp(ip)): Extension<ClientIp>,
    auth: Auth,
    Path(id): Path<String>,
) -> AppResult<Json<Value>> {
    let user = auth.user(&["write:statuses"])?;
    let id = path_id(&id)?;
    ratelimit::check_delete(&state, ip, user.account.id)?;
    let mut v = delete::delete(&state, &user.account, id).await?;
    if let Some(obj) = v.as_object_mut() {
        obj.remove("content");
    }
    Ok(Json(v))
}

/// `GET /api/v1/statuses/:id/context`.
pub async fn context(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> AppResult<RawJson> {
    let viewer = auth.viewer_id(&["read:statuses"])?;
    let id = path_id(&id)?;
    let mut h = state.db.read().await?;
    let (ancestors, descendants) = thread::context(
        h.conn(),
        &state.render(),
        viewer,
        id,
        Limits::for_viewer(viewer.is_some()),
    )
    .await?;
    Ok(context_json(&ancestors, &descendants))
}

/// `GET /api/v1/statuses/:id/history`: every version, oldest first, the current one last; a
/// status never edited has a single entry.
pub async fn history(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> AppResult<Json<Vec<StatusEdit>>> {
    let viewer = auth.viewer_id(&["read:statuses"])?;
    let id = path_id(&id)?;
    let mut h = state.db.read().await?;
    let s = hydrate::visible_status(h.conn(), viewer, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let author = accounts::get(h.conn(), s.account_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let account = hydrate::account(&state.config, &author);
    let edits = statuses::edits_of(h.conn(), id).await?;
    let mut options: std::collections::HashMap<i64, Option<String>> =
        polls::edit_options(h.conn(), id)
            .await?
            .into_iter()
            .collect();
    let poll_of = |json: Option<String>| {
        let titles: Vec<String> = serde_json::from_str(json.as_deref()?).ok()?;
        Some(json!({ "options": titles.iter().map(|t| json!({ "title": t })).collect::<Vec<_>>() }))
    };
    let entry =
        |content: String, spoiler_text: String, sensitive: bool, at: i64, poll: Option<Value>| {
            StatusEdit {
                content,
                spoiler_text,
                sensitive,
                created_at: rfc3339(at),
                account: account.clone(),
                media_attachments: Vec::new(),
                emojis: Vec::new(),
                poll,
            }
        };
    let list = if edits.is_empty() {
        let current = polls::of_status(h.conn(), id).await?.map(|p| p.options);
        vec![entry(
            s.content,
            s.spoiler_text,
            s.sensitive,
            s.edited_at.unwrap_or(s.created_at),
            poll_of(current),
        )]
    } else {
        edits
            .into_iter()
            .map(|e| {
                let poll = poll_of(options.remove(&e.id).flatten());
                entry(e.content, e.spoiler_text, e.sensitive, e.created_at, poll)
            })
            .collect()
    };
    Ok(Json(list))
}

/// `GET /api/v1/statuses/:id/source`: the plain text, for the edit box.
pub async fn source(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> AppResult<Json<StatusSource>> {
    let viewer = auth.user(&["read:statuses"])?.account.id;
    let id = path_id(&id)?;
    let mut h = state.db.read().await?;
    let s = hydrate::visible_status(h.conn(), Some(viewer), id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(Json(StatusSource {
        id: s.id.to_string(),
        text: s.text,
        spoiler_text: s.spoiler_text,
    }))
}
