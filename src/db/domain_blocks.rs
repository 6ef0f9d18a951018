//! Domain blocks set by the operator (`domain_blocks`): the whole list (small; cached in
//! memory by `service::domain_blocks`), and single rows by id or domain.

use sqlx::FromRow;

use super::Conn;
use crate::with_conn;

/// One domain block.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct DomainBlock {
    pub id: i64,
    /// Normalised domain (lower case, no trailing dot).
    pub domain: String,
    /// `silence`, `suspend` or `noop`.
    pub severity: String,
    pub reject_media: bool,
    pub reject_reports: bool,
    pub private_comment: Option<String>,
    pub public_comment: Option<String>,
    pub obfuscate: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

const COLUMNS: &str = "id, domain, severity, reject_media, reject_reports, private_comment, \
     public_comment, obfuscate, created_at, updated_at";

/// Every domain block, oldest first.
pub async fn all(c: Conn<'_>) -> Result<Vec<DomainBlock>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM domain_blocks ORDER BY id");
    with_conn!(c, |c| sqlx::query_as::<_, DomainBlock>(
        sqlx::AssertSqlSafe(sql.as_str())
    )
    .fetch_all(c)
    .await)
}

/// The block with `id`.
pub async fn get(c: Conn<'_>, id: i64) -> Result<Option<DomainBlock>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM domain_blocks WHERE id = $1");
    with_conn!(c, |c| sqlx::query_as::<_, DomainBlock>(
        sqlx::AssertSqlSafe(sql.as_str())
    )
    .bind(id)
    .fetch_optional(c)
    .await)
}

/// The block with `id`, its row locked until the end of the transaction on PostgreSQL
/// (SQLite transactions are serial already): a change or removal of the block waits for the
/// transaction, or the transaction sees it.
pub async fn lock(c: Conn<'_>, id: i64) -> Result<Option<DomainBlock>, sqlx::Error> {
    let lock = if c.is_sqlite() { "" } else { " FOR UPDATE" };
    let sql = format!("SELECT {COLUMNS} FROM domain_blocks WHERE id = $1{lock}");
    with_conn!(c, |c| sqlx::query_as::<_, DomainBlock>(
        sqlx::AssertSqlSafe(sql.as_str())
    )
    .bind(id)
    .fetch_optional(c)
    .await)
}

/// The block of exactly `domain` (already normalised).
pub async fn by_domain(c: Conn<'_>, domain: &str) -> Result<Option<DomainBlock>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM domain_blocks WHERE domain = $1");
    with_conn!(c, |c| sqlx::query_as::<_, DomainBlock>(
        sqlx::AssertSqlSafe(sql.as_str())
    )
    .bind(domain)
    .fetch_optional(c)
    .await)
}

/// Inserts `b`, or (same domain) replaces its settings, keeping the original id and creation
/// time. Returns the stored row.
pub async fn upsert(mut c: Conn<'_>, b: &DomainBlock) -> Result<DomainBlock, sqlx::Error> {
    with_conn!(c.re(), |c| sqlx::query(
        "INSERT INTO domain_blocks (id, domain, severity, reject_media, reject_reports, \
         private_comment, public_comment, obfuscate, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
         ON CONFLICT (domain) DO UPDATE SET severity = excluded.severity, \
         reject_media = excluded.reject_media, reject_reports = excluded.reject_reports, \
         private_comment = excluded.private_comment, public_comment = excluded.public_comment, \
         obfuscate = excluded.obfuscate, updated_at = excluded.updated_at"
    )
    .bind(b.id)
    .bind(&b.domain)
    .bind(&b.severity)
    .bind(b.reject_media)
    .bind(b.reject_reports)
    .bind(&b.private_comment)
    .bind(&b.public_comment)
    .bind(b.obfuscate)
    .bind(b.created_at)
    .bind(b.updated_at)
    .execute(c)
    .await
    .map(|_| ()))?;
    by_domain(c, &b.domain)
        .await?
        .ok_or(sqlx::Error::RowNotFound)
}

/// Deletes the block with `id`; whether there was one.
pub async fn delete(c: Conn<'_>, id: i64) -> Result<bool, sqlx::Error> {
    with_conn!(c, |c| sqlx::query(
        "DELETE FROM domain_blocks WHERE id = $1"
    )
    .bind(id)
    .execute(c)
    .await
    .map(|r| r.rows_affected() > 0))
}

