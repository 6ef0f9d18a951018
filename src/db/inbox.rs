//! Inbound federation: remote actors as fetched (upserted by their URI, looked up by key id),
//! the durable record of received activities, the activity-id (`uri`) lookups Undo, Accept,
//! Delete and friends need, and reports.

use sqlx::FromRow;

use super::Conn;
use super::accounts::{ACCOUNT_COLUMNS, Account};
use super::statuses::{STATUS_COLUMNS, Status};
use crate::with_conn;

/// A remote actor as its document describes it, ready to be stored.
#[derive(Debug, Clone, Default)]
pub struct RemoteAccount {
    pub uri: String,
    pub username: String,
    pub domain: String,
    pub display_name: String,
    /// Sanitized HTML.
    pub note: String,
    /// JSON array of `StoredField` (values are sanitized HTML).
    pub fields: String,
    pub locked: bool,
    pub bot: bool,
    pub discoverable: bool,
    pub indexable: bool,
    pub avatar_url: Option<String>,
    pub header_url: Option<String>,
    pub url: Option<String>,
    pub inbox_url: String,
    pub shared_inbox_url: Option<String>,
    pub outbox_url: Option<String>,
    pub followers_url: Option<String>,
    pub following_url: Option<String>,
    pub featured_url: Option<String>,
    pub key_id: String,
    pub public_key_pem: String,
    pub actor_type: String,
    /// JSON array of actor URIs.
    pub also_known_as: String,
    pub moved_to_uri: Option<String>,
    /// Limited since (the domain block that limits its domain): set on a new account, and on
    /// a known one that is not limited yet.
    pub silenced_at: Option<i64>,
}

/// Inserts or refreshes the remote account with `a.uri` and returns its id. `fetched_at`
/// becomes `now`. Fails with a unique violation when another account already holds
/// `username@domain`.
pub async fn upsert_remote_account(
    mut c: Conn<'_>,
    id: i64,
    a: &RemoteAccount,
    now: i64,
) -> Result<i64, sqlx::Error> {
    let sql = "INSERT INTO accounts (id, username, domain, display_name, note, fields, locked, bot, \
         discoverable, indexable, avatar_url, header_url, uri, url, inbox_url, shared_inbox_url, \
         outbox_url, followers_url, following_url, featured_url, key_id, public_key_pem, actor_type, \
         also_known_as, moved_to_uri, fetched_at, created_at, updated_at, silenced_at) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21,$22,$23,$24,$25,$26,$26,$26,$27) \
         ON CONFLICT (uri) DO UPDATE SET username = excluded.username, domain = excluded.domain, \
         display_name = excluded.display_name, note = excluded.note, fields = excluded.fields, \
         locked = excluded.locked, bot = excluded.bot, discoverable = excluded.discoverable, \
         indexable = excluded.indexable, avatar_url = excluded.avatar_url, header_url = excluded.header_url, \
         url = excluded.url, inbox_url = excluded.inbox_url, shared_inbox_url = excluded.shared_inbox_url, \
         outbox_url = excluded.outbox_url, followers_url = excluded.followers_url, \
         following_url = excluded.following_url, featured_url = excluded.featured_url, \
         key_id = excluded.key_id, public_key_pem = excluded.public_key_pem, \
         actor_type = excluded.actor_type, also_known_as = excluded.also_known_as, \
         moved_to_uri = excluded.moved_to_uri, fetched_at = excluded.fetched_at, \
         updated_at = excluded.updated_at, silenced_at = coalesce(accounts.silenced_at, excluded.silenced_at) \
         WHERE accounts.domain IS NOT NULL";
    with_conn!(c.re(), |c| sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .bind(&a.username)
        .bind(&a.domain)
        .bind(&a.display_name)
        .bind(&a.note)
        .bind(&a.fields)
        .bind(a.locked)
        .bind(a.bot)
        .bind(a.discoverable)
        .bind(a.indexable)
        .bind(&a.avatar_url)
        .bind(&a.header_url)
        .bind(&a.uri)
        .bind(&a.url)
        .bind(&a.inbox_url)
        .bind(&a.shared_inbox_url)
        .bind(&a.outbox_url)
        .bind(&a.followers_url)
        .bind(&a.following_url)
        .bind(&a.featured_url)
        .bind(&a.key_id)
        .bind(&a.public_key_pem)
        .bind(&a.actor_type)
        .bind(&a.also_known_as)
        .bind(&a.moved_to_uri)
        .bind(now)
        .bind(a.silenced_at)
        .execute(c)
        .await
        .map(|_| ()))?;
    with_conn!(c, |c| sqlx::query_scalar::<_, i64>(
        "SELECT id FROM accounts WHERE uri = $1"
    )
    .bind(&a.uri)
    .fetch_one(c)
    .await)
}

