//! Remote statuses: a Note (or Question, or an Article/Page/Image/Video/Audio/Event converted
//! as Mastodon does) turned into a `statuses` row with its mentions, hashtags, counters,
//! notifications and fan-out, and edits of one (`Update`) with their history.
//!
//! The caller has established the object's origin: its `id` is on the author's host and its
//! `attributedTo` is the author (or the document was fetched from its own origin).

use serde_json::Value;

use super::{forward, question};
use crate::db::accounts::{self, Account, Counter};
use crate::db::inbox as repo;
use crate::db::statuses::{self, ContentUpdate, Edit, Status, StatusCounter};
use crate::federation::resolve::{MAX_REPLY_DEPTH, ResolveError, Resolver};
use crate::federation::sanitize::sanitize_html;
use crate::federation::vocab::{self, has_type, id_of, items, str_prop, truncate, url_of};
use crate::id::{id_at, next_id};
use crate::jobs::{self, Job};
use crate::service::notify::{self, kind};
use crate::service::statuses::compose::{self, Mentioned};
use crate::service::statuses::create::sync_mentions;
use crate::service::statuses::{counts_as_reply, counts_for_author};
use crate::time::{now_ms, parse_rfc3339};

/// Object types stored as statuses as they are.
pub const NOTE_TYPES: [&str; 2] = ["Note", "Question"];
/// Object types converted into a status (title and link as text), as Mastodon does.
pub const CONVERTED_TYPES: [&str; 6] = ["Article", "Page", "Image", "Video", "Audio", "Event"];
/// Tags (mentions, hashtags) read from one object.
const MAX_TAGS: usize = 64;
/// Hashtags stored per status.
const MAX_HASHTAGS: usize = 30;
/// Longest remote content kept (characters of HTML before sanitizing).
const MAX_CONTENT_CHARS: usize = 200_000;

/// Whether the object is something stored as a status.
pub fn is_status_object(v: &Value) -> bool {
    NOTE_TYPES
        .iter()
        .chain(CONVERTED_TYPES.iter())
        .any(|t| has_type(v, t))
}

/// The parts of a status read from an object.
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed {
    pub content: String,
    pub spoiler_text: String,
    pub sensitive: bool,
    pub language: Option<String>,
    pub url: Option<String>,
    pub to: Vec<String>,
    pub cc: Vec<String>,
    pub mention_uris: Vec<String>,
    /// `(lower-cased name, name as written)`.
    pub hashtags: Vec<(String, String)>,
    pub published: Option<i64>,
    pub updated: Option<i64>,
}

/// Reads the status parts of an object (pure; the caller checked the type).
pub fn parse(object: &Value) -> Parsed {
    let converted = !NOTE_TYPES.iter().any(|t| has_type(object, t));
    let content_map = object.get("contentMap").and_then(Value::as_object);
    let raw_content = str_prop(object, "content")
        .map(str::to_owned)
        .or_else(|| {
            content_map.and_then(|m| m.values().find_map(|v| v.as_str().map(str::to_owned)))
        })
        .unwrap_or_default();
    let summary = str_prop(object, "summary")
        .unwrap_or_default()
        .trim()
        .to_owned();
    let url = url_of(object.get("url"));
    let (content, spoiler_text) = if converted {
        // Mastodon's converted text: the title, the summary, then a link to the original.
        let escape = |s: &str| html_escape::encode_text(s).into_owned();
        let mut html = String::new();
        if let Some(name) = str_prop(object, "name").filter(|n| !n.trim().is_empty()) {
            html.push_str(&format!("<h2>{}</h2>", escape(name.trim())));
        }
        if !summary.is_empty() {
            html.push_str(&format!("<p>{}</p>", escape(&summary)));
        }
        let link = url
            .clone()
            .or_else(|| str_prop(object, "id").map(str::to_owned))
            .unwrap_or_default();
        html.push_str(&format!(
            "<p><a href=\"{0}\">{0}</a></p>",
            html_escape::encode_double_quoted_attribute(&link)
        ));
        (sanitize_html(&html), String::new())
    } else {
        (
            sanitize_html(&truncate(&raw_content, MAX_CONTENT_CHARS)),
            truncate(&summary, 2_000),
        )
    };
    let sensitive = object
        .get("sensitive")
        .and_then(Value::as_bool)
        .unwrap_or(false)
        || !spoiler_text.is_empty();
    let language = content_map
        .and_then(|m| m.keys().next())
        .and_then(|k| k.split('-').next())
        .filter(|k| (2..=3).contains(&k.len()) && k.bytes().all(|b| b.is_ascii_alphabetic()))
        .map(|k| k.to_ascii_lowercase());
    let mut mention_uris = Vec::new();
    let mut hashtags: Vec<(String, String)> = Vec::new();
    for tag in items(object.get("tag")).into_iter().take(MAX_TAGS) {
        if has_type(tag, "Mention") {
            if let Some(href) = str_prop(tag, "href")
                && !mention_uris.iter().any(|m| m == href)
            {
                mention_uris.push(href.to_owned());
            }
        } else if has_type(tag, "Hashtag")
            && let Some(name) = str_prop(tag, "name")
        {
            let display = name.trim().trim_start_matches('#');
            let valid = !display.is_empty()
                && display.chars().count() <= 100
                && display.chars().all(|c| c.is_alphanumeric() || c == '_');
            let lower = display.to_lowercase();
            if valid && hashtags.len() < MAX_HASHTAGS && !hashtags.iter().any(|(n, _)| *n == lower)
            {
                hashtags.push((lower, display.to_owned()));
            }
        }
    }
    Parsed {
        content,
        spoiler_text,
        sensitive,
        language,
        url,
        to: vocab::ids(object.get("to")),
        cc: vocab::ids(object.get("cc")),
        mention_uris,
        hashtags,
        published: str_prop(object, "published").and_then(parse_rfc3339),
        updated: str_prop(object, "updated").and_then(parse_rfc3339),
    }
}

