//! The one place where errors become RFC 9457 problem details.
//!
//! Every service crate has its own error type and converts it into [`ApiError`]; only this
//! module knows how a problem is rendered. Each error carries a stable machine `code` from
//! the [`ErrorCode`] table: clients switch on the code, never on the English text.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;

/// Stable error codes, one line each: (variant, HTTP status, code, title).
macro_rules! error_codes {
    ($($variant:ident => ($status:ident, $code:literal, $title:literal),)*) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum ErrorCode { $($variant,)* }

        impl ErrorCode {
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant,)*];

            pub fn status(self) -> StatusCode {
                match self { $(ErrorCode::$variant => StatusCode::$status,)* }
            }
            pub fn code(self) -> &'static str {
                match self { $(ErrorCode::$variant => $code,)* }
            }
            pub fn title(self) -> &'static str {
                match self { $(ErrorCode::$variant => $title,)* }
            }
        }
    };
}

error_codes! {
    MalformedJson => (BAD_REQUEST, "malformed_json", "The request body is not valid JSON"),
    BadRequest => (BAD_REQUEST, "bad_request", "The request is not valid"),
    InvalidCursor => (UNPROCESSABLE_ENTITY, "invalid_cursor", "The pagination cursor is not valid"),
    Unauthenticated => (UNAUTHORIZED, "unauthenticated", "Authentication is required"),
    InvalidToken => (UNAUTHORIZED, "invalid_token", "The access token is invalid or expired"),
    InvalidCredentials => (UNAUTHORIZED, "invalid_credentials", "Email or password is wrong"),
    RefreshTokenInvalid => (UNAUTHORIZED, "refresh_token_invalid", "The refresh token is invalid or expired"),
    RefreshTokenReused => (UNAUTHORIZED, "refresh_token_reused", "The refresh token was already used; its session is revoked"),
    Forbidden => (FORBIDDEN, "forbidden", "Your role may not do this"),
    AccountDisabled => (FORBIDDEN, "account_disabled", "This account is disabled"),
    NotFound => (NOT_FOUND, "not_found", "Not found"),
    RouteNotFound => (NOT_FOUND, "route_not_found", "No such endpoint"),
    MethodNotAllowed => (METHOD_NOT_ALLOWED, "method_not_allowed", "Method not allowed on this endpoint"),
    Conflict => (CONFLICT, "conflict", "The request conflicts with the current state"),
    EmailTaken => (CONFLICT, "email_taken", "An account with this email already exists"),
    IdempotencyKeyInUse => (CONFLICT, "idempotency_key_in_use", "A request with this Idempotency-Key is still in progress"),
    PayloadTooLarge => (PAYLOAD_TOO_LARGE, "payload_too_large", "The request body is too large"),
    UnsupportedMediaType => (UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type", "Send JSON with Content-Type: application/json"),
    Validation => (UNPROCESSABLE_ENTITY, "validation_failed", "Some fields are not valid"),
    ReferenceNotFound => (UNPROCESSABLE_ENTITY, "reference_not_found", "The request refers to something that does not exist"),
    IdempotencyKeyReused => (UNPROCESSABLE_ENTITY, "idempotency_key_reused", "This Idempotency-Key was used with a different request"),
    NotLocalBusiness => (UNPROCESSABLE_ENTITY, "not_local_business", "Only businesses with an Incheon address (postal codes 21xxx-23xxx) may sell here"),
    BusinessNumberTaken => (CONFLICT, "business_number_taken", "A vendor with this business registration number already exists"),
    SkuTaken => (CONFLICT, "sku_taken", "This vendor already has a variant with this SKU"),
    InsufficientStock => (CONFLICT, "insufficient_stock", "Not enough stock"),
    StockMismatch => (CONFLICT, "stock_mismatch", "The stock changed since you read it"),
    IllegalTransition => (CONFLICT, "illegal_transition", "This change is not allowed in the current state"),
    CategoryCycle => (UNPROCESSABLE_ENTITY, "category_cycle", "A category cannot move under itself or one of its subcategories"),
    OwnAccount => (CONFLICT, "own_account", "An admin cannot disable or demote their own account"),
    PublishIncomplete => (UNPROCESSABLE_ENTITY, "publish_incomplete", "The product is missing what it needs to be published"),
    VendorNotApproved => (CONFLICT, "vendor_not_approved", "The vendor is not approved"),
    QuoteChanged => (CONFLICT, "quote_changed", "The total changed since you saw it; review the new quote"),
    EmptyCart => (UNPROCESSABLE_ENTITY, "empty_cart", "The cart is empty"),
    LineUnavailable => (CONFLICT, "line_unavailable", "Something in the cart can no longer be bought"),
    QuantityLimit => (UNPROCESSABLE_ENTITY, "quantity_limit", "The quantity is over the limit for this product"),
    CouponNotFound => (UNPROCESSABLE_ENTITY, "coupon_not_found", "No such coupon"),
    PaymentRefused => (PAYMENT_REQUIRED, "payment_refused", "The payment was refused"),
    WebhookSignature => (BAD_REQUEST, "webhook_signature", "The webhook signature is missing or wrong"),
    PaymentDeclined => (PAYMENT_REQUIRED, "payment_declined", "The card company or bank declined the payment"),
    PaymentBelowMinimum => (UNPROCESSABLE_ENTITY, "payment_below_minimum", "The amount is below the payment method's minimum"),
    PaymentAlreadyProcessed => (CONFLICT, "payment_already_processed", "This payment was already processed"),
    PaymentProviderError => (BAD_GATEWAY, "payment_provider_error", "The card company or bank could not be reached; try again"),
    PaymentMismatch => (UNPROCESSABLE_ENTITY, "payment_mismatch", "The payment does not match the order"),
    PaymentNotFound => (UNPROCESSABLE_ENTITY, "payment_not_found", "The gateway knows no such payment; start the payment again"),
    PaymentAfterExpiry => (CONFLICT, "payment_after_expiry", "The order's hold lapsed before the payment completed; the payment was cancelled"),
    OrganisationNotApproved => (CONFLICT, "organisation_not_approved", "The organisation is not approved to buy yet"),
    NotApprover => (FORBIDDEN, "not_approver", "Only an approver of the organisation may do this"),
    CreditLimitExceeded => (CONFLICT, "credit_limit_exceeded", "The order would take the organisation past its credit limit"),
    QuotationExpired => (CONFLICT, "quotation_expired", "The quotation's validity has passed; ask for a new one"),
    QuotationNotAnswered => (CONFLICT, "quotation_not_answered", "Not every vendor has answered the quotation yet"),
    ImageTooLarge => (PAYLOAD_TOO_LARGE, "image_too_large", "The image file is larger than the limit"),
    ImageTypeUnsupported => (UNPROCESSABLE_ENTITY, "image_type_unsupported", "Send a JPEG, PNG or WebP image"),
    ImageUnreadable => (UNPROCESSABLE_ENTITY, "image_unreadable", "The image could not be read"),
    RateLimited => (TOO_MANY_REQUESTS, "rate_limited", "Too many requests; retry later"),
    Internal => (INTERNAL_SERVER_ERROR, "internal", "Something went wrong on our side"),
    Unavailable => (SERVICE_UNAVAILABLE, "unavailable", "A backing service is unavailable; retry later"),
    Timeout => (REQUEST_TIMEOUT, "timeout", "The request took too long"),
}

/// A field that failed validation: where it is and what is wrong, with its own code.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct FieldError {
    /// JSON pointer-ish path of the field, e.g. `address.postal_code`.
    pub field: String,
    pub code: Cow<'static, str>,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, code: &'static str, message: impl Into<String>) -> Self {
        FieldError {
            field: field.into(),
            code: Cow::Borrowed(code),
            message: message.into(),
        }
    }
}

