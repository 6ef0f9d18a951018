//! The public HTML pages of local accounts and statuses (askama templates in `templates/`,
//! HTML-escaped automatically). Bios, field values and status contents are HTML this server
//! rendered from plain text (escaped and linkified by `service::text`), so they are included
//! as markup; every other user-supplied string is escaped.

use askama::Template;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;

use crate::db::accounts::Account;
use crate::db::statuses::Status;
use crate::federation::render::{Site, iso8601};

/// What every public page shows around its content.
#[derive(Debug, Clone)]
pub struct PublicChrome {
    /// Page title.
    pub title: String,
    /// Instance name.
    pub instance: String,
    /// The ActivityPub id of what the page shows (`<link rel="alternate">`).
    pub alternate: String,
    /// Ask search engines not to index the page (the account is not `indexable`).
    pub noindex: bool,
}

/// A profile field.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct FieldView {
    /// Name (plain text).
    #[serde(default)]
    pub name: String,
    /// Value (server-rendered HTML).
    #[serde(default)]
    pub value: String,
}

/// A status as a page shows it.
#[derive(Debug, Clone)]
pub struct PostView {
    /// Author's display name (or username).
    pub author_name: String,
    /// `@username@domain`.
    pub author_handle: String,
    /// The author's profile page.
    pub author_url: String,
    /// The status's page.
    pub url: String,
    /// Content warning (plain text; empty for none).
    pub spoiler_text: String,
    /// Server-rendered HTML.
    pub content: String,
    /// RFC 3339 time.
    pub published: String,
    /// `YYYY-MM-DD HH:MM UTC`.
    pub published_display: String,
    /// Whether it was edited.
    pub edited: bool,
    /// `public` or `unlisted`.
    pub visibility: String,
    /// Link to the status it replies to.
    pub in_reply_to: Option<String>,
}

impl PostView {
    /// The view of local status `s` by `author`.
    pub fn new(site: Site<'_>, author: &Account, s: &Status, in_reply_to: Option<String>) -> Self {
        PostView {
            author_name: display_name(author),
            author_handle: format!("@{}@{}", author.username, site.domain),
            author_url: site.profile_url(&author.username),
            url: s
                .url
                .clone()
                .unwrap_or_else(|| site.status_url(&author.username, s.id)),
            spoiler_text: s.spoiler_text.clone(),
            content: s.content.clone(),
            published: iso8601(s.created_at),
            published_display: chrono::DateTime::<chrono::Utc>::from_timestamp_millis(s.created_at)
                .unwrap_or_default()
                .format("%Y-%m-%d %H:%M UTC")
                .to_string(),
            edited: s.edited_at.is_some(),
            visibility: s.visibility.clone(),
            in_reply_to,
        }
    }
}

/// Display name, or the username when there is none.
pub fn display_name(a: &Account) -> String {
    if a.display_name.trim().is_empty() {
        a.username.clone()
    } else {
        a.display_name.clone()
    }
}

/// A profile page: `/@username`.
#[derive(Template)]
#[template(path = "profile.html")]
pub struct ProfilePage {
    pub chrome: PublicChrome,
    pub display_name: String,
    /// `@username@domain`.
    pub handle: String,
    /// Bio (server-rendered HTML).
    pub note: String,
    pub fields: Vec<FieldView>,
    pub locked: bool,
    pub bot: bool,
    pub statuses_count: i64,
    pub following_count: i64,
    pub followers_count: i64,
    /// Recent public posts, newest first.
    pub posts: Vec<PostView>,
    /// The next (older) page, if there may be one.
    pub older: Option<String>,
}

/// A status page: `/@username/:id`.
#[derive(Template)]
#[template(path = "status.html")]
pub struct StatusPage {
    pub chrome: PublicChrome,
    pub post: PostView,
}

/// Renders a public page with the usual page headers, plus `Vary: Accept` and a `Link` to the
/// ActivityPub representation.
pub fn render<T: Template>(page: &T, alternate: &str) -> Response {
    let mut resp = crate::web::pages::render(StatusCode::OK, page);
    let h = resp.headers_mut();
    h.insert(header::VARY, HeaderValue::from_static("Accept"));
    if let Ok(v) = HeaderValue::from_str(&format!(
        "<{alternate}>; rel=\"alternate\"; type=\"application/activity+json\""
    )) {
        h.insert(header::LINK, v);
    }
    resp
}

/// An error page (404, 451) that varies on `Accept`.
pub fn error_page(cfg: &crate::config::Config, status: StatusCode) -> Response {
    let (title, message) = match status {
        StatusCode::UNAVAILABLE_FOR_LEGAL_REASONS => (
            "Account unavailable",
            "This account has been suspended and is not available.",
        ),
        _ => ("Not found", "The page you are looking for isn't here."),
    };
    crate::activitypub::vary_accept(crate::web::pages::message(cfg, status, title, message))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_text_is_escaped() {
        let post = PostView {
            author_name: "<b>Eve</b>".into(),
            author_handle: "@eve@w.example".into(),
            author_url: "https://w.example/@eve".into(),
            url: "https://w.example/@eve/1".into(),
            spoiler_text: "<script>cw</script>".into(),
            content: "<p>fine &amp; dandy</p>".into(),
            published: "2019-12-05T11:34:47Z".into(),
            published_display: "2019-12-05 11:34 UTC".into(),
            edited: false,
            visibility: "public".into(),
            in_reply_to: None,
        };
        let page = ProfilePage {
            chrome: PublicChrome {
                title: "<i>Eve</i>".into(),
                instance: "W&W".into(),
                alternate: "https://w.example/users/eve".into(),
                noindex: true,
            },
            display_name: "<b>Eve</b>".into(),
            handle: "@eve@w.example".into(),
            note: "<p>bio</p>".into(),
            fields: vec![FieldView {
                name: "<u>x</u>".into(),
                value: "<a href=\"https://a.example\">a</a>".into(),
            }],
            locked: false,
            bot: false,
            statuses_count: 1,
            following_count: 0,
            followers_count: 0,
            posts: vec![post],
            older: None,
        };
        let html = page.render().unwrap();
        assert!(!html.contains("<b>Eve</b>"));
        assert!(!html.contains("<script>"));
        assert!(!html.contains("<u>x</u>"));
        assert!(!html.contains("<i>Eve</i>"));
        assert!(html.contains("<p>bio</p>"));
        assert!(html.contains("<p>fine &amp; dandy</p>"));
        assert!(html.contains("noindex"));
    }
}