/// The account (local or remote) whose actor URI is `uri`.
pub async fn account_by_uri(c: Conn<'_>, uri: &str) -> Result<Option<Account>, sqlx::Error> {
    let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE uri = $1");
    with_conn!(c, |c| sqlx::query_as::<_, Account>(sqlx::AssertSqlSafe(
        sql.as_str()
    ))
    .bind(uri)
    .fetch_optional(c)
    .await)
}

/// An account named in a status's audience (`to`/`cc`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, FromRow)]
pub struct AudienceAccount {
    pub id: i64,
    /// Whether it is a local account.
    pub local: bool,
}

/// The known, unsuspended accounts (local or remote) whose actor URIs are among `uris`, in
/// no particular order. Nothing is fetched: unknown URIs (collections, strangers) are skipped.
pub async fn accounts_among_uris(
    c: Conn<'_>,
    uris: &[String],
) -> Result<Vec<AudienceAccount>, sqlx::Error> {
    if uris.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT id, (domain IS NULL) AS local FROM accounts \
         WHERE uri IN ({}) AND suspended_at IS NULL",
        super::placeholders(1, uris.len())
    );
    with_conn!(c, |c| {
        let mut q = sqlx::query_as::<_, AudienceAccount>(sqlx::AssertSqlSafe(sql.as_str()));
        for uri in uris {
            q = q.bind(uri);
        }
        q.fetch_all(c).await
    })
}

/// Whether at least one local account follows `account_id`.
pub async fn has_local_followers(c: Conn<'_>, account_id: i64) -> Result<bool, sqlx::Error> {
    with_conn!(c, |c| sqlx::query_scalar::<_, i64>(
        "SELECT count(*) FROM (SELECT 1 FROM follows f JOIN accounts a ON a.id = f.account_id \
         WHERE f.target_account_id = $1 AND a.domain IS NULL LIMIT 1) t"
    )
    .bind(account_id)
    .fetch_one(c)
    .await
    .map(|n| n > 0))
}

/// What signature verification needs of a remote account.
#[derive(Debug, Clone, FromRow)]
pub struct RemoteKey {
    pub account_id: i64,
    /// The actor URI (the key's owner).
    pub uri: String,
    pub key_id: Option<String>,
    pub public_key_pem: String,
    /// When the actor document was last fetched (unix ms).
    pub fetched_at: Option<i64>,
    pub suspended_at: Option<i64>,
}

const KEY_COLUMNS: &str = "id AS account_id, uri, key_id, public_key_pem, fetched_at, suspended_at";

/// The remote account whose key is `key_id` — the one at `actor_uri` first, should another
/// account carry the same key id — or (for a key id never seen) whose actor URI is
/// `actor_uri`.
pub async fn remote_key(
    c: Conn<'_>,
    key_id: &str,
    actor_uri: &str,
) -> Result<Option<RemoteKey>, sqlx::Error> {
    let sql = format!(
        "SELECT {KEY_COLUMNS} FROM accounts WHERE domain IS NOT NULL AND (key_id = $1 OR uri = $2) \
         ORDER BY CASE WHEN key_id = $1 AND uri = $2 THEN 0 WHEN key_id = $1 THEN 1 ELSE 2 END \
         LIMIT 1"
    );
    with_conn!(c, |c| sqlx::query_as::<_, RemoteKey>(sqlx::AssertSqlSafe(
        sql.as_str()
    ))
    .bind(key_id)
    .bind(actor_uri)
    .fetch_optional(c)
    .await)
}

/// Extra actor properties of a remote account not in [`Account`].
#[derive(Debug, Clone, FromRow)]
pub struct ActorExtras {
    pub fetched_at: Option<i64>,
    pub featured_url: Option<String>,
    /// JSON array of actor URIs.
    pub also_known_as: String,
    pub moved_to_uri: Option<String>,
}

