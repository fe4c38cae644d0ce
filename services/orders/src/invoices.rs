//! Paying by invoice (후불) for buyer organisations: the order is placed on credit — the
//! organisation's credit line taken in the order's transaction, the order paid as far as
//! stock and fulfilment go, one invoice per vendor order due after the organisation's
//! payment terms. The vendor (or an admin) records the bank transfer when it arrives,
//! which gives the credit back; when every vendor of the order has been paid, so is the
//! order's payment.

use crate::error::{OrdersError, OrdersResult};
use crate::lifecycle::{self, PaidOutcome};
use crate::states::PaymentState;
use chrono::{DateTime, NaiveDate, Utc};
use platform::organisations::credit;
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DbBackend, FromQueryResult, Statement, TransactionTrait,
};
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
    txn.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
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
    All,
}

#[derive(Debug, Clone, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InvoiceFilter {
    /// `open` (default), `overdue`, `paid` or `all`.
    #[param(inline)]
    pub state: Option<InvoiceState>,
}

#[derive(Debug, Clone, Serialize, ToSchema, FromQueryResult)]
pub struct InvoiceView {
    pub vendor_order_id: Uuid,
    pub order_id: Uuid,
    pub order_number: String,
    pub purchase_order_number: Option<String>,
    pub organisation_id: Uuid,
    pub vendor_id: Uuid,
    /// Won to transfer for this vendor order.
    pub amount: i64,
    pub due_on: NaiveDate,
    pub paid_at: Option<DateTime<Utc>>,
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
        InvoiceState::Open => "i.paid_at IS NULL",
        InvoiceState::Overdue => "i.paid_at IS NULL AND i.due_on < $3",
        InvoiceState::Paid => "i.paid_at IS NOT NULL",
        InvoiceState::All => "TRUE",
    };
    Ok(InvoiceView::find_by_statement(Statement::from_sql_and_values(
        DbBackend::Postgres,
        format!(
            "SELECT i.vendor_order_id, i.order_id, o.number AS order_number, o.purchase_order_number, \
                 i.organisation_id, i.vendor_id, i.amount, i.due_on, i.paid_at, \
                 (i.paid_at IS NULL AND i.due_on < $3) AS overdue, i.created_at \
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
    let paid = Paid::find_by_statement(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "UPDATE orders.org_invoices SET paid_at = now(), recorded_by = $3 \
         WHERE vendor_order_id = $1 AND ($2::uuid IS NULL OR vendor_id = $2) AND paid_at IS NULL \
         RETURNING organisation_id, order_id, amount",
        [vendor_order_id.into(), vendor.into(), recorded_by.into()],
    ))
    .one(&txn)
    .await?;
    let Some(paid) = paid else {
        let existing = find(&txn, vendor_order_id, vendor).await?;
        return Err(match existing {
            None => OrdersError::NotFound("invoice"),
            Some(_) => OrdersError::IllegalTransition {
                action: "record the transfer",
                state: "the invoice is already paid".into(),
            },
        });
    };
    credit::give_back(&txn, paid.organisation_id, paid.amount).await?;
    // Every vendor of the order paid: so is the order's payment.
    txn.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "UPDATE orders.payments SET status = $2, updated_at = now() WHERE order_id = $1 AND gateway = $3 \
         AND NOT EXISTS (SELECT 1 FROM orders.org_invoices WHERE order_id = $1 AND paid_at IS NULL)",
        [
            paid.order_id.into(),
            PaymentState::Succeeded.into(),
            GATEWAY.into(),
        ],
    ))
    .await?;
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
    Ok(InvoiceView::find_by_statement(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT i.vendor_order_id, i.order_id, o.number AS order_number, o.purchase_order_number, \
             i.organisation_id, i.vendor_id, i.amount, i.due_on, i.paid_at, \
             (i.paid_at IS NULL AND i.due_on < (now() AT TIME ZONE 'Asia/Seoul')::date) AS overdue, i.created_at \
         FROM orders.org_invoices i JOIN orders.orders o ON o.id = i.order_id \
         WHERE i.vendor_order_id = $1 AND ($2::uuid IS NULL OR i.vendor_id = $2)",
        [vendor_order_id.into(), vendor.into()],
    ))
    .one(db)
    .await?)
}
