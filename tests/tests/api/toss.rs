//! Toss Payments end to end: the whole shop with `PAYMENT_GATEWAY=toss` pointed at a local
//! fake Toss (the orders crate's `tests/support/fake_toss.rs`), walking what a browser
//! and Toss do: checkout, the payment window, confirm, fail, webhooks, deposits, refunds.
//! And the test gateway walking the same redirect-then-confirm path.

#[path = "../../../services/orders/tests/support/fake_toss.rs"]
mod fake_toss;

use crate::checkout::variant;
use crate::races::{count, stock};
use fake_toss::{ConfirmMode, FakeToss, PayMethod, basic};
use jikgu_tests::fixtures::address;
use jikgu_tests::{Client, Reply, TestApp, spawn_app, spawn_app_with_orders};
use orders::context::OrdersContext;
use orders::payments::toss::TossGateway;
use orders::payments::toss::config::TossConfig;
use platform::auth::Role;
use sea_orm::ConnectionTrait;
use secrecy::SecretString;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;
use uuid::Uuid;

struct Shop {
    app: TestApp,
    fake: FakeToss,
    ctx: OrdersContext,
}

async fn toss_shop() -> Shop {
    let fake = FakeToss::start().await;
    let config = TossConfig::new(
        SecretString::from(fake_toss::SECRET_KEY.to_owned()),
        fake_toss::CLIENT_KEY.into(),
        Some(fake.url.clone()),
        "https://shop.example/pay/success".into(),
        "https://shop.example/pay/fail".into(),
    )
    .expect("config");
    let gw = TossGateway::new(config)
        .expect("gateway")
        .with_timeout(Duration::from_secs(5));
    let ctx = OrdersContext::with_toss(Arc::new(gw));
    let app = spawn_app_with_orders(ctx.clone()).await;
    Shop { app, fake, ctx }
}

/// A customer with a pending order for `qty` of each product `(title, price)`; returns the
/// customer, the checkout answer and the variants.
async fn pending_order(
    app: &TestApp,
    items: &[(&str, i64)],
    qty: i32,
) -> (Client, Value, Vec<Uuid>) {
    let cat = app.category("kimchi", None, &[]).await;
    let v = app.vendor("강화순무농장").await;
    let (c, _) = app.account(Role::Customer, None).await;
    let mut variants = Vec::new();
    for (i, (title, price)) in items.iter().enumerate() {
        let sku = format!("SKU{i}");
        let pid = app
            .product(&v, cat, title, &[], &[(sku.as_str(), *price, 10)])
            .await;
        let vid = variant(app, pid).await;
        let cart = c
            .put(
                &format!("/v1/carts/current/lines/{vid}"),
                &json!({"quantity": qty}),
            )
            .await;
        assert_eq!(cart.status, 200, "{}", cart.body);
        variants.push(vid);
    }
    let total = c.get("/v1/carts/current").await.json["quote"]["totals"]["grand_total"]
        .as_i64()
        .expect("total");
    let rb = c
        .request(reqwest::Method::POST, "/v1/checkout")
        .header("idempotency-key", format!("k-{}", Uuid::now_v7()))
        .json(&json!({"address": address("21554"), "expected_total": total}));
    let done = Client::send(rb).await;
    assert_eq!(done.status, 201, "{}", done.body);
    (c, done.json, variants)
}

/// The order's total and number (Toss's `orderId`).
fn total_and_number(checkout: &Value) -> (i64, String) {
    (
        checkout["grand_total"].as_i64().expect("total"),
        checkout["order_number"]
            .as_str()
            .expect("number")
            .to_owned(),
    )
}

fn window(checkout: &Value) -> &Value {
    &checkout["payment"]["redirect"]
}

async fn confirm(c: &Client, key: &str, order: &str, amount: i64) -> Reply {
    c.post(
        "/v1/payments/toss/confirm",
        &json!({"paymentKey": key, "orderId": order, "amount": amount}),
    )
    .await
}

async fn order_view(c: &Client, checkout: &Value) -> Value {
    let id = checkout["order_id"].as_str().expect("id");
    c.get(&format!("/v1/orders/{id}")).await.json
}

