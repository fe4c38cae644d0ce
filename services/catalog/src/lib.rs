//! The catalog service: local vendors (applications, review, penalties, certifications),
//! categories, products and variants, stock, and the storefront read path with its Redis
//! cache.
//!
//! Other services use the Rust API here (e.g. [`stock::reserve`] inside checkout's
//! transaction, [`listing`] for catalog facts), never the catalog's tables.

pub mod admin_actions;
pub mod cache;
pub mod campaign_prices;
pub mod categories;
pub mod certifications;
pub mod demo;
pub mod districts;
pub mod domain;
pub mod error;
pub mod generator;
pub mod http;
pub mod image_prep;
pub mod import;
pub mod invalidation;
pub mod listing;
pub mod media;
pub mod product_images;
pub mod products;
pub mod purchasable;
pub mod stock;
pub mod store;
pub mod storefront;
pub mod topics;
pub mod vendor_actions;
pub mod vendors;

use campaign_prices::LivePrices;
use platform::AppState;
use std::sync::Arc;
use utoipa_axum::router::OpenApiRouter;

/// The API routes of this service, with their OpenAPI description. `prices` shows live
/// campaign prices on product reads ([`campaign_prices::NoLivePrices`]: list prices only);
/// `media` stores the product photos.
pub fn router(prices: Arc<dyn LivePrices>, media: media::Media) -> OpenApiRouter<AppState> {
    http::router(prices, media)
}
