//! Carts: anonymous (by `X-Cart-Token`) or the signed-in customer's.
//!
//! Each statement a cart read or line write sends stands alone (one commits by itself), so
//! they run on `state.autocommit`, which takes a connection back without sqlx's ping: a
//! line write is one statement (two when a product of the cart is on promotion). They
//! yield to checkouts there ([`hot_pool`]). Merging is a transaction, on `state.db`.

use crate::carts::{self, CartView, Owner};
use crate::context::OrdersContext;
pub use crate::http::cart_owner::{CART_TOKEN, CartOwner, CartToken};
use crate::quoting;
use axum::Extension;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use platform::AppState;
use platform::auth::CustomerUser;
use platform::autocommit::Autocommit;
use platform::error::{ApiError, ApiResult, Problem};
use platform::extract::{Json, Path, Query};
use platform::postal::PostalCode;
use platform::quantity::Quantity;
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

/// The hot paths' pool, for cart work: it yields to checkouts, so that a checkout, the
/// request that completes a sale, does not queue behind every cart edit when connections
/// are short (`platform::autocommit`).
fn hot_pool(state: &AppState) -> Autocommit {
    state.autocommit.yielding()
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_cart))
        .routes(routes!(get_cart))
        .routes(routes!(set_line, remove_line))
        .routes(routes!(merge))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct NewCart {
    /// Send as `X-Cart-Token`; keep it secret, it is the cart.
    pub token: String,
}

/// Start an anonymous cart.
#[utoipa::path(post, path = "/v1/carts", tag = "carts", responses((status = 201, body = NewCart)))]
async fn create_cart(State(state): State<AppState>) -> ApiResult<(StatusCode, Json<NewCart>)> {
    let token = carts::create_anonymous(&hot_pool(&state)).await?;
    Ok((StatusCode::CREATED, Json(NewCart { token })))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CartQuery {
    /// Quote shipping to this postal code (remote-area surcharges apply).
    pub postal_code: Option<String>,
    /// Quote with these coupons, comma-separated (signed-in customers), e.g.
    /// `WELCOME3000,FREESHIP`: the stacking policy decides which apply, and the quote says
    /// why the others did not.
    pub coupon: Option<String>,
}

fn buyer<'a>(owner: &Owner, coupon_codes: &'a [String]) -> quoting::Buyer<'a> {
    match owner {
        Owner::Customer(id) => quoting::Buyer {
            customer: Some(*id),
            coupon_codes,
        },
        Owner::Token(_) => quoting::Buyer::default(),
    }
}

/// The cart with a fresh quote; lines that became unavailable or changed price are flagged.
#[utoipa::path(get, path = "/v1/carts/current", tag = "carts", params(CartQuery, CartToken),
    security((), ("bearer" = [])),
    responses((status = 200, body = CartView), (status = 401, body = Problem), (status = 404, body = Problem)))]
async fn get_cart(
    State(state): State<AppState>,
    Extension(ctx): Extension<OrdersContext>,
    CartOwner(who): CartOwner,
    Query(q): Query<CartQuery>,
) -> ApiResult<Json<CartView>> {
    // Only a malformed code is the customer's to fix; named as checkout names it.
    let postal = q
        .postal_code
        .as_deref()
        .map(|raw| {
            PostalCode::parse(raw).map_err(|_| {
                ApiError::field(
                    "address.postal_code",
                    "unpriceable",
                    format!("postal code `{raw}` is not 5 digits"),
                )
            })
        })
        .transpose()?;
    let pool = hot_pool(&state);
    let cart = carts::open(&pool, &who).await?;
    let codes: Vec<String> = q
        .coupon
        .as_deref()
        .unwrap_or_default()
        .split(',')
        .map(str::to_owned)
        .collect();
    Ok(Json(
        carts::view(&pool, ctx.kept(), &cart, postal, buyer(&who, &codes)).await?,
    ))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetQuantity {
    /// 0 removes the line.
    #[schema(maximum = 999)]
    pub quantity: u32,
}

impl SetQuantity {
    /// The line's new units, `None` to remove it: the one place the body's plain number
    /// becomes a [`Quantity`].
    fn units(&self) -> ApiResult<Option<Quantity>> {
        match self.quantity {
            0 => Ok(None),
            n => Quantity::new(n)
                .filter(|q| q.get() <= Quantity::CART_MAX)
                .map(Some)
                .ok_or_else(|| {
                    ApiError::field(
                        "quantity",
                        "out_of_range",
                        format!("must be 0 to {}", Quantity::CART_MAX),
                    )
                }),
        }
    }
}

/// Set how many of a variant the cart holds.
#[utoipa::path(put, path = "/v1/carts/current/lines/{variant_id}", tag = "carts", request_body = SetQuantity,
    params(CartToken), security((), ("bearer" = [])),
    responses((status = 200, body = CartView), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn set_line(
    State(state): State<AppState>,
    Extension(ctx): Extension<OrdersContext>,
    CartOwner(who): CartOwner,
    Path(variant_id): Path<Uuid>,
    Json(req): Json<SetQuantity>,
) -> ApiResult<Json<CartView>> {
    put_line(&state, &ctx, who, variant_id, req.units()?).await
}

/// Remove a line.
#[utoipa::path(delete, path = "/v1/carts/current/lines/{variant_id}", tag = "carts",
    params(CartToken), security((), ("bearer" = [])),
    responses((status = 200, body = CartView)))]
async fn remove_line(
    State(state): State<AppState>,
    Extension(ctx): Extension<OrdersContext>,
    CartOwner(who): CartOwner,
    Path(variant_id): Path<Uuid>,
) -> ApiResult<Json<CartView>> {
    put_line(&state, &ctx, who, variant_id, None).await
}

/// Write a line and answer with the cart, quoted with the catalog facts the write read.
async fn put_line(
    state: &AppState,
    ctx: &OrdersContext,
    who: Owner,
    variant_id: Uuid,
    quantity: Option<Quantity>,
) -> ApiResult<Json<CartView>> {
    let (cart, found) = carts::write(&hot_pool(state), &who, variant_id, quantity).await?;
    written(state, ctx, &who, &cart, found).await
}

/// The cart just written, quoted (no address, no coupons) with the catalog facts the
/// write read.
async fn written(
    state: &AppState,
    ctx: &OrdersContext,
    who: &Owner,
    cart: &carts::Cart,
    found: Vec<catalog::purchasable::Purchasable>,
) -> ApiResult<Json<CartView>> {
    let view = carts::view_known(
        &hot_pool(state),
        ctx.kept(),
        cart,
        found,
        None,
        buyer(who, &[]),
    )
    .await?;
    Ok(Json(view))
}

/// After signing in, merge the anonymous cart (`X-Cart-Token`) into the customer's:
/// quantities add up, capped by stock and per-order limits.
#[utoipa::path(post, path = "/v1/carts/current/merge", tag = "carts", security(("bearer" = [])),
    params(("X-Cart-Token" = String, Header, description = "the anonymous cart's token")),
    responses((status = 200, body = CartView), (status = 404, body = Problem)))]
async fn merge(
    State(state): State<AppState>,
    Extension(ctx): Extension<OrdersContext>,
    CustomerUser(p): CustomerUser,
    headers: HeaderMap,
) -> ApiResult<Json<CartView>> {
    let token = headers
        .get(CART_TOKEN)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| {
            ApiError::field(
                "X-Cart-Token",
                "required",
                "send the anonymous cart's token",
            )
        })?;
    let (cart, found) = carts::merge(&state.db, p.user_id, token).await?;
    written(&state, &ctx, &Owner::Customer(p.user_id), &cart, found).await
}
