//! What the 실적 report needs to know about orders, read through this crate so that
//! `reports` never names the `orders` tables: each paid order's lines with the attribution
//! recorded at checkout, and every refund of a line with the instant it happened (a
//! cancellation after payment refunds every line when the order closed; an accepted
//! return refunds its lines when it was decided, by the same arithmetic that refunded
//! them). Refunds are reported in the period in which they happen, so each carries its
//! own instant.

use crate::error::OrdersResult;
use crate::returns::cumulative_refund;
use crate::states::OrderStatus;
use chrono::{DateTime, Utc};
use platform::attribution::{BuyerKind, SalesChannel};
use platform::db::pg;
use platform::status::Status;
use sea_orm::{ConnectionTrait, FromQueryResult};
use serde::Deserialize;
use std::collections::HashMap;
use uuid::Uuid;

/// District of lines recorded before attribution existed.
const UNATTRIBUTED: &str = "미상";

/// One order line as the report groups it. Amounts are whole won.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SoldLine {
    pub line_id: Uuid,
    pub product_id: Uuid,
    pub title: String,
    pub sku: String,
    pub vendor_id: Uuid,
    /// Nil when the line predates attribution.
    pub category_id: Uuid,
    pub top_category_id: Uuid,
    pub campaign_id: Option<Uuid>,
    /// The vendor's district on the day of the sale.
    pub district_at_sale: String,
    /// The same place under the newest district boundaries (year-over-year comparisons).
    pub district: String,
    pub certified: bool,
    pub quantity: i32,
    /// `list_unit_price × quantity`.
    pub list_amount: i64,
    /// Campaign price or time deal, and coupons: everything taken off the list amount.
    pub discount: i64,
    /// Of `discount`, what the vendor funds (the platform funds the rest).
    pub vendor_discount: i64,
    /// What the customer paid for the line.
    pub final_amount: i64,
}

/// Part of a line given back, and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineRefund {
    pub line_id: Uuid,
    pub at: DateTime<Utc>,
    pub units: i32,
    pub amount: i64,
}

/// A paid order as the report sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderSales {
    pub order_id: Uuid,
    pub customer_id: Uuid,
    pub channel: SalesChannel,
    pub buyer_kind: BuyerKind,
    /// `None`: never paid, so nothing was sold.
    pub paid_at: Option<DateTime<Utc>>,
    pub lines: Vec<SoldLine>,
    pub refunds: Vec<LineRefund>,
}

#[derive(Debug, FromQueryResult)]
struct Row {
    order_id: Uuid,
    customer_id: Uuid,
    channel: String,
    buyer_kind: String,
    status: OrderStatus,
    paid_at: Option<DateTime<Utc>>,
    closed_at: Option<DateTime<Utc>>,
    updated_at: DateTime<Utc>,
    line_id: Uuid,
    vendor_order_id: Uuid,
    variant_id: Uuid,
    product_id: Uuid,
    title: String,
    sku: String,
    vendor_id: Uuid,
    quantity: i32,
    list_amount: i64,
    promotion_discount: i64,
    coupon_discount: i64,
    final_amount: i64,
    category_id: Option<Uuid>,
    top_category_id: Option<Uuid>,
    campaign_id: Option<Uuid>,
    district: Option<String>,
    district_comparable: Option<String>,
    certified: Option<bool>,
    vendor_discount: Option<i64>,
}

#[derive(Debug, FromQueryResult)]
struct AcceptedReturn {
    order_id: Uuid,
    vendor_order_id: Uuid,
    lines: serde_json::Value,
    decided_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Deserialize)]
struct ReturnedLine {
    variant_id: Uuid,
    quantity: i32,
}