async fn webhook(app: &TestApp, body: &Value) -> Reply {
    app.client.post("/v1/payments/toss/webhook", body).await
}

fn paid_entries(checkout: &Value) -> String {
    format!(
        "SELECT count(*) AS n FROM orders.order_history WHERE order_id = '{}' AND to_status = 'paid'",
        checkout["order_id"].as_str().expect("id")
    )
}

#[tokio::test]
async fn checkout_opens_the_window_and_a_confirmed_card_pays_the_order() {
    let Shop { app, fake, .. } = toss_shop().await;
    let (c, co, vids) = pending_order(
        &app,
        &[
            ("강화순무김치", 12900),
            ("순무 깍두기", 9900),
            ("강화 새우젓", 15000),
        ],
        1,
    )
    .await;
    let total = co["grand_total"].as_i64().expect("total");
    let w = window(&co);
    assert_eq!(co["payment"]["gateway"], "toss");
    assert_eq!(w["orderId"], co["order_number"]);
    assert_eq!(w["orderName"], "강화순무김치 외 2건");
    assert_eq!(w["amount"], total);
    assert_eq!(w["clientKey"], fake_toss::CLIENT_KEY);
    assert_eq!(w["successUrl"], "https://shop.example/pay/success");
    assert_eq!(w["failUrl"], "https://shop.example/pay/fail");
    assert!(w["customerKey"].as_str().is_some_and(|k| k.len() >= 2));
    assert!(fake.requests().is_empty(), "checkout calls nothing at Toss");

    let order = w["orderId"].as_str().expect("orderId");
    let key = fake.window(order, total, PayMethod::Card);
    let r = confirm(&c, &key, order, total).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json["status"], "paid");
    assert_eq!(r.json["amount"], total);

    let posts = fake.posts("/v1/payments/confirm");
    assert_eq!(posts.len(), 1);
    assert_eq!(
        posts[0].authorization.as_deref(),
        Some(basic(fake_toss::SECRET_KEY).as_str())
    );
    let idem = posts[0].idempotency_key.clone().expect("Idempotency-Key");
    assert!(idem.contains(order) && idem.len() <= 300, "{idem}");
    assert!(posts[0].body["amount"].is_i64());
    assert_eq!(posts[0].body["amount"], total);

    let view = order_view(&c, &co).await;
    assert_eq!(view["status"], "paid");
    assert_eq!(view["payment"]["payment_ref"], key.as_str());
    // Sold, no longer held.
    for vid in vids {
        assert_eq!(stock(&app, vid).await, (9, 0));
    }
}

#[tokio::test]
async fn a_mismatched_amount_or_order_is_refused_before_anything_is_sent() {
    let Shop { app, fake, .. } = toss_shop().await;
    let (c, co, _) = pending_order(&app, &[("옹진 꽃게 2kg", 58000)], 1).await;
    let (total, order) = total_and_number(&co);
    let order = order.as_str();
    let key = fake.window(order, total - 1000, PayMethod::Card);
    confirm(&c, &key, order, total - 1000)
        .await
        .assert_problem(422, "payment_mismatch");
    // Another customer's order is no order of theirs.
    let (other, _) = app.account(Role::Customer, None).await;
    confirm(&other, &key, order, total)
        .await
        .assert_problem(404, "not_found");
    confirm(&c, &key, "bad/order", total)
        .await
        .assert_problem(422, "validation_failed");
    assert!(fake.requests().is_empty(), "{:?}", fake.requests());
    assert_eq!(order_view(&c, &co).await["status"], "pending_payment");
}

