//! The promotions live at an instant, as the pricing engine wants them.
//!
//! Liveness is decided by each campaign's and deal's window at `at` — never by the status
//! column — so there is no moment at which an old and a new price are both served: at
//! `ends_at` a campaign's prices stop and at `starts_at` the next one's begin, in the same
//! instant, whether or not the scheduler has flipped the statuses yet. Drafts are never
//! priced.

use crate::error::PromotionsResult;
use crate::prices::discount_of;
use crate::pricing::{LivePromotions, PriceRule, RuleTarget, TimeDeal};
use crate::store::{campaign_price, time_deal};
use chrono::{DateTime, Utc};
use platform::money::Won;
use sea_orm::{ConnectionTrait, DbBackend, EntityTrait, FromQueryResult, Statement};
use uuid::Uuid;

#[derive(Debug, FromQueryResult)]
struct RuleRow {
    id: Uuid,
    campaign_id: Uuid,
    product_id: Uuid,
    variant_id: Option<Uuid>,
    kind: String,
    value: i64,
    floor: i64,
    application_id: Option<Uuid>,
    created_by: Uuid,
    created_at: DateTime<Utc>,
    title: String,
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
}

/// A stored price as the engine's rule, with its campaign's title and window.
pub fn rule(
    p: &campaign_price::Model,
    title: &str,
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
) -> PriceRule {
    PriceRule {
        id: p.id,
        campaign_id: p.campaign_id,
        campaign_title: title.to_owned(),
        target: match p.variant_id {
            Some(v) => RuleTarget::Variant(v),
            None => RuleTarget::Product(p.product_id),
        },
        discount: discount_of(p),
        floor: Won(p.floor),
        starts_at,
        ends_at,
    }
}

pub fn deal(d: &time_deal::Model) -> TimeDeal {
    TimeDeal {
        id: d.id,
        variant_id: d.variant_id,
        campaign_id: d.campaign_id,
        deal_price: Won(d.deal_price),
        starts_at: d.starts_at,
        ends_at: d.ends_at,
        remaining: (d.quantity - d.sold).max(0) as u32,
        per_customer_limit: d.per_customer_limit.map(|l| l.max(0) as u32),
    }
}

/// The campaign price rules and time deals live at `at` for `products`. A cart or a
/// page prices a handful of products; a big 기획전 has thousands of prices, and reading
/// them all for every quote would make each as slow as the largest campaign. The ids sit
/// behind a sub-select so that the prepared statement keeps one plan whatever their
/// number (see `catalog::purchasable::load`).
#[tracing::instrument(skip_all, fields(products = products.len()))]
pub async fn load(
    db: &impl ConnectionTrait,
    at: DateTime<Utc>,
    products: &[Uuid],
) -> PromotionsResult<LivePromotions> {
    let values = vec![at.into(), platform::db::uuid_array(products)];
    let rows = RuleRow::find_by_statement(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT p.*, c.title, c.starts_at, c.ends_at FROM promotions.campaign_prices p \
         JOIN promotions.campaigns c ON c.id = p.campaign_id \
         WHERE c.status <> 'draft' AND c.starts_at <= $1 AND $1 < c.ends_at \
           AND p.product_id = ANY((SELECT $2)::uuid[])",
        values.clone(),
    ))
    .all(db)
    .await?;
    let rules = rows
        .into_iter()
        .map(|r| {
            let p = campaign_price::Model {
                id: r.id,
                campaign_id: r.campaign_id,
                product_id: r.product_id,
                variant_id: r.variant_id,
                kind: r.kind,
                value: r.value,
                floor: r.floor,
                application_id: r.application_id,
                created_by: r.created_by,
                created_at: r.created_at,
            };
            rule(&p, &r.title, r.starts_at, r.ends_at)
        })
        .collect();
    let deals = time_deal::Entity::find()
        .from_raw_sql(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT d.* FROM promotions.time_deals d \
             LEFT JOIN promotions.campaigns c ON c.id = d.campaign_id \
             WHERE d.starts_at <= $1 AND $1 < d.ends_at \
               AND (c.id IS NULL OR c.status <> 'draft') \
               AND d.product_id = ANY((SELECT $2)::uuid[])",
            values,
        ))
        .all(db)
        .await?;
    Ok(LivePromotions::new(rules, deals.iter().map(deal).collect()))
}
