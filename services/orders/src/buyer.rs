//! The organisation an order is bought for (issue 15). Checkout records it on the order
//! (`orders.organisation_id`, the kind as it was when bought, the buyer's own
//! purchase-order number and the quotation), so reports and the public-purchase
//! disclosure count the order by its buyer without asking the accounts schema again.

use crate::error::{OrdersError, OrdersResult};
use crate::payments::OpenedPayment;
use crate::{invoices, tax_invoices};
use chrono::{DateTime, NaiveDate, Utc};
use platform::db::pg;
use platform::organisations::OrganisationKind;
use platform::organisations::service::Organisation;
use platform::text_status;
use sea_orm::ConnectionTrait;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct OrganisationBuyer {
    pub organisation_id: Uuid,
    pub kind: OrganisationKind,
    /// The organisation's own purchase-order number (발주번호), if it gave one.
    pub purchase_order_number: Option<String>,
    pub quotation_id: Option<Uuid>,
}

impl OrganisationBuyer {
    /// Record the buyer on the order `write_order` just wrote, in the same transaction.
    pub(crate) async fn record(
        &self,
        db: &impl ConnectionTrait,
        order_id: Uuid,
    ) -> OrdersResult<()> {
        db.execute_raw(pg(
            "UPDATE orders.orders SET organisation_id = $2, organisation_kind = $3, \
                 purchase_order_number = $4, quotation_id = $5 WHERE id = $1",
            [
                order_id.into(),
                self.organisation_id.into(),
                self.kind.into(),
                self.purchase_order_number.clone().into(),
                self.quotation_id.into(),
            ],
        ))
        .await?;
        Ok(())
    }
}

text_status! {
    /// How an organisation pays for an order (an accepted quotation, or a cart bought for it).
    pub enum PaymentMethod {
        /// Corporate card (or any method) through the shop's payment gateway.
        Card = "card",
        /// On credit (후불): the vendor records the bank transfer when it arrives.
        Invoice = "invoice",
    }
}

/// An order placed for an organisation: from an accepted quotation, or from a member's
/// cart checked out in the organisation's context.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct OrganisationOrderPlaced {
    pub order_id: Uuid,
    pub order_number: String,
    /// What the order charges.
    pub grand_total: i64,
    pub payment_method: PaymentMethod,
    /// For `card`: what the client needs to pay.
    pub payment: Option<OpenedPayment>,
    /// For `invoice`: when the transfers are due.
    pub invoice_due_on: Option<NaiveDate>,
}

/// The organisation's own purchase-order number, trimmed; at most 50 characters.
pub(crate) fn purchase_order_number(raw: Option<String>) -> OrdersResult<Option<String>> {
    let po = raw.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
    if po.as_ref().is_some_and(|s| s.chars().count() > 50) {
        return Err(OrdersError::field(
            "purchase_order_number",
            "too_long",
            "must be at most 50 characters",
        ));
    }
    Ok(po)
}

/// In the order's transaction, after checkout placed it for `org`: on invoice, take the
/// credit and open the invoices (due after the organisation's payment terms, counted in
/// Korean days); ask for tax invoices if wanted. Returns the due date of an invoice order.
pub(crate) async fn settle_terms(
    txn: &impl ConnectionTrait,
    org: &Organisation,
    order_id: Uuid,
    total: i64,
    payment: PaymentMethod,
    tax_invoice: bool,
    now: DateTime<Utc>,
) -> OrdersResult<Option<NaiveDate>> {
    let due = match payment {
        PaymentMethod::Invoice => {
            let due = (now + chrono::Duration::hours(9)).date_naive()
                + chrono::Duration::days(i64::from(org.payment_terms_days));
            invoices::place_on_credit(txn, org.id, order_id, total, due).await?;
            Some(due)
        }
        PaymentMethod::Card => None,
    };
    if tax_invoice {
        tax_invoices::request_for_order(txn, org, order_id).await?;
    }
    Ok(due)
}
