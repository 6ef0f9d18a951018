//! `GET /api/v1/statuses/:id/context`: the ancestors (oldest first) and descendants
//! (depth-first, replies in posting order, the author's own replies promoted first) of a
//! status, as far as the viewer may see them.

use std::collections::{HashMap, HashSet};

use crate::db::follows::{self, Relation};
use crate::db::{Conn, statuses};
use crate::error::{AppError, AppResult};
use crate::service::filters::{Context, ViewerFilters};
use crate::service::hydrate::{self, Render, RenderedStatus, StatusOptions};
use crate::time::now_ms;

/// How much of a thread to load.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Most ancestors.
    pub ancestors: i64,
    /// Most descendants.
    pub descendants: i64,
    /// Deepest reply level below the status.
    pub depth: i64,
}

impl Limits {
    /// Mastodon's limits: logged-out viewers get 40 ancestors, 60 descendants and 20 levels;
    /// signed-in ones up to 4096 of each.
    pub fn for_viewer(signed_in: bool) -> Limits {
        if signed_in {
            Limits {
                ancestors: 4096,
                descendants: 4096,
                depth: 4096,
            }
        } else {
            Limits {
                ancestors: 40,
                descendants: 60,
                depth: 20,
            }
        }
    }
}

/// Reply rows read at most when walking a thread (guards against pathological trees).
const MAX_TREE_ROWS: i64 = 20_000;

/// The statuses around `id`: (ancestors, descendants). 404 when the viewer may not see it.
pub async fn context(
    mut c: Conn<'_>,
    r: &Render<'_>,
    viewer: Option<i64>,
    id: i64,
    limits: Limits,
) -> AppResult<(Vec<RenderedStatus>, Vec<RenderedStatus>)> {
    let s = hydrate::visible_status(c.re(), viewer, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let ancestor_ids = if s.in_reply_to_id.is_some() {
        statuses::ancestor_ids(c.re(), id, limits.ancestors).await?
    } else {
        Vec::new()
    };
    let edges = statuses::descendant_edges(c.re(), id, limits.depth, MAX_TREE_ROWS).await?;
    let descendant_ids = depth_first(id, &edges, limits.descendants as usize);

    let filters = match viewer {
        Some(v) => ViewerFilters::load(c.re(), v, Context::Thread, crate::time::now_ms()).await?,
        None => ViewerFilters::none(),
    };
    let opts = StatusOptions::filtered(&filters);
    let ancestors = hydrate::statuses(c.re(), r, viewer, &ancestor_ids, opts).await?;
    let descendants = hydrate::statuses(c.re(), r, viewer, &descendant_ids, opts).await?;
    let ancestors = without_hidden_authors(c.re(), viewer, ancestors).await?;
    let mut descendants = without_hidden_authors(c, viewer, descendants).await?;
    promote_self_replies(&mut descendants);
    Ok((ancestors, descendants))
}

/// Orders the tree below `root` depth-first, siblings oldest first, taking at most `limit`.
pub fn depth_first(root: i64, edges: &[(i64, i64)], limit: usize) -> Vec<i64> {
    let mut children: HashMap<i64, Vec<i64>> = HashMap::new();
    for (id, parent) in edges {
        children.entry(*parent).or_default().push(*id);
    }
    for list in children.values_mut() {
        list.sort_unstable();
    }
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    let mut stack: Vec<i64> = children
        .get(&root)
        .map(|c| c.iter().rev().copied().collect())
        .unwrap_or_default();
    while let Some(id) = stack.pop() {
        if out.len() >= limit {
            break;
        }
        if !seen.insert(id) {
            continue;
        }
        out.push(id);
        if let Some(kids) = children.get(&id) {
            stack.extend(kids.iter().rev());
        }
    }
    out
}

/// Drops statuses by accounts the viewer blocks or mutes (Mastodon's thread filter).
async fn without_hidden_authors(
    mut c: Conn<'_>,
    viewer: Option<i64>,
    list: Vec<RenderedStatus>,
) -> Result<Vec<RenderedStatus>, sqlx::Error> {
    let Some(v) = viewer else { return Ok(list) };
    let authors: Vec<i64> = list
        .iter()
        .map(|s| s.account_id)
        .filter(|a| *a != v)
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    if authors.is_empty() {
        return Ok(list);
    }
    let now = now_ms();
    let mut hidden = follows::among(c.re(), Relation::Blocking, v, &authors, now).await?;
    hidden.extend(follows::among(c, Relation::Muting, v, &authors, now).await?);
    Ok(list
        .into_iter()
        .filter(|s| !hidden.contains(&s.account_id))
        .collect())
}

/// Moves replies that answer their own author (thread continuations) ahead of the others,
/// keeping their relative order, as Mastodon does for descendants.
pub fn promote_self_replies(list: &mut Vec<RenderedStatus>) {
    let is_self = |s: &RenderedStatus| s.in_reply_to_account_id == Some(s.account_id);
    let Some(mut insert_at) = list.iter().position(|s| !is_self(s)) else {
        return;
    };
    let mut i = insert_at + 1;
    while i < list.len() {
        if is_self(&list[i]) {
            let item = list.remove(i);
            list.insert(insert_at, item);
            insert_at += 1;
        }
        i += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depth_first_order() {
        // 1 ─┬─ 2 ─── 4
        //    └─ 3 ─┬─ 5
        //          └─ 6
        let edges = [(3, 1), (2, 1), (6, 3), (5, 3), (4, 2)];
        assert_eq!(depth_first(1, &edges, 100), vec![2, 4, 3, 5, 6]);
        assert_eq!(depth_first(1, &edges, 3), vec![2, 4, 3]);
        assert_eq!(depth_first(1, &[], 10), Vec::<i64>::new());
    }
}
