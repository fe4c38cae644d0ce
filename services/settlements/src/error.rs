//! The settlements service's error type, converted to problem+json in one place.

use catalog::error::CatalogError;
use orders::error::OrdersError;
use platform::error::{ApiError, ErrorCode, FieldError};
use sea_orm::DbErr;

#[derive(Debug, thiserror::Error)]
pub enum SettlementsError {
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
    #[error("cannot {action} when {state}")]
    IllegalTransition { action: &'static str, state: String },
    /// The payout provider could not take the batch: nothing was sent.
    #[error("payout provider: {0}")]
    PayoutProvider(String),
    #[error(transparent)]
    Orders(#[from] OrdersError),
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    #[error(transparent)]
    Db(#[from] DbErr),
}

pub type SettlementsResult<T> = Result<T, SettlementsError>;

impl SettlementsError {
    pub fn field(field: &str, code: &'static str, message: impl Into<String>) -> Self {
        SettlementsError::Invalid(vec![FieldError::new(field, code, message)])
    }
}

impl From<SettlementsError> for ApiError {
    #[track_caller]
    fn from(err: SettlementsError) -> ApiError {
        match err {
            SettlementsError::NotFound(what) => ApiError::not_found(what),
            SettlementsError::Invalid(errors) => ApiError::validation(errors),
            SettlementsError::IllegalTransition { action, state } => {
                ApiError::new(ErrorCode::IllegalTransition)
                    .with_detail(format!("cannot {action} when {state}"))
            }
            // A 500 as before: nothing was sent; the cause goes to the log, not the body.
            SettlementsError::PayoutProvider(m) => ApiError::internal(anyhow::anyhow!(m)),
            SettlementsError::Orders(e) => ApiError::from(e),
            SettlementsError::Catalog(e) => ApiError::from(e),
            SettlementsError::Db(e) => ApiError::from(e),
        }
    }
}
