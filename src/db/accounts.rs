//! Accounts (local and remote profiles) and users (local logins).

use sqlx::FromRow;

use super::{Conn, placeholders};
use crate::with_conn;

/// One row of `accounts`: a local or remote profile.
#[derive(Debug, Clone, FromRow)]
pub struct Account {
    pub id: i64,
    pub username: String,
    pub domain: Option<String>,
    pub display_name: String,
    pub note: String,
    /// Empty when loaded with [`DISPLAY_COLUMNS`].
    #[sqlx(default)]
    pub note_source: String,
    pub fields: String,
    pub locked: bool,
    pub bot: bool,
    pub discoverable: bool,
    pub indexable: bool,
    pub hide_collections: bool,
    pub avatar_url: Option<String>,
    pub header_url: Option<String>,
    pub uri: String,
    pub url: Option<String>,
    pub inbox_url: Option<String>,
    pub shared_inbox_url: Option<String>,
    pub outbox_url: Option<String>,
    pub followers_url: Option<String>,
    pub following_url: Option<String>,
    /// Empty when loaded with [`DISPLAY_COLUMNS`].
    #[sqlx(default)]
    pub public_key_pem: String,
    pub statuses_count: i64,
    pub followers_count: i64,
    pub following_count: i64,
    pub last_status_at: Option<i64>,
    pub suspended_at: Option<i64>,
    /// When a domain block limited the account (Mastodon's `silenced_at`): it is left out of
    /// public timelines and notifies only its local followers.
    pub silenced_at: Option<i64>,
    pub moved_to_account_id: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// Columns selected into [`Account`] (the private key is deliberately not among them).
pub const ACCOUNT_COLUMNS: &str = "id, username, domain, display_name, note, note_source, fields, locked, bot, \
     discoverable, indexable, hide_collections, avatar_url, header_url, uri, url, inbox_url, \
     shared_inbox_url, outbox_url, followers_url, following_url, public_key_pem, statuses_count, \
     followers_count, following_count, last_status_at, suspended_at, silenced_at, moved_to_account_id, \
     created_at, updated_at";

/// The columns of [`Account`] needed to render the `Account` entity: without the bio's source
/// and the public key, which only profile editing and federation read. Rows loaded with these
/// have those two fields empty.
pub const DISPLAY_COLUMNS: &str = "id, username, domain, display_name, note, fields, locked, bot, \
     discoverable, indexable, hide_collections, avatar_url, header_url, uri, url, inbox_url, \
     shared_inbox_url, outbox_url, followers_url, following_url, statuses_count, \
     followers_count, following_count, last_status_at, suspended_at, silenced_at, moved_to_account_id, \
     created_at, updated_at";

impl Account {
    /// `username` for local accounts, `username@domain` for remote ones.
    pub fn acct(&self) -> String {
        match &self.domain {
            None => self.username.clone(),
            Some(d) => format!("{}@{}", self.username, d),
        }
    }

