//! A customer's coupons (쿠폰함): every coupon issued to them — by a marketer, claimed
//! from a daily first-come drop, or a public code they registered — with the uses left to them and whether it can be used
//! now, and if not, why. The minimum order is not judged here: it depends on the cart,
//! and the quote explains it.

use crate::error::PromotionsResult;
use crate::store::coupon;
use chrono::{DateTime, Utc};
use platform::db::pg;
use sea_orm::{ConnectionTrait, FromQueryResult};
use serde::Serialize;
use uuid::Uuid;

/// Why a held coupon cannot be used now (the first that holds, in this order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Unusable {
    /// A marketer stopped the coupon.
    Disabled,
    /// Its validity window has passed.
    Expired,
    /// Its validity window has not begun.
    NotYetValid,
    /// This customer has used it as often as allowed.
    UsedUp,
    /// Every use of the coupon (by anyone) is taken.
    SoldOut,
    /// The coupon's budget in won is spent.
    BudgetExhausted,
}

/// A coupon as one customer holds it: a row of `held`'s query, with `uses_left` and
/// `unusable` worked out from the coupon and the uses afterwards.
#[derive(Debug, Clone, FromQueryResult)]
pub struct HeldCoupon {
    /// The issue (the row that gives the coupon to the customer); the list's cursor.
    pub issue_id: Uuid,
    pub issued_at: DateTime<Utc>,
    /// The daily drop it was claimed from, if any.
    pub drop_id: Option<Uuid>,
    #[sea_orm(nested)]
    pub coupon: coupon::Model,
    /// This customer's redemptions of it (a canceled order gives its use back).
    pub uses: i64,
    /// `None`: no limit on this customer's uses.
    #[sea_orm(skip)]
    pub uses_left: Option<i64>,
    /// `None`: usable now.
    #[sea_orm(skip)]
    pub unusable: Option<Unusable>,
}

/// The uses left to a customer who used the coupon `uses` times: the least of what their
/// own limit and the coupon's total uses leave; `None` when neither limits them.
pub fn uses_left(c: &coupon::Model, uses: i64) -> Option<i64> {
    let own = c.per_customer_limit.map(|l| i64::from(l) - uses);
    let all = c.total_uses.map(|t| i64::from(t - c.used_count));
    match (own, all) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
    .map(|n| n.max(0))
}

/// Whether a customer who used the coupon `uses` times can use it at `at`.
pub fn unusable(c: &coupon::Model, uses: i64, at: DateTime<Utc>) -> Option<Unusable> {
    if c.disabled_at.is_some() {
        Some(Unusable::Disabled)
    } else if at >= c.ends_at {
        Some(Unusable::Expired)
    } else if at < c.starts_at {
        Some(Unusable::NotYetValid)
    } else if c.per_customer_limit.is_some_and(|l| uses >= i64::from(l)) {
        Some(Unusable::UsedUp)
    } else if c.total_uses.is_some_and(|t| c.used_count >= t) {
        Some(Unusable::SoldOut)
    } else if c.budget.is_some_and(|b| c.spent >= b) {
        Some(Unusable::BudgetExhausted)
    } else {
        None
    }
}

/// The coupons issued to `customer`, newest issue first, after the issue `after`; at most
/// `limit` of them. One query: the customer's uses are counted alongside.
#[tracing::instrument(skip(db))]
pub async fn held(
    db: &impl ConnectionTrait,
    customer: Uuid,
    after: Option<Uuid>,
    limit: u64,
    at: DateTime<Utc>,
) -> PromotionsResult<Vec<HeldCoupon>> {
    let mut held = HeldCoupon::find_by_statement(pg(
        "SELECT c.*, i.id AS issue_id, i.issued_at, i.drop_id, \
                (SELECT count(*) FROM promotions.coupon_redemptions r \
                  WHERE r.coupon_id = c.id AND r.customer_id = i.customer_id) AS uses \
         FROM promotions.coupon_issues i \
         JOIN promotions.coupons c ON c.id = i.coupon_id \
         WHERE i.customer_id = $1 AND ($2::uuid IS NULL OR i.id < $2) \
         ORDER BY i.id DESC \
         LIMIT $3",
        [
            customer.into(),
            after.into(),
            i64::try_from(limit).unwrap_or(i64::MAX).into(),
        ],
    ))
    .all(db)
    .await?;
    for h in &mut held {
        h.uses_left = uses_left(&h.coupon, h.uses);
        h.unusable = unusable(&h.coupon, h.uses, at);
    }
    Ok(held)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    fn coupon(at: DateTime<Utc>) -> coupon::Model {
        coupon::Model {
            id: Uuid::nil(),
            code: None,
            name: "테스트".into(),
            kind: "amount_off".into(),
            percent: None,
            cap: None,
            amount: Some(1000),
            min_order: 0,
            scope_kind: "all".into(),
            scope_id: None,
            starts_at: at - Duration::days(1),
            ends_at: at + Duration::days(1),
            total_uses: None,
            per_customer_limit: None,
            budget: None,
            used_count: 0,
            spent: 0,
            disabled_at: None,
            vendor_share_bp: 0,
            created_by: Uuid::nil(),
            created_at: at,
            updated_at: at,
        }
    }

    #[test]
    fn uses_left_is_the_tighter_of_the_two_limits() {
        let at = Utc::now();
        let mut c = coupon(at);
        assert_eq!(uses_left(&c, 5), None);
        c.per_customer_limit = Some(2);
        assert_eq!(uses_left(&c, 1), Some(1));
        assert_eq!(uses_left(&c, 3), Some(0));
        c.total_uses = Some(10);
        c.used_count = 10;
        assert_eq!(uses_left(&c, 0), Some(0));
    }

    #[test]
    fn each_reason_in_its_order() {
        let at = Utc::now();
        let c = coupon(at);
        assert_eq!(unusable(&c, 0, at), None);
        assert_eq!(
            unusable(&c, 0, at + Duration::days(1)),
            Some(Unusable::Expired)
        );
        assert_eq!(
            unusable(&c, 0, at - Duration::days(1) - Duration::seconds(1)),
            Some(Unusable::NotYetValid)
        );
        let used_up = coupon::Model {
            per_customer_limit: Some(1),
            ..c.clone()
        };
        assert_eq!(unusable(&used_up, 1, at), Some(Unusable::UsedUp));
        let sold_out = coupon::Model {
            total_uses: Some(3),
            used_count: 3,
            ..c.clone()
        };
        assert_eq!(unusable(&sold_out, 0, at), Some(Unusable::SoldOut));
        let spent = coupon::Model {
            budget: Some(5000),
            spent: 5000,
            ..c.clone()
        };
        assert_eq!(unusable(&spent, 0, at), Some(Unusable::BudgetExhausted));
        let disabled = coupon::Model {
            disabled_at: Some(at),
            ..spent
        };
        assert_eq!(unusable(&disabled, 0, at), Some(Unusable::Disabled));
    }
}
