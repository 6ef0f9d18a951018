//! `Block` of a local account by a remote actor: the block is recorded and follows between
//! them are removed in both directions (the blocked account no longer sees the actor's
//! followers-only posts).

use super::Ctx;
use crate::db::accounts;
use crate::db::follows;
use crate::db::inbox as repo;
use crate::federation::resolve::ResolveError;
use crate::id::next_id;
use crate::service::follows as graph;
use crate::time::now_ms;

/// Handles a `Block`.
pub async fn handle(ctx: &Ctx<'_>) -> Result<(), ResolveError> {
    let Some(target) = (match ctx.object_id() {
        Some(uri) => ctx.local_account(uri).await?,
        None => None,
    }) else {
        return Ok(());
    };
    let actor = ctx.actor.id;
    let mut tx = ctx.state().db.begin().await?;
    accounts::lock_rows(tx.conn(), &[actor, target.id]).await?;
    follows::insert_block(tx.conn(), next_id(), actor, target.id, now_ms()).await?;
    repo::set_block_uri(tx.conn(), actor, target.id, ctx.id).await?;
    graph::sever(tx.conn(), actor, target.id).await?;
    graph::sever(tx.conn(), target.id, actor).await?;
    tx.commit().await?;
    Ok(())
}
