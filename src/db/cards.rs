//! Link previews: `preview_cards` (one per URL) and `preview_card_statuses` (the card of a
//! status).

use std::collections::HashMap;

use sqlx::FromRow;

use super::{Conn, padded};
use crate::with_conn;

/// What a fetch found on a page; the columns of a fetched card.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CardData {
    /// `link`, `photo`, `video` or `rich`.
    pub card_type: String,
    pub title: String,
    pub description: String,
    pub author_name: String,
    pub author_url: String,
    pub provider_name: String,
    pub provider_url: String,
    /// Sanitized embed HTML (`video`/`rich` only).
    pub html: String,
    pub width: i64,
    pub height: i64,
    /// The image the page announces (absolute URL).
    pub image_remote_url: Option<String>,
    /// Our copy of that image in the media store, and its blurhash.
    pub image_key: Option<String>,
    pub blurhash: Option<String>,
    pub embed_url: String,
    pub language: Option<String>,
    /// Unix ms.
    pub published_at: Option<i64>,
}

/// A fetched card, as statuses show it.
#[derive(Debug, Clone, FromRow)]
pub struct CardRow {
    /// The status showing it.
    pub status_id: i64,
    pub url: String,
    pub card_type: String,
    pub title: String,
    pub description: String,
    pub author_name: String,
    pub author_url: String,
    pub provider_name: String,
    pub provider_url: String,
    pub html: String,
    pub width: i64,
    pub height: i64,
    pub image_key: Option<String>,
    pub blurhash: Option<String>,
    pub embed_url: String,
    pub language: Option<String>,
    pub published_at: Option<i64>,
}

/// What attaching a URL to a status found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attached {
    /// The card exists and is fresh (or being fetched): nothing to do.
    Existing,
    /// The card row was created or marked for a refresh: the caller enqueues its fetch.
    NeedsFetch(i64),
}

/// Makes `url`'s card the card of `status_id`, creating the card row when the URL is new.
/// Exactly one caller gets [`Attached::NeedsFetch`] for a new URL (the insert that won), and
/// for a card last fetched before `stale_before` (the update that won), however many
/// statuses link it at once.
pub async fn attach(
    mut c: Conn<'_>,
    status_id: i64,
    url: &str,
    new_id: i64,
    now: i64,
    stale_before: i64,
) -> Result<Attached, sqlx::Error> {
    let inserted = with_conn!(c.re(), |c| {
        sqlx::query(
        "INSERT INTO preview_cards (id, url, state, created_at, updated_at) VALUES ($1, $2, 'pending', $3, $3) \
         ON CONFLICT (url) DO NOTHING"
    )
    .bind(new_id)
    .bind(url)
    .bind(now)
    .execute(c)
    .await?
    .rows_affected()
    });
    let mut outcome = Attached::Existing;
    let card_id = if inserted > 0 {
        outcome = Attached::NeedsFetch(new_id);
        new_id
    } else {
        let refreshed: Option<i64> = with_conn!(c.re(), |c| {
            sqlx::query_scalar(
            "UPDATE preview_cards SET state = 'pending', updated_at = $3 \
             WHERE url = $1 AND state <> 'pending' AND (fetched_at IS NULL OR fetched_at < $2) RETURNING id"
        )
        .bind(url)
        .bind(stale_before)
        .bind(now)
        .fetch_optional(c)
        .await?
        });
        match refreshed {
            Some(id) => {
                outcome = Attached::NeedsFetch(id);
                id
            }
            None => with_conn!(c.re(), |c| sqlx::query_scalar(
                "SELECT id FROM preview_cards WHERE url = $1"
            )
            .bind(url)
            .fetch_one(c)
            .await?),
        }
    };
    with_conn!(c, |c| sqlx::query(
        "INSERT INTO preview_card_statuses (status_id, card_id) VALUES ($1, $2) \
         ON CONFLICT (status_id) DO UPDATE SET card_id = excluded.card_id"
    )
    .bind(status_id)
    .bind(card_id)
    .execute(c)
    .await
    .map(|_| ()))?;
    Ok(outcome)
}

/// Removes the card of `status_id` (its link changed or went away in an edit).
pub async fn detach(c: Conn<'_>, status_id: i64) -> Result<(), sqlx::Error> {
    with_conn!(c, |c| sqlx::query(
        "DELETE FROM preview_card_statuses WHERE status_id = $1"
    )
    .bind(status_id)
    .execute(c)
    .await
    .map(|_| ()))
}