/// [`ActorExtras`] of account `id`.
pub async fn actor_extras(c: Conn<'_>, id: i64) -> Result<Option<ActorExtras>, sqlx::Error> {
    with_conn!(c, |c| sqlx::query_as::<_, ActorExtras>(
        "SELECT fetched_at, featured_url, also_known_as, moved_to_uri FROM accounts WHERE id = $1"
    )
    .bind(id)
    .fetch_optional(c)
    .await)
}

/// Records that account `id` moved to `target`.
pub async fn set_moved_to(c: Conn<'_>, id: i64, target: i64, now: i64) -> Result<(), sqlx::Error> {
    with_conn!(c, |c| sqlx::query(
        "UPDATE accounts SET moved_to_account_id = $2, updated_at = $3 WHERE id = $1"
    )
    .bind(id)
    .bind(target)
    .bind(now)
    .execute(c)
    .await
    .map(|_| ()))
}

/// Deletes a remote account row; everything that references it goes with it (statuses,
/// follows, favourites, notifications…).
pub async fn delete_remote_account(c: Conn<'_>, id: i64) -> Result<bool, sqlx::Error> {
    with_conn!(c, |c| sqlx::query(
        "DELETE FROM accounts WHERE id = $1 AND domain IS NOT NULL"
    )
    .bind(id)
    .execute(c)
    .await
    .map(|r| r.rows_affected() > 0))
}

/// Stores a received activity unless one with the same `activity_uri` was stored before;
/// returns whether it was new.
pub async fn insert_activity(
    c: Conn<'_>,
    id: i64,
    activity_uri: &str,
    account_id: i64,
    kind: &str,
    payload: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    with_conn!(c, |c| {
        sqlx::query(
            "INSERT INTO inbox_activities (id, activity_uri, account_id, kind, payload, received_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (account_id, activity_uri) DO NOTHING",
        )
        .bind(id)
        .bind(activity_uri)
        .bind(account_id)
        .bind(kind)
        .bind(payload)
        .bind(now)
        .execute(c)
        .await
        .map(|r| r.rows_affected() > 0)
    })
}

/// A stored received activity.
#[derive(Debug, Clone, FromRow)]
pub struct ReceivedActivity {
    pub id: i64,
    pub activity_uri: String,
    /// The actor whose key signed the delivery.
    pub account_id: i64,
    pub payload: String,
    pub processed_at: Option<i64>,
}

/// The received activity `id`.
pub async fn activity(c: Conn<'_>, id: i64) -> Result<Option<ReceivedActivity>, sqlx::Error> {
    with_conn!(c, |c| {
        sqlx::query_as::<_, ReceivedActivity>(
        "SELECT id, activity_uri, account_id, payload, processed_at FROM inbox_activities WHERE id = $1"
    )
    .bind(id)
    .fetch_optional(c)
    .await
    })
}

/// Marks a received activity processed (its payload is no longer needed and is dropped).
pub async fn mark_processed(c: Conn<'_>, id: i64, now: i64) -> Result<(), sqlx::Error> {
    with_conn!(c, |c| sqlx::query(
        "UPDATE inbox_activities SET processed_at = $2, payload = '' WHERE id = $1"
    )
    .bind(id)
    .bind(now)
    .execute(c)
    .await
    .map(|_| ()))
}

/// How many received activities are stored (all states).
pub async fn count_activities(c: Conn<'_>) -> Result<i64, sqlx::Error> {
    with_conn!(c, |c| sqlx::query_scalar::<_, i64>(
        "SELECT count(*) FROM inbox_activities"
    )
    .fetch_one(c)
    .await)
}

/// The status whose ActivityPub id is `uri`.
pub async fn status_by_uri(c: Conn<'_>, uri: &str) -> Result<Option<Status>, sqlx::Error> {
    let sql = format!("SELECT {STATUS_COLUMNS} FROM statuses WHERE uri = $1");
    with_conn!(c, |c| sqlx::query_as::<_, Status>(sqlx::AssertSqlSafe(
        sql.as_str()
    ))
    .bind(uri)
    .fetch_optional(c)
    .await)
}