#[tokio::test]
async fn an_order_id_out_of_shape_is_a_field_error_on_confirm_and_on_fail() {
    let Shop { app, fake, .. } = toss_shop().await;
    let (c, co, _) = pending_order(&app, &[("강화순무김치", 12900)], 1).await;
    let (total, order) = total_and_number(&co);
    let key = fake.window(&order, total, PayMethod::Card);
    let too_long = "x".repeat(65);
    for bad in [
        "",
        "short",
        "주문번호-123456",
        "ord'; DROP TABLE x;--",
        &too_long,
    ] {
        let r = confirm(&c, &key, bad, total).await;
        r.assert_problem(422, "validation_failed");
        assert_eq!(
            r.json["errors"][0]["field"], "orderId",
            "{bad:?}: {}",
            r.body
        );
        let f = c
            .post(
                "/v1/payments/toss/fail",
                &json!({"code": "PAY_PROCESS_CANCELED", "message": "", "orderId": bad}),
            )
            .await;
        f.assert_problem(422, "validation_failed");
        assert_eq!(
            f.json["errors"][0]["field"], "orderId",
            "{bad:?}: {}",
            f.body
        );
    }
    // Nothing was sent to Toss, the order still waits for its payment, and the window's
    // own orderId confirms it.
    assert!(fake.requests().is_empty(), "{:?}", fake.requests());
    assert_eq!(order_view(&c, &co).await["status"], "pending_payment");
    let r = confirm(&c, &key, &order, total).await;
    assert_eq!(r.json["status"], "paid", "{}", r.body);
}

#[tokio::test]
async fn twenty_concurrent_confirms_charge_once_and_answer_alike() {
    let Shop { app, fake, .. } = toss_shop().await;
    let (c, co, _) = pending_order(&app, &[("강화순무김치", 12900)], 2).await;
    let (total, order) = total_and_number(&co);
    let key = fake.window(&order, total, PayMethod::Card);
    let answers =
        futures::future::join_all((0..20).map(|_| confirm(&c, &key, &order, total))).await;
    for a in &answers {
        assert_eq!(a.status, 200, "{}", a.body);
        assert_eq!(a.json, answers[0].json);
    }
    assert_eq!(answers[0].json["status"], "paid");
    assert_eq!(fake.charges(), 1);
    assert_eq!(fake.posts("/v1/payments/confirm").len(), 1);
    assert_eq!(count(&app, &paid_entries(&co)).await, 1);
}

#[tokio::test]
async fn a_declined_card_or_a_tiny_amount_is_a_problem_of_ours_never_a_500() {
    let Shop { app, fake, .. } = toss_shop().await;
    let (c, co, _) = pending_order(&app, &[("강화순무김치", 12900)], 1).await;
    let (total, order) = total_and_number(&co);
    let order = order.as_str();
    for (status, code, ours, our_status) in [
        (403, "REJECT_CARD_PAYMENT", "payment_declined", 402),
        (400, "BELOW_MINIMUM_AMOUNT", "payment_below_minimum", 422),
        (400, "PROVIDER_ERROR", "payment_provider_error", 502),
        (
            400,
            "ALREADY_PROCESSED_PAYMENT",
            "payment_already_processed",
            409,
        ),
    ] {
        // Each attempt is a new payment window, so a new paymentKey.
        let key = fake.window(order, total, PayMethod::Card);
        fake.set_mode(ConfirmMode::Refuse(status, code.into()));
        confirm(&c, &key, order, total)
            .await
            .assert_problem(our_status, ours);
    }
    // Still waiting: the shopper may try again.
    fake.set_mode(ConfirmMode::Normal);
    let key = fake.window(order, total, PayMethod::Card);
    assert_eq!(confirm(&c, &key, order, total).await.json["status"], "paid");
}

