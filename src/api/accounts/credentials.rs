//! `GET /api/v1/accounts/verify_credentials` and `PATCH /api/v1/accounts/update_credentials`.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use serde_json::Value;

use crate::api::auth::Auth;
use crate::api::entities::{AccountSource, CredentialAccount, Field, Role};
use crate::api::params::{Params, ParamsWithFiles, flex};
use crate::db::accounts::{self, Account, User};
use crate::db::{Conn, follows};
use crate::error::{AppError, AppResult};
use crate::service::hydrate;
use crate::service::profile::{self, ProfileChanges};
use crate::state::AppState;

/// The `role` of a CredentialAccount, with Mastodon's default role ids and permission
/// bitmasks (`config/roles.yml`: Moderator is created first, then Admin).
pub fn role(name: &str) -> Role {
    let (id, display, permissions, highlighted) = match name {
        "admin" => ("2", "Admin", 2_097_148_u64, true),
        "moderator" => ("1", "Moderator", 1_115_420_u64, true),
        // The built-in "everyone" role.
        _ => ("-99", "", 0_u64, false),
    };
    Role {
        id: id.into(),
        name: display.into(),
        permissions: permissions.to_string(),
        color: String::new(),
        highlighted,
        collection_limit: 0,
    }
}

/// Builds the CredentialAccount of `account` owned by `user`.
async fn credential_account(
    c: Conn<'_>,
    state: &AppState,
    account: &Account,
    user: &User,
) -> AppResult<CredentialAccount> {
    let follow_requests_count = follows::count_requests_to(c, account.id).await?;
    let entity = hydrate::account(&state.config, account);
    let source_fields = hydrate::stored_fields(&account.fields)
        .into_iter()
        .map(|f| Field {
            name: f.name,
            value: f.value_source,
            verified_at: f.verified_at,
        })
        .collect();
    Ok(CredentialAccount {
        account: entity,
        source: AccountSource {
            privacy: user.default_privacy.clone(),
            sensitive: user.default_sensitive,
            language: user.default_language.clone(),
            note: account.note_source.clone(),
            fields: source_fields,
            follow_requests_count,
            hide_collections: Some(account.hide_collections),
            discoverable: Some(account.discoverable),
            indexable: account.indexable,
            attribution_domains: Vec::new(),
            quote_policy: "public".into(),
        },
        role: role(&user.role),
    })
}

/// Loads the current account and user afresh and renders them.
async fn current(state: &AppState, account_id: i64, user_id: i64) -> AppResult<CredentialAccount> {
    let mut h = state.db.read().await?;
    let account = accounts::get(h.conn(), account_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let user = accounts::get_user(h.conn(), user_id)
        .await?
        .ok_or(AppError::NotFound)?;
    credential_account(h.conn(), state, &account, &user).await
}

/// Parameters of verify_credentials.
#[derive(Debug, Deserialize)]
pub struct VerifyParams {
    #[serde(default, deserialize_with = "flex::bool")]
    allow_nonfunctional: bool,
}

/// `GET /api/v1/accounts/verify_credentials`. With `allow_nonfunctional=true` (as recent
/// Mastodon versions accept) a user whose e-mail address is not confirmed or who awaits
/// approval still gets their own account (which others cannot see yet), so that apps can
/// explain the state; a disabled or suspended login is still refused.
pub async fn verify_credentials(
    State(state): State<AppState>,
    auth: Auth,
    Params(p): Params<VerifyParams>,
) -> AppResult<Json<CredentialAccount>> {
    const SCOPES: [&str; 2] = ["profile", "read:accounts"];
    let me = if p.allow_nonfunctional {
        let me =
            auth.app(&SCOPES)?.user.as_ref().ok_or_else(|| {
                AppError::unprocessable("This method requires an authenticated user")
            })?;
        if me.user.disabled || me.account.suspended_at.is_some() {
            return Err(AppError::Forbidden(
                "Your login is currently disabled".into(),
            ));
        }
        me
    } else {
        auth.user(&SCOPES)?
    };
    // The rows the token was resolved with are this request's own reads: no need to load
    // them again.
    let mut h = state.db.read().await?;
    Ok(Json(
        credential_account(h.conn(), &state, &me.account, &me.user).await?,
    ))
}

/// One `fields_attributes` entry.
#[derive(Debug, Deserialize)]
struct FieldParam {
    #[serde(default, deserialize_with = "flex::opt_string")]
    name: Option<String>,
    #[serde(default, deserialize_with = "flex::opt_string")]
    value: Option<String>,
}

/// `source[…]` of update_credentials.
#[derive(Debug, Default, Deserialize)]
struct SourceParams {
    #[serde(default, deserialize_with = "flex::opt_string")]
    privacy: Option<String>,
    #[serde(default, deserialize_with = "flex::opt_bool")]
    sensitive: Option<bool>,
    /// Absent: unchanged; empty string or null: cleared.
    #[serde(default)]
    language: Option<Value>,
}

/// Parameters of update_credentials.
#[derive(Debug, Default, Deserialize)]
pub struct UpdateParams {
    #[serde(default, deserialize_with = "flex::opt_string")]
    display_name: Option<String>,
    #[serde(default, deserialize_with = "flex::opt_string")]
    note: Option<String>,
    #[serde(default, deserialize_with = "flex::vec_indexed")]
    fields_attributes: Option<Vec<FieldParam>>,
    #[serde(default, deserialize_with = "flex::opt_bool")]
    locked: Option<bool>,
    #[serde(default, deserialize_with = "flex::opt_bool")]
    bot: Option<bool>,
    #[serde(default, deserialize_with = "flex::opt_bool")]
    discoverable: Option<bool>,
    #[serde(default, deserialize_with = "flex::opt_bool")]
    indexable: Option<bool>,
    #[serde(default, deserialize_with = "flex::opt_bool")]
    hide_collections: Option<bool>,
    #[serde(default)]
    source: Option<SourceParams>,
    /// An image sent as a string (a data URI) rather than a file part.
    #[serde(default, deserialize_with = "flex::opt_string")]
    avatar: Option<String>,
    #[serde(default, deserialize_with = "flex::opt_string")]
    header: Option<String>,
}

fn language_change(v: Option<Value>) -> AppResult<Option<Option<String>>> {
    match v {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(None)),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(Some(None)),
        Some(Value::String(s)) => Ok(Some(Some(s.trim().to_ascii_lowercase()))),
        Some(other) => Err(AppError::BadRequest(format!(
            "Invalid parameters: source[language] must be a string, got {other}"
        ))),
    }
}

