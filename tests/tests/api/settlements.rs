//! Settlements (정산): the ledger booked from orders' events, statements, payouts, and the
//! vendor and admin APIs.

use chrono::Datelike;
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

/// A new product of `v` at `price` (50 in stock): its id and its variant's.
pub async fn new_product(app: &TestApp, v: &Vendor, price: i64) -> (Uuid, Uuid) {
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
    (pid, variant_id)
}

/// A customer buys `qty` of a new product at `price`, pays with the test gateway, and the
/// vendor ships and delivers.
pub async fn buy_and_deliver(app: &TestApp, v: &Vendor, price: i64, qty: i64) -> Bought {
    let (_, variant_id) = new_product(app, v, price).await;
    buy_variant_and_deliver(app, v, variant_id, qty, None).await
}

/// A customer buys `qty` of `variant_id` (with the coupon `code`, if any), pays with the
/// test gateway, and the vendor ships and delivers.
pub async fn buy_variant_and_deliver(
    app: &TestApp,
    v: &Vendor,
    variant_id: Uuid,
    qty: i64,
    code: Option<&str>,
) -> Bought {
    let (c, _) = app.account(Role::Customer, None).await;
    let cart = c
        .put(
            &format!("/v1/carts/current/lines/{variant_id}"),
            &json!({"quantity": qty}),
        )
        .await;
    assert_eq!(cart.status, 200, "{}", cart.body);
    let cart = match code {
        Some(code) => c.get(&format!("/v1/carts/current?coupon={code}")).await,
        None => cart,
    };
    let total = cart.json["quote"]["totals"]["grand_total"]
        .as_i64()
        .expect("total");
    let codes: Vec<&str> = code.into_iter().collect();
    let rb = c
        .request(reqwest::Method::POST, "/v1/checkout")
        .header("idempotency-key", Uuid::now_v7().to_string())
        .json(
            &json!({"address": address("21554"), "expected_total": total, "coupon_codes": codes}),
        );
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
    v.ship_and_deliver(vo).await;
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

/// The customer asks to return `qty` units (defective); the return's id.
pub async fn ask_return(b: &Bought, qty: i64) -> String {
    let asked = b
        .customer
        .post(
            &format!("/v1/orders/{}/returns", b.order_id),
            &json!({"vendor_order_id": b.vendor_order_id, "reason": "defective",
                    "lines": [{"variant_id": b.variant_id, "quantity": qty}]}),
        )
        .await;
    assert_eq!(asked.status, 201, "{}", asked.body);
    asked.json["return_id"].as_str().expect("return").to_owned()
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
    let return_id = ask_return(&b, 1).await;
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

/// An admin closes the period ending 30 days from today.
async fn close_as(admin: &Client) -> jikgu_tests::Reply {
    admin
        .post(
            "/v1/admin/settlements/close",
            &json!({"period_end": far_end()}),
        )
        .await
}

fn far_end() -> chrono::NaiveDate {
    promotions::seoul::day(chrono::Utc::now()) + chrono::Days::new(30)
}

/// Σ net payable of the vendor's statements + what no statement holds = its ledger, and
/// each statement's net is the sum of its own entries.
async fn assert_each_entry_counted_once(app: &TestApp, vendor: Uuid) {
    let db = &app.state.db;
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT \
               (SELECT COALESCE(sum(net_payable), 0)::bigint FROM settlements.statements WHERE vendor_id = $1) AS stated, \
               (SELECT COALESCE(sum(e.amount), 0)::bigint FROM settlements.entries e WHERE e.vendor_id = $1 \
                  AND e.kind NOT IN ('payout', 'platform_discount') \
                  AND NOT EXISTS (SELECT 1 FROM settlements.statement_entries s WHERE s.entry_id = e.id)) AS unstated, \
               (SELECT count(*) FROM settlements.statements st WHERE st.vendor_id = $1 AND st.net_payable <> \
                  (SELECT COALESCE(sum(e.amount), 0) FROM settlements.statement_entries se JOIN settlements.entries e ON e.id = se.entry_id \
                   WHERE se.statement_id = st.id AND e.kind <> 'platform_discount')) AS inconsistent",
            [vendor.into()],
        ))
        .await
        .expect("sums")
        .expect("row");
    let stated: i64 = row.try_get("", "stated").expect("stated");
    let unstated: i64 = row.try_get("", "unstated").expect("unstated");
    let inconsistent: i64 = row.try_get("", "inconsistent").expect("inconsistent");
    let ledger = settlements::ledger::balance(db, vendor)
        .await
        .expect("balance");
    let paid_out: i64 = settlements::payouts::list(db, Some(vendor), None, 100)
        .await
        .expect("payouts")
        .iter()
        .filter(|p| p.status != "failed")
        .map(|p| p.amount)
        .sum();
    assert_eq!(inconsistent, 0);
    assert_eq!(
        stated + unstated - paid_out,
        ledger,
        "stated {stated} unstated {unstated}"
    );
}

