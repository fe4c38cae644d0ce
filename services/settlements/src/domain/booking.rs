//! What a vendor order owes its vendor, as ledger entries.
//!
//! Booking is a reconciliation: from the vendor order's facts now, compute the total each
//! (kind, line) should have in the ledger, subtract what is booked, and book the
//! differences. Nothing is booked before 구매확정. Booking the same facts twice books
//! nothing the second time; a refund after confirmation changes the facts, so the next
//! booking books its negative entries (the refund, and the commission, VAT and fee it
//! takes back).
//!
//! Per confirmed line, with L its list amount, P its promotion discount, C its coupon
//! shares, q units of which r came back:
//! - sale = +L; vendor-funded discount = −V, V = the vendor's shares of P and of each
//!   coupon (each share rounded down); platform-funded discount = −(P + C − V),
//!   informational;
//! - refund = −⌊(L − V) × r / q⌋ (all of L − V once every unit is back), so successive
//!   partial refunds add up to the line exactly;
//! - commission = −rate × ((L − V) + refund), rounded down per line.
//!
//! Per vendor order: commission VAT = −⌊Σ commission / 10⌋; shipping income = shipping paid
//! + return shipping kept; payment fee = −fee rate × what the customer paid net of refunds.
//!
//! The commission and fee rates are taken once, when first booked, and kept: a later
//! refund takes back commission at the rate it was charged.

use super::commission::{RateBp, commission_vat};
use super::kinds::EntryKind;
use orders::settlement_facts::{LineFacts, VendorOrderFacts};
use std::collections::{BTreeMap, HashMap};
use uuid::Uuid;

/// Who funds discounts: the vendor's share, in basis points of the discount (10,000: the
/// vendor pays all of it; 0: the platform or city does), per campaign and per coupon, with
/// a default for each kind of grant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Funding {
    pub campaigns: HashMap<Uuid, RateBp>,
    pub coupons: HashMap<Uuid, RateBp>,
    /// Campaign prices and time deals with no row of their own.
    pub default_campaign: RateBp,
    /// Coupons with no row of their own.
    pub default_coupon: RateBp,
}

impl Funding {
    /// Campaign prices funded by the vendors who offer them; coupons by the platform.
    pub fn defaults() -> Funding {
        Funding {
            campaigns: HashMap::new(),
            coupons: HashMap::new(),
            default_campaign: RateBp::ALL,
            default_coupon: RateBp::ZERO,
        }
    }

    /// The part of a line's discounts the vendor funds.
    pub fn vendor_funded(&self, line: &LineFacts) -> i64 {
        let promo = line
            .campaign_id
            .and_then(|c| self.campaigns.get(&c))
            .copied()
            .unwrap_or(self.default_campaign)
            .of(line.promotion_discount);
        let coupons: i64 = line
            .coupon_shares
            .iter()
            .map(|(id, amount)| {
                self.coupons
                    .get(id)
                    .copied()
                    .unwrap_or(self.default_coupon)
                    .of(*amount)
            })
            .sum();
        promo + coupons
    }
}

/// A ledger position: a kind, for one line or for the whole vendor order (`None`).
pub type Position = (EntryKind, Option<Uuid>);

/// What the ledger holds for a vendor order, and the rates it was charged at.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Booked {
    pub amounts: BTreeMap<Position, i64>,
    pub commission_rates: HashMap<Uuid, RateBp>,
    pub fee_rate: Option<RateBp>,
}

/// One entry to book.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Posting {
    pub kind: EntryKind,
    pub line_id: Option<Uuid>,
    pub amount: i64,
    /// The rate a commission or fee entry was computed at.
    pub rate: Option<RateBp>,
}

/// The rates a booking uses for lines and the fee, unless the ledger already pinned them.
pub struct Rates<'a> {
    pub commission: &'a (dyn Fn(&LineFacts) -> RateBp + Sync),
    pub fee: RateBp,
}

