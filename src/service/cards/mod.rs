//! Link previews ("cards"), as Mastodon makes them: the first link of a status without a
//! content warning gets the card of its URL. Cards are shared per URL and fetched once
//! (single-flight through the unique `preview_cards.url`: only the transaction that creates
//! the row, or marks a stale one for a refresh, enqueues the fetch), after a random delay so
//! that a link arriving in many posts at once is not fetched at the moment every other server
//! fetches it. The fetch goes through `FedClient::get_page` (no private or loopback address,
//! on any redirect either; bounded size and time; Woolly's User-Agent).

pub mod extract;

use std::time::Duration;

use rand::Rng;
use scraper::{Html, Selector};
use url::Url;

use crate::config::Config;
use crate::db::cards::{self as repo, Attached, CardData};
use crate::db::{Conn, cards::CardRow};
use crate::federation::client::FedClient;
use crate::id::next_id;
use crate::jobs::{self, Job};
use crate::media::image::{self, Encoded};
use crate::media::sniff;
use crate::media::store::{Area, Key};
use crate::state::AppState;
use crate::time::now_ms;

/// How long a fetched card is used before the next status linking it refreshes it
/// (Mastodon: two weeks).
const FRESH_FOR_MS: i64 = 14 * 24 * 3600 * 1000;
/// Priority of card fetches: after local work and federation.
const PRIORITY_CARDS: i64 = 20;
/// Deadline of fetching a page and its oEmbed document together.
const FETCH_TIMEOUT: Duration = Duration::from_secs(15);
/// Largest card image downloaded (Mastodon's `PreviewCard::LIMIT`, 2 MB).
const IMAGE_LIMIT: usize = 2 * 1024 * 1024;
/// Card images are scaled down to fit a square of this side (Mastodon: `640x640>`).
const IMAGE_SIDE: u32 = 640;
/// What the fetcher asks for.
const ACCEPT_HTML: &str = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.1";

/// The URL a status's card is made from: its first link that is not a mention or a hashtag,
/// `http` or `https`, without its fragment.
pub fn first_link(content_html: &str) -> Option<String> {
    let fragment = Html::parse_fragment(content_html);
    let links = Selector::parse("a[href]").expect("valid selector");
    fragment.select(&links).find_map(|a| {
        let el = a.value();
        let class = el.attr("class").unwrap_or("");
        let rel = el.attr("rel").unwrap_or("");
        let text: String = a.text().collect();
        let text = text.trim();
        if class
            .split_whitespace()
            .any(|c| c == "mention" || c == "hashtag")
            || rel.split_whitespace().any(|r| r == "tag")
            || text.starts_with('@')
            || text.starts_with('#')
        {
            return None;
        }
        let mut url = Url::parse(el.attr("href")?.trim()).ok()?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            return None;
        }
        url.set_fragment(None);
        Some(url.to_string())
    })
}

/// Gives a new status its card, inside the status's transaction: nothing for a status with a
/// content warning or without a link. Enqueues the fetch when the URL is new (or its card is
/// stale), delayed by a random part of `link_preview_jitter_ms`.
pub async fn attach(
    mut c: Conn<'_>,
    cfg: &Config,
    status_id: i64,
    spoiler_text: &str,
    content_html: &str,
) -> Result<(), sqlx::Error> {
    if !spoiler_text.trim().is_empty() {
        return Ok(());
    }
    let Some(url) = first_link(content_html) else {
        return Ok(());
    };
    let now = now_ms();
    if let Attached::NeedsFetch(card_id) =
        repo::attach(c.re(), status_id, &url, next_id(), now, now - FRESH_FOR_MS).await?
    {
        let jitter = match cfg.link_preview_jitter_ms {
            0 => 0,
            max => rand::rng().random_range(0..max) as i64,
        };
        jobs::enqueue_at(c, &Job::FetchCard { card_id }, PRIORITY_CARDS, now + jitter).await?;
    }
    Ok(())
}

/// Keeps an edited status's card in step with its first link, inside the edit's
/// transaction: the card goes when the link goes (or a content warning is added) and is
/// replaced when the link changes.
pub async fn edited(
    mut c: Conn<'_>,
    cfg: &Config,
    status_id: i64,
    spoiler_text: &str,
    content_html: &str,
) -> Result<(), sqlx::Error> {
    let wanted = if spoiler_text.trim().is_empty() {
        first_link(content_html)
    } else {
        None
    };
    let current = repo::url_of_status(c.re(), status_id).await?;
    if wanted == current {
        return Ok(());
    }
    repo::detach(c.re(), status_id).await?;
    attach(c, cfg, status_id, spoiler_text, content_html).await
}

