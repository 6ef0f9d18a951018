//! `GET /api/v2/search`: accounts and hashtags this server knows, and local URLs.
//!
//! Statuses are found by full-text search (`service::search`: Mastodon's query operators,
//! among what the searcher wrote or interacted with and public posts of indexable accounts),
//! for signed-in searchers only, as in Mastodon. With
//! `resolve=true` and a user token, `@user@domain` / `user@domain` and remote post or profile
//! URLs are resolved from their servers (WebFinger, signed fetches) within a time budget.

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use serde::Deserialize;

use crate::api::auth::Auth;
use crate::api::entities::{Tag, TagHistory};
use crate::api::params::{Params, flex};
use crate::config::Config;
use crate::db::search::{self as repo, TagRow};
use crate::db::{Conn, accounts, featured_tags, tag_follows};
use crate::error::{AppError, AppResult};
use crate::federation::resolve::{self, Found};
use crate::service::hydrate::{self, RawJson, StatusOptions};
use crate::service::locate::{LocalUrl, parse_local_url};
use crate::service::search;
use crate::state::AppState;
use crate::time::now_ms;

/// Days of usage history on a `Tag`.
const HISTORY_DAYS: usize = 7;

/// Routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new().route("/api/v2/search", get(search))
}

/// Renders tags with their 7-day history (newest day first). `following` and `featuring` (whether
/// the viewer follows / features the tag) are set only for a signed-in viewer.
pub async fn render_tags(
    mut c: Conn<'_>,
    cfg: &Config,
    rows: &[TagRow],
    viewer: Option<i64>,
) -> Result<Vec<Tag>, sqlx::Error> {
    let signed_in = viewer.is_some();
    let today = now_ms().div_euclid(86_400_000) * 86_400_000;
    let since = today - (HISTORY_DAYS as i64 - 1) * 86_400_000;
    let ids: Vec<i64> = rows.iter().map(|t| t.id).collect();
    let (followed, featured) = match viewer {
        Some(v) => (
            tag_follows::followed_among(c.re(), v, &ids).await?,
            featured_tags::featured_among(c.re(), v, &ids).await?,
        ),
        None => (Vec::new(), Vec::new()),
    };
    let mut history = repo::tag_history(c, &ids, since, HISTORY_DAYS).await?;
    Ok(rows
        .iter()
        .map(|t| {
            let days = history.remove(&t.id).unwrap_or_default();
            Tag {
                id: t.id.to_string(),
                name: t.display_name.clone(),
                url: format!("{}/tags/{}", cfg.url, t.name),
                history: days
                    .iter()
                    .enumerate()
                    .rev()
                    .map(|(i, d)| TagHistory {
                        day: ((since + i as i64 * 86_400_000) / 1000).to_string(),
                        uses: d.uses.to_string(),
                        accounts: d.accounts.to_string(),
                    })
                    .collect(),
                following: signed_in.then_some(followed.contains(&t.id)),
                featuring: signed_in.then_some(featured.contains(&t.id)),
            }
        })
        .collect())
}

/// Query parameters of the search.
#[derive(Debug, Deserialize)]
struct SearchParams {
    #[serde(default, deserialize_with = "flex::opt_string")]
    q: Option<String>,
    #[serde(default, rename = "type", deserialize_with = "flex::opt_string")]
    kind: Option<String>,
    #[serde(default, deserialize_with = "flex::bool")]
    resolve: bool,
    #[serde(default, deserialize_with = "flex::bool")]
    following: bool,
    #[serde(default, deserialize_with = "flex::opt_i64")]
    limit: Option<i64>,
    #[serde(default, deserialize_with = "flex::opt_i64")]
    offset: Option<i64>,
}

