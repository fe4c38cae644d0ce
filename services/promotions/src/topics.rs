//! The promotions outbox event topics, and the order topic the statistics follow.

use platform::outbox::Schema;

/// The outbox promotions write their events to: `OUTBOX.emit(txn, topic, id, payload)`.
pub const OUTBOX: Schema = Schema::Promotions;

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
