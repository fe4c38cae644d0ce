//! 실적: attribution recorded at checkout, the rollups kept from orders' events and rebuilt
//! from orders, the performance report (periods, comparisons, groupings, roles), and the
//! open-market uploads.

use crate::settlements::new_product;
use jikgu_tests::fixtures::{Vendor, address};
use jikgu_tests::{Client, TestApp, spawn_app};
use platform::auth::Role;
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use serde_json::{Value, json};
use uuid::Uuid;

/// A customer puts `qty` of `variant` in the cart and checks out through `channel`; the
/// checkout's answer.
async fn checkout(
    app: &TestApp,
    variant: Uuid,
    qty: i64,
    channel: Option<&str>,
) -> (Client, jikgu_tests::http::Reply) {
    let (c, _) = app.account(Role::Customer, None).await;
    let done = checkout_as(&c, variant, qty, channel).await;
    (c, done)
}

/// Customer `c` puts `qty` of `variant` in the cart and checks out through `channel`.
async fn checkout_as(
    c: &Client,
    variant: Uuid,
    qty: i64,
    channel: Option<&str>,
) -> jikgu_tests::http::Reply {
    let cart = c
        .put(
            &format!("/v1/carts/current/lines/{variant}"),
            &json!({"quantity": qty}),
        )
        .await;
    assert_eq!(cart.status, 200, "{}", cart.body);
    let total = cart.json["quote"]["totals"]["grand_total"]
        .as_i64()
        .expect("total");
    let mut body = json!({"address": address("21554"), "expected_total": total});
    if let Some(ch) = channel {
        body["channel"] = json!(ch);
    }
    let rb = c
        .request(reqwest::Method::POST, "/v1/checkout")
        .header("idempotency-key", Uuid::now_v7().to_string())
        .json(&body);
    Client::send(rb).await
}

/// Bought and paid through `channel`: the customer and the order id.
async fn buy(app: &TestApp, variant: Uuid, qty: i64, channel: Option<&str>) -> (Client, Uuid) {
    let (c, _) = app.account(Role::Customer, None).await;
    let order_id = buy_as(&c, variant, qty, channel).await;
    (c, order_id)
}

/// Customer `c` buys and pays: the order id.
async fn buy_as(c: &Client, variant: Uuid, qty: i64, channel: Option<&str>) -> Uuid {
    let done = checkout_as(c, variant, qty, channel).await;
    assert_eq!(done.status, 201, "{}", done.body);
    let order_id: Uuid = done.json["order_id"]
        .as_str()
        .expect("order")
        .parse()
        .expect("uuid");
    let paid = c
        .post(
            &format!("/v1/payments/test/orders/{order_id}/pay"),
            &json!({}),
        )
        .await;
    assert_eq!(paid.status, 200, "{}", paid.body);
    order_id
}

async fn exec(app: &TestApp, sql: &str, values: Vec<sea_orm::Value>) {
    app.state
        .db
        .execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            sql,
            values,
        ))
        .await
        .expect("sql");
}

/// Move an order's payment to `paid_at` (and its closing to `closed_at`), then apply it
/// again, as a late event would.
async fn backdate(app: &TestApp, order: Uuid, paid_at: &str, closed_at: Option<&str>) {
    let at = |s: &str| s.parse::<chrono::DateTime<chrono::Utc>>().expect("instant");
    exec(
        app,
        "UPDATE orders.orders SET paid_at = $2, closed_at = COALESCE($3, closed_at) WHERE id = $1",
        vec![order.into(), at(paid_at).into(), closed_at.map(at).into()],
    )
    .await;
    reports::rollup::apply_order(&app.state.db, order)
        .await
        .expect("apply");
}

async fn marketer(app: &TestApp) -> Client {
    app.account(Role::Marketer, None).await.0
}

fn net(r: &Value) -> i64 {
    r["totals"]["current"]["net"].as_i64().expect("net")
}

#[tokio::test]
async fn checkout_records_the_channel_and_what_each_line_is_attributed_to() {
    let app = spawn_app().await;
    let v = app.vendor("강화순무").await;
    let (product, variant) = new_product(&app, &v, 12_000).await;
    let (_, order) = buy(&app, variant, 2, Some("app")).await;
    let (_, plain) = buy(&app, variant, 1, None).await;
    let (_, refused) = checkout(&app, variant, 1, Some("tmon")).await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(refused.body.contains("channel"), "{}", refused.body);
    // The client cannot say who it is buying as.
    let (_, sneaky) = {
        let (c, _) = app.account(Role::Customer, None).await;
        let rb = c
            .request(reqwest::Method::POST, "/v1/checkout")
            .header("idempotency-key", "k")
            .json(&json!({"address": address("21554"), "expected_total": 0, "buyer_kind": "public_institution"}));
        (c.clone(), Client::send(rb).await)
    };
    assert_eq!(sneaky.status, 422, "{}", sneaky.body);
    let rows = app
        .state
        .db
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT o.id, o.channel, o.buyer_kind, a.vendor_id, a.district, a.district_comparable, a.certified, \
                 a.campaign_id IS NULL AS no_campaign \
             FROM orders.orders o JOIN orders.line_attribution a ON a.order_id = o.id \
             WHERE o.id = ANY($1) ORDER BY o.channel",
            [vec![order, plain].into()],
        ))
        .await
        .expect("rows");
    assert_eq!(rows.len(), 2);
    let get = |i: usize, c: &str| rows[i].try_get::<String>("", c).expect(c);
    assert_eq!(
        (get(0, "channel"), get(0, "buyer_kind")),
        ("app".into(), "consumer".into())
    );
    assert_eq!(get(1, "channel"), "web");
    assert_eq!(get(0, "district"), "강화군");
    assert_eq!(
        rows[0].try_get::<Uuid>("", "vendor_id").expect("vendor"),
        v.id
    );
    assert!(
        rows[0]
            .try_get::<bool>("", "no_campaign")
            .expect("campaign")
    );
    let facts = orders::sales_facts::of_orders(&app.state.db, &[order])
        .await
        .expect("facts");
    assert_eq!(facts[0].lines[0].product_id, product);
    assert_eq!(facts[0].lines[0].final_amount, 24_000);
}

