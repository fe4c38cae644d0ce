//! The settlements service's HTTP API: the vendor's own balance, statements and bank
//! account (`vendor.rs`), and the admin's policies, closes, payouts, holds, adjustments
//! and liabilities (`admin.rs`).

pub mod admin;
pub mod vendor;

use platform::AppState;
use utoipa_axum::router::OpenApiRouter;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(vendor::router())
        .merge(admin::router())
}

pub use platform::download::download;
