//! `Update`: an edit of a status (only by its author, only for an object on the author's
//! host), or a profile update (only of the actor itself).

use super::{Ctx, forward, note, rejected};
use crate::db::inbox as repo;
use crate::federation::resolve::ResolveError;
use crate::federation::vocab::{id_of, same_origin};

/// Handles an `Update`.
pub async fn handle(ctx: &Ctx<'_>) -> Result<(), ResolveError> {
    let Some(object) = ctx.object().filter(|o| o.is_object()) else {
        return Err(rejected("Update without an embedded object"));
    };
    let Some(object_id) = id_of(object) else {
        return Err(rejected("Update object without id"));
    };
    if object_id == ctx.actor.uri {
        // A profile update, signed by the actor itself: the document is authoritative.
        ctx.r.store_actor_document(object, None, None).await?;
        return Ok(());
    }
    if !note::is_status_object(object) {
        return Ok(());
    }
    if !same_origin(object_id, &ctx.actor.uri)
        || object.get("attributedTo").and_then(id_of) != Some(ctx.actor.uri.as_str())
    {
        return Err(rejected("Update of an object the actor does not own"));
    }
    let existing = {
        let mut h = ctx.state().db.read().await?;
        repo::status_by_uri(h.conn(), object_id).await?
    };
    match existing {
        Some(s) if s.account_id == ctx.actor.id && s.reblog_of_id.is_none() => {
            let forward = forward::forwardable(ctx).then_some((ctx.activity, ctx.actor));
            note::update(ctx.r, object, &s, forward).await
        }
        Some(_) => Err(rejected("Update of someone else's status")),
        // An edit of a status never seen: nothing to update (Mastodon does the same).
        None => Ok(()),
    }
}
