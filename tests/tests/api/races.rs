//! Concurrency is part of correctness: flash sales, duplicate checkouts, duplicate
//! webhooks, and a payment racing its reservation's expiry.

use futures::future::join_all;
use jikgu_tests::fixtures::{address, token_customer};
use jikgu_tests::{Client, TestApp, spawn_app, spawn_app_with};
use orders::payments::{GatewayEvent, GatewayEventKind, PaymentGateway};
use platform::money::Won;
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use serde_json::json;
use uuid::Uuid;

pub(crate) async fn stock(app: &TestApp, vid: Uuid) -> (i32, i32) {
    let row = app
        .state
        .db
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT on_hand, reserved FROM catalog.variants WHERE id = $1",
            [vid.into()],
        ))
        .await
        .expect("query")
        .expect("row");
    (
        row.try_get("", "on_hand").expect("on_hand"),
        row.try_get("", "reserved").expect("reserved"),
    )
}

/// Returns once a statement of this test's database is seen waiting on a lock (polled for
/// up to 5 s); fails with `what` when none is.
pub(crate) async fn until_a_statement_waits_on_a_lock(app: &TestApp, what: &str) {
    let waiting = "SELECT count(*) AS n FROM pg_stat_activity \
                   WHERE datname = current_database() AND wait_event_type = 'Lock'";
    for _ in 0..100 {
        if count(app, waiting).await > 0 {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("{what}: no statement waits on a lock");
}

pub(crate) async fn count(app: &TestApp, sql: &str) -> i64 {
    let row = app
        .state
        .db
        .query_one_raw(Statement::from_string(DbBackend::Postgres, sql.to_owned()))
        .await
        .expect("query")
        .expect("row");
    row.try_get("", "n").expect("n")
}

async fn product(app: &TestApp, price: i64, units: i32) -> Uuid {
    let cat = app.category("crab", None, &[]).await;
    let v = app.vendor("옹진수산").await;
    let pid = app
        .product(
            &v,
            cat,
            "옹진 꽃게 타임세일",
            &[],
            &[("FLASH", price, units)],
        )
        .await;
    let page = app.client.get(&format!("/v1/products/{pid}")).await;
    page.json["variants"][0]["id"]
        .as_str()
        .expect("id")
        .parse()
        .expect("uuid")
}

fn checkout(c: &Client, key: &str, total: i64) -> reqwest::RequestBuilder {
    c.request(reqwest::Method::POST, "/v1/checkout")
        .header("idempotency-key", key)
        .json(&json!({"address": address("21554"), "expected_total": total}))
}

/// 300 customers race for 30 units: exactly 30 orders, never negative stock.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn flash_sale_sells_each_unit_once() {
    let app = spawn_app_with(jikgu::Service::All, |cfg| cfg.db_max_connections = 40).await;
    let vid = product(&app, 50000, 30).await;
    let mut customers = Vec::new();
    for _ in 0..300 {
        let (c, _) = token_customer(&app);
        let r = c
            .put(
                &format!("/v1/carts/current/lines/{vid}"),
                &json!({"quantity": 1}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        customers.push(c);
    }
    let replies = join_all(
        customers
            .iter()
            .map(|c| Client::send(checkout(c, "flash", 50000))),
    )
    .await;
    let created = replies.iter().filter(|r| r.status == 201).count();
    let sold_out = replies
        .iter()
        .filter(|r| r.status == 409 && r.json["code"] == "insufficient_stock")
        .count();
    let other: Vec<_> = replies
        .iter()
        .filter(|r| r.status != 201 && r.status != 409)
        .map(|r| (r.status, r.body.clone()))
        .collect();
    assert!(other.is_empty(), "unexpected answers: {other:?}");
    assert_eq!(created, 30);
    assert_eq!(sold_out, 270);
    assert_eq!(stock(&app, vid).await, (30, 30));
    assert_eq!(
        count(&app, "SELECT count(*) AS n FROM orders.orders").await,
        30
    );
}

/// 50 concurrent checkouts with one key: one order, one payment, one answer.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn duplicate_checkouts_make_one_order() {
    let app = spawn_app_with(jikgu::Service::All, |cfg| cfg.db_max_connections = 30).await;
    let vid = product(&app, 15900, 100).await;
    let (c, _) = token_customer(&app);
    c.put(
        &format!("/v1/carts/current/lines/{vid}"),
        &json!({"quantity": 2}),
    )
    .await;
    let replies = join_all((0..50).map(|_| Client::send(checkout(&c, "same-key", 31800)))).await;
    for r in &replies {
        assert!(
            r.status == 201 || r.status == 200,
            "{} {}",
            r.status,
            r.body
        );
    }
    assert_eq!(replies.iter().filter(|r| r.status == 201).count(), 1);
    let ids: std::collections::BTreeSet<_> = replies
        .iter()
        .map(|r| r.json["order_id"].to_string())
        .collect();
    assert_eq!(ids.len(), 1);
    let refs: std::collections::BTreeSet<_> = replies
        .iter()
        .map(|r| r.json["payment"]["payment_ref"].to_string())
        .collect();
    assert_eq!(refs.len(), 1);
    assert_eq!(
        count(&app, "SELECT count(*) AS n FROM orders.orders").await,
        1
    );
    assert_eq!(
        count(&app, "SELECT count(*) AS n FROM orders.payments").await,
        1
    );
    assert_eq!(stock(&app, vid).await, (100, 2));

    // The same key with another body is refused.
    let other = Client::send(
        c.request(reqwest::Method::POST, "/v1/checkout")
            .header("idempotency-key", "same-key")
            .json(&json!({"address": address("63100"), "expected_total": 34800})),
    )
    .await;
    other.assert_problem(422, "idempotency_key_reused");
}

/// A double-clicked "pay" button sends two checkouts of one cart under different keys, all
/// at once (as many as the checkout rate limit lets one customer try): one order is made,
/// the others find the cart already ordered.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_cart_checked_out_under_many_keys_makes_one_order() {
    let app = spawn_app_with(jikgu::Service::All, |cfg| cfg.db_max_connections = 30).await;
    let vid = product(&app, 15900, 100).await;
    let (c, _) = token_customer(&app);
    c.put(
        &format!("/v1/carts/current/lines/{vid}"),
        &json!({"quantity": 2}),
    )
    .await;
    let replies =
        join_all((0..10).map(|i| Client::send(checkout(&c, &format!("click-{i}"), 31800)))).await;
    assert_eq!(replies.iter().filter(|r| r.status == 201).count(), 1);
    for r in replies.iter().filter(|r| r.status != 201) {
        r.assert_problem(422, "empty_cart");
    }
    assert_eq!(
        count(&app, "SELECT count(*) AS n FROM orders.orders").await,
        1
    );
    assert_eq!(
        count(&app, "SELECT count(*) AS n FROM orders.payments").await,
        1
    );
    assert_eq!(stock(&app, vid).await, (100, 2));
}

async fn pending_order(app: &TestApp, vid: Uuid, price: i64) -> (Client, Uuid) {
    let (c, _) = token_customer(app);
    c.put(
        &format!("/v1/carts/current/lines/{vid}"),
        &json!({"quantity": 1}),
    )
    .await;
    let shipping = if price >= 30000 { 0 } else { 3000 };
    let r = Client::send(checkout(&c, &Uuid::now_v7().to_string(), price + shipping)).await;
    assert_eq!(r.status, 201, "{}", r.body);
    (
        c,
        r.json["order_id"]
            .as_str()
            .expect("id")
            .parse()
            .expect("uuid"),
    )
}

/// The same webhook event delivered 20 times at once is applied once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_payment_event_is_applied_once() {
    let app = spawn_app_with(jikgu::Service::All, |cfg| cfg.db_max_connections = 30).await;
    let vid = product(&app, 39000, 10).await;
    let (_, order_id) = pending_order(&app, vid, 39000).await;
    let gateway = orders::payments::test_gateway::TestGateway;
    let payment_ref = orders::payments::test_gateway::TestGateway::payment_ref(order_id);
    let event = GatewayEvent {
        event_id: "evt_1".into(),
        kind: GatewayEventKind::PaymentSucceeded {
            payment_ref,
            order_id: Some(order_id),
            amount: Won(39000),
        },
    };
    let results = join_all((0..20).map(|_| {
        orders::payments::apply::apply(
            &app.state.db,
            &gateway as &dyn PaymentGateway,
            event.clone(),
        )
    }))
    .await;
    let applied = results
        .iter()
        .filter(|r| matches!(r, Ok(orders::payments::apply::Applied::Applied)))
        .count();
    assert!(results.iter().all(|r| r.is_ok()), "{results:?}");
    assert_eq!(applied, 1);
    assert_eq!(stock(&app, vid).await, (9, 0));
    assert_eq!(
        count(
            &app,
            "SELECT count(*) AS n FROM orders.order_history WHERE to_status = 'paid'"
        )
        .await,
        1
    );
}

