//! What the fake servers' actors send: `Create(Note)` shaped as Mastodon sends it — public,
//! addressed to the author's followers and mentioning a local account (one of those
//! followers), with a hashtag — signed as Mastodon signs a delivery to the shared inbox
//! (draft-cavage `rsa-sha256` over `(request-target) host date digest content-type`).

use std::time::SystemTime;

use bytes::Bytes;
use hyper::Method;
use hyper::header::{CONTENT_TYPE, HeaderValue};
use rand::SeedableRng;
use rand::rngs::SmallRng;
use serde_json::{Value, json};
use woolly::federation::keys::SigningKey;
use woolly::federation::signature::sign_request;

use crate::BASE_URL;
use crate::load::Req;

const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";
const ACTIVITY_JSON: &str = "application/activity+json";

/// A remote actor that posts.
pub struct Actor {
    /// `preferredUsername`.
    pub username: String,
    /// `http://127.0.1.N:PORT`.
    pub base: String,
    /// Its key (`{uri}#main-key`).
    pub key: SigningKey,
    /// Usernames of the local accounts following it; each post mentions one of them.
    pub followers: Vec<String>,
}

impl Actor {
    /// The actor's id.
    pub fn uri(&self) -> String {
        format!("{}/users/{}", self.base, self.username)
    }
}

/// A `Create` of a public Note by `author` (an actor URI, its profile at `profile_url`)
/// with the id `object_id`, mentioning the local account `mention` (a username) if given.
/// About 1.5 KB as JSON.
pub fn create_note(
    author: &str,
    profile_url: &str,
    object_id: &str,
    mention: Option<&str>,
    rng: &mut SmallRng,
) -> Value {
    let published = woolly::time::rfc3339(woolly::time::now_ms());
    let followers = format!("{author}/followers");
    let mut cc = vec![followers];
    let mut tags = Vec::new();
    let mut html = String::from("<p>");
    if let Some(user) = mention {
        let uri = format!("{BASE_URL}/users/{user}");
        html.push_str(&format!(
            "<span class=\"h-card\" translate=\"no\"><a href=\"{BASE_URL}/@{user}\" \
             class=\"u-url mention\">@<span>{user}</span></a></span> "
        ));
        tags.push(json!({"type": "Mention", "href": uri, "name": format!("@{user}@bench.woolly.example")}));
        cc.push(uri);
    }
    html.push_str(&crate::dataset::sentence(rng, 20, 40));
    html.push_str(&format!(
        " <a href=\"{profile_url}/tags/fediverse\" class=\"mention hashtag\" rel=\"tag\">#<span>Fediverse</span></a></p>"
    ));
    tags.push(json!({"type": "Hashtag", "href": format!("{profile_url}/tags/fediverse"), "name": "#fediverse"}));
    let number = object_id.rsplit('/').next().unwrap_or_default();
    json!({
        "@context": [
            "https://www.w3.org/ns/activitystreams",
            {"ostatus": "http://ostatus.org#", "atomUri": "ostatus:atomUri",
             "sensitive": "as:sensitive", "Hashtag": "as:Hashtag", "toot": "http://joinmastodon.org/ns#"}
        ],
        "id": format!("{object_id}/activity"),
        "type": "Create",
        "actor": author,
        "published": published,
        "to": [PUBLIC],
        "cc": cc,
        "object": {
            "id": object_id,
            "type": "Note",
            "summary": null,
            "inReplyTo": null,
            "published": published,
            "url": format!("{profile_url}/{number}"),
            "attributedTo": author,
            "to": [PUBLIC],
            "cc": cc,
            "sensitive": false,
            "atomUri": object_id,
            "content": html,
            "contentMap": {"en": html},
            "attachment": [],
            "tag": tags,
        }
    })
}

/// `count` signed deliveries of new posts to the shared inbox, the `n`th by actor
/// `n % actors.len()`, numbered from `first` (the numbers make the ids unique, so use a
/// fresh `first` for every batch, e.g. `woolly::id::next_id()`). Signing is spread over all
/// cores; the `Date` headers are from now, so send them within the server's window.
pub fn signed_creates(actors: &[Actor], count: usize, first: i64) -> Vec<Req> {
    let threads = std::thread::available_parallelism().map_or(1, |t| t.get());
    let per = count.div_ceil(threads).max(1);
    let url = url::Url::parse(&format!("{BASE_URL}/inbox")).expect("valid inbox URL");
    std::thread::scope(|s| {
        let parts: Vec<_> = (0..count)
            .step_by(per)
            .map(|from| {
                let url = &url;
                s.spawn(move || {
                    (from..(from + per).min(count))
                        .map(|n| {
                            let actor = &actors[n % actors.len()];
                            let mut rng = SmallRng::seed_from_u64(first as u64 ^ n as u64);
                            let author = actor.uri();
                            let profile = format!("{}/@{}", actor.base, actor.username);
                            let object_id = format!("{author}/statuses/{}", first + n as i64);
                            let mention = (!actor.followers.is_empty())
                                .then(|| actor.followers[n % actor.followers.len()].as_str());
                            let body =
                                create_note(&author, &profile, &object_id, mention, &mut rng)
                                    .to_string();
                            signed_post(&actor.key, url, body.into_bytes())
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        parts
            .into_iter()
            .flat_map(|p| p.join().expect("signing thread"))
            .collect()
    })
}

/// A POST of `body` to `url` (on the server under test), signed by `key`.
fn signed_post(key: &SigningKey, url: &url::Url, body: Vec<u8>) -> Req {
    let mut headers = sign_request(
        key,
        "POST",
        url,
        &[("content-type", ACTIVITY_JSON)],
        Some(&body),
        SystemTime::now(),
    );
    headers.push((CONTENT_TYPE, HeaderValue::from_static(ACTIVITY_JSON)));
    Req {
        method: Method::POST,
        path: url.path().to_owned(),
        token: None,
        body: Some(Bytes::from(body)),
        headers,
    }
}
