//! The Stripe gateway: PaymentIntents through async-stripe, webhooks verified by their
//! `Stripe-Signature`.
//!
//! - Amounts are KRW, a zero-decimal currency: `15000` is ₩15,000 (never `1500000`).
//! - Every request that moves money carries the caller's idempotency key as Stripe's
//!   `Idempotency-Key`, and is sent once: a network error, a timeout, a 409/429 or a 5xx
//!   comes back as [`GatewayError::Unavailable`], and the caller retries with the same key.
//! - Webhook events are read with `serde_json` on the few fields the shop needs, so new
//!   fields and API versions do not break them.

use super::*;
use ::stripe::{
    ApiErrors, ApiErrorsType, Client, ClientBuilder, IdempotencyKey, RequestStrategy, StripeError,
    StripeRequest,
};
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use sha2::Sha256;
use std::collections::HashMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use stripe_core::payment_intent::{
    CancelPaymentIntent, CreatePaymentIntent, CreatePaymentIntentAutomaticPaymentMethods,
    RetrievePaymentIntent,
};
use stripe_core::refund::CreateRefund;
use stripe_core::{PaymentIntent, PaymentIntentStatus};

/// How old (or how far in the future) a webhook's signed timestamp may be.
pub const WEBHOOK_TOLERANCE_SECS: i64 = 300;
/// The per-attempt timeout of API calls unless [`StripeGateway::with_timeout`] says otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// The metadata key that ties a PaymentIntent to its order.
pub const ORDER_ID_METADATA: &str = "order_id";
/// The header Stripe signs webhook deliveries with.
pub const SIGNATURE_HEADER: &str = "stripe-signature";

/// Stripe's metadata values are limited to 500 characters.
const METADATA_VALUE_MAX_CHARS: usize = 500;

pub struct StripeGateway {
    client: Client,
    webhook_secret: SecretString,
    timeout: Duration,
}

impl std::fmt::Debug for StripeGateway {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Neither secret is ever printed.
        f.debug_struct("StripeGateway")
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl StripeGateway {
    /// `secret_key` is the API key (`sk_...` or `rk_...`), `webhook_secret` the endpoint's
    /// signing secret (`whsec_...`), and `base_url` replaces `https://api.stripe.com/`
    /// (a local fake in tests; it must end with `/`).
    pub fn new(
        secret_key: impl Into<SecretString>,
        webhook_secret: impl Into<SecretString>,
        base_url: Option<String>,
    ) -> Result<Self, GatewayError> {
        let secret_key: SecretString = secret_key.into();
        let mut builder = ClientBuilder::new(secret_key.expose_secret()).app_info(
            "jikgu",
            Some(env!("CARGO_PKG_VERSION").to_string()),
            None,
        );
        if let Some(url) = base_url {
            let url = if url.ends_with('/') {
                url
            } else {
                format!("{url}/")
            };
            builder = builder.url(url);
        }
        let client = builder
            .build()
            .map_err(|e| GatewayError::Unavailable(format!("invalid Stripe configuration: {e}")))?;
        Ok(Self {
            client,
            webhook_secret: webhook_secret.into(),
            timeout: DEFAULT_TIMEOUT,
        })
    }

    /// Per-attempt timeout of every API call; past it the call is `Unavailable`.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// [`PaymentGateway::parse_webhook`] at a given time (Unix seconds).
    pub fn parse_webhook_at(
        &self,
        headers: &HeaderMap,
        body: &[u8],
        now_unix: i64,
    ) -> Result<GatewayEvent, GatewayError> {
        let header = headers
            .get(SIGNATURE_HEADER)
            .ok_or_else(|| GatewayError::BadSignature("missing Stripe-Signature header".into()))?
            .to_str()
            .map_err(|_| GatewayError::BadSignature("unreadable Stripe-Signature header".into()))?;
        verify_signature(
            self.webhook_secret.expose_secret(),
            header,
            body,
            now_unix,
            WEBHOOK_TOLERANCE_SECS,
        )?;
        parse_event(body)
    }

    fn strategy(key: &str) -> Result<RequestStrategy, GatewayError> {
        IdempotencyKey::new(key)
            .map(RequestStrategy::Idempotent)
            .map_err(|e| GatewayError::Malformed(format!("invalid idempotency key: {e}")))
    }

    async fn retrieve(&self, payment_ref: &str) -> Result<PaymentIntent, GatewayError> {
        RetrievePaymentIntent::new(payment_ref)
            .customize()
            .request_strategy(RequestStrategy::Once)
            .timeout(self.timeout)
            .send(&self.client)
            .await
            .map_err(map_stripe_error)
    }
}

#[async_trait::async_trait]
impl PaymentGateway for StripeGateway {
    fn name(&self) -> &'static str {
        "stripe"
    }

