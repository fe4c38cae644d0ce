//! Unit tests of the pricing rules, one behaviour each, with shop-like examples.
#![allow(clippy::unwrap_used)]

use chrono::{DateTime, Duration, Utc};
use platform::money::Won;
use platform::postal::PostalCode;
use platform::quantity::Quantity;
use uuid::Uuid;

use super::*;

pub(super) fn id(n: u128) -> Uuid {
    Uuid::from_u128(n)
}

/// 2026-11-22 12:00 KST.
pub(super) fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(1_795_316_400, 0).unwrap()
}

const KIMCHI_VENDOR: u128 = 0xA1;
const CRAB_VENDOR: u128 = 0xA2;
const RICE_VENDOR: u128 = 0xA3;
const KIMCHI_CATEGORY: u128 = 0xC1;
const SEAFOOD_CATEGORY: u128 = 0xC2;
const FOOD_CATEGORY: u128 = 0xC0;

/// Where the parcel goes, from a code known to be five digits.
fn at(code: &'static str) -> Destination {
    Destination::postal(PostalCode::known(code))
}

/// 강화순무김치 1kg, ₩15,900.
fn kimchi(qty: u32) -> CartLine {
    CartLine {
        variant_id: id(0x101),
        product_id: id(0x100),
        vendor_id: id(KIMCHI_VENDOR),
        category_path: vec![id(KIMCHI_CATEGORY), id(FOOD_CATEGORY)],
        tags: vec!["강화".into(), "김치".into()],
        certified: true,
        unit_price: Won(15_900),
        quantity: Quantity::new(qty).unwrap(),
        taxable: true,
    }
}

/// 옹진 꽃게 2kg, ₩39,000 — raw seafood, tax-free (면세).
fn crab(qty: u32) -> CartLine {
    CartLine {
        variant_id: id(0x201),
        product_id: id(0x200),
        vendor_id: id(CRAB_VENDOR),
        category_path: vec![id(SEAFOOD_CATEGORY), id(FOOD_CATEGORY)],
        tags: vec!["옹진".into()],
        certified: false,
        unit_price: Won(39_000),
        quantity: Quantity::new(qty).unwrap(),
        taxable: false,
    }
}

/// 강화섬쌀 약쑥 떡 세트, ₩12,345 (an awkward price, for rounding).
fn rice_cake(qty: u32) -> CartLine {
    CartLine {
        variant_id: id(0x301),
        product_id: id(0x300),
        vendor_id: id(RICE_VENDOR),
        category_path: vec![id(FOOD_CATEGORY)],
        tags: vec![],
        certified: false,
        unit_price: Won(12_345),
        quantity: Quantity::new(qty).unwrap(),
        taxable: true,
    }
}

/// ₩3,000, free from ₩30,000 — the common policy.
fn shipping_for(vendor: u128) -> VendorShipping {
    VendorShipping {
        vendor_id: id(vendor),
        base_fee: Won(3_000),
        free_threshold: Some(Won(30_000)),
    }
}

fn all_shipping() -> Vec<VendorShipping> {
    vec![
        shipping_for(KIMCHI_VENDOR),
        shipping_for(CRAB_VENDOR),
        shipping_for(RICE_VENDOR),
    ]
}

fn rule(n: u128, campaign: u128, target: RuleTarget, discount: Discount) -> PriceRule {
    PriceRule {
        id: id(n),
        campaign_id: id(campaign),
        campaign_title: "인천 김장 기획전".into(),
        target,
        discount,
        floor: Won::ZERO,
        starts_at: now() - Duration::days(1),
        ends_at: now() + Duration::days(1),
        vendor_share_bp: 10_000,
    }
}

/// A rule of campaign 0xCA on a product.
fn product_rule(n: u128, product: u128, discount: Discount) -> PriceRule {
    rule(n, 0xCA, RuleTarget::Product(id(product)), discount)
}

/// A rule of campaign 0xCA on one variant.
fn variant_rule(n: u128, variant: u128, discount: Discount) -> PriceRule {
    rule(n, 0xCA, RuleTarget::Variant(id(variant)), discount)
}

fn in_campaign(campaign: u128, rule: PriceRule) -> PriceRule {
    PriceRule {
        campaign_id: id(campaign),
        ..rule
    }
}

fn deal(n: u128, variant: u128, price: i64) -> TimeDeal {
    TimeDeal {
        id: id(n),
        variant_id: id(variant),
        campaign_id: None,
        deal_price: Won(price),
        starts_at: now() - Duration::hours(1),
        ends_at: now() + Duration::hours(1),
        remaining: 100,
        per_customer_limit: None,
        vendor_share_bp: 10_000,
    }
}

fn coupon(n: u128, kind: CouponKind, scope: CouponScope, min_order: i64) -> Coupon {
    Coupon {
        id: id(n),
        code: format!("JIKGU{n}"),
        kind,
        min_order: Won(min_order),
        scope,
        starts_at: now() - Duration::days(7),
        ends_at: now() + Duration::days(7),
        vendor_share_bp: 0,
    }
}

/// A coupon for the whole cart, with no minimum order.
fn won_off(n: u128, amount: i64) -> Coupon {
    coupon(n, CouponKind::AmountOff(Won(amount)), CouponScope::All, 0)
}

fn percent_off(n: u128, percent: u32) -> Coupon {
    let kind = CouponKind::Percent { percent, cap: None };
    coupon(n, kind, CouponScope::All, 0)
}

