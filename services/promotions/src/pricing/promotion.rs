//! Campaign price rules, time deals, and the index a quote looks them up in.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use platform::money::Won;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Whether `at` falls in the half-open window `[starts_at, ends_at)`.
pub(crate) fn in_window(
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    at: DateTime<Utc>,
) -> bool {
    starts_at <= at && at < ends_at
}

/// What a campaign rule discounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum RuleTarget {
    /// Every variant of the product.
    Product(Uuid),
    Variant(Uuid),
}

/// How a campaign rule changes a unit price.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum Discount {
    /// `p`% off, the discount rounded down to the won (values above 100 count as 100).
    Percent(u32),
    AmountOff(Won),
    FixedPrice(Won),
}

impl Discount {
    /// The unit price this discount makes of `list`, before any floor; never negative.
    pub fn apply(self, list: Won) -> Won {
        let list = list.non_negative();
        match self {
            Discount::Percent(p) => Won(list.0 - list.percent_floor(p.min(100)).0),
            Discount::AmountOff(off) => Won(list.0.saturating_sub(off.non_negative().0)),
            Discount::FixedPrice(price) => price,
        }
        .non_negative()
    }
}

/// A discount of a campaign (기획전) on a product or a variant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriceRule {
    pub id: Uuid,
    pub campaign_id: Uuid,
    pub campaign_title: String,
    pub target: RuleTarget,
    pub discount: Discount,
    /// The unit price never goes below this.
    pub floor: Won,
    /// The vendor's share of the discount, basis points (its campaign's).
    pub vendor_share_bp: u16,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
}

impl PriceRule {
    /// The unit price this rule gives from `list`: the discount, held at the floor and at
    /// 0. It may not be below `list` (a fixed price above it, a floor above it); the engine
    /// then does not apply the rule.
    pub fn unit_price(&self, list: Won) -> Won {
        self.discount.apply(list).max(self.floor).non_negative()
    }

    pub fn is_live(&self, at: DateTime<Utc>) -> bool {
        in_window(self.starts_at, self.ends_at, at)
    }
}

/// A time deal (타임딜): a price for one variant while it lasts and stock remains.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeDeal {
    pub id: Uuid,
    pub variant_id: Uuid,
    /// The campaign the deal runs in, if any: a campaign-scoped coupon reaches its lines.
    pub campaign_id: Option<Uuid>,
    pub deal_price: Won,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    /// Deal units still available to everyone.
    pub remaining: u32,
    /// Units one customer may buy at the deal price, over all their orders; `None` = no
    /// limit. What the customer already bought comes with the request
    /// ([`super::DealPurchase`]), so that one index serves every customer.
    pub per_customer_limit: Option<u32>,
    /// The vendor's share of the discount, basis points.
    pub vendor_share_bp: u16,
}

impl TimeDeal {
    pub fn is_live(&self, at: DateTime<Utc>) -> bool {
        in_window(self.starts_at, self.ends_at, at)
    }
}

/// The rules and deals a quote may use, indexed by variant and by product so that pricing
/// a line looks at its own candidates only. Build it once (when promotions change) and
/// share it between quotes; which of them are live is decided per quote from its `at`.
///
/// Rules and deals are kept sorted by id, so the quote does not depend on the order they
/// were loaded in (ids are unique: they are primary keys).
#[derive(Debug, Clone, Default)]
pub struct LivePromotions {
    rules: Vec<PriceRule>,
    deals: Vec<TimeDeal>,
    rules_by_variant: HashMap<Uuid, Vec<usize>>,
    rules_by_product: HashMap<Uuid, Vec<usize>>,
    deals_by_variant: HashMap<Uuid, Vec<usize>>,
}

impl LivePromotions {
    pub fn new(mut rules: Vec<PriceRule>, mut deals: Vec<TimeDeal>) -> Self {
        rules.sort_by_key(|r| r.id);
        deals.sort_by_key(|d| d.id);
        let mut rules_by_variant: HashMap<Uuid, Vec<usize>> = HashMap::new();
        let mut rules_by_product: HashMap<Uuid, Vec<usize>> = HashMap::new();
        for (i, rule) in rules.iter().enumerate() {
            match rule.target {
                RuleTarget::Variant(v) => rules_by_variant.entry(v).or_default().push(i),
                RuleTarget::Product(p) => rules_by_product.entry(p).or_default().push(i),
            }
        }
        let mut deals_by_variant: HashMap<Uuid, Vec<usize>> = HashMap::new();
        for (i, deal) in deals.iter().enumerate() {
            deals_by_variant.entry(deal.variant_id).or_default().push(i);
        }
        LivePromotions {
            rules,
            deals,
            rules_by_variant,
            rules_by_product,
            deals_by_variant,
        }
    }

    /// All rules, sorted by id.
    pub fn rules(&self) -> &[PriceRule] {
        &self.rules
    }

    /// All deals, sorted by id.
    pub fn deals(&self) -> &[TimeDeal] {
        &self.deals
    }

    /// The rules targeting this variant or its product, live or not: variant rules first,
    /// each group by id.
    pub fn rules_for(
        &self,
        product_id: Uuid,
        variant_id: Uuid,
    ) -> impl Iterator<Item = &PriceRule> {
        let by_variant = self.rules_by_variant.get(&variant_id);
        let by_product = self.rules_by_product.get(&product_id);
        by_variant
            .into_iter()
            .chain(by_product)
            .flatten()
            .map(|&i| &self.rules[i])
    }

    /// The deals on this variant, live or not, by id.
    pub fn deals_for(&self, variant_id: Uuid) -> impl Iterator<Item = &TimeDeal> {
        self.deals_by_variant
            .get(&variant_id)
            .into_iter()
            .flatten()
            .map(|&i| &self.deals[i])
    }
}