#[tokio::test]
async fn closing_a_period_states_each_vendor_once() {
    let app = spawn_app().await;
    let a = app.vendor("강화순무농장").await;
    let b = app.vendor("소래포구젓갈").await;
    let ba = buy_and_deliver(&app, &a, 12_900, 2).await;
    let bb = buy_and_deliver(&app, &b, 40_000, 1).await;
    confirm(&ba).await;
    confirm(&bb).await;
    booked(&app, ba.vendor_order_id, "sale", 25_800).await;
    booked(&app, bb.vendor_order_id, "sale", 40_000).await;
    // A period that ended before anything fell due makes nothing.
    let yesterday = promotions::seoul::day(chrono::Utc::now()) - chrono::Days::new(1);
    assert!(
        settlements::statements::close_period(&app.state.db, yesterday, None)
            .await
            .expect("close")
            .is_empty()
    );
    let made = settlements::statements::close_period(&app.state.db, far_end(), None)
        .await
        .expect("close");
    assert_eq!(made.len(), 2);
    let of_a = made
        .iter()
        .find(|s| s.vendor_id == a.id)
        .expect("a's statement");
    assert_eq!(of_a.net_payable, 26_999);
    assert_eq!(
        (
            of_a.sales,
            of_a.shipping,
            of_a.commission,
            of_a.commission_vat,
            of_a.fees
        ),
        (25_800, 3_000, -774, -77, -950)
    );
    assert_eq!(of_a.opening_carry, 0);
    let detail = settlements::statements::detail(&app.state.db, of_a.id, Some(a.id))
        .await
        .expect("detail");
    assert!(
        detail
            .lines
            .iter()
            .all(|l| l.vendor_order_id == Some(ba.vendor_order_id))
    );
    // Another vendor's statement is not found for this one.
    assert!(
        settlements::statements::detail(&app.state.db, of_a.id, Some(b.id))
            .await
            .is_err()
    );
    // Closing again makes nothing new.
    assert!(
        settlements::statements::close_period(&app.state.db, far_end(), None)
            .await
            .expect("close")
            .is_empty()
    );
    assert_each_entry_counted_once(&app, a.id).await;
    assert_each_entry_counted_once(&app, b.id).await;
}

#[tokio::test]
async fn a_close_racing_a_refund_states_it_or_carries_it() {
    let app = spawn_app().await;
    let v = app.vendor("강화순무농장").await;
    let big = buy_and_deliver(&app, &v, 50_000, 1).await;
    let b = buy_and_deliver(&app, &v, 10_000, 3).await;
    let return_id = ask_return(&b, 1).await;
    confirm(&big).await;
    confirm(&b).await;
    booked(&app, big.vendor_order_id, "sale", 50_000).await;
    booked(&app, b.vendor_order_id, "sale", 30_000).await;
    // The return is accepted (its refund booked by the consumer) while the period closes.
    let db = app.state.db.clone();
    let close =
        tokio::spawn(
            async move { settlements::statements::close_period(&db, far_end(), None).await },
        );
    let accepted = v
        .client
        .post(
            &format!("/v1/vendor/orders/returns/{return_id}/accept"),
            &json!({}),
        )
        .await;
    assert_eq!(accepted.status, 200, "{}", accepted.body);
    let first = close.await.expect("join").expect("close");
    assert_eq!(first.len(), 1);
    booked(&app, b.vendor_order_id, "refund", -10_000).await;
    assert_each_entry_counted_once(&app, v.id).await;
    // The next close states whatever the first left: the refund is in exactly one place.
    settlements::statements::close_period(&app.state.db, far_end(), None)
        .await
        .expect("close again");
    let in_statements = app
        .state
        .db
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT count(*) AS n FROM settlements.entries e JOIN settlements.statement_entries s ON s.entry_id = e.id \
             WHERE e.vendor_order_id = $1 AND e.kind = 'refund' AND e.amount <> 0",
            [b.vendor_order_id.into()],
        ))
        .await
        .expect("count")
        .expect("row")
        .try_get::<i64>("", "n")
        .expect("n");
    assert!(in_statements <= 1);
    assert_each_entry_counted_once(&app, v.id).await;
    let total_stated: i64 = settlements::statements::list(&app.state.db, Some(v.id), None, 10)
        .await
        .expect("list")
        .iter()
        .map(|s| s.net_payable)
        .sum();
    let owed = settlements::ledger::balance(&app.state.db, v.id)
        .await
        .expect("balance");
    assert!(
        total_stated == owed || in_statements == 0,
        "stated {total_stated}, owed {owed}"
    );
}

