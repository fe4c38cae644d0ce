//! Orders of buyer organisations (issue 15).
//!
//! - `orders.organisation_id`, `organisation_kind` (a snapshot: the disclosure counts an
//!   order by what its buyer was when it bought), `purchase_order_number` (the buyer's
//!   own), `quotation_id`.
//! - Quotations (견적): one per request, one part per vendor (each vendor answers its
//!   own: shipping, validity, notes), lines with the catalog price when asked and the
//!   vendor's quoted unit price.
//! - `org_invoices`: a vendor order bought on credit (후불), until its transfer arrives.
//! - `tax_invoices`: a 세금계산서 asked for a vendor order, with the recipient's business
//!   identity as it was when asked, until the vendor records its approval number.

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
                    ADD COLUMN organisation_id uuid, \
                    ADD COLUMN organisation_kind text CHECK (organisation_kind IN ('public_institution', 'company')), \
                    ADD COLUMN purchase_order_number text, \
                    ADD COLUMN quotation_id uuid, \
                    ADD CONSTRAINT orders_organisation_kind CHECK ((organisation_id IS NULL) = (organisation_kind IS NULL))",
                "CREATE INDEX orders_organisation ON orders.orders (organisation_id, id DESC) WHERE organisation_id IS NOT NULL",
                "CREATE TABLE orders.quotations (
                    id uuid PRIMARY KEY,
                    number text NOT NULL UNIQUE,
                    organisation_id uuid NOT NULL,
                    organisation_kind text NOT NULL CHECK (organisation_kind IN ('public_institution', 'company')),
                    requested_by uuid NOT NULL,
                    status text NOT NULL CHECK (status IN ('requested', 'partially_answered', 'answered', 'accepted', 'expired', 'withdrawn', 'declined')),
                    delivery_date date NOT NULL,
                    notes text NOT NULL DEFAULT '',
                    address jsonb NOT NULL,
                    accepted_by uuid,
                    accepted_at timestamptz,
                    order_id uuid REFERENCES orders.orders (id),
                    created_at timestamptz NOT NULL DEFAULT now(),
                    updated_at timestamptz NOT NULL DEFAULT now()
                )",
                "CREATE INDEX quotations_organisation ON orders.quotations (organisation_id, id DESC)",
                "CREATE TABLE orders.quotation_parts (
                    id uuid PRIMARY KEY,
                    quotation_id uuid NOT NULL REFERENCES orders.quotations (id),
                    vendor_id uuid NOT NULL,
                    status text NOT NULL CHECK (status IN ('requested', 'answered', 'declined')),
                    shipping_fee bigint CHECK (shipping_fee >= 0),
                    valid_until timestamptz,
                    vendor_notes text NOT NULL DEFAULT '',
                    answered_at timestamptz,
                    UNIQUE (quotation_id, vendor_id),
                    CHECK (status <> 'answered' OR (shipping_fee IS NOT NULL AND valid_until IS NOT NULL))
                )",
                "CREATE INDEX quotation_parts_vendor ON orders.quotation_parts (vendor_id, id DESC)",
                "CREATE TABLE orders.quotation_lines (
                    id uuid PRIMARY KEY,
                    quotation_id uuid NOT NULL REFERENCES orders.quotations (id),
                    part_id uuid NOT NULL REFERENCES orders.quotation_parts (id),
                    position int NOT NULL,
                    variant_id uuid NOT NULL,
                    product_id uuid NOT NULL,
                    title text NOT NULL,
                    variant_name text NOT NULL,
                    sku text NOT NULL,
                    quantity int NOT NULL CHECK (quantity > 0),
                    list_unit_price bigint NOT NULL CHECK (list_unit_price >= 0),
                    quoted_unit_price bigint CHECK (quoted_unit_price >= 0),
                    taxable boolean NOT NULL,
                    UNIQUE (quotation_id, variant_id)
                )",
                "CREATE INDEX quotation_lines_part ON orders.quotation_lines (part_id, position)",
                "CREATE TABLE orders.org_invoices (
                    vendor_order_id uuid PRIMARY KEY REFERENCES orders.vendor_orders (id),
                    order_id uuid NOT NULL REFERENCES orders.orders (id),
                    organisation_id uuid NOT NULL,
                    vendor_id uuid NOT NULL,
                    amount bigint NOT NULL CHECK (amount >= 0),
                    due_on date NOT NULL,
                    paid_at timestamptz,
                    recorded_by uuid,
                    created_at timestamptz NOT NULL DEFAULT now()
                )",
                "CREATE INDEX org_invoices_open ON orders.org_invoices (due_on) WHERE paid_at IS NULL",
                "CREATE INDEX org_invoices_organisation ON orders.org_invoices (organisation_id, due_on)",
                "CREATE INDEX org_invoices_vendor ON orders.org_invoices (vendor_id, due_on)",
                "CREATE TABLE orders.tax_invoices (
                    vendor_order_id uuid PRIMARY KEY REFERENCES orders.vendor_orders (id),
                    order_id uuid NOT NULL REFERENCES orders.orders (id),
                    organisation_id uuid NOT NULL,
                    vendor_id uuid NOT NULL,
                    recipient jsonb NOT NULL,
                    supply_amount bigint NOT NULL,
                    vat_amount bigint NOT NULL,
                    total bigint NOT NULL,
                    requested_at timestamptz NOT NULL DEFAULT now(),
                    approval_number text UNIQUE,
                    issued_at timestamptz,
                    CHECK ((approval_number IS NULL) = (issued_at IS NULL))
                )",
                "CREATE INDEX tax_invoices_vendor ON orders.tax_invoices (vendor_id, requested_at)",
                "CREATE INDEX tax_invoices_organisation ON orders.tax_invoices (organisation_id, requested_at)",
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        sql::run(
            manager,
            &[
                "DROP TABLE orders.tax_invoices",
                "DROP TABLE orders.org_invoices",
                "DROP TABLE orders.quotation_lines",
                "DROP TABLE orders.quotation_parts",
                "DROP TABLE orders.quotations",
                "DROP INDEX orders.orders_organisation",
                "ALTER TABLE orders.orders DROP CONSTRAINT orders_organisation_kind, \
                    DROP COLUMN quotation_id, DROP COLUMN purchase_order_number, \
                    DROP COLUMN organisation_kind, DROP COLUMN organisation_id",
            ],
        )
        .await
    }
}
