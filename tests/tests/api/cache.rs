//! Hot storefront reads come from Redis, follow every change, and survive Redis going down.

use jikgu_tests::{TestApp, serve_state, spawn_app};
use sea_orm::ConnectionTrait;
use serde_json::json;
use std::process::{Command, Stdio};
use std::time::Duration;

/// Change a product's title in Postgres behind the app's back (no event): a cached answer
/// that still shows the old title was not read again.
async fn rename_behind_the_back(app: &TestApp, pid: uuid::Uuid, title: &str) {
    app.state
        .db
        .execute_raw(platform::db::pg(
            "UPDATE catalog.products SET title = $1 WHERE id = $2",
            [title.into(), pid.into()],
        ))
        .await
        .expect("update");
}

#[tokio::test]
async fn a_cache_hit_does_not_read_postgres_and_a_change_invalidates_it() {
    let app = spawn_app().await;
    let cat = app.category("kimchi", None, &[]).await;
    let v = app.vendor("강화순무농장").await;
    let pid = app
        .product(&v, cat, "강화순무김치", &[], &[("K1", 15900, 10)])
        .await;
    app.settle().await;
    let first = app.client.get(&format!("/v1/products/{pid}")).await;
    assert_eq!(first.json["title"], "강화순무김치");

    // Change the row behind the app's back: a hit must not see it, proving Postgres was
    // not read.
    rename_behind_the_back(&app, pid, "몰래 바뀐 제목").await;
    let cached = app.client.get(&format!("/v1/products/{pid}")).await;
    assert_eq!(cached.json["title"], "강화순무김치");

    // A change through the API is visible at once.
    let r = v
        .client
        .patch(
            &format!("/v1/vendor/products/{pid}"),
            &json!({"title": "강화순무김치 2kg"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let fresh = app.client.get(&format!("/v1/products/{pid}")).await;
    assert_eq!(fresh.json["title"], "강화순무김치 2kg");
}

/// Stock reserved by another service (checkout) reaches the cached page via the event
/// stream, not via a direct invalidation.
#[tokio::test]
async fn stock_events_from_elsewhere_invalidate_the_cached_page() {
    let app = spawn_app().await;
    let cat = app.category("crab", None, &[]).await;
    let v = app.vendor("옹진수산").await;
    let pid = app
        .product(&v, cat, "옹진 꽃게 2kg", &[], &[("C1", 39000, 10)])
        .await;
    let page = app.client.get(&format!("/v1/products/{pid}")).await;
    let vid: uuid::Uuid = page.json["variants"][0]["id"]
        .as_str()
        .expect("id")
        .parse()
        .expect("uuid");
    assert_eq!(page.json["variants"][0]["available"], 10);

    let txn = sea_orm::TransactionTrait::begin(&app.state.db)
        .await
        .expect("begin");
    catalog::stock::reserve(
        &txn,
        &[catalog::stock::StockLine {
            variant_id: vid,
            quantity: platform::quantity::Quantity::new(4).expect("a quantity"),
        }],
    )
    .await
    .expect("reserve");
    txn.commit().await.expect("commit");

    let mut available = json!(null);
    for _ in 0..50 {
        available =
            app.client.get(&format!("/v1/products/{pid}")).await.json["variants"][0]["available"]
                .clone();
        if available == 6 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(available, 6);
}

/// One read of the stream invalidates every page its events name, in one round trip: a
/// product's stock event and a vendor's change (every product of the vendor) together.
#[tokio::test]
async fn a_batch_of_events_invalidates_every_page_it_names() {
    let app = spawn_app().await;
    let cat = app.category("salt", None, &[]).await;
    let (va, vb) = (app.vendor("강화염전").await, app.vendor("영흥수산").await);
    let a = app
        .product(&va, cat, "강화 천일염", &[], &[("S1", 9000, 10)])
        .await;
    let b = app
        .product(&vb, cat, "영흥 멸치액젓", &[], &[("F1", 12000, 10)])
        .await;
    app.settle().await;
    let title = async |pid: uuid::Uuid| {
        app.client.get(&format!("/v1/products/{pid}")).await.json["title"].clone()
    };
    assert_eq!(title(a).await, "강화 천일염");
    assert_eq!(title(b).await, "영흥 멸치액젓");
    // Behind the app's back (no event): both pages stay as cached.
    for (pid, t) in [(a, "천일염 새 이름"), (b, "액젓 새 이름")] {
        rename_behind_the_back(&app, pid, t).await;
    }
    assert_eq!(title(a).await, "강화 천일염");
    assert_eq!(title(b).await, "영흥 멸치액젓");

    let event = |topic: &str, aggregate_id| platform::events::Event {
        event_id: uuid::Uuid::now_v7(),
        topic: topic.to_owned(),
        aggregate_id,
        payload: json!({}),
    };
    let events = [
        event(catalog::topics::STOCK_CHANGED, a),
        event("orders.something.else", uuid::Uuid::now_v7()),
        event(catalog::topics::VENDOR_UPDATED, vb.id),
    ];
    let outcomes = catalog::invalidation::handle_batch(&app.state, &events).await;
    assert_eq!(outcomes.len(), 3);
    assert!(outcomes.iter().all(Result::is_ok), "{outcomes:?}");
    assert_eq!(title(a).await, "천일염 새 이름");
    assert_eq!(title(b).await, "액젓 새 이름");
}

/// A stock event retires the cached lists only when a list can show it: a variant running
/// out or coming back (a list shows whether a product is in stock), or a sale (it moves
/// the popularity sort). A hold that leaves units on the shelf drops the product's page
/// and keeps the lists.
#[tokio::test]
async fn only_stock_events_a_list_shows_retire_the_cached_lists() {
    let app = spawn_app().await;
    let cat = app.category("laver", None, &[]).await;
    let v = app.vendor("강화김공방").await;
    let pid = app
        .product(&v, cat, "강화 재래김", &[], &[("L1", 8000, 10)])
        .await;
    app.settle().await;
    let page_title =
        async || app.client.get(&format!("/v1/products/{pid}")).await.json["title"].clone();
    let list_title =
        async || app.client.get("/v1/products").await.json["items"][0]["title"].clone();
    assert_eq!(page_title().await, "강화 재래김");
    assert_eq!(list_title().await, "강화 재래김");
    let stock_event = async |payload: serde_json::Value| {
        let event = platform::events::Event {
            event_id: uuid::Uuid::now_v7(),
            topic: catalog::topics::STOCK_CHANGED.to_owned(),
            aggregate_id: pid,
            payload,
        };
        let outcomes = catalog::invalidation::handle_batch(&app.state, &[event]).await;
        assert!(outcomes.iter().all(Result::is_ok), "{outcomes:?}");
    };
    let moved = |before: i64, after: i64| json!({"product_id": pid, "available_before": before, "available": after});

    rename_behind_the_back(&app, pid, "재래김 1").await;
    stock_event(moved(10, 9)).await;
    assert_eq!(
        page_title().await,
        "재래김 1",
        "the page shows availability"
    );
    assert_eq!(list_title().await, "강화 재래김", "a hold shows on no list");

    stock_event(moved(1, 0)).await;
    assert_eq!(list_title().await, "재래김 1", "sold out shows on the list");

    rename_behind_the_back(&app, pid, "재래김 2").await;
    stock_event(moved(0, 3)).await;
    assert_eq!(
        list_title().await,
        "재래김 2",
        "back in stock shows on the list"
    );

    rename_behind_the_back(&app, pid, "재래김 3").await;
    stock_event(moved(3, 3)).await;
    assert_eq!(
        list_title().await,
        "재래김 3",
        "a sale moves the popularity sort"
    );

    rename_behind_the_back(&app, pid, "재래김 4").await;
    stock_event(json!({"product_id": pid})).await;
    assert_eq!(
        list_title().await,
        "재래김 4",
        "an event without the figures (a vendor setting a count) may show anywhere"
    );
}

/// The same rule end to end: the stock module's own events, through the running
/// consumer. A hold keeps the cached list; a sale and a sell-out retire it. (The events'
/// figures are written by `catalog::stock` and read by the consumer: this fails if the two
/// drift apart.)
#[tokio::test]
async fn holds_keep_the_cached_list_and_sales_and_sell_outs_retire_it() {
    use catalog::stock::{self, StockLine};
    let app = spawn_app().await;
    let cat = app.category("seaweed", None, &[]).await;
    let v = app.vendor("영종미역").await;
    let pid = app
        .product(&v, cat, "영종 돌미역", &[], &[("M1", 12000, 10)])
        .await;
    app.settle().await;
    let page = async || app.client.get(&format!("/v1/products/{pid}")).await.json;
    let list_title =
        async || app.client.get("/v1/products").await.json["items"][0]["title"].clone();
    let vid: uuid::Uuid = page().await["variants"][0]["id"]
        .as_str()
        .expect("id")
        .parse()
        .expect("uuid");
    assert_eq!(list_title().await, "영종 돌미역");
    let line = |units| StockLine {
        variant_id: vid,
        quantity: platform::quantity::Quantity::new(units).expect("a quantity"),
    };
    // The consumer handles a read of the stream at once, so once the product's page shows
    // the event, the lists were kept or retired by it too.
    let page_shows = async |at: &str, expected: serde_json::Value| {
        for _ in 0..50 {
            if page().await.pointer(at) == Some(&expected) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the page never showed {expected} at {at}");
    };

    rename_behind_the_back(&app, pid, "돌미역 1").await;
    stock::reserve(&app.state.db, &[line(4)])
        .await
        .expect("hold");
    page_shows("/variants/0/available", json!(6)).await;
    assert_eq!(list_title().await, "영종 돌미역", "a hold shows on no list");

    rename_behind_the_back(&app, pid, "돌미역 2").await;
    stock::commit(&app.state.db, &[line(4)])
        .await
        .expect("sale");
    page_shows("/title", json!("돌미역 2")).await;
    assert_eq!(
        list_title().await,
        "돌미역 2",
        "a sale moves the popularity sort"
    );

    rename_behind_the_back(&app, pid, "돌미역 3").await;
    stock::reserve(&app.state.db, &[line(6)])
        .await
        .expect("hold the rest");
    page_shows("/variants/0/available", json!(0)).await;
    assert_eq!(list_title().await, "돌미역 3", "sold out shows on the list");
}

#[tokio::test]
async fn with_redis_down_reads_come_from_postgres() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("port");
    let start = || {
        Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "yes",
            ])
            .stdout(Stdio::null())
            .status()
            .expect("redis-server")
    };
    assert!(start().success());
    tokio::time::sleep(Duration::from_millis(300)).await;

    // Seed through a normal app, then serve the same database from an app on the private
    // Redis.
    let seeded = spawn_app().await;
    let cat = seeded.category("rice", None, &[]).await;
    let v = seeded.vendor("강화섬쌀").await;
    let pid = seeded
        .product(&v, cat, "강화섬쌀 10kg", &[], &[("R10", 39000, 10)])
        .await;
    let mut cfg = jikgu_tests::test_config(&seeded.db.url, "test:private:");
    cfg.redis_url = format!("redis://127.0.0.1:{port}").into();
    let state = jikgu::startup::connect(std::sync::Arc::new(cfg))
        .await
        .expect("connect");
    let db = jikgu_tests::database::TestDb::create().await; // owned by the second app, unused
    let app = serve_state(state, jikgu::Service::All, db).await;

    assert_eq!(
        app.client.get(&format!("/v1/products/{pid}")).await.status,
        200
    );
    let _ = Command::new("redis-cli")
        .args(["-p", &port.to_string(), "shutdown", "nosave"])
        .status();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let down = app.client.get(&format!("/v1/products/{pid}")).await;
    assert_eq!(down.status, 200, "{}", down.body);
    assert_eq!(down.json["title"], "강화섬쌀 10kg");
    let list = app.client.get("/v1/products").await;
    assert_eq!(list.status, 200, "{}", list.body);
    assert_eq!(list.json["items"].as_array().map(Vec::len), Some(1));
    drop(app);
}
