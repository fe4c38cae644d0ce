//! `/healthz`: the process answers. `/readyz`: it can do its work: 200 `ready` with
//! Postgres and Redis, 200 `degraded` without Redis (the shop sells from Postgres, slower;
//! taking every process out of rotation for it would stop the shop), 503 `not_ready`
//! without Postgres, so a load balancer stops sending it traffic.

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
    // While the breaker is open Redis is not asked (nor made to wait on).
    let redis_check = async {
        !state.redis.circuit_open()
            && matches!(
                tokio::time::timeout(limit, state.redis.ping()).await,
                Ok(Ok(()))
            )
    };
    let (pg, redis_ok) = tokio::join!(tokio::time::timeout(limit, state.db.ping()), redis_check);
    let pg_ok = matches!(pg, Ok(Ok(())));
    let word = |ok: bool| if ok { "up" } else { "down" };
    let (status, code) = match (pg_ok, redis_ok) {
        (true, true) => ("ready", StatusCode::OK),
        (true, false) => ("degraded", StatusCode::OK),
        (false, _) => ("not_ready", StatusCode::SERVICE_UNAVAILABLE),
    };
    let body = Readiness {
        status,
        postgres: word(pg_ok),
        redis: word(redis_ok),
    };
    (code, axum::Json(body))
}
