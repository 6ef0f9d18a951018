//! Timeline queries: each returns status ids, newest first, for one page; and the home-feed
//! bookkeeping (fan-out on write, merge on follow, removal on unfollow).
//!
//! Pagination is keyset on snowflake ids: `max_id` (exclusive upper bound), `since_id`
//! (exclusive lower bound, newest first) and `min_id` (the page immediately newer than it).
//!
//! Query plans (checked with `EXPLAIN QUERY PLAN` / `EXPLAIN` on both engines):
//! - home: a range scan of the `home_feed` primary key `(account_id, status_id)` in the page's
//!   direction, no sort; blocks and mutes are probed per row through `blocks_pair`/`mutes_pair`.
//! - public: the partial indexes `statuses_public (local, id)` / `statuses_public_all (id)`,
//!   no sort; the author row is probed by primary key.
//! - tag: per tag, the `status_tags` primary key `(tag_id, status_id)`, no sort; each hit is
//!   probed by primary key in `statuses` (a fenced subquery, see [`tag_query`]); several tags
//!   are merged with a small sort.
//! - notifications: `notifications_account (account_id, id)`; suspended senders are probed
//!   through the tiny partial index `accounts_suspended` (limited authors of public
//!   timelines through `accounts_silenced`).

use sqlx::FromRow;
use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;

use super::Conn;
use crate::with_conn;

pub mod list_feed;

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

    /// Appends this page's bounds on `col` (a constant column name) to `q`; returns the
    /// ORDER BY direction (`ASC` for `min_id` pages, which [`Page::finish`] turns around).
    pub fn push_bounds(&self, q: &mut Query, col: &str) -> &'static str {
        if let Some(max) = self.max_id {
            q.push(" AND ").push(col).push(" < ").push_arg(max);
        }
        let (lower, asc) = match self.min_id {
            Some(m) => (Some(m), true),
            None => (self.since_id, false),
        };
        if let Some(lower) = lower {
            q.push(" AND ").push(col).push(" > ").push_arg(lower);
        }
        if asc { "ASC" } else { "DESC" }
    }
}

/// A bind value of a [`Query`].
#[derive(Debug, Clone)]
pub enum Arg {
    /// A 64-bit integer (ids, timestamps, limits).
    I64(i64),
    /// A nullable 64-bit integer.
    OptI64(Option<i64>),
    /// A boolean.
    Bool(bool),
    /// A text value.
    Text(String),
}

impl From<i64> for Arg {
    fn from(v: i64) -> Self {
        Arg::I64(v)
    }
}

impl From<Option<i64>> for Arg {
    fn from(v: Option<i64>) -> Self {
        Arg::OptI64(v)
    }
}

impl From<bool> for Arg {
    fn from(v: bool) -> Self {
        Arg::Bool(v)
    }
}

impl From<&str> for Arg {
    fn from(v: &str) -> Self {
        Arg::Text(v.to_owned())
    }
}

impl From<String> for Arg {
    fn from(v: String) -> Self {
        Arg::Text(v)
    }
}

/// SQL assembled from constant fragments and numbered placeholders, with its bind values in
/// placeholder order. Only constants may be pushed as SQL; every value goes through an [`Arg`].
#[derive(Debug, Default, Clone)]
pub struct Query {
    sql: String,
    args: Vec<Arg>,
}

macro_rules! bind_args {
    ($q:expr, $args:expr) => {{
        let mut q = $q;
        for a in $args {
            q = match a {
                Arg::I64(v) => q.bind(*v),
                Arg::OptI64(v) => q.bind(*v),
                Arg::Bool(v) => q.bind(*v),
                Arg::Text(v) => q.bind(v.clone()),
            };
        }
        q
    }};
}

impl Query {
    /// Starts a query with a constant SQL prefix.
    pub fn new(sql: &str) -> Query {
        Query {
            sql: sql.to_owned(),
            args: Vec::new(),
        }
    }

    /// Appends constant SQL.
    pub fn push(&mut self, sql: &str) -> &mut Self {
        self.sql.push_str(sql);
        self
    }

    /// Registers a bind value and returns its placeholder (`$n`).
    pub fn arg(&mut self, v: impl Into<Arg>) -> String {
        self.args.push(v.into());
        format!("${}", self.args.len())
    }

