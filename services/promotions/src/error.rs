//! The promotions service's error type. Domain code speaks in these; `From<PromotionsError>
//! for ApiError` is the one place they become HTTP problems. The error code table lives in
//! `platform`; what is specific to promotions goes in `detail` and `extra.reason`.

use platform::error::{ApiError, ErrorCode, FieldError};
use sea_orm::DbErr;
use serde_json::json;
use uuid::Uuid;

#[derive(Debug, thiserror::Error)]
pub enum PromotionsError {
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
    #[error("{0}")]
    Conflict(String),
    /// Two campaign prices for the same variant would be live at the same moment.
    #[error("campaign price contradicts price {other_price_id} of campaign {other_campaign_id}")]
    PriceContradiction {
        product_id: Uuid,
        variant_id: Option<Uuid>,
        other_campaign_id: Uuid,
        other_price_id: Uuid,
    },
    #[error("cannot {action} when {state}")]
    IllegalTransition { action: &'static str, state: String },
    #[error("no such coupon")]
    CouponNotFound,
    /// The coupon cannot be used any more by anyone: total uses, budget, window, disabled.
    #[error("coupon exhausted: {0}")]
    CouponExhausted(&'static str),
    /// This customer has used the coupon as often as allowed.
    #[error("coupon already used {limit} time(s) by this customer")]
    CouponLimit { limit: i32 },
    #[error("time deal sold out")]
    DealSoldOut { deal_id: Uuid },
    #[error("time deal per-customer limit reached")]
    DealLimit { deal_id: Uuid, limit: i32 },
    #[error("time deal not running")]
    DealNotLive { deal_id: Uuid },
    #[error("today's coupons are not open yet")]
    DropNotOpen,
    #[error("today's coupons are gone")]
    DropExhausted,
    #[error(transparent)]
    Db(#[from] DbErr),
}

pub type PromotionsResult<T> = Result<T, PromotionsError>;

impl PromotionsError {
    pub fn field(field: &str, code: &'static str, message: impl Into<String>) -> Self {
        PromotionsError::Invalid(vec![FieldError::new(field, code, message)])
    }
}

fn conflict(reason: &str, detail: String) -> ApiError {
    ApiError::new(ErrorCode::Conflict)
        .with_detail(detail)
        .with_extra(json!({ "reason": reason }))
}

impl From<PromotionsError> for ApiError {
    #[track_caller]
    fn from(err: PromotionsError) -> ApiError {
        let detail = err.to_string();
        match err {
            PromotionsError::NotFound(what) => ApiError::not_found(what),
            PromotionsError::Invalid(errors) => ApiError::validation(errors),
            PromotionsError::Conflict(_) => ApiError::new(ErrorCode::Conflict).with_detail(detail),
            PromotionsError::PriceContradiction {
                product_id,
                variant_id,
                other_campaign_id,
                other_price_id,
            } => ApiError::new(ErrorCode::Conflict)
                .with_detail(detail)
                .with_extra(json!({
                    "reason": "price_contradiction",
                    "product_id": product_id,
                    "variant_id": variant_id,
                    "other_campaign_id": other_campaign_id,
                    "other_price_id": other_price_id,
                })),
            PromotionsError::IllegalTransition { .. } => {
                ApiError::new(ErrorCode::IllegalTransition).with_detail(detail)
            }
            PromotionsError::CouponNotFound => ApiError::new(ErrorCode::CouponNotFound),
            PromotionsError::CouponExhausted(why) => ApiError::new(ErrorCode::Conflict)
                .with_detail(detail)
                .with_extra(json!({ "reason": "coupon_exhausted", "limit": why })),
            PromotionsError::CouponLimit { .. } => conflict("coupon_customer_limit", detail),
            PromotionsError::DealSoldOut { deal_id } => ApiError::new(ErrorCode::Conflict)
                .with_detail(detail)
                .with_extra(json!({ "reason": "deal_sold_out", "deal_id": deal_id })),
            PromotionsError::DealLimit { deal_id, limit } => ApiError::new(
                ErrorCode::QuantityLimit,
            )
            .with_detail(detail)
            .with_extra(
                json!({ "reason": "deal_customer_limit", "deal_id": deal_id, "limit": limit }),
            ),
            PromotionsError::DealNotLive { deal_id } => ApiError::new(ErrorCode::Conflict)
                .with_detail(detail)
                .with_extra(json!({ "reason": "deal_not_live", "deal_id": deal_id })),
            PromotionsError::DropNotOpen => conflict("drop_not_open", detail),
            PromotionsError::DropExhausted => conflict("drop_exhausted", detail),
            PromotionsError::Db(e) => ApiError::from(e),
        }
    }
}

/// A unique violation of `constraint` becomes the caller's own error; anything else stays
/// a database error.
pub fn map_unique(
    err: DbErr,
    constraint: &str,
    make: impl FnOnce() -> PromotionsError,
) -> PromotionsError {
    match err.sql_err() {
        Some(sea_orm::SqlErr::UniqueConstraintViolation(msg)) if msg.contains(constraint) => make(),
        _ => PromotionsError::Db(err),
    }
}
