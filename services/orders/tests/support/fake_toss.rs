//! A local fake of Toss Payments' core API v1 for tests: it answers with the object shapes
//! of `tests/fixtures/toss` (from Toss's public reference) and records every request as it
//! received it (method, path, JSON body, `Authorization`, `Idempotency-Key`).
//!
//! It plays the parts the shop cannot see: a payment window the shopper completed
//! ([`FakeToss::window`]), a bank deposit into a virtual account ([`FakeToss::deposit`]).
//! Like Toss, a POST repeated with the same `Idempotency-Key` gets the first answer again
//! and changes nothing; one still running answers 409.
//!
//! Shared, via `#[path]`, by the orders crate's contract suite and the end-to-end tests.

#![allow(dead_code, clippy::unwrap_used)]

#[path = "fake_http.rs"]
mod fake_http;

use fake_http::Incoming;

use axum::Router;
use axum::extract::State;
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub const DONE_CARD: &str = include_str!("../fixtures/toss/payment.done.card.json");
pub const WAITING_FOR_DEPOSIT: &str =
    include_str!("../fixtures/toss/payment.waiting_for_deposit.json");
pub const PARTIAL_CANCELED: &str = include_str!("../fixtures/toss/payment.partial_canceled.json");
pub const ERROR: &str = include_str!("../fixtures/toss/error.json");
pub const WEBHOOK_STATUS_CHANGED: &str =
    include_str!("../fixtures/toss/webhook.payment_status_changed.json");
pub const WEBHOOK_DEPOSIT: &str = include_str!("../fixtures/toss/webhook.deposit_callback.json");

pub const SECRET_KEY: &str = "test_sk_zXLkKEypNArWmo50nX3lmeaxYG5R";
pub const CLIENT_KEY: &str = "test_ck_D5GePWvyJnrK0W0k6q8gLzN97Eoq";

/// One request as the fake received it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: Method,
    pub path: String,
    pub body: Value,
    pub authorization: Option<String>,
    pub idempotency_key: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PayMethod {
    Card,
    VirtualAccount,
}

#[derive(Debug, Clone)]
pub enum ConfirmMode {
    /// Behave like Toss.
    Normal,
    /// Make the payment, then answer after this long.
    Slow(Duration),
    /// Make the payment, then answer 500: the shop's answer is lost.
    LoseAnswer,
    /// Refuse with this status and Toss error code; nothing is charged.
    Refuse(u16, String),
}

#[derive(Debug, Clone)]
struct Window {
    order_id: String,
    amount: i64,
    method: PayMethod,
}

pub struct FakeState {
    requests: Mutex<Vec<Recorded>>,
    windows: Mutex<HashMap<String, Window>>,
    payments: Mutex<HashMap<String, Value>>,
    /// Idempotency key → the first answer (None while it runs).
    replays: Mutex<HashMap<String, Option<(u16, Value)>>>,
    mode: Mutex<ConfirmMode>,
    charges: AtomicU32,
    next: AtomicU32,
}

pub struct FakeToss {
    pub url: String,
    pub state: Arc<FakeState>,
}

pub fn basic(secret_key: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{secret_key}:"))
    )
}

fn toss_error(status: u16, code: &str, message: &str) -> (u16, Value) {
    let mut e: Value = serde_json::from_str(ERROR).unwrap();
    e["code"] = json!(code);
    e["message"] = json!(message);
    (status, e)
}

impl FakeToss {
    pub async fn start() -> FakeToss {
        let state = Arc::new(FakeState {
            requests: Mutex::default(),
            windows: Mutex::default(),
            payments: Mutex::default(),
            replays: Mutex::default(),
            mode: Mutex::new(ConfirmMode::Normal),
            charges: AtomicU32::new(0),
            next: AtomicU32::new(1),
        });
        let addr = fake_http::serve(Router::new().fallback(handle).with_state(state.clone())).await;
        FakeToss {
            url: format!("http://{addr}"),
            state,
        }
    }

    /// The shopper completed the payment window for `order_id`: the key Toss would
    /// redirect with.
    pub fn window(&self, order_id: &str, amount: i64, method: PayMethod) -> String {
        let n = self.state.next.fetch_add(1, Ordering::SeqCst);
        let key = format!("tgen_{n:04}{}", "5EnNZRJGvaBX7zk2yd8ydw26XvwXkLrx9POLq");
        self.state.windows.lock().unwrap().insert(
            key.clone(),
            Window {
                order_id: order_id.into(),
                amount,
                method,
            },
        );
        key
    }

    pub fn set_mode(&self, mode: ConfirmMode) {
        *self.state.mode.lock().unwrap() = mode;
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.state.requests.lock().unwrap().clone()
    }

