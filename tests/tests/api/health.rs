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

async fn wait_for_ready(app: &jikgu_tests::TestApp, want: u16) -> u16 {
    let mut last = 0;
    for _ in 0..60 {
        last = app.client.get("/readyz").await.status;
        if last == want {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    last
}

/// A private Redis server is stopped under a running app and started again: readiness
/// follows it both ways without a restart.
#[tokio::test]
async fn readyz_follows_redis_down_and_back_up() {
    let port = free_port();
    start_redis(port);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let app = spawn_app_with(jikgu::Service::All, |cfg| {
        cfg.redis_url = format!("redis://127.0.0.1:{port}").into();
    })
    .await;
    assert_eq!(wait_for_ready(&app, 200).await, 200);

    stop_redis(port);
    let r_status = wait_for_ready(&app, 503).await;
    assert_eq!(r_status, 503);
    let r = app.client.get("/readyz").await;
    assert_eq!(r.json["redis"], "down");
    assert_eq!(r.json["postgres"], "up");
    // Liveness does not depend on Redis.
    assert_eq!(app.client.get("/healthz").await.status, 200);

    start_redis(port);
    let back = wait_for_ready(&app, 200).await;
    stop_redis(port);
    assert_eq!(back, 200);
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
