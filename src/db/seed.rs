//! Bulk seeding for the benchmark (`cargo bench`): multi-row INSERTs written once for both
//! engines (materialised home-feed rows included), counter recomputation, and the few
//! administrative statements the benchmark needs (a dedicated PostgreSQL database, fan-out
//! progress, the federation rows' remote accounts and queue progress).
//!
//! Nothing here runs in the server; it lives in the data layer so that all SQL stays in one
//! place. The benchmark generates the rows (see `benches/woolly/dataset.rs`).

use anyhow::Context;
use sqlx::Connection;
use sqlx::postgres::PgConnection;

use super::{Conn, Db};
use crate::with_conn;

/// Most bind parameters one statement carries (below SQLite's and PostgreSQL's limits).
const MAX_BINDS: usize = 30_000;
/// Most rows one INSERT statement carries, whatever the column count.
const MAX_ROWS: usize = 1_000;

/// One bound value of a seeded row.
#[derive(Debug, Clone, Copy)]
pub enum Val<'a> {
    /// BIGINT.
    Int(i64),
    /// Nullable BIGINT.
    OptInt(Option<i64>),
    /// TEXT.
    Text(&'a str),
    /// Nullable TEXT.
    OptText(Option<&'a str>),
    /// BOOLEAN.
    Bool(bool),
}

/// A row type that can be bulk-inserted into one table.
pub trait SeedRow {
    /// Target table.
    const TABLE: &'static str;
    /// Column names, in the order [`SeedRow::values`] pushes them.
    const COLUMNS: &'static [&'static str];
    /// Appended to the INSERT (`ON CONFLICT DO NOTHING` for rows a reused database may
    /// already hold).
    const ON_CONFLICT: &'static str = "";
    /// Appends this row's values, one per column.
    fn values<'a>(&'a self, out: &mut Vec<Val<'a>>);
}

/// A local account; its counters are filled in by [`recount`].
#[derive(Debug, Clone)]
pub struct AccountRow {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    /// Rendered bio HTML.
    pub note: String,
    /// Plain-text bio as typed.
    pub note_source: String,
    /// Actor URI (`{url}/users/{username}`).
    pub uri: String,
    /// Profile page (`{url}/@{username}`).
    pub url: String,
    pub inbox_url: String,
    pub shared_inbox_url: String,
    pub outbox_url: String,
    pub followers_url: String,
    pub following_url: String,
    pub public_key_pem: String,
    pub private_key_pem: String,
    pub created_at: i64,
}

impl SeedRow for AccountRow {
    const TABLE: &'static str = "accounts";
    const COLUMNS: &'static [&'static str] = &[
        "id",
        "username",
        "display_name",
        "note",
        "note_source",
        "uri",
        "url",
        "inbox_url",
        "shared_inbox_url",
        "outbox_url",
        "followers_url",
        "following_url",
        "public_key_pem",
        "private_key_pem",
        "created_at",
        "updated_at",
    ];
    fn values<'a>(&'a self, out: &mut Vec<Val<'a>>) {
        out.extend([
            Val::Int(self.id),
            Val::Text(&self.username),
            Val::Text(&self.display_name),
            Val::Text(&self.note),
            Val::Text(&self.note_source),
            Val::Text(&self.uri),
            Val::Text(&self.url),
            Val::Text(&self.inbox_url),
            Val::Text(&self.shared_inbox_url),
            Val::Text(&self.outbox_url),
            Val::Text(&self.followers_url),
            Val::Text(&self.following_url),
            Val::Text(&self.public_key_pem),
            Val::Text(&self.private_key_pem),
            Val::Int(self.created_at),
            Val::Int(self.created_at),
        ]);
    }
}

/// A confirmed, approved local login.
#[derive(Debug, Clone)]
pub struct UserRow {
    pub id: i64,
    pub account_id: i64,
    pub email: String,
    /// Argon2 PHC string (the benchmark shares one hash among all users).
    pub password_hash: String,
    pub created_at: i64,
}

