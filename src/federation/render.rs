//! Local rows as ActivityPub JSON-LD, shaped as Mastodon shapes them: the actor
//! (`ActivityPub::ActorSerializer`), the instance actor, notes (`NoteSerializer`), their
//! `Create`/`Announce` activities, the collections (outbox, followers, following, featured,
//! featured tags, replies, likes, shares), and the discovery documents (WebFinger JRD,
//! host-meta). Pure functions: the rows come in, `serde_json::Value`s go out.
//!
//! Like Mastodon, every document carries an `@context` naming only the extension terms its
//! serializers use (`toot:`, `schema:`, `ostatus:`, `as:` extras …); receivers treat them as
//! plain JSON with known keys, so the exact IRIs matter more than JSON-LD processing.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::db::accounts::Account;
use crate::db::media::MediaRow;
use crate::db::statuses::Status;
use crate::time::now_ms;

/// The ActivityStreams namespace, the first entry of every `@context`.
pub const ACTIVITYSTREAMS: &str = "https://www.w3.org/ns/activitystreams";
/// The security vocabulary (`publicKey`, `publicKeyPem`, `owner`).
pub const SECURITY: &str = "https://w3id.org/security/v1";
/// The public collection (`as:Public`).
pub const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";
/// Mastodon's namespace for its extension terms.
const TOOT: &str = "http://joinmastodon.org/ns#";
/// How many of an author's own replies the first page of a Note's `replies` lists.
pub const SELF_REPLIES_IN_NOTE: i64 = 5;

/// Where this server's documents live.
#[derive(Debug, Clone, Copy)]
pub struct Site<'a> {
    /// Base URL (`WOOLLY_URL`), without a trailing slash.
    pub url: &'a str,
    /// The domain used in handles (`host[:port]`).
    pub domain: &'a str,
    /// Where stored media are served (`media_base_url`; empty: `{url}/system`).
    pub media_url: &'a str,
}

impl Site<'_> {
    /// `{url}/@{username}`: the profile page of a local account.
    pub fn profile_url(&self, username: &str) -> String {
        format!("{}/@{username}", self.url)
    }

    /// `{url}/@{username}/{id}`: the page of a local status.
    pub fn status_url(&self, username: &str, id: i64) -> String {
        format!("{}/@{username}/{id}", self.url)
    }

    /// `{url}/inbox`: the shared inbox.
    pub fn shared_inbox(&self) -> String {
        format!("{}/inbox", self.url)
    }

    /// `{url}/actor`: the instance actor.
    pub fn instance_actor(&self) -> String {
        format!("{}/actor", self.url)
    }

    /// The instance actor's HTML page, as Mastodon advertises it.
    pub fn instance_actor_page(&self) -> String {
        format!("{}/about/more?instance_actor=true", self.url)
    }

    /// The public URL of a stored media file.
    pub fn media_file_url(&self, key: &str) -> String {
        if self.media_url.is_empty() {
            format!("{}/system/{key}", self.url)
        } else {
            format!("{}/{key}", self.media_url)
        }
    }

    /// `{url}/tags/{name}`.
    pub fn tag_url(&self, name: &str) -> String {
        format!("{}/tags/{name}", self.url)
    }
}

/// `{actor}#main-key`: the id of an actor's public key.
pub fn key_id(actor_uri: &str) -> String {
    format!("{actor_uri}#main-key")
}

/// Ruby's `Time#iso8601`: whole seconds, `Z`.
pub fn iso8601(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(SecondsFormat::Secs, true)
}

// ---------------------------------------------------------------------------------------------
// @context

/// An extension term group of Mastodon's context map (`ContextHelper::CONTEXT_EXTENSION_MAP`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Term {
    ManuallyApprovesFollowers,
    Sensitive,
    Hashtag,
    MovedTo,
    AlsoKnownAs,
    Emoji,
    Featured,
    PropertyValue,
    AtomUri,
    Conversation,
    FocalPoint,
    Blurhash,
    Discoverable,
    Indexable,
    Memorial,
    VotersCount,
    Suspended,
    AttributionDomains,
    Quotes,
    InteractionPolicies,
}

impl Term {
    fn definitions(self) -> Value {
        let id_ref = |id: &str| json!({ "@id": id, "@type": "@id" });
        match self {
            Term::ManuallyApprovesFollowers => {
                json!({ "manuallyApprovesFollowers": "as:manuallyApprovesFollowers" })
            }
            Term::Sensitive => json!({ "sensitive": "as:sensitive" }),
            Term::Hashtag => json!({ "Hashtag": "as:Hashtag" }),
            Term::MovedTo => json!({ "movedTo": id_ref("as:movedTo") }),
            Term::AlsoKnownAs => json!({ "alsoKnownAs": id_ref("as:alsoKnownAs") }),
            Term::Emoji => json!({ "toot": TOOT, "Emoji": "toot:Emoji" }),
            Term::Featured => json!({
                "toot": TOOT,
                "featured": id_ref("toot:featured"),
                "featuredTags": id_ref("toot:featuredTags"),
            }),
            Term::PropertyValue => json!({
                "schema": "http://schema.org#",
                "PropertyValue": "schema:PropertyValue",
                "value": "schema:value",
            }),
            Term::AtomUri => {
                json!({ "ostatus": "http://ostatus.org#", "atomUri": "ostatus:atomUri" })
            }
            Term::Conversation => json!({
                "ostatus": "http://ostatus.org#",
                "inReplyToAtomUri": "ostatus:inReplyToAtomUri",
                "conversation": "ostatus:conversation",
            }),
            Term::FocalPoint => json!({
                "toot": TOOT,
                "focalPoint": { "@container": "@list", "@id": "toot:focalPoint" },
            }),
            Term::Blurhash => json!({ "toot": TOOT, "blurhash": "toot:blurhash" }),
            Term::Discoverable => json!({ "toot": TOOT, "discoverable": "toot:discoverable" }),
            Term::Indexable => json!({ "toot": TOOT, "indexable": "toot:indexable" }),
            Term::Memorial => json!({ "toot": TOOT, "memorial": "toot:memorial" }),
            Term::VotersCount => json!({ "toot": TOOT, "votersCount": "toot:votersCount" }),
            Term::Suspended => json!({ "toot": TOOT, "suspended": "toot:suspended" }),
            Term::AttributionDomains => json!({
                "toot": TOOT,
                "attributionDomains": id_ref("toot:attributionDomains"),
            }),
            Term::Quotes => json!({
                "quote": id_ref("https://w3id.org/fep/044f#quote"),
                "quoteUri": "http://fedibird.com/ns#quoteUri",
                "_misskey_quote": "https://misskey-hub.net/ns#_misskey_quote",
                "quoteAuthorization": id_ref("https://w3id.org/fep/044f#quoteAuthorization"),
            }),
            Term::InteractionPolicies => json!({
                "gts": "https://gotosocial.org/ns#",
                "interactionPolicy": id_ref("gts:interactionPolicy"),
                "canQuote": id_ref("gts:canQuote"),
                "automaticApproval": id_ref("gts:automaticApproval"),
                "manualApproval": id_ref("gts:manualApproval"),
            }),
        }
    }
}

