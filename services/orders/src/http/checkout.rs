//! `POST /v1/checkout`.

use crate::checkout::{self, CheckoutRequest, CheckoutResponse};
use crate::context::OrdersContext;
use axum::Extension;
use axum::extract::State;
use axum::http::StatusCode;
use platform::AppState;
use platform::auth::CustomerUser;
use platform::error::{ApiResult, Problem};
use platform::extract::{IdempotencyKey, Json};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(checkout_cart))
}

/// Turn the cart into an order and open its payment. Requires `Idempotency-Key`: a retry
/// with the same key and body returns the first answer and never charges twice; the same
/// key with another body is 422. If the total differs from `expected_total` the answer is
/// 409 `quote_changed` with the new quote.
#[utoipa::path(post, path = "/v1/checkout", tag = "checkout", security(("bearer" = [])),
    request_body = CheckoutRequest,
    params(("Idempotency-Key" = String, Header, description = "unique per checkout attempt")),
    responses((status = 201, body = CheckoutResponse), (status = 200, body = CheckoutResponse, description = "a replay"),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn checkout_cart(
    State(state): State<AppState>,
    Extension(ctx): Extension<OrdersContext>,
    CustomerUser(p): CustomerUser,
    IdempotencyKey(key): IdempotencyKey,
    Json(req): Json<CheckoutRequest>,
) -> ApiResult<(StatusCode, Json<CheckoutResponse>)> {
    let (created, resp) = checkout::checkout(&state.db, &ctx, p.user_id, None, &key, req).await?;
    Ok((
        if created {
            StatusCode::CREATED
        } else {
            StatusCode::OK
        },
        Json(resp),
    ))
}