#[tokio::test]
async fn holds_keep_a_vendor_out_of_statements_until_released() {
    let app = spawn_app().await;
    let v = app.vendor("강화순무농장").await;
    let b = buy_and_deliver(&app, &v, 12_900, 2).await;
    confirm(&b).await;
    booked(&app, b.vendor_order_id, "sale", 25_800).await;
    let admin = Uuid::now_v7();
    let hold = settlements::holds::place(
        &app.state.db,
        &settlements::holds::NewHold {
            vendor_id: v.id,
            reason: "원산지 표시 위반 조사".into(),
        },
        admin,
    )
    .await
    .expect("hold");
    assert!(
        settlements::statements::close_period(&app.state.db, far_end(), None)
            .await
            .expect("close")
            .is_empty()
    );
    settlements::holds::release(&app.state.db, hold.id, admin)
        .await
        .expect("release");
    assert_eq!(
        settlements::statements::close_period(&app.state.db, far_end(), None)
            .await
            .expect("close")
            .len(),
        1
    );
}

#[tokio::test]
async fn a_failed_payout_returns_the_amount_to_the_balance() {
    use settlements::payouts::{self, BankTransferCsv, NewBankAccount};
    let app = spawn_app().await;
    let v = app.vendor("강화순무농장").await;
    let b = buy_and_deliver(&app, &v, 12_900, 2).await;
    confirm(&b).await;
    booked(&app, b.vendor_order_id, "sale", 25_800).await;
    let db = &app.state.db;
    let st = settlements::statements::close_period(db, far_end(), None)
        .await
        .expect("close")
        .remove(0);
    let admin = Uuid::now_v7();
    // No bank account yet: refused.
    assert!(
        payouts::schedule(db, st.id, admin, "bank_transfer_csv")
            .await
            .is_err()
    );
    payouts::register_account(
        db,
        v.id,
        &NewBankAccount {
            bank_code: "011".into(),
            account_number: "301-1234-5678-91".into(),
            holder: "강화순무농장".into(),
        },
    )
    .await
    .expect("account");
    let p = payouts::schedule(db, st.id, admin, "bank_transfer_csv")
        .await
        .expect("schedule");
    assert_eq!(p.amount, 26_999);
    assert_eq!(
        settlements::ledger::balance(db, v.id)
            .await
            .expect("balance"),
        0
    );
    // Paying the same statement twice is refused while a payout is live.
    assert!(
        payouts::schedule(db, st.id, admin, "bank_transfer_csv")
            .await
            .is_err()
    );
    let (sent, file) = payouts::send_scheduled(db, &BankTransferCsv)
        .await
        .expect("send")
        .expect("a batch");
    assert_eq!(sent.len(), 1);
    let csv = String::from_utf8(file.bytes).expect("utf-8");
    let mut rows = csv.lines();
    assert_eq!(
        rows.next(),
        Some("입금은행코드,입금계좌번호,예금주,이체금액,적요")
    );
    let row = rows.next().expect("a transfer");
    assert!(
        row.starts_with("011,30112345678 91".replace(' ', "").as_str()),
        "{row}"
    );
    assert!(row.contains(",강화순무농장,26999,직구정산"), "{row}");
    payouts::mark_failed(db, p.id, "계좌번호 오류")
        .await
        .expect("failed");
    assert_eq!(
        settlements::ledger::balance(db, v.id)
            .await
            .expect("balance"),
        26_999
    );
    // Paid again, this time through.
    let again = payouts::schedule(db, st.id, admin, "bank_transfer_csv")
        .await
        .expect("schedule again");
    payouts::send_scheduled(db, &BankTransferCsv)
        .await
        .expect("send");
    payouts::mark_paid(db, again.id).await.expect("paid");
    let bal = settlements::reports::balance(db, v.id)
        .await
        .expect("balance");
    assert_eq!(
        (
            bal.ledger_balance,
            bal.due,
            bal.paid,
            bal.confirmed_not_stated
        ),
        (0, 0, 26_999, 0)
    );
    assert_each_entry_counted_once(&app, v.id).await;
    let l = settlements::reports::liabilities(db, promotions::seoul::day(chrono::Utc::now()))
        .await
        .expect("liabilities");
    assert_eq!(l.owed, 0);
}

