//! What every routed request goes through, as one layer: its request id, its trace span,
//! its time limit, one more try for a read that lost its database connection, and its
//! metrics.
//!
//! One hand-written service instead of five tower layers (request id set and propagated,
//! trace, and a `from_fn` middleware): `Router::layer` wraps every route, so a layer is
//! paid on every request, and those five cost a cached page 13 of its 55 allocations
//! (a request-id extension, a response extension map, `from_fn`'s boxes, and a copy of
//! the peer address for a retry that almost never happens). This service boxes its
//! future and the work it may spawn, and nothing else.

use crate::error::{ApiError, ConnectionLost, ErrorCode};
use crate::telemetry;
use axum::Router;
use axum::extract::{ConnectInfo, MatchedPath, Request};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, Uri, Version};
use axum::response::{IntoResponse, Response};
use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tower::{Layer, Service, ServiceExt};
use tracing::Instrument;

/// Answered with every response; a request that brings one keeps it (a client matching
/// answers to requests, as the load harness does).
const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The layer [`crate::server::app`] puts on every route: `routes` is the router it wraps,
/// without this layer, for the second try of a read.
#[derive(Clone)]
pub(crate) struct EdgeLayer(Arc<Edge>);

struct Edge {
    routes: Router,
    timeout: Duration,
    ids: RequestIds,
}

impl EdgeLayer {
    pub(crate) fn new(routes: Router, timeout: Duration) -> EdgeLayer {
        EdgeLayer(Arc::new(Edge {
            routes,
            timeout,
            ids: RequestIds::new(),
        }))
    }
}

impl<S> Layer<S> for EdgeLayer {
    type Service = EdgeService<S>;

    fn layer(&self, inner: S) -> EdgeService<S> {
        EdgeService {
            inner,
            edge: self.0.clone(),
        }
    }
}

#[derive(Clone)]
pub(crate) struct EdgeService<S> {
    inner: S,
    edge: Arc<Edge>,
}

impl<S> Service<Request> for EdgeService<S>
where
    S: Service<Request, Response = Response, Error = Infallible> + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request) -> Self::Future {
        let start = Instant::now();
        let edge = self.edge.clone();
        let method = req.method().clone();
        let route = req.extensions().get::<MatchedPath>().cloned();
        let request_id = match req.headers().get(REQUEST_ID) {
            Some(id) => id.clone(),
            None => edge.ids.next(),
        };
        let span = tracing::info_span!(
            "http",
            method = %method,
            route = route.as_ref().map_or("unmatched", MatchedPath::as_str),
            request_id = request_id.to_str().unwrap_or(""),
        );
        let again = Again::of(&req);
        let answer = self.inner.call(req);
        Box::pin(async move {
            let mut resp = edge.answer(answer, again).instrument(span.clone()).await;
            let took = start.elapsed();
            let status = resp.status();
            // What tower-http's trace layer logged: a server error at ERROR, the rest at
            // DEBUG, in the request's span.
            span.in_scope(|| {
                let latency_ms = took.as_millis() as u64;
                if status.is_server_error() {
                    tracing::error!(status = status.as_u16(), latency_ms, "response failed");
                } else {
                    tracing::debug!(
                        status = status.as_u16(),
                        latency_ms,
                        "finished processing request"
                    );
                }
            });
            resp.headers_mut().entry(REQUEST_ID).or_insert(request_id);
            telemetry::record_request(&method, route.as_ref(), status, took);
            Ok(resp)
        })
    }
}

