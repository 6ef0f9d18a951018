//! `GET /api/v1/favourites` and `GET /api/v1/bookmarks`: the viewer's favourited and
//! bookmarked statuses, newest interaction first, paginated by the favourite / bookmark row
//! ids (the `Link` header carries them; clients must not build cursors from status ids).

use axum::extract::{OriginalUri, State};
use axum::http::Uri;

use crate::api::auth::Auth;

use crate::api::pagination::{PageParams, Paged};
use crate::api::params::Params;
use crate::db::statuses::interactions as repo;
use crate::error::AppResult;
use crate::service::hydrate::{self, RenderedStatus, StatusOptions};
use crate::state::AppState;

/// Which list to read.
#[derive(Clone, Copy)]
enum List {
    Favourites,
    Bookmarks,
}

async fn list(
    state: &AppState,
    auth: &Auth,
    uri: &Uri,
    p: &PageParams,
    which: List,
) -> AppResult<Paged<RenderedStatus>> {
    let scope = match which {
        List::Favourites => "read:favourites",
        List::Bookmarks => "read:bookmarks",
    };
    let viewer = auth.user(&[scope])?.account.id;
    let page = p.page(20, 40)?;
    let mut h = state.db.read().await?;
    let rows = match which {
        List::Favourites => repo::favourites_page(h.conn(), viewer, &page).await?,
        List::Bookmarks => repo::bookmarks_page(h.conn(), viewer, &page).await?,
    };
    let status_ids: Vec<i64> = rows.iter().map(|(_, s)| *s).collect();
    let cursors: Vec<i64> = rows.iter().map(|(r, _)| *r).collect();
    // Statuses that are no longer visible (an unfollow, a block) are left out of the page,
    // but the cursors still cover them so pagination continues past.
    let items = hydrate::statuses(
        h.conn(),
        &state.render(),
        Some(viewer),
        &status_ids,
        StatusOptions::default(),
    )
    .await?;
    Ok(Paged::by_ids(items, &cursors, &state.config.url, uri))
}

/// `GET /api/v1/favourites`.
pub async fn favourites(
    State(state): State<AppState>,
    auth: Auth,
    OriginalUri(uri): OriginalUri,
    Params(p): Params<PageParams>,
) -> AppResult<Paged<RenderedStatus>> {
    list(&state, &auth, &uri, &p, List::Favourites).await
}

/// `GET /api/v1/bookmarks`.
pub async fn bookmarks(
    State(state): State<AppState>,
    auth: Auth,
    OriginalUri(uri): OriginalUri,
    Params(p): Params<PageParams>,
) -> AppResult<Paged<RenderedStatus>> {
    list(&state, &auth, &uri, &p, List::Bookmarks).await
}
