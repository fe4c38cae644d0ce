//! The search crate's one error type. `From<SearchError> for ApiError` is the one place
//! search failures become HTTP problems: bad input is the caller's (400/422), everything
//! a backend does wrong is a 503 that says nothing internal.

use platform::error::{ApiError, FieldError};
use sea_orm::DbErr;

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    /// The query is not valid (field errors name what to fix).
    #[error("invalid search input")]
    Invalid(Vec<FieldError>),
    /// A cursor that this search did not hand out.
    #[error("invalid cursor")]
    InvalidCursor,
    #[error(transparent)]
    Db(#[from] DbErr),
    #[error(transparent)]
    Redis(#[from] redis::RedisError),
    /// The search engine answered with an error, or could not be reached.
    #[error("search backend: {0}")]
    Backend(String),
    /// An asynchronous engine task (a write, settings, a swap) ended in failure.
    #[error("search task {task_uid} failed: {code}: {message}")]
    TaskFailed {
        task_uid: u32,
        code: String,
        message: String,
    },
    /// A request or task did not finish in time.
    #[error("search backend timed out while {0}")]
    Timeout(&'static str),
    /// Settings at start (e.g. `MEILISEARCH_URL`) are not usable.
    #[error("search configuration: {0}")]
    Config(String),
}

pub type SearchResult<T> = Result<T, SearchError>;

impl SearchError {
    pub fn field(field: &str, code: &'static str, message: impl Into<String>) -> Self {
        SearchError::Invalid(vec![FieldError::new(field, code, message)])
    }
}

impl From<meilisearch_sdk::errors::Error> for SearchError {
    fn from(err: meilisearch_sdk::errors::Error) -> Self {
        match err {
            meilisearch_sdk::errors::Error::Timeout => SearchError::Timeout("waiting for a task"),
            other => SearchError::Backend(other.to_string()),
        }
    }
}

/// Promotions is read only for campaign membership: its database errors are ours (sorted
/// like any other), anything else it reports is a failing dependency.
impl From<promotions::PromotionsError> for SearchError {
    fn from(err: promotions::PromotionsError) -> Self {
        match err {
            promotions::PromotionsError::Db(e) => SearchError::Db(e),
            other => SearchError::Backend(format!("promotions: {other}")),
        }
    }
}

impl From<SearchError> for ApiError {
    #[track_caller]
    fn from(err: SearchError) -> ApiError {
        match err {
            SearchError::Invalid(errors) => ApiError::validation(errors),
            SearchError::InvalidCursor => platform::pagination::invalid_cursor(),
            SearchError::Db(e) => ApiError::from(e),
            other => ApiError::unavailable(other),
        }
    }
}
