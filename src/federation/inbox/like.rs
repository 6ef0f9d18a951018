//! `Like`: a favourite of a local status (Misskey's reactions, a `Like` with `content` or
//! `_misskey_reaction`, count as favourites too).

use super::Ctx;
use crate::db::inbox as repo;
use crate::db::statuses::{self, StatusCounter};
use crate::federation::resolve::ResolveError;
use crate::id::next_id;
use crate::service::notify::{self, kind};
use crate::time::now_ms;

/// Handles a `Like`.
pub async fn handle(ctx: &Ctx<'_>) -> Result<(), ResolveError> {
    let Some(object_id) = ctx.object_id() else {
        return Ok(());
    };
    let mut tx = ctx.state().db.begin().await?;
    let Some(status) = repo::status_by_uri(tx.conn(), object_id)
        .await?
        .filter(|s| s.local && s.reblog_of_id.is_none())
    else {
        return Ok(());
    };
    statuses::lock(tx.conn(), status.id).await?;
    let fav_id = next_id();
    if repo::insert_favourite(tx.conn(), fav_id, ctx.actor.id, status.id, ctx.id, now_ms()).await? {
        statuses::bump(tx.conn(), status.id, StatusCounter::Favourites, 1).await?;
        notify::notify(
            tx.conn(),
            status.account_id,
            ctx.actor.id,
            kind::FAVOURITE,
            Some(status.id),
            fav_id,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}
