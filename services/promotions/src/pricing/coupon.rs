//! Coupons and the stacking policy, as data.

use chrono::{DateTime, Utc};
use platform::money::Won;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A coupon the customer holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Coupon {
    pub id: Uuid,
    pub code: String,
    pub kind: CouponKind,
    /// Compared with the coupon's base: the discounted amounts of the lines in its scope.
    pub min_order: Won,
    pub scope: CouponScope,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    /// The vendor's share of what it takes off, basis points.
    pub vendor_share_bp: u16,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum CouponKind {
    /// `percent`% of the base, rounded down to the won, at most `cap`.
    Percent { percent: u32, cap: Option<Won> },
    /// A fixed amount off the base (never more than the base).
    AmountOff(Won),
    /// Waives the base shipping fee of the vendors in scope; never the remote-area
    /// surcharge.
    FreeShipping,
}

impl CouponKind {
    pub fn is_shipping(self) -> bool {
        matches!(self, CouponKind::FreeShipping)
    }

    /// What an order coupon takes off `base`, never more than `base` (0 for shipping).
    pub(crate) fn order_discount(self, base: Won) -> Won {
        let base = base.non_negative();
        let off = match self {
            CouponKind::Percent { percent, cap } => {
                let off = base.percent_floor(percent.min(100));
                match cap {
                    Some(cap) => off.min(cap.non_negative()),
                    None => off,
                }
            }
            CouponKind::AmountOff(amount) => amount.non_negative(),
            CouponKind::FreeShipping => Won::ZERO,
        };
        off.min(base)
    }
}

/// Which lines a coupon reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum CouponScope {
    All,
    /// Lines whose applied promotion belongs to this campaign (기획전).
    Campaign(Uuid),
    Vendor(Uuid),
    /// Lines whose category path contains this category.
    Category(Uuid),
}

/// How promotions combine. Data, so that marketers can change it without a release: the
/// current policy is stored (see `crate::stacking`) and passed to every quote.
///
/// A line always gets at most one line promotion (campaign price or time deal); the policy
/// decides which wins and what coupons may add on top.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StackingPolicy {
    /// Order coupons (`Percent`, `AmountOff`) usable together on one order.
    pub max_order_coupons: u8,
    /// Shipping coupons (`FreeShipping`) usable together on one order.
    pub max_shipping_coupons: u8,
    /// When true an applicable time deal wins over campaign rules even when a rule would
    /// give a lower price; when false the lowest price wins.
    pub time_deal_beats_campaign: bool,
    /// When false an order that uses an order coupon uses no shipping coupon (the order
    /// coupon is kept: it is judged first).
    pub order_and_shipping_coupons_combine: bool,
    /// When false order coupons reach only lines at their list price: a line with a
    /// campaign price or a time deal is left out of every order coupon's scope. Shipping
    /// coupons are not affected.
    pub coupons_on_promoted_lines: bool,
}

impl Default for StackingPolicy {
    /// The best line promotion, plus at most one order coupon and one shipping coupon.
    fn default() -> Self {
        StackingPolicy {
            max_order_coupons: 1,
            max_shipping_coupons: 1,
            time_deal_beats_campaign: false,
            order_and_shipping_coupons_combine: true,
            coupons_on_promoted_lines: true,
        }
    }
}
