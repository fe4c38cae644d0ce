//! The admin's side of settlements: policies, closing a period, statements and payouts,
//! holds, adjustments and the liabilities report. Every route is admin-only.

use super::vendor::{FormatParam, render_statement};
use crate::domain::calendar::worst_wait_days;
use crate::error::SettlementsError;
use crate::holds::{self, Hold, NewHold};
use crate::ledger::{self, NewAdjustment};
use crate::payouts::{self, BankTransferCsv, Payout, PayoutProvider};
use crate::policies::{self, NewCommissionRule, Settings, VendorPolicy};
use crate::reports::{self, Balance, Liabilities};
use crate::statements::{self, StatementSummary};
use crate::tax_invoices::{self, TaxInvoice};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{NaiveDate, Utc};
use platform::AppState;
use platform::auth::AdminUser;
use platform::error::{ApiError, ApiResult, Problem};
use platform::extract::{IdempotencyKey, Json, Path, Query};
use platform::pagination::{Page, PageParams};
use sea_orm::TransactionTrait;
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_settings, put_settings))
        .routes(routes!(add_commission_rule))
        .routes(routes!(put_payment_fee))
        .routes(routes!(put_vendor_policy))
        .routes(routes!(vendor_balance))
        .routes(routes!(close))
        .routes(routes!(list_statements))
        .routes(routes!(statement))
        .routes(routes!(schedule_payout))
        .routes(routes!(send_payouts))
        .routes(routes!(list_payouts))
        .routes(routes!(payout_paid))
        .routes(routes!(payout_failed))
        .routes(routes!(list_holds, place_hold))
        .routes(routes!(release_hold))
        .routes(routes!(adjust))
        .routes(routes!(liabilities))
        .routes(routes!(list_tax_invoices, record_tax_invoices))
}

fn err(e: SettlementsError) -> ApiError {
    ApiError::from(e)
}

/// The shop-wide settlement settings.
#[utoipa::path(get, path = "/v1/admin/settlements/settings", tag = "settlements admin", security(("bearer" = [])),
    responses((status = 200, body = Settings), (status = 403, body = Problem)))]
async fn get_settings(State(state): State<AppState>, _a: AdminUser) -> ApiResult<Json<Settings>> {
    Ok(Json(policies::settings(&state.db).await.map_err(err)?))
}

/// Change the settings: legal deadline days, share held apart, the default cycle and lag,
/// the operator on tax invoices.
#[utoipa::path(put, path = "/v1/admin/settlements/settings", tag = "settlements admin", security(("bearer" = [])),
    request_body = Settings, responses((status = 200, body = Settings), (status = 422, body = Problem)))]
async fn put_settings(
    State(state): State<AppState>,
    _a: AdminUser,
    Json(s): Json<Settings>,
) -> ApiResult<Json<Settings>> {
    policies::save_settings(&state.db, &s).await.map_err(err)?;
    Ok(Json(s))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Created {
    pub id: Uuid,
}

/// Add a commission rule (default, vendor, category or campaign; effective-dated; basis
/// points). Rules are never edited: a new rule with a later start takes over.
#[utoipa::path(post, path = "/v1/admin/settlements/commission-rules", tag = "settlements admin", security(("bearer" = [])),
    request_body = NewCommissionRule, responses((status = 201, body = Created), (status = 422, body = Problem)))]
async fn add_commission_rule(
    State(state): State<AppState>,
    AdminUser(p): AdminUser,
    Json(rule): Json<NewCommissionRule>,
) -> ApiResult<(StatusCode, Json<Created>)> {
    let id = policies::add_commission_rule(&state.db, &rule, p.user_id)
        .await
        .map_err(err)?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Rate {
    /// Basis points, 0–10000.
    #[serde(deserialize_with = "platform::bounds::within::<_, _, 0, 10_000>")]
    #[schema(minimum = 0, maximum = 10_000)]
    pub rate_bp: i32,
}

/// The fee rate of a payment method (`toss`, `stripe`, `test`, `invoice`).
#[utoipa::path(put, path = "/v1/admin/settlements/payment-fees/{method}", tag = "settlements admin", security(("bearer" = [])),
    request_body = Rate, responses((status = 204), (status = 422, body = Problem)))]
