//! Processing received activities (after the inbox edge verified the signature, checked that
//! the signing key's owner is the activity's `actor` and stored the activity durably).
//!
//! [`process`] runs in a job at `jobs::PRIORITY_FEDERATION`. Each activity kind has its own
//! module; every handler is idempotent (the same activity delivered three times, concurrently
//! or out of order, changes things once) and checks origins: an object is accepted only from
//! its own origin, and only its owner may update or delete it (CVE-2024-23832 class).
//! Unknown activity types are acknowledged and ignored.

pub mod announce;
pub mod block;
pub mod create;
pub mod delete;
pub mod featured;
pub mod flag;
pub mod follow;
pub mod forward;
pub mod like;
pub mod migrate;
pub mod note;
pub mod question;
pub mod relevance;
pub mod undo;
pub mod update;

use serde_json::Value;

use super::resolve::{ResolveError, Resolver};
use super::vocab::{self, id_of, str_prop};
use crate::db::accounts::{self, Account};
use crate::db::inbox as repo;
use crate::state::AppState;
use crate::time::now_ms;

/// One activity being processed.
pub struct Ctx<'a> {
    /// Fetches and stores what the activity refers to.
    pub r: &'a Resolver<'a>,
    /// The actor (whose key signed the delivery).
    pub actor: &'a Account,
    /// The activity.
    pub activity: &'a Value,
    /// The activity's id.
    pub id: &'a str,
    /// Whether another server forwarded the activity (its HTTP signer was not its actor):
    /// then it is acted on only as its origin confirms ([`forward::handle_forwarded`]) and
    /// never forwarded again.
    pub forwarded: bool,
}

impl Ctx<'_> {
    /// The activity's `object`, if any.
    pub fn object(&self) -> Option<&Value> {
        self.activity.get("object")
    }

    /// The id of the activity's `object`.
    pub fn object_id(&self) -> Option<&str> {
        self.object().and_then(id_of)
    }

    /// The server state.
    pub fn state(&self) -> &AppState {
        self.r.state()
    }

    /// The local account whose actor URI is `uri`.
    pub async fn local_account(&self, uri: &str) -> Result<Option<Account>, ResolveError> {
        if !self.r.is_local(uri) {
            return Ok(None);
        }
        let mut h = self.state().db.read().await?;
        Ok(repo::account_by_uri(h.conn(), uri)
            .await?
            .filter(|a| a.is_local() && a.suspended_at.is_none()))
    }
}

/// A refusal: the activity is malformed or not allowed; nothing was stored.
pub fn rejected(reason: &str) -> ResolveError {
    ResolveError::Invalid(reason.to_owned())
}

/// Handles an activity by kind.
pub async fn handle(ctx: &Ctx<'_>) -> Result<(), ResolveError> {
    match vocab::type_of(ctx.activity) {
        "Create" => create::handle(ctx).await,
        "Update" => update::handle(ctx).await,
        "Delete" => delete::handle(ctx).await,
        "Follow" => follow::handle_follow(ctx).await,
        "Accept" => follow::handle_accept(ctx).await,
        "Reject" => follow::handle_reject(ctx).await,
        "Undo" => undo::handle(ctx).await,
        "Like" => like::handle(ctx).await,
        "Announce" => announce::handle(ctx).await,
        "Block" => block::handle(ctx).await,
        "Flag" => flag::handle(ctx).await,
        "Move" => migrate::handle(ctx).await,
        "Add" => featured::handle(ctx, true).await,
        "Remove" => featured::handle(ctx, false).await,
        other => {
            tracing::debug!(kind = other, id = ctx.id, "activity type ignored");
            Ok(())
        }
    }
}

/// Runs the stored activity `received_id` (the inbox job). Permanent failures (a refused or
/// unresolvable activity) are logged and the activity is marked processed; transient ones
/// (a remote server down) are returned so the job is retried.
pub async fn process(state: &AppState, received_id: i64) -> anyhow::Result<()> {
    let row = {
        let mut h = state.db.read().await?;
        repo::activity(h.conn(), received_id).await?
    };
    let Some(row) = row.filter(|r| r.processed_at.is_none()) else {
        return Ok(());
    };
    let activity: Value = serde_json::from_str(&row.payload)?;
    let signer = {
        let mut h = state.db.read().await?;
        accounts::get(h.conn(), row.account_id).await?
    };
    let r = Resolver::new(state)?;
    // Stored under the signer's id: when that is not the actor, another server forwarded it.
    let forwarded = signer
        .as_ref()
        .is_some_and(|s| actor_of(&activity) != Some(s.uri.as_str()));
    let actor = if forwarded {
        match forward::actor_of_forwarded(&r, &activity).await {
            Ok(a) => Some(a),
            Err(e) if e.is_transient() => return Err(e.into()),
            Err(e) => {
                tracing::info!(id = row.activity_uri, error = %e, "forwarded activity's actor not resolved");
                None
            }
        }
    } else {
        signer
    };
    // An activity from a domain blocked after it was received is dropped too.
    let blocked = match actor.as_ref().and_then(|a| a.domain.as_deref()) {
        Some(host) => crate::service::domain_blocks::is_blocked(state, host).await?,
        None => false,
    };
    if let Some(actor) =
        actor.filter(|a| a.suspended_at.is_none() && !blocked && !(forwarded && a.is_local()))
    {
        let ctx = Ctx {
            r: &r,
            actor: &actor,
            activity: &activity,
            id: &row.activity_uri,
            forwarded,
        };
        let handled = if forwarded {
            forward::handle_forwarded(&ctx).await
        } else {
            handle(&ctx).await
        };
        match handled {
            Ok(()) => {}
            Err(e) if e.is_transient() => return Err(e.into()),
            Err(e) => {
                tracing::info!(
                    id = row.activity_uri,
                    kind = vocab::type_of(&activity),
                    error = %e,
                    "activity refused"
                );
            }
        }
    }
    let mut tx = state.db.begin().await?;
    repo::mark_processed(tx.conn(), received_id, now_ms()).await?;
    tx.commit().await?;
    Ok(())
}

/// The `actor` of an activity (a string or an embedded object).
pub fn actor_of(activity: &Value) -> Option<&str> {
    activity.get("actor").and_then(id_of)
}

/// The id a received activity is deduplicated by: its `id`, or for an activity without one,
/// `sha256:` and the hex digest of its body.
pub fn dedup_key(activity: &Value, body: &[u8]) -> String {
    match str_prop(activity, "id") {
        Some(id) if !id.is_empty() => id.to_owned(),
        _ => {
            use sha2::Digest as _;
            format!("sha256:{}", hex::encode(sha2::Sha256::digest(body)))
        }
    }
}
