//! Bearer-token authentication and OAuth scope enforcement.
//!
//! [`Auth`] is extracted on every API request: an absent token is fine (public endpoints), an
//! invalid or revoked one is a 401 right away. Handlers then state what they need:
//! [`Auth::user`] (a user token with one of the scopes), [`Auth::app`] (any token with the
//! scope) or [`Auth::viewer`] (optional user, scope checked when a token is present).

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use crate::crypto::sha256_hex;
use crate::db::accounts::{Account, User};
use crate::db::oauth;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// Scopes granted by the deprecated `follow` scope.
const FOLLOW_SCOPES: &[&str] = &[
    "read:blocks",
    "write:blocks",
    "read:follows",
    "write:follows",
    "read:mutes",
    "write:mutes",
];

/// Every scope Woolly knows; requests for others are refused.
pub const KNOWN_SCOPES: &[&str] = &[
    "read",
    "write",
    "follow",
    "push",
    "profile",
    "read:accounts",
    "read:blocks",
    "read:bookmarks",
    "read:favourites",
    "read:filters",
    "read:follows",
    "read:lists",
    "read:mutes",
    "read:notifications",
    "read:search",
    "read:statuses",
    "write:accounts",
    "write:blocks",
    "write:bookmarks",
    "write:conversations",
    "write:favourites",
    "write:filters",
    "write:follows",
    "write:lists",
    "write:media",
    "write:mutes",
    "write:notifications",
    "write:reports",
    "write:statuses",
    "admin:read",
    "admin:write",
    "admin:read:accounts",
    "admin:read:reports",
    "admin:read:domain_allows",
    "admin:read:domain_blocks",
    "admin:read:ip_blocks",
    "admin:read:email_domain_blocks",
    "admin:read:canonical_email_blocks",
    "admin:write:accounts",
    "admin:write:reports",
    "admin:write:domain_allows",
    "admin:write:domain_blocks",
    "admin:write:ip_blocks",
    "admin:write:email_domain_blocks",
    "admin:write:canonical_email_blocks",
];

/// Whether a set of granted scopes satisfies `required` (hierarchy: `read` ⊃ `read:statuses`).
pub fn scope_allows(granted: &[String], required: &str) -> bool {
    granted.iter().any(|g| {
        g == required
            || (required.len() > g.len()
                && required.starts_with(g.as_str())
                && required.as_bytes()[g.len()] == b':')
            || (g == "follow" && FOLLOW_SCOPES.contains(&required))
    })
}

/// Parses a space- (or `+`-) separated scope string.
pub fn parse_scopes(s: &str) -> Vec<String> {
    s.split([' ', '+', ','])
        .filter(|p| !p.is_empty())
        .map(str::to_owned)
        .collect()
}

/// A local user with their account, behind a user token.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    /// The login.
    pub user: User,
    /// The profile.
    pub account: Account,
}

/// A valid access token.
#[derive(Debug, Clone)]
pub struct Token {
    /// Token row id.
    pub id: i64,
    /// The application it was issued to.
    pub application_id: Option<i64>,
    /// Granted scopes.
    pub scopes: Vec<String>,
    /// The user, for user tokens; `None` for app (client_credentials) tokens.
    pub user: Option<CurrentUser>,
}

/// The request's authentication, if any.
#[derive(Debug, Clone)]
pub struct Auth(pub Option<Token>);

impl Auth {
    fn check_scope(token: &Token, scopes: &[&str]) -> AppResult<()> {
        if scopes.is_empty() || scopes.iter().any(|s| scope_allows(&token.scopes, s)) {
            Ok(())
        } else {
            Err(AppError::missing_scope())
        }
    }

    fn check_user(user: &CurrentUser) -> AppResult<()> {
        if user.user.disabled || user.account.suspended_at.is_some() {
            return Err(AppError::Forbidden(
                "Your login is currently disabled".into(),
            ));
        }
        if user.user.confirmed_at.is_none() {
            return Err(AppError::Forbidden(
                "Your login is missing a confirmed e-mail address".into(),
            ));
        }
        if !user.user.approved {
            return Err(AppError::Forbidden(
                "Your login is currently pending approval".into(),
            ));
        }
        Ok(())
    }

