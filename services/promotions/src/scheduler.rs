//! The campaign scheduler: one process at a time (a Redis lease) flips scheduled → live at
//! `starts_at` and live → ended at `ends_at`, writing `promotions.campaign.live` and
//! `promotions.campaign.ended` events in the same transaction.
//!
//! Prices do not wait for it: [`crate::live::load`] decides by the windows at the instant
//! of the quote. The flip is what the storefront shows and what other services hear.

use crate::audit::{self, Actor};
use crate::cache;
use crate::error::PromotionsResult;
use crate::topics::{self, OUTBOX};
use chrono::{DateTime, Utc};
use platform::AppState;
use platform::db::pg;
use sea_orm::{ConnectionTrait, FromQueryResult, TransactionTrait};
use serde_json::json;
use std::time::Duration;
use uuid::Uuid;

const LEASE: &str = "promotions-scheduler";
const LEASE_TTL: Duration = Duration::from_secs(10);
/// The longest the scheduler sleeps: it renews its lease and notices new campaigns.
const MAX_SLEEP: Duration = Duration::from_secs(1);

/// What one pass changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Flips {
    pub went_live: Vec<Uuid>,
    pub ended: Vec<Uuid>,
}

/// A campaign a pass flipped, and the status it had.
#[derive(FromQueryResult)]
struct Flipped {
    id: Uuid,
    slug: String,
    old_status: String,
}

/// Writes one campaign's flip to `status` in the audit trail and the outbox.
async fn record_flip(
    db: &impl ConnectionTrait,
    flipped: &Flipped,
    action: &str,
    status: &str,
    at: DateTime<Utc>,
    topic: &str,
    event: serde_json::Value,
) -> PromotionsResult<()> {
    let before = json!({ "status": flipped.old_status });
    let after = json!({ "status": status, "at": at });
    audit::record(
        db,
        Actor::SYSTEM,
        action,
        "campaign",
        flipped.id,
        Some(&before),
        Some(&after),
    )
    .await?;
    OUTBOX.emit(db, topic, flipped.id, event).await?;
    Ok(())
}

async fn flip(
    db: &impl ConnectionTrait,
    sql: &str,
    at: DateTime<Utc>,
) -> PromotionsResult<Vec<Flipped>> {
    Ok(Flipped::find_by_statement(pg(sql, [at.into()]))
        .all(db)
        .await?)
}

/// Bring every campaign's status in line with its window at `at`. Idempotent; safe to run
/// from anywhere (the lease only avoids wasted work).
#[tracing::instrument(skip(state))]
pub async fn run_once(state: &AppState, at: DateTime<Utc>) -> PromotionsResult<Flips> {
    let txn = state.db.begin().await?;
    let ended = flip(
        &txn,
        "UPDATE promotions.campaigns c SET status = 'ended', updated_at = now() \
         FROM (SELECT id, status AS old_status FROM promotions.campaigns \
               WHERE status IN ('scheduled', 'live') AND ends_at <= $1 FOR UPDATE) o \
         WHERE c.id = o.id RETURNING c.id, c.slug, o.old_status",
        at,
    )
    .await?;
    let live = flip(
        &txn,
        "UPDATE promotions.campaigns c SET status = 'live', updated_at = now() \
         FROM (SELECT id, status AS old_status FROM promotions.campaigns \
               WHERE status = 'scheduled' AND starts_at <= $1 AND $1 < ends_at FOR UPDATE) o \
         WHERE c.id = o.id RETURNING c.id, c.slug, o.old_status",
        at,
    )
    .await?;
    for f in &ended {
        let event = json!({ "campaign_id": f.id, "slug": f.slug, "at": at, "early": false });
        let topic = topics::CAMPAIGN_ENDED;
        record_flip(&txn, f, "campaign.end", "ended", at, topic, event).await?;
    }
    for f in &live {
        let event = json!({ "campaign_id": f.id, "slug": f.slug, "at": at });
        let topic = topics::CAMPAIGN_LIVE;
        record_flip(&txn, f, "campaign.go_live", "live", at, topic, event).await?;
    }
    txn.commit().await?;
    let flips = Flips {
        went_live: live.into_iter().map(|f| f.id).collect(),
        ended: ended.into_iter().map(|f| f.id).collect(),
    };
    if !flips.went_live.is_empty() || !flips.ended.is_empty() {
        tracing::info!(live = ?flips.went_live, ended = ?flips.ended, "campaign statuses flipped");
        cache::invalidate(&state.redis).await;
    }
    Ok(flips)
}

/// The next instant after `at` at which some campaign's status must change.
async fn next_boundary(
    db: &impl ConnectionTrait,
    at: DateTime<Utc>,
) -> PromotionsResult<Option<DateTime<Utc>>> {
    let row = db
        .query_one_raw(pg("SELECT min(t) AS t FROM ( \
               SELECT starts_at AS t FROM promotions.campaigns WHERE status = 'scheduled' AND starts_at > $1 \
               UNION ALL \
               SELECT ends_at FROM promotions.campaigns WHERE status IN ('scheduled', 'live') AND ends_at > $1) b",
            [at.into()],
        ))
        .await?;
    Ok(match row {
        Some(r) => r.try_get("", "t")?,
        None => None,
    })
}

/// Run the scheduler until `stop` flips. Every process may run it; only the lease holder
/// works, and it sleeps until the next boundary (at most a second, to renew the lease).
pub async fn run(state: AppState, mut stop: tokio::sync::watch::Receiver<bool>) {
    let holder = format!("{}-{}", std::process::id(), Uuid::now_v7().simple());
    loop {
        let mut sleep = MAX_SLEEP;
        if platform::lease::acquire(&state.redis, LEASE, &holder, LEASE_TTL).await {
            let now = Utc::now();
            if let Err(err) = run_once(&state, now).await {
                tracing::warn!(error = %err, "campaign scheduler pass failed");
            }
            match next_boundary(&state.db, now).await {
                Ok(Some(next)) => {
                    let wait = (next - Utc::now()).to_std().unwrap_or(Duration::ZERO);
                    sleep = wait.min(MAX_SLEEP);
                }
                Ok(None) => {}
                Err(err) => {
                    tracing::warn!(error = %err, "campaign scheduler cannot read boundaries")
                }
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(sleep) => {}
            _ = stop.wait_for(|s| *s) => return,
        }
    }
}
