//! The pricing function itself. See the module documentation of `pricing` for the rules.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use platform::money::{Won, allocate};
use uuid::Uuid;

use super::cart::{CartLine, MAX_AMOUNT, QuoteRequest, VendorShipping};
use super::coupon::{Coupon, CouponScope, StackingPolicy};
use super::error::PricingError;
use super::promotion::{LivePromotions, in_window};
use super::quote::{
    AppliedPromotion, CouponClass, CouponOutcome, CouponRejection, CouponShare, LineQuote,
    PromotionRef, PromotionRejection, Quote, QuoteTotals, RejectedPromotion, VendorShippingQuote,
};
use super::remote_area::RemoteAreaTable;

/// Prices a cart. Pure: the same arguments always give the same quote.
///
/// Fails only on a cart that cannot be priced (a zero quantity, a non-positive or absurd
/// unit price, a malformed postal code, a vendor without a shipping policy); promotions and
/// coupons that do not apply are explained in the quote instead.
pub fn quote(
    promotions: &LivePromotions,
    remote_areas: &RemoteAreaTable,
    policy: &StackingPolicy,
    request: &QuoteRequest<'_>,
) -> Result<Quote, PricingError> {
    validate_lines(request.lines)?;
    let policies = shipping_policies(request.shipping, request.lines)?;
    let remote_area = remote_areas.lookup(request.destination);

    let mut lines = price_lines(promotions, policy, request);
    let applied_campaigns: Vec<Option<Uuid>> = lines
        .iter()
        .map(|l| l.applied.as_ref().and_then(|a| a.promotion.campaign_id()))
        .collect();
    let in_scope = |scope: CouponScope, i: usize| -> bool {
        let line = &request.lines[i];
        match scope {
            CouponScope::All => true,
            CouponScope::Campaign(c) => applied_campaigns[i] == Some(c),
            CouponScope::Vendor(v) => line.vendor_id == v,
            CouponScope::Category(c) => line.category_path.contains(&c),
        }
    };

    // Screen every coupon: duplicates, window, scope, minimum order.
    let mut outcomes: Vec<CouponOutcome> = Vec::with_capacity(request.coupons.len());
    // Per coupon, the indices of the lines in its scope.
    let mut scopes: Vec<Vec<usize>> = Vec::with_capacity(request.coupons.len());
    let mut seen = BTreeSet::new();
    for coupon in request.coupons {
        let scope_lines: Vec<usize> = (0..lines.len())
            .filter(|&i| in_scope(coupon.scope, i))
            .collect();
        // The policy may keep order coupons off lines that already have a line promotion.
        let off_promoted = !policy.coupons_on_promoted_lines && !coupon.kind.is_shipping();
        let reachable: Vec<usize> = scope_lines
            .iter()
            .copied()
            .filter(|&i| !off_promoted || lines[i].applied.is_none())
            .collect();
        let base: Won = reachable.iter().map(|&i| lines[i].discounted_amount).sum();
        let reason = if !seen.insert(coupon.id) {
            Some(CouponRejection::Duplicate)
        } else if !in_window(coupon.starts_at, coupon.ends_at, request.at) {
            Some(CouponRejection::OutsideWindow)
        } else if scope_lines.is_empty() {
            Some(CouponRejection::OutOfScope)
        } else if reachable.is_empty() {
            Some(CouponRejection::PromotedLinesExcluded)
        } else if base < coupon.min_order {
            Some(CouponRejection::BelowMinOrder)
        } else {
            None
        };
        outcomes.push(CouponOutcome {
            coupon_id: coupon.id,
            code: coupon.code.clone(),
            class: if coupon.kind.is_shipping() {
                CouponClass::Shipping
            } else {
                CouponClass::Order
            },
            applied: false,
            discount: Won::ZERO,
            base,
            reason,
        });
        scopes.push(reachable);
    }

    // Order coupons: the ones giving most, up to the policy's number, each on what the
    // earlier ones left.
    let order_candidates = rank(
        request.coupons,
        &mut outcomes,
        CouponClass::Order,
        policy.max_order_coupons,
        |k, base| request.coupons[k].kind.order_discount(base),
    );
    for k in order_candidates {
        let coupon = &request.coupons[k];
        let scope = &scopes[k];
        let weights: Vec<Won> = scope.iter().map(|&i| lines[i].final_amount).collect();
        let remaining: Won = weights.iter().copied().sum();
        let discount = coupon.kind.order_discount(remaining);
        let outcome = &mut outcomes[k];
        if discount == Won::ZERO {
            outcome.reason = Some(CouponRejection::NoBenefit);
            continue;
        }
        for (&i, share) in scope.iter().zip(allocate(discount, &weights)) {
            if share > Won::ZERO {
                let line = &mut lines[i];
                line.coupon_discount += share;
                line.final_amount -= share;
                line.coupon_shares.push(CouponShare {
                    coupon_id: coupon.id,
                    amount: share,
                    vendor_share_bp: coupon.vendor_share_bp,
                });
            }
        }
        outcome.applied = true;
        outcome.discount = discount;
    }

    // Shipping, one parcel per vendor in order of first appearance.
    let mut vendors: Vec<Uuid> = Vec::new();
    for line in request.lines {
        if !vendors.contains(&line.vendor_id) {
            vendors.push(line.vendor_id);
        }
    }
    let surcharge = remote_area.as_ref().map_or(Won::ZERO, |m| m.surcharge);
    let mut shipping: Vec<VendorShippingQuote> = vendors
        .iter()
        .map(|&vendor_id| {
            let policy = policies[&vendor_id];
            let items_amount: Won = lines
                .iter()
                .filter(|l| l.vendor_id == vendor_id)
                .map(|l| l.final_amount)
                .sum();
            let free_by_threshold = policy.free_threshold.is_some_and(|t| items_amount >= t);
            let base_fee_charged = if free_by_threshold {
                Won::ZERO
            } else {
                policy.base_fee
            };
            VendorShippingQuote {
                vendor_id,
                items_amount,
                base_fee: policy.base_fee,
                free_threshold: policy.free_threshold,
                free_by_threshold,
                waived_by_coupon: None,
                base_fee_charged,
                surcharge,
                total: base_fee_charged + surcharge,
            }
        })
        .collect();

    // Shipping coupons waive the base fees still charged by the vendors in scope.
    let vendors_of = |k: usize| -> BTreeSet<Uuid> {
        scopes[k]
            .iter()
            .map(|&i| request.lines[i].vendor_id)
            .collect()
    };
    let charged_in = |shipping: &[VendorShippingQuote], vendors: &BTreeSet<Uuid>| -> Won {
        shipping
            .iter()
            .filter(|s| vendors.contains(&s.vendor_id))
            .map(|s| s.base_fee_charged)
            .sum()
    };
    let order_coupon_applied = outcomes
        .iter()
        .any(|o| o.applied && o.class == CouponClass::Order);
    let max_shipping_coupons = if order_coupon_applied && !policy.order_and_shipping_coupons_combine
    {
        0
    } else {
        policy.max_shipping_coupons
    };
    let shipping_candidates = rank(
        request.coupons,
        &mut outcomes,
        CouponClass::Shipping,
        max_shipping_coupons,
        |k, _| charged_in(&shipping, &vendors_of(k)),
    );
    for k in shipping_candidates {
        let coupon = &request.coupons[k];
        let in_scope_vendors = vendors_of(k);
        let waived = charged_in(&shipping, &in_scope_vendors);
        let outcome = &mut outcomes[k];
        if waived == Won::ZERO {
            outcome.reason = Some(CouponRejection::NoBenefit);
            continue;
        }
        for parcel in shipping
            .iter_mut()
            .filter(|s| in_scope_vendors.contains(&s.vendor_id) && s.base_fee_charged > Won::ZERO)
        {
            parcel.base_fee_charged = Won::ZERO;
            parcel.waived_by_coupon = Some(coupon.id);
            parcel.total = parcel.surcharge;
        }
        outcome.applied = true;
        outcome.discount = waived;
    }

    let totals = totals(&lines, &shipping, &outcomes);
    Ok(Quote {
        at: request.at,
        lines,
        coupons: outcomes,
        shipping,
        remote_area,
        totals,
    })
}

