//! A customer's orders: list, detail, cancel before shipping, confirm a purchase.

use crate::context::OrdersContext;
use crate::invoices::{self, CreditBack};
use crate::lifecycle;
use crate::payments::refunds;
use crate::returns::{self, ReturnRequest};
use crate::states::{OrderStatus, ReturnStatus};
use crate::views::{self, OrderView, ReturnOpened};
use axum::Extension;
use axum::extract::State;
use platform::AppState;
use platform::auth::CustomerUser;
use platform::error::{ApiResult, Problem};
use platform::extract::{Json, Path, Query};
use platform::pagination::{Page, PageParams};
use sea_orm::TransactionTrait;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_orders))
        .routes(routes!(get_order))
        .routes(routes!(cancel_order))
        .routes(routes!(confirm_purchase))
        .routes(routes!(request_return))
}

/// Ask to return delivered goods (청약철회): within 7 days of delivery for a change of
/// mind (not for withdrawal-restricted products), or for defective or wrong goods.
#[utoipa::path(post, path = "/v1/orders/{id}/returns", tag = "orders", security(("bearer" = [])),
    request_body = ReturnRequest,
    responses((status = 201, body = ReturnOpened), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn request_return(
    State(state): State<AppState>,
    CustomerUser(p): CustomerUser,
    Path(id): Path<Uuid>,
    Json(req): Json<ReturnRequest>,
) -> ApiResult<(axum::http::StatusCode, Json<ReturnOpened>)> {
    let txn = state.db.begin().await?;
    let account = req.refund_account.clone();
    let return_id = returns::request(&txn, p.user_id, id, req, chrono::Utc::now()).await?;
    // After the order is known to be the customer's; an error rolls the request back.
    refunds::check_refund_account(&txn, id, account.as_ref()).await?;
    txn.commit().await?;
    Ok((
        axum::http::StatusCode::CREATED,
        Json(ReturnOpened {
            return_id,
            status: ReturnStatus::Requested,
        }),
    ))
}

/// The signed-in customer's orders, newest first.
#[utoipa::path(get, path = "/v1/orders", tag = "orders", security(("bearer" = [])), params(PageParams),
    responses((status = 200, body = Page<OrderView>)))]
async fn list_orders(
    State(state): State<AppState>,
    CustomerUser(p): CustomerUser,
    Query(page): Query<PageParams>,
) -> ApiResult<Json<Page<OrderView>>> {
    let limit = page.limit();
    let rows =
        views::customer_orders(&state.db, p.user_id, page.decode::<Uuid>()?, limit + 1).await?;
    Ok(Json(Page::from_rows(rows, limit, |o| o.id, |o| o)))
}

/// One order with its vendor orders, lines and history.
#[utoipa::path(get, path = "/v1/orders/{id}", tag = "orders", security(("bearer" = [])),
    responses((status = 200, body = OrderView), (status = 404, body = Problem)))]
async fn get_order(
    State(state): State<AppState>,
    CustomerUser(p): CustomerUser,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<OrderView>> {
    Ok(Json(views::customer_order(&state.db, p.user_id, id).await?))
}

/// Cancel before anything shipped: stock goes back and a paid order is refunded in full.
/// The body is optional; an order paid into a virtual account needs `refund_account`.
#[utoipa::path(post, path = "/v1/orders/{id}/cancel", tag = "orders", security(("bearer" = [])),
    request_body(content = refunds::CancelOrderRequest, description = "optional"),
    responses((status = 200, body = OrderView), (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 422, body = Problem)))]
async fn cancel_order(
    State(state): State<AppState>,
    Extension(ctx): Extension<OrdersContext>,
    CustomerUser(p): CustomerUser,
    Path(id): Path<Uuid>,
    body: axum::body::Bytes,
) -> ApiResult<Json<OrderView>> {
    let req = refunds::CancelOrderRequest::parse(&body)?;
    let txn = state.db.begin().await?;
    let order = lifecycle::lock_order(&txn, id).await?;
    if order.customer_id == p.user_id && order.status == OrderStatus::Paid {
        // Before anything changes: a refund Toss could not pay back is no refund.
        refunds::check_refund_account(&txn, id, req.refund_account.as_ref()).await?;
    }
    let mut refund = lifecycle::cancel_by_customer(&txn, id, p.user_id).await?;
    if let Some(amount) = refund {
        // Bought on invoice (후불): nothing was charged, so the credit comes back instead.
        if let CreditBack::Credited { .. } = invoices::credit_back(&txn, id, None, amount).await? {
            refund = Some(0);
        }
    }
    txn.commit().await?;
    let payment_ref = order.payment_ref.clone().unwrap_or_default();
    match refund {
        Some(amount) if amount > 0 => {
            let tax_free_amount = refunds::tax_free_part(&state.db, id, amount, true).await?;
            refunds::pay_out(
                &state.db,
                &ctx,
                refunds::Refund {
                    order_id: id,
                    amount,
                    tax_free_amount,
                    reason: "canceled by the customer before shipping".into(),
                    idempotency_key: format!("refund-cancel-{id}"),
                    refund_account: req.refund_account,
                },
            )
            .await?;
        }
        Some(_) => {}
        None => {
            if let Err(e) = ctx
                .gateway
                .cancel(&payment_ref, &format!("cancel-{id}"))
                .await
            {
                tracing::warn!(order_id = %id, error = %e, "could not cancel the open payment");
            }
        }
    }
    Ok(Json(views::customer_order(&state.db, p.user_id, id).await?))
}

/// Confirm the purchase of a delivered vendor order (구매확정); it closes the withdrawal
/// window and is what settlement counts.
#[utoipa::path(post, path = "/v1/orders/{id}/vendor-orders/{vendor_order_id}/confirm", tag = "orders",
    security(("bearer" = [])), responses((status = 200, body = OrderView), (status = 409, body = Problem)))]
async fn confirm_purchase(
    State(state): State<AppState>,
    CustomerUser(p): CustomerUser,
    Path((id, vendor_order_id)): Path<(Uuid, Uuid)>,
) -> ApiResult<Json<OrderView>> {
    let txn = state.db.begin().await?;
    lifecycle::confirm(&txn, vendor_order_id, Some(p.user_id), "customer").await?;
    txn.commit().await?;
    Ok(Json(views::customer_order(&state.db, p.user_id, id).await?))
}
