//! Turns database rows into Mastodon entities, in batches: one query per kind of data for a
//! whole page, never one per status. Visibility is enforced here for every status that
//! leaves the server through the client API. Statuses are written as JSON from cached
//! renderings ([`cache`], [`json`]).

pub mod broadcast;
pub mod cache;
pub mod json;
pub mod poll;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use serde::Deserialize;

use crate::api::entities::{
    self, AccountRoleBadge, ApprovalPolicy, Field, Mention, StatusApplication, StatusCore,
    StatusTag,
};
use crate::config::Config;
use crate::db::accounts::Account as AccountRow;
use crate::db::hydration::{self, StatusKey, TagRow, ViewerState, ViewerStateQuery};

use crate::db::statuses::{self, Status as StatusRow};
use crate::db::{Conn, accounts, polls};
use crate::service::filters::{self, Verdict, ViewerFilters};
use crate::time::{date, now_ms, rfc3339, rfc3339_midnight};
pub use cache::RenderCache;
use cache::{AccountVersion, Entry, StatusVersion};
pub use json::RawJson;
use json::{StatusParts, ViewerFlags};
use poll::{PollPart, PollReader};

/// A profile field as stored in `accounts.fields` (JSON array).
#[derive(Debug, Clone, Default, Deserialize, serde::Serialize)]
pub struct StoredField {
    /// Field name (plain text).
    pub name: String,
    /// Rendered HTML value.
    pub value: String,
    /// Plain-text value as typed (local accounts); reported in `source.fields`.
    #[serde(default)]
    pub value_source: String,
    /// When the value's link was verified (`rel="me"`), RFC 3339.
    #[serde(default)]
    pub verified_at: Option<String>,
}

/// Parses the stored fields JSON, tolerating an empty or broken value.
pub fn stored_fields(json: &str) -> Vec<StoredField> {
    serde_json::from_str(json).unwrap_or_default()
}

/// URL of the placeholder avatar served while an account has none.
pub fn default_avatar(cfg: &Config) -> String {
    format!("{}/avatars/original/missing.png", cfg.url)
}

/// URL of the placeholder header image.
pub fn default_header(cfg: &Config) -> String {
    format!("{}/headers/original/missing.png", cfg.url)
}

/// The profile page URL of an account.
pub fn account_url(cfg: &Config, a: &AccountRow) -> String {
    match (&a.domain, &a.url) {
        (None, _) => format!("{}/@{}", cfg.url, a.username),
        (Some(_), Some(url)) => url.clone(),
        (Some(_), None) => a.uri.clone(),
    }
}

/// The `Account` entity for a row.
pub fn account(cfg: &Config, a: &AccountRow) -> entities::Account {
    let avatar = a.avatar_url.clone().unwrap_or_else(|| default_avatar(cfg));
    let header = a.header_url.clone().unwrap_or_else(|| default_header(cfg));
    let suspended = a.suspended_at.is_some();
    entities::Account {
        id: a.id.to_string(),
        username: a.username.clone(),
        acct: a.acct(),
        display_name: a.display_name.clone(),
        locked: a.locked,
        bot: a.bot,
        discoverable: Some(a.discoverable),
        indexable: a.indexable,
        group: false,
        created_at: rfc3339_midnight(a.created_at),
        note: a.note.clone(),
        url: account_url(cfg, a),
        uri: a.uri.clone(),
        avatar_static: crate::service::media::static_url(cfg, &avatar),
        avatar,
        avatar_description: String::new(),
        header_static: crate::service::media::static_url(cfg, &header),
        header,
        header_description: String::new(),
        followers_count: a.followers_count,
        following_count: a.following_count,
        statuses_count: a.statuses_count,
        last_status_at: a.last_status_at.map(date),
        hide_collections: Some(a.hide_collections),
        show_media: true,
        show_media_replies: true,
        show_featured: true,
        noindex: !a.indexable,
        feature_approval: ApprovalPolicy {
            automatic: Vec::new(),
            manual: Vec::new(),
            current_user: "denied".into(),
        },
        emojis: Vec::new(),
        roles: Vec::<AccountRoleBadge>::new(),
        fields: stored_fields(&a.fields)
            .into_iter()
            .map(|f| Field {
                name: f.name,
                value: f.value,
                verified_at: f.verified_at,
            })
            .collect(),
        moved: None,
        suspended: suspended.then_some(true),
        limited: a.silenced_at.is_some().then_some(true),
        mute_expires_at: None,
    }
}

