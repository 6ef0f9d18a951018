//! Actors and their collections: `/users/:username` and `/@:username` (negotiated), the
//! outbox, followers, following, featured (pinned) statuses and featured tags, and the
//! instance actor at `/actor`.

use std::collections::HashMap;

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::Value;

use crate::activitypub::negotiate::Wants;
use crate::activitypub::pages::{self, FieldView, PostView, ProfilePage, PublicChrome};
use crate::activitypub::signed::{self, Fetch, Need};
use crate::activitypub::{
    Cache, activity_json, json_error, not_found_json, redirect_with_vary, site, suspended_json,
};
use crate::db::accounts::Account;
use crate::db::federation::{self as repo, Side};
use crate::db::timelines::{self, AccountStatusFilter, Page};
use crate::error::AppError;
use crate::federation::render::{self, Context};
use crate::service::federation::{self as docs, LocalAccount, Requester, StatusDocument, Viewer};
use crate::service::instance_actor;
use crate::state::AppState;

/// Activities per outbox page (Mastodon's `OutboxesController::LIMIT`).
pub const OUTBOX_PAGE: i64 = 20;
/// Accounts per followers/following page (Mastodon's `FOLLOW_PER_PAGE`).
pub const FOLLOW_PAGE: i64 = 12;
/// Highest followers/following page number served (offset paging; deeper pages are empty).
pub const MAX_FOLLOW_PAGE: i64 = 10_000;
/// Posts per profile page.
pub const PROFILE_PAGE: i64 = 20;

/// Query parameters, first occurrence wins.
pub(crate) fn query_params(query: Option<String>) -> HashMap<String, String> {
    crate::web::form_pairs(query.unwrap_or_default().as_bytes())
}

/// Rails' `truthy_param?`: present and not one of the false spellings.
pub(crate) fn truthy(v: Option<&String>) -> bool {
    v.is_some_and(|v| {
        !v.is_empty()
            && !matches!(
                v.as_str(),
                "0" | "f" | "F" | "false" | "FALSE" | "off" | "OFF"
            )
    })
}

/// A cursor id; `0` is allowed (the outbox's `last` page is `min_id=0`).
pub(crate) fn cursor(v: Option<&String>) -> Option<i64> {
    v.and_then(|s| s.parse::<i64>().ok()).filter(|v| *v >= 0)
}

/// The local account behind a JSON document, or the answer for its absence: 404 for unknown
/// or unapproved accounts, 451 for suspended ones.
pub(crate) async fn document_owner(
    state: &AppState,
    username: &str,
) -> Result<Result<Account, Response>, AppError> {
    let mut h = state.db.read().await?;
    Ok(match docs::local_account(h.conn(), username).await? {
        LocalAccount::Active(a) => Ok(a),
        LocalAccount::Suspended(_) => Err(suspended_json()),
        LocalAccount::Missing => Err(not_found_json()),
    })
}

/// The requester of a document that needs a signature in authorized-fetch mode, and the
/// local account it belongs to; or the answer for a refusal or an absent account. The
/// signature is checked first, so an unsigned request learns nothing, not even whether the
/// account exists.
pub(crate) async fn signed_owner(
    state: &AppState,
    fetch: &Fetch,
    username: &str,
) -> Result<Result<(Requester, Account), Response>, AppError> {
    let requester = match signed::requester(state, fetch, Need::Signature).await {
        Ok(r) => r,
        Err(resp) => return Ok(Err(resp)),
    };
    Ok(document_owner(state, username)
        .await?
        .map(|a| (requester, a)))
}

/// The actor document of `username`: served for suspended accounts too (emptied, with
/// `suspended: true`), as Mastodon does. In authorized-fetch mode an unsigned (or not
/// verified) request gets the minimal actor.
async fn actor_document(
    state: &AppState,
    username: &str,
    fetch: &Fetch,
) -> Result<Response, AppError> {
    let requester = match signed::requester(state, fetch, Need::Nothing).await {
        Ok(r) => r,
        Err(resp) => return Ok(resp),
    };
    let mut h = state.db.read().await?;
    let a = match docs::local_account(h.conn(), username).await? {
        LocalAccount::Active(a) | LocalAccount::Suspended(a) => a,
        LocalAccount::Missing => return Ok(not_found_json()),
    };
    let moved_to = docs::moved_to_uri(h.conn(), &a).await?;
    let mut doc = render::actor(site(state), &a, moved_to.as_deref(), &docs::bio_tags(&a));
    if state.config.authorized_fetch && requester == Requester::Anonymous {
        doc = render::minimal_actor(&doc);
    }
    Ok(signed::for_requester(
        state,
        &requester,
        activity_json(&doc, Cache::Public),
    ))
}

