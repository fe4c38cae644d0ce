use jikgu_tests::fixtures::{address, token_customer};
use jikgu_tests::{Client, Reply, TestApp, spawn_app};
use platform::auth::Role;
use serde_json::json;
use uuid::Uuid;

pub(crate) async fn variant(app: &TestApp, pid: Uuid) -> Uuid {
    let page = app.client.get(&format!("/v1/products/{pid}")).await;
    page.json["variants"][0]["id"]
        .as_str()
        .expect("variant")
        .parse()
        .expect("uuid")
}

async fn checkout(c: &Client, key: &str, postal: &str, total: i64) -> Reply {
    let rb = c
        .request(reqwest::Method::POST, "/v1/checkout")
        .header("idempotency-key", key)
        .json(&json!({"address": address(postal), "expected_total": total}));
    Client::send(rb).await
}

#[tokio::test]
async fn a_customer_buys_pays_and_the_vendor_ships() {
    let app = spawn_app().await;
    let cat = app.category("kimchi", None, &[]).await;
    let v = app.vendor("강화순무농장").await;
    let pid = app
        .product(&v, cat, "강화순무김치 1kg", &[], &[("K1", 12900, 10)])
        .await;
    let vid = variant(&app, pid).await;
    let (c, _) = app.account(Role::Customer, None).await;

    let cart = c
        .put(
            &format!("/v1/carts/current/lines/{vid}"),
            &json!({"quantity": 2}),
        )
        .await;
    assert_eq!(cart.status, 200, "{}", cart.body);
    // 25,800 is under the 30,000 free-shipping threshold: 3,000 shipping.
    assert_eq!(cart.json["quote"]["totals"]["grand_total"], 28800);
    let jeju = c.get("/v1/carts/current?postal_code=63100").await;
    assert_eq!(jeju.json["quote"]["totals"]["shipping_surcharge"], 3000);
    assert_eq!(jeju.json["quote"]["totals"]["grand_total"], 31800);

    // The total the customer saw is stale: 409 with the new quote, nothing written.
    let stale = checkout(&c, "k-stale", "21554", 25800).await;
    stale.assert_problem(409, "quote_changed");
    assert_eq!(stale.json["extra"]["quote"]["totals"]["grand_total"], 28800);
    // Its stock was held before the total was compared, and let go with the refusal.
    app.settle().await;
    assert_eq!(
        app.client.get(&format!("/v1/products/{pid}")).await.json["variants"][0]["available"],
        10
    );

    let done = checkout(&c, "k-1", "21554", 28800).await;
    assert_eq!(done.status, 201, "{}", done.body);
    let order_id = done.json["order_id"].as_str().expect("order").to_owned();
    assert_eq!(done.json["status"], "pending_payment");
    assert_eq!(done.json["payment"]["gateway"], "test");
    // Stock is held, the cart is empty.
    app.settle().await;
    assert_eq!(
        app.client.get(&format!("/v1/products/{pid}")).await.json["variants"][0]["available"],
        8
    );
    assert_eq!(c.get("/v1/carts/current").await.json["lines"], json!([]));

    let paid = c
        .post(
            &format!("/v1/payments/test/orders/{order_id}/pay"),
            &json!({}),
        )
        .await;
    assert_eq!(paid.status, 200, "{}", paid.body);
    assert_eq!(paid.json["status"], "paid");
    let vo = paid.json["vendor_orders"][0]["id"]
        .as_str()
        .expect("vendor order")
        .to_owned();
    assert_eq!(paid.json["vendor_orders"][0]["status"], "preparing");

    let mine = v.client.get("/v1/vendor/orders").await;
    assert_eq!(mine.json["items"][0]["id"], vo.as_str(), "{}", mine.body);
    // Illegal jumps are 409.
    v.client
        .post(&format!("/v1/vendor/orders/{vo}/deliver"), &json!({}))
        .await
        .assert_problem(409, "illegal_transition");
    let r = v
        .client
        .post(
            &format!("/v1/vendor/orders/{vo}/ship"),
            &json!({"courier": "CJ대한통운", "tracking_number": "6543210987"}),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
    c.post(&format!("/v1/orders/{order_id}/cancel"), &json!({}))
        .await
        .assert_problem(409, "illegal_transition");
    assert_eq!(
        v.client
            .post(&format!("/v1/vendor/orders/{vo}/deliver"), &json!({}))
            .await
            .status,
        204
    );
    let confirmed = c
        .post(
            &format!("/v1/orders/{order_id}/vendor-orders/{vo}/confirm"),
            &json!({}),
        )
        .await;
    assert_eq!(confirmed.status, 200, "{}", confirmed.body);
    assert_eq!(confirmed.json["status"], "completed");
    let history: Vec<&str> = confirmed.json["history"]
        .as_array()
        .expect("history")
        .iter()
        .filter_map(|h| h["to"].as_str())
        .collect();
    assert_eq!(
        history,
        [
            "pending_payment",
            "paid",
            "shipped",
            "delivered",
            "confirmed",
            "completed"
        ]
    );

    // Another vendor sees none of it.
    let other = app.vendor("옹진수산").await;
    other
        .client
        .post(
            &format!("/v1/vendor/orders/{vo}/ship"),
            &json!({"courier": "x", "tracking_number": "1"}),
        )
        .await
        .assert_problem(404, "not_found");
    assert_eq!(
        other.client.get("/v1/vendor/orders").await.json["items"],
        json!([])
    );
}

#[tokio::test]
async fn a_paid_order_canceled_before_shipping_is_refunded_and_restocked() {
    let app = spawn_app().await;
    let cat = app.category("rice", None, &[]).await;
    let v = app.vendor("강화섬쌀").await;
    let pid = app
        .product(&v, cat, "강화섬쌀 10kg", &[], &[("R10", 39000, 5)])
        .await;
    let vid = variant(&app, pid).await;
    let (c, _) = token_customer(&app);
    c.put(
        &format!("/v1/carts/current/lines/{vid}"),
        &json!({"quantity": 1}),
    )
    .await;
    let done = checkout(&c, "k", "21554", 39000).await;
    let order_id = done.json["order_id"].as_str().expect("order").to_owned();
    c.post(
        &format!("/v1/payments/test/orders/{order_id}/pay"),
        &json!({}),
    )
    .await;
    app.settle().await;
    assert_eq!(
        app.client.get(&format!("/v1/products/{pid}")).await.json["variants"][0]["available"],
        4
    );
    let canceled = c
        .post(&format!("/v1/orders/{order_id}/cancel"), &json!({}))
        .await;
    assert_eq!(canceled.status, 200, "{}", canceled.body);
    assert_eq!(canceled.json["status"], "canceled");
    assert_eq!(canceled.json["totals"]["refunded_total"], 39000);
    app.settle().await;
    assert_eq!(
        app.client.get(&format!("/v1/products/{pid}")).await.json["variants"][0]["available"],
        5
    );
}

/// A cart answer's lines: variant, quantity and the price first seen, in the cart's order.
pub(crate) fn cart_lines(r: &Reply) -> Vec<(String, i64, i64)> {
    r.json["lines"]
        .as_array()
        .expect("lines")
        .iter()
        .map(|l| {
            (
                l["variant_id"].as_str().expect("id").to_owned(),
                l["quantity"].as_i64().expect("quantity"),
                l["seen_unit_price"].as_i64().expect("seen price"),
            )
        })
        .collect()
}

/// A line set again keeps its place in the cart and the price it was first seen at; a
/// new line goes last; a removed one leaves the others in their order.
#[tokio::test]
async fn a_line_set_again_keeps_its_place_and_first_price() {
    let app = spawn_app().await;
    let cat = app.category("crab", None, &[]).await;
    let v = app.vendor("옹진수산").await;
    let mut vids = Vec::new();
    for (title, sku, price) in [
        ("옹진 꽃게", "C1", 39000),
        ("옹진 새우", "S1", 25000),
        ("옹진 굴", "O1", 18000),
    ] {
        let pid = app.product(&v, cat, title, &[], &[(sku, price, 10)]).await;
        vids.push(variant(&app, pid).await);
    }
    let (c, _) = token_customer(&app);
    let put = |vid: Uuid, quantity: u32| {
        let c = c.clone();
        async move {
            let r = c
                .put(
                    &format!("/v1/carts/current/lines/{vid}"),
                    &json!({"quantity": quantity}),
                )
                .await;
            assert_eq!(r.status, 200, "{}", r.body);
            r
        }
    };
    put(vids[0], 1).await;
    put(vids[1], 1).await;
    v.client
        .patch(
            &format!("/v1/vendor/variants/{}", vids[0]),
            &json!({"price": 42000}),
        )
        .await;
    put(vids[0], 3).await;
    let r = put(vids[2], 2).await;
    assert_eq!(
        cart_lines(&r),
        [
            (vids[0].to_string(), 3, 39000),
            (vids[1].to_string(), 1, 25000),
            (vids[2].to_string(), 2, 18000),
        ],
        "{}",
        r.body
    );
    let r = c
        .delete(&format!("/v1/carts/current/lines/{}", vids[1]))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        cart_lines(&r),
        [
            (vids[0].to_string(), 3, 39000),
            (vids[2].to_string(), 2, 18000)
        ],
        "{}",
        r.body
    );
    assert_eq!(
        cart_lines(&c.get("/v1/carts/current").await),
        cart_lines(&r)
    );
}