impl SeedRow for UserRow {
    const TABLE: &'static str = "users";
    const COLUMNS: &'static [&'static str] = &[
        "id",
        "account_id",
        "email",
        "password_hash",
        "confirmed_at",
        "created_at",
        "updated_at",
    ];
    fn values<'a>(&'a self, out: &mut Vec<Val<'a>>) {
        out.extend([
            Val::Int(self.id),
            Val::Int(self.account_id),
            Val::Text(&self.email),
            Val::Text(&self.password_hash),
            Val::Int(self.created_at),
            Val::Int(self.created_at),
            Val::Int(self.created_at),
        ]);
    }
}

/// An access token, stored by digest like every other.
#[derive(Debug, Clone)]
pub struct TokenRow {
    pub id: i64,
    /// SHA-256 (hex) of the raw bearer token.
    pub token_hash: String,
    pub application_id: i64,
    pub user_id: i64,
    pub scopes: String,
    pub created_at: i64,
}

impl SeedRow for TokenRow {
    const TABLE: &'static str = "oauth_access_tokens";
    const COLUMNS: &'static [&'static str] = &[
        "id",
        "token_hash",
        "application_id",
        "user_id",
        "scopes",
        "created_at",
    ];
    fn values<'a>(&'a self, out: &mut Vec<Val<'a>>) {
        out.extend([
            Val::Int(self.id),
            Val::Text(&self.token_hash),
            Val::Int(self.application_id),
            Val::Int(self.user_id),
            Val::Text(&self.scopes),
            Val::Int(self.created_at),
        ]);
    }
}

/// A remote account: an actor on one of the benchmark's fake servers. Its key is left out
/// (`key_id` NULL), so the server fetches the actor document the first time it needs it. An
/// account with the same URI already stored is left as it is.
#[derive(Debug, Clone)]
pub struct RemoteAccountRow {
    pub id: i64,
    pub username: String,
    /// `host[:port]`, as the server derives it from the URI.
    pub domain: String,
    pub uri: String,
    pub inbox_url: String,
    pub shared_inbox_url: Option<String>,
    pub followers_url: String,
    pub created_at: i64,
}

impl SeedRow for RemoteAccountRow {
    const TABLE: &'static str = "accounts";
    const COLUMNS: &'static [&'static str] = &[
        "id",
        "username",
        "domain",
        "display_name",
        "uri",
        "url",
        "inbox_url",
        "shared_inbox_url",
        "followers_url",
        "actor_type",
        "created_at",
        "updated_at",
    ];
    const ON_CONFLICT: &'static str = "ON CONFLICT DO NOTHING";
    fn values<'a>(&'a self, out: &mut Vec<Val<'a>>) {
        out.extend([
            Val::Int(self.id),
            Val::Text(&self.username),
            Val::Text(&self.domain),
            Val::Text(&self.username),
            Val::Text(&self.uri),
            Val::Text(&self.uri),
            Val::Text(&self.inbox_url),
            Val::OptText(self.shared_inbox_url.as_deref()),
            Val::Text(&self.followers_url),
            Val::Text("Person"),
            Val::Int(self.created_at),
            Val::Int(self.created_at),
        ]);
    }
}

/// A follow (an existing one is left as it is).
#[derive(Debug, Clone)]
pub struct FollowRow {
    pub id: i64,
    pub account_id: i64,
    pub target_account_id: i64,
    pub created_at: i64,
}

impl SeedRow for FollowRow {
    const TABLE: &'static str = "follows";
    const COLUMNS: &'static [&'static str] =
        &["id", "account_id", "target_account_id", "created_at"];
    const ON_CONFLICT: &'static str = "ON CONFLICT DO NOTHING";
    fn values<'a>(&'a self, out: &mut Vec<Val<'a>>) {
        out.extend([
            Val::Int(self.id),
            Val::Int(self.account_id),
            Val::Int(self.target_account_id),
            Val::Int(self.created_at),
        ]);
    }
}

