//! The stacking policy as data: marketers read and replace it, every change is audited,
//! and the next cart quote follows it — prices and the explanation both.

use chrono::{DateTime, Duration, Utc};
use jikgu_tests::fixtures::token_customer;
use jikgu_tests::spawn_app;
use platform::auth::Role;
use serde_json::{Value, json};
use uuid::Uuid;

fn kst(t: DateTime<Utc>) -> String {
    promotions::seoul::show(t).to_rfc3339()
}

fn policy(deal_first: bool, on_promoted: bool) -> Value {
    json!({"max_order_coupons": 1, "max_shipping_coupons": 1,
           "time_deal_beats_campaign": deal_first,
           "order_and_shipping_coupons_combine": true,
           "coupons_on_promoted_lines": on_promoted})
}

#[tokio::test]
async fn changing_the_policy_changes_the_next_quote_and_its_explanation() {
    let app = spawn_app().await;
    let cat = app.category("ginseng", None, &[]).await;
    let v = app.vendor("강화인삼").await;
    let pid = app
        .product(&v, cat, "강화인삼정과", &[], &[("GS", 30000, 10)])
        .await;
    let page = app.client.get(&format!("/v1/products/{pid}")).await;
    let vid: Uuid = page.json["variants"][0]["id"]
        .as_str()
        .expect("variant")
        .parse()
        .expect("uuid");
    let (m, _) = app.account(Role::Marketer, None).await;
    let now = Utc::now();
    let (starts, ends) = (now - Duration::hours(1), now + Duration::days(1));

    // A live campaign at 10% off (₩27,000), a time deal at ₩28,000, a ₩3,000 coupon.
    let c = m
        .post(
            "/v1/marketing/campaigns",
            &json!({"title": "인천 특산물 기획전", "slug": "incheon-special",
                    "starts_at": kst(starts), "ends_at": kst(ends)}),
        )
        .await;
    assert_eq!(c.status, 201, "{}", c.body);
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
    let d = m
        .post(
            "/v1/marketing/time-deals",
            &json!({"variant_id": vid, "deal_price": 28000, "quantity": 5,
                    "starts_at": kst(starts), "ends_at": kst(ends)}),
        )
        .await;
    assert_eq!(d.status, 201, "{}", d.body);
    let deal_id = d.json["id"].as_str().expect("id").to_owned();
    let cp = m
        .post(
            "/v1/marketing/coupons",
            &json!({"name": "3천원", "code": "TAKE3000", "kind": "amount_off", "amount": 3000,
                    "starts_at": kst(starts), "ends_at": kst(ends)}),
        )
        .await;
    assert_eq!(cp.status, 201, "{}", cp.body);

    let (customer, _) = token_customer(&app);
    let line = customer
        .put(
            &format!("/v1/carts/current/lines/{vid}"),
            &json!({"quantity": 1}),
        )
        .await;
    assert!(line.status < 300, "{}", line.body);
    let quote = || async {
        let r = customer.get("/v1/carts/current?coupon=TAKE3000").await;
        assert_eq!(r.status, 200, "{}", r.body);
        r.json["quote"].clone()
    };

    // The default: the cheaper campaign price wins, the coupon applies on top of it.
    let current = m.get("/v1/marketing/stacking-policy").await;
    assert_eq!(current.status, 200, "{}", current.body);
    assert_eq!(current.json["max_order_coupons"], 1);
    assert_eq!(current.json["coupons_on_promoted_lines"], true);
    assert_eq!(current.json["time_deal_beats_campaign"], false);
    let q = quote().await;
    assert_eq!(q["lines"][0]["applied"]["campaign_id"], cid.as_str());
    assert_eq!(q["lines"][0]["not_applied"][0]["deal_id"], deal_id.as_str());
    assert_eq!(q["lines"][0]["not_applied"][0]["reason"], "not_best");
    assert_eq!(q["coupons"][0]["applied"], true);
    // 27,000 − 3,000 = 24,000, + 3,000 shipping.
    assert_eq!(q["totals"]["grand_total"], 27000, "{q}");

    // Invalid policies are refused field by field.
    let bad = m
        .put(
            "/v1/marketing/stacking-policy",
            &json!({"max_order_coupons": 6, "max_shipping_coupons": -1,
                    "time_deal_beats_campaign": false,
                    "order_and_shipping_coupons_combine": true, "coupons_on_promoted_lines": true}),
        )
        .await;
    bad.assert_problem(422, "validation_failed");
    assert_eq!(
        bad.json["errors"].as_array().map(Vec::len),
        Some(2),
        "{}",
        bad.body
    );
    m.put(
        "/v1/marketing/stacking-policy",
        &json!({"max_order_coupons": 1}),
    )
    .await
    .assert_problem(422, "validation_failed");

    // Time deals first, and no coupons on promoted lines.
    let r = m
        .put("/v1/marketing/stacking-policy", &policy(true, false))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json["time_deal_beats_campaign"], true);
    let q = quote().await;
    assert_eq!(q["lines"][0]["applied"]["deal_id"], deal_id.as_str(), "{q}");
    assert_eq!(q["lines"][0]["not_applied"][0]["campaign_id"], cid.as_str());
    assert_eq!(
        q["lines"][0]["not_applied"][0]["reason"],
        "time_deal_priority"
    );
    assert_eq!(q["coupons"][0]["applied"], false);
    assert_eq!(q["coupons"][0]["reason"], "promoted_lines_excluded");
    // 28,000 + 3,000 shipping.
    assert_eq!(q["totals"]["grand_total"], 31000, "{q}");

    // The change is audited with the policy before and after.
    let policy_id = r.json["id"].as_str().expect("id");
    let audit = m
        .get(&format!("/v1/marketing/audit?entity_id={policy_id}"))
        .await;
    assert_eq!(audit.status, 200, "{}", audit.body);
    let entry = &audit.json["items"][0];
    assert_eq!(entry["action"], "stacking_policy.update", "{}", audit.body);
    assert_eq!(entry["before"]["coupons_on_promoted_lines"], true);
    assert_eq!(entry["after"]["coupons_on_promoted_lines"], false);
    assert_eq!(entry["after"]["time_deal_beats_campaign"], true);

    // Back to the default: the quote is as before.
    let r = m
        .put("/v1/marketing/stacking-policy", &policy(false, true))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(quote().await["totals"]["grand_total"], 27000);
}