impl Edge {
    /// The route's answer within the time limit, with one more try for a read that lost its
    /// connection.
    ///
    /// A request that does not finish at its first poll (a cached page does) goes on on a
    /// task of its own, to its end, even when its caller stops waiting: a client that hangs
    /// up, or the time limit. Dropped half-way instead, it could be cut between a `BEGIN`
    /// sent and its answer read; sqlx then returns the connection to the pool inside a
    /// transaction it does not know of (its guard rolls back only a transaction it has
    /// counted), and the next request on that connection writes into a transaction nobody
    /// commits. Seen under load, after the checkout scenario's clients were stopped:
    /// accounts whose sign-in rows failed their foreign key, and Postgres warning "there is
    /// already a transaction in progress". Reads too (the 실적 report reads in a
    /// transaction). Spawning every request instead cost a cached page 9% of its
    /// throughput; a first poll in place costs it one box.
    async fn answer<F>(self: Arc<Edge>, answer: F, again: Option<Again>) -> Response
    where
        F: Future<Output = Result<Response, Infallible>> + Send + 'static,
    {
        let timeout = self.timeout;
        let mut work = Box::pin(self.retry_reads_once(answer, again));
        let first = std::future::poll_fn(|cx| Poll::Ready(work.as_mut().poll(cx))).await;
        match first {
            Poll::Ready(resp) => resp,
            Poll::Pending => match tokio::time::timeout(timeout, tokio::spawn(work)).await {
                Ok(Ok(resp)) => resp,
                Ok(Err(err)) => ApiError::internal(anyhow::anyhow!("request task failed: {err}"))
                    .into_response(),
                Err(_) => ApiError::new(ErrorCode::Timeout).into_response(),
            },
        }
    }

    /// A read-only request that failed because its Postgres connection was lost (a restart,
    /// a reset) is tried once more: the broken connection has left the pool, so the second
    /// try gets a fresh one. Anything else, or a second failure, is answered as it is (503
    /// with `Retry-After`).
    async fn retry_reads_once<F>(self: Arc<Edge>, answer: F, again: Option<Again>) -> Response
    where
        F: Future<Output = Result<Response, Infallible>>,
    {
        let resp = match answer.await {
            Ok(resp) => resp,
            Err(never) => match never {},
        };
        let Some(again) = again else { return resp };
        if resp.extensions().get::<ConnectionLost>().is_none() {
            return resp;
        }
        tracing::info!("read failed on a lost database connection; trying once more");
        match self.routes.clone().oneshot(again.request()).await {
            Ok(resp) => resp,
            Err(never) => match never {},
        }
    }
}

/// What a second try of a read needs: the request line, the headers and the peer. Not the
/// other extensions (routing and the layers inside set theirs afresh), whose copy cost
/// every read a map and a box for each; the peer goes into the new request only when it
/// is tried again.
struct Again {
    method: Method,
    uri: Uri,
    version: Version,
    headers: HeaderMap,
    peer: Option<SocketAddr>,
}

impl Again {
    fn of(req: &Request) -> Option<Again> {
        if !matches!(*req.method(), Method::GET | Method::HEAD) {
            return None;
        }
        Some(Again {
            method: req.method().clone(),
            uri: req.uri().clone(),
            version: req.version(),
            headers: req.headers().clone(),
            peer: req
                .extensions()
                .get::<ConnectInfo<SocketAddr>>()
                .map(|peer| peer.0),
        })
    }

    fn request(self) -> Request {
        let mut again = Request::new(axum::body::Body::empty());
        *again.method_mut() = self.method;
        *again.uri_mut() = self.uri;
        *again.version_mut() = self.version;
        *again.headers_mut() = self.headers;
        if let Some(peer) = self.peer {
            again.extensions_mut().insert(ConnectInfo(peer));
        }
        again
    }
}

/// Request ids unique across processes without asking the kernel for randomness on every
/// request: a random prefix drawn once per process and a counter, in the UUID layout
/// clients already parse.
struct RequestIds {
    prefix: u64,
    next: AtomicU64,
}

impl RequestIds {
    fn new() -> RequestIds {
        RequestIds {
            prefix: rand::random(),
            next: AtomicU64::new(0),
        }
    }

