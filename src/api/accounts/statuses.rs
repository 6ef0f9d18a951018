//! `GET /api/v1/accounts/:id/statuses`: a profile's posts as the viewer may see them.

use axum::extract::{OriginalUri, Path, State};
use serde::Deserialize;

use super::visible_account;
use crate::api::auth::Auth;

use crate::api::pagination::{PageParams, Paged};
use crate::api::params::{Params, flex};
use crate::db::follows::{self, Relation};
use crate::db::timelines::{self, AccountStatusFilter};
use crate::error::AppResult;
use crate::service::filters::{Context, ViewerFilters};
use crate::service::hydrate::{self, RenderedStatus, StatusOptions};
use crate::state::AppState;
use crate::time::now_ms;

/// Filters of the profile timeline.
#[derive(Debug, Deserialize)]
pub struct Filters {
    #[serde(default, deserialize_with = "flex::bool")]
    only_media: bool,
    #[serde(default, deserialize_with = "flex::bool")]
    exclude_replies: bool,
    #[serde(default, deserialize_with = "flex::bool")]
    exclude_reblogs: bool,
    #[serde(default, deserialize_with = "flex::bool")]
    pinned: bool,
    #[serde(default, deserialize_with = "flex::opt_string")]
    tagged: Option<String>,
    #[serde(flatten)]
    page: PageParams,
}

/// `GET /api/v1/accounts/:id/statuses` (20 / 40). Followers-only posts are shown to
/// followers and the author, direct posts to the author and those mentioned; someone the
/// account blocks gets an empty list, as in Mastodon.
pub async fn index(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    OriginalUri(uri): OriginalUri,
    Params(f): Params<Filters>,
) -> AppResult<Paged<RenderedStatus>> {
    let viewer = auth.viewer_id(&["read:statuses"])?;
    let page = f.page.page(20, 40)?;
    let mut h = state.db.read().await?;
    let account = visible_account(h.conn(), &id).await?;
    let mut viewer_follows = false;
    if let Some(v) = viewer
        && v != account.id
    {
        let now = now_ms();
        let blocked = follows::among(h.conn(), Relation::BlockedBy, v, &[account.id], now).await?;
        if !blocked.is_empty() {
            return Ok(Paged {
                items: Vec::new(),
                link: None,
            });
        }
        viewer_follows = follows::is_following(h.conn(), v, account.id).await?;
    }
    let filter = AccountStatusFilter {
        exclude_replies: f.exclude_replies,
        exclude_reblogs: f.exclude_reblogs,
        only_media: f.only_media,
        pinned: f.pinned,
        tagged: f
            .tagged
            .map(|t| t.trim().trim_start_matches('#').to_lowercase())
            .filter(|t| !t.is_empty()),
    };
    let ids =
        timelines::account_statuses(h.conn(), account.id, viewer, viewer_follows, &filter, &page)
            .await?;
    let filters = match viewer {
        Some(v) => ViewerFilters::load(h.conn(), v, Context::Account, now_ms()).await?,
        None => ViewerFilters::none(),
    };
    let items = hydrate::statuses(
        h.conn(),
        &state.render(),
        viewer,
        &ids,
        StatusOptions::filtered(&filters),
    )
    .await?;
    Ok(Paged::by_ids(items, &ids, &state.config.url, &uri))
}