    pub fn posts(&self, path_suffix: &str) -> Vec<Recorded> {
        self.requests()
            .into_iter()
            .filter(|r| r.method == Method::POST && r.path.ends_with(path_suffix))
            .collect()
    }

    /// Card payments made (confirms that charged).
    pub fn charges(&self) -> u32 {
        self.state.charges.load(Ordering::SeqCst)
    }

    pub fn payment(&self, key: &str) -> Option<Value> {
        self.state.payments.lock().unwrap().get(key).cloned()
    }

    /// The shopper's bank deposited into the virtual account: the payment is DONE, and
    /// the deposit callback Toss sends (with the account's `secret`) is returned.
    pub fn deposit(&self, key: &str) -> Value {
        let mut payments = self.state.payments.lock().unwrap();
        let p = payments.get_mut(key).unwrap();
        p["status"] = json!("DONE");
        p["approvedAt"] = json!("2026-12-03T09:15:02+09:00");
        let mut cb: Value = serde_json::from_str(WEBHOOK_DEPOSIT).unwrap();
        cb["secret"] = p["secret"].clone();
        cb["orderId"] = p["orderId"].clone();
        cb["transactionKey"] = p["lastTransactionKey"].clone();
        cb
    }

    /// Toss changed the payment by itself (a virtual account's due date passed, an
    /// operator cancelled it in the dashboard).
    pub fn set_status(&self, key: &str, status: &str) {
        self.state.payments.lock().unwrap().get_mut(key).unwrap()["status"] = json!(status);
    }

    /// The PAYMENT_STATUS_CHANGED delivery for a payment as the fake holds it.
    pub fn status_changed(&self, key: &str) -> Value {
        let p = self.payment(key).unwrap();
        let mut hook: Value = serde_json::from_str(WEBHOOK_STATUS_CHANGED).unwrap();
        for f in [
            "paymentKey",
            "orderId",
            "status",
            "totalAmount",
            "balanceAmount",
        ] {
            hook["data"][f] = p[f].clone();
        }
        hook
    }
}

async fn handle(State(state): State<Arc<FakeState>>, req: Incoming) -> Response {
    let header = |name: &str| req.header(name);
    let rec = Recorded {
        method: req.method.clone(),
        path: req.path.clone(),
        body: serde_json::from_slice(&req.body).unwrap_or(Value::Null),
        authorization: header("authorization"),
        idempotency_key: header("idempotency-key"),
    };
    state.requests.lock().unwrap().push(rec.clone());
    let reply = |(status, v): (u16, Value)| {
        (StatusCode::from_u16(status).unwrap(), axum::Json(v)).into_response()
    };
    if rec.authorization.as_deref() != Some(basic(SECRET_KEY).as_str()) {
        return reply(toss_error(
            401,
            "UNAUTHORIZED_KEY",
            "인증되지 않은 시크릿 키 혹은 클라이언트 키 입니다.",
        ));
    }
    if req.method == Method::GET {
        let found = if let Some(order) = rec.path.strip_prefix("/v1/payments/orders/") {
            state
                .payments
                .lock()
                .unwrap()
                .values()
                .find(|p| p["orderId"] == order)
                .cloned()
        } else if let Some(key) = rec.path.strip_prefix("/v1/payments/") {
            state.payments.lock().unwrap().get(key).cloned()
        } else {
            None
        };
        return reply(match found {
            Some(p) => (200, p),
            None => toss_error(404, "NOT_FOUND_PAYMENT", "존재하지 않는 결제 정보 입니다."),
        });
    }
    let Some(key) = rec.idempotency_key.clone() else {
        return reply(post(&state, &rec).await);
    };
    let replay_key = format!("{}|{key}", rec.path);
    {
        let mut replays = state.replays.lock().unwrap();
        match replays.get(&replay_key) {
            Some(Some(first)) => return reply(first.clone()),
            Some(None) => {
                return reply(toss_error(
                    409,
                    "IDEMPOTENT_REQUEST_PROCESSING",
                    "이전 멱등 요청이 처리 중입니다.",
                ));
            }
            None => {
                replays.insert(replay_key.clone(), None);
            }
        }
    }
    let answer = post(&state, &rec).await;
    state
        .replays
        .lock()
        .unwrap()
        .insert(replay_key, Some(answer.clone()));
    reply(answer)
}

async fn post(state: &FakeState, rec: &Recorded) -> (u16, Value) {
    if rec.path == "/v1/payments/confirm" {
        return confirm(state, &rec.body).await;
    }
    if let Some(key) = rec
        .path
        .strip_prefix("/v1/payments/")
        .and_then(|p| p.strip_suffix("/cancel"))
    {
        return cancel(state, key, &rec.body);
    }
    toss_error(404, "NOT_FOUND", "no such endpoint")
}