/// `Account` entities for these ids (unknown ids are absent from the map).
pub async fn accounts(
    c: Conn<'_>,
    cfg: &Config,
    ids: &[i64],
) -> Result<HashMap<i64, entities::Account>, sqlx::Error> {
    let rows = accounts::get_many_for_display(c, ids).await?;
    Ok(rows.iter().map(|a| (a.id, account(cfg, a))).collect())
}

/// `Account` entities in the order of `ids`, skipping unknown ones.
pub async fn accounts_ordered(
    c: Conn<'_>,
    cfg: &Config,
    ids: &[i64],
) -> Result<Vec<entities::Account>, sqlx::Error> {
    let mut map = accounts(c, cfg, ids).await?;
    Ok(ids.iter().filter_map(|id| map.remove(id)).collect())
}

/// Whether `viewer` may see a status by `author`, with the viewer's relations precomputed.
pub struct VisibilityFacts {
    viewer: Option<i64>,
    state: ViewerState,
}

/// What visibility is decided on: a status's id, author and visibility.
pub trait Audience {
    fn status_id(&self) -> i64;
    fn author_id(&self) -> i64;
    fn visibility(&self) -> &str;
}

/// Status rows and status keys carry the same three columns under the same names.
macro_rules! audience_from_columns {
    ($($t:ty),*) => {$(
        impl Audience for $t {
            fn status_id(&self) -> i64 {
                self.id
            }
            fn author_id(&self) -> i64 {
                self.account_id
            }
            fn visibility(&self) -> &str {
                &self.visibility
            }
        }
    )*};
}

audience_from_columns!(StatusRow, StatusKey);

/// Authors (other than the viewer) of `rows`, and whether any is followers-only, and the
/// restricted (followers-only or direct) statuses of others: what visibility depends on.
fn visibility_inputs<S: Audience>(viewer: i64, rows: &[&S]) -> (Vec<i64>, bool, Vec<i64>) {
    let authors: Vec<i64> = rows
        .iter()
        .map(|s| s.author_id())
        .filter(|a| *a != viewer)
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let restricted: Vec<i64> = rows
        .iter()
        .filter(|s| s.author_id() != viewer && matches!(s.visibility(), "private" | "direct"))
        .map(|s| s.status_id())
        .collect();
    let need_following = rows
        .iter()
        .any(|s| s.author_id() != viewer && s.visibility() == "private");
    (authors, need_following, restricted)
}

impl VisibilityFacts {
    /// Loads what is needed to decide visibility of `rows` for `viewer` (one query).
    pub async fn load(
        c: Conn<'_>,
        viewer: Option<i64>,
        rows: &[&StatusRow],
    ) -> Result<Self, sqlx::Error> {
        let Some(v) = viewer else {
            return Ok(VisibilityFacts {
                viewer,
                state: ViewerState::default(),
            });
        };
        let (authors, need_following, restricted) = visibility_inputs(v, rows);
        let state = hydration::viewer_state(
            c,
            &ViewerStateQuery {
                viewer: v,
                authors: &authors,
                need_following,
                restricted: &restricted,
                ..Default::default()
            },
        )
        .await?;
        Ok(VisibilityFacts { viewer, state })
    }

    /// Mastodon's `StatusPolicy#show?`.
    pub fn can_see(&self, s: &StatusRow) -> bool {
        can_see(self.viewer, &self.state, s)
    }
}

/// Mastodon's `StatusPolicy#show?` over a loaded [`ViewerState`] (empty when anonymous).
fn can_see<S: Audience>(viewer: Option<i64>, st: &ViewerState, s: &S) -> bool {
    if Some(s.author_id()) == viewer {
        return true;
    }
    match s.visibility() {
        "direct" => st.mentioned.contains(&s.status_id()),
        "private" => st.following.contains(&s.author_id()) || st.mentioned.contains(&s.status_id()),
        _ => !st.blocked_by.contains(&s.author_id()),
    }
}

/// Loads `id` and checks that `viewer` may see it (and, for a boost, its original).
/// `None` means "404": absent or invisible are indistinguishable to the caller.
pub async fn visible_status(
    mut c: Conn<'_>,
    viewer: Option<i64>,
    id: i64,
) -> Result<Option<StatusRow>, sqlx::Error> {
    let Some(s) = statuses::get(c.re(), id).await? else {
        return Ok(None);
    };
    let original = match s.reblog_of_id {
        Some(o) => statuses::get(c.re(), o).await?,
        None => None,
    };
    let mut rows = vec![&s];
    if let Some(o) = &original {
        rows.push(o);
    }
    let authors: Vec<i64> = rows.iter().map(|r| r.account_id).collect();
    let suspended = accounts::get_many(c.re(), &authors)
        .await?
        .iter()
        .any(|a| a.suspended_at.is_some());
    if suspended {
        return Ok(None);
    }
    let facts = VisibilityFacts::load(c.re(), viewer, &rows).await?;
    let ok = rows.iter().all(|r| facts.can_see(r));
    Ok(ok.then_some(s))
}