#[tokio::test]
async fn a_virtual_account_holds_stock_until_due_and_one_deposit_pays_once() {
    let Shop { app, fake, .. } = toss_shop().await;
    let (c, co, vids) = pending_order(&app, &[("옹진 꽃게 2kg", 58000)], 1).await;
    let (total, order) = total_and_number(&co);
    let order = order.as_str();
    let key = fake.window(order, total, PayMethod::VirtualAccount);
    let r = confirm(&c, &key, order, total).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json["status"], "waiting_for_deposit");
    let va = &r.json["virtual_account"];
    assert_eq!(va["account_number"], "X6505636518308");
    assert_eq!(va["bank_code"], "20");
    let due =
        chrono::DateTime::parse_from_rfc3339(va["due_date"].as_str().expect("due")).expect("date");

    let view = order_view(&c, &co).await;
    assert_eq!(view["status"], "pending_payment");
    assert_eq!(
        view["payment"]["virtual_account"]["account_number"],
        "X6505636518308"
    );
    let held: chrono::DateTime<chrono::Utc> =
        serde_json::from_value(view["reserved_until"].clone()).expect("reserved_until");
    assert_eq!(held.timestamp(), due.timestamp());
    assert!(
        !view.to_string().contains("ps_fake_secret"),
        "the deposit secret is never shown"
    );
    assert_eq!(stock(&app, vids[0]).await, (10, 1));

    // A callback with another secret changes nothing.
    let mut cb = fake.deposit(&key);
    let real_secret = cb["secret"].clone();
    cb["secret"] = json!("ps_forged");
    webhook(&app, &cb)
        .await
        .assert_problem(400, "webhook_signature");
    assert_eq!(order_view(&c, &co).await["status"], "pending_payment");

    // The real one, ten times at once (Toss retries): one deposit applied.
    cb["secret"] = real_secret;
    let replies = futures::future::join_all((0..10).map(|_| webhook(&app, &cb))).await;
    assert!(
        replies.iter().all(|r| r.status == 200),
        "{:?}",
        replies.iter().map(|r| &r.body).collect::<Vec<_>>()
    );
    assert_eq!(order_view(&c, &co).await["status"], "paid");
    assert_eq!(count(&app, &paid_entries(&co)).await, 1);
    assert_eq!(stock(&app, vids[0]).await, (9, 0));
    // The same callback nested under `data` is the same deposit.
    let nested = json!({"eventType": "DEPOSIT_CALLBACK", "createdAt": cb["createdAt"], "data": cb});
    assert_eq!(webhook(&app, &nested).await.status, 200);
    assert_eq!(count(&app, &paid_entries(&co)).await, 1);
}

#[tokio::test]
async fn a_webhook_arriving_before_the_confirms_answer_pays_once() {
    let Shop { app, fake, .. } = toss_shop().await;
    let (c, co, _) = pending_order(&app, &[("강화순무김치", 12900)], 1).await;
    let (total, order) = total_and_number(&co);
    let key = fake.window(&order, total, PayMethod::Card);
    fake.set_mode(ConfirmMode::Slow(Duration::from_millis(800)));
    let pending = {
        let (c, key, order) = (c.clone(), key.clone(), order.clone());
        tokio::spawn(async move { confirm(&c, &key, &order, total).await })
    };
    // Toss has the payment DONE and tells the shop before answering the confirm.
    for _ in 0..50 {
        if fake.payment(&key).is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mut hook = fake.status_changed(&key);
    // The body is never trusted: a lie in it changes nothing, the fetch decides.
    hook["data"]["totalAmount"] = json!(1);
    let w = webhook(&app, &hook).await;
    assert_eq!(w.status, 200, "{}", w.body);
    let r = pending.await.expect("join");
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json["status"], "paid");
    assert_eq!(order_view(&c, &co).await["status"], "paid");
    assert_eq!(count(&app, &paid_entries(&co)).await, 1);
    assert!(
        fake.requests()
            .iter()
            .any(|r| r.method == axum::http::Method::GET && r.path.ends_with(&key))
    );
    // Delivered again later: 200, nothing more.
    assert_eq!(webhook(&app, &hook).await.status, 200);
    assert_eq!(count(&app, &paid_entries(&co)).await, 1);
}

#[tokio::test]
async fn a_lost_confirm_answer_is_in_doubt_until_the_job_fetches_it_back() {
    let Shop { app, fake, ctx } = toss_shop().await;
    let (c, co, _) = pending_order(&app, &[("강화순무김치", 12900)], 1).await;
    let (total, order) = total_and_number(&co);
    let order = order.as_str();
    let key = fake.window(order, total, PayMethod::Card);
    fake.set_mode(ConfirmMode::LoseAnswer);
    let r = confirm(&c, &key, order, total).await;
    assert_eq!(r.status, 202, "{}", r.body);
    assert_eq!(r.json["status"], "in_doubt");
    assert_eq!(order_view(&c, &co).await["status"], "pending_payment");
    // A fail redirect now (another tab) must not release what may be paid.
    let f = c
        .post(
            "/v1/payments/toss/fail",
            &json!({"code": "PAY_PROCESS_CANCELED", "message": "", "orderId": order}),
        )
        .await;
    assert_eq!(f.status, 200, "{}", f.body);
    assert_eq!(f.json["status"], "pending_payment");
    fake.set_mode(ConfirmMode::Normal);
    orders::jobs::run_once(&app.state, &ctx)
        .await
        .expect("jobs");
    assert_eq!(order_view(&c, &co).await["status"], "paid");
    assert!(
        fake.requests()
            .iter()
            .any(|r| r.path == format!("/v1/payments/orders/{order}"))
    );
    assert_eq!(fake.charges(), 1);
    // The shopper's retry now answers paid.
    assert_eq!(confirm(&c, &key, order, total).await.json["status"], "paid");
}

