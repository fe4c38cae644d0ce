//! Pricing-engine benchmarks: one quote of a 20-line cart from 5 vendors against 1,000
//! campaign rules, 50 time deals and two coupons (the index built once, outside the timed
//! loop), and building that index.
//!
//! `cargo bench -p promotions --bench quote` (add `-- --quick` for a short run).

use std::hint::black_box;

use chrono::{DateTime, Duration, Utc};
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use platform::money::Won;
use promotions::pricing::{
    CartLine, Coupon, CouponKind, CouponScope, Destination, Discount, LivePromotions, PriceRule,
    QuoteRequest, RemoteAreaTable, RuleTarget, StackingPolicy, TimeDeal, VendorShipping, quote,
};
use uuid::Uuid;

const PRODUCTS: u128 = 200;
const VARIANTS_PER_PRODUCT: u128 = 3;
const VENDORS: u128 = 5;
const RULES: u128 = 1_000;
const DEALS: u128 = 50;

fn id(kind: u128, n: u128) -> Uuid {
    Uuid::from_u128((kind << 64) | n)
}
fn product(p: u128) -> Uuid {
    id(1, p)
}
fn variant(p: u128, v: u128) -> Uuid {
    id(2, p * VARIANTS_PER_PRODUCT + v)
}
fn vendor(p: u128) -> Uuid {
    id(3, p % VENDORS)
}

fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(1_795_316_400, 0).expect("a valid instant")
}

/// 1,000 rules over 200 products (about 5 per product, half on a variant), a tenth of them
/// outside their window, with every kind of discount.
fn rules() -> Vec<PriceRule> {
    (0..RULES)
        .map(|n| {
            let p = n % PRODUCTS;
            let (starts_at, ends_at) = if n % 10 == 9 {
                (now() - Duration::days(10), now() - Duration::days(3))
            } else {
                (now() - Duration::days(1), now() + Duration::days(6))
            };
            PriceRule {
                id: id(4, n),
                campaign_id: id(5, n % 8),
                campaign_title: format!("인천직구 기획전 {}", n % 8),
                target: if n % 2 == 0 {
                    RuleTarget::Product(product(p))
                } else {
                    RuleTarget::Variant(variant(p, n % VARIANTS_PER_PRODUCT))
                },
                discount: match n % 3 {
                    0 => Discount::Percent(5 + (n % 25) as u32),
                    1 => Discount::AmountOff(Won(500 * (1 + (n % 10) as i64))),
                    _ => Discount::FixedPrice(Won(9_900 + 1_000 * (n % 20) as i64)),
                },
                floor: Won(5_000),
                starts_at,
                ends_at,
                vendor_share_bp: 10_000,
            }
        })
        .collect()
}

fn deals() -> Vec<TimeDeal> {
    (0..DEALS)
        .map(|n| TimeDeal {
            id: id(6, n),
            variant_id: variant(n * 4 % PRODUCTS, n % VARIANTS_PER_PRODUCT),
            campaign_id: Some(id(5, n % 8)),
            deal_price: Won(8_900 + 100 * n as i64),
            starts_at: now() - Duration::hours(1),
            ends_at: now() + Duration::hours(2),
            remaining: (n % 7) as u32,
            per_customer_limit: Some(2),
            vendor_share_bp: 10_000,
        })
        .collect()
}

/// 20 lines over 5 vendors.
fn cart() -> Vec<CartLine> {
    (0..20u128)
        .map(|n| {
            let p = n * 7 % PRODUCTS;
            CartLine {
                variant_id: variant(p, n % VARIANTS_PER_PRODUCT),
                product_id: product(p),
                vendor_id: vendor(p),
                category_path: vec![id(7, p % 12), id(7, 100)],
                tags: vec!["인천".into()],
                certified: n % 3 == 0,
                unit_price: Won(12_000 + 1_900 * (n % 9) as i64),
                quantity: platform::quantity::Quantity::clamped(1 + (n % 3) as i64),
                taxable: n % 4 != 0,
            }
        })
        .collect()
}

fn coupons() -> Vec<Coupon> {
    let window = |c: Coupon| Coupon {
        starts_at: now() - Duration::days(30),
        ends_at: now() + Duration::days(30),
        ..c
    };
    vec![
        window(Coupon {
            id: id(8, 1),
            code: "WELCOME10".into(),
            kind: CouponKind::Percent {
                percent: 10,
                cap: Some(Won(10_000)),
            },
            min_order: Won(30_000),
            scope: CouponScope::All,
            starts_at: now(),
            ends_at: now(),
            vendor_share_bp: 0,
        }),
        window(Coupon {
            id: id(8, 2),
            code: "FREESHIP".into(),
            kind: CouponKind::FreeShipping,
            min_order: Won::ZERO,
            scope: CouponScope::All,
            starts_at: now(),
            ends_at: now(),
            vendor_share_bp: 0,
        }),
    ]
}

fn benches(c: &mut Criterion) {
    let rules = rules();
    let deals = deals();
    let promotions = LivePromotions::new(rules.clone(), deals.clone());
    let remote = RemoteAreaTable::from_csv(
        "region,from,to,default_surcharge\n\
         jeju,63000,63644,3000\n\
         incheon-ganghwa-islands,23004,23010,5000\n\
         incheon-ongjin-islands,23100,23116,5000\n",
    )
    .expect("table parses");
    let policy = StackingPolicy::default();
    let lines = cart();
    let shipping: Vec<VendorShipping> = (0..VENDORS)
        .map(|v| VendorShipping {
            vendor_id: id(3, v),
            base_fee: Won(3_000),
            // Two vendors always charge, so the free-shipping coupon has work to do.
            free_threshold: (v >= 2).then_some(Won(30_000)),
        })
        .collect();
    let coupons = coupons();
    let destination = Destination::postal(platform::postal::PostalCode::known("63100"));
    let request = QuoteRequest {
        at: now(),
        lines: &lines,
        shipping: &shipping,
        coupons: &coupons,
        destination: &destination,
        deal_purchases: &[],
    };
    let sample = quote(&promotions, &remote, &policy, &request).expect("the cart prices");
    assert_eq!(sample.lines.len(), 20);
    assert!(sample.lines.iter().filter(|l| l.applied.is_some()).count() > 10);
    assert!(sample.coupons.iter().all(|c| c.applied));

    c.bench_function(
        "quote/20 lines, 5 vendors, 1000 rules, 50 deals, 2 coupons",
        |b| b.iter(|| quote(&promotions, &remote, &policy, black_box(&request))),
    );
    c.bench_function("LivePromotions::new/1000 rules, 50 deals", |b| {
        b.iter_batched(
            || (rules.clone(), deals.clone()),
            |(r, d)| LivePromotions::new(r, d),
            BatchSize::SmallInput,
        )
    });
}

criterion_group!(pricing, benches);
criterion_main!(pricing);