/// `GET /api/v2/search`.
async fn search(
    State(state): State<AppState>,
    auth: Auth,
    Params(p): Params<SearchParams>,
) -> AppResult<RawJson> {
    let viewer = auth.viewer_id(&["read:search"])?;
    let q = p.q.as_deref().map(str::trim).unwrap_or("");
    if q.is_empty() {
        return Err(AppError::missing_param("q"));
    }
    if viewer.is_none() {
        if p.offset.is_some() {
            return Err(AppError::UnauthorizedWith(
                "Search queries pagination is not supported without authentication".into(),
            ));
        }
        if p.resolve {
            return Err(AppError::UnauthorizedWith(
                "Search queries that resolve remote resources are not supported without authentication".into(),
            ));
        }
    }
    let limit = match p.limit {
        Some(l) if l >= 1 => l.min(40),
        _ => 20,
    };
    // As in Mastodon, the offset only applies when a single type is asked for.
    let offset = if p.kind.is_some() {
        p.offset.unwrap_or(0).max(0)
    } else {
        0
    };
    let wants = |t: &str| p.kind.as_deref().is_none_or(|k| k == t);
    let cfg = &state.config;
    let mut accounts_out = Vec::new();
    let mut hashtags_out = Vec::new();
    let is_url = q.starts_with("https://") || q.starts_with("http://");
    // Remote resolution (a user token only, as in Mastodon), before any database handle is
    // held: the remote servers may take up to the time budget.
    let mut resolved_account = None;
    let mut resolved_status = None;
    if p.resolve && viewer.is_some() && offset == 0 {
        if is_url && parse_local_url(cfg, q).is_none() {
            match resolve::url_for_user(&state, q).await {
                Some(Found::Account(a)) => resolved_account = Some(a),
                Some(Found::Status(s)) => resolved_status = Some(s.id),
                None => {}
            }
        } else if let Some((user, domain)) = resolve::parse_handle(q)
            && !domain.eq_ignore_ascii_case(&state.domain)
            && wants("accounts")
        {
            resolved_account = resolve::handle_for_user(&state, user, domain).await;
        }
    }
    let mut h = state.db.read().await?;
    if let Some(a) = &resolved_account
        && wants("accounts")
    {
        accounts_out.push(hydrate::account(cfg, a));
    }
    let mut status_ids = Vec::new();
    if let Some(id) = resolved_status
        && wants("statuses")
    {
        status_ids.push(id);
    }
    if p.resolve && is_url {
        if offset == 0 {
            match parse_local_url(cfg, q) {
                Some(LocalUrl::Account(name)) if wants("accounts") => {
                    if let Some(a) = accounts::find_by_username(h.conn(), &name, None).await?
                        && a.suspended_at.is_none()
                        && !accounts::is_unapproved(h.conn(), a.id).await?
                    {
                        accounts_out.push(hydrate::account(cfg, &a));
                    }
                }
                Some(LocalUrl::Status(id)) if wants("statuses") => status_ids.push(id),
                _ => {}
            }
        }
    } else {
        let account_searchable = !(q.starts_with('#') || (q.contains('@') && q.contains(' ')));
        if wants("accounts") && account_searchable {
            // The same search as `GET /api/v1/accounts/search`: blocks in either direction are
            // left out for a signed-in viewer but for the exact match (id 0 matches no block
            // for anonymous ones).
            let rows = accounts::search_accounts(
                h.conn(),
                &accounts::AccountSearch {
                    q,
                    local_domain: &state.domain,
                    viewer: viewer.unwrap_or(0),
                    following_only: viewer.is_some() && p.following,
                    limit,
                    offset,
                },
            )
            .await?;
            accounts_out.extend(
                rows.iter()
                    .filter(|a| resolved_account.as_ref().is_none_or(|r| r.id != a.id))
                    .map(|a| hydrate::account(cfg, a)),
            );
        }
        // Statuses only for a signed-in searcher, as in Mastodon.
        if let Some(v) = viewer
            && wants("statuses")
        {
            status_ids = search::statuses(h.conn(), v, &state.domain, q, limit, offset).await?;
        }
        if wants("hashtags") && !q.contains('@') {
            let term = q.trim_start_matches('#');
            if !term.is_empty() {
                let rows = repo::tags_by_prefix(h.conn(), term, limit, offset).await?;
                hashtags_out = render_tags(h.conn(), cfg, &rows, viewer).await?;
            }
        }
    }
    let statuses_out = if status_ids.is_empty() {
        Vec::new()
    } else {
        hydrate::statuses(
            h.conn(),
            &state.render(),
            viewer,
            &status_ids,
            StatusOptions::default(),
        )
        .await?
    };
    Ok(RawJson::object(&[
        ("accounts", RawJson::of(&accounts_out).as_str()),
        (
            "statuses",
            RawJson::array(statuses_out.iter().map(|s| &s.json)).as_str(),
        ),
        ("hashtags", RawJson::of(&hashtags_out).as_str()),
        ("collections", "[]"),
    ]))
}