#[tokio::test]
async fn carts_flag_changes_and_merge_on_login() {
    let app = spawn_app().await;
    let cat = app.category("crab", None, &[]).await;
    let v = app.vendor("옹진수산").await;
    let pid = app
        .product(&v, cat, "옹진 꽃게 2kg", &[], &[("C2", 39000, 3)])
        .await;
    let vid = variant(&app, pid).await;

    let created = app.client.post("/v1/carts", &json!({})).await;
    let token = created.json["token"].as_str().expect("token").to_owned();
    let anon = |m: reqwest::Method, p: &str| {
        app.client
            .request(m, p)
            .header("x-cart-token", token.clone())
    };
    let r = Client::send(
        anon(
            reqwest::Method::PUT,
            &format!("/v1/carts/current/lines/{vid}"),
        )
        .json(&json!({"quantity": 2})),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);

    // The vendor raises the price: the cart says so.
    v.client
        .patch(
            &format!("/v1/vendor/variants/{vid}"),
            &json!({"price": 42000}),
        )
        .await;
    let r = Client::send(anon(reqwest::Method::GET, "/v1/carts/current")).await;
    assert_eq!(r.json["lines"][0]["price_changed"], true);
    assert_eq!(r.json["lines"][0]["unit_price"], 42000);
    assert_eq!(r.json["lines"][0]["seen_unit_price"], 39000);

    // Log in with 2 already in the customer's cart: 2 + 2 capped by the 3 in stock.
    let (c, _) = token_customer(&app);
    c.put(
        &format!("/v1/carts/current/lines/{vid}"),
        &json!({"quantity": 2}),
    )
    .await;
    let merged = Client::send(
        c.request(reqwest::Method::POST, "/v1/carts/current/merge")
            .header("x-cart-token", token.clone()),
    )
    .await;
    assert_eq!(merged.status, 200, "{}", merged.body);
    assert_eq!(merged.json["lines"][0]["quantity"], 3);
    Client::send(anon(reqwest::Method::GET, "/v1/carts/current"))
        .await
        .assert_problem(404, "not_found");

    // Archived: flagged unavailable and left out of the quote; checkout refuses.
    v.client
        .post(&format!("/v1/vendor/products/{pid}/archive"), &json!({}))
        .await;
    let r = c.get("/v1/carts/current").await;
    assert_eq!(r.json["lines"][0]["problem"], "unavailable");
    assert_eq!(r.json["quote"]["totals"]["grand_total"], 0);
    checkout(&c, "k", "21554", 0)
        .await
        .assert_problem(409, "line_unavailable");
}

