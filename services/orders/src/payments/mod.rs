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
pub mod redirect;
pub mod refunds;
pub mod stripe;
pub mod test_gateway;
pub mod toss;

use http::HeaderMap;
use platform::db::pg;
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
    /// The order number: the `orderId` a redirect gateway is given.
    pub order_number: String,
    /// What the payment window shows ("강화순무김치 외 2건").
    pub order_name: String,
    pub customer_id: Uuid,
}

impl OpenPayment {
    /// The payment of order `number` for `total` won, under the idempotency key every
    /// opening of that order uses, so a retry cannot open a second charge.
    pub fn for_order(
        order_id: Uuid,
        number: &str,
        total: Won,
        order_name: String,
        customer_id: Uuid,
        customer_email: Option<String>,
    ) -> OpenPayment {
        OpenPayment {
            order_id,
            amount: total,
            description: format!("Jikgu order {number}"),
            customer_email,
            idempotency_key: format!("order-{order_id}"),
            order_number: number.to_owned(),
            order_name,
            customer_id,
        }
    }
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
    /// What the browser needs to open a redirect gateway's payment window (Toss, and the
    /// test gateway, which walks the same redirect-then-confirm path).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redirect: Option<RedirectCheckout>,
}

impl OpenedPayment {
    /// A payment the browser makes in `gateway`'s payment window, opened with `redirect`.
    fn redirecting(gateway: &str, payment_ref: String, redirect: RedirectCheckout) -> Self {
        OpenedPayment {
            gateway: gateway.into(),
            payment_ref,
            client_secret: None,
            redirect_url: None,
            status: PaymentStatus::RequiresAction,
            redirect: Some(redirect),
        }
    }
}

/// The payment window's parameters, named as Toss's JavaScript SDK names them. After the
/// window, the browser lands on `successUrl` (or `failUrl`) and the front end posts what it
/// received to `confirmUrl` (or `failConfirmUrl`).
#[derive(Debug, Clone, Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RedirectCheckout {
    /// The order number: 6 to 64 characters of `[A-Za-z0-9_-]`.
    pub order_id: String,
    pub order_name: String,
    /// Whole won.
    pub amount: i64,
    /// An unguessable, stable key of the customer.
    pub customer_key: String,
    /// Toss's client key (public by design); absent for the test gateway.
    pub client_key: Option<String>,
    pub success_url: String,
    pub fail_url: String,
    /// Where the front end posts `{paymentKey, orderId, amount}` after success.
    pub confirm_url: String,
    /// Where the front end posts `{code, message, orderId}` after failure.
    pub fail_confirm_url: String,
    /// Only the test gateway, which has no payment window, gives the key up front.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payment_key: Option<String>,
}

/// What a refund needs beyond its amount at a gateway that is told (Toss).
#[derive(Debug, Clone, Default)]
pub struct RefundDetail {
    /// The tax-free part of the amount (면세).
    pub tax_free_amount: Won,
    /// Where a deposited virtual account's money goes back to.
    pub refund_account: Option<RefundAccount>,
}

/// A bank account for refunding a virtual-account payment (환불 계좌).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefundAccount {
    /// Bank code (two digits, e.g. "20" for 우리은행) as Toss names banks.
    pub bank: String,
    pub account_number: String,
    pub holder_name: String,
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
    /// Whether `open` calls no one and only shapes, from the request, what the client
    /// needs (a redirect gateway's payment window does the rest). Checkout then opens the
    /// payment inside its transaction and writes it with the order: one statement and one
    /// commit fewer than opening it after the order commits, which a gateway that creates
    /// the payment over the network (Stripe) must do.
    fn opens_locally(&self) -> bool {
        false
    }
    async fn open(&self, req: OpenPayment) -> Result<OpenedPayment, GatewayError>;
    async fn confirm(&self, req: ConfirmPayment) -> Result<PaymentOutcome, GatewayError>;
    async fn cancel(&self, payment_ref: &str, idempotency_key: &str) -> Result<(), GatewayError>;
    async fn refund(&self, req: RefundRequest) -> Result<RefundOutcome, GatewayError>;
    /// A refund with its tax-free part and, for a deposited virtual account, the account
    /// the money goes back to. Gateways that are not told either refund the amount.
    async fn refund_detailed(
        &self,
        req: RefundRequest,
        detail: RefundDetail,
    ) -> Result<RefundOutcome, GatewayError> {
        let _ = detail;
        self.refund(req).await
    }
    /// Verify the delivery's signature and read it.
    fn parse_webhook(&self, headers: &HeaderMap, body: &[u8])
    -> Result<GatewayEvent, GatewayError>;
}

/// Keep a payment opened for a committed order outside checkout (an accepted quotation):
/// its row and the order's payment reference, once each however often it is retried.
pub async fn record_opened(
    db: &impl sea_orm::ConnectionTrait,
    order_id: Uuid,
    opened: &OpenedPayment,
    amount: i64,
) -> crate::error::OrdersResult<()> {
    db.execute_raw(pg(
        "WITH payment AS ( \
             INSERT INTO orders.payments (id, order_id, gateway, payment_ref, amount, status) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (order_id) DO NOTHING) \
         UPDATE orders.orders SET payment_ref = $4 WHERE id = $2 AND payment_ref IS NULL",
        [
            platform::ids::new_id().into(),
            order_id.into(),
            opened.gateway.clone().into(),
            opened.payment_ref.clone().into(),
            amount.into(),
            crate::states::PaymentState::Open.into(),
        ],
    ))
    .await?;
    Ok(())
}
