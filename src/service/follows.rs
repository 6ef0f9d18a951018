//! Following: follow, unfollow, follow requests (approve, reject), removing a follower.
//!
//! Every action is one transaction that keeps `followers_count` / `following_count` exact
//! (counters move only when a row was really inserted or deleted, so retries and races are
//! harmless), creates or removes the matching notifications and updates home feeds. The
//! two accounts' rows are locked first, so a follow and a block between the same accounts
//! never interleave (a follow cannot slip past a block being committed).

use crate::db::accounts::{self, Account, Counter};
use crate::db::follows::{self, Edge, FollowOptions, FollowRow};
use crate::db::{Conn, notifications, timelines};
use crate::error::{AppError, AppResult};
use crate::id::next_id;
use crate::service::federate;
use crate::service::notify::{self, kind};
use crate::state::AppState;
use crate::time::now_ms;

/// How many of a newly followed account's latest statuses are copied into the home feed.
pub const MERGE_ON_FOLLOW: i64 = 400;

/// What happened to a follow request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FollowOutcome {
    /// The follow exists (new or updated).
    Following,
    /// A follow request waits for the target's approval (new or updated).
    Requested,
}

/// Loads an account that may be acted upon; unknown and suspended accounts are 404.
pub async fn load_target(c: Conn<'_>, id: i64) -> AppResult<Account> {
    match accounts::get(c, id).await? {
        Some(a) if a.suspended_at.is_none() => Ok(a),
        _ => Err(AppError::NotFound),
    }
}

/// `viewer` follows `target_id` (or asks to, when the target is locked or remote).
/// Repeating the call updates the options that were given (`reblogs`, `notify`,
/// `languages`) on the existing follow or pending request.
pub async fn follow(
    state: &AppState,
    viewer: &Account,
    target_id: i64,
    opts: &FollowOptions,
) -> AppResult<FollowOutcome> {
    let mut tx = state.db.begin().await?;
    accounts::lock_rows(tx.conn(), &[viewer.id, target_id]).await?;
    let target = load_target(tx.conn(), target_id).await?;
    if target.id == viewer.id {
        return Err(AppError::Forbidden("You cannot follow yourself".into()));
    }
    if follows::blocked_either_way(tx.conn(), viewer.id, target.id).await? {
        return Err(AppError::Forbidden("This action is not allowed".into()));
    }
    if target.moved_to_account_id.is_some() {
        return Err(AppError::Forbidden(
            "This account has moved and cannot be followed".into(),
        ));
    }
    let outcome = if follows::get_edge(tx.conn(), Edge::Follow, viewer.id, target.id)
        .await?
        .is_some()
    {
        follows::update_edge_options(tx.conn(), Edge::Follow, viewer.id, target.id, opts).await?;
        FollowOutcome::Following
    } else if follows::get_edge(tx.conn(), Edge::Request, viewer.id, target.id)
        .await?
        .is_some()
    {
        follows::update_edge_options(tx.conn(), Edge::Request, viewer.id, target.id, opts).await?;
        FollowOutcome::Requested
    } else {
        let row = FollowRow {
            id: next_id(),
            account_id: viewer.id,
            target_account_id: target.id,
            show_reblogs: opts.reblogs.unwrap_or(true),
            notify: opts.notify.unwrap_or(false),
            languages: opts.languages.clone().flatten(),
            created_at: now_ms(),
        };
        // Remote accounts always approve through their server (an Accept), as in Mastodon.
        if target.locked || !target.is_local() {
            if follows::insert_edge(tx.conn(), Edge::Request, &row).await? {
                federate::follow_requested(tx.conn(), viewer.id, target.id).await?;
                if target.is_local() {
                    notify::notify(
                        tx.conn(),
                        target.id,
                        viewer.id,
                        kind::FOLLOW_REQUEST,
                        None,
                        row.id,
                    )
                    .await?;
                }
            } else {
                follows::update_edge_options(tx.conn(), Edge::Request, viewer.id, target.id, opts)
                    .await?;
            }
            FollowOutcome::Requested
        } else {
            establish(tx.conn(), &row, true, true).await?;
            FollowOutcome::Following
        }
    };
    tx.commit().await?;
    state.wake_workers();
    Ok(outcome)
}

/// Inserts a follow with its side effects (counters, `follow` notification when
/// `notify_target` — the target is local —, and the follower's home feed when `merge_feed`).
/// Returns whether it was new.
pub(crate) async fn establish(
    mut c: Conn<'_>,
    row: &FollowRow,
    merge_feed: bool,
    notify_target: bool,
) -> Result<bool, sqlx::Error> {
    if !follows::insert_edge(c.re(), Edge::Follow, row).await? {
        return Ok(false);
    }
    bump_pair(c.re(), row.account_id, row.target_account_id, 1).await?;
    if notify_target {
        notify::notify(
            c.re(),
            row.target_account_id,
            row.account_id,
            kind::FOLLOW,
            None,
            row.id,
        )
        .await?;
    }
    if merge_feed {
        timelines::merge_author_into_home(
            c,
            row.account_id,
            row.target_account_id,
            MERGE_ON_FOLLOW,
        )
        .await?;
    }
    Ok(true)
}