/// `GET /users/:username`: the actor, or a redirect to the profile page for browsers.
pub async fn actor(
    State(state): State<AppState>,
    Path(username): Path<String>,
    fetch: Fetch,
) -> Result<Response, AppError> {
    match Wants::from_headers(fetch.headers()) {
        Wants::ActivityJson => actor_document(&state, &username, &fetch).await,
        Wants::Html => Ok(redirect_with_vary(&site(&state).profile_url(&username))),
    }
}

/// `GET /@:username`: the profile page, or the actor for ActivityPub clients.
pub async fn profile(
    State(state): State<AppState>,
    Path(username): Path<String>,
    RawQuery(query): RawQuery,
    fetch: Fetch,
) -> Result<Response, AppError> {
    if Wants::from_headers(fetch.headers()) == Wants::ActivityJson {
        return actor_document(&state, &username, &fetch).await;
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
    let params = query_params(query);
    let page = Page {
        max_id: cursor(params.get("max_id")),
        limit: PROFILE_PAGE,
        ..Page::default()
    };
    let filter = AccountStatusFilter {
        exclude_replies: true,
        exclude_reblogs: true,
        ..AccountStatusFilter::default()
    };
    let ids = timelines::account_statuses(h.conn(), a.id, None, false, &filter, &page).await?;
    let viewer = Viewer::anonymous();
    let site = site(&state);
    let posts: Vec<PostView> = docs::statuses_in_order(h.conn(), &ids)
        .await?
        .iter()
        .filter(|s| docs::may_see(&viewer, s))
        .map(|s| PostView::new(site, &a, s, None))
        .collect();
    let older = (ids.len() as i64 == PROFILE_PAGE)
        .then(|| {
            ids.last()
                .map(|id| format!("{}?max_id={id}", site.profile_url(&a.username)))
        })
        .flatten();
    let display_name = pages::display_name(&a);
    let page = ProfilePage {
        chrome: PublicChrome {
            title: format!("{display_name} (@{}@{})", a.username, site.domain),
            instance: cfg.title.clone(),
            alternate: a.uri.clone(),
            noindex: !a.indexable,
        },
        handle: format!("@{}@{}", a.username, site.domain),
        display_name,
        note: a.note.clone(),
        fields: serde_json::from_str::<Vec<FieldView>>(&a.fields).unwrap_or_default(),
        locked: a.locked,
        bot: a.bot,
        statuses_count: a.statuses_count,
        following_count: a.following_count,
        followers_count: a.followers_count,
        posts,
        older,
    };
    Ok(pages::render(&page, &a.uri))
}

/// `GET /users/:username/outbox[?page=true&max_id=…|min_id=…]`: public and unlisted posts
/// and boosts as `Create` and `Announce` activities, newest first.
pub async fn outbox(
    State(state): State<AppState>,
    Path(username): Path<String>,
    RawQuery(query): RawQuery,
    fetch: Fetch,
) -> Result<Response, AppError> {
    let (requester, a) = match signed_owner(&state, &fetch, &username).await? {
        Ok(found) => found,
        Err(resp) => return Ok(resp),
    };
    let outbox = format!("{}/outbox", a.uri);
    let params = query_params(query);
    if !truthy(params.get("page")) {
        let doc = render::ordered_collection(
            &outbox,
            Some(a.statuses_count),
            Some(format!("{outbox}?page=true")),
            Some(format!("{outbox}?min_id=0&page=true")),
        );
        return Ok(signed::for_requester(
            &state,
            &requester,
            activity_json(&render::document(&Context::new(), doc), Cache::Public),
        ));
    }
    let page = Page {
        max_id: cursor(params.get("max_id")),
        since_id: cursor(params.get("since_id")),
        min_id: cursor(params.get("min_id")),
        limit: OUTBOX_PAGE,
    };
    let mut h = state.db.read().await?;
    // A signed requester also gets what Mastodon's `AccountStatusesFilter` shows it:
    // followers-only posts when it follows, posts that mention it.
    let (viewer_id, follows) = match requester {
        Requester::Account(id) => (
            Some(id),
            crate::db::follows::is_following(h.conn(), id, a.id).await?,
        ),
        Requester::Anonymous => (None, false),
    };
    let ids = timelines::account_statuses(
        h.conn(),
        a.id,
        viewer_id,
        follows,
        &AccountStatusFilter::default(),
        &page,
    )
    .await?;
    let rows = docs::statuses_in_order(h.conn(), &ids).await?;
    let viewer = docs::viewer(h.conn(), &requester, &rows).await?;
    let rows = rows
        .into_iter()
        .filter(|s| docs::may_see(&viewer, s))
        .collect();
    let site = site(&state);
    let mut ctx = Context::new();
    let mut items = Vec::new();
    for d in docs::documents(h.conn(), rows).await? {
        let (item, c) = match &d {
            StatusDocument::Note(n) => render::create(site, n),
            StatusDocument::Boost(b) => render::announce(b),
        };
        ctx.merge(&c);
        items.push(item);
    }
    let mut id_params = Vec::new();
    if let Some(m) = page.max_id {
        id_params.push(format!("max_id={m}"));
    }
    if let Some(m) = page.min_id {
        id_params.push(format!("min_id={m}"));
    }
    id_params.push("page=true".to_owned());
    let doc = render::ordered_page(render::Page {
        id: format!("{outbox}?{}", id_params.join("&")),
        part_of: outbox.clone(),
        total: None,
        next: (ids.len() as i64 == OUTBOX_PAGE)
            .then(|| {
                ids.last()
                    .map(|id| format!("{outbox}?max_id={id}&page=true"))
            })
            .flatten(),
        prev: ids
            .first()
            .map(|id| format!("{outbox}?min_id={id}&page=true")),
        items,
    });
    Ok(signed::for_requester(
        &state,
        &requester,
        activity_json(&render::document(&ctx, doc), Cache::Page),
    ))
}

/// `GET /users/:username/followers[?page=N]`.
pub async fn followers(
    State(state): State<AppState>,
    Path(username): Path<String>,
    RawQuery(query): RawQuery,
    fetch: Fetch,
) -> Result<Response, AppError> {
    follow_collection(state, username, query, fetch, Side::Followers).await
}

/// `GET /users/:username/following[?page=N]`.
pub async fn following(
    State(state): State<AppState>,
    Path(username): Path<String>,
    RawQuery(query): RawQuery,
    fetch: Fetch,
) -> Result<Response, AppError> {
    follow_collection(state, username, query, fetch, Side::Following).await
}

/// Followers or following as Mastodon serves them: the collection with `totalItems` and a
/// `first` page; numbered pages of actor ids, most recent first. An account that hides its
/// collections shows only the count, and its pages are refused (403).
async fn follow_collection(
    state: AppState,
    username: String,
    query: Option<String>,
    fetch: Fetch,
    side: Side,
) -> Result<Response, AppError> {
    let (requester, a) = match signed_owner(&state, &fetch, &username).await? {
        Ok(found) => found,
        Err(resp) => return Ok(resp),
    };
    let (id, total) = match side {
        Side::Followers => (format!("{}/followers", a.uri), a.followers_count),
        Side::Following => (format!("{}/following", a.uri), a.following_count),
    };
    let params = query_params(query);
    let Some(page) = params.get("page").filter(|p| !p.is_empty()) else {
        let first = (!a.hide_collections).then(|| format!("{id}?page=1"));
        let doc = render::ordered_collection(&id, Some(total), first, None);
        return Ok(signed::for_requester(
            &state,
            &requester,
            activity_json(&render::document(&Context::new(), doc), Cache::Public),
        ));
    };
    if a.hide_collections {
        return Ok(json_error(
            StatusCode::FORBIDDEN,
            "This action is not allowed",
        ));
    }
    // Ruby's `to_i`: leading digits, anything else is page 1.
    let digits: String = page.chars().take_while(char::is_ascii_digit).collect();
    let number = digits
        .parse::<i64>()
        .unwrap_or(1)
        .clamp(1, MAX_FOLLOW_PAGE + 1);
    let mut uris = if number > MAX_FOLLOW_PAGE {
        Vec::new()
    } else {
        let mut h = state.db.read().await?;
        repo::follow_uris(
            h.conn(),
            side,
            a.id,
            (number - 1) * FOLLOW_PAGE,
            FOLLOW_PAGE + 1,
        )
        .await?
    };
    let more = uris.len() as i64 > FOLLOW_PAGE;
    uris.truncate(FOLLOW_PAGE as usize);
    let doc = render::ordered_page(render::Page {
        id: format!("{id}?page={number}"),
        part_of: id.clone(),
        total: Some(total),
        next: more.then(|| format!("{id}?page={}", number + 1)),
        prev: (number > 1).then(|| format!("{id}?page={}", number - 1)),
        items: uris.into_iter().map(Value::from).collect(),
    });
    Ok(signed::for_requester(
        &state,
        &requester,
        activity_json(&render::document(&Context::new(), doc), Cache::Page),
    ))
}

/// `GET /users/:username/collections/featured`: pinned statuses, as Notes when the requester
/// may see them and as bare ids otherwise (Mastodon lists non-public pins by uri).
pub async fn featured(
    State(state): State<AppState>,
    Path(username): Path<String>,
    fetch: Fetch,
) -> Result<Response, AppError> {
    let (requester, a) = match signed_owner(&state, &fetch, &username).await? {
        Ok(found) => found,
        Err(resp) => return Ok(resp),
    };
    let mut h = state.db.read().await?;
    let ids = repo::pinned_ids(h.conn(), a.id).await?;
    let rows = docs::statuses_in_order(h.conn(), &ids).await?;
    let viewer = docs::viewer(h.conn(), &requester, &rows).await?;
    // Mastodon lists nothing for a signer the author blocks.
    let rows = if viewer.is_blocked_by(a.id) {
        Vec::new()
    } else {
        rows
    };
    let (shown, hidden): (Vec<_>, Vec<_>) =
        rows.into_iter().partition(|s| docs::may_see(&viewer, s));
    let hidden: HashMap<i64, String> = hidden.into_iter().map(|s| (s.id, s.uri)).collect();
    let mut notes: HashMap<i64, Box<render::NoteParts>> = docs::documents(h.conn(), shown)
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
        } else if let Some(uri) = hidden.get(id) {
            items.push(Value::from(uri.as_str()));
        }
    }
    let id = format!("{}/collections/featured", a.uri);
    let mut doc = render::ordered_collection(&id, Some(items.len() as i64), None, None);
    doc["orderedItems"] = Value::Array(items);
    Ok(signed::for_requester(
        &state,
        &requester,
        activity_json(&render::document(&ctx, doc), Cache::Public),
    ))
}