    /// Appends the placeholder of a new bind value.
    pub fn push_arg(&mut self, v: impl Into<Arg>) -> &mut Self {
        let p = self.arg(v);
        self.sql.push_str(&p);
        self
    }

    /// Appends `$a,$b,…` for a list of values (callers make sure it is not empty).
    pub fn push_list<T: Into<Arg> + Clone>(&mut self, values: &[T]) -> &mut Self {
        for (i, v) in values.iter().enumerate() {
            if i > 0 {
                self.sql.push(',');
            }
            self.push_arg(v.clone());
        }
        self
    }

    /// The SQL text (for tests and `EXPLAIN`).
    pub fn sql(&self) -> &str {
        &self.sql
    }

    /// The engine's query plan, one line per node (`EXPLAIN QUERY PLAN` on SQLite, `EXPLAIN`
    /// on PostgreSQL), for tests and diagnostics.
    pub async fn explain(&self, c: Conn<'_>) -> Result<Vec<String>, sqlx::Error> {
        match c {
            Conn::Sqlite(c) => {
                let sql = format!("EXPLAIN QUERY PLAN {}", self.sql);
                let q =
                    sqlx::query_as::<_, (i64, i64, i64, String)>(sqlx::AssertSqlSafe(sql.as_str()));
                let rows = bind_args!(q, &self.args).fetch_all(c).await?;
                Ok(rows.into_iter().map(|r| r.3).collect())
            }
            Conn::Postgres(c) => {
                let sql = format!("EXPLAIN {}", self.sql);
                let q = sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(sql.as_str()));
                bind_args!(q, &self.args).fetch_all(c).await
            }
        }
    }

    /// Runs the query and returns its single `BIGINT` column.
    pub async fn fetch_ids(&self, c: Conn<'_>) -> Result<Vec<i64>, sqlx::Error> {
        with_conn!(c, |c| {
            let q = sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(self.sql.as_str()));
            bind_args!(q, &self.args).fetch_all(c).await
        })
    }

    /// Runs the query and returns its single `BIGINT` value (`count(*)` …).
    pub async fn fetch_one_i64(&self, c: Conn<'_>) -> Result<i64, sqlx::Error> {
        with_conn!(c, |c| {
            let q = sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(self.sql.as_str()));
            bind_args!(q, &self.args).fetch_one(c).await
        })
    }

    /// Runs the query and maps every row with `FromRow`.
    pub async fn fetch_all<T>(&self, c: Conn<'_>) -> Result<Vec<T>, sqlx::Error>
    where
        T: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin,
    {
        with_conn!(c, |c| {
            let q = sqlx::query_as::<_, T>(sqlx::AssertSqlSafe(self.sql.as_str()));
            bind_args!(q, &self.args).fetch_all(c).await
        })
    }

    /// Executes the statement; returns the number of rows affected.
    pub async fn execute(&self, c: Conn<'_>) -> Result<u64, sqlx::Error> {
        with_conn!(c, |c| {
            let q = sqlx::query(sqlx::AssertSqlSafe(self.sql.as_str()));
            bind_args!(q, &self.args)
                .execute(c)
                .await
                .map(|r| r.rows_affected())
        })
    }
}

/// The viewer's home timeline: the materialised feed minus entries whose author, or whose
/// boosted status's author, the viewer blocks or mutes (mutes added after the entry was
/// written take effect at once).
pub async fn home(
    c: Conn<'_>,
    viewer: i64,
    now: i64,
    page: &Page,
) -> Result<Vec<i64>, sqlx::Error> {
    Ok(page.finish(home_query(viewer, now, page).fetch_ids(c).await?))
}

/// The query behind [`home`] (exposed for query-plan checks).
pub fn home_query(viewer: i64, now: i64, page: &Page) -> Query {
    let mut q = Query::new("SELECT f.status_id FROM home_feed f WHERE f.account_id = ");
    let v = q.arg(viewer);
    q.push(&v);
    let order = page.push_bounds(&mut q, "f.status_id");
    let now = q.arg(now);
    q.push(&format!(
        " AND NOT EXISTS (SELECT 1 FROM blocks b WHERE b.account_id = {v} \
                          AND b.target_account_id IN (f.author_id, f.reblog_author_id)) \
          AND NOT EXISTS (SELECT 1 FROM mutes m WHERE m.account_id = {v} \
                          AND m.target_account_id IN (f.author_id, f.reblog_author_id) \
                          AND (m.expires_at IS NULL OR m.expires_at > {now})) \
         ORDER BY f.status_id {order} LIMIT "
    ));
    q.push_arg(page.limit);
    q
}

