//! Paying by invoice (후불) for buyer organisations: the order is placed on credit — the
//! organisation's credit line taken in the order's transaction, the order paid as far as
//! stock and fulfilment go, one invoice per vendor order due after the organisation's
//! payment terms. The vendor (or an admin) records the bank transfer when it arrives,
//! which gives the credit back; when every vendor of the order has been paid, so is the
//! order's payment.
//!
//! Cancelling such an order, or accepting a return on it, never goes through a payment
//! gateway (nothing was charged): [`credit_back`] takes the refund off the unpaid
//! invoices — voiding those it covers whole — and gives it back to the credit line, in the
//! cancel's (or return's) own transaction.

use crate::error::{OrdersError, OrdersResult};
use crate::lifecycle::{self, PaidOutcome};
use crate::states::PaymentState;
use chrono::{DateTime, NaiveDate, Utc};
use platform::db::pg;
use platform::organisations::credit;
use sea_orm::{ConnectionTrait, DatabaseConnection, FromQueryResult, TransactionTrait};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// The gateway name of orders paid by invoice.
pub const GATEWAY: &str = "invoice";

/// Inside the order's transaction: take the credit, treat the order as paid (stock sold,
/// vendor orders to prepare), open one invoice per vendor order and the order's payment.
pub(crate) async fn place_on_credit(
    txn: &impl ConnectionTrait,
    organisation: Uuid,
    order_id: Uuid,
    total: i64,
    due_on: NaiveDate,
) -> OrdersResult<()> {
    credit::take(txn, organisation, total).await?;
    match lifecycle::mark_paid(txn, order_id, total, GATEWAY).await? {
        PaidOutcome::Paid => {}
        other => {
            return Err(OrdersError::Stored(format!(
                "a new order on credit was {other:?}"
            )));
        }
    }
    txn.execute_raw(pg(
        "WITH inv AS (INSERT INTO orders.org_invoices (vendor_order_id, order_id, organisation_id, vendor_id, amount, due_on) \
             SELECT id, order_id, $2, vendor_id, items_total + shipping_total, $3 FROM orders.vendor_orders WHERE order_id = $1), \
         pay AS (INSERT INTO orders.payments (id, order_id, gateway, payment_ref, amount, status) \
             VALUES ($4, $1, $5, $6, $7, $8)) \
         UPDATE orders.orders SET payment_gateway = $5, payment_ref = $6 WHERE id = $1",
        [
            order_id.into(),
            organisation.into(),
            due_on.into(),
            platform::ids::new_id().into(),
            GATEWAY.into(),
            format!("invoice_{}", order_id.simple()).into(),
            total.into(),
            PaymentState::Open.into(),
        ],
    ))
    .await?;
    Ok(())
}

/// The order's payment row once nothing is owed any more: `refunded` grows by what
/// cancels and returns credited; with no invoice left open it is `succeeded` when any
/// transfer arrived and `canceled` when everything was credited back.
async fn close_payment_when_settled(
    db: &impl ConnectionTrait,
    order_id: Uuid,
    credited: i64,
) -> OrdersResult<()> {
    db.execute_raw(pg(
        "UPDATE orders.payments SET refunded = refunded + $2, updated_at = now(), \
             status = CASE \
                 WHEN EXISTS (SELECT 1 FROM orders.org_invoices WHERE order_id = $1 AND paid_at IS NULL AND voided_at IS NULL) \
                     THEN status \
                 WHEN EXISTS (SELECT 1 FROM orders.org_invoices WHERE order_id = $1 AND paid_at IS NOT NULL) THEN $3 \
                 ELSE $4 END \
         WHERE order_id = $1 AND gateway = $5",
        [
            order_id.into(),
            credited.into(),
            PaymentState::Succeeded.into(),
            PaymentState::Canceled.into(),
            GATEWAY.into(),
        ],
    ))
    .await?;
    Ok(())
}

/// What [`credit_back`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CreditBack {
    /// The order was not bought on invoice: refund it through its gateway.
    NotOnInvoice,
    /// The order was on invoice; `credited` won came off its unpaid invoices and went back
    /// to the credit line. Any rest of the refund was already transferred: the vendor pays
    /// it back to the organisation's account, outside the shop.
    Credited { credited: i64 },
}

