//! `/healthz`: the process answers. `/readyz`: it can do its work (Postgres and Redis
//! reachable); 503 otherwise, so a load balancer stops sending it traffic.

use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::Serialize;
use std::time::Duration;

#[derive(Serialize)]
struct Readiness {
    status: &'static str,
    postgres: &'static str,
    redis: &'static str,
}

pub async fn healthz() -> impl IntoResponse {
    axum::Json(serde_json::json!({ "status": "ok" }))
}

pub async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    let limit = Duration::from_secs(4);
    let (pg, redis) = tokio::join!(
        tokio::time::timeout(limit, state.db.ping()),
        tokio::time::timeout(limit, state.redis.ping()),
    );
    let pg_ok = matches!(pg, Ok(Ok(())));
    let redis_ok = matches!(redis, Ok(Ok(())));
    let word = |ok: bool| if ok { "up" } else { "down" };
    let body = Readiness {
        status: if pg_ok && redis_ok {
            "ready"
        } else {
            "not_ready"
        },
        postgres: word(pg_ok),
        redis: word(redis_ok),
    };
    let status = if pg_ok && redis_ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, axum::Json(body))
}
