//! A vendor's own settlements: every query is scoped to the vendor the token is bound to;
//! another vendor's statement is 404.

use crate::error::SettlementsError;
use crate::exports;
use crate::payouts::{self, BankAccount, NewBankAccount};
use crate::reports::{self, Balance};
use crate::statements::{self, StatementDetail, StatementSummary};
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use platform::AppState;
use platform::auth::VendorUser;
use platform::error::{ApiError, ApiResult, Problem};
use platform::extract::{Json, Path, Query};
use platform::pagination::{Page, PageParams};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(balance))
        .routes(routes!(list_statements))
        .routes(routes!(statement))
        .routes(routes!(bank_account, register_bank_account))
}

/// What the vendor is owed: pending (paid, not yet confirmed), confirmed but in no
/// statement yet, due (stated, not yet paid), paid, and the ledger balance.
#[utoipa::path(get, path = "/v1/vendor/settlements/balance", tag = "settlements", security(("bearer" = [])),
    responses((status = 200, body = Balance), (status = 401, body = Problem), (status = 403, body = Problem)))]
async fn balance(State(state): State<AppState>, v: VendorUser) -> ApiResult<Json<Balance>> {
    Ok(Json(
        reports::balance(&state.db, v.vendor_id)
            .await
            .map_err(ApiError::from)?,
    ))
}

/// The vendor's statements, newest first.
#[utoipa::path(get, path = "/v1/vendor/settlements/statements", tag = "settlements", security(("bearer" = [])),
    params(PageParams), responses((status = 200, body = Page<StatementSummary>), (status = 403, body = Problem)))]
async fn list_statements(
    State(state): State<AppState>,
    v: VendorUser,
    Query(page): Query<PageParams>,
) -> ApiResult<Json<Page<StatementSummary>>> {
    let limit = page.limit();
    let rows = statements::list(
        &state.db,
        Some(v.vendor_id),
        page.decode::<Uuid>()?,
        limit + 1,
    )
    .await
    .map_err(ApiError::from)?;
    Ok(Json(Page::from_rows(rows, limit, |s| s.id, |s| s)))
}

pub use platform::download::Format;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FormatParam {
    /// `json` (default), `csv` or `xlsx` (Korean headers).
    #[param(inline)]
    pub format: Option<Format>,
}

/// One statement with every line traceable to its order; `?format=csv` or `?format=xlsx`
/// downloads it.
#[utoipa::path(get, path = "/v1/vendor/settlements/statements/{id}", tag = "settlements", security(("bearer" = [])),
    params(FormatParam),
    responses((status = 200, description = "as `format` asks", content(
            (StatementDetail = "application/json"), (String = "text/csv"), (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        (status = 404, body = Problem)))]
async fn statement(
    State(state): State<AppState>,
    v: VendorUser,
    Path(id): Path<Uuid>,
    Query(f): Query<FormatParam>,
) -> ApiResult<Response> {
    let d = statements::detail(&state.db, id, Some(v.vendor_id))
        .await
        .map_err(ApiError::from)?;
    render_statement(d, f.format.unwrap_or_default())
}

/// A statement as JSON or as a download.
pub fn render_statement(d: StatementDetail, format: Format) -> ApiResult<Response> {
    let name = format!(
        "statement-{}-{}",
        d.summary.period_end,
        d.summary.id.simple()
    );
    Ok(match format {
        Format::Json => Json(d).into_response(),
        Format::Csv => super::download(
            exports::statement_csv(&d).map_err(|e| ApiError::internal(anyhow::anyhow!(e)))?,
            "text/csv; charset=utf-8",
            &format!("{name}.csv"),
        ),
        Format::Xlsx => super::download(
            exports::statement_xlsx(&d).map_err(|e| ApiError::internal(anyhow::anyhow!(e)))?,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            &format!("{name}.xlsx"),
        ),
    })
}

/// The bank account payouts go to.
#[utoipa::path(get, path = "/v1/vendor/settlements/bank-account", tag = "settlements", security(("bearer" = [])),
    responses((status = 200, body = BankAccount), (status = 404, body = Problem)))]
async fn bank_account(
    State(state): State<AppState>,
    v: VendorUser,
) -> ApiResult<Json<BankAccount>> {
    payouts::current_account(&state.db, v.vendor_id)
        .await
        .map_err(ApiError::from)?
        .map(Json)
        .ok_or_else(|| ApiError::from(SettlementsError::NotFound("bank account")))
}

/// Register the bank account payouts go to (it replaces the current one; payouts already
/// scheduled keep theirs).
#[utoipa::path(put, path = "/v1/vendor/settlements/bank-account", tag = "settlements", security(("bearer" = [])),
    request_body = NewBankAccount,
    responses((status = 200, body = BankAccount), (status = 422, body = Problem)))]
async fn register_bank_account(
    State(state): State<AppState>,
    v: VendorUser,
    Json(a): Json<NewBankAccount>,
) -> ApiResult<Json<BankAccount>> {
    use sea_orm::TransactionTrait;
    let txn = state.db.begin().await?;
    let account = payouts::register_account(&txn, v.vendor_id, &a)
        .await
        .map_err(ApiError::from)?;
    txn.commit().await?;
    Ok(Json(account))
}