/// A line write answers with the cart it leaves, quoted, without reading the cart back:
/// after every kind of write the answer is what a fresh read shows.
#[tokio::test]
async fn a_line_write_answers_with_the_cart_a_read_shows() {
    let app = spawn_app().await;
    let cat = app.category("laver", None, &[]).await;
    let (v1, v2) = (app.vendor("강화김").await, app.vendor("영흥수산").await);
    let a = variant(
        &app,
        app.product(&v1, cat, "강화 곱창김", &[], &[("G1", 9000, 5)])
            .await,
    )
    .await;
    let b = variant(
        &app,
        app.product(&v2, cat, "영흥 바지락", &[], &[("B1", 21000, 5)])
            .await,
    )
    .await;
    let (c, _) = token_customer(&app);
    let line = |vid: Uuid| format!("/v1/carts/current/lines/{vid}");
    let writes: Vec<(Uuid, u32)> = vec![(a, 1), (b, 2), (a, 3), (b, 0), (b, 1), (a, 0)];
    for (vid, quantity) in writes {
        let answer = c.put(&line(vid), &json!({ "quantity": quantity })).await;
        assert_eq!(answer.status, 200, "{}", answer.body);
        let read = c.get("/v1/carts/current").await;
        assert_eq!(
            answer.json["lines"], read.json["lines"],
            "after {vid} x{quantity}"
        );
        assert_eq!(answer.json["quote"]["totals"], read.json["quote"]["totals"]);
    }
    let read = c.get("/v1/carts/current").await;
    assert_eq!(read.json["lines"].as_array().map(Vec::len), Some(1));
    assert_eq!(read.json["lines"][0]["variant_id"], b.to_string());
    // 21,000 from one vendor: under the free-shipping threshold, so shipping is charged.
    assert!(read.json["quote"]["totals"]["grand_total"].as_i64() > Some(21000));

    let removed = c.delete(&line(b)).await;
    assert_eq!(removed.status, 200, "{}", removed.body);
    assert_eq!(removed.json["lines"], json!([]));
    assert_eq!(c.get("/v1/carts/current").await.json["lines"], json!([]));
}

