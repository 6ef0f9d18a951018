//! Statuses: `/users/:username/statuses/:id` and `/@:username/:id` (negotiated), the
//! `Create`/`Announce` activity at `…/activity`, and the `replies`, `likes` and `shares`
//! collections. Only statuses the requester may see exist here (see
//! `service::federation::may_see`: the signing actor of a signed GET, `activitypub::signed`,
//! sees followers-only and direct statuses as Mastodon would); a boost's page and document
//! lead to the boosted status. The HTML page is always anonymous.

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};

use crate::activitypub::actors::{cursor, query_params, signed_owner, truthy};
use crate::activitypub::negotiate::Wants;
use crate::activitypub::pages::{self, PostView, PublicChrome, StatusPage};
use crate::activitypub::signed::{self, Fetch};
use crate::activitypub::{
    Cache, activity_json, not_found_json, redirect_found, redirect_with_vary, site,
};
use crate::db::accounts::Account;
use crate::db::federation::{self as repo, RepliesOf};
use crate::db::statuses::{self, Status};
use crate::error::AppError;
use crate::federation::render::{self, Context};
use crate::service::federation::{self as docs, LocalAccount, Requester, StatusDocument};
use crate::state::AppState;

/// Replies per page of a `replies` collection (Mastodon's `DESCENDANTS_LIMIT`).
pub const REPLIES_PAGE: i64 = 60;

/// A status document found for a requester: who asked, the author, the status.
struct Found {
    requester: Requester,
    author: Account,
    status: Status,
}

/// The account and one of its statuses that the requester (anonymous, or the actor whose
/// signature verified) may see, or the JSON answer for their absence or for a refused
/// signature (authorized-fetch mode).
async fn owned_status(
    state: &AppState,
    fetch: &Fetch,
    username: &str,
    id: &str,
) -> Result<Result<Found, Response>, AppError> {
    let (requester, a) = match signed_owner(state, fetch, username).await? {
        Ok(found) => found,
        Err(resp) => return Ok(Err(resp)),
    };
    let Some(id) = crate::id::parse(id) else {
        return Ok(Err(not_found_json()));
    };
    let mut h = state.db.read().await?;
    Ok(
        match docs::visible_status_of(h.conn(), &requester, &a, id).await? {
            Some(s) => Ok(Found {
                requester,
                author: a,
                status: s,
            }),
            None => Err(not_found_json()),
        },
    )
}

/// Where a boost's page or document leads: the boosted status's page.
async fn original_url(state: &AppState, boost: &Status) -> Result<Option<String>, AppError> {
    let Some(orig) = boost.reblog_of_id else {
        return Ok(None);
    };
    let mut h = state.db.read().await?;
    Ok(statuses::get(h.conn(), orig)
        .await?
        .map(|o| o.url.unwrap_or(o.uri)))
}

/// The Note of a status (a boost redirects to its original).
async fn note_document(
    state: &AppState,
    fetch: &Fetch,
    username: &str,
    id: &str,
) -> Result<Response, AppError> {
    let Found {
        requester,
        status: s,
        ..
    } = match owned_status(state, fetch, username, id).await? {
        Ok(found) => found,
        Err(resp) => return Ok(resp),
    };
    if s.reblog_of_id.is_some() {
        return Ok(match original_url(state, &s).await? {
            Some(url) => redirect_found(&url),
            None => not_found_json(),
        });
    }
    let mut h = state.db.read().await?;
    match docs::documents(h.conn(), vec![s]).await?.pop() {
        Some(StatusDocument::Note(n)) => {
            let (note, ctx) = render::note(site(state), &n);
            Ok(signed::for_requester(
                state,
                &requester,
                activity_json(&render::document(&ctx, note), Cache::Public),
            ))
        }
        _ => Ok(not_found_json()),
    }
}

/// `GET /users/:username/statuses/:id`: the Note, or a redirect to its page for browsers.
pub async fn status(
    State(state): State<AppState>,
    Path((username, id)): Path<(String, String)>,
    fetch: Fetch,
) -> Result<Response, AppError> {
    match Wants::from_headers(fetch.headers()) {
        Wants::ActivityJson => note_document(&state, &fetch, &username, &id).await,
        Wants::Html => Ok(redirect_with_vary(&format!(
            "{}/@{username}/{id}",
            state.config.url
        ))),
    }
}

