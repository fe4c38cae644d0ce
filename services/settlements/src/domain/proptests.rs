//! For any sequence of checkouts, partial refunds (before or after confirmation),
//! confirmations, replays, rate changes, adjustments and payouts, each vendor's payable
//! entries sum to confirmed sales + shipping − refunds − vendor-funded discounts −
//! commission − commission VAT − fees + adjustments − payouts, to the won, with every
//! term computed here from the final state of the orders, not from the booking code.

use super::booking::{Booked, Funding, Rates, apply, plan};
use super::commission::RateBp;
use super::kinds::EntryKind;
use chrono::Utc;
use orders::settlement_facts::{LineFacts, VendorOrderFacts};
use proptest::prelude::*;
use uuid::Uuid;

#[derive(Debug, Clone)]
struct LineSpec {
    qty: i32,
    unit: i64,
    promo_pct: i64,
    coupon: i64,
    /// 0: vendor, 1: platform, 2: shared 50/50 campaign.
    funder: u8,
}

#[derive(Debug, Clone)]
enum Op {
    Checkout {
        vendor: usize,
        lines: Vec<LineSpec>,
        shipping: i64,
    },
    Confirm(usize),
    Refund {
        vo: usize,
        line: usize,
        units: i32,
    },
    Replay(usize),
    RateChange(i32),
    Adjust {
        vendor: usize,
        amount: i64,
    },
    Payout {
        vendor: usize,
        amount: i64,
    },
}

fn line_spec() -> impl Strategy<Value = LineSpec> {
    (1..5i32, 100..60_000i64, 0..60i64, 0..4_000i64, 0..3u8).prop_map(
        |(qty, unit, promo_pct, coupon, funder)| LineSpec {
            qty,
            unit,
            promo_pct,
            coupon,
            funder,
        },
    )
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0..2usize, prop::collection::vec(line_spec(), 1..4), 0..6_000i64)
            .prop_map(|(vendor, lines, shipping)| Op::Checkout { vendor, lines, shipping }),
        3 => (0..12usize).prop_map(Op::Confirm),
        3 => (0..12usize, 0..4usize, 1..3i32).prop_map(|(vo, line, units)| Op::Refund { vo, line, units }),
        2 => (0..12usize).prop_map(Op::Replay),
        1 => (0..2_000i32).prop_map(Op::RateChange),
        1 => (0..2usize, -50_000..50_000i64).prop_map(|(vendor, amount)| Op::Adjust { vendor, amount }),
        1 => (0..2usize, 1..100_000i64).prop_map(|(vendor, amount)| Op::Payout { vendor, amount }),
    ]
}

struct Vo {
    facts: VendorOrderFacts,
    booked: Booked,
    /// Commission and fee rates in force when it was confirmed.
    rates_at_confirm: Option<(i32, i32)>,
}

