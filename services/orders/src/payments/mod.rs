//! Payment gateways behind one trait, shaped so that both flows fit:
//!
//! - Stripe: open a PaymentIntent, the client pays with its `client_secret`, and a signed
//!   webhook reports the outcome.
//! - A Korean gateway such as Toss Payments: open returns what the client's redirect
//!   needs, the gateway redirects back with `paymentKey`, and the server confirms
//!   (`paymentKey` + `orderId` + `amount`) before trusting it.
//!
//! Every call that moves money carries an idempotency key derived from the order, so a
//! retried call can never charge twice.

pub mod apply;
pub mod stripe;
pub mod test_gateway;

use http::HeaderMap;
use platform::money::Won;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PaymentStatus {
    /// Waiting for the customer (card entry, 3-D Secure, a redirect).
    RequiresAction,
    Processing,
    Succeeded,
    Failed,
    Canceled,
}

#[derive(Debug, Clone)]
pub struct OpenPayment {
    pub order_id: Uuid,
    /// Whole won (KRW is zero-decimal).
    pub amount: Won,
    pub description: String,
    pub customer_email: Option<String>,
    /// The same key for the same order on every retry.
    pub idempotency_key: String,
}

/// What the client needs to pay.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct OpenedPayment {
    pub gateway: String,
    /// The gateway's id of this payment (a PaymentIntent id, a Toss orderId).
    pub payment_ref: String,
    /// For Stripe.js.
    pub client_secret: Option<String>,
    /// For redirect gateways.
    pub redirect_url: Option<String>,
    pub status: PaymentStatus,
}

/// A server-side confirmation (the Toss flow; for Stripe a status check).
#[derive(Debug, Clone)]
pub struct ConfirmPayment {
    pub payment_ref: String,
    pub order_id: Uuid,
    pub amount: Won,
    pub idempotency_key: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentOutcome {
    pub payment_ref: String,
    pub status: PaymentStatus,
    pub amount: Won,
}

#[derive(Debug, Clone)]
pub struct RefundRequest {
    pub payment_ref: String,
    pub amount: Won,
    pub reason: String,
    pub idempotency_key: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundOutcome {
    pub refund_ref: String,
    pub amount: Won,
}

/// A verified webhook delivery, in the shop's terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GatewayEvent {
    /// The gateway's event id: each is applied once, however often it arrives.
    pub event_id: String,
    pub kind: GatewayEventKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GatewayEventKind {
    PaymentSucceeded {
        payment_ref: String,
        order_id: Option<Uuid>,
        amount: Won,
    },
    PaymentFailed {
        payment_ref: String,
        order_id: Option<Uuid>,
    },
    PaymentCanceled {
        payment_ref: String,
        order_id: Option<Uuid>,
    },
    /// `amount_refunded` is the total refunded so far on the payment.
    Refunded {
        payment_ref: String,
        amount_refunded: Won,
    },
    /// A verified event the shop does not act on.
    Ignored { event_type: String },
}

#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    /// The webhook's signature is missing, wrong or too old.
    #[error("webhook signature rejected: {0}")]
    BadSignature(String),
    #[error("malformed gateway payload: {0}")]
    Malformed(String),
    /// The gateway refused (card declined, amount mismatch, ...).
    #[error("payment refused: {0}")]
    Refused(String),
    /// Network trouble or a 5xx: safe to retry with the same idempotency key.
    #[error("gateway unavailable: {0}")]
    Unavailable(String),
    #[error("not supported by this gateway: {0}")]
    Unsupported(&'static str),
}

#[async_trait::async_trait]
pub trait PaymentGateway: Send + Sync + 'static {
    fn name(&self) -> &'static str;
    async fn open(&self, req: OpenPayment) -> Result<OpenedPayment, GatewayError>;
    async fn confirm(&self, req: ConfirmPayment) -> Result<PaymentOutcome, GatewayError>;
    async fn cancel(&self, payment_ref: &str, idempotency_key: &str) -> Result<(), GatewayError>;
    async fn refund(&self, req: RefundRequest) -> Result<RefundOutcome, GatewayError>;
    /// Verify the delivery's signature and read it.
    fn parse_webhook(&self, headers: &HeaderMap, body: &[u8])
    -> Result<GatewayEvent, GatewayError>;
}