#[tokio::test]
async fn an_order_at_235959_kst_on_31_march_is_q1_and_its_refund_on_1_april_is_q2() {
    let app = spawn_app().await;
    let v = app.vendor("강화순무").await;
    let (_, variant) = new_product(&app, &v, 10_000).await;
    let (c, order) = buy(&app, variant, 3, Some("web")).await;
    let cancel = c
        .post(&format!("/v1/orders/{order}/cancel"), &json!({}))
        .await;
    assert_eq!(cancel.status, 200, "{}", cancel.body);
    app.settle().await;
    // Paid 2026-03-31 23:59:59 KST, canceled 2026-04-01 00:00:05 KST.
    backdate(
        &app,
        order,
        "2026-03-31T14:59:59Z",
        Some("2026-03-31T15:00:05Z"),
    )
    .await;
    let m = marketer(&app).await;
    let q1 = m
        .get("/v1/marketing/reports/performance?quarter=2026Q1")
        .await;
    assert_eq!(q1.status, 200, "{}", q1.body);
    assert_eq!(net(&q1.json), 30_000, "{}", q1.body);
    assert_eq!(q1.json["totals"]["current"]["refunds"], 0);
    let q2 = m
        .get("/v1/marketing/reports/performance?quarter=2026Q2")
        .await;
    assert_eq!(
        q2.json["totals"]["current"]["refunds"], 30_000,
        "{}",
        q2.body
    );
    assert_eq!(net(&q2.json), -30_000);
    assert_eq!(q2.json["totals"]["current"]["orders"], 0);
    // Q2 compares with Q1 (the previous period) and 2025Q2 (the previous year).
    assert_eq!(q2.json["totals"]["previous_period"]["net"], 30_000);
    assert_eq!(q2.json["previous_period"]["from"], "2026-01-01");
    assert_eq!(q2.json["previous_year"]["from"], "2025-04-01");
    // The last second of the quarter by days: from/to in KST.
    let day = m
        .get("/v1/marketing/reports/performance?from=2026-03-31&to=2026-03-31")
        .await;
    assert_eq!(net(&day.json), 30_000, "{}", day.body);
    let bad = m
        .get("/v1/marketing/reports/performance?quarter=2026Q5")
        .await;
    assert_eq!(bad.status, 422, "{}", bad.body);
    let bad = m
        .get("/v1/marketing/reports/performance?quarter=2026Q1&by=colour")
        .await;
    assert_eq!(bad.status, 422, "{}", bad.body);
}

async fn snapshot(app: &TestApp) -> Vec<String> {
    let mut out = Vec::new();
    for table in [
        "daily_sales",
        "monthly_sales",
        "daily_products",
        "monthly_products",
        "buyer_cells",
        "buyer_days",
        "first_days",
    ] {
        let rows = app
            .state
            .db
            .query_all_raw(Statement::from_string(
                DbBackend::Postgres,
                format!("SELECT '{table}|' || t::text AS r FROM reports.{table} t ORDER BY 1"),
            ))
            .await
            .expect("snapshot");
        out.extend(
            rows.iter()
                .map(|r| r.try_get::<String>("", "r").expect("row")),
        );
    }
    // Monthly buyers by customer id (numbers are only handles; a rebuild keeps them).
    let rows = app
        .state
        .db
        .query_all_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT 'monthly_buyers|' || (m.day, m.vendor_id, m.category_id, m.top_category_id, m.campaign_id, \
                 m.channel, m.district, m.certified, m.buyer_kind, \
                 (SELECT array_agg(n.customer_id ORDER BY n.customer_id) FROM unnest(m.customers) x \
                     JOIN reports.customer_numbers n ON n.number = x))::text AS r \
             FROM reports.monthly_buyers m ORDER BY 1",
        ))
        .await
        .expect("snapshot");
    out.extend(
        rows.iter()
            .map(|r| r.try_get::<String>("", "r").expect("row")),
    );
    out
}

