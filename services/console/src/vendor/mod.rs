//! The vendor's console: everything is read and written through the vendor the session
//! is bound to (`VendorSession::vendor_id`); another vendor's product, order or statement
//! opened by URL is a 404, exactly as in the JSON API.

pub mod campaigns;
pub mod dashboard;
pub mod fulfilment;
mod images;
pub mod import;
pub mod products;
pub mod settlements;
pub mod shop;

use axum::Router;
use axum::routing::{get, post};
use platform::AppState;

/// The vendor's sections, in menu order (the first is its home).
pub const NAV: &[(&str, &str)] = &[
    ("/console/vendor", "홈"),
    ("/console/vendor/products", "상품"),
    ("/console/vendor/orders", "주문·배송"),
    ("/console/vendor/returns", "반품"),
    ("/console/vendor/campaigns", "기획전"),
    ("/console/vendor/settlements", "정산"),
    ("/console/vendor/shop", "상점 정보"),
];

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(dashboard::show))
        .route("/products", get(products::list))
        .route("/products/import", get(import::form).post(import::upload))
        .route(
            "/products/new",
            get(products::new_form).post(products::create),
        )
        .route("/products/{id}", get(products::edit).post(products::update))
        .route("/products/{id}/publish", post(products::publish))
        .route("/products/{id}/archive", post(products::archive))
        .route("/products/{id}/variants", post(products::add_variant))
        .route("/variants/{id}", post(products::update_variant))
        .route("/variants/{id}/stock", post(products::set_stock))
        .route(
            "/variants/{id}/stock-adjustment",
            post(products::adjust_stock),
        )
        // Product photos (console2): uploads may be as large as the media store takes.
        .route(
            "/products/{id}/images",
            get(images::show)
                .post(images::upload)
                .layer(axum::extract::DefaultBodyLimit::disable()),
        )
        .route(
            "/products/{id}/images/{image}/cover",
            post(images::make_cover),
        )
        .route("/products/{id}/images/{image}/delete", post(images::delete))
        .route("/orders", get(fulfilment::list))
        .route("/orders/ship", post(fulfilment::ship))
        .route("/orders/{id}/deliver", post(fulfilment::deliver))
        .route("/returns", get(fulfilment::returns))
        .route("/returns/{id}/accept", post(fulfilment::accept_return))
        .route("/campaigns", get(campaigns::show))
        .route("/campaigns/applications", post(campaigns::apply))
        .route("/settlements", get(settlements::show))
        .route(
            "/settlements/statements/{id}/download",
            get(settlements::download),
        )
        .route("/shop", get(shop::show).post(shop::update))
        .route("/shop/certifications", post(shop::submit_certification))
}
