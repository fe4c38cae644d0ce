//! Toss Payments' core API v1 objects, as its reference names them (camelCase JSON). Only
//! the fields the shop reads are typed; unknown fields are ignored, so new ones do not
//! break reading. Amounts are whole won.

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};

/// `Payment.status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Status {
    Ready,
    InProgress,
    WaitingForDeposit,
    Done,
    Canceled,
    PartialCanceled,
    Aborted,
    Expired,
    /// A status this client does not know: not final, look again later.
    #[serde(other)]
    Unknown,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ready => "READY",
            Status::InProgress => "IN_PROGRESS",
            Status::WaitingForDeposit => "WAITING_FOR_DEPOSIT",
            Status::Done => "DONE",
            Status::Canceled => "CANCELED",
            Status::PartialCanceled => "PARTIAL_CANCELED",
            Status::Aborted => "ABORTED",
            Status::Expired => "EXPIRED",
            Status::Unknown => "UNKNOWN",
        }
    }
}

/// The Payment object: the answer of confirm, fetch and cancel.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Payment {
    pub payment_key: String,
    pub order_id: String,
    #[serde(default)]
    pub order_name: Option<String>,
    pub status: Status,
    #[serde(default)]
    pub method: Option<String>,
    #[serde(default)]
    pub currency: Option<String>,
    /// Never changes.
    pub total_amount: i64,
    /// What can still be cancelled.
    pub balance_amount: i64,
    #[serde(default)]
    pub tax_free_amount: i64,
    #[serde(default)]
    pub last_transaction_key: Option<String>,
    #[serde(default)]
    pub requested_at: Option<String>,
    #[serde(default)]
    pub approved_at: Option<String>,
    #[serde(default)]
    pub virtual_account: Option<VirtualAccount>,
    #[serde(default)]
    pub cancels: Option<Vec<Cancel>>,
    /// For virtual accounts: what each DEPOSIT_CALLBACK for this payment carries.
    #[serde(default)]
    pub secret: Option<String>,
    #[serde(default)]
    pub failure: Option<ErrorBody>,
}

impl Payment {
    pub fn cancels(&self) -> &[Cancel] {
        self.cancels.as_deref().unwrap_or_default()
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VirtualAccount {
    #[serde(default)]
    pub account_type: Option<String>,
    pub account_number: String,
    pub bank_code: String,
    #[serde(default)]
    pub customer_name: Option<String>,
    /// When the deposit must be made by (KST offset in practice).
    pub due_date: DateTime<FixedOffset>,
    #[serde(default)]
    pub refund_status: Option<String>,
    #[serde(default)]
    pub expired: bool,
    #[serde(default)]
    pub settlement_status: Option<String>,
}

/// One entry of `cancels[]`: each cancel appends one.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Cancel {
    pub transaction_key: String,
    #[serde(default)]
    pub cancel_reason: Option<String>,
    pub cancel_amount: i64,
    #[serde(default)]
    pub tax_free_amount: i64,
    #[serde(default)]
    pub refundable_amount: Option<i64>,
    #[serde(default)]
    pub canceled_at: Option<String>,
    #[serde(default)]
    pub cancel_status: Option<String>,
}

/// Any 4xx/5xx answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub code: String,
    pub message: String,
}

/// `POST /v1/payments/confirm`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConfirmRequest {
    pub payment_key: String,
    pub order_id: String,
    pub amount: i64,
}

/// `POST /v1/payments/{paymentKey}/cancel`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CancelRequest {
    pub cancel_reason: String,
    /// Absent: cancel what is left.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cancel_amount: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tax_free_amount: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refund_receive_account: Option<RefundReceiveAccount>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RefundReceiveAccount {
    pub bank: String,
    pub account_number: String,
    pub holder_name: String,
}

/// A webhook delivery. PAYMENT_STATUS_CHANGED nests the payment under `data`; a deposit
/// callback carries `secret`, `status`, `orderId` and `transactionKey` at the top level or
/// under `data` (the public material does not settle which: both are read).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookBody {
    #[serde(default)]
    pub event_type: Option<String>,
    #[serde(default)]
    pub created_at: Option<String>,
    #[serde(default)]
    pub data: Option<WebhookFields>,
    #[serde(flatten)]
    pub top: WebhookFields,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookFields {
    #[serde(default)]
    pub payment_key: Option<String>,
    #[serde(default)]
    pub order_id: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub secret: Option<String>,
    #[serde(default)]
    pub transaction_key: Option<String>,
}

impl WebhookBody {
    /// A field from the top level, else from `data`.
    pub fn field(&self, f: impl Fn(&WebhookFields) -> Option<&String>) -> Option<&str> {
        f(&self.top)
            .or_else(|| self.data.as_ref().and_then(&f))
            .map(String::as_str)
    }

    pub fn is_deposit_callback(&self) -> bool {
        match self.event_type.as_deref() {
            Some("DEPOSIT_CALLBACK") => true,
            // The older callback names no event type and carries the secret.
            None => self.field(|d| d.secret.as_ref()).is_some(),
            Some(_) => false,
        }
    }
}
