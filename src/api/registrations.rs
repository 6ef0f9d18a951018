//! Sign-up through the API: `POST /api/v1/accounts` (with an app token) and
//! `POST /api/v1/emails/confirmations` (resend the confirmation e-mail). The confirmation link
//! itself (`GET /auth/confirmation`) is a web page, see `crate::web::auth`.

use axum::extract::State;
use axum::routing::post;
use axum::{Extension, Json, Router};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::api::ClientIp;
use crate::api::auth::{Auth, parse_scopes};
use crate::api::oauth::Token;
use crate::api::params::{Params, flex};
use crate::config::Registrations;
use crate::db::{accounts, oauth as repo};
use crate::error::{AppError, AppResult, field_error};
use crate::jobs::{self, Job};
use crate::service::accounts::{
    CreateError, NewLocalAccount, ValidationError, prepare_local, validate_email,
    validate_password, validate_username,
};
use crate::service::oauth::issue_token;
use crate::state::AppState;
use crate::time::now_ms;

/// Longest sign-up reason (Mastodon's limit).
const MAX_REASON: usize = 420;

/// Routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/accounts", post(create))
        .route("/api/v1/emails/confirmations", post(resend_confirmation))
}

#[derive(Debug, Deserialize)]
struct SignUpParams {
    #[serde(default, deserialize_with = "flex::opt_string")]
    username: Option<String>,
    #[serde(default, deserialize_with = "flex::opt_string")]
    email: Option<String>,
    #[serde(default, deserialize_with = "flex::opt_string")]
    password: Option<String>,
    #[serde(default, deserialize_with = "flex::opt_string")]
    agreement: Option<String>,
    #[serde(default, deserialize_with = "flex::opt_string")]
    locale: Option<String>,
    #[serde(default, deserialize_with = "flex::opt_string")]
    reason: Option<String>,
}

/// Per-field validation errors, in the order Mastodon reports them.
#[derive(Debug, Default)]
struct FieldErrors(Vec<(&'static str, &'static str, String)>);

impl FieldErrors {
    fn add(&mut self, field: &'static str, code: &'static str, description: impl Into<String>) {
        if !self.0.iter().any(|(f, _, _)| *f == field) {
            self.0.push((field, code, description.into()));
        }
    }

    fn add_validation(&mut self, v: ValidationError) {
        self.add(v.field, v.code, v.description);
    }

    fn has(&self, field: &str) -> bool {
        self.0.iter().any(|(f, _, _)| *f == field)
    }

    /// The 422 answer: `Validation failed: Username …, Password …` plus `details`.
    fn into_error(mut self) -> AppError {
        const ORDER: [&str; 6] = [
            "username",
            "email",
            "password",
            "agreement",
            "locale",
            "reason",
        ];
        self.0
            .sort_by_key(|(f, _, _)| ORDER.iter().position(|o| o == f).unwrap_or(ORDER.len()));
        let messages: Vec<String> = self
            .0
            .iter()
            .map(|(field, _, description)| format!("{} {description}", humanize(field)))
            .collect();
        let mut details = Map::new();
        for (field, code, description) in self.0 {
            details.insert(field.to_owned(), field_error(code, &description));
        }
        AppError::Unprocessable {
            error: format!("Validation failed: {}", messages.join(", ")),
            details: Some(Value::Object(details)),
        }
    }
}

fn humanize(field: &str) -> String {
    let mut chars = field.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect::<String>(),
        None => String::new(),
    }
    .replace('_', " ")
}

/// Whether a form or JSON value means "yes" (`true`, `1`, `on`, `yes`).
fn truthy(v: Option<&str>) -> bool {
    matches!(
        v.map(|s| s.trim().to_ascii_lowercase()).as_deref(),
        Some("true" | "1" | "on" | "yes" | "t")
    )
}

