//! Inbox forwarding of replies, as Mastodon does it (`forward_for_reply` of `Create` and
//! `Delete`, then `ActivityPub::RawDistributionWorker`): when a remote reply to a local
//! status arrives (or its Delete, or its Update), the activity, as received, is sent on to
//! the local author's followers, whose servers may not know the replier. It goes through
//! the durable delivery queue ([`outbox::enqueue`]) in the transaction that stored the
//! change, signed (HTTP) by the local author; the replier's own inbox is left out.
//!
//! Only an activity that came straight from its author (HTTP-signed by its actor, not itself
//! forwarded to us: no loops) and that carries the author's own `signature` block (a Linked
//! Data signature, which receivers such as Mastodon check since our HTTP signature is not the
//! author's) is forwarded, as in Mastodon. A Create or Update is forwarded only when the
//! reply is public or unlisted, or addressed to the local author's followers collection; a
//! Delete of a reply whenever the reply was here.
//!
//! Receiving: an activity whose HTTP signer is not its actor and that carries a `signature`
//! block is taken as forwarded (`activitypub::inbox`), and is never trusted as it is:
//! [`handle_forwarded`] fetches the object from its origin and acts on what the origin says.

use serde_json::{Value, json};

use super::{Ctx, handle, rejected};
use crate::db::Conn;
use crate::db::accounts::Account;
use crate::db::statuses::Status;
use crate::federation::client::FetchError;
use crate::federation::outbox::{self, Recipients};
use crate::federation::render::followers_of;
use crate::federation::resolve::{Freshness, ResolveError};
use crate::federation::vocab::{self, id_of, same_origin, str_prop};

/// Activity types taken (and sent on) as forwarded.
pub const FORWARDED_TYPES: [&str; 3] = ["Create", "Update", "Delete"];

/// Whether the activity carries its author's own signature block (a Linked Data signature).
pub fn has_author_signature(activity: &Value) -> bool {
    activity.get("signature").is_some_and(Value::is_object)
}

/// Whether `activity`, being processed in `ctx`, may be sent on: it came straight from its
/// author and carries the author's signature.
pub fn forwardable(ctx: &Ctx<'_>) -> bool {
    !ctx.forwarded && has_author_signature(ctx.activity)
}

/// Whether a Create or Update of a reply with audience `to`/`cc` may be forwarded to the
/// followers of `parent_author`: public or unlisted, or addressed to those followers.
pub fn audience_allows(
    visibility: &str,
    to: &[String],
    cc: &[String],
    parent_author: &Account,
) -> bool {
    let followers = followers_of(parent_author);
    matches!(visibility, "public" | "unlisted") || to.iter().chain(cc).any(|u| *u == followers)
}

/// Queues `activity` (by `replier`) for the followers of the local author of `parent`,
/// inside the caller's transaction. Nothing when `parent` is not local.
pub async fn to_parent_followers(
    c: Conn<'_>,
    activity: &Value,
    replier: &Account,
    parent: &Status,
) -> Result<(), sqlx::Error> {
    if !parent.local {
        return Ok(());
    }
    let exclude = replier
        .shared_inbox_url
        .clone()
        .or_else(|| replier.inbox_url.clone());
    let to = Recipients::followers().excluding(exclude);
    outbox::enqueue(c, parent.account_id, activity, &to).await?;
    Ok(())
}

/// Processes an activity that `forwarder` sent on for its actor: the actor is resolved, the
/// object fetched from its origin, and the activity handled as if it carried what the
/// origin answered — a Create or Update with the fetched object, a Delete only when the
/// origin says the object is gone. Nothing of the forwarded copy itself is trusted.
pub async fn handle_forwarded(ctx: &Ctx<'_>) -> Result<(), ResolveError> {
    let kind = vocab::type_of(ctx.activity);
    if !FORWARDED_TYPES.contains(&kind) {
        return Err(rejected("forwarded activity of a type not accepted so"));
    }
    let Some(object_id) = ctx.object_id() else {
        return Err(rejected("forwarded activity without object"));
    };
    if !same_origin(object_id, &ctx.actor.uri) || !same_origin(ctx.id, &ctx.actor.uri) {
        return Err(rejected("forwarded object not on its actor's host"));
    }
    let fetched = match ctx.r.fetch(object_id).await {
        Ok(doc) => Some(doc),
        Err(ResolveError::Fetch(FetchError::Status(s))) if matches!(s.as_u16(), 404 | 410) => None,
        Err(e) => return Err(e),
    };
    let object = match (kind, fetched) {
        ("Delete", None) => json!({"id": object_id, "type": "Tombstone"}),
        ("Delete", Some(doc)) if vocab::has_type(&doc, "Tombstone") => doc,
        ("Delete", Some(_)) => return Err(rejected("forwarded Delete of an object that exists")),
        (_, None) => return Ok(()),
        (_, Some(doc)) => doc,
    };
    if kind != "Delete"
        && (str_prop(&object, "id") != Some(object_id)
            || object.get("attributedTo").and_then(id_of) != Some(ctx.actor.uri.as_str()))
    {
        return Err(rejected("forwarded object not attributed to the actor"));
    }
    let mut verified = ctx.activity.clone();
    verified["object"] = object;
    handle(&Ctx {
        activity: &verified,
        ..*ctx
    })
    .await
}

/// The actor of a forwarded activity, resolved (fetched when unknown).
pub async fn actor_of_forwarded(
    r: &crate::federation::resolve::Resolver<'_>,
    activity: &Value,
) -> Result<Account, ResolveError> {
    let Some(uri) = super::actor_of(activity) else {
        return Err(rejected("forwarded activity without actor"));
    };
    r.actor(uri, Freshness::Cached).await
}
