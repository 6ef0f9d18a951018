//! Responses of pre-rendered JSON (`service::hydrate::RawJson`): statuses, and the entities
//! that embed them, are written from cached renderings rather than serialised structs.

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

use crate::service::hydrate::RawJson;

impl IntoResponse for RawJson {
    fn into_response(self) -> Response {
        let mut resp = self.into_string().into_response();
        resp.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        resp
    }
}
