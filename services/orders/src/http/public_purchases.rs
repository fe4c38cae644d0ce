//! The public-purchase disclosure (open to all) and the admin's view of invoices.

use crate::invoices::{self, InvoiceFilter, InvoiceScope, InvoiceView};
use crate::public_purchases::{self, Period, PublicPurchases};
use axum::extract::State;
use chrono::Utc;
use platform::AppState;
use platform::auth::AdminUser;
use platform::error::{ApiResult, Problem};
use platform::extract::{Json, Path, Query};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(disclosure))
        .routes(routes!(admin_invoices))
        .routes(routes!(admin_record_transfer))
}

/// 공공구매 공시: per public institution, what it bought through the shop in the half-year,
/// how much from local SMEs, the share and its rank. Public; no login.
#[utoipa::path(get, path = "/v1/reports/public-purchases", tag = "reports", params(Period),
    responses((status = 200, body = PublicPurchases), (status = 422, body = Problem)))]
async fn disclosure(
    State(state): State<AppState>,
    Query(period): Query<Period>,
) -> ApiResult<Json<PublicPurchases>> {
    Ok(Json(public_purchases::disclosure(&state.db, period).await?))
}

/// Every organisation's invoices (admin); `?state=overdue` lists what is late.
#[utoipa::path(get, path = "/v1/admin/invoices", tag = "organisations", security(("bearer" = [])),
    params(InvoiceFilter),
    responses((status = 200, body = Vec<InvoiceView>), (status = 403, body = Problem)))]
async fn admin_invoices(
    State(state): State<AppState>,
    AdminUser(_admin): AdminUser,
    Query(filter): Query<InvoiceFilter>,
) -> ApiResult<Json<Vec<InvoiceView>>> {
    let rows = invoices::list(
        &state.db,
        InvoiceScope::All,
        filter.state.unwrap_or_default(),
        Utc::now(),
    )
    .await?;
    Ok(Json(rows))
}

/// Record a transfer on a vendor's behalf (admin).
#[utoipa::path(post, path = "/v1/admin/invoices/{vendor_order_id}/paid", tag = "organisations", security(("bearer" = [])),
    params(("vendor_order_id" = Uuid, Path)),
    responses((status = 200, body = InvoiceView), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn admin_record_transfer(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    Path(vendor_order_id): Path<Uuid>,
) -> ApiResult<Json<InvoiceView>> {
    Ok(Json(
        invoices::record_transfer(&state.db, vendor_order_id, None, admin.user_id).await?,
    ))
}
