//! Property tests: invariants every quote keeps, whatever the cart, promotions, coupons and
//! destination.
#![allow(clippy::unwrap_used)]

use chrono::Duration;
use platform::money::Won;
use platform::postal::PostalCode;
use platform::quantity::Quantity;
use proptest::prelude::*;
use proptest::sample::select;

use super::tests::{id, now};
use super::*;

const VENDORS: u128 = 3;
const PRODUCTS: u128 = 4;
const VARIANTS_PER_PRODUCT: u128 = 2;

fn vendor_of(product: u128) -> u128 {
    0x10 + product % VENDORS
}
fn product_id(product: u128) -> uuid::Uuid {
    id(0x100 + product)
}
fn variant_id(product: u128, variant: u128) -> uuid::Uuid {
    id(0x1000 + product * 16 + variant)
}
fn campaign_id(c: u128) -> uuid::Uuid {
    id(0xCA00 + c)
}
fn category_id(c: u128) -> uuid::Uuid {
    id(0xC000 + c)
}

/// A window around `now()`: live, already over, or not yet started.
fn window() -> impl Strategy<Value = (chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>)>
{
    prop_oneof![
        6 => Just((now() - Duration::hours(2), now() + Duration::hours(2))),
        1 => Just((now() - Duration::hours(2), now())),
        1 => Just((now() + Duration::seconds(1), now() + Duration::hours(2))),
    ]
}

fn line() -> impl Strategy<Value = CartLine> {
    (
        0..PRODUCTS,
        0..VARIANTS_PER_PRODUCT,
        1i64..200_000,
        1u32..6,
        any::<bool>(),
    )
        .prop_map(|(p, v, price, qty, taxable)| CartLine {
            variant_id: variant_id(p, v),
            product_id: product_id(p),
            vendor_id: id(vendor_of(p)),
            category_path: vec![category_id(p % 2), category_id(9)],
            tags: vec![],
            certified: p == 0,
            unit_price: Won(price),
            quantity: Quantity::new(qty).unwrap(),
            taxable,
        })
}

fn discount() -> impl Strategy<Value = Discount> {
    prop_oneof![
        (0u32..=120).prop_map(Discount::Percent),
        (0i64..250_000).prop_map(|w| Discount::AmountOff(Won(w))),
        (0i64..250_000).prop_map(|w| Discount::FixedPrice(Won(w))),
    ]
}

fn rules() -> impl Strategy<Value = Vec<PriceRule>> {
    prop::collection::vec(
        (
            any::<bool>(),
            0..PRODUCTS,
            0..VARIANTS_PER_PRODUCT,
            discount(),
            0i64..60_000,
            0u128..3,
            window(),
        ),
        0..14,
    )
    .prop_map(|rows| {
        rows.into_iter()
            .enumerate()
            .map(
                |(i, (by_product, p, v, discount, floor, c, (starts_at, ends_at)))| PriceRule {
                    id: id(0x10_0000 + i as u128),
                    campaign_id: campaign_id(c),
                    campaign_title: format!("기획전 {c}"),
                    target: if by_product {
                        RuleTarget::Product(product_id(p))
                    } else {
                        RuleTarget::Variant(variant_id(p, v))
                    },
                    discount,
                    floor: Won(floor),
                    starts_at,
                    ends_at,
                    vendor_share_bp: (i as u16 * 2_500) % 12_500,
                },
            )
            .collect()
    })
}

fn deals() -> impl Strategy<Value = Vec<TimeDeal>> {
    prop::collection::vec(
        (
            0..PRODUCTS,
            0..VARIANTS_PER_PRODUCT,
            0i64..200_000,
            0u32..12,
            prop::option::of(0u32..6),
            prop::option::of(0u128..3),
            window(),
        ),
        0..5,
    )
    .prop_map(|rows| {
        rows.into_iter()
            .enumerate()
            .map(
                |(i, (p, v, price, remaining, limit, c, (starts_at, ends_at)))| TimeDeal {
                    id: id(0x20_0000 + i as u128),
                    variant_id: variant_id(p, v),
                    campaign_id: c.map(campaign_id),
                    deal_price: Won(price),
                    starts_at,
                    ends_at,
                    remaining,
                    per_customer_limit: limit,
                    vendor_share_bp: 10_000,
                },
            )
            .collect()
    })
}

