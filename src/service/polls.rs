//! Polls: Mastodon's limits on new polls, storing a status's poll (and replacing it on an
//! edit), voting, and the end of a poll (`poll` notifications to local voters and the
//! author, by a durable job at the poll's end).
//!
//! What a `Status` shows of its poll is part of the status's cached rendering, so every
//! change here touches the status (`db::polls::touch_status`) in the same transaction.

use crate::db::accounts::Account;
use crate::db::polls::{self, Poll, Vote};
use crate::db::{Conn, follows, notifications};
use crate::error::{AppError, AppResult};
use crate::id::next_id;
use crate::jobs::{self, Job};
use crate::service::federate;
use crate::service::hydrate::poll::{PollPart, PollReader, poll_json};
use crate::service::hydrate::{self, RawJson};
use crate::service::notify::{self, kind};
use crate::state::AppState;
use crate::time::now_ms;

/// Most options a poll may have (Mastodon's `PollOptionsValidator::MAX_OPTIONS`).
pub const MAX_OPTIONS: usize = 4;
/// Most characters of one option.
pub const MAX_OPTION_CHARS: usize = 50;
/// Shortest duration, in seconds (5 minutes).
pub const MIN_EXPIRATION: i64 = 300;
/// Longest duration, in seconds (a month, as Rails counts it).
pub const MAX_EXPIRATION: i64 = 2_629_746;

/// A poll as a client described it (`poll[options][]`, `poll[expires_in]`, …).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PollInput {
    /// `poll[options][]`.
    pub options: Vec<String>,
    /// `poll[expires_in]`, in seconds.
    pub expires_in: Option<i64>,
    /// `poll[multiple]`.
    pub multiple: bool,
    /// `poll[hide_totals]`.
    pub hide_totals: bool,
}

/// A validated poll, ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PollSpec {
    /// The option titles.
    pub options: Vec<String>,
    /// When it ends (unix ms).
    pub expires_at: i64,
    /// Several choices allowed.
    pub multiple: bool,
    /// Totals hidden until the end.
    pub hide_totals: bool,
}

fn invalid(msg: impl std::fmt::Display) -> AppError {
    AppError::unprocessable(format!("Validation failed: {msg}"))
}

/// Mastodon's validations of a new poll (options and duration), with its messages.
pub fn validate(input: &PollInput, now: i64) -> AppResult<PollSpec> {
    let n = input.options.len();
    if n < 2 {
        return Err(invalid("Poll options must have more than one item"));
    }
    if n > MAX_OPTIONS {
        return Err(invalid(format!(
            "Poll options can't contain more than {MAX_OPTIONS} items"
        )));
    }
    if input
        .options
        .iter()
        .any(|o| o.chars().count() > MAX_OPTION_CHARS)
    {
        return Err(invalid(format!(
            "Poll options cannot be longer than {MAX_OPTION_CHARS} characters each"
        )));
    }
    let mut seen = input.options.clone();
    seen.sort();
    seen.dedup();
    if seen.len() != n {
        return Err(invalid("Poll options contain duplicate items"));
    }
    let expires_in = match input.expires_in {
        None => return Err(invalid("Poll expires at is too far into the future")),
        Some(s) if s > MAX_EXPIRATION => {
            return Err(invalid("Poll expires at is too far into the future"));
        }
        Some(s) if s < MIN_EXPIRATION => return Err(invalid("Poll expires at is too soon")),
        Some(s) => s,
    };
    Ok(PollSpec {
        options: input.options.clone(),
        expires_at: now + expires_in * 1000,
        multiple: input.multiple,
        hide_totals: input.hide_totals,
    })
}

