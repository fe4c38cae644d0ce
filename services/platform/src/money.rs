//! Money is whole Korean won in an `i64`: KRW has no minor unit, prices are VAT-inclusive,
//! and no float ever touches an amount.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::iter::Sum;
use std::ops::{Add, AddAssign, Sub, SubAssign};

/// An amount of Korean won. May be negative in intermediate arithmetic (a refund, a
/// difference); inputs that must be positive are checked where they are parsed.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Won(pub i64);

impl utoipa::PartialSchema for Won {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::Integer)
            .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
                utoipa::openapi::KnownFormat::Int64,
            )))
            .description(Some(
                "Whole Korean won (KRW is zero-decimal), VAT-inclusive",
            ))
            .into()
    }
}
impl utoipa::ToSchema for Won {}

impl Won {
    pub const ZERO: Won = Won(0);

    pub const fn new(won: i64) -> Self {
        Won(won)
    }

    pub const fn get(self) -> i64 {
        self.0
    }

    pub fn is_positive(self) -> bool {
        self.0 > 0
    }

    /// `self × qty`, saturating: a cart cannot overflow an i64 of won in practice, but a
    /// hostile quantity must not wrap around into a negative price.
    pub fn times(self, qty: u32) -> Won {
        Won(self.0.saturating_mul(i64::from(qty)))
    }

    /// `percent`% of this amount rounded down to the won (the shop never gives away a
    /// fraction it did not promise). `percent` is in basis points / 100, i.e. 0..=100.
    pub fn percent_floor(self, percent: u32) -> Won {
        // i128 so that large amounts times 100 cannot overflow.
        Won((i128::from(self.0) * i128::from(percent) / 100) as i64)
    }

    pub fn min(self, other: Won) -> Won {
        Won(self.0.min(other.0))
    }

    pub fn max(self, other: Won) -> Won {
        Won(self.0.max(other.0))
    }

    /// Never below zero: totals and discounted prices are clamped here.
    pub fn non_negative(self) -> Won {
        Won(self.0.max(0))
    }
}

impl fmt::Display for Won {
    /// `₩15,000` — the way Korean shops print prices.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let digits = self.0.unsigned_abs().to_string();
        let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
        for (i, ch) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                grouped.push(',');
            }
            grouped.push(ch);
        }
        let sign = if self.0 < 0 { "-" } else { "" };
        write!(f, "{sign}₩{grouped}")
    }
}

impl Add for Won {
    type Output = Won;
    fn add(self, rhs: Won) -> Won {
        Won(self.0 + rhs.0)
    }
}
impl Sub for Won {
    type Output = Won;
    fn sub(self, rhs: Won) -> Won {
        Won(self.0 - rhs.0)
    }
}
impl AddAssign for Won {
    fn add_assign(&mut self, rhs: Won) {
        self.0 += rhs.0;
    }
}
impl SubAssign for Won {
    fn sub_assign(&mut self, rhs: Won) {
        self.0 -= rhs.0;
    }
}
impl Sum for Won {
    fn sum<I: Iterator<Item = Won>>(iter: I) -> Won {
        Won(iter.map(|w| w.0).sum())
    }
}

/// Spread `total` over parts in proportion to `weights` by the largest-remainder method:
/// every part gets the floor of its exact share, and the won left over go one each to the
/// parts with the largest fractional remainders (ties to the earlier part). The result
/// always sums to exactly `total`, which is what makes partial refunds add up.
///
/// Weights are usually line amounts. With all weights zero the total goes to the first
/// part, so nothing is lost.
pub fn allocate(total: Won, weights: &[Won]) -> Vec<Won> {
    if weights.is_empty() {
        return Vec::new();
    }
    let weight_sum: i128 = weights.iter().map(|w| i128::from(w.0.max(0))).sum();
    if weight_sum == 0 {
        let mut out = vec![Won::ZERO; weights.len()];
        out[0] = total;
        return out;
    }
    let t = i128::from(total.0);
    let mut shares: Vec<(usize, i128, i128)> = weights
        .iter()
        .enumerate()
        .map(|(i, w)| {
            let exact = t * i128::from(w.0.max(0));
            (
                i,
                exact.div_euclid(weight_sum),
                exact.rem_euclid(weight_sum),
            )
        })
        .collect();
    let floor_sum: i128 = shares.iter().map(|s| s.1).sum();
    let mut left = t - floor_sum;
    let mut order: Vec<usize> = (0..shares.len()).collect();
    order.sort_by(|&a, &b| shares[b].2.cmp(&shares[a].2).then(a.cmp(&b)));
    for idx in order {
        if left <= 0 {
            break;
        }
        shares[idx].1 += 1;
        left -= 1;
    }
    shares.into_iter().map(|s| Won(s.1 as i64)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn displays_like_a_korean_price_tag() {
        assert_eq!(Won(15000).to_string(), "₩15,000");
        assert_eq!(Won(1234567).to_string(), "₩1,234,567");
        assert_eq!(Won(-3000).to_string(), "-₩3,000");
        assert_eq!(Won(0).to_string(), "₩0");
    }

    #[test]
    fn percent_rounds_down_to_the_won() {
        assert_eq!(Won(9990).percent_floor(15), Won(1498)); // 1498.5
        assert_eq!(Won(100).percent_floor(33), Won(33));
    }

    #[test]
    fn allocation_gives_leftover_won_to_largest_remainders() {
        let parts = allocate(Won(1000), &[Won(1), Won(1), Won(1)]);
        assert_eq!(parts, vec![Won(334), Won(333), Won(333)]);
        let parts = allocate(Won(500), &[Won(10000), Won(0), Won(30000)]);
        assert_eq!(parts, vec![Won(125), Won(0), Won(375)]);
    }

    proptest! {
        #[test]
        fn allocation_always_sums_to_the_total(
            total in 0i64..10_000_000,
            weights in proptest::collection::vec(0i64..5_000_000, 1..30),
        ) {
            let weights: Vec<Won> = weights.into_iter().map(Won).collect();
            let parts = allocate(Won(total), &weights);
            prop_assert_eq!(parts.iter().copied().sum::<Won>(), Won(total));
            prop_assert!(parts.iter().all(|p| p.0 >= 0));
        }
    }
}