/// The coupons of `class` still usable, best first (largest standalone `value`, then
/// smaller id), cut to `max`; the rest are marked `no_benefit` (worth nothing) or
/// `not_stackable`. `value` gets a coupon's index and base; the result indexes `coupons`.
fn rank(
    coupons: &[Coupon],
    outcomes: &mut [CouponOutcome],
    class: CouponClass,
    max: u8,
    value: impl Fn(usize, Won) -> Won,
) -> Vec<usize> {
    let mut usable: Vec<(Won, Uuid, usize)> = Vec::new();
    for (k, coupon) in coupons.iter().enumerate() {
        let outcome = &mut outcomes[k];
        if outcome.class != class || outcome.reason.is_some() {
            continue;
        }
        let v = value(k, outcome.base);
        if v <= Won::ZERO {
            outcome.reason = Some(CouponRejection::NoBenefit);
        } else {
            usable.push((v, coupon.id, k));
        }
    }
    usable.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let keep = usize::from(max).min(usable.len());
    for &(_, _, k) in &usable[keep..] {
        outcomes[k].reason = Some(CouponRejection::NotStackable);
    }
    usable.truncate(keep);
    usable.into_iter().map(|(_, _, k)| k).collect()
}

fn validate_lines(lines: &[CartLine]) -> Result<(), PricingError> {
    for (i, line) in lines.iter().enumerate() {
        if !line.unit_price.is_positive() {
            return Err(PricingError::NonPositiveUnitPrice {
                line: i,
                variant_id: line.variant_id,
                unit_price: line.unit_price,
            });
        }
        if line.unit_price.times(line.quantity.get()) > MAX_AMOUNT {
            return Err(PricingError::AmountTooLarge {
                line: i,
                variant_id: line.variant_id,
            });
        }
    }
    Ok(())
}

