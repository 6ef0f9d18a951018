//! `Undo` of the actor's own `Follow`, `Like`, `Announce` or `Block`, named embedded or by
//! id only. Only what the actor itself did can be undone.

use serde_json::Value;

use super::{Ctx, delete, follow};
use crate::db::accounts;
use crate::db::follows::{self, Edge, EdgeSide};
use crate::db::inbox as repo;
use crate::db::notifications;
use crate::db::statuses::{self, StatusCounter};
use crate::federation::resolve::ResolveError;
use crate::federation::vocab::{id_of, type_of};
use crate::service::follows as graph;
use crate::service::notify::kind;

/// Handles an `Undo`.
pub async fn handle(ctx: &Ctx<'_>) -> Result<(), ResolveError> {
    let Some(object) = ctx.object() else {
        return Ok(());
    };
    let Some(object_id) = id_of(object) else {
        return Ok(());
    };
    if object.is_object()
        && let Some(actor) = object.get("actor").and_then(id_of)
        && actor != ctx.actor.uri
    {
        return Err(super::rejected("Undo of someone else's activity"));
    }
    match (object.is_object(), type_of(object)) {
        (true, "Follow") => undo_follow(ctx, Some(object), object_id).await,
        (true, "Like") => undo_like(ctx, Some(object), object_id).await,
        (true, "Announce") => undo_announce(ctx, object_id).await,
        (true, "Block") => undo_block(ctx, Some(object), object_id).await,
        (true, _) => Ok(()),
        // By id only: whichever of our records carries that activity id.
        (false, _) => {
            undo_follow(ctx, None, object_id).await?;
            undo_like(ctx, None, object_id).await?;
            undo_announce(ctx, object_id).await?;
            undo_block(ctx, None, object_id).await
        }
    }
}

async fn undo_follow(
    ctx: &Ctx<'_>,
    object: Option<&Value>,
    object_id: &str,
) -> Result<(), ResolveError> {
    let target = match object.and_then(|o| o.get("object")).and_then(id_of) {
        Some(uri) => ctx.local_account(uri).await?.map(|a| a.id),
        None => {
            let mut h = ctx.state().db.read().await?;
            let mut found = None;
            for edge in [Edge::Follow, Edge::Request] {
                if let Some(row) = follows::edge_by_uri(
                    h.conn(),
                    edge,
                    object_id,
                    EdgeSide::Follower,
                    ctx.actor.id,
                )
                .await?
                    && row.account_id == ctx.actor.id
                {
                    found = Some(row.target_account_id);
                    break;
                }
            }
            found
        }
    };
    let Some(target) = target else {
        return Ok(());
    };
    if let Some(o) = object
        && !follow::is_follow_of(
            o,
            &ctx.actor.uri,
            o.get("object").and_then(id_of).unwrap_or(""),
        )
    {
        return Ok(());
    }
    let mut tx = ctx.state().db.begin().await?;
    accounts::lock_rows(tx.conn(), &[ctx.actor.id, target]).await?;
    graph::sever(tx.conn(), ctx.actor.id, target).await?;
    tx.commit().await?;
    Ok(())
}

async fn undo_like(
    ctx: &Ctx<'_>,
    object: Option<&Value>,
    object_id: &str,
) -> Result<(), ResolveError> {
    let mut tx = ctx.state().db.begin().await?;
    let mut found = repo::favourite_by_uri(tx.conn(), ctx.actor.id, object_id).await?;
    if found.is_none()
        && let Some(status_uri) = object.and_then(|o| o.get("object")).and_then(id_of)
        && let Some(s) = repo::status_by_uri(tx.conn(), status_uri).await?
        && let Some(fav) =
            statuses::interactions::favourite_id(tx.conn(), ctx.actor.id, s.id).await?
    {
        found = Some((fav, s.id));
    }
    let Some((fav_id, status_id)) = found else {
        return Ok(());
    };
    if statuses::interactions::delete_favourite(tx.conn(), fav_id).await? {
        statuses::bump(tx.conn(), status_id, StatusCounter::Favourites, -1).await?;
        if let Some(s) = statuses::get(tx.conn(), status_id).await? {
            notifications::delete_for_activity(tx.conn(), s.account_id, kind::FAVOURITE, fav_id)
                .await?;
        }
    }
    tx.commit().await?;
    Ok(())
}

async fn undo_announce(ctx: &Ctx<'_>, object_id: &str) -> Result<(), ResolveError> {
    let mut tx = ctx.state().db.begin().await?;
    let Some(boost) = repo::status_by_uri(tx.conn(), object_id)
        .await?
        .filter(|s| s.account_id == ctx.actor.id && s.reblog_of_id.is_some())
    else {
        return Ok(());
    };
    delete::remove_status(tx.conn(), &boost).await?;
    tx.commit().await?;
    Ok(())
}

async fn undo_block(
    ctx: &Ctx<'_>,
    object: Option<&Value>,
    object_id: &str,
) -> Result<(), ResolveError> {
    let target = match object.and_then(|o| o.get("object")).and_then(id_of) {
        Some(uri) => ctx.local_account(uri).await?.map(|a| a.id),
        None => {
            let mut h = ctx.state().db.read().await?;
            repo::block_target_by_uri(h.conn(), ctx.actor.id, object_id).await?
        }
    };
    if let Some(target) = target {
        let mut tx = ctx.state().db.begin().await?;
        follows::delete_block(tx.conn(), ctx.actor.id, target).await?;
        tx.commit().await?;
    }
    Ok(())
}
