//! The instance actor (`{url}/actor`): the server's own ActivityPub identity, used to sign
//! fetches that no user asked for, and resolvable as `acct:{domain}@{domain}`.
//!
//! Its key pair lives in the one-row `instance_actor` table rather than in `accounts` (as
//! Mastodon's `Account.representative` does), so it can never leak into account lists,
//! searches, counts or mentions. [`ensure`] creates it once: `serve` and `migrate` call it
//! after migrating, and whoever needs the keys calls it too (servers started another way).

use anyhow::Context;

use crate::crypto;
use crate::db::Db;
use crate::db::federation::{self as repo, InstanceActorKeys};
use crate::time::now_ms;

/// The instance actor's key pair, creating it if this database has none yet. Safe to call
/// concurrently: the first stored pair wins and every caller gets it.
pub async fn ensure(db: &Db) -> anyhow::Result<InstanceActorKeys> {
    {
        let mut h = db.read().await?;
        if let Some(keys) = repo::instance_actor(h.conn()).await? {
            return Ok(keys);
        }
    }
    let (private, public) = tokio::task::spawn_blocking(crypto::generate_rsa_keypair)
        .await
        .context("key generation task")??;
    let mut tx = db.begin().await?;
    repo::insert_instance_actor(tx.conn(), &public, &private, now_ms()).await?;
    let keys = repo::instance_actor(tx.conn())
        .await?
        .context("instance actor row missing after insert")?;
    tx.commit().await?;
    Ok(keys)
}