/// `GET /@:username/:id`: the status page, or the Note for ActivityPub clients.
pub async fn status_page(
    State(state): State<AppState>,
    Path((username, id)): Path<(String, String)>,
    fetch: Fetch,
) -> Result<Response, AppError> {
    if Wants::from_headers(fetch.headers()) == Wants::ActivityJson {
        return note_document(&state, &fetch, &username, &id).await;
    }
    let cfg = &state.config;
    let mut h = state.db.read().await?;
    let a = match docs::local_account(h.conn(), &username).await? {
        LocalAccount::Active(a) => a,
        LocalAccount::Suspended(_) => {
            return Ok(pages::error_page(
                cfg,
                StatusCode::UNAVAILABLE_FOR_LEGAL_REASONS,
            ));
        }
        LocalAccount::Missing => return Ok(pages::error_page(cfg, StatusCode::NOT_FOUND)),
    };
    let status = match crate::id::parse(&id) {
        Some(id) => docs::visible_status_of(h.conn(), &Requester::anonymous(), &a, id).await?,
        None => None,
    };
    let Some(s) = status else {
        return Ok(pages::error_page(cfg, StatusCode::NOT_FOUND));
    };
    drop(h);
    if s.reblog_of_id.is_some() {
        return Ok(match original_url(&state, &s).await? {
            Some(url) => redirect_found(&url),
            None => pages::error_page(cfg, StatusCode::NOT_FOUND),
        });
    }
    let in_reply_to = match s.in_reply_to_id {
        Some(parent) => {
            let mut h = state.db.read().await?;
            statuses::get(h.conn(), parent)
                .await?
                .map(|p| p.url.unwrap_or(p.uri))
        }
        None => None,
    };
    let site = site(&state);
    let post = PostView::new(site, &a, &s, in_reply_to);
    let excerpt: String = if s.spoiler_text.is_empty() {
        s.text.chars().take(60).collect()
    } else {
        s.spoiler_text.chars().take(60).collect()
    };
    let page = StatusPage {
        chrome: PublicChrome {
            title: format!("{}: \"{excerpt}\"", pages::display_name(&a)),
            instance: cfg.title.clone(),
            alternate: s.uri.clone(),
            noindex: !a.indexable,
        },
        post,
    };
    Ok(pages::render(&page, &s.uri))
}

/// `GET /users/:username/statuses/:id/activity`: `Create` with the Note, or `Announce`.
pub async fn activity(
    State(state): State<AppState>,
    Path((username, id)): Path<(String, String)>,
    fetch: Fetch,
) -> Result<Response, AppError> {
    let Found {
        requester,
        status: s,
        ..
    } = match owned_status(&state, &fetch, &username, &id).await? {
        Ok(found) => found,
        Err(resp) => return Ok(resp),
    };
    let mut h = state.db.read().await?;
    let (doc, ctx) = match docs::documents(h.conn(), vec![s]).await?.pop() {
        Some(StatusDocument::Note(n)) => render::create(site(&state), &n),
        Some(StatusDocument::Boost(b)) => render::announce(&b),
        None => return Ok(not_found_json()),
    };
    Ok(signed::for_requester(
        &state,
        &requester,
        activity_json(&render::document(&ctx, doc), Cache::Public),
    ))
}

