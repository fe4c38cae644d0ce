//! The quote: what the customer pays and why. Serializable as the cart and checkout
//! responses; compared as a whole when checkout re-quotes.

use chrono::{DateTime, Utc};
use platform::money::Won;
use platform::quantity::Quantity;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::remote_area::RemoteAreaMatch;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Quote {
    /// The instant the promotions were evaluated at.
    pub at: DateTime<Utc>,
    /// In cart order.
    pub lines: Vec<LineQuote>,
    /// In the order the coupons were offered.
    pub coupons: Vec<CouponOutcome>,
    /// One parcel per vendor, in order of the vendor's first line.
    pub shipping: Vec<VendorShippingQuote>,
    /// Set when the destination is in a remote-area range (even when exempt).
    pub remote_area: Option<RemoteAreaMatch>,
    pub totals: QuoteTotals,
}

/// A promotion, named the way the storefront shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum PromotionRef {
    CampaignRule {
        rule_id: Uuid,
        campaign_id: Uuid,
        campaign_title: String,
    },
    TimeDeal {
        deal_id: Uuid,
        campaign_id: Option<Uuid>,
    },
}

impl PromotionRef {
    pub fn campaign_id(&self) -> Option<Uuid> {
        match self {
            PromotionRef::CampaignRule { campaign_id, .. } => Some(*campaign_id),
            PromotionRef::TimeDeal { campaign_id, .. } => *campaign_id,
        }
    }

    pub fn is_time_deal(&self) -> bool {
        matches!(self, PromotionRef::TimeDeal { .. })
    }

    pub fn id(&self) -> Uuid {
        match self {
            PromotionRef::CampaignRule { rule_id, .. } => *rule_id,
            PromotionRef::TimeDeal { deal_id, .. } => *deal_id,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AppliedPromotion {
    #[serde(flatten)]
    pub promotion: PromotionRef,
    pub unit_price: Won,
    /// The vendor's share of the line's promotion discount, in basis points (0–10,000),
    /// as the campaign or time deal recorded it when the quote was made. Quotes stored
    /// before shares were recorded read as 10,000 (the vendor funded campaign prices).
    #[serde(default = "all_of_it")]
    #[schema(minimum = 0, maximum = 10000)]
    pub vendor_share_bp: u16,
}

/// A share of 10,000 basis points: the whole discount.
pub const ALL_OF_IT: u16 = 10_000;

fn all_of_it() -> u16 {
    ALL_OF_IT
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RejectedPromotion {
    #[serde(flatten)]
    pub promotion: PromotionRef,
    /// The unit price it would have given.
    pub unit_price: Won,
    pub reason: PromotionRejection,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum PromotionRejection {
    /// Another promotion gives a lower price.
    NotBest,
    /// It would not lower the list price (a fixed price or floor above it).
    NoDiscount,
    /// Not running at the quote's instant.
    OutsideWindow,
    /// Fewer deal units remain than the line's quantity.
    DealSoldOut,
    /// The quantity would take the customer past the deal's per-customer limit.
    DealCustomerLimit,
    /// A time deal applies and the policy makes time deals win over campaign rules.
    TimeDealPriority,
}

/// A coupon's share of one line, for partial refunds and settlement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CouponShare {
    pub coupon_id: Uuid,
    pub amount: Won,
    /// The vendor's share of `amount`, in basis points (0–10,000), as the coupon recorded
    /// it. Quotes stored before shares were recorded read as 0 (the platform funded
    /// coupons).
    #[serde(default)]
    #[schema(minimum = 0, maximum = 10000)]
    pub vendor_share_bp: u16,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct LineQuote {
    pub variant_id: Uuid,
    pub product_id: Uuid,
    pub vendor_id: Uuid,
    pub quantity: Quantity,
    pub taxable: bool,
    pub list_unit_price: Won,
    /// After the line promotion.
    pub unit_price: Won,
    /// `list_unit_price × quantity`.
    pub list_amount: Won,
    pub promotion_discount: Won,
    /// `unit_price × quantity`: what order coupons are computed on.
    pub discounted_amount: Won,
    /// Sum of `coupon_shares`.
    pub coupon_discount: Won,
    /// What the customer pays for the line.
    pub final_amount: Won,
    pub applied: Option<AppliedPromotion>,
    /// Every other candidate promotion, by would-be unit price then id.
    pub not_applied: Vec<RejectedPromotion>,
    pub coupon_shares: Vec<CouponShare>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CouponClass {
    /// `Percent` or `AmountOff`: reduces line amounts.
    Order,
    /// `FreeShipping`: waives vendors' base fees.
    Shipping,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum CouponRejection {
    /// The same coupon was offered twice; only the first counts.
    Duplicate,
    OutsideWindow,
    /// No line of the cart is in the coupon's scope.
    OutOfScope,
    /// The in-scope amount is below the coupon's minimum order.
    BelowMinOrder,
    /// It would take nothing off (rounding, or shipping already free).
    NoBenefit,
    /// Other coupons of its class give more and the policy allows no more of them, or
    /// (for a shipping coupon) the policy does not combine it with an order coupon.
    NotStackable,
    /// Its scope holds only lines with a campaign price or time deal, and the policy keeps
    /// order coupons off such lines.
    PromotedLinesExcluded,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CouponOutcome {
    pub coupon_id: Uuid,
    pub code: String,
    pub class: CouponClass,
    pub applied: bool,
    /// What it took off (0 unless applied).
    pub discount: Won,
    /// Discounted amount of the in-scope lines, before coupons: what `min_order` is
    /// compared with.
    pub base: Won,
    pub reason: Option<CouponRejection>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct VendorShippingQuote {
    pub vendor_id: Uuid,
    /// The vendor's lines after all discounts.
    pub items_amount: Won,
    /// The vendor's base fee before any waiver.
    pub base_fee: Won,
    pub free_threshold: Option<Won>,
    pub free_by_threshold: bool,
    pub waived_by_coupon: Option<Uuid>,
    /// What is charged of the base fee.
    pub base_fee_charged: Won,
    /// Remote-area surcharge for this parcel (never waived by coupons).
    pub surcharge: Won,
    /// `base_fee_charged + surcharge`.
    pub total: Won,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
pub struct QuoteTotals {
    /// Sum of the lines' list amounts.
    pub list_subtotal: Won,
    pub promotion_discount: Won,
    /// Order coupons.
    pub coupon_discount: Won,
    /// Sum of the lines' final amounts.
    pub items_total: Won,
    /// Base fees charged, after thresholds and shipping coupons.
    pub shipping_base_fee: Won,
    pub shipping_surcharge: Won,
    /// Base fees waived by shipping coupons.
    pub shipping_discount: Won,
    /// `shipping_base_fee + shipping_surcharge`.
    pub shipping_total: Won,
    /// `items_total + shipping_total`.
    pub grand_total: Won,
    /// Taxable lines' final amounts plus all shipping.
    pub taxable_amount: Won,
    /// Tax-free (면세) lines' final amounts.
    pub tax_free_amount: Won,
}
