//! The orders service: carts, checkout, orders and vendor fulfilment, payments.

pub mod attribution;
pub mod buyer;
pub mod carts;
pub mod checkout;
pub mod context;
pub mod demo_history;
pub mod error;
pub mod fulfilment;
pub mod generator;
pub mod history;
pub mod http;
pub mod invoices;
pub mod jobs;
pub mod lifecycle;
pub mod org_checkout;
pub mod payments;
pub mod public_purchases;
pub mod quotations;
pub mod quoting;
pub mod remote_areas;
pub mod returns;
pub mod sales_facts;
pub mod settlement_facts;
pub mod states;
pub mod tax_invoices;
pub mod views;

use platform::AppState;
use utoipa_axum::router::OpenApiRouter;

/// The API routes of this service, with their OpenAPI description.
pub fn router(ctx: context::OrdersContext) -> OpenApiRouter<AppState> {
    http::router(ctx)
}