/// A payment racing the reservation's expiry: either it is paid and keeps its stock, or
/// it expired — never paid without stock, never stock held twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn payment_racing_expiry_stays_consistent() {
    let app = spawn_app_with(jikgu::Service::All, |cfg| cfg.db_max_connections = 30).await;
    let vid = product(&app, 39000, 5).await;
    for _ in 0..5 {
        let (c, order_id) = pending_order(&app, vid, 39000).await;
        app.state
            .db
            .execute_unprepared(&format!("UPDATE orders.orders SET reserved_until = now() - interval '1 second' WHERE id = '{order_id}'"))
            .await
            .expect("age the reservation");
        let db = app.state.db.clone();
        let expire = tokio::spawn(async move {
            let txn = sea_orm::TransactionTrait::begin(&db).await.expect("begin");
            let n = orders::lifecycle::expire_due(&txn, chrono::Utc::now())
                .await
                .expect("expire");
            txn.commit().await.expect("commit");
            n
        });
        let pay = c
            .post(
                &format!("/v1/payments/test/orders/{order_id}/pay"),
                &json!({}),
            )
            .await;
        expire.await.expect("join");
        assert_eq!(pay.status, 200, "{}", pay.body);
        // Whichever won, nothing is left held: a paid order sold its unit, an expired
        // one released it.
        assert_eq!(stock(&app, vid).await.1, 0, "round left units reserved");
    }
    // Every order ended paid (the late payment re-held the stock, nobody else wanted
    // it): paid orders and sold units agree exactly.
    let paid = count(
        &app,
        "SELECT count(*) AS n FROM orders.orders WHERE status = 'paid'",
    )
    .await;
    let (on_hand, reserved) = stock(&app, vid).await;
    assert_eq!(reserved, 0);
    assert_eq!(5 - on_hand as i64, paid);
    assert_eq!(paid, 5);
}

