//! Timelines: `GET /api/v1/timelines/home`, `/public` and `/tag/:hashtag`.

use axum::Router;
use axum::extract::{OriginalUri, Path, State};
use axum::routing::get;
use serde::Deserialize;

use crate::api::auth::Auth;

use crate::api::pagination::{PageParams, Paged};
use crate::api::params::{Params, flex};
use crate::db::timelines::{self, PublicFilter, TagFilter};
use crate::error::AppResult;
use crate::service::filters::{Context, ViewerFilters};
use crate::service::hydrate::{self, RenderedStatus, StatusOptions};
use crate::state::AppState;
use crate::time::now_ms;

/// Default and maximum page sizes of status timelines.
const DEFAULT_LIMIT: i64 = 20;
const MAX_LIMIT: i64 = 40;
/// How many tags each of `any[]`, `all[]` and `none[]` may name (Mastodon's `LIMIT_PER_MODE`).
const TAGS_PER_MODE: usize = 4;

/// Routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/timelines/home", get(home))
        .route("/api/v1/timelines/public", get(public))
        .route("/api/v1/timelines/tag/{hashtag}", get(tag))
}

/// `GET /api/v1/timelines/home`: statuses from followed accounts (and one's own).
async fn home(
    State(state): State<AppState>,
    auth: Auth,
    OriginalUri(uri): OriginalUri,
    Params(p): Params<PageParams>,
) -> AppResult<Paged<RenderedStatus>> {
    let viewer = auth.user(&["read:statuses"])?.account.id;
    let page = p.page(DEFAULT_LIMIT, MAX_LIMIT)?;
    let mut h = state.db.read().await?;
    let ids = timelines::home(h.conn(), viewer, now_ms(), &page).await?;
    let filters = ViewerFilters::load(h.conn(), viewer, Context::Home, now_ms()).await?;
    let statuses = hydrate::statuses(
        h.conn(),
        &state.render(),
        Some(viewer),
        &ids,
        StatusOptions::filtered(&filters),
    )
    .await?;
    Ok(Paged::by_ids(statuses, &ids, &state.config.url, &uri))
}

/// Query parameters of the public and hashtag timelines.
#[derive(Debug, Deserialize)]
struct PublicParams {
    #[serde(flatten)]
    page: PageParams,
    #[serde(default, deserialize_with = "flex::bool")]
    local: bool,
    #[serde(default, deserialize_with = "flex::bool")]
    remote: bool,
    #[serde(default, deserialize_with = "flex::bool")]
    only_media: bool,
    #[serde(default, deserialize_with = "flex::vec_string")]
    any: Vec<String>,
    #[serde(default, deserialize_with = "flex::vec_string")]
    all: Vec<String>,
    #[serde(default, deserialize_with = "flex::vec_string")]
    none: Vec<String>,
}

impl PublicParams {
    /// The filter for `viewer`; `None` when `local` and `remote` exclude each other.
    fn filter(&self, viewer: Option<i64>) -> Option<PublicFilter> {
        let local = match (self.local, self.remote) {
            (true, true) => return None,
            (true, false) => Some(true),
            (false, true) => Some(false),
            (false, false) => None,
        };
        Some(PublicFilter {
            local,
            only_media: self.only_media,
            viewer,
            now: now_ms(),
        })
    }
}

/// `GET /api/v1/timelines/public`: public statuses, optionally local or remote only.
async fn public(
    State(state): State<AppState>,
    auth: Auth,
    OriginalUri(uri): OriginalUri,
    Params(p): Params<PublicParams>,
) -> AppResult<Paged<RenderedStatus>> {
    let viewer = auth.viewer_id(&["read:statuses"])?;
    let page = p.page.page(DEFAULT_LIMIT, MAX_LIMIT)?;
    let Some(filter) = p.filter(viewer) else {
        return Ok(Paged::by_ids(Vec::new(), &[], &state.config.url, &uri));
    };
    let mut h = state.db.read().await?;
    let ids = timelines::public(h.conn(), &filter, &page).await?;
    let filters = public_filters(h.conn(), viewer).await?;
    let statuses = hydrate::statuses(
        h.conn(),
        &state.render(),
        viewer,
        &ids,
        StatusOptions::filtered(&filters),
    )
    .await?;
    Ok(Paged::by_ids(statuses, &ids, &state.config.url, &uri))
}

/// The viewer's filters of the `public` context (public and hashtag timelines).
async fn public_filters(
    c: crate::db::Conn<'_>,
    viewer: Option<i64>,
) -> Result<ViewerFilters, sqlx::Error> {
    match viewer {
        Some(v) => ViewerFilters::load(c, v, Context::Public, now_ms()).await,
        None => Ok(ViewerFilters::none()),
    }
}

/// A hashtag as typed (`#Cats`, `cats`) → the stored lower-cased name.
fn normalize_tag(name: &str) -> String {
    name.trim().trim_start_matches('#').to_lowercase()
}

/// `GET /api/v1/timelines/tag/:hashtag`: public statuses with the hashtag (case-insensitive),
/// refined by `any[]`, `all[]` and `none[]` (at most 4 tags each). An unknown hashtag gives an
/// empty list; unknown tags in `all[]`/`none[]` are ignored, as in Mastodon.
async fn tag(
    State(state): State<AppState>,
    auth: Auth,
    Path(hashtag): Path<String>,
    OriginalUri(uri): OriginalUri,
    Params(p): Params<PublicParams>,
) -> AppResult<Paged<RenderedStatus>> {
    let viewer = auth.viewer_id(&["read:statuses"])?;
    let page = p.page.page(DEFAULT_LIMIT, MAX_LIMIT)?;
    let Some(filter) = p.filter(viewer) else {
        return Ok(Paged::by_ids(Vec::new(), &[], &state.config.url, &uri));
    };
    let norm = |names: &[String]| -> Vec<String> {
        names
            .iter()
            .take(TAGS_PER_MODE)
            .map(|n| normalize_tag(n))
            .filter(|n| !n.is_empty())
            .collect()
    };
    let main = normalize_tag(&hashtag);
    let mut any = vec![main.clone()];
    any.extend(norm(&p.any));
    let all = norm(&p.all);
    let none = norm(&p.none);
    let mut names: Vec<String> = any.iter().chain(&all).chain(&none).cloned().collect();
    names.sort();
    names.dedup();
    let mut h = state.db.read().await?;
    let known: std::collections::HashMap<String, i64> = timelines::tag_ids(h.conn(), &names)
        .await?
        .into_iter()
        .map(|(id, name)| (name, id))
        .collect();
    if !known.contains_key(&main) {
        return Ok(Paged::by_ids(Vec::new(), &[], &state.config.url, &uri));
    }
    let ids_of = |names: &[String]| -> Vec<i64> {
        let mut v: Vec<i64> = names.iter().filter_map(|n| known.get(n).copied()).collect();
        v.sort_unstable();
        v.dedup();
        v
    };
    let tags = TagFilter {
        any: ids_of(&any),
        all: ids_of(&all),
        none: ids_of(&none),
    };
    let ids = timelines::tag(h.conn(), &tags, &filter, &page).await?;
    let filters = public_filters(h.conn(), viewer).await?;
    let statuses = hydrate::statuses(
        h.conn(),
        &state.render(),
        viewer,
        &ids,
        StatusOptions::filtered(&filters),
    )
    .await?;
    Ok(Paged::by_ids(statuses, &ids, &state.config.url, &uri))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_normalized() {
        assert_eq!(normalize_tag("#Cats"), "cats");
        assert_eq!(normalize_tag(" Woolly "), "woolly");
    }
}
