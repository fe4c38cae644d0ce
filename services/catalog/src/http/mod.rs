//! The catalog's HTTP API: one file per audience.

pub mod admin;
pub mod product_images;
pub mod storefront;
pub mod vendor_console;
pub mod views;

use crate::campaign_prices::{LivePrices, LivePricesHandle};
use crate::media::Media;
use platform::AppState;
use std::sync::Arc;
use utoipa_axum::router::OpenApiRouter;

pub fn router(prices: Arc<dyn LivePrices>, media: Media) -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(storefront::router().layer(axum::Extension(LivePricesHandle(prices))))
        .merge(vendor_console::router())
        .merge(product_images::router().layer(axum::Extension(media)))
        .merge(admin::router())
}