    async fn open(&self, req: OpenPayment) -> Result<OpenedPayment, GatewayError> {
        if req.amount.0 <= 0 {
            return Err(GatewayError::Refused(format!(
                "amount must be positive, got {}",
                req.amount.0
            )));
        }
        let strategy = Self::strategy(&req.idempotency_key)?;
        let metadata = HashMap::from([(ORDER_ID_METADATA.to_string(), req.order_id.to_string())]);
        // KRW is zero-decimal: the amount in won is the amount Stripe takes.
        let mut create = CreatePaymentIntent::new(req.amount.0, stripe_types::Currency::KRW)
            .automatic_payment_methods(CreatePaymentIntentAutomaticPaymentMethods::new(true))
            .metadata(metadata);
        if !req.description.is_empty() {
            create = create.description(req.description);
        }
        if let Some(email) = req.customer_email {
            create = create.receipt_email(email);
        }
        let pi = create
            .customize()
            .request_strategy(strategy)
            .timeout(self.timeout)
            .send(&self.client)
            .await
            .map_err(map_stripe_error)?;
        check_intent(&pi, req.order_id, req.amount)?;
        Ok(OpenedPayment {
            gateway: "stripe".into(),
            payment_ref: pi.id.to_string(),
            client_secret: pi.client_secret.clone(),
            redirect_url: None,
            status: map_status(&pi.status),
            redirect: None,
        })
    }

    async fn confirm(&self, req: ConfirmPayment) -> Result<PaymentOutcome, GatewayError> {
        check_payment_ref(&req.payment_ref)?;
        let pi = self.retrieve(&req.payment_ref).await?;
        check_intent(&pi, req.order_id, req.amount)?;
        Ok(PaymentOutcome {
            payment_ref: pi.id.to_string(),
            status: map_status(&pi.status),
            amount: Won(pi.amount_received),
        })
    }

    async fn cancel(&self, payment_ref: &str, idempotency_key: &str) -> Result<(), GatewayError> {
        check_payment_ref(payment_ref)?;
        let strategy = Self::strategy(idempotency_key)?;
        let result = CancelPaymentIntent::new(payment_ref)
            .customize()
            .request_strategy(strategy)
            .timeout(self.timeout)
            .send(&self.client)
            .await;
        match result {
            Ok(_) => Ok(()),
            // Cancelling twice (with another key) is not an error if it is canceled.
            Err(StripeError::Stripe(e, _))
                if e.code.as_ref().map(|c| c.as_str())
                    == Some("payment_intent_unexpected_state") =>
            {
                let pi = self.retrieve(payment_ref).await?;
                match pi.status {
                    PaymentIntentStatus::Canceled => Ok(()),
                    other => Err(GatewayError::Refused(format!(
                        "payment intent {payment_ref} cannot be canceled: it is {}",
                        other.as_str()
                    ))),
                }
            }
            Err(e) => Err(map_stripe_error(e)),
        }
    }