/// Whether a Create's object is a poll vote: a Note with a `name` and no content, answering
/// a local status (Mastodon's `Create(Note{name})` to the poll's author).
pub fn is_poll_vote(object: &Value, parent: Option<&Status>) -> bool {
    has_type(object, "Note")
        && str_prop(object, "name").is_some()
        && str_prop(object, "content").is_none_or(|c| c.trim().is_empty())
        && parent.is_some_and(|p| p.local)
}

/// Accounts (already known) mentioned by URI; unknown remote ones are not fetched.
async fn mentioned(r: &Resolver<'_>, uris: &[String]) -> Result<Vec<Mentioned>, ResolveError> {
    let mut out: Vec<Mentioned> = Vec::new();
    let mut h = r.state().db.read().await?;
    for uri in uris {
        if let Some(a) = repo::account_by_uri(h.conn(), uri).await?
            && a.suspended_at.is_none()
            && !out.iter().any(|m| m.account_id == a.id)
        {
            out.push(Mentioned {
                account_id: a.id,
                local: a.is_local(),
            });
        }
    }
    Ok(out)
}

/// The known accounts named in `to`/`cc` but not tagged: Mastodon's silent mentions, which
/// let them see the status (a direct or followers-only one addressed to them) without a
/// mention notification and without being listed among its mentions. Unknown actors are
/// not fetched (a silent mention only matters for access here); the author is left out.
async fn silently_addressed(
    r: &Resolver<'_>,
    p: &Parsed,
    author: &Account,
    tagged: &[Mentioned],
) -> Result<Vec<i64>, ResolveError> {
    let uris = super::relevance::addressed_uris(&p.to, &p.cc);
    let mut h = r.state().db.read().await?;
    let mut out: Vec<i64> = repo::accounts_among_uris(h.conn(), &uris)
        .await?
        .into_iter()
        .map(|a| a.id)
        .filter(|id| *id != author.id && !tagged.iter().any(|m| m.account_id == *id))
        .collect();
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

/// Whether the status `uri` was deleted by its author within the remembered period.
async fn deleted_recently(c: crate::db::Conn<'_>, uri: &str) -> Result<bool, sqlx::Error> {
    repo::tombstoned(
        c,
        uri,
        now_ms() - crate::federation::prune::TOMBSTONE_RETENTION_MS,
    )
    .await
}

/// Stores the status `object` by `author` (idempotent on its `id`) and returns it; `None`
/// for a poll vote or an object that is not a status. Missing parents are fetched up the
/// reply chain while `depth` < [`MAX_REPLY_DEPTH`].
pub async fn ingest(
    r: &Resolver<'_>,
    object: &Value,
    author: &Account,
    depth: usize,
) -> Result<Option<Status>, ResolveError> {
    store(r, object, author, depth, None).await
}

/// [`ingest`] for the object of a delivered Create: when `forward` is the activity (one that
/// may be forwarded, see [`forward::forwardable`]) and the new status replies to a local
/// one, the activity is queued for the local author's followers in the same transaction.
pub async fn ingest_delivered(
    r: &Resolver<'_>,
    object: &Value,
    author: &Account,
    forward: Option<&Value>,
) -> Result<Option<Status>, ResolveError> {
    store(r, object, author, 0, forward).await
}

async fn store(
    r: &Resolver<'_>,
    object: &Value,
    author: &Account,
    depth: usize,
    forward: Option<&Value>,
) -> Result<Option<Status>, ResolveError> {
    if !is_status_object(object) {
        return Ok(None);
    }
    let uri =
        str_prop(object, "id").ok_or_else(|| ResolveError::Invalid("object without id".into()))?;
    let state = r.state();
    {
        let mut h = state.db.read().await?;
        if let Some(s) = repo::status_by_uri(h.conn(), uri).await? {
            return Ok(Some(s));
        }
        if deleted_recently(h.conn(), uri).await? {
            return Ok(None);
        }
    }
    if author.suspended_at.is_some() {
        return Ok(None);
    }
    let parent = match object.get("inReplyTo").and_then(id_of) {
        Some(parent_uri) if depth < MAX_REPLY_DEPTH => {
            match Box::pin(r.status(parent_uri, depth + 1)).await {
                Ok(p) => p,
                Err(e) => {
                    tracing::debug!(parent_uri, error = %e, "reply parent not resolved");
                    None
                }
            }
        }
        Some(parent_uri) => {
            let mut h = state.db.read().await?;
            repo::status_by_uri(h.conn(), parent_uri).await?
        }
        None => None,
    };
    if is_poll_vote(object, parent.as_ref()) {
        if let (Some(pp), Some(name)) = (&parent, str_prop(object, "name")) {
            crate::service::polls::record_remote_vote(state, pp.id, author, name, uri).await?;
        }
        return Ok(None);
    }
    let p = parse(object);
    let mentions = mentioned(r, &p.mention_uris).await?;
    let silent = silently_addressed(r, &p, author, &mentions).await?;
    let attachments = crate::service::media::remote::parse(object);
    let fetch_media = match author.domain.as_deref() {
        Some(d) if !attachments.is_empty() => {
            !crate::service::domain_blocks::policy(state, d)
                .await?
                .reject_media
        }
        _ => true,
    };
    let visibility = vocab::visibility(&p.to, &p.cc, author.followers_url.as_deref());
    let now = now_ms();
    let created_at = p.published.filter(|t| *t <= now).unwrap_or(now);
    let id = if created_at < now {
        let mut h = state.db.read().await?;
        repo::free_status_id(h.conn(), id_at(created_at)).await?
    } else {
        next_id()
    };
    let (in_reply_to_account_id, conversation_id) = match &parent {
        Some(pp) => (Some(pp.account_id), pp.conversation_id.unwrap_or(pp.id)),
        None => (None, id),
    };
    let row = Status {
        id,
        uri: uri.to_owned(),
        url: p.url.clone(),
        account_id: author.id,
        text: String::new(),
        content: p.content,
        spoiler_text: p.spoiler_text,
        sensitive: p.sensitive,
        visibility: visibility.to_owned(),
        language: p.language,
        in_reply_to_id: parent.as_ref().map(|pp| pp.id),
        in_reply_to_account_id,
        reblog_of_id: None,
        conversation_id: Some(conversation_id),
        application_id: None,
        local: false,
        replies_count: 0,
        reblogs_count: 0,
        favourites_count: 0,
        created_at,
        edited_at: None,
    };
    let mut tx = state.db.begin().await?;
    // Serialised with a Delete of the same object (`delete::handle` takes the same lock).
    repo::lock_object_uri(tx.conn(), uri).await?;
    if !repo::insert_status_if_new(tx.conn(), &row).await? {
        // Stored meanwhile by a concurrent delivery of the same object.
        let existing = repo::status_by_uri(tx.conn(), uri).await?;
        return Ok(existing);
    }
    // A Delete processed while this object was being resolved wins (checked under the lock:
    // a Delete either committed before it, and is seen, or waits for this transaction and
    // then finds the row to delete).
    if deleted_recently(tx.conn(), uri).await? {
        return Ok(None);
    }
    // Link previews are made on the receiving side, as Mastodon does.
    crate::service::cards::attach(
        tx.conn(),
        &state.config,
        id,
        &row.spoiler_text,
        &row.content,
    )
    .await?;
    if let Some(poll) = question::parse(object) {
        question::store(tx.conn(), &row, &poll).await?;
    }
    crate::service::media::remote::attach(tx.conn(), author.id, id, &attachments, fetch_media)
        .await?;
    sync_mentions(tx.conn(), id, author.id, &mentions).await?;
    for account_id in silent {
        statuses::insert_mention(tx.conn(), next_id(), id, account_id, true).await?;
    }
    compose::store_tags(tx.conn(), id, &p.hashtags, now).await?;
    crate::service::conversations::record(tx.conn(), id).await?;
    if counts_for_author(&row.visibility) {
        accounts::bump(tx.conn(), author.id, Counter::Statuses, 1).await?;
        accounts::touch_last_status(tx.conn(), author.id, created_at).await?;
    }
    if let Some(pp) = &parent
        && counts_as_reply(&row.visibility)
    {
        statuses::bump(tx.conn(), pp.id, StatusCounter::Replies, 1).await?;
    }
    let replies_to_other = in_reply_to_account_id.is_some_and(|a| a != author.id);
    if counts_for_author(&row.visibility) && !replies_to_other {
        jobs::enqueue(
            tx.conn(),
            &Job::NotifySubscribers { status_id: id },
            jobs::PRIORITY_FEDERATION,
        )
        .await?;
    }
    jobs::enqueue(
        tx.conn(),
        &Job::FanOut { status_id: id },
        jobs::PRIORITY_FEDERATION,
    )
    .await?;
    if let (Some(activity), Some(pp)) = (forward, &parent) {
        let audience = (p.to.as_slice(), p.cc.as_slice());
        forward_reply(tx.conn(), activity, author, pp, &row.visibility, audience).await?;
    }
    Box::pin(crate::service::live::status_created(
        tx.conn(),
        &row,
        author.silenced_at.is_some(),
    ))
    .await?;
    tx.commit().await?;
    state.wake_workers();
    Ok(Some(row))
}

/// Queues the Create or Update `activity` of a reply by `author` to `parent` for the
/// followers of `parent`'s author when it is local and the reply's audience allows it.
async fn forward_reply(
    mut c: crate::db::Conn<'_>,
    activity: &Value,
    author: &Account,
    parent: &Status,
    visibility: &str,
    (to, cc): (&[String], &[String]),
) -> Result<(), sqlx::Error> {
    if !parent.local {
        return Ok(());
    }
    let Some(parent_author) = accounts::get(c.re(), parent.account_id).await? else {
        return Ok(());
    };
    if forward::audience_allows(visibility, to, cc, &parent_author) {
        forward::to_parent_followers(c, activity, author, parent).await?;
    }
    Ok(())
}

/// Applies an `Update` of a status by its author: new content, warning, sensitivity and
/// language, with the previous version kept in the history (the original stored on the
/// first edit), mentions and hashtags re-synced, local boosters told. An update no newer than
/// the stored version, or that changes nothing, is ignored.
///
/// With `forward` (the activity and its author, when it may be forwarded), an edit of a reply
/// to a local status is queued for the local author's followers, as a new reply would be.
pub async fn update(
    r: &Resolver<'_>,
    object: &Value,
    existing: &Status,
    forward: Option<(&Value, &Account)>,
) -> Result<(), ResolveError> {
    let state = r.state();
    let previous_options = {
        let mut h = state.db.read().await?;
        crate::db::polls::of_status(h.conn(), existing.id)
            .await?
            .map(|p| p.options)
    };
    // Tallies change without an edit: refreshed whatever the rest says.
    let poll = question::parse(object);
    if let Some(poll) = &poll {
        question::refresh(state, existing, poll).await?;
    }
    let p = parse(object);
    let now = now_ms();
    let edited_at = p.updated.filter(|t| *t <= now).unwrap_or(now);
    if existing.edited_at.is_some_and(|t| t >= edited_at) {
        return Ok(());
    }
    if p.content == existing.content
        && p.spoiler_text == existing.spoiler_text
        && p.sensitive == existing.sensitive
    {
        return Ok(());
    }
    let mentions = mentioned(r, &p.mention_uris).await?;
    let mut tx = state.db.begin().await?;
    if statuses::edits_of(tx.conn(), existing.id).await?.is_empty() {
        let original_id = next_id();
        statuses::insert_edit(
            tx.conn(),
            &Edit {
                id: original_id,
                status_id: existing.id,
                account_id: existing.account_id,
                text: String::new(),
                content: existing.content.clone(),
                spoiler_text: existing.spoiler_text.clone(),
                sensitive: existing.sensitive,
                created_at: existing.created_at,
            },
        )
        .await?;
        crate::db::polls::set_edit_options(tx.conn(), original_id, previous_options.as_deref())
            .await?;
    }
    statuses::update_content(
        tx.conn(),
        existing.id,
        &ContentUpdate {
            text: "",
            content: &p.content,
            spoiler_text: &p.spoiler_text,
            sensitive: p.sensitive,
            language: p.language.as_deref().or(existing.language.as_deref()),
            edited_at,
        },
    )
    .await?;
    crate::service::cards::edited(
        tx.conn(),
        &state.config,
        existing.id,
        &p.spoiler_text,
        &p.content,
    )
    .await?;
    sync_mentions(tx.conn(), existing.id, existing.account_id, &mentions).await?;
    compose::store_tags(tx.conn(), existing.id, &p.hashtags, now).await?;
    let edit_id = next_id();
    statuses::insert_edit(
        tx.conn(),
        &Edit {
            id: edit_id,
            status_id: existing.id,
            account_id: existing.account_id,
            text: String::new(),
            content: p.content,
            spoiler_text: p.spoiler_text,
            sensitive: p.sensitive,
            created_at: edited_at,
        },
    )
    .await?;
    let options = poll
        .as_ref()
        .map(|p| serde_json::to_string(&p.options).expect("strings serialise"));
    crate::db::polls::set_edit_options(tx.conn(), edit_id, options.as_deref()).await?;
    for booster in statuses::local_rebloggers(tx.conn(), existing.id).await? {
        notify::notify(
            tx.conn(),
            booster,
            existing.account_id,
            kind::UPDATE,
            Some(existing.id),
            edit_id,
        )
        .await?;
    }
    if let (Some((activity, author)), Some(parent_id)) = (forward, existing.in_reply_to_id)
        && let Some(parent) = statuses::get(tx.conn(), parent_id).await?
    {
        let audience = (p.to.as_slice(), p.cc.as_slice());
        forward_reply(
            tx.conn(),
            activity,
            author,
            &parent,
            &existing.visibility,
            audience,
        )
        .await?;
    }
    if let Some(edited) = statuses::get(tx.conn(), existing.id).await? {
        Box::pin(crate::service::live::status_edited(
            tx.conn(),
            &edited,
            false,
        ))
        .await?;
    }
    tx.commit().await?;
    state.wake_workers();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn notes_in_several_dialects() {
        // Misskey: single values, contentMap-less, _misskey_content ignored.
        let n = json!({
            "id": "https://mk.example/notes/9a", "type": "Note",
            "content": "<p>hi <span class=\"h-card\"><a class=\"u-url mention\" href=\"https://x/@a\">@a</a></span><script>x</script> #Rust</p>",
            "to": "https://www.w3.org/ns/activitystreams#Public",
            "cc": "https://mk.example/users/9a/followers",
            "tag": {"type": "Hashtag", "name": "#Rust", "href": "https://mk.example/tags/rust"},
            "summary": "", "sensitive": false,
            "published": "2024-01-01T00:00:00.000Z"
        });
        let p = parse(&n);
        assert!(!p.content.contains("script"));
        assert_eq!(p.to, vec!["https://www.w3.org/ns/activitystreams#Public"]);
        assert_eq!(p.hashtags, vec![("rust".into(), "Rust".into())]);
        assert_eq!(p.published, Some(1_704_067_200_000));
        assert!(!p.sensitive);

        // Mastodon: contentMap gives the language; a CW makes it sensitive.
        let m = json!({"type": "Note", "contentMap": {"de": "<p>Hallo</p>"}, "summary": "cw",
                       "tag": [{"type": "Mention", "href": "https://a/users/x", "name": "@x"}]});
        let p = parse(&m);
        assert_eq!(p.language.as_deref(), Some("de"));
        assert_eq!(p.content, "<p>Hallo</p>");
        assert!(p.sensitive);
        assert_eq!(p.mention_uris, vec!["https://a/users/x"]);

        // Lemmy: a Page becomes its title and a link.
        let page = json!({"type": "Page", "id": "https://lemmy.example/post/1", "name": "A <title>",
                          "url": "https://lemmy.example/post/1", "content": "<p>body</p>"});
        let p = parse(&page);
        assert!(p.content.contains("A &lt;title&gt;"), "{}", p.content);
        assert!(p.content.contains("href=\"https://lemmy.example/post/1\""));
        assert!(is_status_object(&page));
        assert!(!is_status_object(&json!({"type": "Person"})));
    }
}
