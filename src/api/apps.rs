//! Client applications: `POST /api/v1/apps` (registration) and
//! `GET /api/v1/apps/verify_credentials`.

use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use crate::api::auth::{Auth, parse_scopes};
use crate::api::params::{Params, flex};
use crate::crypto::{random_token, sha256_hex};
use crate::db::oauth::{self as repo, Application as AppRow};
use crate::error::{AppError, AppResult};
use crate::id::next_id;
use crate::service::oauth::{check_redirect_uri, dedup, is_known_scope};
use crate::state::AppState;
use crate::time::now_ms;

/// Longest application name (Mastodon's limit).
const MAX_NAME: usize = 60;
/// Longest redirect URI list and website (Mastodon's limit).
const MAX_URI_LENGTH: usize = 2000;

/// Routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/apps", post(create))
        .route("/api/v1/apps/verify_credentials", get(verify_credentials))
}

/// `Application`: what any token may learn about its application.
#[derive(Debug, Clone, Serialize)]
pub struct Application {
    pub id: String,
    pub name: String,
    pub website: Option<String>,
    pub scopes: Vec<String>,
    /// Deprecated: the registered URIs joined by newlines.
    pub redirect_uri: String,
    pub redirect_uris: Vec<String>,
    /// Deprecated since Mastodon 4.3; Woolly has no Web Push key yet, so this is empty.
    pub vapid_key: String,
}

impl Application {
    /// The entity for a stored application.
    pub fn from_row(app: &AppRow) -> Application {
        let uris = app.redirect_uri_list();
        Application {
            id: app.id.to_string(),
            name: app.name.clone(),
            website: app.website.clone(),
            scopes: parse_scopes(&app.scopes),
            redirect_uri: uris.join("\n"),
            redirect_uris: uris,
            vapid_key: String::new(),
        }
    }
}

/// `CredentialApplication`: the registration response, with the client credentials.
#[derive(Debug, Clone, Serialize)]
pub struct CredentialApplication {
    #[serde(flatten)]
    pub application: Application,
    pub client_id: String,
    pub client_secret: String,
    /// Always 0: client secrets do not expire.
    pub client_secret_expires_at: i64,
}

#[derive(Debug, Deserialize)]
struct CreateParams {
    #[serde(default, deserialize_with = "flex::opt_string")]
    client_name: Option<String>,
    #[serde(default, deserialize_with = "flex::vec_string")]
    redirect_uris: Vec<String>,
    /// Some old clients send the singular form.
    #[serde(default, deserialize_with = "flex::vec_string")]
    redirect_uri: Vec<String>,
    #[serde(default, deserialize_with = "flex::vec_string")]
    scopes: Vec<String>,
    #[serde(default, deserialize_with = "flex::opt_string")]
    website: Option<String>,
}

/// A validated registration.
struct NewApp {
    name: String,
    website: Option<String>,
    redirect_uris: Vec<String>,
    scopes: Vec<String>,
}

