//! Paying refunds out, once each, never past what was paid.
//!
//! Each refund is a row of `orders.payment_refunds` keyed by its idempotency key (the
//! same key goes to the gateway, so a retry can never refund twice). The payment's
//! `refunded` grows in the same transaction as the row is written, and a CHECK keeps it
//! within the amount paid: the balance never goes below zero on the shop's side. The
//! gateway's id of the refund (Toss's `transactionKey`) is kept on the row.

use super::{RefundAccount, RefundDetail, RefundRequest};
use crate::context::OrdersContext;
use crate::error::{OrdersError, OrdersResult};
use platform::db::pg;
use platform::ids::new_id;
use platform::money::Won;
use sea_orm::{ConnectionTrait, DatabaseConnection, TransactionTrait};
use uuid::Uuid;

/// The optional body of a customer's cancel: a paid order whose money came by bank
/// deposit (a virtual account) needs the account to send it back to.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelOrderRequest {
    #[serde(default)]
    pub refund_account: Option<RefundAccount>,
}

impl CancelOrderRequest {
    /// An empty body is an empty request.
    pub fn parse(body: &[u8]) -> OrdersResult<Self> {
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Self::default());
        }
        serde_json::from_slice(body)
            .map_err(|e| OrdersError::field("refund_account", "invalid", e.to_string()))
    }
}

#[derive(Debug, Clone)]
pub struct Refund {
    pub order_id: Uuid,
    pub amount: i64,
    /// The tax-free part of `amount`.
    pub tax_free_amount: i64,
    pub reason: String,
    pub idempotency_key: String,
    pub refund_account: Option<RefundAccount>,
}

/// The tax-free part of a refund of `amount`: what the order's tax-free goods have
/// refunded so far (all of the order's tax-free total for a full cancel), less what
/// earlier refunds already gave back tax-free, within `amount`.
pub async fn tax_free_part(
    db: &impl ConnectionTrait,
    order_id: Uuid,
    amount: i64,
    full: bool,
) -> OrdersResult<i64> {
    let row = db
        .query_one_raw(pg("SELECT o.tax_free_total, \
                (SELECT coalesce(sum(refunded_amount), 0)::bigint FROM orders.order_lines WHERE order_id = o.id AND NOT taxable) AS lines, \
                (SELECT coalesce(sum(tax_free_amount), 0)::bigint FROM orders.payment_refunds WHERE order_id = o.id AND status <> 'failed') AS given \
             FROM orders.orders o WHERE o.id = $1",
            [order_id.into()],
        ))
        .await?
        .ok_or(OrdersError::NotFound("order"))?;
    let total: i64 = row.try_get("", "tax_free_total")?;
    let lines: i64 = row.try_get("", "lines")?;
    let given: i64 = row.try_get("", "given")?;
    let target = if full { total } else { lines.min(total) };
    Ok((target - given).clamp(0, amount.max(0)))
}

/// The account a return's refund goes to (for a deposited virtual account).
pub async fn return_account(
    db: &impl ConnectionTrait,
    return_id: Uuid,
) -> OrdersResult<Option<RefundAccount>> {
    let row = db
        .query_one_raw(pg(
            "SELECT refund_account FROM orders.returns WHERE id = $1",
            [return_id.into()],
        ))
        .await?;
    let value: Option<serde_json::Value> = match row {
        Some(r) => r.try_get("", "refund_account")?,
        None => None,
    };
    Ok(value.and_then(|v| serde_json::from_value(v).ok()))
}