    /// Whether the account lives on this server.
    pub fn is_local(&self) -> bool {
        self.domain.is_none()
    }
}

/// Values for a new account row.
#[derive(Debug, Clone)]
pub struct NewAccount {
    pub id: i64,
    pub username: String,
    pub domain: Option<String>,
    pub display_name: String,
    pub uri: String,
    pub url: Option<String>,
    pub inbox_url: Option<String>,
    pub shared_inbox_url: Option<String>,
    pub outbox_url: Option<String>,
    pub followers_url: Option<String>,
    pub following_url: Option<String>,
    pub public_key_pem: String,
    pub private_key_pem: Option<String>,
    pub locked: bool,
    pub bot: bool,
    pub created_at: i64,
}

/// Inserts an account; fails with a unique violation when the username is taken.
pub async fn insert(c: Conn<'_>, a: &NewAccount) -> Result<(), sqlx::Error> {
    with_conn!(c, |c| {
        sqlx::query(
        "INSERT INTO accounts (id, username, domain, display_name, uri, url, inbox_url, shared_inbox_url, \
         outbox_url, followers_url, following_url, public_key_pem, private_key_pem, locked, bot, created_at, updated_at) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$16)"
    )
    .bind(a.id)
    .bind(&a.username)
    .bind(&a.domain)
    .bind(&a.display_name)
    .bind(&a.uri)
    .bind(&a.url)
    .bind(&a.inbox_url)
    .bind(&a.shared_inbox_url)
    .bind(&a.outbox_url)
    .bind(&a.followers_url)
    .bind(&a.following_url)
    .bind(&a.public_key_pem)
    .bind(&a.private_key_pem)
    .bind(a.locked)
    .bind(a.bot)
    .bind(a.created_at)
    .execute(c)
    .await
    .map(|_| ())
    })
}

/// The account with this id.
pub async fn get(c: Conn<'_>, id: i64) -> Result<Option<Account>, sqlx::Error> {
    let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE id = $1");
    with_conn!(c, |c| sqlx::query_as::<_, Account>(sqlx::AssertSqlSafe(
        sql.as_str()
    ))
    .bind(id)
    .fetch_optional(c)
    .await)
}

/// The accounts with these ids, in no particular order; unknown ids are skipped.
pub async fn get_many(c: Conn<'_>, ids: &[i64]) -> Result<Vec<Account>, sqlx::Error> {
    get_many_with(c, ids, ACCOUNT_COLUMNS).await
}

/// [`get_many`] with only the [`DISPLAY_COLUMNS`]: for rendering entities, never for
/// federation (no public key).
pub async fn get_many_for_display(c: Conn<'_>, ids: &[i64]) -> Result<Vec<Account>, sqlx::Error> {
    get_many_with(c, ids, DISPLAY_COLUMNS).await
}

async fn get_many_with(
    c: Conn<'_>,
    ids: &[i64],
    columns: &str,
) -> Result<Vec<Account>, sqlx::Error> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT {columns} FROM accounts WHERE id IN ({})",
        placeholders(1, ids.len())
    );
    with_conn!(c, |c| {
        let mut q = sqlx::query_as::<_, Account>(sqlx::AssertSqlSafe(sql.as_str()));
        for id in ids {
            q = q.bind(*id);
        }
        q.fetch_all(c).await
    })
}

/// Finds an account by username (case-insensitive) and domain (`None` for local).
pub async fn find_by_username(
    c: Conn<'_>,
    username: &str,
    domain: Option<&str>,
) -> Result<Option<Account>, sqlx::Error> {
    let sql = format!(
        "SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE lower(username) = lower($1) AND lower(coalesce(domain, '')) = lower($2)"
    );
    with_conn!(c, |c| sqlx::query_as::<_, Account>(sqlx::AssertSqlSafe(
        sql.as_str()
    ))
    .bind(username)
    .bind(domain.unwrap_or(""))
    .fetch_optional(c)
    .await)
}

/// The private key (PKCS#8 PEM) of a local account.
pub async fn private_key(c: Conn<'_>, id: i64) -> Result<Option<String>, sqlx::Error> {
    with_conn!(c, |c| sqlx::query_scalar::<_, Option<String>>(
        "SELECT private_key_pem FROM accounts WHERE id = $1"
    )
    .bind(id)
    .fetch_optional(c)
    .await
    .map(Option::flatten))
}

/// Profile fields a user can change through `update_credentials`.
#[derive(Debug, Clone)]
pub struct ProfileUpdate {
    pub display_name: String,
    pub note: String,
    pub note_source: String,
    pub fields: String,
    pub locked: bool,
    pub bot: bool,
    pub discoverable: bool,
    pub indexable: bool,
    pub hide_collections: bool,
}

/// Writes a profile update.
pub async fn update_profile(
    c: Conn<'_>,
    id: i64,
    p: &ProfileUpdate,
    now: i64,
) -> Result<(), sqlx::Error> {
    with_conn!(c, |c| {
        sqlx::query(
        "UPDATE accounts SET display_name = $2, note = $3, note_source = $4, fields = $5, locked = $6, bot = $7, \
         discoverable = $8, indexable = $9, hide_collections = $10, updated_at = $11 WHERE id = $1"
    )
    .bind(id)
    .bind(&p.display_name)
    .bind(&p.note)
    .bind(&p.note_source)
    .bind(&p.fields)
    .bind(p.locked)
    .bind(p.bot)
    .bind(p.discoverable)
    .bind(p.indexable)
    .bind(p.hide_collections)
    .bind(now)
    .execute(c)
    .await
    .map(|_| ())
    })
}

