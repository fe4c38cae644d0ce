//! The Stripe gateway against a local fake Stripe that answers with the real object shapes
//! (`tests/fixtures/stripe`, from Stripe's OpenAPI fixtures, in KRW) and records what the
//! gateway sends; webhook parsing with signed deliveries; and, only when
//! `STRIPE_SECRET_KEY` is set, one round trip against Stripe's test mode.

#![allow(clippy::unwrap_used)]

#[path = "support/fake_http.rs"]
mod fake_http;

use fake_http::Incoming;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use orders::payments::stripe::{StripeGateway, sign_payload};
use orders::payments::{
    ConfirmPayment, GatewayError, GatewayEvent, GatewayEventKind, OpenPayment, PaymentGateway,
    PaymentStatus, RefundRequest,
};
use platform::money::Won;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use uuid::Uuid;

const PAYMENT_INTENT: &str = include_str!("fixtures/stripe/fixture.payment_intent.json");
const CHARGE: &str = include_str!("fixtures/stripe/fixture.charge.json");
const REFUND: &str = include_str!("fixtures/stripe/fixture.refund.json");
const EVENT: &str = include_str!("fixtures/stripe/fixture.event.json");

const SECRET_KEY: &str = "sk_test_jikgu_fake_key";
const WEBHOOK_SECRET: &str = "whsec_jikgu_test_secret";

// ---------------------------------------------------------------------------------------
// The fake Stripe
// ---------------------------------------------------------------------------------------

/// One request as the fake received it.
#[derive(Debug, Clone)]
struct Recorded {
    method: Method,
    path: String,
    /// The decoded form body (`metadata[order_id]` stays one key).
    form: Vec<(String, String)>,
    idempotency_key: Option<String>,
    authorization: Option<String>,
    stripe_version: Option<String>,
}

impl Recorded {
    fn field(&self, key: &str) -> Option<&str> {
        self.form
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Clone)]
enum Mode {
    /// Behave like Stripe.
    Normal,
    /// Answer every request with this status and raw body.
    Fixed(u16, String),
    /// Behave like Stripe, after this long.
    Slow(Duration),
}

struct FakeState {
    mode: Mode,
    requests: Mutex<Vec<Recorded>>,
    intents: Mutex<HashMap<String, Value>>,
    /// Idempotency key → the response first given to it, replayed like Stripe does.
    replays: Mutex<HashMap<String, (u16, Value)>>,
    next_id: AtomicU32,
}

struct FakeStripe {
    url: String,
    state: Arc<FakeState>,
}

impl FakeStripe {
    async fn start(mode: Mode) -> FakeStripe {
        let state = Arc::new(FakeState {
            mode,
            requests: Mutex::default(),
            intents: Mutex::default(),
            replays: Mutex::default(),
            next_id: AtomicU32::new(1),
        });
        let addr = fake_http::serve(Router::new().fallback(handle).with_state(state.clone())).await;
        FakeStripe {
            url: format!("http://{addr}/"),
            state,
        }
    }

    fn gateway(&self) -> StripeGateway {
        StripeGateway::new(SECRET_KEY, WEBHOOK_SECRET, Some(self.url.clone())).unwrap()
    }

    fn requests(&self) -> Vec<Recorded> {
        self.state.requests.lock().unwrap().clone()
    }

    /// Opens a PaymentIntent for `order_id` through the gateway and pays it in full, as
    /// the customer would; its id.
    async fn paid_intent(&self, gateway: &StripeGateway, order_id: Uuid, amount: i64) -> String {
        let id = gateway
            .open(open_request(order_id, amount))
            .await
            .unwrap()
            .payment_ref;
        self.update_intent(&id, |pi| {
            pi["status"] = json!("succeeded");
            pi["amount_received"] = json!(amount);
        });
        id
    }

    /// Change a stored PaymentIntent, as the customer's payment would.
    fn update_intent(&self, id: &str, f: impl FnOnce(&mut Value)) {
        let mut intents = self.state.intents.lock().unwrap();
        f(intents.get_mut(id).unwrap());
    }
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
                out.push(u8::from_str_radix(hex, 16).unwrap());
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).unwrap()
}

