//! The marketers' (and admins') report: the whole shop's figures, downloads, charts, the
//! printable page and the open-market sales uploads. Customers and vendors are refused.

use super::{ChartQuery, PerformanceQuery};
use crate::external::{self, UploadResult, UploadSummary};
use crate::performance::{PerformanceReport, Scope};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::NaiveDate;
use platform::AppState;
use platform::attribution::SalesChannel;
use platform::auth::MarketerUser;
use platform::error::{ApiError, ApiResult, Problem};
use platform::extract::{Json, Query};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(performance))
        .routes(routes!(chart))
        .routes(routes!(printable))
        .routes(routes!(list_uploads, upload))
}

/// The purchase-performance report (실적) of a period: `quarter=2026Q4`, or `from` and
/// `to` (Asia/Seoul days, inclusive); grouped `by` one or two dimensions. The totals and
/// every row stand beside the same period a year before and the period before, with
/// growth; rows add up to the totals to the won. Refunds count in the period in which
/// they happen. `format=csv` or `format=xlsx` downloads it.
#[utoipa::path(get, path = "/v1/marketing/reports/performance", tag = "reports", security(("bearer" = [])),
    params(PerformanceQuery),
    responses((status = 200, body = PerformanceReport,
            description = "JSON, or with `format` a CSV (`text/csv`) or XLSX download"),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn performance(
    State(state): State<AppState>,
    _m: MarketerUser,
    Query(q): Query<PerformanceQuery>,
) -> ApiResult<Response> {
    super::performance_response(&state.db, Scope::Shop, &q).await
}

/// A chart of the report as SVG: monthly net sales by channel, the share of each
/// district, or each campaign's effect.
#[utoipa::path(get, path = "/v1/marketing/reports/performance/chart.svg", tag = "reports", security(("bearer" = [])),
    params(ChartQuery),
    responses((status = 200, content_type = "image/svg+xml", body = String),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn chart(
    State(state): State<AppState>,
    _m: MarketerUser,
    Query(q): Query<ChartQuery>,
) -> ApiResult<Response> {
    super::chart_response(&state.db, Scope::Shop, &q).await
}

/// The report as a page to open and print, in Korean: the figures, the tables and the
/// charts (nothing loaded from elsewhere).
#[utoipa::path(get, path = "/v1/marketing/reports/performance.html", tag = "reports", security(("bearer" = [])),
    params(PerformanceQuery),
    responses((status = 200, content_type = "text/html", body = String),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn printable(
    State(state): State<AppState>,
    _m: MarketerUser,
    Query(q): Query<PerformanceQuery>,
) -> ApiResult<Response> {
    super::page_response(&state.db, Scope::Shop, &q).await
}

/// The channel and period an upload covers.
#[derive(Debug, Clone, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UploadQuery {
    /// An open-market channel (`11st`, `lotteon`, `gmarket`, `coupang`, `naver_smartstore`).
    #[param(inline)]
    pub channel: SalesChannel,
    pub from: NaiveDate,
    /// Inclusive.
    pub to: NaiveDate,
}

/// Upload an open-market storefront's sales export (CSV with columns date, sku,
/// quantity, amount, refund; Korean headers 주문일, 상품코드, 수량, 판매금액, 환불금액 are
/// read too) for a channel and period. Rows are matched by SKU; those that are not are
/// listed in `unmatched` and left out. Uploading the same channel and period again
/// replaces the earlier upload.
#[utoipa::path(post, path = "/v1/marketing/reports/external-sales", tag = "reports", security(("bearer" = [])),
    params(UploadQuery),
    request_body(content = String, content_type = "text/csv"),
    responses((status = 201, body = UploadResult), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn upload(
    State(state): State<AppState>,
    m: MarketerUser,
    Query(q): Query<UploadQuery>,
    body: String,
) -> ApiResult<(StatusCode, Json<UploadResult>)> {
    let r = external::upload(&state.db, q.channel, q.from, q.to, &body, m.0.user_id)
        .await
        .map_err(ApiError::from)?;
    Ok((StatusCode::CREATED, Json(r)))
}

/// The open-market uploads, newest period first.
#[utoipa::path(get, path = "/v1/marketing/reports/external-sales", tag = "reports", security(("bearer" = [])),
    responses((status = 200, body = Vec<UploadSummary>), (status = 401, body = Problem), (status = 403, body = Problem)))]
async fn list_uploads(
    State(state): State<AppState>,
    _m: MarketerUser,
) -> ApiResult<Json<Vec<UploadSummary>>> {
    Ok(Json(
        external::list(&state.db).await.map_err(ApiError::from)?,
    ))
}
