//! Cancelled and returned invoice (후불) orders, and revised quotation answers (issue 15).
//!
//! - `org_invoices.credited`: what cancels and returns took off the invoice (given back to
//!   the organisation's credit line instead of refunded through a gateway); the transfer
//!   still owed is `amount - credited`. `voided_at`: the whole invoice was credited, so
//!   nothing is owed and it leaves the open and overdue lists.
//! - `quotation_parts.revision`: how many times the vendor revised its answer before the
//!   organisation accepted.

use crate::sql;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        sql::run(
            manager,
            &[
                "ALTER TABLE orders.org_invoices \
                    ADD COLUMN credited bigint NOT NULL DEFAULT 0, \
                    ADD COLUMN voided_at timestamptz, \
                    ADD CONSTRAINT org_invoices_credited CHECK (credited >= 0 AND credited <= amount)",
                "DROP INDEX orders.org_invoices_open",
                "CREATE INDEX org_invoices_open ON orders.org_invoices (due_on) WHERE paid_at IS NULL AND voided_at IS NULL",
                "ALTER TABLE orders.quotation_parts ADD COLUMN revision int NOT NULL DEFAULT 0",
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        sql::run(
            manager,
            &[
                "ALTER TABLE orders.quotation_parts DROP COLUMN revision",
                "DROP INDEX orders.org_invoices_open",
                "CREATE INDEX org_invoices_open ON orders.org_invoices (due_on) WHERE paid_at IS NULL",
                "ALTER TABLE orders.org_invoices DROP CONSTRAINT org_invoices_credited, \
                    DROP COLUMN voided_at, DROP COLUMN credited",
            ],
        )
        .await
    }
}