    /// A user token carrying one of `scopes`: 401 without a token, 403 for a missing scope,
    /// 422 for an app token, 403 for an unconfirmed, unapproved or disabled login.
    pub fn user(&self, scopes: &[&str]) -> AppResult<&CurrentUser> {
        let token = self.0.as_ref().ok_or(AppError::Unauthorized)?;
        Self::check_scope(token, scopes)?;
        let user = token
            .user
            .as_ref()
            .ok_or_else(|| AppError::unprocessable("This method requires an authenticated user"))?;
        Self::check_user(user)?;
        Ok(user)
    }

    /// Any token (app or user) carrying one of `scopes`.
    pub fn app(&self, scopes: &[&str]) -> AppResult<&Token> {
        let token = self.0.as_ref().ok_or(AppError::Unauthorized)?;
        Self::check_scope(token, scopes)?;
        Ok(token)
    }

    /// The viewer on a public endpoint: `None` when anonymous or using an app token; when a
    /// token is present it must carry one of `scopes`.
    pub fn viewer(&self, scopes: &[&str]) -> AppResult<Option<&CurrentUser>> {
        let Some(token) = self.0.as_ref() else {
            return Ok(None);
        };
        Self::check_scope(token, scopes)?;
        match &token.user {
            Some(u) => {
                Self::check_user(u)?;
                Ok(Some(u))
            }
            None => Ok(None),
        }
    }

    /// The viewer's account id on a public endpoint (see [`Auth::viewer`]).
    pub fn viewer_id(&self, scopes: &[&str]) -> AppResult<Option<i64>> {
        Ok(self.viewer(scopes)?.map(|u| u.account.id))
    }
}

/// The bearer token of a request: `Authorization: Bearer …`, or the `access_token` query
/// parameter (still used by some clients and by WebSocket streaming).
pub fn bearer_token(parts: &Parts) -> Option<String> {
    bearer_token_from(&parts.headers, &parts.uri)
}

/// [`bearer_token`] from a header map and URI.
pub fn bearer_token_from(headers: &axum::http::HeaderMap, uri: &axum::http::Uri) -> Option<String> {
    if let Some(h) = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        let h = h.trim();
        if h.len() > 7 && h[..7].eq_ignore_ascii_case("bearer ") {
            return Some(h[7..].trim().to_owned());
        }
    }
    uri.query().and_then(|q| {
        form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k == "access_token")
            .map(|(_, v)| v.into_owned())
    })
}

/// Resolves a bearer token to its row, user and account; `None` if invalid or revoked.
/// A user token (the common case) costs one query; an application token a second one.
pub async fn resolve_token(state: &AppState, raw: &str) -> AppResult<Option<Token>> {
    let hash = sha256_hex(raw);
    let mut h = state.db.read().await?;
    if let Some(row) = oauth::find_user_token(h.conn(), &hash).await? {
        let user = row.user();
        return Ok(Some(Token {
            id: row.token_id,
            application_id: row.token_application_id,
            scopes: parse_scopes(&row.token_scopes),
            user: Some(CurrentUser {
                user,
                account: row.account,
            }),
        }));
    }
    match oauth::find_token(h.conn(), &hash).await? {
        // Application token (client_credentials): no user behind it.
        Some(row) if row.user_id.is_none() => Ok(Some(Token {
            id: row.id,
            application_id: row.application_id,
            scopes: parse_scopes(&row.scopes),
            user: None,
        })),
        // Unknown, revoked, or a user token whose user is gone.
        _ => Ok(None),
    }
}

impl FromRequestParts<AppState> for Auth {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if let Some(auth) = parts.extensions.get::<Auth>() {
            return Ok(auth.clone());
        }
        let auth = match bearer_token(parts) {
            None => Auth(None),
            Some(raw) => Auth(Some(
                resolve_token(state, &raw)
                    .await?
                    .ok_or(AppError::Unauthorized)?,
            )),
        };
        parts.extensions.insert(auth.clone());
        Ok(auth)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn scope_hierarchy() {
        assert!(scope_allows(&s(&["read"]), "read:statuses"));
        assert!(scope_allows(&s(&["read:statuses"]), "read:statuses"));
        assert!(!scope_allows(&s(&["read:statuses"]), "read"));
        assert!(!scope_allows(&s(&["read"]), "write:statuses"));
        assert!(!scope_allows(&s(&["read"]), "admin:read:accounts"));
        assert!(scope_allows(&s(&["admin:read"]), "admin:read:accounts"));
        assert!(scope_allows(&s(&["follow"]), "write:follows"));
        assert!(!scope_allows(&s(&["follow"]), "write:statuses"));
    }
}