/// The URL of the card attached to `status_id`, if any.
pub async fn url_of_status(c: Conn<'_>, status_id: i64) -> Result<Option<String>, sqlx::Error> {
    with_conn!(c, |c| sqlx::query_scalar(
        "SELECT pc.url FROM preview_card_statuses pcs JOIN preview_cards pc ON pc.id = pcs.card_id \
         WHERE pcs.status_id = $1"
    )
    .bind(status_id)
    .fetch_optional(c)
    .await)
}

/// The URL of card `id`, while its fetch is due (`pending`).
pub async fn pending_url(c: Conn<'_>, id: i64) -> Result<Option<String>, sqlx::Error> {
    with_conn!(c, |c| sqlx::query_scalar(
        "SELECT url FROM preview_cards WHERE id = $1 AND state = 'pending'"
    )
    .bind(id)
    .fetch_optional(c)
    .await)
}

/// Stores a fetch's result: the card's data (or `None`: nothing usable), and touches every
/// status showing it, so that their cached renderings are redone (the render cache keys on
/// `statuses.updated_at`). Returns the number of statuses touched.
pub async fn store_fetched(
    mut c: Conn<'_>,
    id: i64,
    data: Option<&CardData>,
    now: i64,
) -> Result<u64, sqlx::Error> {
    match data {
        Some(d) => {
            with_conn!(c.re(), |c| {
                sqlx::query(
                "UPDATE preview_cards SET state = 'fetched', card_type = $2, title = $3, description = $4, \
                 author_name = $5, author_url = $6, provider_name = $7, provider_url = $8, html = $9, \
                 width = $10, height = $11, image_remote_url = $12, embed_url = $13, language = $14, \
                 published_at = $15, fetched_at = $16, updated_at = $16, image_key = $17, blurhash = $18 \
                 WHERE id = $1"
            )
            .bind(id)
            .bind(&d.card_type)
            .bind(&d.title)
            .bind(&d.description)
            .bind(&d.author_name)
            .bind(&d.author_url)
            .bind(&d.provider_name)
            .bind(&d.provider_url)
            .bind(&d.html)
            .bind(d.width)
            .bind(d.height)
            .bind(&d.image_remote_url)
            .bind(&d.embed_url)
            .bind(&d.language)
            .bind(d.published_at)
            .bind(now)
            .bind(&d.image_key)
            .bind(&d.blurhash)
            .execute(c)
            .await
            .map(|_| ())
            })?;
        }
        None => {
            with_conn!(c.re(), |c| {
                sqlx::query(
                "UPDATE preview_cards SET state = 'failed', fetched_at = $2, updated_at = $2 WHERE id = $1"
            )
            .bind(id)
            .bind(now)
            .execute(c)
            .await
            .map(|_| ())
            })?;
        }
    }
    with_conn!(c, |c| sqlx::query(
        "UPDATE statuses SET updated_at = $2 WHERE id IN \
         (SELECT status_id FROM preview_card_statuses WHERE card_id = $1)"
    )
    .bind(id)
    .bind(now)
    .execute(c)
    .await
    .map(|r| r.rows_affected()))
}

/// The stored image of card `id`, if any (replaced by a refresh).
pub async fn image_key(c: Conn<'_>, id: i64) -> Result<Option<String>, sqlx::Error> {
    with_conn!(c, |c| sqlx::query_scalar::<_, Option<String>>(
        "SELECT image_key FROM preview_cards WHERE id = $1"
    )
    .bind(id)
    .fetch_optional(c)
    .await
    .map(Option::flatten))
}

/// The fetched cards of `status_ids`, by status.
pub async fn for_statuses(
    c: Conn<'_>,
    status_ids: &[i64],
) -> Result<HashMap<i64, CardRow>, sqlx::Error> {
    if status_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let ids = padded(status_ids);
    let mut q = super::timelines::Query::new(
        "SELECT pcs.status_id, pc.url, pc.card_type, pc.title, pc.description, pc.author_name, \
         pc.author_url, pc.provider_name, pc.provider_url, pc.html, pc.width, pc.height, pc.image_key, \
         pc.blurhash, pc.embed_url, \
         pc.language, pc.published_at FROM preview_card_statuses pcs \
         JOIN preview_cards pc ON pc.id = pcs.card_id WHERE pc.state = 'fetched' AND pcs.status_id IN (",
    );
    q.push_list(&ids).push(")");
    Ok(q.fetch_all::<CardRow>(c)
        .await?
        .into_iter()
        .map(|r| (r.status_id, r))
        .collect())
}
