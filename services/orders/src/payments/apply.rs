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

async fn order_of(
    db: &impl ConnectionTrait,
    payment_ref: &str,
    hint: Option<Uuid>,
) -> OrdersResult<Option<Uuid>> {
    #[derive(FromQueryResult)]
    struct PaymentOf {
        order_id: Uuid,
    }
    let row = PaymentOf::find_by_statement(pg(
        "SELECT order_id FROM orders.payments WHERE payment_ref = $1",
        [payment_ref.into()],
    ))
    .one(db)
    .await?;
    Ok(row.map(|r| r.order_id).or(hint))
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
    let order_id = order_of(txn, &payment_ref, hint).await?;
    let fresh = txn
        .query_one_raw(pg(
            "INSERT INTO orders.payment_events (gateway, event_id, order_id, kind) VALUES ($1, $2, $3, $4) \
             ON CONFLICT DO NOTHING RETURNING event_id",
            [gateway.into(), event.event_id.clone().into(), order_id.into(), kind.into()],
        ))
        .await?;
    if fresh.is_none() {
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
