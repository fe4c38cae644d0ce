//! Server bootstrap: the middleware stack every service shares, the operational endpoints,
//! OpenAPI and docs, and a `serve` that drains in-flight requests on shutdown.

use crate::error::{ApiError, ConnectionLost, ErrorCode, route_not_found};
use crate::state::AppState;
use crate::{health, telemetry};
use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::TcpListener;
use tower::{ServiceBuilder, ServiceExt};
use tower_http::compression::CompressionLayer;
use tower_http::compression::predicate::{NotForContentType, Predicate, SizeAbove};
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
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

    let cors = if config.cors_origins.is_empty() {
        CorsLayer::new()
    } else {
        let origins: Vec<HeaderValue> = config
            .cors_origins
            .iter()
            .filter_map(|o| HeaderValue::from_str(o).ok())
            .collect();
        CorsLayer::new()
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
            ])
    };

    let routes = router
        .merge(ops)
        .fallback(route_not_found)
        .method_not_allowed_fallback(|| async { ApiError::new(ErrorCode::MethodNotAllowed) })
        .with_state(state);
    routes
        .clone()
        .layer(middleware::from_fn_with_state(routes, retry_reads_once))
        .layer(middleware::from_fn(telemetry::track_metrics))
        .layer(
            ServiceBuilder::new()
                .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
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
                .layer(middleware::from_fn(problem_for_bare_errors))
                .layer(cors)
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
                .layer(TimeoutLayer::with_status_code(
                    StatusCode::REQUEST_TIMEOUT,
                    config.request_timeout,
                ))
                .layer(DefaultBodyLimit::max(config.body_limit_bytes)),
        )
}

/// A read-only request that failed because its Postgres connection was lost (a restart,
/// a reset) is tried once more: the broken connection has left the pool, so the second
/// try gets a fresh one. Anything else, or a second failure, is answered as it is (503
/// with `Retry-After`).
async fn retry_reads_once(State(routes): State<Router>, req: Request, next: Next) -> Response {
    if !matches!(*req.method(), Method::GET | Method::HEAD) {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    let mut again = parts.clone();
    // Routing sets it afresh.
    again.extensions.remove::<MatchedPath>();
    let resp = next.run(Request::from_parts(parts, body)).await;
    if resp.extensions().get::<ConnectionLost>().is_none() {
        return resp;
    }
    tracing::info!("read failed on a lost database connection; trying once more");
    match routes
        .oneshot(Request::from_parts(again, axum::body::Body::empty()))
        .await
    {
        Ok(resp) => resp,
        Err(never) => match never {},
    }
}

/// Layers below the router (timeouts) answer with bare statuses; give them a problem body.
async fn problem_for_bare_errors(req: Request, next: Next) -> Response {
    let resp = next.run(req).await;
    if resp.status() == StatusCode::REQUEST_TIMEOUT
        && !resp.headers().contains_key(header::CONTENT_TYPE)
    {
        return ApiError::new(ErrorCode::Timeout).into_response();
    }
    resp
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
