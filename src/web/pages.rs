//! The server-rendered pages (askama templates in `templates/`, HTML-escaped automatically)
//! and the response headers every page gets: no caching, no framing, a strict CSP.

use askama::Template;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use crate::config::Config;

/// What every page shows around its content.
#[derive(Debug, Clone)]
pub struct Chrome {
    /// Page title.
    pub title: String,
    /// Instance name.
    pub instance: String,
}

impl Chrome {
    /// Chrome for a page of this instance.
    pub fn new(cfg: &Config, title: impl Into<String>) -> Chrome {
        Chrome {
            title: title.into(),
            instance: cfg.title.clone(),
        }
    }
}

/// The sign-in form.
#[derive(Template)]
#[template(path = "sign_in.html")]
pub struct SignInPage {
    pub chrome: Chrome,
    /// Name of the application the user is signing in for, if any.
    pub app_name: Option<String>,
    pub error: Option<String>,
    /// Pre-filled login (after a failed attempt).
    pub login: String,
    /// Where to go after signing in (a local `/oauth/authorize?…` path, or empty).
    pub return_to: String,
    /// Anti-CSRF token, also set as a cookie.
    pub csrf_token: String,
}

/// One requested permission on the consent page.
#[derive(Debug, Clone)]
pub struct ScopeLine {
    pub name: String,
    pub description: &'static str,
}

/// The consent page.
#[derive(Template)]
#[template(path = "authorize.html")]
pub struct AuthorizePage {
    pub chrome: Chrome,
    pub app_name: String,
    pub website: Option<String>,
    pub username: String,
    pub scopes: Vec<ScopeLine>,
    pub csrf_token: String,
    pub client_id: String,
    pub redirect_uri: String,
    /// Requested scopes, space-separated.
    pub scope: String,
    pub state: Option<String>,
    pub code_challenge: Option<String>,
    /// The same request with `force_login=true`.
    pub switch_url: String,
}

/// The out-of-band code display.
#[derive(Template)]
#[template(path = "oob.html")]
pub struct OobPage {
    pub chrome: Chrome,
    pub app_name: String,
    pub code: String,
}

/// The remote-interaction page for an account: who it is, and a Follow button (or where
/// the viewer stands with it).
#[derive(Template)]
#[template(path = "interaction.html")]
pub struct InteractionPage {
    pub chrome: Chrome,
    pub display_name: String,
    /// `user@domain` (or `user` for a local account).
    pub acct: String,
    /// The profile page (http(s) only).
    pub profile_url: Option<String>,
    /// Said instead of the button when following, requested or self.
    pub relationship: Option<String>,
    pub account_id: String,
    pub csrf_token: String,
    /// The signed-in viewer.
    pub username: String,
}

/// An informational or error page.
#[derive(Template)]
#[template(path = "message.html")]
pub struct MessagePage {
    pub chrome: Chrome,
    pub message: String,
    pub is_error: bool,
    /// Optional (href, text) link.
    pub link: Option<(String, String)>,
}

/// Renders a template with the page headers.
pub fn render<T: Template>(status: StatusCode, page: &T) -> Response {
    match page.render() {
        Ok(body) => with_page_headers((status, Html(body)).into_response()),
        Err(e) => {
            tracing::error!(error = %e, "template rendering failed");
            with_page_headers(
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    Html("<!DOCTYPE html><title>Error</title><p>An unexpected error occurred.</p>"),
                )
                    .into_response(),
            )
        }
    }
}

/// A message page.
pub fn message(
    cfg: &Config,
    status: StatusCode,
    title: &str,
    message: impl Into<String>,
) -> Response {
    message_page(cfg, status, title, message.into(), None)
}

/// A message page with a link (`(href, text)`).
pub fn message_with_link(
    cfg: &Config,
    status: StatusCode,
    title: &str,
    message: impl Into<String>,
    link: (String, String),
) -> Response {
    message_page(cfg, status, title, message.into(), Some(link))
}

/// The 403 page of a form whose anti-CSRF token does not match the session's.
pub fn form_expired(cfg: &Config, title: &str) -> Response {
    message(
        cfg,
        StatusCode::FORBIDDEN,
        title,
        "The form has expired or was not sent from this site. Go back, reload the page and try again.",
    )
}

fn message_page(
    cfg: &Config,
    status: StatusCode,
    title: &str,
    message: String,
    link: Option<(String, String)>,
) -> Response {
    render(
        status,
        &MessagePage {
            chrome: Chrome::new(cfg, title),
            message,
            is_error: status.is_client_error() || status.is_server_error(),
            link,
        },
    )
}

/// Headers for pages that carry secrets (CSRF tokens, codes) and must not be framed.
pub fn with_page_headers(mut resp: Response) -> Response {
    let h = resp.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    // No `form-action`: browsers apply it to the redirect that follows the consent form.
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; \
             frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    resp
}

/// What a scope lets an application do, for the consent page.
pub fn scope_description(scope: &str) -> &'static str {
    match scope {
        "read" => "Read all your account's data",
        "write" => "Modify all your account's data",
        "follow" => "Modify account relationships",
        "push" => "Receive your push notifications",
        "profile" => "Read only your account's profile information",
        "read:accounts" => "See accounts information",
        "read:blocks" => "See your blocks",
        "read:bookmarks" => "See your bookmarks",
        "read:favourites" => "See your favourites",
        "read:filters" => "See your filters",
        "read:follows" => "See your follows",
        "read:lists" => "See your lists",
        "read:mutes" => "See your mutes",
        "read:notifications" => "See your notifications",
        "read:search" => "Search on your behalf",
        "read:statuses" => "See all posts",
        "write:accounts" => "Modify your profile",
        "write:blocks" => "Block accounts and domains",
        "write:bookmarks" => "Bookmark posts",
        "write:conversations" => "Mute and delete conversations",
        "write:favourites" => "Favourite posts",
        "write:filters" => "Create filters",
        "write:follows" => "Follow people",
        "write:lists" => "Create lists",
        "write:media" => "Upload media files",
        "write:mutes" => "Mute people and conversations",
        "write:notifications" => "Clear your notifications",
        "write:reports" => "Report other people",
        "write:statuses" => "Publish posts",
        s if s.starts_with("admin:read") => "Read data for moderation and administration",
        s if s.starts_with("admin:write") => "Perform moderation and administration actions",
        _ => "Access your account",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_data_is_escaped() {
        let page = MessagePage {
            chrome: Chrome {
                title: "<t>".into(),
                instance: "W&W".into(),
            },
            message: "<script>alert(\"x\")</script>".into(),
            is_error: true,
            link: Some(("/a?b=\"c\"".into(), "<go>".into())),
        };
        let html = page.render().unwrap();
        assert!(!html.contains("<script>alert"));
        assert!(html.contains("&lt;script&gt;") || html.contains("&#60;script&#62;"));
        assert!(html.contains("W&#38;W") || html.contains("W&amp;W"));
        assert!(!html.contains("b=\"c\""));
        assert!(!html.contains("<go>"));
    }
}