/// An image given as `data:<type>;base64,<data>` (Paperclip's data-URI adapter); blank or
/// absent is no image.
fn data_uri(v: Option<&str>) -> AppResult<Option<(bytes::Bytes, Option<String>)>> {
    use base64::Engine;
    let Some(v) = v.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    let bad = || AppError::unprocessable("Validation failed: File content type is invalid");
    let rest = v.strip_prefix("data:").ok_or_else(bad)?;
    let (head, data) = rest.split_once(',').ok_or_else(bad)?;
    let ctype = head.strip_suffix(";base64").ok_or_else(bad)?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(data.trim())
        .map_err(|_| bad())?;
    Ok(Some((bytes.into(), Some(ctype.to_owned()))))
}

/// `PATCH /api/v1/accounts/update_credentials` (JSON, form or multipart).
pub async fn update_credentials(
    State(state): State<AppState>,
    auth: Auth,
    form: ParamsWithFiles<UpdateParams>,
) -> AppResult<Json<CredentialAccount>> {
    let me = auth.user(&["write:accounts"])?;
    let p = form.params;
    let mut images = (None, None);
    for f in form.files {
        match f.field.as_str() {
            "avatar" => images.0 = Some((f.data, f.content_type)),
            "header" => images.1 = Some((f.data, f.content_type)),
            _ => {}
        }
    }
    // Some clients send the image as a `data:` URI in a text field.
    if images.0.is_none() {
        images.0 = data_uri(p.avatar.as_deref())?;
    }
    if images.1.is_none() {
        images.1 = data_uri(p.header.as_deref())?;
    }
    let source = p.source.unwrap_or_default();
    let changes = ProfileChanges {
        display_name: p.display_name,
        note: p.note,
        fields: p.fields_attributes.map(|fs| {
            fs.into_iter()
                .map(|f| (f.name.unwrap_or_default(), f.value.unwrap_or_default()))
                .collect()
        }),
        locked: p.locked,
        bot: p.bot,
        discoverable: p.discoverable,
        indexable: p.indexable,
        hide_collections: p.hide_collections,
        privacy: source.privacy.map(|s| s.trim().to_ascii_lowercase()),
        sensitive: source.sensitive,
        language: language_change(source.language)?,
        avatar: images.0,
        header: images.1,
    };
    profile::update(&state, me.account.id, me.user.id, changes).await?;
    Ok(Json(current(&state, me.account.id, me.user.id).await?))
}