/// A random history: orders through every channel, some never paid, some canceled, some
/// returned in part, some confirmed; the live rollups equal a rebuild from orders.
#[tokio::test]
async fn a_rebuild_from_orders_gives_the_live_rollups_after_a_random_history() {
    let app = spawn_app().await;
    let vendors: Vec<Vendor> = vec![app.vendor("갑").await, app.vendor("을").await];
    let mut variants = Vec::new();
    for v in &vendors {
        variants.push((new_product(&app, v, 7_000).await.1, v));
        variants.push((new_product(&app, v, 13_500).await.1, v));
    }
    let channels = [
        None,
        Some("web"),
        Some("app"),
        Some("11st"),
        Some("lotteon"),
    ];
    let mut seed: u64 = u64::from(std::process::id()) | 1;
    let mut next = |n: u64| {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) % n
    };
    for _ in 0..10 {
        let (variant, v) = variants[next(variants.len() as u64) as usize];
        let channel = channels[next(channels.len() as u64) as usize];
        let qty = 1 + next(3) as i64;
        match next(4) {
            0 => {
                let (_, done) = checkout(&app, variant, qty, channel).await;
                assert_eq!(done.status, 201, "{}", done.body);
            }
            1 => {
                let (c, order) = buy(&app, variant, qty, channel).await;
                let r = c
                    .post(&format!("/v1/orders/{order}/cancel"), &json!({}))
                    .await;
                assert_eq!(r.status, 200, "{}", r.body);
            }
            _ => {
                let (c, order) = buy(&app, variant, qty, channel).await;
                let detail = c.get(&format!("/v1/orders/{order}")).await;
                let vo = detail.json["vendor_orders"][0]["id"]
                    .as_str()
                    .expect("vo")
                    .to_owned();
                v.ship_and_deliver(&vo).await;
                if next(2) == 0 {
                    let asked = c
                        .post(
                            &format!("/v1/orders/{order}/returns"),
                            &json!({"vendor_order_id": vo, "reason": "defective",
                                    "lines": [{"variant_id": variant, "quantity": 1}]}),
                        )
                        .await;
                    assert_eq!(asked.status, 201, "{}", asked.body);
                    let rid = asked.json["return_id"].as_str().expect("return");
                    let ok = v
                        .client
                        .post(
                            &format!("/v1/vendor/orders/returns/{rid}/accept"),
                            &json!({}),
                        )
                        .await;
                    assert!(ok.status < 300, "{}", ok.body);
                } else {
                    let ok = c
                        .post(
                            &format!("/v1/orders/{order}/vendor-orders/{vo}/confirm"),
                            &json!({}),
                        )
                        .await;
                    assert_eq!(ok.status, 200, "{}", ok.body);
                }
            }
        }
    }
    app.settle().await;
    let live = snapshot(&app).await;
    assert!(!live.is_empty());
    let n = reports::rollup::rebuild(&app.state.db)
        .await
        .expect("rebuild");
    assert!(n > 0);
    assert_eq!(snapshot(&app).await, live);
    // Applying every order again changes nothing.
    let ids = orders::sales_facts::paid_order_ids(&app.state.db, None, 1000)
        .await
        .expect("ids");
    for id in ids {
        assert!(
            !reports::rollup::apply_order(&app.state.db, id)
                .await
                .expect("apply")
        );
    }
    assert_eq!(snapshot(&app).await, live);
}

/// Rows of every grouping add up to the totals, to the won, in every period compared.
#[tokio::test]
async fn the_rows_of_every_grouping_add_up_to_the_totals() {
    let app = spawn_app().await;
    let a = app.vendor("갑").await;
    let b = app.vendor("을").await;
    let (_, va) = new_product(&app, &a, 9_900).await;
    let (_, vb) = new_product(&app, &b, 15_300).await;
    buy(&app, va, 2, Some("app")).await;
    buy(&app, vb, 1, Some("11st")).await;
    let (c, order) = buy(&app, vb, 3, None).await;
    let r = c
        .post(&format!("/v1/orders/{order}/cancel"), &json!({}))
        .await;
    assert_eq!(r.status, 200);
    app.settle().await;
    let today = promotions::seoul::day(chrono::Utc::now());
    let m = marketer(&app).await;
    let dims = [
        "vendor",
        "category",
        "top_category",
        "campaign",
        "channel",
        "district",
        "certification",
        "buyer_kind",
        "month",
    ];
    let mut bys: Vec<String> = dims.iter().map(|d| d.to_string()).collect();
    bys.push("vendor,channel".into());
    bys.push("month,district".into());
    for by in bys {
        let r = m
            .get(&format!(
                "/v1/marketing/reports/performance?from={today}&to={today}&by={by}"
            ))
            .await;
        assert_eq!(r.status, 200, "{by}: {}", r.body);
        let rows = r.json["rows"].as_array().expect("rows");
        assert!(!rows.is_empty(), "{by}");
        for period in ["current", "previous_year", "previous_period"] {
            for measure in [
                "orders",
                "units",
                "gross",
                "vendor_discount",
                "platform_discount",
                "refunds",
                "net",
            ] {
                let sum: i64 = rows
                    .iter()
                    .map(|x| x[period][measure].as_i64().expect("n"))
                    .sum();
                assert_eq!(
                    sum,
                    r.json["totals"][period][measure].as_i64().expect("total"),
                    "{by} {period} {measure}"
                );
            }
        }
    }
    let r = m
        .get(&format!(
            "/v1/marketing/reports/performance?from={today}&to={today}&by=channel"
        ))
        .await;
    assert_eq!(net(&r.json), 9_900 * 2 + 15_300, "{}", r.body);
    assert_eq!(r.json["buyers"]["buyers"], 3);
    assert_eq!(r.json["buyers"]["new_buyers"], 3);
}

