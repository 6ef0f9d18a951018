//! What each change announces to live streams (the streaming API): the one place that decides
//! which [`Event`]s a stored, edited or deleted status, a fan-out or a notification raises.
//! Called inside the change's transaction; the events leave when it commits
//! (`streaming::scope`).
//!
//! Mastodon's rules (`FanOutOnWriteService`, `RemoveStatusService`): public streams get
//! public statuses that are not boosts and whose author is not limited; hashtag streams the
//! same statuses by tag; home streams what fan-out put in the home feed; direct streams the
//! participants of direct statuses.

use crate::db::statuses::{self, Status};
use crate::db::{Conn, hydration, timelines};
use crate::streaming::{Event, PublicScope, raise};

/// Whether a status goes to the public and hashtag streams.
fn broadcast(s: &Status, author_limited: bool) -> bool {
    s.visibility == "public" && s.reblog_of_id.is_none() && !author_limited
}

/// The public streams of `s` (its hashtags loaded), when it goes to them.
async fn public_scope(
    mut c: Conn<'_>,
    s: &Status,
    author_limited: bool,
) -> Result<Option<PublicScope>, sqlx::Error> {
    if !broadcast(s, author_limited) {
        return Ok(None);
    }
    let (_, tags) = hydration::mentions_and_tags(c.re(), &[s.id]).await?;
    let media = !crate::db::media::of_statuses(c, &[s.id]).await?.is_empty();
    Ok(Some(PublicScope {
        local: s.local,
        media,
        tags: tags.into_iter().map(|t| t.name).collect(),
    }))
}

/// A status was stored (posted here, or received from another server): `update` on the
/// public and hashtag streams, `conversation` on the direct streams of a direct status's
/// participants. Home streams hear of it from fan-out ([`home_delivered`]).
pub async fn status_created(
    mut c: Conn<'_>,
    s: &Status,
    author_limited: bool,
) -> Result<(), sqlx::Error> {
    if let Some(scope) = public_scope(c.re(), s, author_limited).await? {
        raise(Event::Public {
            status_id: s.id,
            scope,
        });
    }
    if s.visibility == "direct" {
        let mut accounts: Vec<i64> = statuses::mention_records(c, s.id)
            .await?
            .into_iter()
            .map(|m| m.account_id)
            .collect();
        accounts.push(s.account_id);
        accounts.sort_unstable();
        accounts.dedup();
        raise(Event::Conversation {
            status_id: s.id,
            accounts,
        });
    }
    Ok(())
}

/// Fan-out put status `status_id` into the home feeds of `accounts`: `update` on their
/// `user` streams.
pub fn home_delivered(status_id: i64, accounts: Vec<i64>) {
    if !accounts.is_empty() {
        raise(Event::Home {
            status_id,
            accounts,
        });
    }
}

/// A status was edited (its row already updated): `status.update` wherever it is shown.
pub async fn status_edited(
    mut c: Conn<'_>,
    s: &Status,
    author_limited: bool,
) -> Result<(), sqlx::Error> {
    let home = timelines::home_holders(c.re(), s.id).await?;
    let public = public_scope(c, s, author_limited).await?;
    raise(Event::Edited {
        status_id: s.id,
        home,
        public,
    });
    Ok(())
}

/// A status is about to be deleted (call before the row goes): `delete` wherever it was
/// shown.
pub async fn status_deleted(
    mut c: Conn<'_>,
    s: &Status,
    author_limited: bool,
) -> Result<(), sqlx::Error> {
    let home = timelines::home_holders(c.re(), s.id).await?;
    let public = public_scope(c, s, author_limited).await?;
    raise(Event::Deleted {
        status_id: s.id,
        home,
        public,
    });
    Ok(())
}

/// A notification was created: `notification` on the recipient's streams.
pub fn notified(account_id: i64, notification_id: i64) {
    raise(Event::Notification {
        account_id,
        notification_id,
    });
}

/// An account's filters changed: `filters_changed` on its `user` streams. For the filters
/// service to call after creating, changing or deleting a filter.
pub fn filters_changed(account_id: i64) {
    raise(Event::FiltersChanged { account_id });
}

/// A token was revoked: the streams opened with it close.
pub fn token_revoked(token_id: i64) {
    raise(Event::Disconnect {
        token_id: Some(token_id),
        account_id: None,
    });
}

/// An account may no longer use the API (suspended, login disabled): its streams close.
pub fn account_locked_out(account_id: i64) {
    raise(Event::Disconnect {
        token_id: None,
        account_id: Some(account_id),
    });
}