/// Which denormalised counter of an account to adjust.
#[derive(Debug, Clone, Copy)]
pub enum Counter {
    Statuses,
    Followers,
    Following,
}

/// Adds `delta` to a counter, never going below zero.
pub async fn bump(c: Conn<'_>, id: i64, counter: Counter, delta: i64) -> Result<(), sqlx::Error> {
    let col = match counter {
        Counter::Statuses => "statuses_count",
        Counter::Followers => "followers_count",
        Counter::Following => "following_count",
    };
    let sql = format!(
        "UPDATE accounts SET {col} = CASE WHEN {col} + $2 < 0 THEN 0 ELSE {col} + $2 END WHERE id = $1"
    );
    with_conn!(c, |c| sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(id)
        .bind(delta)
        .execute(c)
        .await
        .map(|_| ()))
}

/// Records that the account posted at `at`.
pub async fn touch_last_status(c: Conn<'_>, id: i64, at: i64) -> Result<(), sqlx::Error> {
    with_conn!(c, |c| sqlx::query(
        "UPDATE accounts SET last_status_at = $2 WHERE id = $1"
    )
    .bind(id)
    .bind(at)
    .execute(c)
    .await
    .map(|_| ()))
}

/// One row of `users`: a local login attached to an account.
#[derive(Debug, Clone, FromRow)]
pub struct User {
    pub id: i64,
    pub account_id: i64,
    pub email: String,
    pub password_hash: String,
    pub role: String,
    pub confirmed_at: Option<i64>,
    pub approved: bool,
    pub disabled: bool,
    pub otp_secret: Option<String>,
    pub locale: String,
    pub default_privacy: String,
    pub default_sensitive: bool,
    pub default_language: Option<String>,
    pub created_at: i64,
}

const USER_COLUMNS: &str = "id, account_id, email, password_hash, role, confirmed_at, approved, disabled, otp_secret, \
     locale, default_privacy, default_sensitive, default_language, created_at";

/// Values for a new user row.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub id: i64,
    pub account_id: i64,
    pub email: String,
    pub password_hash: String,
    pub role: String,
    pub confirmed_at: Option<i64>,
    /// SHA-256 (hex) of the e-mail confirmation token sent to the user.
    pub confirmation_token: Option<String>,
    /// When that token was sent (it expires).
    pub confirmation_sent_at: Option<i64>,
    pub approved: bool,
    pub locale: String,
    pub reason: Option<String>,
    pub sign_up_ip: Option<String>,
    pub created_at: i64,
}

/// Inserts a user; fails with a unique violation when the e-mail address is taken.
pub async fn insert_user(c: Conn<'_>, u: &NewUser) -> Result<(), sqlx::Error> {
    with_conn!(c, |c| {
        sqlx::query(
        "INSERT INTO users (id, account_id, email, password_hash, role, confirmed_at, confirmation_token, approved, \
         locale, reason, sign_up_ip, created_at, updated_at, confirmation_sent_at) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$12,$13)"
    )
    .bind(u.id)
    .bind(u.account_id)
    .bind(&u.email)
    .bind(&u.password_hash)
    .bind(&u.role)
    .bind(u.confirmed_at)
    .bind(&u.confirmation_token)
    .bind(u.approved)
    .bind(&u.locale)
    .bind(&u.reason)
    .bind(&u.sign_up_ip)
    .bind(u.created_at)
    .bind(u.confirmation_sent_at)
    .execute(c)
    .await
    .map(|_| ())
    })
}

/// The user with this id.
pub async fn get_user(c: Conn<'_>, id: i64) -> Result<Option<User>, sqlx::Error> {
    let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1");
    with_conn!(c, |c| sqlx::query_as::<_, User>(sqlx::AssertSqlSafe(
        sql.as_str()
    ))
    .bind(id)
    .fetch_optional(c)
    .await)
}

/// The user owning this local account.
pub async fn get_user_by_account(
    c: Conn<'_>,
    account_id: i64,
) -> Result<Option<User>, sqlx::Error> {
    let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE account_id = $1");
    with_conn!(c, |c| sqlx::query_as::<_, User>(sqlx::AssertSqlSafe(
        sql.as_str()
    ))
    .bind(account_id)
    .fetch_optional(c)
    .await)
}

