//! `Follow` of a local account, and `Accept` / `Reject` of a local account's follow.
//!
//! A follow of an unlocked account is established at once (and answered with an `Accept`);
//! a locked account, or any account followed by an actor a domain block limits, gets a
//! follow request. `Accept`/`Reject` name the Follow embedded or by
//! its id only; only the followed actor's own `Accept` counts (an actor cannot accept
//! someone else's follow).

use serde_json::Value;

use super::{Ctx, rejected};
use crate::db::accounts::{self, Account};
use crate::db::follows::{self, Edge, EdgeSide, FollowRow};
use crate::federation::outbox;
use crate::federation::resolve::ResolveError;
use crate::federation::vocab::{has_type, id_of};
use crate::id::next_id;
use crate::service::federate;
use crate::service::follows as graph;
use crate::service::notify::{self, kind};
use crate::time::now_ms;

/// What became of an incoming follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FollowAnswer {
    /// The follow exists: answer with `Accept`.
    Accepted,
    /// A follow request waits for the account's approval.
    Pending,
    /// Refused (a block between them): answer with `Reject`.
    Rejected,
}

/// Handles a `Follow`.
pub async fn handle_follow(ctx: &Ctx<'_>) -> Result<(), ResolveError> {
    let Some(target) = (match ctx.object_id() {
        Some(uri) => ctx.local_account(uri).await?,
        None => None,
    }) else {
        // Not one of ours (or a relay/collection follow): ignored.
        return Ok(());
    };
    follow(ctx, &target).await?;
    Ok(())
}

async fn follow(ctx: &Ctx<'_>, target: &Account) -> Result<FollowAnswer, ResolveError> {
    let actor = ctx.actor;
    let mut tx = ctx.state().db.begin().await?;
    accounts::lock_rows(tx.conn(), &[actor.id, target.id]).await?;
    if follows::blocked_either_way(tx.conn(), actor.id, target.id).await? {
        outbox::reject_follow(tx.conn(), target.id, actor.id, ctx.id).await?;
        tx.commit().await?;
        ctx.state().wake_workers();
        return Ok(FollowAnswer::Rejected);
    }
    let answer = if follows::get_edge(tx.conn(), Edge::Follow, actor.id, target.id)
        .await?
        .is_some()
    {
        follows::set_edge_uri(tx.conn(), Edge::Follow, actor.id, target.id, ctx.id).await?;
        FollowAnswer::Accepted
    } else if follows::get_edge(tx.conn(), Edge::Request, actor.id, target.id)
        .await?
        .is_some()
    {
        follows::set_edge_uri(tx.conn(), Edge::Request, actor.id, target.id, ctx.id).await?;
        FollowAnswer::Pending
    } else {
        let row = FollowRow {
            id: next_id(),
            account_id: actor.id,
            target_account_id: target.id,
            show_reblogs: true,
            notify: false,
            languages: None,
            created_at: now_ms(),
        };
        // A limited actor (domain block) only ever asks, as a locked account is asked.
        if target.locked || actor.silenced_at.is_some() {
            if follows::insert_edge(tx.conn(), Edge::Request, &row).await? {
                notify::notify(
                    tx.conn(),
                    target.id,
                    actor.id,
                    kind::FOLLOW_REQUEST,
                    None,
                    row.id,
                )
                .await?;
            }
            follows::set_edge_uri(tx.conn(), Edge::Request, actor.id, target.id, ctx.id).await?;
            FollowAnswer::Pending
        } else {
            graph::establish(tx.conn(), &row, false, true).await?;
            follows::set_edge_uri(tx.conn(), Edge::Follow, actor.id, target.id, ctx.id).await?;
            FollowAnswer::Accepted
        }
    };
    if answer == FollowAnswer::Accepted {
        // Answered (again, for a repeated Follow) with an Accept naming this Follow.
        federate::answer_follower(tx.conn(), target.id, actor.id, true).await?;
    }
    tx.commit().await?;
    ctx.state().wake_workers();
    Ok(answer)
}

/// The local account whose follow of the actor an `Accept`/`Reject` answers: the embedded
/// Follow's `actor` (its `object` must be the answering actor), or the Follow found by id.
async fn local_follower(ctx: &Ctx<'_>) -> Result<Option<i64>, ResolveError> {
    let Some(object) = ctx.object() else {
        return Err(rejected("answer without object"));
    };
    if object.is_object() {
        if !has_type(object, "Follow") {
            // Other Accepts (quote authorizations…) are not handled yet.
            return Ok(None);
        }
        if object.get("object").and_then(id_of) != Some(ctx.actor.uri.as_str()) {
            return Err(rejected("answer to a follow of someone else"));
        }
        if let Some(follower) = object.get("actor").and_then(id_of)
            && let Some(local) = ctx.local_account(follower).await?
        {
            return Ok(Some(local.id));
        }
    }
    let Some(follow_id) = id_of(object) else {
        return Ok(None);
    };
    let mut h = ctx.state().db.read().await?;
    for edge in [Edge::Request, Edge::Follow] {
        if let Some(row) =
            follows::edge_by_uri(h.conn(), edge, follow_id, EdgeSide::Target, ctx.actor.id).await?
        {
            if row.target_account_id != ctx.actor.id {
                return Err(rejected("answer to a follow of someone else"));
            }
            return Ok(Some(row.account_id));
        }
    }
    Ok(None)
}

/// Handles an `Accept` of a local account's follow request.
pub async fn handle_accept(ctx: &Ctx<'_>) -> Result<(), ResolveError> {
    let Some(follower) = local_follower(ctx).await? else {
        return Ok(());
    };
    let mut tx = ctx.state().db.begin().await?;
    accounts::lock_rows(tx.conn(), &[follower, ctx.actor.id]).await?;
    graph::authorize_locked(tx.conn(), ctx.actor.id, follower).await?;
    tx.commit().await?;
    Ok(())
}

/// Handles a `Reject` of a local account's follow (or request): it is removed.
pub async fn handle_reject(ctx: &Ctx<'_>) -> Result<(), ResolveError> {
    let Some(follower) = local_follower(ctx).await? else {
        return Ok(());
    };
    let mut tx = ctx.state().db.begin().await?;
    accounts::lock_rows(tx.conn(), &[follower, ctx.actor.id]).await?;
    graph::sever(tx.conn(), follower, ctx.actor.id).await?;
    tx.commit().await?;
    Ok(())
}

/// Whether a JSON object is a Follow of `target` by `actor` (for Undo).
pub fn is_follow_of(object: &Value, actor: &str, target: &str) -> bool {
    has_type(object, "Follow")
        && object.get("actor").and_then(id_of) == Some(actor)
        && object.get("object").and_then(id_of) == Some(target)
}
