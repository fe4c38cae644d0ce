//! The admin's console: vendor applications to approve or reject, through the catalog
//! functions behind `/v1/admin/vendors`.

pub mod vendors;

use axum::Router;
use axum::routing::{get, post};
use platform::AppState;

/// The admin's sections, in menu order (the first is its home). Admins may also open the
/// marketer's console.
pub const NAV: &[(&str, &str)] = &[
    ("/console/admin", "입점 심사"),
    ("/console/marketer", "기획전"),
];

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(vendors::list))
        .route("/vendors/{id}", get(vendors::show))
        .route("/vendors/{id}/approve", post(vendors::approve))
        .route("/vendors/{id}/reject", post(vendors::reject))
}
