//! For demo seeding only: moving an order that went through the normal checkout, payment
//! and fulfilment path back in time, so `jikgu demo` can show a settlement history months
//! deep. Nothing in a request path calls this; real orders are never back-dated.
//!
//! The seed places, pays, ships, delivers and confirms an order now, then calls
//! [`backdate`] before settlements books it: settlements reads the order's paid and
//! confirmed instants through [`crate::settlement_facts`], so the entries it books then
//! land on the chosen days.

use crate::error::OrdersResult;
use chrono::{DateTime, Duration, Utc};
use platform::db::pg;
use sea_orm::ConnectionTrait;
use uuid::Uuid;

/// Move every instant of order `order_id` (its order, vendor orders, history, payment,
/// refunds, returns and outbox events) back so that it was placed at `placed_at`; then
/// its vendor orders are shipped a day later, delivered two days later and confirmed at
/// `confirmed_at` (history entries follow). Run it in one transaction. Demo seeding only.
pub async fn backdate(
    db: &impl ConnectionTrait,
    order_id: Uuid,
    placed_at: DateTime<Utc>,
    confirmed_at: DateTime<Utc>,
) -> OrdersResult<()> {
    let Some(row) = db
        .query_one_raw(pg(
            "SELECT created_at FROM orders.orders WHERE id = $1",
            [order_id.into()],
        ))
        .await?
    else {
        return Ok(());
    };
    let created: DateTime<Utc> = row.try_get("", "created_at")?;
    let shift = (created - placed_at).num_seconds().max(0) as f64;
    let shipped = placed_at + Duration::days(1);
    let delivered = placed_at + Duration::days(2);
    let shift = sea_orm::Value::from(shift);
    let id = sea_orm::Value::from(order_id);
    let by = "make_interval(secs => $2)";
    let with_days: Vec<sea_orm::Value> = vec![
        id.clone(),
        shift.clone(),
        shipped.into(),
        delivered.into(),
        confirmed_at.into(),
    ];
    let statements: [(String, Vec<sea_orm::Value>); 7] = [
        (
            format!(
                "UPDATE orders.orders SET created_at = created_at - {by}, updated_at = updated_at - {by}, \
                 reserved_until = reserved_until - {by}, paid_at = paid_at - {by}, \
                 closed_at = closed_at - {by} WHERE id = $1"
            ),
            vec![id.clone(), shift.clone()],
        ),
        (
            format!(
                "UPDATE orders.vendor_orders SET created_at = created_at - {by}, updated_at = $5, \
                 shipped_at = CASE WHEN shipped_at IS NULL THEN NULL ELSE $3 END, \
                 delivered_at = CASE WHEN delivered_at IS NULL THEN NULL ELSE $4 END, \
                 confirmed_at = CASE WHEN confirmed_at IS NULL THEN NULL ELSE $5 END WHERE order_id = $1"
            ),
            with_days.clone(),
        ),
        (
            format!(
                "UPDATE orders.order_history SET created_at = CASE to_status \
                 WHEN 'shipped' THEN $3 WHEN 'delivered' THEN $4 WHEN 'confirmed' THEN $5 \
                 ELSE created_at - {by} END WHERE order_id = $1"
            ),
            with_days.clone(),
        ),
        (
            format!(
                "UPDATE orders.payments SET created_at = created_at - {by}, \
                 updated_at = updated_at - {by} WHERE order_id = $1"
            ),
            vec![id.clone(), shift.clone()],
        ),
        (
            format!(
                "UPDATE orders.payment_refunds SET created_at = created_at - {by}, \
                 updated_at = updated_at - {by} WHERE order_id = $1"
            ),
            vec![id.clone(), shift.clone()],
        ),
        // A return asked for is asked after delivery.
        (
            format!(
                "UPDATE orders.returns SET created_at = $3 + interval '1 hour', \
                 decided_at = decided_at - {by} \
                 WHERE vendor_order_id IN (SELECT id FROM orders.vendor_orders WHERE order_id = $1)"
            ),
            vec![id.clone(), shift.clone(), delivered.into()],
        ),
        (
            format!(
                "UPDATE orders.outbox SET created_at = created_at - {by} WHERE aggregate_id = $1 \
                 OR aggregate_id IN (SELECT id FROM orders.vendor_orders WHERE order_id = $1)"
            ),
            vec![id, shift],
        ),
    ];
    for (sql, values) in statements {
        db.execute_raw(pg(&sql, values)).await?;
    }
    Ok(())
}

/// Move the invoices (후불) of order `order_id` back by `days`, as if it was bought on
/// credit that long ago: its unpaid invoices can then be overdue. Demo seeding only.
pub async fn backdate_invoices(
    db: &impl ConnectionTrait,
    order_id: Uuid,
    days: i32,
) -> OrdersResult<()> {
    db.execute_raw(pg(
        "UPDATE orders.org_invoices SET due_on = due_on - $2, \
             created_at = created_at - make_interval(days => $2) WHERE order_id = $1",
        [order_id.into(), days.into()],
    ))
    .await?;
    Ok(())
}