#[tokio::test]
async fn customers_and_vendors_are_refused_and_a_vendor_sees_only_its_own_figures() {
    let app = spawn_app().await;
    let a = app.vendor("갑").await;
    let b = app.vendor("을").await;
    let (_, va) = new_product(&app, &a, 10_000).await;
    let (_, vb) = new_product(&app, &b, 30_000).await;
    buy(&app, va, 1, None).await;
    buy(&app, vb, 1, None).await;
    app.settle().await;
    let path = "/v1/marketing/reports/performance?quarter=2026Q4";
    let (customer, _) = app.account(Role::Customer, None).await;
    assert_eq!(customer.get(path).await.status, 403);
    assert_eq!(a.client.get(path).await.status, 403);
    assert_eq!(app.client.get(path).await.status, 401);
    for p in [
        "/v1/marketing/reports/performance.html?quarter=2026Q4",
        "/v1/marketing/reports/performance/chart.svg?quarter=2026Q4",
    ] {
        assert_eq!(customer.get(p).await.status, 403);
        assert_eq!(a.client.get(p).await.status, 403);
    }
    let today = promotions::seoul::day(chrono::Utc::now());
    let own = a
        .client
        .get(&format!(
            "/v1/vendor/reports/performance?from={today}&to={today}&by=vendor"
        ))
        .await;
    assert_eq!(own.status, 200, "{}", own.body);
    assert_eq!(net(&own.json), 10_000);
    let rows = own.json["rows"].as_array().expect("rows");
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["keys"][0]["value"], a.id.to_string());
    assert_eq!(own.json["top_products"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        customer
            .get("/v1/vendor/reports/performance?quarter=2026Q4")
            .await
            .status,
        403
    );
    let m = marketer(&app).await;
    let all = m
        .get(&format!(
            "/v1/marketing/reports/performance?from={today}&to={today}"
        ))
        .await;
    assert_eq!(net(&all.json), 40_000);
    let (admin, _) = app.account(Role::Admin, None).await;
    assert_eq!(admin.get(path).await.status, 200);
}

#[tokio::test]
async fn exports_charts_and_the_printable_page_answer_in_their_formats() {
    let app = spawn_app().await;
    let v = app.vendor("강화순무").await;
    let (_, variant) = new_product(&app, &v, 10_000).await;
    buy(&app, variant, 1, Some("app")).await;
    app.settle().await;
    let m = marketer(&app).await;
    let today = promotions::seoul::day(chrono::Utc::now());
    let q = format!("from={today}&to={today}&by=vendor,channel");
    let csv = m
        .get(&format!("/v1/marketing/reports/performance?{q}&format=csv"))
        .await;
    assert_eq!(csv.status, 200);
    assert!(
        csv.body.contains("순매출") && csv.body.contains("자사몰(앱)"),
        "{}",
        csv.body
    );
    let xlsx = m
        .request(
            reqwest::Method::GET,
            &format!("/v1/marketing/reports/performance?{q}&format=xlsx"),
        )
        .send()
        .await
        .expect("xlsx");
    assert_eq!(xlsx.status(), 200);
    assert!(xlsx.bytes().await.expect("bytes").starts_with(b"PK"));
    for chart in ["channel_monthly", "district_share", "campaign_effect"] {
        let svg = m
            .get(&format!(
                "/v1/marketing/reports/performance/chart.svg?from={today}&to={today}&chart={chart}"
            ))
            .await;
        assert_eq!(svg.status, 200, "{}", svg.body);
        assert!(svg.body.starts_with("<svg"), "{chart}");
    }
    let page = m
        .get(&format!("/v1/marketing/reports/performance.html?{q}"))
        .await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("구매실적 보고서") && page.body.contains("<svg"));
    assert!(page.body.contains("환불은 환불이 발생한 기간에 집계합니다"));
    // Nothing is loaded from elsewhere.
    assert!(
        !page.body.contains("<script")
            && !page.body.contains("<link")
            && !page.body.contains("src=")
    );
}

#[tokio::test]
async fn an_open_market_upload_counts_under_its_channel_reports_unmatched_rows_and_is_replaced_by_a_reupload()
 {
    let app = spawn_app().await;
    let v = app.vendor("강화순무").await;
    let cat = app.category("kimchi", None, &[]).await;
    app.product(&v, cat, "순무김치", &[], &[("KIM-1", 12_000, 10)])
        .await;
    let m = marketer(&app).await;
    let path = "/v1/marketing/reports/external-sales?channel=11st&from=2026-10-01&to=2026-12-31";
    let first = "date,sku,quantity,amount,refund\n2026-10-03,KIM-1,2,24000,0\n2026-11-04,KIM-1,1,12000,12000\n\
                 2026-11-05,NOPE-9,1,5000,0\n2027-01-02,KIM-1,1,12000,0\n";
    let rb = m
        .request(reqwest::Method::POST, path)
        .header("content-type", "text/csv")
        .body(first);
    let up = Client::send(rb).await;
    assert_eq!(up.status, 201, "{}", up.body);
    assert_eq!(up.json["matched"], 2);
    let unmatched = up.json["unmatched"].as_array().expect("unmatched");
    assert_eq!(unmatched.len(), 2);
    assert_eq!(
        (
            unmatched[0]["line"].as_i64(),
            unmatched[0]["reason"].as_str()
        ),
        (Some(4), Some("unknown_sku"))
    );
    assert_eq!(unmatched[1]["reason"], "outside_period");
    let r = m
        .get("/v1/marketing/reports/performance?quarter=2026Q4&by=channel")
        .await;
    assert_eq!(net(&r.json), 24_000, "{}", r.body);
    assert_eq!(r.json["rows"][0]["keys"][0]["value"], "11st");
    assert_eq!(r.json["totals"]["current"]["refunds"], 12_000);
    // The same channel and period again replaces the first upload.
    let rb = m
        .request(reqwest::Method::POST, path)
        .header("content-type", "text/csv")
        .body("date,sku,quantity,amount,refund\n2026-10-03,KIM-1,1,12000,0\n");
    let again = Client::send(rb).await;
    assert_eq!(again.status, 201, "{}", again.body);
    assert_eq!(again.json["replaced"], true);
    let r = m
        .get("/v1/marketing/reports/performance?quarter=2026Q4")
        .await;
    assert_eq!(net(&r.json), 12_000, "{}", r.body);
    // An overlapping period, and the shop's own channel, are refused.
    let rb = m
        .request(
            reqwest::Method::POST,
            "/v1/marketing/reports/external-sales?channel=11st&from=2026-12-01&to=2027-01-31",
        )
        .body("date,sku,quantity,amount\n");
    assert_eq!(Client::send(rb).await.status, 422);
    let rb = m
        .request(
            reqwest::Method::POST,
            "/v1/marketing/reports/external-sales?channel=web&from=2026-10-01&to=2026-12-31",
        )
        .body("date,sku,quantity,amount\n");
    assert_eq!(Client::send(rb).await.status, 422);
    let rb = v
        .client
        .request(reqwest::Method::POST, path)
        .body("date,sku,quantity,amount\n");
    assert_eq!(Client::send(rb).await.status, 403);
}