/// The `FetchCard` job: fetches the card's page (and its oEmbed document) and stores what it
/// found, or that nothing usable was there. Only database errors fail the job (to be retried);
/// a page that cannot be fetched is a card that is not shown.
pub async fn fetch(state: &AppState, card_id: i64) -> anyhow::Result<()> {
    let url = {
        let mut h = state.db.read().await?;
        repo::pending_url(h.conn(), card_id).await?
    };
    let Some(url) = url else {
        return Ok(());
    };
    let client = state.fed_client()?.with_timeout(FETCH_TIMEOUT);
    let data = match tokio::time::timeout(FETCH_TIMEOUT, read_card(&client, &url)).await {
        Ok(Ok(data)) => data,
        Ok(Err(e)) => {
            tracing::debug!(url, error = %e, "link preview not fetched");
            None
        }
        Err(_) => {
            tracing::debug!(url, "link preview timed out");
            None
        }
    };
    let mut data = data;
    if let Some(d) = data.as_mut()
        && let Some(image_url) = d.image_remote_url.clone()
        && let Some((key, encoded, blurhash)) = card_image(&client, &image_url).await
    {
        state.media()?.put(&key, encoded.bytes.into()).await?;
        d.image_key = Some(key.as_str().to_owned());
        d.blurhash = Some(blurhash);
        // A link card's size is its image's (an embed keeps the player's).
        if d.html.is_empty() {
            d.width = i64::from(encoded.width);
            d.height = i64::from(encoded.height);
        }
    }
    let mut tx = state.db.begin().await?;
    let previous = repo::image_key(tx.conn(), card_id).await?;
    repo::store_fetched(tx.conn(), card_id, data.as_ref(), now_ms()).await?;
    let new_key = data.as_ref().and_then(|d| d.image_key.clone());
    if let Some(old) = previous.filter(|old| data.is_some() && Some(old) != new_key.as_ref()) {
        jobs::enqueue(
            tx.conn(),
            &Job::DeleteMediaFiles { keys: vec![old] },
            PRIORITY_CARDS,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Downloads a card's image through the federation client (no private address, at most
/// [`IMAGE_LIMIT`]) and makes its stored version: `None` when it cannot be had or is not a
/// picture (the card is shown without one).
async fn card_image(client: &FedClient, url: &str) -> Option<(Key, Encoded, String)> {
    let response = match client.get_media(url, IMAGE_LIMIT).await {
        Ok(r) if r.status.is_success() => r,
        Ok(r) => {
            tracing::debug!(url, status = %r.status, "card image not fetched");
            return None;
        }
        Err(e) => {
            tracing::debug!(url, error = %e, "card image not fetched");
            return None;
        }
    };
    let made = tokio::task::spawn_blocking(move || {
        let format = sniff::sniff(&response.body).filter(|f| f.is_image())?;
        let img = image::decode(&response.body, format).ok()?;
        image::card_image(&img, IMAGE_SIDE).ok()
    })
    .await
    .ok()??;
    let key = Key::file(&Key::prefix(Area::Cache), "card", "jpg");
    Some((key, made.0, made.1))
}

/// Fetches and reads a page: `None` when it is not HTML or has no title.
async fn read_card(
    client: &FedClient,
    url: &str,
) -> Result<Option<CardData>, crate::federation::client::FetchError> {
    let page = client.get_page(url, ACCEPT_HTML).await?;
    if !page.status.is_success() {
        return Ok(None);
    }
    let content_type = page
        .headers
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let is_html = content_type.as_deref().is_some_and(|ct| {
        let ct = ct.to_ascii_lowercase();
        ct.starts_with("text/html") || ct.starts_with("application/xhtml+xml")
    });
    if !is_html {
        return Ok(None);
    }
    let html = extract::decode(&page.body, content_type.as_deref());
    let found = extract::page(&html, &page.url);
    let mut card = found.card;
    if let Some(oembed) = found.oembed_url
        && let Ok(answer) = client.get_page(&oembed, "application/json").await
        && answer.status.is_success()
        && let Ok(json) = serde_json::from_slice::<serde_json::Value>(&answer.body)
    {
        extract::apply_oembed(&mut card, &json, &answer.url);
    }
    Ok((!card.title.is_empty()).then_some(card))
}

/// The `PreviewCard` entity of a stored card.
pub fn entity(cfg: &Config, row: &CardRow) -> serde_json::Value {
    serde_json::json!({
        "url": row.url,
        "title": row.title,
        "description": row.description,
        "language": row.language,
        "type": row.card_type,
        "author_name": row.author_name,
        "author_url": row.author_url,
        "provider_name": row.provider_name,
        "provider_url": row.provider_url,
        "html": row.html,
        "width": row.width,
        "height": row.height,
        "image": row.image_key.as_deref().map(|k| crate::service::media::file_url(cfg, k)),
        "image_description": "",
        "embed_url": row.embed_url,
        "blurhash": row.blurhash,
        "published_at": row.published_at.map(crate::time::rfc3339),
        "authors": if row.author_name.is_empty() {
            Vec::new()
        } else {
            vec![serde_json::json!({
                "name": row.author_name,
                "url": row.author_url,
                "account": serde_json::Value::Null,
            })]
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_plain_link_is_the_card_link() {
        let html = r#"<p><span class="h-card"><a href="https://a.example/@bob" class="u-url mention">@<span>bob</span></a></span>
            <a href="https://a.example/tags/rust" class="mention hashtag" rel="tag">#<span>rust</span></a>
            <a href="mailto:x@y.example">mail</a>
            <a href="https://news.example/story#top" rel="nofollow">news.example/story</a>
            <a href="https://other.example/">other</a></p>"#;
        assert_eq!(
            first_link(html).as_deref(),
            Some("https://news.example/story")
        );
        assert_eq!(first_link("<p>no links</p>"), None);
        assert_eq!(first_link(r#"<a href="/relative">x</a>"#), None);
    }
}
