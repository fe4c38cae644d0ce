//! Toss Payments (토스페이먼츠), the Korean default gateway: the browser opens Toss's
//! payment window with what checkout answered, Toss redirects it back with `paymentKey`,
//! and the server confirms (`POST /v1/payments/confirm`) before trusting anything.
//!
//! - Auth: `Authorization: Basic base64("{secretKey}:")`; the key never leaves
//!   [`secrecy::SecretString`] except into that header, which is marked sensitive.
//! - Every POST carries an `Idempotency-Key` (Toss keeps them 15 days), so a retried
//!   confirm or cancel can never charge or refund twice.
//! - A timeout, a network error, a 409 (a request with that key is still running), a 429
//!   or a 5xx is [`TossError::Unavailable`]: the outcome is unknown ("in doubt") and the
//!   caller fetches the payment back later. A 4xx `{code, message}` is [`TossError::Toss`].

pub mod config;
pub mod flow;
pub mod wire;

use super::*;
use base64::Engine;
use config::TossConfig;
use hmac::{Hmac, Mac};
use reqwest::header::{AUTHORIZATION, HeaderValue};
use secrecy::ExposeSecret;
use sha2::Sha256;
use std::time::Duration;
use wire::{CancelRequest, ConfirmRequest, ErrorBody, Payment, RefundReceiveAccount, Status};

/// Per-call timeout unless [`TossGateway::with_timeout`] says otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(15);
/// Toss keeps an `Idempotency-Key` of up to 300 characters.
pub const IDEMPOTENCY_KEY_MAX: usize = 300;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TossError {
    /// Toss answered a 4xx with its error body.
    #[error("toss {status}: {} ({})", .body.code, .body.message)]
    Toss { status: u16, body: ErrorBody },
    /// No answer, or one that does not say what happened: retry with the same key, or
    /// fetch the payment back.
    #[error("toss unavailable: {0}")]
    Unavailable(String),
    /// An answer this client cannot read.
    #[error("toss answered something unreadable: {0}")]
    Malformed(String),
}

impl TossError {
    pub fn code(&self) -> Option<&str> {
        match self {
            TossError::Toss { body, .. } => Some(&body.code),
            _ => None,
        }
    }
}

impl From<TossError> for GatewayError {
    fn from(e: TossError) -> GatewayError {
        match e {
            TossError::Toss { .. } => GatewayError::Refused(e.to_string()),
            TossError::Unavailable(m) => GatewayError::Unavailable(m),
            TossError::Malformed(m) => GatewayError::Malformed(m),
        }
    }
}

pub struct TossGateway {
    http: reqwest::Client,
    config: TossConfig,
    auth: HeaderValue,
}

impl std::fmt::Debug for TossGateway {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TossGateway")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// `Basic base64("{secretKey}:")`: the trailing colon stands for an empty password.
pub fn basic_auth(secret_key: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{secret_key}:"))
    )
}