/// Moves `follower`'s following count and `followed`'s followers count by `delta`, lower
/// account id first (the order [`accounts::lock_rows`] uses).
async fn bump_pair(
    mut c: Conn<'_>,
    follower: i64,
    followed: i64,
    delta: i64,
) -> Result<(), sqlx::Error> {
    let mut updates = [
        (follower, Counter::Following),
        (followed, Counter::Followers),
    ];
    updates.sort_by_key(|(id, _)| *id);
    for (id, counter) in updates {
        accounts::bump(c.re(), id, counter, delta).await?;
    }
    Ok(())
}

/// Removes the follow `follower` → `followed` and any pending request between them in that
/// direction, with counters, notifications, `follower`'s home feed, `follower`'s lists
/// (`followed` leaves them) and endorsement of `followed`. Returns whether a follow existed.
pub async fn sever(mut c: Conn<'_>, follower: i64, followed: i64) -> Result<bool, sqlx::Error> {
    let removed = follows::delete_edge(c.re(), Edge::Follow, follower, followed).await?;
    if let Some(id) = removed {
        bump_pair(c.re(), follower, followed, -1).await?;
        timelines::remove_author_from_home(c.re(), follower, followed).await?;
        crate::service::lists::forget_member(c.re(), follower, followed).await?;
        crate::db::endorsements::remove(c.re(), follower, followed).await?;
        notifications::delete_for_activity(c.re(), followed, kind::FOLLOW, id).await?;
    }
    if let Some(id) = follows::delete_edge(c.re(), Edge::Request, follower, followed).await? {
        notifications::delete_for_activity(c.re(), followed, kind::FOLLOW_REQUEST, id).await?;
    }
    Ok(removed.is_some())
}

/// `viewer` stops following `target_id`, or withdraws a pending request. Idempotent.
pub async fn unfollow(state: &AppState, viewer: &Account, target_id: i64) -> AppResult<()> {
    let mut tx = state.db.begin().await?;
    accounts::lock_rows(tx.conn(), &[viewer.id, target_id]).await?;
    accounts::get(tx.conn(), target_id)
        .await?
        .ok_or(AppError::NotFound)?;
    federate::unfollow(tx.conn(), viewer.id, target_id).await?;
    sever(tx.conn(), viewer.id, target_id).await?;
    tx.commit().await?;
    state.wake_workers();
    Ok(())
}

/// `owner` makes `follower_id` stop following them. Idempotent.
pub async fn remove_from_followers(
    state: &AppState,
    owner: &Account,
    follower_id: i64,
) -> AppResult<()> {
    let mut tx = state.db.begin().await?;
    accounts::lock_rows(tx.conn(), &[owner.id, follower_id]).await?;
    accounts::get(tx.conn(), follower_id)
        .await?
        .ok_or(AppError::NotFound)?;
    federate::answer_follower(tx.conn(), owner.id, follower_id, false).await?;
    sever(tx.conn(), follower_id, owner.id).await?;
    tx.commit().await?;
    state.wake_workers();
    Ok(())
}

/// `owner` approves `requester_id`'s pending follow request: the follow is created with the
/// request's options. Approving again once the follow exists is a no-op; without either a
/// request or a follow the answer is 404.
pub async fn authorize_request(
    state: &AppState,
    owner: &Account,
    requester_id: i64,
) -> AppResult<()> {
    let mut tx = state.db.begin().await?;
    accounts::lock_rows(tx.conn(), &[owner.id, requester_id]).await?;
    if !authorize_locked(tx.conn(), owner.id, requester_id).await? {
        let following = follows::is_following(tx.conn(), requester_id, owner.id).await?;
        if !following {
            return Err(AppError::NotFound);
        }
    }
    tx.commit().await?;
    state.wake_workers();
    Ok(())
}