/// A cart line write commits without waiting for the WAL flush, and leaves its connection
/// as it was: the checkout that follows on the same pooled connection commits its order
/// with the flush. (A trigger records the setting each row was written under, and by
/// which backend.)
#[tokio::test]
async fn cart_writes_skip_the_flush_wait_and_checkout_does_not() {
    use sea_orm::{ConnectionTrait, DbBackend, Statement};
    let app = spawn_app().await;
    let sql = |s: &str| Statement::from_string(DbBackend::Postgres, s.to_owned());
    for s in [
        "CREATE TABLE public.commit_modes (n serial, tab text, mode text, pid int)",
        "CREATE FUNCTION public.record_commit_mode() RETURNS trigger LANGUAGE plpgsql AS $$ \
         BEGIN INSERT INTO public.commit_modes (tab, mode, pid) \
             VALUES (TG_TABLE_NAME, current_setting('synchronous_commit'), pg_backend_pid()); \
         RETURN NULL; END $$",
        "CREATE TRIGGER record_commit_mode AFTER UPDATE ON orders.carts \
         FOR EACH ROW EXECUTE FUNCTION public.record_commit_mode()",
        "CREATE TRIGGER record_commit_mode AFTER INSERT ON orders.orders \
         FOR EACH ROW EXECUTE FUNCTION public.record_commit_mode()",
    ] {
        app.state.db.execute_raw(sql(s)).await.expect("trigger");
    }
    let modes = async |tab: &str| -> Vec<(String, i32)> {
        app.state
            .db
            .query_all_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT mode, pid FROM public.commit_modes WHERE tab = $1 ORDER BY n",
                [tab.into()],
            ))
            .await
            .expect("modes")
            .iter()
            .map(|r| {
                (
                    r.try_get("", "mode").expect("mode"),
                    r.try_get("", "pid").expect("pid"),
                )
            })
            .collect()
    };
    let vid = crate::round_trips::one_vendor(&app, &[("천일염 5kg", "S5", 30000)]).await[0].1;
    let (c, _) = app.account(Role::Customer, None).await;
    let line = format!("/v1/carts/current/lines/{vid}");
    c.put(&line, &json!({"quantity": 1})).await;
    let r = c.put(&line, &json!({"quantity": 2})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let writes = modes("carts").await;
    assert_eq!(writes.len(), 2, "{writes:?}");
    assert!(writes.iter().all(|(m, _)| m == "off"), "{writes:?}");

    let total = r.json["quote"]["totals"]["grand_total"]
        .as_i64()
        .expect("total");
    let placed = checkout(&c, "k-flush", "21554", total).await;
    assert_eq!(placed.status, 201, "{}", placed.body);
    let orders = modes("orders").await;
    assert_eq!(orders.len(), 1, "{orders:?}");
    assert_eq!(orders[0].0, "on", "the order waits for its flush");
    // One request at a time: the pool hands the checkout a connection a line write used,
    // so a setting the write left behind would have shown here.
    assert!(
        writes.iter().any(|(_, pid)| *pid == orders[0].1),
        "checkout ran on a connection no line write used: {writes:?} {orders:?}"
    );
}

/// Cart edits take their connections from the yielding share of the hot pool and
/// checkout from the whole of it (`orders::http::carts`, `platform::autocommit`): with
/// the share held, a line write waits for it while a checkout still goes through, and
/// the write is answered once a place is free.
#[tokio::test]
async fn a_checkout_goes_through_while_cart_edits_wait_for_their_share() {
    use std::time::Duration;
    let app = spawn_app().await;
    let vid =
        crate::round_trips::one_vendor(&app, &[("강화 사자발쑥 50g", "SJ50", 12000)]).await[0].1;
    let line = format!("/v1/carts/current/lines/{vid}");
    let (buyer, _) = app.account(Role::Customer, None).await;
    let filled = buyer.put(&line, &json!({"quantity": 1})).await;
    assert_eq!(filled.status, 200, "{}", filled.body);
    let total = filled.json["quote"]["totals"]["grand_total"]
        .as_i64()
        .expect("total");
    let (browser, _) = app.account(Role::Customer, None).await;

    // Take every place of the share (the hot pool is as large as the main one): one more
    // begin waits. Each begin is awaited to the end, so a slow connect on a loaded machine
    // cannot leave a place free.
    let share = platform::autocommit::yielding_share(app.state.config.db_max_connections as usize);
    let carts = app.state.autocommit.yielding();
    let mut held = Vec::new();
    for _ in 0..share {
        held.push(carts.begin().await.expect("begin"));
    }
    let more = tokio::time::timeout(Duration::from_millis(300), carts.begin()).await;
    assert!(more.is_err(), "the share of {share} is taken");

    let edit = tokio::spawn(async move { browser.put(&line, &json!({"quantity": 2})).await });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !edit.is_finished(),
        "a line write waits while the share is taken"
    );
    // Bounded, so that a checkout queued behind the share fails here instead of waiting
    // out the pool's 30 s acquire timeout.
    let placed = tokio::time::timeout(
        Duration::from_secs(10),
        checkout(&buyer, "k-share", "21554", total),
    )
    .await
    .expect("checkout does not wait for the cart share");
    assert_eq!(placed.status, 201, "{}", placed.body);
    assert!(!edit.is_finished(), "the line write still waits");

    drop(held);
    let written = edit.await.expect("edit task");
    assert_eq!(written.status, 200, "{}", written.body);
    assert_eq!(written.json["lines"][0]["quantity"], 2, "{}", written.body);
}

