//! What Toss tells the shop without being asked: webhooks, and payments whose confirm
//! answer was lost (fetched back by a job).
//!
//! - PAYMENT_STATUS_CHANGED carries no signature: its body only says which payment to
//!   fetch; what is applied is what `GET /v1/payments/{paymentKey}` answers.
//! - A deposit callback carries the `secret` Toss gave when the virtual account was
//!   issued; it is compared in constant time with the stored one, and a mismatch changes
//!   nothing.
//! - Each change is applied once (`orders.payment_events`), however often Toss retries.

use super::wire::{Payment, Status, WebhookBody};
use super::{TossError, TossGateway};
use crate::context::OrdersContext;
use crate::error::OrdersResult;
use crate::payments::GatewayError;
use crate::payments::redirect::{self, Locked, Said};
use platform::db::pg;
use sea_orm::{ConnectionTrait, DatabaseConnection, TransactionTrait};
use subtle::ConstantTimeEq;

/// What a webhook delivery came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WebhookOutcome {
    Applied,
    /// Seen before, or about nothing of this shop's: 200 all the same.
    AlreadyApplied,
    Ignored,
}

/// Apply a payment Toss gave (by fetch) to its order, in one transaction.
pub async fn settle_fetched(
    db: &DatabaseConnection,
    ctx: &OrdersContext,
    p: Payment,
) -> OrdersResult<WebhookOutcome> {
    let txn = db.begin().await?;
    let Some(row) = redirect::lock_by_number(&txn, "toss", &p.order_id).await? else {
        tracing::info!(order = %p.order_id, "a toss payment of no order of this shop");
        return Ok(WebhookOutcome::Ignored);
    };
    let said = redirect::said_of(p, &row.number, row.grand_total);
    if let Said::Refused(e) = &said {
        tracing::error!(order = %row.number, error = %e, "a fetched toss payment does not fit its order");
        return Ok(WebhookOutcome::Ignored);
    }
    let settled = redirect::settle_in(&txn, "toss", &row, said).await?;
    txn.commit().await?;
    redirect::after_commit(db, ctx, row.id, &settled).await?;
    Ok(WebhookOutcome::Applied)
}

async fn seen(db: &impl ConnectionTrait, event_id: &str) -> OrdersResult<bool> {
    Ok(db
        .query_one_raw(pg(
            "SELECT 1 AS one FROM orders.payment_events WHERE gateway = 'toss' AND event_id = $1",
            [event_id.into()],
        ))
        .await?
        .is_some())
}

/// `POST /v1/payments/toss/webhook`.
pub async fn webhook(
    db: &DatabaseConnection,
    ctx: &OrdersContext,
    toss: &TossGateway,
    body: &[u8],
) -> OrdersResult<WebhookOutcome> {
    let event: WebhookBody = serde_json::from_slice(body)
        .map_err(|e| GatewayError::Malformed(format!("toss webhook: {e}")))?;
    if event.is_deposit_callback() {
        return deposit_callback(db, ctx, &event).await;
    }
    match event.event_type.as_deref() {
        Some("PAYMENT_STATUS_CHANGED") => {}
        other => {
            tracing::info!(event_type = ?other, "toss webhook ignored");
            return Ok(WebhookOutcome::Ignored);
        }
    }
    let Some(key) = event.field(|d| d.payment_key.as_ref()) else {
        return Err(
            GatewayError::Malformed("PAYMENT_STATUS_CHANGED without paymentKey".into()).into(),
        );
    };
    // Already applied what the body claims? Answer at once (skipping a lie changes nothing).
    if let Some(status) = event.field(|d| d.status.as_ref())
        && seen(db, &format!("{key}:{status}")).await?
    {
        return Ok(WebhookOutcome::AlreadyApplied);
    }
    let p = match toss.payment(key).await {
        Ok(p) => p,
        Err(TossError::Toss { status: 404, .. }) => return Ok(WebhookOutcome::Ignored),
        // Not 200: Toss delivers again later.
        Err(e) => return Err(GatewayError::from(e).into()),
    };
    settle_fetched(db, ctx, p).await
}

