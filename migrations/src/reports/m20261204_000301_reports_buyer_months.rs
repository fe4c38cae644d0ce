//! Distinct buyers of whole months without reading every (day, buyer, cell) row: each
//! customer gets a small number (`customer_numbers`), and `monthly_buyers` holds, per
//! (month, grouping cell), the numbers of the customers who bought in it. A quarter's
//! distinct buyers per row then unnest three arrays per cell instead of scanning a quarter
//! of `buyer_cells` by uuid. Filled here from `buyer_cells`, so no rebuild is needed.

use sea_orm_migration::prelude::*;

const DIMS: &str = "vendor_id, category_id, top_category_id, campaign_id, channel, district, certified, buyer_kind";

/// `monthly_buyers` from `buyer_cells` (`jikgu reports rebuild` fills it the same way).
const FILL_MONTHLY_BUYERS: &str = "INSERT INTO reports.monthly_buyers \
     SELECT date_trunc('month', b.day)::date, b.vendor_id, b.category_id, b.top_category_id, b.campaign_id, \
         b.channel, b.district, b.certified, b.buyer_kind, array_agg(DISTINCT n.number ORDER BY n.number) \
     FROM reports.buyer_cells b JOIN reports.customer_numbers n ON n.customer_id = b.customer_id \
     GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9";

/// A number for every customer who has bought, in uuid order.
const FILL_CUSTOMER_NUMBERS: &str = "INSERT INTO reports.customer_numbers (customer_id) \
     SELECT DISTINCT customer_id FROM reports.buyer_days ORDER BY 1 ON CONFLICT (customer_id) DO NOTHING";

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let monthly = format!(
            "CREATE TABLE reports.monthly_buyers (day date NOT NULL, vendor_id uuid NOT NULL, \
                 category_id uuid NOT NULL, top_category_id uuid NOT NULL, campaign_id uuid NOT NULL, \
                 channel text NOT NULL, district text NOT NULL, certified boolean NOT NULL, \
                 buyer_kind text NOT NULL, customers int[] NOT NULL, PRIMARY KEY (day, {DIMS}))"
        );
        crate::sql::run(
            manager,
            &[
                "CREATE TABLE reports.customer_numbers (customer_id uuid PRIMARY KEY, \
                     number int GENERATED ALWAYS AS IDENTITY UNIQUE)",
                &monthly,
                "CREATE INDEX monthly_buyers_vendor ON reports.monthly_buyers (vendor_id, day)",
                // The live consumer asks whether a customer still bought in a cell in a month.
                "CREATE INDEX buyer_cells_customer ON reports.buyer_cells (customer_id, day)",
                // New buyers of a period: a range of first days, not the period's buyers.
                "CREATE INDEX first_days_vendor_day ON reports.first_days (vendor_id, first_day)",
                FILL_CUSTOMER_NUMBERS,
                FILL_MONTHLY_BUYERS,
                "ANALYZE reports.customer_numbers, reports.monthly_buyers",
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::sql::run(
            manager,
            &[
                "DROP TABLE reports.monthly_buyers, reports.customer_numbers",
                "DROP INDEX reports.buyer_cells_customer",
                "DROP INDEX reports.first_days_vendor_day",
            ],
        )
        .await
    }
}
