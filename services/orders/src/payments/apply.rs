//! Applying gateway events to orders, once each. The event id goes into
//! `orders.payment_events` in the same transaction as its effect: a second delivery (or
//! twenty concurrent ones) finds the row and changes nothing.

use super::{GatewayEvent, GatewayEventKind, PaymentGateway, RefundRequest};
use crate::error::{OrdersError, OrdersResult};
use crate::lifecycle::{self, PaidOutcome};
use crate::states::PaymentState;
use platform::db::pg;
use platform::money::Won;
use platform::status::StateMachine;
use sea_orm::{ConnectionTrait, DatabaseConnection, FromQueryResult, TransactionTrait};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applied {
    /// This delivery changed the order.
    Applied,
    /// The event was seen before.
    Duplicate,
    /// Nothing to do (an event type the shop ignores, or no matching order).
    Ignored,
}

/// The event's order (its payment's, by reference, else the event's own hint) and whether
/// this delivery is the event's first: the event is recorded against the order in the
/// same statement, one round trip. A concurrent delivery of the same event waits on its
/// row until the first commits, then finds it.
async fn record_event(
    db: &impl ConnectionTrait,
    gateway: &str,
    event_id: &str,
    kind: &str,
    payment_ref: &str,
    hint: Option<Uuid>,
) -> OrdersResult<(Option<Uuid>, bool)> {
    #[derive(FromQueryResult)]
    struct Recorded {
        order_id: Option<Uuid>,
        fresh: bool,
    }
    let row = Recorded::find_by_statement(pg(
        "WITH found AS (SELECT COALESCE((SELECT order_id FROM orders.payments WHERE payment_ref = $1), $2::uuid) AS order_id), \
         recorded AS (INSERT INTO orders.payment_events (gateway, event_id, order_id, kind) \
             SELECT $3, $4, order_id, $5 FROM found ON CONFLICT DO NOTHING RETURNING event_id) \
         SELECT (SELECT order_id FROM found) AS order_id, EXISTS (SELECT 1 FROM recorded) AS fresh",
        [
            payment_ref.into(),
            hint.into(),
            gateway.into(),
            event_id.into(),
            kind.into(),
        ],
    ))
    .one(db)
    .await?
    .ok_or(OrdersError::NotFound("payment event"))?;
    Ok((row.order_id, row.fresh))
}

pub async fn apply(
    db: &DatabaseConnection,
    gateway: &dyn PaymentGateway,
    event: GatewayEvent,
) -> OrdersResult<Applied> {
    let txn = db.begin().await?;
    let (applied, refund) = apply_in(&txn, gateway.name(), event).await?;
    txn.commit().await?;
    if let Some(late) = refund {
        refund_late(db, gateway, late).await?;
    }
    Ok(applied)
}

/// A payment that succeeded for an order that could no longer take it: the money goes back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LateRefund {
    pub order_id: Uuid,
    pub payment_ref: String,
    pub amount: i64,
}

/// [`apply`] inside the caller's transaction (which may hold more of the same change);
/// the refund it may ask for is the caller's to make once the transaction committed.
pub async fn apply_in(
    txn: &impl ConnectionTrait,
    gateway: &str,
    event: GatewayEvent,
) -> OrdersResult<(Applied, Option<LateRefund>)> {
    let (payment_ref, hint, kind) = match &event.kind {
        GatewayEventKind::PaymentSucceeded {
            payment_ref,
            order_id,
            ..
        } => (payment_ref.clone(), *order_id, "succeeded"),
        GatewayEventKind::PaymentFailed {
            payment_ref,
            order_id,
        } => (payment_ref.clone(), *order_id, "failed"),
        GatewayEventKind::PaymentCanceled {
            payment_ref,
            order_id,
        } => (payment_ref.clone(), *order_id, "canceled"),
        GatewayEventKind::Refunded { payment_ref, .. } => (payment_ref.clone(), None, "refunded"),
        GatewayEventKind::Ignored { .. } => return Ok((Applied::Ignored, None)),
    };
    let (order_id, fresh) =
        record_event(txn, gateway, &event.event_id, kind, &payment_ref, hint).await?;
    if !fresh {
        return Ok((Applied::Duplicate, None));
    }
    let Some(order_id) = order_id else {
        return Ok((Applied::Ignored, None));
    };
    let mut refund = None;
    match event.kind {
        GatewayEventKind::PaymentSucceeded { amount, .. } => {
            match lifecycle::mark_paid(txn, order_id, amount.get(), gateway).await? {
                PaidOutcome::MustRefund { amount } => {
                    refund = Some(LateRefund {
                        order_id,
                        payment_ref: payment_ref.clone(),
                        amount,
                    })
                }
                PaidOutcome::Paid | PaidOutcome::AlreadyPaid => {}
            }
            set_payment_status(
                txn,
                &payment_ref,
                if refund.is_some() {
                    PaymentState::Refunding
                } else {
                    PaymentState::Succeeded
                },
            )
            .await?;
        }
        GatewayEventKind::PaymentFailed { .. } => {
            lifecycle::mark_unpaid(txn, order_id, gateway, "payment failed").await?;
            set_payment_status(txn, &payment_ref, PaymentState::Failed).await?;
        }
        GatewayEventKind::PaymentCanceled { .. } => {
            lifecycle::mark_unpaid(txn, order_id, gateway, "payment canceled").await?;
            set_payment_status(txn, &payment_ref, PaymentState::Canceled).await?;
        }
        GatewayEventKind::Refunded {
            amount_refunded, ..
        } => {
            txn.execute_raw(pg(
                "UPDATE orders.payments SET refunded = GREATEST(refunded, $2), updated_at = now() WHERE payment_ref = $1",
                [payment_ref.clone().into(), amount_refunded.get().into()],
            ))
            .await?;
        }
        GatewayEventKind::Ignored { .. } => {}
    }
    Ok((Applied::Applied, refund))
}

/// Paid after its stock was gone: the customer gets the money back, and the order stays
/// closed. A failure here is retried by the gateway's next delivery of a refund-worthy
/// event or by an operator; it is logged loudly.
pub async fn refund_late(
    db: &DatabaseConnection,
    gateway: &dyn PaymentGateway,
    late: LateRefund,
) -> OrdersResult<()> {
    let LateRefund {
        order_id,
        payment_ref,
        amount,
    } = late;
    let res = gateway
        .refund(RefundRequest {
            payment_ref: payment_ref.clone(),
            amount: Won(amount),
            reason: "stock released before payment".into(),
            idempotency_key: format!("refund-late-{order_id}"),
        })
        .await;
    if let Err(e) = res {
        tracing::error!(%order_id, error = %e, "refund of a late payment failed");
    }
    set_payment_status(db, &payment_ref, PaymentState::Refunded).await
}

/// Move the payment to `status` if its machine allows it from where it is; an event
/// that arrives after a later one (a failure after the success) changes nothing.
pub(crate) async fn set_payment_status(
    db: &impl ConnectionTrait,
    payment_ref: &str,
    status: PaymentState,
) -> Result<(), OrdersError> {
    db.execute_raw(pg(
        "UPDATE orders.payments SET status = $2, updated_at = now() \
         WHERE payment_ref = $1 AND status = ANY($3)",
        [
            payment_ref.into(),
            status.into(),
            PaymentState::sources(status).into(),
        ],
    ))
    .await?;
    Ok(())
}
