//! The reports service (실적): daily sales rollups kept by an idempotent consumer of
//! orders' events, the quarterly purchase-performance report with its comparisons,
//! exports (CSV, XLSX), charts (SVG) and a printable page, and the open-market sales
//! exports marketers upload per channel.
//!
//! It reads orders only through `orders::sales_facts`, the catalog only through
//! `catalog::listing` and `catalog::districts`, and promotions through
//! `promotions::campaigns`; never their tables.

pub mod cells;
pub mod charts;
pub mod consumer;
pub mod error;
pub mod exports;
pub mod external;
pub mod http;
pub mod page;
pub mod performance;
pub mod period;
pub mod rollup;

pub use error::{ReportsError, ReportsResult};

use platform::AppState;
use utoipa_axum::router::OpenApiRouter;

/// The API routes of this service, with their OpenAPI description.
pub fn router() -> OpenApiRouter<AppState> {
    http::router()
}

/// The background work of this service: the rollups' event consumer.
pub async fn run_workers(state: AppState, stop: tokio::sync::watch::Receiver<bool>) {
    consumer::run(state, stop).await
}