/// Turns the pending request `requester_id` → `owner_id` into a follow with the request's
/// options (counters, `follow` notification, the requester's home feed), removing the request
/// and its notification. Both accounts' rows must be locked. Returns whether there was a
/// request. The owner may be remote (their server accepted a local account's request).
pub(crate) async fn authorize_locked(
    mut c: Conn<'_>,
    owner_id: i64,
    requester_id: i64,
) -> Result<bool, sqlx::Error> {
    let Some(request) = follows::get_edge(c.re(), Edge::Request, requester_id, owner_id).await?
    else {
        return Ok(false);
    };
    federate::answer_follower(c.re(), owner_id, requester_id, true).await?;
    let follow_uri = follows::edge_uri(c.re(), Edge::Request, requester_id, owner_id)
        .await?
        .and_then(|(_, uri)| uri);
    follows::delete_edge(c.re(), Edge::Request, requester_id, owner_id).await?;
    notifications::delete_for_activity(c.re(), owner_id, kind::FOLLOW_REQUEST, request.id).await?;
    let requester = accounts::get(c.re(), requester_id).await?;
    let owner_local = accounts::get(c.re(), owner_id)
        .await?
        .is_some_and(|o| o.is_local());
    if let Some(r) = requester.filter(|r| r.suspended_at.is_none()) {
        let row = FollowRow {
            id: next_id(),
            created_at: now_ms(),
            ..request
        };
        establish(c.re(), &row, r.is_local(), owner_local).await?;
        if let Some(uri) = follow_uri {
            // The remote Follow's id stays known for a later Reject (follower removed).
            follows::set_edge_uri(c, Edge::Follow, requester_id, owner_id, &uri).await?;
        }
    }
    Ok(true)
}

/// Approves every pending follow request to `owner_id`, in the caller's transaction (an account
/// being unlocked, as Mastodon does). Locks the owner's row and the requesters' rows (in id
/// order, unless the caller already holds them), so no request is added or withdrawn
/// meanwhile; returns how many requests there were.
pub async fn authorize_all_requests(mut c: Conn<'_>, owner_id: i64) -> Result<usize, sqlx::Error> {
    let mut ids = follows::requesters_of(c.re(), owner_id).await?;
    ids.push(owner_id);
    accounts::lock_rows(c.re(), &ids).await?;
    // A request committed between the listing and the locks is approved too; its requester's
    // row is locked after the others (out of id order: in the rare conflict, PostgreSQL's
    // deadlock detection aborts one of the transactions rather than hanging).
    let requesters = follows::requesters_of(c.re(), owner_id).await?;
    let late: Vec<i64> = requesters
        .iter()
        .copied()
        .filter(|r| !ids.contains(r))
        .collect();
    accounts::lock_rows(c.re(), &late).await?;
    for requester in &requesters {
        authorize_locked(c.re(), owner_id, *requester).await?;
    }
    Ok(requesters.len())
}

/// `owner` rejects `requester_id`'s pending follow request; 404 when there is none.
pub async fn reject_request(state: &AppState, owner: &Account, requester_id: i64) -> AppResult<()> {
    let mut tx = state.db.begin().await?;
    accounts::lock_rows(tx.conn(), &[owner.id, requester_id]).await?;
    if follows::get_edge(tx.conn(), Edge::Request, requester_id, owner.id)
        .await?
        .is_some()
    {
        federate::answer_follower(tx.conn(), owner.id, requester_id, false).await?;
    }
    let id = follows::delete_edge(tx.conn(), Edge::Request, requester_id, owner.id)
        .await?
        .ok_or(AppError::NotFound)?;
    notifications::delete_for_activity(tx.conn(), owner.id, kind::FOLLOW_REQUEST, id).await?;
    tx.commit().await?;
    state.wake_workers();
    Ok(())
}

/// Validates follow `languages` (ISO 639 codes) into the stored JSON form: `None` for "all
/// languages" (an empty list), `Some(json)` otherwise.
pub fn languages_json(langs: &[String]) -> AppResult<Option<String>> {
    let mut out: Vec<String> = Vec::new();
    for l in langs {
        let l = l.trim().to_ascii_lowercase();
        if l.is_empty() {
            continue;
        }
        if !(2..=3).contains(&l.len()) || !l.bytes().all(|b| b.is_ascii_lowercase()) {
            return Err(AppError::unprocessable(format!(
                "Validation failed: Languages contains an unsupported language: {l}"
            )));
        }
        if !out.contains(&l) {
            out.push(l);
        }
    }
    Ok((!out.is_empty()).then(|| serde_json::to_string(&out).expect("strings serialize")))
}

#[cfg(test)]
mod tests {
    use super::languages_json;

    #[test]
    fn languages_are_validated_and_normalised() {
        assert_eq!(languages_json(&[]).unwrap(), None);
        assert_eq!(languages_json(&["".into()]).unwrap(), None);
        assert_eq!(
            languages_json(&["EN".into(), "de".into(), "en".into()]).unwrap(),
            Some("[\"en\",\"de\"]".into())
        );
        assert!(languages_json(&["english".into()]).is_err());
        assert!(languages_json(&["e1".into()]).is_err());
    }
}