/// A virtual account was deposited into (or the deposit was cancelled).
async fn deposit_callback(
    db: &DatabaseConnection,
    ctx: &OrdersContext,
    event: &WebhookBody,
) -> OrdersResult<WebhookOutcome> {
    let (Some(order_number), Some(secret), Some(status)) = (
        event.field(|d| d.order_id.as_ref()),
        event.field(|d| d.secret.as_ref()),
        event.field(|d| d.status.as_ref()),
    ) else {
        return Err(GatewayError::Malformed(
            "deposit callback without orderId, secret or status".into(),
        )
        .into());
    };
    let txn = db.begin().await?;
    let row: Option<Locked> = redirect::lock_by_number(&txn, "toss", order_number).await?;
    let stored = row.as_ref().and_then(|r| r.deposit_secret.clone());
    let matches = stored
        .as_deref()
        .is_some_and(|s| bool::from(s.as_bytes().ct_eq(secret.as_bytes())));
    let (Some(row), true) = (row, matches) else {
        tracing::warn!(order = %order_number, "toss deposit callback refused: its secret does not match the account's");
        return Err(
            GatewayError::BadSignature("deposit callback secret does not match".into()).into(),
        );
    };
    let Some(payment_key) = row.payment_key.clone() else {
        return Ok(WebhookOutcome::Ignored);
    };
    match status {
        "DONE" => {
            if row.payment_status == crate::states::PaymentState::Succeeded {
                return Ok(WebhookOutcome::AlreadyApplied);
            }
            let said = Said::Done {
                payment_key,
                amount: row.grand_total,
            };
            let settled = redirect::settle_in(&txn, "toss", &row, said).await?;
            txn.commit().await?;
            redirect::after_commit(db, ctx, row.id, &settled).await?;
            Ok(WebhookOutcome::Applied)
        }
        other => {
            // A deposit cancelled by the bank (or a status the shop does not act on):
            // recorded once, and left to an operator.
            let tx = event.field(|d| d.transaction_key.as_ref()).unwrap_or("");
            let fresh = txn
                .query_one_raw(pg(
                    "INSERT INTO orders.payment_events (gateway, event_id, order_id, kind) VALUES ('toss', $1, $2, $3) \
                     ON CONFLICT DO NOTHING RETURNING event_id",
                    [format!("{payment_key}:deposit:{other}:{tx}").into(), row.id.into(), format!("deposit_{}", other.to_lowercase()).into()],
                ))
                .await?;
            txn.commit().await?;
            if fresh.is_some() {
                tracing::warn!(order = %row.number, status = %other, "toss deposit callback recorded; no change made");
                Ok(WebhookOutcome::Applied)
            } else {
                Ok(WebhookOutcome::AlreadyApplied)
            }
        }
    }
}

/// Fetch back payments whose confirm answer was lost and settle them by what Toss says.
/// Returns how many were settled.
pub async fn settle_in_doubt(db: &DatabaseConnection, ctx: &OrdersContext) -> OrdersResult<u64> {
    let Some(toss) = &ctx.toss else {
        return Ok(0);
    };
    let due = db
        .query_all_raw(pg(
            "SELECT o.number FROM orders.payments p JOIN orders.orders o ON o.id = p.order_id \
             WHERE p.gateway = 'toss' AND p.in_doubt_since IS NOT NULL \
               AND (p.in_doubt_checked_at IS NULL OR p.in_doubt_checked_at < now() - interval '30 seconds') \
             ORDER BY p.in_doubt_since LIMIT 20",
            [],
        ))
        .await?;
    let mut n = 0;
    for r in due {
        let number: String = r.try_get("", "number")?;
        match toss.payment_of_order(&number).await {
            Ok(p) => {
                let status = p.status;
                settle_fetched(db, ctx, p).await?;
                if status != Status::Unknown {
                    n += 1;
                }
            }
            // The confirm never reached Toss: nothing is in doubt; the hold lapses as usual.
            Err(TossError::Toss { status: 404, .. }) => {
                db.execute_raw(pg(
                    "UPDATE orders.payments p SET in_doubt_since = NULL FROM orders.orders o \
                     WHERE o.id = p.order_id AND o.number = $1",
                    [number.clone().into()],
                ))
                .await?;
                n += 1;
            }
            Err(e) => {
                tracing::warn!(order = %number, error = %e, "an in-doubt payment could not be fetched; trying again later");
                db.execute_raw(pg(
                    "UPDATE orders.payments p SET in_doubt_checked_at = now() FROM orders.orders o \
                     WHERE o.id = p.order_id AND o.number = $1",
                    [number.clone().into()],
                ))
                .await?;
            }
        }
    }
    Ok(n)
}