/// The sales of `order_ids` (orders that do not exist are left out), in id order: three
/// round trips whatever their number.
pub async fn of_orders(
    db: &impl ConnectionTrait,
    order_ids: &[Uuid],
) -> OrdersResult<Vec<OrderSales>> {
    if order_ids.is_empty() {
        return Ok(Vec::new());
    }
    let ids = platform::db::uuid_array(order_ids);
    let rows = Row::find_by_statement(pg(
        "SELECT o.id AS order_id, o.customer_id, o.channel, o.buyer_kind, o.status, o.paid_at, o.closed_at, \
             o.updated_at, l.id AS line_id, l.vendor_order_id, l.variant_id, l.product_id, l.title, l.sku, \
             l.vendor_id, l.quantity, l.list_unit_price * l.quantity AS list_amount, l.promotion_discount, \
             l.coupon_discount, l.final_amount, a.category_id, a.top_category_id, a.campaign_id, a.district, \
             a.district_comparable, a.certified, a.vendor_discount \
         FROM orders.orders o JOIN orders.order_lines l ON l.order_id = o.id \
         LEFT JOIN orders.line_attribution a ON a.order_id = o.id AND a.variant_id = l.variant_id \
         WHERE o.id = ANY((SELECT $1)::uuid[]) ORDER BY o.id, l.id",
        [ids.clone()],
    ))
    .all(db)
    .await?;
    let returns = AcceptedReturn::find_by_statement(pg(
        "SELECT order_id, vendor_order_id, lines, decided_at FROM orders.returns \
         WHERE order_id = ANY((SELECT $1)::uuid[]) AND status = 'accepted' ORDER BY decided_at, id",
        [ids],
    ))
    .all(db)
    .await?;
    let mut returns_of: HashMap<Uuid, Vec<AcceptedReturn>> = HashMap::new();
    for r in returns {
        returns_of.entry(r.order_id).or_default().push(r);
    }
    let mut out: Vec<OrderSales> = Vec::new();
    // (vendor order, variant) → line id and quantity, for the returns of one order.
    let mut index: HashMap<(Uuid, Uuid), (Uuid, i32, i64)> = HashMap::new();
    let mut closing: Option<(OrderStatus, Option<DateTime<Utc>>)> = None;
    for r in rows {
        if out.last().is_none_or(|o| o.order_id != r.order_id) {
            if let Some(o) = out.last_mut() {
                finish(o, &index, closing, returns_of.remove(&o.order_id));
            }
            index.clear();
            closing = Some((r.status, r.closed_at.or(Some(r.updated_at))));
            out.push(OrderSales {
                order_id: r.order_id,
                customer_id: r.customer_id,
                channel: SalesChannel::parse(&r.channel).unwrap_or_default(),
                buyer_kind: BuyerKind::parse(&r.buyer_kind).unwrap_or_default(),
                paid_at: r.paid_at,
                lines: Vec::new(),
                refunds: Vec::new(),
            });
        }
        let Some(o) = out.last_mut() else { continue };
        index.insert(
            (r.vendor_order_id, r.variant_id),
            (r.line_id, r.quantity, r.final_amount),
        );
        let discount = r.promotion_discount + r.coupon_discount;
        o.lines.push(SoldLine {
            line_id: r.line_id,
            product_id: r.product_id,
            title: r.title,
            sku: r.sku,
            vendor_id: r.vendor_id,
            category_id: r.category_id.unwrap_or_default(),
            top_category_id: r.top_category_id.unwrap_or_default(),
            campaign_id: r.campaign_id,
            district_at_sale: r.district.unwrap_or_else(|| UNATTRIBUTED.into()),
            district: r.district_comparable.unwrap_or_else(|| UNATTRIBUTED.into()),
            certified: r.certified.unwrap_or(false),
            quantity: r.quantity,
            list_amount: r.list_amount,
            discount,
            // Before shares were recorded, campaign prices were the vendor's, coupons the
            // platform's (see `settlement_facts`).
            vendor_discount: r.vendor_discount.unwrap_or(r.promotion_discount),
            final_amount: r.final_amount,
        });
    }
    if let Some(o) = out.last_mut() {
        finish(o, &index, closing, returns_of.remove(&o.order_id));
    }
    Ok(out)
}