/// Toss's `orderId`: 6 to 64 characters of `[A-Za-z0-9_-]`.
pub fn valid_order_id(s: &str) -> bool {
    (6..=64).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// A `paymentKey` goes into request paths: refuse anything but its alphabet.
pub fn valid_payment_key(s: &str) -> bool {
    (1..=200).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

impl TossGateway {
    pub fn new(config: TossConfig) -> Result<Self, GatewayError> {
        let http = reqwest::Client::builder()
            .timeout(DEFAULT_TIMEOUT)
            .build()
            .map_err(|e| GatewayError::Unavailable(format!("http client: {e}")))?;
        let mut auth = HeaderValue::from_str(&basic_auth(config.secret_key.expose_secret()))
            .map_err(|_| GatewayError::Malformed("unusable TOSS_SECRET_KEY".into()))?;
        auth.set_sensitive(true);
        Ok(Self { http, config, auth })
    }

    /// Per-call timeout; past it the call is in doubt.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        if let Ok(http) = reqwest::Client::builder().timeout(timeout).build() {
            self.http = http;
        }
        self
    }

    pub fn config(&self) -> &TossConfig {
        &self.config
    }

    /// A stable key of the customer that cannot be guessed from their id (Toss asks that
    /// `customerKey` be neither an email, a phone number nor a sequence).
    pub fn customer_key(&self, customer: Uuid) -> String {
        let Ok(mut mac) =
            Hmac::<Sha256>::new_from_slice(self.config.secret_key.expose_secret().as_bytes())
        else {
            return format!("c_{}", customer.simple());
        };
        mac.update(b"customerKey:");
        mac.update(customer.as_bytes());
        let digest = mac.finalize().into_bytes();
        format!(
            "c_{}",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&digest[..24])
        )
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.config.api_base.trim_end_matches('/'))
    }

    async fn send(&self, rb: reqwest::RequestBuilder) -> Result<Payment, TossError> {
        let resp = rb
            .header(AUTHORIZATION, self.auth.clone())
            .send()
            .await
            .map_err(|e| {
                if e.is_timeout() {
                    TossError::Unavailable("timed out talking to toss".into())
                } else {
                    TossError::Unavailable(format!("toss unreachable: {e}"))
                }
            })?;
        let status = resp.status().as_u16();
        let bytes = resp
            .bytes()
            .await
            .map_err(|e| TossError::Unavailable(format!("toss answer cut short: {e}")))?;
        match status {
            200..=299 => serde_json::from_slice(&bytes)
                .map_err(|e| TossError::Malformed(format!("payment: {e}"))),
            409 | 429 | 500..=599 => Err(TossError::Unavailable(format!(
                "toss {status}: {}",
                String::from_utf8_lossy(&bytes)
                    .chars()
                    .take(200)
                    .collect::<String>()
            ))),
            _ => match serde_json::from_slice::<ErrorBody>(&bytes) {
                Ok(body) => Err(TossError::Toss { status, body }),
                Err(_) => Err(TossError::Unavailable(format!(
                    "toss {status} without an error body"
                ))),
            },
        }
    }

    fn post(
        &self,
        path: &str,
        idempotency_key: &str,
    ) -> Result<reqwest::RequestBuilder, TossError> {
        if idempotency_key.is_empty() || idempotency_key.len() > IDEMPOTENCY_KEY_MAX {
            return Err(TossError::Malformed(format!(
                "idempotency key of {} characters",
                idempotency_key.len()
            )));
        }
        Ok(self
            .http
            .post(self.url(path))
            .header("Idempotency-Key", idempotency_key))
    }

    /// `POST /v1/payments/confirm`.
    pub async fn confirm_payment(
        &self,
        req: &ConfirmRequest,
        idempotency_key: &str,
    ) -> Result<Payment, TossError> {
        if !valid_payment_key(&req.payment_key) || !valid_order_id(&req.order_id) {
            return Err(TossError::Malformed(
                "paymentKey or orderId out of shape".into(),
            ));
        }
        self.send(
            self.post("/v1/payments/confirm", idempotency_key)?
                .json(req),
        )
        .await
    }

    /// `GET /v1/payments/{paymentKey}`.
    pub async fn payment(&self, payment_key: &str) -> Result<Payment, TossError> {
        if !valid_payment_key(payment_key) {
            return Err(TossError::Malformed("paymentKey out of shape".into()));
        }
        self.send(
            self.http
                .get(self.url(&format!("/v1/payments/{payment_key}"))),
        )
        .await
    }

    /// `GET /v1/payments/orders/{orderId}`.
    pub async fn payment_of_order(&self, order_id: &str) -> Result<Payment, TossError> {
        if !valid_order_id(order_id) {
            return Err(TossError::Malformed("orderId out of shape".into()));
        }
        self.send(
            self.http
                .get(self.url(&format!("/v1/payments/orders/{order_id}"))),
        )
        .await
    }

    /// `POST /v1/payments/{paymentKey}/cancel`.
    pub async fn cancel_payment(
        &self,
        payment_key: &str,
        req: &CancelRequest,
        idempotency_key: &str,
    ) -> Result<Payment, TossError> {
        if !valid_payment_key(payment_key) {
            return Err(TossError::Malformed("paymentKey out of shape".into()));
        }
        self.send(
            self.post(
                &format!("/v1/payments/{payment_key}/cancel"),
                idempotency_key,
            )?
            .json(req),
        )
        .await
    }
}

fn outcome_status(status: Status) -> PaymentStatus {
    match status {
        Status::Done => PaymentStatus::Succeeded,
        Status::Canceled | Status::PartialCanceled => PaymentStatus::Canceled,
        Status::Aborted | Status::Expired => PaymentStatus::Failed,
        Status::Ready | Status::InProgress => PaymentStatus::RequiresAction,
        Status::WaitingForDeposit | Status::Unknown => PaymentStatus::Processing,
    }
}

