//! `bench-hello`: the ceiling infra/bench/run.sh measures the cached storefront reads
//! against. A bare axum router answering `GET /hello` with a fixed body, served the way
//! `jikgu serve` serves (the same allocator, tokio's default multi-threaded runtime, and
//! `axum::serve` with the peer address recorded), so that the distance between the two is
//! what the shop's own work costs. Not part of the product; only the harness runs it.
//!
//!     bench-hello [PORT]   (default 18093, on 127.0.0.1)

use axum::Router;
use axum::routing::get;
use std::net::SocketAddr;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let port: u16 = std::env::args()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(18093);
    let app = Router::new()
        .route("/hello", get(|| async { "hello" }))
        .route("/healthz", get(|| async { "ok" }));
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .await
}