/// The `@context` of a document: ActivityStreams, optionally the security vocabulary, and the
/// extension terms its parts use.
#[derive(Debug, Clone, Default)]
pub struct Context {
    security: bool,
    terms: Vec<Term>,
}

/// The terms a Note always declares (`NoteSerializer.context_extensions`).
const NOTE_TERMS: &[Term] = &[
    Term::AtomUri,
    Term::Conversation,
    Term::Sensitive,
    Term::VotersCount,
    Term::Quotes,
    Term::InteractionPolicies,
];

/// The terms an actor always declares (`ActorSerializer.context_extensions`).
const ACTOR_TERMS: &[Term] = &[
    Term::ManuallyApprovesFollowers,
    Term::Featured,
    Term::AlsoKnownAs,
    Term::MovedTo,
    Term::PropertyValue,
    Term::Discoverable,
    Term::Suspended,
    Term::Memorial,
    Term::Indexable,
    Term::AttributionDomains,
];

impl Context {
    /// Just ActivityStreams.
    pub fn new() -> Context {
        Context::default()
    }

    /// Adds the security vocabulary.
    pub fn with_security(mut self) -> Context {
        self.security = true;
        self
    }

    /// Adds extension terms (each once).
    pub fn with(mut self, terms: &[Term]) -> Context {
        self.add(terms);
        self
    }

    /// Adds extension terms in place (each once).
    pub fn add(&mut self, terms: &[Term]) {
        for t in terms {
            if !self.terms.contains(t) {
                self.terms.push(*t);
            }
        }
    }

    /// Merges another document's needs into this one (for collections of documents).
    pub fn merge(&mut self, other: &Context) {
        self.security |= other.security;
        self.add(&other.terms);
    }

    /// The `@context` value: a string when nothing but ActivityStreams is used, else a list.
    pub fn to_value(&self) -> Value {
        let mut list = vec![Value::from(ACTIVITYSTREAMS)];
        if self.security {
            list.push(SECURITY.into());
        }
        let mut ext = Map::new();
        for t in &self.terms {
            if let Value::Object(defs) = t.definitions() {
                ext.extend(defs);
            }
        }
        if !ext.is_empty() {
            list.push(Value::Object(ext));
        }
        if list.len() == 1 {
            list.pop().unwrap_or_default()
        } else {
            Value::Array(list)
        }
    }
}

/// A document with its context: `{"@context": …, …fields}`.
pub fn document(context: &Context, body: Value) -> Value {
    let mut out = Map::new();
    out.insert("@context".into(), context.to_value());
    if let Value::Object(fields) = body {
        out.extend(fields);
    }
    Value::Object(out)
}

// ---------------------------------------------------------------------------------------------
// Actors

/// A profile field as stored in `accounts.fields` (only what the actor needs).
#[derive(Debug, Deserialize)]
struct Field {
    #[serde(default)]
    name: String,
    #[serde(default)]
    value: String,
}

/// `{type: Image, mediaType, url}` for an avatar or header URL.
fn image(url: &str) -> Value {
    let path = url
        .split(['?', '#'])
        .next()
        .unwrap_or(url)
        .to_ascii_lowercase();
    let media_type = if path.ends_with(".png") {
        "image/png"
    } else if path.ends_with(".gif") {
        "image/gif"
    } else if path.ends_with(".webp") {
        "image/webp"
    } else if path.ends_with(".avif") {
        "image/avif"
    } else {
        "image/jpeg"
    };
    json!({ "type": "Image", "mediaType": media_type, "url": url })
}

/// The actor document of a local account. `moved_to` is the uri of the account it moved to,
/// if any; `tags` are the hashtags of its bio (Mastodon's account tags). A suspended account is rendered as Mastodon renders an unavailable one: the
/// identity and key stay (so signatures still verify), the profile is emptied, and
/// `suspended: true` is added.
pub fn actor(site: Site<'_>, a: &Account, moved_to: Option<&str>, tags: &[TagParts]) -> Value {
    let unavailable = a.suspended_at.is_some();
    let mut ctx = Context::new().with_security().with(ACTOR_TERMS);
    let id = a.uri.as_str();
    let mut body = Map::new();
    let mut put = |k: &str, v: Value| {
        body.insert(k.to_owned(), v);
    };
    put("id", id.into());
    put("type", if a.bot { "Service" } else { "Person" }.into());
    put("following", format!("{id}/following").into());
    put("followers", format!("{id}/followers").into());
    put("inbox", format!("{id}/inbox").into());
    put("outbox", format!("{id}/outbox").into());
    put("featured", format!("{id}/collections/featured").into());
    put("featuredTags", format!("{id}/collections/tags").into());
    put("preferredUsername", a.username.as_str().into());
    let name = if unavailable || a.display_name.is_empty() {
        a.username.as_str()
    } else {
        a.display_name.as_str()
    };
    put("name", name.into());
    put(
        "summary",
        if unavailable { "" } else { a.note.as_str() }.into(),
    );
    put("url", site.profile_url(&a.username).into());
    put(
        "manuallyApprovesFollowers",
        (!unavailable && a.locked).into(),
    );
    put("discoverable", (!unavailable && a.discoverable).into());
    put("indexable", (!unavailable && a.indexable).into());
    put(
        "published",
        iso8601(a.created_at - a.created_at.rem_euclid(86_400_000)).into(),
    );
    put("memorial", false.into());
    put(
        "publicKey",
        json!({ "id": key_id(id), "owner": id, "publicKeyPem": a.public_key_pem }),
    );
    let tags: Vec<Value> = if unavailable {
        Vec::new()
    } else {
        tags.iter().map(|t| hashtag(site, t)).collect()
    };
    if !tags.is_empty() {
        ctx.add(&[Term::Hashtag]);
    }
    put("tag", Value::Array(tags));
    let attachment: Vec<Value> = if unavailable {
        Vec::new()
    } else {
        serde_json::from_str::<Vec<Field>>(&a.fields)
            .unwrap_or_default()
            .into_iter()
            .map(|f| json!({ "type": "PropertyValue", "name": f.name, "value": f.value }))
            .collect()
    };
    put("attachment", Value::Array(attachment));
    put("endpoints", json!({ "sharedInbox": site.shared_inbox() }));
    if !unavailable {
        // Mastodon sends `icon`/`image` only for uploaded pictures; receivers then show their
        // own placeholder rather than storing a copy of ours.
        if let Some(url) = a.avatar_url.as_deref() {
            put("icon", image(url));
        }
        if let Some(url) = a.header_url.as_deref() {
            put("image", image(url));
        }
        if let Some(target) = moved_to {
            put("movedTo", target.into());
        }
    }
    if unavailable {
        put("suspended", true.into());
    }
    if body.contains_key("icon") || body.contains_key("image") {
        ctx.add(&[Term::FocalPoint]);
    }
    document(&ctx, Value::Object(body))
}

