//! Server bootstrap: the middleware stack every service shares, the operational endpoints,
//! OpenAPI and docs, and a `serve` that drains in-flight requests on shutdown.

use crate::error::{ApiError, ConnectionLost, ErrorCode, route_not_found};
use crate::state::AppState;
use crate::{health, telemetry};
use axum::Router;
use axum::extract::{ConnectInfo, DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue, Method, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tower::{ServiceBuilder, ServiceExt};
use tower_http::compression::CompressionLayer;
use tower_http::compression::predicate::{NotForContentType, Predicate, SizeAbove};
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::request_id::{
    MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::trace::TraceLayer;
use utoipa::openapi::OpenApi;
use utoipa_axum::router::OpenApiRouter;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Assemble the full app from the API routes of one or more services.
pub fn app(state: AppState, api: OpenApiRouter<AppState>, title: &str) -> Router {
    // Install the recorder before the first request is counted.
    telemetry::metrics_handle();
    let (router, mut openapi) = api.split_for_parts();
    openapi.info.title = title.to_owned();
    openapi.info.contact = None;
    openapi.info.license = Some(utoipa::openapi::License::new("MIT"));
    openapi.info.version = env!("CARGO_PKG_VERSION").to_owned();
    openapi.info.description = Some(
        "Jikgu: a local direct-sales marketplace. Errors are RFC 9457 problem details \
         with a stable `code`."
            .to_owned(),
    );
    add_bearer_scheme(&mut openapi);
    crate::apidoc::document_errors(&mut openapi);
    let openapi_json = serde_json::to_string(&openapi).unwrap_or_else(|_| "{}".into());
    let config = state.config.clone();

    let ops = Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(telemetry::render_metrics))
        .route(
            "/openapi.json",
            get(
                move || async move { ([(header::CONTENT_TYPE, "application/json")], openapi_json) },
            ),
        )
        .merge(crate::docs::router());

    // No origins configured, no CORS: a browser then refuses every cross-origin call,
    // which is what an empty `CorsLayer` answered too, at a cost on every request.
    let cors = if config.cors_origins.is_empty() {
        None
    } else {
        let origins: Vec<HeaderValue> = config
            .cors_origins
            .iter()
            .filter_map(|o| HeaderValue::from_str(o).ok())
            .collect();
        let cors = CorsLayer::new()
            .allow_origin(AllowOrigin::list(origins))
            .allow_methods([
                Method::GET,
                Method::POST,
                Method::PUT,
                Method::PATCH,
                Method::DELETE,
            ])
            .allow_headers([
                header::AUTHORIZATION,
                header::CONTENT_TYPE,
                HeaderName::from_static("idempotency-key"),
            ]);
        Some(cors)
    };

    let routes = router
        .merge(ops)
        .fallback(route_not_found)
        .method_not_allowed_fallback(|| async { ApiError::new(ErrorCode::MethodNotAllowed) })
        .with_state(state);
    let edge = Edge {
        routes: routes.clone(),
        timeout: config.request_timeout,
    };
    // `Router::layer` wraps every route, and axum clones a route's whole stack for each
    // request it serves: each layer here is paid once per request, clone included. So
    // the stack is kept short (one middleware function for timing, the timeout and the
    // retry) and CORS is only there when origins are configured.
    routes
        .layer(middleware::from_fn_with_state(edge, edge_of_every_request))
        .layer(
            ServiceBuilder::new()
                .layer(SetRequestIdLayer::new(REQUEST_ID, RequestIds::new()))
                .layer(TraceLayer::new_for_http().make_span_with(|req: &Request| {
                    let route = req
                        .extensions()
                        .get::<MatchedPath>()
                        .map(|p| p.as_str())
                        .unwrap_or("unmatched");
                    let request_id = req
                        .headers()
                        .get(REQUEST_ID)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("");
                    tracing::info_span!("http", method = %req.method(), route, request_id)
                }))
                .layer(PropagateRequestIdLayer::new(REQUEST_ID))
                .option_layer(cors)
                // Bodies under a kilobyte fit one packet either way: compressing them
                // costs CPU on both ends and saves nothing (tower-http's default is 32 B).
                .layer(
                    CompressionLayer::new().compress_when(
                        SizeAbove::new(1024)
                            .and(NotForContentType::GRPC)
                            .and(NotForContentType::IMAGES)
                            .and(NotForContentType::SSE),
                    ),
                )
                .layer(DefaultBodyLimit::max(config.body_limit_bytes)),
        )
}

/// Request ids unique across processes without asking the kernel for randomness on every
/// request: a random prefix drawn once per process and a counter, in the UUID layout
/// clients already parse.
#[derive(Clone)]
struct RequestIds {
    prefix: u64,
    next: std::sync::Arc<AtomicU64>,
}

impl RequestIds {
    fn new() -> RequestIds {
        RequestIds {
            prefix: rand::random(),
            next: std::sync::Arc::new(AtomicU64::new(0)),
        }
    }
}

impl MakeRequestId for RequestIds {
    fn make_request_id<B>(&mut self, _: &Request<B>) -> Option<RequestId> {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        let id = uuid::Uuid::from_u64_pair(self.prefix, n);
        let mut buf = [0u8; uuid::fmt::Hyphenated::LENGTH];
        let text = id.hyphenated().encode_lower(&mut buf);
        HeaderValue::from_str(text).ok().map(RequestId::new)
    }
}

/// What [`edge_of_every_request`] needs: the routes, to try a read again, and the time a
/// request may take.
#[derive(Clone)]
struct Edge {
    routes: Router,
    timeout: Duration,
}

/// Around every routed request: its time limit (a problem with code `timeout` when it is
/// over), its metrics, and one more try for a read that lost its database connection.
///
/// A request that does not finish at its first poll (a cached page does) goes on on a task
/// of its own, to its end, even when its caller stops waiting: a client that hangs up, or
/// the time limit. Dropped half-way instead, it could be cut between a `BEGIN` sent and
/// its answer read; sqlx then returns the connection to the pool inside a transaction it
/// does not know of (its guard rolls back only a transaction it has counted), and the next
/// request on that connection writes into a transaction nobody commits. Seen under load,
/// after the checkout scenario's clients were stopped: accounts whose sign-in rows failed
/// their foreign key, and Postgres warning "there is already a transaction in progress".
/// Reads too (the 실적 report reads in a transaction). Spawning every request instead
/// cost a cached page 9% of its throughput; a first poll in place costs it one box.
async fn edge_of_every_request(State(edge): State<Edge>, req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = req.method().clone();
    let route = req.extensions().get::<MatchedPath>().cloned();
    let mut work = Box::pin(retry_reads_once(edge.routes, req, next));
    let first = std::future::poll_fn(|cx| std::task::Poll::Ready(work.as_mut().poll(cx))).await;
    let resp = match first {
        std::task::Poll::Ready(resp) => resp,
        std::task::Poll::Pending => {
            match tokio::time::timeout(edge.timeout, tokio::spawn(work)).await {
                Ok(Ok(resp)) => resp,
                Ok(Err(err)) => ApiError::internal(anyhow::anyhow!("request task failed: {err}"))
                    .into_response(),
                Err(_) => ApiError::new(ErrorCode::Timeout).into_response(),
            }
        }
    };
    telemetry::record_request(&method, route.as_ref(), resp.status(), start.elapsed());
    resp
}

/// A read-only request that failed because its Postgres connection was lost (a restart,
/// a reset) is tried once more: the broken connection has left the pool, so the second
/// try gets a fresh one. Anything else, or a second failure, is answered as it is (503
/// with `Retry-After`).
async fn retry_reads_once(routes: Router, req: Request, next: Next) -> Response {
    if !matches!(*req.method(), Method::GET | Method::HEAD) {
        return next.run(req).await;
    }
    // What a second try needs: the request line, the headers and the peer. Not the other
    // extensions (routing and the layers inside set theirs afresh), whose copy cost every
    // read a map and a box for each.
    let mut again = Request::new(axum::body::Body::empty());
    *again.method_mut() = req.method().clone();
    *again.uri_mut() = req.uri().clone();
    *again.version_mut() = req.version();
    *again.headers_mut() = req.headers().clone();
    if let Some(peer) = req.extensions().get::<ConnectInfo<SocketAddr>>() {
        again.extensions_mut().insert(*peer);
    }
    let resp = next.run(req).await;
    if resp.extensions().get::<ConnectionLost>().is_none() {
        return resp;
    }
    tracing::info!("read failed on a lost database connection; trying once more");
    match routes.oneshot(again).await {
        Ok(resp) => resp,
        Err(never) => match never {},
    }
}

fn add_bearer_scheme(openapi: &mut OpenApi) {
    use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
    let components = openapi.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        "bearer",
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .bearer_format("JWT")
                .build(),
        ),
    );
}