#[tokio::test]
async fn a_vendor_sees_only_its_own_settlements() {
    let app = spawn_app().await;
    let a = app.vendor("강화순무농장").await;
    let b = app.vendor("소래포구젓갈").await;
    let (admin, _) = app.account(Role::Admin, None).await;
    let ba = buy_and_deliver(&app, &a, 12_900, 2).await;
    let bb = buy_and_deliver(&app, &b, 40_000, 1).await;
    confirm(&ba).await;
    confirm(&bb).await;
    booked(&app, ba.vendor_order_id, "sale", 25_800).await;
    booked(&app, bb.vendor_order_id, "sale", 40_000).await;
    for (v, holder) in [(&a, "강화순무농장"), (&b, "소래포구젓갈")] {
        let r = v
            .client
            .put("/v1/vendor/settlements/bank-account", &json!({"bank_code": "011", "account_number": "301-0000-1111-22", "holder": holder}))
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
    }
    a.client
        .put(
            "/v1/vendor/settlements/bank-account",
            &json!({"bank_code": "11", "account_number": "x", "holder": ""}),
        )
        .await
        .assert_problem(422, "validation_failed");
    let closed = close_as(&admin).await;
    assert_eq!(closed.status, 200, "{}", closed.body);
    assert_eq!(closed.json.as_array().map(Vec::len), Some(2));
    let id_of = |v: Uuid| {
        closed
            .json
            .as_array()
            .into_iter()
            .flatten()
            .find(|s| s["vendor_id"] == v.to_string())
            .expect("statement")["id"]
            .as_str()
            .expect("id")
            .to_owned()
    };
    let (sa, sb) = (id_of(a.id), id_of(b.id));

    // Balance: each its own.
    let bal = a.client.get("/v1/vendor/settlements/balance").await;
    assert_eq!(bal.status, 200, "{}", bal.body);
    assert_eq!(bal.json["vendor_id"], a.id.to_string());
    assert_eq!(bal.json["due"], 26_999);
    assert_eq!(
        b.client.get("/v1/vendor/settlements/balance").await.json["due"],
        40_000 - 1_200 - 120 - 1_320
    );
    // Statements: each lists only its own, and another's is 404 in every format.
    let list = a.client.get("/v1/vendor/settlements/statements").await;
    assert_eq!(list.json["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(list.json["items"][0]["id"], sa.as_str());
    for format in ["", "?format=csv", "?format=xlsx"] {
        a.client
            .get(&format!("/v1/vendor/settlements/statements/{sb}{format}"))
            .await
            .assert_problem(404, "not_found");
        b.client
            .get(&format!("/v1/vendor/settlements/statements/{sa}{format}"))
            .await
            .assert_problem(404, "not_found");
    }
    let mine = a
        .client
        .get(&format!("/v1/vendor/settlements/statements/{sa}"))
        .await;
    assert_eq!(mine.json["net_payable"], 26_999);
    assert!(mine.json["lines"].as_array().is_some_and(|l| {
        l.iter()
            .all(|l| l["vendor_order_id"] == ba.vendor_order_id.to_string())
    }));
    let csv = a
        .client
        .get(&format!(
            "/v1/vendor/settlements/statements/{sa}?format=csv"
        ))
        .await;
    assert_eq!(csv.status, 200);
    assert!(csv.content_type().starts_with("text/csv"));
    assert!(csv.body.contains("구분,금액,주문번호"), "{}", csv.body);
    assert!(csv.body.contains("정산 지급액,26999"), "{}", csv.body);
    let xlsx = a
        .client
        .get(&format!(
            "/v1/vendor/settlements/statements/{sa}?format=xlsx"
        ))
        .await;
    assert_eq!(xlsx.status, 200);
    assert!(xlsx.content_type().contains("spreadsheetml"));
    assert!(xlsx.body.starts_with("PK"));
    // Bank account: each its own.
    assert_eq!(
        a.client
            .get("/v1/vendor/settlements/bank-account")
            .await
            .json["holder"],
        "강화순무농장"
    );
    assert_eq!(
        b.client
            .get("/v1/vendor/settlements/bank-account")
            .await
            .json["holder"],
        "소래포구젓갈"
    );
    // Customers and anonymous callers reach none of it; admins reach none of the vendor routes.
    for path in [
        "/v1/vendor/settlements/balance",
        "/v1/vendor/settlements/statements",
        "/v1/vendor/settlements/bank-account",
    ] {
        ba.customer.get(path).await.assert_problem(403, "forbidden");
        admin.get(path).await.assert_problem(403, "forbidden");
        app.client
            .get(path)
            .await
            .assert_problem(401, "unauthenticated");
    }
}

#[tokio::test]
async fn admins_run_policies_payouts_holds_and_adjustments() {
    let app = spawn_app().await;
    let v = app.vendor("강화순무농장").await;
    let (admin, _) = app.account(Role::Admin, None).await;
    let (marketer, _) = app.account(Role::Marketer, None).await;
    // Only admins.
    for (path, body) in [
        (
            "/v1/admin/settlements/close",
            json!({"period_end": far_end()}),
        ),
        (
            "/v1/admin/settlements/holds",
            json!({"vendor_id": v.id, "reason": "x"}),
        ),
        (
            "/v1/admin/settlements/adjustments",
            json!({"vendor_id": v.id, "amount": 1, "reason": "x"}),
        ),
        ("/v1/admin/settlements/payouts/send", json!({})),
    ] {
        marketer
            .post(path, &body)
            .await
            .assert_problem(403, "forbidden");
        v.client
            .post(path, &body)
            .await
            .assert_problem(403, "forbidden");
    }
    // Money is held or adjusted only for vendors that exist.
    let nobody = Uuid::now_v7();
    admin
        .post(
            "/v1/admin/settlements/holds",
            &json!({"vendor_id": nobody, "reason": "x"}),
        )
        .await
        .assert_problem(422, "validation_failed");
    let rb = admin
        .request(reqwest::Method::POST, "/v1/admin/settlements/adjustments")
        .header("idempotency-key", "adj-nobody")
        .json(&json!({"vendor_id": nobody, "amount": 1, "reason": "x"}));
    Client::send(rb)
        .await
        .assert_problem(422, "validation_failed");
    marketer
        .get("/v1/admin/settlements/liabilities")
        .await
        .assert_problem(403, "forbidden");

    // A monthly cycle with a long lag passes the 20-day deadline: flagged when saved.
    let saved = admin
        .put(
            &format!("/v1/admin/settlements/vendors/{}/policy", v.id),
            &json!({"cycle": {"cycle": "monthly", "day": 10}, "lag_business_days": 5, "taxpayer_kind": "simplified"}),
        )
        .await;
    assert_eq!(saved.status, 200, "{}", saved.body);
    assert_eq!(saved.json["exceeds_legal_deadline"], true);
    let daily = admin
        .put(
            &format!("/v1/admin/settlements/vendors/{}/policy", v.id),
            &json!({"cycle": {"cycle": "daily"}, "lag_business_days": 1, "taxpayer_kind": "general"}),
        )
        .await;
    assert_eq!(
        daily.json["exceeds_legal_deadline"], false,
        "{}",
        daily.body
    );
    admin
        .post("/v1/admin/settlements/commission-rules", &json!({"scope": {"scope": "vendor", "id": v.id}, "rate_bp": 10_001, "effective_from": "2026-01-01T00:00:00+09:00"}))
        .await
        .assert_problem(422, "validation_failed");
    // This vendor pays 5% from now on.
    let rule = admin
        .post("/v1/admin/settlements/commission-rules", &json!({"scope": {"scope": "vendor", "id": v.id}, "rate_bp": 500, "effective_from": "2026-01-01T00:00:00+09:00"}))
        .await;
    assert_eq!(rule.status, 201, "{}", rule.body);

    let b = buy_and_deliver(&app, &v, 12_900, 2).await;
    confirm(&b).await;
    // 5% of 25,800 = 1,290; VAT 129; fee 950.
    booked(&app, b.vendor_order_id, "commission", -1_290).await;
    // An adjustment books once per Idempotency-Key.
    let adjust = |key: &'static str| {
        let rb = admin
            .request(reqwest::Method::POST, "/v1/admin/settlements/adjustments")
            .header("idempotency-key", key)
            .json(&json!({"vendor_id": v.id, "amount": 1_000, "reason": "포장재 지원금"}));
        Client::send(rb)
    };
    assert_eq!(adjust("adj-1").await.json["booked"], true);
    assert_eq!(adjust("adj-1").await.json["booked"], false);
    admin
        .post(
            "/v1/admin/settlements/adjustments",
            &json!({"vendor_id": v.id, "amount": 1_000, "reason": "x"}),
        )
        .await
        .assert_problem(422, "validation_failed");
    let expected = 25_800 + 3_000 - 1_290 - 129 - 950 + 1_000;
    let owed = admin.get("/v1/admin/settlements/liabilities").await;
    assert_eq!(owed.status, 200, "{}", owed.body);
    assert_eq!(owed.json["owed"], expected);
    assert_eq!(owed.json["hold_apart"], (expected + 1) / 2);
    assert_eq!(owed.json["overdue"], 0);
    // The daily cycle pays within the deadline.
    assert_eq!(owed.json["due_after_deadline"], 0);

    // A hold keeps the vendor out of the close; released, the next close states it.
    let hold = admin
        .post(
            "/v1/admin/settlements/holds",
            &json!({"vendor_id": v.id, "reason": "조사 중"}),
        )
        .await;
    assert_eq!(hold.status, 201, "{}", hold.body);
    admin
        .post(
            "/v1/admin/settlements/holds",
            &json!({"vendor_id": v.id, "reason": "again"}),
        )
        .await
        .assert_problem(409, "conflict");
    let none = close_as(&admin).await;
    assert_eq!(none.json, json!([]));
    let hold_id = hold.json["id"].as_str().expect("hold");
    assert_eq!(
        admin
            .post(
                &format!("/v1/admin/settlements/holds/{hold_id}/release"),
                &json!({})
            )
            .await
            .status,
        200
    );
    let closed = close_as(&admin).await;
    let st = closed.json[0]["id"].as_str().expect("statement").to_owned();
    assert_eq!(closed.json[0]["net_payable"], expected);

    // Paying needs the vendor's bank account.
    admin
        .post(
            &format!("/v1/admin/settlements/statements/{st}/payout"),
            &json!({}),
        )
        .await
        .assert_problem(409, "illegal_transition");
    v.client
        .put("/v1/vendor/settlements/bank-account", &json!({"bank_code": "011", "account_number": "3010000111122", "holder": "강화순무농장"}))
        .await;
    let payout = admin
        .post(
            &format!("/v1/admin/settlements/statements/{st}/payout"),
            &json!({}),
        )
        .await;
    assert_eq!(payout.status, 201, "{}", payout.body);
    let pid = payout.json["id"].as_str().expect("payout").to_owned();
    let file = admin
        .post("/v1/admin/settlements/payouts/send", &json!({}))
        .await;
    assert_eq!(file.status, 200, "{}", file.body);
    assert!(
        file.body.contains(&format!(
            "011,3010000111122,강화순무농장,{expected},직구정산"
        )),
        "{}",
        file.body
    );
    assert_eq!(
        admin
            .post("/v1/admin/settlements/payouts/send", &json!({}))
            .await
            .status,
        204
    );
    let paid = admin
        .post(
            &format!("/v1/admin/settlements/payouts/{pid}/paid"),
            &json!({}),
        )
        .await;
    assert_eq!(paid.json["status"], "paid", "{}", paid.body);
    admin
        .post(
            &format!("/v1/admin/settlements/payouts/{pid}/failed"),
            &json!({"reason": "late"}),
        )
        .await
        .assert_problem(409, "illegal_transition");
    let bal = v.client.get("/v1/vendor/settlements/balance").await;
    assert_eq!(
        (
            bal.json["paid"].as_i64(),
            bal.json["ledger_balance"].as_i64()
        ),
        (Some(expected), Some(0))
    );
    assert_eq!(
        admin.get("/v1/admin/settlements/liabilities").await.json["owed"],
        0
    );
}

#[tokio::test]
async fn a_month_of_commission_becomes_one_tax_invoice_per_vendor() {
    let app = spawn_app().await;
    let v = app.vendor("강화순무농장").await;
    let (admin, _) = app.account(Role::Admin, None).await;
    let b = buy_and_deliver(&app, &v, 12_900, 2).await;
    confirm(&b).await;
    booked(&app, b.vendor_order_id, "commission", -774).await;
    let simplified = admin
        .put(
            &format!("/v1/admin/settlements/vendors/{}/policy", v.id),
            &json!({"cycle": {"cycle": "daily"}, "lag_business_days": 1, "taxpayer_kind": "simplified"}),
        )
        .await;
    assert_eq!(simplified.status, 200, "{}", simplified.body);
    let today = promotions::seoul::day(chrono::Utc::now());
    let month = today.with_day(1).expect("first of month");
    admin
        .post(
            "/v1/admin/settlements/tax-invoices",
            &json!({"month": today.with_day(2).unwrap_or(today)}),
        )
        .await
        .assert_problem(422, "validation_failed");
    let made = admin
        .post(
            "/v1/admin/settlements/tax-invoices",
            &json!({"month": month}),
        )
        .await;
    assert_eq!(made.status, 200, "{}", made.body);
    assert_eq!(made.json.as_array().map(Vec::len), Some(1));
    assert_eq!(made.json[0]["supply_amount"], 774);
    assert_eq!(made.json[0]["vat"], 77);
    assert_eq!(made.json[0]["recipient_name"], "강화순무농장");
    assert_eq!(made.json[0]["taxpayer_kind"], "simplified");
    // Recording again keeps the first record.
    let again = admin
        .post(
            "/v1/admin/settlements/tax-invoices",
            &json!({"month": month}),
        )
        .await;
    assert_eq!(again.json[0]["id"], made.json[0]["id"]);
    let csv = admin
        .get(&format!(
            "/v1/admin/settlements/tax-invoices?month={month}&format=csv"
        ))
        .await;
    assert_eq!(csv.status, 200);
    assert!(csv.body.contains("공급가액,세액,합계금액"), "{}", csv.body);
    assert!(
        csv.body
            .contains(",강화순무농장,간이과세자,판매수수료,774,77,851"),
        "{}",
        csv.body
    );
}

#[tokio::test]
async fn the_demo_vendor_has_a_settlement_history() {
    let app = spawn_app().await;
    jikgu::seed::seed_demo(&app.state).await.expect("seed");
    // Safe to run again: nothing more is booked or stated.
    let vendor = jikgu::seed::DEMO_VENDOR_ID;
    let before = settlements::reports::balance(&app.state.db, vendor)
        .await
        .expect("balance");
    jikgu::seed::seed_demo(&app.state)
        .await
        .expect("seed again");
    let after = settlements::reports::balance(&app.state.db, vendor)
        .await
        .expect("balance");
    assert_eq!(before.ledger_balance, after.ledger_balance);
    let statements = settlements::statements::list(&app.state.db, Some(vendor), None, 10)
        .await
        .expect("statements");
    // Statements for at least two past months, the oldest paid.
    let today = promotions::seoul::day(chrono::Utc::now());
    let months: std::collections::BTreeSet<(i32, u32)> = statements
        .iter()
        .filter(|s| s.period_end < today)
        .map(|s| (s.period_end.year(), s.period_end.month()))
        .collect();
    assert!(months.len() >= 2, "{months:?}");
    let oldest = statements
        .iter()
        .min_by_key(|s| s.period_end)
        .expect("a statement");
    assert_eq!(oldest.status, "paid");
    let paid: i64 = statements
        .iter()
        .filter(|s| s.status == "paid")
        .map(|s| s.net_payable)
        .sum();
    assert_eq!(after.paid, paid);
    // The entries span the three months: more than 60 days from first to last.
    let span = app
        .state
        .db
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT (EXTRACT(EPOCH FROM max(occurred_at) - min(occurred_at)) / 86400)::bigint AS d \
             FROM settlements.entries WHERE vendor_id = $1",
            [vendor.into()],
        ))
        .await
        .expect("span")
        .expect("row")
        .try_get::<i64>("", "d")
        .expect("d");
    assert!(span > 60, "{span} days");
    // The refund after settlement is owed back: carried, in no statement yet.
    let refunds = app
        .state
        .db
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT COALESCE(sum(amount), 0)::bigint AS n FROM settlements.entries e WHERE vendor_id = $1 AND kind = 'refund' \
             AND NOT EXISTS (SELECT 1 FROM settlements.statement_entries s WHERE s.entry_id = e.id)",
            [vendor.into()],
        ))
        .await
        .expect("refunds")
        .expect("row")
        .try_get::<i64>("", "n")
        .expect("n");
    assert!(refunds < 0, "{refunds}");
    assert!(after.confirmed_not_stated != 0);
    assert_each_entry_counted_once(&app, vendor).await;
}

