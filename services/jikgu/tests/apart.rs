//! The three services apart: catalog, orders and promotions run as separate `jikgu serve`
//! processes on their own ports, sharing one Postgres database (cloned from the migrated
//! template) and one Redis prefix, and a purchase walks through all three. Each serve
//! process runs its own workers (outbox relay, its event consumers), so no `jikgu worker`
//! is needed: the campaign statistics reach promotions through the event stream alone.

use chrono::{Duration, Utc};
use jikgu_tests::database::TestDb;
use jikgu_tests::fixtures::address;
use jikgu_tests::{Client, TEST_JWT_SECRET, TestApp, test_config};
use platform::auth::Role;
use serde_json::json;
use std::fs::File;
use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Instant;
use uuid::Uuid;

/// A port nobody listens on now: bind port 0, read it, let it go.
fn free_port() -> u16 {
    TcpListener::bind("0.0.0.0:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

struct Service {
    name: &'static str,
    port: u16,
    child: Child,
    log: PathBuf,
}

/// The running processes. Dropping it kills them (also when the test panics), and prints
/// their logs when it drops during a panic.
struct Processes(Vec<Service>);

impl Processes {
    fn url(&self, name: &str) -> String {
        let s = self
            .0
            .iter()
            .find(|s| s.name == name)
            .expect("a started service");
        format!("http://127.0.0.1:{}", s.port)
    }

    fn logs(&self) -> String {
        self.0
            .iter()
            .map(|s| {
                let log = std::fs::read_to_string(&s.log).unwrap_or_default();
                format!(
                    "----- jikgu serve {} (port {}) -----\n{log}",
                    s.name, s.port
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Wait until every process answers `/readyz`, or fail with the logs of all.
    async fn wait_ready(&mut self) {
        let http = reqwest::Client::builder()
            .no_proxy()
            .build()
            .expect("client");
        let deadline = Instant::now() + std::time::Duration::from_secs(60);
        for i in 0..self.0.len() {
            loop {
                let s = &mut self.0[i];
                if let Ok(Some(status)) = s.child.try_wait() {
                    panic!("jikgu serve {} exited with {status}", s.name);
                }
                let url = format!("http://127.0.0.1:{}/readyz", s.port);
                if let Ok(r) = http.get(&url).send().await
                    && r.status().is_success()
                {
                    break;
                }
                assert!(
                    Instant::now() < deadline,
                    "jikgu serve {} not ready in 60 s",
                    s.name
                );
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
        }
    }
}

impl Drop for Processes {
    fn drop(&mut self) {
        for s in &mut self.0 {
            let _ = s.child.kill();
            let _ = s.child.wait();
        }
        if std::thread::panicking() {
            eprintln!("{}", self.logs());
        }
        for s in &self.0 {
            let _ = std::fs::remove_file(&s.log);
        }
    }
}

fn start(names: &[&'static str], database_url: &str, redis_prefix: &str) -> Processes {
    let mut out = Processes(Vec::new());
    for &name in names {
        let port = free_port();
        let log = std::env::temp_dir().join(format!("jikgu-apart-{name}-{}.log", Uuid::now_v7()));
        let file = File::create(&log).expect("log file");
        let err = file.try_clone().expect("log file");
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_jikgu"));
        cmd.args(["serve", name, "--port", &port.to_string()])
            .env("DATABASE_URL", database_url)
            .env("JIKGU_REDIS_PREFIX", redis_prefix)
            .env("JIKGU_JWT_SECRET", TEST_JWT_SECRET.as_str())
            .env("JIKGU_DB_MAX_CONNECTIONS", "5")
            .env("PAYMENT_GATEWAY", "test")
            .env(
                "JIKGU_MEDIA_DIR",
                jikgu_tests::media_dir(redis_prefix).as_os_str(),
            )
            .env("RUST_LOG", "info")
            // The Postgres search backend: nothing outside this machine.
            .env_remove("MEILISEARCH_URL")
            .stdin(Stdio::null())
            .stdout(Stdio::from(file))
            .stderr(Stdio::from(err));
        let child = cmd.spawn().expect("start jikgu serve");
        // Pushed at once, so that a later failure still kills this one.
        out.0.push(Service {
            name,
            port,
            child,
            log,
        });
    }
    out
}

fn kst(t: chrono::DateTime<Utc>) -> String {
    promotions::seoul::show(t).to_rfc3339()
}

#[tokio::test]
async fn a_purchase_walks_through_three_separate_processes() {
    let db = TestDb::create().await;
    let prefix = format!("test:{}:", Uuid::now_v7().simple());
    let db_url = db.url.clone();
    // Fixtures are written straight through the owning crates' Rust APIs on a pool of this
    // test's own; it runs no server and no worker, so all the serving and every event
    // consumer below is the three processes' work.
    let state = jikgu::startup::connect(Arc::new(test_config(&db_url, &prefix)))
        .await
        .expect("Postgres and Redis");
    let mut procs = start(&["catalog", "orders", "promotions"], &db_url, &prefix);
    procs.wait_ready().await;
    let (catalog, orders, promos) = (
        procs.url("catalog"),
        procs.url("orders"),
        procs.url("promotions"),
    );
    let catalog_addr: SocketAddr = catalog.trim_start_matches("http://").parse().expect("addr");
    let shop = Shop {
        _processes: procs,
        app: TestApp::detached(state, db, catalog_addr),
    };
    let app = &shop.app;

    // The shop: a vendor's product, a marketer's live campaign at 10 % off, and a coupon.
    let cat = app.category("kimchi", None, &[]).await;
    let vendor = app.vendor("강화순무농장").await;
    let product = app
        .product(
            &vendor,
            cat,
            "강화순무김치 1kg",
            &["김치"],
            &[("SUNMU-1KG", 20000, 50)],
        )
        .await;
    let (marketer, _) = app.account(Role::Marketer, None).await;
    let marketer: Client = marketer.at(&promos);
    let now = Utc::now();
    let r = marketer
        .post(
            "/v1/marketing/campaigns",
            &json!({"title": "인천 농수산 특산물 기획전", "slug": "incheon-apart",
                    "starts_at": kst(now - Duration::hours(1)),
                    "ends_at": kst(now + Duration::days(3))}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let campaign = r.json["id"].as_str().expect("id").to_owned();
    for (path, body) in [
        (
            "sections",
            json!({"title": "베스트", "product_ids": [product]}),
        ),
        (
            "prices",
            json!({"product_id": product, "kind": "percent", "value": 10}),
        ),
    ] {
        let r = marketer
            .post(&format!("/v1/marketing/campaigns/{campaign}/{path}"), &body)
            .await;
        assert_eq!(r.status, 201, "{path}: {}", r.body);
    }
    let r = marketer
        .post(
            &format!("/v1/marketing/campaigns/{campaign}/schedule"),
            &json!({}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = marketer
        .post(
            "/v1/marketing/coupons",
            &json!({"name": "따로 쿠폰", "code": "APART2000", "kind": "amount_off", "amount": 2000,
                    "starts_at": kst(now - Duration::days(1)),
                    "ends_at": kst(now + Duration::days(1))}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);

    // A customer finds the product on the campaign page (promotions)…
    let (customer, _) = app.account(Role::Customer, None).await;
    let page = customer
        .at(&promos)
        .get("/v1/campaigns/incheon-apart")
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    let listed = &page.json["sections"][0]["products"][0];
    assert_eq!(listed["product_id"], product.to_string().as_str());
    assert_eq!(listed["price"], 18000);

    // …sees the campaign price on the product (catalog)…
    let shown = customer
        .at(&catalog)
        .get(&format!("/v1/products/{product}"))
        .await;
    assert_eq!(shown.status, 200, "{}", shown.body);
    assert_eq!(shown.json["sale_price"], 18000, "{}", shown.body);
    assert_eq!(shown.json["promotion"]["campaign"]["slug"], "incheon-apart");
    let variant = shown.json["variants"][0]["id"]
        .as_str()
        .expect("variant")
        .to_owned();

    // …adds two to a cart with the coupon and checks out (orders)…
    let shopper = customer.at(&orders);
    let cart = shopper
        .put(
            &format!("/v1/carts/current/lines/{variant}"),
            &json!({"quantity": 2}),
        )
        .await;
    assert_eq!(cart.status, 200, "{}", cart.body);
    let quoted = shopper.get("/v1/carts/current?coupon=APART2000").await;
    assert_eq!(quoted.status, 200, "{}", quoted.body);
    let quote = &quoted.json["quote"];
    assert_eq!(quote["lines"][0]["unit_price"], 18000, "{quote}");
    // 36,000 less the 2,000 coupon; over the 30,000 free-shipping threshold.
    let total = quote["totals"]["grand_total"].as_i64().expect("total");
    assert_eq!(total, 34000, "{quote}");
    let done = Client::send(
        shopper
            .request(reqwest::Method::POST, "/v1/checkout")
            .header("idempotency-key", "apart-1")
            .json(
                &json!({"address": address("21554"), "expected_total": total,
                          "coupon_codes": ["APART2000"]}),
            ),
    )
    .await;
    assert_eq!(done.status, 201, "{}", done.body);
    let order = done.json["order_id"].as_str().expect("order").to_owned();

    // …pays with the test gateway, the way a Toss payment is confirmed: what the payment
    // window's success redirect carries goes to the confirm endpoint…
    let window = &done.json["payment"]["redirect"];
    assert_eq!(window["amount"], total, "{window}");
    let paid = shopper
        .post(
            window["confirmUrl"].as_str().expect("confirmUrl"),
            &json!({"paymentKey": window["paymentKey"], "orderId": window["orderId"],
                    "amount": window["amount"]}),
        )
        .await;
    assert_eq!(paid.status, 200, "{}", paid.body);
    assert_eq!(paid.json["status"], "paid");
    assert_eq!(paid.json["order_id"], order.as_str());

    // …and the campaign's statistics count the order (promotions, via events).
    let deadline = Instant::now() + std::time::Duration::from_secs(30);
    let stats = loop {
        let stats = marketer
            .get(&format!("/v1/marketing/campaigns/{campaign}/stats"))
            .await;
        assert_eq!(stats.status, 200, "{}", stats.body);
        if stats.json["orders"] == 1 || Instant::now() > deadline {
            break stats.json;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    };
    assert_eq!(stats["orders"], 1, "{stats}");
    assert_eq!(stats["units"], 2, "{stats}");
    assert_eq!(stats["revenue"], 34000, "{stats}");
}

/// The processes and the app, in the order they must go (fields drop in declaration
/// order): the processes are killed before the app drops the database they use.
struct Shop {
    _processes: Processes,
    app: TestApp,
}
