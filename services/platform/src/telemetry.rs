//! Logs (tracing) and metrics (Prometheus).

use axum::extract::MatchedPath;
use axum::http::{Method, StatusCode};
use axum::response::IntoResponse;
use metrics::{Counter, Histogram};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::OnceLock;
use std::time::Duration;
use tracing_subscriber::EnvFilter;

/// Install the log subscriber once; later calls (tests) are no-ops.
pub fn init_tracing(json: bool) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn,tower_http=info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.compact().try_init()
    };
}

/// The process-wide metrics recorder. Installed lazily so that several apps in one test
/// process share it.
pub fn metrics_handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let builder = PrometheusBuilder::new()
            .set_buckets_for_metric(
                Matcher::Full("http_request_duration_seconds".into()),
                &[
                    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
                ],
            )
            .expect("static bucket list is not empty");
        match builder.install_recorder() {
            Ok(handle) => {
                keep_up(handle.clone());
                handle
            }
            // Another recorder is already installed (only possible in odd test setups):
            // keep a handle that renders nothing rather than failing the app.
            Err(_) => PrometheusBuilder::new().build_recorder().handle(),
        }
    })
}

/// How often the recorder's histograms fold their raw samples into buckets.
const UPKEEP_EVERY: Duration = Duration::from_secs(5);

/// A recorder installed with `install_recorder` keeps every histogram sample until
/// upkeep folds them into buckets, which only a scrape of `/metrics` did: a process nobody
/// scraped grew by eight bytes a request (the exporter's "Upkeep and maintenance"). A
/// thread of its own, so that it runs whatever runtime the process (or a test) has.
fn keep_up(handle: PrometheusHandle) {
    let spawned = std::thread::Builder::new()
        .name("metrics-upkeep".into())
        .spawn(move || {
            loop {
                std::thread::sleep(UPKEEP_EVERY);
                handle.run_upkeep();
            }
        });
    if let Err(err) = spawned {
        tracing::warn!(error = %err, "no metrics upkeep thread: histograms fold only on scrape");
    }
}

/// Count a request and its time per matched route (never per raw path, which would let
/// clients blow up the label set), method and status.
///
/// Registering a labelled metric builds and hashes its key; each worker thread keeps the
/// handles it has registered, so a request only looks its route up in a small map.
pub fn record_request(
    method: &Method,
    route: Option<&MatchedPath>,
    status: StatusCode,
    took: Duration,
) {
    type Handles = HashMap<Box<str>, Vec<(&'static str, StatusCode, Counter, Histogram)>>;
    thread_local! {
        static HANDLES: RefCell<Handles> = RefCell::new(HashMap::new());
    }
    let route = route.map_or("unmatched", MatchedPath::as_str);
    let method = method_label(method);
    HANDLES.with_borrow_mut(|handles| {
        let per_route = match handles.get_mut(route) {
            Some(per_route) => per_route,
            None => handles.entry(route.into()).or_default(),
        };
        let at = match per_route
            .iter()
            .position(|(m, s, ..)| *m == method && *s == status)
        {
            Some(at) => at,
            None => {
                let labels = [
                    ("method", method.to_owned()),
                    ("route", route.to_owned()),
                    ("status", status.as_u16().to_string()),
                ];
                per_route.push((
                    method,
                    status,
                    metrics::counter!("http_requests_total", &labels),
                    metrics::histogram!("http_request_duration_seconds", &labels),
                ));
                per_route.len() - 1
            }
        };
        let (_, _, counter, histogram) = &per_route[at];
        counter.increment(1);
        histogram.record(took.as_secs_f64());
    });
}

/// The method as a label: the standard ones by name, any other as `OTHER` (a client may
/// send any token as a method).
fn method_label(method: &Method) -> &'static str {
    const STANDARD: [(Method, &str); 9] = [
        (Method::GET, "GET"),
        (Method::HEAD, "HEAD"),
        (Method::POST, "POST"),
        (Method::PUT, "PUT"),
        (Method::PATCH, "PATCH"),
        (Method::DELETE, "DELETE"),
        (Method::OPTIONS, "OPTIONS"),
        (Method::CONNECT, "CONNECT"),
        (Method::TRACE, "TRACE"),
    ];
    STANDARD
        .iter()
        .find(|(m, _)| m == method)
        .map_or("OTHER", |(_, name)| name)
}

pub async fn render_metrics() -> impl IntoResponse {
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        metrics_handle().render(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_methods_are_labelled_by_name_and_any_other_token_as_other() {
        assert_eq!(method_label(&Method::GET), "GET");
        assert_eq!(method_label(&Method::DELETE), "DELETE");
        let invented = Method::from_bytes(b"FROBNICATE").unwrap();
        assert_eq!(method_label(&invented), "OTHER");
    }
}
