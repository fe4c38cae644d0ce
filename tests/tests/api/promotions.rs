//! Promotions: campaigns through their life (validation, scheduling, the scheduler's flips
//! at the exact boundary, early end), contradicting prices, preview at an instant, vendor
//! applications, coupons and time deals under concurrency, and campaign statistics fed by
//! events and HyperLogLog.

use chrono::{DateTime, Duration, DurationRound, Utc};
use futures::future::join_all;
use jikgu_tests::fixtures::token_customer;
use jikgu_tests::{Client, TestApp, spawn_app, spawn_app_with};
use platform::auth::Role;
use platform::money::Won;
use platform::outbox::{self, Schema};
use platform::quantity::Quantity;
use promotions::PromotionsError;
use promotions::pricing::RuleTarget;
use sea_orm::TransactionTrait;
use serde_json::{Value, json};
use uuid::Uuid;

/// An instant in Asia/Seoul, as the API speaks it.
fn kst(t: DateTime<Utc>) -> String {
    promotions::seoul::show(t).to_rfc3339()
}

/// A whole second some hours from now, so that the app's own scheduler (on the real
/// clock) never touches what the test drives by hand.
fn later(hours: i64) -> DateTime<Utc> {
    (Utc::now() + Duration::hours(hours))
        .duration_trunc(Duration::seconds(1))
        .unwrap_or_else(|_| Utc::now())
}

struct Shop {
    app: TestApp,
    marketer: Client,
    vendor: jikgu_tests::fixtures::Vendor,
    product: Uuid,
    variant: Uuid,
}

async fn variant_of(app: &TestApp, pid: Uuid) -> Uuid {
    let page = app.client.get(&format!("/v1/products/{pid}")).await;
    page.json["variants"][0]["id"]
        .as_str()
        .expect("variant id")
        .parse()
        .expect("uuid")
}

async fn shop_with(app: TestApp) -> Shop {
    let cat = app.category("kimchi", None, &[]).await;
    let vendor = app.vendor("강화순무농장").await;
    let product = app
        .product(
            &vendor,
            cat,
            "강화순무김치 2kg",
            &["김치"],
            &[("SUNMU-2KG", 20000, 500)],
        )
        .await;
    let variant = variant_of(&app, product).await;
    let (marketer, _) = app.account(Role::Marketer, None).await;
    Shop {
        app,
        marketer,
        vendor,
        product,
        variant,
    }
}

async fn shop() -> Shop {
    shop_with(spawn_app().await).await
}