async fn put_payment_fee(
    State(state): State<AppState>,
    _a: AdminUser,
    Path(method): Path<String>,
    Json(r): Json<Rate>,
) -> ApiResult<StatusCode> {
    policies::set_fee_rate(&state.db, &method, r.rate_bp)
        .await
        .map_err(err)?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SavedPolicy {
    pub policy: VendorPolicy,
    /// The longest wait from 구매확정 to the due date over the coming year, in days.
    pub worst_wait_days: i64,
    pub legal_deadline_days: i32,
    /// Set when some payable would fall due after the legal deadline.
    pub exceeds_legal_deadline: bool,
}

/// A vendor's cycle (daily, weekly on a weekday, monthly on a day), lag in business days
/// and taxpayer kind. The answer flags a cycle that would pay after the legal deadline.
#[utoipa::path(put, path = "/v1/admin/settlements/vendors/{id}/policy", tag = "settlements admin", security(("bearer" = [])),
    request_body = VendorPolicy, responses((status = 200, body = SavedPolicy), (status = 422, body = Problem)))]
async fn put_vendor_policy(
    State(state): State<AppState>,
    _a: AdminUser,
    Path(vendor_id): Path<Uuid>,
    Json(policy): Json<VendorPolicy>,
) -> ApiResult<Json<SavedPolicy>> {
    policies::save_vendor_policy(&state.db, vendor_id, &policy)
        .await
        .map_err(err)?;
    let settings = policies::settings(&state.db).await.map_err(err)?;
    let holidays = policies::holidays(&state.db).await.map_err(err)?;
    let worst = worst_wait_days(
        policy.cycle_policy(),
        &holidays,
        promotions::seoul::day(Utc::now()),
        365,
    );
    Ok(Json(SavedPolicy {
        policy,
        worst_wait_days: worst,
        legal_deadline_days: settings.legal_deadline_days,
        exceeds_legal_deadline: worst > i64::from(settings.legal_deadline_days),
    }))
}

/// A vendor's balance, as the vendor sees it.
#[utoipa::path(get, path = "/v1/admin/settlements/vendors/{id}/balance", tag = "settlements admin", security(("bearer" = [])),
    responses((status = 200, body = Balance)))]
async fn vendor_balance(
    State(state): State<AppState>,
    _a: AdminUser,
    Path(vendor_id): Path<Uuid>,
) -> ApiResult<Json<Balance>> {
    Ok(Json(
        reports::balance(&state.db, vendor_id).await.map_err(err)?,
    ))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClosePeriod {
    /// The last day (Asia/Seoul) of the period: entries due by then are stated.
    pub period_end: NaiveDate,
}

/// Close a period: one statement per vendor with a balance due. Closing again makes
/// nothing new.
#[utoipa::path(post, path = "/v1/admin/settlements/close", tag = "settlements admin", security(("bearer" = [])),
    request_body = ClosePeriod, responses((status = 200, body = Vec<StatementSummary>)))]
async fn close(
    State(state): State<AppState>,
    AdminUser(p): AdminUser,
    Json(c): Json<ClosePeriod>,
) -> ApiResult<Json<Vec<StatementSummary>>> {
    Ok(Json(
        statements::close_period(&state.db, c.period_end, Some(p.user_id))
            .await
            .map_err(err)?,
    ))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct VendorFilter {
    pub vendor_id: Option<Uuid>,
}

/// Statements of every vendor (or one), newest first.
#[utoipa::path(get, path = "/v1/admin/settlements/statements", tag = "settlements admin", security(("bearer" = [])),
    params(PageParams, VendorFilter), responses((status = 200, body = Page<StatementSummary>)))]
async fn list_statements(
    State(state): State<AppState>,
    _a: AdminUser,
    Query(page): Query<PageParams>,
    Query(f): Query<VendorFilter>,
) -> ApiResult<Json<Page<StatementSummary>>> {
    let limit = page.limit();
    let rows = statements::list(&state.db, f.vendor_id, page.decode::<Uuid>()?, limit + 1)
        .await
        .map_err(err)?;
    Ok(Json(Page::from_rows(rows, limit, |s| s.id, |s| s)))
}

