//! What a sale is attributed to, recorded at checkout in the order's transaction and never
//! changed after: the order's sales channel and buyer kind, and for each line its vendor,
//! category and top-level category, the campaign whose price or coupon applied, the
//! vendor's district (on the day of the sale and under the newest boundaries) and whether
//! the vendor was certified at that moment. The 실적 report reads it through
//! [`crate::sales_facts`], so a later change to a product, vendor or campaign never
//! rewrites a past quarter.

use crate::error::OrdersResult;
use crate::quoting::Priced;
use chrono::{DateTime, Utc};
use platform::attribution::{BuyerKind, SalesChannel};
use sea_orm::{ConnectionTrait, Value};
use std::collections::HashMap;
use uuid::Uuid;

/// Who and where, for one order: the channel the client named and the kind of buyer the
/// server established.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OrderAttribution {
    pub channel: SalesChannel,
    pub buyer_kind: BuyerKind,
}

/// How a campaign reached a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CampaignVia {
    Price,
    Coupon,
}

impl CampaignVia {
    pub fn as_str(self) -> &'static str {
        match self {
            CampaignVia::Price => "price",
            CampaignVia::Coupon => "coupon",
        }
    }
}

/// The campaign of each coupon in `coupon_ids` that was issued for one (a coupon scoped to
/// a campaign's lines).
async fn coupon_campaigns(
    db: &impl ConnectionTrait,
    coupon_ids: &[Uuid],
) -> OrdersResult<HashMap<Uuid, Uuid>> {
    let mut out = HashMap::new();
    for id in coupon_ids {
        let c = promotions::coupons::get(db, *id).await?;
        if c.scope_kind == "campaign"
            && let Some(campaign) = c.scope_id
        {
            out.insert(*id, campaign);
        }
    }
    Ok(out)
}

/// `bp` basis points of `amount`, rounded down to the won.
fn share_of(amount: i64, bp: u16) -> i64 {
    (i128::from(amount) * i128::from(bp) / 10_000) as i64
}

/// What the vendor funds of a line's discounts, by the shares the quote carries.
fn vendor_funded(line: &promotions::pricing::LineQuote) -> i64 {
    let promotion = line.applied.as_ref().map_or(0, |a| {
        share_of(line.promotion_discount.get(), a.vendor_share_bp)
    });
    promotion
        + line
            .coupon_shares
            .iter()
            .map(|s| share_of(s.amount.get(), s.vendor_share_bp))
            .sum::<i64>()
}

/// The attribution of an order about to be written, ready to travel in the statement that
/// writes it (see [`Attribution::cte`]).
pub struct Attribution {
    pub who: OrderAttribution,
    /// One row of `LINE_COLUMNS` values per line, after the order id.
    lines: Vec<[Value; 10]>,
}

/// The columns of `orders.line_attribution` after `order_id`.
const LINE_COLUMNS: &str = "variant_id, vendor_id, category_id, top_category_id, campaign_id, \
     campaign_via, district, district_comparable, certified, vendor_discount";

/// Work out the attribution of the order `priced` is about to become. The vendors'
/// districts come with the catalog facts already read; only coupons issued for a campaign
/// (rare) are read here.
pub async fn of(
    db: &impl ConnectionTrait,
    who: OrderAttribution,
    priced: &Priced,
    now: DateTime<Utc>,
) -> OrdersResult<Attribution> {
    let q = &priced.quote;
    let day = promotions::seoul::day(now);
    let mut coupons: Vec<Uuid> = q
        .lines
        .iter()
        .flat_map(|l| l.coupon_shares.iter().map(|s| s.coupon_id))
        .collect();
    coupons.sort_unstable();
    coupons.dedup();
    let by_coupon = coupon_campaigns(db, &coupons).await?;
    let lines = q
        .lines
        .iter()
        .zip(&priced.items)
        .map(|(line, (p, _))| {
            let campaign = match line
                .applied
                .as_ref()
                .and_then(|a| a.promotion.campaign_id())
            {
                Some(c) => Some((c, CampaignVia::Price)),
                None => line
                    .coupon_shares
                    .iter()
                    .find_map(|s| by_coupon.get(&s.coupon_id))
                    .map(|c| (*c, CampaignVia::Coupon)),
            };
            let district = p.vendor_district(day);
            [
                line.variant_id.into(),
                line.vendor_id.into(),
                p.category_path.last().copied().unwrap_or_default().into(),
                p.category_path.first().copied().unwrap_or_default().into(),
                campaign.map(|(c, _)| c).into(),
                campaign.map(|(_, via)| via.as_str()).into(),
                district.at_sale.into(),
                district.comparable.into(),
                p.certified.into(),
                vendor_funded(line).into(),
            ]
        })
        .collect();
    Ok(Attribution { who, lines })
}

impl Attribution {
    /// The lines' rows as one CTE (`attribution`) of the statement that writes the order,
    /// whose id is parameter `order_param`; its own parameters follow the caller's first
    /// `after`. The order's channel and buyer kind are columns of the order row itself.
    pub fn cte(self, order_param: usize, after: usize) -> (String, Vec<Value>) {
        let mut values = Vec::with_capacity(self.lines.len() * 10);
        let rows: Vec<String> = self
            .lines
            .into_iter()
            .map(|row| {
                let k = after + values.len();
                values.extend(row);
                let cols: Vec<String> = (1..=10).map(|c| format!("${}", k + c)).collect();
                format!("(${order_param}, {})", cols.join(", "))
            })
            .collect();
        let sql = format!(
            "attribution AS (INSERT INTO orders.line_attribution (order_id, {LINE_COLUMNS}) \
             VALUES {} ON CONFLICT DO NOTHING)",
            rows.join(", ")
        );
        (sql, values)
    }
}