/// orders' exact partial refund: the line has refunded ⌊final × r / q⌋.
fn customer_refund(final_amount: i64, q: i32, r: i32) -> i64 {
    if r >= q {
        final_amount
    } else {
        final_amount * i64::from(r) / i64::from(q)
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]
    #[test]
    fn each_vendors_entries_sum_to_the_formula(ops in prop::collection::vec(op(), 1..40)) {
        let vendors = [Uuid::from_u128(1), Uuid::from_u128(2)];
        let mut funding = Funding::defaults();
        let (vendor_campaign, platform_campaign, shared_campaign) =
            (Uuid::from_u128(10), Uuid::from_u128(11), Uuid::from_u128(12));
        funding.campaigns.insert(vendor_campaign, RateBp::ALL);
        funding.campaigns.insert(platform_campaign, RateBp::ZERO);
        funding.campaigns.insert(shared_campaign, RateBp::new(5_000).unwrap_or(RateBp::ZERO));
        let mut commission_bp = 1_000;
        let fee_bp = 330;
        let mut vos: Vec<Vo> = Vec::new();
        let mut ledger: Vec<(Uuid, EntryKind, i64)> = Vec::new();
        let mut adjustments = [0i64; 2];
        let mut payouts = [0i64; 2];
        let mut line_seq = 100u128;

        let book = |vo: &mut Vo, commission_bp: i32, ledger: &mut Vec<(Uuid, EntryKind, i64)>, funding: &Funding| {
            let rate = RateBp::new(commission_bp).unwrap_or(RateBp::ZERO);
            let rates = Rates { commission: &|_| rate, fee: RateBp::new(fee_bp).unwrap_or(RateBp::ZERO) };
            let postings = plan(&vo.facts, funding, &rates, &vo.booked);
            apply(&mut vo.booked, &postings);
            for p in &postings {
                ledger.push((vo.facts.vendor_id, p.kind, p.amount));
            }
            postings.len()
        };

        for op in ops {
            match op {
                Op::Checkout { vendor, lines, shipping } => {
                    let lines = lines.iter().map(|s| {
                        line_seq += 1;
                        let list = s.unit * i64::from(s.qty);
                        let promo = list * s.promo_pct / 100;
                        let coupon = s.coupon.min(list - promo);
                        let campaign = [vendor_campaign, platform_campaign, shared_campaign][usize::from(s.funder)];
                        LineFacts {
                            line_id: Uuid::from_u128(line_seq),
                            product_id: Uuid::from_u128(line_seq),
                            quantity: s.qty,
                            returned_quantity: 0,
                            list_amount: list,
                            promotion_discount: promo,
                            campaign_id: (promo > 0).then_some(campaign),
                            time_deal_id: None,
                            coupon_shares: if coupon > 0 { vec![(Uuid::from_u128(99), coupon)] } else { vec![] },
                            final_amount: list - promo - coupon,
                            refunded_amount: 0,
                        }
                    }).collect();
                    vos.push(Vo {
                        facts: VendorOrderFacts {
                            vendor_order_id: Uuid::now_v7(),
                            order_id: Uuid::now_v7(),
                            order_number: String::new(),
                            vendor_id: vendors[vendor],
                            status: "delivered".into(),
                            ordered_at: Utc::now(),
                            confirmed_at: None,
                            payment_method: "test".into(),
                            shipping_total: shipping,
                            return_shipping_kept: 0,
                            open_returns: 0,
                            lines,
                        },
                        booked: Booked::default(),
                        rates_at_confirm: None,
                    });
                }
                Op::Confirm(i) => {
                    if let Some(vo) = vos.get_mut(i).filter(|v| v.facts.confirmed_at.is_none()) {
                        vo.facts.confirmed_at = Some(Utc::now());
                        vo.rates_at_confirm = Some((commission_bp, fee_bp));
                        book(vo, commission_bp, &mut ledger, &funding);
                    }
                }
                Op::Refund { vo, line, units } => {
                    if let Some(v) = vos.get_mut(vo)
                        && let Some(l) = v.facts.lines.get_mut(line)
                    {
                        l.returned_quantity = (l.returned_quantity + units).min(l.quantity);
                        l.refunded_amount = customer_refund(l.final_amount, l.quantity, l.returned_quantity);
                        book(v, commission_bp, &mut ledger, &funding);
                    }
                }
                Op::Replay(i) => {
                    if let Some(vo) = vos.get_mut(i) {
                        prop_assert_eq!(book(vo, commission_bp, &mut ledger, &funding), 0, "a replay books nothing");
                    }
                }
                Op::RateChange(bp) => commission_bp = bp,
                Op::Adjust { vendor, amount } => {
                    adjustments[vendor] += amount;
                    ledger.push((vendors[vendor], EntryKind::Adjustment, amount));
                }
                Op::Payout { vendor, amount } => {
                    payouts[vendor] += amount;
                    ledger.push((vendors[vendor], EntryKind::Payout, -amount));
                }
            }
        }

        for (n, vendor) in vendors.iter().enumerate() {
            let (mut sales, mut shipping, mut refunds, mut vendor_discounts) = (0i64, 0i64, 0i64, 0i64);
            let (mut commission, mut vat, mut fees) = (0i64, 0i64, 0i64);
            for vo in vos.iter().filter(|v| v.facts.vendor_id == *vendor) {
                let Some((c_bp, f_bp)) = vo.rates_at_confirm else { continue };
                let mut vo_commission = 0;
                let mut paid = vo.facts.shipping_total;
                for l in &vo.facts.lines {
                    let share = match l.campaign_id {
                        Some(c) if c == vendor_campaign => 100,
                        Some(c) if c == shared_campaign => 50,
                        _ => 0,
                    };
                    let v = l.promotion_discount * share / 100;
                    let kept = l.list_amount - v;
                    let refund = if l.returned_quantity == l.quantity { kept } else { kept * i64::from(l.returned_quantity) / i64::from(l.quantity) };
                    sales += l.list_amount;
                    vendor_discounts += v;
                    refunds += refund;
                    vo_commission += (kept - refund) * i64::from(c_bp) / 10_000;
                    paid += l.final_amount - l.refunded_amount;
                }
                commission += vo_commission;
                vat += vo_commission / 10;
                fees += paid * i64::from(f_bp) / 10_000;
                shipping += vo.facts.shipping_total;
            }
            let expected = sales + shipping - refunds - vendor_discounts - commission - vat - fees
                + adjustments[n] - payouts[n];
            let payable: i64 = ledger.iter().filter(|(v, k, _)| v == vendor && k.payable()).map(|e| e.2).sum();
            prop_assert_eq!(payable, expected);
            let of = |kind: EntryKind| ledger.iter().filter(|(v, k, _)| v == vendor && *k == kind).map(|e| e.2).sum::<i64>();
            prop_assert_eq!(of(EntryKind::Sale), sales);
            prop_assert_eq!(of(EntryKind::Refund), -refunds);
            prop_assert_eq!(of(EntryKind::Commission), -commission);
            prop_assert_eq!(of(EntryKind::CommissionVat), -vat);
            prop_assert_eq!(of(EntryKind::PaymentFee), -fees);
        }
    }
}