#[tokio::test]
async fn a_payment_completed_after_the_hold_lapsed_is_cancelled_at_toss() {
    let Shop { app, fake, ctx } = toss_shop().await;
    let (c, co, vids) = pending_order(&app, &[("강화순무김치", 12900)], 1).await;
    let (total, order) = total_and_number(&co);
    let order = order.as_str();
    let key = fake.window(order, total, PayMethod::Card);
    fake.set_mode(ConfirmMode::LoseAnswer);
    assert_eq!(confirm(&c, &key, order, total).await.status, 202);
    app.state
        .db
        .execute_unprepared(&format!(
            "UPDATE orders.orders SET reserved_until = now() - interval '1 second' WHERE number = '{order}'"
        ))
        .await
        .expect("age");
    // One pass: the hold expires, then the in-doubt payment turns out DONE.
    orders::jobs::run_once(&app.state, &ctx)
        .await
        .expect("jobs");
    assert_eq!(order_view(&c, &co).await["status"], "expired");
    let cancels = fake.posts(&format!("/v1/payments/{key}/cancel"));
    assert_eq!(cancels.len(), 1);
    assert!(cancels[0].idempotency_key.is_some());
    assert_eq!(fake.payment(&key).expect("payment")["status"], "CANCELED");
    assert_eq!(stock(&app, vids[0]).await, (10, 0));
    confirm(&c, &key, order, total)
        .await
        .assert_problem(409, "payment_after_expiry");
}

