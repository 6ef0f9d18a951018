//! The data-access layer: the only place that contains SQL.
//!
//! One code path serves SQLite and PostgreSQL. A [`Db`] is either backend; queries are written
//! once with `$1`-style placeholders (both engines accept them) inside [`with_conn!`], which
//! expands the body once per backend so sqlx's generic query API type-checks against each.
//! Repository functions live in one submodule per domain and take a [`Conn`], so the same
//! function runs on a pooled connection or inside a transaction ([`Tx`]).
//!
//! SQLite runs in WAL mode with one writer connection and a pool of readers: writes never
//! contend for the lock, reads never wait for writes. See ARCHITECTURE.md for durability.

pub mod accounts;
pub mod cards;
pub mod conversations;
pub mod deliveries;
pub mod domain_blocks;
pub mod endorsements;
pub mod featured_tags;
pub mod federation;
pub mod filters;
pub mod follows;
pub mod hydration;
pub mod inbox;
pub mod instance;
pub mod jobs;
pub mod lists;
pub mod markers;
pub mod media;
pub mod notifications;
pub mod oauth;
pub mod polls;
pub mod scheduled_statuses;
pub mod search;
pub mod seed;
pub mod statuses;
pub mod suspension;
pub mod tag_follows;
pub mod timelines;

use std::str::FromStr;
use std::time::Duration;

use anyhow::Context;
use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgConnection, PgPool, Postgres, Sqlite, SqliteConnection, SqlitePool, Transaction};

/// Runs `$body` with `$c` bound to the backend's `&mut Connection`, once per backend.
///
/// ```ignore
/// with_conn!(conn, |c| sqlx::query("DELETE FROM x WHERE id = $1").bind(id).execute(c).await)
/// ```
#[macro_export]
macro_rules! with_conn {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::db::Conn::Sqlite($c) => $body,
            $crate::db::Conn::Postgres($c) => $body,
        }
    };
}

/// A connection pool on either backend.
#[derive(Clone, Debug)]
pub enum Db {
    /// Embedded SQLite: a single writer connection and a pool of readers.
    Sqlite {
        writer: SqlitePool,
        reader: SqlitePool,
    },
    /// PostgreSQL.
    Postgres(PgPool),
}

/// A borrowed connection on either backend; what repository functions take.
pub enum Conn<'a> {
    /// SQLite connection.
    Sqlite(&'a mut SqliteConnection),
    /// PostgreSQL connection.
    Postgres(&'a mut PgConnection),
}

impl Conn<'_> {
    /// Reborrows the connection for another query.
    pub fn re(&mut self) -> Conn<'_> {
        match self {
            Conn::Sqlite(c) => Conn::Sqlite(c),
            Conn::Postgres(c) => Conn::Postgres(c),
        }
    }

    /// Whether this is the SQLite backend (for the rare dialect-specific statement).
    pub fn is_sqlite(&self) -> bool {
        matches!(self, Conn::Sqlite(_))
    }
}

/// A pooled connection checked out for reading.
pub enum Handle {
    /// SQLite reader connection.
    Sqlite(PoolConnection<Sqlite>),
    /// PostgreSQL connection.
    Postgres(PoolConnection<Postgres>),
}

impl Handle {
    /// The connection, for repository calls.
    pub fn conn(&mut self) -> Conn<'_> {
        match self {
            Handle::Sqlite(c) => Conn::Sqlite(c),
            Handle::Postgres(c) => Conn::Postgres(c),
        }
    }
}

/// An open write transaction; dropped without [`Tx::commit`] it rolls back. Streaming events
/// raised while it is open are published when it commits (`streaming::scope`).
pub struct Tx {
    inner: TxInner,
    events: crate::streaming::scope::TxEvents,
}

enum TxInner {
    /// SQLite transaction on the writer connection.
    Sqlite(Transaction<'static, Sqlite>),
    /// PostgreSQL transaction.
    Postgres(Transaction<'static, Postgres>),
}

impl Tx {
    /// The connection, for repository calls inside the transaction.
    pub fn conn(&mut self) -> Conn<'_> {
        match &mut self.inner {
            TxInner::Sqlite(t) => Conn::Sqlite(t),
            TxInner::Postgres(t) => Conn::Postgres(t),
        }
    }

    /// Commits; only after this returns may a response report the change as done.
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        match self.inner {
            TxInner::Sqlite(t) => t.commit().await?,
            TxInner::Postgres(t) => t.commit().await?,
        }
        self.events.committed();
        Ok(())
    }
}