/// The demo seeds a year of sales and an 11번가 upload, once: its Q3 and Q4 reports
/// hold sales through several channels and districts.
#[tokio::test]
async fn the_demo_has_a_year_of_sales_across_channels_and_districts() {
    let app = spawn_app().await;
    jikgu::seed::seed_demo(&app.state).await.expect("seed");
    let m = marketer(&app).await;
    let q3 = m
        .get("/v1/marketing/reports/performance?quarter=2026Q3&by=channel")
        .await;
    assert_eq!(q3.status, 200, "{}", q3.body);
    assert!(net(&q3.json) > 0);
    let channels: Vec<&str> = q3.json["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .filter_map(|r| r["keys"][0]["value"].as_str())
        .collect();
    assert!(
        channels.contains(&"11st") && channels.contains(&"app"),
        "{channels:?}"
    );
    let q4 = m
        .get("/v1/marketing/reports/performance?quarter=2026Q4&by=district")
        .await;
    assert!(net(&q4.json) > 0);
    assert!(
        q4.json["rows"].as_array().map_or(0, Vec::len) >= 3,
        "{}",
        q4.body
    );
    let uploads = m.get("/v1/marketing/reports/external-sales").await;
    assert_eq!(
        uploads.json.as_array().map(Vec::len),
        Some(1),
        "{}",
        uploads.body
    );
    // Seeding again adds nothing.
    jikgu::seed::seed_demo(&app.state)
        .await
        .expect("seed again");
    let again = m
        .get("/v1/marketing/reports/performance?quarter=2026Q3&by=channel")
        .await;
    assert_eq!(net(&again.json), net(&q3.json));
}

/// A product of `v` in category `cat` at `price`: its variant.
async fn product_in(app: &TestApp, v: &Vendor, cat: Uuid, price: i64) -> Uuid {
    let sku = format!("S{}", Uuid::now_v7().simple());
    let pid = app
        .product(v, cat, "강화순무김치 1kg", &[], &[(&sku, price, 50)])
        .await;
    let page = app.client.get(&format!("/v1/products/{pid}")).await;
    page.json["variants"][0]["id"]
        .as_str()
        .expect("variant")
        .parse()
        .expect("uuid")
}

/// One customer buys one of each of `variants` in one order and pays.
async fn buy_together(app: &TestApp, variants: &[Uuid]) {
    let (c, _) = app.account(Role::Customer, None).await;
    let mut total = 0;
    for v in variants {
        let cart = c
            .put(
                &format!("/v1/carts/current/lines/{v}"),
                &json!({"quantity": 1}),
            )
            .await;
        assert_eq!(cart.status, 200, "{}", cart.body);
        total = cart.json["quote"]["totals"]["grand_total"]
            .as_i64()
            .expect("total");
    }
    let rb = c
        .request(reqwest::Method::POST, "/v1/checkout")
        .header("idempotency-key", Uuid::now_v7().to_string())
        .json(&json!({"address": address("21554"), "expected_total": total}));
    let done = Client::send(rb).await;
    assert_eq!(done.status, 201, "{}", done.body);
    let order = done.json["order_id"].as_str().expect("order");
    let paid = c
        .post(&format!("/v1/payments/test/orders/{order}/pay"), &json!({}))
        .await;
    assert_eq!(paid.status, 200, "{}", paid.body);
}

fn row_of<'a>(r: &'a Value, dimension_value: &str) -> &'a Value {
    r["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .find(|x| x["keys"][0]["value"] == dimension_value)
        .unwrap_or_else(|| panic!("no row {dimension_value}: {r}"))
}

