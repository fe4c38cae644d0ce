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
use sea_orm::{ConnectionTrait, DbBackend, Statement, Value};
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

/// Record the attribution of the order just written: one statement.
pub async fn record(
    db: &impl ConnectionTrait,
    order_id: Uuid,
    who: OrderAttribution,
    priced: &Priced,
    now: DateTime<Utc>,
) -> OrdersResult<()> {
    let q = &priced.quote;
    let day = promotions::seoul::day(now);
    let mut vendors: Vec<Uuid> = q.lines.iter().map(|l| l.vendor_id).collect();
    vendors.sort_unstable();
    vendors.dedup();
    let districts = catalog::districts::of_vendors(db, &vendors, day).await?;
    let mut coupons: Vec<Uuid> = q
        .lines
        .iter()
        .flat_map(|l| l.coupon_shares.iter().map(|s| s.coupon_id))
        .collect();
    coupons.sort_unstable();
    coupons.dedup();
    let by_coupon = coupon_campaigns(db, &coupons).await?;
    let mut values: Vec<Value> = vec![order_id.into(), who.channel.into(), who.buyer_kind.into()];
    let mut rows = Vec::new();
    for (line, (p, _)) in q.lines.iter().zip(&priced.items) {
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
        let district = districts.get(&line.vendor_id);
        let top = p.category_path.first().copied().unwrap_or_default();
        let leaf = p.category_path.last().copied().unwrap_or_default();
        let k = values.len();
        let cols: Vec<String> = (1..=10).map(|c| format!("${}", k + c)).collect();
        rows.push(format!("($1, {})", cols.join(", ")));
        values.extend([
            line.variant_id.into(),
            line.vendor_id.into(),
            leaf.into(),
            top.into(),
            campaign.map(|(c, _)| c).into(),
            campaign.map(|(_, via)| via.as_str()).into(),
            district
                .map_or(catalog::districts::UNKNOWN, |d| d.at_sale)
                .into(),
            district
                .map_or(catalog::districts::UNKNOWN, |d| d.comparable)
                .into(),
            p.certified.into(),
            vendor_funded(line).into(),
        ]);
    }
    let sql = format!(
        "WITH o AS (UPDATE orders.orders SET channel = $2, buyer_kind = $3 WHERE id = $1) \
         INSERT INTO orders.line_attribution (order_id, variant_id, vendor_id, category_id, top_category_id, \
             campaign_id, campaign_via, district, district_comparable, certified, vendor_discount) VALUES {} \
         ON CONFLICT DO NOTHING",
        rows.join(", ")
    );
    db.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        sql,
        values,
    ))
    .await?;
    Ok(())
}
