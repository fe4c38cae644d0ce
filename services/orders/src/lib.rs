//! The orders service: carts, checkout, orders and vendor fulfilment, payments.

pub mod carts;
pub mod checkout;
pub mod context;
pub mod demo_history;
pub mod error;
pub mod fulfilment;
pub mod history;
pub mod http;
pub mod jobs;
pub mod lifecycle;
pub mod payments;
pub mod quoting;
pub mod remote_areas;
pub mod returns;
pub mod settlement_facts;
pub mod states;
pub mod views;

use platform::AppState;
use utoipa_axum::router::OpenApiRouter;

/// The API routes of this service, with their OpenAPI description.
pub fn router(ctx: context::OrdersContext) -> OpenApiRouter<AppState> {
    http::router(ctx)
}