/// Which engine a [`Db`] runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// Embedded SQLite.
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

/// PostgreSQL connections idle longer than this are pinged before use.
const IDLE_PING_AFTER: Duration = Duration::from_secs(30);

static SQLITE_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

/// Connection settings beyond the URL.
#[derive(Debug, Clone)]
pub struct DbOptions {
    /// SQLite `synchronous` pragma: `normal` or `full`.
    pub sqlite_synchronous: String,
    /// SQLite `mmap_size`, in MiB.
    pub sqlite_mmap_mb: u64,
    /// Upper bound of pooled connections (PostgreSQL; SQLite readers).
    pub max_connections: u32,
    /// PostgreSQL `search_path` (tests isolate themselves in a schema).
    pub pg_schema: Option<String>,
}

impl Default for DbOptions {
    fn default() -> Self {
        DbOptions {
            sqlite_synchronous: "normal".into(),
            sqlite_mmap_mb: 1024,
            max_connections: 16,
            pg_schema: None,
        }
    }
}

impl Db {
    /// Opens a pool for `url` (`sqlite://PATH` or `postgres://…`).
    pub async fn connect(url: &str, opts: &DbOptions) -> anyhow::Result<Db> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let mut o = PgConnectOptions::from_str(url).context("invalid PostgreSQL URL")?;
            if let Some(schema) = &opts.pg_schema {
                o = o.options([("search_path", schema.as_str())]);
            }
            let pool = PgPoolOptions::new()
                .max_connections(opts.max_connections)
                .acquire_timeout(Duration::from_secs(10))
                // sqlx pings every connection on checkout by default: a network round trip
                // per request. Ping only connections that sat idle long enough for a
                // server restart or a dropped socket to be plausible.
                .test_before_acquire(false)
                .before_acquire(|conn, meta| {
                    Box::pin(async move {
                        if meta.idle_for > IDLE_PING_AFTER {
                            sqlx::Connection::ping(conn).await?;
                        }
                        Ok(true)
                    })
                })
                .connect_with(o)
                .await
                .context("connecting to PostgreSQL")?;
            return Ok(Db::Postgres(pool));
        }
        let Some(path) = url.strip_prefix("sqlite://") else {
            anyhow::bail!(
                "WOOLLY_DATABASE_URL must start with sqlite:// or postgres://, got {url:?}"
            );
        };
        if let Some(parent) = std::path::Path::new(path).parent()
            && !parent.as_os_str().is_empty()
        {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("creating {}", parent.display()))?;
        }
        let synchronous = match opts.sqlite_synchronous.as_str() {
            "full" => SqliteSynchronous::Full,
            "normal" => SqliteSynchronous::Normal,
            other => anyhow::bail!("sqlite_synchronous must be normal or full, got {other:?}"),
        };
        // busy_timeout before journal_mode, so switching to WAL waits for other processes.
        let base = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .busy_timeout(Duration::from_secs(10))
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(synchronous)
            .foreign_keys(true)
            // 8 MiB of page cache per connection; the OS page cache is shared by all.
            .pragma("cache_size", "-8000")
            // Reads go through a memory map of the file (1 GiB by default): pages are read
            // straight from the OS page cache instead of being copied by a `pread` per page
            // into each connection's cache (a profile of the home timeline spent 11% of the
            // server's CPU in `pread`). Mapped pages count as file-backed resident memory,
            // once per connection that touched them.
            .pragma("mmap_size", (opts.sqlite_mmap_mb * 1024 * 1024).to_string())
            .pragma("temp_store", "memory");
        // An embedded connection cannot drop: no liveness ping on checkout (sqlx's default
        // would cost a round trip to the connection's worker thread per acquire).
        let writer = SqlitePoolOptions::new()
            .test_before_acquire(false)
            .max_connections(1)
            .min_connections(1)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(base.clone())
            .await
            .with_context(|| format!("opening SQLite database {path}"))?;
        // Reads are CPU-bound: more reader connections than twice the cores only add
        // contention and page-cache memory.
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get()) as u32;
        let reader = SqlitePoolOptions::new()
            .test_before_acquire(false)
            .max_connections(opts.max_connections.clamp(2, (2 * cores).max(4)))
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(base.read_only(true).pragma("query_only", "true"))
            .await
            .with_context(|| format!("opening SQLite database {path} for reading"))?;
        Ok(Db::Sqlite { writer, reader })
    }

    /// Applies pending migrations (idempotent).
    pub async fn migrate(&self) -> anyhow::Result<()> {
        match self {
            Db::Sqlite { writer, .. } => SQLITE_MIGRATOR
                .run(writer)
                .await
                .context("SQLite migrations")?,
            Db::Postgres(pool) => POSTGRES_MIGRATOR
                .run(pool)
                .await
                .context("PostgreSQL migrations")?,
        }
        Ok(())
    }

    /// The engine behind this pool.
    pub fn backend(&self) -> Backend {
        match self {
            Db::Sqlite { .. } => Backend::Sqlite,
            Db::Postgres(_) => Backend::Postgres,
        }
    }

    /// A connection for reading (a SQLite reader, or a PostgreSQL connection).
    pub async fn read(&self) -> Result<Handle, sqlx::Error> {
        Ok(match self {
            Db::Sqlite { reader, .. } => Handle::Sqlite(reader.acquire().await?),
            Db::Postgres(pool) => Handle::Postgres(pool.acquire().await?),
        })
    }

    /// Starts a write transaction.
    pub async fn begin(&self) -> Result<Tx, sqlx::Error> {
        let inner = match self {
            Db::Sqlite { writer, .. } => TxInner::Sqlite(writer.begin().await?),
            Db::Postgres(pool) => TxInner::Postgres(pool.begin().await?),
        };
        Ok(Tx {
            inner,
            events: crate::streaming::scope::TxEvents::begin(),
        })
    }

    /// Closes all connections (graceful shutdown).
    pub async fn close(&self) {
        match self {
            Db::Sqlite { writer, reader } => {
                reader.close().await;
                writer.close().await;
            }
            Db::Postgres(pool) => pool.close().await,
        }
    }
}

