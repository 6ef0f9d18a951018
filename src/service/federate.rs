//! What each local action sends to other servers, and to whom, as Mastodon does. Every
//! function runs inside the action's transaction and queues through
//! [`crate::federation::outbox`]; when no remote account is concerned nothing is rendered
//! and nothing is written. The caller wakes the workers after committing.
//!
//! Audiences (Mastodon's `StatusReachFinder` and the services that call it):
//! - a status (Create, Update): its author's followers unless direct, the mentioned accounts,
//!   and the author of the status it replies to unless direct;
//! - a deleted status: the same, plus the accounts that boosted it;
//! - a boost (Announce, Undo): the booster's followers and the boosted status's author;
//! - Like / Undo(Like): the status's author; Follow, Undo(Follow), Block, Undo(Block),
//!   Accept, Reject: the other account;
//! - pins (Add/Remove) and profile updates (Update(Person)): the followers.

use crate::config::Config;
use crate::db::Conn;
use crate::db::accounts::{self, Account};
use crate::db::deliveries as repo;
use crate::db::follows::{self, Edge};
use crate::db::polls::{self, Poll};
use crate::db::statuses::{self, Status};
use crate::federation::outbox::{self, Recipients};
use crate::federation::render::{self, Site};
use crate::service::federation::{self as documents, StatusDocument};

/// The [`Site`] of this server.
pub fn site<'a>(config: &'a Config, domain: &'a str) -> Site<'a> {
    Site {
        url: &config.url,
        domain,
        media_url: &config.media_base_url,
    }
}

/// Who hears about status `s` (by id, see the module documentation).
async fn status_audience(
    mut c: Conn<'_>,
    s: &Status,
    with_silent_mentions: bool,
) -> Result<Recipients, sqlx::Error> {
    let direct = s.visibility == "direct";
    let mut to = if direct {
        Recipients::default()
    } else {
        Recipients::followers()
    };
    let mentions = statuses::mention_records(c.re(), s.id).await?;
    to = to.and_accounts(
        mentions
            .iter()
            .filter(|m| with_silent_mentions || !m.silent)
            .map(|m| m.account_id),
    );
    if !direct && let Some(parent_author) = s.in_reply_to_account_id {
        to = to.and_accounts([parent_author]);
    }
    Ok(to)
}

/// A new local status (not a boost): `Create(Note)`.
pub async fn status_created(
    c: Conn<'_>,
    site: Site<'_>,
    status_id: i64,
) -> Result<(), sqlx::Error> {
    note_activity(c, site, status_id, false, render::create_document).await
}

/// An edited local status: `Update(Note)`, also to accounts no longer mentioned.
pub async fn status_updated(
    c: Conn<'_>,
    site: Site<'_>,
    status_id: i64,
) -> Result<(), sqlx::Error> {
    note_activity(c, site, status_id, true, render::update_note).await
}

