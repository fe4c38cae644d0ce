//! Quotations (견적) for organisations: vendors answer their own parts, the organisation
//! sees each part and the whole and downloads the document, an approver accepts within
//! the validity and the order charges the quoted prices; invoices on credit (the limit
//! holds under concurrent orders), overdue invoices, tax invoices.

use crate::checkout::variant;
use jikgu_tests::fixtures::{Vendor, address};
use jikgu_tests::organisations::Org;
use jikgu_tests::{Client, Reply, TestApp, spawn_app};
use platform::auth::Role;
use serde_json::{Value, json};
use uuid::Uuid;

/// Two vendors with one product each (catalog prices 10,000 and 20,000).
pub(crate) struct Shop {
    pub a: Vendor,
    pub b: Vendor,
    pub va: Uuid,
    pub vb: Uuid,
}

pub(crate) async fn shop(app: &TestApp, stock: i32) -> Shop {
    let cat = app.category("office", None, &[]).await;
    let a = app.vendor("강화문구").await;
    let b = app.vendor("부평종이").await;
    let pa = app
        .product(&a, cat, "A4 복사용지 박스", &[], &[("A4", 10_000, stock)])
        .await;
    let pb = app
        .product(&b, cat, "친환경 볼펜 세트", &[], &[("PEN", 20_000, stock)])
        .await;
    Shop {
        va: variant(app, pa).await,
        vb: variant(app, pb).await,
        a,
        b,
    }
}

pub(crate) fn delivery_date() -> String {
    (chrono::Utc::now() + chrono::Duration::days(10))
        .date_naive()
        .to_string()
}

pub(crate) async fn request(client: &Client, org: Uuid, lines: Value) -> Reply {
    client
        .post(
            &format!("/v1/organisations/{org}/quotations"),
            &json!({"lines": lines, "delivery_date": delivery_date(), "address": address("21554"),
                    "notes": "3층 총무과로 배송"}),
        )
        .await
}

pub(crate) async fn answer(
    vendor: &Vendor,
    q: &str,
    variant: Uuid,
    price: i64,
    shipping: i64,
    valid: chrono::Duration,
) -> Reply {
    vendor
        .client
        .post(
            &format!("/v1/vendor/quotations/{q}/answer"),
            &json!({"lines": [{"variant_id": variant, "unit_price": price}], "shipping_fee": shipping,
                    "valid_until": (chrono::Utc::now() + valid).to_rfc3339(), "notes": "부가세 포함"}),
        )
        .await
}

