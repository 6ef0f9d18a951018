//! Media uploads: `POST /api/v2/media` (answers 202 at once; the file is processed by a job),
//! `POST /api/v1/media` (waits for the processing), `GET`, `PUT` and `DELETE
//! /api/v1/media/:id`. All need `write:media` and concern only the caller's own media.

use std::time::Duration;

use axum::Json;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::json;

use crate::api::auth::Auth;
use crate::api::pagination::path_id;
use crate::api::params::{Params, ParamsWithFiles, flex};
use crate::db::media::{MediaRow, processing};
use crate::error::{AppError, AppResult};
use crate::service::media::{self, Upload, VIDEO_SIZE_LIMIT};
use crate::state::AppState;

/// Body limit of upload routes: the largest file plus room for the other form fields.
const UPLOAD_BODY: usize = VIDEO_SIZE_LIMIT + 1024 * 1024;
/// How long the synchronous v1 upload waits for processing.
const V1_WAIT: Duration = Duration::from_secs(60);
/// Mastodon's answer about media whose processing failed.
const PROCESSING_FAILED: &str = "Error processing thumbnail for uploaded media";

/// The media routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v2/media",
            post(create_v2).layer(DefaultBodyLimit::max(UPLOAD_BODY)),
        )
        .route(
            "/api/v1/media",
            post(create_v1).layer(DefaultBodyLimit::max(UPLOAD_BODY)),
        )
        .route("/api/v1/media/{id}", get(show).put(update).delete(destroy))
}

/// Form fields of an upload (besides the file).
#[derive(Debug, Deserialize)]
pub struct UploadParams {
    #[serde(default, deserialize_with = "flex::opt_string")]
    description: Option<String>,
    #[serde(default, deserialize_with = "flex::opt_string")]
    focus: Option<String>,
}

/// The `file` part of an upload.
fn upload_of(form: ParamsWithFiles<UploadParams>) -> AppResult<Upload> {
    let file = form
        .files
        .into_iter()
        .find(|f| f.field == "file")
        .ok_or_else(|| AppError::unprocessable("Validation failed: File can't be blank"))?;
    Ok(Upload {
        data: file.data,
        content_type: file.content_type,
        description: form.params.description,
        focus: form.params.focus,
    })
}

/// The entity with the status Mastodon answers it with: 200 when processed, 206 (or the
/// given `pending` status) while processing, 422 when processing failed.
fn answer(state: &AppState, m: &MediaRow, pending: StatusCode) -> AppResult<Response> {
    let status = match m.processing.as_str() {
        processing::DONE => StatusCode::OK,
        processing::FAILED => return Err(AppError::unprocessable(PROCESSING_FAILED)),
        _ => pending,
    };
    Ok((status, Json(media::entity(&state.config, m))).into_response())
}

/// `POST /api/v2/media`: 202 with `url: null`; the client polls `GET /api/v1/media/:id`.
async fn create_v2(
    State(state): State<AppState>,
    auth: Auth,
    form: ParamsWithFiles<UploadParams>,
) -> AppResult<Response> {
    let me = auth.user(&["write:media"])?;
    let m = media::upload(&state, me.account.id, upload_of(form)?).await?;
    answer(&state, &m, StatusCode::ACCEPTED)
}

/// `POST /api/v1/media`: the deprecated synchronous upload; answers once processed.
async fn create_v1(
    State(state): State<AppState>,
    auth: Auth,
    form: ParamsWithFiles<UploadParams>,
) -> AppResult<Response> {
    let me = auth.user(&["write:media"])?;
    let m = media::upload(&state, me.account.id, upload_of(form)?).await?;
    let m = media::wait_processed(&state, me.account.id, m.id, V1_WAIT).await?;
    answer(&state, &m, StatusCode::ACCEPTED)
}

/// `GET /api/v1/media/:id`: 206 while processing, 200 when done.
async fn show(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let me = auth.user(&["write:media"])?;
    let m = media::owned(&state, me.account.id, path_id(&id)?).await?;
    answer(&state, &m, StatusCode::PARTIAL_CONTENT)
}

/// `PUT /api/v1/media/:id`: alt text and focal point (unattached media only).
async fn update(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    Params(p): Params<UploadParams>,
) -> AppResult<Response> {
    let me = auth.user(&["write:media"])?;
    let m = media::update(&state, me.account.id, path_id(&id)?, p.description, p.focus).await?;
    answer(&state, &m, StatusCode::PARTIAL_CONTENT)
}

/// `DELETE /api/v1/media/:id`: removes unattached media; `{}`.
async fn destroy(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> AppResult<Json<serde_json::Value>> {
    let me = auth.user(&["write:media"])?;
    media::delete(&state, me.account.id, path_id(&id)?).await?;
    Ok(Json(json!({})))
}