fn shipping_policies(
    given: &[VendorShipping],
    lines: &[CartLine],
) -> Result<BTreeMap<Uuid, VendorShipping>, PricingError> {
    let mut policies = BTreeMap::new();
    for p in given {
        let in_range = |w: Won| w >= Won::ZERO && w <= MAX_AMOUNT;
        if !in_range(p.base_fee) || !p.free_threshold.is_none_or(in_range) {
            return Err(PricingError::InvalidShippingPolicy {
                vendor_id: p.vendor_id,
            });
        }
        if policies.insert(p.vendor_id, *p).is_some() {
            return Err(PricingError::DuplicateShippingPolicy {
                vendor_id: p.vendor_id,
            });
        }
    }
    for (i, line) in lines.iter().enumerate() {
        if !policies.contains_key(&line.vendor_id) {
            return Err(PricingError::MissingShippingPolicy {
                line: i,
                vendor_id: line.vendor_id,
            });
        }
    }
    Ok(policies)
}

/// A candidate promotion for one line while it is being judged.
struct Candidate {
    promotion: PromotionRef,
    unit_price: Won,
    /// The vendor's share of the discount, basis points.
    vendor_share_bp: u16,
    /// `None` while eligible.
    rejection: Option<PromotionRejection>,
}

fn price_lines(
    promotions: &LivePromotions,
    policy: &StackingPolicy,
    request: &QuoteRequest<'_>,
) -> Vec<LineQuote> {
    let mut bought: BTreeMap<Uuid, u64> = BTreeMap::new();
    for p in request.deal_purchases {
        *bought.entry(p.deal_id).or_default() += u64::from(p.quantity);
    }
    // Deal units taken by earlier lines of this quote.
    let mut taken: BTreeMap<Uuid, u64> = BTreeMap::new();
    request
        .lines
        .iter()
        .map(|line| {
            let (applied, not_applied) =
                choose_promotion(promotions, policy, request.at, line, &bought, &taken);
            if let Some(a) = &applied
                && let PromotionRef::TimeDeal { deal_id, .. } = a.promotion
            {
                *taken.entry(deal_id).or_default() += u64::from(line.quantity.get());
            }
            let unit_price = applied.as_ref().map_or(line.unit_price, |a| a.unit_price);
            let list_amount = line.unit_price.times(line.quantity.get());
            let discounted_amount = unit_price.times(line.quantity.get());
            LineQuote {
                variant_id: line.variant_id,
                product_id: line.product_id,
                vendor_id: line.vendor_id,
                quantity: line.quantity,
                taxable: line.taxable,
                list_unit_price: line.unit_price,
                unit_price,
                list_amount,
                promotion_discount: list_amount - discounted_amount,
                discounted_amount,
                coupon_discount: Won::ZERO,
                final_amount: discounted_amount,
                applied,
                not_applied,
                coupon_shares: Vec::new(),
            }
        })
        .collect()
}

