//! A customer's coupon box (`GET|POST /v1/me/coupons`): only their own coupons — issued,
//! claimed from a daily drop or registered by code — each saying whether it can be used
//! now and why not.

use chrono::{DateTime, Duration, Utc};
use jikgu_tests::fixtures::token_customer;
use jikgu_tests::{Client, TestApp, spawn_app};
use platform::auth::Role;
use platform::money::Won;
use sea_orm::TransactionTrait;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use uuid::Uuid;

fn kst(t: DateTime<Utc>) -> String {
    promotions::seoul::show(t).to_rfc3339()
}

/// An issued-only amount-off coupon valid from `starts` to `ends`, with `extra` fields.
async fn coupon(m: &Client, starts: DateTime<Utc>, ends: DateTime<Utc>, extra: Value) -> Uuid {
    let mut body = json!({"name": "쿠폰함 테스트", "kind": "amount_off", "amount": 3000,
                          "starts_at": kst(starts), "ends_at": kst(ends)});
    for (k, v) in extra.as_object().expect("object") {
        body[k] = v.clone();
    }
    let r = m.post("/v1/marketing/coupons", &body).await;
    assert_eq!(r.status, 201, "{}", r.body);
    r.json["id"].as_str().expect("id").parse().expect("uuid")
}

async fn issue(m: &Client, coupon: Uuid, customers: &[Uuid]) {
    let r = m
        .post(
            &format!("/v1/marketing/coupons/{coupon}/issues"),
            &json!({ "customer_ids": customers }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
}

/// Redeem as checkout does, in a transaction of its own.
async fn redeem(app: &TestApp, coupon: Uuid, customer: Uuid, discount: i64) {
    let txn = app.state.db.begin().await.expect("begin");
    promotions::redeem_coupon(
        &txn,
        coupon,
        customer,
        Uuid::now_v7(),
        Won(discount),
        Utc::now(),
    )
    .await
    .expect("redeem");
    txn.commit().await.expect("commit");
}

/// Every page of the caller's coupons, following the cursors, by coupon id.
async fn all_coupons(c: &Client, limit: u32) -> BTreeMap<Uuid, Value> {
    let mut out = BTreeMap::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(cur) => format!("/v1/me/coupons?limit={limit}&cursor={cur}"),
            None => format!("/v1/me/coupons?limit={limit}"),
        };
        let r = c.get(&path).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let items = r.json["items"].as_array().expect("items");
        assert!(items.len() <= limit as usize);
        for item in items {
            let id: Uuid = item["coupon_id"]
                .as_str()
                .expect("id")
                .parse()
                .expect("uuid");
            assert!(out.insert(id, item.clone()).is_none(), "{id} twice");
        }
        match r.json["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return out,
        }
    }
}