/// Paid after the reservation lapsed and someone else bought the last unit: the payment
/// is refunded and the order stays closed.
#[tokio::test]
async fn a_late_payment_for_sold_stock_is_refunded() {
    let app = spawn_app().await;
    let vid = product(&app, 39000, 1).await;
    let (late, order_id) = pending_order(&app, vid, 39000).await;
    app.state
        .db
        .execute_unprepared(&format!("UPDATE orders.orders SET reserved_until = now() - interval '1 second' WHERE id = '{order_id}'"))
        .await
        .expect("age");
    let n = orders::jobs::run_once(
        &app.state,
        &orders::context::OrdersContext::from_env().expect("ctx"),
    )
    .await
    .expect("jobs");
    assert_eq!(n.0, 1);
    let (_, other) = pending_order(&app, vid, 39000).await;
    let r = late
        .post(
            &format!("/v1/payments/test/orders/{order_id}/pay"),
            &json!({}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json["status"], "expired");
    assert_eq!(count(&app, &format!("SELECT count(*) AS n FROM orders.payments WHERE order_id = '{order_id}' AND status = 'refunded'")).await, 1);
    assert_eq!(
        stock(&app, vid).await,
        (1, 1),
        "the other customer's hold is intact: {other}"
    );
}

/// A checkout that commits while a line write waits on the cart's lock has ordered the
/// lines the write first read: the write's answer shows the cart as it is afterwards,
/// without them (or the customer would check out with a total that no longer holds).
#[tokio::test]
async fn a_line_write_racing_a_checkout_answers_with_what_is_left() {
    use sea_orm::TransactionTrait;
    let app = spawn_app().await;
    let a = product(&app, 10000, 5).await;
    let laver = app.category("laver", None, &[]).await;
    let v = app.vendor("강화김").await;
    let pid = app
        .product(&v, laver, "강화 곱창김", &[], &[("LAVER", 9000, 5)])
        .await;
    let b: Uuid = app.client.get(&format!("/v1/products/{pid}")).await.json["variants"][0]["id"]
        .as_str()
        .expect("id")
        .parse()
        .expect("uuid");
    let (c, customer) = token_customer(&app);
    let put = |vid: Uuid| {
        let c = c.clone();
        async move {
            c.put(
                &format!("/v1/carts/current/lines/{vid}"),
                &json!({"quantity": 1}),
            )
            .await
        }
    };
    assert_eq!(put(a).await.status, 200);

    // What checkout does to the cart, held open: the cart row locked and its lines
    // ordered (emptied).
    let txn = app.state.db.begin().await.expect("begin");
    txn.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "WITH cart AS (SELECT id FROM orders.carts WHERE customer_id = $1 FOR UPDATE) \
         UPDATE orders.carts SET lines = '{}' WHERE id = (SELECT id FROM cart)",
        [customer.into()],
    ))
    .await
    .expect("checkout's hold");
    let write = tokio::spawn(put(b));
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(!write.is_finished(), "the write waits on the cart's lock");
    txn.commit().await.expect("commit");

    let answer = write.await.expect("write");
    assert_eq!(answer.status, 200, "{}", answer.body);
    let lines: Vec<&str> = answer.json["lines"]
        .as_array()
        .expect("lines")
        .iter()
        .filter_map(|l| l["variant_id"].as_str())
        .collect();
    assert_eq!(lines, [b.to_string()], "{}", answer.body);
    assert_eq!(
        answer.json["quote"]["totals"],
        c.get("/v1/carts/current").await.json["quote"]["totals"]
    );
}

