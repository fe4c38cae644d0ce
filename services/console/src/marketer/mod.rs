//! The marketer's console (marketers and admins, as in the API): campaigns with their
//! sections, prices, schedule and storefront preview. Every change is made through the
//! promotions functions behind `/v1/marketing`, audited under the signed-in account.

pub mod campaigns;

use axum::Router;
use axum::routing::{get, post};
use platform::AppState;

/// The marketer's sections, in menu order (the first is its home).
pub const NAV: &[(&str, &str)] = &[("/console/marketer", "기획전")];

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(campaigns::list))
        .route(
            "/campaigns/new",
            get(campaigns::new_form).post(campaigns::create),
        )
        .route("/campaigns/{id}", get(campaigns::show))
        .route("/campaigns/{id}/sections", post(campaigns::add_section))
        .route("/campaigns/{id}/prices", post(campaigns::add_price))
        .route("/campaigns/{id}/schedule", post(campaigns::schedule))
        .route("/campaigns/{id}/end", post(campaigns::end))
        .route("/campaigns/{id}/preview", get(campaigns::preview))
}