/// Stores the poll of a new local status and schedules its end, inside the posting
/// transaction.
pub async fn create(
    mut c: Conn<'_>,
    spec: &PollSpec,
    status_id: i64,
    account_id: i64,
    now: i64,
) -> Result<i64, sqlx::Error> {
    let id = next_id();
    polls::insert(
        c.re(),
        &Poll {
            id,
            status_id,
            account_id,
            local: true,
            options: serde_json::to_string(&spec.options).expect("strings serialise"),
            tallies: serde_json::to_string(&vec![0i64; spec.options.len()])
                .expect("integers serialise"),
            multiple: spec.multiple,
            hide_totals: spec.hide_totals,
            votes_count: 0,
            voters_count: Some(0),
            expires_at: Some(spec.expires_at),
            created_at: now,
            updated_at: now,
        },
    )
    .await?;
    schedule_end(c, id, spec.expires_at).await?;
    Ok(id)
}

/// Enqueues the job that ends poll `id` at `at`.
pub async fn schedule_end(c: Conn<'_>, id: i64, at: i64) -> Result<(), sqlx::Error> {
    jobs::enqueue_at(c, &Job::PollEnded { poll_id: id }, jobs::PRIORITY_LOCAL, at).await
}

/// What an edit does to a status's poll.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PollChange {
    /// Nothing changed.
    None,
    /// The poll was added, removed or redefined.
    Changed,
}

/// Applies an edit's poll (or its absence) to status `status_id`, as Mastodon's
/// `UpdateStatusService` does: no poll removes it; changed options or kind reset every vote;
/// the end is recomputed from `expires_in`. Inside the edit's transaction.
pub async fn apply_edit(
    mut c: Conn<'_>,
    status_id: i64,
    account_id: i64,
    spec: Option<&PollSpec>,
    now: i64,
) -> Result<PollChange, sqlx::Error> {
    let previous = polls::of_status(c.re(), status_id).await?;
    match (previous, spec) {
        (None, None) => Ok(PollChange::None),
        (Some(p), None) => {
            polls::delete(c, p.id).await?;
            Ok(PollChange::Changed)
        }
        (None, Some(spec)) => {
            create(c, spec, status_id, account_id, now).await?;
            Ok(PollChange::Changed)
        }
        (Some(p), Some(spec)) => {
            let reset = p.titles() != spec.options || p.multiple != spec.multiple;
            let same_end = p.expires_at == Some(spec.expires_at);
            if !reset && same_end && p.hide_totals == spec.hide_totals {
                return Ok(PollChange::None);
            }
            let (tallies, votes, voters) = if reset {
                polls::delete_votes(c.re(), p.id).await?;
                (vec![0i64; spec.options.len()], 0, Some(0))
            } else {
                (p.counts(), p.votes_count, p.voters_count)
            };
            polls::redefine(
                c.re(),
                &Poll {
                    options: serde_json::to_string(&spec.options).expect("strings serialise"),
                    tallies: serde_json::to_string(&tallies).expect("integers serialise"),
                    multiple: spec.multiple,
                    hide_totals: spec.hide_totals,
                    votes_count: votes,
                    voters_count: voters,
                    expires_at: Some(spec.expires_at),
                    updated_at: now,
                    ..p.clone()
                },
            )
            .await?;
            if !same_end {
                schedule_end(c, p.id, spec.expires_at).await?;
            }
            Ok(PollChange::Changed)
        }
    }
}

