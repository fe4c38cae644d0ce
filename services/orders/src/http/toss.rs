//! The redirect-then-confirm routes (Toss, and the test gateway walking the same path) and
//! Toss's webhook. See `payments::redirect` for the flow.

use crate::context::OrdersContext;
use crate::error::OrdersError;
use crate::payments::redirect::{
    self, ConfirmRequest, ConfirmResponse, ConfirmStatus, FailRequest, FailResponse,
};
use crate::payments::toss::flow;
use axum::Extension;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use platform::AppState;
use platform::auth::CustomerUser;
use platform::error::{ApiError, ApiResult, Problem};
use platform::extract::{Json, Path};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(confirm))
        .routes(routes!(fail))
        .routes(routes!(toss_webhook))
}

/// Only the gateway in use, and only one that redirects.
fn check_gateway(ctx: &OrdersContext, gateway: &str) -> ApiResult<()> {
    if gateway == ctx.gateway.name() && matches!(gateway, "toss" | "test") {
        Ok(())
    } else {
        Err(ApiError::not_found("payment gateway"))
    }
}

/// Confirm a payment after the payment window's success redirect: post what the success
/// URL received. The amount and order must match the order (else 422
/// `payment_mismatch`, and nothing is sent to the gateway). 200 `paid` or
/// `waiting_for_deposit` (a virtual account: deposit into it by its due date); 202
/// `in_doubt` when the gateway's answer was lost (the shop settles it; read the order
/// again). Repeating the call gives the same answer and never charges twice.
#[utoipa::path(post, path = "/v1/payments/{gateway}/confirm", tag = "payments", security(("bearer" = [])),
    params(("gateway" = String, Path, description = "`toss` (or `test` while the test gateway is in use)")),
    request_body = ConfirmRequest,
    responses((status = 200, body = ConfirmResponse), (status = 202, body = ConfirmResponse, description = "in doubt"),
        (status = 402, body = Problem, description = "payment_declined, payment_refused"),
        (status = 404, body = Problem),
        (status = 409, body = Problem, description = "payment_already_processed, payment_after_expiry"),
        (status = 422, body = Problem, description = "payment_mismatch, payment_below_minimum, payment_not_found"),
        (status = 502, body = Problem, description = "payment_provider_error")))]
async fn confirm(
    State(state): State<AppState>,
    Extension(ctx): Extension<OrdersContext>,
    CustomerUser(p): CustomerUser,
    Path(gateway): Path<String>,
    Json(req): Json<ConfirmRequest>,
) -> ApiResult<(StatusCode, Json<ConfirmResponse>)> {
    check_gateway(&ctx, &gateway)?;
    let answer = redirect::confirm(&state.db, &ctx, p.user_id, req).await?;
    let status = if answer.status == ConfirmStatus::InDoubt {
        StatusCode::ACCEPTED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(answer)))
}

/// The payment window failed or was closed: post what the fail URL received. The order's
/// stock and coupons are released at once (unless a payment is already under way).
#[utoipa::path(post, path = "/v1/payments/{gateway}/fail", tag = "payments", security(("bearer" = [])),
    params(("gateway" = String, Path, description = "`toss` (or `test` while the test gateway is in use)")),
    request_body = FailRequest,
    responses((status = 200, body = FailResponse), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn fail(
    State(state): State<AppState>,
    Extension(ctx): Extension<OrdersContext>,
    CustomerUser(p): CustomerUser,
    Path(gateway): Path<String>,
    Json(req): Json<FailRequest>,
) -> ApiResult<Json<FailResponse>> {
    check_gateway(&ctx, &gateway)?;
    Ok(Json(redirect::fail(&state.db, &ctx, p.user_id, req).await?))
}

/// A Toss webhook. PAYMENT_STATUS_CHANGED: the payment is fetched back from Toss and
/// what Toss answers is applied (the body is not trusted). DEPOSIT_CALLBACK: its `secret`
/// must be the one Toss gave with the virtual account (else 400, nothing changes). Each
/// change is applied once; a repeat is answered 200 at once.
#[utoipa::path(post, path = "/v1/payments/toss/webhook", tag = "payments",
    request_body(content = String, content_type = "application/json", description = "Toss's webhook body"),
    responses((status = 200), (status = 400, body = Problem), (status = 404, body = Problem),
        (status = 503, body = Problem, description = "Toss could not be asked; it delivers again")))]
async fn toss_webhook(
    State(state): State<AppState>,
    Extension(ctx): Extension<OrdersContext>,
    body: Bytes,
) -> ApiResult<StatusCode> {
    let Some(toss) = ctx.toss.clone() else {
        return Err(ApiError::not_found("payment gateway"));
    };
    let outcome =
        flow::webhook(&state.db, &ctx, &toss, &body)
            .await
            .map_err(|e: OrdersError| {
                if !matches!(e, OrdersError::Gateway(_)) {
                    tracing::warn!(error = %e, "toss webhook failed");
                }
                ApiError::from(e)
            })?;
    tracing::debug!(?outcome, "toss webhook");
    Ok(StatusCode::OK)
}
