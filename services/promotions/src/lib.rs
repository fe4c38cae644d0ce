//! The promotions service: campaigns (기획전), discounts, coupons, time deals and the
//! pricing engine that every quote goes through.

pub mod pricing;

use platform::AppState;
use utoipa_axum::router::OpenApiRouter;

/// The API routes of this service, with their OpenAPI description.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
}