/// A line write that commits while a checkout waits on the cart's lock is what the
/// checkout prices: the lock returns the cart's lines as that write left them, so the
/// quantity raised from 2 to 3 meanwhile no longer matches the total the customer saw: a
/// 409 with the new quote, and nothing ordered or held.
#[tokio::test]
async fn a_line_write_committed_while_a_checkout_waits_is_what_it_prices() {
    use sea_orm::TransactionTrait;
    let app = spawn_app().await;
    let vid = product(&app, 15900, 100).await;
    let (c, customer) = token_customer(&app);
    c.put(
        &format!("/v1/carts/current/lines/{vid}"),
        &json!({"quantity": 2}),
    )
    .await;

    // A line write held open: the cart row locked and the quantity raised (as
    // `carts::write` does in one statement).
    let txn = app.state.db.begin().await.expect("begin");
    txn.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "UPDATE orders.carts SET lines = ARRAY( \
             SELECT ROW(l.variant_id, 3, l.seen_unit_price)::orders.cart_line FROM unnest(lines) l) \
         WHERE customer_id = $1",
        [customer.into()],
    ))
    .await
    .expect("the write's hold");
    let pending = tokio::spawn(Client::send(checkout(&c, "while-writing", 31800)));
    until_a_statement_waits_on_a_lock(&app, "the checkout waits on the cart's lock").await;
    txn.commit().await.expect("commit");

    let answer = pending.await.expect("checkout");
    answer.assert_problem(409, "quote_changed");
    assert_eq!(
        answer.json["extra"]["quote"]["lines"][0]["quantity"], 3,
        "{}",
        answer.body
    );
    assert_eq!(
        count(&app, "SELECT count(*) AS n FROM orders.orders").await,
        0
    );
    assert_eq!(stock(&app, vid).await, (100, 0));
}