/// Serve until `shutdown` resolves, then stop accepting, let in-flight requests finish,
/// and give up on stragglers after `grace`.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
    grace: Duration,
) -> std::io::Result<()> {
    let (tx, mut rx) = tokio::sync::watch::channel(false);
    let server = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
        shutdown.await;
        let _ = tx.send(true);
    });
    let drain_deadline = async move {
        let _ = rx.wait_for(|stopping| *stopping).await;
        tokio::time::sleep(grace).await;
    };
    tokio::select! {
        res = server => res,
        () = drain_deadline => {
            tracing::warn!(?grace, "shutdown grace period over; dropping open connections");
            Ok(())
        }
    }
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM (what Kubernetes sends).
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutdown signal received; draining");
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::{Body, to_bytes};
    use axum::http::StatusCode;

    fn with_edge(timeout: Duration) -> Router {
        let routes = Router::new()
            .route(
                "/slow",
                get(|| async {
                    tokio::time::sleep(Duration::from_secs(5)).await;
                    "late"
                }),
            )
            .route("/fast", get(|| async { "on time" }));
        let edge = Edge {
            routes: routes.clone(),
            timeout,
        };
        routes.layer(middleware::from_fn_with_state(edge, edge_of_every_request))
    }

    async fn get_path(app: Router, path: &str) -> (StatusCode, Option<HeaderValue>, String) {
        let resp = app
            .oneshot(Request::get(path).body(Body::empty()).unwrap())
            .await
            .unwrap();
        let status = resp.status();
        let content_type = resp.headers().get(header::CONTENT_TYPE).cloned();
        let body = to_bytes(resp.into_body(), 1 << 16).await.unwrap();
        (
            status,
            content_type,
            String::from_utf8_lossy(&body).into_owned(),
        )
    }

    #[tokio::test]
    async fn a_request_over_its_time_is_answered_with_the_timeout_problem() {
        let (status, content_type, body) =
            get_path(with_edge(Duration::from_millis(50)), "/slow").await;
        assert_eq!(status, StatusCode::REQUEST_TIMEOUT);
        assert_eq!(content_type.unwrap(), "application/problem+json");
        let problem: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(problem["code"], "timeout", "{body}");
    }

    #[tokio::test]
    async fn a_request_runs_to_its_end_when_its_caller_stops_waiting() {
        use std::sync::atomic::AtomicBool;
        for method in [Method::POST, Method::GET] {
            let done = std::sync::Arc::new(AtomicBool::new(false));
            let flag = done.clone();
            let routes = Router::new().route(
                "/work",
                axum::routing::any(move || async move {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    flag.store(true, Ordering::SeqCst);
                    "done"
                }),
            );
            let edge = Edge {
                routes: routes.clone(),
                timeout: Duration::from_secs(5),
            };
            let app = routes.layer(middleware::from_fn_with_state(edge, edge_of_every_request));
            let request = Request::builder()
                .method(method.clone())
                .uri("/work")
                .body(Body::empty())
                .expect("request");
            // The client hangs up before the answer.
            let call = app.oneshot(request);
            assert!(
                tokio::time::timeout(Duration::from_millis(20), call)
                    .await
                    .is_err()
            );
            tokio::time::sleep(Duration::from_millis(250)).await;
            assert!(done.load(Ordering::SeqCst), "the {method} was cut half-way");
        }
    }

    #[tokio::test]
    async fn a_request_within_its_time_is_answered_by_its_route() {
        let (status, _, body) = get_path(with_edge(Duration::from_secs(5)), "/fast").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body, "on time");
    }

    #[test]
    fn request_ids_are_distinct_uuids_and_two_processes_draw_different_prefixes() {
        let request = Request::new(());
        let mut ids = RequestIds::new();
        let made: Vec<String> = (0..1000)
            .map(|_| {
                let id = ids.make_request_id(&request).unwrap();
                id.header_value().to_str().unwrap().to_owned()
            })
            .collect();
        let distinct: std::collections::HashSet<&String> = made.iter().collect();
        assert_eq!(distinct.len(), made.len());
        for id in &made {
            assert!(uuid::Uuid::parse_str(id).is_ok(), "{id}");
        }
        let other = RequestIds::new().make_request_id(&request).unwrap();
        assert_ne!(
            other.header_value().to_str().unwrap()[..18],
            made[0][..18],
            "each process draws its own prefix"
        );
    }
}