/// `GET /users/:username/collections/tags`: featured hashtags (none until they exist).
pub async fn featured_tags(
    State(state): State<AppState>,
    Path(username): Path<String>,
    fetch: Fetch,
) -> Result<Response, AppError> {
    let (requester, a) = match signed_owner(&state, &fetch, &username).await? {
        Ok(found) => found,
        Err(resp) => return Ok(resp),
    };
    let doc = render::collection(&format!("{}/collections/tags", a.uri), 0, Some(Vec::new()));
    Ok(signed::for_requester(
        &state,
        &requester,
        activity_json(&render::document(&Context::new(), doc), Cache::Public),
    ))
}

/// `GET /actor`: the instance actor (always JSON, as Mastodon's `InstanceActorsController`).
pub async fn instance_actor(State(state): State<AppState>) -> Result<Response, AppError> {
    let keys = instance_actor::ensure(&state.db).await?;
    let doc = render::instance_actor(site(&state), &keys.public_key_pem);
    Ok(activity_json(&doc, Cache::Public))
}

/// `GET /actor/outbox`: the instance actor posts nothing. Like every outbox, it needs a
/// signature in authorized-fetch mode (the instance actor itself stays public).
pub async fn instance_actor_outbox(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    fetch: Fetch,
) -> Response {
    let requester = match signed::requester(&state, &fetch, Need::Signature).await {
        Ok(r) => r,
        Err(resp) => return resp,
    };
    let outbox = format!("{}/outbox", site(&state).instance_actor());
    let doc = if truthy(query_params(query).get("page")) {
        render::ordered_page(render::Page {
            id: format!("{outbox}?page=true"),
            part_of: outbox.clone(),
            total: None,
            next: None,
            prev: None,
            items: Vec::new(),
        })
    } else {
        render::ordered_collection(
            &outbox,
            Some(0),
            Some(format!("{outbox}?page=true")),
            Some(format!("{outbox}?min_id=0&page=true")),
        )
    };
    signed::for_requester(
        &state,
        &requester,
        activity_json(&render::document(&Context::new(), doc), Cache::Public),
    )
}
