//! One status written for many signed-in viewers at once, for live streams.
//!
//! A post reaching ten thousand open streams must not cost ten thousand page renderings.
//! The status and its author are rendered once (from the render cache), the viewers'
//! relations to it are loaded in a few batched queries ([`hydration::audience_state`], a few
//! hundred viewers per query), and each viewer gets the same visibility rule and flags as
//! [`super::statuses`] would give them. Viewers whose flags are alike share one rendering:
//! for a new post nearly everyone shares the first.

use std::collections::{HashMap, HashSet};

use super::json::ViewerFlags;
use super::{RawJson, Render, StatusKey, can_see, renderings, viewer_flags};
use crate::db::Conn;
use crate::db::hydration::{self, AudienceQuery, ViewerState};

/// Viewers per batched query.
const CHUNK: usize = 400;

/// How one viewer gets the status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seen {
    /// Which of [`Broadcast::variants`] is theirs.
    pub variant: usize,
    /// They block or mute its author, booster or someone it mentions (only computed when
    /// asked; public streams leave them out).
    pub excluded: bool,
}

/// A status rendered for many viewers.
#[derive(Debug, Default)]
pub struct Broadcast {
    /// The distinct renderings.
    pub variants: Vec<RawJson>,
    /// The viewers who may see it (the others are absent).
    pub viewers: HashMap<i64, Seen>,
}

impl Broadcast {
    /// The rendering `viewer` gets, if they may see the status.
    pub fn for_viewer(&self, viewer: i64) -> Option<(&RawJson, Seen)> {
        let seen = *self.viewers.get(&viewer)?;
        Some((&self.variants[seen.variant], seen))
    }
}

/// Renders status `status_id` for each of `viewers` who may see it (Mastodon's
/// `StatusPolicy#show?`, as in [`super::statuses`]); with `exclusions`, also marks who
/// blocks or mutes someone it is by or about.
pub async fn status_for_viewers(
    mut c: Conn<'_>,
    r: &Render<'_>,
    status_id: i64,
    viewers: &[i64],
    exclusions: bool,
) -> Result<Broadcast, sqlx::Error> {
    if viewers.is_empty() {
        return Ok(Broadcast::default());
    }
    let keys: HashMap<i64, StatusKey> = hydration::status_keys(c.re(), &[status_id])
        .await?
        .into_iter()
        .map(|k| (k.id, k))
        .collect();
    let Some(k) = keys.get(&status_id) else {
        return Ok(Broadcast::default());
    };
    let original = match k.reblog_of_id {
        Some(o) => match keys.get(&o) {
            Some(ok) => Some(ok),
            None => return Ok(Broadcast::default()),
        },
        None => None,
    };
    let shown: Vec<&StatusKey> = std::iter::once(k).chain(original).collect();
    if shown.iter().any(|s| s.author_suspended_at.is_some()) {
        return Ok(Broadcast::default());
    }
    let ids: Vec<i64> = shown.iter().map(|s| s.id).collect();
    let mut authors: Vec<i64> = shown.iter().map(|s| s.account_id).collect();
    authors.dedup();
    let conversations: Vec<i64> = shown
        .iter()
        .filter_map(|s| s.conversation_id)
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let followers_of = shown
        .iter()
        .find(|s| s.visibility == "private")
        .map(|s| s.account_id);

    let mut states: HashMap<i64, ViewerState> = HashMap::new();
    let mut excluded: HashSet<i64> = HashSet::new();
    let now = crate::time::now_ms();
    for chunk in viewers.chunks(CHUNK) {
        let rows = hydration::audience_state(
            c.re(),
            &AudienceQuery {
                viewers: chunk,
                statuses: &ids,
                authors: &authors,
                followers_of,
                conversations: &conversations,
                exclusions,
                now,
            },
        )
        .await?;
        for (kind, viewer, subject) in rows {
            if kind == "X" {
                excluded.insert(viewer);
                continue;
            }
            let st = states.entry(viewer).or_default();
            let set = match kind.as_str() {
                "B" => &mut st.blocked_by,
                "F" => &mut st.following,
                "M" => &mut st.mentioned,
                "f" => &mut st.favourited,
                "r" => &mut st.reblogged,
                "b" => &mut st.bookmarked,
                "p" => &mut st.pinned,
                _ => &mut st.muted_conversations,
            };
            set.insert(subject);
        }
    }

    let rendered = renderings(c, r, &shown).await?;
    let empty = ViewerState::default();
    let mut out = Broadcast::default();
    let mut variants: Vec<(Option<ViewerFlags>, Option<ViewerFlags>)> = Vec::new();
    for &viewer in viewers {
        if out.viewers.contains_key(&viewer) {
            continue;
        }
        let st = states.get(&viewer).unwrap_or(&empty);
        if !shown.iter().all(|s| can_see(Some(viewer), st, *s)) {
            continue;
        }
        let flags = (
            Some(viewer_flags(st, Some(viewer), k)),
            original.map(|o| viewer_flags(st, Some(viewer), o)),
        );
        let variant = match variants.iter().position(|v| *v == flags) {
            Some(i) => i,
            None => {
                let Some(json) = rendered.write((k, flags.0), original.map(|o| (o, flags.1)), None)
                else {
                    continue;
                };
                variants.push(flags);
                out.variants.push(json);
                variants.len() - 1
            }
        };
        out.viewers.insert(
            viewer,
            Seen {
                variant,
                excluded: excluded.contains(&viewer),
            },
        );
    }
    Ok(out)
}