/// Record the refund and pay it out. A refund already paid under this key is not paid
/// again; one the gateway refused is undone on the shop's side and reported.
pub async fn pay_out(db: &DatabaseConnection, ctx: &OrdersContext, r: Refund) -> OrdersResult<()> {
    if r.amount <= 0 {
        return Ok(());
    }
    let txn = db.begin().await?;
    let Some(payment) = txn
        .query_one_raw(pg(
            "SELECT payment_ref, amount, refunded FROM orders.payments WHERE order_id = $1 FOR UPDATE",
            [r.order_id.into()],
        ))
        .await?
    else {
        return Ok(());
    };
    let payment_ref: String = payment.try_get("", "payment_ref")?;
    let paid: i64 = payment.try_get("", "amount")?;
    let refunded: i64 = payment.try_get("", "refunded")?;
    let existing = txn
        .query_one_raw(pg(
            "SELECT status FROM orders.payment_refunds WHERE idempotency_key = $1",
            [r.idempotency_key.clone().into()],
        ))
        .await?
        .map(|row| row.try_get::<String>("", "status"))
        .transpose()?;
    match existing.as_deref() {
        Some("done") => return Ok(()),
        Some("pending") => {}
        // New, or refused before and asked again: count it again.
        _ => {
            if refunded + r.amount > paid {
                return Err(OrdersError::IllegalTransition {
                    action: "refund",
                    state: format!("only ₩{} of ₩{paid} is left to refund", paid - refunded),
                });
            }
            txn.execute_raw(pg(
                "WITH p AS (UPDATE orders.payments SET refunded = refunded + $3, updated_at = now() WHERE order_id = $2) \
                 INSERT INTO orders.payment_refunds (id, order_id, idempotency_key, amount, tax_free_amount, reason, status) \
                 VALUES ($1, $2, $4, $3, $5, $6, 'pending') \
                 ON CONFLICT (idempotency_key) DO UPDATE SET status = 'pending', updated_at = now()",
                [
                    new_id().into(),
                    r.order_id.into(),
                    r.amount.into(),
                    r.idempotency_key.clone().into(),
                    r.tax_free_amount.into(),
                    r.reason.clone().into(),
                ],
            ))
            .await?;
        }
    }
    txn.commit().await?;
    let res = ctx
        .gateway
        .refund_detailed(
            RefundRequest {
                payment_ref,
                amount: Won(r.amount),
                reason: r.reason.clone(),
                idempotency_key: r.idempotency_key.clone(),
            },
            RefundDetail {
                tax_free_amount: Won(r.tax_free_amount),
                refund_account: r.refund_account.clone(),
            },
        )
        .await;
    match res {
        Ok(outcome) => {
            db.execute_raw(pg(
                "UPDATE orders.payment_refunds SET status = 'done', transaction_key = $2, updated_at = now() \
                 WHERE idempotency_key = $1",
                [r.idempotency_key.into(), outcome.refund_ref.into()],
            ))
            .await?;
            Ok(())
        }
        Err(super::GatewayError::Unavailable(why)) => {
            // Unknown: it stays pending, and a retry with the same key settles it.
            tracing::warn!(order_id = %r.order_id, %why, "refund in doubt; stays pending");
            Err(super::GatewayError::Unavailable(why).into())
        }
        Err(e) => {
            let txn = db.begin().await?;
            txn.execute_raw(pg(
                "WITH f AS (UPDATE orders.payment_refunds SET status = 'failed', updated_at = now() \
                            WHERE idempotency_key = $1 AND status = 'pending' RETURNING order_id, amount) \
                 UPDATE orders.payments p SET refunded = p.refunded - f.amount, updated_at = now() \
                 FROM f WHERE p.order_id = f.order_id",
                [r.idempotency_key.into()],
            ))
            .await?;
            txn.commit().await?;
            tracing::error!(order_id = %r.order_id, error = %e, "refund refused by the gateway");
            Err(e.into())
        }
    }
}

/// A return of goods paid into a virtual account needs the account the money goes back
/// to (Toss cannot refund a bank deposit otherwise); whatever account is given must look
/// like one.
pub async fn check_refund_account(
    db: &impl ConnectionTrait,
    order_id: Uuid,
    account: Option<&RefundAccount>,
) -> OrdersResult<()> {
    if let Some(a) = account {
        let digits = |s: &str| s.chars().filter(char::is_ascii_digit).count();
        let mut errors = Vec::new();
        if !(2..=3).contains(&a.bank.len()) || digits(&a.bank) != a.bank.len() {
            errors.push(("refund_account.bank", "a bank code such as \"20\""));
        }
        if !(6..=20).contains(&digits(&a.account_number))
            || a.account_number
                .chars()
                .any(|c| !(c.is_ascii_digit() || c == '-'))
        {
            errors.push(("refund_account.account_number", "6 to 20 digits"));
        }
        if a.holder_name.trim().is_empty() || a.holder_name.chars().count() > 60 {
            errors.push(("refund_account.holder_name", "1 to 60 characters"));
        }
        if !errors.is_empty() {
            return Err(OrdersError::Invalid(
                errors
                    .into_iter()
                    .map(|(f, m)| platform::error::FieldError::new(f, "invalid", m))
                    .collect(),
            ));
        }
        return Ok(());
    }
    let deposited = db
        .query_one_raw(pg(
            "SELECT virtual_account IS NOT NULL AS va FROM orders.payments WHERE order_id = $1",
            [order_id.into()],
        ))
        .await?
        .map(|r| r.try_get::<bool>("", "va"))
        .transpose()?
        .unwrap_or(false);
    if deposited {
        return Err(OrdersError::field(
            "refund_account",
            "required",
            "paid into a virtual account: give the bank account the refund goes to",
        ));
    }
    Ok(())
}
