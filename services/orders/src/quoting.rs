//! Pricing a cart: load what the catalog says about each variant (its price, never the
//! client's), keep what can be sold, and ask the pricing engine for a quote. The cart page
//! and checkout both come through here.

use crate::error::{OrdersError, OrdersResult};
use crate::remote_areas::RemoteAreas;
use catalog::purchasable::{self, Purchasable};
use chrono::{DateTime, Utc};
use platform::quantity::Quantity;
use promotions::PricingInputs;
use promotions::cart_input;
use promotions::live_set::LiveSet;
use promotions::pricing::{self, CartLine, Destination, Quote, QuoteRequest};
use sea_orm::ConnectionTrait;
use serde::Serialize;
use uuid::Uuid;

/// Units of a variant a quote prices: the line the stock holds when they are sold.
pub type Want = catalog::stock::StockLine;

/// Why a line cannot be bought as it stands.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LineProblem {
    /// The variant, its product or its vendor is gone, archived or suspended.
    Unavailable,
    /// Fewer units are available than asked for.
    InsufficientStock,
    /// Over the product's per-order limit.
    OverLimit,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LineIssue {
    pub variant_id: Uuid,
    pub problem: LineProblem,
    pub available: i32,
}

pub struct Priced {
    /// What the catalog says of the variants read, sellable or not (for flagging cart
    /// lines).
    pub found: Vec<Purchasable>,
    /// The sellable lines that were quoted, in cart order.
    pub items: Vec<(Purchasable, Quantity)>,
    pub issues: Vec<LineIssue>,
    pub quote: Quote,
}

/// What quotes keep in the process between reads.
#[derive(Clone, Copy)]
pub struct Kept<'a> {
    /// The remote-area table, read once per process.
    pub remote_areas: &'a RemoteAreas,
    /// This process's copy of what is on promotion: with it, a quote reads no promotions
    /// when no product it prices has a campaign price or a time deal (checkout too: what
    /// it charges for a product on promotion is read in its own transaction).
    pub promotions: Option<&'a LiveSet>,
}

/// Most coupon codes one quote takes: the stacking policy allows at most five of each
/// kind, and the engine says of every code whether it applied.
pub const MAX_COUPON_CODES: usize = 10;

/// Who is buying and with which coupons: the promotions that depend on the customer.
#[derive(Debug, Clone, Copy, Default)]
pub struct Buyer<'a> {
    pub customer: Option<Uuid>,
    /// As the customer typed them; blanks and repeats are ignored. Which of them apply
    /// (e.g. one order coupon plus one shipping coupon) is the stacking policy's call.
    pub coupon_codes: &'a [String],
}

/// The distinct, non-blank codes, in the order given.
fn distinct_codes(codes: &[String]) -> OrdersResult<Vec<&str>> {
    let mut out: Vec<&str> = Vec::new();
    for code in codes.iter().map(|c| c.trim()).filter(|c| !c.is_empty()) {
        if !out.contains(&code) {
            out.push(code);
        }
    }
    if out.len() > MAX_COUPON_CODES {
        return Err(OrdersError::field(
            "coupon_codes",
            "too_many",
            format!("at most {MAX_COUPON_CODES} coupon codes"),
        ));
    }
    Ok(out)
}

/// Quote `wants` delivered to `destination` at `at`, with the campaign prices and time
/// deals live at that instant, the buyer's coupon, the stored stacking policy and the
/// remote-area table. Lines that cannot be sold are left out of the quote and reported in
/// `issues`.
pub async fn price(
    db: &impl ConnectionTrait,
    kept: Kept<'_>,
    wants: &[Want],
    destination: &Destination,
    at: DateTime<Utc>,
    buyer: Buyer<'_>,
) -> OrdersResult<Priced> {
    let ids: Vec<Uuid> = wants.iter().map(|w| w.variant_id).collect();
    let found = purchasable::load(db, &ids).await?;
    price_known(db, kept, found, wants, destination, at, buyer).await
}

/// [`price`] with what the catalog says of the variants already read (`found` may hold
/// variants that are not wanted; they are not quoted).
pub async fn price_known(
    db: &impl ConnectionTrait,
    kept: Kept<'_>,
    found: Vec<Purchasable>,
    wants: &[Want],
    destination: &Destination,
    at: DateTime<Utc>,
    buyer: Buyer<'_>,
) -> OrdersResult<Priced> {
    let mut items = Vec::new();
    let mut issues = Vec::new();
    for w in wants {
        let Some(p) = found.iter().find(|p| p.variant_id == w.variant_id) else {
            issues.push(LineIssue {
                variant_id: w.variant_id,
                problem: LineProblem::Unavailable,
                available: 0,
            });
            continue;
        };
        let problem = if !p.sellable {
            Some(LineProblem::Unavailable)
        } else if p.max_per_order.is_some_and(|m| w.quantity.as_i32() > m) {
            Some(LineProblem::OverLimit)
        } else if p.available < w.quantity.as_i32() {
            Some(LineProblem::InsufficientStock)
        } else {
            None
        };
        match problem {
            Some(problem) => issues.push(LineIssue {
                variant_id: w.variant_id,
                problem,
                available: p.available.max(0),
            }),
            None => items.push((p.clone(), w.quantity)),
        }
    }
    let lines: Vec<CartLine> = items
        .iter()
        .map(|(p, q)| cart_input::cart_line(p, *q))
        .collect();
    let shipping = cart_input::vendor_shipping(items.iter().map(|(p, _)| p));
    let mut product_ids: Vec<Uuid> = items.iter().map(|(p, _)| p.product_id).collect();
    product_ids.sort_unstable();
    product_ids.dedup();
    let remote = kept.remote_areas.table(db).await?;
    let PricingInputs { live, policy } = match kept.promotions {
        Some(held) => held.pricing_inputs(db, at, &product_ids).await?,
        None => promotions::pricing_inputs(db, at, &product_ids).await?,
    };
    let mut coupons = Vec::new();
    for code in distinct_codes(buyer.coupon_codes)? {
        let customer = buyer.customer.ok_or(OrdersError::CouponNotFound)?;
        let coupon = promotions::coupon_for(db, code, customer, at)
            .await?
            .ok_or(OrdersError::CouponNotFound)?;
        coupons.push(coupon);
    }
    // What the buyer already took of time deals only matters to a line that has one: most
    // carts skip this query.
    let has_deal = lines
        .iter()
        .any(|l| live.deals_for(l.variant_id).next().is_some());
    let deal_purchases = match buyer.customer {
        Some(c) if has_deal => promotions::deal_purchases(db, c, at).await?,
        _ => Vec::new(),
    };
    let quote = pricing::quote(
        &live,
        &remote,
        &policy,
        &QuoteRequest {
            at,
            lines: &lines,
            shipping: &shipping,
            coupons: &coupons,
            destination,
            deal_purchases: &deal_purchases,
        },
    )?;
    Ok(Priced {
        found,
        items,
        issues,
        quote,
    })
}
