//! The stacking policy as data: how line promotions and coupons combine. One current
//! policy is stored; every quote (cart, checkout, campaign pages) is made with it, and
//! marketers change it without a release. Each change is audited with the policy before
//! and after, and announced (`promotions.stacking_policy.changed`) so that caches of
//! priced pages are retired.

use crate::audit::{self, Actor};
use crate::error::{PromotionsError, PromotionsResult};
use crate::pricing::StackingPolicy;
use crate::store::stacking_policy;
use crate::topics::{self, OUTBOX};
use chrono::Utc;
use platform::error::FieldError;
use platform::ids::new_id;
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QuerySelect, Set};
use serde::Deserialize;
use serde_json::json;

/// The most coupons of one class (order or shipping) a policy may let an order combine.
pub const MAX_COUPONS_PER_CLASS: i64 = 5;

/// A whole policy: `PUT` replaces the current one.
#[derive(Debug, Clone, Copy, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicyInput {
    /// Order coupons (percent, amount off) one order may combine: 0 to 5.
    // Checked by `parse`, not while deserializing, so that both counts are reported at once.
    #[schema(minimum = 0, maximum = 5)]
    pub max_order_coupons: i64,
    /// Free-shipping coupons one order may combine: 0 to 5.
    #[schema(minimum = 0, maximum = 5)]
    pub max_shipping_coupons: i64,
    /// An applicable time deal wins over a campaign price even when the campaign price is
    /// lower.
    pub time_deal_beats_campaign: bool,
    /// An order coupon and a shipping coupon may be used on the same order.
    pub order_and_shipping_coupons_combine: bool,
    /// Order coupons apply on top of campaign prices and time deals (when false they reach
    /// only lines at their list price).
    pub coupons_on_promoted_lines: bool,
}

impl PolicyInput {
    fn parse(self) -> PromotionsResult<StackingPolicy> {
        let count = |field: &str, n: i64, errors: &mut Vec<FieldError>| -> u8 {
            match u8::try_from(n) {
                Ok(n) if i64::from(n) <= MAX_COUPONS_PER_CLASS => n,
                _ => {
                    errors.push(FieldError::new(field, "out_of_range", "from 0 to 5"));
                    0
                }
            }
        };
        let mut errors = Vec::new();
        let max_order_coupons = count("max_order_coupons", self.max_order_coupons, &mut errors);
        let max_shipping_coupons = count(
            "max_shipping_coupons",
            self.max_shipping_coupons,
            &mut errors,
        );
        if !errors.is_empty() {
            return Err(PromotionsError::Invalid(errors));
        }
        Ok(StackingPolicy {
            max_order_coupons,
            max_shipping_coupons,
            time_deal_beats_campaign: self.time_deal_beats_campaign,
            order_and_shipping_coupons_combine: self.order_and_shipping_coupons_combine,
            coupons_on_promoted_lines: self.coupons_on_promoted_lines,
        })
    }
}

/// The engine's policy from the stored row (the CHECKs keep the counts in 0..=5).
pub fn to_pricing(row: &stacking_policy::Model) -> StackingPolicy {
    StackingPolicy {
        max_order_coupons: u8::try_from(row.max_order_coupons).unwrap_or(0),
        max_shipping_coupons: u8::try_from(row.max_shipping_coupons).unwrap_or(0),
        time_deal_beats_campaign: row.time_deal_beats_campaign,
        order_and_shipping_coupons_combine: row.order_and_shipping_coupons_combine,
        coupons_on_promoted_lines: row.coupons_on_promoted_lines,
    }
}

/// The stored row, if any (the migration writes one; it is never deleted).
pub async fn row(db: &impl ConnectionTrait) -> PromotionsResult<Option<stacking_policy::Model>> {
    Ok(stacking_policy::Entity::find().one(db).await?)
}

/// Replace the current policy, audited in the caller's transaction. The row is locked so
/// that two concurrent changes are recorded one after the other, each with its true
/// "before".
#[tracing::instrument(skip_all)]
pub async fn replace(
    db: &impl ConnectionTrait,
    actor: Actor,
    input: PolicyInput,
) -> PromotionsResult<stacking_policy::Model> {
    let policy = input.parse()?;
    let before = stacking_policy::Entity::find()
        .lock_exclusive()
        .one(db)
        .await?;
    let now = Utc::now();
    let mut am = match &before {
        Some(b) => b.clone().into_active_model(),
        None => stacking_policy::ActiveModel {
            id: Set(new_id()),
            ..Default::default()
        },
    };
    am.max_order_coupons = Set(i16::from(policy.max_order_coupons));
    am.max_shipping_coupons = Set(i16::from(policy.max_shipping_coupons));
    am.time_deal_beats_campaign = Set(policy.time_deal_beats_campaign);
    am.order_and_shipping_coupons_combine = Set(policy.order_and_shipping_coupons_combine);
    am.coupons_on_promoted_lines = Set(policy.coupons_on_promoted_lines);
    am.updated_by = Set(actor.id);
    am.updated_at = Set(now);
    let after = match before {
        Some(_) => am.update(db).await?,
        None => am.insert(db).await?,
    };
    audit::record(
        db,
        actor,
        "stacking_policy.update",
        "stacking_policy",
        after.id,
        before.as_ref(),
        Some(&after),
    )
    .await?;
    OUTBOX
        .emit(
            db,
            topics::STACKING_POLICY_CHANGED,
            after.id,
            json!({ "stacking_policy_id": after.id }),
        )
        .await?;
    Ok(after)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(order: i64, shipping: i64) -> PolicyInput {
        PolicyInput {
            max_order_coupons: order,
            max_shipping_coupons: shipping,
            time_deal_beats_campaign: false,
            order_and_shipping_coupons_combine: true,
            coupons_on_promoted_lines: true,
        }
    }

    #[test]
    fn counts_are_validated_and_the_default_round_trips() {
        assert_eq!(input(1, 1).parse().ok(), Some(StackingPolicy::default()));
        for (o, s, bad) in [(-1, 1, 1), (6, 1, 1), (1, 300, 1), (9, -9, 2)] {
            match input(o, s).parse() {
                Err(PromotionsError::Invalid(errors)) => assert_eq!(errors.len(), bad),
                other => panic!("({o}, {s}) should be refused, got {other:?}"),
            }
        }
    }
}
