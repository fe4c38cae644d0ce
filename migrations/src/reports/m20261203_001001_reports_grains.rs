//! The 실적 rollups at the grains the report reads: per day and per month without the
//! product (the groupings), per day and per month by product (top products, campaign
//! effect), and per day and buyer (distinct buyers in each row of a grouping). The
//! product-level `daily_sales` they replace is dropped. Every table is the sum of the
//! orders' stored contributions, so they are filled here from
//! `reports.order_contributions` and no rebuild is needed after migrating.

/// One contribution cell per row: its key, its measures and its order's customer.
const CELLS: &str = "WITH c AS (SELECT o.customer_id, (e->0->>'day')::date AS day, (e->0->>'product_id')::uuid AS product_id, \
         (e->0->>'vendor_id')::uuid AS vendor_id, (e->0->>'category_id')::uuid AS category_id, \
         (e->0->>'top_category_id')::uuid AS top_category_id, (e->0->>'campaign_id')::uuid AS campaign_id, \
         e->0->>'channel' AS channel, e->0->>'district' AS district, (e->0->>'certified')::bool AS certified, \
         e->0->>'buyer_kind' AS buyer_kind, (e->1->>'orders')::int8 AS orders, (e->1->>'units')::int8 AS units, \
         (e->1->>'gross')::int8 AS gross, (e->1->>'vendor_discount')::int8 AS vendor_discount, \
         (e->1->>'platform_discount')::int8 AS platform_discount, (e->1->>'refunds')::int8 AS refunds, \
         (e->1->>'refunded_units')::int8 AS refunded_units, (e->1->>'net')::int8 AS net, o.order_id \
     FROM reports.order_contributions o, jsonb_array_elements(o.cells->'cells') e)";

const SUMS: &str = "sum(orders), sum(units), sum(gross), sum(vendor_discount), sum(platform_discount), \
     sum(refunds), sum(refunded_units), sum(net)";

const MEASURES: &str = "orders bigint NOT NULL, units bigint NOT NULL, gross bigint NOT NULL, \
     vendor_discount bigint NOT NULL, platform_discount bigint NOT NULL, refunds bigint NOT NULL, \
     refunded_units bigint NOT NULL, net bigint NOT NULL";

const DIMS: &str = "vendor_id, category_id, top_category_id, campaign_id, channel, district, certified, buyer_kind";

const DIM_TYPES: &str = "vendor_id uuid NOT NULL, category_id uuid NOT NULL, top_category_id uuid NOT NULL, \
     campaign_id uuid NOT NULL, channel text NOT NULL, district text NOT NULL, certified boolean NOT NULL, \
     buyer_kind text NOT NULL";

fn up() -> Vec<String> {
    let mut out = vec!["DROP TABLE reports.daily_sales".to_owned()];
    for (table, day) in [
        ("daily_sales", "day"),
        ("monthly_sales", "date_trunc('month', day)::date"),
    ] {
        out.push(format!(
            "CREATE TABLE reports.{table} (day date NOT NULL, {DIM_TYPES}, {MEASURES}, PRIMARY KEY (day, {DIMS}))"
        ));
        out.push(format!(
            "INSERT INTO reports.{table} {CELLS} SELECT {day}, {DIMS}, {SUMS} FROM c GROUP BY 1, {DIMS} \
             HAVING ({SUMS}) <> (0, 0, 0, 0, 0, 0, 0, 0)"
        ));
        out.push(format!(
            "CREATE INDEX {table}_vendor ON reports.{table} (vendor_id, day)"
        ));
    }
    for (table, day) in [
        ("daily_products", "day"),
        ("monthly_products", "date_trunc('month', day)::date"),
    ] {
        out.push(format!(
            "CREATE TABLE reports.{table} (day date NOT NULL, product_id uuid NOT NULL, vendor_id uuid NOT NULL, \
                 campaign_id uuid NOT NULL, {MEASURES}, PRIMARY KEY (day, product_id, vendor_id, campaign_id))"
        ));
        out.push(format!(
            "INSERT INTO reports.{table} {CELLS} SELECT {day}, product_id, vendor_id, campaign_id, {SUMS} FROM c \
             GROUP BY 1, 2, 3, 4 HAVING ({SUMS}) <> (0, 0, 0, 0, 0, 0, 0, 0)"
        ));
    }
    // A campaign's products, then their sales around it (the campaign effect).
    out.push(
        "CREATE INDEX daily_products_campaign ON reports.daily_products (campaign_id, day)"
            .to_owned(),
    );
    out.push(
        "CREATE INDEX daily_products_product ON reports.daily_products (product_id, day)"
            .to_owned(),
    );
    // A buyer counts in a cell on the days they bought in it (refunds do not make buyers).
    out.push(format!(
        "CREATE TABLE reports.buyer_cells (day date NOT NULL, customer_id uuid NOT NULL, {DIM_TYPES}, \
             orders bigint NOT NULL, PRIMARY KEY (day, customer_id, {DIMS}))"
    ));
    out.push(format!(
        "INSERT INTO reports.buyer_cells {CELLS} SELECT day, customer_id, {DIMS}, count(DISTINCT order_id) FROM c \
         WHERE orders > 0 GROUP BY day, customer_id, {DIMS}"
    ));
    // Each customer's first buying day, from any vendor (nil) and from each.
    out.push(
        "CREATE TABLE reports.first_days (customer_id uuid NOT NULL, vendor_id uuid NOT NULL, \
             first_day date NOT NULL, PRIMARY KEY (customer_id, vendor_id))"
            .to_owned(),
    );
    out.push(
        "INSERT INTO reports.first_days SELECT customer_id, \
             COALESCE(vendor_id, '00000000-0000-0000-0000-000000000000'), min(day) FROM reports.buyer_days \
         GROUP BY GROUPING SETS ((customer_id, vendor_id), (customer_id))"
            .to_owned(),
    );
    out.push(
        "ANALYZE reports.first_days, reports.daily_sales, reports.monthly_sales, reports.daily_products, \
         reports.monthly_products, reports.buyer_cells"
            .to_owned(),
    );
    out
}

fn down() -> Vec<String> {
    vec![
        "DROP TABLE reports.daily_sales, reports.monthly_sales, reports.daily_products, \
         reports.monthly_products, reports.buyer_cells, reports.first_days"
            .to_owned(),
        format!(
            "CREATE TABLE reports.daily_sales (day date NOT NULL, product_id uuid NOT NULL, {DIM_TYPES}, {MEASURES}, \
                 PRIMARY KEY (day, product_id, {DIMS}))"
        ),
        format!(
            "INSERT INTO reports.daily_sales {CELLS} SELECT day, product_id, {DIMS}, {SUMS} FROM c \
             GROUP BY day, product_id, {DIMS}"
        ),
        "CREATE INDEX daily_sales_vendor ON reports.daily_sales (vendor_id, day)".to_owned(),
    ]
}

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let stmts = up();
        crate::sql::run(
            manager,
            &stmts.iter().map(String::as_str).collect::<Vec<_>>(),
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let stmts = down();
        crate::sql::run(
            manager,
            &stmts.iter().map(String::as_str).collect::<Vec<_>>(),
        )
        .await
    }
}