fn free_shipping(n: u128) -> Coupon {
    coupon(n, CouponKind::FreeShipping, CouponScope::All, 0)
}

fn scoped(scope: CouponScope, coupon: Coupon) -> Coupon {
    Coupon { scope, ..coupon }
}

fn min_order(amount: i64, coupon: Coupon) -> Coupon {
    Coupon {
        min_order: Won(amount),
        ..coupon
    }
}

fn remote_table() -> RemoteAreaTable {
    RemoteAreaTable::from_csv(
        "region,from,to,default_surcharge\n\
         jeju,63000,63644,3000\n\
         incheon-ganghwa-islands,23004,23010,5000\n",
    )
    .unwrap()
}

/// Everything a quote needs, with mainland delivery and no promotions by default.
struct Fx {
    lines: Vec<CartLine>,
    shipping: Vec<VendorShipping>,
    rules: Vec<PriceRule>,
    deals: Vec<TimeDeal>,
    coupons: Vec<Coupon>,
    destination: Destination,
    purchases: Vec<DealPurchase>,
    policy: StackingPolicy,
    remote: RemoteAreaTable,
}

impl Fx {
    fn new(lines: Vec<CartLine>) -> Self {
        Fx {
            lines,
            shipping: all_shipping(),
            rules: vec![],
            deals: vec![],
            coupons: vec![],
            // 서울 종로구: mainland.
            destination: at("03154"),
            purchases: vec![],
            policy: StackingPolicy::default(),
            remote: remote_table(),
        }
    }

    fn try_quote(&self) -> Result<Quote, PricingError> {
        let promotions = LivePromotions::new(self.rules.clone(), self.deals.clone());
        quote(
            &promotions,
            &self.remote,
            &self.policy,
            &QuoteRequest {
                at: now(),
                lines: &self.lines,
                shipping: &self.shipping,
                coupons: &self.coupons,
                destination: &self.destination,
                deal_purchases: &self.purchases,
            },
        )
    }

    fn quote(&self) -> Quote {
        self.try_quote().unwrap()
    }
}

fn reasons(line: &LineQuote) -> Vec<(Uuid, PromotionRejection)> {
    line.not_applied
        .iter()
        .map(|r| (r.promotion.id(), r.reason))
        .collect()
}

fn applied_id(line: &LineQuote) -> Option<Uuid> {
    line.applied.as_ref().map(|a| a.promotion.id())
}

// ---- lines and shipping without promotions ----

#[test]
fn list_price_plus_base_fee_below_the_threshold() {
    let q = Fx::new(vec![kimchi(1)]).quote();
    let line = &q.lines[0];
    assert_eq!(line.unit_price, Won(15_900));
    assert_eq!(line.final_amount, Won(15_900));
    assert!(line.applied.is_none() && line.not_applied.is_empty());
    assert_eq!(q.shipping[0].base_fee_charged, Won(3_000));
    assert!(!q.shipping[0].free_by_threshold);
    assert_eq!(q.totals.shipping_total, Won(3_000));
    assert_eq!(q.totals.grand_total, Won(18_900));
    assert!(q.remote_area.is_none());
}

#[test]
fn shipping_is_free_from_thirty_thousand_won() {
    // 2 × ₩15,900 = ₩31,800 ≥ ₩30,000.
    let q = Fx::new(vec![kimchi(2)]).quote();
    assert!(q.shipping[0].free_by_threshold);
    assert_eq!(q.totals.shipping_total, Won::ZERO);
    assert_eq!(q.totals.grand_total, Won(31_800));
}

#[test]
fn no_free_threshold_means_the_fee_is_always_charged() {
    let mut fx = Fx::new(vec![crab(3)]);
    fx.shipping = vec![VendorShipping {
        vendor_id: id(CRAB_VENDOR),
        base_fee: Won(4_000),
        free_threshold: None,
    }];
    assert_eq!(fx.quote().totals.shipping_total, Won(4_000));
}

#[test]
fn one_parcel_per_vendor_in_order_of_first_appearance() {
    let q = Fx::new(vec![crab(1), kimchi(1), crab(1), rice_cake(1)]).quote();
    let vendors: Vec<Uuid> = q.shipping.iter().map(|s| s.vendor_id).collect();
    assert_eq!(
        vendors,
        vec![id(CRAB_VENDOR), id(KIMCHI_VENDOR), id(RICE_VENDOR)]
    );
    // Crab: 2 × ₩39,000 → free; kimchi and rice cake each pay ₩3,000.
    assert_eq!(q.shipping[0].items_amount, Won(78_000));
    assert_eq!(q.totals.shipping_total, Won(6_000));
    let variants: Vec<Uuid> = q.lines.iter().map(|l| l.variant_id).collect();
    assert_eq!(variants, vec![id(0x201), id(0x101), id(0x201), id(0x301)]);
}

#[test]
fn taxable_and_tax_free_parts_are_kept_apart_with_shipping_taxable() {
    let q = Fx::new(vec![kimchi(1), crab(1)]).quote();
    // Kimchi ₩15,900 + its ₩3,000 shipping taxable; crab ₩39,000 tax-free (free shipping).
    assert_eq!(q.totals.taxable_amount, Won(18_900));
    assert_eq!(q.totals.tax_free_amount, Won(39_000));
    assert_eq!(q.totals.grand_total, Won(57_900));
}

