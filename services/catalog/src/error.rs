//! The catalog's error type. Domain code speaks in these; `From<CatalogError> for
//! ApiError` is the one place they become HTTP problems.

use platform::error::{ApiError, ErrorCode, FieldError};
use sea_orm::DbErr;

#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
    /// A list's `cursor` that is not one of its `next_cursor`s.
    #[error("invalid cursor")]
    InvalidCursor,
    #[error("business is not in Incheon")]
    NotLocal,
    #[error("business number already registered")]
    BusinessNumberTaken,
    #[error("sku already used")]
    SkuTaken(String),
    #[error("not enough stock for variant {variant_id}")]
    InsufficientStock {
        variant_id: uuid::Uuid,
        available: i32,
    },
    #[error("stock is {actual}, not {expected}")]
    StockMismatch { expected: i32, actual: i32 },
    #[error("cannot {action} when {state}")]
    IllegalTransition { action: &'static str, state: String },
    #[error("cannot publish")]
    PublishIncomplete(Vec<FieldError>),
    #[error("vendor not approved")]
    VendorNotApproved,
    /// A category moved under itself or one of its descendants.
    #[error("category cycle")]
    CategoryCycle,
    /// Promotions could not price the products (the cause is logged, never shown).
    #[error("live prices: {0}")]
    LivePrices(String),
    /// An uploaded image was refused.
    #[error("image: {0}")]
    Image(crate::image_prep::Rejection),
    /// The object store failed (the cause is logged, never shown).
    #[error("media storage: {0}")]
    Storage(String),
    #[error(transparent)]
    Db(#[from] DbErr),
}

pub type CatalogResult<T> = Result<T, CatalogError>;

impl CatalogError {
    pub fn field(field: &str, code: &'static str, message: impl Into<String>) -> Self {
        CatalogError::Invalid(vec![FieldError::new(field, code, message)])
    }
}

impl From<CatalogError> for ApiError {
    #[track_caller]
    fn from(err: CatalogError) -> ApiError {
        match err {
            CatalogError::NotFound(what) => ApiError::not_found(what),
            CatalogError::Invalid(errors) => ApiError::validation(errors),
            CatalogError::InvalidCursor => platform::pagination::invalid_cursor(),
            CatalogError::NotLocal => ApiError::new(ErrorCode::NotLocalBusiness),
            CatalogError::BusinessNumberTaken => ApiError::new(ErrorCode::BusinessNumberTaken),
            CatalogError::SkuTaken(sku) => {
                ApiError::new(ErrorCode::SkuTaken).with_detail(format!("SKU {sku} is already used"))
            }
            CatalogError::InsufficientStock {
                variant_id,
                available,
            } => ApiError::new(ErrorCode::InsufficientStock).with_extra(
                serde_json::json!({ "variant_id": variant_id, "available": available }),
            ),
            CatalogError::StockMismatch { expected, actual } => {
                ApiError::new(ErrorCode::StockMismatch)
                    .with_detail(format!("expected on_hand {expected}, it is {actual}"))
                    .with_extra(serde_json::json!({ "on_hand": actual }))
            }
            CatalogError::IllegalTransition { action, state } => {
                ApiError::new(ErrorCode::IllegalTransition)
                    .with_detail(format!("cannot {action} when {state}"))
            }
            CatalogError::PublishIncomplete(errors) => ApiError {
                errors,
                ..ApiError::new(ErrorCode::PublishIncomplete)
            },
            CatalogError::VendorNotApproved => ApiError::new(ErrorCode::VendorNotApproved),
            CatalogError::CategoryCycle => ApiError {
                errors: vec![FieldError::new(
                    "parent_id",
                    "category_cycle",
                    "a category cannot move under itself or one of its subcategories",
                )],
                ..ApiError::new(ErrorCode::CategoryCycle)
            },
            CatalogError::LivePrices(cause) => ApiError::internal(anyhow::anyhow!(cause)),
            CatalogError::Image(r) => image_problem(r),
            CatalogError::Storage(cause) => ApiError::unavailable(anyhow::anyhow!(cause)),
            CatalogError::Db(e) => ApiError::from(e),
        }
    }
}

fn image_problem(r: crate::image_prep::Rejection) -> ApiError {
    use crate::image_prep::Rejection;
    let (code, field_code) = match &r {
        Rejection::TooLarge { .. } => (ErrorCode::ImageTooLarge, "too_large"),
        Rejection::Unsupported => (ErrorCode::ImageTypeUnsupported, "unsupported_type"),
        Rejection::Unreadable(_) => (ErrorCode::ImageUnreadable, "unreadable"),
        Rejection::TooManyPixels => (ErrorCode::Validation, "too_many_pixels"),
    };
    ApiError {
        errors: vec![FieldError::new("file", field_code, r.to_string())],
        ..ApiError::new(code).with_detail(r.to_string())
    }
}

/// A unique violation of `constraint` becomes the caller's own error; anything else
/// stays a database error.
pub fn map_unique(
    err: DbErr,
    constraint: &str,
    make: impl FnOnce() -> CatalogError,
) -> CatalogError {
    match err.sql_err() {
        Some(sea_orm::SqlErr::UniqueConstraintViolation(msg)) if msg.contains(constraint) => make(),
        _ => CatalogError::Db(err),
    }
}
