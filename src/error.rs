//! The one error type of the HTTP edge, rendered as Mastodon's error JSON:
//! `{"error": "...", "error_description"?: "..."}` with the status code carrying the meaning.

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// An error answered to an API client.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// 400: a parameter is missing or malformed.
    #[error("{0}")]
    BadRequest(String),
    /// 401: no token, or an invalid or revoked one.
    #[error("The access token is invalid")]
    Unauthorized,
    /// 401 with a specific message (e.g. unconfirmed e-mail address).
    #[error("{0}")]
    UnauthorizedWith(String),
    /// 403: the token lacks the scope, or the action is not allowed.
    #[error("{0}")]
    Forbidden(String),
    /// 404: the record does not exist or the caller may not see it.
    #[error("Record not found")]
    NotFound,
    /// 422: validation failed. `details` is the per-field object of `POST /api/v1/accounts`.
    #[error("{error}")]
    Unprocessable {
        error: String,
        details: Option<Value>,
    },
    /// 429: a rate limit was exceeded.
    #[error("Too many requests")]
    TooManyRequests,
    /// 503: a dependency is unavailable.
    #[error("{0}")]
    Unavailable(String),
    /// 500: a bug or an infrastructure failure; details are logged, not returned.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// Result alias for handlers and services.
pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    /// 422 with a plain message.
    pub fn unprocessable(msg: impl Into<String>) -> Self {
        AppError::Unprocessable {
            error: msg.into(),
            details: None,
        }
    }

    /// 403 for a token that lacks the endpoint's scope.
    pub fn missing_scope() -> Self {
        AppError::Forbidden("This action is outside the authorized scopes".into())
    }

    /// 400 for a required parameter that was not given.
    pub fn missing_param(name: &str) -> Self {
        AppError::BadRequest(format!("Missing required parameter: {name}"))
    }

    /// The HTTP status of this error.
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Unauthorized | AppError::UnauthorizedWith(_) => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Unprocessable { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        AppError::Internal(anyhow::Error::new(e).context("database error"))
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = self.status();
        let body = match &self {
            AppError::Internal(e) => {
                tracing::error!(error = ?e, "internal error");
                json!({ "error": "An unexpected error occurred" })
            }
            AppError::Unprocessable {
                error,
                details: Some(details),
            } => {
                json!({ "error": error, "details": details })
            }
            other => json!({ "error": other.to_string() }),
        };
        let mut resp = (status, axum::Json(body)).into_response();
        if status == StatusCode::UNAUTHORIZED {
            resp.headers_mut().insert(
                "www-authenticate",
                HeaderValue::from_static("Bearer realm=\"Doorkeeper\", error=\"invalid_token\""),
            );
        }
        resp
    }
}

/// `ERR_BLANK`-style validation details for one field, as `POST /api/v1/accounts` reports them.
pub fn field_error(code: &str, description: &str) -> Value {
    json!([{ "error": code, "description": description }])
}
