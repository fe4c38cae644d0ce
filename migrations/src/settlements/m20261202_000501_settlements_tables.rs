//! The `settlements` schema: the append-only ledger (a trigger refuses any UPDATE or
//! DELETE of an entry; one unique key per source event, kind and line makes a replayed
//! booking a no-op), the policies it is booked under (commission rules, payment fees,
//! discount funding, each vendor's cycle and taxpayer kind, the shop-wide settings and
//! the public holidays), holds, statements and the entries each one settles (an entry
//! is in at most one statement), bank accounts, payouts and commission tax invoices.

use crate::sql;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Korean public holidays (관공서의 공휴일에 관한 규정, substitutes included) and 근로자의 날
/// (banks close), 2026–2027. Data, not code: a city checks them against the 관보 and edits
/// the table.
const HOLIDAYS: &str = "INSERT INTO settlements.holidays (day, name) VALUES
    ('2026-01-01', '신정'), ('2026-02-16', '설날 연휴'), ('2026-02-17', '설날'), ('2026-02-18', '설날 연휴'),
    ('2026-03-02', '삼일절 대체공휴일'), ('2026-05-01', '근로자의 날'), ('2026-05-05', '어린이날'),
    ('2026-05-25', '부처님오신날 대체공휴일'), ('2026-06-03', '전국동시지방선거'), ('2026-08-17', '광복절 대체공휴일'),
    ('2026-09-24', '추석 연휴'), ('2026-09-25', '추석'), ('2026-09-26', '추석 연휴'),
    ('2026-10-05', '개천절 대체공휴일'), ('2026-10-09', '한글날'), ('2026-12-25', '성탄절'),
    ('2027-01-01', '신정'), ('2027-02-05', '설날 연휴'), ('2027-02-06', '설날'), ('2027-02-07', '설날 연휴'),
    ('2027-02-08', '설날 대체공휴일'), ('2027-03-01', '삼일절'), ('2027-05-01', '근로자의 날'),
    ('2027-05-05', '어린이날'), ('2027-05-13', '부처님오신날'), ('2027-08-16', '광복절 대체공휴일'),
    ('2027-09-14', '추석 연휴'), ('2027-09-15', '추석'), ('2027-09-16', '추석 연휴'),
    ('2027-10-04', '개천절 대체공휴일'), ('2027-10-11', '한글날 대체공휴일'), ('2027-12-27', '성탄절 대체공휴일')";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        sql::run(
            manager,
            &[
                "CREATE SCHEMA settlements",
                // One row: the shop-wide settings.
                "CREATE TABLE settlements.settings (
                    id boolean PRIMARY KEY DEFAULT true CHECK (id),
                    -- Pay within this many days of 구매확정 (2024 대규모유통업법 amendment draft).
                    legal_deadline_days int NOT NULL DEFAULT 20 CHECK (legal_deadline_days > 0),
                    -- Share of what is owed to hold apart (deposit or guarantee), basis points.
                    hold_apart_bp int NOT NULL DEFAULT 5000 CHECK (hold_apart_bp BETWEEN 0 AND 10000),
                    -- The cycle of vendors without one of their own.
                    default_cycle jsonb NOT NULL DEFAULT '{\"cycle\": \"weekly\", \"weekday\": 5}',
                    default_lag_business_days int NOT NULL DEFAULT 1 CHECK (default_lag_business_days >= 0),
                    -- Vendor's share of discounts with no funding row, basis points.
                    default_campaign_vendor_bp int NOT NULL DEFAULT 10000 CHECK (default_campaign_vendor_bp BETWEEN 0 AND 10000),
                    default_coupon_vendor_bp int NOT NULL DEFAULT 0 CHECK (default_coupon_vendor_bp BETWEEN 0 AND 10000),
                    -- The shop operator, supplier on commission tax invoices.
                    operator_name text NOT NULL DEFAULT '인천테크노파크',
                    operator_business_number text NOT NULL DEFAULT '1218200000',
                    updated_at timestamptz NOT NULL DEFAULT now()
                )",
                "INSERT INTO settlements.settings DEFAULT VALUES",
                "CREATE TABLE settlements.holidays (day date PRIMARY KEY, name text NOT NULL)",
                HOLIDAYS,
                "CREATE TABLE settlements.commission_rules (
                    id uuid PRIMARY KEY,
                    scope text NOT NULL CHECK (scope IN ('default', 'vendor', 'category', 'campaign')),
                    scope_id uuid,
                    rate_bp int NOT NULL CHECK (rate_bp BETWEEN 0 AND 10000),
                    effective_from timestamptz NOT NULL,
                    effective_to timestamptz,
                    created_by uuid,
                    created_at timestamptz NOT NULL DEFAULT now(),
                    CHECK ((scope = 'default') = (scope_id IS NULL)),
                    CHECK (effective_to IS NULL OR effective_to > effective_from)
                )",
                // Public malls take about 1–4%: 3% until a city says otherwise.
                "INSERT INTO settlements.commission_rules (id, scope, rate_bp, effective_from) \
                 VALUES ('019ad000-0000-7000-8000-000000000001', 'default', 300, '2026-01-01T00:00:00+09:00')",
                "CREATE TABLE settlements.payment_fees (
                    method text PRIMARY KEY,
                    rate_bp int NOT NULL CHECK (rate_bp BETWEEN 0 AND 10000),
                    updated_at timestamptz NOT NULL DEFAULT now()
                )",
                // Card rates of Korean gateways for small merchants; the test gateway stands
                // in for a card. Invoice (후불) orders pay by transfer: no fee.
                "INSERT INTO settlements.payment_fees (method, rate_bp) VALUES \
                 ('toss', 330), ('stripe', 340), ('test', 330), ('invoice', 0)",
                "CREATE TABLE settlements.discount_funding (
                    source_kind text NOT NULL CHECK (source_kind IN ('campaign', 'coupon')),
                    source_id uuid NOT NULL,
                    vendor_share_bp int NOT NULL CHECK (vendor_share_bp BETWEEN 0 AND 10000),
                    updated_at timestamptz NOT NULL DEFAULT now(),
                    PRIMARY KEY (source_kind, source_id)
                )",
                "CREATE TABLE settlements.vendor_policies (
                    vendor_id uuid PRIMARY KEY,
                    cycle jsonb,
                    lag_business_days int CHECK (lag_business_days >= 0),
                    taxpayer_kind text NOT NULL DEFAULT 'general' CHECK (taxpayer_kind IN ('general', 'simplified', 'exempt')),
                    updated_at timestamptz NOT NULL DEFAULT now()
                )",
                "CREATE TABLE settlements.entries (
                    id uuid PRIMARY KEY,
                    vendor_id uuid NOT NULL,
                    kind text NOT NULL CHECK (kind IN ('sale', 'refund', 'shipping_income', 'commission', 'commission_vat',
                        'payment_fee', 'vendor_discount', 'platform_discount', 'adjustment', 'payout')),
                    amount bigint NOT NULL,
                    order_id uuid,
                    order_number text,
                    vendor_order_id uuid,
                    line_id uuid,
                    -- What booked it: 'vo:<vendor order>:<facts version>', 'adjustment:<id>', 'payout:<id>'.
                    source text NOT NULL,
                    line_key text NOT NULL DEFAULT '',
                    rate_bp int,
                    reason text,
                    actor uuid,
                    occurred_at timestamptz NOT NULL,
                    booked_at timestamptz NOT NULL DEFAULT now(),
                    due_on date,
                    deadline_on date,
                    UNIQUE (source, kind, line_key)
                )",
                "CREATE INDEX entries_vendor ON settlements.entries (vendor_id, id)",
                "CREATE INDEX entries_vendor_order ON settlements.entries (vendor_order_id)",
                "CREATE FUNCTION settlements.entries_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
                 BEGIN RAISE EXCEPTION 'settlements.entries is append-only: book a correcting entry'; END $$",
                "CREATE TRIGGER entries_append_only BEFORE UPDATE OR DELETE ON settlements.entries \
                 FOR EACH ROW EXECUTE FUNCTION settlements.entries_append_only()",
                "CREATE TABLE settlements.holds (
                    id uuid PRIMARY KEY,
                    vendor_id uuid NOT NULL,
                    reason text NOT NULL CHECK (length(reason) > 0),
                    created_by uuid NOT NULL,
                    created_at timestamptz NOT NULL DEFAULT now(),
                    released_by uuid,
                    released_at timestamptz
                )",
                "CREATE UNIQUE INDEX holds_open ON settlements.holds (vendor_id) WHERE released_at IS NULL",
                "CREATE TABLE settlements.statements (
                    id uuid PRIMARY KEY,
                    vendor_id uuid NOT NULL,
                    period_end date NOT NULL,
                    closed_at timestamptz NOT NULL DEFAULT now(),
                    closed_by uuid,
                    opening_carry bigint NOT NULL,
                    sales bigint NOT NULL,
                    refunds bigint NOT NULL,
                    shipping bigint NOT NULL,
                    vendor_discounts bigint NOT NULL,
                    platform_discounts bigint NOT NULL,
                    commission bigint NOT NULL,
                    commission_vat bigint NOT NULL,
                    fees bigint NOT NULL,
                    adjustments bigint NOT NULL,
                    net_payable bigint NOT NULL CHECK (net_payable > 0),
                    due_on date NOT NULL,
                    status text NOT NULL DEFAULT 'due' CHECK (status IN ('due', 'paying', 'paid'))
                )",
                "CREATE INDEX statements_vendor ON settlements.statements (vendor_id, id DESC)",
                "CREATE TABLE settlements.statement_entries (
                    entry_id uuid PRIMARY KEY REFERENCES settlements.entries (id),
                    statement_id uuid NOT NULL REFERENCES settlements.statements (id)
                )",
                "CREATE INDEX statement_entries_statement ON settlements.statement_entries (statement_id)",
                "CREATE TABLE settlements.bank_accounts (
                    id uuid PRIMARY KEY,
                    vendor_id uuid NOT NULL,
                    bank_code text NOT NULL CHECK (bank_code ~ '^[0-9]{3}$'),
                    account_number text NOT NULL CHECK (account_number ~ '^[0-9]{6,16}$'),
                    holder text NOT NULL CHECK (length(holder) > 0),
                    registered_at timestamptz NOT NULL DEFAULT now(),
                    retired_at timestamptz
                )",
                "CREATE UNIQUE INDEX bank_accounts_current ON settlements.bank_accounts (vendor_id) WHERE retired_at IS NULL",
                "CREATE TABLE settlements.payouts (
                    id uuid PRIMARY KEY,
                    statement_id uuid NOT NULL REFERENCES settlements.statements (id),
                    vendor_id uuid NOT NULL,
                    amount bigint NOT NULL CHECK (amount > 0),
                    status text NOT NULL CHECK (status IN ('scheduled', 'sent', 'paid', 'failed')),
                    bank_account_id uuid NOT NULL REFERENCES settlements.bank_accounts (id),
                    approved_by uuid NOT NULL,
                    provider text NOT NULL,
                    failure_reason text,
                    created_at timestamptz NOT NULL DEFAULT now(),
                    sent_at timestamptz,
                    settled_at timestamptz
                )",
                // A statement is being paid at most once at a time.
                "CREATE UNIQUE INDEX payouts_live ON settlements.payouts (statement_id) WHERE status <> 'failed'",
                "CREATE INDEX payouts_vendor ON settlements.payouts (vendor_id, id DESC)",
                "CREATE TABLE settlements.tax_invoices (
                    id uuid PRIMARY KEY,
                    vendor_id uuid NOT NULL,
                    month date NOT NULL CHECK (extract(day FROM month) = 1),
                    supplier_name text NOT NULL,
                    supplier_business_number text NOT NULL,
                    recipient_name text NOT NULL,
                    recipient_business_number text NOT NULL,
                    taxpayer_kind text NOT NULL,
                    supply_amount bigint NOT NULL,
                    vat bigint NOT NULL,
                    created_at timestamptz NOT NULL DEFAULT now(),
                    UNIQUE (vendor_id, month)
                )",
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        sql::drop_schema(manager, "settlements").await
    }
}
