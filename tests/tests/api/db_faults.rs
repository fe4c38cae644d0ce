//! Postgres going away under a running app: a lost connection is a 503 with
//! `Retry-After`, never a 500, and a read is tried once more on a fresh connection.

use jikgu_tests::database::TestDb;
use jikgu_tests::{Client, test_config};
use sea_orm::ConnectionTrait;
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;
use uuid::Uuid;

/// Kill every server process of this test's database but the caller's (what a Postgres
/// restart or `pg_terminate_backend` does to a pool).
async fn terminate_connections(db: &TestDb) {
    let admin = sea_orm::Database::connect(&db.url).await.expect("connect");
    admin
        .execute_unprepared(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = current_database() AND pid <> pg_backend_pid()",
        )
        .await
        .expect("terminate");
    admin.close().await.expect("close");
    tokio::time::sleep(Duration::from_millis(300)).await;
}

#[tokio::test]
async fn a_lost_connection_is_a_503_and_a_read_is_retried_on_a_fresh_one() {
    let db = TestDb::create().await;
    let mut cfg = test_config(&db.url, &format!("test:{}:", Uuid::now_v7().simple()));
    // One pooled connection, no background workers and no cache: every request below
    // uses exactly the connection that is killed.
    cfg.db_max_connections = 1;
    cfg.storefront_cache = false;
    let state = jikgu::startup::connect(Arc::new(cfg))
        .await
        .expect("connect");
    let rt = jikgu::Runtime::from_env(&state).await.expect("runtime");
    let app = jikgu::app(state, jikgu::Service::All, &rt);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let client = Client::new(format!("http://{}", listener.local_addr().expect("addr")));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(platform::server::serve(
        listener,
        app,
        async move {
            let _ = stopped.await;
        },
        Duration::from_secs(1),
    ));

    assert_eq!(client.get("/v1/products").await.status, 200);
    terminate_connections(&db).await;
    // The read fails on the dead connection and succeeds on a fresh one.
    let r = client.get("/v1/products").await;
    assert_eq!(r.status, 200, "{}", r.body);

    terminate_connections(&db).await;
    // A write is not retried: 503 with Retry-After, not 500.
    let r = client
        .post(
            "/v1/auth/login",
            &json!({"email": "kim@incheon.kr", "password": "whatever-it-is"}),
        )
        .await;
    r.assert_problem(503, "unavailable");
    assert_eq!(
        r.headers.get("retry-after").and_then(|v| v.to_str().ok()),
        Some("1")
    );
    // And the pool has recovered.
    assert_eq!(client.get("/v1/products").await.status, 200);

    let _ = stop.send(());
    let _ = server.await;
}