/// Options for [`statuses`].
#[derive(Debug, Clone, Copy)]
pub struct StatusOptions<'f> {
    /// Drop statuses the viewer may not see. Off only where the query already guarantees it.
    pub check_visibility: bool,
    /// Render boosts with `reblog: null` (used only for one's own boost of a status one may
    /// no longer see, answered when it is deleted).
    pub without_reblogs: bool,
    /// The viewer's filters for the context of the response: `hide` matches are left out,
    /// `warn`/`blur` matches listed in `filtered` (`service::filters`).
    pub filters: Option<&'f ViewerFilters>,
}

impl Default for StatusOptions<'_> {
    fn default() -> Self {
        StatusOptions {
            check_visibility: true,
            without_reblogs: false,
            filters: None,
        }
    }
}

impl<'f> StatusOptions<'f> {
    /// The default options, filtered with `filters`.
    pub fn filtered(filters: &'f ViewerFilters) -> StatusOptions<'f> {
        StatusOptions {
            filters: Some(filters),
            ..StatusOptions::default()
        }
    }
}

/// What rendering statuses needs from the server: its configuration and render cache.
#[derive(Clone, Copy)]
pub struct Render<'a> {
    pub cfg: &'a Config,
    pub cache: &'a RenderCache,
}

/// A `Status` entity, rendered, with the facts callers sort and filter by.
#[derive(Debug, Clone)]
pub struct RenderedStatus {
    pub id: i64,
    pub account_id: i64,
    pub in_reply_to_account_id: Option<i64>,
    pub json: RawJson,
}

/// The `StatusCore` of a status row (mentions and tags already resolved).
fn status_core(
    cfg: &Config,
    s: &StatusRow,
    app: Option<StatusApplication>,
    mentions: Vec<Mention>,
    tags: Vec<TagRow>,
    card: Option<serde_json::Value>,
    media_attachments: Vec<entities::MediaAttachment>,
) -> StatusCore {
    StatusCore {
        id: s.id.to_string(),
        created_at: rfc3339(s.created_at),
        in_reply_to_id: s.in_reply_to_id.map(|i| i.to_string()),
        in_reply_to_account_id: s.in_reply_to_account_id.map(|i| i.to_string()),
        sensitive: s.sensitive,
        spoiler_text: s.spoiler_text.clone(),
        visibility: s.visibility.clone(),
        language: s.language.clone(),
        uri: s.uri.clone(),
        // Boosts link to their activity, as Mastodon's `url_for` does.
        url: s.url.clone().or_else(|| Some(s.uri.clone())),
        replies_count: s.replies_count,
        reblogs_count: s.reblogs_count,
        favourites_count: s.favourites_count,
        quotes_count: 0,
        edited_at: s.edited_at.map(rfc3339),
        content: s.content.clone(),
        application: app,
        media_attachments,
        mentions,
        tags: tags
            .into_iter()
            .map(|t| StatusTag {
                url: format!("{}/tags/{}", cfg.url, t.name),
                name: t.name,
            })
            .collect(),
        emojis: Vec::new(),
        tagged_collections: Vec::new(),
        quote: None,
        card,
    }
}

