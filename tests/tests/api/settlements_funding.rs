//! Who funded each discount: promotions records the vendor's share on the campaign, time
//! deal or coupon; the quote stored with the order carries it; the ledger books from it.

use super::settlements::{booked, buy_variant_and_deliver, confirm, entries, new_product};
use jikgu_tests::{TestApp, spawn_app};
use platform::auth::Role;
use serde_json::{Value, json};
use uuid::Uuid;

fn kst(t: chrono::DateTime<chrono::Utc>) -> String {
    promotions::seoul::show(t).to_rfc3339()
}

fn window() -> (String, String) {
    let now = chrono::Utc::now();
    (
        kst(now - chrono::Duration::hours(1)),
        kst(now + chrono::Duration::days(1)),
    )
}

async fn booked_discounts(app: &TestApp, vo: Uuid) -> (i64, i64) {
    let (k, _) = entries(app, vo).await;
    let of = |kind: &str| k.iter().find(|(x, _)| x == kind).map_or(0, |e| e.1);
    (of("vendor_discount"), of("platform_discount"))
}

#[tokio::test]
async fn a_campaigns_funding_changed_after_an_order_does_not_change_what_it_books() {
    let app = spawn_app().await;
    let v = app.vendor("강화순무농장").await;
    let (pid, variant_id) = new_product(&app, &v, 10_000).await;
    let (m, _) = app.account(Role::Marketer, None).await;
    let (starts, ends) = window();
    let campaign = |share: Value| {
        json!({"title": "인천 김장 기획전", "slug": format!("s{}", Uuid::now_v7().simple()),
               "starts_at": starts, "ends_at": ends, "vendor_share_bp": share})
    };
    // Shares are basis points from 0 to 10,000.
    m.post("/v1/marketing/campaigns", &campaign(json!(10_001)))
        .await
        .assert_problem(422, "validation_failed");
    // The vendor funds 30% of the campaign's 10% off; the platform the rest.
    let c = m
        .post("/v1/marketing/campaigns", &campaign(json!(3_000)))
        .await;
    assert_eq!(c.status, 201, "{}", c.body);
    assert_eq!(c.json["vendor_share_bp"], 3_000, "{}", c.body);
    let cid = c.json["id"].as_str().expect("id").to_owned();
    let p = m
        .post(
            &format!("/v1/marketing/campaigns/{cid}/prices"),
            &json!({"product_id": pid, "kind": "percent", "value": 10}),
        )
        .await;
    assert_eq!(p.status, 201, "{}", p.body);
    let s = m
        .post(
            &format!("/v1/marketing/campaigns/{cid}/schedule"),
            &json!({}),
        )
        .await;
    assert_eq!(s.status, 200, "{}", s.body);

    let b = buy_variant_and_deliver(&app, &v, variant_id, 3, None).await;
    // After the order the marketer makes the vendor fund all of it, and checks the bounds.
    m.patch(
        &format!("/v1/marketing/campaigns/{cid}"),
        &json!({"vendor_share_bp": -1}),
    )
    .await
    .assert_problem(422, "validation_failed");
    let changed = m
        .patch(
            &format!("/v1/marketing/campaigns/{cid}"),
            &json!({"vendor_share_bp": 10_000}),
        )
        .await;
    assert_eq!(changed.status, 200, "{}", changed.body);
    assert_eq!(changed.json["vendor_share_bp"], 10_000);

    confirm(&b).await;
    booked(&app, b.vendor_order_id, "sale", 30_000).await;
    // 3 × ₩1,000 off: the vendor's 30% as agreed when the customer bought.
    assert_eq!(
        booked_discounts(&app, b.vendor_order_id).await,
        (-900, -2_100)
    );

    // An order placed after the change books the new share.
    let later = buy_variant_and_deliver(&app, &v, variant_id, 3, None).await;
    confirm(&later).await;
    booked(&app, later.vendor_order_id, "sale", 30_000).await;
    assert_eq!(
        booked_discounts(&app, later.vendor_order_id).await,
        (-3_000, 0)
    );
}

#[tokio::test]
async fn a_coupon_shared_half_and_half_books_half_as_vendor_funded() {
    let app = spawn_app().await;
    let v = app.vendor("강화순무농장").await;
    let (_, variant_id) = new_product(&app, &v, 10_000).await;
    let (m, _) = app.account(Role::Marketer, None).await;
    let (starts, ends) = window();
    let coupon = |code: &str, share: Value| {
        json!({"name": "김장 쿠폰", "code": code, "kind": "amount_off", "amount": 2_001,
               "starts_at": starts, "ends_at": ends, "vendor_share_bp": share})
    };
    m.post("/v1/marketing/coupons", &coupon("HALFBAD", json!(-1)))
        .await
        .assert_problem(422, "validation_failed");
    let made = m
        .post("/v1/marketing/coupons", &coupon("HALF2001", json!(5_000)))
        .await;
    assert_eq!(made.status, 201, "{}", made.body);
    assert_eq!(made.json["vendor_share_bp"], 5_000, "{}", made.body);

    let b = buy_variant_and_deliver(&app, &v, variant_id, 3, Some("HALF2001")).await;
    confirm(&b).await;
    booked(&app, b.vendor_order_id, "sale", 30_000).await;
    // ₩2,001 off: the vendor funds half, rounded down; the platform the rest.
    assert_eq!(
        booked_discounts(&app, b.vendor_order_id).await,
        (-1_000, -1_001)
    );
}