#[async_trait::async_trait]
impl PaymentGateway for TossGateway {
    fn name(&self) -> &'static str {
        "toss"
    }

    fn opens_locally(&self) -> bool {
        true
    }

    async fn open(&self, req: OpenPayment) -> Result<OpenedPayment, GatewayError> {
        if req.amount.0 <= 0 {
            return Err(GatewayError::Refused(format!(
                "amount must be positive, got {}",
                req.amount.0
            )));
        }
        if !valid_order_id(&req.order_number) {
            return Err(GatewayError::Malformed(format!(
                "order number {:?} is not a Toss orderId",
                req.order_number
            )));
        }
        // Nothing to call: Toss learns of the payment when the browser opens its window.
        Ok(OpenedPayment::redirecting(
            "toss",
            req.order_number.clone(),
            RedirectCheckout {
                order_id: req.order_number,
                order_name: req.order_name,
                amount: req.amount.0,
                customer_key: self.customer_key(req.customer_id),
                client_key: Some(self.config.client_key.clone()),
                success_url: self.config.success_url.clone(),
                fail_url: self.config.fail_url.clone(),
                confirm_url: "/v1/payments/toss/confirm".into(),
                fail_confirm_url: "/v1/payments/toss/fail".into(),
                payment_key: None,
            },
        ))
    }

    /// A status check of a payment already confirmed (the confirm itself is
    /// [`TossGateway::confirm_payment`], which needs the browser's `paymentKey`).
    async fn confirm(&self, req: ConfirmPayment) -> Result<PaymentOutcome, GatewayError> {
        let p = self.payment(&req.payment_ref).await?;
        if p.total_amount != req.amount.0 {
            return Err(GatewayError::Refused(format!(
                "payment {} is for ₩{}, the order is ₩{}",
                p.payment_key, p.total_amount, req.amount.0
            )));
        }
        Ok(PaymentOutcome {
            payment_ref: p.payment_key,
            status: outcome_status(p.status),
            amount: Won(p.total_amount),
        })
    }

    /// An unpaid order: a virtual account still waiting for its deposit is withdrawn; a
    /// payment never confirmed needs nothing (Toss lets it lapse).
    async fn cancel(&self, payment_ref: &str, idempotency_key: &str) -> Result<(), GatewayError> {
        if !valid_payment_key(payment_ref) {
            return Ok(());
        }
        let p = match self.payment(payment_ref).await {
            Ok(p) => p,
            // Still the order number, or a key Toss never confirmed: nothing to withdraw.
            Err(TossError::Toss { status: 404, .. }) => return Ok(()),
            Err(e) if e.code() == Some("NOT_FOUND_PAYMENT") => return Ok(()),
            Err(e) => return Err(e.into()),
        };
        if p.status != Status::WaitingForDeposit {
            return Ok(());
        }
        let req = CancelRequest {
            cancel_reason: "주문 취소".into(),
            cancel_amount: None,
            tax_free_amount: None,
            refund_receive_account: None,
        };
        self.cancel_payment(payment_ref, &req, idempotency_key)
            .await?;
        Ok(())
    }

    async fn refund(&self, req: RefundRequest) -> Result<RefundOutcome, GatewayError> {
        self.refund_detailed(req, RefundDetail::default()).await
    }

    async fn refund_detailed(
        &self,
        req: RefundRequest,
        detail: RefundDetail,
    ) -> Result<RefundOutcome, GatewayError> {
        if req.amount.0 <= 0 || detail.tax_free_amount.0 < 0 || detail.tax_free_amount > req.amount
        {
            return Err(GatewayError::Refused(format!(
                "refund of ₩{} with ₩{} tax-free is not possible",
                req.amount.0, detail.tax_free_amount.0
            )));
        }
        let body = CancelRequest {
            cancel_reason: if req.reason.is_empty() {
                "환불".into()
            } else {
                req.reason.chars().take(200).collect()
            },
            cancel_amount: Some(req.amount.0),
            tax_free_amount: Some(detail.tax_free_amount.0),
            refund_receive_account: detail.refund_account.map(|a| RefundReceiveAccount {
                bank: a.bank,
                account_number: a.account_number,
                holder_name: a.holder_name,
            }),
        };
        let p = self
            .cancel_payment(&req.payment_ref, &body, &req.idempotency_key)
            .await?;
        // The cancel this request made is the last one appended.
        let last = p
            .cancels()
            .last()
            .ok_or_else(|| GatewayError::Malformed("cancel answered without cancels[]".into()))?;
        Ok(RefundOutcome {
            refund_ref: last.transaction_key.clone(),
            amount: Won(last.cancel_amount),
        })
    }

    /// Toss's webhooks are read by [`flow::webhook`], which fetches the payment back (a
    /// status change carries no signature) or checks a deposit's `secret`.
    fn parse_webhook(
        &self,
        _headers: &HeaderMap,
        _body: &[u8],
    ) -> Result<GatewayEvent, GatewayError> {
        Err(GatewayError::Unsupported(
            "toss webhooks go to /v1/payments/toss/webhook",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_auth_keeps_the_trailing_colon() {
        // base64("test_sk_abc:")
        assert_eq!(basic_auth("test_sk_abc"), "Basic dGVzdF9za19hYmM6");
    }

    #[test]
    fn order_ids_follow_tosss_rule() {
        assert!(valid_order_id("20261202-96E4A875"));
        assert!(valid_order_id("abc_de"));
        for bad in ["", "abcde", "주문번호123", "a/b/c/d/e", &"a".repeat(65)] {
            assert!(!valid_order_id(bad), "{bad}");
        }
    }

    #[test]
    fn payment_keys_cannot_walk_paths() {
        assert!(valid_payment_key(
            "5EnNZRJGvaBX7zk2yd8ydw26XvwXkLrx9POLqKQjmAw4b0e1"
        ));
        for bad in ["", "../cancel", "a?b", "a%2F", "a b"] {
            assert!(!valid_payment_key(bad), "{bad}");
        }
    }
}