/// The totals every position should hold for these facts.
pub fn targets(
    facts: &VendorOrderFacts,
    funding: &Funding,
    rates: &Rates<'_>,
    booked: &Booked,
) -> BTreeMap<Position, (i64, Option<RateBp>)> {
    let mut t = BTreeMap::new();
    if facts.confirmed_at.is_none() {
        return t;
    }
    let mut commission_total = 0i64;
    let mut paid_net = facts.shipping_total + facts.return_shipping_kept;
    for line in &facts.lines {
        let id = Some(line.line_id);
        let vendor_funded = funding.vendor_funded(line);
        let discounts =
            line.promotion_discount + line.coupon_shares.iter().map(|s| s.1).sum::<i64>();
        let net = line.list_amount - vendor_funded;
        let refund = returned_share(net, line.quantity, line.returned_quantity);
        let rate = booked
            .commission_rates
            .get(&line.line_id)
            .copied()
            .unwrap_or_else(|| (rates.commission)(line));
        let commission = rate.of(net - refund);
        commission_total += commission;
        paid_net += line.final_amount - line.refunded_amount;
        t.insert((EntryKind::Sale, id), (line.list_amount, None));
        t.insert((EntryKind::VendorDiscount, id), (-vendor_funded, None));
        t.insert(
            (EntryKind::PlatformDiscount, id),
            (-(discounts - vendor_funded), None),
        );
        t.insert((EntryKind::Refund, id), (-refund, None));
        t.insert((EntryKind::Commission, id), (-commission, Some(rate)));
    }
    let fee_rate = booked.fee_rate.unwrap_or(rates.fee);
    t.insert(
        (EntryKind::CommissionVat, None),
        (-commission_vat(commission_total), None),
    );
    t.insert(
        (EntryKind::ShippingIncome, None),
        (facts.shipping_total + facts.return_shipping_kept, None),
    );
    t.insert(
        (EntryKind::PaymentFee, None),
        (-fee_rate.of(paid_net), Some(fee_rate)),
    );
    t
}

/// `⌊net × returned / quantity⌋`, all of it once every unit is back.
pub fn returned_share(net: i64, quantity: i32, returned: i32) -> i64 {
    if returned >= quantity {
        net
    } else {
        (i128::from(net) * i128::from(returned.max(0)) / i128::from(quantity.max(1))) as i64
    }
}

/// The entries to book so that the ledger holds the targets: one per position whose
/// total moves (a first commission or fee entry is booked even at 0, to pin its rate).
pub fn plan(
    facts: &VendorOrderFacts,
    funding: &Funding,
    rates: &Rates<'_>,
    booked: &Booked,
) -> Vec<Posting> {
    targets(facts, funding, rates, booked)
        .into_iter()
        .filter_map(|((kind, line_id), (target, rate))| {
            let have = booked.amounts.get(&(kind, line_id));
            let delta = target - have.copied().unwrap_or(0);
            let pins = rate.is_some() && have.is_none();
            (delta != 0 || pins).then_some(Posting {
                kind,
                line_id,
                amount: delta,
                rate,
            })
        })
        .collect()
}

