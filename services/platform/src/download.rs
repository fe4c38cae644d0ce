//! A file answered for download (statements, reports, quotations): the bytes, their type
//! and the name the browser saves them under.

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

/// How a report or statement is answered: JSON, or a download.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    #[default]
    Json,
    Csv,
    Xlsx,
}

/// The MIME type of an XLSX workbook.
pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
/// The MIME type of CSV text.
pub const CSV: &str = "text/csv; charset=utf-8";
