//! The catalog's HTTP API: one file per audience.

pub mod admin;
pub mod storefront;
pub mod vendor_console;
pub mod views;

use platform::AppState;
use utoipa_axum::router::OpenApiRouter;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(storefront::router())
        .merge(vendor_console::router())
        .merge(admin::router())
}
