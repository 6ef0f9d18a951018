//! `POST /api/v1/statuses`: validate, render, store the status with its mentions and tags,
//! bump counters, notify, and enqueue the fan-out, all in one transaction.

use crate::db::accounts::{self, Account, Counter, User};
use crate::db::statuses::{self, Status};
use crate::db::{Conn, is_unique_violation, scheduled_statuses};
use crate::error::{AppError, AppResult};
use crate::id::next_id;
use crate::jobs::{self, Job};
use crate::service::notify::{self, kind};
use crate::service::polls::{self, PollInput};
use crate::service::{federate, hydrate, live};
use crate::state::AppState;
use crate::time::now_ms;

use super::compose::{self, Mentioned};
use super::{IDEMPOTENCY_TTL_MS, PostError, counts_as_reply, counts_for_author};

/// What a client asked to post.
#[derive(Debug, Clone, Default)]
pub struct NewStatus {
    /// `status`: the text.
    pub text: Option<String>,
    /// `spoiler_text`: the content warning.
    pub spoiler_text: Option<String>,
    /// `sensitive`; defaults to the user's preference.
    pub sensitive: Option<bool>,
    /// `visibility`; defaults to the user's preference.
    pub visibility: Option<String>,
    /// `language` (ISO 639); defaults to the user's preference.
    pub language: Option<String>,
    /// `in_reply_to_id`.
    pub in_reply_to_id: Option<String>,
    /// `media_ids[]`.
    pub media_ids: Vec<String>,
    /// `poll[…]`.
    pub poll: Option<PollInput>,
    /// The scheduled status this posting publishes (deleted in the same transaction; the
    /// posting fails with `NotFound` when it is gone: cancelled or published already).
    pub scheduled_status_id: Option<i64>,
    /// `quoted_status_id`.
    pub quoted_status_id: Option<String>,
    /// The application of the access token.
    pub application_id: Option<i64>,
    /// The `Idempotency-Key` header.
    pub idempotency_key: Option<String>,
}

/// Refuses what this server cannot honour yet rather than silently ignoring it.
pub(super) fn reject_unsupported(new: &NewStatus) -> AppResult<()> {
    if new
        .quoted_status_id
        .as_deref()
        .is_some_and(|q| !q.trim().is_empty())
    {
        return Err(AppError::unprocessable(
            "Quote posts are not supported by this server yet",
        ));
    }
    Ok(())
}