/// Fields of the actor an unsigned request gets in authorized-fetch mode (Mastodon's
/// `AccountsController#restrict_fields_to`): enough to verify the actor's signatures and
/// deliver to it, nothing of the profile.
pub const MINIMAL_ACTOR_FIELDS: [&str; 6] = [
    "id",
    "type",
    "preferredUsername",
    "inbox",
    "publicKey",
    "endpoints",
];

/// The actor document `full` (from [`actor`]) cut down to [`MINIMAL_ACTOR_FIELDS`].
pub fn minimal_actor(full: &Value) -> Value {
    let mut body = Map::new();
    for k in MINIMAL_ACTOR_FIELDS {
        if let Some(v) = full.get(k) {
            body.insert(k.to_owned(), v.clone());
        }
    }
    document(&Context::new().with_security(), Value::Object(body))
}

/// The instance actor (`/actor`), with the fields Mastodon's `InstanceActorsController`
/// serves: an `Application` named after the domain that approves followers manually.
pub fn instance_actor(site: Site<'_>, public_key_pem: &str) -> Value {
    let id = site.instance_actor();
    let ctx = Context::new().with_security().with(ACTOR_TERMS);
    document(
        &ctx,
        json!({
            "id": id,
            "type": "Application",
            "inbox": format!("{id}/inbox"),
            "outbox": format!("{id}/outbox"),
            "preferredUsername": site.domain,
            "url": site.instance_actor_page(),
            "manuallyApprovesFollowers": true,
            "publicKey": { "id": key_id(&id), "owner": id, "publicKeyPem": public_key_pem },
            "endpoints": { "sharedInbox": site.shared_inbox() },
        }),
    )
}

// ---------------------------------------------------------------------------------------------
// Notes and activities

/// A mentioned account, as a Note's `Mention` tag and audience need it.
#[derive(Debug, Clone)]
pub struct MentionParts {
    /// The account's ActivityPub id.
    pub uri: String,
    /// `username` (local) or `username@domain`.
    pub acct: String,
}

/// A hashtag of a status.
#[derive(Debug, Clone)]
pub struct TagParts {
    /// Lower-cased name (URL path).
    pub name: String,
    /// The casing shown.
    pub display_name: String,
}

/// A `Hashtag` tag.
fn hashtag(site: Site<'_>, t: &TagParts) -> Value {
    json!({
        "type": "Hashtag",
        "href": site.tag_url(&t.name),
        "name": format!("#{}", t.display_name),
    })
}

/// Everything a local status's Note is made from.
#[derive(Debug, Clone)]
pub struct NoteParts {
    /// The status row (not a boost).
    pub status: Status,
    /// Its author (a local account).
    pub author: Account,
    /// The uri of the status it replies to.
    pub in_reply_to: Option<String>,
    /// Active mentions, in mention order.
    pub mentions: Vec<MentionParts>,
    /// Hashtags.
    pub tags: Vec<TagParts>,
    /// The first of the author's own public replies (see [`SELF_REPLIES_IN_NOTE`]).
    pub self_replies: Vec<String>,
    /// Its poll: the Note is then a `Question`.
    pub poll: Option<crate::db::polls::Poll>,
    /// Its media attachments, in order.
    pub media: Vec<MediaRow>,
}

/// A media attachment as Mastodon renders it in a Note: a `Document` with its type, URL,
/// alt text, blurhash, focal point and size. `None` for media without a stored file.
fn media_document(site: Site<'_>, m: &MediaRow, ctx: &mut Context) -> Option<Value> {
    let key = m.file_key.as_deref().filter(|_| m.processing == "done")?;
    let mut d = Map::new();
    d.insert("type".into(), "Document".into());
    d.insert(
        "mediaType".into(),
        m.content_type.clone().unwrap_or_default().into(),
    );
    d.insert("url".into(), site.media_file_url(key).into());
    d.insert(
        "name".into(),
        if m.description.is_empty() {
            Value::Null
        } else {
            m.description.as_str().into()
        },
    );
    if let Some(b) = &m.blurhash {
        ctx.add(&[Term::Blurhash]);
        d.insert("blurhash".into(), b.as_str().into());
    }
    if matches!(m.kind.as_str(), "image" | "video" | "gifv") {
        ctx.add(&[Term::FocalPoint]);
        d.insert("focalPoint".into(), json!([m.focus_x, m.focus_y]));
    }
    let meta: Value = serde_json::from_str(&m.meta).unwrap_or(Value::Null);
    let original = &meta["original"];
    if let (Some(w), Some(h)) = (original["width"].as_u64(), original["height"].as_u64()) {
        d.insert("width".into(), w.into());
        d.insert("height".into(), h.into());
    }
    Some(Value::Object(d))
}

/// The followers collection of an account.
pub fn followers_of(a: &Account) -> String {
    a.followers_url
        .clone()
        .unwrap_or_else(|| format!("{}/followers", a.uri))
}

