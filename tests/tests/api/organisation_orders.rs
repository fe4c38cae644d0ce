//! Organisation orders after they are placed: cancelling or returning an invoice (후불)
//! order gives the credit back and voids the invoice without any gateway refund (also
//! under a race of orders and cancels against the limit); a member checks out its own
//! cart for the organisation; vendors revise their answers until the organisation
//! accepts; the job expires quotations past their validity; organisation A reaches none
//! of B's routes.

use crate::quotations::{Shop, accept, answer, answered_quotation, request, shop};
use jikgu_tests::fixtures::address;
use jikgu_tests::organisations::Org;
use jikgu_tests::{Client, Reply, TestApp, spawn_app};
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use serde_json::{Value, json};
use uuid::Uuid;

fn id_of(r: &Reply, field: &str) -> String {
    r.json[field].as_str().expect("present").to_owned()
}

/// What the shop's gateway would have been asked to refund for `order`: any row here
/// means a refund went (or was meant to go) to a payment gateway.
async fn gateway_refunds(app: &TestApp, order: &str) -> i64 {
    let row = app
        .state
        .db
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT count(*) AS n FROM orders.payment_refunds WHERE order_id = $1::uuid",
            [order.into()],
        ))
        .await
        .expect("query")
        .expect("row");
    row.try_get::<i64>("", "n").expect("n")
}

/// An answered quotation accepted on invoice (67,000: vendor A 30,000, vendor B 37,000).
async fn invoice_order(org: &Org, shop: &Shop) -> String {
    let q = answered_quotation(org, shop).await;
    let ok = accept(&org.approver, org.id, &q, json!({"payment": "invoice"})).await;
    assert_eq!(ok.status, 201, "{}", ok.body);
    id_of(&ok, "order_id")
}

async fn credit_used(org: &Org) -> i64 {
    org.get("").await.json["credit_used"]
        .as_i64()
        .expect("credit_used")
}

#[tokio::test]
async fn cancelling_an_invoice_order_gives_the_credit_back_and_voids_its_invoices() {
    let app = spawn_app().await;
    let shop = shop(&app, 100).await;
    let org = app
        .organisation("public_institution", "미추홀구청", 1_000_000)
        .await;
    let order = invoice_order(&org, &shop).await;
    assert_eq!(credit_used(&org).await, 67_000);
    assert_eq!(
        org.get("invoices").await.json.as_array().map(Vec::len),
        Some(2)
    );

    let cancelled = org
        .approver
        .post(&format!("/v1/orders/{order}/cancel"), &json!({}))
        .await;
    assert_eq!(cancelled.status, 200, "{}", cancelled.body);
    assert_eq!(cancelled.json["status"], "canceled");
    // The credit is back, nothing is owed, and no gateway was asked for a refund.
    assert_eq!(credit_used(&org).await, 0);
    assert_eq!(
        org.get("invoices").await.json.as_array().map(Vec::len),
        Some(0)
    );
    let voided = org.get("invoices?state=voided").await;
    assert_eq!(
        voided.json.as_array().map(Vec::len),
        Some(2),
        "{}",
        voided.body
    );
    assert_eq!(voided.json[0]["owed"], 0);
    assert_eq!(
        voided.json[0]["credited"].as_i64().unwrap_or_default()
            + voided.json[1]["credited"].as_i64().unwrap_or_default(),
        67_000
    );
    assert_eq!(gateway_refunds(&app, &order).await, 0);
    // A voided invoice takes no transfer; the tax-invoice lists forget the cancelled sale.
    let vo = voided.json[0]["vendor_order_id"]
        .as_str()
        .expect("present")
        .to_owned();
    let (admin, _) = app.account(platform::auth::Role::Admin, None).await;
    admin
        .post(&format!("/v1/admin/invoices/{vo}/paid"), &json!({}))
        .await
        .assert_problem(409, "illegal_transition");
    // Stock went back: the whole shop can be ordered again.
    let again = invoice_order(&org, &shop).await;
    assert_ne!(again, order);
    assert_eq!(credit_used(&org).await, 67_000);
}

