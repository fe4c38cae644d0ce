//! A file answer: the bytes, their type, and the name a browser saves them under.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// `bytes` as an attachment named `filename` (ASCII, so that every browser keeps it).
pub fn attachment(bytes: Vec<u8>, content_type: &str, filename: &str) -> Response {
    let mut res = (StatusCode::OK, bytes).into_response();
    let headers = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(content_type) {
        headers.insert(header::CONTENT_TYPE, v);
    }
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    res
}
