use jikgu_tests::{spawn_app, spawn_app_with};
use std::process::{Command, Stdio};
use std::time::Duration;

#[tokio::test]
async fn healthz_and_readyz_answer_when_everything_is_up() {
    let app = spawn_app().await;
    let r = app.client.get("/healthz").await;
    assert_eq!(r.status, 200);
    let r = app.client.get("/readyz").await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json["postgres"], "up");
    assert_eq!(r.json["redis"], "up");
    assert!(r.headers.contains_key("x-request-id"));
}

#[tokio::test]
async fn metrics_count_requests_per_matched_route() {
    let app = spawn_app().await;
    app.client.get("/healthz").await;
    let r = app.client.get("/metrics").await;
    assert_eq!(r.status, 200);
    assert!(r.body.contains("http_requests_total"), "{}", r.body);
    assert!(r.body.contains(r#"route="/healthz""#), "{}", r.body);
    assert!(r.body.contains("http_request_duration_seconds_bucket"));
}

/// A browser's preflight from a configured origin is allowed; from any other origin, or
/// when no origin is configured, the answer carries no allowance.
#[tokio::test]
async fn cross_origin_calls_are_allowed_only_from_configured_origins() {
    async fn preflight(app: &jikgu_tests::TestApp, origin: &str) -> jikgu_tests::Reply {
        jikgu_tests::Client::send(
            app.client
                .request(reqwest::Method::OPTIONS, "/v1/products")
                .header("origin", origin)
                .header("access-control-request-method", "GET"),
        )
        .await
    }
    let shop = "https://shop.incheon.example";
    let app = spawn_app_with(jikgu::Service::All, |c| c.cors_origins = vec![shop.into()]).await;
    let r = preflight(&app, shop).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.headers["access-control-allow-origin"], shop);
    let r = preflight(&app, "https://elsewhere.example").await;
    assert!(!r.headers.contains_key("access-control-allow-origin"));

    let app = spawn_app().await;
    let r = preflight(&app, shop).await;
    assert!(!r.headers.contains_key("access-control-allow-origin"));
    let r = app.client.get("/v1/categories").await;
    assert_eq!(r.status, 200);
    assert!(!r.headers.contains_key("access-control-allow-origin"));
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn start_redis(port: u16) {
    let status = Command::new("redis-server")
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
        .expect("redis-server is installed (bash infra/services.sh)");
    assert!(status.success());
}

fn stop_redis(port: u16) {
    let _ = Command::new("redis-cli")
        .args(["-p", &port.to_string(), "shutdown", "nosave"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// A private Redis server is stopped under a running app and started again: readiness
/// follows it both ways without a restart. Without Redis the app is degraded, not
/// unready (it sells from Postgres); without Postgres it would be unready.
#[tokio::test]
async fn readyz_follows_redis_down_and_back_up() {
    let (app, port) = app_on_private_redis().await;

    stop_redis(port);
    assert_eq!(wait_for_redis(&app, "down").await, "down");
    let r = app.client.get("/readyz").await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json["status"], "degraded");
    assert_eq!(r.json["postgres"], "up");
    // Liveness does not depend on Redis.
    assert_eq!(app.client.get("/healthz").await.status, 200);

    start_redis(port);
    let back = wait_for_redis(&app, "up").await;
    stop_redis(port);
    assert_eq!(back, "up");
}

/// An app on a Redis server of its own (so that the test can stop it), up and used.
async fn app_on_private_redis() -> (jikgu_tests::TestApp, u16) {
    let port = free_port();
    start_redis(port);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let app = spawn_app_with(jikgu::Service::All, |cfg| {
        cfg.redis_url = format!("redis://127.0.0.1:{port}").into();
    })
    .await;
    assert_eq!(wait_for_redis(&app, "up").await, "up");
    (app, port)
}

/// What `/readyz` says of Redis, once it says `want` or after about 15 s.
async fn wait_for_redis(app: &jikgu_tests::TestApp, want: &str) -> String {
    let mut last = String::new();
    for _ in 0..60 {
        let r = app.client.get("/readyz").await;
        last = r.json["redis"].as_str().unwrap_or_default().to_owned();
        if last == want {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    last
}

/// Redis unreachable at start: the app starts anyway, degraded, serves from Postgres, and
/// takes Redis up once it answers.
#[tokio::test]
async fn the_app_starts_without_redis_and_takes_it_up_when_it_comes() {
    let port = free_port();
    let app = spawn_app_with(jikgu::Service::All, |cfg| {
        cfg.redis_url = format!("redis://127.0.0.1:{port}").into();
    })
    .await;
    let r = app.client.get("/readyz").await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json["status"], "degraded");
    assert_eq!(r.json["redis"], "down");
    let cat = app.category("degraded", None, &[]).await;
    let v = app.vendor("무레디스상회").await;
    app.product(&v, cat, "레디스 없는 김치", &[], &[("R-1", 9000, 3)])
        .await;
    let r = app.client.get("/v1/products").await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json["items"].as_array().map(Vec::len), Some(1));

    start_redis(port);
    let back = wait_for_redis(&app, "up").await;
    stop_redis(port);
    assert_eq!(back, "up");
}

fn redis_pid(port: u16) -> String {
    let out = Command::new("redis-cli")
        .args(["-p", &port.to_string(), "info", "server"])
        .output()
        .expect("redis-cli");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("process_id:"))
        .map(|p| p.trim().to_owned())
        .expect("process_id")
}

fn signal(pid: &str, sig: &str) {
    let ok = Command::new("kill")
        .args([sig, pid])
        .status()
        .expect("kill")
        .success();
    assert!(ok, "kill {sig} {pid}");
}

/// A Redis that stops answering (stopped, not dead) costs a few requests its timeout,
/// then the breaker opens and requests are served from Postgres at once; when Redis
/// answers again it is used again.
#[tokio::test]
async fn a_silent_redis_is_short_circuited_and_taken_back() {
    let (app, port) = app_on_private_redis().await;
    let pid = redis_pid(port);
    signal(&pid, "-STOP");

    // Within a few requests the breaker is open...
    let mut slow = 0;
    loop {
        let started = std::time::Instant::now();
        let r = app.client.get("/v1/products").await;
        assert_eq!(r.status, 200, "{}", r.body);
        if started.elapsed() < Duration::from_millis(500) {
            break;
        }
        slow += 1;
        if slow > 4 {
            signal(&pid, "-CONT");
            stop_redis(port);
            panic!("every request still waits on the silent Redis");
        }
    }
    // ... and then every request is quick.
    let started = std::time::Instant::now();
    for _ in 0..10 {
        assert_eq!(app.client.get("/v1/products").await.status, 200);
    }
    let ten = started.elapsed();
    let r = app.client.get("/readyz").await;
    signal(&pid, "-CONT");
    assert!(ten < Duration::from_secs(2), "10 requests took {ten:?}");
    assert_eq!(r.json["redis"], "down");
    assert_eq!(r.json["status"], "degraded");

    // Answering again: probed and taken back.
    let back = wait_for_redis(&app, "up").await;
    stop_redis(port);
    assert_eq!(back, "up");
}

/// Shutdown lets the server finish and return instead of hanging.
#[tokio::test]
async fn the_server_stops_cleanly_on_shutdown() {
    let app = spawn_app().await;
    let addr = app.addr;
    assert_eq!(app.client.get("/healthz").await.status, 200);
    tokio::time::timeout(Duration::from_secs(10), app.stop())
        .await
        .expect("server stopped within its grace period");
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
}

/// `/docs` works offline: every script and stylesheet it loads is served by the app
/// itself, nothing comes from a CDN.
#[tokio::test]
async fn docs_load_nothing_from_elsewhere() {
    let app = spawn_app().await;
    let page = app.client.get("/docs").await;
    assert_eq!(page.status, 200);
    assert!(page.content_type().starts_with("text/html"));
    let mut assets = Vec::new();
    for attr in ["src=\"", "href=\""] {
        for part in page.body.split(attr).skip(1) {
            let url = part.split('"').next().unwrap_or_default();
            assets.push(url.to_owned());
        }
    }
    assert!(
        !page.body.contains("http://") && !page.body.contains("https://"),
        "{}",
        page.body
    );
    assert!(assets.len() >= 3, "{assets:?}");
    let mut ui_found = false;
    for url in assets.iter().filter(|u| u.starts_with('/')) {
        let r = app.client.get(url).await;
        assert_eq!(r.status, 200, "{url}");
        if url.ends_with(".js") {
            assert!(r.content_type().starts_with("text/javascript"), "{url}");
            ui_found |= r.body.contains("SwaggerUIBundle");
        }
    }
    assert!(assets.iter().all(|u| u.starts_with('/')), "{assets:?}");
    assert!(ui_found, "the UI script is served");
}
