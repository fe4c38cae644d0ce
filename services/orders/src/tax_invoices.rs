//! Tax invoices (세금계산서) for organisations' orders: asked for per vendor order with the
//! recipient's business identity (number, trade name, representative, address, e-mail) as
//! it was when asked; the vendor issues it through the national tax service's system and
//! records the approval number (승인번호) here. Both sides list what is still to issue.

use crate::error::{OrdersError, OrdersResult};
use chrono::{DateTime, Utc};
use platform::db::pg;
use platform::organisations::service::Organisation;
use sea_orm::{ConnectionTrait, FromJsonQueryResult, FromQueryResult};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// Who a tax invoice is made out to.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, FromJsonQueryResult)]
pub struct TaxInvoiceRecipient {
    /// 사업자등록번호 in 3-2-5 form.
    pub business_number: String,
    pub name: String,
    pub representative: String,
    pub address: String,
    pub email: String,
}

/// Inside the order's transaction: one request per vendor order. The VAT is 1/11 of the
/// taxable part (taxable lines and shipping; prices include VAT), rounded to the won; the
/// tax-free part (면세) is in the supply amount with no VAT.
pub(crate) async fn request_for_order(
    db: &impl ConnectionTrait,
    org: &Organisation,
    order_id: Uuid,
) -> OrdersResult<()> {
    let recipient = TaxInvoiceRecipient {
        business_number: org.business_number_display(),
        name: org.name.clone(),
        representative: org.representative.clone(),
        address: org.address.clone(),
        email: org.tax_invoice_email.clone(),
    };
    db.execute_raw(pg(
        "INSERT INTO orders.tax_invoices (vendor_order_id, order_id, organisation_id, vendor_id, recipient, \
             supply_amount, vat_amount, total) \
         SELECT v.id, v.order_id, $2, v.vendor_id, $3, t.total - t.vat, t.vat, t.total \
         FROM orders.vendor_orders v, LATERAL ( \
             SELECT v.items_total + v.shipping_total AS total, \
                    round((COALESCE((SELECT sum(l.final_amount) FROM orders.order_lines l \
                        WHERE l.vendor_order_id = v.id AND l.taxable), 0) + v.shipping_total) / 11.0)::bigint AS vat) t \
         WHERE v.order_id = $1",
        [
            order_id.into(),
            org.id.into(),
            serde_json::to_value(&recipient)
                .unwrap_or_default()
                .into(),
        ],
    ))
    .await?;
    Ok(())
}

#[derive(Debug, Clone, Serialize, ToSchema, FromQueryResult)]
pub struct TaxInvoiceView {
    pub vendor_order_id: Uuid,
    pub order_id: Uuid,
    pub order_number: String,
    pub organisation_id: Uuid,
    pub vendor_id: Uuid,
    pub recipient: TaxInvoiceRecipient,
    /// 공급가액.
    pub supply_amount: i64,
    /// 세액.
    pub vat_amount: i64,
    pub total: i64,
    pub requested_at: DateTime<Utc>,
    /// The national tax service's approval number, once issued.
    pub approval_number: Option<String>,
    pub issued_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TaxInvoiceFilter {
    /// Only those still to issue (default true); a cancelled vendor order has none.
    pub pending: Option<bool>,
}

impl TaxInvoiceFilter {
    /// [`list`] as the filter asks (those still to issue unless told otherwise).
    pub async fn list(
        &self,
        db: &impl ConnectionTrait,
        organisation: Option<Uuid>,
        vendor: Option<Uuid>,
    ) -> OrdersResult<Vec<TaxInvoiceView>> {
        list(db, organisation, vendor, self.pending.unwrap_or(true)).await
    }
}

/// Tax invoices of an organisation or a vendor (exactly one of them), oldest first.
pub async fn list(
    db: &impl ConnectionTrait,
    organisation: Option<Uuid>,
    vendor: Option<Uuid>,
    pending: bool,
) -> OrdersResult<Vec<TaxInvoiceView>> {
    Ok(TaxInvoiceView::find_by_statement(pg(
        "SELECT t.vendor_order_id, t.order_id, o.number AS order_number, t.organisation_id, t.vendor_id, \
             t.recipient, t.supply_amount, t.vat_amount, t.total, t.requested_at, t.approval_number, t.issued_at \
         FROM orders.tax_invoices t JOIN orders.orders o ON o.id = t.order_id \
             JOIN orders.vendor_orders vo ON vo.id = t.vendor_order_id \
         WHERE ($1::uuid IS NULL OR t.organisation_id = $1) AND ($2::uuid IS NULL OR t.vendor_id = $2) \
             AND ($1::uuid IS NOT NULL OR $2::uuid IS NOT NULL) \
             AND (NOT $3 OR (t.issued_at IS NULL AND vo.status <> 'canceled')) \
         ORDER BY t.requested_at, t.vendor_order_id LIMIT 500",
        [organisation.into(), vendor.into(), pending.into()],
    ))
    .all(db)
    .await?)
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IssueTaxInvoice {
    /// The 24-digit approval number (승인번호) the national tax service gave, dashes allowed.
    pub approval_number: String,
}

/// The 24 digits of an approval number, or a field error.
fn approval_digits(raw: &str) -> OrdersResult<String> {
    let digits: String = raw
        .chars()
        .filter(|c| *c != '-' && !c.is_whitespace())
        .collect();
    if digits.len() == 24 && digits.chars().all(|c| c.is_ascii_digit()) {
        Ok(digits)
    } else {
        Err(OrdersError::field(
            "approval_number",
            "invalid_approval_number",
            "24 digits, e.g. 20261202-41000000-12345678",
        ))
    }
}

/// The vendor records the issued invoice's approval number (once).
pub async fn issue(
    db: &impl ConnectionTrait,
    vendor: Uuid,
    vendor_order_id: Uuid,
    req: IssueTaxInvoice,
) -> OrdersResult<TaxInvoiceView> {
    let digits = approval_digits(&req.approval_number)?;
    let res = db
        .execute_raw(pg(
            "UPDATE orders.tax_invoices SET approval_number = $3, issued_at = now() \
             WHERE vendor_order_id = $1 AND vendor_id = $2 AND issued_at IS NULL",
            [vendor_order_id.into(), vendor.into(), digits.into()],
        ))
        .await?;
    let view = list(db, None, Some(vendor), false)
        .await?
        .into_iter()
        .find(|t| t.vendor_order_id == vendor_order_id)
        .ok_or(OrdersError::NotFound("tax invoice"))?;
    if res.rows_affected() == 0 {
        return Err(OrdersError::IllegalTransition {
            action: "issue the tax invoice",
            state: "it is already issued".into(),
        });
    }
    Ok(view)
}

#[cfg(test)]
mod tests {
    use super::approval_digits;

    #[test]
    fn approval_numbers_are_24_digits() {
        assert_eq!(
            approval_digits("20261202-41000000-12345678")
                .ok()
                .as_deref(),
            Some("202612024100000012345678")
        );
        for bad in [
            "",
            "2026-1202",
            "20261202-41000000-1234567x",
            "2026120241000000123456789",
        ] {
            assert!(approval_digits(bad).is_err(), "{bad}");
        }
    }
}
