//! Campaign statistics for marketers: page views and unique visitors counted in Redis
//! (a counter and a HyperLogLog per campaign), and orders, units and revenue counted from
//! `orders.sale` events by the `promotions-stats` consumer group. Nothing here scans
//! orders: a stats read is two Redis commands and one primary-key row.
//!
//! The consumer is idempotent per order: one `(campaign_id, order_id)` row is inserted
//! with `ON CONFLICT DO NOTHING`, and the totals move only when that row is new, in the
//! same transaction.

use crate::error::PromotionsResult;
use crate::topics;
use platform::AppState;
use platform::auth::Principal;
use platform::db::pg;
use platform::events::{self, Event};
use platform::kv::Redis;
use sea_orm::{ConnectionTrait, FromQueryResult, TransactionTrait};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use uuid::Uuid;

pub const GROUP: &str = "promotions-stats";

fn pv_key(redis: &Redis, campaign_id: Uuid) -> String {
    redis.key(&format!("promotions:stats:{campaign_id}:pv"))
}

fn uv_key(redis: &Redis, campaign_id: Uuid) -> String {
    redis.key(&format!("promotions:stats:{campaign_id}:uv"))
}

/// Who is looking: the account when signed in, else a hash of the client address and
/// user agent (the address itself is never stored).
pub fn visitor(principal: Option<&Principal>, client_addr: &str, user_agent: &str) -> String {
    match principal {
        Some(p) => format!("u:{}", p.user_id),
        None => {
            let digest = Sha256::digest(format!("jikgu-visitor|{client_addr}|{user_agent}"));
            format!("a:{}", hex::encode(&digest[..16]))
        }
    }
}

/// Count one view of a campaign page. Best effort: a Redis failure loses a view, never
/// the page.
pub async fn record_view(redis: &Redis, campaign_id: Uuid, visitor: &str) {
    let mut conn = redis.conn();
    let res: redis::RedisResult<()> = redis::pipe()
        .cmd("INCR")
        .arg(pv_key(redis, campaign_id))
        .ignore()
        .cmd("PFADD")
        .arg(uv_key(redis, campaign_id))
        .arg(visitor)
        .ignore()
        .query_async(&mut conn)
        .await;
    if let Err(err) = res {
        tracing::debug!(error = %err, "page view not counted");
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CampaignStats {
    pub campaign_id: Uuid,
    pub page_views: i64,
    /// Estimated by HyperLogLog (standard error 0.81%).
    pub unique_visitors: i64,
    pub orders: i64,
    pub units: i64,
    /// Won paid for the campaign's lines (after all discounts).
    pub revenue: i64,
    /// orders / unique visitors (0 when nobody visited).
    pub conversion: f64,
}

/// A campaign's sales counters; all zero before its first sale.
#[derive(Default, FromQueryResult)]
struct Sales {
    orders: i64,
    units: i64,
    revenue: i64,
}

/// The statistics of a campaign.
pub async fn read(state: &AppState, campaign_id: Uuid) -> PromotionsResult<CampaignStats> {
    let Sales {
        orders,
        units,
        revenue,
    } = Sales::find_by_statement(pg(
        "SELECT orders, units, revenue FROM promotions.campaign_stats WHERE campaign_id = $1",
        [campaign_id.into()],
    ))
    .one(&state.db)
    .await?
    .unwrap_or_default();
    let redis = &state.redis;
    let mut conn = redis.conn();
    let (page_views, unique_visitors): (Option<i64>, i64) = redis::pipe()
        .cmd("GET")
        .arg(pv_key(redis, campaign_id))
        .cmd("PFCOUNT")
        .arg(uv_key(redis, campaign_id))
        .query_async(&mut conn)
        .await
        .unwrap_or_else(|err| {
            tracing::warn!(error = %err, "visitor counts unavailable");
            (None, 0)
        });
    let conversion = if unique_visitors > 0 {
        orders as f64 / unique_visitors as f64
    } else {
        0.0
    };
    Ok(CampaignStats {
        campaign_id,
        page_views: page_views.unwrap_or(0),
        unique_visitors,
        orders,
        units,
        revenue,
        conversion,
    })
}

/// One line of an `orders.sale` event.
#[derive(Debug, Clone, Deserialize)]
pub struct SaleLine {
    #[serde(default)]
    pub product_id: Option<Uuid>,
    #[serde(default)]
    pub variant_id: Option<Uuid>,
    #[serde(default)]
    pub vendor_id: Option<Uuid>,
    pub quantity: i64,
    pub final_amount: i64,
    #[serde(default)]
    pub campaign_id: Option<Uuid>,
}

/// The payload of `orders.sale`.
#[derive(Debug, Clone, Deserialize)]
pub struct Sale {
    pub order_id: Uuid,
    #[serde(default)]
    pub customer_id: Option<Uuid>,
    #[serde(default)]
    pub grand_total: Option<i64>,
    pub lines: Vec<SaleLine>,
}

/// Count a sale towards the campaigns of its lines, once per order.
pub async fn count_sale(state: &AppState, sale: &Sale) -> PromotionsResult<()> {
    let mut per_campaign: BTreeMap<Uuid, (i64, i64)> = BTreeMap::new();
    for l in &sale.lines {
        if let Some(c) = l.campaign_id {
            let e = per_campaign.entry(c).or_default();
            e.0 += l.quantity.max(0);
            e.1 += l.final_amount.max(0);
        }
    }
    if per_campaign.is_empty() {
        return Ok(());
    }
    let txn = state.db.begin().await?;
    for (campaign_id, (units, revenue)) in per_campaign {
        let fresh = txn
            .execute_raw(pg(
                "INSERT INTO promotions.campaign_stat_orders (campaign_id, order_id, units, revenue) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (campaign_id, order_id) DO NOTHING",
                [campaign_id.into(), sale.order_id.into(), units.into(), revenue.into()],
            ))
            .await?
            .rows_affected()
            == 1;
        if fresh {
            txn.execute_raw(pg(
                "INSERT INTO promotions.campaign_stats AS s (campaign_id, orders, units, revenue) \
                 VALUES ($1, 1, $2, $3) \
                 ON CONFLICT (campaign_id) DO UPDATE SET orders = s.orders + 1, \
                     units = s.units + EXCLUDED.units, revenue = s.revenue + EXCLUDED.revenue, \
                     updated_at = now()",
                [campaign_id.into(), units.into(), revenue.into()],
            ))
            .await?;
        }
    }
    txn.commit().await?;
    Ok(())
}

/// The handler of the `promotions-stats` group.
pub async fn handle(state: AppState, ev: Event) -> PromotionsResult<()> {
    let state = &state;
    match serde_json::from_value::<Sale>(ev.payload) {
        Ok(sale) => count_sale(state, &sale).await,
        Err(err) => {
            // Retrying cannot fix a payload of the wrong shape.
            tracing::warn!(event_id = %ev.event_id, error = %err, "ignoring malformed orders.sale");
            Ok(())
        }
    }
}

/// Run the statistics consumer until `stop` flips.
pub async fn run(state: AppState, stop: tokio::sync::watch::Receiver<bool>) {
    events::run_app_consumer(state, GROUP, &[topics::ORDERS_SALE], handle, stop).await;
}
