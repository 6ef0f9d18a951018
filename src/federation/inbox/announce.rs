//! `Announce`: a boost. The boosted object is taken from the database, or — embedded or named
//! by id — fetched from its own origin (an embedded object is trusted as it is only when the
//! actor boosts its own post from its own host). Only public and unlisted statuses (and the
//! actor's own followers-only ones) may be boosted. A boost that concerns nobody here (see
//! [`relevance::announce_is_related`]) is acknowledged and not stored, before anything is
//! fetched.

use super::{Ctx, note, rejected, relevance};
use crate::db::accounts::{self, Counter};
use crate::db::inbox as repo;
use crate::db::statuses::{self, Status, StatusCounter};
use crate::federation::resolve::ResolveError;
use crate::federation::vocab::{self, id_of, same_origin, str_prop};
use crate::id::{id_at, next_id};
use crate::jobs::{self, Job};
use crate::service::notify::{self, kind};
use crate::service::statuses::counts_for_author;
use crate::time::{now_ms, parse_rfc3339};

/// Handles an `Announce`.
pub async fn handle(ctx: &Ctx<'_>) -> Result<(), ResolveError> {
    let Some(object) = ctx.object() else {
        return Err(rejected("Announce without object"));
    };
    let Some(object_id) = id_of(object) else {
        return Err(rejected("Announce object without id"));
    };
    // The boost is stored under the Announce id: it must be the actor's own.
    if !same_origin(ctx.id, &ctx.actor.uri) {
        return Err(rejected("Announce id not on the actor's host"));
    }
    {
        let mut h = ctx.state().db.read().await?;
        if repo::status_by_uri(h.conn(), ctx.id).await?.is_some() {
            return Ok(());
        }
    }
    if !relevance::announce_is_related(ctx, object_id).await? {
        tracing::debug!(id = ctx.id, "boost unrelated to local accounts: not stored");
        return Ok(());
    }
    let self_boost = object.is_object()
        && same_origin(object_id, &ctx.actor.uri)
        && object.get("attributedTo").and_then(id_of) == Some(ctx.actor.uri.as_str());
    let original = if self_boost {
        note::ingest(ctx.r, object, ctx.actor, 0).await?
    } else {
        ctx.r.status(object_id, 0).await?
    };
    let Some(original) = original else {
        return Ok(());
    };
    let original = match original.reblog_of_id {
        Some(o) => {
            let mut h = ctx.state().db.read().await?;
            match statuses::get(h.conn(), o).await? {
                Some(s) => s,
                None => return Ok(()),
            }
        }
        None => original,
    };
    let allowed = match original.visibility.as_str() {
        "public" | "unlisted" => true,
        "private" => original.account_id == ctx.actor.id,
        _ => false,
    };
    if !allowed {
        return Err(rejected("boost of a status that may not be boosted"));
    }
    store_boost(ctx, &original).await
}

async fn store_boost(ctx: &Ctx<'_>, original: &Status) -> Result<(), ResolveError> {
    let to = vocab::ids(ctx.activity.get("to"));
    let cc = vocab::ids(ctx.activity.get("cc"));
    let visibility = match vocab::visibility(&to, &cc, ctx.actor.followers_url.as_deref()) {
        // A boost addressed to nobody in particular is treated as followers-only.
        "direct" => "private",
        v => v,
    };
    let now = now_ms();
    let created_at = str_prop(ctx.activity, "published")
        .and_then(parse_rfc3339)
        .filter(|t| *t <= now)
        .unwrap_or(now);
    let id = if created_at < now {
        let mut h = ctx.state().db.read().await?;
        repo::free_status_id(h.conn(), id_at(created_at)).await?
    } else {
        next_id()
    };
    let row = Status {
        id,
        uri: ctx.id.to_owned(),
        url: None,
        account_id: ctx.actor.id,
        text: String::new(),
        content: String::new(),
        spoiler_text: String::new(),
        sensitive: false,
        visibility: visibility.to_owned(),
        language: None,
        in_reply_to_id: None,
        in_reply_to_account_id: None,
        reblog_of_id: Some(original.id),
        conversation_id: None,
        application_id: None,
        local: false,
        replies_count: 0,
        reblogs_count: 0,
        favourites_count: 0,
        created_at,
        edited_at: None,
    };
    let mut tx = ctx.state().db.begin().await?;
    statuses::lock(tx.conn(), original.id).await?;
    if statuses::find_reblog(tx.conn(), ctx.actor.id, original.id)
        .await?
        .is_some()
        || !repo::insert_status_if_new(tx.conn(), &row).await?
    {
        return Ok(());
    }
    if counts_for_author(&row.visibility) {
        accounts::bump(tx.conn(), ctx.actor.id, Counter::Statuses, 1).await?;
    }
    statuses::bump(tx.conn(), original.id, StatusCounter::Reblogs, 1).await?;
    if original.local {
        notify::notify(
            tx.conn(),
            original.account_id,
            ctx.actor.id,
            kind::REBLOG,
            Some(original.id),
            id,
        )
        .await?;
    }
    jobs::enqueue(
        tx.conn(),
        &Job::FanOut { status_id: id },
        jobs::PRIORITY_FEDERATION,
    )
    .await?;
    tx.commit().await?;
    ctx.state().wake_workers();
    Ok(())
}
