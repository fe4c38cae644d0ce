//! The `reports-rollups` consumer group: an order paid, canceled or expired, and a vendor
//! order confirmed or taken back by a return, bring that order's share of the rollups up
//! to date ([`crate::rollup::apply_order`]). Delivery is at least once and in any order;
//! applying an order is idempotent, so neither matters.

use crate::error::ReportsResult;
use crate::rollup;
use platform::AppState;
use platform::events::Event;
use uuid::Uuid;

pub const GROUP: &str = "reports-rollups";

/// The topics the rollups follow: the order's changes that move what it counts for.
pub const TOPICS: &[&str] = &[
    "orders.order.paid",
    "orders.order.canceled",
    "orders.order.expired",
    "orders.order.completed",
    "orders.vendor_order.confirmed",
    "orders.vendor_order.return_accepted",
];

/// The order an event asks to apply, if it is one the rollups follow.
pub fn order_of(event: &Event) -> Option<Uuid> {
    if !TOPICS.contains(&event.topic.as_str()) {
        return None;
    }
    event.payload["order_id"]
        .as_str()
        .and_then(|s| s.parse().ok())
}

/// Handle one event: apply the order it names, or nothing.
pub async fn handle(state: &AppState, event: Event) -> ReportsResult<bool> {
    match order_of(&event) {
        Some(order) => rollup::apply_order(&state.db, order).await,
        None => Ok(false),
    }
}

/// Run the consumer until `stop` flips.
pub async fn run(state: AppState, stop: tokio::sync::watch::Receiver<bool>) {
    let redis = state.redis.clone();
    platform::events::run_consumer(
        redis,
        GROUP,
        TOPICS,
        move |ev| {
            let state = state.clone();
            async move { handle(&state, ev).await.map(|_| ()) }
        },
        stop,
    )
    .await;
}
