//! Settlements (정산): the ledger booked from orders' events, statements, payouts, and the
//! vendor and admin APIs.

use jikgu_tests::fixtures::{Vendor, address};
use jikgu_tests::{Client, TestApp, spawn_app};
use platform::auth::Role;
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use serde_json::json;
use std::time::Duration;
use uuid::Uuid;

pub struct Bought {
    pub customer: Client,
    pub order_id: String,
    pub vendor_order_id: Uuid,
    pub variant_id: Uuid,
}

/// A customer buys `qty` of a new product at `price`, pays with the test gateway, and the
/// vendor ships and delivers.
pub async fn buy_and_deliver(app: &TestApp, v: &Vendor, price: i64, qty: i64) -> Bought {
    let cat = app
        .category(&format!("c{}", Uuid::now_v7().simple()), None, &[])
        .await;
    let sku = format!("S{}", Uuid::now_v7().simple());
    let pid = app
        .product(v, cat, "강화순무김치 1kg", &[], &[(&sku, price, 50)])
        .await;
    let page = app.client.get(&format!("/v1/products/{pid}")).await;
    let variant_id: Uuid = page.json["variants"][0]["id"]
        .as_str()
        .expect("variant")
        .parse()
        .expect("uuid");
    let (c, _) = app.account(Role::Customer, None).await;
    let cart = c
        .put(
            &format!("/v1/carts/current/lines/{variant_id}"),
            &json!({"quantity": qty}),
        )
        .await;
    assert_eq!(cart.status, 200, "{}", cart.body);
    let total = cart.json["quote"]["totals"]["grand_total"]
        .as_i64()
        .expect("total");
    let rb = c
        .request(reqwest::Method::POST, "/v1/checkout")
        .header("idempotency-key", Uuid::now_v7().to_string())
        .json(&json!({"address": address("21554"), "expected_total": total}));
    let done = Client::send(rb).await;
    assert_eq!(done.status, 201, "{}", done.body);
    let order_id = done.json["order_id"].as_str().expect("order").to_owned();
    let paid = c
        .post(
            &format!("/v1/payments/test/orders/{order_id}/pay"),
            &json!({}),
        )
        .await;
    assert_eq!(paid.status, 200, "{}", paid.body);
    let vo: Uuid = paid.json["vendor_orders"][0]["id"]
        .as_str()
        .expect("vo")
        .parse()
        .expect("uuid");
    let shipped = v
        .client
        .post(
            &format!("/v1/vendor/orders/{vo}/ship"),
            &json!({"courier": "CJ대한통운", "tracking_number": "1"}),
        )
        .await;
    assert_eq!(shipped.status, 204, "{}", shipped.body);
    let delivered = v
        .client
        .post(&format!("/v1/vendor/orders/{vo}/deliver"), &json!({}))
        .await;
    assert_eq!(delivered.status, 204, "{}", delivered.body);
    Bought {
        customer: c,
        order_id,
        vendor_order_id: vo,
        variant_id,
    }
}

pub async fn confirm(b: &Bought) {
    let r = b
        .customer
        .post(
            &format!(
                "/v1/orders/{}/vendor-orders/{}/confirm",
                b.order_id, b.vendor_order_id
            ),
            &json!({}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
}

/// The entries of a vendor order by kind, summed, and how many rows there are.
pub async fn entries(app: &TestApp, vo: Uuid) -> (Vec<(String, i64)>, i64) {
    let rows = app
        .state
        .db
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT kind, sum(amount)::bigint AS amount, count(*) AS n FROM settlements.entries \
             WHERE vendor_order_id = $1 GROUP BY kind ORDER BY kind",
            [vo.into()],
        ))
        .await
        .expect("entries");
    let mut n = 0;
    let kinds = rows
        .iter()
        .map(|r| {
            n += r.try_get::<i64>("", "n").expect("n");
            (
                r.try_get("", "kind").expect("kind"),
                r.try_get("", "amount").expect("amount"),
            )
        })
        .collect();
    (kinds, n)
}

