//! Payment webhooks and the test gateway's pay call.

use crate::context::OrdersContext;
use crate::error::OrdersError;
use crate::payments::apply;
use crate::payments::{
    ConfirmPayment, GatewayError, GatewayEvent, GatewayEventKind, PaymentStatus,
};
use crate::views::{self, OrderView};
use axum::Extension;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use platform::AppState;
use platform::auth::CustomerUser;
use platform::error::{ApiError, ApiResult, Problem};
use platform::extract::{Json, Path};
use platform::money::Won;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(webhook))
}

pub fn test_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(test_pay))
}

/// A gateway's webhook (`/v1/payments/stripe/webhook` for Stripe). Verified by signature;
/// each event applied once however often and in whatever order it arrives.
#[utoipa::path(post, path = "/v1/payments/{gateway}/webhook", tag = "payments",
    request_body(content = String, content_type = "application/json", description = "the gateway's signed event"),
    responses((status = 200), (status = 400, body = Problem), (status = 404, body = Problem)))]
async fn webhook(
    State(state): State<AppState>,
    Extension(ctx): Extension<OrdersContext>,
    Path(gateway): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<StatusCode> {
    if gateway != ctx.gateway.name() {
        return Err(ApiError::not_found("payment gateway"));
    }
    let event = ctx
        .gateway
        .parse_webhook(&headers, &body)
        .map_err(|e| match e {
            // A gateway that sends no webhooks (the test one) has no webhook to post to.
            GatewayError::Unsupported(_) => ApiError::not_found("payment gateway webhook"),
            e => OrdersError::from(e).into(),
        })?;
    apply::apply(&state.db, ctx.gateway.as_ref(), event).await?;
    Ok(StatusCode::OK)
}

/// Pay an order with the test gateway (exists only while `PAYMENT_GATEWAY=test`).
#[utoipa::path(post, path = "/v1/payments/test/orders/{id}/pay", tag = "payments", security(("bearer" = [])),
    responses((status = 200, body = OrderView), (status = 404, body = Problem)))]
async fn test_pay(
    State(state): State<AppState>,
    Extension(ctx): Extension<OrdersContext>,
    CustomerUser(p): CustomerUser,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<OrderView>> {
    let order = views::payable_order(&state.db, p.user_id, id).await?;
    let payment_ref = order.payment_ref.unwrap_or_default();
    let amount = order.grand_total;
    let outcome = ctx
        .gateway
        .confirm(ConfirmPayment {
            payment_ref: payment_ref.clone(),
            order_id: id,
            amount: Won(amount),
            idempotency_key: format!("confirm-{id}"),
        })
        .await
        .map_err(OrdersError::from)?;
    if outcome.status == PaymentStatus::Succeeded {
        let event = GatewayEvent {
            event_id: format!("test:{id}:succeeded"),
            kind: GatewayEventKind::PaymentSucceeded {
                payment_ref,
                order_id: Some(id),
                amount: outcome.amount,
            },
        };
        apply::apply(&state.db, ctx.gateway.as_ref(), event).await?;
    }
    Ok(Json(views::customer_order(&state.db, p.user_id, id).await?))
}