#[tokio::test]
async fn entries_cannot_be_changed_or_deleted() {
    let app = spawn_app().await;
    let v = app.vendor("강화순무농장").await;
    let booked = settlements::ledger::adjust(
        &app.state.db,
        &settlements::ledger::NewAdjustment {
            vendor_id: v.id,
            amount: 5_000,
            reason: "포장재 지원금".into(),
        },
        Uuid::now_v7(),
        "k-1",
    )
    .await
    .expect("adjust");
    assert!(booked);
    for sql in [
        "UPDATE settlements.entries SET amount = 1",
        "DELETE FROM settlements.entries",
    ] {
        let err = app
            .state
            .db
            .execute_unprepared(sql)
            .await
            .expect_err("refused");
        assert!(err.to_string().contains("append-only"), "{err}");
    }
    assert_eq!(
        settlements::ledger::balance(&app.state.db, v.id)
            .await
            .expect("balance"),
        5_000
    );
}

#[tokio::test]
async fn the_leased_daily_close_states_what_falls_due_today() {
    let app = spawn_app().await;
    let v = app.vendor("강화순무농장").await;
    // An adjustment falls due the day it is booked.
    settlements::ledger::adjust(
        &app.state.db,
        &settlements::ledger::NewAdjustment {
            vendor_id: v.id,
            amount: 7_000,
            reason: "행사 지원금".into(),
        },
        Uuid::now_v7(),
        "k-1",
    )
    .await
    .expect("adjust");
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    // Two runners: the lease lets one close; closing is idempotent anyway.
    let runners: Vec<_> = (0..2)
        .map(|_| {
            tokio::spawn(settlements::jobs::run(
                app.state.clone(),
                0,
                stop_rx.clone(),
            ))
        })
        .collect();
    let mut made = Vec::new();
    for _ in 0..100 {
        made = settlements::statements::list(&app.state.db, Some(v.id), None, 10)
            .await
            .expect("list");
        if !made.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = stop_tx.send(true);
    for r in runners {
        r.await.expect("join");
    }
    assert_eq!(made.len(), 1);
    assert_eq!(made[0].net_payable, 7_000);
    assert_eq!(
        made[0].period_end,
        promotions::seoul::day(chrono::Utc::now())
    );
}

#[tokio::test]
async fn a_cycle_slower_than_the_law_shows_in_the_liabilities() {
    let app = spawn_app().await;
    let v = app.vendor("강화순무농장").await;
    let (admin, _) = app.account(Role::Admin, None).await;
    // A deadline of 5 days: 10 business days' lag always passes it.
    let mut settings = admin.get("/v1/admin/settlements/settings").await.json;
    settings["legal_deadline_days"] = json!(5);
    let put = admin.put("/v1/admin/settlements/settings", &settings).await;
    assert_eq!(put.status, 200, "{}", put.body);
    let saved = admin
        .put(
            &format!("/v1/admin/settlements/vendors/{}/policy", v.id),
            &json!({"cycle": {"cycle": "monthly", "day": 25}, "lag_business_days": 10, "taxpayer_kind": "general"}),
        )
        .await;
    assert_eq!(saved.json["exceeds_legal_deadline"], true, "{}", saved.body);
    let b = buy_and_deliver(&app, &v, 12_900, 2).await;
    confirm(&b).await;
    booked(&app, b.vendor_order_id, "sale", 25_800).await;
    let owed = admin.get("/v1/admin/settlements/liabilities").await;
    assert_eq!(owed.json["owed"], 26_999, "{}", owed.body);
    assert_eq!(owed.json["due_after_deadline"], 26_999, "{}", owed.body);
    assert_eq!(owed.json["due_next_7_days"], 0, "{}", owed.body);
}