/// A local status or boost; its counters are filled in by [`recount`].
#[derive(Debug, Clone)]
pub struct StatusRow {
    pub id: i64,
    pub uri: String,
    pub url: Option<String>,
    pub account_id: i64,
    /// Plain-text source ('' for boosts).
    pub text: String,
    /// Rendered HTML ('' for boosts).
    pub content: String,
    pub visibility: &'static str,
    pub language: Option<&'static str>,
    pub in_reply_to_id: Option<i64>,
    pub in_reply_to_account_id: Option<i64>,
    pub reblog_of_id: Option<i64>,
    pub conversation_id: Option<i64>,
    pub application_id: Option<i64>,
    pub created_at: i64,
}

impl SeedRow for StatusRow {
    const TABLE: &'static str = "statuses";
    const COLUMNS: &'static [&'static str] = &[
        "id",
        "uri",
        "url",
        "account_id",
        "text",
        "content",
        "visibility",
        "language",
        "in_reply_to_id",
        "in_reply_to_account_id",
        "reblog_of_id",
        "conversation_id",
        "application_id",
        "local",
        "created_at",
        "updated_at",
    ];
    fn values<'a>(&'a self, out: &mut Vec<Val<'a>>) {
        out.extend([
            Val::Int(self.id),
            Val::Text(&self.uri),
            Val::OptText(self.url.as_deref()),
            Val::Int(self.account_id),
            Val::Text(&self.text),
            Val::Text(&self.content),
            Val::Text(self.visibility),
            Val::OptText(self.language),
            Val::OptInt(self.in_reply_to_id),
            Val::OptInt(self.in_reply_to_account_id),
            Val::OptInt(self.reblog_of_id),
            Val::OptInt(self.conversation_id),
            Val::OptInt(self.application_id),
            Val::Bool(true),
            Val::Int(self.created_at),
            Val::Int(self.created_at),
        ]);
    }
}

/// A mention of an account in a status.
#[derive(Debug, Clone)]
pub struct MentionRow {
    pub id: i64,
    pub status_id: i64,
    pub account_id: i64,
}

impl SeedRow for MentionRow {
    const TABLE: &'static str = "mentions";
    const COLUMNS: &'static [&'static str] = &["id", "status_id", "account_id"];
    fn values<'a>(&'a self, out: &mut Vec<Val<'a>>) {
        out.extend([
            Val::Int(self.id),
            Val::Int(self.status_id),
            Val::Int(self.account_id),
        ]);
    }
}

/// A hashtag.
#[derive(Debug, Clone)]
pub struct TagRow {
    pub id: i64,
    /// Lower-cased name.
    pub name: String,
    pub display_name: String,
    pub created_at: i64,
}

impl SeedRow for TagRow {
    const TABLE: &'static str = "tags";
    const COLUMNS: &'static [&'static str] = &["id", "name", "display_name", "created_at"];
    fn values<'a>(&'a self, out: &mut Vec<Val<'a>>) {
        out.extend([
            Val::Int(self.id),
            Val::Text(&self.name),
            Val::Text(&self.display_name),
            Val::Int(self.created_at),
        ]);
    }
}

/// A hashtag on a status.
#[derive(Debug, Clone)]
pub struct StatusTagRow {
    pub tag_id: i64,
    pub status_id: i64,
}

impl SeedRow for StatusTagRow {
    const TABLE: &'static str = "status_tags";
    const COLUMNS: &'static [&'static str] = &["tag_id", "status_id"];
    fn values<'a>(&'a self, out: &mut Vec<Val<'a>>) {
        out.extend([Val::Int(self.tag_id), Val::Int(self.status_id)]);
    }
}

/// An entry of a materialised home feed.
#[derive(Debug, Clone)]
pub struct HomeFeedRow {
    pub account_id: i64,
    pub status_id: i64,
    /// Author of the entry (the booster, for boosts).
    pub author_id: i64,
    /// For boosts: the boosted status and its author.
    pub reblog_of_id: Option<i64>,
    pub reblog_author_id: Option<i64>,
}

