//! The columns a checkout writes get their own rules from their types (domains) instead of
//! table `CHECK`s, as `catalog.variants` does (see the catalog's migration of the same
//! day): Postgres parses and plans a table's `CHECK`s for every statement that writes the
//! table, a domain's once per backend. A cart write and a checkout write these tables on
//! every order.
//!
//! The rules between two columns stay table `CHECK`s (a domain sees one value): a line's
//! returned and refunded parts within it, an order's organisation and its kind given
//! together, a line's campaign and how it applied given together, a payment's refunds
//! within its amount, a cart's one owner. The domains are created without their rule,
//! the columns moved to them (a relabelling: no table is rewritten, only the two partial
//! indexes whose predicates name a status are rebuilt), and each rule added last, which
//! checks every row once.

crate::sql::sql_migration!(
    up: [
        "CREATE DOMAIN orders.quantity AS integer",
        "CREATE DOMAIN orders.amount AS bigint",
        "CREATE DOMAIN orders.order_status AS text",
        "CREATE DOMAIN orders.vendor_order_status AS text",
        "CREATE DOMAIN orders.sales_channel AS text",
        "CREATE DOMAIN orders.buyer_kind AS text",
        "CREATE DOMAIN orders.organisation_kind AS text",
        "CREATE DOMAIN orders.campaign_via AS text",
        "ALTER TABLE orders.cart_lines
           DROP CONSTRAINT cart_lines_quantity_check,
           ALTER COLUMN quantity TYPE orders.quantity",
        "ALTER TABLE orders.orders
           DROP CONSTRAINT orders_status_check,
           DROP CONSTRAINT orders_grand_total_check,
           DROP CONSTRAINT orders_channel_check,
           DROP CONSTRAINT orders_buyer_kind_check,
           DROP CONSTRAINT orders_organisation_kind_check,
           ALTER COLUMN status TYPE orders.order_status,
           ALTER COLUMN grand_total TYPE orders.amount,
           ALTER COLUMN channel TYPE orders.sales_channel,
           ALTER COLUMN buyer_kind TYPE orders.buyer_kind,
           ALTER COLUMN organisation_kind TYPE orders.organisation_kind",
        "ALTER TABLE orders.vendor_orders
           DROP CONSTRAINT vendor_orders_status_check,
           ALTER COLUMN status TYPE orders.vendor_order_status",
        "ALTER TABLE orders.order_lines
           DROP CONSTRAINT order_lines_quantity_check,
           DROP CONSTRAINT order_lines_final_amount_check,
           ALTER COLUMN quantity TYPE orders.quantity,
           ALTER COLUMN final_amount TYPE orders.amount",
        "ALTER TABLE orders.line_attribution
           DROP CONSTRAINT line_attribution_campaign_via_check,
           DROP CONSTRAINT line_attribution_vendor_discount_check,
           ALTER COLUMN campaign_via TYPE orders.campaign_via,
           ALTER COLUMN vendor_discount TYPE orders.amount",
        "ALTER DOMAIN orders.quantity ADD CONSTRAINT quantity_positive CHECK (VALUE > 0)",
        "ALTER DOMAIN orders.amount ADD CONSTRAINT amount_not_negative CHECK (VALUE >= 0)",
        "ALTER DOMAIN orders.order_status ADD CONSTRAINT order_status_known
           CHECK (VALUE IN ('pending_payment', 'paid', 'canceled', 'expired', 'completed'))",
        "ALTER DOMAIN orders.vendor_order_status ADD CONSTRAINT vendor_order_status_known
           CHECK (VALUE IN ('awaiting_payment', 'preparing', 'shipped', 'delivered', 'confirmed', 'canceled'))",
        "ALTER DOMAIN orders.sales_channel ADD CONSTRAINT sales_channel_known
           CHECK (VALUE IN ('web', 'app', '11st', 'lotteon', 'gmarket', 'coupang', 'naver_smartstore'))",
        "ALTER DOMAIN orders.buyer_kind ADD CONSTRAINT buyer_kind_known
           CHECK (VALUE IN ('consumer', 'organisation', 'public_institution'))",
        "ALTER DOMAIN orders.organisation_kind ADD CONSTRAINT organisation_kind_known
           CHECK (VALUE IN ('public_institution', 'company'))",
        "ALTER DOMAIN orders.campaign_via ADD CONSTRAINT campaign_via_known
           CHECK (VALUE IN ('price', 'coupon'))",
    ],
    down: [
        "ALTER TABLE orders.line_attribution
           ALTER COLUMN campaign_via TYPE text,
           ALTER COLUMN vendor_discount TYPE bigint,
           ADD CONSTRAINT line_attribution_campaign_via_check CHECK (campaign_via IN ('price', 'coupon')),
           ADD CONSTRAINT line_attribution_vendor_discount_check CHECK (vendor_discount >= 0)",
        "ALTER TABLE orders.order_lines
           ALTER COLUMN quantity TYPE integer,
           ALTER COLUMN final_amount TYPE bigint,
           ADD CONSTRAINT order_lines_quantity_check CHECK (quantity > 0),
           ADD CONSTRAINT order_lines_final_amount_check CHECK (final_amount >= 0)",
        "ALTER TABLE orders.vendor_orders
           ALTER COLUMN status TYPE text,
           ADD CONSTRAINT vendor_orders_status_check
             CHECK (status IN ('awaiting_payment', 'preparing', 'shipped', 'delivered', 'confirmed', 'canceled'))",
        "ALTER TABLE orders.orders
           ALTER COLUMN status TYPE text,
           ALTER COLUMN grand_total TYPE bigint,
           ALTER COLUMN channel TYPE text,
           ALTER COLUMN buyer_kind TYPE text,
           ALTER COLUMN organisation_kind TYPE text,
           ADD CONSTRAINT orders_status_check
             CHECK (status IN ('pending_payment', 'paid', 'canceled', 'expired', 'completed')),
           ADD CONSTRAINT orders_grand_total_check CHECK (grand_total >= 0),
           ADD CONSTRAINT orders_channel_check
             CHECK (channel IN ('web', 'app', '11st', 'lotteon', 'gmarket', 'coupang', 'naver_smartstore')),
           ADD CONSTRAINT orders_buyer_kind_check
             CHECK (buyer_kind IN ('consumer', 'organisation', 'public_institution')),
           ADD CONSTRAINT orders_organisation_kind_check
             CHECK (organisation_kind IN ('public_institution', 'company'))",
        "ALTER TABLE orders.cart_lines
           ALTER COLUMN quantity TYPE integer,
           ADD CONSTRAINT cart_lines_quantity_check CHECK (quantity > 0)",
        "DROP DOMAIN orders.campaign_via",
        "DROP DOMAIN orders.organisation_kind",
        "DROP DOMAIN orders.buyer_kind",
        "DROP DOMAIN orders.sales_channel",
        "DROP DOMAIN orders.vendor_order_status",
        "DROP DOMAIN orders.order_status",
        "DROP DOMAIN orders.amount",
        "DROP DOMAIN orders.quantity",
    ],
);
