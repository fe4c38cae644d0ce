//! The `settlements-ledger` consumer group: a vendor order's purchase confirmation
//! (`orders.vendor_order.confirmed`, by the customer or automatically) books its entries;
//! a return accepted (`orders.vendor_order.return_accepted`) books what it takes back once
//! the vendor order is confirmed (before that, the confirmation books the order as it
//! stands). Delivery is at least once; booking is idempotent.

use crate::error::SettlementsResult;
use crate::ledger;
use platform::AppState;
use platform::events::Event;
use uuid::Uuid;

pub const GROUP: &str = "settlements-ledger";

/// The topics settlements follows.
pub const TOPICS: &[&str] = &[
    "orders.vendor_order.confirmed",
    "orders.vendor_order.return_accepted",
];

/// The vendor order an event asks to book, if it is one settlements follows.
pub fn vendor_order_of(event: &Event) -> Option<Uuid> {
    if !TOPICS.contains(&event.topic.as_str()) {
        return None;
    }
    event.payload["vendor_order_id"]
        .as_str()
        .and_then(|s| s.parse().ok())
}

/// Handle one event: book the vendor order it names, or nothing.
pub async fn handle(state: &AppState, event: Event) -> SettlementsResult<u64> {
    match vendor_order_of(&event) {
        Some(vo) => ledger::book_vendor_order(&state.db, vo).await,
        None => Ok(0),
    }
}

/// Run the consumer until `stop` flips.
pub async fn run(state: AppState, stop: tokio::sync::watch::Receiver<bool>) {
    platform::events::run_app_consumer(
        state,
        GROUP,
        TOPICS,
        |state, ev| async move { handle(&state, ev).await.map(|_| ()) },
        stop,
    )
    .await;
}
