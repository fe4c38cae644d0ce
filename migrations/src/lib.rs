//! Database migrations, one module per service schema and one file per change. A landed
//! migration is never edited: changes go in a new file (expand, then contract).

pub use sea_orm_migration::prelude::*;

mod accounts;
mod catalog;
mod orders;
mod outbox;
mod promotions;
mod reports;
mod search;
mod settlements;
mod sql;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(accounts::m20261122_000001_create_accounts::Migration),
            Box::new(catalog::m20261122_000101_create_schema::Migration),
            Box::new(catalog::m20261122_000102_catalog_tables::Migration),
            Box::new(orders::m20261122_000201_create_schema::Migration),
            Box::new(promotions::m20261122_000301_create_schema::Migration),
            Box::new(orders::m20261122_000202_orders_tables::Migration),
            Box::new(search::m20261122_000401_search_documents::Migration),
            Box::new(promotions::m20261122_000302_promotions_tables::Migration),
            Box::new(promotions::m20261201_000303_stacking_policy::Migration),
            Box::new(orders::m20261201_000203_order_coupon_codes::Migration),
            Box::new(orders::m20261201_000204_order_part_indexes::Migration),
            Box::new(settlements::m20261202_000501_settlements_tables::Migration),
            Box::new(orders::m20261202_000205_toss_payments::Migration),
            Box::new(promotions::m20261202_000304_discount_funding::Migration),
            Box::new(settlements::m20261202_000502_drop_discount_funding::Migration),
            Box::new(orders::m20261202_000401_order_attribution::Migration),
            Box::new(reports::m20261202_000402_reports_tables::Migration),
            Box::new(accounts::m20261202_000550_organisations::Migration),
            Box::new(orders::m20261202_000551_organisation_orders::Migration),
            Box::new(search::m20261202_000901_search_entries::Migration),
            Box::new(catalog::m20261202_000701_product_images::Migration),
            Box::new(reports::m20261203_001001_reports_grains::Migration),
            Box::new(orders::m20261203_001002_order_lines_product::Migration),
            Box::new(orders::m20261203_001101_invoice_credits::Migration),
            Box::new(catalog::m20261204_000101_certification_rejection::Migration),
            Box::new(accounts::m20261204_000102_account_audit::Migration),
            Box::new(reports::m20261204_000301_reports_buyer_months::Migration),
            Box::new(search::m20261205_000101_search_changes::Migration),
            Box::new(orders::m20261206_000101_cart_generation::Migration),
            Box::new(catalog::m20261207_000101_product_category_path::Migration),
            Box::new(catalog::m20261208_000101_product_in_stock_variants::Migration),
            Box::new(catalog::m20261209_000101_product_seller::Migration),
            Box::new(orders::m20261210_000101_vendor_orders_order_index::Migration),
            Box::new(catalog::m20261211_000101_variant_domains::Migration),
            Box::new(orders::m20261211_000201_order_domains::Migration),
            Box::new(orders::m20261212_000201_organisation_domains::Migration),
            Box::new(orders::m20261213_000101_cart_lines_in_the_cart::Migration),
            Box::new(orders::m20261214_000101_order_numbers::Migration),
            Box::new(outbox::m20261215_000101_outbox_rows_deleted_when_published::Migration),
        ]
    }
}