/// In the caller's transaction (a cancel's, a return's): refund `amount` of an order
/// bought on invoice by taking it off its unpaid invoices — of `vendor_order` only for a
/// return, of every vendor order for a cancel — voiding each one it covers whole, and
/// giving it back to the organisation's credit line. Never calls a gateway.
pub(crate) async fn credit_back(
    txn: &impl ConnectionTrait,
    order_id: Uuid,
    vendor_order: Option<Uuid>,
    amount: i64,
) -> OrdersResult<CreditBack> {
    #[derive(FromQueryResult)]
    struct Open {
        vendor_order_id: Uuid,
        organisation_id: Uuid,
        left: i64,
    }
    #[derive(FromQueryResult)]
    struct Gateway {
        payment_gateway: Option<String>,
    }
    let gateway = Gateway::find_by_statement(pg(
        "SELECT payment_gateway FROM orders.orders WHERE id = $1",
        [order_id.into()],
    ))
    .one(txn)
    .await?
    .and_then(|g| g.payment_gateway);
    if gateway.as_deref() != Some(GATEWAY) {
        return Ok(CreditBack::NotOnInvoice);
    }
    // Locked in a fixed order, so a cancel and a transfer being recorded queue up.
    let open = Open::find_by_statement(pg(
        "SELECT vendor_order_id, organisation_id, amount - credited AS left FROM orders.org_invoices \
         WHERE order_id = $1 AND ($2::uuid IS NULL OR vendor_order_id = $2) \
             AND paid_at IS NULL AND voided_at IS NULL \
         ORDER BY vendor_order_id FOR UPDATE",
        [order_id.into(), vendor_order.into()],
    ))
    .all(txn)
    .await?;
    let mut rest = amount.max(0);
    let mut credited = 0i64;
    for inv in &open {
        let take = rest.min(inv.left);
        if take <= 0 {
            continue;
        }
        txn.execute_raw(pg(
            "UPDATE orders.org_invoices SET credited = credited + $2, \
                 voided_at = CASE WHEN credited + $2 = amount THEN now() END \
             WHERE vendor_order_id = $1",
            [inv.vendor_order_id.into(), take.into()],
        ))
        .await?;
        credit::give_back(txn, inv.organisation_id, take).await?;
        rest -= take;
        credited += take;
    }
    if rest > 0 {
        tracing::info!(%order_id, already_transferred = rest,
            "part of an invoice order's refund was already paid; the vendor transfers it back");
    }
    close_payment_when_settled(txn, order_id, credited).await?;
    Ok(CreditBack::Credited { credited })
}

/// Whose invoices a list shows.
#[derive(Debug, Clone, Copy)]
pub enum InvoiceScope {
    Organisation(Uuid),
    Vendor(Uuid),
    All,
}

impl InvoiceScope {
    fn ids(self) -> (Option<Uuid>, Option<Uuid>) {
        match self {
            InvoiceScope::Organisation(o) => (Some(o), None),
            InvoiceScope::Vendor(v) => (None, Some(v)),
            InvoiceScope::All => (None, None),
        }
    }
}

#[derive(Debug, Clone, Copy, Default, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum InvoiceState {
    /// Not paid yet (due or overdue).
    #[default]
    Open,
    /// Not paid and past its due date.
    Overdue,
    Paid,
    /// Cancelled or returned whole: nothing is owed.
    Voided,
    All,
}

#[derive(Debug, Clone, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InvoiceFilter {
    /// `open` (default), `overdue`, `paid`, `voided` or `all`.
    #[param(inline)]
    pub state: Option<InvoiceState>,
}

impl InvoiceFilter {
    /// The invoices in `scope` in the state asked for (`open` by default), as of now.
    pub async fn list(
        &self,
        db: &impl ConnectionTrait,
        scope: InvoiceScope,
    ) -> OrdersResult<Vec<InvoiceView>> {
        list(db, scope, self.state.unwrap_or_default(), Utc::now()).await
    }
}

#[derive(Debug, Clone, Serialize, ToSchema, FromQueryResult)]
pub struct InvoiceView {
    pub vendor_order_id: Uuid,
    pub order_id: Uuid,
    pub order_number: String,
    pub purchase_order_number: Option<String>,
    pub organisation_id: Uuid,
    pub vendor_id: Uuid,
    /// Won invoiced for this vendor order when it was bought.
    pub amount: i64,
    /// Taken off by cancels and returns (given back to the credit line).
    pub credited: i64,
    /// Won still to transfer: `amount - credited` (0 once paid or voided).
    pub owed: i64,
    pub due_on: NaiveDate,
    pub paid_at: Option<DateTime<Utc>>,
    /// When cancels and returns had taken off the whole amount.
    pub voided_at: Option<DateTime<Utc>>,
    /// Unpaid past its due date (Korean calendar day).
    pub overdue: bool,
    pub created_at: DateTime<Utc>,
}

