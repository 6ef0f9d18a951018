//! `Add` / `Remove` on the actor's featured collection: its pinned posts. Only the actor's
//! own collection (as its actor document names it) and its own statuses count.

use super::Ctx;
use crate::db::inbox as repo;
use crate::db::statuses::interactions;
use crate::federation::resolve::ResolveError;
use crate::federation::vocab::id_of;
use crate::id::next_id;
use crate::time::now_ms;

/// Handles an `Add` (`add`) or `Remove`.
pub async fn handle(ctx: &Ctx<'_>, add: bool) -> Result<(), ResolveError> {
    let (Some(target), Some(object_id)) =
        (ctx.activity.get("target").and_then(id_of), ctx.object_id())
    else {
        return Ok(());
    };
    let featured = {
        let mut h = ctx.state().db.read().await?;
        repo::actor_extras(h.conn(), ctx.actor.id)
            .await?
            .and_then(|e| e.featured_url)
    };
    if featured.as_deref() != Some(target) {
        // Featured hashtags and other collections are not kept.
        return Ok(());
    }
    let status = if add {
        ctx.r.status(object_id, 0).await?
    } else {
        let mut h = ctx.state().db.read().await?;
        repo::status_by_uri(h.conn(), object_id).await?
    };
    let Some(status) = status.filter(|s| s.account_id == ctx.actor.id) else {
        return Ok(());
    };
    let mut tx = ctx.state().db.begin().await?;
    if add {
        interactions::insert_pin(tx.conn(), next_id(), ctx.actor.id, status.id, now_ms()).await?;
    } else {
        interactions::delete_pin(tx.conn(), ctx.actor.id, status.id).await?;
    }
    tx.commit().await?;
    Ok(())
}
