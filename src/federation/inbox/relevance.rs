//! Whether a delivered status or boost concerns this server at all (Mastodon's
//! `related_to_local_activity?` of `Create` and `Announce`). Anyone may deliver anything to a
//! shared inbox; what relates to nobody here is acknowledged and not stored, so a stranger
//! cannot fill the database and the federated timeline. Objects fetched on purpose (search,
//! reply chains) do not go through this: they are wanted by definition.

use serde_json::Value;

use super::Ctx;
use crate::db::inbox as repo;
use crate::federation::resolve::ResolveError;
use crate::federation::vocab::{self, id_of, is_public};

/// Audience entries (`to` + `cc`) looked at; more are ignored.
pub const MAX_AUDIENCE: usize = 200;

/// The audience of a status object, as Mastodon's `StatusParser` reads it: the object's
/// `to`/`cc`, or the activity's when the object has none.
pub fn audience(object: &Value, activity: &Value) -> (Vec<String>, Vec<String>) {
    let pick = |key: &str| {
        let own = vocab::ids(object.get(key));
        if own.is_empty() {
            vocab::ids(activity.get(key))
        } else {
            own
        }
    };
    (pick("to"), pick("cc"))
}

/// The `to`/`cc` entries that could name accounts (not the public collection), deduplicated
/// and bounded by [`MAX_AUDIENCE`].
pub fn addressed_uris(to: &[String], cc: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for uri in to.iter().chain(cc) {
        if out.len() >= MAX_AUDIENCE {
            break;
        }
        if !is_public(uri) && !out.contains(uri) {
            out.push(uri.clone());
        }
    }
    out
}

/// Whether a delivered `Create` of the status `object` concerns this server: by visibility,
/// as Mastodon decides it,
/// - public/unlisted: its author is followed by a local account, or it replies to a status
///   of a local account or of an account followed locally, or it addresses local accounts;
/// - followers-only: its author is followed locally, or it addresses local accounts;
/// - direct: it addresses local accounts.
///
/// "Addresses" means a local actor in `to`/`cc` (a `Mention` tag alone does not count, as in
/// Mastodon). The parent is only looked up, never fetched.
pub async fn create_is_related(ctx: &Ctx<'_>, object: &Value) -> Result<bool, ResolveError> {
    let (to, cc) = audience(object, ctx.activity);
    let visibility = vocab::visibility(&to, &cc, ctx.actor.followers_url.as_deref());
    let mut h = ctx.state().db.read().await?;
    let local_uris: Vec<String> = addressed_uris(&to, &cc)
        .into_iter()
        .filter(|u| ctx.r.is_local(u))
        .collect();
    let addresses_local = repo::accounts_among_uris(h.conn(), &local_uris)
        .await?
        .iter()
        .any(|a| a.local);
    if addresses_local || visibility == "direct" {
        return Ok(addresses_local);
    }
    if repo::has_local_followers(h.conn(), ctx.actor.id).await? {
        return Ok(true);
    }
    if visibility == "private" {
        return Ok(false);
    }
    let Some(parent_uri) = object.get("inReplyTo").and_then(id_of) else {
        return Ok(false);
    };
    match repo::status_by_uri(h.conn(), parent_uri).await? {
        Some(parent) if parent.local => Ok(true),
        Some(parent) => Ok(repo::has_local_followers(h.conn(), parent.account_id).await?),
        None => Ok(false),
    }
}

/// Whether a delivered `Announce` of `object_uri` concerns this server: the booster is
/// followed by a local account, or the boosted status is a local one (Mastodon's
/// `Announce#related_to_local_activity?`).
pub async fn announce_is_related(ctx: &Ctx<'_>, object_uri: &str) -> Result<bool, ResolveError> {
    let mut h = ctx.state().db.read().await?;
    if repo::has_local_followers(h.conn(), ctx.actor.id).await? {
        return Ok(true);
    }
    if !ctx.r.is_local(object_uri) {
        return Ok(false);
    }
    Ok(repo::status_by_uri(h.conn(), object_uri)
        .await?
        .is_some_and(|s| s.local))
}