/// `GET /users/:username/statuses/:id/replies[?page=true&min_id=…&only_other_accounts=true]`:
/// the author's own public replies first, then everyone else's, oldest first; local replies
/// as Notes, remote ones as ids (Mastodon's `RepliesController`).
pub async fn replies(
    State(state): State<AppState>,
    Path((username, id)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    fetch: Fetch,
) -> Result<Response, AppError> {
    let Found {
        requester,
        author: a,
        status: s,
    } = match owned_status(&state, &fetch, &username, &id).await? {
        Ok(found) => found,
        Err(resp) => return Ok(resp),
    };
    let params = query_params(query);
    let page_requested = truthy(params.get("page"));
    let only_others = truthy(params.get("only_other_accounts"));
    let min_id = cursor(params.get("min_id"));
    let which = if only_others {
        RepliesOf::Others
    } else {
        RepliesOf::Author
    };
    let mut h = state.db.read().await?;
    let ids = repo::replies_page(h.conn(), s.id, a.id, which, min_id, REPLIES_PAGE).await?;
    let rows = docs::statuses_in_order(h.conn(), &ids).await?;
    let last = rows.last().map(|r| (r.id, r.account_id));
    let full = rows.len() as i64 >= REPLIES_PAGE;
    let (local, remote): (Vec<Status>, Vec<Status>) = rows.into_iter().partition(|r| r.local);
    let remote: std::collections::HashMap<i64, String> =
        remote.into_iter().map(|r| (r.id, r.uri)).collect();
    let mut notes: std::collections::HashMap<i64, Box<render::NoteParts>> =
        docs::documents(h.conn(), local)
            .await?
            .into_iter()
            .filter_map(|d| match d {
                StatusDocument::Note(n) => Some((n.status.id, n)),
                StatusDocument::Boost(_) => None,
            })
            .collect();
    let site = site(&state);
    let mut ctx = Context::new();
    let mut items = Vec::new();
    for id in &ids {
        if let Some(n) = notes.remove(id) {
            let (note, c) = render::note(site, &n);
            ctx.merge(&c);
            items.push(note);
        } else if let Some(uri) = remote.get(id) {
            items.push(Value::from(uri.as_str()));
        }
    }
    let collection = format!("{}/replies", s.uri);
    let next = if only_others {
        match (full, last) {
            (true, Some((last_id, _))) => Some(format!(
                "{collection}?min_id={last_id}&only_other_accounts=true&page=true"
            )),
            _ => None,
        }
    } else {
        match last {
            Some((last_id, author)) if author == a.id && full => {
                Some(format!("{collection}?min_id={last_id}&page=true"))
            }
            _ => Some(format!("{collection}?only_other_accounts=true&page=true")),
        }
    };
    let mut id_params = Vec::new();
    if let Some(m) = min_id {
        id_params.push(format!("min_id={m}"));
    }
    if only_others {
        id_params.push("only_other_accounts=true".to_owned());
    }
    id_params.push("page=true".to_owned());
    let page = render::replies_page(
        &format!("{collection}?{}", id_params.join("&")),
        &collection,
        next,
        items,
    );
    let doc = if page_requested {
        page
    } else {
        json!({ "id": collection, "type": "Collection", "first": page })
    };
    Ok(signed::for_requester(
        &state,
        &requester,
        activity_json(&render::document(&ctx, doc), Cache::Page),
    ))
}

/// `GET /users/:username/statuses/:id/likes`: how many favourited it.
pub async fn likes(
    State(state): State<AppState>,
    Path((username, id)): Path<(String, String)>,
    fetch: Fetch,
) -> Result<Response, AppError> {
    counted(state, fetch, username, id, "likes").await
}

/// `GET /users/:username/statuses/:id/shares`: how many boosted it.
pub async fn shares(
    State(state): State<AppState>,
    Path((username, id)): Path<(String, String)>,
    fetch: Fetch,
) -> Result<Response, AppError> {
    counted(state, fetch, username, id, "shares").await
}

async fn counted(
    state: AppState,
    fetch: Fetch,
    username: String,
    id: String,
    which: &str,
) -> Result<Response, AppError> {
    let Found {
        requester,
        status: s,
        ..
    } = match owned_status(&state, &fetch, &username, &id).await? {
        Ok(found) => found,
        Err(resp) => return Ok(resp),
    };
    let total = if which == "likes" {
        s.favourites_count
    } else {
        s.reblogs_count
    };
    let doc = render::collection(&format!("{}/{which}", s.uri), total, None);
    Ok(signed::for_requester(
        &state,
        &requester,
        activity_json(&render::document(&Context::new(), doc), Cache::Public),
    ))
}
