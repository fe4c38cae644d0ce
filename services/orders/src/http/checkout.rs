//! `POST /v1/checkout`.

use crate::checkout::{self, CheckoutRequest, CheckoutResponse};
use crate::context::OrdersContext;
use axum::Extension;
use axum::extract::State;
use axum::http::StatusCode;
use platform::AppState;
use platform::auth::CustomerUser;
use platform::error::ApiError;
use platform::error::{ApiResult, Problem};
use platform::extract::{IdempotencyKey, Json};
use platform::ratelimit::{self, Verdict, Window};
use std::time::Duration;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(checkout_cart))
}

/// Checkouts a customer may start a minute (`JIKGU_CHECKOUT_PER_MINUTE`). Each holds stock
/// until it is paid or lapses, so one account must not be able to hold a flash sale's stock
/// with a loop; a retry under the same `Idempotency-Key` is the same attempt and never
/// counts again.
pub(crate) fn checkouts(state: &AppState) -> Window {
    Window {
        limit: state.config.checkout_per_minute,
        period: Duration::from_secs(60),
    }
}

/// Turn the cart into an order and open its payment. Requires `Idempotency-Key`: a retry
/// with the same key and body returns the first answer and never charges twice; the same
/// key with another body is 422. If the total differs from `expected_total` the answer is
/// 409 `quote_changed` with the new quote. At most `JIKGU_CHECKOUT_PER_MINUTE` checkouts
/// (distinct keys, default 10) a minute per customer (429 with `Retry-After`).
#[utoipa::path(post, path = "/v1/checkout", tag = "checkout", security(("bearer" = [])),
    request_body = CheckoutRequest,
    params(("Idempotency-Key" = String, Header, description = "unique per checkout attempt")),
    responses((status = 201, body = CheckoutResponse), (status = 200, body = CheckoutResponse, description = "a replay"),
        (status = 409, body = Problem), (status = 422, body = Problem), (status = 429, body = Problem)))]
async fn checkout_cart(
    State(state): State<AppState>,
    Extension(ctx): Extension<OrdersContext>,
    CustomerUser(p): CustomerUser,
    IdempotencyKey(key): IdempotencyKey,
    Json(req): Json<CheckoutRequest>,
) -> ApiResult<(StatusCode, Json<CheckoutResponse>)> {
    // Counted before the attempt, in one step, so concurrent attempts cannot overrun it.
    if let Verdict::Limited(secs) = ratelimit::acquire_distinct(
        &state.redis,
        &format!("checkout:{}", p.user_id),
        &key,
        &checkouts(&state),
    )
    .await
    {
        return Err(ApiError::rate_limited(secs));
    }
    let (created, resp) = checkout::checkout(
        &state.db,
        &state.autocommit,
        &ctx,
        p.user_id,
        None,
        &key,
        req,
    )
    .await?;
    Ok((
        if created {
            StatusCode::CREATED
        } else {
            StatusCode::OK
        },
        Json(resp),
    ))
}
