//! The `reports` schema (실적): daily rollups of sales per (KST day, product, vendor,
//! category, campaign, channel, district, certification, buyer kind), what each order has
//! added to them (so that applying an order again replaces its contribution instead of
//! adding it twice), the days each buyer bought on (distinct, new and returning buyers),
//! and the open-market sales exports marketers upload per channel and period.

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
                "CREATE SCHEMA reports",
                // No campaign is the nil uuid, so that the key has no NULLs.
                "CREATE TABLE reports.daily_sales (
                    day date NOT NULL,
                    product_id uuid NOT NULL,
                    vendor_id uuid NOT NULL,
                    category_id uuid NOT NULL,
                    top_category_id uuid NOT NULL,
                    campaign_id uuid NOT NULL,
                    channel text NOT NULL,
                    district text NOT NULL,
                    certified boolean NOT NULL,
                    buyer_kind text NOT NULL,
                    orders bigint NOT NULL,
                    units bigint NOT NULL,
                    gross bigint NOT NULL,
                    vendor_discount bigint NOT NULL,
                    platform_discount bigint NOT NULL,
                    refunds bigint NOT NULL,
                    refunded_units bigint NOT NULL,
                    net bigint NOT NULL,
                    PRIMARY KEY (day, product_id, vendor_id, category_id, top_category_id, campaign_id,
                        channel, district, certified, buyer_kind)
                )",
                "CREATE INDEX daily_sales_vendor ON reports.daily_sales (vendor_id, day)",
                "CREATE TABLE reports.order_contributions (
                    order_id uuid PRIMARY KEY,
                    customer_id uuid NOT NULL,
                    cells jsonb NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now()
                )",
                "CREATE TABLE reports.buyer_days (
                    customer_id uuid NOT NULL,
                    day date NOT NULL,
                    vendor_id uuid NOT NULL,
                    orders bigint NOT NULL,
                    PRIMARY KEY (customer_id, day, vendor_id)
                )",
                "CREATE INDEX buyer_days_day ON reports.buyer_days (day, customer_id)",
                "CREATE TABLE reports.external_uploads (
                    id uuid PRIMARY KEY,
                    channel text NOT NULL,
                    period_from date NOT NULL,
                    period_to date NOT NULL CHECK (period_to >= period_from),
                    filename text NOT NULL DEFAULT '',
                    uploaded_by uuid NOT NULL,
                    uploaded_at timestamptz NOT NULL DEFAULT now(),
                    rows_total int NOT NULL,
                    rows_matched int NOT NULL,
                    unmatched jsonb NOT NULL,
                    UNIQUE (channel, period_from, period_to)
                )",
                "CREATE TABLE reports.external_sales (
                    upload_id uuid NOT NULL REFERENCES reports.external_uploads (id) ON DELETE CASCADE,
                    day date NOT NULL,
                    channel text NOT NULL,
                    product_id uuid NOT NULL,
                    vendor_id uuid NOT NULL,
                    category_id uuid NOT NULL,
                    top_category_id uuid NOT NULL,
                    district text NOT NULL,
                    certified boolean NOT NULL,
                    units bigint NOT NULL,
                    gross bigint NOT NULL,
                    refunds bigint NOT NULL,
                    net bigint NOT NULL
                )",
                "CREATE INDEX external_sales_day ON reports.external_sales (day)",
                "CREATE INDEX external_sales_upload ON reports.external_sales (upload_id)",
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        sql::drop_schema(manager, "reports").await
    }
}
