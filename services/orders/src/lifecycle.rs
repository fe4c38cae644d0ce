//! Order states and the moves between them.
//!
//! ```text
//! order:        pending_payment ──paid──▶ paid ──(all vendor orders confirmed)──▶ completed
//!                      │  └─expired (reservation timed out)      │
//!                      └─canceled (payment failed/canceled)      └─canceled (customer, before shipping; refunded)
//! vendor order: awaiting_payment ─▶ preparing ─▶ shipped ─▶ delivered ─▶ confirmed
//!                                        └─▶ canceled
//! ```
//! Every move locks the order row first (`FOR UPDATE`), so a payment racing the
//! reservation's expiry is decided by whichever commits first, and the loser sees the
//! new state.

use crate::error::{OrdersError, OrdersResult};
use crate::history;
use catalog::stock::{self, StockLine};
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbBackend, FromQueryResult, Statement};
use serde::Serialize;
use uuid::Uuid;

pub const PENDING: &str = "pending_payment";
pub const PAID: &str = "paid";
pub const CANCELED: &str = "canceled";
pub const EXPIRED: &str = "expired";

#[derive(Debug, Clone, FromQueryResult, Serialize, utoipa::ToSchema)]
pub struct OrderRow {
    pub id: Uuid,
    pub number: String,
    pub customer_id: Uuid,
    pub status: String,
    pub grand_total: i64,
    pub refunded_total: i64,
    pub payment_gateway: String,
    pub payment_ref: Option<String>,
    pub reserved_until: DateTime<Utc>,
}

pub async fn lock_order(db: &impl ConnectionTrait, id: Uuid) -> OrdersResult<OrderRow> {
    OrderRow::find_by_statement(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT id, number, customer_id, status, grand_total, refunded_total, payment_gateway, payment_ref, reserved_until \
         FROM orders.orders WHERE id = $1 FOR UPDATE",
        [id.into()],
    ))
    .one(db)
    .await?
    .ok_or(OrdersError::NotFound("order"))
}

pub async fn stock_lines(
    db: &impl ConnectionTrait,
    order_id: Uuid,
) -> OrdersResult<Vec<StockLine>> {
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT variant_id, quantity FROM orders.order_lines WHERE order_id = $1",
            [order_id.into()],
        ))
        .await?;
    rows.iter()
        .map(|r| {
            Ok(StockLine {
                variant_id: r.try_get("", "variant_id")?,
                quantity: r.try_get("", "quantity")?,
            })
        })
        .collect()
}

async fn set_status(
    db: &impl ConnectionTrait,
    o: &OrderRow,
    to: &str,
    actor: &str,
    note: &str,
) -> OrdersResult<()> {
    let closing = matches!(to, CANCELED | EXPIRED);
    db.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "UPDATE orders.orders SET status = $2, updated_at = now(), \
             paid_at = CASE WHEN $2 = 'paid' THEN now() ELSE paid_at END, \
             closed_at = CASE WHEN $3 THEN now() ELSE closed_at END WHERE id = $1",
        [o.id.into(), to.into(), closing.into()],
    ))
    .await?;
    history::record(db, o.id, None, Some(&o.status), to, actor, note).await
}

/// Give back what an order took from promotions: its coupon redemption and time-deal units.
async fn release_promotions(db: &impl ConnectionTrait, order_id: Uuid) -> OrdersResult<()> {
    promotions::release_coupon(db, order_id).await?;
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT customer_id, quote FROM orders.orders WHERE id = $1",
            [order_id.into()],
        ))
        .await?
        .ok_or(OrdersError::NotFound("order"))?;
    let customer: Uuid = row.try_get("", "customer_id")?;
    let quote: serde_json::Value = row.try_get("", "quote")?;
    for line in quote["lines"].as_array().into_iter().flatten() {
        let promo = &line["applied"];
        if promo["type"] == "time_deal"
            && let (Some(deal), Some(qty)) = (
                promo["deal_id"]
                    .as_str()
                    .and_then(|d| d.parse::<Uuid>().ok()),
                line["quantity"].as_u64(),
            )
        {
            promotions::release_deal(db, deal, customer, qty as u32).await?;
        }
    }
    Ok(())
}

