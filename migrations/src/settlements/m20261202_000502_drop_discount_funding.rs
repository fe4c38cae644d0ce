//! Who funded a discount now travels with the order (promotions records it on the campaign,
//! time deal or coupon, and the quote stored at checkout carries it), so settlements no
//! longer keeps a table of its own or defaults for rows it lacks.

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
                "DROP TABLE settlements.discount_funding",
                "ALTER TABLE settlements.settings DROP COLUMN default_campaign_vendor_bp, \
                 DROP COLUMN default_coupon_vendor_bp",
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        sql::run(
            manager,
            &[
                "CREATE TABLE settlements.discount_funding (
                    source_kind text NOT NULL CHECK (source_kind IN ('campaign', 'coupon')),
                    source_id uuid NOT NULL,
                    vendor_share_bp int NOT NULL CHECK (vendor_share_bp BETWEEN 0 AND 10000),
                    updated_at timestamptz NOT NULL DEFAULT now(),
                    PRIMARY KEY (source_kind, source_id)
                )",
                "ALTER TABLE settlements.settings \
                 ADD COLUMN default_campaign_vendor_bp int NOT NULL DEFAULT 10000 CHECK (default_campaign_vendor_bp BETWEEN 0 AND 10000), \
                 ADD COLUMN default_coupon_vendor_bp int NOT NULL DEFAULT 0 CHECK (default_coupon_vendor_bp BETWEEN 0 AND 10000)",
            ],
        )
        .await
    }
}