#[tokio::test]
async fn customers_see_their_own_coupons_and_why_they_cannot_use_them() {
    let app = spawn_app().await;
    let (m, _) = app.account(Role::Marketer, None).await;
    let (a, a_id) = token_customer(&app);
    let (b, b_id) = token_customer(&app);
    let now = Utc::now();
    let (day, week) = (Duration::days(1), Duration::days(7));

    let once = coupon(&m, now - day, now + week, json!({"per_customer_limit": 1})).await;
    let only_b = coupon(&m, now - day, now + week, json!({"code": "ONLYB"})).await;
    let expired = coupon(&m, now - week, now - day, json!({})).await;
    let upcoming = coupon(&m, now + day, now + week, json!({})).await;
    let budget = coupon(&m, now - day, now + week, json!({"budget": 3000})).await;
    issue(&m, once, &[a_id, b_id]).await;
    issue(&m, only_b, &[b_id]).await;
    issue(&m, expired, &[a_id]).await;
    issue(&m, upcoming, &[a_id]).await;
    issue(&m, budget, &[a_id, b_id]).await;

    // A first-come drop that opened today: A claims it and finds it in the box.
    let dropped = coupon(
        &m,
        now - day,
        now + week,
        json!({"kind": "percent", "amount": null, "percent": 10, "cap": 5000}),
    )
    .await;
    let today = promotions::seoul::day(now);
    let d = m
        .post(
            &format!("/v1/marketing/coupons/{dropped}/drops"),
            &json!({"daily_quota": 10, "opens_at": "00:00:00", "first_day": today, "last_day": today}),
        )
        .await;
    assert_eq!(d.status, 201, "{}", d.body);
    // Anyone finds today's drops; A claims one.
    let offers = app.client.get("/v1/coupon-drops").await;
    assert_eq!(offers.status, 200, "{}", offers.body);
    let offer = &offers.json["items"][0];
    assert_eq!(offer["id"], d.json["id"], "{}", offers.body);
    assert_eq!(offer["open"], true);
    assert_eq!(offer["remaining_today"], 10);
    assert_eq!(offer["percent"], 10);
    let claim_path = format!(
        "/v1/coupon-drops/{}/claim",
        offer["id"].as_str().expect("id")
    );
    let claim = a.post(&claim_path, &json!({})).await;
    assert_eq!(claim.status, 200, "{}", claim.body);
    let offers = app.client.get("/v1/coupon-drops").await;
    assert_eq!(offers.json["items"][0]["remaining_today"], 9);

    // A public code, registered in A's box (twice: no harm); unknown codes are 404.
    let welcome = coupon(&m, now - day, now + week, json!({"code": "WELCOME5"})).await;
    for _ in 0..2 {
        let r = a
            .post("/v1/me/coupons", &json!({"code": " welcome5 "}))
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.json["code"], "WELCOME5");
    }
    a.post("/v1/me/coupons", &json!({"code": "NOPE99"}))
        .await
        .assert_problem(404, "not_found");

    // A used `once`; B spent the whole budget of `budget`.
    redeem(&app, once, a_id, 3000).await;
    redeem(&app, budget, b_id, 3000).await;

    let mine = all_coupons(&a, 2).await;
    assert_eq!(
        mine.keys().copied().collect::<Vec<_>>(),
        {
            let mut ids = vec![once, expired, upcoming, budget, dropped, welcome];
            ids.sort();
            ids
        },
        "A sees exactly the coupons issued to them"
    );
    let state = |id: Uuid| (mine[&id]["usable"].clone(), mine[&id]["reason"].clone());
    assert_eq!(state(once), (json!(false), json!("used_up")));
    assert_eq!(mine[&once]["uses"], 1);
    assert_eq!(mine[&once]["uses_left"], 0);
    assert_eq!(state(expired), (json!(false), json!("expired")));
    assert_eq!(state(upcoming), (json!(false), json!("not_yet_valid")));
    assert_eq!(state(budget), (json!(false), json!("budget_exhausted")));
    assert_eq!(state(dropped), (json!(true), Value::Null));
    let drop = &mine[&dropped];
    assert_eq!(drop["source"], "drop");
    assert_eq!(drop["kind"], "percent");
    assert_eq!(drop["percent"], 10);
    assert_eq!(drop["cap"], 5000);
    assert_eq!(drop["scope"]["kind"], "all");
    assert!(drop["uses_left"].is_null(), "no limit: {drop}");
    // An issued-only coupon is given at checkout by its id.
    assert_eq!(drop["code"], dropped.to_string());
    assert_eq!(mine[&once]["source"], "issued");
    assert_eq!(mine[&welcome]["source"], "code");
    assert_eq!(state(welcome), (json!(true), Value::Null));

    // B sees their own: `once` still usable for them, the public code by its code.
    let theirs = all_coupons(&b, 20).await;
    assert_eq!(theirs.len(), 3);
    assert!(!theirs.contains_key(&expired) && !theirs.contains_key(&dropped));
    assert_eq!(theirs[&once]["usable"], true);
    assert_eq!(theirs[&once]["uses_left"], 1);
    assert_eq!(theirs[&only_b]["code"], "ONLYB");
    assert_eq!(theirs[&only_b]["source"], "code");

    // A customer with no coupons gets an empty box; only customers have one.
    let (c, _) = token_customer(&app);
    let r = c.get("/v1/me/coupons").await;
    assert_eq!(
        r.json,
        json!({"items": [], "next_cursor": null}),
        "{}",
        r.body
    );
    m.get("/v1/me/coupons")
        .await
        .assert_problem(403, "forbidden");
    app.client
        .get("/v1/me/coupons")
        .await
        .assert_problem(401, "unauthenticated");
    a.get("/v1/me/coupons?cursor=garbage")
        .await
        .assert_problem(422, "invalid_cursor");
}
