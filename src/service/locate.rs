//! Finding what someone names by URL or handle: an account or a status, on this server or on
//! another (fetched within the user's time budget, as search with `resolve` does). Used by
//! the remote-interaction page (`GET /authorize_interaction?uri=`), where other servers'
//! "follow" and "interact" buttons send their users.

use crate::config::Config;
use crate::db::accounts::{self, Account};
use crate::db::statuses::{self, Status};
use crate::federation::resolve::{self, Found};
use crate::state::AppState;

/// A URL of this server naming an account or a status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LocalUrl {
    /// `/@name` or `/users/name`.
    Account(String),
    /// `/@name/id` or `/users/name/statuses/id`.
    Status(i64),
}

/// What a URL of this server (`{WOOLLY_URL}/…`) names, if anything.
pub fn parse_local_url(cfg: &Config, q: &str) -> Option<LocalUrl> {
    let path = q.strip_prefix(cfg.url.as_str())?;
    let path = path.split(['?', '#']).next()?.trim_end_matches('/');
    let parts: Vec<&str> = path.split('/').skip(1).collect();
    match parts.as_slice() {
        [at] if at.starts_with('@') => Some(LocalUrl::Account(at[1..].to_owned())),
        ["users", name] => Some(LocalUrl::Account((*name).to_owned())),
        [at, id] if at.starts_with('@') => crate::id::parse(id).map(LocalUrl::Status),
        ["users", _, "statuses", id] => crate::id::parse(id).map(LocalUrl::Status),
        _ => None,
    }
}

/// What was found.
#[derive(Debug, Clone)]
pub enum Located {
    /// An account that may be shown (not suspended; local ones confirmed and approved).
    Account(Account),
    /// A status (whether the viewer may see it is for the caller to check).
    Status(Status),
}

/// Finds what `q` names: a URL (of this server, or fetched from its origin), or a handle
/// (`user`, `@user@domain`, `acct:user@domain`), remote ones resolved through WebFinger.
/// Remote work is bounded by `resolve::USER_BUDGET`; `None` when nothing acceptable is found.
pub async fn locate(state: &AppState, q: &str) -> Result<Option<Located>, sqlx::Error> {
    let q = q.trim();
    let q = q.strip_prefix("acct:").unwrap_or(q);
    if q.starts_with("https://") || q.starts_with("http://") {
        if let Some(local) = parse_local_url(&state.config, q) {
            return Ok(match local {
                LocalUrl::Account(name) => local_account(state, &name).await?.map(Located::Account),
                LocalUrl::Status(id) => {
                    let mut h = state.db.read().await?;
                    statuses::get(h.conn(), id).await?.map(Located::Status)
                }
            });
        }
        return Ok(match resolve::url_for_user(state, q).await {
            Some(Found::Account(a)) => shown(a).map(Located::Account),
            Some(Found::Status(s)) => Some(Located::Status(s)),
            None => None,
        });
    }
    let handle = q.trim_start_matches('@');
    match handle.split_once('@') {
        None => Ok(local_account(state, handle).await?.map(Located::Account)),
        Some((user, domain)) if domain.eq_ignore_ascii_case(&state.domain) => {
            Ok(local_account(state, user).await?.map(Located::Account))
        }
        Some(_) => {
            let Some((user, domain)) = resolve::parse_handle(handle) else {
                return Ok(None);
            };
            let known = {
                let mut h = state.db.read().await?;
                accounts::find_by_username(h.conn(), user, Some(domain)).await?
            };
            let account = match known {
                Some(a) => Some(a),
                None => resolve::handle_for_user(state, user, domain).await,
            };
            Ok(account.and_then(shown).map(Located::Account))
        }
    }
}

/// A remote account unless suspended.
fn shown(a: Account) -> Option<Account> {
    a.suspended_at.is_none().then_some(a)
}

/// The local account `name`, unless suspended or not yet confirmed or approved.
async fn local_account(state: &AppState, name: &str) -> Result<Option<Account>, sqlx::Error> {
    if name.is_empty() {
        return Ok(None);
    }
    let mut h = state.db.read().await?;
    match accounts::find_by_username(h.conn(), name, None).await? {
        Some(a) if a.suspended_at.is_none() && !accounts::is_unapproved(h.conn(), a.id).await? => {
            Ok(Some(a))
        }
        _ => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_urls_are_recognised() {
        let cfg = Config::default().validated().unwrap();
        let base = &cfg.url;
        assert!(matches!(
            parse_local_url(&cfg, &format!("{base}/@alice")),
            Some(LocalUrl::Account(n)) if n == "alice"
        ));
        assert!(matches!(
            parse_local_url(&cfg, &format!("{base}/users/alice/statuses/42")),
            Some(LocalUrl::Status(42))
        ));
        assert!(parse_local_url(&cfg, "https://elsewhere.example/@alice").is_none());
    }
}