/// Renders `status_id`'s Note into an activity with `render` and queues it for the remote
/// part of its audience (`with_unmentioned`: also accounts an edit stopped mentioning).
async fn note_activity(
    mut c: Conn<'_>,
    site: Site<'_>,
    status_id: i64,
    with_unmentioned: bool,
    render: fn(Site<'_>, &render::NoteParts) -> serde_json::Value,
) -> Result<(), sqlx::Error> {
    let Some(s) = statuses::get(c.re(), status_id).await? else {
        return Ok(());
    };
    let audience = status_audience(c.re(), &s, with_unmentioned).await?;
    let Some(to) = outbox::remote_recipients(c.re(), s.account_id, &audience).await? else {
        return Ok(());
    };
    let sender = s.account_id;
    if let Some(StatusDocument::Note(p)) = documents::documents(c.re(), vec![s]).await?.pop() {
        let activity = render(site, &p);
        outbox::enqueue_resolved(c, sender, &activity, &to).await?;
    }
    Ok(())
}

/// A local poll's tallies changed (a vote, its end): `Update(Question)` to the status's
/// audience and the poll's remote voters.
pub async fn poll_updated(
    mut c: Conn<'_>,
    site: Site<'_>,
    status_id: i64,
) -> Result<(), sqlx::Error> {
    let Some(s) = statuses::get(c.re(), status_id).await? else {
        return Ok(());
    };
    let Some(poll) = polls::of_status(c.re(), status_id).await? else {
        return Ok(());
    };
    let audience = status_audience(c.re(), &s, false)
        .await?
        .and_accounts(polls::remote_voters(c.re(), poll.id).await?);
    let Some(to) = outbox::remote_recipients(c.re(), s.account_id, &audience).await? else {
        return Ok(());
    };
    let sender = s.account_id;
    if let Some(StatusDocument::Note(p)) = documents::documents(c.re(), vec![s]).await?.pop() {
        let activity = render::update_poll(site, &p, crate::id::next_id());
        outbox::enqueue_resolved(c, sender, &activity, &to).await?;
    }
    Ok(())
}

/// A local account's votes in a remote poll: one `Create(Note{name})` per choice to the
/// poll's author. `votes` are (vote uri, option title).
pub async fn poll_votes(
    mut c: Conn<'_>,
    voter: &Account,
    poll: &Poll,
    votes: &[(String, String)],
) -> Result<(), sqlx::Error> {
    let audience = Recipients::accounts([poll.account_id]);
    let Some(to) = outbox::remote_recipients(c.re(), voter.id, &audience).await? else {
        return Ok(());
    };
    let (Some(status), Some(author)) = (
        statuses::get(c.re(), poll.status_id).await?,
        accounts::get(c.re(), poll.account_id).await?,
    ) else {
        return Ok(());
    };
    for (uri, title) in votes {
        let activity = render::poll_vote(&voter.uri, uri, &status.uri, &author.uri, title);
        outbox::enqueue_resolved(c.re(), voter.id, &activity, &to).await?;
    }
    Ok(())
}

/// A local status about to be deleted (call before its rows go): `Delete(Tombstone)` for
/// a post, `Undo(Announce)` for a boost.
pub async fn status_deleted(mut c: Conn<'_>, s: &Status) -> Result<(), sqlx::Error> {
    if s.reblog_of_id.is_some() {
        return boost_removed(c, s).await;
    }
    let mut audience = status_audience(c.re(), s, true).await?;
    audience = audience.and_accounts(repo::remote_boosters(c.re(), s.id).await?);
    let Some(to) = outbox::remote_recipients(c.re(), s.account_id, &audience).await? else {
        return Ok(());
    };
    let Some(author) = accounts::get(c.re(), s.account_id).await? else {
        return Ok(());
    };
    let activity = render::delete_status(&author.uri, &s.uri);
    outbox::enqueue_resolved(c, s.account_id, &activity, &to).await?;
    Ok(())
}

/// Who hears about a boost, and the boost's Announce parts.
async fn boost_parts(
    mut c: Conn<'_>,
    boost: &Status,
) -> Result<Option<(Recipients, Box<render::BoostParts>)>, sqlx::Error> {
    let Some(original) = boost.reblog_of_id else {
        return Ok(None);
    };
    let Some(orig) = statuses::get(c.re(), original).await? else {
        return Ok(None);
    };
    let audience = Recipients::followers().and_accounts([orig.account_id]);
    let Some(to) = outbox::remote_recipients(c.re(), boost.account_id, &audience).await? else {
        return Ok(None);
    };
    match documents::documents(c, vec![boost.clone()]).await?.pop() {
        Some(StatusDocument::Boost(p)) => Ok(Some((to, p))),
        _ => Ok(None),
    }
}

/// A new boost: `Announce`.
pub async fn boosted(mut c: Conn<'_>, boost_id: i64) -> Result<(), sqlx::Error> {
    let Some(boost) = statuses::get(c.re(), boost_id).await? else {
        return Ok(());
    };
    if let Some((to, p)) = boost_parts(c.re(), &boost).await? {
        outbox::enqueue_resolved(c, boost.account_id, &render::announce_document(&p), &to).await?;
    }
    Ok(())
}

/// A boost about to be removed (call before deleting it): `Undo(Announce)`.
pub async fn boost_removed(mut c: Conn<'_>, boost: &Status) -> Result<(), sqlx::Error> {
    if let Some((to, p)) = boost_parts(c.re(), boost).await? {
        outbox::enqueue_resolved(c, boost.account_id, &render::undo_announce(&p), &to).await?;
    }
    Ok(())
}

/// Loads `actor` and `other` when `actor` is local and `other` remote (the only case in
/// which an activity between two accounts leaves this server).
async fn local_and_remote(
    c: Conn<'_>,
    actor: i64,
    other: i64,
) -> Result<Option<(Account, Account)>, sqlx::Error> {
    let rows = accounts::get_many(c, &[actor, other]).await?;
    let a = rows.iter().find(|a| a.id == actor).cloned();
    let o = rows.iter().find(|a| a.id == other).cloned();
    Ok(match (a, o) {
        (Some(a), Some(o)) if a.is_local() && !o.is_local() => Some((a, o)),
        _ => None,
    })
}

/// `account_id` favourited `status` (favourite row `favourite_id`): `Like`, or `Undo(Like)`
/// when `undo`, to the status's author.
pub async fn favourite(
    mut c: Conn<'_>,
    account_id: i64,
    favourite_id: i64,
    status: &Status,
    undo: bool,
) -> Result<(), sqlx::Error> {
    let Some((actor, author)) = local_and_remote(c.re(), account_id, status.account_id).await?
    else {
        return Ok(());
    };
    let like = render::like(&actor.uri, favourite_id, &status.uri);
    let activity = if undo {
        let id = format!("{}#likes/{favourite_id}/undo", actor.uri);
        render::undo(&id, &actor.uri, like, None)
    } else {
        like
    };
    outbox::enqueue(c, actor.id, &activity, &Recipients::accounts([author.id])).await?;
    Ok(())
}

/// `account_id` pinned (or unpinned) its status `status`: `Add` (`Remove`) to its followers.
pub async fn pin(
    mut c: Conn<'_>,
    account_id: i64,
    status: &Status,
    pinned: bool,
) -> Result<(), sqlx::Error> {
    let Some(to) = outbox::remote_recipients(c.re(), account_id, &Recipients::followers()).await?
    else {
        return Ok(());
    };
    let Some(actor) = accounts::get(c.re(), account_id).await? else {
        return Ok(());
    };
    let activity = render::pin(&actor.uri, &status.uri, pinned);
    outbox::enqueue_resolved(c, account_id, &activity, &to).await?;
    Ok(())
}

/// Local `follower` asked to follow remote `target` (the new request's row id): `Follow`,
/// whose id (`{actor}#follows/{id}`) is stored on the request so that the answer can be
/// matched to it.
pub async fn follow_requested(
    mut c: Conn<'_>,
    follower: i64,
    target: i64,
) -> Result<(), sqlx::Error> {
    let Some((actor, other)) = local_and_remote(c.re(), follower, target).await? else {
        return Ok(());
    };
    let Some((row_id, _)) = follows::edge_uri(c.re(), Edge::Request, follower, target).await?
    else {
        return Ok(());
    };
    let id = render::follow_id(&actor.uri, row_id);
    follows::set_edge_uri(c.re(), Edge::Request, follower, target, &id).await?;
    let activity = render::follow(&id, &actor.uri, &other.uri);
    outbox::enqueue(c, actor.id, &activity, &Recipients::accounts([other.id])).await?;
    Ok(())
}

/// The Follow `follower` → `target` as stored (follow first, then request): its activity id
/// (or one derived from the row) and the row id. `None` when there is neither.
async fn follow_activity_id(
    mut c: Conn<'_>,
    follower: &Account,
    target: i64,
) -> Result<Option<(String, i64)>, sqlx::Error> {
    for table in [Edge::Follow, Edge::Request] {
        if let Some((row_id, uri)) = follows::edge_uri(c.re(), table, follower.id, target).await? {
            let id = uri.unwrap_or_else(|| render::follow_id(&follower.uri, row_id));
            return Ok(Some((id, row_id)));
        }
    }
    Ok(None)
}

/// Local `follower` is about to stop following (or withdraw its request to) remote `target`
/// (call before the rows go): `Undo(Follow)`.
pub async fn unfollow(mut c: Conn<'_>, follower: i64, target: i64) -> Result<(), sqlx::Error> {
    let Some((actor, other)) = local_and_remote(c.re(), follower, target).await? else {
        return Ok(());
    };
    let Some((follow_id, row_id)) = follow_activity_id(c.re(), &actor, other.id).await? else {
        return Ok(());
    };
    let follow = render::follow(&follow_id, &actor.uri, &other.uri);
    let id = format!("{}#follows/{row_id}/undo", actor.uri);
    let activity = render::undo(&id, &actor.uri, follow, None);
    outbox::enqueue(c, actor.id, &activity, &Recipients::accounts([other.id])).await?;
    Ok(())
}

/// Local `owner` accepts (`accept`) or refuses remote `follower`'s follow or request (call
/// before the rows change): `Accept(Follow)` or `Reject(Follow)` naming the remote Follow.
/// Refusing an established follow is how a follower is removed.
pub async fn answer_follower(
    mut c: Conn<'_>,
    owner: i64,
    follower: i64,
    accept: bool,
) -> Result<(), sqlx::Error> {
    let Some((_, remote)) = local_and_remote(c.re(), owner, follower).await? else {
        return Ok(());
    };
    let Some((follow_id, _)) = follow_activity_id(c.re(), &remote, owner).await? else {
        return Ok(());
    };
    if accept {
        outbox::accept_follow(c, owner, follower, &follow_id).await?;
    } else {
        outbox::reject_follow(c, owner, follower, &follow_id).await?;
    }
    Ok(())
}

/// Local `actor` blocked remote `target` (block row `block_id`): `Block`; or unblocked
/// (`undo`, call before the row goes): `Undo(Block)`.
pub async fn block(
    mut c: Conn<'_>,
    actor: i64,
    target: i64,
    block_id: i64,
    undo: bool,
) -> Result<(), sqlx::Error> {
    let Some((a, t)) = local_and_remote(c.re(), actor, target).await? else {
        return Ok(());
    };
    let block = render::block(&a.uri, block_id, &t.uri);
    let activity = if undo {
        let id = format!("{}#blocks/{block_id}/undo", a.uri);
        render::undo(&id, &a.uri, block, None)
    } else {
        block
    };
    outbox::enqueue(c, a.id, &activity, &Recipients::accounts([t.id])).await?;
    Ok(())
}

/// Local `account_id` changed its profile: `Update(Person)` to its followers.
pub async fn profile_updated(
    mut c: Conn<'_>,
    site: Site<'_>,
    account_id: i64,
) -> Result<(), sqlx::Error> {
    let Some(to) = outbox::remote_recipients(c.re(), account_id, &Recipients::followers()).await?
    else {
        return Ok(());
    };
    let Some(a) = accounts::get(c.re(), account_id).await? else {
        return Ok(());
    };
    let moved_to = documents::moved_to_uri(c.re(), &a).await?;
    let doc = render::actor(site, &a, moved_to.as_deref(), &documents::bio_tags(&a));
    let activity = render::update_actor(doc, a.updated_at);
    outbox::enqueue_resolved(c, account_id, &activity, &to).await?;
    Ok(())
}