impl SeedRow for HomeFeedRow {
    const TABLE: &'static str = "home_feed";
    const COLUMNS: &'static [&'static str] = &[
        "account_id",
        "status_id",
        "author_id",
        "reblog_of_id",
        "reblog_author_id",
    ];
    fn values<'a>(&'a self, out: &mut Vec<Val<'a>>) {
        out.extend([
            Val::Int(self.account_id),
            Val::Int(self.status_id),
            Val::Int(self.author_id),
            Val::OptInt(self.reblog_of_id),
            Val::OptInt(self.reblog_author_id),
        ]);
    }
}

/// `INSERT INTO table (cols) VALUES (…),(…)` for `rows` rows. SQLite gets anonymous `?`
/// placeholders: with thousands of `$N` names, resolving each name is a linear search inside
/// SQLite, which makes large statements quadratic.
fn insert_sql(
    table: &str,
    columns: &[&str],
    rows: usize,
    anonymous: bool,
    on_conflict: &str,
) -> String {
    let cols = columns.len();
    let mut sql = String::with_capacity(64 + rows * cols * 7);
    sql.push_str("INSERT INTO ");
    sql.push_str(table);
    sql.push_str(" (");
    sql.push_str(&columns.join(", "));
    sql.push_str(") VALUES ");
    for r in 0..rows {
        if r > 0 {
            sql.push(',');
        }
        sql.push('(');
        if anonymous {
            sql.push_str(&vec!["?"; cols].join(","));
        } else {
            sql.push_str(&super::placeholders(1 + r * cols, cols));
        }
        sql.push(')');
    }
    if !on_conflict.is_empty() {
        sql.push(' ');
        sql.push_str(on_conflict);
    }
    sql
}

/// Inserts `rows` with multi-row INSERT statements (as many rows per statement as the bind
/// limits allow). Run it inside a transaction: that is what makes it fast.
pub async fn insert_rows<R: SeedRow>(mut c: Conn<'_>, rows: &[R]) -> Result<u64, sqlx::Error> {
    let cols = R::COLUMNS.len();
    let per = (MAX_BINDS / cols).clamp(1, MAX_ROWS);
    let mut total = 0;
    let mut full_sql: Option<String> = None;
    let anonymous = c.is_sqlite();
    let mut vals: Vec<Val<'_>> = Vec::with_capacity(per * cols);
    for chunk in rows.chunks(per) {
        let partial;
        let sql: &str = if chunk.len() == per {
            full_sql.get_or_insert_with(|| {
                insert_sql(R::TABLE, R::COLUMNS, per, anonymous, R::ON_CONFLICT)
            })
        } else {
            partial = insert_sql(R::TABLE, R::COLUMNS, chunk.len(), anonymous, R::ON_CONFLICT);
            &partial
        };
        vals.clear();
        for row in chunk {
            row.values(&mut vals);
        }
        debug_assert_eq!(vals.len(), chunk.len() * cols, "{} values", R::TABLE);
        total += with_conn!(c.re(), |c| {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for v in &vals {
                q = match *v {
                    Val::Int(i) => q.bind(i),
                    Val::OptInt(i) => q.bind(i),
                    Val::Text(s) => q.bind(s),
                    Val::OptText(s) => q.bind(s),
                    Val::Bool(b) => q.bind(b),
                };
            }
            q.execute(c).await.map(|r| r.rows_affected())
        })?;
    }
    Ok(total)
}

/// Makes the current write transaction cheaper to commit: PostgreSQL skips waiting for the
/// WAL flush (`SET LOCAL synchronous_commit`). SQLite is tuned once by [`prepare_bulk_load`].
pub async fn fast_commit(c: Conn<'_>) -> Result<(), sqlx::Error> {
    match c {
        Conn::Sqlite(_) => Ok(()),
        Conn::Postgres(c) => sqlx::query("SET LOCAL synchronous_commit TO OFF")
            .execute(c)
            .await
            .map(|_| ()),
    }
}

