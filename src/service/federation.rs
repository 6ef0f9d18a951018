//! What the ActivityPub documents and the public pages may show, and the rows they are made
//! from: local accounts by username (unapproved ones do not exist, suspended ones are
//! marked), the visibility rule for requesters who are not signed-in users, and batch loading
//! of the parts of Notes and Announces (`crate::federation::render`).

use std::collections::{HashMap, HashSet};

use crate::db::Conn;
use crate::db::accounts::{self, Account};
use crate::db::federation::{self as repo};
use crate::db::statuses::{self, Status};
use crate::federation::render::{
    BoostParts, MentionParts, NoteParts, SELF_REPLIES_IN_NOTE, TagParts,
};
use crate::service::text;

/// Who asks for a federation document or public page.
///
/// Today every request is anonymous. When incoming HTTP signatures are verified, a signed
/// GET will add a variant carrying the signing actor, and [`may_see`] (which must then
/// handle it) will let followers see followers-only statuses and mentioned accounts see
/// direct ones, as Mastodon's `StatusPolicy#show?` does with `signed_request_account`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Requester {
    /// No (verified) signature: a browser, a crawler, or a server fetching unsigned.
    Anonymous,
}

impl Requester {
    /// A request without a (verified) signature.
    pub fn anonymous() -> Requester {
        Requester::Anonymous
    }
}

/// Whether `requester` may see status `s` (whose author is known not to be suspended):
/// public and unlisted statuses are for everyone; followers-only and direct statuses are
/// never served to a request that does not prove who it is.
pub fn may_see(requester: &Requester, s: &Status) -> bool {
    match requester {
        Requester::Anonymous => matches!(s.visibility.as_str(), "public" | "unlisted"),
    }
}

/// A local account as the documents see it.
#[derive(Debug, Clone)]
pub enum LocalAccount {
    /// Shown normally.
    Active(Account),
    /// Suspended: the actor is served emptied with `suspended: true`; everything else is
    /// unavailable.
    Suspended(Account),
    /// Unknown, or a local account not confirmed or approved yet (it does not exist for
    /// others).
    Missing,
}

/// Finds the local account `username` (case-insensitive).
pub async fn local_account(mut c: Conn<'_>, username: &str) -> Result<LocalAccount, sqlx::Error> {
    let Some(a) = accounts::find_by_username(c.re(), username, None).await? else {
        return Ok(LocalAccount::Missing);
    };
    if accounts::is_unapproved(c, a.id).await? {
        return Ok(LocalAccount::Missing);
    }
    Ok(if a.suspended_at.is_some() {
        LocalAccount::Suspended(a)
    } else {
        LocalAccount::Active(a)
    })
}

/// The uri of the account `a` moved to, if it did.
pub async fn moved_to_uri(c: Conn<'_>, a: &Account) -> Result<Option<String>, sqlx::Error> {
    match a.moved_to_account_id {
        Some(id) => Ok(accounts::get(c, id).await?.map(|t| t.uri)),
        None => Ok(None),
    }
}

/// The hashtags of a local account's bio, which its actor lists as `tag` (Mastodon's account
/// tags).
pub fn bio_tags(a: &Account) -> Vec<TagParts> {
    text::hashtags(&text::scan(&a.note_source))
        .into_iter()
        .map(|name| TagParts {
            display_name: name.clone(),
            name,
        })
        .collect()
}

/// Status `id` if it belongs to `author` and `requester` may see it; `None` means 404.
pub async fn visible_status_of(
    c: Conn<'_>,
    requester: &Requester,
    author: &Account,
    id: i64,
) -> Result<Option<Status>, sqlx::Error> {
    let s = statuses::get(c, id).await?;
    Ok(s.filter(|s| s.account_id == author.id && may_see(requester, s)))
}

/// A status as a federation document: an original (Note, in a `Create`) or a boost
/// (`Announce`).
#[derive(Debug, Clone)]
pub enum StatusDocument {
    /// An original status.
    Note(Box<NoteParts>),
    /// A boost.
    Boost(Box<BoostParts>),
}