/// Each row states its distinct buyers: a customer who bought from two vendors in one
/// order counts once in each vendor's row and once in the total. `category` groups by
/// the leaf category, `top_category` by its top level; both add up to the total.
#[tokio::test]
async fn each_row_counts_its_own_distinct_buyers_and_categories_group_by_leaf_or_top_level() {
    let app = spawn_app().await;
    let a = app.vendor("갑").await;
    let b = app.vendor("을").await;
    let top = app
        .category(&format!("t{}", Uuid::now_v7().simple()), None, &[])
        .await;
    let kimchi = app
        .category(&format!("k{}", Uuid::now_v7().simple()), Some(top), &[])
        .await;
    let rice = app
        .category(&format!("r{}", Uuid::now_v7().simple()), Some(top), &[])
        .await;
    let va = product_in(&app, &a, kimchi, 10_000).await;
    let vb = product_in(&app, &b, rice, 20_000).await;
    buy_together(&app, &[va, vb]).await;
    buy(&app, va, 1, None).await;
    app.settle().await;
    let today = promotions::seoul::day(chrono::Utc::now());
    let m = marketer(&app).await;
    let get = |by: &'static str| {
        let m = m.clone();
        async move {
            let r = m
                .get(&format!(
                    "/v1/marketing/reports/performance?from={today}&to={today}&by={by}"
                ))
                .await;
            assert_eq!(r.status, 200, "{by}: {}", r.body);
            r.json
        }
    };
    let by_vendor = get("vendor").await;
    assert_eq!(by_vendor["totals"]["buyers"]["current"], 2, "{by_vendor}");
    assert_eq!(by_vendor["buyers"]["buyers"], 2);
    assert_eq!(
        row_of(&by_vendor, &a.id.to_string())["buyers"]["current"],
        2
    );
    assert_eq!(
        row_of(&by_vendor, &b.id.to_string())["buyers"]["current"],
        1
    );
    assert_eq!(
        row_of(&by_vendor, &a.id.to_string())["buyers"]["previous_year"],
        0
    );

    let by_leaf = get("category").await;
    let rows = by_leaf["rows"].as_array().expect("rows");
    assert_eq!(rows.len(), 2, "{by_leaf}");
    assert_eq!(
        row_of(&by_leaf, &kimchi.to_string())["current"]["net"],
        20_000
    );
    assert_eq!(
        row_of(&by_leaf, &rice.to_string())["current"]["net"],
        20_000
    );
    assert_eq!(
        row_of(&by_leaf, &rice.to_string())["keys"][0]["label"]
            .as_str()
            .map(|s| s.starts_with('r')),
        Some(true)
    );
    let by_top = get("top_category").await;
    let rows = by_top["rows"].as_array().expect("rows");
    assert_eq!(rows.len(), 1, "{by_top}");
    assert_eq!(rows[0]["keys"][0]["value"], top.to_string());
    assert_eq!(rows[0]["current"]["net"], 40_000);
    assert_eq!(rows[0]["buyers"]["current"], 2);
    let both = get("top_category,category").await;
    let sum: i64 = both["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| r["current"]["net"].as_i64().expect("net"))
        .sum();
    assert_eq!(sum, net(&both));
    assert_eq!(net(&both), 40_000);
    // A vendor's own figures count its own buyers only.
    let own = a
        .client
        .get(&format!(
            "/v1/vendor/reports/performance?from={today}&to={today}&by=category"
        ))
        .await;
    assert_eq!(own.status, 200, "{}", own.body);
    assert_eq!(own.json["totals"]["buyers"]["current"], 2);
    assert_eq!(own.json["rows"].as_array().map(Vec::len), Some(1));
}

/// An open-market row is placed as things stood on its own day: certified if the vendor
/// held a verified certification valid that day, in the category the shop recorded at its
/// latest sale of the product by then (today's category when it had sold none).
#[tokio::test]
async fn an_open_market_row_is_certified_and_categorised_as_on_its_sale_date() {
    let app = spawn_app().await;
    let v = app.vendor("강화순무").await;
    let then = app
        .category(&format!("a{}", Uuid::now_v7().simple()), None, &[])
        .await;
    let now = app
        .category(&format!("b{}", Uuid::now_v7().simple()), None, &[])
        .await;
    let sku = format!("S{}", Uuid::now_v7().simple());
    let product = app
        .product(&v, then, "순무김치", &[], &[(&sku, 10_000, 50)])
        .await;
    let page = app.client.get(&format!("/v1/products/{product}")).await;
    let variant: Uuid = page.json["variants"][0]["id"]
        .as_str()
        .expect("variant")
        .parse()
        .expect("uuid");
    // The shop sold it on 10 July, while it was in `then`; it has moved to `now` since.
    let (_, order) = buy(&app, variant, 1, None).await;
    app.settle().await;
    backdate(&app, order, "2026-07-10T03:00:00Z", None).await;
    exec(
        &app,
        "UPDATE catalog.products SET category_id = $2 WHERE id = $1",
        vec![product.into(), now.into()],
    )
    .await;
    // Certified in July 2026 only.
    exec(
        &app,
        "INSERT INTO catalog.certifications (id, vendor_id, kind, number, issued_on, expires_on, verified_at) \
         VALUES ($1, $2, 'haccp', 'H-1', '2026-07-01', '2026-07-31', now())",
        vec![Uuid::now_v7().into(), v.id.into()],
    )
    .await;
    let m = marketer(&app).await;
    let csv = format!(
        "date,sku,quantity,amount,refund\n2026-07-15,{sku},3,30000,0\n2026-08-15,{sku},5,50000,0\n\
         2026-07-05,{sku},7,70000,0\n"
    );
    let rb = m
        .request(
            reqwest::Method::POST,
            "/v1/marketing/reports/external-sales?channel=11st&from=2026-07-01&to=2026-08-31",
        )
        .header("content-type", "text/csv")
        .body(csv);
    let up = Client::send(rb).await;
    assert_eq!(up.status, 201, "{}", up.body);
    assert_eq!(up.json["matched"], 3);
    let open_market = |by: &'static str| {
        let m = m.clone();
        async move {
            let r = m
                .get(&format!(
                    "/v1/marketing/reports/performance?from=2026-07-01&to=2026-08-31&by=channel,{by}"
                ))
                .await;
            assert_eq!(r.status, 200, "{}", r.body);
            let mut out: Vec<(String, i64)> = r.json["rows"]
                .as_array()
                .expect("rows")
                .iter()
                .filter(|x| x["keys"][0]["value"] == "11st")
                .map(|x| {
                    (
                        x["keys"][1]["value"].as_str().expect("value").to_owned(),
                        x["current"]["net"].as_i64().expect("net"),
                    )
                })
                .collect();
            out.sort();
            out
        }
    };
    assert_eq!(
        open_market("certification").await,
        vec![("false".to_owned(), 50_000), ("true".to_owned(), 100_000)]
    );
    let mut expected = vec![(then.to_string(), 80_000), (now.to_string(), 70_000)];
    expected.sort();
    assert_eq!(open_market("category").await, expected);
}

