//! The promotions service: campaigns (기획전), discounts, coupons, time deals and the
//! pricing engine that every quote goes through.
//!
//! Other services use the Rust API at the root of this crate inside their own
//! transactions (checkout loads the [`pricing_inputs`], i.e. live prices, time deals and
//! the stacking policy, looks up [`coupon_for`], then [`redeem_coupon`] and [`take_deal`];
//! cancellation calls [`release_coupon`] and [`release_deal`]), never the `promotions`
//! tables.

pub mod applications;
pub mod audit;
pub mod cache;
pub mod campaigns;
pub mod cart_input;
pub mod coupons;
pub mod deals;
pub mod drops;
pub mod error;
pub mod funding;
pub mod http;
pub mod live;
pub mod live_set;
pub mod membership;
pub mod page;
pub mod prices;
pub mod pricing;
pub mod scheduler;
pub mod sections;
pub mod seed;
pub mod seoul;
pub mod stacking;
pub mod states;
pub mod stats;
pub mod store;
pub mod storefront_prices;
pub mod topics;
pub mod wallet;

pub use coupons::{coupon_for, redeem_coupon, release_coupon};
pub use deals::{deal_purchases, release_deal, take_deal};
pub use error::PromotionsError;
pub use live::PricingInputs;
pub use seed::seed_demo;

use chrono::{DateTime, Utc};
use platform::AppState;
use sea_orm::ConnectionTrait;
use utoipa_axum::router::OpenApiRouter;
use uuid::Uuid;

/// The API routes of this service, with their OpenAPI description.
pub fn router() -> OpenApiRouter<AppState> {
    http::router()
}

/// The campaign price rules of `product_ids` in the campaigns live at `at` (decided by
/// their windows, not their status), their time deals running at `at` (with
/// `remaining = quantity - sold`) and the stacking policy: everything a quote needs from
/// promotions besides coupons, in one round trip.
pub async fn pricing_inputs(
    db: &impl ConnectionTrait,
    at: DateTime<Utc>,
    product_ids: &[Uuid],
) -> Result<PricingInputs, PromotionsError> {
    live::load(db, at, product_ids).await
}

/// The background work of the promotions service, until `stop` flips: the campaign
/// scheduler (a singleton by Redis lease), the statistics consumer (`promotions-stats`)
/// and the cache-invalidation consumer (`promotions-cache`).
pub async fn run_workers(state: AppState, stop: tokio::sync::watch::Receiver<bool>) {
    tokio::join!(
        scheduler::run(state.clone(), stop.clone()),
        stats::run(state.clone(), stop.clone()),
        platform::events::run_app_consumer(
            state,
            cache::GROUP,
            cache::TOPICS,
            |state, _| async move {
                cache::invalidate(&state.redis).await;
                Ok::<(), std::convert::Infallible>(())
            },
            stop,
        ),
    );
}