/// Renders what the cache lacks: the cores of `statuses` and the accounts `authors`, stored
/// under the versions their keys were read with (four queries at most: statuses, mentions
/// and tags, media, accounts).
async fn render_missing(
    mut c: Conn<'_>,
    r: &Render<'_>,
    statuses: &[&StatusKey],
    authors: &[&StatusKey],
    cores: &mut HashMap<i64, Arc<Entry<StatusVersion>>>,
    accounts_out: &mut HashMap<i64, Arc<Entry<AccountVersion>>>,
) -> Result<(), sqlx::Error> {
    let ids: Vec<i64> = statuses.iter().map(|k| k.id).collect();
    let rows = hydration::statuses_with_apps(c.re(), &ids).await?;
    let (mentions, tags) = hydration::mentions_and_tags(c.re(), &ids).await?;
    let cards = crate::db::cards::for_statuses(c.re(), &ids).await?;
    let mut media_by: HashMap<i64, Vec<entities::MediaAttachment>> = HashMap::new();
    for m in crate::db::media::of_statuses(c.re(), &ids).await? {
        if let Some(status_id) = m.status_id {
            media_by
                .entry(status_id)
                .or_default()
                .push(crate::service::media::entity(r.cfg, &m));
        }
    }
    let mut polls_by: HashMap<i64, PollPart> = polls::of_statuses(c.re(), &ids)
        .await?
        .iter()
        .map(|p| (p.status_id, PollPart::of(p)))
        .collect();
    let mut account_ids: HashSet<i64> = authors.iter().map(|k| k.account_id).collect();
    account_ids.extend(mentions.iter().map(|m| m.account_id));
    let account_ids: Vec<i64> = account_ids.into_iter().collect();
    let account_rows: HashMap<i64, AccountRow> =
        accounts::get_many_for_display(c.re(), &account_ids)
            .await?
            .into_iter()
            .map(|a| (a.id, a))
            .collect();
    for k in authors {
        if let Some(a) = account_rows.get(&k.account_id) {
            let json = RawJson::of(&account(r.cfg, a)).into_string();
            let entry = r.cache.put_account(a.id, k.author_version(), json);
            accounts_out.insert(a.id, entry);
        }
    }
    let mut mentions_by: HashMap<i64, Vec<Mention>> = HashMap::new();
    for m in &mentions {
        if let Some(a) = account_rows.get(&m.account_id) {
            mentions_by.entry(m.status_id).or_default().push(Mention {
                id: a.id.to_string(),
                username: a.username.clone(),
                url: account_url(r.cfg, a),
                acct: a.acct(),
            });
        }
    }
    let mut tags_by: HashMap<i64, Vec<TagRow>> = HashMap::new();
    for t in tags {
        tags_by.entry(t.status_id).or_default().push(t);
    }
    let versions: HashMap<i64, StatusVersion> =
        statuses.iter().map(|k| (k.id, k.version())).collect();
    for row in rows {
        let s = row.status;
        let Some(version) = versions.get(&s.id) else {
            continue;
        };
        let app = row.app_name.map(|name| StatusApplication {
            name,
            website: row.app_website,
        });
        let core = status_core(
            r.cfg,
            &s,
            app,
            mentions_by.remove(&s.id).unwrap_or_default(),
            tags_by.remove(&s.id).unwrap_or_default(),
            cards
                .get(&s.id)
                .map(|c| crate::service::cards::entity(r.cfg, c)),
            media_by.remove(&s.id).unwrap_or_default(),
        );
        let entry = r.cache.put_status_with_poll(
            s.id,
            *version,
            RawJson::of(&core).into_string(),
            polls_by.remove(&s.id),
        );
        cores.insert(s.id, entry);
    }
    Ok(())
}

/// The cached renderings of some statuses and their authors.
struct Renderings {
    cores: HashMap<i64, Arc<Entry<StatusVersion>>>,
    authors: HashMap<i64, Arc<Entry<AccountVersion>>>,
    /// Whose votes `own_votes` holds (polls are written for this reader).
    viewer: Option<i64>,
    /// The reader's choices in the polls shown, by poll.
    own_votes: HashMap<i64, Vec<i64>>,
    /// When the polls are written (for `expired`).
    now: i64,
}

impl Renderings {
    /// Loads `viewer`'s votes in the polls of these renderings (one query, only when a poll
    /// is shown to a signed-in reader), so that polls are written for them.
    async fn load_votes(&mut self, c: Conn<'_>, viewer: Option<i64>) -> Result<(), sqlx::Error> {
        self.viewer = viewer;
        let poll_ids: Vec<i64> = self
            .cores
            .values()
            .filter_map(|e| e.poll.as_ref().map(|p| p.id))
            .collect();
        if let Some(v) = viewer
            && !poll_ids.is_empty()
        {
            for (poll_id, choice) in polls::votes_of(c, v, &poll_ids).await? {
                self.own_votes.entry(poll_id).or_default().push(choice);
            }
        }
        Ok(())
    }
}