/// One statement, as JSON, CSV or XLSX.
#[utoipa::path(get, path = "/v1/admin/settlements/statements/{id}", tag = "settlements admin", security(("bearer" = [])),
    params(FormatParam),
    responses((status = 200, description = "as `format` asks", content(
            (crate::statements::StatementDetail = "application/json"), (String = "text/csv"),
            (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        (status = 404, body = Problem)))]
async fn statement(
    State(state): State<AppState>,
    _a: AdminUser,
    Path(id): Path<Uuid>,
    Query(f): Query<FormatParam>,
) -> ApiResult<Response> {
    let d = statements::detail(&state.db, id, None).await.map_err(err)?;
    render_statement(d, f.format.unwrap_or_default())
}

/// Approve paying a due statement to the vendor's registered bank account.
#[utoipa::path(post, path = "/v1/admin/settlements/statements/{id}/payout", tag = "settlements admin", security(("bearer" = [])),
    responses((status = 201, body = Payout), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn schedule_payout(
    State(state): State<AppState>,
    AdminUser(p): AdminUser,
    Path(id): Path<Uuid>,
) -> ApiResult<(StatusCode, Json<Payout>)> {
    let txn = state.db.begin().await?;
    let payout = payouts::schedule(&txn, id, p.user_id, BankTransferCsv.name())
        .await
        .map_err(err)?;
    txn.commit().await?;
    Ok((StatusCode::CREATED, Json(payout)))
}

/// Send every scheduled payout: they become `sent` and the answer is the bank-transfer
/// file (CSV: bank code, account, holder, amount, memo) to upload to the bank; 204 when
/// nothing was scheduled.
#[utoipa::path(post, path = "/v1/admin/settlements/payouts/send", tag = "settlements admin", security(("bearer" = [])),
    responses((status = 200, content_type = "text/csv", body = String), (status = 204)))]
async fn send_payouts(State(state): State<AppState>, _a: AdminUser) -> ApiResult<Response> {
    let txn = state.db.begin().await?;
    let sent = payouts::send_scheduled(&txn, &BankTransferCsv)
        .await
        .map_err(err)?;
    txn.commit().await?;
    Ok(match sent {
        None => StatusCode::NO_CONTENT.into_response(),
        Some((_, file)) => super::download(file.bytes, file.content_type, &file.filename),
    })
}

/// Payouts of every vendor (or one), newest first, by cursor pages.
#[utoipa::path(get, path = "/v1/admin/settlements/payouts", tag = "settlements admin", security(("bearer" = [])),
    params(PageParams, VendorFilter), responses((status = 200, body = Page<Payout>)))]
async fn list_payouts(
    State(state): State<AppState>,
    _a: AdminUser,
    Query(page): Query<PageParams>,
    Query(f): Query<VendorFilter>,
) -> ApiResult<Json<Page<Payout>>> {
    let limit = page.limit();
    let rows = payouts::list(&state.db, f.vendor_id, page.decode::<Uuid>()?, limit + 1)
        .await
        .map_err(err)?;
    Ok(Json(Page::from_rows(rows, limit, |p| p.id, |p| p)))
}

/// The bank confirmed a sent payout.
#[utoipa::path(post, path = "/v1/admin/settlements/payouts/{id}/paid", tag = "settlements admin", security(("bearer" = [])),
    responses((status = 200, body = Payout), (status = 409, body = Problem)))]
async fn payout_paid(
    State(state): State<AppState>,
    _a: AdminUser,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<Payout>> {
    let txn = state.db.begin().await?;
    let p = payouts::mark_paid(&txn, id).await.map_err(err)?;
    txn.commit().await?;
    Ok(Json(p))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Failure {
    pub reason: String,
}

/// A payout failed: its amount is owed to the vendor again and the statement is due.
#[utoipa::path(post, path = "/v1/admin/settlements/payouts/{id}/failed", tag = "settlements admin", security(("bearer" = [])),
    request_body = Failure, responses((status = 200, body = Payout), (status = 409, body = Problem)))]
async fn payout_failed(
    State(state): State<AppState>,
    _a: AdminUser,
    Path(id): Path<Uuid>,
    Json(f): Json<Failure>,
) -> ApiResult<Json<Payout>> {
    let txn = state.db.begin().await?;
    let p = payouts::mark_failed(&txn, id, &f.reason)
        .await
        .map_err(err)?;
    txn.commit().await?;
    Ok(Json(p))
}

/// Open holds.
#[utoipa::path(get, path = "/v1/admin/settlements/holds", tag = "settlements admin", security(("bearer" = [])),
    responses((status = 200, body = Vec<Hold>)))]
async fn list_holds(State(state): State<AppState>, _a: AdminUser) -> ApiResult<Json<Vec<Hold>>> {
    Ok(Json(holds::list_open(&state.db).await.map_err(err)?))
}

/// Hold a vendor's money out of statements, with a reason (suspended, under investigation).
#[utoipa::path(post, path = "/v1/admin/settlements/holds", tag = "settlements admin", security(("bearer" = [])),
    request_body = NewHold, responses((status = 201, body = Hold), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn place_hold(
    State(state): State<AppState>,
    AdminUser(p): AdminUser,
    Json(h): Json<NewHold>,
) -> ApiResult<(StatusCode, Json<Hold>)> {
    Ok((
        StatusCode::CREATED,
        Json(holds::place(&state.db, &h, p.user_id).await.map_err(err)?),
    ))
}

/// Release a hold.
#[utoipa::path(post, path = "/v1/admin/settlements/holds/{id}/release", tag = "settlements admin", security(("bearer" = [])),
    responses((status = 200, body = Hold), (status = 404, body = Problem)))]
