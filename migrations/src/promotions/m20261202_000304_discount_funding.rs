//! Who funds each discount, recorded where the discount is granted: the vendor's share of
//! a campaign's prices, a time deal's or a coupon's discount, in basis points (10,000: the
//! vendor pays all of it; 0: the platform does). The pricing engine carries it into the
//! quote stored with each order, so settlement books what was agreed when the customer
//! bought, whatever the share is changed to later.

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
                "ALTER TABLE promotions.campaigns ADD COLUMN vendor_share_bp int NOT NULL DEFAULT 10000 \
                 CHECK (vendor_share_bp BETWEEN 0 AND 10000)",
                "ALTER TABLE promotions.time_deals ADD COLUMN vendor_share_bp int NOT NULL DEFAULT 10000 \
                 CHECK (vendor_share_bp BETWEEN 0 AND 10000)",
                "ALTER TABLE promotions.coupons ADD COLUMN vendor_share_bp int NOT NULL DEFAULT 0 \
                 CHECK (vendor_share_bp BETWEEN 0 AND 10000)",
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        sql::run(
            manager,
            &[
                "ALTER TABLE promotions.campaigns DROP COLUMN vendor_share_bp",
                "ALTER TABLE promotions.time_deals DROP COLUMN vendor_share_bp",
                "ALTER TABLE promotions.coupons DROP COLUMN vendor_share_bp",
            ],
        )
        .await
    }
}
