//! A vendor's side of organisation buying: its parts of quotations (never another
//! vendor's), the invoices it is owed and the tax invoices it has to issue.

use crate::invoices::{self, InvoiceFilter, InvoiceScope, InvoiceView};
use crate::quotations::{DeclinePart, QuotationAnswer, VendorQuotationView, store};
use crate::tax_invoices::{self, IssueTaxInvoice, TaxInvoiceFilter, TaxInvoiceView};
use axum::extract::State;
use axum::http::StatusCode;
use chrono::Utc;
use platform::AppState;
use platform::auth::VendorUser;
use platform::error::{ApiResult, Problem};
use platform::extract::{Json, Path, Query};
use platform::pagination::{Page, PageParams};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_quotations))
        .routes(routes!(get_quotation))
        .routes(routes!(answer_quotation))
        .routes(routes!(decline_quotation))
        .routes(routes!(list_invoices))
        .routes(routes!(record_transfer))
        .routes(routes!(list_tax_invoices))
        .routes(routes!(issue_tax_invoice))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct QuotationFilter {
    /// Only those still waiting for this vendor's answer.
    pub open: Option<bool>,
}

/// The quotations this vendor has a part in, newest first.
#[utoipa::path(get, path = "/v1/vendor/quotations", tag = "vendor console", security(("bearer" = [])),
    params(PageParams, QuotationFilter),
    responses((status = 200, body = Page<VendorQuotationView>)))]
async fn list_quotations(
    State(state): State<AppState>,
    v: VendorUser,
    Query(page): Query<PageParams>,
    Query(filter): Query<QuotationFilter>,
) -> ApiResult<Json<Page<VendorQuotationView>>> {
    let limit = page.limit();
    let rows = store::vendor_list(
        &state.db,
        v.vendor_id,
        filter.open.unwrap_or(false),
        page.decode::<Uuid>()?,
        limit + 1,
    )
    .await?;
    Ok(Json(Page::from_rows(
        rows,
        limit,
        |q| q.quotation_id,
        |q| q,
    )))
}

/// This vendor's part of a quotation.
#[utoipa::path(get, path = "/v1/vendor/quotations/{id}", tag = "vendor console", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = VendorQuotationView), (status = 404, body = Problem)))]
async fn get_quotation(
    State(state): State<AppState>,
    v: VendorUser,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<VendorQuotationView>> {
    Ok(Json(store::vendor_view(&state.db, v.vendor_id, id).await?))
}

/// Answer this vendor's part: a unit price for every line, shipping, validity, notes.
#[utoipa::path(post, path = "/v1/vendor/quotations/{id}/answer", tag = "vendor console", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = QuotationAnswer,
    responses((status = 200, body = VendorQuotationView), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn answer_quotation(
    State(state): State<AppState>,
    v: VendorUser,
    Path(id): Path<Uuid>,
    Json(req): Json<QuotationAnswer>,
) -> ApiResult<Json<VendorQuotationView>> {
    store::answer(&state.db, v.vendor_id, id, req, Utc::now()).await?;
    Ok(Json(store::vendor_view(&state.db, v.vendor_id, id).await?))
}

/// Decline this vendor's part.
#[utoipa::path(post, path = "/v1/vendor/quotations/{id}/decline", tag = "vendor console", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = DeclinePart,
    responses((status = 204), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn decline_quotation(
    State(state): State<AppState>,
    v: VendorUser,
    Path(id): Path<Uuid>,
    Json(req): Json<DeclinePart>,
) -> ApiResult<StatusCode> {
    store::decline(&state.db, v.vendor_id, id, req).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The invoices this vendor is owed by organisations, by due date.
#[utoipa::path(get, path = "/v1/vendor/invoices", tag = "vendor console", security(("bearer" = [])),
    params(InvoiceFilter),
    responses((status = 200, body = Vec<InvoiceView>)))]
async fn list_invoices(
    State(state): State<AppState>,
    v: VendorUser,
    Query(filter): Query<InvoiceFilter>,
) -> ApiResult<Json<Vec<InvoiceView>>> {
    let scope = InvoiceScope::Vendor(v.vendor_id);
    Ok(Json(filter.list(&state.db, scope).await?))
}

/// Record that the organisation's transfer for this vendor order arrived.
#[utoipa::path(post, path = "/v1/vendor/invoices/{vendor_order_id}/paid", tag = "vendor console", security(("bearer" = [])),
    params(("vendor_order_id" = Uuid, Path)),
    responses((status = 200, body = InvoiceView), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn record_transfer(
    State(state): State<AppState>,
    v: VendorUser,
    Path(vendor_order_id): Path<Uuid>,
) -> ApiResult<Json<InvoiceView>> {
    let view = invoices::record_transfer(
        &state.db,
        vendor_order_id,
        Some(v.vendor_id),
        v.principal.user_id,
    )
    .await?;
    Ok(Json(view))
}

/// The tax invoices this vendor was asked for (by default those still to issue).
#[utoipa::path(get, path = "/v1/vendor/tax-invoices", tag = "vendor console", security(("bearer" = [])),
    params(TaxInvoiceFilter),
    responses((status = 200, body = Vec<TaxInvoiceView>)))]
async fn list_tax_invoices(
    State(state): State<AppState>,
    v: VendorUser,
    Query(filter): Query<TaxInvoiceFilter>,
) -> ApiResult<Json<Vec<TaxInvoiceView>>> {
    let vendor = Some(v.vendor_id);
    Ok(Json(filter.list(&state.db, None, vendor).await?))
}

/// Record the approval number of the tax invoice issued for this vendor order.
#[utoipa::path(post, path = "/v1/vendor/tax-invoices/{vendor_order_id}/issue", tag = "vendor console", security(("bearer" = [])),
    params(("vendor_order_id" = Uuid, Path)), request_body = IssueTaxInvoice,
    responses((status = 200, body = TaxInvoiceView), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn issue_tax_invoice(
    State(state): State<AppState>,
    v: VendorUser,
    Path(vendor_order_id): Path<Uuid>,
    Json(req): Json<IssueTaxInvoice>,
) -> ApiResult<Json<TaxInvoiceView>> {
    Ok(Json(
        tax_invoices::issue(&state.db, v.vendor_id, vendor_order_id, req).await?,
    ))
}