/// The problem+json body. `extra` carries data a client needs to act (a new quote on a
/// price change, say).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub type_: String,
    pub title: &'static str,
    pub status: u16,
    pub code: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    #[serde(skip_serializing_if = "Option::is_none")]
    /// Members particular to the error (e.g. `quote` for `quote_changed`).
    #[schema(value_type = Option<std::collections::BTreeMap<String, serde_json::Value>>)]
    pub extra: Option<serde_json::Value>,
}

#[derive(Debug)]
pub struct ApiError {
    pub code: ErrorCode,
    pub detail: Option<String>,
    pub errors: Vec<FieldError>,
    pub extra: Option<serde_json::Value>,
    pub retry_after_secs: Option<u64>,
    /// What really happened, for the log only (never sent on a 5xx).
    pub source: Option<anyhow::Error>,
    /// The Postgres connection was lost: a read-only request may be tried again (see
    /// `server::retry_reads_once`).
    pub connection_lost: bool,
}

/// Marks a response that failed because the Postgres connection was lost.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLost;

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn new(code: ErrorCode) -> Self {
        ApiError {
            code,
            detail: None,
            errors: Vec::new(),
            extra: None,
            retry_after_secs: None,
            source: None,
            connection_lost: false,
        }
    }

    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    pub fn with_extra(mut self, extra: serde_json::Value) -> Self {
        self.extra = Some(extra);
        self
    }

    pub fn not_found(what: &str) -> Self {
        Self::new(ErrorCode::NotFound).with_detail(format!("{what} not found"))
    }

    pub fn validation(errors: Vec<FieldError>) -> Self {
        ApiError {
            errors,
            ..Self::new(ErrorCode::Validation)
        }
    }

    pub fn field(field: &str, code: &'static str, message: impl Into<String>) -> Self {
        Self::validation(vec![FieldError::new(field, code, message)])
    }

    pub fn rate_limited(retry_after_secs: u64) -> Self {
        ApiError {
            retry_after_secs: Some(retry_after_secs.max(1)),
            ..Self::new(ErrorCode::RateLimited)
        }
    }

    #[track_caller]
    pub fn internal(source: impl Into<anyhow::Error>) -> Self {
        Self::caused_by(ErrorCode::Internal, source)
    }

    #[track_caller]
    pub fn unavailable(source: impl Into<anyhow::Error>) -> Self {
        Self::caused_by(ErrorCode::Unavailable, source)
    }

    /// `code`, with the cause (for the log) and where in the code it was made.
    #[track_caller]
    fn caused_by(code: ErrorCode, source: impl Into<anyhow::Error>) -> Self {
        let loc = std::panic::Location::caller();
        ApiError {
            source: Some(source.into().context(format!("at {loc}"))),
            ..Self::new(code)
        }
    }

    pub fn problem(&self) -> Problem {
        let status = self.code.status();
        Problem {
            type_: format!("https://docs.jikgu.kr/problems/{}", self.code.code()),
            title: self.code.title(),
            status: status.as_u16(),
            code: self.code.code(),
            // A 5xx says nothing internal.
            detail: if status.is_server_error() {
                None
            } else {
                self.detail.clone()
            },
            errors: self.errors.clone(),
            extra: self.extra.clone(),
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.code.code())?;
        if let Some(d) = &self.detail {
            write!(f, ": {d}")?;
        }
        Ok(())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.code.status();
        if status.is_server_error() {
            match &self.source {
                Some(src) => {
                    tracing::error!(code = self.code.code(), error = ?src, "request failed")
                }
                None => tracing::error!(code = self.code.code(), "request failed"),
            }
        }
        let body = serde_json::to_vec(&self.problem()).unwrap_or_default();
        let mut resp = (status, body).into_response();
        let headers = resp.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if let Some(secs) = self.retry_after_secs
            && let Ok(v) = HeaderValue::from_str(&secs.to_string())
        {
            headers.insert(header::RETRY_AFTER, v);
        }
        if self.connection_lost {
            resp.extensions_mut().insert(ConnectionLost);
        }
        resp
    }
}