// ---- remote areas ----

#[test]
fn jeju_adds_three_thousand_won_even_when_shipping_is_free() {
    let mut fx = Fx::new(vec![kimchi(2)]);
    fx.destination = at("63100");
    let q = fx.quote();
    assert_eq!(q.shipping[0].base_fee_charged, Won::ZERO);
    assert_eq!(q.shipping[0].surcharge, Won(3_000));
    assert_eq!(q.totals.shipping_surcharge, Won(3_000));
    assert_eq!(q.totals.grand_total, Won(31_800 + 3_000));
    assert_eq!(q.remote_area.unwrap().region, "jeju");
}

#[test]
fn the_surcharge_is_charged_per_vendor_parcel() {
    let mut fx = Fx::new(vec![kimchi(1), crab(1)]);
    fx.destination = at("23004"); // 강화 island
    let q = fx.quote();
    assert_eq!(q.shipping[0].total, Won(3_000 + 5_000));
    assert_eq!(q.shipping[1].total, Won(5_000));
    assert_eq!(q.totals.shipping_surcharge, Won(10_000));
}

#[test]
fn a_bridge_connected_address_in_an_island_code_is_not_surcharged() {
    let mut fx = Fx::new(vec![kimchi(1)]);
    fx.remote = remote_table().with_exemption(RemoteAreaExemption::RoadName {
        road: "교동남로".into(),
        postal_code: Some(23_004),
    });
    fx.destination = Destination {
        postal_code: PostalCode::known("23004"),
        road_address: Some("인천광역시 강화군 교동면 교동남로 123".into()),
        building_no: None,
    };
    let q = fx.quote();
    assert_eq!(q.totals.shipping_surcharge, Won::ZERO);
    let area = q.remote_area.unwrap();
    assert_eq!(area.range_surcharge, Won(5_000));
    assert!(area.exemption.is_some());
}

// ---- campaign rules ----

#[test]
fn a_percent_rule_rounds_the_discount_down_to_the_won() {
    let mut fx = Fx::new(vec![rice_cake(3)]);
    fx.rules = vec![product_rule(1, 0x300, Discount::Percent(15))];
    let q = fx.quote();
    // 15% of ₩12,345 = ₩1,851.75 → ₩1,851 off → ₩10,494 each.
    assert_eq!(q.lines[0].unit_price, Won(10_494));
    assert_eq!(q.lines[0].discounted_amount, Won(31_482));
    assert_eq!(q.lines[0].promotion_discount, Won(1_851 * 3));
    assert_eq!(q.totals.promotion_discount, Won(5_553));
}

#[test]
fn amount_off_and_fixed_price_rules() {
    let mut fx = Fx::new(vec![crab(1)]);
    fx.rules = vec![variant_rule(1, 0x201, Discount::AmountOff(Won(5_000)))];
    assert_eq!(fx.quote().lines[0].unit_price, Won(34_000));
    fx.rules = vec![variant_rule(1, 0x201, Discount::FixedPrice(Won(29_900)))];
    assert_eq!(fx.quote().lines[0].unit_price, Won(29_900));
}

#[test]
fn a_rule_never_goes_below_its_floor_nor_below_zero() {
    let mut fx = Fx::new(vec![crab(1)]);
    let mut floored = variant_rule(1, 0x201, Discount::Percent(50));
    floored.floor = Won(25_000);
    fx.rules = vec![floored];
    assert_eq!(fx.quote().lines[0].unit_price, Won(25_000));

    fx.rules = vec![variant_rule(2, 0x201, Discount::AmountOff(Won(50_000)))];
    assert_eq!(fx.quote().lines[0].unit_price, Won::ZERO);
    fx.rules = vec![variant_rule(3, 0x201, Discount::Percent(150))];
    assert_eq!(fx.quote().lines[0].unit_price, Won::ZERO);
}

#[test]
fn the_lowest_price_wins_and_the_others_say_why_not() {
    let mut fx = Fx::new(vec![kimchi(1)]);
    let mut expired = in_campaign(0xCB, variant_rule(4, 0x101, Discount::Percent(50)));
    expired.ends_at = now() - Duration::hours(1);
    let mut future = in_campaign(0xCB, variant_rule(5, 0x101, Discount::Percent(60)));
    future.starts_at = now() + Duration::hours(1);
    fx.rules = vec![
        product_rule(1, 0x100, Discount::Percent(10)), // ₩14,310
        variant_rule(2, 0x101, Discount::AmountOff(Won(2_000))), // ₩13,900
        variant_rule(3, 0x101, Discount::FixedPrice(Won(16_900))), // above list
        expired,
        future,
        product_rule(6, 0x999, Discount::Percent(90)), // other product
    ];
    let q = fx.quote();
    let line = &q.lines[0];
    assert_eq!(applied_id(line), Some(id(2)));
    assert_eq!(line.unit_price, Won(13_900));
    let mut got = reasons(line);
    got.sort();
    assert_eq!(
        got,
        vec![
            (id(1), PromotionRejection::NotBest),
            (id(3), PromotionRejection::NoDiscount),
            (id(4), PromotionRejection::OutsideWindow),
            (id(5), PromotionRejection::OutsideWindow),
        ]
    );
    // Listed by the price they would have given.
    let prices: Vec<Won> = line.not_applied.iter().map(|r| r.unit_price).collect();
    assert!(prices.windows(2).all(|w| w[0] <= w[1]));
}

