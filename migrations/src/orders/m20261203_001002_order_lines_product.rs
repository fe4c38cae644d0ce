//! Order lines by product: how an open-market sale finds the attribution the shop recorded
//! at its latest sale of the same product (`orders::sales_facts::attribution_as_of`).

crate::sql::sql_migration!(
    up: ["CREATE INDEX order_lines_product ON orders.order_lines (product_id)"],
    down: ["DROP INDEX orders.order_lines_product"],
);