/// Validates registration parameters; errors come back as Mastodon's full messages.
fn validate(p: CreateParams) -> Result<NewApp, Vec<String>> {
    let mut errors = Vec::new();
    let name = p.client_name.unwrap_or_default().trim().to_owned();
    if name.is_empty() {
        errors.push("Name can't be blank".to_owned());
    } else if name.chars().count() > MAX_NAME {
        errors.push(format!(
            "Name is too long (maximum is {MAX_NAME} characters)"
        ));
    }
    let raw_uris = if p.redirect_uris.is_empty() {
        p.redirect_uri
    } else {
        p.redirect_uris
    };
    let redirect_uris = dedup(
        raw_uris
            .iter()
            .flat_map(|s| s.split_whitespace())
            .map(str::to_owned)
            .collect(),
    );
    if redirect_uris.is_empty() {
        errors.push("Redirect URI can't be blank".to_owned());
    } else if redirect_uris.iter().map(|u| u.len() + 1).sum::<usize>() > MAX_URI_LENGTH {
        errors.push(format!(
            "Redirect URI is too long (maximum is {MAX_URI_LENGTH} characters)"
        ));
    } else if let Some(msg) = redirect_uris
        .iter()
        .find_map(|u| check_redirect_uri(u).err())
    {
        errors.push(format!("Redirect URI {msg}"));
    }
    let mut scopes = dedup(p.scopes.iter().flat_map(|s| parse_scopes(s)).collect());
    if scopes.is_empty() {
        scopes.push("read".to_owned());
    }
    if !scopes.iter().all(|s| is_known_scope(s)) {
        errors.push("Scopes doesn't match configured on the server.".to_owned());
    }
    let website = p
        .website
        .map(|w| w.trim().to_owned())
        .filter(|w| !w.is_empty());
    if let Some(w) = &website {
        let ok = w.len() <= MAX_URI_LENGTH
            && url::Url::parse(w)
                .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some());
        if !ok {
            errors.push("Website is not a valid URL".to_owned());
        }
    }
    if errors.is_empty() {
        Ok(NewApp {
            name,
            website,
            redirect_uris,
            scopes,
        })
    } else {
        Err(errors)
    }
}

/// `POST /api/v1/apps`: registers a client application. Public.
async fn create(
    State(state): State<AppState>,
    Params(p): Params<CreateParams>,
) -> AppResult<Json<CredentialApplication>> {
    let new = validate(p).map_err(|errors| {
        AppError::unprocessable(format!("Validation failed: {}", errors.join(", ")))
    })?;
    let client_id = random_token(32);
    let client_secret = random_token(32);
    let row = AppRow {
        id: next_id(),
        name: new.name,
        website: new.website,
        redirect_uris: new.redirect_uris.join("\n"),
        scopes: new.scopes.join(" "),
        client_id: client_id.clone(),
        client_secret_hash: sha256_hex(&client_secret),
        created_at: now_ms(),
    };
    let mut tx = state.db.begin().await?;
    repo::insert_application(tx.conn(), &row).await?;
    tx.commit().await?;
    Ok(Json(CredentialApplication {
        application: Application::from_row(&row),
        client_id,
        client_secret,
        client_secret_expires_at: 0,
    }))
}

/// `GET /api/v1/apps/verify_credentials`: the application of any valid token.
async fn verify_credentials(
    State(state): State<AppState>,
    auth: Auth,
) -> AppResult<Json<Application>> {
    let token = auth.app(&[])?;
    let app_id = token.application_id.ok_or(AppError::Unauthorized)?;
    let mut h = state.db.read().await?;
    let app = repo::get_application(h.conn(), app_id)
        .await?
        .ok_or(AppError::Unauthorized)?;
    Ok(Json(Application::from_row(&app)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(name: &str, uris: &[&str], scopes: &str) -> CreateParams {
        CreateParams {
            client_name: Some(name.into()),
            redirect_uris: uris.iter().map(|s| s.to_string()).collect(),
            redirect_uri: Vec::new(),
            scopes: vec![scopes.into()],
            website: None,
        }
    }

    #[test]
    fn redirect_uris_split_on_whitespace() {
        let app = validate(params(
            "x",
            &["https://a.example/cb\nurn:ietf:wg:oauth:2.0:oob"],
            "read write",
        ))
        .ok()
        .unwrap();
        assert_eq!(
            app.redirect_uris,
            vec!["https://a.example/cb", "urn:ietf:wg:oauth:2.0:oob"]
        );
        assert_eq!(app.scopes, vec!["read", "write"]);
    }

    #[test]
    fn all_errors_are_reported() {
        let errors = validate(params("", &[], "read bogus")).err().unwrap();
        assert_eq!(
            errors,
            vec![
                "Name can't be blank",
                "Redirect URI can't be blank",
                "Scopes doesn't match configured on the server."
            ]
        );
        let errors = validate(params("x", &["/cb"], "read")).err().unwrap();
        assert_eq!(errors, vec!["Redirect URI must be an absolute URI."]);
    }
}
