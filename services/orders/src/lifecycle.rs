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
use crate::states::{OrderStatus, VendorOrderStatus};
use catalog::stock::{self, StockLine};
use chrono::{DateTime, Utc};
use platform::db::pg;
use platform::ids::new_id;
use platform::outbox::{self, Schema};
use platform::quantity::Quantity;
use platform::status::StateMachine;
use promotions::pricing::Quote;
use sea_orm::{ConnectionTrait, FromQueryResult, Value};
use serde::Deserialize;
use uuid::Uuid;

/// The order row as its moves need it.
#[derive(Debug, Clone, FromQueryResult)]
pub struct OrderRow {
    pub id: Uuid,
    pub number: String,
    pub customer_id: Uuid,
    pub status: OrderStatus,
    pub grand_total: i64,
    pub refunded_total: i64,
    pub payment_gateway: String,
    pub payment_ref: Option<String>,
    pub reserved_until: DateTime<Utc>,
}

pub async fn lock_order(db: &impl ConnectionTrait, id: Uuid) -> OrdersResult<OrderRow> {
    OrderRow::find_by_statement(pg(
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
    Ok(StockLine::find_by_statement(pg(
        "SELECT variant_id, quantity FROM orders.order_lines WHERE order_id = $1",
        [order_id.into()],
    ))
    .all(db)
    .await?)
}

/// What an order's quote and owner say, for the moves that give back what it took.
#[derive(Debug, FromQueryResult)]
struct OrderQuote {
    customer_id: Uuid,
    quote: serde_json::Value,
}

impl OrderQuote {
    async fn load(db: &impl ConnectionTrait, order_id: Uuid) -> OrdersResult<(Self, Quote)> {
        let row = Self::find_by_statement(pg(
            "SELECT customer_id, quote FROM orders.orders WHERE id = $1",
            [order_id.into()],
        ))
        .one(db)
        .await?
        .ok_or(OrdersError::NotFound("order"))?;
        let quote = stored_quote(order_id, &row.quote)?;
        Ok((row, quote))
    }
}

/// Order `order_id`'s stored quote, read from its row's JSON.
fn stored_quote(order_id: Uuid, quote: &serde_json::Value) -> OrdersResult<Quote> {
    Quote::deserialize(quote)
        .map_err(|e| OrdersError::Stored(format!("order {order_id} quote: {e}")))
}

/// The CTEs that move order `id` from `from` to `to` (its row's status and times, the
/// history entry and its event), refused unless the state machine allows the move, with
/// their values: a move that writes more in the same statement adds its own CTEs,
/// numbering their parameters after these.
fn status_ctes(
    id: Uuid,
    from: OrderStatus,
    to: OrderStatus,
    actor: &str,
    note: &str,
) -> OrdersResult<(String, Vec<Value>)> {
    if !from.can_move_to(to) {
        return Err(OrdersError::IllegalTransition {
            action: "change the order's status",
            state: from.to_string(),
        });
    }
    let (history, mut values) = history::Change {
        order_id: id,
        vendor_order_id: None,
        from: Some(from.as_str()),
        to: to.as_str(),
        actor,
        note,
    }
    .ctes(0);
    let p = |i: usize| format!("${}", values.len() + i);
    let ctes = format!(
        "{history}, \
         moved AS (UPDATE orders.orders SET status = {}, updated_at = now(), \
             paid_at = CASE WHEN {} THEN now() ELSE paid_at END, \
             closed_at = CASE WHEN {} THEN now() ELSE closed_at END WHERE id = {})",
        p(1),
        p(2),
        p(3),
        p(4)
    );
    values.extend([
        to.into(),
        (to == OrderStatus::Paid).into(),
        to.is_closed().into(),
        id.into(),
    ]);
    Ok((ctes, values))
}

/// Move the order to `to` with its history entry: one statement.
async fn set_status(
    db: &impl ConnectionTrait,
    o: &OrderRow,
    to: OrderStatus,
    actor: &str,
    note: &str,
) -> OrdersResult<()> {
    let (ctes, values) = status_ctes(o.id, o.status, to, actor, note)?;
    db.execute_raw(pg(format!("WITH {ctes} SELECT 1"), values))
        .await?;
    Ok(())
}

/// Give back what an order took from promotions: its coupon redemption and time-deal units.
async fn release_promotions(db: &impl ConnectionTrait, order_id: Uuid) -> OrdersResult<()> {
    promotions::release_coupon(db, order_id).await?;
    let (row, quote) = OrderQuote::load(db, order_id).await?;
    for line in &quote.lines {
        if let Some(applied) = &line.applied
            && applied.promotion.is_time_deal()
        {
            promotions::release_deal(db, applied.promotion.id(), row.customer_id, line.quantity)
                .await?;
        }
    }
    Ok(())
}

async fn set_vendor_orders(
    db: &impl ConnectionTrait,
    order_id: Uuid,
    to: VendorOrderStatus,
) -> OrdersResult<()> {
    // Only the vendor orders the machine lets move there move.
    db.execute_raw(pg(
        "UPDATE orders.vendor_orders SET status = $2, updated_at = now() \
         WHERE order_id = $1 AND status = ANY($3)",
        [
            order_id.into(),
            to.into(),
            VendorOrderStatus::sources(to).into(),
        ],
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
///
/// Three statements whatever the order's size (the order locked with its lines and quote,
/// the stock sold, the order's writes): a payment holds its pooled connection, and the
/// order's row lock, for as few round trips as a checkout.
pub async fn mark_paid(
    db: &impl ConnectionTrait,
    order_id: Uuid,
    amount: i64,
    actor: &str,
) -> OrdersResult<PaidOutcome> {
    let o = Paying::lock(db, order_id).await?;
    if amount != o.grand_total {
        return Err(OrdersError::IllegalTransition {
            action: "accept a payment",
            state: format!(
                "the amount {amount} is not the order total {}",
                o.grand_total
            ),
        });
    }
    let lines = o.lines()?;
    match o.status {
        OrderStatus::PendingPayment => {}
        OrderStatus::Paid | OrderStatus::Completed => return Ok(PaidOutcome::AlreadyPaid),
        OrderStatus::Canceled | OrderStatus::Expired => {
            // Late payment: the reservation was released. Hold the stock again if we can.
            if stock::reserve(db, &lines).await.is_err() {
                return Ok(PaidOutcome::MustRefund { amount });
            }
        }
    }
    // Sold: the units leave the shelf and count towards the products' popularity.
    stock::commit(db, &lines).await?;
    o.record_paid(db, actor).await?;
    Ok(PaidOutcome::Paid)
}

/// The order as a payment moves it, read under its row lock (`FOR UPDATE`, as every move
/// takes it): its state, its lines' units (two arrays in the lines' order) and its quote,
/// which the sale event is made of.
#[derive(Debug, FromQueryResult)]
struct Paying {
    id: Uuid,
    customer_id: Uuid,
    status: OrderStatus,
    grand_total: i64,
    quote: serde_json::Value,
    line_variants: Vec<Uuid>,
    line_quantities: Vec<i32>,
}

impl Paying {
    async fn lock(db: &impl ConnectionTrait, id: Uuid) -> OrdersResult<Paying> {
        Paying::find_by_statement(pg(
            "SELECT o.id, o.customer_id, o.status, o.grand_total, o.quote, \
                 ARRAY(SELECT l.variant_id FROM orders.order_lines l WHERE l.order_id = o.id ORDER BY l.id) AS line_variants, \
                 ARRAY(SELECT l.quantity::int FROM orders.order_lines l WHERE l.order_id = o.id ORDER BY l.id) AS line_quantities \
             FROM orders.orders o WHERE o.id = $1 FOR UPDATE OF o",
            [id.into()],
        ))
        .one(db)
        .await?
        .ok_or(OrdersError::NotFound("order"))
    }

    fn lines(&self) -> OrdersResult<Vec<StockLine>> {
        self.line_variants
            .iter()
            .zip(&self.line_quantities)
            .map(|(&variant_id, &n)| {
                let quantity = Quantity::from_stored(n).ok_or_else(|| {
                    OrdersError::Stored(format!("order {} line quantity {n}", self.id))
                })?;
                Ok(StockLine {
                    variant_id,
                    quantity,
                })
            })
            .collect()
    }

    /// The order paid, in one statement: its status and `paid_at`, the history entry with
    /// its event, the sale event (`orders.sale`) and its vendor orders moved to preparing.
    async fn record_paid(&self, db: &impl ConnectionTrait, actor: &str) -> OrdersResult<()> {
        let (moved, mut values) = status_ctes(
            self.id,
            self.status,
            OrderStatus::Paid,
            actor,
            "payment succeeded",
        )?;
        let p = |i: usize| format!("${}", values.len() + i);
        let sql = format!(
            "WITH {moved}, \
             preparing AS (UPDATE orders.vendor_orders SET status = {vo}, updated_at = now() \
                 WHERE order_id = {id} AND status = ANY({sources})), \
             sale AS ({sale}) \
             SELECT 1",
            id = p(1),
            vo = p(2),
            sources = p(3),
            sale = outbox::insert_from(
                Schema::Orders,
                &format!("VALUES ({}, 'orders.sale', {}, {})", p(4), p(1), p(5))
            ),
        );
        values.extend([
            self.id.into(),
            VendorOrderStatus::Preparing.into(),
            VendorOrderStatus::sources(VendorOrderStatus::Preparing).into(),
            new_id().into(),
            Value::Json(Some(Box::new(self.sale()?))),
        ]);
        db.execute_raw(pg(sql, values)).await?;
        Ok(())
    }

    /// `orders.sale`: what a paid order sold, per line with the campaign whose price
    /// applied, for consumers that count sales (campaign statistics, 실적 reports) without
    /// reading this service's tables.
    fn sale(&self) -> OrdersResult<serde_json::Value> {
        let quote = stored_quote(self.id, &self.quote)?;
        let lines: Vec<serde_json::Value> = quote
            .lines
            .iter()
            .map(|l| {
                serde_json::json!({
                    "product_id": l.product_id,
                    "variant_id": l.variant_id,
                    "vendor_id": l.vendor_id,
                    "quantity": l.quantity,
                    "final_amount": l.final_amount,
                    "campaign_id": l.applied.as_ref().and_then(|a| a.promotion.campaign_id()),
                })
            })
            .collect();
        Ok(serde_json::json!({
            "order_id": self.id,
            "customer_id": self.customer_id,
            "grand_total": self.grand_total,
            "lines": lines,
        }))
    }
}

/// The payment failed or was canceled before it succeeded: release the stock.
pub async fn mark_unpaid(
    db: &impl ConnectionTrait,
    order_id: Uuid,
    actor: &str,
    note: &str,
) -> OrdersResult<bool> {
    let o = lock_order(db, order_id).await?;
    if o.status != OrderStatus::PendingPayment {
        return Ok(false);
    }
    release_and_close(db, &o, OrderStatus::Canceled, actor, note).await?;
    Ok(true)
}

/// Close an order that never shipped: give back what it took from promotions, set its
/// status (canceled or expired) and cancel its vendor orders. The caller has put its
/// stock back, released or restocked.
async fn close(
    db: &impl ConnectionTrait,
    o: &OrderRow,
    to: OrderStatus,
    actor: &str,
    note: &str,
) -> OrdersResult<()> {
    release_promotions(db, o.id).await?;
    set_status(db, o, to, actor, note).await?;
    set_vendor_orders(db, o.id, VendorOrderStatus::Canceled).await
}

/// Close an unpaid order: its held stock is released first.
async fn release_and_close(
    db: &impl ConnectionTrait,
    o: &OrderRow,
    to: OrderStatus,
    actor: &str,
    note: &str,
) -> OrdersResult<()> {
    stock::release(db, &stock_lines(db, o.id).await?).await?;
    close(db, o, to, actor, note).await
}

/// One id column.
#[derive(Debug, FromQueryResult)]
struct IdRow {
    id: Uuid,
}

/// Release the stock of unpaid orders whose reservation has lapsed. Rows locked by a
/// payment in flight are skipped and looked at again on the next pass.
pub async fn expire_due(db: &impl ConnectionTrait, now: DateTime<Utc>) -> OrdersResult<u64> {
    // The status is a literal so that the planner uses the partial index on unpaid orders.
    let due = IdRow::find_by_statement(pg(
        format!(
            "SELECT id FROM orders.orders WHERE status = '{}' AND reserved_until <= $1 \
             ORDER BY reserved_until LIMIT 200 FOR UPDATE SKIP LOCKED",
            OrderStatus::PendingPayment
        ),
        [now.into()],
    ))
    .all(db)
    .await?;
    let mut n = 0;
    for IdRow { id } in due {
        let o = lock_order(db, id).await?;
        let (to, note) = (OrderStatus::Expired, "reservation expired");
        release_and_close(db, &o, to, "system", note).await?;
        n += 1;
    }
    Ok(n)
}

/// How many of an order's vendor orders are not in one of `statuses`.
async fn vendor_orders_outside(
    db: &impl ConnectionTrait,
    order_id: Uuid,
    statuses: &[VendorOrderStatus],
) -> OrdersResult<i64> {
    #[derive(FromQueryResult)]
    struct Count {
        n: i64,
    }
    let words: Vec<String> = statuses.iter().map(|s| String::from(*s)).collect();
    let row = Count::find_by_statement(pg(
        "SELECT count(*) AS n FROM orders.vendor_orders WHERE order_id = $1 AND status <> ALL($2)",
        [order_id.into(), words.into()],
    ))
    .one(db)
    .await?;
    Ok(row.map_or(0, |r| r.n))
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
    match o.status {
        OrderStatus::PendingPayment => {
            let note = "canceled before payment";
            release_and_close(db, &o, OrderStatus::Canceled, "customer", note).await?;
            Ok(None)
        }
        OrderStatus::Paid => {
            let shipped = vendor_orders_outside(db, o.id, &[VendorOrderStatus::Preparing]).await?;
            if shipped > 0 {
                return Err(OrdersError::IllegalTransition {
                    action: "cancel",
                    state: "part of the order has shipped (request a return instead)".into(),
                });
            }
            stock::restock(db, &stock_lines(db, o.id).await?).await?;
            let refund = o.grand_total - o.refunded_total;
            db.execute_raw(pg(
                "UPDATE orders.orders SET refunded_total = grand_total WHERE id = $1",
                [o.id.into()],
            ))
            .await?;
            let note = "canceled before shipping; refunded in full";
            close(db, &o, OrderStatus::Canceled, "customer", note).await?;
            Ok(Some(refund))
        }
        other => Err(OrdersError::IllegalTransition {
            action: "cancel",
            state: other.to_string(),
        }),
    }
}

/// A vendor order as its moves need it, locked.
#[derive(Debug, FromQueryResult)]
struct VendorOrderLock {
    order_id: Uuid,
    status: VendorOrderStatus,
    customer_id: Uuid,
}

impl VendorOrderLock {
    /// The history of `vendor_order_id`'s move from where it was locked to `to`.
    async fn record_move(
        &self,
        db: &impl ConnectionTrait,
        vendor_order_id: Uuid,
        to: VendorOrderStatus,
        actor: &str,
    ) -> OrdersResult<()> {
        history::record(
            db,
            self.order_id,
            Some(vendor_order_id),
            Some(self.status.as_str()),
            to.as_str(),
            actor,
            "",
        )
        .await
    }
}

/// Vendor fulfilment moves: preparing → shipped → delivered. Anything else is 409.
pub async fn vendor_transition(
    db: &impl ConnectionTrait,
    vendor_id: Uuid,
    vendor_order_id: Uuid,
    to: VendorOrderStatus,
    courier: Option<String>,
    tracking: Option<String>,
) -> OrdersResult<()> {
    let row = VendorOrderLock::find_by_statement(pg(
        "SELECT v.order_id, v.status, o.customer_id FROM orders.vendor_orders v \
         JOIN orders.orders o ON o.id = v.order_id \
         WHERE v.id = $1 AND v.vendor_id = $2 FOR UPDATE OF v",
        [vendor_order_id.into(), vendor_id.into()],
    ))
    .one(db)
    .await?
    .ok_or(OrdersError::NotFound("vendor order"))?;
    let vendor_moves = matches!(
        to,
        VendorOrderStatus::Shipped | VendorOrderStatus::Delivered
    );
    if !vendor_moves || !row.status.can_move_to(to) {
        return Err(OrdersError::IllegalTransition {
            action: "move to that status",
            state: row.status.to_string(),
        });
    }
    db.execute_raw(pg(
        "UPDATE orders.vendor_orders SET status = $2, updated_at = now(), \
             courier = COALESCE($3, courier), tracking_number = COALESCE($4, tracking_number), \
             shipped_at = CASE WHEN $5 THEN now() ELSE shipped_at END, \
             delivered_at = CASE WHEN $6 THEN now() ELSE delivered_at END \
         WHERE id = $1",
        [
            vendor_order_id.into(),
            to.into(),
            courier.into(),
            tracking.into(),
            (to == VendorOrderStatus::Shipped).into(),
            (to == VendorOrderStatus::Delivered).into(),
        ],
    ))
    .await?;
    row.record_move(db, vendor_order_id, to, "vendor").await
}

/// Purchase confirmation (구매확정) of a delivered vendor order: by the customer, or
/// automatically some days after delivery. It closes the withdrawal window.
pub async fn confirm(
    db: &impl ConnectionTrait,
    vendor_order_id: Uuid,
    customer: Option<Uuid>,
    actor: &str,
) -> OrdersResult<()> {
    let row = VendorOrderLock::find_by_statement(pg(
        "SELECT v.order_id, v.status, o.customer_id FROM orders.vendor_orders v \
         JOIN orders.orders o ON o.id = v.order_id \
         WHERE v.id = $1 FOR UPDATE OF v",
        [vendor_order_id.into()],
    ))
    .one(db)
    .await?
    .ok_or(OrdersError::NotFound("vendor order"))?;
    if customer.is_some_and(|c| c != row.customer_id) {
        return Err(OrdersError::NotFound("vendor order"));
    }
    let to = VendorOrderStatus::Confirmed;
    if !row.status.can_move_to(to) {
        return Err(OrdersError::IllegalTransition {
            action: "confirm the purchase",
            state: row.status.to_string(),
        });
    }
    db.execute_raw(pg(
        "UPDATE orders.vendor_orders SET status = $2, confirmed_at = now(), updated_at = now() WHERE id = $1",
        [vendor_order_id.into(), to.into()],
    ))
    .await?;
    row.record_move(db, vendor_order_id, to, actor).await?;
    // The order completes when every vendor order is confirmed.
    let open = vendor_orders_outside(
        db,
        row.order_id,
        &[VendorOrderStatus::Confirmed, VendorOrderStatus::Canceled],
    )
    .await?;
    if open == 0 {
        let o = lock_order(db, row.order_id).await?;
        if o.status.can_move_to(OrderStatus::Completed) {
            set_status(
                db,
                &o,
                OrderStatus::Completed,
                "system",
                "every purchase confirmed",
            )
            .await?;
        }
    }
    Ok(())
}

/// Confirm vendor orders delivered more than `days` ago.
pub async fn auto_confirm_due(db: &impl ConnectionTrait, days: i64) -> OrdersResult<u64> {
    // A literal status, for the partial index on delivered vendor orders.
    let due = IdRow::find_by_statement(pg(
        format!(
            "SELECT id FROM orders.vendor_orders WHERE status = '{}' \
             AND delivered_at <= now() - make_interval(days => $1) LIMIT 200",
            VendorOrderStatus::Delivered
        ),
        [(days as i32).into()],
    ))
    .all(db)
    .await?;
    let mut n = 0;
    for IdRow { id } in due {
        confirm(db, id, None, "system").await?;
        n += 1;
    }
    Ok(n)
}
