//! Timeline queries: each returns status ids, newest first, for one page.
//!
//! Pagination is keyset on snowflake ids: `max_id` (exclusive upper bound), `since_id`
//! (exclusive lower bound, newest first) and `min_id` (the page immediately newer than it).

use super::Conn;
use crate::with_conn;

/// A page request in Mastodon's cursor terms.
#[derive(Debug, Clone, Copy, Default)]
pub struct Page {
    pub max_id: Option<i64>,
    pub since_id: Option<i64>,
    pub min_id: Option<i64>,
    pub limit: i64,
}

impl Page {
    /// `AND col < $a AND col > $b` for this page, with the bounds bound as params `$first`
    /// and `$first+1`, and the ORDER BY direction; `min_id` pages read upwards.
    pub fn clause(&self, col: &str, first: usize) -> (String, &'static str) {
        let (lower, asc) = match self.min_id {
            Some(_) => (self.min_id, true),
            None => (self.since_id, false),
        };
        let upper = format!("{col} < ${first}");
        let lower_sql = format!("{col} > ${}", first + 1);
        let mut sql = String::new();
        if self.max_id.is_some() {
            sql.push_str(" AND ");
            sql.push_str(&upper);
        } else {
            sql.push_str(&format!(" AND ${first} IS NULL"));
        }
        if lower.is_some() {
            sql.push_str(" AND ");
            sql.push_str(&lower_sql);
        } else {
            sql.push_str(&format!(" AND ${} IS NULL", first + 1));
        }
        (sql, if asc { "ASC" } else { "DESC" })
    }

    /// The two bound values matching [`Page::clause`].
    pub fn bounds(&self) -> (Option<i64>, Option<i64>) {
        (self.max_id, self.min_id.or(self.since_id))
    }

    /// Puts rows fetched in ascending order (a `min_id` page) back into newest-first order.
    pub fn finish(&self, mut ids: Vec<i64>) -> Vec<i64> {
        if self.min_id.is_some() {
            ids.reverse();
        }
        ids
    }
}

/// Runs `sql` (which must select one id column and use `$1..$k` then the page bounds) with
/// the given leading parameters, returning ids newest first.
async fn ids_page(
    c: Conn<'_>,
    sql: &str,
    leading: &[i64],
    page: &Page,
) -> Result<Vec<i64>, sqlx::Error> {
    let (a, b) = page.bounds();
    let ids = with_conn!(c, |c| {
        let mut q = sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql));
        for v in leading {
            q = q.bind(*v);
        }
        q.bind(a).bind(b).bind(page.limit).fetch_all(c).await
    })?;
    Ok(page.finish(ids))
}

/// The viewer's home timeline: the materialised feed minus muted and blocked authors.
pub async fn home(
    c: Conn<'_>,
    viewer: i64,
    now: i64,
    page: &Page,
) -> Result<Vec<i64>, sqlx::Error> {
    let (cursor, order) = page.clause("f.status_id", 3);
    let sql = format!(
        "SELECT f.status_id FROM home_feed f WHERE f.account_id = $1{cursor} \
         AND NOT EXISTS (SELECT 1 FROM mutes m WHERE m.account_id = $1 AND m.target_account_id = f.author_id \
                         AND (m.expires_at IS NULL OR m.expires_at > $2)) \
         AND NOT EXISTS (SELECT 1 FROM blocks b WHERE b.account_id = $1 AND b.target_account_id = f.author_id) \
         ORDER BY f.status_id {order} LIMIT $5"
    );
    ids_page(c, &sql, &[viewer, now], page).await
}

/// Public statuses (no boosts), optionally only local or only remote ones.
pub async fn public(
    c: Conn<'_>,
    local: Option<bool>,
    page: &Page,
) -> Result<Vec<i64>, sqlx::Error> {
    let (cursor, order) = page.clause("id", 2);
    let (filter, flag) = match local {
        Some(l) => ("local = $1", l as i64),
        None => ("$1 = $1", 0),
    };
    // Replies to other people are left out of public timelines, as in Mastodon.
    let sql = format!(
        "SELECT id FROM statuses WHERE visibility = 'public' AND reblog_of_id IS NULL AND {filter}{cursor} \
         AND (in_reply_to_account_id IS NULL OR in_reply_to_account_id = account_id) \
         ORDER BY id {order} LIMIT $4"
    );
    let local_flag = local.map(|_| flag != 0);
    let (a, b) = page.bounds();
    let ids = with_conn!(c, |c| {
        let q = sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql.as_str()));
        let q = match local_flag {
            Some(l) => q.bind(l),
            None => q.bind(0i64),
        };
        q.bind(a).bind(b).bind(page.limit).fetch_all(c).await
    })?;
    Ok(page.finish(ids))
}

