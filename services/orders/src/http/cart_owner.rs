//! `CartOwner`: whose cart a request is about.

use crate::carts::Owner;
use axum::extract::{FromRef, FromRequestParts};
use axum::http::request::Parts;
use platform::AppState;
use platform::auth::{MaybeUser, Role};
use platform::error::{ApiError, ErrorCode};

/// The header an anonymous cart's token travels in.
pub const CART_TOKEN: &str = "x-cart-token";

/// The header, as the OpenAPI document lists it on the cart routes.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Header)]
pub struct CartToken {
    /// The anonymous cart's token (any string the client keeps); not needed when signed in.
    #[serde(rename = "X-Cart-Token")]
    pub token: Option<String>,
}

/// The signed-in customer's cart, or else the anonymous one `X-Cart-Token` names. A staff
/// account has no cart (403); a request with neither is 401.
#[derive(Debug, Clone)]
pub struct CartOwner(pub Owner);

impl<S> FromRequestParts<S> for CartOwner
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let MaybeUser(user) = MaybeUser::from_request_parts(parts, state).await?;
        match user {
            Some(p) if p.role == Role::Customer => Ok(CartOwner(Owner::Customer(p.user_id))),
            Some(_) => {
                Err(ApiError::new(ErrorCode::Forbidden).with_detail("only customers have carts"))
            }
            None => parts
                .headers
                .get(CART_TOKEN)
                .and_then(|v| v.to_str().ok())
                .map(|t| CartOwner(Owner::Token(t.to_owned())))
                .ok_or_else(|| {
                    ApiError::new(ErrorCode::Unauthenticated)
                        .with_detail("sign in, or send X-Cart-Token")
                }),
        }
    }
}
