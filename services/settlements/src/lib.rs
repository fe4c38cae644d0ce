//! The settlements service (정산): an append-only ledger of what the shop owes each vendor,
//! commission and payout policies, statements and payouts.
//!
//! It reads orders only through `orders::settlement_facts` and the catalog only through
//! `catalog::purchasable`, never their tables.

pub mod consumer;
pub mod domain;
pub mod error;
pub mod exports;
pub mod holds;
pub mod http;
pub mod ledger;
pub mod payouts;
pub mod policies;
pub mod reports;
pub mod statements;

pub use error::{SettlementsError, SettlementsResult};

use platform::AppState;
use utoipa_axum::router::OpenApiRouter;

/// The API routes of this service, with their OpenAPI description.
pub fn router() -> OpenApiRouter<AppState> {
    http::router()
}

/// The background work of this service: the ledger's event consumer.
pub async fn run_workers(state: AppState, stop: tokio::sync::watch::Receiver<bool>) {
    consumer::run(state, stop).await;
}
