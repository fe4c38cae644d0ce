//! What one order adds to the daily rollups: a set of cells (KST day and every dimension
//! the report groups by) with their measures. A sale counts on the day it was paid; a
//! refund on the day it happened, in the cell of the line it gives back. Pure: the live
//! consumer and the rebuild both build an order's cells here, so they cannot disagree.

use chrono::{DateTime, NaiveDate, Utc};
use orders::sales_facts::{OrderSales, SoldLine};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use uuid::Uuid;

/// The Seoul calendar day of an instant.
pub fn kst_day(at: DateTime<Utc>) -> NaiveDate {
    promotions::seoul::day(at)
}

/// One rollup cell's key. No campaign is the nil uuid.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct CellKey {
    pub day: NaiveDate,
    pub product_id: Uuid,
    pub vendor_id: Uuid,
    pub category_id: Uuid,
    pub top_category_id: Uuid,
    pub campaign_id: Uuid,
    pub channel: String,
    pub district: String,
    pub certified: bool,
    pub buyer_kind: String,
}

/// What a cell sums. Amounts are whole won; `net = gross − discounts − refunds`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Measures {
    /// Orders counted once per product line they hold (an order of two products counts in
    /// each product's row), so that rows of any grouping add up to the total.
    pub orders: i64,
    /// Units sold.
    pub units: i64,
    /// List price × units: sales before any discount.
    pub gross: i64,
    /// Discounts the vendors funded.
    pub vendor_discount: i64,
    /// Discounts the platform (the city) funded.
    pub platform_discount: i64,
    /// Refunded in the period, whenever the sale was: refunds count when they happen.
    pub refunds: i64,
    pub refunded_units: i64,
    /// `gross − vendor_discount − platform_discount − refunds`.
    pub net: i64,
}

impl Measures {
    pub fn add(&mut self, o: &Measures) {
        self.orders += o.orders;
        self.units += o.units;
        self.gross += o.gross;
        self.vendor_discount += o.vendor_discount;
        self.platform_discount += o.platform_discount;
        self.refunds += o.refunds;
        self.refunded_units += o.refunded_units;
        self.net += o.net;
    }

    /// The measures in the order of the rollup tables' columns.
    pub fn columns(&self) -> [i64; 8] {
        [
            self.orders,
            self.units,
            self.gross,
            self.vendor_discount,
            self.platform_discount,
            self.refunds,
            self.refunded_units,
            self.net,
        ]
    }

    pub fn negated(&self) -> Measures {
        Measures {
            orders: -self.orders,
            units: -self.units,
            gross: -self.gross,
            vendor_discount: -self.vendor_discount,
            platform_discount: -self.platform_discount,
            refunds: -self.refunds,
            refunded_units: -self.refunded_units,
            net: -self.net,
        }
    }

    pub fn is_zero(&self) -> bool {
        *self == Measures::default()
    }
}

/// One order's contribution: its cells, and the (day, vendor) pairs its buyer bought on.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contribution {
    pub cells: Vec<(CellKey, Measures)>,
    pub buyer_days: Vec<(NaiveDate, Uuid)>,
}

fn key(o: &OrderSales, l: &SoldLine, day: NaiveDate) -> CellKey {
    CellKey {
        day,
        product_id: l.product_id,
        vendor_id: l.vendor_id,
        category_id: l.category_id,
        top_category_id: l.top_category_id,
        campaign_id: l.campaign_id.unwrap_or_default(),
        channel: o.channel.as_str().to_owned(),
        district: l.district.clone(),
        certified: l.certified,
        buyer_kind: o.buyer_kind.as_str().to_owned(),
    }
}