/// A quotation for 3 of A and 2 of B, both answered (A at 9,000 + 3,000 shipping, B at
/// 18,500 + 0): 27,000 + 3,000 + 37,000 = 67,000.
pub(crate) async fn answered_quotation(org: &Org, shop: &Shop) -> String {
    let r = request(
        &org.approver,
        org.id,
        json!([{"variant_id": shop.va, "quantity": 3}, {"variant_id": shop.vb, "quantity": 2}]),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let q = r.json["id"].as_str().expect("present").to_owned();
    let a = answer(
        &shop.a,
        &q,
        shop.va,
        9_000,
        3_000,
        chrono::Duration::days(7),
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let b = answer(&shop.b, &q, shop.vb, 18_500, 0, chrono::Duration::days(14)).await;
    assert_eq!(b.status, 200, "{}", b.body);
    q
}

pub(crate) async fn accept(client: &Client, org: Uuid, q: &str, body: Value) -> Reply {
    client
        .post(
            &format!("/v1/organisations/{org}/quotations/{q}/accept"),
            &body,
        )
        .await
}

#[tokio::test]
async fn vendors_answer_their_own_parts_and_the_organisation_sees_both() {
    let app = spawn_app().await;
    let shop = shop(&app, 100).await;
    let org = app
        .organisation("public_institution", "인천광역시 미추홀구청", 0)
        .await;
    let r = request(
        &org.approver,
        org.id,
        json!([{"variant_id": shop.va, "quantity": 3}, {"variant_id": shop.vb, "quantity": 2}]),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.json["status"], "requested");
    assert_eq!(r.json["parts"].as_array().map(Vec::len), Some(2));
    let q = r.json["id"].as_str().expect("present").to_owned();

    // Vendor A sees its part only; a vendor without a part sees nothing.
    let mine = shop
        .a
        .client
        .get(&format!("/v1/vendor/quotations/{q}"))
        .await;
    assert_eq!(mine.status, 200, "{}", mine.body);
    assert_eq!(mine.json["part"]["lines"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        mine.json["part"]["lines"][0]["variant_id"],
        shop.va.to_string()
    );
    assert_eq!(mine.json["organisation_name"], "인천광역시 미추홀구청");
    assert!(!mine.body.contains(&shop.vb.to_string()), "{}", mine.body);
    let stranger = app.vendor("남동공구").await;
    stranger
        .client
        .get(&format!("/v1/vendor/quotations/{q}"))
        .await
        .assert_problem(404, "not_found");
    // A vendor cannot price another vendor's line.
    answer(&shop.a, &q, shop.vb, 1, 0, chrono::Duration::days(7))
        .await
        .assert_problem(422, "validation_failed");

    let a = answer(
        &shop.a,
        &q,
        shop.va,
        9_000,
        3_000,
        chrono::Duration::days(7),
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let half = org.get(&format!("quotations/{q}")).await;
    assert_eq!(half.json["status"], "partially_answered");
    // Accepting before every vendor answered is refused.
    accept(&org.approver, org.id, &q, json!({"payment": "card"}))
        .await
        .assert_problem(409, "quotation_not_answered");
    // Declining an answered part is refused (revising it is not: see organisation_orders).
    shop.a
        .client
        .post(&format!("/v1/vendor/quotations/{q}/decline"), &json!({}))
        .await
        .assert_problem(409, "illegal_transition");

    let b = answer(&shop.b, &q, shop.vb, 18_500, 0, chrono::Duration::days(14)).await;
    assert_eq!(b.status, 200, "{}", b.body);
    let whole = org.get(&format!("quotations/{q}")).await;
    assert_eq!(whole.json["status"], "answered");
    assert_eq!(whole.json["parts"][0]["total"], 30_000);
    assert_eq!(whole.json["parts"][1]["total"], 37_000);
    assert_eq!(whole.json["totals"]["grand_total"], 67_000);
    assert_eq!(
        whole.json["valid_until"],
        whole.json["parts"][0]["valid_until"]
    );
    assert!(whole.json["parts"][0]["seller"]["business_number"].is_string());

    // The printable document, in Korean, with the sellers' identities.
    let html = org.get(&format!("quotations/{q}/document")).await;
    assert_eq!(html.status, 200);
    assert!(html.content_type().starts_with("text/html"));
    assert!(html.body.contains("견 적 서"));
    assert!(html.body.contains("강화문구") && html.body.contains("부평종이"));
    let bn = whole.json["parts"][1]["seller"]["business_number"]
        .as_str()
        .expect("present");
    assert!(html.body.contains(bn), "{bn} missing");
    assert!(html.body.contains("67,000"));
    let xlsx = org
        .approver
        .request(
            reqwest::Method::GET,
            &format!(
                "/v1/organisations/{}/quotations/{q}/document?format=xlsx",
                org.id
            ),
        )
        .send()
        .await
        .expect("present");
    assert_eq!(xlsx.status(), 200);
    let bytes = xlsx.bytes().await.expect("present");
    assert!(bytes.starts_with(b"PK"), "not a zip");
}

#[tokio::test]
async fn the_order_charges_the_quoted_prices_never_the_clients() {
    let app = spawn_app().await;
    let shop = shop(&app, 100).await;
    let org = app
        .organisation("company", "주식회사 송도", 1_000_000)
        .await;
    let q = answered_quotation(&org, &shop).await;
    // The client cannot send prices or totals.
    accept(
        &org.approver,
        org.id,
        &q,
        json!({"payment": "invoice", "grand_total": 1}),
    )
    .await
    .assert_problem(422, "validation_failed");
    let ok = accept(
        &org.approver,
        org.id,
        &q,
        json!({"payment": "invoice", "purchase_order_number": "PO-2026-0042"}),
    )
    .await;
    assert_eq!(ok.status, 201, "{}", ok.body);
    assert_eq!(ok.json["grand_total"], 67_000);
    let order_id = ok.json["order_id"].as_str().expect("present");
    let order = org.get(&format!("orders/{order_id}")).await;
    assert_eq!(order.status, 200, "{}", order.body);
    assert_eq!(order.json["status"], "paid");
    assert_eq!(order.json["totals"]["grand_total"], 67_000);
    assert_eq!(order.json["totals"]["shipping_total"], 3_000);
    let lines: Vec<(i64, i64)> = order.json["vendor_orders"]
        .as_array()
        .expect("present")
        .iter()
        .flat_map(|vo| vo["lines"].as_array().expect("present").clone())
        .map(|l| {
            (
                l["unit_price"].as_i64().expect("present"),
                l["final_amount"].as_i64().expect("present"),
            )
        })
        .collect();
    assert_eq!(lines, [(9_000, 27_000), (18_500, 37_000)]);
    // The stock went with it; the quotation is accepted once.
    let again = accept(&org.approver, org.id, &q, json!({"payment": "invoice"})).await;
    again.assert_problem(409, "illegal_transition");
    let org_view = org.get("").await;
    assert_eq!(org_view.json["credit_used"], 67_000);
    // The vendor ships what it was paid on credit for.
    let vo = order.json["vendor_orders"][0]["id"]
        .as_str()
        .expect("present");
    shop.a.ship_and_deliver(vo).await;
}

#[tokio::test]
async fn a_quotation_past_its_validity_cannot_be_accepted() {
    let app = spawn_app().await;
    let shop = shop(&app, 100).await;
    let org = app
        .organisation("public_institution", "인천교통공사", 1_000_000)
        .await;
    let r = request(
        &org.approver,
        org.id,
        json!([{"variant_id": shop.va, "quantity": 1}]),
    )
    .await;
    let q = r.json["id"].as_str().expect("present").to_owned();
    let a = answer(&shop.a, &q, shop.va, 9_000, 0, chrono::Duration::seconds(2)).await;
    assert_eq!(a.status, 200, "{}", a.body);
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    let seen = org.get(&format!("quotations/{q}")).await;
    assert_eq!(seen.json["status"], "expired");
    accept(&org.approver, org.id, &q, json!({"payment": "invoice"}))
        .await
        .assert_problem(409, "quotation_expired");
    accept(&org.approver, org.id, &q, json!({"payment": "card"}))
        .await
        .assert_problem(409, "quotation_expired");
    let orders = org.get("orders").await;
    assert_eq!(orders.json["items"].as_array().map(Vec::len), Some(0));
}

#[tokio::test]
async fn only_an_approver_accepts_and_other_organisations_see_nothing() {
    let app = spawn_app().await;
    let shop = shop(&app, 100).await;
    let org = app
        .organisation("public_institution", "미추홀구청", 1_000_000)
        .await;
    let other = app
        .organisation("company", "주식회사 청라", 1_000_000)
        .await;
    let q = answered_quotation(&org, &shop).await;
    let (buyer, _) = app.org_member(&org, "buyer").await;
    // A buyer sees the quotation but may not accept it.
    let seen = buyer
        .get(&format!("/v1/organisations/{}/quotations/{q}", org.id))
        .await;
    assert_eq!(seen.status, 200);
    accept(&buyer, org.id, &q, json!({"payment": "card"}))
        .await
        .assert_problem(403, "not_approver");
    let ok = accept(&org.approver, org.id, &q, json!({"payment": "card"})).await;
    assert_eq!(ok.status, 201, "{}", ok.body);
    assert_eq!(ok.json["payment"]["gateway"], "test");
    let order_id = ok.json["order_id"].as_str().expect("present").to_owned();

    // Another organisation's approver: 404 under its own id and under the other's.
    for path in [
        format!("/v1/organisations/{}/quotations/{q}", other.id),
        format!("/v1/organisations/{}/orders/{order_id}", other.id),
        format!("/v1/organisations/{}/quotations/{q}", org.id),
        format!("/v1/organisations/{}/orders/{order_id}", org.id),
        format!("/v1/organisations/{}/quotations/{q}/document", org.id),
    ] {
        other
            .approver
            .get(&path)
            .await
            .assert_problem(404, "not_found");
    }
    accept(&other.approver, other.id, &q, json!({"payment": "card"}))
        .await
        .assert_problem(404, "not_found");
    let theirs = other.get("quotations").await;
    assert_eq!(theirs.json["items"].as_array().map(Vec::len), Some(0));
    // A plain customer has no organisation context at all.
    let (customer, _) = app.account(Role::Customer, None).await;
    customer
        .get(&format!("/v1/organisations/{}/orders", org.id))
        .await
        .assert_problem(404, "not_found");

    // The card order pays through the normal gateway.
    let paid = org
        .approver
        .post(
            &format!("/v1/payments/test/orders/{order_id}/pay"),
            &json!({}),
        )
        .await;
    assert!(paid.status < 300, "{}", paid.body);
    let order = org.get(&format!("orders/{order_id}")).await;
    assert_eq!(order.json["status"], "paid");
}

#[tokio::test]
async fn the_credit_limit_holds_under_concurrent_orders() {
    let app = spawn_app().await;
    let shop = shop(&app, 1000).await;
    // Each quotation is 67,000; the line allows 7 of them (469,000) and not an 8th.
    let org = app
        .organisation("public_institution", "인천시설공단", 500_000)
        .await;
    let mut quotations = Vec::new();
    for _ in 0..20 {
        quotations.push(answered_quotation(&org, &shop).await);
    }
    let results = futures::future::join_all(
        quotations
            .iter()
            .map(|q| accept(&org.approver, org.id, q, json!({"payment": "invoice"}))),
    )
    .await;
    let accepted = results.iter().filter(|r| r.status == 201).count();
    for r in results.iter().filter(|r| r.status != 201) {
        r.assert_problem(409, "credit_limit_exceeded");
    }
    assert_eq!(accepted, 7);
    let view = org.get("").await;
    assert_eq!(view.json["credit_used"], 7 * 67_000);
    let orders = org.get("orders?limit=100").await;
    assert_eq!(orders.json["items"].as_array().map(Vec::len), Some(7));
    // Refused orders gave their stock back (rolled back): 1000 - 7 × 3 units of A remain.
    let refused = &quotations[results
        .iter()
        .position(|r| r.status != 201)
        .expect("present")];
    let q = org.get(&format!("quotations/{refused}")).await;
    assert_eq!(q.json["status"], "answered");
}

#[tokio::test]
async fn invoices_are_listed_overdue_until_the_transfer_is_recorded() {
    let app = spawn_app().await;
    let shop = shop(&app, 100).await;
    let org = app
        .organisation("public_institution", "미추홀구청", 1_000_000)
        .await;
    let q = answered_quotation(&org, &shop).await;
    let ok = accept(&org.approver, org.id, &q, json!({"payment": "invoice"})).await;
    assert_eq!(ok.status, 201, "{}", ok.body);
    assert!(ok.json["invoice_due_on"].is_string());
    let open = org.get("invoices").await;
    assert_eq!(open.json.as_array().map(Vec::len), Some(2));
    assert_eq!(open.json[0]["overdue"], false);
    let overdue = org.get("invoices?state=overdue").await;
    assert_eq!(overdue.json.as_array().map(Vec::len), Some(0));

    // Thirty-one days on (the due date moved back, as time would).
    use sea_orm::ConnectionTrait;
    app.state
        .db
        .execute_unprepared("UPDATE orders.org_invoices SET due_on = due_on - 31")
        .await
        .expect("present");
    let overdue = org.get("invoices?state=overdue").await;
    assert_eq!(overdue.json.as_array().map(Vec::len), Some(2));
    let (admin, _) = app.account(Role::Admin, None).await;
    let all_overdue = admin.get("/v1/admin/invoices?state=overdue").await;
    assert_eq!(all_overdue.json.as_array().map(Vec::len), Some(2));
    let mine = shop.a.client.get("/v1/vendor/invoices?state=overdue").await;
    assert_eq!(mine.json.as_array().map(Vec::len), Some(1));
    assert_eq!(mine.json[0]["amount"], 30_000);

    // Vendor A records its transfer; B's stays overdue. Another vendor cannot touch A's.
    let vo_a = mine.json[0]["vendor_order_id"]
        .as_str()
        .expect("present")
        .to_owned();
    shop.b
        .client
        .post(&format!("/v1/vendor/invoices/{vo_a}/paid"), &json!({}))
        .await
        .assert_problem(404, "not_found");
    let paid = shop
        .a
        .client
        .post(&format!("/v1/vendor/invoices/{vo_a}/paid"), &json!({}))
        .await;
    assert_eq!(paid.status, 200, "{}", paid.body);
    assert_eq!(paid.json["overdue"], false);
    shop.a
        .client
        .post(&format!("/v1/vendor/invoices/{vo_a}/paid"), &json!({}))
        .await
        .assert_problem(409, "illegal_transition");
    let view = org.get("").await;
    assert_eq!(view.json["credit_used"], 37_000);
    let overdue = admin.get("/v1/admin/invoices?state=overdue").await;
    assert_eq!(overdue.json.as_array().map(Vec::len), Some(1));
    // The admin records B's.
    let vo_b = overdue.json[0]["vendor_order_id"]
        .as_str()
        .expect("present")
        .to_owned();
    let done = admin
        .post(&format!("/v1/admin/invoices/{vo_b}/paid"), &json!({}))
        .await;
    assert_eq!(done.status, 200, "{}", done.body);
    let view = org.get("").await;
    assert_eq!(view.json["credit_used"], 0);
    assert_eq!(
        admin
            .get("/v1/admin/invoices?state=overdue")
            .await
            .json
            .as_array()
            .map(Vec::len),
        Some(0)
    );
}

#[tokio::test]
async fn tax_invoices_go_with_the_order_until_the_vendor_issues_them() {
    let app = spawn_app().await;
    let shop = shop(&app, 100).await;
    let org = app
        .organisation("company", "주식회사 송도", 1_000_000)
        .await;
    let q = answered_quotation(&org, &shop).await;
    let ok = accept(
        &org.approver,
        org.id,
        &q,
        json!({"payment": "invoice", "tax_invoice": true}),
    )
    .await;
    assert_eq!(ok.status, 201, "{}", ok.body);
    let pending = org.get("tax-invoices").await;
    assert_eq!(pending.json.as_array().map(Vec::len), Some(2));
    let theirs = shop.a.client.get("/v1/vendor/tax-invoices").await;
    assert_eq!(theirs.json.as_array().map(Vec::len), Some(1));
    let t = &theirs.json[0];
    assert_eq!(t["recipient"]["name"], "주식회사 송도");
    assert_eq!(t["recipient"]["email"], "tax@example.go.kr");
    // 30,000 VAT-inclusive, all taxable: VAT 2,727, supply 27,273.
    assert_eq!(t["total"], 30_000);
    assert_eq!(t["vat_amount"], 2_727);
    assert_eq!(t["supply_amount"], 27_273);
    let vo = t["vendor_order_id"].as_str().expect("present").to_owned();
    shop.a
        .client
        .post(
            &format!("/v1/vendor/tax-invoices/{vo}/issue"),
            &json!({"approval_number": "123"}),
        )
        .await
        .assert_problem(422, "validation_failed");
    shop.b
        .client
        .post(
            &format!("/v1/vendor/tax-invoices/{vo}/issue"),
            &json!({"approval_number": "20261202-41000000-12345678"}),
        )
        .await
        .assert_problem(404, "not_found");
    let issued = shop
        .a
        .client
        .post(
            &format!("/v1/vendor/tax-invoices/{vo}/issue"),
            &json!({"approval_number": "20261202-41000000-12345678"}),
        )
        .await;
    assert_eq!(issued.status, 200, "{}", issued.body);
    assert_eq!(issued.json["approval_number"], "202612024100000012345678");
    assert_eq!(
        shop.a
            .client
            .get("/v1/vendor/tax-invoices")
            .await
            .json
            .as_array()
            .map(Vec::len),
        Some(0)
    );
    let left = org.get("tax-invoices").await;
    assert_eq!(left.json.as_array().map(Vec::len), Some(1));
    let all = org.get("tax-invoices?pending=false").await;
    assert_eq!(all.json.as_array().map(Vec::len), Some(2));
}

#[tokio::test]
async fn a_withdrawn_quotation_cannot_be_answered() {
    let app = spawn_app().await;
    let shop = shop(&app, 100).await;
    let org = app.organisation("company", "주식회사 송도", 0).await;
    let r = request(
        &org.approver,
        org.id,
        json!([{"variant_id": shop.va, "quantity": 1}]),
    )
    .await;
    let q = r.json["id"].as_str().expect("present").to_owned();
    let w = org
        .post(&format!("quotations/{q}/withdraw"), &json!({}))
        .await;
    assert_eq!(w.status, 204, "{}", w.body);
    answer(&shop.a, &q, shop.va, 1, 0, chrono::Duration::days(1))
        .await
        .assert_problem(409, "illegal_transition");
    let d = shop
        .a
        .client
        .post(&format!("/v1/vendor/quotations/{q}/decline"), &json!({}))
        .await;
    d.assert_problem(409, "illegal_transition");
}