async fn create_campaign(
    m: &Client,
    slug: &str,
    starts: DateTime<Utc>,
    ends: DateTime<Utc>,
) -> Value {
    let r = m
        .post(
            "/v1/marketing/campaigns",
            &json!({
                "title": format!("기획전 {slug}"),
                "slug": slug,
                "theme": "인천의 맛",
                "banner_pc": "https://img.jikgu.kr/c/pc.jpg",
                "banner_mobile": "https://img.jikgu.kr/c/m.jpg",
                "starts_at": kst(starts),
                "ends_at": kst(ends),
            }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    r.json
}

fn id(v: &Value) -> String {
    v["id"].as_str().expect("id").to_owned()
}

async fn add_price(m: &Client, campaign: &str, body: Value) -> jikgu_tests::Reply {
    m.post(&format!("/v1/marketing/campaigns/{campaign}/prices"), &body)
        .await
}

async fn schedule(m: &Client, campaign: &str) -> jikgu_tests::Reply {
    m.post(
        &format!("/v1/marketing/campaigns/{campaign}/schedule"),
        &json!({}),
    )
    .await
}

#[tokio::test]
async fn campaigns_are_created_validated_scheduled_and_audited() {
    let s = shop().await;
    let m = &s.marketer;
    let starts = later(24);
    let ends = starts + Duration::days(7);

    // The end must come after the start.
    let bad = m
        .post(
            "/v1/marketing/campaigns",
            &json!({"title": "거꾸로", "slug": "backwards",
                    "starts_at": kst(ends), "ends_at": kst(starts)}),
        )
        .await;
    bad.assert_problem(422, "validation_failed");
    assert_eq!(bad.json["errors"][0]["field"], "ends_at");
    assert_eq!(bad.json["errors"][0]["code"], "ends_before_start");

    // Times are accepted with any offset and shown in Asia/Seoul.
    let r = m
        .post(
            "/v1/marketing/campaigns",
            &json!({"title": "인천 특산물", "slug": "incheon", "starts_at": "2030-01-01T01:00:00Z",
                    "ends_at": "2030-01-10T10:00:00+09:00"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.json["starts_at"], "2030-01-01T10:00:00+09:00");
    assert_eq!(r.json["ends_at"], "2030-01-10T10:00:00+09:00");
    assert_eq!(r.json["status"], "draft");

    // Slugs are unique.
    let dup = m
        .post(
            "/v1/marketing/campaigns",
            &json!({"title": "또", "slug": "incheon", "starts_at": kst(starts), "ends_at": kst(ends)}),
        )
        .await;
    dup.assert_problem(409, "conflict");

    let c = create_campaign(m, "kimchi-week", starts, ends).await;
    let cid = id(&c);
    // Sections with ordered slots.
    let sec = m
        .post(
            &format!("/v1/marketing/campaigns/{cid}/sections"),
            &json!({"title": "베스트", "product_ids": [s.product]}),
        )
        .await;
    assert_eq!(sec.status, 201, "{}", sec.body);
    let unknown = m
        .post(
            &format!("/v1/marketing/campaigns/{cid}/sections"),
            &json!({"title": "신상품", "product_ids": [Uuid::now_v7()]}),
        )
        .await;
    unknown.assert_problem(422, "validation_failed");

    let r = schedule(m, &cid).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json["status"], "scheduled");
    schedule(m, &cid)
        .await
        .assert_problem(409, "illegal_transition");

    // Ending early closes the window now; it cannot end twice.
    let r = m
        .post(&format!("/v1/marketing/campaigns/{cid}/end"), &json!({}))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json["status"], "ended");
    assert!(r.json["ended_early_at"].is_string());
    m.post(&format!("/v1/marketing/campaigns/{cid}/end"), &json!({}))
        .await
        .assert_problem(409, "illegal_transition");
    m.patch(
        &format!("/v1/marketing/campaigns/{cid}"),
        &json!({"title": "다시"}),
    )
    .await
    .assert_problem(409, "illegal_transition");

    // Every change is in the audit trail, with who did it.
    let audit = m.get(&format!("/v1/marketing/audit?entity_id={cid}")).await;
    assert_eq!(audit.status, 200, "{}", audit.body);
    let actions: Vec<&str> = audit.json["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|a| a["action"].as_str())
        .collect();
    assert_eq!(
        actions,
        vec!["campaign.end_early", "campaign.schedule", "campaign.create"]
    );
    assert_eq!(audit.json["items"][0]["actor_role"], "marketer");
    assert!(audit.json["items"][0]["before"]["status"] == "scheduled");
}

#[tokio::test]
async fn contradicting_campaign_prices_are_refused() {
    let s = shop().await;
    let m = &s.marketer;
    let t0 = later(24);
    let a = id(&create_campaign(m, "first", t0, t0 + Duration::days(10)).await);
    let r = add_price(
        m,
        &a,
        json!({"product_id": s.product, "kind": "percent", "value": 10}),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    // Within one campaign: a variant price under a product price contradicts it.
    let r = add_price(
        m,
        &a,
        json!({"product_id": s.product, "variant_id": s.variant, "kind": "fixed_price", "value": 15000}),
    )
    .await;
    r.assert_problem(409, "conflict");
    assert_eq!(r.json["extra"]["reason"], "price_contradiction");
    assert_eq!(schedule(m, &a).await.status, 200);

    // Another campaign overlapping in time cannot price the same variant...
    let b =
        id(&create_campaign(m, "second", t0 + Duration::days(5), t0 + Duration::days(15)).await);
    let r = add_price(
        m,
        &b,
        json!({"product_id": s.product, "variant_id": s.variant, "kind": "amount_off", "value": 3000}),
    )
    .await;
    r.assert_problem(409, "conflict");
    assert_eq!(r.json["extra"]["other_campaign_id"], a.as_str());
    // ...but one that starts when the first ends can (half-open windows).
    let c =
        id(&create_campaign(m, "third", t0 + Duration::days(10), t0 + Duration::days(20)).await);
    let r = add_price(
        m,
        &c,
        json!({"product_id": s.product, "kind": "percent", "value": 20}),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(schedule(m, &c).await.status, 200);

    // Two drafts may both price a product; the second to be published is refused.
    let d1 = id(&create_campaign(
        m,
        "draft-one",
        t0 + Duration::days(30),
        t0 + Duration::days(40),
    )
    .await);
    let d2 = id(&create_campaign(
        m,
        "draft-two",
        t0 + Duration::days(35),
        t0 + Duration::days(45),
    )
    .await);
    for d in [&d1, &d2] {
        let r = add_price(
            m,
            d,
            json!({"product_id": s.product, "kind": "percent", "value": 15}),
        )
        .await;
        assert_eq!(r.status, 201, "{}", r.body);
    }
    assert_eq!(schedule(m, &d1).await.status, 200);
    let r = schedule(m, &d2).await;
    r.assert_problem(409, "conflict");
    assert_eq!(r.json["extra"]["reason"], "price_contradiction");
    // Moving a published campaign's window into another's is refused too.
    let r = m
        .patch(
            &format!("/v1/marketing/campaigns/{d1}"),
            &json!({"starts_at": kst(t0 + Duration::days(15))}),
        )
        .await;
    r.assert_problem(409, "conflict");
    // Percent out of range is a validation error.
    add_price(
        m,
        &d2,
        json!({"product_id": s.product, "kind": "percent", "value": 120}),
    )
    .await
    .assert_problem(422, "validation_failed");
}

#[tokio::test]
async fn the_scheduler_flips_exactly_at_the_boundary_and_prices_never_mix() {
    let s = shop().await;
    let m = &s.marketer;
    let t = later(48);
    let next = t + Duration::hours(2);
    let a = id(&create_campaign(m, "before", t, next).await);
    let b = id(&create_campaign(m, "after", next, next + Duration::hours(2)).await);
    for (c, percent) in [(&a, 10), (&b, 20)] {
        let r = add_price(
            m,
            c,
            json!({"product_id": s.product, "kind": "percent", "value": percent}),
        )
        .await;
        assert_eq!(r.status, 201, "{}", r.body);
        assert_eq!(schedule(m, c).await.status, 200);
    }
    let state = &s.app.state;
    let status = |c: String| async move {
        m.get(&format!("/v1/marketing/campaigns/{c}")).await.json["status"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };

    let flips = promotions::scheduler::run_once(state, t - Duration::seconds(1))
        .await
        .expect("run");
    assert!(flips.went_live.is_empty() && flips.ended.is_empty());
    assert_eq!(status(a.clone()).await, "scheduled");

    let flips = promotions::scheduler::run_once(state, t)
        .await
        .expect("run");
    assert_eq!(flips.went_live, vec![a.parse::<Uuid>().expect("uuid")]);
    assert_eq!(status(a.clone()).await, "live");
    assert_eq!(status(b.clone()).await, "scheduled");

    // Prices follow the windows to the millisecond, whatever the status says: one campaign
    // before the boundary, the other from it, never both.
    let (product, variant) = (s.product, s.variant);
    let campaigns_at = |at: DateTime<Utc>| async move {
        let live = promotions::pricing_inputs(&state.db, at, &[product])
            .await
            .expect("live")
            .live;
        let mut ids: Vec<Uuid> = live
            .rules_for(product, variant)
            .filter(|r| r.is_live(at) && r.target == RuleTarget::Product(product))
            .map(|r| r.campaign_id)
            .collect();
        ids.sort();
        ids
    };
    let (a_id, b_id): (Uuid, Uuid) = (a.parse().expect("uuid"), b.parse().expect("uuid"));
    assert_eq!(
        campaigns_at(t - Duration::milliseconds(1)).await,
        Vec::<Uuid>::new()
    );
    assert_eq!(campaigns_at(t).await, vec![a_id]);
    assert_eq!(
        campaigns_at(next - Duration::milliseconds(1)).await,
        vec![a_id]
    );
    assert_eq!(campaigns_at(next).await, vec![b_id]);

    let flips = promotions::scheduler::run_once(state, next)
        .await
        .expect("run");
    assert_eq!(flips.ended, vec![a_id]);
    assert_eq!(flips.went_live, vec![b_id]);
    assert_eq!(status(a.clone()).await, "ended");
    assert_eq!(status(b.clone()).await, "live");
    // Idempotent.
    let again = promotions::scheduler::run_once(state, next)
        .await
        .expect("run");
    assert!(again.went_live.is_empty() && again.ended.is_empty());

    // The flips are announced as events.
    let events = s.app.published("promotions.campaign.live").await.len()
        + s.app.published("promotions.campaign.ended").await.len();
    assert_eq!(events, 3);
}

#[tokio::test]
async fn marketers_preview_a_campaign_at_any_instant() {
    let s = shop().await;
    let m = &s.marketer;
    let t = later(72);
    let c = create_campaign(m, "preview-me", t, t + Duration::days(3)).await;
    let cid = id(&c);
    m.post(
        &format!("/v1/marketing/campaigns/{cid}/sections"),
        &json!({"title": "베스트", "product_ids": [s.product]}),
    )
    .await;
    add_price(
        m,
        &cid,
        json!({"product_id": s.product, "kind": "percent", "value": 15, "floor": 0}),
    )
    .await;

    // A draft is not public, and only marketers may ask for another instant.
    s.app
        .client
        .get("/v1/campaigns/preview-me")
        .await
        .assert_problem(404, "not_found");
    let at = urlencode(&kst(t + Duration::hours(1)));
    s.app
        .client
        .get(&format!("/v1/campaigns/preview-me?at={at}"))
        .await
        .assert_problem(401, "unauthenticated");
    let (customer, _) = token_customer(&s.app);
    customer
        .get(&format!("/v1/campaigns/preview-me?at={at}"))
        .await
        .assert_problem(403, "forbidden");

    let r = m.get(&format!("/v1/campaigns/preview-me?at={at}")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json["preview"], true);
    assert_eq!(r.json["state"], "live");
    let p = &r.json["sections"][0]["products"][0];
    assert_eq!(p["list_price"], 20000);
    assert_eq!(p["price"], 17000);
    assert_eq!(p["discount_percent"], 15);
    assert_eq!(p["promotion"]["type"], "campaign_price");
    assert_eq!(
        r.json["countdown_seconds"],
        (Duration::days(3) - Duration::hours(1)).num_seconds()
    );

    let before = urlencode(&kst(t - Duration::hours(2)));
    let r = m
        .get(&format!("/v1/campaigns/preview-me?at={before}"))
        .await;
    assert_eq!(r.json["state"], "upcoming");
    assert_eq!(r.json["countdown_seconds"], 7200);
    assert_eq!(r.json["sections"][0]["products"][0]["price"], 20000);

    // Published: everyone sees it (upcoming), at list price.
    assert_eq!(schedule(m, &cid).await.status, 200);
    let r = s.app.client.get("/v1/campaigns/preview-me").await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json["state"], "upcoming");
    assert_eq!(r.json["preview"], false);
    assert_eq!(r.json["sections"][0]["products"][0]["price"], 20000);
    let list = s.app.client.get("/v1/campaigns").await;
    assert_eq!(list.json["items"][0]["slug"], "preview-me");
}

fn urlencode(s: &str) -> String {
    s.replace('+', "%2B").replace(':', "%3A")
}

#[tokio::test]
async fn a_live_campaign_page_shows_engine_prices_and_is_cached_until_a_change() {
    let s = shop().await;
    let m = &s.marketer;
    let now = Utc::now();
    let cid = id(&create_campaign(
        m,
        "live-now",
        now - Duration::hours(1),
        now + Duration::days(2),
    )
    .await);
    m.post(
        &format!("/v1/marketing/campaigns/{cid}/sections"),
        &json!({"title": "베스트", "product_ids": [s.product]}),
    )
    .await;
    add_price(
        m,
        &cid,
        json!({"product_id": s.product, "kind": "percent", "value": 10}),
    )
    .await;
    assert_eq!(schedule(m, &cid).await.status, 200);
    let r = s.app.client.get("/v1/campaigns/live-now").await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        r.json["starts_at"].as_str().map(|t| t.ends_with("+09:00")),
        Some(true)
    );
    assert_eq!(r.json["sections"][0]["products"][0]["price"], 18000);

    // A change retires the cached page at once.
    let r = add_price(
        m,
        &cid,
        json!({"product_id": s.product, "variant_id": s.variant, "kind": "percent", "value": 20}),
    )
    .await;
    r.assert_problem(409, "conflict");
    let pid = r.json["extra"]["other_price_id"]
        .as_str()
        .expect("price")
        .to_owned();
    let del = m
        .delete(&format!("/v1/marketing/campaigns/{cid}/prices/{pid}"))
        .await;
    assert_eq!(del.status, 204, "{}", del.body);
    let r = s.app.client.get("/v1/campaigns/live-now").await;
    assert_eq!(r.json["sections"][0]["products"][0]["price"], 20000);
}

#[tokio::test]
async fn vendors_apply_with_their_own_products_only() {
    let s = shop().await;
    let m = &s.marketer;
    let now = Utc::now();
    let cid = id(&create_campaign(
        m,
        "open-call",
        now + Duration::days(1),
        now + Duration::days(9),
    )
    .await);
    let path = format!("/v1/vendor/campaigns/{cid}/applications");
    let body = |p: Uuid| json!({"product_id": p, "discount_kind": "percent", "discount_value": 15, "note": "설 특가"});

    // A draft campaign takes no applications.
    s.vendor
        .client
        .post(&path, &body(s.product))
        .await
        .assert_problem(404, "not_found");
    assert_eq!(schedule(m, &cid).await.status, 200);

    let r = s.vendor.client.post(&path, &body(s.product)).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let mine = id(&r.json);
    assert_eq!(r.json["status"], "pending");
    s.vendor
        .client
        .post(&path, &body(s.product))
        .await
        .assert_problem(409, "conflict");

    // Another vendor's product, or another vendor's application, is not found.
    let other = s.app.vendor("소래포구젓갈").await;
    let cat = s.app.category("jeotgal", None, &[]).await;
    let theirs = s
        .app
        .product(&other, cat, "새우젓 1kg", &[], &[("SAEU-1", 18000, 50)])
        .await;
    s.vendor
        .client
        .post(&path, &body(theirs))
        .await
        .assert_problem(404, "not_found");
    other
        .client
        .post(
            &format!("/v1/vendor/campaign-applications/{mine}/withdraw"),
            &json!({}),
        )
        .await
        .assert_problem(404, "not_found");
    let r = other.client.post(&path, &body(theirs)).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let their_app = id(&r.json);
    let listed = other.client.get("/v1/vendor/campaign-applications").await;
    assert_eq!(listed.json["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(listed.json["items"][0]["id"], their_app.as_str());

    // The marketer approves one (it becomes a campaign price) and rejects the other.
    let all = m
        .get(&format!(
            "/v1/marketing/campaigns/{cid}/applications?status=pending"
        ))
        .await;
    assert_eq!(all.json["items"].as_array().map(Vec::len), Some(2));
    let r = m
        .post(
            &format!("/v1/marketing/campaign-applications/{mine}/approve"),
            &json!({}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json["status"], "approved");
    let prices = m
        .get(&format!("/v1/marketing/campaigns/{cid}/prices"))
        .await;
    assert_eq!(prices.json[0]["product_id"], s.product.to_string());
    assert_eq!(prices.json[0]["value"], 15);
    assert_eq!(prices.json[0]["application_id"], mine.as_str());
    m.post(
        &format!("/v1/marketing/campaign-applications/{their_app}/reject"),
        &json!({"reason": ""}),
    )
    .await
    .assert_problem(422, "validation_failed");
    let r = m
        .post(
            &format!("/v1/marketing/campaign-applications/{their_app}/reject"),
            &json!({"reason": "이미 할인 중인 상품입니다"}),
        )
        .await;
    assert_eq!(r.json["status"], "rejected");
    // Decided applications cannot be withdrawn; pending ones can.
    s.vendor
        .client
        .post(
            &format!("/v1/vendor/campaign-applications/{mine}/withdraw"),
            &json!({}),
        )
        .await
        .assert_problem(409, "illegal_transition");
    let p2 = s
        .app
        .product(&s.vendor, cat, "순무 깍두기", &[], &[("KKAK-1", 12000, 50)])
        .await;
    let r = s.vendor.client.post(&path, &body(p2)).await;
    let r = s
        .vendor
        .client
        .post(
            &format!("/v1/vendor/campaign-applications/{}/withdraw", id(&r.json)),
            &json!({}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json["status"], "withdrawn");
}

async fn coupon(app: &TestApp, m: &Client, body: Value) -> Uuid {
    let now = Utc::now();
    let mut b = json!({
        "name": "테스트 쿠폰", "kind": "amount_off", "amount": 3000,
        "starts_at": kst(now - Duration::days(1)), "ends_at": kst(now + Duration::days(1)),
    });
    for (k, v) in body.as_object().expect("object") {
        b[k] = v.clone();
    }
    let r = m.post("/v1/marketing/coupons", &b).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let _ = app;
    r.json["id"].as_str().expect("id").parse().expect("uuid")
}

/// Redeem in a transaction of its own, committed only on success (as checkout does).
async fn redeem(
    app: &TestApp,
    coupon: Uuid,
    customer: Uuid,
    discount: i64,
) -> Result<Uuid, PromotionsError> {
    let order = Uuid::now_v7();
    let txn = app.state.db.begin().await.expect("begin");
    match promotions::redeem_coupon(&txn, coupon, customer, order, Won(discount), Utc::now()).await
    {
        Ok(()) => {
            txn.commit().await.expect("commit");
            Ok(order)
        }
        Err(e) => {
            txn.rollback().await.expect("rollback");
            Err(e)
        }
    }
}

/// 100 concurrent redemptions against a limit of 10: exactly 10 succeed.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_redemptions_never_exceed_the_total_limit() {
    let app = spawn_app_with(jikgu::Service::All, |cfg| cfg.db_max_connections = 40).await;
    let (m, _) = app.account(Role::Marketer, None).await;
    let cid = coupon(&app, &m, json!({"code": "RACE10", "total_uses": 10})).await;
    let results = join_all((0..100).map(|_| {
        let app = &app;
        async move { redeem(app, cid, Uuid::now_v7(), 3000).await }
    }))
    .await;
    let ok = results.iter().filter(|r| r.is_ok()).count();
    let exhausted = results
        .iter()
        .filter(|r| matches!(r, Err(PromotionsError::CouponExhausted("total_uses"))))
        .count();
    assert_eq!(
        ok,
        10,
        "{:?}",
        results
            .iter()
            .filter(|r| r.is_err())
            .take(3)
            .collect::<Vec<_>>()
    );
    assert_eq!(exhausted, 90);
    let n = app
        .scalar(
            "SELECT used_count::bigint AS n FROM promotions.coupons WHERE id = $1",
            vec![cid.into()],
        )
        .await;
    assert_eq!(n, 10);
    let n = app
        .scalar(
            "SELECT count(*) AS n FROM promotions.coupon_redemptions WHERE coupon_id = $1",
            vec![cid.into()],
        )
        .await;
    assert_eq!(n, 10);
    // The public view says it is gone.
    let r = app.client.get("/v1/coupons/race10").await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json["available"], false);
    assert!(r.json.get("used_count").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn per_customer_limits_and_budgets_hold_and_releases_give_back() {
    let app = spawn_app_with(jikgu::Service::All, |cfg| cfg.db_max_connections = 30).await;
    let (m, _) = app.account(Role::Marketer, None).await;

    // Two uses per customer, even when one customer races themselves.
    let twice = coupon(&app, &m, json!({"code": "TWICE", "per_customer_limit": 2})).await;
    let me = Uuid::now_v7();
    let results = join_all((0..10).map(|_| redeem(&app, twice, me, 1000))).await;
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 2);
    assert!(
        results
            .iter()
            .filter_map(|r| r.as_ref().err())
            .all(|e| matches!(e, PromotionsError::CouponLimit { limit: 2 }))
    );
    assert!(matches!(
        promotions::coupon_for(&app.state.db, "twice", me, Utc::now()).await,
        Err(PromotionsError::CouponLimit { .. })
    ));
    assert!(redeem(&app, twice, Uuid::now_v7(), 1000).await.is_ok());
    // A canceled order gives its use back.
    let order = results
        .iter()
        .find_map(|r| r.as_ref().ok())
        .copied()
        .expect("an order");
    promotions::release_coupon(&app.state.db, order)
        .await
        .expect("release");
    promotions::release_coupon(&app.state.db, order)
        .await
        .expect("release twice");
    assert!(redeem(&app, twice, me, 1000).await.is_ok());
    assert!(matches!(
        redeem(&app, twice, me, 1000).await,
        Err(PromotionsError::CouponLimit { .. })
    ));

    // A budget of 10,000 won: three 3,000-won discounts fit, a fourth does not, a smaller one does.
    let budget = coupon(&app, &m, json!({"code": "BUDGET", "budget": 10000})).await;
    let results = join_all((0..8).map(|_| redeem(&app, budget, Uuid::now_v7(), 3000))).await;
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 3);
    assert!(
        results
            .iter()
            .filter_map(|r| r.as_ref().err())
            .all(|e| matches!(e, PromotionsError::CouponExhausted("budget")))
    );
    assert!(redeem(&app, budget, Uuid::now_v7(), 1000).await.is_ok());
    let spent = app
        .scalar(
            "SELECT spent AS n FROM promotions.coupons WHERE id = $1",
            vec![budget.into()],
        )
        .await;
    assert_eq!(spent, 10000);

    // Redeeming the same order again is a no-op.
    let c = Uuid::now_v7();
    let order = redeem(&app, twice, c, 500).await.expect("redeem");
    let txn = app.state.db.begin().await.expect("begin");
    promotions::redeem_coupon(&txn, twice, c, order, Won(500), Utc::now())
        .await
        .expect("again");
    txn.commit().await.expect("commit");

    // Issued-only coupons are found by id for their holders only.
    let issued = coupon(&app, &m, json!({"kind": "free_shipping", "amount": null})).await;
    let holder = Uuid::now_v7();
    let r = m
        .post(
            &format!("/v1/marketing/coupons/{issued}/issues"),
            &json!({"customer_ids": [holder]}),
        )
        .await;
    assert_eq!(r.json["issued"], 1, "{}", r.body);
    let found = promotions::coupon_for(&app.state.db, &issued.to_string(), holder, Utc::now())
        .await
        .expect("lookup");
    assert_eq!(found.map(|c| c.id), Some(issued));
    let stranger = promotions::coupon_for(
        &app.state.db,
        &issued.to_string(),
        Uuid::now_v7(),
        Utc::now(),
    )
    .await
    .expect("lookup");
    assert!(stranger.is_none());
    assert!(matches!(
        redeem(&app, issued, Uuid::now_v7(), 0).await,
        Err(PromotionsError::CouponNotFound)
    ));
    assert!(redeem(&app, issued, holder, 0).await.is_ok());
    assert!(
        promotions::coupon_for(&app.state.db, "NOPE", holder, Utc::now())
            .await
            .expect("lookup")
            .is_none()
    );
}

async fn take(app: &TestApp, deal: Uuid, customer: Uuid, q: u32) -> Result<(), PromotionsError> {
    let txn = app.state.db.begin().await.expect("begin");
    let r =
        promotions::take_deal(&txn, deal, customer, Quantity::new(q).expect("a quantity")).await;
    if r.is_ok() {
        txn.commit().await.expect("commit");
    } else {
        txn.rollback().await.expect("rollback");
    }
    r
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn time_deal_counters_survive_a_rush() {
    let app = spawn_app_with(jikgu::Service::All, |cfg| cfg.db_max_connections = 40).await;
    let s = shop_with(app).await;
    let now = Utc::now();
    let r = s
        .marketer
        .post(
            "/v1/marketing/time-deals",
            &json!({"variant_id": s.variant, "deal_price": 12900, "quantity": 10,
                    "per_customer_limit": 2,
                    "starts_at": kst(now - Duration::minutes(5)), "ends_at": kst(now + Duration::hours(1))}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let deal: Uuid = r.json["id"].as_str().expect("id").parse().expect("uuid");
    let results = join_all((0..60).map(|_| take(&s.app, deal, Uuid::now_v7(), 1))).await;
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 10);
    assert!(
        results
            .iter()
            .filter_map(|r| r.as_ref().err())
            .all(|e| matches!(e, PromotionsError::DealSoldOut { .. }))
    );
    let sold = s
        .app
        .scalar(
            "SELECT sold::bigint AS n FROM promotions.time_deals WHERE id = $1",
            vec![deal.into()],
        )
        .await;
    assert_eq!(sold, 10);
    let live = promotions::pricing_inputs(&s.app.state.db, Utc::now(), &[s.product])
        .await
        .expect("live")
        .live;
    assert_eq!(live.deals()[0].remaining, 0);

    // The per-customer limit, and giving units back.
    let me = Uuid::now_v7();
    promotions::release_deal(
        &s.app.state.db,
        deal,
        Uuid::now_v7(),
        Quantity::new(3).expect("a quantity"),
    )
    .await
    .expect("release");
    assert!(matches!(
        take(&s.app, deal, me, 3).await,
        Err(PromotionsError::DealLimit { limit: 2, .. })
    ));
    assert!(take(&s.app, deal, me, 2).await.is_ok());
    assert!(matches!(
        take(&s.app, deal, me, 1).await,
        Err(PromotionsError::DealLimit { .. })
    ));
    let bought = promotions::deal_purchases(&s.app.state.db, me, Utc::now())
        .await
        .expect("purchases");
    assert_eq!(bought.len(), 1);
    assert_eq!(bought[0].quantity, 2);
}

async fn sale(app: &TestApp, order: Uuid, campaign: Uuid, other_campaign: Option<Uuid>) {
    let txn = app.state.db.begin().await.expect("begin");
    outbox::enqueue(
        &txn,
        Schema::Orders,
        "orders.sale",
        order,
        json!({
            "order_id": order, "customer_id": Uuid::now_v7(), "grand_total": 50000,
            "lines": [
                {"product_id": Uuid::now_v7(), "variant_id": Uuid::now_v7(), "vendor_id": Uuid::now_v7(),
                 "quantity": 2, "final_amount": 36000, "campaign_id": campaign},
                {"product_id": Uuid::now_v7(), "variant_id": Uuid::now_v7(), "vendor_id": Uuid::now_v7(),
                 "quantity": 1, "final_amount": 9000, "campaign_id": campaign},
                {"product_id": Uuid::now_v7(), "variant_id": Uuid::now_v7(), "vendor_id": Uuid::now_v7(),
                 "quantity": 1, "final_amount": 5000, "campaign_id": other_campaign},
            ]
        }),
    )
    .await
    .expect("enqueue");
    txn.commit().await.expect("commit");
}

#[tokio::test]
async fn campaign_statistics_count_sales_once_and_visitors_by_hyperloglog() {
    // Visitors are told apart by the address a trusted proxy (this test) forwards.
    let s = shop_with(
        spawn_app_with(jikgu::Service::All, |c| {
            c.trusted_proxies = vec!["127.0.0.1".parse().expect("an address")]
        })
        .await,
    )
    .await;
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let workers = tokio::spawn(promotions::run_workers(s.app.state.clone(), stop_rx));
    let m = &s.marketer;
    let now = Utc::now();
    let cid = id(&create_campaign(
        m,
        "stats",
        now - Duration::hours(1),
        now + Duration::days(1),
    )
    .await);
    assert_eq!(schedule(m, &cid).await.status, 200);
    let campaign: Uuid = cid.parse().expect("uuid");

    // Five views: three anonymous visitors (one twice) and one customer twice.
    for ip in ["203.0.113.1", "203.0.113.2", "203.0.113.3", "203.0.113.1"] {
        let r = Client::send(
            s.app
                .client
                .request(reqwest::Method::GET, "/v1/campaigns/stats")
                .header("x-forwarded-for", ip),
        )
        .await;
        assert_eq!(r.status, 200, "{}", r.body);
    }
    let (customer, _) = token_customer(&s.app);
    customer.get("/v1/campaigns/stats").await;
    customer.get("/v1/campaigns/stats").await;

    // One order, delivered twice (at-least-once), plus an order outside the campaign.
    let order = Uuid::now_v7();
    sale(&s.app, order, campaign, None).await;
    sale(&s.app, order, campaign, None).await;
    sale(&s.app, Uuid::now_v7(), Uuid::now_v7(), None).await;
    let mut stats = Value::Null;
    for _ in 0..50 {
        s.app.settle().await;
        stats = m
            .get(&format!("/v1/marketing/campaigns/{cid}/stats"))
            .await
            .json;
        if stats["orders"] == 1 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(stats["orders"], 1, "{stats}");
    assert_eq!(stats["units"], 3);
    assert_eq!(stats["revenue"], 45000);
    assert_eq!(stats["page_views"], 6);
    assert_eq!(stats["unique_visitors"], 4);
    assert_eq!(stats["conversion"], 0.25);

    let _ = stop_tx.send(true);
    let _ = workers.await;
}

#[tokio::test]
async fn public_coupons_and_daily_drops() {
    let app = spawn_app().await;
    let (m, _) = app.account(Role::Marketer, None).await;
    let cid = coupon(&app, &m, json!({"code": "welcome3000", "min_order": 20000})).await;
    let r = app.client.get("/v1/coupons/WELCOME3000").await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json["amount"], 3000);
    assert_eq!(r.json["min_order"], 20000);
    app.client
        .get("/v1/coupons/NOSUCHCODE")
        .await
        .assert_problem(404, "not_found");
    let coupon_for =
        promotions::coupon_for(&app.state.db, " welcome3000 ", Uuid::now_v7(), Utc::now())
            .await
            .expect("lookup")
            .expect("found");
    assert_eq!(coupon_for.id, cid);
    assert_eq!(coupon_for.code, "WELCOME3000");

    // A drop that opened today with two coupons: the third claimant is too late.
    let today = promotions::seoul::day(Utc::now());
    let drop_coupon = coupon(
        &app,
        &m,
        json!({"kind": "percent", "amount": null, "percent": 10, "cap": 5000}),
    )
    .await;
    let r = m
        .post(
            &format!("/v1/marketing/coupons/{drop_coupon}/drops"),
            &json!({"daily_quota": 2, "opens_at": "00:00:00", "first_day": today, "last_day": today}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let drop_id = id(&r.json);
    let claim = format!("/v1/coupon-drops/{drop_id}/claim");
    let (c1, _) = token_customer(&app);
    let (c2, _) = token_customer(&app);
    let (c3, _) = token_customer(&app);
    assert_eq!(c1.post(&claim, &json!({})).await.status, 200);
    assert_eq!(c1.post(&claim, &json!({})).await.status, 200);
    assert_eq!(c2.post(&claim, &json!({})).await.status, 200);
    let late = c3.post(&claim, &json!({})).await;
    late.assert_problem(409, "conflict");
    assert_eq!(late.json["extra"]["reason"], "drop_exhausted");
    // A drop that opens tomorrow is not open yet.
    let r = m
        .post(
            &format!("/v1/marketing/coupons/{drop_coupon}/drops"),
            &json!({"daily_quota": 5, "opens_at": "10:00:00",
                    "first_day": today + chrono::Days::new(1), "last_day": today + chrono::Days::new(2)}),
        )
        .await;
    let early = c3
        .post(
            &format!("/v1/coupon-drops/{}/claim", id(&r.json)),
            &json!({}),
        )
        .await;
    early.assert_problem(409, "conflict");
    assert_eq!(early.json["extra"]["reason"], "drop_not_open");
}

#[tokio::test]
async fn demo_seed_is_idempotent() {
    let s = shop().await;
    promotions::seed_demo(&s.app.state).await.expect("seed");
    promotions::seed_demo(&s.app.state)
        .await
        .expect("seed again");
    let list = s.app.client.get("/v1/campaigns").await;
    let slugs: Vec<&str> = list.json["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|c| c["slug"].as_str())
        .collect();
    assert_eq!(
        slugs,
        vec!["incheon-local-specialties", "seollal-gift-sets"]
    );
    assert_eq!(list.json["items"][0]["state"], "live");
    assert_eq!(list.json["items"][0]["title"], "인천 농수산 특산물 기획전");
    let page = s
        .app
        .client
        .get("/v1/campaigns/incheon-local-specialties")
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    let price = &page.json["sections"][0]["products"][0];
    assert!(
        price["price"].as_i64() < price["list_price"].as_i64(),
        "{price}"
    );
    for code in ["WELCOME3000", "FREESHIP", "JIKGU10"] {
        assert_eq!(
            s.app
                .client
                .get(&format!("/v1/coupons/{code}"))
                .await
                .status,
            200
        );
    }
    let n = s
        .app
        .scalar("SELECT count(*) AS n FROM promotions.campaigns", vec![])
        .await;
    assert_eq!(n, 2);
}

#[tokio::test]
async fn sections_are_reordered_only_as_a_whole_and_prices_change_in_place() {
    let s = shop().await;
    let m = &s.marketer;
    let c = create_campaign(m, "reorder", later(24), later(48)).await;
    let cid = id(&c);
    let mut sections = Vec::new();
    for title in ["베스트", "신상품", "선물세트"] {
        let r = m
            .post(
                &format!("/v1/marketing/campaigns/{cid}/sections"),
                &json!({"title": title, "product_ids": [s.product]}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        sections.push(id(&r.json));
    }
    let order = format!("/v1/marketing/campaigns/{cid}/section-order");
    let reversed: Vec<&String> = sections.iter().rev().collect();
    let r = m.put(&order, &json!({ "section_ids": reversed })).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let titles: Vec<&str> = r
        .json
        .as_array()
        .expect("sections")
        .iter()
        .filter_map(|s| s["title"].as_str())
        .collect();
    assert_eq!(titles, ["선물세트", "신상품", "베스트"]);
    let shown = m.get(&format!("/v1/marketing/campaigns/{cid}")).await;
    assert_eq!(shown.json["sections"][0]["title"], "선물세트");
    // A list that is not exactly the campaign's sections: missing one, one twice, a
    // stranger.
    for wrong in [
        json!([sections[0], sections[1]]),
        json!([sections[0], sections[1], sections[1]]),
        json!([sections[0], sections[1], sections[2], Uuid::now_v7()]),
        json!([sections[0], sections[1], Uuid::now_v7()]),
    ] {
        let r = m.put(&order, &json!({ "section_ids": wrong })).await;
        r.assert_problem(422, "validation_failed");
        assert_eq!(r.json["errors"][0]["field"], "section_ids");
        assert_eq!(r.json["errors"][0]["code"], "not_the_sections");
    }
    m.put(
        &format!("/v1/marketing/campaigns/{}/section-order", Uuid::now_v7()),
        &json!({ "section_ids": [] }),
    )
    .await
    .assert_problem(404, "not_found");

    // A price changes its value and floor in place; its product stays.
    let r = add_price(
        m,
        &cid,
        json!({"product_id": s.product, "kind": "percent", "value": 10}),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let pid = id(&r.json);
    let price = format!("/v1/marketing/campaigns/{cid}/prices/{pid}");
    let r = m.patch(&price, &json!({"value": 20, "floor": 15000})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json["value"], 20);
    assert_eq!(r.json["floor"], 15000);
    assert_eq!(r.json["id"], pid.as_str());
    let r = m.patch(&price, &json!({"value": 150})).await;
    r.assert_problem(422, "validation_failed");
    assert_eq!(r.json["errors"][0]["field"], "value");
    let r = m.patch(&price, &json!({"product_id": s.product})).await;
    assert_eq!(r.status, 422, "{}", r.body);
    m.patch(
        &format!("/v1/marketing/campaigns/{cid}/prices/{}", Uuid::now_v7()),
        &json!({"value": 5}),
    )
    .await
    .assert_problem(404, "not_found");
    assert_eq!(m.delete(&price).await.status, 204);
    m.delete(&price).await.assert_problem(404, "not_found");

    // Once ended, neither the order nor a price can change.
    let r = add_price(
        m,
        &cid,
        json!({"product_id": s.product, "kind": "percent", "value": 10}),
    )
    .await;
    let pid = id(&r.json);
    assert_eq!(schedule(m, &cid).await.status, 200);
    let r = m
        .post(&format!("/v1/marketing/campaigns/{cid}/end"), &json!({}))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    m.put(&order, &json!({ "section_ids": sections }))
        .await
        .assert_problem(409, "illegal_transition");
    m.patch(
        &format!("/v1/marketing/campaigns/{cid}/prices/{pid}"),
        &json!({"value": 5}),
    )
    .await
    .assert_problem(409, "illegal_transition");
}

#[tokio::test]
async fn time_deals_and_applications_come_in_cursor_pages() {
    let s = shop().await;
    let m = &s.marketer;
    for price in [12900, 13900, 14900] {
        let r = m
            .post(
                "/v1/marketing/time-deals",
                &json!({"variant_id": s.variant, "deal_price": price, "quantity": 10,
                        "starts_at": kst(later(1)), "ends_at": kst(later(2))}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
    }
    let first = m.get("/v1/marketing/time-deals?limit=2").await;
    assert_eq!(first.status, 200, "{}", first.body);
    assert_eq!(first.json["items"].as_array().map(Vec::len), Some(2));
    assert_eq!(first.json["items"][0]["deal_price"], 14900, "newest first");
    let cursor = first.json["next_cursor"].as_str().expect("a next page");
    let rest = m
        .get(&format!("/v1/marketing/time-deals?limit=2&cursor={cursor}"))
        .await;
    assert_eq!(rest.json["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(rest.json["items"][0]["deal_price"], 12900);
    assert!(rest.json["next_cursor"].is_null());
    m.get("/v1/marketing/time-deals?cursor=nonsense")
        .await
        .assert_problem(422, "invalid_cursor");

    let c = create_campaign(m, "apply-pages", later(24), later(48)).await;
    let cid = id(&c);
    assert_eq!(schedule(m, &cid).await.status, 200);
    let list = format!("/v1/marketing/campaigns/{cid}/applications");
    let empty = m.get(&list).await;
    assert_eq!(empty.status, 200, "{}", empty.body);
    assert_eq!(empty.json["items"], json!([]));
    assert!(empty.json["next_cursor"].is_null());
    m.get(&format!(
        "/v1/marketing/campaigns/{}/applications",
        Uuid::now_v7()
    ))
    .await
    .assert_problem(404, "not_found");
}

#[tokio::test]
async fn prices_and_deals_name_only_products_and_variants_the_catalog_has() {
    let s = shop().await;
    let m = &s.marketer;
    let c = create_campaign(m, "catalog-check", later(24), later(48)).await;
    let cid = id(&c);
    let other = s
        .app
        .product(
            &s.vendor,
            s.app.category("jeotgal", None, &[]).await,
            "새우젓",
            &[],
            &[("SJ-1", 9000, 10)],
        )
        .await;
    let others_variant = variant_of(&s.app, other).await;
    let field = |r: &jikgu_tests::Reply, field: &str, code: &str| {
        r.assert_problem(422, "validation_failed");
        assert_eq!(r.json["errors"][0]["field"], field, "{}", r.body);
        assert_eq!(r.json["errors"][0]["code"], code, "{}", r.body);
    };
    let price = |product: Uuid, variant: Option<Uuid>| json!({"product_id": product, "variant_id": variant, "kind": "percent", "value": 10});
    field(
        &add_price(m, &cid, price(Uuid::now_v7(), None)).await,
        "product_id",
        "unknown_product",
    );
    field(
        &add_price(m, &cid, price(s.product, Some(others_variant))).await,
        "variant_id",
        "unknown_variant",
    );
    let ok = add_price(m, &cid, price(s.product, Some(s.variant))).await;
    assert_eq!(ok.status, 201, "{}", ok.body);

    let now = Utc::now();
    let deal = |variant: Uuid, deal_price: i64| {
        json!({"variant_id": variant, "deal_price": deal_price, "quantity": 10,
               "starts_at": kst(now), "ends_at": kst(now + Duration::hours(1))})
    };
    field(
        &m.post("/v1/marketing/time-deals", &deal(Uuid::now_v7(), 1000))
            .await,
        "variant_id",
        "unknown_variant",
    );
    // The list price is the catalog's: 20,000 won.
    field(
        &m.post("/v1/marketing/time-deals", &deal(s.variant, 20000))
            .await,
        "deal_price",
        "not_a_discount",
    );
    let made = m
        .post("/v1/marketing/time-deals", &deal(s.variant, 19000))
        .await;
    assert_eq!(made.status, 201, "{}", made.body);
    assert_eq!(made.json["product_id"], s.product.to_string());
}