/// Tunes the seeding connection: SQLite's writer stops syncing to disk (a crash mid-seed
/// just means seeding again) and gets a 512 MB page cache, so index pages stay in memory
/// between transactions. Call before the first seeding transaction.
pub async fn prepare_bulk_load(db: &Db) -> Result<(), sqlx::Error> {
    if let Db::Sqlite { writer, .. } = db {
        sqlx::query("PRAGMA synchronous = OFF")
            .execute(writer)
            .await?;
        sqlx::query("PRAGMA cache_size = -524288")
            .execute(writer)
            .await?;
    }
    Ok(())
}

/// Leaves the database as a long-running server would find it: SQLite's WAL is checkpointed
/// and truncated; PostgreSQL is vacuumed and analysed (what autovacuum does eventually).
/// SQLite is deliberately not `ANALYZE`d, because the server does not do that either.
pub async fn finish_bulk_load(db: &Db) -> Result<(), sqlx::Error> {
    match db {
        Db::Sqlite { writer, .. } => {
            sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                .execute(writer)
                .await?;
            sqlx::query("PRAGMA synchronous = NORMAL")
                .execute(writer)
                .await?;
        }
        Db::Postgres(pool) => {
            sqlx::query("VACUUM ANALYZE").execute(pool).await?;
        }
    }
    Ok(())
}

/// Recomputes every denormalised counter from the rows, as Mastodon counts them:
/// `statuses_count` and `last_status_at` leave out direct posts, `replies_count` counts public
/// and unlisted replies.
pub async fn recount(mut c: Conn<'_>) -> Result<(), sqlx::Error> {
    let statements = [
        "UPDATE accounts SET \
           statuses_count = (SELECT COUNT(*) FROM statuses s WHERE s.account_id = accounts.id AND s.visibility <> 'direct'), \
           followers_count = (SELECT COUNT(*) FROM follows f WHERE f.target_account_id = accounts.id), \
           following_count = (SELECT COUNT(*) FROM follows f WHERE f.account_id = accounts.id), \
           last_status_at = (SELECT MAX(s.created_at) FROM statuses s WHERE s.account_id = accounts.id AND s.visibility <> 'direct')",
        "UPDATE statuses SET replies_count = (SELECT COUNT(*) FROM statuses r WHERE r.in_reply_to_id = statuses.id \
           AND r.visibility IN ('public', 'unlisted')) \
         WHERE id IN (SELECT in_reply_to_id FROM statuses WHERE in_reply_to_id IS NOT NULL)",
        "UPDATE statuses SET reblogs_count = (SELECT COUNT(*) FROM statuses r WHERE r.reblog_of_id = statuses.id) \
         WHERE id IN (SELECT reblog_of_id FROM statuses WHERE reblog_of_id IS NOT NULL)",
    ];
    for sql in statements {
        with_conn!(c.re(), |c| sqlx::query(sql).execute(c).await.map(|_| ()))?;
    }
    Ok(())
}

/// Tables whose size the benchmark reports.
pub const COUNTED_TABLES: &[&str] = &[
    "accounts",
    "users",
    "oauth_access_tokens",
    "follows",
    "statuses",
    "mentions",
    "status_tags",
    "home_feed",
];

/// Number of rows in `table` (one of [`COUNTED_TABLES`]).
pub async fn count_rows(c: Conn<'_>, table: &str) -> Result<i64, sqlx::Error> {
    assert!(COUNTED_TABLES.contains(&table), "unexpected table {table}");
    let sql = format!("SELECT COUNT(*) FROM {table}");
    with_conn!(c, |c| sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(
        sql.as_str()
    ))
    .fetch_one(c)
    .await)
}

/// Local accounts as (id, username), oldest first; how a reused benchmark database is read.
pub async fn local_accounts(c: Conn<'_>) -> Result<Vec<(i64, String)>, sqlx::Error> {
    with_conn!(c, |c| sqlx::query_as::<_, (i64, String)>(
        "SELECT id, username FROM accounts WHERE domain IS NULL ORDER BY id"
    )
    .fetch_all(c)
    .await)
}

