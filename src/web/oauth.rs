//! `GET /oauth/authorize` (sign-in form or consent page) and `POST /oauth/authorize` (the
//! user's decision). Requests naming an unknown client, an unregistered redirect URI, an
//! unsupported response type or scopes the application may not ask for get an HTML error
//! page: the browser is never sent to a URI the application did not register.

use std::collections::HashMap;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::pages::{self, AuthorizePage, Chrome, OobPage, ScopeLine, SignInPage};
use super::session::{self, SignedIn};
use super::{WebError, form_pairs};
use crate::crypto::{random_token, sha256_hex};
use crate::db::oauth::{self as repo, Application, AuthorizationCode};
use crate::service::oauth::{
    CODE_TTL_MS, OOB_REDIRECT_URI, redirect_with, requested_scopes, valid_code_challenge,
};
use crate::state::AppState;
use crate::time::now_ms;

/// Routes of the authorization pages.
pub fn routes() -> Router<AppState> {
    Router::new().route("/oauth/authorize", get(show).post(decide))
}

/// The parameters of an authorization request, as sent (query string or form).
#[derive(Debug, Clone, Default)]
pub struct AuthorizeRequest {
    response_type: Option<String>,
    client_id: Option<String>,
    redirect_uri: Option<String>,
    scope: Option<String>,
    state: Option<String>,
    code_challenge: Option<String>,
    code_challenge_method: Option<String>,
    force_login: bool,
}

impl AuthorizeRequest {
    fn from_pairs(p: &HashMap<String, String>) -> AuthorizeRequest {
        let get = |k: &str| p.get(k).cloned().filter(|v| !v.is_empty());
        AuthorizeRequest {
            response_type: get("response_type"),
            client_id: get("client_id"),
            redirect_uri: get("redirect_uri"),
            // Some clients send the registration parameter's name here.
            scope: get("scope").or_else(|| get("scopes")),
            state: get("state"),
            code_challenge: get("code_challenge"),
            code_challenge_method: get("code_challenge_method"),
            force_login: matches!(
                get("force_login")
                    .map(|v| v.to_ascii_lowercase())
                    .as_deref(),
                Some("true" | "1" | "on" | "yes")
            ),
        }
    }

    /// The `GET /oauth/authorize` URL of this request (`force_login` as given).
    fn url(&self, force_login: bool) -> String {
        let mut q = form_urlencoded::Serializer::new(String::new());
        let fields = [
            ("response_type", &self.response_type),
            ("client_id", &self.client_id),
            ("redirect_uri", &self.redirect_uri),
            ("scope", &self.scope),
            ("state", &self.state),
            ("code_challenge", &self.code_challenge),
            ("code_challenge_method", &self.code_challenge_method),
        ];
        for (k, v) in fields {
            if let Some(v) = v {
                q.append_pair(k, v);
            }
        }
        if force_login {
            q.append_pair("force_login", "true");
        }
        format!("/oauth/authorize?{}", q.finish())
    }
}

/// A request that passed every check.
struct ValidRequest {
    app: Application,
    redirect_uri: String,
    scopes: Vec<String>,
    state: Option<String>,
    code_challenge: Option<String>,
}

/// Checks an authorization request; `Err` is the HTML error page to show.
async fn validate(state: &AppState, req: &AuthorizeRequest) -> Result<ValidRequest, Response> {
    let cfg = &state.config;
    let fail =
        |msg: String| pages::message(cfg, StatusCode::BAD_REQUEST, "Authorization failed", msg);
    let Some(client_id) = &req.client_id else {
        return Err(fail(
            "The request is missing the client_id parameter.".into(),
        ));
    };
    let app = {
        let mut h = state
            .db
            .read()
            .await
            .map_err(|e| WebError::from(e).into_response())?;
        repo::find_application_by_client_id(h.conn(), client_id)
            .await
            .map_err(|e| WebError::from(e).into_response())?
    };
    let Some(app) = app else {
        return Err(fail(
            "Client authentication failed: the application is unknown.".into(),
        ));
    };
    let registered = app.redirect_uri_list();
    let redirect_uri = match &req.redirect_uri {
        Some(uri) if registered.iter().any(|r| r == uri) => uri.clone(),
        Some(_) => {
            return Err(fail(
                "The redirect URI is not one the application registered.".into(),
            ));
        }
        None if registered.len() == 1 => registered[0].clone(),
        None => {
            return Err(fail(
                "The request is missing the redirect_uri parameter.".into(),
            ));
        }
    };
    if req.response_type.as_deref() != Some("code") {
        return Err(fail(
            "The authorization server does not support this response type (only \"code\" is supported)."
                .into(),
        ));
    }
    let scopes = requested_scopes(req.scope.as_deref(), &app.scopes).map_err(|e| {
        fail(format!(
            "The requested scope is invalid, unknown, or malformed. {e}"
        ))
    })?;
    let code_challenge = match (&req.code_challenge, req.code_challenge_method.as_deref()) {
        (None, _) => None,
        (Some(c), Some("S256")) if valid_code_challenge(c) => Some(c.clone()),
        (Some(_), Some("S256")) => {
            return Err(fail(
                "The code challenge must be 43 characters of base64url (SHA-256).".into(),
            ));
        }
        (Some(_), _) => {
            return Err(fail(
                "The code challenge method must be S256 (the only one supported).".into(),
            ));
        }
    };
    Ok(ValidRequest {
        app,
        redirect_uri,
        scopes,
        state: req.state.clone(),
        code_challenge,
    })
}