/// Public statuses carrying hashtags: any of `any` (at least one), all of `all`, none of `none`
/// (all lower-cased names).
pub async fn tag(
    c: Conn<'_>,
    any: &[String],
    all: &[String],
    none: &[String],
    local: Option<bool>,
    page: &Page,
) -> Result<Vec<i64>, sqlx::Error> {
    if any.is_empty() {
        return Ok(Vec::new());
    }
    let mut params: Vec<String> = Vec::new();
    let list = |names: &[String], params: &mut Vec<String>| -> String {
        let start = params.len() + 5;
        params.extend(names.iter().cloned());
        super::placeholders(start, names.len())
    };
    let any_list = list(any, &mut params);
    let mut extra = String::new();
    for name in all {
        let p = list(std::slice::from_ref(name), &mut params);
        extra.push_str(&format!(
            " AND EXISTS (SELECT 1 FROM status_tags x JOIN tags t ON t.id = x.tag_id WHERE x.status_id = s.id AND t.name = {p})"
        ));
    }
    if !none.is_empty() {
        let p = list(none, &mut params);
        extra.push_str(&format!(
            " AND NOT EXISTS (SELECT 1 FROM status_tags x JOIN tags t ON t.id = x.tag_id WHERE x.status_id = s.id AND t.name IN ({p}))"
        ));
    }
    let (cursor, order) = page.clause("s.id", 2);
    let local_sql = match local {
        Some(true) => " AND s.local",
        Some(false) => " AND NOT s.local",
        None => "",
    };
    let sql = format!(
        "SELECT s.id FROM statuses s WHERE s.visibility = 'public' AND s.reblog_of_id IS NULL AND $1 = $1{local_sql}{cursor} \
         AND s.id IN (SELECT st.status_id FROM status_tags st JOIN tags t ON t.id = st.tag_id WHERE t.name IN ({any_list})){extra} \
         ORDER BY s.id {order} LIMIT $4"
    );
    let (a, b) = page.bounds();
    let ids = with_conn!(c, |c| {
        let mut q = sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(0i64)
            .bind(a)
            .bind(b)
            .bind(page.limit);
        for p in &params {
            q = q.bind(p.as_str());
        }
        q.fetch_all(c).await
    })?;
    Ok(page.finish(ids))
}

/// Filters for a profile's statuses (`GET /api/v1/accounts/:id/statuses`).
#[derive(Debug, Clone, Default)]
pub struct AccountStatusFilter {
    pub exclude_replies: bool,
    pub exclude_reblogs: bool,
    pub only_media: bool,
    pub pinned: bool,
    /// Lower-cased hashtag the statuses must carry.
    pub tagged: Option<String>,
}

/// A profile's statuses that `viewer` may see. `viewer_follows` says whether the viewer follows
/// the account (followers-only posts); `viewer` also sees direct posts that mention them.
pub async fn account_statuses(
    c: Conn<'_>,
    account_id: i64,
    viewer: Option<i64>,
    viewer_follows: bool,
    filter: &AccountStatusFilter,
    page: &Page,
) -> Result<Vec<i64>, sqlx::Error> {
    let (cursor, order) = page.clause("s.id", 4);
    let mut extra = String::new();
    if filter.exclude_replies {
        // Self-replies (threads) stay, as in Mastodon.
        extra
            .push_str(" AND (s.in_reply_to_id IS NULL OR s.in_reply_to_account_id = s.account_id)");
    }
    if filter.exclude_reblogs {
        extra.push_str(" AND s.reblog_of_id IS NULL");
    }
    if filter.only_media {
        // Media attachments arrive with the media issue; until then no status has any.
        extra.push_str(" AND 1 = 0");
    }
    if filter.pinned {
        extra.push_str(" AND EXISTS (SELECT 1 FROM status_pins p WHERE p.account_id = s.account_id AND p.status_id = s.id)");
    }
    if filter.tagged.is_some() {
        extra.push_str(
            " AND EXISTS (SELECT 1 FROM status_tags x JOIN tags t ON t.id = x.tag_id WHERE x.status_id = s.id AND t.name = $7)",
        );
    } else {
        extra.push_str(" AND $7 IS NULL");
    }
    let sql = format!(
        "SELECT s.id FROM statuses s WHERE s.account_id = $1{cursor}{extra} AND ( \
           s.visibility IN ('public', 'unlisted') \
           OR s.account_id = $2 \
           OR (s.visibility = 'private' AND $3) \
           OR EXISTS (SELECT 1 FROM mentions mm WHERE mm.status_id = s.id AND mm.account_id = $2)) \
         ORDER BY s.id {order} LIMIT $6"
    );
    let (a, b) = page.bounds();
    let ids = with_conn!(c, |c| sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(
        sql.as_str()
    ))
    .bind(account_id)
    .bind(viewer.unwrap_or(0))
    .bind(viewer_follows)
    .bind(a)
    .bind(b)
    .bind(page.limit)
    .bind(filter.tagged.as_deref())
    .fetch_all(c)
    .await)?;
    Ok(page.finish(ids))
}