fn choose_promotion(
    promotions: &LivePromotions,
    policy: &StackingPolicy,
    at: DateTime<Utc>,
    line: &CartLine,
    bought: &BTreeMap<Uuid, u64>,
    taken: &BTreeMap<Uuid, u64>,
) -> (Option<AppliedPromotion>, Vec<RejectedPromotion>) {
    let list = line.unit_price;
    let qty = u64::from(line.quantity.get());
    let mut candidates: Vec<Candidate> = Vec::new();
    for rule in promotions.rules_for(line.product_id, line.variant_id) {
        let unit_price = rule.unit_price(list);
        let rejection = if !rule.is_live(at) {
            Some(PromotionRejection::OutsideWindow)
        } else if unit_price >= list {
            Some(PromotionRejection::NoDiscount)
        } else {
            None
        };
        candidates.push(Candidate {
            promotion: PromotionRef::CampaignRule {
                rule_id: rule.id,
                campaign_id: rule.campaign_id,
                campaign_title: rule.campaign_title.clone(),
            },
            unit_price,
            vendor_share_bp: rule.vendor_share_bp,
            rejection,
        });
    }
    for deal in promotions.deals_for(line.variant_id) {
        let unit_price = deal.deal_price.non_negative();
        let taken_here = taken.get(&deal.id).copied().unwrap_or(0);
        let bought_before = bought.get(&deal.id).copied().unwrap_or(0);
        let rejection = if !deal.is_live(at) {
            Some(PromotionRejection::OutsideWindow)
        } else if unit_price >= list {
            Some(PromotionRejection::NoDiscount)
        } else if u64::from(deal.remaining) < taken_here + qty {
            Some(PromotionRejection::DealSoldOut)
        } else if deal
            .per_customer_limit
            .is_some_and(|limit| u64::from(limit) < bought_before + taken_here + qty)
        {
            Some(PromotionRejection::DealCustomerLimit)
        } else {
            None
        };
        candidates.push(Candidate {
            promotion: PromotionRef::TimeDeal {
                deal_id: deal.id,
                campaign_id: deal.campaign_id,
            },
            unit_price,
            vendor_share_bp: deal.vendor_share_bp,
            rejection,
        });
    }

    // Lowest price first; on a tie a time deal, then the smaller id.
    candidates.sort_by(|a, b| {
        a.unit_price
            .cmp(&b.unit_price)
            .then(b.promotion.is_time_deal().cmp(&a.promotion.is_time_deal()))
            .then(a.promotion.id().cmp(&b.promotion.id()))
    });
    let deal_first = policy.time_deal_beats_campaign
        && candidates
            .iter()
            .any(|c| c.rejection.is_none() && c.promotion.is_time_deal());
    let winner = candidates
        .iter()
        .position(|c| c.rejection.is_none() && (!deal_first || c.promotion.is_time_deal()));

    let winner_price = winner.map(|w| candidates[w].unit_price);
    let mut applied = None;
    let mut not_applied = Vec::with_capacity(candidates.len().saturating_sub(1));
    for (i, c) in candidates.into_iter().enumerate() {
        if Some(i) == winner {
            applied = Some(AppliedPromotion {
                promotion: c.promotion,
                unit_price: c.unit_price,
                vendor_share_bp: c.vendor_share_bp,
            });
            continue;
        }
        let reason = c.rejection.unwrap_or(
            // Eligible but not chosen: a rule at or below the deal's price lost only to the
            // policy.
            if deal_first
                && !c.promotion.is_time_deal()
                && winner_price.is_some_and(|p| c.unit_price <= p)
            {
                PromotionRejection::TimeDealPriority
            } else {
                PromotionRejection::NotBest
            },
        );
        not_applied.push(RejectedPromotion {
            promotion: c.promotion,
            unit_price: c.unit_price,
            reason,
        });
    }
    (applied, not_applied)
}

fn totals(
    lines: &[LineQuote],
    shipping: &[VendorShippingQuote],
    coupons: &[CouponOutcome],
) -> QuoteTotals {
    let list_subtotal: Won = lines.iter().map(|l| l.list_amount).sum();
    let promotion_discount: Won = lines.iter().map(|l| l.promotion_discount).sum();
    let coupon_discount: Won = lines.iter().map(|l| l.coupon_discount).sum();
    let items_total: Won = lines.iter().map(|l| l.final_amount).sum();
    let shipping_base_fee: Won = shipping.iter().map(|s| s.base_fee_charged).sum();
    let shipping_surcharge: Won = shipping.iter().map(|s| s.surcharge).sum();
    let shipping_discount: Won = coupons
        .iter()
        .filter(|c| c.applied && c.class == CouponClass::Shipping)
        .map(|c| c.discount)
        .sum();
    let shipping_total = shipping_base_fee + shipping_surcharge;
    let tax_free_amount: Won = lines
        .iter()
        .filter(|l| !l.taxable)
        .map(|l| l.final_amount)
        .sum();
    let taxable_items: Won = lines
        .iter()
        .filter(|l| l.taxable)
        .map(|l| l.final_amount)
        .sum();
    QuoteTotals {
        list_subtotal,
        promotion_discount,
        coupon_discount,
        items_total,
        shipping_base_fee,
        shipping_surcharge,
        shipping_discount,
        shipping_total,
        grand_total: items_total + shipping_total,
        taxable_amount: taxable_items + shipping_total,
        tax_free_amount,
    }
}
