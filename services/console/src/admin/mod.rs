//! The admin's console: vendor applications, suspensions and penalty strikes
//! (`vendors`), certifications to verify, the category tree with its notice fields,
//! organisations to approve, accounts, and settlement runs and payouts, each through the same domain functions as
//! the `/v1/admin/...` API.

pub mod accounts;
pub mod categories;
pub mod certifications;
pub mod organisations;
pub mod settlements;
pub mod vendors;

use axum::Router;
use axum::routing::{get, post};
use platform::AppState;

/// The admin's sections, in menu order (the first is its home). Admins may also open the
/// marketer's console.
pub const NAV: &[(&str, &str)] = &[
    ("/console/admin", "판매자"),
    ("/console/admin/certifications", "인증 확인"),
    ("/console/admin/categories", "카테고리"),
    ("/console/admin/organisations", "기관"),
    ("/console/admin/accounts", "계정"),
    ("/console/admin/settlements", "정산"),
    ("/console/marketer", "기획전"),
];

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(vendors::list))
        .route("/vendors/{id}", get(vendors::show))
        .route("/vendors/{id}/approve", post(vendors::approve))
        .route("/vendors/{id}/reject", post(vendors::reject))
        .route("/vendors/{id}/suspend", post(vendors::suspend))
        .route("/vendors/{id}/reinstate", post(vendors::reinstate))
        .route("/vendors/{id}/penalties", post(vendors::add_penalty))
        .route("/certifications", get(certifications::list))
        .route("/certifications/{id}/verify", post(certifications::verify))
        .route("/certifications/{id}/reject", post(certifications::reject))
        .route(
            "/categories",
            get(categories::tree).post(categories::create),
        )
        .route("/categories/{id}", post(categories::update))
        .route("/organisations", get(organisations::list))
        .route("/organisations/{id}", get(organisations::show))
        .route("/organisations/{id}/approve", post(organisations::approve))
        .route("/organisations/{id}/reject", post(organisations::reject))
        .route(
            "/organisations/{id}/credit-limit",
            post(organisations::set_credit_limit),
        )
        .route("/accounts", get(accounts::list).post(accounts::create))
        .route("/accounts/audit", get(accounts::audit))
        .route("/accounts/{id}/role", post(accounts::change_role))
        .route("/accounts/{id}/disable", post(accounts::disable))
        .route("/accounts/{id}/enable", post(accounts::enable))
        .route("/settlements", get(settlements::overview))
        .route(
            "/settlements/close",
            get(settlements::close_progress).post(settlements::close),
        )
        .route("/settlements/statements/{id}", get(settlements::statement))
        .route(
            "/settlements/statements/{id}/payout",
            post(settlements::schedule_payout),
        )
        .route("/settlements/payouts/send", post(settlements::send_payouts))
        .route(
            "/settlements/payouts/{id}/paid",
            post(settlements::payout_paid),
        )
        .route(
            "/settlements/payouts/{id}/failed",
            post(settlements::payout_failed),
        )
        .route("/settlements/holds", post(settlements::place_hold))
        .route(
            "/settlements/holds/{id}/release",
            post(settlements::release_hold),
        )
}