/// The primary audience of a status (`ActivityPub::TagManager#to`): public → as:Public;
/// unlisted and followers-only → the author's followers; direct → the mentioned accounts.
pub fn audience_to(visibility: &str, author: &Account, mentions: &[MentionParts]) -> Vec<String> {
    match visibility {
        "public" => vec![PUBLIC.to_owned()],
        "unlisted" | "private" => vec![followers_of(author)],
        _ => mentions.iter().map(|m| m.uri.clone()).collect(),
    }
}

/// The secondary audience (`TagManager#cc`): for a boost, the boosted author first; public
/// → followers; unlisted → as:Public; then, except for direct statuses, the mentioned
/// accounts.
pub fn audience_cc(
    visibility: &str,
    author: &Account,
    mentions: &[MentionParts],
    boosted_author: Option<&str>,
) -> Vec<String> {
    let mut cc = Vec::new();
    if let Some(uri) = boosted_author {
        cc.push(uri.to_owned());
    }
    match visibility {
        "public" => cc.push(followers_of(author)),
        "unlisted" => cc.push(PUBLIC.to_owned()),
        _ => {}
    }
    if visibility != "direct" {
        cc.extend(mentions.iter().map(|m| m.uri.clone()));
    }
    cc
}

/// Mastodon's OStatus conversation tag for a thread rooted at local status `root_id`:
/// `tag:{domain},{date}:objectId={id}:objectType=Conversation`.
pub fn conversation_tag(site: Site<'_>, root_id: i64) -> String {
    let date = DateTime::<Utc>::from_timestamp_millis(root_id >> 16)
        .unwrap_or_default()
        .format("%Y-%m-%d");
    format!(
        "tag:{},{date}:objectId={root_id}:objectType=Conversation",
        site.domain
    )
}

/// The Note of a local status (without `@context`), and the context it needs.
pub fn note(site: Site<'_>, p: &NoteParts) -> (Value, Context) {
    let s = &p.status;
    let mut ctx = Context::new().with(NOTE_TERMS);
    let mut body = Map::new();
    let mut put = |k: &str, v: Value| {
        body.insert(k.to_owned(), v);
    };
    put("id", s.uri.as_str().into());
    put(
        "type",
        if p.poll.is_some() { "Question" } else { "Note" }.into(),
    );
    put(
        "summary",
        if s.spoiler_text.is_empty() {
            Value::Null
        } else {
            s.spoiler_text.as_str().into()
        },
    );
    put("inReplyTo", p.in_reply_to.clone().into());
    put("published", iso8601(s.created_at).into());
    put(
        "url",
        s.url
            .clone()
            .unwrap_or_else(|| site.status_url(&p.author.username, s.id))
            .into(),
    );
    put("attributedTo", p.author.uri.as_str().into());
    put(
        "to",
        audience_to(&s.visibility, &p.author, &p.mentions).into(),
    );
    put(
        "cc",
        audience_cc(&s.visibility, &p.author, &p.mentions, None).into(),
    );
    put("sensitive", s.sensitive.into());
    put("atomUri", s.uri.as_str().into());
    put("inReplyToAtomUri", p.in_reply_to.clone().into());
    put(
        "conversation",
        s.conversation_id.map(|c| conversation_tag(site, c)).into(),
    );
    put("content", s.content.as_str().into());
    if let Some(lang) = s.language.as_deref().filter(|l| !l.is_empty()) {
        put("contentMap", json!({ lang: s.content }));
    }
    if let Some(edited) = s.edited_at {
        put("updated", iso8601(edited).into());
    }
    let attachment: Vec<Value> = p
        .media
        .iter()
        .filter_map(|m| media_document(site, m, &mut ctx))
        .collect();
    put("attachment", Value::Array(attachment));
    let mut tags: Vec<Value> = p
        .mentions
        .iter()
        .map(|m| json!({ "type": "Mention", "href": m.uri, "name": format!("@{}", m.acct) }))
        .collect();
    tags.extend(p.tags.iter().map(|t| hashtag(site, t)));
    if !p.tags.is_empty() {
        ctx.add(&[Term::Hashtag]);
    }
    put("tag", Value::Array(tags));
    let replies = format!("{}/replies", s.uri);
    let next = match p.self_replies.is_empty() {
        // Rails orders query parameters alphabetically.
        true => format!("{replies}?only_other_accounts=true&page=true"),
        false => format!("{replies}?min_id={}&page=true", last_self_reply_id(p)),
    };
    put(
        "replies",
        json!({
            "id": replies,
            "type": "Collection",
            "first": {
                "type": "CollectionPage",
                "next": next,
                "partOf": replies,
                "items": p.self_replies,
            },
        }),
    );
    put(
        "likes",
        json!({ "id": format!("{}/likes", s.uri), "type": "Collection", "totalItems": s.favourites_count }),
    );
    put(
        "shares",
        json!({ "id": format!("{}/shares", s.uri), "type": "Collection", "totalItems": s.reblogs_count }),
    );
    let approved = match s.visibility.as_str() {
        "public" | "unlisted" => PUBLIC.to_owned(),
        _ => p.author.uri.clone(),
    };
    put(
        "interactionPolicy",
        json!({ "canQuote": { "automaticApproval": [approved] } }),
    );
    if let Some(poll) = &p.poll {
        question(&mut body, &mut ctx, poll, now_ms());
    }
    (Value::Object(body), ctx)
}

/// A Question's poll (Mastodon's `NoteSerializer`): `oneOf` (single choice) or `anyOf`
/// (several), each option a `Note` named by its title with its votes as
/// `replies.totalItems` (null while the totals are hidden), `endTime`, `closed` once ended,
/// and `votersCount`.
fn question(
    body: &mut Map<String, Value>,
    ctx: &mut Context,
    poll: &crate::db::polls::Poll,
    now: i64,
) {
    let expired = poll.expired_at(now);
    let show = expired || !poll.hide_totals;
    let counts = poll.counts();
    let options: Vec<Value> = poll
        .titles()
        .into_iter()
        .enumerate()
        .map(|(i, title)| {
            // Hidden totals are sent as null, as Mastodon's `loaded_options` leaves them.
            let n: Value = if show {
                counts.get(i).copied().unwrap_or(0).into()
            } else {
                Value::Null
            };
            json!({
                "type": "Note",
                "name": title,
                "replies": { "type": "Collection", "totalItems": n },
            })
        })
        .collect();
    let key = if poll.multiple { "anyOf" } else { "oneOf" };
    body.insert(key.into(), Value::Array(options));
    if let Some(end) = poll.expires_at {
        body.insert("endTime".into(), iso8601(end).into());
        if expired {
            body.insert("closed".into(), iso8601(end).into());
        }
    }
    if let Some(voters) = poll.voters_count {
        body.insert("votersCount".into(), voters.into());
        ctx.add(&[Term::VotersCount]);
    }
}