/// Posts a status for `account` (whose login is `user`) and returns its id. With an
/// idempotency key seen in the last hour, returns the status posted then instead.
pub async fn create(
    state: &AppState,
    account: &Account,
    user: &User,
    new: NewStatus,
) -> Result<i64, PostError> {
    let now = now_ms();
    let key = new
        .idempotency_key
        .as_deref()
        .map(str::trim)
        .filter(|k| !k.is_empty());
    if let Some(key) = key
        && let Some(id) = remembered(state, account.id, key, now).await?
    {
        return Ok(id);
    }
    let media_ids = compose::media_ids(&new.media_ids, new.poll.is_some())?;
    reject_unsupported(&new)?;
    let poll = new
        .poll
        .as_ref()
        .map(|p| polls::validate(p, now))
        .transpose()?;
    let (text, spoiler_text) =
        compose::normalize_text(new.text.as_deref(), new.spoiler_text.as_deref());
    let visibility = compose::visibility(new.visibility.as_deref(), &user.default_privacy)?;
    let language = compose::language(
        new.language.as_deref(),
        &[user.default_language.as_deref(), Some(user.locale.as_str())],
    );
    let sensitive = new.sensitive.unwrap_or(user.default_sensitive) || !spoiler_text.is_empty();
    compose::validate_text(&text, &spoiler_text, !media_ids.is_empty())?;
    compose::resolve_remote_mentions(state, &text).await?;

    let mut tx = state.db.begin().await?;
    let media = compose::attachable_media(tx.conn(), account.id, &media_ids, None).await?;
    if let Some(sid) = new.scheduled_status_id
        && !scheduled_statuses::delete(tx.conn(), sid, account.id).await?
    {
        return Err(AppError::NotFound.into());
    }
    let parent = match new.in_reply_to_id.as_deref().map(str::trim) {
        Some(raw) if !raw.is_empty() => Some(reply_target(tx.conn(), account.id, raw).await?),
        _ => None,
    };
    let id = next_id();
    let (in_reply_to_account_id, conversation_id) = match &parent {
        // A self-reply continuing a thread keeps pointing at whom the thread answers.
        Some(p) if p.account_id == account.id && p.in_reply_to_id.is_some() => {
            (p.in_reply_to_account_id, p.conversation_id.unwrap_or(p.id))
        }
        Some(p) => (Some(p.account_id), p.conversation_id.unwrap_or(p.id)),
        None => (None, id),
    };
    let rendered =
        compose::render(tx.conn(), &state.config, &state.domain, account.id, &text).await?;
    let row = Status {
        id,
        uri: format!(
            "{}/users/{}/statuses/{id}",
            state.config.url, account.username
        ),
        url: Some(format!("{}/@{}/{id}", state.config.url, account.username)),
        account_id: account.id,
        text,
        content: rendered.content,
        spoiler_text,
        sensitive,
        visibility,
        language: Some(language),
        in_reply_to_id: parent.as_ref().map(|p| p.id),
        in_reply_to_account_id,
        reblog_of_id: None,
        conversation_id: Some(conversation_id),
        application_id: new.application_id,
        local: true,
        replies_count: 0,
        reblogs_count: 0,
        favourites_count: 0,
        created_at: now,
        edited_at: None,
    };
    statuses::insert(tx.conn(), &row).await?;
    crate::service::cards::attach(
        tx.conn(),
        &state.config,
        id,
        &row.spoiler_text,
        &row.content,
    )
    .await?;
    if let Some(spec) = &poll {
        polls::create(tx.conn(), spec, id, account.id, now).await?;
    }
    if let Some(key) = key {
        let stored = statuses::remember_idempotency(
            tx.conn(),
            account.id,
            key,
            id,
            now,
            now - IDEMPOTENCY_TTL_MS,
        )
        .await;
        match stored {
            Ok(()) => {}
            // A concurrent request with the same key won: answer with its status.
            Err(e) if is_unique_violation(&e) => {
                drop(tx);
                if let Some(existing) = remembered(state, account.id, key, now).await? {
                    return Ok(existing);
                }
                return Err(e.into());
            }
            Err(e) => return Err(e.into()),
        }
    }
    sync_mentions(tx.conn(), id, account.id, &rendered.mentions).await?;
    compose::store_tags(tx.conn(), id, &rendered.tags, now).await?;
    compose::attach_media(tx.conn(), account.id, id, &media, now).await?;
    crate::service::conversations::record(tx.conn(), id).await?;
    if counts_for_author(&row.visibility) {
        accounts::bump(tx.conn(), account.id, Counter::Statuses, 1).await?;
        accounts::touch_last_status(tx.conn(), account.id, now).await?;
    }
    if let Some(p) = &parent
        && counts_as_reply(&row.visibility)
    {
        statuses::bump(tx.conn(), p.id, statuses::StatusCounter::Replies, 1).await?;
    }
    // Followers who asked to be told about new posts: not for direct posts, nor for replies
    // to other people (as Mastodon's feed insert decides).
    let replies_to_other = in_reply_to_account_id.is_some_and(|a| a != account.id);
    // Done by a job, so an account with many subscribers posts as fast as any other.
    if counts_for_author(&row.visibility) && !replies_to_other {
        jobs::enqueue(
            tx.conn(),
            &Job::NotifySubscribers { status_id: id },
            jobs::PRIORITY_LOCAL,
        )
        .await?;
    }
    jobs::enqueue(
        tx.conn(),
        &Job::FanOut { status_id: id },
        jobs::PRIORITY_LOCAL,
    )
    .await?;
    federate::status_created(tx.conn(), federate::site(&state.config, &state.domain), id).await?;
    live::status_created(tx.conn(), &row, account.silenced_at.is_some()).await?;
    tx.commit().await?;
    state.wake_workers();
    Ok(id)
}

/// The status an idempotency key produced within the last hour.
async fn remembered(
    state: &AppState,
    account_id: i64,
    key: &str,
    now: i64,
) -> Result<Option<i64>, sqlx::Error> {
    let mut h = state.db.read().await?;
    statuses::idempotent_status(h.conn(), account_id, key, now - IDEMPOTENCY_TTL_MS).await
}

/// The status a reply answers: it must exist and be visible to the author; replying to a
/// boost answers the boosted status.
async fn reply_target(mut c: Conn<'_>, author: i64, raw: &str) -> Result<Status, PostError> {
    let id = crate::id::parse(raw).ok_or(PostError::ReplyNotFound)?;
    let s = hydrate::visible_status(c.re(), Some(author), id)
        .await?
        .ok_or(PostError::ReplyNotFound)?;
    match s.reblog_of_id {
        Some(original) => statuses::get(c, original)
            .await?
            .ok_or(PostError::ReplyNotFound),
        None => Ok(s),
    }
}

/// Makes the status's mention rows match `current`: new mentions are stored and local
/// accounts notified; mentions an edit dropped become silent (they keep access, as in
/// Mastodon, but are no longer listed); re-added ones become active again.
pub async fn sync_mentions(
    mut c: Conn<'_>,
    status_id: i64,
    author: i64,
    current: &[Mentioned],
) -> Result<(), sqlx::Error> {
    let previous = statuses::mention_records(c.re(), status_id).await?;
    for m in current {
        match previous.iter().find(|p| p.account_id == m.account_id) {
            Some(p) if p.silent => statuses::set_mention_silent(c.re(), p.id, false).await?,
            Some(_) => {}
            None => {
                let mention_id = next_id();
                statuses::insert_mention(c.re(), mention_id, status_id, m.account_id, false)
                    .await?;
                if m.local {
                    notify::notify(
                        c.re(),
                        m.account_id,
                        author,
                        kind::MENTION,
                        Some(status_id),
                        mention_id,
                    )
                    .await?;
                }
            }
        }
    }
    for p in previous {
        if !p.silent && !current.iter().any(|m| m.account_id == p.account_id) {
            statuses::set_mention_silent(c.re(), p.id, true).await?;
        }
    }
    Ok(())
}