/// A plausible BCP 47-ish locale tag: `en`, `pt-BR`, `zh_Hant`.
fn valid_locale(s: &str) -> bool {
    let mut parts = s.split(['-', '_']);
    let lang_ok = parts
        .next()
        .is_some_and(|l| (2..=3).contains(&l.len()) && l.bytes().all(|b| b.is_ascii_lowercase()));
    lang_ok
        && parts.all(|p| (2..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// `POST /api/v1/accounts`: creates an account and returns a user token for it.
async fn create(
    State(state): State<AppState>,
    Extension(ClientIp(ip)): Extension<ClientIp>,
    auth: Auth,
    Params(p): Params<SignUpParams>,
) -> AppResult<Token> {
    let token = auth.app(&["write:accounts"])?;
    let cfg = &state.config;
    if cfg.registrations == Registrations::Closed {
        return Err(AppError::Forbidden("This action is not allowed".into()));
    }
    let username = p.username.unwrap_or_default().trim().to_owned();
    let email = p.email.unwrap_or_default().trim().to_owned();
    let password = p.password.unwrap_or_default();
    let locale = p
        .locale
        .map(|l| l.trim().to_owned())
        .filter(|l| !l.is_empty());
    let reason = p
        .reason
        .map(|r| r.trim().to_owned())
        .filter(|r| !r.is_empty());

    let mut errors = FieldErrors::default();
    if let Err(e) = validate_username(&username) {
        errors.add_validation(e);
    }
    if let Err(e) = validate_email(&email) {
        errors.add_validation(e);
    }
    if let Err(e) = validate_password(&password) {
        errors.add_validation(e);
    }
    if !truthy(p.agreement.as_deref()) {
        errors.add("agreement", "ERR_ACCEPTED", "must be accepted");
    }
    if let Some(l) = &locale
        && !valid_locale(l)
    {
        errors.add("locale", "ERR_INCLUSION", "is not included in the list");
    }
    if reason
        .as_ref()
        .is_some_and(|r| r.chars().count() > MAX_REASON)
    {
        errors.add(
            "reason",
            "ERR_TOO_LONG",
            format!("is too long (maximum is {MAX_REASON} characters)"),
        );
    }
    let app_scopes = {
        let mut h = state.db.read().await?;
        if !errors.has("username")
            && accounts::find_by_username(h.conn(), &username, None)
                .await?
                .is_some()
        {
            errors.add("username", "ERR_TAKEN", "has already been taken");
        }
        if !errors.has("email") && accounts::email_taken(h.conn(), &email).await? {
            errors.add("email", "ERR_TAKEN", "has already been taken");
        }
        match token.application_id {
            Some(id) => repo::get_application(h.conn(), id)
                .await?
                .map(|a| parse_scopes(&a.scopes))
                .unwrap_or_else(|| token.scopes.clone()),
            None => token.scopes.clone(),
        }
    };
    if !errors.0.is_empty() {
        return Err(errors.into_error());
    }

    let confirmation_required = cfg.email_confirmation_required();
    let new = NewLocalAccount {
        username: username.clone(),
        email: email.clone(),
        password,
        role: "user".into(),
        confirmed: !confirmation_required,
        approved: cfg.registrations == Registrations::Open,
        locale: locale.unwrap_or_else(|| "en".into()),
        reason,
        sign_up_ip: Some(ip.to_string()),
    };
    // Validation, hashing and key generation first; then the account, its user (with the
    // confirmation token's digest) and the access token in one transaction.
    let create_failed = |e: CreateError| match e {
        CreateError::Invalid(v) => {
            let mut errors = FieldErrors::default();
            errors.add_validation(v);
            errors.into_error()
        }
        CreateError::Internal(e) => AppError::Internal(e),
    };
    let prepared = prepare_local(&state.db, cfg, new)
        .await
        .map_err(create_failed)?;
    let mut tx = state.db.begin().await?;
    let created = prepared.insert(tx.conn()).await.map_err(create_failed)?;
    let issued = issue_token(
        tx.conn(),
        token.application_id,
        Some(created.user_id),
        &app_scopes,
        now_ms(),
    )
    .await?;
    if created.confirmation_token.is_some() {
        jobs::enqueue(
            tx.conn(),
            &Job::SendConfirmation {
                user_id: created.user_id,
            },
            jobs::PRIORITY_LOCAL,
        )
        .await?;
    }
    tx.commit().await?;
    state.wake_workers();
    Ok(issued.into())
}

#[derive(Debug, Deserialize)]
struct ResendParams {
    #[serde(default, deserialize_with = "flex::opt_string")]
    email: Option<String>,
}

/// `POST /api/v1/emails/confirmations`: sends the confirmation e-mail again with a new link,
/// optionally to a corrected address. Only for users whose address is not confirmed yet.
async fn resend_confirmation(
    State(state): State<AppState>,
    auth: Auth,
    Params(p): Params<ResendParams>,
) -> AppResult<Json<Value>> {
    let token = auth.app(&["write:accounts"])?;
    let current = token
        .user
        .as_ref()
        .ok_or_else(|| AppError::unprocessable("This method requires an authenticated user"))?;
    if current.user.disabled || current.account.suspended_at.is_some() {
        return Err(AppError::Forbidden(
            "Your login is currently disabled".into(),
        ));
    }
    if current.user.confirmed_at.is_some() {
        return Err(AppError::Forbidden(
            "This method is only available while the e-mail is awaiting confirmation".into(),
        ));
    }
    let user_id = current.user.id;
    let mut email = current.user.email.clone();
    if let Some(new_email) = p
        .email
        .map(|e| e.trim().to_owned())
        .filter(|e| !e.is_empty())
        && !new_email.eq_ignore_ascii_case(&email)
    {
        let mut errors = FieldErrors::default();
        if let Err(e) = validate_email(&new_email) {
            errors.add_validation(e);
        } else {
            let mut h = state.db.read().await?;
            if accounts::email_taken(h.conn(), &new_email).await? {
                errors.add("email", "ERR_TAKEN", "has already been taken");
            }
        }
        if !errors.0.is_empty() {
            return Err(errors.into_error());
        }
        email = new_email;
    }
    let now = now_ms();
    let mut tx = state.db.begin().await?;
    if email != current.user.email {
        repo::set_unconfirmed_email(tx.conn(), user_id, &email, now)
            .await
            .map_err(|e| {
                if crate::db::is_unique_violation(&e) {
                    let mut errors = FieldErrors::default();
                    errors.add("email", "ERR_TAKEN", "has already been taken");
                    errors.into_error()
                } else {
                    e.into()
                }
            })?;
    }
    // Every request sends a fresh link (valid for the confirmation window); earlier links
    // stop working as soon as it is issued.
    jobs::enqueue(
        tx.conn(),
        &Job::SendConfirmation { user_id },
        jobs::PRIORITY_LOCAL,
    )
    .await?;
    tx.commit().await?;
    state.wake_workers();
    Ok(Json(json!({})))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helpers() {
        assert_eq!(humanize("username"), "Username");
        assert!(truthy(Some("true")) && truthy(Some("1")) && !truthy(Some("0")));
        assert!(!truthy(None));
        assert!(valid_locale("en") && valid_locale("pt-BR") && valid_locale("zh_Hant"));
        assert!(!valid_locale("x") && !valid_locale("EN") && !valid_locale("en-<b>"));
    }
}