/// Work out an order's refunds: accepted returns in the order they were decided, then, for
/// an order canceled after payment, the rest of every line when it closed.
fn finish(
    o: &mut OrderSales,
    index: &HashMap<(Uuid, Uuid), (Uuid, i32, i64)>,
    closing: Option<(OrderStatus, Option<DateTime<Utc>>)>,
    returns: Option<Vec<AcceptedReturn>>,
) {
    if o.paid_at.is_none() {
        return;
    }
    // line → (units returned so far, refunded so far)
    let mut done: HashMap<Uuid, (i32, i64)> = HashMap::new();
    for r in returns.into_iter().flatten() {
        let lines: Vec<ReturnedLine> = serde_json::from_value(r.lines).unwrap_or_default();
        let at = r.decided_at.or(o.paid_at).unwrap_or_default();
        for l in lines {
            let Some(&(line_id, quantity, final_amount)) =
                index.get(&(r.vendor_order_id, l.variant_id))
            else {
                continue;
            };
            let (returned, refunded) = done.entry(line_id).or_default();
            let now_returned = (*returned + l.quantity).min(quantity);
            let amount = cumulative_refund(final_amount, quantity, now_returned) - *refunded;
            let units = now_returned - *returned;
            (*returned, *refunded) = (now_returned, *refunded + amount);
            if units > 0 || amount > 0 {
                o.refunds.push(LineRefund {
                    line_id,
                    at,
                    units,
                    amount,
                });
            }
        }
    }
    if let Some((OrderStatus::Canceled, Some(at))) = closing {
        for line in &o.lines {
            let (returned, refunded) = done.get(&line.line_id).copied().unwrap_or_default();
            let (units, amount) = (line.quantity - returned, line.final_amount - refunded);
            if units > 0 || amount > 0 {
                o.refunds.push(LineRefund {
                    line_id: line.line_id,
                    at,
                    units,
                    amount,
                });
            }
        }
    }
}

/// Up to `limit` ids of orders that were ever paid, after `after`, in id order: how a
/// rebuild walks every sale.
pub async fn paid_order_ids(
    db: &impl ConnectionTrait,
    after: Option<Uuid>,
    limit: u64,
) -> OrdersResult<Vec<Uuid>> {
    let rows = db
        .query_all_raw(pg(
            "SELECT id FROM orders.orders WHERE paid_at IS NOT NULL AND id > $1 ORDER BY id LIMIT $2",
            [after.unwrap_or_default().into(), (limit as i64).into()],
        ))
        .await?;
    rows.iter().map(|r| Ok(r.try_get("", "id")?)).collect()
}

/// What a product's sales were attributed to as of a day: the category, top-level
/// category and (newest-boundary) district the shop recorded at its latest sale of the
/// product paid on or before the end of that Asia/Seoul day.
#[derive(Debug, Clone, PartialEq, Eq, FromQueryResult)]
pub struct AttributedAsOf {
    pub product_id: Uuid,
    pub day: chrono::NaiveDate,
    pub category_id: Uuid,
    pub top_category_id: Uuid,
    pub district: String,
}

/// [`AttributedAsOf`] for each (product, day) asked that the shop had sold by then: how
/// an open-market sale is placed as things stood on its own day (one statement; by the
/// `order_lines (product_id)` index).
pub async fn attribution_as_of(
    db: &impl ConnectionTrait,
    asked: &[(Uuid, chrono::NaiveDate)],
) -> OrdersResult<Vec<AttributedAsOf>> {
    if asked.is_empty() {
        return Ok(Vec::new());
    }
    use sea_orm::Value;
    use sea_orm::sea_query::ArrayType as T;
    let products: Vec<Value> = asked.iter().map(|(p, _)| (*p).into()).collect();
    let days: Vec<Value> = asked.iter().map(|(_, d)| (*d).into()).collect();
    Ok(AttributedAsOf::find_by_statement(pg(
        "SELECT q.product_id, q.day, a.category_id, a.top_category_id, a.district \
         FROM unnest($1::uuid[], $2::date[]) AS q (product_id, day) \
         CROSS JOIN LATERAL (SELECT a.category_id, a.top_category_id, a.district_comparable AS district \
             FROM orders.order_lines l JOIN orders.orders o ON o.id = l.order_id \
             JOIN orders.line_attribution a ON a.order_id = l.order_id AND a.variant_id = l.variant_id \
             WHERE l.product_id = q.product_id AND o.paid_at < ((q.day + 1)::timestamp AT TIME ZONE 'Asia/Seoul') \
             ORDER BY o.paid_at DESC LIMIT 1) a",
        [
            Value::Array(T::Uuid, Some(Box::new(products))),
            Value::Array(T::ChronoDate, Some(Box::new(days))),
        ],
    ))
    .all(db)
    .await?)
}