/// The id of the last self-reply listed, read back from its local uri (`…/statuses/{id}`).
fn last_self_reply_id(p: &NoteParts) -> String {
    p.self_replies
        .last()
        .and_then(|u| u.rsplit('/').next())
        .unwrap_or("0")
        .to_owned()
}

/// The `Create` activity of a local status (`{uri}/activity`), with its Note embedded.
pub fn create(site: Site<'_>, p: &NoteParts) -> (Value, Context) {
    let (object, ctx) = note(site, p);
    let s = &p.status;
    (
        json!({
            "id": format!("{}/activity", s.uri),
            "type": "Create",
            "actor": p.author.uri,
            "published": iso8601(s.created_at),
            "to": audience_to(&s.visibility, &p.author, &p.mentions),
            "cc": audience_cc(&s.visibility, &p.author, &p.mentions, None),
            "object": object,
        }),
        ctx,
    )
}

/// What an `Announce` (a boost) is made from.
#[derive(Debug, Clone)]
pub struct BoostParts {
    /// The boost's own row (`uri` is `{booster}/statuses/{id}/activity`).
    pub status: Status,
    /// The booster (a local account).
    pub booster: Account,
    /// The boosted status's uri.
    pub object: String,
    /// The boosted status's author's uri.
    pub object_author: String,
}

/// The `Announce` activity of a boost; its object is the boosted status's uri.
pub fn announce(p: &BoostParts) -> (Value, Context) {
    let s = &p.status;
    (
        json!({
            "id": s.uri,
            "type": "Announce",
            "actor": p.booster.uri,
            "published": iso8601(s.created_at),
            "to": audience_to(&s.visibility, &p.booster, &[]),
            "cc": audience_cc(&s.visibility, &p.booster, &[], Some(&p.object_author)),
            "object": p.object,
        }),
        Context::new(),
    )
}

// ---------------------------------------------------------------------------------------------
// Activities of local actions (what the outbox delivers)

/// A top-level activity: `@context` (ActivityStreams) and the fields.
fn activity(body: Value) -> Value {
    document(&Context::new(), body)
}

/// A document without its `@context`, to embed it in another.
pub fn embedded(mut doc: Value) -> Value {
    if let Value::Object(m) = &mut doc {
        m.remove("@context");
    }
    doc
}

/// `Follow` (`ActivityPub::FollowSerializer`): `actor` asks to follow `object`.
pub fn follow(id: &str, actor: &str, object: &str) -> Value {
    activity(json!({ "id": id, "type": "Follow", "actor": actor, "object": object }))
}

/// The id a local follow (request) gets: `{actor}#follows/{row id}`.
pub fn follow_id(actor: &str, follow_row_id: i64) -> String {
    format!("{actor}#follows/{follow_row_id}")
}

/// `Accept(Follow)` from local account `actor` (`{actor}#accepts/follows/{n}`), embedding
/// the Follow it answers.
pub fn accept_follow(actor: &str, n: i64, follow: Value) -> Value {
    activity(json!({
        "id": format!("{actor}#accepts/follows/{n}"),
        "type": "Accept",
        "actor": actor,
        "object": embedded(follow),
    }))
}

/// `Reject(Follow)` from local account `actor` (`{actor}#rejects/follows/{n}`): a refused
/// request, or a follower removed.
pub fn reject_follow(actor: &str, n: i64, follow: Value) -> Value {
    activity(json!({
        "id": format!("{actor}#rejects/follows/{n}"),
        "type": "Reject",
        "actor": actor,
        "object": embedded(follow),
    }))
}

/// `Undo` of an earlier activity of `actor`, embedding it; `to` as Mastodon addresses the
/// Undo (`as:Public` for Undo(Announce), none otherwise).
pub fn undo(id: &str, actor: &str, object: Value, to: Option<Vec<String>>) -> Value {
    let mut body = json!({ "id": id, "type": "Undo", "actor": actor });
    if let Some(to) = to {
        body["to"] = to.into();
    }
    body["object"] = embedded(object);
    activity(body)
}

/// `Like` of `status_uri` by `actor`: `{actor}#likes/{favourite id}`.
pub fn like(actor: &str, favourite_id: i64, status_uri: &str) -> Value {
    activity(json!({
        "id": format!("{actor}#likes/{favourite_id}"),
        "type": "Like",
        "actor": actor,
        "object": status_uri,
    }))
}

/// `Block` of `target` by `actor`: `{actor}#blocks/{block id}`.
pub fn block(actor: &str, block_id: i64, target: &str) -> Value {
    activity(json!({
        "id": format!("{actor}#blocks/{block_id}"),
        "type": "Block",
        "actor": actor,
        "object": target,
    }))
}

/// `Delete` of a local status (`{uri}#delete`, a `Tombstone`, addressed to `as:Public` as
/// Mastodon's `DeleteSerializer` does for every visibility; the delivery decides who gets it).
pub fn delete_status(actor: &str, status_uri: &str) -> Value {
    activity(json!({
        "id": format!("{status_uri}#delete"),
        "type": "Delete",
        "actor": actor,
        "to": [PUBLIC],
        "object": { "id": status_uri, "type": "Tombstone", "atomUri": status_uri },
    }))
}

/// `Update` of an edited status (`{uri}#updates/{edited_at seconds}`), embedding its Note.
pub fn update_note(site: Site<'_>, p: &NoteParts) -> Value {
    let (object, ctx) = note(site, p);
    let s = &p.status;
    let at = s.edited_at.unwrap_or(s.created_at);
    document(
        &ctx,
        json!({
            "id": format!("{}#updates/{}", s.uri, at.div_euclid(1000)),
            "type": "Update",
            "actor": p.author.uri,
            "published": iso8601(at),
            "to": audience_to(&s.visibility, &p.author, &p.mentions),
            "cc": audience_cc(&s.visibility, &p.author, &p.mentions, None),
            "object": object,
        }),
    )
}