/// Finds a user by e-mail address or by local username (both case-insensitive).
pub async fn find_user_by_login(c: Conn<'_>, login: &str) -> Result<Option<User>, sqlx::Error> {
    let sql = format!(
        "SELECT {} FROM users u WHERE lower(u.email) = lower($1) OR u.account_id = \
         (SELECT a.id FROM accounts a WHERE lower(a.username) = lower($1) AND a.domain IS NULL)",
        USER_COLUMNS
            .split(", ")
            .map(|c| format!("u.{c}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    with_conn!(c, |c| sqlx::query_as::<_, User>(sqlx::AssertSqlSafe(
        sql.as_str()
    ))
    .bind(login)
    .fetch_optional(c)
    .await)
}

/// Whether an e-mail address is already registered (case-insensitive).
pub async fn email_taken(c: Conn<'_>, email: &str) -> Result<bool, sqlx::Error> {
    with_conn!(c, |c| sqlx::query_scalar::<_, i64>(
        "SELECT count(*) FROM users WHERE lower(email) = lower($1)"
    )
    .bind(email)
    .fetch_one(c)
    .await
    .map(|n| n > 0))
}

/// Sets a user's role (`user`, `moderator`, `admin`); returns whether a row changed.
pub async fn set_role(
    c: Conn<'_>,
    user_id: i64,
    role: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    with_conn!(c, |c| sqlx::query(
        "UPDATE users SET role = $2, updated_at = $3 WHERE id = $1"
    )
    .bind(user_id)
    .bind(role)
    .bind(now)
    .execute(c)
    .await
    .map(|r| r.rows_affected() > 0))
}

/// Replaces a user's password hash.
pub async fn set_password_hash(
    c: Conn<'_>,
    user_id: i64,
    hash: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    with_conn!(c, |c| sqlx::query(
        "UPDATE users SET password_hash = $2, updated_at = $3 WHERE id = $1"
    )
    .bind(user_id)
    .bind(hash)
    .bind(now)
    .execute(c)
    .await
    .map(|r| r.rows_affected() > 0))
}

/// Marks a user's e-mail address confirmed (and approves, for CLI-created accounts).
pub async fn confirm_user(c: Conn<'_>, user_id: i64, now: i64) -> Result<(), sqlx::Error> {
    with_conn!(c, |c| {
        sqlx::query("UPDATE users SET confirmed_at = coalesce(confirmed_at, $2), confirmation_token = NULL, \
         confirmation_sent_at = NULL WHERE id = $1")
        .bind(user_id)
        .bind(now)
        .execute(c)
        .await
        .map(|_| ())
    })
}

/// Updates the posting defaults reported in `source` and `/api/v1/preferences`.
pub async fn update_posting_defaults(
    c: Conn<'_>,
    user_id: i64,
    privacy: &str,
    sensitive: bool,
    language: Option<&str>,
) -> Result<(), sqlx::Error> {
    with_conn!(c, |c| {
        sqlx::query(
        "UPDATE users SET default_privacy = $2, default_sensitive = $3, default_language = $4 WHERE id = $1"
    )
    .bind(user_id)
    .bind(privacy)
    .bind(sensitive)
    .bind(language)
    .execute(c)
    .await
    .map(|_| ())
    })
}

/// A user with its account's username, for operator listings.
#[derive(Debug, Clone, FromRow)]
pub struct UserListing {
    pub user_id: i64,
    pub account_id: i64,
    pub username: String,
    pub email: String,
    pub role: String,
    pub confirmed_at: Option<i64>,
    pub approved: bool,
    pub disabled: bool,
    pub created_at: i64,
}

/// All local users, oldest first.
pub async fn list_users(c: Conn<'_>) -> Result<Vec<UserListing>, sqlx::Error> {
    with_conn!(c, |c| {
        sqlx::query_as::<_, UserListing>(
        "SELECT u.id AS user_id, a.id AS account_id, a.username, u.email, u.role, u.confirmed_at, u.approved, \
         u.disabled, u.created_at FROM users u JOIN accounts a ON a.id = u.account_id ORDER BY u.id"
    )
    .fetch_all(c)
    .await
    })
}