/// A poll and its status, checked visible to `viewer` (else `NotFound`).
pub async fn visible_poll(mut c: Conn<'_>, viewer: Option<i64>, poll_id: i64) -> AppResult<Poll> {
    let poll = polls::get(c.re(), poll_id)
        .await?
        .ok_or(AppError::NotFound)?;
    hydrate::visible_status(c, viewer, poll.status_id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(poll)
}

/// The `Poll` entity of `poll` for `viewer`.
pub async fn render(mut c: Conn<'_>, viewer: Option<i64>, poll: &Poll) -> AppResult<RawJson> {
    let own = match viewer {
        Some(v) => polls::choices_of(c.re(), poll.id, v).await?,
        None => Vec::new(),
    };
    Ok(RawJson::written(poll_json(
        &PollPart::of(poll),
        PollReader {
            viewer,
            own_votes: &own,
            now: now_ms(),
        },
    )))
}

/// `GET /api/v1/polls/:id`.
pub async fn show(state: &AppState, viewer: Option<i64>, poll_id: i64) -> AppResult<RawJson> {
    let mut h = state.db.read().await?;
    let poll = visible_poll(h.conn(), viewer, poll_id).await?;
    render(h.conn(), viewer, &poll).await
}

/// Parses `choices[]` (option indexes).
fn parse_choices(raw: &[String]) -> AppResult<Vec<i64>> {
    if raw.iter().all(|c| c.trim().is_empty()) {
        return Err(AppError::missing_param("choices"));
    }
    raw.iter()
        .map(|c| c.trim())
        .filter(|c| !c.is_empty())
        .map(|c| {
            c.parse::<i64>()
                .map_err(|_| invalid("The chosen vote option does not exist"))
        })
        .collect()
}

/// `POST /api/v1/polls/:id/votes`: `account` votes for `choices` (Mastodon's
/// `VoteValidator`: not ended, existing options, not one's own poll, once per option and
/// only one option in a single-choice poll). Returns the updated `Poll` entity.
pub async fn vote(
    state: &AppState,
    account: &Account,
    poll_id: i64,
    raw_choices: &[String],
) -> AppResult<RawJson> {
    let choices = parse_choices(raw_choices)?;
    let now = now_ms();
    let mut tx = state.db.begin().await?;
    polls::lock(tx.conn(), poll_id).await?;
    let poll = visible_poll(tx.conn(), Some(account.id), poll_id).await?;
    if follows::blocked_either_way(tx.conn(), account.id, poll.account_id).await? {
        return Err(AppError::Forbidden("This action is not allowed".into()));
    }
    if poll.expired_at(now) {
        return Err(invalid("The poll has already ended"));
    }
    let n = poll.titles().len() as i64;
    if choices.iter().any(|c| *c < 0 || *c >= n) {
        return Err(invalid("The chosen vote option does not exist"));
    }
    if poll.account_id == account.id {
        return Err(invalid("You cannot vote in your own polls"));
    }
    let previous = polls::choices_of(tx.conn(), poll.id, account.id).await?;
    let mut unique = choices.clone();
    unique.sort_unstable();
    unique.dedup();
    let already = if poll.multiple {
        unique.len() != choices.len() || choices.iter().any(|c| previous.contains(c))
    } else {
        !previous.is_empty() || choices.len() > 1
    };
    if already {
        return Err(invalid("You have already voted on this poll"));
    }
    let titles = poll.titles();
    let mut sent: Vec<(String, String)> = Vec::new();
    for choice in &choices {
        let id = next_id();
        // A vote in a remote poll is sent to its author as a Note with this id.
        let uri = (!poll.local).then(|| format!("{}#votes/{id}", account.uri));
        polls::insert_vote(
            tx.conn(),
            &Vote {
                id,
                poll_id: poll.id,
                account_id: account.id,
                choice: *choice,
                uri: uri.clone(),
                created_at: now,
            },
        )
        .await?;
        if let (Some(uri), Some(title)) = (
            uri,
            usize::try_from(*choice).ok().and_then(|i| titles.get(i)),
        ) {
            sent.push((uri, title.clone()));
        }
    }
    count_votes(tx.conn(), &poll, &choices, previous.is_empty(), now).await?;
    polls::touch_status(tx.conn(), poll.status_id, now).await?;
    if poll.local {
        federate::poll_updated(tx.conn(), site(state), poll.status_id).await?;
    } else {
        federate::poll_votes(tx.conn(), account, &poll, &sent).await?;
    }
    let updated = polls::get(tx.conn(), poll.id)
        .await?
        .ok_or(AppError::NotFound)?;
    let json = render(tx.conn(), Some(account.id), &updated).await?;
    tx.commit().await?;
    state.wake_workers();
    Ok(json)
}

/// Brings a poll's counts up to date after new votes: a local poll is recounted from its
/// votes; a remote one (whose server holds the votes) is incremented until its author's
/// server sends the tallies.
pub async fn count_votes(
    c: Conn<'_>,
    poll: &Poll,
    choices: &[i64],
    new_voter: bool,
    now: i64,
) -> Result<(), sqlx::Error> {
    if poll.local {
        return polls::recount(c, poll, now).await;
    }
    let mut tallies = poll.counts();
    for choice in choices {
        if let Some(t) = usize::try_from(*choice)
            .ok()
            .and_then(|i| tallies.get_mut(i))
        {
            *t += 1;
        }
    }
    let voters = poll
        .voters_count
        .map(|v| v + i64::from(new_voter && !choices.is_empty()));
    polls::set_tallies(
        c,
        poll.id,
        &tallies,
        poll.votes_count + choices.len() as i64,
        voters,
        now,
    )
    .await
}

/// The `PollEnded` job: when a poll has ended, tells its local voters and (when local) its
/// author, once (notifications are unique per poll and recipient). A poll whose end moved
/// later (an edit) is left for the job of its new end.
pub async fn ended(state: &AppState, poll_id: i64) -> anyhow::Result<()> {
    let now = now_ms();
    let mut tx = state.db.begin().await?;
    let Some(poll) = polls::get(tx.conn(), poll_id).await? else {
        return Ok(());
    };
    if !poll.expired_at(now) {
        return Ok(());
    }
    for voter in polls::local_voters(tx.conn(), poll.id).await? {
        notify::notify(
            tx.conn(),
            voter,
            poll.account_id,
            kind::POLL,
            Some(poll.status_id),
            poll.id,
        )
        .await?;
    }
    notifications::create_own(
        tx.conn(),
        next_id(),
        poll.account_id,
        kind::POLL,
        Some(poll.status_id),
        poll.id,
        now,
    )
    .await?;
    polls::touch_status(tx.conn(), poll.status_id, now).await?;
    if poll.local {
        // Followers and voters elsewhere learn the final tallies (`closed`).
        federate::poll_updated(tx.conn(), site(state), poll.status_id).await?;
    }
    tx.commit().await?;
    state.wake_workers();
    Ok(())
}

/// This server's [`federate::site`].
fn site(state: &AppState) -> crate::federation::render::Site<'_> {
    federate::site(&state.config, &state.domain)
}