/// The condition "`accounts.domain` is `domain` or one of its subdomains" (a domain naming a
/// port covers that authority only) on parameters `$first`..`$first+3`, bound by
/// [`domain_args`]. Wider matches are possible (a block is applied through the block that
/// governs each account's domain, decided in Rust); narrower ones are not.
fn domain_condition(first: usize) -> String {
    let [a, b, c, d] = [first, first + 1, first + 2, first + 3];
    format!(
        "domain IS NOT NULL AND (lower(domain) = ${a} OR lower(domain) LIKE ${b} ESCAPE '\\' \
         OR lower(domain) LIKE ${c} ESCAPE '\\' OR lower(domain) LIKE ${d} ESCAPE '\\')"
    )
}

/// The values of [`domain_condition`]: the domain, then `%.domain`, `domain:%` and
/// `%.domain:%` (only the domain itself, three more times, when it names a port).
fn domain_args(domain: &str) -> [String; 4] {
    let esc = super::search::like_escape(domain);
    let has_port = domain
        .rsplit_once(':')
        .is_some_and(|(_, p)| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    if has_port || domain.starts_with('[') {
        [domain.to_owned(), esc.clone(), esc.clone(), esc]
    } else {
        [
            domain.to_owned(),
            format!("%.{esc}"),
            format!("{esc}:%"),
            format!("%.{esc}:%"),
        ]
    }
}

/// Remote accounts on `domain` or its subdomains with an id above `after`, in id order, at
/// most `limit`: `(id, domain)`. Walking a domain's accounts in batches by this cursor reads
/// the accounts table once in all.
pub async fn accounts_under(
    c: Conn<'_>,
    domain: &str,
    after: i64,
    limit: i64,
) -> Result<Vec<(i64, String)>, sqlx::Error> {
    let sql = format!(
        "SELECT id, lower(domain) FROM accounts WHERE id > $1 AND {} ORDER BY id LIMIT $6",
        domain_condition(2)
    );
    let [d, a, b, e] = domain_args(domain);
    with_conn!(c, |c| sqlx::query_as::<_, (i64, String)>(
        sqlx::AssertSqlSafe(sql.as_str())
    )
    .bind(after)
    .bind(&d)
    .bind(&a)
    .bind(&b)
    .bind(&e)
    .bind(limit)
    .fetch_all(c)
    .await)
}

/// What a domain block does to the accounts it governs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limitation {
    /// Limit (`silenced_at`), unless already limited.
    Silence,
    /// Suspend (`suspended_at`), unless already suspended.
    Suspend,
    /// Forget the avatar and header (media from the domain are rejected).
    ClearMedia,
}

/// Applies `what` to the accounts `ids`, stamping limits and suspensions with `since` (the
/// block's creation time, which lifting it looks for); changed rows get a new `updated_at`
/// (what their `Account` entity shows changed). Returns the rows changed.
pub async fn limit_accounts(
    c: Conn<'_>,
    ids: &[i64],
    what: Limitation,
    since: i64,
) -> Result<u64, sqlx::Error> {
    if ids.is_empty() {
        return Ok(0);
    }
    let mut q = super::timelines::Query::new("UPDATE accounts SET updated_at = ");
    q.push_arg(crate::time::now_ms()).push(", ");
    match what {
        Limitation::Silence => {
            q.push("silenced_at = ").push_arg(since);
            q.push(" WHERE silenced_at IS NULL");
        }
        Limitation::Suspend => {
            q.push("suspended_at = ").push_arg(since);
            q.push(" WHERE suspended_at IS NULL");
        }
        Limitation::ClearMedia => {
            q.push("avatar_url = NULL, header_url = NULL WHERE (avatar_url IS NOT NULL OR header_url IS NOT NULL)");
        }
    }
    q.push(" AND domain IS NOT NULL AND id IN (")
        .push_list(ids)
        .push(")");
    q.execute(c).await
}

/// Lifts what the block of `domain` created at `since` did to its accounts: limits
/// (`silence`) and suspensions (`suspend`) stamped with `since` are cleared (Mastodon's
/// `UnblockDomainService`; what a suspension removed stays removed), with a new
/// `updated_at`. Returns the rows changed.
pub async fn lift(
    mut c: Conn<'_>,
    domain: &str,
    since: i64,
    silence: bool,
    suspend: bool,
) -> Result<u64, sqlx::Error> {
    let mut changed = 0;
    for (column, on) in [("silenced_at", silence), ("suspended_at", suspend)] {
        if !on {
            continue;
        }
        let sql = format!(
            "UPDATE accounts SET {column} = NULL, updated_at = $6 WHERE {column} = $1 AND {}",
            domain_condition(2)
        );
        let [d, a, b, e] = domain_args(domain);
        changed += with_conn!(c.re(), |c| sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(since)
            .bind(&d)
            .bind(&a)
            .bind(&b)
            .bind(&e)
            .bind(crate::time::now_ms())
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
    }
    Ok(changed)
}