/// A merge writes the customer's whole list of lines, computed from the two carts it read.
/// A line another tab writes meanwhile is kept: the merge locks the customer's cart before
/// it reads it, so it waits for that write and merges what it left.
#[tokio::test]
async fn a_line_written_while_carts_merge_is_kept() {
    use orders::carts::{self, Owner};
    use platform::quantity::Quantity;
    use sea_orm::TransactionTrait;
    let app = spawn_app().await;
    let cat = app.category("rice", None, &[]).await;
    let v = app.vendor("강화쌀").await;
    let mut variants = Vec::new();
    for (title, sku) in [
        ("강화 섬쌀", "R1"),
        ("강화 찹쌀", "R2"),
        ("강화 현미", "R3"),
    ] {
        let pid = app.product(&v, cat, title, &[], &[(sku, 10000, 5)]).await;
        variants.push(crate::checkout::variant(&app, pid).await);
    }
    let [a, b, c] = [variants[0], variants[1], variants[2]];
    let (client, customer) = token_customer(&app);
    let put = client
        .put(
            &format!("/v1/carts/current/lines/{a}"),
            &json!({"quantity": 1}),
        )
        .await;
    assert_eq!(put.status, 200, "{}", put.body);
    let token = app.client.post("/v1/carts", &json!({})).await.json["token"]
        .as_str()
        .expect("token")
        .to_owned();
    let put = Client::send(
        app.client
            .request(
                reqwest::Method::PUT,
                &format!("/v1/carts/current/lines/{b}"),
            )
            .header("x-cart-token", token.clone())
            .json(&json!({"quantity": 2})),
    )
    .await;
    assert_eq!(put.status, 200, "{}", put.body);

    // Another tab's write of a third line, held open.
    let tab = app.state.db.begin().await.expect("begin");
    carts::write(&tab, &Owner::Customer(customer), c, Some(Quantity::ONE))
        .await
        .expect("the other tab's line");
    let merging = tokio::spawn(Client::send(
        client
            .request(reqwest::Method::POST, "/v1/carts/current/merge")
            .header("x-cart-token", token),
    ));
    until_a_statement_waits_on_a_lock(&app, "the merge waits on the customer's cart").await;
    tab.commit().await.expect("commit");

    let merged = merging.await.expect("merge");
    assert_eq!(merged.status, 200, "{}", merged.body);
    let cart = client.get("/v1/carts/current").await;
    let mut lines = crate::checkout::cart_lines(&cart);
    lines.sort();
    let mut want = vec![
        (a.to_string(), 1, 10000),
        (b.to_string(), 2, 10000),
        (c.to_string(), 1, 10000),
    ];
    want.sort();
    assert_eq!(lines, want, "{}", cart.body);
    assert_eq!(merged.json["lines"], cart.json["lines"]);
}

