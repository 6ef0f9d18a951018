//! Hashtags (Mastodon's `methods/tags.md` and `methods/followed_tags.md`): a tag's page
//! entity, following and unfollowing, featuring and unfeaturing (4.4), and the paginated
//! list of followed tags.

use axum::Json;
use axum::Router;
use axum::extract::{OriginalUri, Path, State};
use axum::routing::{get, post};

use crate::api::auth::Auth;
use crate::api::entities::Tag;
use crate::api::pagination::{PageParams, Paged};
use crate::api::params::Params;
use crate::api::search::render_tags;
use crate::db::{search as tags_repo, tag_follows};
use crate::error::{AppError, AppResult};
use crate::service::{featured_tags, tags};
use crate::state::AppState;

/// Default and maximum page sizes of `GET /api/v1/followed_tags`.
const FOLLOWED_LIMIT: (i64, i64) = (100, 200);

/// Routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/tags/{name}", get(tag))
        .route("/api/v1/tags/{name}/follow", post(follow))
        .route("/api/v1/tags/{name}/unfollow", post(unfollow))
        .route("/api/v1/tags/{name}/feature", post(feature))
        .route("/api/v1/tags/{name}/unfeature", post(unfeature))
        .route("/api/v1/followed_tags", get(followed_tags))
}

/// `GET /api/v1/tags/:name`: a known hashtag with its history and, for a signed-in viewer,
/// whether they follow it (404 for an unknown one).
async fn tag(
    State(state): State<AppState>,
    auth: Auth,
    Path(name): Path<String>,
) -> AppResult<Json<Tag>> {
    let viewer = auth.viewer_id(&[])?;
    let name = name.trim().trim_start_matches('#');
    let mut h = state.db.read().await?;
    let row = tags_repo::tag_by_name(h.conn(), name)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut tags = render_tags(h.conn(), &state.config, &[row], viewer).await?;
    tags.pop().map(Json).ok_or(AppError::NotFound)
}

/// `POST /api/v1/tags/:name/follow`: the tag, now followed.
async fn follow(
    State(state): State<AppState>,
    auth: Auth,
    Path(name): Path<String>,
) -> AppResult<Json<Tag>> {
    let me = auth.user(&["write:follows"])?.account.id;
    let row = tags::follow(&state.db, me, &name).await?;
    render_one(&state, me, row).await
}

/// `POST /api/v1/tags/:name/unfollow`: the tag, no longer followed.
async fn unfollow(
    State(state): State<AppState>,
    auth: Auth,
    Path(name): Path<String>,
) -> AppResult<Json<Tag>> {
    let me = auth.user(&["write:follows"])?.account.id;
    let row = tags::unfollow(&state.db, me, &name).await?;
    render_one(&state, me, row).await
}

/// `POST /api/v1/tags/:name/feature`: the tag, now featured on the profile.
async fn feature(
    State(state): State<AppState>,
    auth: Auth,
    Path(name): Path<String>,
) -> AppResult<Json<Tag>> {
    let me = auth.user(&["write:accounts"])?.account.id;
    let row = featured_tags::feature_tag(&state.db, me, &name).await?;
    render_one(&state, me, row).await
}

/// `POST /api/v1/tags/:name/unfeature`: the tag, no longer featured.
async fn unfeature(
    State(state): State<AppState>,
    auth: Auth,
    Path(name): Path<String>,
) -> AppResult<Json<Tag>> {
    let me = auth.user(&["write:accounts"])?.account.id;
    let row = featured_tags::unfeature_tag(&state.db, me, &name).await?;
    render_one(&state, me, row).await
}

async fn render_one(state: &AppState, me: i64, row: tags_repo::TagRow) -> AppResult<Json<Tag>> {
    let mut h = state.db.read().await?;
    let mut out = render_tags(h.conn(), &state.config, &[row], Some(me)).await?;
    out.pop().map(Json).ok_or(AppError::NotFound)
}

/// `GET /api/v1/followed_tags` (100 / 200), newest follow first, paged by the follow's id.
async fn followed_tags(
    State(state): State<AppState>,
    auth: Auth,
    OriginalUri(uri): OriginalUri,
    Params(p): Params<PageParams>,
) -> AppResult<Paged<Tag>> {
    let me = auth.user(&["read:follows"])?.account.id;
    let page = p.page(FOLLOWED_LIMIT.0, FOLLOWED_LIMIT.1)?;
    let mut h = state.db.read().await?;
    let rows = tag_follows::page(h.conn(), me, &page).await?;
    let cursors: Vec<i64> = rows.iter().map(|(c, _)| *c).collect();
    let tags: Vec<tags_repo::TagRow> = rows.into_iter().map(|(_, t)| t).collect();
    let items = render_tags(h.conn(), &state.config, &tags, Some(me)).await?;
    Ok(Paged::by_ids(items, &cursors, &state.config.url, &uri))
}
