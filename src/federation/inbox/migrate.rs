//! `Move`: the actor moved to another account. Accepted only when the actor moves itself
//! and the target (fetched fresh from its origin) lists the actor in `alsoKnownAs`; then
//! local followers follow the target instead (a follow request to it) and stop following the
//! old account.

use super::{Ctx, rejected};
use crate::db::accounts;
use crate::db::follows::FollowOptions;
use crate::db::inbox as repo;
use crate::federation::resolve::{Freshness, ResolveError};
use crate::federation::vocab::id_of;
use crate::service::follows as graph;
use crate::time::now_ms;

/// Handles a `Move`.
pub async fn handle(ctx: &Ctx<'_>) -> Result<(), ResolveError> {
    if ctx.object_id() != Some(ctx.actor.uri.as_str()) {
        return Err(rejected("Move of another account"));
    }
    let Some(target_uri) = ctx.activity.get("target").and_then(id_of) else {
        return Err(rejected("Move without target"));
    };
    if target_uri == ctx.actor.uri {
        return Err(rejected("Move to itself"));
    }
    let target = ctx.r.actor(target_uri, Freshness::Refresh).await?;
    let aliases: Vec<String> = {
        let mut h = ctx.state().db.read().await?;
        repo::actor_extras(h.conn(), target.id)
            .await?
            .and_then(|e| serde_json::from_str(&e.also_known_as).ok())
            .unwrap_or_default()
    };
    if !aliases.iter().any(|a| a == &ctx.actor.uri) {
        return Err(rejected(
            "Move target does not list the origin in alsoKnownAs",
        ));
    }
    let followers = {
        let mut tx = ctx.state().db.begin().await?;
        repo::set_moved_to(tx.conn(), ctx.actor.id, target.id, now_ms()).await?;
        let followers = repo::local_followers(tx.conn(), ctx.actor.id).await?;
        tx.commit().await?;
        followers
    };
    for follower in followers {
        let account = {
            let mut h = ctx.state().db.read().await?;
            accounts::get(h.conn(), follower).await?
        };
        let Some(account) = account else { continue };
        match graph::follow(ctx.state(), &account, target.id, &FollowOptions::default()).await {
            Ok(_) => {}
            Err(e) => tracing::info!(follower, error = %e, "moved follow not created"),
        }
        if let Err(e) = graph::unfollow(ctx.state(), &account, ctx.actor.id).await {
            tracing::info!(follower, error = %e, "old follow not removed");
        }
    }
    Ok(())
}
