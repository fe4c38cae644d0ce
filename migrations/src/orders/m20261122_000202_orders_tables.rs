//! Carts, orders (one per checkout) split into vendor orders (one per vendor, shipped
//! apart), their lines and history, payments, webhook deliveries already applied, and
//! idempotency records for requests that move money.

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
                "CREATE TABLE orders.carts (
                    id uuid PRIMARY KEY,
                    -- Anonymous carts are found by the hash of their token; customer carts by owner.
                    token_hash text UNIQUE,
                    customer_id uuid,
                    created_at timestamptz NOT NULL DEFAULT now(),
                    updated_at timestamptz NOT NULL DEFAULT now(),
                    CHECK ((token_hash IS NULL) <> (customer_id IS NULL))
                )",
                "CREATE UNIQUE INDEX carts_customer ON orders.carts (customer_id) WHERE customer_id IS NOT NULL",
                "CREATE INDEX carts_idle ON orders.carts (updated_at)",
                "CREATE TABLE orders.cart_lines (
                    cart_id uuid NOT NULL REFERENCES orders.carts (id) ON DELETE CASCADE,
                    variant_id uuid NOT NULL,
                    quantity int NOT NULL CHECK (quantity > 0),
                    -- The unit price when added, to flag a change since.
                    seen_unit_price bigint NOT NULL,
                    added_at timestamptz NOT NULL DEFAULT now(),
                    PRIMARY KEY (cart_id, variant_id)
                )",
                "CREATE TABLE orders.orders (
                    id uuid PRIMARY KEY,
                    number text NOT NULL UNIQUE,
                    customer_id uuid NOT NULL,
                    status text NOT NULL CHECK (status IN ('pending_payment', 'paid', 'canceled', 'expired', 'completed')),
                    list_subtotal bigint NOT NULL,
                    discount_total bigint NOT NULL,
                    shipping_total bigint NOT NULL,
                    grand_total bigint NOT NULL CHECK (grand_total >= 0),
                    taxable_total bigint NOT NULL,
                    tax_free_total bigint NOT NULL,
                    refunded_total bigint NOT NULL DEFAULT 0,
                    recipient text NOT NULL,
                    phone text NOT NULL,
                    postal_code text NOT NULL,
                    road_address text NOT NULL,
                    address_detail text NOT NULL,
                    building_no text,
                    coupon_code text,
                    quote jsonb NOT NULL,
                    payment_gateway text NOT NULL,
                    payment_ref text,
                    reserved_until timestamptz NOT NULL,
                    paid_at timestamptz,
                    closed_at timestamptz,
                    created_at timestamptz NOT NULL DEFAULT now(),
                    updated_at timestamptz NOT NULL DEFAULT now()
                )",
                "CREATE INDEX orders_customer ON orders.orders (customer_id, id DESC)",
                "CREATE INDEX orders_unpaid ON orders.orders (reserved_until) WHERE status = 'pending_payment'",
                "CREATE TABLE orders.vendor_orders (
                    id uuid PRIMARY KEY,
                    order_id uuid NOT NULL REFERENCES orders.orders (id),
                    vendor_id uuid NOT NULL,
                    status text NOT NULL CHECK (status IN ('awaiting_payment', 'preparing', 'shipped', 'delivered', 'confirmed', 'canceled')),
                    items_total bigint NOT NULL,
                    shipping_total bigint NOT NULL,
                    courier text,
                    tracking_number text,
                    shipped_at timestamptz,
                    delivered_at timestamptz,
                    confirmed_at timestamptz,
                    created_at timestamptz NOT NULL DEFAULT now(),
                    updated_at timestamptz NOT NULL DEFAULT now(),
                    UNIQUE (order_id, vendor_id)
                )",
                "CREATE INDEX vendor_orders_vendor ON orders.vendor_orders (vendor_id, id DESC)",
                "CREATE INDEX vendor_orders_delivered ON orders.vendor_orders (delivered_at) WHERE status = 'delivered'",
                "CREATE TABLE orders.order_lines (
                    id uuid PRIMARY KEY,
                    order_id uuid NOT NULL REFERENCES orders.orders (id),
                    vendor_order_id uuid NOT NULL REFERENCES orders.vendor_orders (id),
                    product_id uuid NOT NULL,
                    variant_id uuid NOT NULL,
                    vendor_id uuid NOT NULL,
                    title text NOT NULL,
                    variant_name text NOT NULL,
                    sku text NOT NULL,
                    quantity int NOT NULL CHECK (quantity > 0),
                    list_unit_price bigint NOT NULL,
                    unit_price bigint NOT NULL,
                    promotion_discount bigint NOT NULL,
                    coupon_discount bigint NOT NULL,
                    final_amount bigint NOT NULL CHECK (final_amount >= 0),
                    taxable boolean NOT NULL,
                    withdrawal_restricted boolean NOT NULL,
                    returned_quantity int NOT NULL DEFAULT 0 CHECK (returned_quantity >= 0 AND returned_quantity <= quantity),
                    refunded_amount bigint NOT NULL DEFAULT 0 CHECK (refunded_amount >= 0 AND refunded_amount <= final_amount)
                )",
                "CREATE INDEX order_lines_order ON orders.order_lines (order_id)",
                "CREATE TABLE orders.order_history (
                    id uuid PRIMARY KEY,
                    order_id uuid NOT NULL REFERENCES orders.orders (id),
                    vendor_order_id uuid,
                    from_status text,
                    to_status text NOT NULL,
                    actor text NOT NULL,
                    note text NOT NULL DEFAULT '',
                    created_at timestamptz NOT NULL DEFAULT now()
                )",
                "CREATE INDEX order_history_order ON orders.order_history (order_id, id)",
                "CREATE TABLE orders.payments (
                    id uuid PRIMARY KEY,
                    order_id uuid NOT NULL UNIQUE REFERENCES orders.orders (id),
                    gateway text NOT NULL,
                    payment_ref text NOT NULL UNIQUE,
                    amount bigint NOT NULL,
                    status text NOT NULL,
                    refunded bigint NOT NULL DEFAULT 0,
                    created_at timestamptz NOT NULL DEFAULT now(),
                    updated_at timestamptz NOT NULL DEFAULT now()
                )",
                // One row per gateway event applied: the primary key makes applying an
                // event a second time impossible, whatever the concurrency.
                "CREATE TABLE orders.payment_events (
                    gateway text NOT NULL,
                    event_id text NOT NULL,
                    order_id uuid,
                    kind text NOT NULL,
                    received_at timestamptz NOT NULL DEFAULT now(),
                    PRIMARY KEY (gateway, event_id)
                )",
                // 청약철회: a customer's request to return delivered goods, decided by the vendor.
                "CREATE TABLE orders.returns (
                    id uuid PRIMARY KEY,
                    order_id uuid NOT NULL REFERENCES orders.orders (id),
                    vendor_order_id uuid NOT NULL REFERENCES orders.vendor_orders (id),
                    vendor_id uuid NOT NULL,
                    status text NOT NULL CHECK (status IN ('requested', 'accepted', 'rejected')),
                    reason text NOT NULL CHECK (reason IN ('change_of_mind', 'defective', 'wrong_item')),
                    lines jsonb NOT NULL,
                    return_shipping_fee bigint NOT NULL DEFAULT 0,
                    refund_amount bigint,
                    created_at timestamptz NOT NULL DEFAULT now(),
                    decided_at timestamptz
                )",
                "CREATE INDEX returns_vendor ON orders.returns (vendor_id, id DESC)",
                "CREATE TABLE orders.idempotency_keys (
                    scope text NOT NULL,
                    key text NOT NULL,
                    request_hash text NOT NULL,
                    order_id uuid,
                    response jsonb,
                    created_at timestamptz NOT NULL DEFAULT now(),
                    PRIMARY KEY (scope, key)
                )",
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        sql::run(
            manager,
            &[
                "DROP TABLE orders.idempotency_keys",
                "DROP TABLE orders.returns",
                "DROP TABLE orders.payment_events",
                "DROP TABLE orders.payments",
                "DROP TABLE orders.order_history",
                "DROP TABLE orders.order_lines",
                "DROP TABLE orders.vendor_orders",
                "DROP TABLE orders.orders",
                "DROP TABLE orders.cart_lines",
                "DROP TABLE orders.carts",
            ],
        )
        .await
    }
}