#[test]
fn a_rule_that_would_raise_the_price_is_not_applied() {
    let mut fx = Fx::new(vec![kimchi(1)]);
    fx.rules = vec![variant_rule(1, 0x101, Discount::FixedPrice(Won(19_900)))];
    let q = fx.quote();
    assert!(q.lines[0].applied.is_none());
    assert_eq!(q.lines[0].unit_price, Won(15_900));
    assert_eq!(
        reasons(&q.lines[0]),
        vec![(id(1), PromotionRejection::NoDiscount)]
    );
}

#[test]
fn window_is_half_open() {
    let mut fx = Fx::new(vec![kimchi(1)]);
    let mut starts_now = variant_rule(1, 0x101, Discount::Percent(10));
    starts_now.starts_at = now();
    let mut ends_now = variant_rule(2, 0x101, Discount::Percent(20));
    ends_now.ends_at = now();
    fx.rules = vec![starts_now, ends_now];
    let q = fx.quote();
    assert_eq!(applied_id(&q.lines[0]), Some(id(1)));
    assert_eq!(
        reasons(&q.lines[0]),
        vec![(id(2), PromotionRejection::OutsideWindow)]
    );
}

// ---- time deals ----

#[test]
fn a_cheaper_time_deal_beats_a_campaign_rule() {
    let mut fx = Fx::new(vec![crab(1)]);
    fx.rules = vec![product_rule(1, 0x200, Discount::Percent(10))]; // ₩35,100
    fx.deals = vec![deal(10, 0x201, 29_900)];
    let q = fx.quote();
    assert_eq!(applied_id(&q.lines[0]), Some(id(10)));
    assert_eq!(q.lines[0].unit_price, Won(29_900));
    assert_eq!(
        reasons(&q.lines[0]),
        vec![(id(1), PromotionRejection::NotBest)]
    );
}

#[test]
fn a_sold_out_deal_leaves_the_campaign_price() {
    let mut fx = Fx::new(vec![crab(3)]);
    fx.rules = vec![product_rule(1, 0x200, Discount::Percent(10))];
    let mut d = deal(10, 0x201, 29_900);
    d.remaining = 2; // fewer than the 3 wanted: the deal applies to whole lines only
    fx.deals = vec![d];
    let q = fx.quote();
    assert_eq!(applied_id(&q.lines[0]), Some(id(1)));
    assert_eq!(q.lines[0].unit_price, Won(35_100));
    assert_eq!(
        reasons(&q.lines[0]),
        vec![(id(10), PromotionRejection::DealSoldOut)]
    );
}

#[test]
fn the_per_customer_limit_counts_earlier_orders() {
    let mut fx = Fx::new(vec![crab(2)]);
    let mut d = deal(10, 0x201, 29_900);
    d.per_customer_limit = Some(2);
    fx.deals = vec![d];
    assert_eq!(applied_id(&fx.quote().lines[0]), Some(id(10)));

    fx.purchases = vec![DealPurchase {
        deal_id: id(10),
        quantity: 1,
    }];
    let q = fx.quote();
    assert!(q.lines[0].applied.is_none());
    assert_eq!(q.lines[0].unit_price, Won(39_000));
    assert_eq!(
        reasons(&q.lines[0]),
        vec![(id(10), PromotionRejection::DealCustomerLimit)]
    );
}

#[test]
fn deal_units_taken_by_an_earlier_line_count_for_later_lines() {
    let mut fx = Fx::new(vec![crab(2), crab(2)]);
    let mut d = deal(10, 0x201, 29_900);
    d.remaining = 3;
    fx.deals = vec![d];
    let q = fx.quote();
    assert_eq!(applied_id(&q.lines[0]), Some(id(10)));
    assert_eq!(
        reasons(&q.lines[1]),
        vec![(id(10), PromotionRejection::DealSoldOut)]
    );

    let mut d = deal(10, 0x201, 29_900);
    d.per_customer_limit = Some(3);
    fx.deals = vec![d];
    let q = fx.quote();
    assert_eq!(
        reasons(&q.lines[1]),
        vec![(id(10), PromotionRejection::DealCustomerLimit)]
    );
}

#[test]
fn an_expired_deal_is_outside_its_window() {
    let mut fx = Fx::new(vec![crab(1)]);
    let mut d = deal(10, 0x201, 29_900);
    d.ends_at = now() - Duration::minutes(1);
    fx.deals = vec![d];
    let q = fx.quote();
    assert!(q.lines[0].applied.is_none());
    assert_eq!(
        reasons(&q.lines[0]),
        vec![(id(10), PromotionRejection::OutsideWindow)]
    );
}

#[test]
fn the_policy_can_make_time_deals_win_over_cheaper_rules() {
    let mut fx = Fx::new(vec![crab(1)]);
    fx.rules = vec![
        product_rule(1, 0x200, Discount::FixedPrice(Won(25_000))),
        product_rule(2, 0x200, Discount::FixedPrice(Won(35_000))),
    ];
    fx.deals = vec![deal(10, 0x201, 29_900)];
    assert_eq!(applied_id(&fx.quote().lines[0]), Some(id(1)));

    fx.policy.time_deal_beats_campaign = true;
    let q = fx.quote();
    assert_eq!(applied_id(&q.lines[0]), Some(id(10)));
    let mut got = reasons(&q.lines[0]);
    got.sort();
    assert_eq!(
        got,
        vec![
            (id(1), PromotionRejection::TimeDealPriority),
            (id(2), PromotionRejection::NotBest),
        ]
    );
}

