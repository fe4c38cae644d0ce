//! The stacking policy as data: one row, the policy every quote is made with. It starts as
//! the default (the best line promotion, plus at most one order coupon and one shipping
//! coupon); marketers change it through the API, and each change is in the audit trail.

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
                "CREATE TABLE promotions.stacking_policy (
                    id uuid PRIMARY KEY,
                    max_order_coupons smallint NOT NULL CHECK (max_order_coupons BETWEEN 0 AND 5),
                    max_shipping_coupons smallint NOT NULL CHECK (max_shipping_coupons BETWEEN 0 AND 5),
                    time_deal_beats_campaign boolean NOT NULL,
                    order_and_shipping_coupons_combine boolean NOT NULL,
                    coupons_on_promoted_lines boolean NOT NULL,
                    updated_by uuid,
                    updated_at timestamptz NOT NULL DEFAULT now()
                )",
                // At most one row: the current policy.
                "CREATE UNIQUE INDEX stacking_policy_one ON promotions.stacking_policy ((true))",
                "INSERT INTO promotions.stacking_policy (id, max_order_coupons, max_shipping_coupons,
                     time_deal_beats_campaign, order_and_shipping_coupons_combine, coupons_on_promoted_lines)
                 VALUES (gen_random_uuid(), 1, 1, false, true, true)",
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        sql::run(manager, &["DROP TABLE promotions.stacking_policy"]).await
    }
}