/// Counts for NodeInfo and the instance endpoints.
#[derive(Debug, Clone, Copy, Default)]
pub struct UsageCounts {
    pub users: i64,
    pub active_month: i64,
    pub active_halfyear: i64,
    pub local_posts: i64,
    pub domains: i64,
}

/// Local users, active users (posted in the window) and local posts.
pub async fn usage(c: Conn<'_>, now: i64) -> Result<UsageCounts, sqlx::Error> {
    let month = now - 30 * 86_400_000;
    let halfyear = now - 180 * 86_400_000;
    with_conn!(c, |c| {
        let row: (i64, i64, i64, i64, i64) = sqlx::query_as(
            "SELECT \
             (SELECT count(*) FROM users WHERE NOT disabled), \
             (SELECT count(*) FROM accounts WHERE domain IS NULL AND last_status_at >= $1), \
             (SELECT count(*) FROM accounts WHERE domain IS NULL AND last_status_at >= $2), \
             (SELECT CAST(coalesce(sum(statuses_count), 0) AS BIGINT) FROM accounts WHERE domain IS NULL), \
             (SELECT count(DISTINCT domain) FROM accounts WHERE domain IS NOT NULL)",
        )
        .bind(month)
        .bind(halfyear)
        .fetch_one(&mut *c)
        .await?;
        Ok(UsageCounts {
            users: row.0,
            active_month: row.1,
            active_halfyear: row.2,
            local_posts: row.3,
            domains: row.4,
        })
    })
}

/// Parameters of [`search_accounts`].
#[derive(Debug, Clone)]
pub struct AccountSearch<'a> {
    /// The query: `name`, `@name`, `name@domain` or part of a display name.
    pub q: &'a str,
    /// This server's domain, so `name@thisdomain` finds local accounts.
    pub local_domain: &'a str,
    /// The searching account (blocks either way are left out, but for the exact match;
    /// followed accounts rank higher).
    pub viewer: i64,
    /// Only accounts the viewer follows.
    pub following_only: bool,
    /// Page size.
    pub limit: i64,
    /// Rows to skip.
    pub offset: i64,
}