#[test]
fn loading_order_of_rules_does_not_change_the_quote() {
    let mut fx = Fx::new(vec![kimchi(1), crab(1)]);
    let rules = vec![
        product_rule(1, 0x100, Discount::AmountOff(Won(1_000))),
        in_campaign(
            0xCB,
            variant_rule(2, 0x101, Discount::AmountOff(Won(1_000))),
        ),
        product_rule(3, 0x200, Discount::FixedPrice(Won(35_000))),
    ];
    fx.rules = rules.clone();
    let a = fx.quote();
    fx.rules = rules.into_iter().rev().collect();
    let b = fx.quote();
    assert_eq!(a, b);
    // Equal prices: the smaller id wins.
    assert_eq!(applied_id(&a.lines[0]), Some(id(1)));
}

// ---- order coupons ----

#[test]
fn a_percent_coupon_is_capped_and_rounded_down() {
    let mut fx = Fx::new(vec![kimchi(1), rice_cake(1)]);
    let kind = |cap| CouponKind::Percent { percent: 7, cap };
    fx.coupons = vec![coupon(50, kind(None), CouponScope::All, 0)];
    // 7% of ₩28,245 = ₩1,977.15 → ₩1,977.
    let q = fx.quote();
    assert_eq!(q.coupons[0].discount, Won(1_977));
    assert_eq!(q.totals.coupon_discount, Won(1_977));
    fx.coupons = vec![coupon(50, kind(Some(Won(1_000))), CouponScope::All, 0)];
    assert_eq!(fx.quote().totals.coupon_discount, Won(1_000));
}

#[test]
fn the_coupon_is_spread_over_lines_by_largest_remainder() {
    let three = vec![
        kimchi(1),
        {
            let mut k = kimchi(1);
            k.variant_id = id(0x102);
            k
        },
        {
            let mut k = kimchi(1);
            k.variant_id = id(0x103);
            k
        },
    ];
    let mut fx = Fx::new(three);
    fx.coupons = vec![won_off(50, 1_000)];
    let q = fx.quote();
    let shares: Vec<Won> = q.lines.iter().map(|l| l.coupon_discount).collect();
    assert_eq!(shares, vec![Won(334), Won(333), Won(333)]);
    assert_eq!(
        q.lines[0].coupon_shares,
        vec![CouponShare {
            coupon_id: id(50),
            amount: Won(334),
            vendor_share_bp: 0,
        }]
    );
    assert_eq!(q.lines[0].final_amount, Won(15_900 - 334));
}

#[test]
fn shares_follow_the_discounted_amounts() {
    // Kimchi ₩15,900 and crab ₩39,000 after no promotion; ₩5,000 off over ₩54,900.
    let mut fx = Fx::new(vec![kimchi(1), crab(1)]);
    fx.coupons = vec![won_off(50, 5_000)];
    let q = fx.quote();
    // 5000 × 15900 / 54900 = 1448.08…, 5000 × 39000 / 54900 = 3551.91… → 1448 + 3552.
    assert_eq!(q.lines[0].coupon_discount, Won(1_448));
    assert_eq!(q.lines[1].coupon_discount, Won(3_552));
}

#[test]
fn a_coupon_never_takes_more_than_its_base() {
    let mut fx = Fx::new(vec![kimchi(1), crab(1)]);
    fx.coupons = vec![scoped(
        CouponScope::Vendor(id(KIMCHI_VENDOR)),
        won_off(50, 50_000),
    )];
    let q = fx.quote();
    assert_eq!(q.coupons[0].discount, Won(15_900));
    assert_eq!(q.lines[0].final_amount, Won::ZERO);
    assert_eq!(q.lines[1].coupon_discount, Won::ZERO);
    // The kimchi parcel still pays its fee; shipping is never discounted by order coupons.
    assert_eq!(q.shipping[0].base_fee_charged, Won(3_000));
}

#[test]
fn min_order_is_compared_with_the_in_scope_amount_after_promotions() {
    let mut fx = Fx::new(vec![kimchi(1), crab(1)]);
    fx.rules = vec![product_rule(1, 0x100, Discount::AmountOff(Won(1_000)))];
    // Kimchi ₩14,900 after the rule: below a ₩15,000 minimum for the kimchi vendor.
    fx.coupons = vec![min_order(
        15_000,
        scoped(CouponScope::Vendor(id(KIMCHI_VENDOR)), won_off(50, 2_000)),
    )];
    let q = fx.quote();
    assert!(!q.coupons[0].applied);
    assert_eq!(q.coupons[0].base, Won(14_900));
    assert_eq!(q.coupons[0].reason, Some(CouponRejection::BelowMinOrder));
    assert_eq!(q.totals.coupon_discount, Won::ZERO);
}

