//! `Create`: a new status (Note, Question, or a converted Article/Page/…), or a poll vote.
//!
//! An embedded object is taken as it is only when its `id` is on the actor's host and its
//! `attributedTo` is the actor; an object named by id only is fetched from its origin (and
//! must then be attributed to the actor). Anything else is a forgery and refused. A status
//! that concerns nobody here ([`relevance::create_is_related`]) is acknowledged and not
//! stored.

use serde_json::Value;

use super::{Ctx, forward, note, rejected, relevance};
use crate::federation::resolve::ResolveError;
use crate::federation::vocab::{id_of, same_origin};

/// Handles a `Create`.
pub async fn handle(ctx: &Ctx<'_>) -> Result<(), ResolveError> {
    let Some(object) = ctx.object() else {
        return Err(rejected("Create without object"));
    };
    let Some(object_id) = id_of(object) else {
        return Err(rejected("Create object without id"));
    };
    if object.is_string() {
        let json = ctx.r.fetch(object_id).await?;
        if json.get("attributedTo").and_then(id_of) != Some(ctx.actor.uri.as_str()) {
            return Err(rejected("object not attributed to the actor"));
        }
        return store_if_related(ctx, &json).await;
    }
    if !note::is_status_object(object) {
        return Ok(());
    }
    if object.get("attributedTo").and_then(id_of) != Some(ctx.actor.uri.as_str()) {
        return Err(rejected("object attributed to someone else"));
    }
    if !same_origin(object_id, &ctx.actor.uri) {
        return Err(rejected("object id on another host than its actor"));
    }
    store_if_related(ctx, object).await
}

/// Stores the status `object` (its origin established) unless it concerns nobody here.
async fn store_if_related(ctx: &Ctx<'_>, object: &Value) -> Result<(), ResolveError> {
    if !note::is_status_object(object) {
        return Ok(());
    }
    if !relevance::create_is_related(ctx, object).await? {
        tracing::debug!(
            id = ctx.id,
            "status unrelated to local accounts: not stored"
        );
        return Ok(());
    }
    let forward = forward::forwardable(ctx).then_some(ctx.activity);
    note::ingest_delivered(ctx.r, object, ctx.actor, forward).await?;
    Ok(())
}