    fn next(&self) -> HeaderValue {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        let id = uuid::Uuid::from_u64_pair(self.prefix, n);
        let mut buf = [0u8; uuid::fmt::Hyphenated::LENGTH];
        let text = id.hyphenated().encode_lower(&mut buf);
        HeaderValue::from_str(text).expect("a hyphenated uuid is a header value")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::{Body, to_bytes};
    use axum::http::{StatusCode, header};
    use axum::routing::get;

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
        routes.clone().layer(EdgeLayer::new(routes, timeout))
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
            let done = Arc::new(AtomicBool::new(false));
            let flag = done.clone();
            let routes = Router::new().route(
                "/work",
                axum::routing::any(move || async move {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    flag.store(true, Ordering::SeqCst);
                    "done"
                }),
            );
            let app = routes
                .clone()
                .layer(EdgeLayer::new(routes, Duration::from_secs(5)));
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

    #[tokio::test]
    async fn every_answer_carries_a_request_id_and_a_given_one_is_kept() {
        let app = with_edge(Duration::from_secs(5));
        let mut made = Vec::new();
        for path in ["/fast", "/fast", "/nowhere"] {
            let resp = app
                .clone()
                .oneshot(Request::get(path).body(Body::empty()).unwrap())
                .await
                .unwrap();
            let id = resp.headers().get(REQUEST_ID).expect("a request id");
            made.push(uuid::Uuid::parse_str(id.to_str().unwrap()).expect("a uuid"));
        }
        assert_ne!(made[0], made[1], "each request gets its own id");
        let resp = app
            .oneshot(
                Request::get("/fast")
                    .header(REQUEST_ID, "customer-7.12")
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(resp.headers()[REQUEST_ID], "customer-7.12");
    }

    /// A read whose answer says its connection was lost is tried once, with the request's
    /// headers and peer (a route may read either); a write is not tried again.
    #[tokio::test]
    async fn a_read_that_lost_its_connection_is_tried_once_more_with_its_headers_and_peer() {
        use axum::http::HeaderMap;
        use std::sync::atomic::AtomicUsize;
        let calls = Arc::new(AtomicUsize::new(0));
        let seen = calls.clone();
        let routes = Router::new().route(
            "/read",
            axum::routing::any(
                move |ConnectInfo(peer): ConnectInfo<SocketAddr>, headers: HeaderMap| async move {
                    if seen.fetch_add(1, Ordering::SeqCst) == 0 {
                        let mut lost = StatusCode::SERVICE_UNAVAILABLE.into_response();
                        lost.extensions_mut().insert(ConnectionLost);
                        return lost;
                    }
                    let tag = headers.get("x-tag").and_then(|v| v.to_str().ok());
                    format!("{peer} {}", tag.unwrap_or("no tag")).into_response()
                },
            ),
        );
        let app = routes
            .clone()
            .layer(EdgeLayer::new(routes, Duration::from_secs(5)));
        let peer: SocketAddr = "203.0.113.7:4000".parse().unwrap();
        let request = |method: Method| {
            let mut req = Request::builder()
                .method(method)
                .uri("/read")
                .header("x-tag", "again")
                .body(Body::empty())
                .unwrap();
            req.extensions_mut().insert(ConnectInfo(peer));
            req
        };

        let resp = app.clone().oneshot(request(Method::GET)).await.unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        let body = to_bytes(resp.into_body(), 1 << 16).await.unwrap();
        assert_eq!(body, "203.0.113.7:4000 again");
        assert_eq!(calls.load(Ordering::SeqCst), 2);

        calls.store(0, Ordering::SeqCst);
        let resp = app.oneshot(request(Method::POST)).await.unwrap();
        assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(
            calls.load(Ordering::SeqCst),
            1,
            "a write is not tried again"
        );
    }

    #[test]
    fn request_ids_are_distinct_uuids_and_two_processes_draw_different_prefixes() {
        let ids = RequestIds::new();
        let made: Vec<String> = (0..1000)
            .map(|_| ids.next().to_str().unwrap().to_owned())
            .collect();
        let distinct: std::collections::HashSet<&String> = made.iter().collect();
        assert_eq!(distinct.len(), made.len());
        for id in &made {
            assert!(uuid::Uuid::parse_str(id).is_ok(), "{id}");
        }
        let other = RequestIds::new().next();
        assert_ne!(
            other.to_str().unwrap()[..18],
            made[0][..18],
            "each process draws its own prefix"
        );
    }
}