async fn confirm(state: &FakeState, body: &Value) -> (u16, Value) {
    let (Some(key), Some(order_id), Some(amount)) = (
        body["paymentKey"].as_str(),
        body["orderId"].as_str(),
        body["amount"].as_i64(),
    ) else {
        return toss_error(400, "INVALID_REQUEST", "잘못된 요청입니다.");
    };
    let mode = state.mode.lock().unwrap().clone();
    if let ConfirmMode::Refuse(status, code) = &mode {
        return toss_error(*status, code, "거절되었습니다.");
    }
    let Some(window) = state.windows.lock().unwrap().get(key).cloned() else {
        return toss_error(
            404,
            "NOT_FOUND_PAYMENT_SESSION",
            "결제 시간이 만료되어 결제 진행 데이터가 존재하지 않습니다.",
        );
    };
    if window.order_id != order_id || window.amount != amount {
        return toss_error(
            400,
            "INVALID_REQUEST",
            "결제 금액 또는 주문번호가 일치하지 않습니다.",
        );
    }
    let payment = {
        let mut payments = state.payments.lock().unwrap();
        if payments.contains_key(key) {
            return toss_error(400, "ALREADY_PROCESSED_PAYMENT", "이미 처리된 결제 입니다.");
        }
        let n = state.next.fetch_add(1, Ordering::SeqCst);
        let mut p: Value = serde_json::from_str(match window.method {
            PayMethod::Card => DONE_CARD,
            PayMethod::VirtualAccount => WAITING_FOR_DEPOSIT,
        })
        .unwrap();
        p["paymentKey"] = json!(key);
        p["orderId"] = json!(order_id);
        p["totalAmount"] = json!(amount);
        p["balanceAmount"] = json!(amount);
        p["lastTransactionKey"] = json!(format!("TX{n:030}"));
        match window.method {
            PayMethod::Card => {
                p["card"]["amount"] = json!(amount);
                state.charges.fetch_add(1, Ordering::SeqCst);
            }
            PayMethod::VirtualAccount => {
                p["secret"] = json!(format!("ps_fake_secret_{n:08}"));
                let due = chrono::Utc::now() + chrono::Duration::days(7);
                p["virtualAccount"]["dueDate"] = json!(
                    due.with_timezone(&chrono::FixedOffset::east_opt(9 * 3600).unwrap())
                        .to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
                );
            }
        }
        payments.insert(key.to_string(), p.clone());
        p
    };
    match mode {
        ConfirmMode::Slow(d) => {
            tokio::time::sleep(d).await;
            (200, payment)
        }
        ConfirmMode::LoseAnswer => toss_error(
            500,
            "FAILED_INTERNAL_SYSTEM_PROCESSING",
            "내부 시스템 처리 작업이 실패했습니다.",
        ),
        _ => (200, payment),
    }
}

fn cancel(state: &FakeState, key: &str, body: &Value) -> (u16, Value) {
    let mut payments = state.payments.lock().unwrap();
    let Some(p) = payments.get_mut(key) else {
        return toss_error(404, "NOT_FOUND_PAYMENT", "존재하지 않는 결제 정보 입니다.");
    };
    if body["cancelReason"].as_str().is_none_or(str::is_empty) {
        return toss_error(400, "INVALID_REQUEST", "취소 사유는 필수입니다.");
    }
    let balance = p["balanceAmount"].as_i64().unwrap();
    let amount = body["cancelAmount"].as_i64().unwrap_or(balance);
    if amount <= 0 || amount > balance {
        return toss_error(400, "NOT_CANCELABLE_AMOUNT", "취소 할 수 없는 금액 입니다.");
    }
    let n = state.next.fetch_add(1, Ordering::SeqCst);
    let template: Value = serde_json::from_str(PARTIAL_CANCELED).unwrap();
    let mut entry = template["cancels"][0].clone();
    let tx = format!("CTX{n:029}");
    entry["transactionKey"] = json!(tx);
    entry["cancelReason"] = body["cancelReason"].clone();
    entry["cancelAmount"] = json!(amount);
    entry["taxFreeAmount"] = json!(body["taxFreeAmount"].as_i64().unwrap_or(0));
    entry["refundableAmount"] = json!(balance - amount);
    let mut cancels = p["cancels"].as_array().cloned().unwrap_or_default();
    cancels.push(entry);
    p["cancels"] = Value::Array(cancels);
    p["balanceAmount"] = json!(balance - amount);
    p["lastTransactionKey"] = json!(tx);
    p["status"] = json!(if balance - amount == 0 {
        "CANCELED"
    } else {
        "PARTIAL_CANCELED"
    });
    (200, p.clone())
}