/// `id`, or the next id after it not taken by a status: remote statuses get ids from their
/// publication time with random low bits, which may clash (then the insert fails, and the
/// job runs again, rather than being taken for a duplicate).
pub async fn free_status_id(c: Conn<'_>, id: i64) -> Result<i64, sqlx::Error> {
    with_conn!(c, |c| {
        let mut id = id;
        for _ in 0..64 {
            let taken = sqlx::query_scalar::<_, i64>("SELECT id FROM statuses WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut *c)
                .await?;
            if taken.is_none() {
                break;
            }
            id += 1;
        }
        Ok(id)
    })
}

/// Inserts a status unless one with its `uri` exists; returns whether it was inserted. A
/// clash on the id is an error (see [`free_status_id`]).
pub async fn insert_status_if_new(c: Conn<'_>, s: &Status) -> Result<bool, sqlx::Error> {
    super::statuses::insert_unless_uri_exists(c, s).await
}

/// Ids of the statuses of account `id` (to remove an account's content).
pub async fn status_ids_of(c: Conn<'_>, account_id: i64) -> Result<Vec<i64>, sqlx::Error> {
    with_conn!(c, |c| sqlx::query_scalar::<_, i64>(
        "SELECT id FROM statuses WHERE account_id = $1"
    )
    .bind(account_id)
    .fetch_all(c)
    .await)
}

/// All follow edges (both tables, both directions) touching `account_id`, as
/// `(edge, follower, followed)`.
pub async fn edges_touching(
    c: Conn<'_>,
    account_id: i64,
) -> Result<Vec<(bool, i64, i64)>, sqlx::Error> {
    with_conn!(c, |c| {
        sqlx::query_as::<_, (bool, i64, i64)>(
        "SELECT TRUE, account_id, target_account_id FROM follows WHERE account_id = $1 OR target_account_id = $1 \
         UNION ALL SELECT FALSE, account_id, target_account_id FROM follow_requests \
         WHERE account_id = $1 OR target_account_id = $1"
    )
    .bind(account_id)
    .fetch_all(c)
    .await
    })
}

/// Local accounts following `account_id`.
pub async fn local_followers(c: Conn<'_>, account_id: i64) -> Result<Vec<i64>, sqlx::Error> {
    with_conn!(c, |c| sqlx::query_scalar::<_, i64>(
        "SELECT f.account_id FROM follows f JOIN accounts a ON a.id = f.account_id \
         WHERE f.target_account_id = $1 AND a.domain IS NULL ORDER BY f.id"
    )
    .bind(account_id)
    .fetch_all(c)
    .await)
}

/// Favourites `status_id` as `account_id` with the Like's activity id; `false` if it
/// already was.
pub async fn insert_favourite(
    c: Conn<'_>,
    id: i64,
    account_id: i64,
    status_id: i64,
    uri: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    with_conn!(c, |c| {
        sqlx::query(
            "INSERT INTO favourites (id, account_id, status_id, uri, created_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT DO NOTHING",
        )
        .bind(id)
        .bind(account_id)
        .bind(status_id)
        .bind(uri)
        .bind(now)
        .execute(c)
        .await
        .map(|r| r.rows_affected() > 0)
    })
}

/// `(favourite id, status id)` of the favourite made by the Like `uri` of `account_id`.
pub async fn favourite_by_uri(
    c: Conn<'_>,
    account_id: i64,
    uri: &str,
) -> Result<Option<(i64, i64)>, sqlx::Error> {
    with_conn!(c, |c| sqlx::query_as::<_, (i64, i64)>(
        "SELECT id, status_id FROM favourites WHERE account_id = $1 AND uri = $2"
    )
    .bind(account_id)
    .bind(uri)
    .fetch_optional(c)
    .await)
}

/// Sets the Block activity id of a block.
pub async fn set_block_uri(
    c: Conn<'_>,
    account_id: i64,
    target_account_id: i64,
    uri: &str,
) -> Result<(), sqlx::Error> {
    with_conn!(c, |c| sqlx::query(
        "UPDATE blocks SET uri = $3 WHERE account_id = $1 AND target_account_id = $2"
    )
    .bind(account_id)
    .bind(target_account_id)
    .bind(uri)
    .execute(c)
    .await
    .map(|_| ()))
}

/// The target of the block made by the Block `uri` of `account_id`.
pub async fn block_target_by_uri(
    c: Conn<'_>,
    account_id: i64,
    uri: &str,
) -> Result<Option<i64>, sqlx::Error> {
    with_conn!(c, |c| sqlx::query_scalar::<_, i64>(
        "SELECT target_account_id FROM blocks WHERE account_id = $1 AND uri = $2"
    )
    .bind(account_id)
    .bind(uri)
    .fetch_optional(c)
    .await)
}

/// A new report.
#[derive(Debug, Clone)]
pub struct NewReport<'a> {
    pub id: i64,
    pub account_id: i64,
    pub target_account_id: i64,
    /// JSON array of status ids.
    pub status_ids: &'a str,
    pub comment: &'a str,
    pub uri: &'a str,
    pub created_at: i64,
}

