//! The leased daily close: when `JIKGU_SETTLEMENT_CLOSE_HOUR` is set (0–23, Asia/Seoul),
//! whichever process holds the lease closes the period ending that day, once a day at or
//! after that hour, so that statements are ready for the entries falling due. Unset, an
//! admin closes periods by hand (`POST /v1/admin/settlements/close`). Closing is
//! idempotent, so a second runner at once would make nothing new.

use crate::statements;
use chrono::{NaiveDate, Timelike, Utc};
use platform::AppState;
use std::time::Duration;

pub const LEASE: &str = "settlements-close";

/// The hour to close at, from `JIKGU_SETTLEMENT_CLOSE_HOUR`; `None` when unset or invalid.
pub fn close_hour_from_env() -> Option<u32> {
    let raw = std::env::var("JIKGU_SETTLEMENT_CLOSE_HOUR").ok()?;
    match raw.trim().parse::<u32>() {
        Ok(h) if h < 24 => Some(h),
        _ => {
            tracing::warn!(value = %raw, "JIKGU_SETTLEMENT_CLOSE_HOUR must be 0–23; the daily close is off");
            None
        }
    }
}

pub async fn run(state: AppState, hour: u32, mut stop: tokio::sync::watch::Receiver<bool>) {
    let holder = format!(
        "{}-{}",
        std::process::id(),
        platform::ids::new_id().simple()
    );
    let mut closed: Option<NaiveDate> = None;
    loop {
        let now = promotions::seoul::show(Utc::now());
        let today = now.date_naive();
        if now.hour() >= hour
            && closed != Some(today)
            && platform::lease::acquire(&state.redis, LEASE, &holder, Duration::from_secs(300))
                .await
        {
            match statements::close_period(&state.db, today, None).await {
                Ok(made) => {
                    tracing::info!(statements = made.len(), %today, "settlement period closed");
                    closed = Some(today);
                }
                Err(err) => tracing::warn!(error = %err, "settlement close failed; retrying"),
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(60)) => {}
            _ = stop.wait_for(|s| *s) => return,
        }
    }
}
