//! What removing a remote account's content takes (a suspended domain's accounts, an actor
//! that deleted itself): its statuses with the counters they moved elsewhere (replies,
//! boosts, the boosters of its statuses), its favourites with their counts, the
//! notifications it caused, blocks and mutes either way, the mentions of it, and its profile.
//!
//! Feed entries, notifications, favourites, mentions and boosts of a removed status go with
//! the status row (foreign keys); only counters kept on other rows need statements here.

use super::Conn;
use super::timelines::Query;
use crate::with_conn;

/// The counter fixes for statuses about to be deleted, with `{sel}` the condition choosing
/// them on alias `x` and `{author}` their author: replies off their parents'
/// `replies_count` (public and unlisted replies count), boosts off the boosted statuses'
/// `reblogs_count`, and others' boosts of them off the boosters' `statuses_count`.
const COUNTER_FIXES: [&str; 3] = [
    "UPDATE statuses SET replies_count = CASE WHEN replies_count > n.k THEN replies_count - n.k ELSE 0 END \
     FROM (SELECT x.in_reply_to_id AS sid, count(*) AS k FROM statuses x WHERE {sel} \
           AND x.in_reply_to_id IS NOT NULL AND x.visibility IN ('public', 'unlisted') GROUP BY x.in_reply_to_id) n \
     WHERE statuses.id = n.sid",
    "UPDATE statuses SET reblogs_count = CASE WHEN reblogs_count > n.k THEN reblogs_count - n.k ELSE 0 END \
     FROM (SELECT x.reblog_of_id AS sid, count(*) AS k FROM statuses x WHERE {sel} AND x.reblog_of_id IS NOT NULL \
           GROUP BY x.reblog_of_id) n WHERE statuses.id = n.sid",
    "UPDATE accounts SET statuses_count = CASE WHEN statuses_count > n.k THEN statuses_count - n.k ELSE 0 END \
     FROM (SELECT b.account_id AS aid, count(*) AS k FROM statuses b JOIN statuses x ON x.id = b.reblog_of_id \
           WHERE {sel} AND b.account_id <> {author} AND b.visibility <> 'direct' GROUP BY b.account_id) n \
     WHERE accounts.id = n.aid",
];

/// Takes back what the statuses of `author` (all of them, or only `ids`) counted on other
/// rows, before they are deleted.
async fn uncount_statuses(
    mut c: Conn<'_>,
    author: i64,
    ids: Option<&[i64]>,
) -> Result<(), sqlx::Error> {
    for template in COUNTER_FIXES {
        let mut q = Query::new("");
        let a = q.arg(author);
        let sel = match ids {
            None => format!("x.account_id = {a}"),
            Some(ids) => {
                let list: Vec<String> = ids.iter().map(|id| q.arg(*id)).collect();
                format!("x.id IN ({})", list.join(","))
            }
        };
        q.push(&template.replace("{sel}", &sel).replace("{author}", &a));
        q.execute(c.re()).await?;
    }
    Ok(())
}

/// Takes back the counts of everything remote account `id` made or did, before the account
/// row is deleted with all of it (an actor's own `Delete`): its favourites, its statuses'
/// replies and boosts, and others' boosts of its statuses.
pub async fn uncount_interactions_of(mut c: Conn<'_>, id: i64) -> Result<(), sqlx::Error> {
    uncount_favourites_of(c.re(), id).await?;
    uncount_statuses(c, id, None).await
}

async fn uncount_favourites_of(c: Conn<'_>, id: i64) -> Result<(), sqlx::Error> {
    with_conn!(c, |c| {
        sqlx::query(
        "UPDATE statuses SET favourites_count = CASE WHEN favourites_count > n.k THEN favourites_count - n.k ELSE 0 END \
         FROM (SELECT status_id AS sid, count(*) AS k FROM favourites WHERE account_id = $1 GROUP BY status_id) n \
         WHERE statuses.id = n.sid"
    )
    .bind(id)
    .execute(c)
    .await
    .map(|_| ())
    })
}

/// The ids of up to `limit` statuses (and boosts) of account `id`.
pub async fn statuses_of(c: Conn<'_>, id: i64, limit: i64) -> Result<Vec<i64>, sqlx::Error> {
    with_conn!(c, |c| sqlx::query_scalar::<_, i64>(
        "SELECT id FROM statuses WHERE account_id = $1 ORDER BY id LIMIT $2"
    )
    .bind(id)
    .bind(limit)
    .fetch_all(c)
    .await)
}

/// Deletes statuses `ids` of `author` with the counters they moved elsewhere (the author's
/// own `statuses_count` is left to [`empty_profile`]). Returns the rows deleted.
pub async fn remove_statuses(
    mut c: Conn<'_>,
    author: i64,
    ids: &[i64],
) -> Result<u64, sqlx::Error> {
    if ids.is_empty() {
        return Ok(0);
    }
    uncount_statuses(c.re(), author, Some(ids)).await?;
    super::conversations::remove_statuses(c.re(), ids).await?;
    let mut q = Query::new("DELETE FROM statuses WHERE account_id = ");
    q.push_arg(author)
        .push(" AND id IN (")
        .push_list(ids)
        .push(")");
    q.execute(c).await
}

/// Removes what account `id` did to others apart from its statuses and follows: its
/// favourites (with their counts), the notifications it caused, blocks and mutes either
/// way, and the mentions of it.
pub async fn remove_interactions(mut c: Conn<'_>, id: i64) -> Result<(), sqlx::Error> {
    uncount_favourites_of(c.re(), id).await?;
    const STATEMENTS: [&str; 5] = [
        "DELETE FROM favourites WHERE account_id = $1",
        "DELETE FROM notifications WHERE from_account_id = $1",
        "DELETE FROM blocks WHERE account_id = $1 OR target_account_id = $1",
        "DELETE FROM mutes WHERE account_id = $1 OR target_account_id = $1",
        "DELETE FROM mentions WHERE account_id = $1",
    ];
    for sql in STATEMENTS {
        with_conn!(c.re(), |c| sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .execute(c)
            .await
            .map(|_| ()))?;
    }
    Ok(())
}

/// Empties the profile of suspended remote account `id` as Mastodon's suspension does (name,
/// bio, fields, images, counters, aliases and move cleared; not discoverable; the key kept)
/// and marks it suspended since `since` unless it already was.
pub async fn empty_profile(c: Conn<'_>, id: i64, since: i64) -> Result<(), sqlx::Error> {
    with_conn!(c, |c| sqlx::query(
        "UPDATE accounts SET display_name = '', note = '', fields = '[]', avatar_url = NULL, \
         header_url = NULL, locked = FALSE, discoverable = FALSE, also_known_as = '[]', \
         moved_to_account_id = NULL, moved_to_uri = NULL, statuses_count = 0, followers_count = 0, \
         following_count = 0, silenced_at = NULL, suspended_at = coalesce(suspended_at, $2), \
         updated_at = $3 WHERE id = $1 AND domain IS NOT NULL"
    )
    .bind(id)
    .bind(since)
    .bind(crate::time::now_ms())
    .execute(c)
    .await
    .map(|_| ()))
}
