//! The orders service's error type, converted to problem+json in one place.

use crate::payments::GatewayError;
use catalog::error::CatalogError;
use platform::error::{ApiError, ErrorCode, FieldError};
use promotions::pricing::PricingError;
use sea_orm::DbErr;

#[derive(Debug, thiserror::Error)]
pub enum OrdersError {
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
    #[error("the cart is empty")]
    EmptyCart,
    #[error("lines unavailable")]
    Unavailable(serde_json::Value),
    #[error("quantity over the limit")]
    QuantityLimit { variant_id: uuid::Uuid, max: i32 },
    #[error("the total changed")]
    QuoteChanged(serde_json::Value),
    #[error("idempotency key reused with another request")]
    IdempotencyKeyReused,
    #[error("no such coupon")]
    CouponNotFound,
    #[error("cannot {action} when {state}")]
    IllegalTransition { action: &'static str, state: String },
    /// A payment problem with its own stable code (Toss's codes a shopper can meet).
    #[error("{1}")]
    Payment(ErrorCode, String),
    /// A row this service wrote earlier cannot be read back (a stored quote, answer or
    /// reason): a bug or a bad migration, never the caller's fault.
    #[error("stored data unreadable: {0}")]
    Stored(String),
    /// The remote-area table the shop keeps as data cannot be built.
    #[error("remote-area table: {0}")]
    RemoteAreas(String),
    #[error(transparent)]
    Gateway(#[from] GatewayError),
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    #[error(transparent)]
    Pricing(#[from] PricingError),
    #[error(transparent)]
    Promotions(#[from] promotions::PromotionsError),
    #[error(transparent)]
    Db(#[from] DbErr),
    /// A quotation's validity passed before it was accepted.
    #[error("the quotation expired")]
    QuotationExpired,
    /// A vendor has not answered its part yet.
    #[error("the quotation is not fully answered")]
    QuotationNotAnswered,
    /// An error of the platform's own (an organisation's credit line, say), already in
    /// its final form.
    #[error("{0}")]
    Platform(ApiError),
}

impl From<ApiError> for OrdersError {
    fn from(e: ApiError) -> Self {
        OrdersError::Platform(e)
    }
}

pub type OrdersResult<T> = Result<T, OrdersError>;

impl OrdersError {
    pub fn field(field: &str, code: &'static str, message: impl Into<String>) -> Self {
        OrdersError::Invalid(vec![FieldError::new(field, code, message)])
    }
}

impl From<OrdersError> for ApiError {
    #[track_caller]
    fn from(err: OrdersError) -> ApiError {
        match err {
            OrdersError::NotFound(what) => ApiError::not_found(what),
            OrdersError::Invalid(errors) => ApiError::validation(errors),
            OrdersError::EmptyCart => ApiError::new(ErrorCode::EmptyCart),
            OrdersError::Unavailable(lines) => ApiError::new(ErrorCode::LineUnavailable)
                .with_extra(serde_json::json!({ "lines": lines })),
            OrdersError::QuantityLimit { variant_id, max } => ApiError::new(
                ErrorCode::QuantityLimit,
            )
            .with_extra(serde_json::json!({ "variant_id": variant_id, "max_per_order": max })),
            OrdersError::QuoteChanged(quote) => ApiError::new(ErrorCode::QuoteChanged)
                .with_extra(serde_json::json!({ "quote": quote })),
            OrdersError::IdempotencyKeyReused => ApiError::new(ErrorCode::IdempotencyKeyReused),
            OrdersError::CouponNotFound => ApiError::new(ErrorCode::CouponNotFound),
            OrdersError::IllegalTransition { action, state } => {
                ApiError::new(ErrorCode::IllegalTransition)
                    .with_detail(format!("cannot {action} when {state}"))
            }
            OrdersError::Payment(code, m) => ApiError::new(code).with_detail(m),
            e @ (OrdersError::Stored(_) | OrdersError::RemoteAreas(_)) => ApiError::internal(e),
            OrdersError::Gateway(GatewayError::BadSignature(m)) => {
                ApiError::new(ErrorCode::WebhookSignature).with_detail(m)
            }
            OrdersError::Gateway(GatewayError::Refused(m)) => {
                ApiError::new(ErrorCode::PaymentRefused).with_detail(m)
            }
            OrdersError::Gateway(GatewayError::Malformed(m)) => {
                ApiError::new(ErrorCode::BadRequest).with_detail(m)
            }
            OrdersError::Gateway(e) => ApiError::unavailable(e),
            OrdersError::Catalog(e) => ApiError::from(e),
            // The address is parsed before it is priced; a vendor without a usable
            // shipping policy or a price the engine refuses is the shop's data.
            OrdersError::Pricing(e) => ApiError::internal(e),
            OrdersError::Promotions(e) => ApiError::from(e),
            OrdersError::Db(e) => ApiError::from(e),
            OrdersError::QuotationExpired => ApiError::new(ErrorCode::QuotationExpired),
            OrdersError::QuotationNotAnswered => ApiError::new(ErrorCode::QuotationNotAnswered),
            OrdersError::Platform(e) => e,
        }
    }
}
