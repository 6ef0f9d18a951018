//! Turns database rows into Mastodon entities, in batches: one query per kind of data for a
//! whole page, never one per status. Visibility is enforced here for every status that
//! leaves the server through the client API.

use std::collections::{HashMap, HashSet};

use serde::Deserialize;

use crate::api::entities::{
    self, AccountRoleBadge, ApprovalPolicy, Field, Mention, StatusApplication, StatusTag,
};
use crate::config::Config;
use crate::db::accounts::Account as AccountRow;
use crate::db::hydration::{self, ViewerState, ViewerStateQuery};
use crate::db::statuses::{self, Status as StatusRow};
use crate::db::{Conn, accounts};
use crate::time::{date, rfc3339, rfc3339_midnight};

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
        avatar_static: avatar.clone(),
        avatar,
        avatar_description: String::new(),
        header_static: header.clone(),
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

/// Authors (other than the viewer) of `rows`, and whether any is followers-only, and the
/// restricted (followers-only or direct) statuses of others: what visibility depends on.
fn visibility_inputs(viewer: i64, rows: &[&StatusRow]) -> (Vec<i64>, bool, Vec<i64>) {
    let authors: Vec<i64> = rows
        .iter()
        .map(|s| s.account_id)
        .filter(|a| *a != viewer)
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let restricted: Vec<i64> = rows
        .iter()
        .filter(|s| s.account_id != viewer && matches!(s.visibility.as_str(), "private" | "direct"))
        .map(|s| s.id)
        .collect();
    let need_following = rows
        .iter()
        .any(|s| s.account_id != viewer && s.visibility == "private");
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
fn can_see(viewer: Option<i64>, st: &ViewerState, s: &StatusRow) -> bool {
    if Some(s.account_id) == viewer {
        return true;
    }
    match s.visibility.as_str() {
        "direct" => st.mentioned.contains(&s.id),
        "private" => st.following.contains(&s.account_id) || st.mentioned.contains(&s.id),
        _ => !st.blocked_by.contains(&s.account_id),
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
pub struct StatusOptions {
    /// Drop statuses the viewer may not see. Off only where the query already guarantees it.
    pub check_visibility: bool,
}

impl Default for StatusOptions {
    fn default() -> Self {
        StatusOptions {
            check_visibility: true,
        }
    }
}

/// `Status` entities for `ids`, in the same order, for `viewer` (None = anonymous).
/// Statuses that do not exist, or that the viewer may not see, are left out.
pub async fn statuses(
    mut c: Conn<'_>,
    cfg: &Config,
    viewer: Option<i64>,
    ids: &[i64],
    opts: StatusOptions,
) -> Result<Vec<entities::Status>, sqlx::Error> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut rows: HashMap<i64, StatusRow> = HashMap::with_capacity(ids.len() + 8);
    let mut apps: HashMap<i64, (String, Option<String>)> = HashMap::new();
    for r in hydration::statuses_with_originals(c.re(), ids).await? {
        if let (Some(app_id), Some(name)) = (r.status.application_id, r.app_name) {
            apps.insert(app_id, (name, r.app_website));
        }
        rows.insert(r.status.id, r.status);
    }
    let all_ids: Vec<i64> = rows.keys().copied().collect();
    let (mentions, tags) = hydration::mentions_and_tags(c.re(), &all_ids).await?;
    let mut account_ids: HashSet<i64> = rows.values().map(|s| s.account_id).collect();
    account_ids.extend(mentions.iter().map(|m| m.account_id));
    let account_ids: Vec<i64> = account_ids.into_iter().collect();
    let account_rows: HashMap<i64, AccountRow> =
        accounts::get_many_for_display(c.re(), &account_ids)
            .await?
            .into_iter()
            .map(|a| (a.id, a))
            .collect();

    // Visibility and the viewer's interaction flags, in one query.
    let state = match viewer {
        Some(v) => {
            let all: Vec<&StatusRow> = rows.values().collect();
            let (authors, need_following, restricted) = if opts.check_visibility {
                visibility_inputs(v, &all)
            } else {
                (Vec::new(), false, Vec::new())
            };
            let conv: Vec<i64> = rows
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
                        flagged: &all_ids,
                        conversations: &conv,
                    },
                )
                .await?,
            )
        }
        None => None,
    };
    let visible: HashSet<i64> = if opts.check_visibility {
        let empty = ViewerState::default();
        let st = state.as_ref().unwrap_or(&empty);
        rows.values()
            .filter(|s| can_see(viewer, st, s))
            .map(|s| s.id)
            .collect()
    } else {
        rows.keys().copied().collect()
    };
    let flags = state.as_ref();

    let mut mentions_by: HashMap<i64, Vec<Mention>> = HashMap::new();
    for m in &mentions {
        if let Some(a) = account_rows.get(&m.account_id) {
            mentions_by.entry(m.status_id).or_default().push(Mention {
                id: a.id.to_string(),
                username: a.username.clone(),
                url: account_url(cfg, a),
                acct: a.acct(),
            });
        }
    }
    let mut tags_by: HashMap<i64, Vec<StatusTag>> = HashMap::new();
    for t in &tags {
        tags_by.entry(t.status_id).or_default().push(StatusTag {
            name: t.name.clone(),
            url: format!("{}/tags/{}", cfg.url, t.name),
        });
    }
    let mut account_cache: HashMap<i64, entities::Account> = HashMap::new();

    let build = |s: &StatusRow,
                 account_cache: &mut HashMap<i64, entities::Account>|
     -> Option<entities::Status> {
        let author = account_rows.get(&s.account_id)?;
        // Statuses of suspended accounts are unavailable (Mastodon's `StatusPolicy#show?`).
        if author.suspended_at.is_some() {
            return None;
        }
        let acc = account_cache
            .entry(author.id)
            .or_insert_with(|| account(cfg, author))
            .clone();
        let f = flags;
        Some(entities::Status {
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
            favourited: f.map(|f| f.favourited.contains(&s.id)),
            reblogged: f.map(|f| f.reblogged.contains(&s.id)),
            muted: f.map(|f| {
                s.conversation_id
                    .is_some_and(|c| f.muted_conversations.contains(&c))
            }),
            bookmarked: f.map(|f| f.bookmarked.contains(&s.id)),
            pinned: f
                .and_then(|f| (Some(s.account_id) == viewer).then(|| f.pinned.contains(&s.id))),
            content: s.content.clone(),
            filtered: viewer.map(|_| Vec::new()),
            reblog: None,
            application: s
                .application_id
                .and_then(|id| apps.get(&id))
                .map(|(name, website)| StatusApplication {
                    name: name.clone(),
                    website: website.clone(),
                }),
            account: acc,
            media_attachments: Vec::new(),
            mentions: mentions_by.get(&s.id).cloned().unwrap_or_default(),
            tags: tags_by.get(&s.id).cloned().unwrap_or_default(),
            emojis: Vec::new(),
            tagged_collections: Vec::new(),
            quote: None,
            card: None,
            poll: None,
            quote_approval: ApprovalPolicy {
                automatic: if s.visibility == "public" || s.visibility == "unlisted" {
                    vec!["public".into()]
                } else {
                    Vec::new()
                },
                manual: Vec::new(),
                current_user: if viewer.is_some()
                    && (s.visibility == "public" || s.visibility == "unlisted")
                {
                    "automatic".into()
                } else {
                    "denied".into()
                },
            },
            text: None,
        })
    };

    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        let Some(s) = rows.get(id) else { continue };
        if !visible.contains(&s.id) {
            continue;
        }
        let Some(mut entity) = build(s, &mut account_cache) else {
            continue;
        };
        if let Some(orig_id) = s.reblog_of_id {
            let Some(orig) = rows.get(&orig_id) else {
                continue;
            };
            if !visible.contains(&orig_id) {
                continue;
            }
            let Some(orig_entity) = build(orig, &mut account_cache) else {
                continue;
            };
            // A boost carries the original's interaction state, as in Mastodon.
            entity.favourited = orig_entity.favourited;
            entity.reblogged = orig_entity.reblogged;
            entity.bookmarked = orig_entity.bookmarked;
            entity.muted = orig_entity.muted;
            entity.reblog = Some(Box::new(orig_entity));
        }
        out.push(entity);
    }
    Ok(out)
}