async fn release_hold(
    State(state): State<AppState>,
    AdminUser(p): AdminUser,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<Hold>> {
    Ok(Json(
        holds::release(&state.db, id, p.user_id)
            .await
            .map_err(err)?,
    ))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Adjusted {
    /// False when this Idempotency-Key had already booked it.
    pub booked: bool,
}

/// Book an adjustment (signed won, with a reason). Takes an `Idempotency-Key`: a retry
/// books nothing more.
#[utoipa::path(post, path = "/v1/admin/settlements/adjustments", tag = "settlements admin", security(("bearer" = [])),
    params(("Idempotency-Key" = String, Header, description = "one per adjustment")),
    request_body = NewAdjustment, responses((status = 201, body = Adjusted), (status = 422, body = Problem)))]
async fn adjust(
    State(state): State<AppState>,
    AdminUser(p): AdminUser,
    IdempotencyKey(key): IdempotencyKey,
    Json(a): Json<NewAdjustment>,
) -> ApiResult<(StatusCode, Json<Adjusted>)> {
    let booked = ledger::adjust(&state.db, &a, p.user_id, &key)
        .await
        .map_err(err)?;
    Ok((StatusCode::CREATED, Json(Adjusted { booked })))
}

/// What the shop owes its vendors now: by age, falling due in the next 7 and 30 days,
/// overdue against the legal deadline, and the amount to hold apart.
#[utoipa::path(get, path = "/v1/admin/settlements/liabilities", tag = "settlements admin", security(("bearer" = [])),
    responses((status = 200, body = Liabilities)))]
async fn liabilities(State(state): State<AppState>, _a: AdminUser) -> ApiResult<Json<Liabilities>> {
    Ok(Json(
        reports::liabilities(&state.db, promotions::seoul::day(Utc::now()))
            .await
            .map_err(err)?,
    ))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Month {
    /// The first day of the month, e.g. `2026-11-01`.
    pub month: NaiveDate,
}

/// Record the month's commission tax invoices (세금계산서), one per vendor charged
/// commission; recording again keeps the first records.
#[utoipa::path(post, path = "/v1/admin/settlements/tax-invoices", tag = "settlements admin", security(("bearer" = [])),
    request_body = Month, responses((status = 200, body = Vec<TaxInvoice>), (status = 422, body = Problem)))]
async fn record_tax_invoices(
    State(state): State<AppState>,
    _a: AdminUser,
    Json(m): Json<Month>,
) -> ApiResult<Json<Vec<TaxInvoice>>> {
    let txn = state.db.begin().await?;
    let invoices = tax_invoices::record_month(&txn, m.month)
        .await
        .map_err(err)?;
    txn.commit().await?;
    Ok(Json(invoices))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MonthQuery {
    /// The first day of the month.
    pub month: NaiveDate,
    /// `json` (default) or `csv` (`xlsx` answers CSV too).
    #[param(inline)]
    pub format: Option<super::vendor::Format>,
}

/// The month's tax invoice records, as JSON or CSV (Korean headers).
#[utoipa::path(get, path = "/v1/admin/settlements/tax-invoices", tag = "settlements admin", security(("bearer" = [])),
    params(MonthQuery),
    responses((status = 200, description = "as `format` asks (`xlsx` is CSV too)", content(
            (Vec<TaxInvoice> = "application/json"), (String = "text/csv"))),
        (status = 422, body = Problem)))]
async fn list_tax_invoices(
    State(state): State<AppState>,
    _a: AdminUser,
    Query(q): Query<MonthQuery>,
) -> ApiResult<Response> {
    let month = tax_invoices::month_start(q.month).map_err(err)?;
    let invoices = tax_invoices::list(&state.db, month).await.map_err(err)?;
    Ok(match q.format.unwrap_or_default() {
        super::vendor::Format::Csv | super::vendor::Format::Xlsx => super::download(
            tax_invoices::csv(&invoices).map_err(|e| ApiError::internal(anyhow::anyhow!(e)))?,
            "text/csv; charset=utf-8",
            &format!("tax-invoices-{}.csv", month.format("%Y-%m")),
        ),
        super::vendor::Format::Json => Json(invoices).into_response(),
    })
}