/// Removes all but the newest `keep` entries of `account_id`'s home feed; returns how many
/// went. Mastodon keeps 400 per feed (`FeedManager::MAX_ITEMS`); older entries are not
/// shown in the home timeline, there or here.
pub async fn trim_home_feed(c: Conn<'_>, account_id: i64, keep: i64) -> Result<u64, sqlx::Error> {
    with_conn!(c, |c| sqlx::query(
        "DELETE FROM home_feed WHERE account_id = $1 AND status_id <= \
         (SELECT f.status_id FROM home_feed f WHERE f.account_id = $1 \
          ORDER BY f.status_id DESC LIMIT 1 OFFSET $2)"
    )
    .bind(account_id)
    .bind(keep)
    .execute(c)
    .await
    .map(|r| r.rows_affected()))
}

/// Who reads a public or hashtag timeline, and which statuses they asked for.
#[derive(Debug, Clone, Copy, Default)]
pub struct PublicFilter {
    /// `Some(true)`: local statuses only; `Some(false)`: remote only; `None`: both.
    pub local: Option<bool>,
    /// Only statuses with media attachments.
    pub only_media: bool,
    /// The signed-in viewer, whose blocks and mutes (both ways for blocks) apply.
    pub viewer: Option<i64>,
    /// Current time (for expiring mutes).
    pub now: i64,
}

impl PublicFilter {
    /// Appends the author conditions on `col` (the status's `account_id` column): not
    /// suspended, not limited by a domain block (Mastodon's public feeds leave limited
    /// accounts out for everyone), and not blocked/muted by, or blocking, the viewer.
    fn push_author_filters(&self, q: &mut Query, col: &str) {
        q.push(&format!(
            " AND NOT EXISTS (SELECT 1 FROM accounts a WHERE a.id = {col} AND a.suspended_at IS NOT NULL) \
              AND NOT EXISTS (SELECT 1 FROM accounts a WHERE a.id = {col} AND a.silenced_at IS NOT NULL)"
        ));
        if let Some(viewer) = self.viewer {
            let v = q.arg(viewer);
            let now = q.arg(self.now);
            q.push(&format!(
                " AND NOT EXISTS (SELECT 1 FROM blocks b WHERE b.account_id = {v} AND b.target_account_id = {col}) \
                  AND NOT EXISTS (SELECT 1 FROM blocks b WHERE b.account_id = {col} AND b.target_account_id = {v}) \
                  AND NOT EXISTS (SELECT 1 FROM mutes m WHERE m.account_id = {v} AND m.target_account_id = {col} \
                                  AND (m.expires_at IS NULL OR m.expires_at > {now}))"
            ));
        }
    }
}

/// `only_media`: the status `s` has an attachment (a probe of `media_attachments_status`).
const ONLY_MEDIA: &str =
    " AND EXISTS (SELECT 1 FROM media_attachments ma WHERE ma.status_id = s.id)";

/// The public timeline: public statuses, no boosts, no replies to other people (as Mastodon).
pub async fn public(
    c: Conn<'_>,
    filter: &PublicFilter,
    page: &Page,
) -> Result<Vec<i64>, sqlx::Error> {
    Ok(page.finish(public_query(filter, page).fetch_ids(c).await?))
}

/// The query behind [`public`] (exposed for query-plan checks).
pub fn public_query(filter: &PublicFilter, page: &Page) -> Query {
    // The literal `visibility = 'public' AND reblog_of_id IS NULL` matches the partial indexes.
    let mut q = Query::new(
        "SELECT s.id FROM statuses s WHERE s.visibility = 'public' AND s.reblog_of_id IS NULL",
    );
    if let Some(local) = filter.local {
        q.push(" AND s.local = ").push_arg(local);
    }
    let order = page.push_bounds(&mut q, "s.id");
    q.push(" AND (s.in_reply_to_account_id IS NULL OR s.in_reply_to_account_id = s.account_id)");
    if filter.only_media {
        q.push(ONLY_MEDIA);
    }
    filter.push_author_filters(&mut q, "s.account_id");
    q.push(&format!(" ORDER BY s.id {order} LIMIT "))
        .push_arg(page.limit);
    q
}