/// Wait until the consumer has booked `kind` for the vendor order.
pub async fn booked(app: &TestApp, vo: Uuid, kind: &str, amount: i64) {
    for _ in 0..100 {
        let (kinds, _) = entries(app, vo).await;
        if kinds.iter().any(|(k, a)| k == kind && *a == amount) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{kind} {amount} never booked: {:?}", entries(app, vo).await);
}

fn kinds(pairs: &[(&str, i64)]) -> Vec<(String, i64)> {
    let mut v: Vec<(String, i64)> = pairs.iter().map(|(k, a)| ((*k).to_owned(), *a)).collect();
    v.sort();
    v
}

#[tokio::test]
async fn a_confirmation_books_once_however_many_consumers_get_it() {
    let app = spawn_app().await;
    let v = app.vendor("강화순무농장").await;
    // 2 × ₩12,900 = ₩25,800, under the free-shipping threshold: ₩3,000 shipping.
    let b = buy_and_deliver(&app, &v, 12_900, 2).await;
    // Nothing is owed before 구매확정.
    assert_eq!(entries(&app, b.vendor_order_id).await.1, 0);
    confirm(&b).await;
    // The same confirmation handled by eight consumers at once, beside the app's own.
    let event = platform::events::Event {
        event_id: Uuid::now_v7(),
        topic: "orders.vendor_order.confirmed".into(),
        aggregate_id: Uuid::now_v7(),
        payload: json!({"vendor_order_id": b.vendor_order_id, "to": "confirmed"}),
    };
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let state = app.state.clone();
            let ev = event.clone();
            tokio::spawn(async move { settlements::consumer::handle(&state, ev).await })
        })
        .collect();
    let mut booked_by = 0;
    for t in tasks {
        if t.await.expect("join").expect("handled") > 0 {
            booked_by += 1;
        }
    }
    booked(&app, b.vendor_order_id, "sale", 25_800).await;
    assert!(booked_by <= 1, "{booked_by} consumers booked");
    let (kinds_now, rows) = entries(&app, b.vendor_order_id).await;
    // Default 3% commission, VAT 10% of it, test gateway 3.3% of ₩28,800, all rounded down.
    let nonzero: Vec<(String, i64)> = kinds_now.into_iter().filter(|(_, a)| *a != 0).collect();
    assert_eq!(
        nonzero,
        kinds(&[
            ("sale", 25_800),
            ("shipping_income", 3_000),
            ("commission", -774),
            ("commission_vat", -77),
            ("payment_fee", -950),
        ])
    );
    // Replaying it books nothing more.
    settlements::consumer::handle(&app.state, event)
        .await
        .expect("replay");
    assert_eq!(entries(&app, b.vendor_order_id).await.1, rows);
    assert_eq!(
        settlements::ledger::balance(&app.state.db, v.id)
            .await
            .expect("balance"),
        26_999
    );
}

#[tokio::test]
async fn a_refund_after_confirmation_takes_back_its_share() {
    let app = spawn_app().await;
    let v = app.vendor("강화순무농장").await;
    // 3 × ₩10,000: free shipping from ₩30,000.
    let b = buy_and_deliver(&app, &v, 10_000, 3).await;
    // The customer asks to return one (defective), then confirms before the vendor decides.
    let asked = b
        .customer
        .post(
            &format!("/v1/orders/{}/returns", b.order_id),
            &json!({"vendor_order_id": b.vendor_order_id, "reason": "defective",
                    "lines": [{"variant_id": b.variant_id, "quantity": 1}]}),
        )
        .await;
    assert_eq!(asked.status, 201, "{}", asked.body);
    let return_id = asked.json["return_id"].as_str().expect("return").to_owned();
    confirm(&b).await;
    booked(&app, b.vendor_order_id, "sale", 30_000).await;
    assert_eq!(
        settlements::ledger::balance(&app.state.db, v.id)
            .await
            .expect("balance"),
        30_000 - 900 - 90 - 990
    );
    let accepted = v
        .client
        .post(
            &format!("/v1/vendor/orders/returns/{return_id}/accept"),
            &json!({}),
        )
        .await;
    assert_eq!(accepted.status, 200, "{}", accepted.body);
    booked(&app, b.vendor_order_id, "refund", -10_000).await;
    // Commission, VAT and fee follow the net sale of ₩20,000 (fee on ₩20,000 paid).
    let (k, _) = entries(&app, b.vendor_order_id).await;
    let of = |kind: &str| k.iter().find(|(x, _)| x == kind).map(|e| e.1).unwrap_or(0);
    assert_eq!(of("commission"), -600);
    assert_eq!(of("commission_vat"), -60);
    assert_eq!(of("payment_fee"), -660);
    assert_eq!(
        settlements::ledger::balance(&app.state.db, v.id)
            .await
            .expect("balance"),
        20_000 - 600 - 60 - 660
    );
}