/// `Update(Question)` carrying a local poll's current tallies; `update_id` makes each one a
/// distinct activity (receivers deduplicate by id).
pub fn update_poll(site: Site<'_>, p: &NoteParts, update_id: i64) -> Value {
    let (object, ctx) = note(site, p);
    let s = &p.status;
    document(
        &ctx,
        json!({
            "id": format!("{}#updates/poll/{update_id}", s.uri),
            "type": "Update",
            "actor": p.author.uri,
            "to": audience_to(&s.visibility, &p.author, &p.mentions),
            "cc": audience_cc(&s.visibility, &p.author, &p.mentions, None),
            "object": object,
        }),
    )
}

/// A local account's vote in a remote poll (Mastodon's `VoteSerializer`):
/// `Create(Note{name, inReplyTo})` addressed to the poll's author only. `vote_uri` is the
/// Note's id (`{voter}#votes/{vote id}`).
pub fn poll_vote(
    voter: &str,
    vote_uri: &str,
    question: &str,
    poll_author: &str,
    title: &str,
) -> Value {
    json!({
        "@context": ACTIVITYSTREAMS,
        "id": format!("{vote_uri}/activity"),
        "type": "Create",
        "actor": voter,
        "to": [poll_author],
        "object": {
            "id": vote_uri,
            "type": "Note",
            "name": title,
            "attributedTo": voter,
            "inReplyTo": question,
            "to": [poll_author],
        },
    })
}

/// The `Create` of a local status as a delivered document (with its `@context`).
pub fn create_document(site: Site<'_>, p: &NoteParts) -> Value {
    let (body, ctx) = create(site, p);
    document(&ctx, body)
}

/// The `Announce` of a boost as a delivered document.
pub fn announce_document(p: &BoostParts) -> Value {
    let (body, ctx) = announce(p);
    document(&ctx, body)
}

/// `Undo(Announce)`: `{booster}#announces/{boost id}/undo`, to `as:Public`.
pub fn undo_announce(p: &BoostParts) -> Value {
    let id = format!("{}#announces/{}/undo", p.booster.uri, p.status.id);
    undo(
        &id,
        &p.booster.uri,
        announce_document(p),
        Some(vec![PUBLIC.to_owned()]),
    )
}

/// `Update` of a local actor after a profile change: `{actor}#updates/{updated_at seconds}`,
/// to `as:Public`, embedding the actor document (`actor_doc`, as [`actor`] renders it).
pub fn update_actor(actor_doc: Value, updated_at: i64) -> Value {
    let id = actor_doc["id"].as_str().unwrap_or_default().to_owned();
    let ctx = actor_doc.get("@context").cloned().unwrap_or(Value::Null);
    let mut out = Map::new();
    out.insert("@context".into(), ctx);
    out.insert(
        "id".into(),
        format!("{id}#updates/{}", updated_at.div_euclid(1000)).into(),
    );
    out.insert("type".into(), "Update".into());
    out.insert("actor".into(), id.into());
    out.insert("to".into(), json!([PUBLIC]));
    out.insert("object".into(), embedded(actor_doc));
    Value::Object(out)
}

/// `Delete` of a local actor (account deletion): `{actor}#delete`, to `as:Public`.
pub fn delete_actor(actor: &str) -> Value {
    activity(json!({
        "id": format!("{actor}#delete"),
        "type": "Delete",
        "actor": actor,
        "to": [PUBLIC],
        "object": actor,
    }))
}

/// `Add` (pin) or `Remove` (unpin) of `status_uri` to `actor`'s featured collection, as
/// Mastodon's `AddSerializer`/`RemoveSerializer` render them (no id).
pub fn pin(actor: &str, status_uri: &str, pinned: bool) -> Value {
    activity(json!({
        "type": if pinned { "Add" } else { "Remove" },
        "actor": actor,
        "object": status_uri,
        "target": format!("{actor}/collections/featured"),
    }))
}

// ---------------------------------------------------------------------------------------------
// Collections

/// An `OrderedCollection` summary: `{id, type, totalItems, first?, last?}`.
pub fn ordered_collection(
    id: &str,
    total: Option<i64>,
    first: Option<String>,
    last: Option<String>,
) -> Value {
    let mut body = Map::new();
    body.insert("id".into(), id.into());
    body.insert("type".into(), "OrderedCollection".into());
    if let Some(n) = total {
        body.insert("totalItems".into(), n.into());
    }
    if let Some(f) = first {
        body.insert("first".into(), f.into());
    }
    if let Some(l) = last {
        body.insert("last".into(), l.into());
    }
    Value::Object(body)
}

/// One page of an ordered collection.
#[derive(Debug, Clone)]
pub struct Page {
    /// This page's URL.
    pub id: String,
    /// The collection's URL.
    pub part_of: String,
    /// `totalItems`, where Mastodon repeats it on pages.
    pub total: Option<i64>,
    /// The next (older) page.
    pub next: Option<String>,
    /// The previous (newer) page.
    pub prev: Option<String>,
    /// The items (documents or ids).
    pub items: Vec<Value>,
}

/// An `OrderedCollectionPage`.
pub fn ordered_page(p: Page) -> Value {
    let mut body = Map::new();
    body.insert("id".into(), p.id.into());
    body.insert("type".into(), "OrderedCollectionPage".into());
    if let Some(n) = p.total {
        body.insert("totalItems".into(), n.into());
    }
    if let Some(n) = p.next {
        body.insert("next".into(), n.into());
    }
    if let Some(n) = p.prev {
        body.insert("prev".into(), n.into());
    }
    body.insert("partOf".into(), p.part_of.into());
    body.insert("orderedItems".into(), Value::Array(p.items));
    Value::Object(body)
}

/// An unordered `Collection` with inline items (featured tags) or just a count (likes,
/// shares).
pub fn collection(id: &str, total: i64, items: Option<Vec<Value>>) -> Value {
    let mut body = Map::new();
    body.insert("id".into(), id.into());
    body.insert("type".into(), "Collection".into());
    body.insert("totalItems".into(), total.into());
    if let Some(items) = items {
        body.insert("items".into(), Value::Array(items));
    }
    Value::Object(body)
}

/// A `CollectionPage` of a Note's replies (`RepliesController`).
pub fn replies_page(id: &str, part_of: &str, next: Option<String>, items: Vec<Value>) -> Value {
    let mut body = Map::new();
    body.insert("id".into(), id.into());
    body.insert("type".into(), "CollectionPage".into());
    if let Some(n) = next {
        body.insert("next".into(), n.into());
    }
    body.insert("partOf".into(), part_of.into());
    body.insert("items".into(), Value::Array(items));
    Value::Object(body)
}