/// One customer's tabs write lines of the same cart at once. Each write computes the
/// cart's new lines from the row the previous one left. So every answer is the cart as
/// some moment left it: it holds its own line, its total is that of its lines, and the
/// last write to commit shows them all.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn line_writes_racing_on_one_cart_each_answer_a_cart_that_was() {
    let app = spawn_app().await;
    let cat = app.category("rice", None, &[]).await;
    let v = app.vendor("강화쌀").await;
    let mut variants = Vec::new();
    for i in 0..8 {
        let pid = app
            .product(
                &v,
                cat,
                &format!("강화 섬쌀 {i}kg"),
                &[],
                &[(
                    format!("RICE-{i}").as_str(),
                    10_000 + i64::from(i) * 1_000,
                    50,
                )],
            )
            .await;
        variants.push(crate::checkout::variant(&app, pid).await);
    }
    let (c, _) = token_customer(&app);
    // The cart exists before the race (its first write creates it).
    let first = c
        .put(
            &format!("/v1/carts/current/lines/{}", variants[0]),
            &json!({"quantity": 1}),
        )
        .await;
    assert_eq!(first.status, 200, "{}", first.body);
    let answers = join_all(variants[1..].iter().map(|vid| {
        let c = c.clone();
        let vid = *vid;
        async move {
            let r = c
                .put(
                    &format!("/v1/carts/current/lines/{vid}"),
                    &json!({"quantity": 2}),
                )
                .await;
            (vid, r)
        }
    }))
    .await;
    let mut largest = 0;
    for (vid, r) in &answers {
        assert_eq!(r.status, 200, "{}", r.body);
        let lines = r.json["lines"].as_array().expect("lines");
        let ids: Vec<String> = lines
            .iter()
            .filter_map(|l| l["variant_id"].as_str().map(str::to_owned))
            .collect();
        assert!(
            ids.contains(&vid.to_string()),
            "own line missing: {}",
            r.body
        );
        assert!(
            ids.contains(&variants[0].to_string()),
            "the line written before the race is missing: {}",
            r.body
        );
        let sum: i64 = lines
            .iter()
            .map(|l| {
                l["unit_price"].as_i64().expect("price") * l["quantity"].as_i64().expect("qty")
            })
            .sum();
        assert_eq!(
            r.json["quote"]["totals"]["list_subtotal"].as_i64(),
            Some(sum),
            "{}",
            r.body
        );
        largest = largest.max(ids.len());
    }
    assert_eq!(
        largest,
        variants.len(),
        "the last write to commit shows every line"
    );
    let now = c.get("/v1/carts/current").await;
    assert_eq!(
        now.json["lines"].as_array().map(Vec::len),
        Some(variants.len())
    );
}

/// Events out of order: a failure delivered after the success changes neither the paid
/// order nor its payment (the payment machine has no move from succeeded to failed).
#[tokio::test]
async fn a_failure_reported_after_the_success_changes_nothing() {
    let app = spawn_app().await;
    let vid = product(&app, 39000, 10).await;
    let (_, order_id) = pending_order(&app, vid, 39000).await;
    let gateway = orders::payments::test_gateway::TestGateway;
    let payment_ref = orders::payments::test_gateway::TestGateway::payment_ref(order_id);
    let events = [
        GatewayEvent {
            event_id: "evt_succeeded".into(),
            kind: GatewayEventKind::PaymentSucceeded {
                payment_ref: payment_ref.clone(),
                order_id: Some(order_id),
                amount: Won(39000),
            },
        },
        GatewayEvent {
            event_id: "evt_failed".into(),
            kind: GatewayEventKind::PaymentFailed {
                payment_ref,
                order_id: Some(order_id),
            },
        },
    ];
    for event in events {
        orders::payments::apply::apply(&app.state.db, &gateway as &dyn PaymentGateway, event)
            .await
            .expect("applied");
    }
    let payment = format!(
        "SELECT count(*) AS n FROM orders.payments WHERE order_id = '{order_id}' AND status = 'succeeded'"
    );
    assert_eq!(count(&app, &payment).await, 1);
    let order = format!(
        "SELECT count(*) AS n FROM orders.orders WHERE id = '{order_id}' AND status = 'paid'"
    );
    assert_eq!(count(&app, &order).await, 1);
    assert_eq!(stock(&app, vid).await, (9, 0));
}