async fn set_vendor_orders(
    db: &impl ConnectionTrait,
    order_id: Uuid,
    to: &str,
) -> OrdersResult<()> {
    db.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "UPDATE orders.vendor_orders SET status = $2, updated_at = now() WHERE order_id = $1",
        [order_id.into(), to.into()],
    ))
    .await?;
    Ok(())
}

/// What became of a successful payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaidOutcome {
    Paid,
    AlreadyPaid,
    /// The order had expired or was canceled and its stock could not be held again: the
    /// money must go back. Never a paid order without stock.
    MustRefund {
        amount: i64,
    },
}

/// A payment succeeded: held units become sold. If the reservation already lapsed, try to
/// hold the units again; if they are gone, the payment is refunded.
pub async fn mark_paid(
    db: &impl ConnectionTrait,
    order_id: Uuid,
    amount: i64,
    actor: &str,
) -> OrdersResult<PaidOutcome> {
    let o = lock_order(db, order_id).await?;
    if amount != o.grand_total {
        return Err(OrdersError::IllegalTransition {
            action: "accept a payment",
            state: format!(
                "the amount {amount} is not the order total {}",
                o.grand_total
            ),
        });
    }
    let lines = stock_lines(db, o.id).await?;
    match o.status.as_str() {
        PENDING => {}
        PAID | "completed" => return Ok(PaidOutcome::AlreadyPaid),
        _ => {
            // Late payment: the reservation was released. Hold the stock again if we can.
            if stock::reserve(db, &lines).await.is_err() {
                return Ok(PaidOutcome::MustRefund { amount });
            }
        }
    }
    stock::commit(db, &lines).await?;
    // Units sold per product of this order, for the catalog's popularity sort.
    let sold = db
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT product_id, sum(quantity)::bigint AS units FROM orders.order_lines \
             WHERE order_id = $1 GROUP BY product_id",
            [o.id.into()],
        ))
        .await?;
    for row in sold {
        catalog::products::add_popularity(
            db,
            row.try_get("", "product_id")?,
            row.try_get("", "units")?,
        )
        .await?;
    }
    set_status(db, &o, PAID, actor, "payment succeeded").await?;
    emit_sale(db, o.id).await?;
    set_vendor_orders(db, o.id, "preparing").await?;
    Ok(PaidOutcome::Paid)
}