// ---------------------------------------------------------------------------------------------
// Discovery

/// The WebFinger JRD of a local account (`WebfingerSerializer`).
pub fn webfinger_account(site: Site<'_>, a: &Account) -> Value {
    let profile = site.profile_url(&a.username);
    json!({
        "subject": format!("acct:{}@{}", a.username, site.domain),
        "aliases": [profile, a.uri],
        "links": [
            { "rel": "http://webfinger.net/rel/profile-page", "type": "text/html", "href": profile },
            { "rel": "self", "type": "application/activity+json", "href": a.uri },
            subscribe_link(site),
        ],
    })
}

/// The WebFinger JRD of the instance actor (`acct:{domain}@{domain}`).
pub fn webfinger_instance_actor(site: Site<'_>) -> Value {
    let id = site.instance_actor();
    json!({
        "subject": format!("acct:{0}@{0}", site.domain),
        "aliases": [id],
        "links": [
            { "rel": "http://webfinger.net/rel/profile-page", "type": "text/html", "href": site.instance_actor_page() },
            { "rel": "self", "type": "application/activity+json", "href": id },
            subscribe_link(site),
        ],
    })
}

fn subscribe_link(site: Site<'_>) -> Value {
    json!({
        "rel": "http://ostatus.org/schema/1.0/subscribe",
        "template": format!("{}/authorize_interaction?uri={{uri}}", site.url),
    })
}

/// The WebFinger URL template advertised by host-meta.
fn webfinger_template(site: Site<'_>) -> String {
    format!("{}/.well-known/webfinger?resource={{uri}}", site.url)
}

/// `/.well-known/host-meta` (XRD).
pub fn host_meta_xml(site: Site<'_>) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <XRD xmlns=\"http://docs.oasis-open.org/ns/xri/xrd-1.0\">\n  \
         <Link rel=\"lrdd\" template=\"{}\"/>\n</XRD>\n",
        html_escape::encode_double_quoted_attribute(&webfinger_template(site))
    )
}

