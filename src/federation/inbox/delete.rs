//! `Delete`: of a status (only by its author) or of the actor itself (the account and all
//! it made are removed, with the counters it touched kept right).

use super::{Ctx, forward, rejected};
use crate::db::accounts::{self, Counter};
use crate::db::inbox as repo;
use crate::db::statuses::{self, Status, StatusCounter};
use crate::db::{Conn, notifications};
use crate::federation::resolve::ResolveError;
use crate::federation::vocab;
use crate::service::follows;
use crate::service::notify::kind;
use crate::service::statuses::{counts_as_reply, counts_for_author};
use crate::time::now_ms;

/// Handles a `Delete`.
pub async fn handle(ctx: &Ctx<'_>) -> Result<(), ResolveError> {
    let Some(object_id) = ctx.object_id() else {
        return Err(rejected("Delete without object"));
    };
    if object_id == ctx.actor.uri {
        return delete_actor(ctx).await;
    }
    let mut tx = ctx.state().db.begin().await?;
    // Serialised with a Create of the same object (`note::ingest` takes the same lock), so
    // that one of the two always sees the other's row.
    repo::lock_object_uri(tx.conn(), object_id).await?;
    // The deletion is remembered for a while when the object is on the actor's own server,
    // so that its Create arriving late (or again) does not bring it back.
    if vocab::same_origin(object_id, &ctx.actor.uri) {
        repo::insert_tombstone(tx.conn(), object_id, ctx.actor.id, now_ms()).await?;
    }
    let Some(s) = repo::status_by_uri(tx.conn(), object_id).await? else {
        // Unknown (or already deleted): only the remembered deletion.
        tx.commit().await?;
        return Ok(());
    };
    if s.account_id != ctx.actor.id {
        return Err(rejected("Delete of someone else's object"));
    }
    statuses::lock(tx.conn(), s.id).await?;
    remove_status(tx.conn(), &s).await?;
    // The Delete of a reply to a local status follows the reply to the local author's
    // followers (Mastodon's `forward_for_reply`).
    if forward::forwardable(ctx)
        && let Some(parent_id) = s.in_reply_to_id
        && let Some(parent) = statuses::get(tx.conn(), parent_id).await?
    {
        forward::to_parent_followers(tx.conn(), ctx.activity, ctx.actor, &parent).await?;
    }
    tx.commit().await?;
    ctx.state().wake_workers();
    Ok(())
}

/// Removes a status (or boost) with its counters: the author's `statuses_count`, the
/// parent's `replies_count`, the boosted status's `reblogs_count` and its `reblog`
/// notification, and the boosters' counts of boosts of it. Feed entries, notifications,
/// favourites and mentions go with the row.
pub async fn remove_status(mut c: Conn<'_>, s: &Status) -> Result<(), sqlx::Error> {
    if counts_for_author(&s.visibility) {
        accounts::bump(c.re(), s.account_id, Counter::Statuses, -1).await?;
    }
    if let Some(parent) = s.in_reply_to_id
        && counts_as_reply(&s.visibility)
    {
        statuses::bump(c.re(), parent, StatusCounter::Replies, -1).await?;
    }
    if let Some(original) = s.reblog_of_id {
        statuses::bump(c.re(), original, StatusCounter::Reblogs, -1).await?;
        if let Some(o) = statuses::get(c.re(), original).await? {
            notifications::delete_for_activity(c.re(), o.account_id, kind::REBLOG, s.id).await?;
        }
    }
    crate::service::live::status_deleted(c.re(), s, false).await?;
    statuses::uncount_boosts_of(c.re(), s.id).await?;
    statuses::delete(c, s.id).await?;
    Ok(())
}

/// The actor deleted itself: its follows are severed (counters kept right), the counters
/// of what it interacted with are decremented, and the account row is deleted with
/// everything that references it.
async fn delete_actor(ctx: &Ctx<'_>) -> Result<(), ResolveError> {
    let actor = ctx.actor.id;
    let mut tx = ctx.state().db.begin().await?;
    let edges = repo::edges_touching(tx.conn(), actor).await?;
    let mut ids: Vec<i64> = edges.iter().flat_map(|(_, a, b)| [*a, *b]).collect();
    ids.push(actor);
    ids.sort_unstable();
    ids.dedup();
    accounts::lock_rows(tx.conn(), &ids).await?;
    for (_, follower, followed) in edges {
        follows::sever(tx.conn(), follower, followed).await?;
    }
    crate::db::suspension::uncount_interactions_of(tx.conn(), actor).await?;
    repo::delete_remote_account(tx.conn(), actor).await?;
    tx.commit().await?;
    Ok(())
}
