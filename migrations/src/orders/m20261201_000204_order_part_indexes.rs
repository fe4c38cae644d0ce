//! An order's parts were found by scanning: nothing indexed `vendor_orders.order_id` or
//! `order_lines.vendor_order_id`, so paying an order (which moves its vendor orders) and
//! reading one (its lines by vendor order) read those tables whole — 3.5 ms per order view
//! with 16k lines in the load harness, and growing with every order the shop takes.

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
                "CREATE INDEX vendor_orders_order ON orders.vendor_orders (order_id)",
                "CREATE INDEX order_lines_vendor_order ON orders.order_lines (vendor_order_id)",
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        sql::run(
            manager,
            &[
                "DROP INDEX orders.order_lines_vendor_order",
                "DROP INDEX orders.vendor_orders_order",
            ],
        )
        .await
    }
}