/// `$start, $start+1, …` for `n` bind parameters, for `IN (…)` lists.
pub fn placeholders(start: usize, n: usize) -> String {
    let mut s = String::with_capacity(n * 5);
    for i in 0..n {
        if i > 0 {
            s.push(',');
        }
        s.push('$');
        s.push_str(&(start + i).to_string());
    }
    s
}

/// `ids` padded (by repeating the first) to one of a few lengths — powers of two up to 8,
/// then multiples of 8 — so that queries with `IN (…)` lists of varying length share a
/// handful of prepared statements instead of preparing one per length. Repeating a value in
/// an `IN` list changes nothing.
pub fn padded(ids: &[i64]) -> Vec<i64> {
    let n = ids.len();
    let target = if n <= 8 {
        n.next_power_of_two()
    } else {
        n.div_ceil(8) * 8
    };
    let mut out = Vec::with_capacity(target);
    out.extend_from_slice(ids);
    if let Some(first) = ids.first() {
        out.resize(target, *first);
    }
    out
}

/// Whether the error is a unique-constraint violation (on either backend).
pub fn is_unique_violation(e: &sqlx::Error) -> bool {
    e.as_database_error()
        .is_some_and(|d| d.is_unique_violation())
}

#[cfg(test)]
mod tests {
    use super::{padded, placeholders};

    #[test]
    fn placeholder_lists() {
        assert_eq!(placeholders(1, 3), "$1,$2,$3");
        assert_eq!(placeholders(4, 1), "$4");
        assert_eq!(placeholders(1, 0), "");
    }

    #[test]
    fn padded_lists_take_few_lengths() {
        assert_eq!(padded(&[]), Vec::<i64>::new());
        assert_eq!(padded(&[7]), vec![7]);
        assert_eq!(padded(&[7, 8, 9]), vec![7, 8, 9, 7]);
        assert_eq!(padded(&[1; 9]).len(), 16);
        assert_eq!(padded(&[1; 40]).len(), 40);
        assert_eq!(padded(&[1; 41]).len(), 48);
    }
}
