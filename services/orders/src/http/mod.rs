//! The orders service's HTTP API.

pub mod cart_owner;
pub mod carts;
pub mod checkout;
pub mod customer;
pub mod organisation;
pub mod payments;
pub mod public_purchases;
pub mod toss;
pub mod vendor;
pub mod vendor_organisations;

use crate::context::OrdersContext;
use axum::Extension;
use platform::AppState;
use utoipa_axum::router::OpenApiRouter;

pub fn router(ctx: OrdersContext) -> OpenApiRouter<AppState> {
    let test_gateway = ctx.gateway.name() == "test";
    let mut r = OpenApiRouter::new()
        .merge(carts::router())
        .merge(checkout::router())
        .merge(customer::router())
        .merge(vendor::router())
        .merge(organisation::router())
        .merge(vendor_organisations::router())
        .merge(public_purchases::router())
        .merge(payments::router())
        .merge(toss::router());
    // Paying by API call exists only while the test gateway is active.
    if test_gateway {
        r = r.merge(payments::test_router());
    }
    r.layer(Extension(ctx))
}