/// A bridge-connected island that shares a postal code with real islands is not charged
/// the surcharge (FTC, 2025-10): the exemptions the shop keeps as data reach checkout's
/// quote, by road name and by building number, and only the addresses they name.
#[tokio::test]
async fn remote_area_exemptions_spare_the_addresses_they_name() {
    use sea_orm::{ConnectionTrait, DbBackend, Statement};
    let app = spawn_app().await;
    for (road, building) in [
        (Some("교동남로"), None),
        (None, Some("2871025021100010000000001")),
    ] {
        app.state
            .db
            .execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "INSERT INTO catalog.remote_area_exemptions (postal_code, road_name, building_no, note) \
                 VALUES ('23006', $1, $2, '연륙교로 이어진 섬')",
                [road.map(str::to_owned).into(), building.map(str::to_owned).into()],
            ))
            .await
            .expect("exemption");
    }
    let cat = app.category("rice", None, &[]).await;
    let v = app.vendor("강화섬쌀").await;
    let pid = app
        .product(&v, cat, "강화섬쌀 10kg", &[], &[("R10", 40000, 10)])
        .await;
    let vid = variant(&app, pid).await;
    let (c, _) = app.account(Role::Customer, None).await;
    let at = |road: &str, building: Option<&str>| {
        json!({"recipient": "김교동", "phone": "010-1234-5678", "postal_code": "23006",
               "road_address": road, "detail": "", "building_no": building})
    };
    let buy = |key: &'static str, address: serde_json::Value, total: i64| {
        let c = c.clone();
        async move {
            Client::send(
                c.request(reqwest::Method::POST, "/v1/checkout")
                    .header("idempotency-key", key)
                    .json(&json!({"address": address, "expected_total": total})),
            )
            .await
        }
    };
    let line = format!("/v1/carts/current/lines/{vid}");
    // 40,000 ships free; the island range 23004-23010 adds 5,000.
    c.put(&line, &json!({"quantity": 1})).await;
    let charged = buy(
        "k-island",
        at("인천광역시 강화군 삼산면 삼산남로 10", None),
        40000,
    )
    .await;
    charged.assert_problem(409, "quote_changed");
    assert_eq!(
        charged.json["extra"]["quote"]["totals"]["shipping_surcharge"],
        5000
    );
    let by_road = buy(
        "k-road",
        at("인천광역시 강화군 교동면 교동남로 229", None),
        40000,
    )
    .await;
    assert_eq!(by_road.status, 201, "{}", by_road.body);

    c.put(&line, &json!({"quantity": 1})).await;
    let by_building = buy(
        "k-building",
        at(
            "인천광역시 강화군 교동면 대룡안길 9",
            Some("28710-25021-10001-0000-000001"),
        ),
        40000,
    )
    .await;
    assert_eq!(by_building.status, 201, "{}", by_building.body);
}

#[tokio::test]
async fn checkout_input_is_checked() {
    let app = spawn_app().await;
    let (c, _) = token_customer(&app);
    let no_key = c
        .post(
            "/v1/checkout",
            &json!({"address": address("21554"), "expected_total": 0}),
        )
        .await;
    no_key.assert_problem(422, "validation_failed");
    checkout(&c, "k", "21554", 0)
        .await
        .assert_problem(422, "empty_cart");
    let bad = Client::send(
        c.request(reqwest::Method::POST, "/v1/checkout")
            .header("idempotency-key", "k2")
            .json(&json!({"address": {"recipient": "", "phone": "call me", "postal_code": "1234", "road_address": "x"}, "expected_total": 0})),
    )
    .await;
    bad.assert_problem(422, "validation_failed");
    assert_eq!(bad.json["errors"].as_array().map(Vec::len), Some(3));
    let (vendor_client, _) = app.account(Role::Vendor, Some(Uuid::now_v7())).await;
    checkout(&vendor_client, "k", "21554", 0)
        .await
        .assert_problem(403, "forbidden");
}

