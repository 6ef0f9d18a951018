//! Scheduled statuses: `POST /api/v1/statuses` with `scheduled_at` stores the posting
//! parameters (validated as the post would be) and a `PublishScheduledStatus` job due at
//! that time, which posts them through [`super::create`] — poll, idempotency key and
//! application included — deleting the scheduled status in the posting's transaction, so
//! it is published exactly once. Mastodon's rules: at least 5 minutes ahead, at most 300
//! scheduled per account and 25 per day.

use serde::{Deserialize, Serialize};

use crate::db::accounts::{self, Account, User};
use crate::db::scheduled_statuses::{self, ScheduledStatus};
use crate::error::{AppError, AppResult};
use crate::id::next_id;
use crate::jobs::{self, Job};
use crate::service::polls::{self, PollInput};
use crate::state::AppState;
use crate::time::{now_ms, parse_rfc3339};

use super::PostError;
use super::compose;
use super::create::{self, NewStatus, reject_unsupported};

/// How far ahead a status must be scheduled (Mastodon's `MIN_SCHEDULE_OFFSET`, 5 minutes).
pub const MIN_OFFSET_MS: i64 = 5 * 60 * 1000;
/// Scheduled statuses an account may have (Mastodon's `TOTAL_LIMIT`).
pub const TOTAL_LIMIT: i64 = 300;
/// Scheduled statuses an account may have on one UTC day (Mastodon's `DAILY_LIMIT`).
pub const DAILY_LIMIT: i64 = 25;
const DAY_MS: i64 = 86_400_000;

/// A scheduled poll, as stored in the parameters.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ScheduledPoll {
    /// Option titles.
    pub options: Vec<String>,
    /// Duration in seconds, counted from publication.
    pub expires_in: Option<i64>,
    /// Several choices allowed.
    pub multiple: bool,
    /// Totals hidden until the end.
    pub hide_totals: bool,
}

/// The stored parameters of a scheduled status, shown as the entity's `params` (Mastodon's
/// keys; what was not given stays `null` and takes the user's defaults at publication).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct ScheduledParams {
    /// `status`, as sent.
    pub text: String,
    /// `poll[…]`.
    pub poll: Option<ScheduledPoll>,
    /// `media_ids[]`.
    pub media_ids: Option<Vec<String>>,
    /// `sensitive`.
    pub sensitive: Option<bool>,
    /// `spoiler_text`.
    pub spoiler_text: Option<String>,
    /// `visibility` (the user's default at publication when absent).
    pub visibility: Option<String>,
    /// `in_reply_to_id`.
    pub in_reply_to_id: Option<String>,
    /// `language`.
    pub language: Option<String>,
    /// The application of the token that scheduled it.
    pub application_id: Option<i64>,
    /// Always null (Mastodon's key).
    pub scheduled_at: Option<String>,
    /// The `Idempotency-Key`, reused when publishing.
    pub idempotency: Option<String>,
    /// Mastodon's key; always false.
    pub with_rate_limit: bool,
    /// Mastodon's key; always null.
    pub allowed_mentions: Option<Vec<String>>,
    /// Quote posts are not supported: always null.
    pub quoted_status_id: Option<String>,
    /// Who may quote it (Mastodon's default, `public`).
    pub quote_approval_policy: String,
}

/// When a post asking for `scheduled_at` should be published: `None` means now (no time, or
/// a time already past, as in Mastodon); a time less than 5 minutes ahead is refused.
pub fn when(raw: Option<&str>, now: i64) -> AppResult<Option<i64>> {
    let Some(raw) = raw.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    let at = parse_rfc3339(raw)
        .ok_or_else(|| AppError::unprocessable("Validation failed: Scheduled at is invalid"))?;
    if at <= now {
        return Ok(None);
    }
    check_offset(at, now)?;
    Ok(Some(at))
}

fn check_offset(at: i64, now: i64) -> AppResult<()> {
    if at <= now + MIN_OFFSET_MS {
        return Err(AppError::unprocessable(
            "Validation failed: Scheduled at The scheduled date must be in the future",
        ));
    }
    Ok(())
}