/// Hashtag conditions of a tag timeline, as tag ids (see [`tag_ids`]).
#[derive(Debug, Clone, Default)]
pub struct TagFilter {
    /// A status must carry at least one of these (the path's tag plus `any[]`).
    pub any: Vec<i64>,
    /// …and every one of these (`all[]`).
    pub all: Vec<i64>,
    /// …and none of these (`none[]`).
    pub none: Vec<i64>,
}

/// `(id, lower-cased name)` of the known tags among `names` (lower-cased by the caller).
pub async fn tag_ids(c: Conn<'_>, names: &[String]) -> Result<Vec<(i64, String)>, sqlx::Error> {
    if names.is_empty() {
        return Ok(Vec::new());
    }
    let mut q = Query::new("SELECT id, name FROM tags WHERE name IN (");
    q.push_list(names).push(")");
    q.fetch_all::<(i64, String)>(c).await
}

/// A hashtag timeline: public statuses (boosts carry no tags) matching `tags`.
pub async fn tag(
    c: Conn<'_>,
    tags: &TagFilter,
    filter: &PublicFilter,
    page: &Page,
) -> Result<Vec<i64>, sqlx::Error> {
    if tags.any.is_empty() {
        return Ok(Vec::new());
    }
    Ok(page.finish(tag_query(tags, filter, page).fetch_ids(c).await?))
}

/// The query behind [`tag`] (exposed for query-plan checks); `tags.any` must not be empty.
pub fn tag_query(tags: &TagFilter, filter: &PublicFilter, page: &Page) -> Query {
    // Each tag walks the (tag_id, status_id) primary key in page order and stops after `limit`
    // matches; several tags are merged with UNION (which also drops a status carrying more
    // than one of them) and cut to the page again.
    let mut q = Query::new("");
    let mut order = "DESC";
    let many = tags.any.len() > 1;
    if many {
        q.push("SELECT status_id FROM (");
    }
    for (i, tag_id) in tags.any.iter().enumerate() {
        if many {
            q.push(if i == 0 {
                "SELECT * FROM ("
            } else {
                " UNION SELECT * FROM ("
            });
        }
        q.push("SELECT st.status_id FROM status_tags st WHERE st.tag_id = ")
            .push_arg(*tag_id);
        order = page.push_bounds(&mut q, "st.status_id");
        push_tag_conditions(&mut q, tags, filter);
        q.push(&format!(" ORDER BY st.status_id {order} LIMIT "))
            .push_arg(page.limit);
        if many {
            q.push(&format!(") t{i}"));
        }
    }
    if many {
        q.push(&format!(") u ORDER BY status_id {order} LIMIT "))
            .push_arg(page.limit);
    }
    q
}