/// Invoices in `scope`, by due date (oldest first).
pub async fn list(
    db: &impl ConnectionTrait,
    scope: InvoiceScope,
    state: InvoiceState,
    now: DateTime<Utc>,
) -> OrdersResult<Vec<InvoiceView>> {
    let today = (now + chrono::Duration::hours(9)).date_naive();
    let (org, vendor) = scope.ids();
    let state_sql = match state {
        InvoiceState::Open => "i.paid_at IS NULL AND i.voided_at IS NULL",
        InvoiceState::Overdue => "i.paid_at IS NULL AND i.voided_at IS NULL AND i.due_on < $3",
        InvoiceState::Paid => "i.paid_at IS NOT NULL",
        InvoiceState::Voided => "i.voided_at IS NOT NULL",
        InvoiceState::All => "TRUE",
    };
    Ok(InvoiceView::find_by_statement(pg(
        format!(
            "SELECT i.vendor_order_id, i.order_id, o.number AS order_number, o.purchase_order_number, \
                 i.organisation_id, i.vendor_id, i.amount, i.credited, \
                 CASE WHEN i.paid_at IS NULL AND i.voided_at IS NULL THEN i.amount - i.credited ELSE 0 END AS owed, \
                 i.due_on, i.paid_at, i.voided_at, \
                 (i.paid_at IS NULL AND i.voided_at IS NULL AND i.due_on < $3) AS overdue, i.created_at \
             FROM orders.org_invoices i JOIN orders.orders o ON o.id = i.order_id \
             WHERE ($1::uuid IS NULL OR i.organisation_id = $1) AND ($2::uuid IS NULL OR i.vendor_id = $2) \
                 AND {state_sql} \
             ORDER BY i.due_on, i.vendor_order_id LIMIT 500"
        ),
        [org.into(), vendor.into(), today.into()],
    ))
    .all(db)
    .await?)
}

/// Record that the transfer for `vendor_order_id` arrived (the vendor's own invoices only,
/// when `vendor` is given). Gives the organisation its credit back.
#[tracing::instrument(skip_all, fields(%vendor_order_id))]
pub async fn record_transfer(
    db: &DatabaseConnection,
    vendor_order_id: Uuid,
    vendor: Option<Uuid>,
    recorded_by: Uuid,
) -> OrdersResult<InvoiceView> {
    #[derive(FromQueryResult)]
    struct Paid {
        organisation_id: Uuid,
        order_id: Uuid,
        amount: i64,
    }
    let txn = db.begin().await?;
    let paid = Paid::find_by_statement(pg(
        "UPDATE orders.org_invoices SET paid_at = now(), recorded_by = $3 \
         WHERE vendor_order_id = $1 AND ($2::uuid IS NULL OR vendor_id = $2) AND paid_at IS NULL \
             AND voided_at IS NULL \
         RETURNING organisation_id, order_id, amount - credited AS amount",
        [vendor_order_id.into(), vendor.into(), recorded_by.into()],
    ))
    .one(&txn)
    .await?;
    let Some(paid) = paid else {
        let existing = find(&txn, vendor_order_id, vendor).await?;
        return Err(match existing {
            None => OrdersError::NotFound("invoice"),
            Some(i) => OrdersError::IllegalTransition {
                action: "record the transfer",
                state: if i.voided_at.is_some() {
                    "the invoice is void (the order was cancelled or returned)".into()
                } else {
                    "the invoice is already paid".into()
                },
            },
        });
    };
    credit::give_back(&txn, paid.organisation_id, paid.amount).await?;
    close_payment_when_settled(&txn, paid.order_id, 0).await?;
    let view = find(&txn, vendor_order_id, vendor)
        .await?
        .ok_or(OrdersError::NotFound("invoice"))?;
    txn.commit().await?;
    Ok(view)
}

async fn find(
    db: &impl ConnectionTrait,
    vendor_order_id: Uuid,
    vendor: Option<Uuid>,
) -> OrdersResult<Option<InvoiceView>> {
    Ok(InvoiceView::find_by_statement(pg(
        "SELECT i.vendor_order_id, i.order_id, o.number AS order_number, o.purchase_order_number, \
             i.organisation_id, i.vendor_id, i.amount, i.credited, \
             CASE WHEN i.paid_at IS NULL AND i.voided_at IS NULL THEN i.amount - i.credited ELSE 0 END AS owed, \
             i.due_on, i.paid_at, i.voided_at, \
             (i.paid_at IS NULL AND i.voided_at IS NULL AND i.due_on < (now() AT TIME ZONE 'Asia/Seoul')::date) AS overdue, \
             i.created_at \
         FROM orders.org_invoices i JOIN orders.orders o ON o.id = i.order_id \
         WHERE i.vendor_order_id = $1 AND ($2::uuid IS NULL OR i.vendor_id = $2)",
        [vendor_order_id.into(), vendor.into()],
    ))
    .one(db)
    .await?)
}
