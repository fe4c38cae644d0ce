//! The organisation tables' columns that hold the same values as the order's take the
//! order's domains (`m20261211_000201_order_domains`), so each value list is written once:
//! a quotation's organisation kind, a quoted line's quantity and an organisation invoice's
//! amount. Their table `CHECK`s said what the domains say.
//!
//! Unlike that migration's, these domains already carry their rules, and Postgres rewrites
//! a table (and rebuilds its indexes) when a column moves to a domain with rules: checked,
//! each of the three tables and its indexes get a new `relfilenode`. That is taken here:
//! the three hold only organisations' quotations and invoices, a small part of the orders'
//! rows, and the alternative, dropping the domains' rules while the columns move, would
//! check every order, order line, attribution row and cart line again when the rules are
//! added back. The three are off checkout's path: this is for the one list, not for speed.

crate::sql::sql_migration!(
    up: [
        "ALTER TABLE orders.quotations
           DROP CONSTRAINT quotations_organisation_kind_check,
           ALTER COLUMN organisation_kind TYPE orders.organisation_kind",
        "ALTER TABLE orders.quotation_lines
           DROP CONSTRAINT quotation_lines_quantity_check,
           ALTER COLUMN quantity TYPE orders.quantity",
        "ALTER TABLE orders.org_invoices
           DROP CONSTRAINT org_invoices_amount_check,
           ALTER COLUMN amount TYPE orders.amount",
    ],
    down: [
        "ALTER TABLE orders.org_invoices
           ALTER COLUMN amount TYPE bigint,
           ADD CONSTRAINT org_invoices_amount_check CHECK (amount >= 0)",
        "ALTER TABLE orders.quotation_lines
           ALTER COLUMN quantity TYPE integer,
           ADD CONSTRAINT quotation_lines_quantity_check CHECK (quantity > 0)",
        "ALTER TABLE orders.quotations
           ALTER COLUMN organisation_kind TYPE text,
           ADD CONSTRAINT quotations_organisation_kind_check
             CHECK (organisation_kind IN ('public_institution', 'company'))",
    ],
);