/// Refuses a time beyond the account's limits (`except`: the scheduled status being moved).
async fn check_limits(
    c: crate::db::Conn<'_>,
    account_id: i64,
    at: i64,
    except: i64,
) -> AppResult<()> {
    let day_start = at - at.rem_euclid(DAY_MS);
    let (total, day) =
        scheduled_statuses::counts(c, account_id, day_start, day_start + DAY_MS, except).await?;
    if total >= TOTAL_LIMIT {
        return Err(AppError::unprocessable(format!(
            "Validation failed: You have exceeded the limit of {TOTAL_LIMIT} scheduled posts"
        )));
    }
    if day >= DAILY_LIMIT {
        return Err(AppError::unprocessable(format!(
            "Validation failed: You have exceeded the limit of {DAILY_LIMIT} scheduled posts for today"
        )));
    }
    Ok(())
}

/// Schedules `new` for `account` at `at` (from [`when`]), validating it as the post would be.
pub async fn schedule(
    state: &AppState,
    account: &Account,
    user: &User,
    new: NewStatus,
    at: i64,
) -> AppResult<ScheduledStatus> {
    let now = now_ms();
    let key = new
        .idempotency_key
        .as_deref()
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .map(str::to_owned);
    if let Some(key) = &key {
        let mut h = state.db.read().await?;
        if let Some(row) = scheduled_statuses::by_idempotency_key(h.conn(), account.id, key).await?
        {
            return Ok(row);
        }
    }
    let media_ids = compose::media_ids(&new.media_ids, new.poll.is_some())?;
    reject_unsupported(&new)?;
    let (text, spoiler_text) =
        compose::normalize_text(new.text.as_deref(), new.spoiler_text.as_deref());
    compose::validate_text(&text, &spoiler_text, !media_ids.is_empty())?;
    compose::visibility(new.visibility.as_deref(), &user.default_privacy)?;
    if let Some(p) = &new.poll {
        polls::validate(p, now)?;
    }
    let params = ScheduledParams {
        text: new.text.unwrap_or_default(),
        poll: new.poll.map(|p| ScheduledPoll {
            options: p.options,
            expires_in: p.expires_in,
            multiple: p.multiple,
            hide_totals: p.hide_totals,
        }),
        media_ids: (!new.media_ids.is_empty()).then(|| new.media_ids.clone()),
        sensitive: new.sensitive,
        spoiler_text: new.spoiler_text,
        visibility: new.visibility.filter(|v| !v.trim().is_empty()),
        in_reply_to_id: new.in_reply_to_id.filter(|v| !v.trim().is_empty()),
        language: new.language.filter(|v| !v.trim().is_empty()),
        application_id: new.application_id,
        scheduled_at: None,
        idempotency: new.idempotency_key,
        with_rate_limit: false,
        allowed_mentions: None,
        quoted_status_id: None,
        quote_approval_policy: "public".into(),
    };
    let row = ScheduledStatus {
        id: next_id(),
        account_id: account.id,
        scheduled_at: at,
        params: serde_json::to_string(&params).expect("parameters serialise"),
        idempotency_key: key.clone(),
        created_at: now,
    };
    let mut tx = state.db.begin().await?;
    accounts::lock_rows(tx.conn(), &[account.id]).await?;
    check_limits(tx.conn(), account.id, at, 0).await?;
    match scheduled_statuses::insert(tx.conn(), &row).await {
        Ok(()) => {}
        // A concurrent request with the same key won: answer with its scheduled status.
        Err(e) if crate::db::is_unique_violation(&e) => {
            drop(tx);
            let mut h = state.db.read().await?;
            let key = key.as_deref().unwrap_or_default();
            return scheduled_statuses::by_idempotency_key(h.conn(), account.id, key)
                .await?
                .ok_or_else(|| AppError::Internal(e.into()));
        }
        Err(e) => return Err(e.into()),
    }
    enqueue_publication(tx.conn(), row.id, at).await?;
    tx.commit().await?;
    state.wake_workers();
    Ok(row)
}

async fn enqueue_publication(c: crate::db::Conn<'_>, id: i64, at: i64) -> Result<(), sqlx::Error> {
    jobs::enqueue_at(
        c,
        &Job::PublishScheduledStatus { id },
        jobs::PRIORITY_LOCAL,
        at,
    )
    .await
}

