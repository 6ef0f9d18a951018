//! `PUT /api/v1/statuses/:id` and the edit history: an edit replaces the text, content
//! warning, sensitivity, language and attachments (`media_ids`; media dropped by an edit are
//! detached, and removed by the cleanup a day later), keeps every version in `status_edits` (the original is
//! stored on the first edit), re-syncs mentions and hashtags, and tells local accounts that
//! boosted the status (Mastodon's `update` notification).

use crate::db::accounts::{Account, User};
use crate::db::polls as polls_repo;
use crate::db::statuses::{self, ContentUpdate, Edit};
use crate::error::{AppError, AppResult};
use crate::id::next_id;
use crate::service::federate;
use crate::service::notify::{self, kind};
use crate::service::polls::{self, PollChange, PollInput};
use crate::state::AppState;
use crate::time::now_ms;

use super::compose;
use super::create::sync_mentions;

/// What a client sent to edit a status. Like Mastodon, an edit replaces the text, content
/// warning and sensitivity as given (absent means empty / not sensitive); an absent language
/// keeps the current one.
#[derive(Debug, Clone, Default)]
pub struct EditStatus {
    /// `status`.
    pub text: Option<String>,
    /// `spoiler_text`.
    pub spoiler_text: Option<String>,
    /// `sensitive`.
    pub sensitive: Option<bool>,
    /// `language`.
    pub language: Option<String>,
    /// `media_ids[]`.
    pub media_ids: Vec<String>,
    /// `poll[…]`: the poll the status has after the edit (none removes it).
    pub poll: Option<PollInput>,
}

/// Edits `account`'s status `id`. Editing someone else's status is a 404; an edit that changes
/// nothing stores no new version.
pub async fn edit(
    state: &AppState,
    account: &Account,
    user: &User,
    id: i64,
    e: EditStatus,
) -> AppResult<()> {
    // Newly mentioned remote accounts are resolved before the transaction (network I/O).
    compose::resolve_remote_mentions(state, e.text.as_deref().unwrap_or("")).await?;
    let mut tx = state.db.begin().await?;
    let s = statuses::get(tx.conn(), id)
        .await?
        .filter(|s| s.account_id == account.id)
        .ok_or(AppError::NotFound)?;
    if s.reblog_of_id.is_some() {
        return Err(AppError::unprocessable(
            "Validation failed: A boost cannot be edited",
        ));
    }
    let media_ids = compose::media_ids(&e.media_ids, e.poll.is_some())?;
    let media = compose::attachable_media(tx.conn(), account.id, &media_ids, Some(id)).await?;
    let current_media: Vec<i64> = crate::db::media::of_statuses(tx.conn(), &[id])
        .await?
        .iter()
        .map(|m| m.id)
        .collect();
    let now = now_ms();
    let poll = e
        .poll
        .as_ref()
        .map(|p| polls::validate(p, now))
        .transpose()?;
    let (text, spoiler_text) =
        compose::normalize_text(e.text.as_deref(), e.spoiler_text.as_deref());
    let sensitive = e.sensitive.unwrap_or(false) || !spoiler_text.is_empty();
    let language = compose::language(
        e.language.as_deref(),
        &[
            s.language.as_deref(),
            user.default_language.as_deref(),
            Some(user.locale.as_str()),
        ],
    );
    compose::validate_text(&text, &spoiler_text, !media_ids.is_empty())?;
    let previous_options = polls_repo::of_status(tx.conn(), id)
        .await?
        .map(|p| p.options);
    let poll_change = polls::apply_edit(tx.conn(), id, account.id, poll.as_ref(), now).await?;
    if text == s.text
        && current_media == media_ids
        && spoiler_text == s.spoiler_text
        && sensitive == s.sensitive
        && s.language.as_deref() == Some(language.as_str())
        && poll_change == PollChange::None
    {
        return Ok(());
    }
    if statuses::edits_of(tx.conn(), id).await?.is_empty() {
        let original_id = next_id();
        statuses::insert_edit(
            tx.conn(),
            &Edit {
                id: original_id,
                status_id: id,
                account_id: account.id,
                text: s.text.clone(),
                content: s.content.clone(),
                spoiler_text: s.spoiler_text.clone(),
                sensitive: s.sensitive,
                created_at: s.created_at,
            },
        )
        .await?;
        polls_repo::set_edit_options(tx.conn(), original_id, previous_options.as_deref()).await?;
    }
    let rendered =
        compose::render(tx.conn(), &state.config, &state.domain, account.id, &text).await?;
    statuses::update_content(
        tx.conn(),
        id,
        &ContentUpdate {
            text: &text,
            content: &rendered.content,
            spoiler_text: &spoiler_text,
            sensitive,
            language: Some(&language),
            edited_at: now,
        },
    )
    .await?;
    crate::service::cards::edited(
        tx.conn(),
        &state.config,
        id,
        &spoiler_text,
        &rendered.content,
    )
    .await?;
    sync_mentions(tx.conn(), id, account.id, &rendered.mentions).await?;
    compose::store_tags(tx.conn(), id, &rendered.tags, now).await?;
    // `update_content` moved `updated_at`: the attachments' change shows.
    compose::attach_media(tx.conn(), account.id, id, &media, now).await?;
    let edit_id = next_id();
    statuses::insert_edit(
        tx.conn(),
        &Edit {
            id: edit_id,
            status_id: id,
            account_id: account.id,
            text,
            content: rendered.content,
            spoiler_text,
            sensitive,
            created_at: now,
        },
    )
    .await?;
    let options = poll
        .as_ref()
        .map(|p| serde_json::to_string(&p.options).expect("strings serialise"));
    polls_repo::set_edit_options(tx.conn(), edit_id, options.as_deref()).await?;
    for booster in statuses::local_rebloggers(tx.conn(), id).await? {
        notify::notify(
            tx.conn(),
            booster,
            account.id,
            kind::UPDATE,
            Some(id),
            edit_id,
        )
        .await?;
    }
    federate::status_updated(tx.conn(), federate::site(&state.config, &state.domain), id).await?;
    if let Some(edited) = statuses::get(tx.conn(), id).await? {
        crate::service::live::status_edited(tx.conn(), &edited, account.silenced_at.is_some())
            .await?;
    }
    tx.commit().await?;
    state.wake_workers();
    Ok(())
}
