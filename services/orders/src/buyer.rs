//! The organisation an order is bought for (issue 15). Checkout records it on the order
//! (`orders.organisation_id`, the kind as it was when bought, the buyer's own
//! purchase-order number and the quotation), so reports and the public-purchase
//! disclosure count the order by its buyer without asking the accounts schema again.

use crate::error::OrdersResult;
use platform::organisations::OrganisationKind;
use sea_orm::{ConnectionTrait, DbBackend, Statement};
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
        db.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
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
