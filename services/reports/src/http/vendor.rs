//! A vendor's own performance: the same report scoped to the vendor the token is bound
//! to; no other vendor's figures can be asked for.

use super::PerformanceQuery;
use crate::performance::{PerformanceReport, Scope};
use axum::extract::State;
use axum::response::Response;
use platform::AppState;
use platform::auth::VendorUser;
use platform::error::{ApiResult, Problem};
use platform::extract::Query;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(own_performance))
}

/// The vendor's own sales in a period (`quarter=2026Q4` or `from`/`to`), grouped `by`
/// one or two dimensions, with the same comparisons as the shop's report.
#[utoipa::path(get, path = "/v1/vendor/reports/performance", tag = "reports", security(("bearer" = [])),
    params(PerformanceQuery),
    responses((status = 200, body = PerformanceReport,
            description = "JSON, or with `format` a CSV or XLSX download"),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn own_performance(
    State(state): State<AppState>,
    v: VendorUser,
    Query(q): Query<PerformanceQuery>,
) -> ApiResult<Response> {
    super::performance_response(&state.db, Scope::Vendor(v.vendor_id), &q).await
}
