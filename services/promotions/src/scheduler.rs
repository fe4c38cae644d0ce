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
use sea_orm::{ConnectionTrait, TransactionTrait};
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

/// Writes one campaign's flip to `status` in the audit trail and the outbox.
async fn record_flip(
    db: &impl ConnectionTrait,
    (id, _, old): &(Uuid, String, String),
    action: &str,
    status: &str,
    at: DateTime<Utc>,
    topic: &str,
    event: serde_json::Value,
) -> PromotionsResult<()> {
    let before = json!({ "status": old });
    let after = json!({ "status": status, "at": at });
    audit::record(
        db,
        Actor::SYSTEM,
        action,
        "campaign",
        *id,
        Some(&before),
        Some(&after),
    )
    .await?;
    OUTBOX.emit(db, topic, *id, event).await?;
    Ok(())
}

async fn flip(
    db: &impl ConnectionTrait,
    sql: &str,
    at: DateTime<Utc>,
) -> PromotionsResult<Vec<(Uuid, String, String)>> {
    let rows = db.query_all_raw(pg(sql, [at.into()])).await?;
    rows.into_iter()
        .map(|r| {
            Ok((
                r.try_get("", "id")?,
                r.try_get("", "slug")?,
                r.try_get("", "old_status")?,
            ))
        })
        .collect()
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
    for flip in &ended {
        let (id, slug, _) = flip;
        let event = json!({ "campaign_id": id, "slug": slug, "at": at, "early": false });
        let (action, status) = ("campaign.end", "ended");
        record_flip(
            &txn,
            flip,
            action,
            status,
            at,
            topics::CAMPAIGN_ENDED,
            event,
        )
        .await?;
    }
    for flip in &live {
        let (id, slug, _) = flip;
        let event = json!({ "campaign_id": id, "slug": slug, "at": at });
        let (action, status) = ("campaign.go_live", "live");
        record_flip(&txn, flip, action, status, at, topics::CAMPAIGN_LIVE, event).await?;
    }
    txn.commit().await?;
    let flips = Flips {
        went_live: live.into_iter().map(|r| r.0).collect(),
        ended: ended.into_iter().map(|r| r.0).collect(),
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