fn parse_form(body: &[u8]) -> Vec<(String, String)> {
    std::str::from_utf8(body)
        .unwrap()
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

fn stripe_error(status: u16, kind: &str, code: &str, message: &str) -> (u16, Value) {
    (
        status,
        json!({ "error": { "type": kind, "code": code, "message": message } }),
    )
}

fn now_unix() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// `metadata[k]=v` form fields as a JSON object.
fn metadata_of(form: &[(String, String)]) -> Value {
    let mut m = serde_json::Map::new();
    for (k, v) in form {
        if let Some(key) = k
            .strip_prefix("metadata[")
            .and_then(|k| k.strip_suffix(']'))
        {
            m.insert(key.to_string(), Value::String(v.clone()));
        }
    }
    Value::Object(m)
}

async fn handle(State(state): State<Arc<FakeState>>, req: Incoming) -> Response {
    let header = |name: &str| req.header(name);
    let rec = Recorded {
        method: req.method.clone(),
        path: req.path.clone(),
        form: parse_form(&req.body),
        idempotency_key: header("idempotency-key"),
        authorization: header("authorization"),
        stripe_version: header("stripe-version"),
    };
    state.requests.lock().unwrap().push(rec.clone());

    let (status, body) = match &state.mode {
        Mode::Fixed(status, body) => return raw(*status, body.clone()),
        Mode::Slow(delay) => {
            tokio::time::sleep(*delay).await;
            answer(&state, &rec)
        }
        Mode::Normal => answer(&state, &rec),
    };
    raw(status, body.to_string())
}

fn raw(status: u16, body: String) -> Response {
    let mut resp = (StatusCode::from_u16(status).unwrap(), body).into_response();
    resp.headers_mut()
        .insert("content-type", HeaderValue::from_static("application/json"));
    resp
}

fn answer(state: &FakeState, rec: &Recorded) -> (u16, Value) {
    if rec.authorization.as_deref() != Some(&format!("Bearer {SECRET_KEY}")) {
        return stripe_error(
            401,
            "invalid_request_error",
            "api_key_invalid",
            "Invalid API Key provided",
        );
    }
    if let Some(key) = &rec.idempotency_key
        && let Some(replay) = state.replays.lock().unwrap().get(key)
    {
        return replay.clone();
    }
    let segments: Vec<&str> = rec.path.trim_start_matches('/').split('/').collect();
    let answer = match (rec.method.clone(), segments.as_slice()) {
        (Method::POST, ["v1", "payment_intents"]) => create_intent(state, rec),
        (Method::GET, ["v1", "payment_intents", id]) => {
            match state.intents.lock().unwrap().get(*id) {
                Some(pi) => (200, pi.clone()),
                None => missing(id),
            }
        }
        (Method::POST, ["v1", "payment_intents", id, "cancel"]) => cancel_intent(state, rec, id),
        (Method::POST, ["v1", "refunds"]) => create_refund(state, rec),
        _ => stripe_error(
            404,
            "invalid_request_error",
            "resource_missing",
            "Unrecognized request URL",
        ),
    };
    if let Some(key) = &rec.idempotency_key {
        state
            .replays
            .lock()
            .unwrap()
            .insert(key.clone(), answer.clone());
    }
    answer
}

fn missing(id: &str) -> (u16, Value) {
    stripe_error(
        404,
        "invalid_request_error",
        "resource_missing",
        &format!("No such payment_intent: '{id}'"),
    )
}

fn create_intent(state: &FakeState, rec: &Recorded) -> (u16, Value) {
    let n = state.next_id.fetch_add(1, Ordering::SeqCst);
    let id = format!("pi_3FakeJikgu{n:06}");
    let mut pi: Value = serde_json::from_str(PAYMENT_INTENT).unwrap();
    let Some(amount) = rec.field("amount").and_then(|a| a.parse::<i64>().ok()) else {
        return stripe_error(
            400,
            "invalid_request_error",
            "parameter_missing",
            "Missing required param: amount.",
        );
    };
    pi["id"] = json!(id);
    pi["client_secret"] = json!(format!("{id}_secret_FakeSecret{n}"));
    pi["amount"] = json!(amount);
    pi["amount_received"] = json!(0);
    pi["currency"] = json!(rec.field("currency").unwrap_or_default());
    pi["description"] = json!(rec.field("description"));
    pi["receipt_email"] = json!(rec.field("receipt_email"));
    pi["metadata"] = metadata_of(&rec.form);
    pi["status"] = json!("requires_payment_method");
    pi["created"] = json!(now_unix());
    pi["canceled_at"] = Value::Null;
    pi["last_payment_error"] = Value::Null;
    pi["next_action"] = Value::Null;
    state.intents.lock().unwrap().insert(id, pi.clone());
    (200, pi)
}

fn cancel_intent(state: &FakeState, rec: &Recorded, id: &str) -> (u16, Value) {
    let mut intents = state.intents.lock().unwrap();
    let Some(pi) = intents.get_mut(id) else {
        return missing(id);
    };
    let status = pi["status"].as_str().unwrap_or_default().to_string();
    if status == "canceled" || status == "succeeded" {
        return stripe_error(
            400,
            "invalid_request_error",
            "payment_intent_unexpected_state",
            &format!("You cannot cancel this PaymentIntent because it has a status of {status}."),
        );
    }
    pi["status"] = json!("canceled");
    pi["canceled_at"] = json!(now_unix());
    pi["cancellation_reason"] = json!(rec.field("cancellation_reason"));
    (200, pi.clone())
}

fn create_refund(state: &FakeState, rec: &Recorded) -> (u16, Value) {
    let n = state.next_id.fetch_add(1, Ordering::SeqCst);
    let Some(pi_id) = rec.field("payment_intent") else {
        return stripe_error(
            400,
            "invalid_request_error",
            "parameter_missing",
            "Missing payment_intent.",
        );
    };
    let intents = state.intents.lock().unwrap();
    let Some(pi) = intents.get(pi_id) else {
        return missing(pi_id);
    };
    let received = pi["amount_received"].as_i64().unwrap_or_default();
    let amount = rec
        .field("amount")
        .and_then(|a| a.parse::<i64>().ok())
        .unwrap_or(received);
    if amount > received {
        return stripe_error(
            400,
            "invalid_request_error",
            "amount_too_large",
            "Refund amount is greater than unrefunded amount on charge",
        );
    }
    let mut refund: Value = serde_json::from_str(REFUND).unwrap();
    refund["id"] = json!(format!("re_3FakeJikgu{n:06}"));
    refund["amount"] = json!(amount);
    refund["currency"] = json!("krw");
    refund["payment_intent"] = json!(pi_id);
    refund["metadata"] = metadata_of(&rec.form);
    refund["created"] = json!(now_unix());
    (200, refund)
}

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

fn open_request(order_id: Uuid, amount: i64) -> OpenPayment {
    OpenPayment {
        order_id,
        amount: Won(amount),
        description: "Jikgu order: 강화 순무김치 2kg".into(),
        customer_email: Some("buyer@example.com".into()),
        idempotency_key: format!("order-{order_id}-open"),
        order_number: "20261202-96E4A875".into(),
        order_name: "강화 순무김치 2kg".into(),
        customer_id: Uuid::now_v7(),
    }
}

fn confirm_request(payment_ref: &str, order_id: Uuid, amount: i64) -> ConfirmPayment {
    ConfirmPayment {
        payment_ref: payment_ref.into(),
        order_id,
        amount: Won(amount),
        idempotency_key: format!("order-{order_id}-confirm"),
    }
}

fn assert_unavailable<T: std::fmt::Debug>(r: Result<T, GatewayError>) {
    assert!(
        matches!(r, Err(GatewayError::Unavailable(_))),
        "expected Unavailable, got {r:?}"
    );
}

fn assert_refused<T: std::fmt::Debug>(r: Result<T, GatewayError>) -> String {
    match r {
        Err(GatewayError::Refused(m)) => m,
        other => panic!("expected Refused, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------
// API calls against the fake
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn open_sends_whole_won_krw_with_order_metadata_key_and_secret() {
    let fake = FakeStripe::start(Mode::Normal).await;
    let gateway = fake.gateway();
    let order_id = Uuid::now_v7();

    let opened = gateway.open(open_request(order_id, 15_000)).await.unwrap();

    assert_eq!(opened.gateway, "stripe");
    assert!(
        opened.payment_ref.starts_with("pi_"),
        "{}",
        opened.payment_ref
    );
    let secret = opened.client_secret.as_deref().unwrap();
    assert!(
        secret.starts_with(&format!("{}_secret_", opened.payment_ref)),
        "{secret}"
    );
    assert_eq!(opened.redirect_url, None);
    assert_eq!(opened.status, PaymentStatus::RequiresAction);

    let reqs = fake.requests();
    assert_eq!(reqs.len(), 1, "{reqs:#?}");
    let r = &reqs[0];
    assert_eq!(r.method, Method::POST);
    assert_eq!(r.path, "/v1/payment_intents");
    // KRW is zero-decimal: ₩15,000 is 15000, not 1500000.
    assert_eq!(r.field("amount"), Some("15000"));
    assert_eq!(r.field("currency"), Some("krw"));
    assert_eq!(
        r.field("metadata[order_id]"),
        Some(order_id.to_string().as_str())
    );
    assert_eq!(
        r.field("description"),
        Some("Jikgu order: 강화 순무김치 2kg")
    );
    assert_eq!(r.field("receipt_email"), Some("buyer@example.com"));
    assert_eq!(r.field("automatic_payment_methods[enabled]"), Some("true"));
    assert_eq!(
        r.idempotency_key.as_deref(),
        Some(format!("order-{order_id}-open").as_str())
    );
    assert_eq!(
        r.authorization.as_deref(),
        Some(format!("Bearer {SECRET_KEY}").as_str())
    );
    assert!(
        r.stripe_version.is_some(),
        "the API version is pinned by a header"
    );
}

#[tokio::test]
async fn a_retried_open_reuses_the_key_and_gets_the_same_payment() {
    let fake = FakeStripe::start(Mode::Normal).await;
    let gateway = fake.gateway();
    let order_id = Uuid::now_v7();

    let first = gateway.open(open_request(order_id, 15_000)).await.unwrap();
    let again = gateway.open(open_request(order_id, 15_000)).await.unwrap();

    assert_eq!(first.payment_ref, again.payment_ref);
    let reqs = fake.requests();
    assert_eq!(reqs.len(), 2);
    assert_eq!(reqs[0].idempotency_key, reqs[1].idempotency_key);
    assert_eq!(
        fake.state.intents.lock().unwrap().len(),
        1,
        "one PaymentIntent, not two"
    );
}

#[tokio::test]
async fn confirm_maps_the_intent_status_and_amount_received() {
    let fake = FakeStripe::start(Mode::Normal).await;
    let gateway = fake.gateway();
    let order_id = Uuid::now_v7();
    let opened = gateway.open(open_request(order_id, 15_000)).await.unwrap();
    let id = opened.payment_ref.clone();

    let outcome = gateway
        .confirm(confirm_request(&id, order_id, 15_000))
        .await
        .unwrap();
    assert_eq!(outcome.status, PaymentStatus::RequiresAction);
    assert_eq!(outcome.amount, Won(0));

    for (stripe_status, expected) in [
        ("requires_action", PaymentStatus::RequiresAction),
        ("requires_confirmation", PaymentStatus::RequiresAction),
        ("processing", PaymentStatus::Processing),
        ("canceled", PaymentStatus::Canceled),
    ] {
        fake.update_intent(&id, |pi| pi["status"] = json!(stripe_status));
        let outcome = gateway
            .confirm(confirm_request(&id, order_id, 15_000))
            .await
            .unwrap();
        assert_eq!(outcome.status, expected, "{stripe_status}");
    }

    fake.update_intent(&id, |pi| {
        pi["status"] = json!("succeeded");
        pi["amount_received"] = json!(15_000);
        pi["latest_charge"] = json!("ch_3FakeJikgu000001");
    });
    let outcome = gateway
        .confirm(confirm_request(&id, order_id, 15_000))
        .await
        .unwrap();
    assert_eq!(outcome.payment_ref, id);
    assert_eq!(outcome.status, PaymentStatus::Succeeded);
    assert_eq!(outcome.amount, Won(15_000));

    let last = fake.requests().pop().unwrap();
    assert_eq!(last.method, Method::GET);
    assert_eq!(last.path, format!("/v1/payment_intents/{id}"));
    assert_eq!(
        last.authorization.as_deref(),
        Some(format!("Bearer {SECRET_KEY}").as_str())
    );
}

#[tokio::test]
async fn confirm_refuses_another_orders_amount_order_or_currency() {
    let fake = FakeStripe::start(Mode::Normal).await;
    let gateway = fake.gateway();
    let order_id = Uuid::now_v7();
    let id = fake.paid_intent(&gateway, order_id, 15_000).await;

    let m = assert_refused(
        gateway
            .confirm(confirm_request(&id, order_id, 14_000))
            .await,
    );
    assert!(m.contains("15000") && m.contains("14000"), "{m}");
    assert_refused(
        gateway
            .confirm(confirm_request(&id, Uuid::now_v7(), 15_000))
            .await,
    );

    fake.update_intent(&id, |pi| pi["metadata"] = json!({}));
    assert_refused(
        gateway
            .confirm(confirm_request(&id, order_id, 15_000))
            .await,
    );

    fake.update_intent(&id, |pi| {
        pi["metadata"] = json!({ "order_id": order_id.to_string() });
        pi["currency"] = json!("usd");
    });
    assert_refused(
        gateway
            .confirm(confirm_request(&id, order_id, 15_000))
            .await,
    );
}

#[tokio::test]
async fn refs_that_are_not_payment_intent_ids_never_reach_stripe() {
    let fake = FakeStripe::start(Mode::Normal).await;
    let gateway = fake.gateway();
    let order_id = Uuid::now_v7();
    for bad in ["pi_1/../../refunds", "ch_123", "pi_1?expand[]=x", ""] {
        assert_refused(gateway.confirm(confirm_request(bad, order_id, 1_000)).await);
        assert_refused(gateway.cancel(bad, "key-1").await);
    }
    assert!(fake.requests().is_empty());
}

#[tokio::test]
async fn cancel_sends_its_key_and_is_calm_about_an_already_canceled_intent() {
    let fake = FakeStripe::start(Mode::Normal).await;
    let gateway = fake.gateway();
    let order_id = Uuid::now_v7();
    let id = gateway
        .open(open_request(order_id, 15_000))
        .await
        .unwrap()
        .payment_ref;

    gateway
        .cancel(&id, &format!("order-{order_id}-cancel"))
        .await
        .unwrap();
    let reqs = fake.requests();
    let r = reqs.last().unwrap();
    assert_eq!(r.method, Method::POST);
    assert_eq!(r.path, format!("/v1/payment_intents/{id}/cancel"));
    assert_eq!(
        r.idempotency_key.as_deref(),
        Some(format!("order-{order_id}-cancel").as_str())
    );
    assert_eq!(
        gateway
            .confirm(confirm_request(&id, order_id, 15_000))
            .await
            .unwrap()
            .status,
        PaymentStatus::Canceled
    );

    // Again with another key: Stripe says "unexpected state", the intent is canceled: fine.
    gateway.cancel(&id, "a-different-key").await.unwrap();

    // A paid intent cannot be canceled: that is a refusal, not a success.
    let paid = gateway
        .open(open_request(Uuid::now_v7(), 9_900))
        .await
        .unwrap()
        .payment_ref;
    fake.update_intent(&paid, |pi| pi["status"] = json!("succeeded"));
    let m = assert_refused(gateway.cancel(&paid, "cancel-paid").await);
    assert!(m.contains("succeeded"), "{m}");
}

#[tokio::test]
async fn refund_sends_the_intent_the_amount_in_won_and_its_key() {
    let fake = FakeStripe::start(Mode::Normal).await;
    let gateway = fake.gateway();
    let order_id = Uuid::now_v7();
    let id = fake.paid_intent(&gateway, order_id, 15_000).await;

    let outcome = gateway
        .refund(RefundRequest {
            payment_ref: id.clone(),
            amount: Won(5_000),
            reason: "고객 변심 (customer changed their mind)".into(),
            idempotency_key: format!("order-{order_id}-refund-1"),
        })
        .await
        .unwrap();

    assert!(
        outcome.refund_ref.starts_with("re_"),
        "{}",
        outcome.refund_ref
    );
    assert_eq!(outcome.amount, Won(5_000));
    let reqs = fake.requests();
    let r = reqs.last().unwrap();
    assert_eq!(r.method, Method::POST);
    assert_eq!(r.path, "/v1/refunds");
    assert_eq!(r.field("payment_intent"), Some(id.as_str()));
    assert_eq!(r.field("amount"), Some("5000"));
    assert_eq!(
        r.field("metadata[reason]"),
        Some("고객 변심 (customer changed their mind)")
    );
    assert_eq!(
        r.idempotency_key.as_deref(),
        Some(format!("order-{order_id}-refund-1").as_str())
    );

    // More than was paid: Stripe refuses.
    let too_much = gateway
        .refund(RefundRequest {
            payment_ref: id,
            amount: Won(20_000),
            reason: String::new(),
            idempotency_key: format!("order-{order_id}-refund-2"),
        })
        .await;
    assert_refused(too_much);
}

#[tokio::test]
async fn every_post_carries_the_idempotency_key_and_every_request_the_secret() {
    let fake = FakeStripe::start(Mode::Normal).await;
    let gateway = fake.gateway();
    let order_id = Uuid::now_v7();
    let id = fake.paid_intent(&gateway, order_id, 30_000).await;
    gateway
        .confirm(confirm_request(&id, order_id, 30_000))
        .await
        .unwrap();
    gateway
        .refund(RefundRequest {
            payment_ref: id.clone(),
            amount: Won(30_000),
            reason: "out of stock".into(),
            idempotency_key: "refund-key".into(),
        })
        .await
        .unwrap();
    let second = gateway
        .open(open_request(Uuid::now_v7(), 1_000))
        .await
        .unwrap()
        .payment_ref;
    gateway.cancel(&second, "cancel-key").await.unwrap();

    let reqs = fake.requests();
    assert_eq!(reqs.len(), 5);
    for r in &reqs {
        assert_eq!(
            r.authorization.as_deref(),
            Some(format!("Bearer {SECRET_KEY}").as_str())
        );
        if r.method == Method::POST {
            assert!(
                r.idempotency_key.is_some(),
                "no Idempotency-Key on {} {}",
                r.method,
                r.path
            );
        }
    }
}

#[tokio::test]
async fn server_errors_are_unavailable_and_sent_once() {
    let api_error = json!({ "error": { "type": "api_error", "message": "Something went wrong on Stripe's end." } });
    for (status, body) in [
        (500, api_error.to_string()),
        (503, api_error.to_string()),
        (502, "<html><body>502 Bad Gateway</body></html>".to_string()),
        (429, json!({ "error": { "type": "invalid_request_error", "code": "rate_limit", "message": "Too many requests" } }).to_string()),
    ] {
        let fake = FakeStripe::start(Mode::Fixed(status, body)).await;
        let r = fake.gateway().open(open_request(Uuid::now_v7(), 15_000)).await;
        assert_unavailable(r);
        // The gateway never retries by itself: the caller retries with the same key.
        assert_eq!(fake.requests().len(), 1, "status {status}");
    }
}

#[tokio::test]
async fn a_declined_card_is_refused() {
    let body = json!({
        "error": {
            "type": "card_error",
            "code": "card_declined",
            "decline_code": "insufficient_funds",
            "message": "Your card has insufficient funds.",
            "doc_url": "https://stripe.com/docs/error-codes/card-declined",
            "charge": "ch_3FakeJikgu000009"
        }
    });
    let fake = FakeStripe::start(Mode::Fixed(402, body.to_string())).await;
    let m = assert_refused(
        fake.gateway()
            .open(open_request(Uuid::now_v7(), 15_000))
            .await,
    );
    assert!(
        m.contains("card_declined") && m.contains("insufficient_funds"),
        "{m}"
    );
}

#[tokio::test]
async fn other_client_errors_are_refused_and_a_bad_key_is_unavailable() {
    let invalid = json!({ "error": { "type": "invalid_request_error", "code": "amount_too_small", "param": "amount", "message": "Amount must be at least ₩100 krw" } });
    let fake = FakeStripe::start(Mode::Fixed(400, invalid.to_string())).await;
    assert_refused(fake.gateway().open(open_request(Uuid::now_v7(), 50)).await);

    // The fake answers 401 to any other key, as Stripe does.
    let fake = FakeStripe::start(Mode::Normal).await;
    let wrong_key =
        StripeGateway::new("sk_test_wrong", WEBHOOK_SECRET, Some(fake.url.clone())).unwrap();
    assert_unavailable(wrong_key.open(open_request(Uuid::now_v7(), 15_000)).await);
}

#[tokio::test]
async fn a_garbled_success_body_is_malformed() {
    let fake = FakeStripe::start(Mode::Fixed(200, "{\"id\": \"pi_1\", \"object\": ".into())).await;
    let r = fake
        .gateway()
        .open(open_request(Uuid::now_v7(), 15_000))
        .await;
    assert!(matches!(r, Err(GatewayError::Malformed(_))), "{r:?}");
}

#[tokio::test]
async fn a_slow_stripe_times_out_as_unavailable() {
    let fake = FakeStripe::start(Mode::Slow(Duration::from_secs(5))).await;
    let gateway = fake.gateway().with_timeout(Duration::from_millis(300));
    let started = Instant::now();
    let r = gateway.open(open_request(Uuid::now_v7(), 15_000)).await;
    assert_unavailable(r);
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "took {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn an_unreachable_stripe_is_unavailable() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let gateway =
        StripeGateway::new(SECRET_KEY, WEBHOOK_SECRET, Some(format!("http://{addr}/"))).unwrap();
    assert_unavailable(gateway.open(open_request(Uuid::now_v7(), 15_000)).await);
}

#[tokio::test]
async fn bad_requests_are_stopped_before_stripe() {
    let fake = FakeStripe::start(Mode::Normal).await;
    let gateway = fake.gateway();
    assert_refused(gateway.open(open_request(Uuid::now_v7(), 0)).await);
    assert_refused(gateway.open(open_request(Uuid::now_v7(), -15_000)).await);
    let mut no_key = open_request(Uuid::now_v7(), 15_000);
    no_key.idempotency_key = String::new();
    let r = gateway.open(no_key).await;
    assert!(matches!(r, Err(GatewayError::Malformed(_))), "{r:?}");
    assert!(fake.requests().is_empty());
}

// ---------------------------------------------------------------------------------------
// Webhooks
// ---------------------------------------------------------------------------------------

/// A Stripe event around `object`, from the event fixture.
fn event_body(event_type: &str, object: Value) -> Vec<u8> {
    let mut event: Value = serde_json::from_str(EVENT).unwrap();
    event["id"] = json!("evt_3FakeJikguEvent01");
    event["type"] = json!(event_type);
    event["api_version"] = json!("2025-09-30.clover");
    event["created"] = json!(now_unix());
    event["data"]["object"] = object;
    serde_json::to_vec_pretty(&event).unwrap()
}

fn payment_intent_object(order_id: Uuid, status: &str, amount_received: i64) -> Value {
    let mut pi: Value = serde_json::from_str(PAYMENT_INTENT).unwrap();
    pi["id"] = json!("pi_3FakeJikgu000042");
    pi["amount"] = json!(15_000);
    pi["amount_received"] = json!(amount_received);
    pi["currency"] = json!("krw");
    pi["metadata"] = json!({ "order_id": order_id.to_string() });
    pi["status"] = json!(status);
    pi
}

fn signed(body: &[u8], secret: &str, t: i64) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(
        "stripe-signature",
        HeaderValue::from_str(&sign_payload(secret, body, t)).unwrap(),
    );
    headers.insert("content-type", HeaderValue::from_static("application/json"));
    headers
}

fn webhook_gateway() -> StripeGateway {
    // Webhook parsing never calls Stripe.
    StripeGateway::new(
        SECRET_KEY,
        WEBHOOK_SECRET,
        Some("http://127.0.0.1:9/".into()),
    )
    .unwrap()
}

#[test]
fn a_signed_payment_intent_succeeded_is_a_payment() {
    let order_id = Uuid::now_v7();
    let body = event_body(
        "payment_intent.succeeded",
        payment_intent_object(order_id, "succeeded", 15_000),
    );
    let event = webhook_gateway()
        .parse_webhook(&signed(&body, WEBHOOK_SECRET, now_unix()), &body)
        .unwrap();
    assert_eq!(
        event,
        GatewayEvent {
            event_id: "evt_3FakeJikguEvent01".into(),
            kind: GatewayEventKind::PaymentSucceeded {
                payment_ref: "pi_3FakeJikgu000042".into(),
                order_id: Some(order_id),
                amount: Won(15_000),
            },
        }
    );
}

#[test]
fn failed_and_canceled_intents_map_to_their_kinds() {
    let gateway = webhook_gateway();
    let order_id = Uuid::now_v7();
    let body = event_body(
        "payment_intent.payment_failed",
        payment_intent_object(order_id, "requires_payment_method", 0),
    );
    let event = gateway
        .parse_webhook(&signed(&body, WEBHOOK_SECRET, now_unix()), &body)
        .unwrap();
    assert_eq!(
        event.kind,
        GatewayEventKind::PaymentFailed {
            payment_ref: "pi_3FakeJikgu000042".into(),
            order_id: Some(order_id)
        }
    );

    let body = event_body(
        "payment_intent.canceled",
        payment_intent_object(order_id, "canceled", 0),
    );
    let event = gateway
        .parse_webhook(&signed(&body, WEBHOOK_SECRET, now_unix()), &body)
        .unwrap();
    assert_eq!(
        event.kind,
        GatewayEventKind::PaymentCanceled {
            payment_ref: "pi_3FakeJikgu000042".into(),
            order_id: Some(order_id)
        }
    );
}

#[test]
fn charge_refunded_is_a_refund_of_the_payment_intent() {
    let mut charge: Value = serde_json::from_str(CHARGE).unwrap();
    charge["amount"] = json!(15_000);
    charge["amount_captured"] = json!(15_000);
    charge["amount_refunded"] = json!(5_000);
    charge["currency"] = json!("krw");
    charge["payment_intent"] = json!("pi_3FakeJikgu000042");
    charge["refunded"] = json!(false);
    let body = event_body("charge.refunded", charge);
    let event = webhook_gateway()
        .parse_webhook(&signed(&body, WEBHOOK_SECRET, now_unix()), &body)
        .unwrap();
    assert_eq!(
        event.kind,
        GatewayEventKind::Refunded {
            payment_ref: "pi_3FakeJikgu000042".into(),
            amount_refunded: Won(5_000)
        }
    );
}

#[test]
fn other_events_are_ignored_but_verified() {
    // The event fixture as Stripe gives it: a plan.created.
    let body = EVENT.as_bytes();
    let event = webhook_gateway()
        .parse_webhook(&signed(body, WEBHOOK_SECRET, now_unix()), body)
        .unwrap();
    assert_eq!(event.event_id, "evt_1Pgc76B7WZ01zgkWwyRHS12y");
    assert_eq!(
        event.kind,
        GatewayEventKind::Ignored {
            event_type: "plan.created".into()
        }
    );

    // A charge refund without a PaymentIntent is not one of ours.
    let body = event_body("charge.refunded", serde_json::from_str(CHARGE).unwrap());
    let event = webhook_gateway()
        .parse_webhook(&signed(&body, WEBHOOK_SECRET, now_unix()), &body)
        .unwrap();
    assert_eq!(
        event.kind,
        GatewayEventKind::Ignored {
            event_type: "charge.refunded".into()
        }
    );
}

#[test]
fn an_intent_without_our_metadata_has_no_order() {
    let mut pi = payment_intent_object(Uuid::now_v7(), "succeeded", 15_000);
    pi["metadata"] = json!({});
    let body = event_body("payment_intent.succeeded", pi);
    let event = webhook_gateway()
        .parse_webhook(&signed(&body, WEBHOOK_SECRET, now_unix()), &body)
        .unwrap();
    assert!(
        matches!(
            event.kind,
            GatewayEventKind::PaymentSucceeded { order_id: None, .. }
        ),
        "{event:?}"
    );
}

#[test]
fn bad_signatures_are_rejected() {
    let gateway = webhook_gateway();
    let body = event_body(
        "payment_intent.succeeded",
        payment_intent_object(Uuid::now_v7(), "succeeded", 15_000),
    );
    let bad = |r: Result<GatewayEvent, GatewayError>, what: &str| {
        assert!(
            matches!(r, Err(GatewayError::BadSignature(_))),
            "{what}: {r:?}"
        );
    };

    bad(
        gateway.parse_webhook(&signed(&body, "whsec_someone_else", now_unix()), &body),
        "wrong secret",
    );

    let headers = signed(&body, WEBHOOK_SECRET, now_unix());
    let tampered = String::from_utf8(body.clone())
        .unwrap()
        .replace("15000", "1");
    assert_ne!(tampered.as_bytes(), body.as_slice());
    bad(
        gateway.parse_webhook(&headers, tampered.as_bytes()),
        "tampered body",
    );

    bad(
        gateway.parse_webhook(&signed(&body, WEBHOOK_SECRET, now_unix() - 600), &body),
        "too old",
    );
    bad(
        gateway.parse_webhook(&signed(&body, WEBHOOK_SECRET, now_unix() + 600), &body),
        "from the future",
    );

    bad(
        gateway.parse_webhook(&HeaderMap::new(), &body),
        "missing header",
    );

    let mut garbage = HeaderMap::new();
    garbage.insert(
        "stripe-signature",
        HeaderValue::from_static("t=1,v1=nothex"),
    );
    bad(gateway.parse_webhook(&garbage, &body), "garbage header");
}

#[test]
fn a_signed_body_that_is_not_an_event_is_malformed() {
    let gateway = webhook_gateway();
    for body in [
        &b"not json"[..],
        br#"{"id":"evt_1"}"#,
        br#"{"id":"evt_1","type":"payment_intent.succeeded","data":{"object":{"amount":1}}}"#,
    ] {
        let r = gateway.parse_webhook(&signed(body, WEBHOOK_SECRET, now_unix()), body);
        assert!(matches!(r, Err(GatewayError::Malformed(_))), "{r:?}");
    }
}

// ---------------------------------------------------------------------------------------
// Real Stripe (test mode), only with STRIPE_SECRET_KEY
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn real_stripe_creates_and_cancels_a_krw_payment_intent() {
    let Ok(key) = std::env::var("STRIPE_SECRET_KEY") else {
        println!("SKIPPED: STRIPE_SECRET_KEY not set");
        return;
    };
    if key.trim().is_empty() {
        println!("SKIPPED: STRIPE_SECRET_KEY not set");
        return;
    }
    assert!(
        !key.starts_with("sk_live_"),
        "refusing to run the contract test with a live key"
    );
    let gateway = StripeGateway::new(key, WEBHOOK_SECRET, None).unwrap();
    let order_id = Uuid::now_v7();
    let mut req = open_request(order_id, 1_000);
    req.idempotency_key = format!("jikgu-contract-{order_id}-open");

    let opened = gateway.open(req.clone()).await.unwrap();
    assert!(opened.payment_ref.starts_with("pi_"));
    assert!(opened.client_secret.is_some());
    assert_eq!(opened.status, PaymentStatus::RequiresAction);

    // Retried with the same key: the same PaymentIntent.
    assert_eq!(
        gateway.open(req).await.unwrap().payment_ref,
        opened.payment_ref
    );

    let outcome = gateway
        .confirm(confirm_request(&opened.payment_ref, order_id, 1_000))
        .await
        .unwrap();
    assert_eq!(outcome.status, PaymentStatus::RequiresAction);
    assert_refused(
        gateway
            .confirm(confirm_request(&opened.payment_ref, order_id, 2_000))
            .await,
    );

    gateway
        .cancel(
            &opened.payment_ref,
            &format!("jikgu-contract-{order_id}-cancel"),
        )
        .await
        .unwrap();
    let outcome = gateway
        .confirm(confirm_request(&opened.payment_ref, order_id, 1_000))
        .await
        .unwrap();
    assert_eq!(outcome.status, PaymentStatus::Canceled);
    println!("real Stripe: created and canceled {}", opened.payment_ref);
}
