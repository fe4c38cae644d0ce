//! The reports service's error type, converted to problem+json in one place.

use catalog::error::CatalogError;
use orders::error::OrdersError;
use platform::error::{ApiError, FieldError};
use promotions::PromotionsError;
use sea_orm::DbErr;

#[derive(Debug, thiserror::Error)]
pub enum ReportsError {
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
    #[error("cannot produce the file: {0}")]
    Render(String),
    #[error(transparent)]
    Orders(#[from] OrdersError),
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    #[error(transparent)]
    Promotions(#[from] PromotionsError),
    #[error(transparent)]
    Db(#[from] DbErr),
}

pub type ReportsResult<T> = Result<T, ReportsError>;

impl ReportsError {
    pub fn field(field: &str, code: &'static str, message: impl Into<String>) -> Self {
        ReportsError::Invalid(vec![FieldError::new(field, code, message)])
    }
}

impl From<ReportsError> for ApiError {
    #[track_caller]
    fn from(err: ReportsError) -> ApiError {
        match err {
            ReportsError::NotFound(what) => ApiError::not_found(what),
            ReportsError::Invalid(errors) => ApiError::validation(errors),
            ReportsError::Render(e) => ApiError::internal(anyhow::Error::msg(e)),
            ReportsError::Orders(e) => ApiError::from(e),
            ReportsError::Catalog(e) => ApiError::from(e),
            ReportsError::Promotions(e) => ApiError::from(e),
            ReportsError::Db(e) => ApiError::from(e),
        }
    }
}
