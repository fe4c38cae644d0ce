//! Toss Payments beside Stripe (issue 12): what a redirect-then-confirm gateway needs kept.
//!
//! - `payments.payment_key`: the gateway's key of the payment once the shopper came back
//!   (Toss `paymentKey`); `payment_ref` starts as the Toss `orderId` (the order number).
//! - `payments.in_doubt_since`: a confirm whose answer was lost (timeout, 5xx); a job
//!   fetches the payment back and settles it (`in_doubt_checked_at`: when it last could
//!   not, so an outage at Toss is asked about every 30 seconds, not every second).
//! - `payments.virtual_account` (what the shopper sees: number, bank, due date) and
//!   `payments.deposit_secret` (the `secret` a DEPOSIT_CALLBACK must carry; never shown).
//! - `payment_refunds`: one row per refund, keyed by its idempotency key, keeping the
//!   gateway's `transactionKey`; the payment's `refunded` can never pass its amount.
//! - `returns.refund_account`: where a deposited virtual account's refund goes.

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
                "ALTER TABLE orders.payments \
                    ADD COLUMN payment_key text, \
                    ADD COLUMN in_doubt_since timestamptz, \
                    ADD COLUMN in_doubt_checked_at timestamptz, \
                    ADD COLUMN virtual_account jsonb, \
                    ADD COLUMN deposit_secret text, \
                    ADD CONSTRAINT payments_refunded_within CHECK (refunded >= 0 AND refunded <= amount)",
                "CREATE INDEX payments_in_doubt ON orders.payments (in_doubt_since) WHERE in_doubt_since IS NOT NULL",
                "CREATE TABLE orders.payment_refunds (
                    id uuid PRIMARY KEY,
                    order_id uuid NOT NULL REFERENCES orders.orders (id),
                    idempotency_key text NOT NULL UNIQUE,
                    amount bigint NOT NULL CHECK (amount > 0),
                    tax_free_amount bigint NOT NULL DEFAULT 0 CHECK (tax_free_amount >= 0 AND tax_free_amount <= amount),
                    reason text NOT NULL,
                    status text NOT NULL CHECK (status IN ('pending', 'done', 'failed')),
                    transaction_key text,
                    created_at timestamptz NOT NULL DEFAULT now(),
                    updated_at timestamptz NOT NULL DEFAULT now()
                )",
                "CREATE INDEX payment_refunds_order ON orders.payment_refunds (order_id)",
                "ALTER TABLE orders.returns ADD COLUMN refund_account jsonb",
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        sql::run(
            manager,
            &[
                "ALTER TABLE orders.returns DROP COLUMN refund_account",
                "DROP TABLE orders.payment_refunds",
                "DROP INDEX orders.payments_in_doubt",
                "ALTER TABLE orders.payments DROP CONSTRAINT payments_refunded_within, \
                    DROP COLUMN deposit_secret, DROP COLUMN virtual_account, \
                    DROP COLUMN in_doubt_checked_at, DROP COLUMN in_doubt_since, DROP COLUMN payment_key",
            ],
        )
        .await
    }
}
