//! The reports service's HTTP API: the marketers' performance report with its exports,
//! charts, printable page and open-market uploads (`marketing.rs`), and a vendor's own
//! figures (`vendor.rs`).

pub mod marketing;
pub mod vendor;

use crate::charts::{self, Chart};
use crate::error::ReportsResult;
use crate::performance::{self, Dimension, PerformanceReport, Scope};
use crate::period::Period;
use crate::{exports, page};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use platform::AppState;
use platform::download::{self, Format, attachment as download};
use platform::error::{ApiError, ApiResult};
use platform::extract::Json;
use sea_orm::ConnectionTrait;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(marketing::router())
        .merge(vendor::router())
}

/// The period and grouping of a report.
#[derive(Debug, Clone, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PerformanceQuery {
    /// First day, Asia/Seoul (with `to`; or give `quarter`).
    pub from: Option<NaiveDate>,
    /// Last day, inclusive.
    pub to: Option<NaiveDate>,
    /// A calendar quarter, `2026Q4`.
    pub quarter: Option<String>,
    /// One or two of `vendor`, `category`, `campaign`, `channel`, `district`,
    /// `certification`, `buyer_kind`, `month`, comma-separated.
    pub by: Option<String>,
    /// `json` (default), `csv` or `xlsx` (a summary sheet and one sheet per grouping,
    /// Korean headers, won formatted).
    #[param(inline)]
    pub format: Option<Format>,
}

impl PerformanceQuery {
    fn parse(&self) -> ReportsResult<(Period, Vec<Dimension>)> {
        Ok((
            Period::parse(self.from, self.to, self.quarter.as_deref())?,
            performance::parse_by(self.by.as_deref())?,
        ))
    }
}

/// The groupings an XLSX or the printed page holds: each dimension alone, then both.
async fn groupings(
    db: &(impl ConnectionTrait + sea_orm::TransactionTrait),
    period: Period,
    scope: Scope,
    by: &[Dimension],
    main: &PerformanceReport,
) -> ReportsResult<Vec<PerformanceReport>> {
    let mut out = Vec::new();
    if by.len() == 2 {
        for d in by {
            out.push(performance::report(db, period, scope, &[*d]).await?);
        }
    }
    out.push(main.clone());
    Ok(out)
}

/// The report as JSON or a download.
pub async fn performance_response(
    db: &(impl ConnectionTrait + sea_orm::TransactionTrait),
    scope: Scope,
    q: &PerformanceQuery,
) -> ApiResult<Response> {
    let (period, by) = q.parse().map_err(ApiError::from)?;
    let r = performance::report(db, period, scope, &by)
        .await
        .map_err(ApiError::from)?;
    let name = format!("performance-{}-{}", period.from, period.to);
    Ok(match q.format.unwrap_or_default() {
        Format::Json => Json(r).into_response(),
        Format::Csv => download(
            exports::csv(&r).map_err(ApiError::from)?,
            download::CSV,
            &format!("{name}.csv"),
        ),
        Format::Xlsx => {
            let sheets = groupings(db, period, scope, &by, &r)
                .await
                .map_err(ApiError::from)?;
            download(
                exports::xlsx(&r, &sheets).map_err(ApiError::from)?,
                download::XLSX,
                &format!("{name}.xlsx"),
            )
        }
    })
}

/// Which chart, over which period.
#[derive(Debug, Clone, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ChartQuery {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    /// A calendar quarter, `2026Q4`.
    pub quarter: Option<String>,
    /// `channel_monthly` (default), `district_share` or `campaign_effect`.
    #[param(inline)]
    pub chart: Option<Chart>,
}

fn with_type(body: String, content_type: &'static str) -> Response {
    let mut res = body.into_response();
    res.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    res
}

/// A chart of the report, as SVG.
pub async fn chart_response(
    db: &(impl ConnectionTrait + sea_orm::TransactionTrait),
    scope: Scope,
    q: &ChartQuery,
) -> ApiResult<Response> {
    let period = Period::parse(q.from, q.to, q.quarter.as_deref()).map_err(ApiError::from)?;
    let chart = q.chart.unwrap_or(Chart::ChannelMonthly);
    let r = performance::report(db, period, scope, &chart.by())
        .await
        .map_err(ApiError::from)?;
    Ok(with_type(
        charts::svg(chart, &r).map_err(ApiError::from)?,
        "image/svg+xml",
    ))
}

/// The printable page: the report grouped by `by` (default: channel), by district and by
/// month and channel, with the three charts.
pub async fn page_response(
    db: &(impl ConnectionTrait + sea_orm::TransactionTrait),
    scope: Scope,
    q: &PerformanceQuery,
) -> ApiResult<Response> {
    let (period, mut by) = q.parse().map_err(ApiError::from)?;
    if by.is_empty() {
        by = vec![Dimension::Channel];
    }
    let main = performance::report(db, period, scope, &by)
        .await
        .map_err(ApiError::from)?;
    let monthly = performance::report(db, period, scope, &Chart::ChannelMonthly.by())
        .await
        .map_err(ApiError::from)?;
    let district = performance::report(db, period, scope, &Chart::DistrictShare.by())
        .await
        .map_err(ApiError::from)?;
    let mut svgs = Vec::new();
    for (chart, r) in [
        (Chart::ChannelMonthly, &monthly),
        (Chart::DistrictShare, &district),
        (Chart::CampaignEffect, &main),
    ] {
        svgs.push(charts::svg(chart, r).map_err(ApiError::from)?);
    }
    let mut tables = groupings(db, period, scope, &by, &main)
        .await
        .map_err(ApiError::from)?;
    if !by.contains(&Dimension::District) {
        tables.push(district);
    }
    Ok(with_type(
        page::html(&main, &tables, &svgs),
        "text/html; charset=utf-8",
    ))
}
