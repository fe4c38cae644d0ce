//! `vendor_orders_order (order_id)` repeats the first column of the unique index on
//! `(order_id, vendor_id)`, which finds an order's vendor orders as well. Every checkout
//! paid for the copy: one more index entry per vendor order written.

use crate::sql;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        sql::run(manager, &["DROP INDEX orders.vendor_orders_order"]).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        sql::run(
            manager,
            &["CREATE INDEX vendor_orders_order ON orders.vendor_orders (order_id)"],
        )
        .await
    }
}