#[tokio::test]
async fn the_fail_url_releases_the_hold_at_once() {
    let Shop { app, fake, .. } = toss_shop().await;
    let (c, co, vids) = pending_order(&app, &[("강화순무김치", 12900)], 3).await;
    assert_eq!(stock(&app, vids[0]).await, (10, 3));
    let order = co["order_number"].as_str().expect("number");
    let r = c
        .post(
            "/v1/payments/toss/fail",
            &json!({"code": "PAY_PROCESS_CANCELED", "message": "사용자에 의해 결제가 취소되었습니다.", "orderId": order}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json["status"], "canceled");
    assert_eq!(stock(&app, vids[0]).await, (10, 0));
    assert!(fake.requests().is_empty());
    // Paying it afterwards is refused without a call.
    let total = co["grand_total"].as_i64().expect("total");
    let key = fake.window(order, total, PayMethod::Card);
    confirm(&c, &key, order, total)
        .await
        .assert_problem(409, "payment_after_expiry");
    assert!(fake.requests().is_empty());
}

#[tokio::test]
async fn cancelling_a_paid_order_refunds_at_toss_once_with_its_transaction_key() {
    let Shop { app, fake, .. } = toss_shop().await;
    let (c, co, _) = pending_order(&app, &[("강화순무김치", 12900)], 2).await;
    let (total, order) = total_and_number(&co);
    let order = order.as_str();
    let id = co["order_id"].as_str().expect("id");
    let key = fake.window(order, total, PayMethod::Card);
    assert_eq!(confirm(&c, &key, order, total).await.json["status"], "paid");
    let r = c.post(&format!("/v1/orders/{id}/cancel"), &json!({})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json["status"], "canceled");
    let cancels = fake.posts(&format!("/v1/payments/{key}/cancel"));
    assert_eq!(cancels.len(), 1);
    assert_eq!(cancels[0].body["cancelAmount"], total);
    assert_eq!(cancels[0].body["taxFreeAmount"], 0, "taxable goods only");
    assert_eq!(
        cancels[0].idempotency_key.as_deref(),
        Some(format!("refund-cancel-{id}").as_str())
    );
    let toss_tx = fake.payment(&key).expect("payment")["cancels"][0]["transactionKey"].clone();
    let row = app
        .state
        .db
        .query_one_raw(sea_orm::Statement::from_string(
            sea_orm::DbBackend::Postgres,
            format!("SELECT transaction_key, amount, status FROM orders.payment_refunds WHERE order_id = '{id}'"),
        ))
        .await
        .expect("query")
        .expect("row");
    assert_eq!(
        row.try_get::<Option<String>>("", "transaction_key")
            .expect("tx"),
        toss_tx.as_str().map(str::to_owned)
    );
    assert_eq!(row.try_get::<i64>("", "amount").expect("amount"), total);
    assert_eq!(row.try_get::<String>("", "status").expect("status"), "done");
    assert_eq!(
        count(&app, &format!("SELECT count(*) AS n FROM orders.payments WHERE order_id = '{id}' AND refunded = amount")).await,
        1
    );
}

/// The demo's gateway walks the same path: checkout hands out the redirect payload (with
/// the key a window would give), and the confirm endpoint of the same shape pays.
#[tokio::test]
async fn the_test_gateway_walks_the_same_redirect_then_confirm_path() {
    let app = spawn_app().await;
    let (c, co, vids) = pending_order(&app, &[("강화순무김치", 12900)], 1).await;
    let w = window(&co);
    assert_eq!(co["payment"]["gateway"], "test");
    assert_eq!(w["confirmUrl"], "/v1/payments/test/confirm");
    let (key, order, amount) = (
        w["paymentKey"].as_str().expect("key"),
        w["orderId"].as_str().expect("order"),
        w["amount"].as_i64().expect("amount"),
    );
    assert_eq!(amount, co["grand_total"].as_i64().expect("total"));
    let body = |amount: i64| json!({"paymentKey": key, "orderId": order, "amount": amount});
    c.post("/v1/payments/test/confirm", &body(amount - 1))
        .await
        .assert_problem(422, "payment_mismatch");
    // The gateway in use only.
    c.post("/v1/payments/toss/confirm", &body(amount))
        .await
        .assert_problem(404, "not_found");
    let r = c.post("/v1/payments/test/confirm", &body(amount)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json["status"], "paid");
    assert_eq!(order_view(&c, &co).await["status"], "paid");
    assert_eq!(stock(&app, vids[0]).await, (9, 0));
    let again = c.post("/v1/payments/test/confirm", &body(amount)).await;
    assert_eq!(again.json, r.json);
    assert_eq!(count(&app, &paid_entries(&co)).await, 1);
}

/// Goods paid into a virtual account come back in two returns: each refund goes to the
/// account the shopper gave, with its tax-free part; the parts never pass what was paid.
#[tokio::test]
async fn returns_of_a_deposited_virtual_account_refund_exactly_with_their_tax_free_parts() {
    let Shop { app, fake, ctx } = toss_shop().await;
    let cat = app.category("jeotgal", None, &[]).await;
    let v = app.vendor("강화젓갈").await;
    let (c, _) = app.account(Role::Customer, None).await;
    let shrimp = app
        .product(&v, cat, "강화 새우젓", &[], &[("SJ", 20000, 5)])
        .await;
    let coaster = app
        .product(&v, cat, "왕골 컵받침", &[], &[("WG", 15000, 5)])
        .await;
    // 새우젓 is unprocessed seafood: tax-free (면세).
    app.state
        .db
        .execute_unprepared(&format!(
            "UPDATE catalog.products SET taxable = false WHERE id = '{shrimp}'"
        ))
        .await
        .expect("tax-free");
    let (shrimp_v, coaster_v) = (variant(&app, shrimp).await, variant(&app, coaster).await);
    for vid in [shrimp_v, coaster_v] {
        c.put(
            &format!("/v1/carts/current/lines/{vid}"),
            &json!({"quantity": 1}),
        )
        .await;
    }
    let rb = c
        .request(reqwest::Method::POST, "/v1/checkout")
        .header("idempotency-key", "k-va-returns")
        .json(&json!({"address": address("21554"), "expected_total": 35000}));
    let co = Client::send(rb).await;
    assert_eq!(co.status, 201, "{}", co.body);
    let co = co.json;
    let id = co["order_id"].as_str().expect("id").to_owned();
    let (total, order) = total_and_number(&co);
    assert_eq!(total, 35000);
    let key = fake.window(&order, total, PayMethod::VirtualAccount);
    assert_eq!(
        confirm(&c, &key, &order, total).await.json["status"],
        "waiting_for_deposit"
    );
    assert_eq!(webhook(&app, &fake.deposit(&key)).await.status, 200);
    let view = order_view(&c, &co).await;
    assert_eq!(view["status"], "paid");
    let vo = view["vendor_orders"][0]["id"]
        .as_str()
        .expect("vo")
        .to_owned();
    v.ship_and_deliver(&vo).await;

    let account =
        json!({"bank": "20", "account_number": "1002-123-456789", "holder_name": "김인천"});
    let ret = |vid: Uuid, reason: &str, account: Option<&Value>| {
        let mut r = json!({"vendor_order_id": vo, "reason": reason, "lines": [{"variant_id": vid, "quantity": 1}]});
        if let Some(a) = account {
            r["refund_account"] = a.clone();
        }
        r
    };
    // Without an account Toss could not pay it back: refused, nothing recorded.
    c.post(
        &format!("/v1/orders/{id}/returns"),
        &ret(shrimp_v, "defective", None),
    )
    .await
    .assert_problem(422, "validation_failed");
    let mut accepted = Vec::new();
    for (vid, reason) in [(shrimp_v, "defective"), (coaster_v, "change_of_mind")] {
        let r = c
            .post(
                &format!("/v1/orders/{id}/returns"),
                &ret(vid, reason, Some(&account)),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        let rid = r.json["return_id"].as_str().expect("rid").to_owned();
        let a = v
            .client
            .post(
                &format!("/v1/vendor/orders/returns/{rid}/accept"),
                &json!({}),
            )
            .await;
        assert_eq!(a.status, 200, "{}", a.body);
        accepted.push((rid, a.json["refund"].as_i64().expect("refund")));
    }
    // The defective 새우젓 in full; the coaster less the 3,000 return shipping.
    assert_eq!(
        accepted.iter().map(|a| a.1).collect::<Vec<_>>(),
        [20000, 12000]
    );

    let cancels = fake.posts(&format!("/v1/payments/{key}/cancel"));
    assert_eq!(cancels.len(), 2);
    for ((rid, amount), sent) in accepted.iter().zip(&cancels) {
        assert_eq!(sent.body["cancelAmount"], *amount);
        assert_eq!(
            sent.idempotency_key.as_deref(),
            Some(format!("refund-return-{rid}").as_str())
        );
        assert_eq!(
            sent.body["refundReceiveAccount"]["accountNumber"],
            "1002-123-456789"
        );
        assert_eq!(sent.body["refundReceiveAccount"]["bank"], "20");
    }
    let tax_free: Vec<_> = cancels
        .iter()
        .map(|r| r.body["taxFreeAmount"].clone())
        .collect();
    assert_eq!(tax_free, [json!(20000), json!(0)]);
    let toss = fake.payment(&key).expect("payment");
    assert_eq!(toss["status"], "PARTIAL_CANCELED");
    assert_eq!(toss["balanceAmount"], 3000);
    let toss_keys: Vec<_> = toss["cancels"]
        .as_array()
        .expect("cancels")
        .iter()
        .map(|c| c["transactionKey"].as_str().expect("tx").to_owned())
        .collect();
    let ours = count(
        &app,
        &format!(
            "SELECT count(*) AS n FROM orders.payment_refunds WHERE order_id = '{id}' AND status = 'done' \
             AND transaction_key IN ('{}')",
            toss_keys.join("','")
        ),
    )
    .await;
    assert_eq!(ours, 2);

    // More than the 3,000 left is refused on the shop's side, before Toss is asked.
    let before = fake.requests().len();
    let over = orders::payments::refunds::pay_out(
        &app.state.db,
        &ctx,
        orders::payments::refunds::Refund {
            order_id: id.parse().expect("uuid"),
            amount: 3001,
            tax_free_amount: 0,
            reason: "goodwill".into(),
            idempotency_key: "refund-goodwill".into(),
            refund_account: None,
        },
    )
    .await;
    assert!(over.is_err(), "{over:?}");
    assert_eq!(fake.requests().len(), before);
    assert_eq!(
        count(&app, &format!("SELECT count(*) AS n FROM orders.payments WHERE order_id = '{id}' AND refunded = 32000")).await,
        1
    );
}

/// Toss expires an unpaid virtual account (or an operator cancels it): the status-change
/// webhook, fetched back, releases the order's hold at once; a forged one changes nothing.
#[tokio::test]
async fn an_expired_virtual_account_releases_the_hold_when_toss_says_so() {
    let Shop { app, fake, .. } = toss_shop().await;
    let (c, co, vids) = pending_order(&app, &[("옹진 꽃게 2kg", 58000)], 1).await;
    let (total, order) = total_and_number(&co);
    let key = fake.window(&order, total, PayMethod::VirtualAccount);
    assert_eq!(
        confirm(&c, &key, &order, total).await.json["status"],
        "waiting_for_deposit"
    );
    // A forged "DONE" (no signature on this event): the fetch says otherwise.
    let mut forged = fake.status_changed(&key);
    forged["data"]["status"] = json!("DONE");
    assert_eq!(webhook(&app, &forged).await.status, 200);
    assert_eq!(order_view(&c, &co).await["status"], "pending_payment");
    assert_eq!(stock(&app, vids[0]).await, (10, 1));

    fake.set_status(&key, "EXPIRED");
    let hook = fake.status_changed(&key);
    assert_eq!(webhook(&app, &hook).await.status, 200);
    assert_eq!(order_view(&c, &co).await["status"], "canceled");
    assert_eq!(stock(&app, vids[0]).await, (10, 0));
    // Toss retries: 200, nothing more.
    assert_eq!(webhook(&app, &hook).await.status, 200);
    assert_eq!(
        count(
            &app,
            &format!(
                "SELECT count(*) AS n FROM orders.order_history WHERE order_id = '{}' AND to_status = 'canceled'",
                co["order_id"].as_str().expect("id")
            )
        )
        .await,
        1
    );
}

/// Cancelling an order paid by bank deposit: without an account to send the money back
/// to nothing changes; with one, Toss refunds the whole amount to it.
#[tokio::test]
async fn cancelling_a_deposited_virtual_account_needs_the_refund_account_first() {
    let Shop { app, fake, .. } = toss_shop().await;
    let (c, co, vids) = pending_order(&app, &[("옹진 꽃게 2kg", 58000)], 1).await;
    let (total, order) = total_and_number(&co);
    let id = co["order_id"].as_str().expect("id");
    let key = fake.window(&order, total, PayMethod::VirtualAccount);
    confirm(&c, &key, &order, total).await;
    assert_eq!(webhook(&app, &fake.deposit(&key)).await.status, 200);
    assert_eq!(order_view(&c, &co).await["status"], "paid");

    c.post(&format!("/v1/orders/{id}/cancel"), &json!({}))
        .await
        .assert_problem(422, "validation_failed");
    assert_eq!(order_view(&c, &co).await["status"], "paid");
    assert_eq!(stock(&app, vids[0]).await, (9, 0));
    assert!(fake.posts("/cancel").is_empty());

    let account =
        json!({"bank": "88", "account_number": "110-123-456789", "holder_name": "김인천"});
    let r = c
        .post(
            &format!("/v1/orders/{id}/cancel"),
            &json!({"refund_account": account}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json["status"], "canceled");
    let sent = fake.posts(&format!("/v1/payments/{key}/cancel"));
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].body["cancelAmount"], total);
    assert_eq!(sent[0].body["refundReceiveAccount"]["bank"], "88");
    assert_eq!(sent[0].body["refundReceiveAccount"]["holderName"], "김인천");
    assert_eq!(fake.payment(&key).expect("payment")["status"], "CANCELED");
}
