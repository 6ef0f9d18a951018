//! Mastodon's admin API, as far as Woolly has it: domain blocks
//! (`/api/v1/admin/domain_blocks`, `admin/domain_blocks.md`). Admins only (Mastodon's
//! `manage_federation` permission belongs to the Admin role), with the `admin:read` /
//! `admin:write` scopes or their `:domain_blocks` parts. The rules and the enforcement are
//! in `service::domain_blocks`.

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::api::auth::{Auth, CurrentUser};
use crate::api::params::{Params, flex};
use crate::db::domain_blocks::DomainBlock;
use crate::error::{AppError, AppResult};
use crate::service::domain_blocks::{self as blocks, DomainBlockError, NewBlock};
use crate::state::AppState;
use crate::time::rfc3339;

/// Routes of the admin API.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/admin/domain_blocks", get(index).post(create))
        .route(
            "/api/v1/admin/domain_blocks/{id}",
            get(show).put(update).delete(destroy),
        )
}

/// Mastodon's `Admin::DomainBlock` entity.
#[derive(Debug, Serialize)]
pub struct DomainBlockEntity {
    pub id: String,
    pub domain: String,
    /// SHA-256 of the domain, hex (for obfuscated public lists).
    pub digest: String,
    pub created_at: String,
    pub severity: String,
    pub reject_media: bool,
    pub reject_reports: bool,
    pub private_comment: Option<String>,
    pub public_comment: Option<String>,
    pub obfuscate: bool,
}

impl From<DomainBlock> for DomainBlockEntity {
    fn from(b: DomainBlock) -> Self {
        DomainBlockEntity {
            id: b.id.to_string(),
            digest: crate::crypto::sha256_hex(&b.domain),
            domain: b.domain,
            created_at: rfc3339(b.created_at),
            severity: b.severity,
            reject_media: b.reject_media,
            reject_reports: b.reject_reports,
            private_comment: b.private_comment,
            public_comment: b.public_comment,
            obfuscate: b.obfuscate,
        }
    }
}

/// Parameters of create and update.
#[derive(Debug, Default, Deserialize)]
pub struct BlockParams {
    #[serde(default)]
    domain: Option<String>,
    #[serde(default)]
    severity: Option<String>,
    #[serde(default, deserialize_with = "flex::opt_bool")]
    reject_media: Option<bool>,
    #[serde(default, deserialize_with = "flex::opt_bool")]
    reject_reports: Option<bool>,
    #[serde(default)]
    private_comment: Option<String>,
    #[serde(default)]
    public_comment: Option<String>,
    #[serde(default, deserialize_with = "flex::opt_bool")]
    obfuscate: Option<bool>,
}

/// The admin behind the token, with one of `scopes`; 403 for anyone else.
fn admin<'a>(auth: &'a Auth, scopes: &[&str]) -> AppResult<&'a CurrentUser> {
    let me = auth.user(scopes)?;
    if me.user.role != "admin" {
        return Err(AppError::Forbidden("This action is not allowed".into()));
    }
    Ok(me)
}

const READ: [&str; 2] = ["admin:read", "admin:read:domain_blocks"];
const WRITE: [&str; 2] = ["admin:write", "admin:write:domain_blocks"];

fn invalid(e: DomainBlockError) -> AppError {
    match e {
        DomainBlockError::InvalidDomain => {
            AppError::unprocessable("Validation failed: Domain is invalid")
        }
        DomainBlockError::InvalidSeverity => {
            AppError::unprocessable("Validation failed: Severity is not included in the list")
        }
        DomainBlockError::Db(e) => AppError::Internal(e.into()),
    }
}

async fn find(state: &AppState, id: &str) -> AppResult<DomainBlock> {
    let id = crate::id::parse(id).ok_or(AppError::NotFound)?;
    blocks::get(&state.db, id)
        .await
        .map_err(|e| AppError::Internal(e.into()))?
        .ok_or(AppError::NotFound)
}

/// `GET /api/v1/admin/domain_blocks`: every block, newest first.
pub async fn index(
    State(state): State<AppState>,
    auth: Auth,
) -> AppResult<Json<Vec<DomainBlockEntity>>> {
    admin(&auth, &READ)?;
    let mut rows = blocks::list(&state.db)
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    rows.reverse();
    Ok(Json(rows.into_iter().map(Into::into).collect()))
}

/// `GET /api/v1/admin/domain_blocks/:id`.
pub async fn show(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> AppResult<Json<DomainBlockEntity>> {
    admin(&auth, &READ)?;
    Ok(Json(find(&state, &id).await?.into()))
}

/// `POST /api/v1/admin/domain_blocks`: 422 (with the block) when the domain already has
/// one, or a parent domain has one at least as strict, as Mastodon answers. The block is in
/// force at once; applying it to known accounts is a background job.
pub async fn create(
    State(state): State<AppState>,
    auth: Auth,
    Params(p): Params<BlockParams>,
) -> AppResult<Response> {
    admin(&auth, &WRITE)?;
    let domain = p
        .domain
        .filter(|d| !d.trim().is_empty())
        .ok_or_else(|| AppError::unprocessable("Validation failed: Domain can't be blank"))?;
    let new = NewBlock {
        domain,
        severity: p.severity.unwrap_or_else(|| "silence".into()),
        reject_media: p.reject_media.unwrap_or(false),
        reject_reports: p.reject_reports.unwrap_or(false),
        private_comment: p.private_comment,
        public_comment: p.public_comment,
        obfuscate: p.obfuscate.unwrap_or(false),
    };
    if let Some(existing) = blocks::conflicting(&state.db, &new)
        .await
        .map_err(invalid)?
    {
        let body = json!({
            "error": "A domain block for this domain already exists",
            "existing_domain_block": DomainBlockEntity::from(existing),
        });
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, Json(body)).into_response());
    }
    let b = blocks::block(&state.db, &state.domain_blocks, new)
        .await
        .map_err(invalid)?;
    state.wake_workers();
    Ok(Json(DomainBlockEntity::from(b)).into_response())
}

/// `PUT /api/v1/admin/domain_blocks/:id`: changes the given settings (not the domain).
pub async fn update(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    Params(p): Params<BlockParams>,
) -> AppResult<Json<DomainBlockEntity>> {
    admin(&auth, &WRITE)?;
    let b = find(&state, &id).await?;
    let new = NewBlock {
        severity: p.severity.unwrap_or(b.severity),
        reject_media: p.reject_media.unwrap_or(b.reject_media),
        reject_reports: p.reject_reports.unwrap_or(b.reject_reports),
        private_comment: p.private_comment.or(b.private_comment),
        public_comment: p.public_comment.or(b.public_comment),
        obfuscate: p.obfuscate.unwrap_or(b.obfuscate),
        domain: b.domain,
    };
    let b = blocks::block(&state.db, &state.domain_blocks, new)
        .await
        .map_err(invalid)?;
    state.wake_workers();
    Ok(Json(b.into()))
}

/// `DELETE /api/v1/admin/domain_blocks/:id`: `{}`.
pub async fn destroy(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> AppResult<Json<serde_json::Value>> {
    admin(&auth, &WRITE)?;
    let b = find(&state, &id).await?;
    blocks::unblock(&state.db, &state.domain_blocks, b.id)
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    Ok(Json(json!({})))
}