/// `orders.sale`: what a paid order sold, per line with the campaign whose price applied,
/// for consumers that count sales (campaign statistics, 실적 reports) without reading
/// this service's tables.
async fn emit_sale(db: &impl ConnectionTrait, order_id: Uuid) -> OrdersResult<()> {
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT o.customer_id, o.grand_total, o.quote FROM orders.orders o WHERE o.id = $1",
            [order_id.into()],
        ))
        .await?
        .ok_or(OrdersError::NotFound("order"))?;
    let customer: Uuid = row.try_get("", "customer_id")?;
    let total: i64 = row.try_get("", "grand_total")?;
    let quote: serde_json::Value = row.try_get("", "quote")?;
    let lines: Vec<serde_json::Value> = quote["lines"]
        .as_array()
        .map(|ls| {
            ls.iter()
                .map(|l| {
                    serde_json::json!({
                        "product_id": l["product_id"],
                        "variant_id": l["variant_id"],
                        "vendor_id": l["vendor_id"],
                        "quantity": l["quantity"],
                        "final_amount": l["final_amount"],
                        "campaign_id": l["applied"]["campaign_id"],
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    platform::outbox::enqueue(
        db,
        platform::outbox::Schema::Orders,
        "orders.sale",
        order_id,
        serde_json::json!({ "order_id": order_id, "customer_id": customer, "grand_total": total, "lines": lines }),
    )
    .await?;
    Ok(())
}

/// The payment failed or was canceled before it succeeded: release the stock.
pub async fn mark_unpaid(
    db: &impl ConnectionTrait,
    order_id: Uuid,
    actor: &str,
    note: &str,
) -> OrdersResult<bool> {
    let o = lock_order(db, order_id).await?;
    if o.status != PENDING {
        return Ok(false);
    }
    stock::release(db, &stock_lines(db, o.id).await?).await?;
    release_promotions(db, o.id).await?;
    set_status(db, &o, CANCELED, actor, note).await?;
    set_vendor_orders(db, o.id, CANCELED).await?;
    Ok(true)
}

/// Release the stock of unpaid orders whose reservation has lapsed. Rows locked by a
/// payment in flight are skipped and looked at again on the next pass.
pub async fn expire_due(db: &impl ConnectionTrait, now: DateTime<Utc>) -> OrdersResult<u64> {
    let due = db
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT id FROM orders.orders WHERE status = 'pending_payment' AND reserved_until <= $1 \
             ORDER BY reserved_until LIMIT 200 FOR UPDATE SKIP LOCKED",
            [now.into()],
        ))
        .await?;
    let mut n = 0;
    for row in due {
        let id: Uuid = row.try_get("", "id")?;
        let o = lock_order(db, id).await?;
        stock::release(db, &stock_lines(db, o.id).await?).await?;
        release_promotions(db, o.id).await?;
        set_status(db, &o, EXPIRED, "system", "reservation expired").await?;
        set_vendor_orders(db, o.id, CANCELED).await?;
        n += 1;
    }
    Ok(n)
}

/// The customer cancels before anything shipped. An unpaid order just releases its
/// stock; a paid one goes back on the shelf and must be refunded in full.
pub async fn cancel_by_customer(
    db: &impl ConnectionTrait,
    order_id: Uuid,
    customer: Uuid,
) -> OrdersResult<Option<i64>> {
    let o = lock_order(db, order_id).await?;
    if o.customer_id != customer {
        return Err(OrdersError::NotFound("order"));
    }
    match o.status.as_str() {
        PENDING => {
            stock::release(db, &stock_lines(db, o.id).await?).await?;
            release_promotions(db, o.id).await?;
            set_status(db, &o, CANCELED, "customer", "canceled before payment").await?;
            set_vendor_orders(db, o.id, CANCELED).await?;
            Ok(None)
        }
        PAID => {
            let shipped = db
                .query_one_raw(Statement::from_sql_and_values(
                    DbBackend::Postgres,
                    "SELECT count(*) AS n FROM orders.vendor_orders WHERE order_id = $1 AND status <> 'preparing'",
                    [o.id.into()],
                ))
                .await?
                .map(|r| r.try_get::<i64>("", "n"))
                .transpose()?
                .unwrap_or(0);
            if shipped > 0 {
                return Err(OrdersError::IllegalTransition {
                    action: "cancel",
                    state: "part of the order has shipped (request a return instead)".into(),
                });
            }
            stock::restock(db, &stock_lines(db, o.id).await?).await?;
            release_promotions(db, o.id).await?;
            let refund = o.grand_total - o.refunded_total;
            db.execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "UPDATE orders.orders SET refunded_total = grand_total WHERE id = $1",
                [o.id.into()],
            ))
            .await?;
            set_status(
                db,
                &o,
                CANCELED,
                "customer",
                "canceled before shipping; refunded in full",
            )
            .await?;
            set_vendor_orders(db, o.id, CANCELED).await?;
            Ok(Some(refund))
        }
        other => Err(OrdersError::IllegalTransition {
            action: "cancel",
            state: other.to_owned(),
        }),
    }
}

/// Vendor fulfilment moves: preparing → shipped → delivered. Anything else is 409.
pub async fn vendor_transition(
    db: &impl ConnectionTrait,
    vendor_id: Uuid,
    vendor_order_id: Uuid,
    to: &str,
    courier: Option<String>,
    tracking: Option<String>,
) -> OrdersResult<()> {
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT order_id, status FROM orders.vendor_orders WHERE id = $1 AND vendor_id = $2 FOR UPDATE",
            [vendor_order_id.into(), vendor_id.into()],
        ))
        .await?
        .ok_or(OrdersError::NotFound("vendor order"))?;
    let order_id: Uuid = row.try_get("", "order_id")?;
    let from: String = row.try_get("", "status")?;
    let allowed = matches!(
        (from.as_str(), to),
        ("preparing", "shipped") | ("shipped", "delivered")
    );
    if !allowed {
        return Err(OrdersError::IllegalTransition {
            action: "move to that status",
            state: from,
        });
    }
    db.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "UPDATE orders.vendor_orders SET status = $2, updated_at = now(), \
             courier = COALESCE($3, courier), tracking_number = COALESCE($4, tracking_number), \
             shipped_at = CASE WHEN $2 = 'shipped' THEN now() ELSE shipped_at END, \
             delivered_at = CASE WHEN $2 = 'delivered' THEN now() ELSE delivered_at END \
         WHERE id = $1",
        [
            vendor_order_id.into(),
            to.into(),
            courier.into(),
            tracking.into(),
        ],
    ))
    .await?;
    history::record(
        db,
        order_id,
        Some(vendor_order_id),
        Some(&from),
        to,
        "vendor",
        "",
    )
    .await
}