fn coupons() -> impl Strategy<Value = Vec<Coupon>> {
    let kind = prop_oneof![
        (0u32..=110, prop::option::of(0i64..20_000)).prop_map(|(percent, cap)| {
            CouponKind::Percent {
                percent,
                cap: cap.map(Won),
            }
        }),
        (0i64..300_000).prop_map(|w| CouponKind::AmountOff(Won(w))),
        Just(CouponKind::FreeShipping),
    ];
    let scope = prop_oneof![
        Just(CouponScope::All),
        (0u128..4).prop_map(|c| CouponScope::Campaign(campaign_id(c))),
        (0..VENDORS + 1).prop_map(|v| CouponScope::Vendor(id(0x10 + v))),
        (0u128..3).prop_map(|c| CouponScope::Category(category_id(c))),
    ];
    prop::collection::vec((kind, scope, 0i64..150_000, window()), 0..5).prop_map(|rows| {
        rows.into_iter()
            .enumerate()
            .map(
                |(i, (kind, scope, min_order, (starts_at, ends_at)))| Coupon {
                    id: id(0x30_0000 + i as u128),
                    code: format!("C{i}"),
                    kind,
                    min_order: Won(min_order),
                    scope,
                    starts_at,
                    ends_at,
                    vendor_share_bp: (i as u16 * 5_000) % 15_000,
                },
            )
            .collect()
    })
}

fn shipping() -> impl Strategy<Value = Vec<VendorShipping>> {
    prop::collection::vec(
        (0i64..6_000, prop::option::of(0i64..120_000)),
        VENDORS as usize,
    )
    .prop_map(|rows| {
        rows.into_iter()
            .enumerate()
            .map(|(v, (fee, threshold))| VendorShipping {
                vendor_id: id(0x10 + v as u128),
                base_fee: Won(fee),
                free_threshold: threshold.map(Won),
            })
            .collect()
    })
}

fn policy() -> impl Strategy<Value = StackingPolicy> {
    (0u8..3, 0u8..3, any::<bool>(), any::<bool>(), any::<bool>()).prop_map(
        |(o, s, t, combine, on_promoted)| StackingPolicy {
            max_order_coupons: o,
            max_shipping_coupons: s,
            time_deal_beats_campaign: t,
            order_and_shipping_coupons_combine: combine,
            coupons_on_promoted_lines: on_promoted,
        },
    )
}

#[derive(Debug, Clone)]
struct Scenario {
    lines: Vec<CartLine>,
    shipping: Vec<VendorShipping>,
    rules: Vec<PriceRule>,
    deals: Vec<TimeDeal>,
    coupons: Vec<Coupon>,
    purchases: Vec<DealPurchase>,
    destination: Destination,
    policy: StackingPolicy,
}

fn scenario() -> impl Strategy<Value = Scenario> {
    (
        prop::collection::vec(line(), 0..9),
        shipping(),
        rules(),
        deals(),
        coupons(),
        prop::collection::vec((0u128..5, 0u32..4), 0..3),
        select(vec!["03154", "21554", "63100", "23004", "23011", "40200"]),
        policy(),
    )
        .prop_map(
            |(lines, shipping, rules, deals, coupons, purchases, postal, policy)| Scenario {
                lines,
                shipping,
                rules,
                deals,
                coupons,
                purchases: purchases
                    .into_iter()
                    .map(|(d, quantity)| DealPurchase {
                        deal_id: id(0x20_0000 + d),
                        quantity,
                    })
                    .collect(),
                destination: Destination::postal(PostalCode::parse(postal).unwrap()),
                policy,
            },
        )
}

