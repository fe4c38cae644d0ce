//! Buyer organisations (issue 15): public institutions and companies that buy for
//! themselves, approved by an admin, with their members' roles and a credit line for
//! paying by invoice (후불).
//!
//! `credit_used <= credit_limit` is a constraint as well as the condition of the update
//! that takes credit, so no interleaving of orders can take more than the limit.

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
                "CREATE TABLE accounts.organisations (
                    id uuid PRIMARY KEY,
                    kind text NOT NULL CHECK (kind IN ('public_institution', 'company')),
                    name text NOT NULL,
                    business_number text NOT NULL UNIQUE,
                    representative text NOT NULL,
                    address text NOT NULL,
                    tax_invoice_email text NOT NULL,
                    status text NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
                    status_reason text,
                    credit_limit bigint NOT NULL DEFAULT 0 CHECK (credit_limit >= 0),
                    credit_used bigint NOT NULL DEFAULT 0,
                    -- Days an invoice may stay unpaid.
                    payment_terms_days int NOT NULL DEFAULT 30 CHECK (payment_terms_days BETWEEN 1 AND 180),
                    created_by uuid NOT NULL,
                    created_at timestamptz NOT NULL DEFAULT now(),
                    decided_at timestamptz,
                    CONSTRAINT organisations_credit_within CHECK (credit_used >= 0 AND credit_used <= credit_limit)
                )",
                "CREATE INDEX organisations_status ON accounts.organisations (status, id DESC)",
                "CREATE TABLE accounts.organisation_members (
                    organisation_id uuid NOT NULL REFERENCES accounts.organisations (id),
                    user_id uuid NOT NULL,
                    role text NOT NULL CHECK (role IN ('buyer', 'approver')),
                    created_at timestamptz NOT NULL DEFAULT now(),
                    PRIMARY KEY (organisation_id, user_id)
                )",
                "CREATE INDEX organisation_members_user ON accounts.organisation_members (user_id)",
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        sql::run(
            manager,
            &[
                "DROP TABLE accounts.organisation_members",
                "DROP TABLE accounts.organisations",
            ],
        )
        .await
    }
}