/// The documents of `rows` (statuses by local accounts), in the same order. Boosts whose
/// original is gone, and statuses whose author is missing, are left out.
pub async fn documents(
    mut c: Conn<'_>,
    rows: Vec<Status>,
) -> Result<Vec<StatusDocument>, sqlx::Error> {
    let originals_ids: Vec<i64> = rows.iter().filter_map(|s| s.reblog_of_id).collect();
    let originals: HashMap<i64, Status> = statuses::get_many(c.re(), &originals_ids)
        .await?
        .into_iter()
        .map(|s| (s.id, s))
        .collect();
    let notes: Vec<&Status> = rows.iter().filter(|s| s.reblog_of_id.is_none()).collect();
    let note_ids: Vec<i64> = notes.iter().map(|s| s.id).collect();
    let parent_ids: Vec<i64> = notes.iter().filter_map(|s| s.in_reply_to_id).collect();
    let parents: HashMap<i64, String> = repo::status_uris(c.re(), &parent_ids)
        .await?
        .into_iter()
        .collect();
    let (mentions, _) = crate::db::hydration::mentions_and_tags(c.re(), &note_ids).await?;
    let tags = repo::tags_of(c.re(), &note_ids).await?;
    let replies = repo::self_replies(c.re(), &note_ids, SELF_REPLIES_IN_NOTE).await?;

    let mut account_ids: HashSet<i64> = rows.iter().map(|s| s.account_id).collect();
    account_ids.extend(originals.values().map(|s| s.account_id));
    account_ids.extend(mentions.iter().map(|m| m.account_id));
    let account_ids: Vec<i64> = account_ids.into_iter().collect();
    let accounts: HashMap<i64, Account> = accounts::get_many(c.re(), &account_ids)
        .await?
        .into_iter()
        .map(|a| (a.id, a))
        .collect();

    let mut mentions_by: HashMap<i64, Vec<MentionParts>> = HashMap::new();
    for m in mentions {
        if let Some(a) = accounts.get(&m.account_id) {
            mentions_by
                .entry(m.status_id)
                .or_default()
                .push(MentionParts {
                    uri: a.uri.clone(),
                    acct: a.acct(),
                });
        }
    }
    let mut tags_by: HashMap<i64, Vec<TagParts>> = HashMap::new();
    for t in tags {
        tags_by.entry(t.status_id).or_default().push(TagParts {
            name: t.name,
            display_name: t.display_name,
        });
    }
    let mut replies_by: HashMap<i64, Vec<String>> = HashMap::new();
    for (parent, uri) in replies {
        replies_by.entry(parent).or_default().push(uri);
    }

    let mut out = Vec::with_capacity(rows.len());
    for s in rows {
        let Some(author) = accounts.get(&s.account_id) else {
            continue;
        };
        match s.reblog_of_id {
            Some(orig_id) => {
                let Some(orig) = originals.get(&orig_id) else {
                    continue;
                };
                let Some(orig_author) = accounts.get(&orig.account_id) else {
                    continue;
                };
                out.push(StatusDocument::Boost(Box::new(BoostParts {
                    booster: author.clone(),
                    object: orig.uri.clone(),
                    object_author: orig_author.uri.clone(),
                    status: s,
                })));
            }
            None => {
                let in_reply_to = s.in_reply_to_id.and_then(|p| parents.get(&p).cloned());
                out.push(StatusDocument::Note(Box::new(NoteParts {
                    author: author.clone(),
                    in_reply_to,
                    mentions: mentions_by.remove(&s.id).unwrap_or_default(),
                    tags: tags_by.remove(&s.id).unwrap_or_default(),
                    self_replies: replies_by.remove(&s.id).unwrap_or_default(),
                    status: s,
                })));
            }
        }
    }
    Ok(out)
}

/// The statuses with `ids`, in that order (unknown ids skipped).
pub async fn statuses_in_order(c: Conn<'_>, ids: &[i64]) -> Result<Vec<Status>, sqlx::Error> {
    let mut by_id: HashMap<i64, Status> = statuses::get_many(c, ids)
        .await?
        .into_iter()
        .map(|s| (s.id, s))
        .collect();
    Ok(ids.iter().filter_map(|id| by_id.remove(id)).collect())
}
