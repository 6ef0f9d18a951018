//! What the ActivityPub documents and the public pages may show, and the rows they are made
//! from: local accounts by username (unapproved ones do not exist, suspended ones are
//! marked), the visibility rule for anonymous and signed (remote actor) requesters, and batch loading
//! of the parts of Notes and Announces (`crate::federation::render`).

use std::collections::{HashMap, HashSet};

use crate::db::Conn;
use crate::db::accounts::{self, Account};
use crate::db::federation::{self as repo};
use crate::db::follows::{self, Relation};
use crate::db::statuses::{self, Status};
use crate::federation::render::{
    BoostParts, MentionParts, NoteParts, SELF_REPLIES_IN_NOTE, TagParts,
};
use crate::service::text;

/// Who asks for a federation document or public page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Requester {
    /// No (verified) signature: a browser, a crawler, or a server fetching unsigned.
    Anonymous,
    /// A GET signed by a remote actor whose signature verified (`activitypub::signed`): the
    /// actor's account id. A remote instance actor is an account like any other here, as
    /// in Mastodon: it follows nobody, so it sees what anonymous requests see (minus what
    /// authors who block it hide).
    Account(i64),
}

impl Requester {
    /// A request without a (verified) signature.
    pub fn anonymous() -> Requester {
        Requester::Anonymous
    }
}

/// What one requester is to the authors of some statuses, loaded once per request
/// ([`viewer`]) so that [`may_see`] is a pure check.
#[derive(Debug, Clone, Default)]
pub struct Viewer {
    /// The signing actor's account, if any.
    account_id: Option<i64>,
    /// Authors the requester follows.
    following: HashSet<i64>,
    /// Authors who block the requester.
    blocked_by: HashSet<i64>,
    /// Statuses that mention the requester.
    mentioned: HashSet<i64>,
}

impl Viewer {
    /// The view of an unsigned request: public and unlisted statuses only.
    pub fn anonymous() -> Viewer {
        Viewer::default()
    }

    /// The requester's account id (signed requests only).
    pub fn account_id(&self) -> Option<i64> {
        self.account_id
    }

    /// Whether the requester follows `author_id`.
    pub fn follows(&self, author_id: i64) -> bool {
        self.following.contains(&author_id)
    }

    /// Whether `author_id` blocks the requester.
    pub fn is_blocked_by(&self, author_id: i64) -> bool {
        self.blocked_by.contains(&author_id)
    }
}

/// Loads what [`may_see`] needs to judge `statuses` for `requester`: follows of and blocks
/// by their authors, and mentions of the requester in them.
pub async fn viewer(
    mut c: Conn<'_>,
    requester: &Requester,
    statuses: &[Status],
) -> Result<Viewer, sqlx::Error> {
    let Requester::Account(id) = *requester else {
        return Ok(Viewer::anonymous());
    };
    let mut authors: Vec<i64> = statuses.iter().map(|s| s.account_id).collect();
    authors.sort_unstable();
    authors.dedup();
    let now = crate::time::now_ms();
    let following = follows::among(c.re(), Relation::Following, id, &authors, now).await?;
    let blocked_by = follows::among(c.re(), Relation::BlockedBy, id, &authors, now).await?;
    let restricted: Vec<i64> = statuses
        .iter()
        .filter(|s| !matches!(s.visibility.as_str(), "public" | "unlisted"))
        .map(|s| s.id)
        .collect();
    let mentioned = repo::mentioned_among(c, id, &restricted)
        .await?
        .into_iter()
        .collect();
    Ok(Viewer {
        account_id: Some(id),
        following,
        blocked_by,
        mentioned,
    })
}

/// Whether the requester `v` may see status `s` (whose author is known not to be
/// suspended), as Mastodon's `StatusPolicy#show?` with the signing actor as the current
/// account: direct statuses only for the author and mentioned accounts; followers-only
/// ones also for followers; public and unlisted ones for everyone except signed requesters
/// the author blocks. An unsigned request sees public and unlisted statuses only.
pub fn may_see(v: &Viewer, s: &Status) -> bool {
    let Some(id) = v.account_id else {
        return matches!(s.visibility.as_str(), "public" | "unlisted");
    };
    let owned = s.account_id == id;
    match s.visibility.as_str() {
        "direct" => owned || v.mentioned.contains(&s.id),
        "private" => owned || v.following.contains(&s.account_id) || v.mentioned.contains(&s.id),
        _ => !v.blocked_by.contains(&s.account_id),
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
    mut c: Conn<'_>,
    requester: &Requester,
    author: &Account,
    id: i64,
) -> Result<Option<Status>, sqlx::Error> {
    let Some(s) = statuses::get(c.re(), id)
        .await?
        .filter(|s| s.account_id == author.id)
    else {
        return Ok(None);
    };
    let v = viewer(c, requester, std::slice::from_ref(&s)).await?;
    Ok(may_see(&v, &s).then_some(s))
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
    let mut polls_by: HashMap<i64, crate::db::polls::Poll> =
        crate::db::polls::of_statuses(c.re(), &note_ids)
            .await?
            .into_iter()
            .map(|p| (p.status_id, p))
            .collect();
    let mut media_by: HashMap<i64, Vec<crate::db::media::MediaRow>> = HashMap::new();
    for m in crate::db::media::of_statuses(c.re(), &note_ids).await? {
        if let Some(status_id) = m.status_id {
            media_by.entry(status_id).or_default().push(m);
        }
    }

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
                    poll: polls_by.remove(&s.id),
                    media: media_by.remove(&s.id).unwrap_or_default(),
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