/// Fold postings into what is booked (the store does the same from its rows).
pub fn apply(booked: &mut Booked, postings: &[Posting]) {
    for p in postings {
        *booked.amounts.entry((p.kind, p.line_id)).or_insert(0) += p.amount;
        match (p.kind, p.line_id, p.rate) {
            (EntryKind::Commission, Some(line), Some(rate)) => {
                booked.commission_rates.entry(line).or_insert(rate);
            }
            (EntryKind::PaymentFee, None, Some(rate)) => {
                booked.fee_rate.get_or_insert(rate);
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    fn total(postings: &[Posting], kind: EntryKind) -> i64 {
        postings
            .iter()
            .filter(|p| p.kind == kind)
            .map(|p| p.amount)
            .sum()
    }

    fn bp(n: i32) -> RateBp {
        RateBp::new(n).unwrap_or(RateBp::ZERO)
    }

    fn facts(confirmed: bool, returned: i32, refunded: i64) -> VendorOrderFacts {
        let coupon = Uuid::now_v7();
        VendorOrderFacts {
            vendor_order_id: Uuid::now_v7(),
            order_id: Uuid::now_v7(),
            order_number: "J-1".into(),
            vendor_id: Uuid::now_v7(),
            status: if confirmed { "confirmed" } else { "delivered" }.into(),
            ordered_at: Utc::now(),
            confirmed_at: confirmed.then(Utc::now),
            payment_method: "test".into(),
            shipping_total: 3_000,
            return_shipping_kept: 0,
            open_returns: 0,
            lines: vec![LineFacts {
                line_id: Uuid::from_u128(1),
                product_id: Uuid::now_v7(),
                quantity: 3,
                returned_quantity: returned,
                // 3 × ₩10,000, campaign price −₩3,000 (vendor), coupon −₩2,700 (platform).
                list_amount: 30_000,
                promotion_discount: 3_000,
                campaign_id: Some(Uuid::now_v7()),
                time_deal_id: None,
                coupon_shares: vec![(coupon, 2_700)],
                final_amount: 24_300,
                refunded_amount: refunded,
            }],
        }
    }

    #[test]
    fn a_confirmation_books_sale_discounts_commission_vat_and_fee() {
        let f = facts(true, 0, 0);
        let rates = Rates {
            commission: &|_| bp(1_000),
            fee: bp(330),
        };
        let postings = plan(&f, &Funding::defaults(), &rates, &Booked::default());
        let amount = |k| total(&postings, k);
        assert_eq!(amount(EntryKind::Sale), 30_000);
        assert_eq!(amount(EntryKind::VendorDiscount), -3_000);
        assert_eq!(amount(EntryKind::PlatformDiscount), -2_700);
        assert_eq!(amount(EntryKind::Commission), -2_700); // 10% of 27,000
        assert_eq!(amount(EntryKind::CommissionVat), -270);
        assert_eq!(amount(EntryKind::ShippingIncome), 3_000);
        assert_eq!(amount(EntryKind::PaymentFee), -900); // 3.3% of 27,300 = 900.9, down
        assert_eq!(amount(EntryKind::Refund), 0);
        assert!(
            plan(
                &facts(false, 0, 0),
                &Funding::defaults(),
                &rates,
                &Booked::default()
            )
            .is_empty()
        );
    }

    #[test]
    fn a_refund_after_confirmation_books_negative_entries_at_the_charged_rate() {
        let mut f = facts(true, 0, 0);
        let charged = Rates {
            commission: &|_| bp(1_000),
            fee: bp(330),
        };
        let mut booked = Booked::default();
        let first = plan(&f, &Funding::defaults(), &charged, &booked);
        apply(&mut booked, &first);
        assert!(
            plan(&f, &Funding::defaults(), &charged, &booked).is_empty(),
            "a replay books nothing"
        );
        // One unit back; meanwhile the policy changed to 20%: the refund still takes back 10%.
        f.lines[0].returned_quantity = 1;
        f.lines[0].refunded_amount = 8_100;
        let changed = Rates {
            commission: &|_| bp(2_000),
            fee: bp(500),
        };
        let postings = plan(&f, &Funding::defaults(), &changed, &booked);
        let amount = |k| total(&postings, k);
        assert_eq!(amount(EntryKind::Refund), -9_000); // a third of 27,000
        assert_eq!(amount(EntryKind::Commission), 900);
        assert_eq!(amount(EntryKind::CommissionVat), 90);
        assert_eq!(amount(EntryKind::PaymentFee), 900 - 633); // 3.3% of 19,200 = 633.6
        assert_eq!(amount(EntryKind::Sale), 0);
    }
}