#[test]
fn a_campaign_coupon_reaches_only_lines_priced_by_that_campaign() {
    let mut fx = Fx::new(vec![kimchi(1), crab(1), rice_cake(1)]);
    fx.rules = vec![
        product_rule(1, 0x100, Discount::AmountOff(Won(900))), // kimchi ₩15,000
        in_campaign(
            0xCB,
            product_rule(2, 0x200, Discount::AmountOff(Won(1_000))),
        ), // crab, other campaign
    ];
    fx.coupons = vec![scoped(CouponScope::Campaign(id(0xCA)), percent_off(50, 10))];
    let q = fx.quote();
    assert_eq!(q.coupons[0].base, Won(15_000));
    assert_eq!(q.lines[0].coupon_discount, Won(1_500));
    assert_eq!(q.lines[1].coupon_discount, Won::ZERO);
    assert_eq!(q.lines[2].coupon_discount, Won::ZERO);

    // A campaign with no priced line in the cart: out of scope.
    fx.coupons = vec![scoped(CouponScope::Campaign(id(0xCC)), won_off(51, 1_000))];
    assert_eq!(
        fx.quote().coupons[0].reason,
        Some(CouponRejection::OutOfScope)
    );
}

#[test]
fn a_time_deal_in_a_campaign_is_in_that_campaigns_scope() {
    let mut fx = Fx::new(vec![crab(1)]);
    let mut d = deal(10, 0x201, 29_900);
    d.campaign_id = Some(id(0xCA));
    fx.deals = vec![d];
    fx.coupons = vec![scoped(CouponScope::Campaign(id(0xCA)), won_off(50, 900))];
    assert_eq!(fx.quote().lines[0].final_amount, Won(29_000));
}

#[test]
fn a_category_coupon_matches_ancestors() {
    let mut fx = Fx::new(vec![kimchi(1), crab(1), rice_cake(1)]);
    fx.coupons = vec![scoped(
        CouponScope::Category(id(SEAFOOD_CATEGORY)),
        won_off(50, 3_000),
    )];
    let q = fx.quote();
    assert_eq!(q.lines[1].coupon_discount, Won(3_000));
    fx.coupons = vec![scoped(
        CouponScope::Category(id(FOOD_CATEGORY)),
        won_off(51, 3_000),
    )];
    let q = fx.quote();
    assert_eq!(q.coupons[0].base, Won(15_900 + 39_000 + 12_345));
    assert!(q.lines.iter().all(|l| l.coupon_discount > Won::ZERO));
}

#[test]
fn only_the_best_order_coupon_is_used_by_default() {
    let mut fx = Fx::new(vec![crab(1)]);
    fx.coupons = vec![
        won_off(50, 3_000),
        percent_off(51, 10), // ₩3,900
        min_order(50_000, won_off(52, 3_000)),
    ];
    let q = fx.quote();
    let got: Vec<(bool, Option<CouponRejection>)> =
        q.coupons.iter().map(|c| (c.applied, c.reason)).collect();
    assert_eq!(
        got,
        vec![
            (false, Some(CouponRejection::NotStackable)),
            (true, None),
            (false, Some(CouponRejection::BelowMinOrder)),
        ]
    );
    assert_eq!(q.totals.coupon_discount, Won(3_900));
}

#[test]
fn a_policy_may_stack_order_coupons_each_on_what_is_left() {
    let mut fx = Fx::new(vec![crab(1)]);
    fx.policy.max_order_coupons = 2;
    fx.coupons = vec![won_off(50, 3_000), percent_off(51, 10)];
    let q = fx.quote();
    // 10% of ₩39,000 = ₩3,900 first (bigger), then ₩3,000 off the remaining ₩35,100.
    assert_eq!(q.coupons[1].discount, Won(3_900));
    assert_eq!(q.coupons[0].discount, Won(3_000));
    assert_eq!(q.lines[0].final_amount, Won(32_100));
    assert_eq!(q.lines[0].coupon_shares.len(), 2);
}

#[test]
fn coupons_outside_their_window_duplicated_or_worth_nothing_say_so() {
    let mut fx = Fx::new(vec![kimchi(1)]);
    let mut expired = won_off(50, 1_000);
    expired.ends_at = now();
    let tiny = percent_off(51, 0);
    let good = won_off(52, 1_000);
    fx.coupons = vec![expired, tiny, good.clone(), good];
    let q = fx.quote();
    let reasons: Vec<Option<CouponRejection>> = q.coupons.iter().map(|c| c.reason).collect();
    assert_eq!(
        reasons,
        vec![
            Some(CouponRejection::OutsideWindow),
            Some(CouponRejection::NoBenefit),
            None,
            Some(CouponRejection::Duplicate),
        ]
    );
    assert_eq!(q.totals.coupon_discount, Won(1_000));
}

#[test]
fn a_coupon_can_push_a_vendor_below_the_free_threshold() {
    // ₩31,800 of kimchi is free to ship; ₩2,000 off makes it ₩29,800 and the fee returns.
    let mut fx = Fx::new(vec![kimchi(2)]);
    fx.coupons = vec![won_off(50, 2_000)];
    let q = fx.quote();
    assert_eq!(q.shipping[0].items_amount, Won(29_800));
    assert!(!q.shipping[0].free_by_threshold);
    assert_eq!(q.totals.grand_total, Won(29_800 + 3_000));
}

// ---- shipping coupons ----