/// The cells of one order (nothing for an order never paid), sorted by key.
pub fn contribution(o: &OrderSales) -> Contribution {
    let Some(paid_at) = o.paid_at else {
        return Contribution::default();
    };
    let sale_day = kst_day(paid_at);
    let mut cells: BTreeMap<CellKey, Measures> = BTreeMap::new();
    let mut vendors: Vec<Uuid> = Vec::new();
    for l in &o.lines {
        let m = cells.entry(key(o, l, sale_day)).or_default();
        // An order counts once in each cell it sold into.
        m.orders = 1;
        m.units += i64::from(l.quantity);
        m.gross += l.list_amount;
        m.vendor_discount += l.vendor_discount;
        m.platform_discount += l.discount - l.vendor_discount;
        m.net += l.final_amount;
        vendors.push(l.vendor_id);
    }
    for r in &o.refunds {
        let Some(l) = o.lines.iter().find(|l| l.line_id == r.line_id) else {
            continue;
        };
        let m = cells.entry(key(o, l, kst_day(r.at))).or_default();
        m.refunds += r.amount;
        m.refunded_units += i64::from(r.units);
        m.net -= r.amount;
    }
    vendors.sort_unstable();
    vendors.dedup();
    Contribution {
        cells: cells.into_iter().filter(|(_, m)| !m.is_zero()).collect(),
        buyer_days: vendors.into_iter().map(|v| (sale_day, v)).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use orders::sales_facts::LineRefund;
    use platform::attribution::{BuyerKind, SalesChannel};

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap_or_default()
    }

    fn line(id: u128, qty: i32, list: i64, discount: i64) -> SoldLine {
        SoldLine {
            line_id: Uuid::from_u128(id),
            product_id: Uuid::from_u128(100 + id),
            title: format!("상품 {id}"),
            sku: format!("SKU-{id}"),
            vendor_id: Uuid::from_u128(7),
            category_id: Uuid::from_u128(8),
            top_category_id: Uuid::from_u128(9),
            campaign_id: None,
            district_at_sale: "중구".into(),
            district: "제물포구".into(),
            certified: true,
            quantity: qty,
            list_amount: list,
            discount,
            vendor_discount: discount / 2,
            final_amount: list - discount,
        }
    }

    #[test]
    fn an_order_paid_at_235959_kst_on_31_march_is_in_march_and_its_refund_in_april() {
        let o = OrderSales {
            order_id: Uuid::from_u128(1),
            customer_id: Uuid::from_u128(2),
            channel: SalesChannel::App,
            buyer_kind: BuyerKind::Consumer,
            // 2026-03-31 23:59:59 KST
            paid_at: Some(at("2026-03-31T14:59:59Z")),
            lines: vec![line(1, 2, 20_000, 1_000), line(2, 1, 5_000, 0)],
            refunds: vec![LineRefund {
                line_id: Uuid::from_u128(1),
                // 2026-04-01 00:00:00 KST
                at: at("2026-03-31T15:00:00Z"),
                units: 1,
                amount: 9_500,
            }],
        };
        let c = contribution(&o);
        let march = NaiveDate::from_ymd_opt(2026, 3, 31).unwrap_or_default();
        let april = NaiveDate::from_ymd_opt(2026, 4, 1).unwrap_or_default();
        let sale: Vec<_> = c.cells.iter().filter(|(k, _)| k.day == march).collect();
        assert_eq!(sale.len(), 2);
        assert_eq!(sale.iter().map(|(_, m)| m.net).sum::<i64>(), 24_000);
        let refund: Vec<_> = c.cells.iter().filter(|(k, _)| k.day == april).collect();
        assert_eq!(refund.len(), 1);
        assert_eq!(
            (refund[0].1.refunds, refund[0].1.net, refund[0].1.orders),
            (9_500, -9_500, 0)
        );
        assert_eq!(c.buyer_days, vec![(march, Uuid::from_u128(7))]);
        assert_eq!(refund[0].0.district, "제물포구");
    }

    #[test]
    fn an_unpaid_order_adds_nothing() {
        let o = OrderSales {
            order_id: Uuid::from_u128(1),
            customer_id: Uuid::from_u128(2),
            channel: SalesChannel::Web,
            buyer_kind: BuyerKind::Consumer,
            paid_at: None,
            lines: vec![line(1, 1, 1_000, 0)],
            refunds: Vec::new(),
        };
        assert_eq!(contribution(&o), Contribution::default());
    }
}
