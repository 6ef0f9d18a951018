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
