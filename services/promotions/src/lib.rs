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

pub use error::PromotionsError;
pub use live::PricingInputs;

use chrono::{DateTime, Utc};
use platform::AppState;
use platform::money::Won;
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

/// The coupon `code` names for `customer`: a public code, or the id of a coupon issued to
/// this customer. `None` when unknown (or disabled); `CouponExhausted` / `CouponLimit`
/// when nobody / this customer can use it any more. Window and minimum order are judged by
/// the pricing engine.
pub async fn coupon_for(
    db: &impl ConnectionTrait,
    code: &str,
    customer: Uuid,
    at: DateTime<Utc>,
) -> Result<Option<pricing::Coupon>, PromotionsError> {
    coupons::coupon_for(db, code, customer, at).await
}

/// Redeem inside the caller's transaction: one conditional UPDATE (window, total uses,
/// budget) and one unique redemption row (per-customer uses, one per order). Refuses with
/// `CouponExhausted` or `CouponLimit`; on any error roll the transaction back.
pub async fn redeem_coupon(
    db: &impl ConnectionTrait,
    coupon_id: Uuid,
    customer: Uuid,
    order_id: Uuid,
    discount: Won,
    at: DateTime<Utc>,
) -> Result<(), PromotionsError> {
    coupons::redeem_coupon(db, coupon_id, customer, order_id, discount, at).await
}

/// Give back the coupon uses (and spent budget) of a canceled or expired order.
/// Idempotent.
pub async fn release_coupon(
    db: &impl ConnectionTrait,
    order_id: Uuid,
) -> Result<(), PromotionsError> {
    coupons::release_coupon(db, order_id).await
}

/// Take deal units for a customer inside the caller's transaction, as race-proof as stock.
/// Refuses with `DealSoldOut` or `DealLimit`; on any error roll the transaction back.
pub async fn take_deal(
    db: &impl ConnectionTrait,
    deal_id: Uuid,
    customer: Uuid,
    quantity: u32,
) -> Result<(), PromotionsError> {
    deals::take_deal(db, deal_id, customer, quantity).await
}

/// Give back deal units of a canceled or expired order line.
pub async fn release_deal(
    db: &impl ConnectionTrait,
    deal_id: Uuid,
    customer: Uuid,
    quantity: u32,
) -> Result<(), PromotionsError> {
    deals::release_deal(db, deal_id, customer, quantity).await
}

/// What `customer` already bought of running time deals, for the quote's
/// `deal_purchases`.
pub async fn deal_purchases(
    db: &impl ConnectionTrait,
    customer: Uuid,
    at: DateTime<Utc>,
) -> Result<Vec<pricing::DealPurchase>, PromotionsError> {
    deals::deal_purchases(db, customer, at).await
}

/// Idempotent demo data; see [`seed::seed_demo`].
pub async fn seed_demo(state: &AppState) -> Result<(), PromotionsError> {
    seed::seed_demo(state).await
}

/// The background work of the promotions service, until `stop` flips: the campaign
/// scheduler (a singleton by Redis lease), the statistics consumer (`promotions-stats`)
/// and the cache-invalidation consumer (`promotions-cache`).
pub async fn run_workers(state: AppState, stop: tokio::sync::watch::Receiver<bool>) {
    let invalidating = state.clone();
    tokio::join!(
        scheduler::run(state.clone(), stop.clone()),
        stats::run(state.clone(), stop.clone()),
        platform::events::run_consumer(
            state.redis.clone(),
            cache::GROUP,
            move |ev| {
                let state = invalidating.clone();
                async move {
                    if cache::is_relevant(&ev.topic) {
                        cache::invalidate(&state.redis).await;
                    }
                    Ok::<(), std::convert::Infallible>(())
                }
            },
            stop,
        ),
    );
}