/// The renderings of `keys` (statuses and their authors): from the cache, the rest rendered
/// and cached (three queries at most).
async fn renderings(
    c: Conn<'_>,
    r: &Render<'_>,
    keys: &[&StatusKey],
) -> Result<Renderings, sqlx::Error> {
    let mut cores: HashMap<i64, Arc<Entry<StatusVersion>>> = HashMap::new();
    let mut authors: HashMap<i64, Arc<Entry<AccountVersion>>> = HashMap::new();
    let mut missing_cores: Vec<&StatusKey> = Vec::new();
    let mut missing_authors: Vec<&StatusKey> = Vec::new();
    for &k in keys {
        if !cores.contains_key(&k.id) && !missing_cores.iter().any(|m| m.id == k.id) {
            match r.cache.status(k.id, k.version()) {
                Some(e) => {
                    cores.insert(k.id, e);
                }
                None => missing_cores.push(k),
            }
        }
        if !authors.contains_key(&k.account_id)
            && !missing_authors.iter().any(|m| m.account_id == k.account_id)
        {
            match r.cache.account(k.account_id, k.author_version()) {
                Some(e) => {
                    authors.insert(k.account_id, e);
                }
                None => missing_authors.push(k),
            }
        }
    }
    if !missing_cores.is_empty() || !missing_authors.is_empty() {
        render_missing(
            c,
            r,
            &missing_cores,
            &missing_authors,
            &mut cores,
            &mut authors,
        )
        .await?;
    }

    Ok(Renderings {
        cores,
        authors,
        viewer: None,
        own_votes: HashMap::new(),
        now: now_ms(),
    })
}

/// A cached status's poll with its reader.
fn poll_with_reader<'a>(
    e: &'a Entry<StatusVersion>,
    viewer: Option<i64>,
    own_votes: &'a HashMap<i64, Vec<i64>>,
    now: i64,
) -> Option<(&'a PollPart, PollReader<'a>)> {
    let p = e.poll.as_deref()?;
    Some((
        p,
        PollReader {
            viewer,
            own_votes: own_votes.get(&p.id).map(Vec::as_slice).unwrap_or(&[]),
            now,
        },
    ))
}

/// `Status` entities for `ids`, in the same order, for `viewer` (None = anonymous).
/// Statuses that do not exist, or that the viewer may not see, are left out.
///
/// Two queries when the renderings are cached (the statuses' keys, the viewer's state), one
/// more when polls are shown to a signed-in reader (their votes), at most four more for what
/// is not cached.
pub async fn statuses(
    mut c: Conn<'_>,
    r: &Render<'_>,
    viewer: Option<i64>,
    ids: &[i64],
    opts: StatusOptions<'_>,
) -> Result<Vec<RenderedStatus>, sqlx::Error> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let keys: HashMap<i64, StatusKey> = hydration::status_keys(c.re(), ids)
        .await?
        .into_iter()
        .map(|k| (k.id, k))
        .collect();

    // Visibility and the viewer's interaction flags, in one query.
    let state = match viewer {
        Some(v) => {
            let all: Vec<&StatusKey> = keys.values().collect();
            let (authors, need_following, restricted) = if opts.check_visibility {
                visibility_inputs(v, &all)
            } else {
                (Vec::new(), false, Vec::new())
            };
            let flagged: Vec<i64> = keys.keys().copied().collect();
            let conv: Vec<i64> = keys
                .values()
                .filter_map(|s| s.conversation_id)
                .collect::<HashSet<_>>()
                .into_iter()
                .collect();
            Some(
                hydration::viewer_state(
                    c.re(),
                    &ViewerStateQuery {
                        viewer: v,
                        authors: &authors,
                        need_following,
                        restricted: &restricted,
                        flagged: &flagged,
                        conversations: &conv,
                    },
                )
                .await?,
            )
        }
        None => None,
    };
    let empty = ViewerState::default();
    let st = state.as_ref().unwrap_or(&empty);
    // Statuses of suspended accounts are unavailable (Mastodon's `StatusPolicy#show?`).
    let shown = |k: &StatusKey| {
        k.author_suspended_at.is_none() && (!opts.check_visibility || can_see(viewer, st, k))
    };

    // The statuses to write: each requested one that may be shown, with its original.
    let mut wanted: Vec<(&StatusKey, Option<&StatusKey>)> = Vec::with_capacity(ids.len());
    for id in ids {
        let Some(k) = keys.get(id) else { continue };
        if !shown(k) {
            continue;
        }
        let original = match k.reblog_of_id {
            Some(o) if !opts.without_reblogs => match keys.get(&o) {
                Some(ok) if shown(ok) => Some(ok),
                _ => continue,
            },
            _ => None,
        };
        wanted.push((k, original));
    }

    // The viewer's filters: `hide` matches leave, the others keep their `filtered` results.
    let mut verdicts: HashMap<i64, Verdict> = HashMap::new();
    if let (Some(f), Some(_)) = (opts.filters, viewer)
        && !f.is_empty()
    {
        let texts: HashMap<i64, String> = if f.needs_text() {
            let proper: Vec<i64> = wanted.iter().map(|(k, o)| o.unwrap_or(*k).id).collect();
            crate::db::filters::status_texts(c.re(), &proper)
                .await?
                .iter()
                .map(|t| (t.id, filters::searchable_text(t)))
                .collect()
        } else {
            HashMap::new()
        };
        wanted.retain(|(k, o)| {
            // One's own statuses are never filtered.
            if Some(k.account_id) == viewer {
                return true;
            }
            let proper = o.unwrap_or(*k);
            let verdict = f.judge(
                k.id,
                k.reblog_of_id,
                texts.get(&proper.id).map(String::as_str),
            );
            let keep = verdict != Verdict::Hidden;
            verdicts.insert(k.id, verdict);
            keep
        });
    }
    let filtered_of = |id: i64| verdicts.get(&id).and_then(Verdict::filtered);

    let keys: Vec<&StatusKey> = wanted
        .iter()
        .flat_map(|(k, o)| std::iter::once(*k).chain(*o))
        .collect();
    let mut rendered = renderings(c.re(), r, &keys).await?;
    rendered.load_votes(c, viewer).await?;

    let flags = |k: &StatusKey| state.as_ref().map(|f| viewer_flags(f, viewer, k));
    let mut out = Vec::with_capacity(wanted.len());
    for (k, original) in wanted {
        let written = rendered.write(
            (k, flags(k)),
            original.map(|o| (o, flags(o))),
            filtered_of(k.id),
        );
        if let Some(json) = written {
            out.push(RenderedStatus {
                id: k.id,
                account_id: k.account_id,
                in_reply_to_account_id: k.in_reply_to_account_id,
                json,
            });
        }
    }
    Ok(out)
}

