//! The promotions HTTP API: one file per audience.

pub mod marketing;
pub mod public;
pub mod vendor;
pub mod views;

use platform::AppState;
use utoipa_axum::router::OpenApiRouter;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(public::router())
        .merge(marketing::router())
        .merge(vendor::router())
}