fn table() -> RemoteAreaTable {
    RemoteAreaTable::from_csv(
        "region,from,to,default_surcharge\n\
         jeju,63000,63644,3000\n\
         incheon-ganghwa-islands,23004,23010,5000\n\
         gyeongbuk-ulleung,40200,40240,5000\n",
    )
    .unwrap()
}

fn run(s: &Scenario, rules: Vec<PriceRule>, deals: Vec<TimeDeal>, coupons: &[Coupon]) -> Quote {
    let promotions = LivePromotions::new(rules, deals);
    quote(
        &promotions,
        &table(),
        &s.policy,
        &QuoteRequest {
            at: now(),
            lines: &s.lines,
            shipping: &s.shipping,
            coupons,
            destination: &s.destination,
            deal_purchases: &s.purchases,
        },
    )
    .unwrap()
}

fn check_invariants(s: &Scenario, q: &Quote) -> Result<(), TestCaseError> {
    let zero = Won::ZERO;
    prop_assert_eq!(q.lines.len(), s.lines.len());
    for (line, input) in q.lines.iter().zip(&s.lines) {
        prop_assert_eq!(
            line.variant_id,
            input.variant_id,
            "output keeps input order"
        );
        prop_assert_eq!(
            line.list_amount,
            input.unit_price.times(input.quantity.get())
        );
        prop_assert!(zero <= line.unit_price && line.unit_price <= line.list_unit_price);
        prop_assert!(line.applied.is_none() || line.unit_price < line.list_unit_price);
        prop_assert_eq!(
            line.discounted_amount,
            line.unit_price.times(line.quantity.get())
        );
        prop_assert!(
            zero <= line.promotion_discount && line.promotion_discount <= line.list_amount
        );
        prop_assert!(
            zero <= line.coupon_discount && line.coupon_discount <= line.discounted_amount
        );
        prop_assert_eq!(
            line.final_amount,
            line.discounted_amount - line.coupon_discount
        );
        prop_assert!(line.final_amount >= zero);
        let shares: Won = line.coupon_shares.iter().map(|c| c.amount).sum();
        prop_assert_eq!(shares, line.coupon_discount);
        prop_assert!(line.coupon_shares.iter().all(|c| c.amount > zero));
    }

    let (mut order_applied, mut shipping_applied) = (0u8, 0u8);
    for c in &q.coupons {
        prop_assert!(c.base >= zero && c.discount >= zero);
        if c.applied {
            prop_assert!(c.reason.is_none());
            prop_assert!(c.discount > zero);
            match c.class {
                CouponClass::Order => {
                    order_applied += 1;
                    prop_assert!(c.discount <= c.base, "a coupon never exceeds its base");
                    let allocated: Won = q
                        .lines
                        .iter()
                        .flat_map(|l| &l.coupon_shares)
                        .filter(|sh| sh.coupon_id == c.coupon_id)
                        .map(|sh| sh.amount)
                        .sum();
                    prop_assert_eq!(allocated, c.discount, "shares sum to the coupon discount");
                }
                CouponClass::Shipping => {
                    shipping_applied += 1;
                    let waived: Won = q
                        .shipping
                        .iter()
                        .filter(|p| p.waived_by_coupon == Some(c.coupon_id))
                        .map(|p| p.base_fee)
                        .sum();
                    prop_assert_eq!(waived, c.discount);
                }
            }
        } else {
            prop_assert!(c.reason.is_some());
            prop_assert_eq!(c.discount, zero);
        }
    }
    prop_assert!(order_applied <= s.policy.max_order_coupons);
    prop_assert!(shipping_applied <= s.policy.max_shipping_coupons);
    prop_assert!(
        s.policy.order_and_shipping_coupons_combine || order_applied == 0 || shipping_applied == 0,
        "order and shipping coupons combined against the policy"
    );

    for p in &q.shipping {
        prop_assert!(zero <= p.base_fee_charged && p.base_fee_charged <= p.base_fee);
        prop_assert!(p.surcharge >= zero);
        prop_assert_eq!(p.total, p.base_fee_charged + p.surcharge);
        let expected_surcharge = q.remote_area.as_ref().map_or(zero, |m| m.surcharge);
        prop_assert_eq!(
            p.surcharge,
            expected_surcharge,
            "no coupon waives the surcharge"
        );
    }

    let t = &q.totals;
    for w in [
        t.list_subtotal,
        t.promotion_discount,
        t.coupon_discount,
        t.items_total,
        t.shipping_base_fee,
        t.shipping_surcharge,
        t.shipping_discount,
        t.shipping_total,
        t.grand_total,
        t.taxable_amount,
        t.tax_free_amount,
    ] {
        prop_assert!(w >= zero);
    }
    let line_finals: Won = q.lines.iter().map(|l| l.final_amount).sum();
    let parcels: Won = q.shipping.iter().map(|p| p.total).sum();
    prop_assert_eq!(t.grand_total, line_finals + parcels);
    prop_assert_eq!(
        t.items_total,
        t.list_subtotal - t.promotion_discount - t.coupon_discount
    );
    prop_assert_eq!(t.shipping_total, t.shipping_base_fee + t.shipping_surcharge);
    prop_assert_eq!(t.taxable_amount + t.tax_free_amount, t.grand_total);
    let order_coupons: Won = q
        .coupons
        .iter()
        .filter(|c| c.applied && c.class == CouponClass::Order)
        .map(|c| c.discount)
        .sum();
    prop_assert_eq!(order_coupons, t.coupon_discount);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn every_quote_keeps_the_money_invariants(s in scenario()) {
        let q = run(&s, s.rules.clone(), s.deals.clone(), &s.coupons);
        check_invariants(&s, &q)?;
    }

    #[test]
    fn the_same_input_gives_the_same_quote(s in scenario()) {
        let a = run(&s, s.rules.clone(), s.deals.clone(), &s.coupons);
        let b = run(&s, s.rules.clone(), s.deals.clone(), &s.coupons);
        prop_assert_eq!(&a, &b);
        prop_assert_eq!(
            serde_json::to_string(&a).unwrap(),
            serde_json::to_string(&b).unwrap()
        );
    }

    #[test]
    fn the_order_promotions_and_coupons_arrive_in_does_not_matter(
        (s, rules, deals, coupons) in scenario().prop_flat_map(|s| {
            let (r, d, c) = (s.rules.clone(), s.deals.clone(), s.coupons.clone());
            (Just(s), Just(r).prop_shuffle(), Just(d).prop_shuffle(), Just(c).prop_shuffle())
        })
    ) {
        let a = run(&s, s.rules.clone(), s.deals.clone(), &s.coupons);
        let mut b = run(&s, rules, deals, &coupons);
        prop_assert_eq!(&a.lines, &b.lines);
        prop_assert_eq!(&a.shipping, &b.shipping);
        prop_assert_eq!(&a.totals, &b.totals);
        // Coupon outcomes follow the order they were offered in; their content does not.
        let mut a_coupons = a.coupons.clone();
        a_coupons.sort_by_key(|c| c.coupon_id);
        b.coupons.sort_by_key(|c| c.coupon_id);
        prop_assert_eq!(a_coupons, b.coupons);
    }

    #[test]
    fn a_quote_is_never_dearer_than_list_price_plus_shipping(s in scenario()) {
        let q = run(&s, s.rules.clone(), s.deals.clone(), &s.coupons);
        let no_promotions = run(&s, vec![], vec![], &[]);
        prop_assert!(q.totals.items_total <= no_promotions.totals.items_total);
        prop_assert_eq!(q.totals.list_subtotal, no_promotions.totals.list_subtotal);
    }
}