/// A vote received from another server (`Create(Note{name, inReplyTo})` answering the
/// local status `status`): recorded when the poll is local and open, the voter is not its
/// author, `name` is one of its options and a single-choice poll has no vote of theirs yet;
/// otherwise ignored, as Mastodon does. Idempotent on the vote's `uri`. The new tallies go
/// out as `Update(Question)`.
pub async fn record_remote_vote(
    state: &AppState,
    status_id: i64,
    voter: &Account,
    name: &str,
    uri: &str,
) -> Result<(), sqlx::Error> {
    let now = now_ms();
    let mut tx = state.db.begin().await?;
    let Some(poll) = polls::of_status(tx.conn(), status_id).await? else {
        return Ok(());
    };
    polls::lock(tx.conn(), poll.id).await?;
    let Some(choice) = poll.titles().iter().position(|t| t == name) else {
        return Ok(());
    };
    if !poll.local || poll.expired_at(now) || poll.account_id == voter.id {
        return Ok(());
    }
    let previous = polls::choices_of(tx.conn(), poll.id, voter.id).await?;
    if !poll.multiple && !previous.is_empty() {
        return Ok(());
    }
    let inserted = polls::insert_vote(
        tx.conn(),
        &Vote {
            id: next_id(),
            poll_id: poll.id,
            account_id: voter.id,
            choice: choice as i64,
            uri: Some(uri.to_owned()),
            created_at: now,
        },
    )
    .await?;
    if !inserted {
        return Ok(());
    }
    polls::recount(tx.conn(), &poll, now).await?;
    polls::touch_status(tx.conn(), poll.status_id, now).await?;
    federate::poll_updated(tx.conn(), site(state), poll.status_id).await?;
    tx.commit().await?;
    state.wake_workers();
    Ok(())
}