/// `PUT /api/v1/scheduled_statuses/:id`: moves one's scheduled status to `raw` (RFC 3339).
pub async fn reschedule(
    state: &AppState,
    account: &Account,
    id: i64,
    raw: Option<&str>,
) -> AppResult<ScheduledStatus> {
    let now = now_ms();
    let mut tx = state.db.begin().await?;
    accounts::lock_rows(tx.conn(), &[account.id]).await?;
    let row = scheduled_statuses::get(tx.conn(), id, Some(account.id))
        .await?
        .ok_or(AppError::NotFound)?;
    let Some(raw) = raw.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(row);
    };
    let at = parse_rfc3339(raw)
        .ok_or_else(|| AppError::unprocessable("Validation failed: Scheduled at is invalid"))?;
    check_offset(at, now)?;
    check_limits(tx.conn(), account.id, at, id).await?;
    scheduled_statuses::reschedule(tx.conn(), id, account.id, at).await?;
    // The job of the previous time finds the status not due and leaves it to this one.
    enqueue_publication(tx.conn(), id, at).await?;
    tx.commit().await?;
    state.wake_workers();
    Ok(ScheduledStatus {
        scheduled_at: at,
        ..row
    })
}

/// The `PublishScheduledStatus` job: posts a due scheduled status as its author. A reply
/// whose parent is gone is posted as a new thread; a status no longer valid (its author's
/// login gone, a rule failing) is dropped with a warning. Idempotent: publishing deletes
/// the scheduled status in the posting's transaction.
pub async fn publish(state: &AppState, id: i64) -> anyhow::Result<()> {
    let (row, account, user) = {
        let mut h = state.db.read().await?;
        let Some(row) = scheduled_statuses::get(h.conn(), id, None).await? else {
            return Ok(());
        };
        if row.scheduled_at > now_ms() {
            return Ok(());
        }
        let account = accounts::get(h.conn(), row.account_id).await?;
        let user = accounts::get_user_by_account(h.conn(), row.account_id).await?;
        (row, account, user)
    };
    // An account suspended or a login disabled since then publishes nothing.
    let (Some(account), Some(user)) = (
        account.filter(|a| a.suspended_at.is_none()),
        user.filter(|u| !u.disabled),
    ) else {
        drop_scheduled(state, &row).await?;
        return Ok(());
    };
    let params: ScheduledParams = serde_json::from_str(&row.params)?;
    let mut new = NewStatus {
        text: Some(params.text),
        spoiler_text: params.spoiler_text,
        sensitive: params.sensitive,
        visibility: params.visibility,
        language: params.language,
        in_reply_to_id: params.in_reply_to_id,
        media_ids: params.media_ids.unwrap_or_default(),
        poll: params.poll.map(|p| PollInput {
            options: p.options,
            expires_in: p.expires_in,
            multiple: p.multiple,
            hide_totals: p.hide_totals,
        }),
        scheduled_status_id: Some(row.id),
        quoted_status_id: params.quoted_status_id,
        application_id: params.application_id,
        idempotency_key: params.idempotency,
    };
    let mut result = create::create(state, &account, &user, new.clone()).await;
    if matches!(result, Err(PostError::ReplyNotFound)) {
        new.in_reply_to_id = None;
        result = create::create(state, &account, &user, new).await;
    }
    match result {
        // An idempotency key may have answered with an earlier status: the scheduled one
        // is done either way.
        Ok(_) => drop_scheduled(state, &row).await,
        Err(PostError::App(AppError::Internal(e))) => Err(e),
        Err(e) => {
            tracing::warn!(scheduled_status = row.id, error = %e, "scheduled status not published");
            drop_scheduled(state, &row).await
        }
    }
}

async fn drop_scheduled(state: &AppState, row: &ScheduledStatus) -> anyhow::Result<()> {
    let mut tx = state.db.begin().await?;
    scheduled_statuses::delete(tx.conn(), row.id, row.account_id).await?;
    tx.commit().await?;
    Ok(())
}