/// How many home feeds a new public post by `account_id` reaches: the author's own plus
/// one per local follower.
pub async fn local_audience(c: Conn<'_>, account_id: i64) -> Result<i64, sqlx::Error> {
    with_conn!(c, |c| sqlx::query_scalar::<_, i64>(
        "SELECT 1 + COUNT(*) FROM follows f JOIN accounts a ON a.id = f.account_id \
         WHERE f.target_account_id = $1 AND a.domain IS NULL"
    )
    .bind(account_id)
    .fetch_one(c)
    .await)
}

/// How many home feeds contain `status_id` (fan-out progress).
pub async fn home_feed_count(c: Conn<'_>, status_id: i64) -> Result<i64, sqlx::Error> {
    with_conn!(c, |c| sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM home_feed WHERE status_id = $1"
    )
    .bind(status_id)
    .fetch_one(c)
    .await)
}

/// Accounts on the `domains` given, as (id, uri).
pub async fn accounts_on(
    c: Conn<'_>,
    domains: &[String],
) -> Result<Vec<(i64, String)>, sqlx::Error> {
    if domains.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT id, uri FROM accounts WHERE domain IN ({}) ORDER BY id",
        super::placeholders(1, domains.len())
    );
    with_conn!(c, |c| {
        let mut q = sqlx::query_as::<_, (i64, String)>(sqlx::AssertSqlSafe(sql.as_str()));
        for d in domains {
            q = q.bind(d);
        }
        q.fetch_all(c).await
    })
}

/// Forgets the keys of the accounts on `domains`, so that the server fetches their actor
/// documents again the next time they sign something.
pub async fn forget_keys(c: Conn<'_>, domains: &[String]) -> Result<(), sqlx::Error> {
    if domains.is_empty() {
        return Ok(());
    }
    let sql = format!(
        "UPDATE accounts SET key_id = NULL, public_key_pem = '', fetched_at = NULL          WHERE domain IN ({})",
        super::placeholders(1, domains.len())
    );
    with_conn!(c, |c| {
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()));
        for d in domains {
            q = q.bind(d);
        }
        q.execute(c).await.map(|_| ())
    })
}

/// Recomputes `followers_count` and `following_count` of the accounts `ids`.
pub async fn recount_follows(mut c: Conn<'_>, ids: &[i64]) -> Result<(), sqlx::Error> {
    for chunk in ids.chunks(MAX_ROWS) {
        let sql = format!(
            "UPDATE accounts SET \
               followers_count = (SELECT COUNT(*) FROM follows f WHERE f.target_account_id = accounts.id), \
               following_count = (SELECT COUNT(*) FROM follows f WHERE f.account_id = accounts.id) \
             WHERE id IN ({})",
            super::placeholders(1, chunk.len())
        );
        with_conn!(c.re(), |c| {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()));
            for id in chunk {
                q = q.bind(id);
            }
            q.execute(c).await.map(|_| ())
        })?;
    }
    Ok(())
}

/// Activities received by inboxes since `since` (unix ms): how many, and how many of them
/// their `Inbox` job has processed.
pub async fn inbox_progress(c: Conn<'_>, since: i64) -> Result<(i64, i64), sqlx::Error> {
    with_conn!(c, |c| sqlx::query_as::<_, (i64, i64)>(
        "SELECT COUNT(*), COUNT(processed_at) FROM inbox_activities WHERE received_at >= $1"
    )
    .bind(since)
    .fetch_one(c)
    .await)
}

/// The delivery queue: deliveries queued, and those among them not yet attempted or being
/// sent (the rest failed and wait for their retry).
pub async fn delivery_progress(c: Conn<'_>) -> Result<(i64, i64), sqlx::Error> {
    with_conn!(c, |c| sqlx::query_as::<_, (i64, i64)>(
        "SELECT COUNT(*), COUNT(CASE WHEN attempts = 0 OR locked_until IS NOT NULL THEN 1 END) \
         FROM deliveries"
    )
    .fetch_one(c)
    .await)
}

