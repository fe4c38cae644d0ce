//! A vendor's fulfilment, whole: ship, mark delivered, and accept a return with its
//! refund, each in its own transaction. The JSON API (`http::vendor`) and the browser
//! console both call these, so the two cannot drift apart.

use crate::context::OrdersContext;
use crate::error::OrdersResult;
use crate::invoices::{self, CreditBack};
use crate::lifecycle;
use crate::payments::refunds;
use crate::returns;
use crate::states::{ReturnStatus, VendorOrderStatus};
use crate::views::ReturnAccepted;
use chrono::{DateTime, Utc};
use platform::db::pg;
use platform::{ApiError, AppState};
use sea_orm::{ConnectionTrait, FromQueryResult, TransactionTrait};
use serde::Serialize;
use uuid::Uuid;

/// Mark a preparing vendor order shipped with its courier and tracking number.
pub async fn ship(
    state: &AppState,
    vendor_id: Uuid,
    vendor_order_id: Uuid,
    courier: &str,
    tracking_number: &str,
) -> Result<(), ApiError> {
    let (courier, tracking_number) = (courier.trim(), tracking_number.trim());
    if courier.is_empty() || tracking_number.is_empty() {
        return Err(ApiError::field(
            "tracking_number",
            "required",
            "give the courier and tracking number",
        ));
    }
    let txn = state.db.begin().await?;
    lifecycle::vendor_transition(
        &txn,
        vendor_id,
        vendor_order_id,
        VendorOrderStatus::Shipped,
        Some(courier.into()),
        Some(tracking_number.into()),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Mark a shipped vendor order delivered.
pub async fn deliver(
    state: &AppState,
    vendor_id: Uuid,
    vendor_order_id: Uuid,
) -> Result<(), ApiError> {
    let txn = state.db.begin().await?;
    lifecycle::vendor_transition(
        &txn,
        vendor_id,
        vendor_order_id,
        VendorOrderStatus::Delivered,
        None,
        None,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Accept a customer's return: the units go back in stock and the refund is paid, by
/// line, less the return shipping when the customer changed their mind.
pub async fn accept_return(
    state: &AppState,
    ctx: &OrdersContext,
    vendor_id: Uuid,
    return_id: Uuid,
) -> Result<ReturnAccepted, ApiError> {
    let txn = state.db.begin().await?;
    let accepted = returns::accept(&txn, vendor_id, return_id).await?;
    // A return on an invoice (후불) order takes the refund off the vendor order's unpaid
    // invoice and gives the credit back, in the same transaction; no gateway is called.
    let on_invoice = invoices::credit_back(
        &txn,
        accepted.order_id,
        Some(accepted.vendor_order_id),
        accepted.refund,
    )
    .await?;
    txn.commit().await?;
    if accepted.refund > 0 && on_invoice == CreditBack::NotOnInvoice {
        let order_id = accepted.order_id;
        let tax_free_amount =
            refunds::tax_free_part(&state.db, order_id, accepted.refund, false).await?;
        refunds::pay_out(
            &state.db,
            ctx,
            refunds::Refund {
                order_id,
                amount: accepted.refund,
                tax_free_amount,
                reason: "return accepted".into(),
                idempotency_key: format!("refund-return-{return_id}"),
                refund_account: refunds::return_account(&state.db, return_id).await?,
            },
        )
        .await?;
    }
    Ok(ReturnAccepted {
        return_id,
        status: ReturnStatus::Accepted,
        refund: accepted.refund,
    })
}

/// A return request as its vendor sees it.
#[derive(Debug, Clone, Serialize, FromQueryResult)]
pub struct ReturnSummary {
    pub id: Uuid,
    pub vendor_order_id: Uuid,
    pub order_number: String,
    pub status: String,
    pub reason: String,
    /// `[{variant_id, quantity}]` as requested.
    pub lines: serde_json::Value,
    pub return_shipping_fee: i64,
    pub refund_amount: Option<i64>,
    pub created_at: DateTime<Utc>,
}

/// The vendor's return requests, newest first, optionally of one status.
pub async fn returns_of(
    db: &impl ConnectionTrait,
    vendor_id: Uuid,
    status: Option<ReturnStatus>,
    after: Option<Uuid>,
    limit: u64,
) -> OrdersResult<Vec<ReturnSummary>> {
    Ok(ReturnSummary::find_by_statement(pg(
        "SELECT r.id, r.vendor_order_id, o.number AS order_number, r.status, r.reason, r.lines, \
                r.return_shipping_fee, r.refund_amount, r.created_at \
         FROM orders.returns r JOIN orders.orders o ON o.id = r.order_id \
         WHERE r.vendor_id = $1 AND ($2::text IS NULL OR r.status = $2) \
           AND ($3::uuid IS NULL OR r.id < $3) \
         ORDER BY r.id DESC LIMIT $4",
        [
            vendor_id.into(),
            status.map(|s| s.to_string()).into(),
            after.into(),
            (limit as i64).into(),
        ],
    ))
    .all(db)
    .await?)
}