#[test]
fn free_shipping_waives_base_fees_but_never_the_surcharge() {
    let mut fx = Fx::new(vec![kimchi(1), rice_cake(1)]);
    fx.destination = at("63100");
    fx.coupons = vec![free_shipping(60)];
    let q = fx.quote();
    assert!(q.coupons[0].applied);
    assert_eq!(q.coupons[0].class, CouponClass::Shipping);
    assert_eq!(q.coupons[0].discount, Won(6_000));
    assert_eq!(q.totals.shipping_discount, Won(6_000));
    assert_eq!(q.totals.shipping_base_fee, Won::ZERO);
    assert_eq!(q.totals.shipping_surcharge, Won(6_000));
    assert!(
        q.shipping
            .iter()
            .all(|s| s.waived_by_coupon == Some(id(60)) && s.total == Won(3_000))
    );
    assert_eq!(q.totals.grand_total, Won(15_900 + 12_345 + 6_000));
}

#[test]
fn a_vendor_scoped_shipping_coupon_waives_that_vendor_only() {
    let mut fx = Fx::new(vec![kimchi(1), rice_cake(1)]);
    fx.coupons = vec![scoped(
        CouponScope::Vendor(id(RICE_VENDOR)),
        free_shipping(60),
    )];
    let q = fx.quote();
    assert_eq!(q.shipping[0].base_fee_charged, Won(3_000));
    assert_eq!(q.shipping[1].base_fee_charged, Won::ZERO);
    assert_eq!(q.shipping[1].waived_by_coupon, Some(id(60)));
}

#[test]
fn free_shipping_when_shipping_is_already_free_is_not_spent() {
    let mut fx = Fx::new(vec![kimchi(2)]);
    fx.coupons = vec![free_shipping(60)];
    let q = fx.quote();
    assert!(!q.coupons[0].applied);
    assert_eq!(q.coupons[0].reason, Some(CouponRejection::NoBenefit));
}

#[test]
fn an_order_coupon_and_a_shipping_coupon_combine() {
    let mut fx = Fx::new(vec![kimchi(1)]);
    fx.coupons = vec![
        min_order(10_000, free_shipping(60)),
        free_shipping(61),
        won_off(50, 1_000),
    ];
    let q = fx.quote();
    assert!(
        q.coupons[0].applied,
        "equal benefit: the smaller id is used"
    );
    assert_eq!(q.coupons[1].reason, Some(CouponRejection::NotStackable));
    assert!(q.coupons[2].applied);
    assert_eq!(q.totals.grand_total, Won(14_900));
}

#[test]
fn a_policy_may_forbid_an_order_coupon_with_a_shipping_coupon() {
    let mut fx = Fx::new(vec![kimchi(1)]);
    fx.policy.order_and_shipping_coupons_combine = false;
    fx.coupons = vec![free_shipping(60), won_off(50, 1_000)];
    let q = fx.quote();
    // The order coupon is judged first and kept; the shipping coupon says why it is not.
    assert!(q.coupons[1].applied);
    assert!(!q.coupons[0].applied);
    assert_eq!(q.coupons[0].reason, Some(CouponRejection::NotStackable));
    assert_eq!(q.totals.grand_total, Won(14_900 + 3_000));

    // Without a usable order coupon the shipping coupon applies as before.
    fx.coupons[1].min_order = Won(50_000);
    let q = fx.quote();
    assert_eq!(q.coupons[1].reason, Some(CouponRejection::BelowMinOrder));
    assert!(q.coupons[0].applied);
    assert_eq!(q.totals.grand_total, Won(15_900));
}

#[test]
fn a_policy_may_keep_order_coupons_off_promoted_lines() {
    let mut fx = Fx::new(vec![kimchi(1), crab(1)]);
    fx.rules = vec![product_rule(1, 0x100, Discount::AmountOff(Won(900)))];
    fx.coupons = vec![won_off(50, 2_000), free_shipping(60)];
    // By default the coupon reaches both lines, the discounted kimchi included.
    let q = fx.quote();
    assert_eq!(q.coupons[0].base, Won(15_000 + 39_000));
    assert!(q.lines[0].coupon_discount > Won::ZERO);

    fx.policy.coupons_on_promoted_lines = false;
    let q = fx.quote();
    assert_eq!(
        q.coupons[0].base,
        Won(39_000),
        "only the crab is at list price"
    );
    assert_eq!(q.lines[0].coupon_discount, Won::ZERO);
    assert_eq!(q.lines[1].coupon_discount, Won(2_000));
    assert_eq!(
        applied_id(&q.lines[0]),
        Some(id(1)),
        "the campaign price stays"
    );
    // Shipping coupons are not affected.
    assert!(q.coupons[1].applied);

    // A coupon whose scope holds only promoted lines says so.
    fx.lines = vec![kimchi(1)];
    let q = fx.quote();
    assert!(!q.coupons[0].applied);
    assert_eq!(
        q.coupons[0].reason,
        Some(CouponRejection::PromotedLinesExcluded)
    );
    assert_eq!(q.lines[0].final_amount, Won(15_000));
}

#[test]
fn a_policy_without_coupons_of_a_class_applies_none() {
    let mut fx = Fx::new(vec![kimchi(1)]);
    fx.policy.max_order_coupons = 0;
    fx.policy.max_shipping_coupons = 0;
    fx.coupons = vec![won_off(50, 1_000), free_shipping(60)];
    let q = fx.quote();
    assert!(
        q.coupons
            .iter()
            .all(|c| !c.applied && c.reason == Some(CouponRejection::NotStackable))
    );
    assert_eq!(q.totals.grand_total, Won(15_900 + 3_000));
}

// ---- errors ----

