//! `Flag`: another server reports local accounts or statuses (Mastodon sends it from its
//! instance actor; `object` lists the account and the statuses, `content` is the comment).
//! Stored as a report about the first local account named (or the author of the first
//! local status), unless a domain block of the sender's domain rejects its reports.

use super::Ctx;
use crate::db::inbox::{self as repo, NewReport};
use crate::federation::resolve::ResolveError;
use crate::federation::vocab::{self, str_prop, truncate};
use crate::id::next_id;
use crate::time::now_ms;

/// Objects of one Flag looked at.
const MAX_OBJECTS: usize = 100;

/// Handles a `Flag`.
pub async fn handle(ctx: &Ctx<'_>) -> Result<(), ResolveError> {
    // Reports from a domain whose block rejects them are ignored (Mastodon's
    // `reject_reports`).
    if let Some(domain) = ctx.actor.domain.as_deref()
        && crate::service::domain_blocks::policy(ctx.state(), domain)
            .await?
            .reject_reports
    {
        return Ok(());
    }
    let objects: Vec<String> = vocab::ids(ctx.object())
        .into_iter()
        .take(MAX_OBJECTS)
        .collect();
    let mut target = None;
    let mut status_ids: Vec<String> = Vec::new();
    {
        let mut h = ctx.state().db.read().await?;
        for uri in &objects {
            if !ctx.r.is_local(uri) {
                continue;
            }
            if let Some(a) = repo::account_by_uri(h.conn(), uri).await?
                && a.is_local()
            {
                target.get_or_insert(a.id);
            } else if let Some(s) = repo::status_by_uri(h.conn(), uri).await?
                && s.local
            {
                target.get_or_insert(s.account_id);
                if target == Some(s.account_id) {
                    status_ids.push(s.id.to_string());
                }
            }
        }
    }
    let Some(target) = target else {
        return Ok(());
    };
    let comment = truncate(str_prop(ctx.activity, "content").unwrap_or_default(), 5_000);
    let status_ids = serde_json::to_string(&status_ids).expect("strings serialize");
    let mut tx = ctx.state().db.begin().await?;
    repo::insert_report(
        tx.conn(),
        &NewReport {
            id: next_id(),
            account_id: ctx.actor.id,
            target_account_id: target,
            status_ids: &status_ids,
            comment: &comment,
            uri: ctx.id,
            created_at: now_ms(),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
