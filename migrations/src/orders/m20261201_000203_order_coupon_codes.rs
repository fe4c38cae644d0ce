//! An order can carry more than one coupon: by the default stacking policy an order coupon
//! and a shipping coupon together. `coupon_codes` replaces the single `coupon_code`; nothing
//! reads the old column any more, so it goes in the same step after its values are copied.

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
                "ALTER TABLE orders.orders ADD COLUMN coupon_codes text[] NOT NULL DEFAULT '{}'",
                "UPDATE orders.orders SET coupon_codes = ARRAY[coupon_code] WHERE coupon_code IS NOT NULL",
                "ALTER TABLE orders.orders DROP COLUMN coupon_code",
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        sql::run(
            manager,
            &[
                "ALTER TABLE orders.orders ADD COLUMN coupon_code text",
                "UPDATE orders.orders SET coupon_code = coupon_codes[1]",
                "ALTER TABLE orders.orders DROP COLUMN coupon_codes",
            ],
        )
        .await
    }
}