/// The sign-in form, returning to `return_to` afterwards.
pub fn sign_in_form(
    state: &AppState,
    headers: &HeaderMap,
    status: StatusCode,
    app_name: Option<String>,
    return_to: String,
    error: Option<String>,
    login: String,
) -> Response {
    let cfg = &state.config;
    let (csrf_token, set) = session::login_csrf(cfg, headers);
    let mut resp = pages::render(
        status,
        &SignInPage {
            chrome: Chrome::new(cfg, "Sign in"),
            app_name,
            error,
            login,
            return_to,
            csrf_token,
        },
    );
    if let Some(set) = set {
        resp.headers_mut().append(header::SET_COOKIE, set);
    }
    resp
}

fn consent_page(
    state: &AppState,
    req: &AuthorizeRequest,
    v: &ValidRequest,
    s: &SignedIn,
) -> Response {
    pages::render(
        StatusCode::OK,
        &AuthorizePage {
            chrome: Chrome::new(&state.config, "Authorization required"),
            app_name: v.app.name.clone(),
            website: v.app.website.clone(),
            username: s.account.username.clone(),
            scopes: v
                .scopes
                .iter()
                .map(|name| ScopeLine {
                    name: name.clone(),
                    description: pages::scope_description(name),
                })
                .collect(),
            csrf_token: s.session.csrf_token.clone(),
            client_id: v.app.client_id.clone(),
            redirect_uri: v.redirect_uri.clone(),
            scope: v.scopes.join(" "),
            state: v.state.clone(),
            code_challenge: v.code_challenge.clone(),
            switch_url: req.url(true),
        },
    )
}

/// `GET /oauth/authorize`.
async fn show(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response, WebError> {
    let req = AuthorizeRequest::from_pairs(&form_pairs(query.unwrap_or_default().as_bytes()));
    let valid = match validate(&state, &req).await {
        Ok(v) => v,
        Err(page) => return Ok(page),
    };
    let signed_in = if req.force_login {
        None
    } else {
        session::current(&state, &headers).await?
    };
    Ok(match signed_in {
        Some(s) => consent_page(&state, &req, &valid, &s),
        None => sign_in_form(
            &state,
            &headers,
            StatusCode::OK,
            Some(valid.app.name),
            req.url(false),
            None,
            String::new(),
        ),
    })
}

/// `POST /oauth/authorize`: the user authorized (`decision=approve`) or denied the request.
async fn decide(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, WebError> {
    let cfg = &state.config;
    let form = form_pairs(&body);
    let req = AuthorizeRequest::from_pairs(&form);
    let valid = match validate(&state, &req).await {
        Ok(v) => v,
        Err(page) => return Ok(page),
    };
    let Some(signed_in) = session::current(&state, &headers).await? else {
        return Ok(sign_in_form(
            &state,
            &headers,
            StatusCode::UNAUTHORIZED,
            Some(valid.app.name),
            req.url(false),
            Some("Your session has expired. Please sign in again.".into()),
            String::new(),
        ));
    };
    let submitted = form
        .get("authenticity_token")
        .map(String::as_str)
        .unwrap_or("");
    if !signed_in.csrf_matches(submitted) {
        return Ok(pages::form_expired(cfg, "Authorization failed"));
    }
    let is_oob = valid.redirect_uri == OOB_REDIRECT_URI;
    if form.get("decision").map(String::as_str) != Some("approve") {
        if is_oob {
            return Ok(pages::message(
                cfg,
                StatusCode::OK,
                "Authorization denied",
                format!("You denied {} access to your account.", valid.app.name),
            ));
        }
        let mut params = vec![
            ("error", "access_denied"),
            (
                "error_description",
                "The resource owner or authorization server denied the request.",
            ),
        ];
        if let Some(s) = &valid.state {
            params.push(("state", s));
        }
        return Ok(redirect(&valid.redirect_uri, &params));
    }
    let code = random_token(32);
    let now = now_ms();
    let row = AuthorizationCode {
        code_hash: sha256_hex(&code),
        application_id: valid.app.id,
        user_id: signed_in.user.id,
        redirect_uri: valid.redirect_uri.clone(),
        scopes: valid.scopes.join(" "),
        code_challenge_method: valid.code_challenge.as_ref().map(|_| "S256".to_owned()),
        code_challenge: valid.code_challenge.clone(),
        expires_at: now + CODE_TTL_MS,
        created_at: now,
    };
    let mut tx = state.db.begin().await?;
    repo::delete_expired_codes(tx.conn(), now).await?;
    repo::insert_code(tx.conn(), &row).await?;
    tx.commit().await?;
    if is_oob {
        return Ok(pages::render(
            StatusCode::OK,
            &OobPage {
                chrome: Chrome::new(cfg, "Authorization code"),
                app_name: valid.app.name,
                code,
            },
        ));
    }
    let mut params = vec![("code", code.as_str())];
    if let Some(s) = &valid.state {
        params.push(("state", s));
    }
    Ok(redirect(&valid.redirect_uri, &params))
}

/// 302 to a registered redirect URI with `params` added.
fn redirect(redirect_uri: &str, params: &[(&str, &str)]) -> Response {
    let location = redirect_with(redirect_uri, params).and_then(|l| HeaderValue::from_str(&l).ok());
    match location {
        Some(l) => {
            pages::with_page_headers((StatusCode::FOUND, [(header::LOCATION, l)]).into_response())
        }
        None => WebError::from(anyhow::anyhow!(
            "registered redirect URI {redirect_uri:?} cannot be redirected to"
        ))
        .into_response(),
    }
}