/// A viewer's flags on the status `k`, from their loaded state.
fn viewer_flags(f: &ViewerState, viewer: Option<i64>, k: &StatusKey) -> ViewerFlags {
    ViewerFlags {
        favourited: f.favourited.contains(&k.id),
        reblogged: f.reblogged.contains(&k.id),
        muted: k
            .conversation_id
            .is_some_and(|c| f.muted_conversations.contains(&c)),
        bookmarked: f.bookmarked.contains(&k.id),
        pinned: (Some(k.account_id) == viewer).then(|| f.pinned.contains(&k.id)),
    }
}

impl Renderings {
    /// Writes the complete `Status` of `k` (with the reader's flags, `None` for anonymous
    /// readers, and `filtered` results) and, for a boost, of its `original` (which carries the
    /// same `filtered`); `None` when a rendering is missing.
    fn write(
        &self,
        (k, mut flags): (&StatusKey, Option<ViewerFlags>),
        original: Option<(&StatusKey, Option<ViewerFlags>)>,
        filtered: Option<&str>,
    ) -> Option<RawJson> {
        let quotable = |k: &StatusKey| matches!(k.visibility.as_str(), "public" | "unlisted");
        let core = self.cores.get(&k.id)?;
        let author = self.authors.get(&k.account_id)?;
        let reblog = match original {
            Some((o, oflags)) => {
                let ocore = self.cores.get(&o.id)?;
                let oauthor = self.authors.get(&o.account_id)?;
                // A boost carries the original's interaction state, as in Mastodon.
                if let (Some(v), Some(of)) = (flags.as_mut(), oflags) {
                    v.favourited = of.favourited;
                    v.reblogged = of.reblogged;
                    v.bookmarked = of.bookmarked;
                    v.muted = of.muted;
                }
                Some(json::status(&StatusParts {
                    core: &ocore.json,
                    account: &oauthor.json,
                    reblog: None,
                    quotable: quotable(o),
                    viewer: oflags,
                    poll: poll_with_reader(ocore, self.viewer, &self.own_votes, self.now),
                    filtered,
                }))
            }
            None => None,
        };
        Some(json::status(&StatusParts {
            core: &core.json,
            account: &author.json,
            reblog: reblog.as_ref().map(RawJson::as_str),
            quotable: quotable(k),
            viewer: flags,
            poll: poll_with_reader(core, self.viewer, &self.own_votes, self.now),
            filtered,
        }))
    }
}
