//! Singleton background jobs, run by whichever process holds the Redis lease: release
//! the stock of unpaid orders whose reservation lapsed, confirm purchases some days after
//! delivery, delete idle carts, and mark quotations past their validity expired. The SQL skips rows locked by requests in flight, so
//! even two runners at once would be safe; the lease only avoids doing the work twice.

use crate::context::OrdersContext;
use crate::{carts, lifecycle};
use platform::AppState;
use sea_orm::TransactionTrait;
use std::time::Duration;

pub const LEASE: &str = "orders-jobs";

/// One pass of every job. Returns (expired orders, confirmed vendor orders, carts deleted).
pub async fn run_once(
    state: &AppState,
    ctx: &OrdersContext,
) -> Result<(u64, u64, u64), crate::error::OrdersError> {
    let txn = state.db.begin().await?;
    let expired = lifecycle::expire_due(&txn, chrono::Utc::now()).await?;
    txn.commit().await?;
    let txn = state.db.begin().await?;
    let confirmed = lifecycle::auto_confirm_due(&txn, ctx.auto_confirm_days).await?;
    txn.commit().await?;
    let carts = carts::expire_idle(&state.db).await?;
    let quotations = crate::quotations::store::expire_due(&state.db, chrono::Utc::now()).await?;
    if quotations > 0 {
        tracing::info!(quotations, "quotations past their validity expired");
    }
    // Toss payments whose confirm answer was lost: fetched back and settled.
    crate::payments::toss::flow::settle_in_doubt(&state.db, ctx).await?;
    Ok((expired, confirmed, carts))
}

pub async fn run(
    state: AppState,
    ctx: OrdersContext,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let holder = format!(
        "{}-{}",
        std::process::id(),
        platform::ids::new_id().simple()
    );
    loop {
        if platform::lease::acquire(&state.redis, LEASE, &holder, Duration::from_secs(10)).await {
            match run_once(&state, &ctx).await {
                Ok((e, c, k)) if e + c + k > 0 => {
                    tracing::info!(expired = e, confirmed = c, carts_deleted = k, "orders jobs")
                }
                Ok(_) => {}
                Err(err) => tracing::warn!(error = %err, "orders jobs failed"),
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            _ = stop.wait_for(|s| *s) => return,
        }
    }
}