    async fn refund(&self, req: RefundRequest) -> Result<RefundOutcome, GatewayError> {
        check_payment_ref(&req.payment_ref)?;
        if req.amount.0 <= 0 {
            return Err(GatewayError::Refused(format!(
                "refund amount must be positive, got {}",
                req.amount.0
            )));
        }
        let strategy = Self::strategy(&req.idempotency_key)?;
        let mut create = CreateRefund::new()
            .payment_intent(req.payment_ref.as_str())
            .amount(req.amount.0);
        if !req.reason.is_empty() {
            // Stripe's own `reason` is a closed list; the shop's words go in metadata.
            let reason: String = req.reason.chars().take(METADATA_VALUE_MAX_CHARS).collect();
            create = create.metadata(HashMap::from([("reason".to_string(), reason)]));
        }
        let refund = create
            .customize()
            .request_strategy(strategy)
            .timeout(self.timeout)
            .send(&self.client)
            .await
            .map_err(map_stripe_error)?;
        match refund.status.as_deref() {
            Some("failed") | Some("canceled") => Err(GatewayError::Refused(format!(
                "refund {} {}: {}",
                refund.id,
                refund.status.as_deref().unwrap_or_default(),
                refund
                    .failure_reason
                    .as_deref()
                    .unwrap_or("no reason given")
            ))),
            _ => Ok(RefundOutcome {
                refund_ref: refund.id.to_string(),
                amount: Won(refund.amount),
            }),
        }
    }