/// Database errors sorted into what a client can act on: unique violations are conflicts,
/// foreign-key violations point at something missing, lost connections are 503 with
/// `Retry-After`.
impl From<sea_orm::DbErr> for ApiError {
    #[track_caller]
    fn from(err: sea_orm::DbErr) -> Self {
        // A restart or a reset is not the request's fault and is soon over: 503, retry.
        if crate::db::is_connection_error(&err) {
            return ApiError {
                retry_after_secs: Some(1),
                connection_lost: true,
                ..ApiError::unavailable(err)
            };
        }
        match err.sql_err() {
            Some(sea_orm::SqlErr::UniqueConstraintViolation(msg)) => {
                let mut e = ApiError::new(ErrorCode::Conflict).with_detail("already exists");
                e.source = Some(anyhow::anyhow!(msg));
                e
            }
            Some(sea_orm::SqlErr::ForeignKeyConstraintViolation(msg)) => {
                let mut e = ApiError::new(ErrorCode::ReferenceNotFound);
                e.source = Some(anyhow::anyhow!(msg));
                e
            }
            _ => ApiError::internal(err),
        }
    }
}

impl From<redis::RedisError> for ApiError {
    #[track_caller]
    fn from(err: redis::RedisError) -> Self {
        ApiError::unavailable(err)
    }
}

/// The fallback for unknown paths, so that even a typo answers in problem+json.
pub async fn route_not_found() -> ApiError {
    ApiError::new(ErrorCode::RouteNotFound)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn codes_are_unique_and_snake_case() {
        let mut seen = HashSet::new();
        for c in ErrorCode::ALL {
            assert!(seen.insert(c.code()), "duplicate code {}", c.code());
            assert!(
                c.code()
                    .chars()
                    .all(|ch| ch.is_ascii_lowercase() || ch == '_')
            );
        }
    }

    #[test]
    fn server_errors_hide_their_detail() {
        let e = ApiError::internal(anyhow::anyhow!("password=hunter2")).with_detail("secret");
        let p = e.problem();
        assert_eq!(p.status, 500);
        assert!(p.detail.is_none());
        assert!(
            !serde_json::to_string(&p)
                .unwrap_or_default()
                .contains("hunter2")
        );
    }
}
