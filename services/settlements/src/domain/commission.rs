//! Commission and fee rates, and how they round.
//!
//! Rates are basis points (1 bp = 0.01%; 10,000 bp = 100%). Rounding, stated once:
//! - commission on a line = ⌊base × bp / 10,000⌋ (down to the won, in the vendor's favour);
//! - commission VAT on a vendor order = ⌊Σ line commissions / 10⌋ (10%, down to the won);
//! - payment fee on a vendor order = ⌊paid × bp / 10,000⌋.
//!
//! Which commission rule applies to a line, most specific first: a campaign override (a
//! city campaign may waive commission: rate 0), then the vendor's own rate, then the
//! closest category of the product (its category before its ancestors), then the default.
//! A rule applies from `effective_from` (inclusive) to `effective_to` (exclusive); among
//! rules of one scope in force at the instant, the one that started last wins.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub const BASIS_POINTS: i64 = 10_000;

/// A rate in basis points, 0 to 10,000.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RateBp(i32);

impl RateBp {
    pub const ZERO: RateBp = RateBp(0);
    pub const ALL: RateBp = RateBp(BASIS_POINTS as i32);

    pub fn new(bp: i32) -> Option<RateBp> {
        (0..=BASIS_POINTS as i32)
            .contains(&bp)
            .then_some(RateBp(bp))
    }

    pub fn get(self) -> i32 {
        self.0
    }

    /// ⌊amount × rate⌋ for a non-negative amount (a negative amount counts as 0).
    pub fn of(self, amount: i64) -> i64 {
        (i128::from(amount.max(0)) * i128::from(self.0) / i128::from(BASIS_POINTS)) as i64
    }
}

/// Commission VAT: 10% of the commission, rounded down to the won.
pub fn commission_vat(commission: i64) -> i64 {
    commission.max(0) / 10
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "scope", content = "id", rename_all = "snake_case")]
pub enum Scope {
    Default,
    Vendor(Uuid),
    Category(Uuid),
    Campaign(Uuid),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommissionRule {
    pub scope: Scope,
    pub rate: RateBp,
    pub effective_from: DateTime<Utc>,
    pub effective_to: Option<DateTime<Utc>>,
}

impl CommissionRule {
    fn in_force(&self, at: DateTime<Utc>) -> bool {
        self.effective_from <= at && self.effective_to.is_none_or(|to| at < to)
    }
}

/// What the rules look at in a line.
#[derive(Debug, Clone, Copy)]
pub struct LineContext<'a> {
    pub vendor_id: Uuid,
    /// The product's category first, then its ancestors.
    pub categories: &'a [Uuid],
    pub campaign_id: Option<Uuid>,
    pub at: DateTime<Utc>,
}

/// The rate for a line, `None` when not even a default is in force.
pub fn resolve(rules: &[CommissionRule], line: LineContext<'_>) -> Option<RateBp> {
    let latest = |pred: &dyn Fn(&Scope) -> bool| {
        rules
            .iter()
            .filter(|r| pred(&r.scope) && r.in_force(line.at))
            .max_by_key(|r| r.effective_from)
            .map(|r| r.rate)
    };
    if let Some(c) = line.campaign_id
        && let Some(rate) = latest(&|s| *s == Scope::Campaign(c))
    {
        return Some(rate);
    }
    if let Some(rate) = latest(&|s| *s == Scope::Vendor(line.vendor_id)) {
        return Some(rate);
    }
    for cat in line.categories {
        if let Some(rate) = latest(&|s| *s == Scope::Category(*cat)) {
            return Some(rate);
        }
    }
    latest(&|s| *s == Scope::Default)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(day: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, day, 0, 0, 0)
            .single()
            .unwrap_or_default()
    }

    fn rule(scope: Scope, bp: i32, from: u32, to: Option<u32>) -> CommissionRule {
        CommissionRule {
            scope,
            rate: RateBp::new(bp).unwrap_or(RateBp(0)),
            effective_from: at(from),
            effective_to: to.map(at),
        }
    }

    #[test]
    fn commission_and_its_vat_round_down_to_the_won() {
        let r = RateBp::new(350).unwrap_or(RateBp(0)); // 3.5%
        assert_eq!(r.of(12_345), 432); // 432.075
        assert_eq!(r.of(9_999), 349); // 349.965: down, never up
        assert_eq!(commission_vat(432), 43); // 43.2
        assert_eq!(commission_vat(9), 0);
        assert_eq!(r.of(-5_000), 0);
        assert!(RateBp::new(10_001).is_none());
        assert!(RateBp::new(-1).is_none());
        assert_eq!(RateBp::new(10_000).map(|r| r.of(7_777)), Some(7_777));
    }

    #[test]
    fn the_most_specific_rule_in_force_wins() {
        let vendor = Uuid::now_v7();
        let other_vendor = Uuid::now_v7();
        let (leaf, parent) = (Uuid::now_v7(), Uuid::now_v7());
        let campaign = Uuid::now_v7();
        let rules = vec![
            rule(Scope::Default, 300, 1, None),
            rule(Scope::Default, 250, 10, None),
            rule(Scope::Category(parent), 200, 1, None),
            rule(Scope::Category(leaf), 150, 1, Some(20)),
            rule(Scope::Vendor(other_vendor), 100, 1, None),
            rule(Scope::Campaign(campaign), 0, 5, Some(15)),
        ];
        let line = |categories: &'static [Uuid], campaign_id, day| {
            resolve(
                &rules,
                LineContext {
                    vendor_id: vendor,
                    categories,
                    campaign_id,
                    at: at(day),
                },
            )
            .map(RateBp::get)
        };
        // Default, and the later default once it starts.
        assert_eq!(line(&[], None, 2), Some(300));
        assert_eq!(line(&[], None, 12), Some(250));
        let cats: &'static [Uuid] = Box::leak(vec![leaf, parent].into_boxed_slice());
        let parent_only: &'static [Uuid] = Box::leak(vec![parent].into_boxed_slice());
        // Closest category first; the leaf's rule ends on day 20 (exclusive).
        assert_eq!(line(cats, None, 2), Some(150));
        assert_eq!(line(cats, None, 20), Some(200));
        assert_eq!(line(parent_only, None, 2), Some(200));
        // A campaign waiver beats everything while it runs, and only then.
        assert_eq!(line(cats, Some(campaign), 6), Some(0));
        assert_eq!(line(cats, Some(campaign), 16), Some(150));
        // Another vendor's rate is not ours; our own would beat categories.
        let mut with_ours = rules.clone();
        with_ours.push(rule(Scope::Vendor(vendor), 120, 1, None));
        let ours = resolve(
            &with_ours,
            LineContext {
                vendor_id: vendor,
                categories: cats,
                campaign_id: None,
                at: at(2),
            },
        );
        assert_eq!(ours.map(RateBp::get), Some(120));
        assert_eq!(
            resolve(
                &[],
                LineContext {
                    vendor_id: vendor,
                    categories: &[],
                    campaign_id: None,
                    at: at(2)
                }
            ),
            None
        );
    }
}