/// Exact distinct buyers of `from..=to` (of `vendor`, or all), straight from the daily
/// (day, buyer, cell) rows.
async fn exact_buyers(app: &TestApp, from: &str, to: &str, vendor: Option<Uuid>) -> i64 {
    let d = |s: &str| s.parse::<chrono::NaiveDate>().expect("date");
    let row = app
        .state
        .db
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT count(DISTINCT customer_id) AS n FROM reports.buyer_cells \
             WHERE day BETWEEN $1 AND $2 AND ($3::uuid IS NULL OR vendor_id = $3)",
            [d(from).into(), d(to).into(), vendor.into()],
        ))
        .await
        .expect("exact")
        .expect("row");
    row.try_get("", "n").expect("n")
}

/// Whole months' buyers come from the monthly buyer arrays and the other days from the
/// daily buyer cells: periods of whole months, of parts of months and of both count the
/// same distinct buyers, per row and in all, as the daily rows; and so after orders move
/// between months, are canceled, and after a rebuild.
#[tokio::test]
async fn whole_and_partial_months_count_the_same_buyers_as_the_daily_rows() {
    let app = spawn_app().await;
    let a = app.vendor("갑").await;
    let b = app.vendor("을").await;
    let (_, va) = new_product(&app, &a, 8_000).await;
    let (_, vb) = new_product(&app, &b, 12_000).await;
    let (x, _) = app.account(Role::Customer, None).await;
    let (y, _) = app.account(Role::Customer, None).await;
    let (z, _) = app.account(Role::Customer, None).await;
    // x: May 3rd from a, May 20th from b; y: May 20th and June 2nd from a, June 14th from
    // b; z: May 10th from b, then canceled, and June 30th from a.
    let plan = [
        (&x, va, "2026-05-03T03:00:00Z"),
        (&x, vb, "2026-05-20T03:00:00Z"),
        (&y, va, "2026-05-20T05:00:00Z"),
        (&y, va, "2026-06-02T03:00:00Z"),
        (&y, vb, "2026-06-14T03:00:00Z"),
        (&z, vb, "2026-05-10T03:00:00Z"),
        (&z, va, "2026-06-30T03:00:00Z"),
    ];
    let mut orders = Vec::new();
    for (c, variant, at) in plan {
        let order = buy_as(c, variant, 1, None).await;
        app.settle().await;
        backdate(&app, order, at, None).await;
        orders.push(order);
    }
    let r = z
        .post(&format!("/v1/orders/{}/cancel", orders[5]), &json!({}))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    app.settle().await;
    let m = marketer(&app).await;
    let periods = [
        ("2026-05-01", "2026-06-30"),
        ("2026-05-02", "2026-06-15"),
        ("2026-05-10", "2026-06-30"),
        ("2026-06-01", "2026-06-30"),
        ("2026-05-21", "2026-05-31"),
    ];
    let check = |round: &'static str| {
        let (app, m) = (&app, &m);
        let vendors = [a.id, b.id];
        async move {
            for (from, to) in periods {
                let r = m
                    .get(&format!(
                        "/v1/marketing/reports/performance?from={from}&to={to}&by=vendor"
                    ))
                    .await;
                assert_eq!(r.status, 200, "{}", r.body);
                let all = exact_buyers(app, from, to, None).await;
                assert_eq!(
                    r.json["totals"]["buyers"]["current"], all,
                    "{round} {from}..{to}: {}",
                    r.body
                );
                assert_eq!(r.json["buyers"]["buyers"], all, "{round} {from}..{to}");
                let pp = &r.json["previous_period"];
                let (pf, pt) = (
                    pp["from"].as_str().expect("from"),
                    pp["to"].as_str().expect("to"),
                );
                assert_eq!(
                    r.json["totals"]["buyers"]["previous_period"],
                    exact_buyers(app, pf, pt, None).await,
                    "{round} {pf}..{pt}"
                );
                for v in vendors {
                    let row = r.json["rows"]
                        .as_array()
                        .expect("rows")
                        .iter()
                        .find(|x| x["keys"][0]["value"] == v.to_string());
                    let got = row.map_or(0, |x| x["buyers"]["current"].as_i64().expect("n"));
                    assert_eq!(
                        got,
                        exact_buyers(app, from, to, Some(v)).await,
                        "{round} {from}..{to} {v}"
                    );
                }
                let by_month = m
                    .get(&format!(
                        "/v1/marketing/reports/performance?from={from}&to={to}&by=month"
                    ))
                    .await;
                assert_eq!(by_month.status, 200, "{}", by_month.body);
                for row in by_month.json["rows"].as_array().expect("rows") {
                    let month = row["keys"][0]["value"].as_str().expect("month");
                    let (mf, mt) = match month {
                        "2026-05" => (from.max("2026-05-01"), to.min("2026-05-31")),
                        _ => (from.max("2026-06-01"), to.min("2026-06-30")),
                    };
                    assert_eq!(
                        row["buyers"]["current"],
                        exact_buyers(app, mf, mt, None).await,
                        "{round} {from}..{to} {month}"
                    );
                }
            }
        }
    };
    check("live").await;
    // The figures are not all trivially equal: May and June both have buyers (a sale
    // canceled later still made its buyer, as in the daily rows).
    assert_eq!(
        exact_buyers(&app, "2026-05-01", "2026-05-31", None).await,
        3
    );
    assert_eq!(
        exact_buyers(&app, "2026-06-01", "2026-06-30", None).await,
        2
    );
    let live = snapshot(&app).await;
    reports::rollup::rebuild(&app.state.db)
        .await
        .expect("rebuild");
    assert_eq!(snapshot(&app).await, live);
    check("rebuilt").await;
}