/// Stores a report unless one with its `uri` exists; returns whether it was new.
pub async fn insert_report(c: Conn<'_>, r: &NewReport<'_>) -> Result<bool, sqlx::Error> {
    with_conn!(c, |c| {
        sqlx::query(
            "INSERT INTO reports (id, account_id, target_account_id, status_ids, comment, uri, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
        )
        .bind(r.id)
        .bind(r.account_id)
        .bind(r.target_account_id)
        .bind(r.status_ids)
        .bind(r.comment)
        .bind(r.uri)
        .bind(r.created_at)
        .execute(c)
        .await
        .map(|x| x.rows_affected() > 0)
    })
}

/// Reports about `target_account_id`, as `(reporter, status_ids json, comment)`.
pub async fn reports_about(
    c: Conn<'_>,
    target_account_id: i64,
) -> Result<Vec<(i64, String, String)>, sqlx::Error> {
    with_conn!(c, |c| {
        sqlx::query_as::<_, (i64, String, String)>(
        "SELECT account_id, status_ids, comment FROM reports WHERE target_account_id = $1 ORDER BY id"
    )
    .bind(target_account_id)
    .fetch_all(c)
    .await
    })
}

/// Serialises, until the end of the caller's transaction, the transactions that create or
/// delete the remote object `uri`, so that a Delete and a Create of it processed at the same
/// time cannot both miss each other (each checks for the other's row after taking the
/// lock). On PostgreSQL a transaction-scoped advisory lock on a 64-bit digest of the URI;
/// SQLite has a single writer, whose transactions are serialised already.
pub async fn lock_object_uri(c: Conn<'_>, uri: &str) -> Result<(), sqlx::Error> {
    if c.is_sqlite() {
        return Ok(());
    }
    use sha2::Digest as _;
    let digest = sha2::Sha256::digest(uri.as_bytes());
    let key = i64::from_be_bytes(digest[..8].try_into().expect("8 bytes"));
    with_conn!(c, |c| sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(key)
        .execute(c)
        .await
        .map(|_| ()))
}

/// Remembers that the remote status `uri` was deleted by its author `account_id`.
pub async fn insert_tombstone(
    c: Conn<'_>,
    uri: &str,
    account_id: i64,
    now: i64,
) -> Result<(), sqlx::Error> {
    with_conn!(c, |c| sqlx::query(
        "INSERT INTO status_tombstones (uri, account_id, deleted_at) VALUES ($1, $2, $3) \
         ON CONFLICT (uri) DO UPDATE SET deleted_at = excluded.deleted_at"
    )
    .bind(uri)
    .bind(account_id)
    .bind(now)
    .execute(c)
    .await
    .map(|_| ()))
}

/// Whether the remote status `uri` was deleted at or after `since`.
pub async fn tombstoned(c: Conn<'_>, uri: &str, since: i64) -> Result<bool, sqlx::Error> {
    with_conn!(c, |c| sqlx::query_scalar::<_, i64>(
        "SELECT count(*) FROM status_tombstones WHERE uri = $1 AND deleted_at >= $2"
    )
    .bind(uri)
    .bind(since)
    .fetch_one(c)
    .await
    .map(|n| n > 0))
}

/// Forgets deletions older than `before`; returns how many were forgotten.
pub async fn prune_tombstones(c: Conn<'_>, before: i64) -> Result<u64, sqlx::Error> {
    with_conn!(c, |c| sqlx::query(
        "DELETE FROM status_tombstones WHERE deleted_at < $1"
    )
    .bind(before)
    .execute(c)
    .await
    .map(|r| r.rows_affected()))
}

/// Deletes at most `limit` processed received activities received before `before` (their
/// ids are no longer needed to recognise redeliveries); returns how many went.
pub async fn prune_activities(c: Conn<'_>, before: i64, limit: i64) -> Result<u64, sqlx::Error> {
    with_conn!(c, |c| sqlx::query(
        "DELETE FROM inbox_activities WHERE id IN (SELECT id FROM inbox_activities \
         WHERE received_at < $1 AND processed_at IS NOT NULL ORDER BY received_at LIMIT $2)"
    )
    .bind(before)
    .bind(limit)
    .execute(c)
    .await
    .map(|r| r.rows_affected()))
}