#[tokio::test]
async fn returns_refund_by_line_and_the_parts_add_up() {
    let app = spawn_app().await;
    let cat = app.category("crafts", None, &[]).await;
    let v = app.vendor("강화화문석").await;
    let pid = app
        .product(&v, cat, "왕골 컵받침", &[], &[("WG-1", 10000, 10)])
        .await;
    let vid = variant(&app, pid).await;
    let (c, _) = token_customer(&app);
    c.put(
        &format!("/v1/carts/current/lines/{vid}"),
        &json!({"quantity": 3}),
    )
    .await;
    let done = checkout(&c, "k", "21554", 30000).await;
    let order_id = done.json["order_id"].as_str().expect("order").to_owned();
    let paid = c
        .post(
            &format!("/v1/payments/test/orders/{order_id}/pay"),
            &json!({}),
        )
        .await;
    let vo = paid.json["vendor_orders"][0]["id"]
        .as_str()
        .expect("vo")
        .to_owned();
    let ret = json!({"vendor_order_id": vo, "reason": "change_of_mind", "lines": [{"variant_id": vid, "quantity": 1}]});
    // Not delivered yet.
    c.post(&format!("/v1/orders/{order_id}/returns"), &ret)
        .await
        .assert_problem(409, "illegal_transition");
    v.ship_and_deliver(&vo).await;

    let r = c
        .post(&format!("/v1/orders/{order_id}/returns"), &ret)
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let first = r.json["return_id"].as_str().expect("id").to_owned();
    let other = app.vendor("다른공방").await;
    other
        .client
        .post(
            &format!("/v1/vendor/orders/returns/{first}/accept"),
            &json!({}),
        )
        .await
        .assert_problem(404, "not_found");
    let a = v
        .client
        .post(
            &format!("/v1/vendor/orders/returns/{first}/accept"),
            &json!({}),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    // 10,000 back less the 3,000 return shipping the customer pays for a change of mind.
    assert_eq!(a.json["refund"], 7000);
    v.client
        .post(
            &format!("/v1/vendor/orders/returns/{first}/accept"),
            &json!({}),
        )
        .await
        .assert_problem(409, "illegal_transition");

    let rest = json!({"vendor_order_id": vo, "reason": "defective", "lines": [{"variant_id": vid, "quantity": 2}]});
    let r = c
        .post(&format!("/v1/orders/{order_id}/returns"), &rest)
        .await;
    let second = r.json["return_id"].as_str().expect("id").to_owned();
    let a = v
        .client
        .post(
            &format!("/v1/vendor/orders/returns/{second}/accept"),
            &json!({}),
        )
        .await;
    assert_eq!(a.json["refund"], 20000);
    let order = c.get(&format!("/v1/orders/{order_id}")).await;
    assert_eq!(order.json["totals"]["refunded_total"], 27000);
    // Nothing left to return.
    c.post(&format!("/v1/orders/{order_id}/returns"), &rest)
        .await
        .assert_problem(422, "validation_failed");
    app.settle().await;
    assert_eq!(
        app.client.get(&format!("/v1/products/{pid}")).await.json["variants"][0]["available"],
        10
    );
}

/// Campaign prices and coupons reach checkout: the coupon is spent with the order and
/// given back when the order is canceled.
#[tokio::test]
async fn checkout_applies_campaign_prices_and_spends_coupons_once() {
    let app = spawn_app().await;
    let cat = app.category("ginseng", None, &[]).await;
    let v = app.vendor("강화인삼").await;
    let pid = app
        .product(&v, cat, "강화인삼정과", &[], &[("GS", 30000, 10)])
        .await;
    let vid = variant(&app, pid).await;
    let (m, _) = app.account(Role::Marketer, None).await;
    let kst = |t: chrono::DateTime<chrono::Utc>| promotions::seoul::show(t).to_rfc3339();
    let now = chrono::Utc::now();
    let c = m
        .post(
            "/v1/marketing/campaigns",
            &json!({"title": "인천 특산물 기획전", "slug": "incheon-special", "theme": "특산물",
                    "starts_at": kst(now - chrono::Duration::hours(1)), "ends_at": kst(now + chrono::Duration::days(1))}),
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
    assert!(
        m.post(
            &format!("/v1/marketing/campaigns/{cid}/schedule"),
            &json!({})
        )
        .await
        .status
            < 300
    );
    let cp = m
        .post(
            "/v1/marketing/coupons",
            &json!({"name": "첫 구매", "code": "FIRST3000", "kind": "amount_off", "amount": 3000, "min_order": 20000,
                    "total_uses": 1, "starts_at": kst(now - chrono::Duration::hours(1)), "ends_at": kst(now + chrono::Duration::days(1))}),
        )
        .await;
    assert_eq!(cp.status, 201, "{}", cp.body);

    let (a, _) = token_customer(&app);
    a.put(
        &format!("/v1/carts/current/lines/{vid}"),
        &json!({"quantity": 1}),
    )
    .await;
    let cart = a.get("/v1/carts/current?coupon=FIRST3000").await;
    assert_eq!(cart.status, 200, "{}", cart.body);
    // 30,000 − 10% = 27,000; − 3,000 coupon = 24,000; under 30,000: + 3,000 shipping.
    assert_eq!(
        cart.json["quote"]["totals"]["grand_total"], 27000,
        "{}",
        cart.body
    );
    assert_eq!(
        cart.json["quote"]["lines"][0]["applied"]["campaign_id"],
        cid.as_str()
    );
    let order = Client::send(
        a.request(reqwest::Method::POST, "/v1/checkout")
            .header("idempotency-key", "with-coupon")
            .json(&json!({"address": address("21554"), "expected_total": 27000, "coupon_codes": ["FIRST3000"]})),
    )
    .await;
    assert_eq!(order.status, 201, "{}", order.body);
    let order_id = order.json["order_id"].as_str().expect("id").to_owned();

    // The coupon had one use: the next customer cannot have it.
    let (b, _) = token_customer(&app);
    b.put(
        &format!("/v1/carts/current/lines/{vid}"),
        &json!({"quantity": 1}),
    )
    .await;
    let refused = Client::send(
        b.request(reqwest::Method::POST, "/v1/checkout")
            .header("idempotency-key", "late")
            .json(&json!({"address": address("21554"), "expected_total": 27000, "coupon_codes": ["FIRST3000"]})),
    )
    .await;
    assert!(
        refused.status >= 400 && refused.status < 500,
        "{}",
        refused.body
    );

    // Canceling gives the use back.
    assert_eq!(
        a.post(&format!("/v1/orders/{order_id}/cancel"), &json!({}))
            .await
            .status,
        200
    );
    let again = Client::send(
        b.request(reqwest::Method::POST, "/v1/checkout")
            .header("idempotency-key", "after-cancel")
            .json(&json!({"address": address("21554"), "expected_total": 27000, "coupon_codes": ["FIRST3000"]})),
    )
    .await;
    assert_eq!(again.status, 201, "{}", again.body);
}

/// By the default stacking policy an order coupon and a shipping coupon go together: both
/// are quoted, both are spent at checkout; a second order coupon is explained and kept.
#[tokio::test]
async fn an_order_coupon_and_a_shipping_coupon_are_spent_together() {
    let app = spawn_app().await;
    let cat = app.category("rice", None, &[]).await;
    let v = app.vendor("강화섬쌀").await;
    let pid = app
        .product(&v, cat, "강화섬쌀 4kg", &[], &[("RICE4", 20000, 10)])
        .await;
    let vid = variant(&app, pid).await;
    let (m, _) = app.account(Role::Marketer, None).await;
    let kst = |t: chrono::DateTime<chrono::Utc>| promotions::seoul::show(t).to_rfc3339();
    let now = chrono::Utc::now();
    let mut ids = Vec::new();
    for (code, kind, amount) in [
        ("RICE2000", "amount_off", Some(2000)),
        ("SHIPFREE", "free_shipping", None),
        ("RICE1000", "amount_off", Some(1000)),
    ] {
        let r = m
            .post(
                "/v1/marketing/coupons",
                &json!({"name": code, "code": code, "kind": kind, "amount": amount, "min_order": 0,
                        "starts_at": kst(now - chrono::Duration::hours(1)), "ends_at": kst(now + chrono::Duration::days(1))}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        ids.push(r.json["id"].as_str().expect("id").to_owned());
    }

    let (c, _) = app.account(Role::Customer, None).await;
    c.put(
        &format!("/v1/carts/current/lines/{vid}"),
        &json!({"quantity": 1}),
    )
    .await;
    let cart = c
        .get("/v1/carts/current?coupon=RICE2000,SHIPFREE,RICE1000")
        .await;
    assert_eq!(cart.status, 200, "{}", cart.body);
    // 20,000 − 2,000 (the better order coupon); the 3,000 base fee waived.
    let quote = &cart.json["quote"];
    assert_eq!(quote["totals"]["grand_total"], 18000, "{}", cart.body);
    let applied = |code: &str| {
        quote["coupons"]
            .as_array()
            .expect("coupons")
            .iter()
            .find(|o| o["code"] == code)
            .map(|o| o["applied"].clone())
    };
    assert_eq!(applied("RICE2000"), Some(json!(true)));
    assert_eq!(applied("SHIPFREE"), Some(json!(true)));
    assert_eq!(applied("RICE1000"), Some(json!(false)));

    let order = Client::send(
        c.request(reqwest::Method::POST, "/v1/checkout")
            .header("idempotency-key", "two-coupons")
            .json(
                &json!({"address": address("21554"), "expected_total": 18000,
                          "coupon_codes": ["RICE2000", "SHIPFREE", "RICE1000"]}),
            ),
    )
    .await;
    assert_eq!(order.status, 201, "{}", order.body);
    assert_eq!(order.json["grand_total"], 18000);
    for (id, used) in ids.iter().zip([1, 1, 0]) {
        let coupon = m.get(&format!("/v1/marketing/coupons/{id}")).await;
        assert_eq!(coupon.status, 200, "{}", coupon.body);
        assert_eq!(coupon.json["used_count"], used, "{}", coupon.body);
    }
}

#[tokio::test]
async fn a_time_deal_prices_the_cart_until_the_customer_has_taken_their_limit() {
    let app = spawn_app().await;
    let cat = app.category("crab", None, &[]).await;
    let v = app.vendor("옹진꽃게").await;
    let pid = app
        .product(&v, cat, "옹진 꽃게 1kg", &[], &[("CR", 40000, 10)])
        .await;
    let vid = variant(&app, pid).await;
    let (m, _) = app.account(Role::Marketer, None).await;
    let kst = |t: chrono::DateTime<chrono::Utc>| promotions::seoul::show(t).to_rfc3339();
    let now = chrono::Utc::now();
    let deal = m
        .post(
            "/v1/marketing/time-deals",
            &json!({"variant_id": vid, "deal_price": 30000, "quantity": 5, "per_customer_limit": 1,
                    "starts_at": kst(now - chrono::Duration::minutes(5)), "ends_at": kst(now + chrono::Duration::hours(1))}),
        )
        .await;
    assert_eq!(deal.status, 201, "{}", deal.body);

    let (c, _) = app.account(Role::Customer, None).await;
    let line = format!("/v1/carts/current/lines/{vid}");
    let cart = c.put(&line, &json!({"quantity": 1})).await;
    assert_eq!(cart.status, 200, "{}", cart.body);
    assert_eq!(cart.json["quote"]["lines"][0]["unit_price"], 30000);
    let total = cart.json["quote"]["totals"]["grand_total"]
        .as_i64()
        .expect("total");
    let done = checkout(&c, "k-deal", "21554", total).await;
    assert_eq!(done.status, 201, "{}", done.body);

    // The customer has taken their one unit of the deal: the list price again.
    let again = c.put(&line, &json!({"quantity": 1})).await;
    assert_eq!(again.status, 200, "{}", again.body);
    assert_eq!(again.json["quote"]["lines"][0]["unit_price"], 40000);
}

/// A cart nobody used for 30 days is deleted by the orders job, and writing a line makes
/// an old cart used again. A write within the hour of the last one keeps the cart's time
/// (the row is then updated in place), which is still far inside the 30 days.
#[tokio::test]
async fn carts_idle_for_thirty_days_are_deleted_and_a_written_one_is_kept() {
    use sea_orm::{ConnectionTrait, DbBackend, Statement};
    let app = spawn_app().await;
    let cat = app.category("rice", None, &[]).await;
    let v = app.vendor("강화섬쌀").await;
    let vid = variant(
        &app,
        app.product(&v, cat, "강화 섬쌀 4kg", &[], &[("R4", 32000, 20)])
            .await,
    )
    .await;
    let line = format!("/v1/carts/current/lines/{vid}");
    let (kept, kept_id) = token_customer(&app);
    let (idle, _) = token_customer(&app);
    for c in [&kept, &idle] {
        let r = c.put(&line, &json!({"quantity": 1})).await;
        assert_eq!(r.status, 200, "{}", r.body);
    }
    let db = &app.state.db;
    let age = |interval: &str| {
        format!(
            "UPDATE orders.carts SET updated_at = now() - interval '{interval}' \
             WHERE customer_id IS NOT NULL"
        )
    };
    db.execute_unprepared(&age("31 days")).await.expect("age");
    let r = kept.put(&line, &json!({"quantity": 2})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let deleted = orders::carts::expire_idle(db).await.expect("expire");
    assert_eq!(deleted, 1, "only the cart nobody wrote");
    assert_eq!(
        kept.get("/v1/carts/current").await.json["lines"][0]["quantity"],
        2
    );
    assert_eq!(idle.get("/v1/carts/current").await.json["lines"], json!([]));

    db.execute_unprepared(&age("30 minutes"))
        .await
        .expect("age");
    let r = kept.put(&line, &json!({"quantity": 3})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT updated_at < now() - interval '29 minutes' AS kept_time FROM orders.carts \
             WHERE customer_id = $1",
            [kept_id.into()],
        ))
        .await
        .expect("query")
        .expect("the cart");
    assert!(
        row.try_get::<bool>("", "kept_time").expect("kept_time"),
        "a write within the hour keeps the cart's time"
    );
}

/// The test gateway as a gateway that opens payments over the network (Stripe's kind):
/// checkout then opens the payment after the order commits and records it apart.
struct OverTheNetwork(orders::payments::test_gateway::TestGateway);

#[async_trait::async_trait]
impl orders::payments::PaymentGateway for OverTheNetwork {
    fn name(&self) -> &'static str {
        self.0.name()
    }
    fn opens_locally(&self) -> bool {
        false
    }
    async fn open(
        &self,
        req: orders::payments::OpenPayment,
    ) -> Result<orders::payments::OpenedPayment, orders::payments::GatewayError> {
        self.0.open(req).await
    }
    async fn confirm(
        &self,
        req: orders::payments::ConfirmPayment,
    ) -> Result<orders::payments::PaymentOutcome, orders::payments::GatewayError> {
        self.0.confirm(req).await
    }
    async fn cancel(
        &self,
        payment_ref: &str,
        idempotency_key: &str,
    ) -> Result<(), orders::payments::GatewayError> {
        self.0.cancel(payment_ref, idempotency_key).await
    }
    async fn refund(
        &self,
        req: orders::payments::RefundRequest,
    ) -> Result<orders::payments::RefundOutcome, orders::payments::GatewayError> {
        self.0.refund(req).await
    }
    fn parse_webhook(
        &self,
        headers: &axum::http::HeaderMap,
        body: &[u8],
    ) -> Result<orders::payments::GatewayEvent, orders::payments::GatewayError> {
        self.0.parse_webhook(headers, body)
    }
}

/// With a gateway that opens payments over the network, checkout records the payment after
/// the order commits: its row, the order's reference and the stored answer, which a retry
/// with the same key is given again.
#[tokio::test]
async fn a_payment_opened_after_the_commit_is_recorded_and_replayed() {
    use crate::races::count;
    let ctx = orders::context::OrdersContext::with_gateway(std::sync::Arc::new(OverTheNetwork(
        orders::payments::test_gateway::TestGateway,
    )));
    let app = jikgu_tests::spawn_app_with_orders(ctx).await;
    let cat = app.category("laver", None, &[]).await;
    let v = app.vendor("강화김").await;
    let vid = variant(
        &app,
        app.product(&v, cat, "강화 곱창김", &[], &[("G1", 30000, 5)])
            .await,
    )
    .await;
    let (c, _) = token_customer(&app);
    let r = c
        .put(
            &format!("/v1/carts/current/lines/{vid}"),
            &json!({"quantity": 1}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let total = r.json["quote"]["totals"]["grand_total"]
        .as_i64()
        .expect("total");
    let first = checkout(&c, "over-the-network", "21554", total).await;
    assert_eq!(first.status, 201, "{}", first.body);
    let order_id = first.json["order_id"]
        .as_str()
        .expect("order id")
        .to_owned();
    let payment_ref = first.json["payment"]["payment_ref"]
        .as_str()
        .expect("payment ref")
        .to_owned();
    assert_eq!(
        count(
            &app,
            &format!(
                "SELECT count(*) AS n FROM orders.payments p JOIN orders.orders o ON o.id = p.order_id \
                 WHERE o.id = '{order_id}' AND p.payment_ref = '{payment_ref}' \
                 AND o.payment_ref = p.payment_ref"
            ),
        )
        .await,
        1,
        "the payment row and the order's reference"
    );
    let again = checkout(&c, "over-the-network", "21554", total).await;
    assert_eq!(again.status, 200, "{}", again.body);
    assert_eq!(again.json, first.json, "the stored answer");
    assert_eq!(
        count(&app, "SELECT count(*) AS n FROM orders.payments").await,
        1
    );
}
