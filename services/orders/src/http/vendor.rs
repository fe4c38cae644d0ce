//! The vendor console's orders: its own vendor orders only.

use crate::context::OrdersContext;
use crate::fulfilment;
use crate::states::VendorOrderStatus;
use crate::views::{self, ReturnAccepted, VendorOrderSummary};
use axum::extract::State;
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
        .routes(routes!(list_vendor_orders))
        .routes(routes!(ship))
        .routes(routes!(deliver))
        .routes(routes!(accept_return))
}

/// Accept a customer's return: the units go back in stock and the refund is paid, by
/// line, less the return shipping when the customer changed their mind.
#[utoipa::path(post, path = "/v1/vendor/orders/returns/{id}/accept", tag = "vendor console", security(("bearer" = [])),
    responses((status = 200, body = ReturnAccepted), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn accept_return(
    State(state): State<AppState>,
    axum::Extension(ctx): axum::Extension<OrdersContext>,
    v: VendorUser,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<ReturnAccepted>> {
    Ok(Json(
        fulfilment::accept_return(&state, &ctx, v.vendor_id, id).await?,
    ))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct VendorOrderFilter {
    /// preparing, shipped, delivered, confirmed or canceled (another word is 422; orders
    /// awaiting payment are never listed)
    #[param(inline)]
    pub status: Option<VendorOrderStatus>,
}

/// The vendor's paid orders to fulfil, newest first.
#[utoipa::path(get, path = "/v1/vendor/orders", tag = "vendor console", security(("bearer" = [])),
    params(PageParams, VendorOrderFilter), responses((status = 200, body = Page<VendorOrderSummary>)))]
async fn list_vendor_orders(
    State(state): State<AppState>,
    v: VendorUser,
    Query(page): Query<PageParams>,
    Query(f): Query<VendorOrderFilter>,
) -> ApiResult<Json<Page<VendorOrderSummary>>> {
    let limit = page.limit();
    let rows = views::vendor_orders(
        &state.db,
        v.vendor_id,
        f.status.map(String::from),
        page.decode::<Uuid>()?,
        limit + 1,
    )
    .await?;
    Ok(Json(Page::from_rows(rows, limit, |v| v.id, |v| v)))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Shipment {
    /// e.g. CJ대한통운, 우체국택배
    pub courier: String,
    pub tracking_number: String,
}

/// Mark a preparing vendor order shipped, with the courier and tracking number.
#[utoipa::path(post, path = "/v1/vendor/orders/{id}/ship", tag = "vendor console", security(("bearer" = [])),
    request_body = Shipment, responses((status = 204), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn ship(
    State(state): State<AppState>,
    v: VendorUser,
    Path(id): Path<Uuid>,
    Json(s): Json<Shipment>,
) -> ApiResult<axum::http::StatusCode> {
    fulfilment::ship(&state, v.vendor_id, id, &s.courier, &s.tracking_number).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

/// Mark a shipped vendor order delivered.
#[utoipa::path(post, path = "/v1/vendor/orders/{id}/deliver", tag = "vendor console", security(("bearer" = [])),
    responses((status = 204), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn deliver(
    State(state): State<AppState>,
    v: VendorUser,
    Path(id): Path<Uuid>,
) -> ApiResult<axum::http::StatusCode> {
    fulfilment::deliver(&state, v.vendor_id, id).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}