/// Empties the delivery queue and the hosts' failure records (between benchmark runs, with
/// the server stopped).
pub async fn clear_delivery_queue(mut c: Conn<'_>) -> Result<(), sqlx::Error> {
    for sql in [
        "DELETE FROM deliveries",
        "DELETE FROM outbox_activities",
        "DELETE FROM delivery_hosts",
    ] {
        with_conn!(c.re(), |c| sqlx::query(sql).execute(c).await.map(|_| ()))?;
    }
    Ok(())
}

/// The database engine's version string (`sqlite_version()` or PostgreSQL's `server_version`).
pub async fn engine_version(c: Conn<'_>) -> Result<String, sqlx::Error> {
    match c {
        Conn::Sqlite(c) => {
            sqlx::query_scalar::<_, String>("SELECT 'SQLite ' || sqlite_version()")
                .fetch_one(c)
                .await
        }
        Conn::Postgres(c) => {
            sqlx::query_scalar::<_, String>(
                "SELECT 'PostgreSQL ' || current_setting('server_version')",
            )
            .fetch_one(c)
            .await
        }
    }
}

/// `admin_url` with its database name replaced by `name`.
pub fn postgres_url_for(admin_url: &str, name: &str) -> anyhow::Result<String> {
    let mut url = url::Url::parse(admin_url).context("invalid PostgreSQL URL")?;
    url.set_path(&format!("/{name}"));
    Ok(url.to_string())
}

fn check_database_name(name: &str) -> anyhow::Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 63
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        && !name.as_bytes()[0].is_ascii_digit();
    anyhow::ensure!(
        ok,
        "database name must be lower-case letters, digits and underscores: {name:?}"
    );
    Ok(())
}

/// Whether the PostgreSQL server at `admin_url` has a database called `name`.
pub async fn postgres_database_exists(admin_url: &str, name: &str) -> anyhow::Result<bool> {
    let mut conn = PgConnection::connect(admin_url)
        .await
        .context("connecting to PostgreSQL")?;
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
            .bind(name)
            .fetch_one(&mut conn)
            .await?;
    conn.close().await?;
    Ok(exists)
}

/// Drops the database `name` (disconnecting its sessions) if it exists.
pub async fn drop_postgres_database(admin_url: &str, name: &str) -> anyhow::Result<()> {
    check_database_name(name)?;
    let mut conn = PgConnection::connect(admin_url)
        .await
        .context("connecting to PostgreSQL")?;
    let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
    sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
        .execute(&mut conn)
        .await
        .with_context(|| format!("dropping database {name}"))?;
    conn.close().await?;
    Ok(())
}

/// Drops and re-creates the empty database `name`.
pub async fn recreate_postgres_database(admin_url: &str, name: &str) -> anyhow::Result<()> {
    drop_postgres_database(admin_url, name).await?;
    let mut conn = PgConnection::connect(admin_url)
        .await
        .context("connecting to PostgreSQL")?;
    let sql = format!("CREATE DATABASE {name}");
    sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
        .execute(&mut conn)
        .await
        .with_context(|| format!("creating database {name}"))?;
    conn.close().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multi_row_insert_statement() {
        assert_eq!(
            insert_sql("t", &["a", "b"], 2, false, ""),
            "INSERT INTO t (a, b) VALUES ($1,$2),($3,$4)"
        );
        assert_eq!(
            insert_sql("t", &["a", "b"], 2, true, "ON CONFLICT DO NOTHING"),
            "INSERT INTO t (a, b) VALUES (?,?),(?,?) ON CONFLICT DO NOTHING"
        );
    }

    #[test]
    fn postgres_urls_and_names() {
        assert_eq!(
            postgres_url_for("postgres://u@127.0.0.1:5432/postgres", "woolly_bench").unwrap(),
            "postgres://u@127.0.0.1:5432/woolly_bench"
        );
        assert!(check_database_name("woolly_bench").is_ok());
        assert!(check_database_name("x; DROP").is_err());
        assert!(check_database_name("1abc").is_err());
    }
}