/// Purchase confirmation (구매확정) of a delivered vendor order: by the customer, or
/// automatically some days after delivery. It closes the withdrawal window.
pub async fn confirm(
    db: &impl ConnectionTrait,
    vendor_order_id: Uuid,
    customer: Option<Uuid>,
    actor: &str,
) -> OrdersResult<()> {
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT v.order_id, v.status, o.customer_id FROM orders.vendor_orders v JOIN orders.orders o ON o.id = v.order_id \
             WHERE v.id = $1 FOR UPDATE OF v",
            [vendor_order_id.into()],
        ))
        .await?
        .ok_or(OrdersError::NotFound("vendor order"))?;
    let order_id: Uuid = row.try_get("", "order_id")?;
    let status: String = row.try_get("", "status")?;
    let owner: Uuid = row.try_get("", "customer_id")?;
    if customer.is_some_and(|c| c != owner) {
        return Err(OrdersError::NotFound("vendor order"));
    }
    if status != "delivered" {
        return Err(OrdersError::IllegalTransition {
            action: "confirm the purchase",
            state: status,
        });
    }
    db.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "UPDATE orders.vendor_orders SET status = 'confirmed', confirmed_at = now(), updated_at = now() WHERE id = $1",
        [vendor_order_id.into()],
    ))
    .await?;
    history::record(
        db,
        order_id,
        Some(vendor_order_id),
        Some("delivered"),
        "confirmed",
        actor,
        "",
    )
    .await?;
    // The order completes when every vendor order is confirmed.
    let open = db
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT count(*) AS n FROM orders.vendor_orders WHERE order_id = $1 AND status NOT IN ('confirmed', 'canceled')",
            [order_id.into()],
        ))
        .await?
        .map(|r| r.try_get::<i64>("", "n"))
        .transpose()?
        .unwrap_or(0);
    if open == 0 {
        let o = lock_order(db, order_id).await?;
        if o.status == PAID {
            set_status(db, &o, "completed", "system", "every purchase confirmed").await?;
        }
    }
    Ok(())
}

/// Confirm vendor orders delivered more than `days` ago.
pub async fn auto_confirm_due(db: &impl ConnectionTrait, days: i64) -> OrdersResult<u64> {
    let due = db
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT id FROM orders.vendor_orders WHERE status = 'delivered' \
             AND delivered_at <= now() - make_interval(days => $1) LIMIT 200",
            [(days as i32).into()],
        ))
        .await?;
    let mut n = 0;
    for row in due {
        confirm(db, row.try_get("", "id")?, None, "system").await?;
        n += 1;
    }
    Ok(n)
}