    fn parse_webhook(
        &self,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<GatewayEvent, GatewayError> {
        self.parse_webhook_at(headers, body, unix_now())
    }
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// A PaymentIntent id goes into the request path: refuse anything that is not one.
fn check_payment_ref(payment_ref: &str) -> Result<(), GatewayError> {
    let ok = payment_ref.starts_with("pi_")
        && payment_ref.len() <= 255
        && payment_ref
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(GatewayError::Refused(format!(
            "{payment_ref:?} is not a Stripe PaymentIntent id"
        )))
    }
}

/// The PaymentIntent must be the order's: its `order_id`, its amount, in won.
fn check_intent(pi: &PaymentIntent, order_id: Uuid, amount: Won) -> Result<(), GatewayError> {
    let pi_order = pi.metadata.get(ORDER_ID_METADATA).map(String::as_str);
    if pi_order != Some(order_id.to_string().as_str()) {
        return Err(GatewayError::Refused(format!(
            "payment intent {} belongs to order {:?}, not {order_id}",
            pi.id,
            pi_order.unwrap_or("<none>")
        )));
    }
    if pi.currency != stripe_types::Currency::KRW {
        return Err(GatewayError::Refused(format!(
            "payment intent {} is in {}, not krw",
            pi.id, pi.currency
        )));
    }
    if pi.amount != amount.0 {
        return Err(GatewayError::Refused(format!(
            "payment intent {} is for ₩{}, the order is ₩{}",
            pi.id, pi.amount, amount.0
        )));
    }
    Ok(())
}

fn map_status(status: &PaymentIntentStatus) -> PaymentStatus {
    match status {
        PaymentIntentStatus::Succeeded => PaymentStatus::Succeeded,
        PaymentIntentStatus::Canceled => PaymentStatus::Canceled,
        // Authorised, not yet captured: the money is not ours yet.
        PaymentIntentStatus::Processing | PaymentIntentStatus::RequiresCapture => {
            PaymentStatus::Processing
        }
        PaymentIntentStatus::RequiresAction
        | PaymentIntentStatus::RequiresConfirmation
        | PaymentIntentStatus::RequiresPaymentMethod => PaymentStatus::RequiresAction,
        // A status this client does not know: not final, look again later.
        _ => PaymentStatus::Processing,
    }
}

fn describe(e: &ApiErrors) -> String {
    let mut s = e.type_.as_str().to_string();
    if let Some(code) = &e.code {
        s.push_str(&format!(" ({})", code.as_str()));
    }
    if let Some(decline) = &e.decline_code {
        s.push_str(&format!(" [{decline}]"));
    }
    if let Some(message) = &e.message {
        s.push_str(&format!(": {message}"));
    }
    s
}

/// Network trouble, timeouts, 409 (a request with this key is in flight), 429 and 5xx are
/// worth retrying with the same key; a card error or another 4xx is a refusal.
fn map_stripe_error(err: StripeError) -> GatewayError {
    match err {
        StripeError::Stripe(e, status) => {
            let what = format!("stripe {status}: {}", describe(&e));
            match status {
                402 => GatewayError::Refused(what),
                409 | 429 | 500..=599 => GatewayError::Unavailable(what),
                // A bad or revoked API key: the shop's fault, not the customer's.
                401 | 403 => GatewayError::Unavailable(what),
                _ if e.type_ == ApiErrorsType::CardError => GatewayError::Refused(what),
                400..=499 => GatewayError::Refused(what),
                _ => GatewayError::Unavailable(what),
            }
        }
        StripeError::Timeout => GatewayError::Unavailable("timed out talking to stripe".into()),
        StripeError::ClientError(m) => {
            GatewayError::Unavailable(format!("stripe unreachable: {m}"))
        }
        StripeError::ConfigError(m) => {
            GatewayError::Unavailable(format!("stripe client configuration: {m}"))
        }
        // An error status whose body is not Stripe's error shape (a proxy's 502 page, ...):
        // async-stripe drops the status, and nothing in it says the request was refused.
        StripeError::JSONDeserialize(m) if m.contains("Stripe error") => {
            GatewayError::Unavailable(format!("stripe answered an error without details: {m}"))
        }
        StripeError::JSONDeserialize(m) => GatewayError::Malformed(format!("stripe response: {m}")),
    }
}

/// Verify a `Stripe-Signature` header (`t=<unix>,v1=<hex>[,v1=<hex>...]`): one `v1` must be
/// the HMAC-SHA256 of `"<t>.<body>"` under `secret` (compared in constant time), and `t`
/// must be within `tolerance_secs` of `now_unix`. Other schemes (`v0`) are ignored.
pub fn verify_signature(
    secret: &str,
    header: &str,
    body: &[u8],
    now_unix: i64,
    tolerance_secs: i64,
) -> Result<(), GatewayError> {
    let bad = |why: &str| Err(GatewayError::BadSignature(why.to_string()));
    if secret.is_empty() {
        return bad("no webhook secret configured");
    }
    let mut timestamp: Option<&str> = None;
    let mut signatures: Vec<Vec<u8>> = Vec::new();
    for part in header.split(',') {
        let Some((key, value)) = part.trim().split_once('=') else {
            continue;
        };
        match key {
            "t" if timestamp.is_none() => timestamp = Some(value),
            "v1" => {
                if let Ok(sig) = hex::decode(value) {
                    signatures.push(sig);
                }
            }
            _ => {}
        }
    }
    let Some(t) = timestamp else {
        return bad("no timestamp in Stripe-Signature");
    };
    let Ok(t_unix) = t.parse::<i64>() else {
        return bad("unreadable timestamp in Stripe-Signature");
    };
    if signatures.is_empty() {
        return bad("no v1 signature in Stripe-Signature");
    }
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return bad("unusable webhook secret");
    };
    mac.update(t.as_bytes());
    mac.update(b".");
    mac.update(body);
    // `verify_slice` compares in constant time.
    if !signatures
        .iter()
        .any(|sig| mac.clone().verify_slice(sig).is_ok())
    {
        return bad("no v1 signature matches");
    }
    if now_unix.abs_diff(t_unix) > tolerance_secs.unsigned_abs() {
        return bad("timestamp outside the tolerance");
    }
    Ok(())
}

