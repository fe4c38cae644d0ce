//! Server bootstrap: the middleware stack every service shares, the operational endpoints,
//! OpenAPI and docs, and a `serve` that drains in-flight requests on shutdown.

use crate::edge::EdgeLayer;
use crate::error::{ApiError, ErrorCode, route_not_found};
use crate::state::AppState;
use crate::{health, telemetry};
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, HeaderValue, Method, header};
use axum::routing::get;
use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::TcpListener;
use tower::ServiceBuilder;
use tower_http::compression::CompressionLayer;
use tower_http::compression::predicate::{NotForContentType, Predicate, SizeAbove};
use tower_http::cors::{AllowOrigin, CorsLayer};
use utoipa::openapi::OpenApi;
use utoipa_axum::router::OpenApiRouter;

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
    // `Router::layer` wraps every route, and axum clones a route's whole stack for each
    // request it serves: each layer here is paid once per request, clone included. So
    // the stack is kept short: what every request needs is one layer of our own
    // ([`EdgeLayer`]: request id, trace span, time limit, read retry, metrics), outside
    // the response's encoding and the body limit (and CORS, only when origins are
    // configured). A read tried again goes through those inner layers too.
    let inner = routes.layer(
        ServiceBuilder::new()
            .option_layer(cors)
            // Bodies under a kilobyte fit one packet either way: compressing them costs
            // CPU on both ends and saves nothing (tower-http's default is 32 B).
            .layer(
                CompressionLayer::new().compress_when(
                    SizeAbove::new(1024)
                        .and(NotForContentType::GRPC)
                        .and(NotForContentType::IMAGES)
                        .and(NotForContentType::SSE),
                ),
            )
            .layer(DefaultBodyLimit::max(config.body_limit_bytes)),
    );
    inner
        .clone()
        .layer(EdgeLayer::new(inner, config.request_timeout))
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