/// Inserts a new status into the home feeds of the author and of every local follower who
/// should see it (Mastodon's fan-out rules), in one statement. Returns the rows inserted.
///
/// - public/unlisted/private: the author's local followers, except replies to someone the
///   follower does not follow; boosts only for followers who show the booster's boosts.
/// - direct: only mentioned local accounts that follow the author.
/// - nobody who blocks or mutes the author.
pub async fn fan_out(c: Conn<'_>, status_id: i64) -> Result<u64, sqlx::Error> {
    let sql = "INSERT INTO home_feed (account_id, status_id, author_id) \
        SELECT a.id, s.id, s.account_id FROM statuses s JOIN accounts a ON a.id = s.account_id \
        WHERE s.id = $1 AND a.domain IS NULL \
        UNION \
        SELECT f.account_id, s.id, s.account_id FROM statuses s \
          JOIN follows f ON f.target_account_id = s.account_id \
          JOIN accounts fa ON fa.id = f.account_id AND fa.domain IS NULL \
        WHERE s.id = $1 \
          AND (s.reblog_of_id IS NULL OR f.show_reblogs) \
          AND (s.visibility <> 'direct' OR EXISTS (SELECT 1 FROM mentions m WHERE m.status_id = s.id AND m.account_id = f.account_id)) \
          AND (s.in_reply_to_account_id IS NULL OR s.in_reply_to_account_id = s.account_id \
               OR s.in_reply_to_account_id = f.account_id \
               OR EXISTS (SELECT 1 FROM follows f2 WHERE f2.account_id = f.account_id AND f2.target_account_id = s.in_reply_to_account_id)) \
          AND NOT EXISTS (SELECT 1 FROM blocks b WHERE b.account_id = f.account_id AND b.target_account_id = s.account_id) \
          AND NOT EXISTS (SELECT 1 FROM mutes mu WHERE mu.account_id = f.account_id AND mu.target_account_id = s.account_id) \
          AND (s.reblog_of_id IS NULL OR NOT EXISTS (SELECT 1 FROM home_feed h WHERE h.account_id = f.account_id AND h.status_id = s.reblog_of_id)) \
        ON CONFLICT DO NOTHING";
    with_conn!(c, |c| sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(status_id)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))
}

/// Copies the latest `limit` statuses of `author` that `viewer` may see into `viewer`'s home
/// feed (after a follow is established).
pub async fn merge_author_into_home(
    c: Conn<'_>,
    viewer: i64,
    author: i64,
    limit: i64,
) -> Result<u64, sqlx::Error> {
    let sql = "INSERT INTO home_feed (account_id, status_id, author_id) \
        SELECT $1, s.id, s.account_id FROM statuses s WHERE s.account_id = $2 \
          AND (s.visibility IN ('public', 'unlisted', 'private') \
               OR EXISTS (SELECT 1 FROM mentions m WHERE m.status_id = s.id AND m.account_id = $1)) \
          AND (s.in_reply_to_account_id IS NULL OR s.in_reply_to_account_id = s.account_id OR s.in_reply_to_account_id = $1 \
               OR EXISTS (SELECT 1 FROM follows f2 WHERE f2.account_id = $1 AND f2.target_account_id = s.in_reply_to_account_id)) \
        ORDER BY s.id DESC LIMIT $3 \
        ON CONFLICT DO NOTHING";
    with_conn!(c, |c| sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(viewer)
        .bind(author)
        .bind(limit)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))
}

/// Removes `author`'s entries (posts and boosts) from `viewer`'s home feed (unfollow, block).
pub async fn remove_author_from_home(
    c: Conn<'_>,
    viewer: i64,
    author: i64,
) -> Result<u64, sqlx::Error> {
    with_conn!(c, |c| sqlx::query(
        "DELETE FROM home_feed WHERE account_id = $1 AND author_id = $2"
    )
    .bind(viewer)
    .bind(author)
    .execute(c)
    .await
    .map(|r| r.rows_affected()))
}