/// Sign a payload the way Stripe does: the value of a `Stripe-Signature` header.
/// For tests and local tools (the Stripe CLI does this for real deliveries).
pub fn sign_payload(secret: &str, body: &[u8], t_unix: i64) -> String {
    // HMAC accepts keys of any length.
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("hmac takes any key length");
    mac.update(t_unix.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("t={t_unix},v1={}", hex::encode(mac.finalize().into_bytes()))
}

#[derive(Deserialize)]
struct WireEvent {
    id: String,
    #[serde(rename = "type")]
    event_type: String,
    data: WireEventData,
}

#[derive(Deserialize)]
struct WireEventData {
    object: serde_json::Value,
}

#[derive(Deserialize)]
struct WirePaymentIntent {
    id: String,
    #[serde(default)]
    amount_received: i64,
    #[serde(default)]
    currency: Option<String>,
    #[serde(default)]
    metadata: Option<HashMap<String, String>>,
}

impl WirePaymentIntent {
    fn order_id(&self) -> Option<Uuid> {
        self.metadata
            .as_ref()
            .and_then(|m| m.get(ORDER_ID_METADATA))
            .and_then(|s| Uuid::parse_str(s).ok())
    }
}

#[derive(Deserialize)]
struct WireCharge {
    /// An id, or the object when expanded.
    #[serde(default)]
    payment_intent: Option<serde_json::Value>,
    #[serde(default)]
    amount_refunded: i64,
    #[serde(default)]
    currency: Option<String>,
}

fn is_krw(currency: &Option<String>) -> bool {
    currency
        .as_deref()
        .is_none_or(|c| c.eq_ignore_ascii_case("krw"))
}

/// Read a verified event's body.
fn parse_event(body: &[u8]) -> Result<GatewayEvent, GatewayError> {
    let malformed = |e: serde_json::Error| GatewayError::Malformed(format!("stripe event: {e}"));
    let event: WireEvent = serde_json::from_slice(body).map_err(malformed)?;
    let object = event.data.object;
    let ignored = |event_type: String| GatewayEventKind::Ignored { event_type };
    let kind = match event.event_type.as_str() {
        "payment_intent.succeeded"
        | "payment_intent.payment_failed"
        | "payment_intent.canceled" => {
            let pi: WirePaymentIntent = serde_json::from_value(object).map_err(malformed)?;
            let order_id = pi.order_id();
            match event.event_type.as_str() {
                // Jikgu only opens KRW payments; anything else is not one of its orders.
                "payment_intent.succeeded" if !is_krw(&pi.currency) => ignored(event.event_type),
                "payment_intent.succeeded" => GatewayEventKind::PaymentSucceeded {
                    amount: Won(pi.amount_received),
                    payment_ref: pi.id,
                    order_id,
                },
                "payment_intent.payment_failed" => GatewayEventKind::PaymentFailed {
                    payment_ref: pi.id,
                    order_id,
                },
                _ => GatewayEventKind::PaymentCanceled {
                    payment_ref: pi.id,
                    order_id,
                },
            }
        }
        "charge.refunded" => {
            let charge: WireCharge = serde_json::from_value(object).map_err(malformed)?;
            let payment_ref = match &charge.payment_intent {
                Some(serde_json::Value::String(id)) => Some(id.clone()),
                Some(serde_json::Value::Object(pi)) => {
                    pi.get("id").and_then(|v| v.as_str()).map(str::to_string)
                }
                _ => None,
            };
            match payment_ref {
                // A charge without a PaymentIntent was not made by this shop.
                Some(payment_ref) if is_krw(&charge.currency) => GatewayEventKind::Refunded {
                    payment_ref,
                    amount_refunded: Won(charge.amount_refunded),
                },
                _ => ignored(event.event_type),
            }
        }
        _ => ignored(event.event_type),
    };
    Ok(GatewayEvent {
        event_id: event.id,
        kind,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const SECRET: &str = "whsec_test_secret";
    const BODY: &[u8] = br#"{"id":"evt_1","type":"payment_intent.succeeded"}"#;
    const NOW: i64 = 1_767_225_600;

    fn sig(secret: &str, t: i64) -> String {
        sign_payload(secret, BODY, t)
    }

    #[test]
    fn accepts_a_good_signature() {
        verify_signature(SECRET, &sig(SECRET, NOW), BODY, NOW, 300).unwrap();
        verify_signature(SECRET, &sig(SECRET, NOW - 299), BODY, NOW, 300).unwrap();
    }

    #[test]
    fn accepts_any_of_several_v1_and_ignores_v0() {
        let good = sig(SECRET, NOW);
        let good_hex = good.split("v1=").nth(1).unwrap();
        let header = format!("t={NOW},v0=abcd,v1={},v1={good_hex}", "00".repeat(32));
        verify_signature(SECRET, &header, BODY, NOW, 300).unwrap();
        // With spaces after the commas, too.
        let header = format!("t={NOW}, v1=zz, v1={good_hex}");
        verify_signature(SECRET, &header, BODY, NOW, 300).unwrap();
    }

    #[test]
    fn matches_a_known_vector() {
        // The primitive: HMAC-SHA256("key", "The quick brown fox jumps over the lazy dog").
        let mut mac = Hmac::<Sha256>::new_from_slice(b"key").unwrap();
        mac.update(b"The quick brown fox jumps over the lazy dog");
        assert_eq!(
            hex::encode(mac.finalize().into_bytes()),
            "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"
        );
        // And the signed string is exactly "<t>.<body>".
        let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
        mac.update(format!("{NOW}.").as_bytes());
        mac.update(BODY);
        let expected = format!("t={NOW},v1={}", hex::encode(mac.finalize().into_bytes()));
        assert_eq!(sig(SECRET, NOW), expected);
    }

    #[test]
    fn rejects_wrong_secret_tampered_body_and_old_or_future_timestamps() {
        let bad = |r: Result<(), GatewayError>| {
            assert!(matches!(r, Err(GatewayError::BadSignature(_))), "{r:?}")
        };
        bad(verify_signature(
            "whsec_other",
            &sig(SECRET, NOW),
            BODY,
            NOW,
            300,
        ));
        bad(verify_signature(
            SECRET,
            &sig(SECRET, NOW),
            b"{\"id\":\"evt_2\"}",
            NOW,
            300,
        ));
        bad(verify_signature(
            SECRET,
            &sig(SECRET, NOW - 301),
            BODY,
            NOW,
            300,
        ));
        bad(verify_signature(
            SECRET,
            &sig(SECRET, NOW + 301),
            BODY,
            NOW,
            300,
        ));
        // The timestamp is signed: moving it breaks the signature.
        let moved =
            sig(SECRET, NOW - 1000).replace(&format!("t={}", NOW - 1000), &format!("t={NOW}"));
        bad(verify_signature(SECRET, &moved, BODY, NOW, 300));
    }

    #[test]
    fn rejects_malformed_headers() {
        let bad = |h: &str| {
            let r = verify_signature(SECRET, h, BODY, NOW, 300);
            assert!(
                matches!(r, Err(GatewayError::BadSignature(_))),
                "{h:?}: {r:?}"
            );
        };
        bad("");
        bad("garbage");
        bad(&format!("t={NOW}"));
        bad(&format!("t=soon,v1={}", "00".repeat(32)));
        let good = sig(SECRET, NOW);
        bad(good.split(',').nth(1).unwrap()); // v1 without t
        bad(&good.replace("v1=", "v0=")); // only another scheme
        bad(&good[..good.len() - 2]); // truncated signature
        assert!(matches!(
            verify_signature("", &sig("", NOW), BODY, NOW, 300),
            Err(GatewayError::BadSignature(_))
        ));
    }

    #[test]
    fn payment_refs_are_checked_before_they_reach_a_url() {
        check_payment_ref("pi_3MtwBwLkdIwHu7ix28a3tqPa").unwrap();
        for bad in ["", "ch_123", "pi_1/../../v1/refunds", "pi_1?x=1", "pi_1%2F"] {
            assert!(check_payment_ref(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn maps_statuses() {
        use PaymentIntentStatus as S;
        assert_eq!(map_status(&S::Succeeded), PaymentStatus::Succeeded);
        assert_eq!(map_status(&S::Processing), PaymentStatus::Processing);
        assert_eq!(
            map_status(&S::RequiresPaymentMethod),
            PaymentStatus::RequiresAction
        );
        assert_eq!(
            map_status(&S::RequiresAction),
            PaymentStatus::RequiresAction
        );
        assert_eq!(
            map_status(&S::RequiresConfirmation),
            PaymentStatus::RequiresAction
        );
        assert_eq!(map_status(&S::Canceled), PaymentStatus::Canceled);
    }
}