/// A customer's first days as `(vendor, first day, the row's version)`, the nil vendor's
/// (from any vendor) among them, by vendor.
async fn first_days(app: &TestApp, customer: Uuid) -> Vec<(Uuid, String, String)> {
    let rows = app
        .state
        .db
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT vendor_id, first_day::text AS day, xmin::text AS version FROM reports.first_days \
             WHERE customer_id = $1 ORDER BY vendor_id",
            [customer.into()],
        ))
        .await
        .expect("first days");
    rows.iter()
        .map(|r| {
            (
                r.try_get("", "vendor_id").expect("vendor"),
                r.try_get("", "day").expect("day"),
                r.try_get("", "version").expect("version"),
            )
        })
        .collect()
}

/// A customer's first day from a vendor and from any vendor follows their buying days,
/// later as well as earlier, as a rebuild works it out; a sale leaves the first days of
/// the vendors it was not bought from unwritten.
#[tokio::test]
async fn first_days_move_with_the_buying_days_and_only_the_sales_vendors_are_rewritten() {
    let app = spawn_app().await;
    let a = app.vendor("갑").await;
    let b = app.vendor("을").await;
    let (_, va) = new_product(&app, &a, 8_000).await;
    let (_, vb) = new_product(&app, &b, 12_000).await;
    let (x, customer) = app.account(Role::Customer, None).await;
    let mut orders = Vec::new();
    for (variant, at) in [
        (va, "2026-05-03T03:00:00Z"),
        (vb, "2026-05-10T03:00:00Z"),
        (va, "2026-06-01T03:00:00Z"),
    ] {
        let order = buy_as(&x, variant, 1, None).await;
        app.settle().await;
        backdate(&app, order, at, None).await;
        orders.push(order);
    }
    let days = |rows: &[(Uuid, String, String)]| -> Vec<(Uuid, String)> {
        rows.iter().map(|(v, d, _)| (*v, d.clone())).collect()
    };
    let mut want = vec![
        (Uuid::nil(), "2026-05-03".to_owned()),
        (a.id, "2026-05-03".to_owned()),
        (b.id, "2026-05-10".to_owned()),
    ];
    want.sort();
    let before = first_days(&app, customer).await;
    assert_eq!(days(&before), want);
    // The first sale from 갑 moves after the third: 갑's first day is then the third's
    // (later), any vendor's is 을's.
    backdate(&app, orders[0], "2026-06-20T03:00:00Z", None).await;
    let after = first_days(&app, customer).await;
    let mut want = vec![
        (Uuid::nil(), "2026-05-10".to_owned()),
        (a.id, "2026-06-01".to_owned()),
        (b.id, "2026-05-10".to_owned()),
    ];
    want.sort();
    assert_eq!(days(&after), want);
    let version = |rows: &[(Uuid, String, String)], v: Uuid| {
        rows.iter()
            .find(|r| r.0 == v)
            .map(|r| r.2.clone())
            .expect("row")
    };
    assert_eq!(
        version(&after, b.id),
        version(&before, b.id),
        "을's first day was rewritten by a change to 갑's days"
    );
    assert_ne!(version(&after, a.id), version(&before, a.id));
    let live = snapshot(&app).await;
    reports::rollup::rebuild(&app.state.db)
        .await
        .expect("rebuild");
    assert_eq!(snapshot(&app).await, live);
}

/// An order canceled before it was paid changes no rollup and leaves no row behind: the
/// consumer follows cancellations and expiries of every abandoned checkout.
#[tokio::test]
async fn an_order_never_paid_leaves_no_contribution_behind() {
    let app = spawn_app().await;
    let a = app.vendor("갑").await;
    let (_, va) = new_product(&app, &a, 8_000).await;
    let (c, done) = checkout(&app, va, 1, None).await;
    assert_eq!(done.status, 201, "{}", done.body);
    let order: Uuid = done.json["order_id"]
        .as_str()
        .expect("order")
        .parse()
        .expect("uuid");
    let r = c
        .post(&format!("/v1/orders/{order}/cancel"), &json!({}))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    app.settle().await;
    assert!(
        !reports::rollup::apply_order(&app.state.db, order)
            .await
            .expect("apply")
    );
    let rows = app
        .state
        .db
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT (SELECT count(*) FROM reports.order_contributions WHERE order_id = $1) AS mine, \
                 (SELECT count(*) FROM reports.order_contributions) AS all_rows",
            [order.into()],
        ))
        .await
        .expect("count")
        .expect("row");
    assert_eq!(rows.try_get::<i64>("", "mine").expect("n"), 0);
    assert_eq!(rows.try_get::<i64>("", "all_rows").expect("n"), 0);
    assert!(snapshot(&app).await.is_empty());
}
