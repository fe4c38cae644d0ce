//! The promotions live at an instant, as the pricing engine wants them.
//!
//! Liveness is decided by each campaign's and deal's window at `at` — never by the status
//! column — so there is no moment at which an old and a new price are both served: at
//! `ends_at` a campaign's prices stop and at `starts_at` the next one's begin, in the same
//! instant, whether or not the scheduler has flipped the statuses yet. Drafts are never
//! priced.

use crate::error::PromotionsResult;
use crate::prices::discount_of;
use crate::pricing::{ALL_OF_IT, LivePromotions, PriceRule, RuleTarget, StackingPolicy, TimeDeal};
use crate::stacking::to_pricing;
use crate::store::{campaign_price, stacking_policy, time_deal};
use chrono::{DateTime, Utc};
use platform::db::pg;
use platform::money::Won;
use sea_orm::{ConnectionTrait, DbErr};
use serde::Deserialize;
use uuid::Uuid;

#[derive(Debug, Deserialize)]
struct RuleRow {
    #[serde(flatten)]
    price: campaign_price::Model,
    title: String,
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    /// The campaign's.
    vendor_share_bp: i32,
}

/// Everything promotions contributes to a quote.
pub struct PricingInputs {
    pub live: LivePromotions,
    pub policy: StackingPolicy,
}

/// A stored price as the engine's rule, with its campaign's title and window; the vendor
/// funds all of its discount unless [`PriceRule::vendor_share_bp`] is set from the campaign.
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
        vendor_share_bp: ALL_OF_IT,
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
        vendor_share_bp: crate::funding::share(d.vendor_share_bp),
    }
}

/// The campaign price rules and time deals live at `at` for `products`, and the stacking
/// policy, in one round trip: every cart read and checkout comes through here, and three
/// statements were three waits on Postgres for what is one question.
///
/// A cart or a page prices a handful of products; a big 기획전 has thousands of prices, and
/// reading them all for every quote would make each as slow as the largest campaign. The
/// ids sit behind a sub-select so that the prepared statement keeps one plan whatever
/// their number (see `catalog::purchasable::load`). The rows travel as JSON arrays, the
/// one shape that lets one statement answer with three lists.
#[tracing::instrument(skip_all, fields(products = products.len()))]
pub async fn load(
    db: &impl ConnectionTrait,
    at: DateTime<Utc>,
    products: &[Uuid],
) -> PromotionsResult<PricingInputs> {
    let row = db
        .query_one_raw(pg("SELECT \
               (SELECT coalesce(json_agg(r), '[]')::text FROM ( \
                  SELECT p.*, c.title, c.starts_at, c.ends_at, c.vendor_share_bp FROM promotions.campaign_prices p \
                  JOIN promotions.campaigns c ON c.id = p.campaign_id \
                  WHERE c.status <> 'draft' AND c.starts_at <= $1 AND $1 < c.ends_at \
                    AND p.product_id = ANY((SELECT $2)::uuid[])) r) AS prices, \
               (SELECT coalesce(json_agg(d), '[]')::text FROM ( \
                  SELECT d.* FROM promotions.time_deals d \
                  LEFT JOIN promotions.campaigns c ON c.id = d.campaign_id \
                  WHERE d.starts_at <= $1 AND $1 < d.ends_at \
                    AND (c.id IS NULL OR c.status <> 'draft') \
                    AND d.product_id = ANY((SELECT $2)::uuid[])) d) AS deals, \
               (SELECT row_to_json(s)::text FROM promotions.stacking_policy s LIMIT 1) AS policy",
            [at.into(), platform::db::uuid_array(products)],
        ))
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("live promotions".into()))?;
    let json = |col: &str| -> PromotionsResult<Option<String>> { Ok(row.try_get("", col)?) };
    let parse = |what: &str, text: &str| DbErr::Json(format!("live {what}: {text}"));
    let rules: Vec<RuleRow> = serde_json::from_str(&json("prices")?.unwrap_or_default())
        .map_err(|e| parse("prices", &e.to_string()))?;
    let deals: Vec<time_deal::Model> = serde_json::from_str(&json("deals")?.unwrap_or_default())
        .map_err(|e| parse("deals", &e.to_string()))?;
    let policy = match json("policy")? {
        Some(text) => to_pricing(
            &serde_json::from_str::<stacking_policy::Model>(&text)
                .map_err(|e| parse("stacking policy", &e.to_string()))?,
        ),
        None => StackingPolicy::default(),
    };
    let rules = rules
        .iter()
        .map(|r| PriceRule {
            vendor_share_bp: crate::funding::share(r.vendor_share_bp),
            ..rule(&r.price, &r.title, r.starts_at, r.ends_at)
        })
        .collect();
    Ok(PricingInputs {
        live: LivePromotions::new(rules, deals.iter().map(deal).collect()),
        policy,
    })
}
