//! Campaigns (기획전) with their sections, product slots and membership rules, campaign
//! prices, time deals and what each customer took of them, coupons with their issues,
//! redemptions and daily first-come drops, vendors' applications to campaigns, the audit
//! trail of every marketing change, and the campaign statistics fed by order events.
//!
//! Counters that must never go over their limit (deal units sold, coupon uses and budget,
//! a drop's daily quota) are CHECK-constrained as well as updated conditionally.

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
                "CREATE TABLE promotions.campaigns (
                    id uuid PRIMARY KEY,
                    title text NOT NULL,
                    slug text NOT NULL UNIQUE,
                    theme text NOT NULL DEFAULT '',
                    description text NOT NULL DEFAULT '',
                    banner_pc text,
                    banner_mobile text,
                    starts_at timestamptz NOT NULL,
                    -- Moved to the instant of an early end; the planned end is in the audit.
                    ends_at timestamptz NOT NULL,
                    status text NOT NULL CHECK (status IN ('draft', 'scheduled', 'live', 'ended')),
                    ended_early_at timestamptz,
                    -- Rule-based membership: [{\"kind\": \"category\", \"id\": ...}, ...]
                    membership jsonb NOT NULL DEFAULT '[]',
                    created_by uuid NOT NULL,
                    created_at timestamptz NOT NULL DEFAULT now(),
                    updated_at timestamptz NOT NULL DEFAULT now(),
                    CHECK (ends_at > starts_at OR ended_early_at IS NOT NULL)
                )",
                "CREATE INDEX campaigns_window ON promotions.campaigns (starts_at, ends_at) WHERE status <> 'draft'",
                "CREATE TABLE promotions.campaign_sections (
                    id uuid PRIMARY KEY,
                    campaign_id uuid NOT NULL REFERENCES promotions.campaigns (id) ON DELETE CASCADE,
                    title text NOT NULL,
                    position int NOT NULL DEFAULT 0,
                    created_at timestamptz NOT NULL DEFAULT now()
                )",
                "CREATE INDEX campaign_sections_campaign ON promotions.campaign_sections (campaign_id, position)",
                "CREATE TABLE promotions.campaign_slots (
                    section_id uuid NOT NULL REFERENCES promotions.campaign_sections (id) ON DELETE CASCADE,
                    product_id uuid NOT NULL,
                    position int NOT NULL DEFAULT 0,
                    PRIMARY KEY (section_id, product_id)
                )",
                "CREATE TABLE promotions.campaign_prices (
                    id uuid PRIMARY KEY,
                    campaign_id uuid NOT NULL REFERENCES promotions.campaigns (id) ON DELETE CASCADE,
                    product_id uuid NOT NULL,
                    -- NULL: every variant of the product.
                    variant_id uuid,
                    kind text NOT NULL CHECK (kind IN ('percent', 'amount_off', 'fixed_price')),
                    value bigint NOT NULL CHECK (value >= 0),
                    floor bigint NOT NULL DEFAULT 0 CHECK (floor >= 0),
                    -- The vendor application it came from, if any.
                    application_id uuid,
                    created_by uuid NOT NULL,
                    created_at timestamptz NOT NULL DEFAULT now(),
                    CHECK (kind <> 'percent' OR value BETWEEN 1 AND 100),
                    UNIQUE NULLS NOT DISTINCT (campaign_id, product_id, variant_id)
                )",
                "CREATE INDEX campaign_prices_product ON promotions.campaign_prices (product_id)",
                "CREATE TABLE promotions.time_deals (
                    id uuid PRIMARY KEY,
                    campaign_id uuid REFERENCES promotions.campaigns (id) ON DELETE SET NULL,
                    product_id uuid NOT NULL,
                    variant_id uuid NOT NULL,
                    deal_price bigint NOT NULL CHECK (deal_price > 0),
                    starts_at timestamptz NOT NULL,
                    ends_at timestamptz NOT NULL,
                    quantity int NOT NULL CHECK (quantity > 0),
                    sold int NOT NULL DEFAULT 0,
                    per_customer_limit int CHECK (per_customer_limit > 0),
                    created_by uuid NOT NULL,
                    created_at timestamptz NOT NULL DEFAULT now(),
                    CHECK (ends_at > starts_at),
                    CHECK (sold >= 0 AND sold <= quantity)
                )",
                "CREATE INDEX time_deals_window ON promotions.time_deals (starts_at, ends_at)",
                "CREATE INDEX time_deals_variant ON promotions.time_deals (variant_id)",
                "CREATE TABLE promotions.deal_purchases (
                    deal_id uuid NOT NULL REFERENCES promotions.time_deals (id) ON DELETE CASCADE,
                    customer_id uuid NOT NULL,
                    quantity int NOT NULL CHECK (quantity >= 0),
                    PRIMARY KEY (deal_id, customer_id)
                )",
                "CREATE INDEX deal_purchases_customer ON promotions.deal_purchases (customer_id)",
                "CREATE TABLE promotions.coupons (
                    id uuid PRIMARY KEY,
                    -- NULL for coupons that are only issued to customers.
                    code text UNIQUE,
                    name text NOT NULL,
                    kind text NOT NULL CHECK (kind IN ('percent', 'amount_off', 'free_shipping')),
                    percent int CHECK (percent BETWEEN 1 AND 100),
                    cap bigint CHECK (cap > 0),
                    amount bigint CHECK (amount > 0),
                    min_order bigint NOT NULL DEFAULT 0 CHECK (min_order >= 0),
                    scope_kind text NOT NULL CHECK (scope_kind IN ('all', 'campaign', 'vendor', 'category')),
                    scope_id uuid,
                    starts_at timestamptz NOT NULL,
                    ends_at timestamptz NOT NULL,
                    total_uses int CHECK (total_uses > 0),
                    per_customer_limit int CHECK (per_customer_limit > 0),
                    budget bigint CHECK (budget > 0),
                    used_count int NOT NULL DEFAULT 0,
                    spent bigint NOT NULL DEFAULT 0,
                    disabled_at timestamptz,
                    created_by uuid NOT NULL,
                    created_at timestamptz NOT NULL DEFAULT now(),
                    updated_at timestamptz NOT NULL DEFAULT now(),
                    CHECK (ends_at > starts_at),
                    CHECK ((scope_kind = 'all') = (scope_id IS NULL)),
                    CHECK (kind <> 'percent' OR percent IS NOT NULL),
                    CHECK (kind <> 'amount_off' OR amount IS NOT NULL),
                    CHECK (used_count >= 0 AND (total_uses IS NULL OR used_count <= total_uses)),
                    CHECK (spent >= 0 AND (budget IS NULL OR spent <= budget))
                )",
                "CREATE TABLE promotions.coupon_issues (
                    id uuid PRIMARY KEY,
                    coupon_id uuid NOT NULL REFERENCES promotions.coupons (id) ON DELETE CASCADE,
                    customer_id uuid NOT NULL,
                    -- The daily drop it was claimed from, if any.
                    drop_id uuid,
                    issued_at timestamptz NOT NULL DEFAULT now(),
                    UNIQUE (coupon_id, customer_id)
                )",
                "CREATE INDEX coupon_issues_customer ON promotions.coupon_issues (customer_id)",
                "CREATE TABLE promotions.coupon_redemptions (
                    id uuid PRIMARY KEY,
                    coupon_id uuid NOT NULL REFERENCES promotions.coupons (id),
                    customer_id uuid NOT NULL,
                    order_id uuid NOT NULL,
                    -- 1 for the customer's first use of this coupon, 2 for the second...
                    use_no int NOT NULL CHECK (use_no > 0),
                    discount bigint NOT NULL CHECK (discount >= 0),
                    redeemed_at timestamptz NOT NULL DEFAULT now(),
                    UNIQUE (coupon_id, order_id),
                    UNIQUE (coupon_id, customer_id, use_no)
                )",
                "CREATE INDEX coupon_redemptions_order ON promotions.coupon_redemptions (order_id)",
                "CREATE TABLE promotions.coupon_drops (
                    id uuid PRIMARY KEY,
                    coupon_id uuid NOT NULL REFERENCES promotions.coupons (id) ON DELETE CASCADE,
                    daily_quota int NOT NULL CHECK (daily_quota > 0),
                    -- Asia/Seoul wall-clock time the day's quota opens.
                    opens_at time NOT NULL,
                    first_day date NOT NULL,
                    last_day date NOT NULL,
                    created_by uuid NOT NULL,
                    created_at timestamptz NOT NULL DEFAULT now(),
                    CHECK (last_day >= first_day)
                )",
                "CREATE TABLE promotions.coupon_drop_days (
                    drop_id uuid NOT NULL REFERENCES promotions.coupon_drops (id) ON DELETE CASCADE,
                    day date NOT NULL,
                    claimed int NOT NULL CHECK (claimed >= 0),
                    PRIMARY KEY (drop_id, day)
                )",
                "CREATE TABLE promotions.campaign_applications (
                    id uuid PRIMARY KEY,
                    campaign_id uuid NOT NULL REFERENCES promotions.campaigns (id) ON DELETE CASCADE,
                    vendor_id uuid NOT NULL,
                    product_id uuid NOT NULL,
                    discount_kind text NOT NULL CHECK (discount_kind IN ('percent', 'amount_off', 'fixed_price')),
                    discount_value bigint NOT NULL CHECK (discount_value > 0),
                    note text NOT NULL DEFAULT '',
                    status text NOT NULL CHECK (status IN ('pending', 'approved', 'rejected', 'withdrawn')),
                    decision_reason text,
                    decided_by uuid,
                    decided_at timestamptz,
                    created_at timestamptz NOT NULL DEFAULT now(),
                    updated_at timestamptz NOT NULL DEFAULT now()
                )",
                // One open application per product and campaign.
                "CREATE UNIQUE INDEX campaign_applications_open ON promotions.campaign_applications (campaign_id, product_id) WHERE status IN ('pending', 'approved')",
                "CREATE INDEX campaign_applications_vendor ON promotions.campaign_applications (vendor_id, id DESC)",
                "CREATE TABLE promotions.audit_log (
                    id uuid PRIMARY KEY,
                    actor_id uuid,
                    actor_role text NOT NULL,
                    action text NOT NULL,
                    entity text NOT NULL,
                    entity_id uuid NOT NULL,
                    before jsonb,
                    after jsonb,
                    at timestamptz NOT NULL DEFAULT now()
                )",
                "CREATE INDEX audit_log_entity ON promotions.audit_log (entity_id, id)",
                // Statistics from `orders.sale` events: one row per (campaign, order) makes the
                // consumer idempotent; the totals move only when that row is new.
                "CREATE TABLE promotions.campaign_stat_orders (
                    campaign_id uuid NOT NULL,
                    order_id uuid NOT NULL,
                    units bigint NOT NULL,
                    revenue bigint NOT NULL,
                    counted_at timestamptz NOT NULL DEFAULT now(),
                    PRIMARY KEY (campaign_id, order_id)
                )",
                "CREATE TABLE promotions.campaign_stats (
                    campaign_id uuid PRIMARY KEY,
                    orders bigint NOT NULL DEFAULT 0,
                    units bigint NOT NULL DEFAULT 0,
                    revenue bigint NOT NULL DEFAULT 0,
                    updated_at timestamptz NOT NULL DEFAULT now()
                )",
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        sql::run(
            manager,
            &[
                "DROP TABLE promotions.campaign_stats",
                "DROP TABLE promotions.campaign_stat_orders",
                "DROP TABLE promotions.audit_log",
                "DROP TABLE promotions.campaign_applications",
                "DROP TABLE promotions.coupon_drop_days",
                "DROP TABLE promotions.coupon_drops",
                "DROP TABLE promotions.coupon_redemptions",
                "DROP TABLE promotions.coupon_issues",
                "DROP TABLE promotions.coupons",
                "DROP TABLE promotions.deal_purchases",
                "DROP TABLE promotions.time_deals",
                "DROP TABLE promotions.campaign_prices",
                "DROP TABLE promotions.campaign_slots",
                "DROP TABLE promotions.campaign_sections",
                "DROP TABLE promotions.campaigns",
            ],
        )
        .await
    }
}
