//! Withdrawal (청약철회): within 7 days of delivery a customer may return goods, except
//! products flagged withdrawal-restricted (fresh or made-to-order) unless they arrived
//! defective or wrong. The vendor accepts; the refund is by line, and who pays the return
//! shipping depends on the reason (change of mind: the customer).
//!
//! Refunds of part of a line are exact: after `r` of `q` units came back the line has
//! refunded `floor(final × r / q)` (all of it when `r = q`), so successive partial
//! returns add up to the line's amount to the won, coupon share included.

use crate::error::{OrdersError, OrdersResult};
use crate::history;
use crate::states::{ReturnStatus, VendorOrderStatus};
use catalog::stock::{self, StockLine};
use chrono::{DateTime, Utc};
use platform::db::pg;
use platform::ids::new_id;
use platform::quantity::Quantity;
use platform::status::StateMachine;
use sea_orm::{ConnectionTrait, FromQueryResult};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub const WITHDRAWAL_DAYS: i64 = 7;

platform::text_status! {
    /// Why goods come back.
    pub enum Reason {
        ChangeOfMind = "change_of_mind",
        Defective = "defective",
        WrongItem = "wrong_item",
    }
}

impl Reason {
    /// Change of mind is the customer's cost; a seller's fault is the seller's.
    fn customer_pays_shipping(self) -> bool {
        self == Reason::ChangeOfMind
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReturnLine {
    pub variant_id: Uuid,
    #[serde(deserialize_with = "platform::bounds::within::<_, _, 1, 999>")]
    #[schema(minimum = 1, maximum = 999)]
    pub quantity: i32,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReturnRequest {
    pub vendor_order_id: Uuid,
    pub reason: Reason,
    pub lines: Vec<ReturnLine>,
    /// Where the refund goes when the order was paid into a virtual account (Toss needs
    /// a bank account to send it back to).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refund_account: Option<crate::payments::RefundAccount>,
}

/// The refunded total of a line after `returned` of `quantity` units came back.
pub fn cumulative_refund(final_amount: i64, quantity: i32, returned: i32) -> i64 {
    if returned >= quantity {
        final_amount
    } else {
        (i128::from(final_amount) * i128::from(returned.max(0)) / i128::from(quantity.max(1)))
            as i64
    }
}

/// Open a return request for a delivered vendor order of the customer's.
pub async fn request(
    db: &impl ConnectionTrait,
    customer: Uuid,
    order_id: Uuid,
    req: ReturnRequest,
    now: DateTime<Utc>,
) -> OrdersResult<Uuid> {
    #[derive(FromQueryResult)]
    struct Delivered {
        status: VendorOrderStatus,
        delivered_at: Option<DateTime<Utc>>,
        vendor_id: Uuid,
    }
    let Delivered {
        status,
        delivered_at,
        vendor_id,
    } = Delivered::find_by_statement(pg(
        "SELECT v.status, v.delivered_at, v.vendor_id FROM orders.vendor_orders v JOIN orders.orders o ON o.id = v.order_id \
         WHERE v.id = $1 AND v.order_id = $2 AND o.customer_id = $3 FOR UPDATE OF v",
        [req.vendor_order_id.into(), order_id.into(), customer.into()],
    ))
    .one(db)
    .await?
    .ok_or(OrdersError::NotFound("vendor order"))?;
    if status != VendorOrderStatus::Delivered {
        return Err(OrdersError::IllegalTransition {
            action: "return goods",
            state: status.to_string(),
        });
    }
    if delivered_at.is_some_and(|d| now - d > chrono::Duration::days(WITHDRAWAL_DAYS))
        && req.reason == Reason::ChangeOfMind
    {
        return Err(OrdersError::IllegalTransition {
            action: "withdraw",
            state: format!("more than {WITHDRAWAL_DAYS} days after delivery"),
        });
    }
    if req.lines.is_empty() {
        return Err(OrdersError::field(
            "lines",
            "required",
            "name the lines to return",
        ));
    }
    #[derive(FromQueryResult)]
    struct Returnable {
        quantity: i32,
        returned_quantity: i32,
        withdrawal_restricted: bool,
    }
    for (i, l) in req.lines.iter().enumerate() {
        let Returnable {
            quantity: qty,
            returned_quantity: returned,
            withdrawal_restricted: restricted,
        } = Returnable::find_by_statement(pg(
            "SELECT quantity, returned_quantity, withdrawal_restricted FROM orders.order_lines \
             WHERE vendor_order_id = $1 AND variant_id = $2",
            [req.vendor_order_id.into(), l.variant_id.into()],
        ))
        .one(db)
        .await?
        .ok_or_else(|| {
            OrdersError::field(
                &format!("lines[{i}].variant_id"),
                "not_in_order",
                "not a line of this vendor order",
            )
        })?;
        if l.quantity < 1 || l.quantity > qty - returned {
            return Err(OrdersError::field(
                &format!("lines[{i}].quantity"),
                "out_of_range",
                format!("1 to {}", qty - returned),
            ));
        }
        if restricted && req.reason == Reason::ChangeOfMind {
            return Err(OrdersError::field(
                &format!("lines[{i}].variant_id"),
                "withdrawal_restricted",
                "this product cannot be returned for a change of mind",
            ));
        }
    }
    let id = new_id();
    db.execute_raw(pg(
        "INSERT INTO orders.returns (id, order_id, vendor_order_id, vendor_id, status, reason, lines, refund_account) \
         VALUES ($1, $2, $3, $4, $7, $5, $6, $8)",
        [
            id.into(),
            order_id.into(),
            req.vendor_order_id.into(),
            vendor_id.into(),
            req.reason.into(),
            serde_json::to_value(&req.lines).unwrap_or_default().into(),
            ReturnStatus::Requested.into(),
            req.refund_account
                .as_ref()
                .and_then(|a| serde_json::to_value(a).ok())
                .into(),
        ],
    ))
    .await?;
    history::record(
        db,
        order_id,
        Some(req.vendor_order_id),
        Some(status.as_str()),
        "return_requested",
        "customer",
        req.reason.as_str(),
    )
    .await?;
    Ok(id)
}

pub struct Accepted {
    pub order_id: Uuid,
    pub vendor_order_id: Uuid,
    pub payment_ref: Option<String>,
    pub refund: i64,
}

/// The vendor accepts a return: units go back on the shelf, lines record what they
/// refunded, and the order's refunded total grows. The caller pays the refund out.
pub async fn accept(
    db: &impl ConnectionTrait,
    vendor_id: Uuid,
    return_id: Uuid,
) -> OrdersResult<Accepted> {
    #[derive(FromQueryResult)]
    struct Requested {
        order_id: Uuid,
        vendor_order_id: Uuid,
        status: ReturnStatus,
        reason: Reason,
        lines: serde_json::Value,
        payment_ref: Option<String>,
    }
    let r = Requested::find_by_statement(pg(
        "SELECT r.order_id, r.vendor_order_id, r.status, r.reason, r.lines, o.payment_ref \
         FROM orders.returns r JOIN orders.orders o ON o.id = r.order_id \
         WHERE r.id = $1 AND r.vendor_id = $2 FOR UPDATE OF r",
        [return_id.into(), vendor_id.into()],
    ))
    .one(db)
    .await?
    .ok_or(OrdersError::NotFound("return"))?;
    let to = ReturnStatus::Accepted;
    if !r.status.can_move_to(to) {
        return Err(OrdersError::IllegalTransition {
            action: "accept the return",
            state: r.status.to_string(),
        });
    }
    let (order_id, vendor_order_id, reason, payment_ref) =
        (r.order_id, r.vendor_order_id, r.reason, r.payment_ref);
    let lines: Vec<ReturnLine> = serde_json::from_value(r.lines)
        .map_err(|e| OrdersError::Stored(format!("return lines: {e}")))?;
    #[derive(FromQueryResult)]
    struct Refundable {
        id: Uuid,
        quantity: i32,
        returned_quantity: i32,
        final_amount: i64,
        refunded_amount: i64,
    }
    let mut refund = 0i64;
    for l in &lines {
        let row = Refundable::find_by_statement(pg(
            "SELECT id, quantity, returned_quantity, final_amount, refunded_amount FROM orders.order_lines \
             WHERE vendor_order_id = $1 AND variant_id = $2 FOR UPDATE",
            [vendor_order_id.into(), l.variant_id.into()],
        ))
        .one(db)
        .await?
        .ok_or(OrdersError::NotFound("order line"))?;
        let qty = row.quantity;
        let now_returned = (row.returned_quantity + l.quantity).min(qty);
        let line_refund =
            cumulative_refund(row.final_amount, qty, now_returned) - row.refunded_amount;
        refund += line_refund;
        db.execute_raw(pg(
            "UPDATE orders.order_lines SET returned_quantity = $2, refunded_amount = refunded_amount + $3 WHERE id = $1",
            [row.id.into(), now_returned.into(), line_refund.into()],
        ))
        .await?;
    }
    // Change of mind: the customer pays the way back (the vendor's base fee), never more
    // than the refund itself.
    let base_fee: i64 = if reason.customer_pays_shipping() {
        catalog::listing::vendor_terms(db, vendor_id)
            .await?
            .map_or(0, |t| t.shipping.base_fee.0)
    } else {
        0
    };
    let fee = base_fee.min(refund);
    let refund = refund - fee;
    stock::restock(
        db,
        &lines
            .iter()
            .map(|l| StockLine {
                variant_id: l.variant_id,
                quantity: Quantity::clamped(i64::from(l.quantity)),
            })
            .collect::<Vec<_>>(),
    )
    .await?;
    db.execute_raw(pg(
        "UPDATE orders.returns SET status = $4, decided_at = now(), refund_amount = $2, return_shipping_fee = $3 WHERE id = $1",
        [return_id.into(), refund.into(), fee.into(), to.into()],
    ))
    .await?;
    db.execute_raw(pg(
        "UPDATE orders.orders SET refunded_total = refunded_total + $2, updated_at = now() WHERE id = $1",
        [order_id.into(), refund.into()],
    ))
    .await?;
    history::record(
        db,
        order_id,
        Some(vendor_order_id),
        Some("return_requested"),
        "return_accepted",
        "vendor",
        &format!("refund {refund}"),
    )
    .await?;
    Ok(Accepted {
        order_id,
        vendor_order_id,
        payment_ref,
        refund,
    })
}

#[cfg(test)]
mod tests {
    use super::cumulative_refund;

    #[test]
    fn partial_refunds_add_up_to_the_line() {
        // 3 units for ₩10,000 after a coupon share: 3,333 + 3,333 + 3,334.
        let steps = [1, 2, 3];
        let mut paid = 0;
        let mut parts = Vec::new();
        for r in steps {
            let cum = cumulative_refund(10_000, 3, r);
            parts.push(cum - paid);
            paid = cum;
        }
        assert_eq!(parts, [3333, 3333, 3334]);
        assert_eq!(parts.iter().sum::<i64>(), 10_000);
    }
}