/// `/.well-known/host-meta.json`.
pub fn host_meta_json(site: Site<'_>) -> Value {
    json!({ "links": [{ "rel": "lrdd", "template": webfinger_template(site) }] })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SITE: Site<'static> = Site {
        url: "https://w.example",
        domain: "w.example",
        media_url: "",
    };

    fn account() -> Account {
        Account {
            id: 1,
            username: "alice".into(),
            domain: None,
            display_name: "Alice".into(),
            note: "<p>hi</p>".into(),
            note_source: "hi".into(),
            fields: r#"[{"name":"Site","value":"<a href=\"https://a.example\">a.example</a>","value_source":"https://a.example"}]"#.into(),
            locked: false,
            bot: false,
            discoverable: true,
            indexable: false,
            hide_collections: false,
            avatar_url: None,
            header_url: None,
            uri: "https://w.example/users/alice".into(),
            url: None,
            inbox_url: None,
            shared_inbox_url: None,
            outbox_url: None,
            followers_url: Some("https://w.example/users/alice/followers".into()),
            following_url: None,
            public_key_pem: "PEM".into(),
            statuses_count: 0,
            followers_count: 0,
            following_count: 0,
            last_status_at: None,
            suspended_at: None,
            silenced_at: None,
            moved_to_account_id: None,
            created_at: 1_575_545_687_196,
            updated_at: 1_575_545_687_196,
        }
    }

    fn status(visibility: &str) -> Status {
        Status {
            id: 42,
            uri: "https://w.example/users/alice/statuses/42".into(),
            url: Some("https://w.example/@alice/42".into()),
            account_id: 1,
            text: "hi".into(),
            content: "<p>hi</p>".into(),
            spoiler_text: String::new(),
            sensitive: false,
            visibility: visibility.into(),
            language: Some("en".into()),
            in_reply_to_id: None,
            in_reply_to_account_id: None,
            reblog_of_id: None,
            conversation_id: Some(42),
            application_id: None,
            local: true,
            replies_count: 0,
            reblogs_count: 0,
            favourites_count: 0,
            created_at: 1_575_545_687_196,
            edited_at: None,
        }
    }

    fn bob() -> MentionParts {
        MentionParts {
            uri: "https://b.example/users/bob".into(),
            acct: "bob@b.example".into(),
        }
    }

    #[test]
    fn addressing_follows_visibility() {
        let a = account();
        let m = [bob()];
        let f = "https://w.example/users/alice/followers";
        let bob = "https://b.example/users/bob";
        assert_eq!(audience_to("public", &a, &m), [PUBLIC]);
        assert_eq!(audience_cc("public", &a, &m, None), [f, bob]);
        assert_eq!(audience_to("unlisted", &a, &m), [f]);
        assert_eq!(audience_cc("unlisted", &a, &m, None), [PUBLIC, bob]);
        assert_eq!(audience_to("private", &a, &m), [f]);
        assert_eq!(audience_cc("private", &a, &m, None), [bob]);
        assert_eq!(audience_to("direct", &a, &m), [bob]);
        assert!(audience_cc("direct", &a, &m, None).is_empty());
        assert_eq!(audience_cc("public", &a, &[], Some(bob)), [bob, f]);
    }

    #[test]
    fn actor_has_mastodons_keys_and_context() {
        let v = actor(SITE, &account(), None, &[]);
        assert_eq!(v["type"], "Person");
        assert_eq!(v["published"], "2019-12-05T00:00:00Z");
        assert_eq!(
            v["publicKey"]["id"],
            "https://w.example/users/alice#main-key"
        );
        assert_eq!(v["attachment"][0]["type"], "PropertyValue");
        assert_eq!(v["endpoints"]["sharedInbox"], "https://w.example/inbox");
        assert!(v.get("icon").is_none());
        let ctx = &v["@context"];
        assert_eq!(ctx[0], ACTIVITYSTREAMS);
        assert_eq!(ctx[1], SECURITY);
        assert_eq!(ctx[2]["schema"], "http://schema.org#");
        assert_eq!(ctx[2]["toot"], TOOT);
        assert_eq!(ctx[2]["featured"]["@type"], "@id");
    }

    #[test]
    fn suspended_actor_is_emptied() {
        let mut a = account();
        a.suspended_at = Some(1);
        a.locked = true;
        let tags = [TagParts {
            name: "x".into(),
            display_name: "x".into(),
        }];
        let v = actor(SITE, &a, Some("https://x.example/users/a"), &tags);
        assert_eq!(v["tag"], json!([]));
        assert_eq!(v["suspended"], true);
        assert_eq!(v["name"], "alice");
        assert_eq!(v["summary"], "");
        assert_eq!(v["manuallyApprovesFollowers"], false);
        assert_eq!(v["attachment"], json!([]));
        assert!(v.get("movedTo").is_none());
        assert_eq!(v["publicKey"]["publicKeyPem"], "PEM");
    }

    #[test]
    fn note_fields() {
        let mut s = status("public");
        s.spoiler_text = "cw".into();
        s.edited_at = Some(1_575_545_700_000);
        let p = NoteParts {
            status: s,
            author: account(),
            in_reply_to: Some("https://b.example/notes/1".into()),
            mentions: vec![bob()],
            tags: vec![TagParts {
                name: "rust".into(),
                display_name: "Rust".into(),
            }],
            self_replies: vec!["https://w.example/users/alice/statuses/50".into()],
            poll: None,
            media: vec![MediaRow {
                id: 7,
                account_id: 1,
                status_id: Some(42),
                position: 0,
                kind: "image".into(),
                processing: "done".into(),
                upload_key: None,
                file_key: Some("media/ab/original.png".into()),
                preview_key: Some("media/ab/small.png".into()),
                content_type: Some("image/png".into()),
                file_size: 10,
                description: "a cat".into(),
                focus_x: 0.5,
                focus_y: -0.25,
                meta: r#"{"original":{"width":640,"height":480}}"#.into(),
                blurhash: Some("LEHV6nWB2yk8pyo0adR*.7kCMdnj".into()),
                remote_url: None,
                cached_at: None,
                created_at: 0,
                updated_at: 0,
            }],
        };
        let (v, ctx) = note(SITE, &p);
        assert_eq!(
            v["attachment"],
            json!([{
                "type": "Document", "mediaType": "image/png",
                "url": "https://w.example/system/media/ab/original.png", "name": "a cat",
                "blurhash": "LEHV6nWB2yk8pyo0adR*.7kCMdnj", "focalPoint": [0.5, -0.25],
                "width": 640, "height": 480,
            }])
        );
        assert_eq!(v["summary"], "cw");
        assert_eq!(v["inReplyToAtomUri"], "https://b.example/notes/1");
        assert_eq!(v["published"], "2019-12-05T11:34:47Z");
        assert_eq!(v["updated"], "2019-12-05T11:35:00Z");
        assert_eq!(v["contentMap"]["en"], "<p>hi</p>");
        assert_eq!(v["tag"][0]["name"], "@bob@b.example");
        assert_eq!(v["tag"][1]["href"], "https://w.example/tags/rust");
        assert_eq!(v["tag"][1]["name"], "#Rust");
        assert_eq!(
            v["replies"]["first"]["next"],
            "https://w.example/users/alice/statuses/42/replies?min_id=50&page=true"
        );
        assert_eq!(
            v["conversation"],
            format!(
                "tag:w.example,{}:objectId=42:objectType=Conversation",
                "1970-01-01"
            )
        );
        let c = ctx.to_value();
        assert_eq!(c[0], ACTIVITYSTREAMS);
        assert_eq!(c[1]["Hashtag"], "as:Hashtag");
        assert_eq!(c[1]["atomUri"], "ostatus:atomUri");
        assert_eq!(c[1]["sensitive"], "as:sensitive");
        assert_eq!(c[1]["blurhash"], "toot:blurhash");
        assert_eq!(c[1]["focalPoint"]["@container"], "@list");
    }

    #[test]
    fn polls_are_questions() {
        let poll = |multiple: bool, hide_totals: bool, expires_at: i64| crate::db::polls::Poll {
            id: 9,
            status_id: 1,
            account_id: 1,
            local: true,
            options: r#"["tea","coffee"]"#.into(),
            tallies: "[2,1]".into(),
            multiple,
            hide_totals,
            votes_count: 3,
            voters_count: Some(3),
            expires_at: Some(expires_at),
            created_at: 0,
            updated_at: 0,
        };
        let parts = |p| NoteParts {
            status: status("public"),
            author: account(),
            in_reply_to: None,
            mentions: Vec::new(),
            tags: Vec::new(),
            self_replies: Vec::new(),
            poll: Some(p),
            media: Vec::new(),
        };
        let far = 4_102_444_800_000; // 2100
        let (open, ctx) = note(SITE, &parts(poll(false, false, far)));
        assert_eq!(open["type"], "Question");
        assert_eq!(
            open["oneOf"][0],
            json!({"type": "Note", "name": "tea", "replies": {"type": "Collection", "totalItems": 2}})
        );
        assert_eq!(open["endTime"], "2100-01-01T00:00:00Z");
        assert!(open.get("closed").is_none() && open.get("anyOf").is_none());
        assert_eq!(open["votersCount"], 3);
        let ctx = ctx.to_value();
        let ext = ctx.as_array().unwrap().last().unwrap();
        assert_eq!(ext["votersCount"], "toot:votersCount");
        let (hidden, _) = note(SITE, &parts(poll(true, true, far)));
        assert!(hidden["anyOf"][1]["replies"]["totalItems"].is_null());
        let (ended, _) = note(SITE, &parts(poll(true, true, 1_000)));
        assert_eq!(ended["closed"], "1970-01-01T00:00:01Z");
        assert_eq!(ended["anyOf"][1]["replies"]["totalItems"], 1);
        let vote = poll_vote(
            "https://w.example/users/alice",
            "https://w.example/users/alice#votes/5",
            "https://b.example/notes/1",
            "https://b.example/users/bob",
            "tea",
        );
        assert_eq!(vote["id"], "https://w.example/users/alice#votes/5/activity");
        assert_eq!(vote["object"]["name"], "tea");
        assert_eq!(vote["object"]["inReplyTo"], "https://b.example/notes/1");
        assert_eq!(vote["to"], json!(["https://b.example/users/bob"]));
    }

    #[test]
    fn bare_context_is_a_string() {
        assert_eq!(Context::new().to_value(), ACTIVITYSTREAMS);
    }

    #[test]
    fn host_meta_escapes_the_template() {
        let xml = host_meta_xml(SITE);
        assert!(
            xml.contains("template=\"https://w.example/.well-known/webfinger?resource={uri}\"")
        );
    }
}