#[tokio::test]
async fn a_return_on_an_invoice_order_comes_off_its_invoice() {
    let app = spawn_app().await;
    let shop = shop(&app, 100).await;
    let org = app
        .organisation("company", "주식회사 송도", 1_000_000)
        .await;
    let order = invoice_order(&org, &shop).await;
    let invoices = shop.a.client.get("/v1/vendor/invoices").await;
    let vo = invoices.json[0]["vendor_order_id"]
        .as_str()
        .expect("present")
        .to_owned();
    shop.a.ship_and_deliver(&vo).await;
    let r = org
        .approver
        .post(
            &format!("/v1/orders/{order}/returns"),
            &json!({"vendor_order_id": vo, "reason": "defective",
                    "lines": [{"variant_id": shop.va, "quantity": 1}]}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let ret = id_of(&r, "return_id");
    let a = shop
        .a
        .client
        .post(
            &format!("/v1/vendor/orders/returns/{ret}/accept"),
            &json!({}),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let refund = a.json["refund"].as_i64().expect("refund");
    assert!(refund > 0, "{}", a.body);
    // Taken off vendor A's invoice and given back to the credit line; B's is untouched.
    let mine = shop.a.client.get("/v1/vendor/invoices").await;
    assert_eq!(mine.json[0]["credited"], refund);
    assert_eq!(mine.json[0]["owed"], 30_000 - refund);
    let theirs = shop.b.client.get("/v1/vendor/invoices").await;
    assert_eq!(theirs.json[0]["owed"], 37_000);
    assert_eq!(credit_used(&org).await, 67_000 - refund);
    assert_eq!(gateway_refunds(&app, &order).await, 0);
    // The transfer A records is what is still owed, and frees exactly that.
    let paid = shop
        .a
        .client
        .post(&format!("/v1/vendor/invoices/{vo}/paid"), &json!({}))
        .await;
    assert_eq!(paid.status, 200, "{}", paid.body);
    assert_eq!(credit_used(&org).await, 37_000);
}

#[tokio::test]
async fn the_credit_limit_holds_under_a_race_of_orders_and_cancels() {
    let app = spawn_app().await;
    let shop = shop(&app, 1000).await;
    // 67,000 each: the line holds 4 (268,000), not 5.
    let org = app
        .organisation("public_institution", "인천도시공사", 300_000)
        .await;
    let mut placed = Vec::new();
    for _ in 0..4 {
        placed.push(invoice_order(&org, &shop).await);
    }
    assert_eq!(credit_used(&org).await, 4 * 67_000);
    let mut waiting = Vec::new();
    for _ in 0..8 {
        waiting.push(answered_quotation(&org, &shop).await);
    }
    // Cancel the four while eight more orders race for the freed credit.
    let approver = &org.approver;
    let cancels = futures::future::join_all(placed.iter().map(|o| async move {
        approver
            .post(&format!("/v1/orders/{o}/cancel"), &json!({}))
            .await
    }));
    let orders = futures::future::join_all(
        waiting
            .iter()
            .map(|q| accept(&org.approver, org.id, q, json!({"payment": "invoice"}))),
    );
    let (cancels, orders) = tokio::join!(cancels, orders);
    for c in &cancels {
        assert_eq!(c.status, 200, "{}", c.body);
    }
    let accepted = orders.iter().filter(|r| r.status == 201).count();
    for r in orders.iter().filter(|r| r.status != 201) {
        r.assert_problem(409, "credit_limit_exceeded");
    }
    // At most four fit at any moment, and once the cancels are in all four do.
    assert!(accepted <= 4, "{accepted} accepted");
    let used = credit_used(&org).await;
    assert_eq!(used, accepted as i64 * 67_000);
    // The credit line agrees with what is owed, invoice by invoice.
    let open = org.get("invoices").await;
    let owed: i64 = open
        .json
        .as_array()
        .expect("list")
        .iter()
        .map(|i| i["owed"].as_i64().unwrap_or_default())
        .sum();
    assert_eq!(owed, used);
    // Whatever lost the race fits now.
    let refused: Vec<_> = waiting
        .iter()
        .zip(&orders)
        .filter(|(_, r)| r.status != 201)
        .map(|(q, _)| q)
        .collect();
    let room = (4 - accepted).min(refused.len());
    for q in refused.iter().take(room) {
        let ok = accept(&org.approver, org.id, q, json!({"payment": "invoice"})).await;
        assert_eq!(ok.status, 201, "{}", ok.body);
    }
    assert!(credit_used(&org).await <= 300_000);
}

/// Put `quantity` of `variant` in the cart; returns the cart's grand total.
async fn fill_cart(client: &Client, variant: Uuid, quantity: u32) -> i64 {
    let put = client
        .put(
            &format!("/v1/carts/current/lines/{variant}"),
            &json!({"quantity": quantity}),
        )
        .await;
    assert_eq!(put.status, 200, "{}", put.body);
    put.json["quote"]["totals"]["grand_total"]
        .as_i64()
        .expect("total")
}

async fn org_checkout(
    client: &Client,
    org: Uuid,
    key: &str,
    expected_total: i64,
    payment: &str,
) -> Reply {
    Client::send(
        client
            .request(
                reqwest::Method::POST,
                &format!("/v1/organisations/{org}/checkout"),
            )
            .header("Idempotency-Key", key)
            .json(&json!({
                "checkout": {"address": address("21554"), "expected_total": expected_total},
                "payment": payment,
                "purchase_order_number": "PO-2026-0042",
                "tax_invoice": true,
            })),
    )
    .await
}

#[tokio::test]
async fn a_member_checks_out_a_cart_for_the_organisation() {
    let app = spawn_app().await;
    let shop = shop(&app, 100).await;
    let org = app
        .organisation("public_institution", "연수구청", 50_000)
        .await;
    let other = app.organisation("company", "주식회사 검단", 0).await;
    let (buyer, buyer_id) = app.org_member(&org, "buyer").await;
    // 2 × 10,000 + shipping as the catalog quotes it.
    let total = fill_cart(&buyer, shop.va, 2).await;
    // The same login outside its organisation gets nothing.
    org_checkout(&buyer, other.id, "k0", total, "invoice")
        .await
        .assert_problem(404, "not_found");
    // A stale total is refused as at /v1/checkout.
    org_checkout(&buyer, org.id, "k1", total + 1, "invoice")
        .await
        .assert_problem(409, "quote_changed");

    let placed = org_checkout(&buyer, org.id, "k2", total, "invoice").await;
    assert_eq!(placed.status, 201, "{}", placed.body);
    assert_eq!(placed.json["payment_method"], "invoice");
    assert!(placed.json["invoice_due_on"].is_string());
    assert!(placed.json["payment"].is_null());
    let order = id_of(&placed, "order_id");
    // A replay returns the first answer and places nothing more.
    let replay = org_checkout(&buyer, org.id, "k2", total, "invoice").await;
    assert_eq!(replay.status, 200, "{}", replay.body);
    assert_eq!(replay.json["order_id"], placed.json["order_id"]);
    assert_eq!(credit_used(&org).await, total);

    // The order is the organisation's: its members see it (paid, on invoice), others don't.
    let seen = org.get(&format!("orders/{order}")).await;
    assert_eq!(seen.status, 200, "{}", seen.body);
    assert_eq!(seen.json["status"], "paid");
    other
        .approver
        .get(&format!("/v1/organisations/{}/orders/{order}", org.id))
        .await
        .assert_problem(404, "not_found");
    other
        .approver
        .get(&format!("/v1/organisations/{}/orders/{order}", other.id))
        .await
        .assert_problem(404, "not_found");
    let row = app
        .state
        .db
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT organisation_kind, buyer_kind, purchase_order_number, customer_id FROM orders.orders WHERE id = $1::uuid",
            [order.clone().into()],
        ))
        .await
        .expect("query")
        .expect("row");
    assert_eq!(
        row.try_get::<String>("", "organisation_kind")
            .expect("kind"),
        "public_institution"
    );
    // The buyer kind reports count the order by.
    assert_eq!(
        row.try_get::<String>("", "buyer_kind").expect("buyer kind"),
        "public_institution"
    );
    assert_eq!(
        row.try_get::<String>("", "purchase_order_number")
            .expect("po"),
        "PO-2026-0042"
    );
    assert_eq!(row.try_get::<Uuid>("", "customer_id").expect("c"), buyer_id);
    // Tax invoice asked for, on the organisation's and the vendor's lists.
    let tax = org.get("tax-invoices").await;
    assert_eq!(tax.json.as_array().map(Vec::len), Some(1), "{}", tax.body);
    let vendor_tax = shop.a.client.get("/v1/vendor/tax-invoices").await;
    assert_eq!(vendor_tax.json.as_array().map(Vec::len), Some(1));
    // The cart is empty now.
    let cart = buyer.get("/v1/carts/current").await;
    assert_eq!(cart.json["lines"], json!([]));

    // Past the credit line: refused, nothing placed, the cart kept.
    let big = fill_cart(&buyer, shop.vb, 2).await;
    org_checkout(&buyer, org.id, "k3", big, "invoice")
        .await
        .assert_problem(409, "credit_limit_exceeded");
    assert_eq!(
        buyer.get("/v1/carts/current").await.json["lines"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    // By card instead: the gateway's payment is opened, no credit taken.
    let card = org_checkout(&buyer, org.id, "k4", big, "card").await;
    assert_eq!(card.status, 201, "{}", card.body);
    assert_eq!(card.json["payment"]["gateway"], "test");
    assert_eq!(credit_used(&org).await, total);
    let listed = org.get("orders?limit=100").await;
    assert_eq!(listed.json["items"].as_array().map(Vec::len), Some(2));
}

#[tokio::test]
async fn a_vendor_revises_its_answer_until_the_organisation_accepts() {
    let app = spawn_app().await;
    let shop = shop(&app, 100).await;
    let org = app
        .organisation("public_institution", "부평구청", 1_000_000)
        .await;
    let q = answered_quotation(&org, &shop).await;
    // A revises: a lower price, free shipping, a later validity, a new note.
    let revised = shop
        .a
        .client
        .post(
            &format!("/v1/vendor/quotations/{q}/answer"),
            &json!({"lines": [{"variant_id": shop.va, "unit_price": 8_000}], "shipping_fee": 0,
                    "valid_until": (chrono::Utc::now() + chrono::Duration::days(20)).to_rfc3339(),
                    "notes": "수량 할인 적용"}),
        )
        .await;
    assert_eq!(revised.status, 200, "{}", revised.body);
    assert_eq!(revised.json["part"]["revision"], 1);
    assert_eq!(revised.json["part"]["vendor_notes"], "수량 할인 적용");
    let whole = org.get(&format!("quotations/{q}")).await;
    assert_eq!(whole.json["status"], "answered");
    // 3 × 8,000 + 0 + 37,000.
    assert_eq!(whole.json["totals"]["grand_total"], 61_000);
    // A revision must still price every line.
    shop.a
        .client
        .post(
            &format!("/v1/vendor/quotations/{q}/answer"),
            &json!({"lines": [], "shipping_fee": 0,
                    "valid_until": (chrono::Utc::now() + chrono::Duration::days(20)).to_rfc3339()}),
        )
        .await
        .assert_problem(422, "validation_failed");
    // The order charges the revised prices.
    let ok = accept(&org.approver, org.id, &q, json!({"payment": "invoice"})).await;
    assert_eq!(ok.status, 201, "{}", ok.body);
    assert_eq!(ok.json["grand_total"], 61_000);
    // Accepted: no more revisions.
    answer(&shop.b, &q, shop.vb, 1, 0, chrono::Duration::days(7))
        .await
        .assert_problem(409, "illegal_transition");
    let after = org.get(&format!("quotations/{q}")).await;
    assert_eq!(after.json["totals"]["grand_total"], 61_000);
}

#[tokio::test]
async fn the_job_expires_quotations_past_their_validity_and_a_revision_renews_one() {
    let app = spawn_app().await;
    let shop = shop(&app, 100).await;
    let org = app
        .organisation("public_institution", "계양구청", 1_000_000)
        .await;
    let r = request(
        &org.approver,
        org.id,
        json!([{"variant_id": shop.va, "quantity": 1}]),
    )
    .await;
    let q = id_of(&r, "id");
    let a = answer(&shop.a, &q, shop.va, 9_000, 0, chrono::Duration::seconds(2)).await;
    assert_eq!(a.status, 200, "{}", a.body);
    let fresh = answered_quotation(&org, &shop).await;
    // Nothing is due yet.
    let now = chrono::Utc::now();
    assert_eq!(
        orders::quotations::store::expire_due(&app.state.db, now)
            .await
            .expect("job"),
        0
    );
    let later = now + chrono::Duration::seconds(3);
    assert_eq!(
        orders::quotations::store::expire_due(&app.state.db, later)
            .await
            .expect("job"),
        1
    );
    // Stored as expired: the vendor's view says so too (it has no lazy reading of its own).
    let vendor_view = shop
        .a
        .client
        .get(&format!("/v1/vendor/quotations/{q}"))
        .await;
    assert_eq!(vendor_view.json["status"], "expired");
    assert_eq!(
        org.get(&format!("quotations/{fresh}")).await.json["status"],
        "answered"
    );
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    accept(&org.approver, org.id, &q, json!({"payment": "invoice"}))
        .await
        .assert_problem(409, "quotation_expired");
    // The vendor renews its answer: answered again, and it can be accepted.
    let renewed = answer(&shop.a, &q, shop.va, 9_500, 0, chrono::Duration::days(3)).await;
    assert_eq!(renewed.status, 200, "{}", renewed.body);
    assert_eq!(renewed.json["status"], "answered");
    let ok = accept(&org.approver, org.id, &q, json!({"payment": "invoice"})).await;
    assert_eq!(ok.status, 201, "{}", ok.body);
    assert_eq!(ok.json["grand_total"], 9_500);
}

#[tokio::test]
async fn organisation_a_reaches_none_of_bs_quotations_orders_or_invoices() {
    let app = spawn_app().await;
    let shop = shop(&app, 100).await;
    let a = app
        .organisation("public_institution", "남동구청", 1_000_000)
        .await;
    let b = app
        .organisation("public_institution", "서구청", 1_000_000)
        .await;
    let q = answered_quotation(&b, &shop).await;
    let ok = accept(
        &b.approver,
        b.id,
        &q,
        json!({"payment": "invoice", "tax_invoice": true}),
    )
    .await;
    assert_eq!(ok.status, 201, "{}", ok.body);
    let order = id_of(&ok, "order_id");
    let q2 = answered_quotation(&b, &shop).await;
    let (a_buyer, _) = app.org_member(&a, "buyer").await;
    let body = json!({});
    for who in [&a.approver, &a_buyer] {
        // B's routes with B's id: 404, every one.
        let bp = |rest: &str| format!("/v1/organisations/{}/{rest}", b.id);
        for path in [
            format!("/v1/organisations/{}", b.id),
            bp("members"),
            bp("quotations"),
            bp(&format!("quotations/{q}")),
            bp(&format!("quotations/{q}/document")),
            bp(&format!("quotations/{q}/document?format=xlsx")),
            bp("orders"),
            bp(&format!("orders/{order}")),
            bp("invoices"),
            bp("invoices?state=all"),
            bp("tax-invoices"),
            bp("tax-invoices?pending=false"),
        ] {
            who.get(&path).await.assert_problem(404, "not_found");
        }
        for path in [
            bp(&format!("quotations/{q2}/accept")),
            bp(&format!("quotations/{q2}/withdraw")),
            bp("checkout"),
            bp("quotations"),
        ] {
            who.post(&path, &body)
                .await
                .assert_problem(404, "not_found");
        }
        // B's ids under A's own context: 404 too.
        let ap = |rest: &str| format!("/v1/organisations/{}/{rest}", a.id);
        for path in [
            ap(&format!("quotations/{q}")),
            ap(&format!("quotations/{q}/document")),
            ap(&format!("orders/{order}")),
        ] {
            who.get(&path).await.assert_problem(404, "not_found");
        }
        for path in [
            ap(&format!("quotations/{q2}/accept")),
            ap(&format!("quotations/{q2}/withdraw")),
        ] {
            let r = who.post(&path, &json!({"payment": "invoice"})).await;
            assert!(
                r.status == 404 || r.status == 403,
                "{path}: {} {}",
                r.status,
                r.body
            );
            assert_ne!(r.status, 201);
        }
    }
    // A's own lists hold nothing of B's.
    for rest in [
        "quotations",
        "orders",
        "invoices?state=all",
        "tax-invoices?pending=false",
    ] {
        let r = a.get(rest).await;
        assert_eq!(r.status, 200, "{rest}: {}", r.body);
        let items: &Value = if r.json["items"].is_array() {
            &r.json["items"]
        } else {
            &r.json
        };
        assert_eq!(
            items.as_array().map(Vec::len),
            Some(0),
            "{rest}: {}",
            r.body
        );
    }
    // And B's quotation is still B's to accept.
    let still = b.get(&format!("quotations/{q2}")).await;
    assert_eq!(still.json["status"], "answered");
}