/// The conditions of a hashtag timeline on a `status_tags st` row. The status itself is
/// checked in a correlated subquery fenced with `LIMIT 1 OFFSET 0`, so that PostgreSQL probes
/// `statuses` by primary key for each tagged row instead of merge-joining the whole public
/// index (which a generic plan does, and which is slow for rare tags).
fn push_tag_conditions(q: &mut Query, tags: &TagFilter, filter: &PublicFilter) {
    for id in &tags.all {
        q.push(" AND EXISTS (SELECT 1 FROM status_tags x WHERE x.tag_id = ")
            .push_arg(*id)
            .push(" AND x.status_id = st.status_id)");
    }
    if !tags.none.is_empty() {
        q.push(" AND NOT EXISTS (SELECT 1 FROM status_tags x WHERE x.status_id = st.status_id AND x.tag_id IN (")
            .push_list(&tags.none)
            .push("))");
    }
    q.push(
        " AND EXISTS (SELECT 1 FROM statuses s WHERE s.id = st.status_id \
         AND s.visibility = 'public' AND s.reblog_of_id IS NULL",
    );
    if let Some(local) = filter.local {
        q.push(" AND s.local = ").push_arg(local);
    }
    if filter.only_media {
        q.push(ONLY_MEDIA);
    }
    filter.push_author_filters(q, "s.account_id");
    q.push(" LIMIT 1 OFFSET 0)");
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
        extra.push_str(ONLY_MEDIA);
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

/// How many of the newest home-feed entries count as "recent" when aggregating boosts
/// (Mastodon's `FeedManager::REBLOG_FALLOFF`): a boost is not added when the boosted status, or
/// another boost of it, is among them.
pub const REBLOG_FALLOFF: i64 = 40;

/// The columns a home-feed entry needs from its status.
#[derive(Debug, Clone, FromRow)]
struct FanOutStatus {
    id: i64,
    account_id: i64,
    visibility: String,
    language: Option<String>,
    in_reply_to_account_id: Option<i64>,
    reblog_of_id: Option<i64>,
    reblog_author_id: Option<i64>,
    local_author: bool,
}

/// Appends the conditions under which receiver `r` (an SQL expression) must NOT get status `s`
/// (Mastodon's `FeedManager#filter_from_home?`, minus the receiver-is-author case): the
/// receiver blocks or mutes the author, the boosted status's author or anyone (actively)
/// mentioned in either (`mentioned`); the author or the boosted status's author blocks the
/// receiver; a reply to someone the receiver does not follow; a boost when the receiver hides
/// the booster's boosts (`show_reblogs`, an SQL expression); a language the receiver's follow
/// excludes (`follow_languages`, an SQL expression). List feeds pass `follow_replies: false`
/// and apply their own reply rule (`list_feed`).
fn push_home_filters(
    q: &mut Query,
    s: &FanOutStatus,
    mentioned: &[i64],
    r: &str,
    show_reblogs: &str,
    follow_languages: &str,
    follow_replies: bool,
) {
    let mut authors = vec![s.account_id];
    authors.extend(s.reblog_author_id);
    let mut checked = authors.clone();
    checked.extend_from_slice(mentioned);
    checked.sort_unstable();
    checked.dedup();
    let now = q.arg(crate::time::now_ms());
    q.push(&format!(
        " AND NOT EXISTS (SELECT 1 FROM blocks b WHERE b.account_id = {r} AND b.target_account_id IN ("
    ))
    .push_list(&checked)
    .push(&format!(
        ")) AND NOT EXISTS (SELECT 1 FROM mutes mu WHERE mu.account_id = {r} \
           AND (mu.expires_at IS NULL OR mu.expires_at > {now}) AND mu.target_account_id IN ("
    ))
    .push_list(&checked)
    .push(&format!(
        ")) AND NOT EXISTS (SELECT 1 FROM blocks b WHERE b.target_account_id = {r} AND b.account_id IN ("
    ))
    .push_list(&authors)
    .push("))");
    if let Some(parent_author) = s.in_reply_to_account_id
        && parent_author != s.account_id
        && follow_replies
    {
        let p = q.arg(parent_author);
        q.push(&format!(
            " AND ({r} = {p} OR EXISTS (SELECT 1 FROM follows f2 WHERE f2.account_id = {r} AND f2.target_account_id = {p}))"
        ));
    }
    if s.reblog_of_id.is_some() {
        q.push(&format!(" AND {show_reblogs}"));
    }
    if let Some(lang) = &s.language {
        let pattern = q.arg(format!("%\"{}\"%", lang.replace(['%', '_', '\\'], "")));
        q.push(&format!(
            " AND ({follow_languages} IS NULL OR {follow_languages} = '[]' OR {follow_languages} LIKE {pattern})"
        ));
    }
}

/// Appends the boost/original aggregation conditions for receiver `r`: a boost is skipped when
/// the boosted status or another boost of it is among the receiver's newest
/// [`REBLOG_FALLOFF`] entries; an original is skipped when a boost of it is already there.
/// `feed` is the feed table (`home_feed` or `list_feed`) and `key` its owner column.
fn push_aggregation(q: &mut Query, s: &FanOutStatus, r: &str, feed: &str, key: &str) {
    match s.reblog_of_id {
        Some(original) => {
            let o = q.arg(original);
            let off = q.arg(REBLOG_FALLOFF - 1);
            let recent = format!(
                "coalesce((SELECT h2.status_id FROM {feed} h2 WHERE h2.{key} = {r} \
                           ORDER BY h2.status_id DESC LIMIT 1 OFFSET {off}), 0)"
            );
            q.push(&format!(
                " AND NOT EXISTS (SELECT 1 FROM {feed} h WHERE h.{key} = {r} AND h.status_id = {o} \
                                  AND h.status_id >= {recent}) \
                  AND NOT EXISTS (SELECT 1 FROM {feed} h WHERE h.{key} = {r} AND h.reblog_of_id = {o} \
                                  AND h.status_id >= {recent})"
            ));
        }
        None => {
            let id = q.arg(s.id);
            q.push(&format!(
                " AND NOT EXISTS (SELECT 1 FROM {feed} h WHERE h.{key} = {r} AND h.reblog_of_id = {id})"
            ));
        }
    }
}

/// Loads what fan-out needs to know about a status.
async fn fan_out_status(c: Conn<'_>, status_id: i64) -> Result<Option<FanOutStatus>, sqlx::Error> {
    with_conn!(c, |c| {
        sqlx::query_as::<_, FanOutStatus>(
        "SELECT s.id, s.account_id, s.visibility, s.language, s.in_reply_to_account_id, s.reblog_of_id, \
                o.account_id AS reblog_author_id, (a.domain IS NULL) AS local_author \
         FROM statuses s JOIN accounts a ON a.id = s.account_id LEFT JOIN statuses o ON o.id = s.reblog_of_id \
         WHERE s.id = $1"
    )
    .bind(status_id)
    .fetch_optional(c)
    .await
    })
}

/// Accounts actively (not silently) mentioned in `s` or in the status it boosts.
async fn active_mentions(c: Conn<'_>, s: &FanOutStatus) -> Result<Vec<i64>, sqlx::Error> {
    with_conn!(c, |c| sqlx::query_scalar::<_, i64>(
        "SELECT DISTINCT account_id FROM mentions WHERE status_id IN ($1, $2) AND NOT silent"
    )
    .bind(s.id)
    .bind(s.reblog_of_id)
    .fetch_all(c)
    .await)
}

/// Inserts a new status into the home feeds of its local author and of every local follower
/// who should see it (and, unless direct, into the lists holding its author:
/// [`list_feed::fan_out`]), following Mastodon's `FanOutOnWriteService` and
/// `FeedManager#filter_from_home?`. Idempotent. Returns the rows inserted.
///
/// - public/unlisted/private: all local followers; direct: only mentioned local followers.
/// - not to followers who block or mute the author, the boosted status's author or anyone
///   mentioned, nor who are blocked by the author or the boosted status's author.
/// - a reply to someone else only reaches followers who follow (or are) the person replied to.
/// - a boost only reaches followers showing the booster's boosts, and is aggregated: not added
///   when the boosted status or another boost of it is among the newest 40 entries.
/// - a follow's `languages` restriction applies to statuses with a language.
/// - members of one of a follower's exclusive lists reach that list, not the home feed.
///
/// Returns the accounts whose home feed received it (not those that had it already).
pub async fn fan_out(mut c: Conn<'_>, status_id: i64) -> Result<Vec<i64>, sqlx::Error> {
    let Some(s) = fan_out_status(c.re(), status_id).await? else {
        return Ok(Vec::new());
    };
    let mentioned = active_mentions(c.re(), &s).await?;
    let mut inserted = Vec::new();
    if s.local_author {
        // The author's own feed: only boost aggregation applies.
        let mut q = Query::new(
            "INSERT INTO home_feed (account_id, status_id, author_id, reblog_of_id, reblog_author_id) SELECT ",
        );
        let r = q.arg(s.account_id);
        let id = q.arg(s.id);
        let ro = q.arg(s.reblog_of_id);
        let ra = q.arg(s.reblog_author_id);
        q.push(&format!("{r}, {id}, {r}, {ro}, {ra} WHERE 1 = 1"));
        push_aggregation(&mut q, &s, &r, "home_feed", "account_id");
        q.push(" ON CONFLICT DO NOTHING RETURNING account_id");
        inserted.extend(q.fetch_ids(c.re()).await?);
    }
    let mut q = Query::new(
        "INSERT INTO home_feed (account_id, status_id, author_id, reblog_of_id, reblog_author_id) \
         SELECT f.account_id, ",
    );
    let id = q.arg(s.id);
    let author = q.arg(s.account_id);
    let ro = q.arg(s.reblog_of_id);
    let ra = q.arg(s.reblog_author_id);
    q.push(&format!(
        "{id}, {author}, {ro}, {ra} FROM follows f JOIN accounts fa ON fa.id = f.account_id \
         WHERE f.target_account_id = {author} AND fa.domain IS NULL AND f.account_id <> {author}"
    ));
    if s.visibility == "direct" {
        q.push(&format!(
            " AND EXISTS (SELECT 1 FROM mentions dm WHERE dm.status_id = {id} AND dm.account_id = f.account_id)"
        ));
    }
    // Members of one of the follower's exclusive lists reach that list only.
    q.push(&format!(
        " AND NOT {}",
        list_feed::exclusive_member("f.account_id", &author)
    ));
    push_home_filters(
        &mut q,
        &s,
        &mentioned,
        "f.account_id",
        "f.show_reblogs",
        "f.languages",
        true,
    );
    push_aggregation(&mut q, &s, "f.account_id", "home_feed", "account_id");
    q.push(" ON CONFLICT DO NOTHING RETURNING account_id");
    inserted.extend(q.fetch_ids(c.re()).await?);
    if s.visibility != "direct" {
        list_feed::fan_out(c.re(), &s, &mentioned).await?;
    }
    if s.visibility == "public" && s.reblog_of_id.is_none() {
        inserted.extend(fan_out_to_tag_followers(c.re(), &s, &mentioned).await?);
    }
    Ok(inserted)
}

/// The accounts whose home feed holds status `status_id` (index `home_feed_status`).
pub async fn home_holders(c: Conn<'_>, status_id: i64) -> Result<Vec<i64>, sqlx::Error> {
    with_conn!(c, |c| sqlx::query_scalar::<_, i64>(
        "SELECT account_id FROM home_feed WHERE status_id = $1"
    )
    .bind(status_id)
    .fetch_all(c)
    .await)
}

/// Inserts a public original status into the home feeds of the local accounts following one
/// of its hashtags (Mastodon's `deliver_to_hashtag_followers!` and `filter_from_tags?`): not
/// the author's, not from a limited author, and not to anyone blocking or muting the author
/// or someone it mentions, nor blocked by the author. Boost aggregation applies. Returns the
/// accounts whose feed received it.
async fn fan_out_to_tag_followers(
    c: Conn<'_>,
    s: &FanOutStatus,
    mentioned: &[i64],
) -> Result<Vec<i64>, sqlx::Error> {
    let mut q = Query::new(
        "INSERT INTO home_feed (account_id, status_id, author_id, reblog_of_id, reblog_author_id) \
         SELECT tf.account_id, ",
    );
    let id = q.arg(s.id);
    let author = q.arg(s.account_id);
    q.push(&format!(
        "{id}, {author}, NULL, NULL FROM (SELECT DISTINCT f.account_id FROM status_tags st \
           JOIN tag_follows f ON f.tag_id = st.tag_id WHERE st.status_id = {id}) tf \
         WHERE tf.account_id <> {author} \
           AND NOT EXISTS (SELECT 1 FROM accounts a WHERE a.id = {author} AND a.silenced_at IS NOT NULL)"
    ));
    push_home_filters(&mut q, s, mentioned, "tf.account_id", "TRUE", "NULL", false);
    push_aggregation(&mut q, s, "tf.account_id", "home_feed", "account_id");
    q.push(" ON CONFLICT DO NOTHING RETURNING account_id");
    q.fetch_ids(c).await
}

/// Copies the latest `limit` statuses of `author` that `viewer` should see into `viewer`'s
/// home feed, after `viewer` followed `author` (Mastodon's `FeedManager#merge_into_home`):
/// public, unlisted and followers-only posts and boosts, filtered like fan-out.
pub async fn merge_author_into_home(
    c: Conn<'_>,
    viewer: i64,
    author: i64,
    limit: i64,
) -> Result<u64, sqlx::Error> {
    let sql = "INSERT INTO home_feed (account_id, status_id, author_id, reblog_of_id, reblog_author_id) \
        SELECT $1, s.id, s.account_id, s.reblog_of_id, o.account_id FROM statuses s \
        LEFT JOIN statuses o ON o.id = s.reblog_of_id \
        LEFT JOIN follows f ON f.account_id = $1 AND f.target_account_id = s.account_id \
        WHERE s.account_id = $2 AND s.visibility IN ('public', 'unlisted', 'private') \
          AND (s.in_reply_to_account_id IS NULL OR s.in_reply_to_account_id = s.account_id OR s.in_reply_to_account_id = $1 \
               OR EXISTS (SELECT 1 FROM follows f2 WHERE f2.account_id = $1 AND f2.target_account_id = s.in_reply_to_account_id)) \
          AND (s.reblog_of_id IS NULL OR coalesce(f.show_reblogs, TRUE)) \
          AND NOT EXISTS (SELECT 1 FROM list_accounts xa JOIN lists xl ON xl.id = xa.list_id \
                          WHERE xa.account_id = s.account_id AND xl.account_id = $1 AND xl.exclusive) \
          AND (s.language IS NULL OR f.languages IS NULL OR f.languages = '[]' \
               OR f.languages LIKE '%\"' || s.language || '\"%') \
          AND NOT EXISTS (SELECT 1 FROM blocks b WHERE b.account_id = $1 AND b.target_account_id IN (s.account_id, o.account_id)) \
          AND NOT EXISTS (SELECT 1 FROM blocks b WHERE b.target_account_id = $1 AND b.account_id IN (s.account_id, o.account_id)) \
          AND NOT EXISTS (SELECT 1 FROM mutes mu WHERE mu.account_id = $1 AND mu.target_account_id IN (s.account_id, o.account_id) \
                          AND (mu.expires_at IS NULL OR mu.expires_at > $4)) \
          AND NOT EXISTS (SELECT 1 FROM mentions m WHERE m.status_id IN (s.id, s.reblog_of_id) AND NOT m.silent \
                          AND (EXISTS (SELECT 1 FROM blocks b WHERE b.account_id = $1 AND b.target_account_id = m.account_id) \
                               OR EXISTS (SELECT 1 FROM mutes mu WHERE mu.account_id = $1 AND mu.target_account_id = m.account_id \
                                          AND (mu.expires_at IS NULL OR mu.expires_at > $4)))) \
          AND (s.reblog_of_id IS NULL OR NOT EXISTS (SELECT 1 FROM home_feed h WHERE h.account_id = $1 \
               AND (h.status_id = s.reblog_of_id OR h.reblog_of_id = s.reblog_of_id))) \
        ORDER BY s.id DESC LIMIT $3 \
        ON CONFLICT DO NOTHING";
    with_conn!(c, |c| sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(viewer)
        .bind(author)
        .bind(limit)
        .bind(crate::time::now_ms())
        .execute(c)
        .await
        .map(|r| r.rows_affected()))
}

/// Removes `author`'s entries (posts and boosts) from `viewer`'s home feed (unfollow, block).
/// Boosts of `author`'s statuses by others stay stored but are hidden on read while a block
/// or mute lasts.
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

/// Removes from `viewer`'s home feed everything by or about `target` (Mastodon's
/// `FeedManager#clear_from_home`, for blocks and mutes): `target`'s posts and boosts, boosts
/// of `target`'s statuses, and statuses (or boosted statuses) mentioning `target`.
pub async fn clear_account_from_home(
    c: Conn<'_>,
    viewer: i64,
    target: i64,
) -> Result<u64, sqlx::Error> {
    with_conn!(c, |c| sqlx::query(
        "DELETE FROM home_feed WHERE account_id = $1 AND (author_id = $2 OR reblog_author_id = $2 \
           OR EXISTS (SELECT 1 FROM mentions m WHERE m.account_id = $2 \
                      AND m.status_id IN (home_feed.status_id, home_feed.reblog_of_id)))"
    )
    .bind(viewer)
    .bind(target)
    .execute(c)
    .await
    .map(|r| r.rows_affected()))
}