fn like_escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// Accounts matching a search, for `GET /api/v1/accounts/search`: username prefix or display
/// name substring (case-insensitive), exact username first, then accounts the viewer follows,
/// then by follower count. Suspended accounts and local ones not confirmed or approved yet are
/// left out, and so are blocks in either direction, except the exact match (`name` for a
/// local account, `name@domain` for a remote one): Mastodon's search ignores blocks, and
/// clients such as toot find an account by its name to unblock it.
pub async fn search_accounts(
    c: Conn<'_>,
    s: &AccountSearch<'_>,
) -> Result<Vec<Account>, sqlx::Error> {
    let q = s.q.trim().trim_start_matches('@');
    let (user, domain) = match q.split_once('@') {
        Some((u, d)) if d.eq_ignore_ascii_case(s.local_domain) => (u.to_lowercase(), None),
        Some((u, d)) => (u.to_lowercase(), Some(d.to_lowercase())),
        None => (q.to_lowercase(), None),
    };
    if user.is_empty() {
        return Ok(Vec::new());
    }
    let escaped = like_escape(&user);
    let cols = ACCOUNT_COLUMNS
        .split(", ")
        .map(|c| format!("a.{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    let following_filter = if s.following_only {
        " AND EXISTS (SELECT 1 FROM follows f WHERE f.account_id = $5 AND f.target_account_id = a.id)"
    } else {
        ""
    };
    let domain_filter = match domain {
        // `name@domain` looks for the username in that domain only.
        Some(_) => " AND lower(coalesce(a.domain, '')) LIKE $4 ESCAPE '\\'",
        None => " AND $4 = $4",
    };
    let name_filter = if domain.is_some() {
        "lower(a.username) LIKE $1 ESCAPE '\\' AND $2 = $2"
    } else {
        "(lower(a.username) LIKE $1 ESCAPE '\\' OR lower(a.display_name) LIKE $2 ESCAPE '\\')"
    };
    let sql = format!(
        "SELECT {cols} FROM accounts a WHERE a.suspended_at IS NULL AND {APPROVED_CONDITION} \
         AND {name_filter}{domain_filter}{following_filter} \
         AND ((lower(a.username) = $3 AND lower(coalesce(a.domain, '')) = $8) \
              OR NOT EXISTS (SELECT 1 FROM blocks b WHERE (b.account_id = $5 AND b.target_account_id = a.id) \
                             OR (b.account_id = a.id AND b.target_account_id = $5))) \
         ORDER BY CASE WHEN lower(a.username) = $3 THEN 0 ELSE 1 END, \
           CASE WHEN EXISTS (SELECT 1 FROM follows f2 WHERE f2.account_id = $5 AND f2.target_account_id = a.id) THEN 0 ELSE 1 END, \
           a.followers_count DESC, a.id \
         LIMIT $6 OFFSET $7"
    );
    let dom = domain
        .as_ref()
        .map(|d| format!("{}%", like_escape(d)))
        .unwrap_or_default();
    with_conn!(c, |c| sqlx::query_as::<_, Account>(sqlx::AssertSqlSafe(
        sql.as_str()
    ))
    .bind(format!("{escaped}%"))
    .bind(format!("%{escaped}%"))
    .bind(&user)
    .bind(&dom)
    .bind(s.viewer)
    .bind(s.limit)
    .bind(s.offset)
    .bind(domain.as_deref().unwrap_or(""))
    .fetch_all(c)
    .await)
}

/// SQL condition, on an `accounts` row aliased `a`, that holds for accounts others may see:
/// remote accounts, and local ones whose user has confirmed their e-mail address and been
/// approved (Mastodon's `Account.without_unapproved`).
pub const APPROVED_CONDITION: &str = "(a.domain IS NOT NULL OR EXISTS (SELECT 1 FROM users u \
     WHERE u.account_id = a.id AND u.approved AND u.confirmed_at IS NOT NULL))";

/// Those of `ids` that are local accounts others may not see yet: their user has not
/// confirmed their e-mail address or has not been approved (or there is no user).
pub async fn unapproved_among(c: Conn<'_>, ids: &[i64]) -> Result<Vec<i64>, sqlx::Error> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT a.id FROM accounts a WHERE a.id IN ({}) AND NOT {APPROVED_CONDITION}",
        placeholders(1, ids.len())
    );
    with_conn!(c, |c| {
        let mut q = sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql.as_str()));
        for id in ids {
            q = q.bind(*id);
        }
        q.fetch_all(c).await
    })
}

/// Whether `id` is a local account others may not see yet (see [`unapproved_among`]).
pub async fn is_unapproved(c: Conn<'_>, id: i64) -> Result<bool, sqlx::Error> {
    Ok(!unapproved_among(c, &[id]).await?.is_empty())
}

/// Locks the account rows `ids` (lowest id first) until the transaction ends, so actions
/// between the same accounts (follow, block…) run one after the other. PostgreSQL only:
/// SQLite transactions already run one at a time on the single writer connection.
pub async fn lock_rows(c: Conn<'_>, ids: &[i64]) -> Result<(), sqlx::Error> {
    if c.is_sqlite() || ids.is_empty() {
        return Ok(());
    }
    let mut sorted = ids.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let sql = format!(
        "SELECT id FROM accounts WHERE id IN ({}) ORDER BY id FOR UPDATE",
        placeholders(1, sorted.len())
    );
    with_conn!(c, |c| {
        let mut q = sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql.as_str()));
        for id in &sorted {
            q = q.bind(*id);
        }
        q.fetch_all(c).await.map(|_| ())
    })
}

/// Ids of local accounts greater than `after`, ascending, at most `limit` (for passes over
/// every local account in batches).
pub async fn local_ids_after(c: Conn<'_>, after: i64, limit: i64) -> Result<Vec<i64>, sqlx::Error> {
    with_conn!(c, |c| sqlx::query_scalar(
        "SELECT id FROM accounts WHERE domain IS NULL AND id > $1 ORDER BY id LIMIT $2"
    )
    .bind(after)
    .bind(limit)
    .fetch_all(c)
    .await)
}