#[test]
fn carts_that_cannot_be_priced_are_errors() {
    let mut fx = Fx::new(vec![kimchi(1)]);
    let mut free = kimchi(1);
    free.unit_price = Won::ZERO;
    fx.lines = vec![free];
    assert!(matches!(
        fx.try_quote(),
        Err(PricingError::NonPositiveUnitPrice { line: 0, .. })
    ));
    let mut negative = kimchi(1);
    negative.unit_price = Won(-100);
    fx.lines = vec![negative];
    assert!(matches!(
        fx.try_quote(),
        Err(PricingError::NonPositiveUnitPrice { .. })
    ));
    let mut absurd = kimchi(Quantity::MAX);
    absurd.unit_price = Won(i64::MAX);
    fx.lines = vec![absurd];
    assert!(matches!(
        fx.try_quote(),
        Err(PricingError::AmountTooLarge { .. })
    ));

    fx.lines = vec![kimchi(1)];
    fx.destination = at("63100");
    fx.shipping = vec![shipping_for(CRAB_VENDOR)];
    assert_eq!(
        fx.try_quote(),
        Err(PricingError::MissingShippingPolicy {
            line: 0,
            vendor_id: id(KIMCHI_VENDOR)
        })
    );
    fx.shipping = vec![shipping_for(KIMCHI_VENDOR), shipping_for(KIMCHI_VENDOR)];
    assert!(matches!(
        fx.try_quote(),
        Err(PricingError::DuplicateShippingPolicy { .. })
    ));
    fx.shipping = vec![VendorShipping {
        vendor_id: id(KIMCHI_VENDOR),
        base_fee: Won(-1),
        free_threshold: None,
    }];
    assert!(matches!(
        fx.try_quote(),
        Err(PricingError::InvalidShippingPolicy { .. })
    ));
}

#[test]
fn an_empty_cart_costs_nothing() {
    let q = Fx::new(vec![]).quote();
    assert_eq!(q.totals, QuoteTotals::default());
    assert!(q.shipping.is_empty());
}

// ---- serialization ----

#[test]
fn the_quote_serializes_for_the_http_layer() {
    let mut fx = Fx::new(vec![crab(1)]);
    fx.destination = at("63100");
    fx.deals = vec![deal(10, 0x201, 29_900)];
    fx.rules = vec![product_rule(1, 0x200, Discount::Percent(10))];
    fx.coupons = vec![free_shipping(60)];
    let json = serde_json::to_value(fx.quote()).unwrap();
    let line = &json["lines"][0];
    assert_eq!(line["applied"]["type"], "time_deal");
    assert_eq!(line["applied"]["unit_price"], 29_900);
    assert_eq!(line["not_applied"][0]["type"], "campaign_rule");
    assert_eq!(line["not_applied"][0]["reason"], "not_best");
    assert_eq!(line["not_applied"][0]["campaign_title"], "인천 김장 기획전");
    assert_eq!(json["coupons"][0]["class"], "shipping");
    assert_eq!(json["remote_area"]["region"], "jeju");
    assert_eq!(json["totals"]["grand_total"], 29_900 + 3_000);
    let err = serde_json::to_value(PricingError::InvalidShippingPolicy {
        vendor_id: id(KIMCHI_VENDOR),
    })
    .unwrap();
    assert_eq!(err["code"], "invalid_shipping_policy");
}

#[test]
fn the_quote_carries_who_funds_each_discount() {
    // Kimchi at 10% off in a campaign the vendor funds 30% of; crab in a deal the platform
    // funds; a ₩2,000 coupon shared half and half.
    let mut fx = Fx::new(vec![kimchi(1), crab(1)]);
    fx.rules = vec![PriceRule {
        vendor_share_bp: 3_000,
        ..in_campaign(9, product_rule(1, 0x100, Discount::Percent(10)))
    }];
    fx.deals = vec![TimeDeal {
        vendor_share_bp: 0,
        ..deal(2, 0x201, 35_000)
    }];
    fx.coupons = vec![Coupon {
        vendor_share_bp: 5_000,
        ..won_off(50, 2_000)
    }];
    let q = fx.quote();
    let applied: Vec<u16> = q
        .lines
        .iter()
        .map(|l| l.applied.as_ref().map_or(u16::MAX, |a| a.vendor_share_bp))
        .collect();
    assert_eq!(applied, vec![3_000, 0]);
    assert!(
        q.lines
            .iter()
            .flat_map(|l| &l.coupon_shares)
            .all(|s| s.vendor_share_bp == 5_000)
    );
    assert_eq!(
        q.lines.iter().map(|l| l.coupon_shares.len()).sum::<usize>(),
        2
    );
}

#[test]
fn quotes_stored_before_shares_read_with_the_old_defaults() {
    // A quote line stored before shares were recorded: campaign prices were the vendor's,
    // coupons the platform's.
    let applied: AppliedPromotion = serde_json::from_value(serde_json::json!({
        "type": "campaign_rule", "rule_id": id(1), "campaign_id": id(9),
        "campaign_title": "기획전", "unit_price": 14_310
    }))
    .expect("old applied promotion");
    assert_eq!(applied.vendor_share_bp, 10_000);
    let share: CouponShare =
        serde_json::from_value(serde_json::json!({ "coupon_id": id(50), "amount": 334 }))
            .expect("old coupon share");
    assert_eq!(share.vendor_share_bp, 0);
}
