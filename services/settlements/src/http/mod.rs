//! The settlements service's HTTP API: the vendor's own balance, statements and bank
//! account (`vendor.rs`), and the admin's policies, closes, payouts, holds, adjustments
//! and liabilities (`admin.rs`).

pub mod admin;
pub mod vendor;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use platform::AppState;
use utoipa_axum::router::OpenApiRouter;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(vendor::router())
        .merge(admin::router())
}

/// A file download.
pub fn download(bytes: Vec<u8>, content_type: &str, filename: &str) -> Response {
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
