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
pub mod jobs;
pub mod ledger;
mod pages;
pub mod payouts;
pub mod policies;
pub mod reports;
pub mod statements;
pub mod tax_invoices;

pub use error::{SettlementsError, SettlementsResult};

use platform::AppState;
use utoipa_axum::router::OpenApiRouter;

/// The API routes of this service, with their OpenAPI description.
pub fn router() -> OpenApiRouter<AppState> {
    http::router()
}

/// The background work of this service: the ledger's event consumer, and the daily close
/// when `JIKGU_SETTLEMENT_CLOSE_HOUR` is set.
pub async fn run_workers(state: AppState, stop: tokio::sync::watch::Receiver<bool>) {
    match jobs::close_hour_from_env() {
        Some(hour) => {
            tokio::join!(
                consumer::run(state.clone(), stop.clone()),
                jobs::run(state, hour, stop)
            );
        }
        None => consumer::run(state, stop).await,
    }
}
