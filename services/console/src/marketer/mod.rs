//! The marketer's console (marketers and admins, as in the API): campaigns with their
//! sections, prices, schedule and storefront preview; vendors' applications to campaigns;
//! coupons and first-come drops; time deals; the stacking policy; campaign statistics;
//! the 실적 report with its downloads and open-market uploads; the audit trail. Every
//! change is made through the promotions (or reports) functions behind `/v1/marketing`,
//! audited under the signed-in account.

pub mod applications;
pub mod audit;
pub mod campaigns;
pub mod coupons;
pub mod deals;
pub mod reports;
pub mod stacking;
pub mod stats;

use crate::guard::{Ctx, MarketerSession};
use axum::Router;
use axum::routing::{get, post};
use platform::AppState;
use promotions::audit::Actor;
use promotions::error::PromotionsResult;
use sea_orm::{DatabaseTransaction, TransactionTrait};

/// Run one promotions change in its own transaction, committed only when it succeeds
/// (dropping the transaction rolls it back).
pub(crate) async fn in_txn<T>(
    state: &AppState,
    change: impl AsyncFnOnce(&DatabaseTransaction) -> PromotionsResult<T>,
) -> PromotionsResult<T> {
    let txn = state.db.begin().await?;
    let out = change(&txn).await?;
    txn.commit().await?;
    Ok(out)
}

/// A change that can move storefront prices (campaigns and their prices, applications,
/// time deals, the stacking policy): made as [`in_txn`] makes it, then the cached
/// prices are dropped. Coupons do not go through here.
pub(crate) async fn priced_change<T>(
    state: &AppState,
    change: impl AsyncFnOnce(&DatabaseTransaction) -> PromotionsResult<T>,
) -> PromotionsResult<T> {
    let out = in_txn(state, change).await?;
    promotions::cache::invalidate(&state.redis).await;
    Ok(out)
}

impl Ctx<MarketerSession> {
    /// The signed-in marketer (or admin), as promotions audits a change.
    pub(crate) fn actor(&self) -> Actor {
        Actor::user(&self.who.0)
    }
}

/// The marketer's sections, in menu order (the first is its home).
pub const NAV: &[(&str, &str)] = &[
    ("/console/marketer", "기획전"),
    ("/console/marketer/applications", "참여 신청"),
    ("/console/marketer/coupons", "쿠폰"),
    ("/console/marketer/deals", "타임딜"),
    ("/console/marketer/stacking", "중복 할인"),
    ("/console/marketer/reports", "실적"),
    ("/console/marketer/audit", "변경 기록"),
];

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(campaigns::list))
        .route(
            "/campaigns/new",
            get(campaigns::new_form).post(campaigns::create),
        )
        .route(
            "/campaigns/{id}",
            get(campaigns::show).post(campaigns::update),
        )
        .route("/campaigns/{id}/sections", post(campaigns::add_section))
        .route(
            "/campaigns/{id}/sections/{section_id}",
            post(campaigns::update_section),
        )
        .route(
            "/campaigns/{id}/sections/{section_id}/delete",
            post(campaigns::delete_section),
        )
        .route(
            "/campaigns/{id}/sections/{section_id}/move",
            post(campaigns::move_section),
        )
        .route("/campaigns/{id}/prices", post(campaigns::add_price))
        .route(
            "/campaigns/{id}/prices/{price_id}",
            post(campaigns::update_price),
        )
        .route(
            "/campaigns/{id}/prices/{price_id}/delete",
            post(campaigns::delete_price),
        )
        .route("/campaigns/{id}/schedule", post(campaigns::schedule))
        .route("/campaigns/{id}/end", post(campaigns::end))
        .route("/campaigns/{id}/preview", get(campaigns::preview))
        .route("/campaigns/{id}/stats", get(stats::show))
        .route("/applications", get(applications::list))
        .route("/applications/{id}/approve", post(applications::approve))
        .route("/applications/{id}/reject", post(applications::reject))
        .route("/coupons", get(coupons::list))
        .route("/coupons/new", get(coupons::new_form).post(coupons::create))
        .route("/coupons/{id}", get(coupons::show))
        .route("/coupons/{id}/disable", post(coupons::disable))
        .route("/coupons/{id}/issues", post(coupons::issue))
        .route("/coupons/{id}/drops", post(coupons::create_drop))
        .route("/deals", get(deals::list).post(deals::create))
        .route("/stacking", get(stacking::show).post(stacking::save))
        .route("/reports", get(reports::show))
        .route("/reports/chart.svg", get(reports::chart))
        .route("/reports/exports", post(reports::start_export))
        .route("/reports/exports/{id}", get(reports::export_status))
        .route("/reports/exports/{id}/file", get(reports::export_file))
        .route(
            "/reports/uploads",
            get(reports::uploads).post(reports::upload),
        )
        .route("/audit", get(audit::list))
}

/// A `date` input's value, or the error beside its field.
pub(crate) fn parse_day(
    field: &str,
    raw: &str,
) -> Result<chrono::NaiveDate, platform::error::FieldError> {
    chrono::NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d").map_err(|_| {
        platform::error::FieldError::new(field, "invalid_date", "날짜를 입력해 주세요")
    })
}
