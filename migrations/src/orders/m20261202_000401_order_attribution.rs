//! What the 실적 report groups a sale by, as it was at the time of sale: each order's sales
//! channel and buyer kind, and each line's vendor, category (and its top-level category),
//! the campaign whose price or coupon applied, the vendor's district (on the day of the
//! sale, and under the newest boundaries for year-over-year comparison) and whether the
//! vendor was certified, and who funded its discounts. Orders placed before this carry the defaults (`web`, `consumer`)
//! and no line attribution.

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
                "ALTER TABLE orders.orders \
                     ADD COLUMN channel text NOT NULL DEFAULT 'web' \
                         CHECK (channel IN ('web', 'app', '11st', 'lotteon', 'gmarket', 'coupang', 'naver_smartstore')), \
                     ADD COLUMN buyer_kind text NOT NULL DEFAULT 'consumer' \
                         CHECK (buyer_kind IN ('consumer', 'organisation', 'public_institution'))",
                "CREATE TABLE orders.line_attribution (
                    order_id uuid NOT NULL REFERENCES orders.orders (id),
                    variant_id uuid NOT NULL,
                    vendor_id uuid NOT NULL,
                    category_id uuid NOT NULL,
                    top_category_id uuid NOT NULL,
                    campaign_id uuid,
                    -- How the campaign reached the line: its price, or a coupon it issued.
                    campaign_via text CHECK (campaign_via IN ('price', 'coupon')),
                    district text NOT NULL,
                    district_comparable text NOT NULL,
                    certified boolean NOT NULL,
                    -- Of the line's discounts (campaign price or time deal, coupons), what
                    -- the vendor funds; the platform funds the rest.
                    vendor_discount bigint NOT NULL CHECK (vendor_discount >= 0),
                    PRIMARY KEY (order_id, variant_id),
                    CHECK ((campaign_id IS NULL) = (campaign_via IS NULL))
                )",
                // The report's rebuild and the generator walk orders by id.
                "CREATE INDEX orders_paid ON orders.orders (id) WHERE paid_at IS NOT NULL",
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        sql::run(
            manager,
            &[
                "DROP INDEX orders.orders_paid",
                "DROP TABLE orders.line_attribution",
                "ALTER TABLE orders.orders DROP COLUMN channel, DROP COLUMN buyer_kind",
            ],
        )
        .await
    }
}
