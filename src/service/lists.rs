//! Lists (Mastodon's `methods/lists.md`): create, edit, delete, members, and the rules of
//! membership — only accounts the owner follows may be added (404 otherwise, as Mastodon's
//! `ListAccount#set_follow` answers), adding a member twice is 422, and a new member's
//! recent statuses are merged into the list's feed in the same transaction. Unfollowing
//! (`follows::sever`) removes the memberships and entries ([`forget_member`]).

use crate::db::follows::{self, Edge};
use crate::db::lists::{self, List};
use crate::db::timelines::list_feed;
use crate::db::{Conn, Db, accounts};
use crate::error::{AppError, AppResult};
use crate::id::next_id;
use crate::time::now_ms;

/// Lists per account (Mastodon's `List::PER_ACCOUNT_LIMIT`).
pub const MAX_LISTS: i64 = 50;
/// Longest title accepted, in characters.
pub const MAX_TITLE: usize = 256;
/// Accounts one request may add or remove.
pub const MAX_ACCOUNTS_PER_REQUEST: usize = 250;
/// How many of a new member's latest statuses enter the list's feed (Mastodon merges
/// `MAX_ITEMS / 4`).
pub const MERGE_ON_ADD: i64 = 200;
/// Valid `replies_policy` values.
pub const REPLIES_POLICIES: &[&str] = &["followed", "list", "none"];

/// The editable fields of a list; `None` keeps the current value (or the default).
#[derive(Debug, Default, Clone)]
pub struct ListInput {
    pub title: Option<String>,
    pub replies_policy: Option<String>,
    pub exclusive: Option<bool>,
}

/// Applies `input` to `list`, validating as Mastodon does.
fn apply(list: &mut List, input: ListInput) -> AppResult<()> {
    if let Some(title) = input.title {
        list.title = title.trim().to_owned();
    }
    if list.title.is_empty() {
        return Err(AppError::unprocessable(
            "Validation failed: Title can't be blank",
        ));
    }
    if list.title.chars().count() > MAX_TITLE {
        return Err(AppError::unprocessable(
            "Validation failed: Title is too long",
        ));
    }
    if let Some(policy) = input.replies_policy {
        if !REPLIES_POLICIES.contains(&policy.as_str()) {
            return Err(AppError::unprocessable(
                "Validation failed: Replies policy is not included in the list",
            ));
        }
        list.replies_policy = policy;
    }
    if let Some(exclusive) = input.exclusive {
        list.exclusive = exclusive;
    }
    Ok(())
}

/// Creates a list for `owner`.
pub async fn create(db: &Db, owner: i64, input: ListInput) -> AppResult<List> {
    let now = now_ms();
    let mut list = List {
        id: next_id(),
        account_id: owner,
        title: String::new(),
        replies_policy: "list".into(),
        exclusive: false,
        created_at: now,
        updated_at: now,
    };
    apply(&mut list, input)?;
    let mut tx = db.begin().await?;
    accounts::lock_rows(tx.conn(), &[owner]).await?;
    if lists::count_of_owner(tx.conn(), owner).await? >= MAX_LISTS {
        return Err(AppError::unprocessable(
            "Validation failed: You have reached the maximum number of lists",
        ));
    }
    lists::insert(tx.conn(), &list).await?;
    tx.commit().await?;
    Ok(list)
}

/// The list `id` of `owner` (404 for anyone else's or an unknown one).
pub async fn owned(c: Conn<'_>, owner: i64, id: i64) -> AppResult<List> {
    lists::get_owned(c, owner, id)
        .await?
        .ok_or(AppError::NotFound)
}

/// Changes `owner`'s list `id`.
pub async fn update(db: &Db, owner: i64, id: i64, input: ListInput) -> AppResult<List> {
    let mut tx = db.begin().await?;
    let mut list = owned(tx.conn(), owner, id).await?;
    apply(&mut list, input)?;
    list.updated_at = now_ms();
    lists::update(tx.conn(), &list).await?;
    tx.commit().await?;
    Ok(list)
}

/// Deletes `owner`'s list `id` with its members and feed.
pub async fn delete(db: &Db, owner: i64, id: i64) -> AppResult<()> {
    let mut tx = db.begin().await?;
    owned(tx.conn(), owner, id).await?;
    lists::delete(tx.conn(), id).await?;
    tx.commit().await?;
    Ok(())
}

/// Adds `account_ids` to `owner`'s list `id`, all or none: 404 for an unknown account or one
/// the owner does not follow, 422 for one already in the list.
pub async fn add_accounts(db: &Db, owner: i64, id: i64, account_ids: &[i64]) -> AppResult<()> {
    let mut ids = account_ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    if ids.len() > MAX_ACCOUNTS_PER_REQUEST {
        return Err(AppError::unprocessable(format!(
            "Validation failed: at most {MAX_ACCOUNTS_PER_REQUEST} accounts at once"
        )));
    }
    let mut tx = db.begin().await?;
    let list = owned(tx.conn(), owner, id).await?;
    if ids.is_empty() {
        return Ok(());
    }
    let known = accounts::get_many(tx.conn(), &ids).await?;
    if known.len() != ids.len() || known.iter().any(|a| a.suspended_at.is_some()) {
        return Err(AppError::NotFound);
    }
    let followed = follows::edges_from(tx.conn(), Edge::Follow, owner, &ids).await?;
    if followed.len() != ids.len() {
        return Err(AppError::NotFound);
    }
    if !lists::members_among(tx.conn(), list.id, &ids)
        .await?
        .is_empty()
    {
        return Err(AppError::unprocessable(
            "Validation failed: Account has already been taken",
        ));
    }
    for account in &ids {
        lists::add_member(tx.conn(), next_id(), list.id, *account).await?;
        list_feed::merge_member(tx.conn(), list.id, *account, MERGE_ON_ADD).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Removes `account_ids` from `owner`'s list `id` with their entries; ids that are not
/// members are ignored, as in Mastodon.
pub async fn remove_accounts(db: &Db, owner: i64, id: i64, account_ids: &[i64]) -> AppResult<()> {
    if account_ids.len() > MAX_ACCOUNTS_PER_REQUEST {
        return Err(AppError::unprocessable(format!(
            "Validation failed: at most {MAX_ACCOUNTS_PER_REQUEST} accounts at once"
        )));
    }
    let mut tx = db.begin().await?;
    let list = owned(tx.conn(), owner, id).await?;
    for account in account_ids {
        if lists::remove_member(tx.conn(), list.id, *account).await? {
            list_feed::remove_author(tx.conn(), list.id, *account).await?;
        }
    }
    tx.commit().await?;
    Ok(())
}

/// `owner` no longer follows `member`: `member` leaves all of `owner`'s lists, with their
/// entries. Called inside the unfollow's transaction.
pub async fn forget_member(mut c: Conn<'_>, owner: i64, member: i64) -> Result<(), sqlx::Error> {
    if lists::remove_from_lists_of(c.re(), owner, member).await? > 0 {
        list_feed::remove_author_from_lists_of(c, owner, member).await?;
    }
    Ok(())
}
