//! The promotions outbox event topics, and the order topic the statistics follow.

use platform::outbox::{self, Schema};
use sea_orm::{ConnectionTrait, DbErr};
use uuid::Uuid;

pub const CAMPAIGN_CHANGED: &str = "promotions.campaign.changed";
pub const CAMPAIGN_SCHEDULED: &str = "promotions.campaign.scheduled";
pub const CAMPAIGN_LIVE: &str = "promotions.campaign.live";
pub const CAMPAIGN_ENDED: &str = "promotions.campaign.ended";
/// A campaign price, time deal or membership changed: product prices may differ now.
pub const PRICES_CHANGED: &str = "promotions.prices.changed";
pub const COUPON_CHANGED: &str = "promotions.coupon.changed";
/// The stacking policy changed: every quote (and shown price) may differ now.
pub const STACKING_POLICY_CHANGED: &str = "promotions.stacking_policy.changed";

/// Written by the orders service when an order is paid.
pub const ORDERS_SALE: &str = "orders.sale";

pub async fn emit(
    db: &impl ConnectionTrait,
    topic: &str,
    aggregate_id: Uuid,
    payload: serde_json::Value,
) -> Result<(), DbErr> {
    outbox::enqueue(db, Schema::Promotions, topic, aggregate_id, payload)
        .await
        .map(|_| ())
}
