use crate::sql;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        sql::create_schema_with_outbox(manager, "accounts").await?;
        sql::run(
            manager,
            &[
                "CREATE TABLE accounts.users (
                    id uuid PRIMARY KEY,
                    email text NOT NULL CHECK (email = lower(email)),
                    password_hash text NOT NULL,
                    role text NOT NULL CHECK (role IN ('customer', 'vendor', 'marketer', 'admin')),
                    vendor_id uuid,
                    display_name text NOT NULL,
                    status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
                    created_at timestamptz NOT NULL DEFAULT now(),
                    updated_at timestamptz NOT NULL DEFAULT now(),
                    last_login_at timestamptz,
                    CONSTRAINT users_email_key UNIQUE (email),
                    -- A vendor account is bound to exactly one vendor; no other role is.
                    CONSTRAINT users_vendor_binding CHECK ((role = 'vendor') = (vendor_id IS NOT NULL))
                )",
                "CREATE INDEX users_vendor ON accounts.users (vendor_id) WHERE vendor_id IS NOT NULL",
                "CREATE TABLE accounts.refresh_tokens (
                    id uuid PRIMARY KEY,
                    user_id uuid NOT NULL REFERENCES accounts.users (id) ON DELETE CASCADE,
                    family_id uuid NOT NULL,
                    token_hash text NOT NULL,
                    expires_at timestamptz NOT NULL,
                    used_at timestamptz,
                    revoked_at timestamptz,
                    created_at timestamptz NOT NULL DEFAULT now(),
                    CONSTRAINT refresh_tokens_hash_key UNIQUE (token_hash)
                )",
                "CREATE INDEX refresh_tokens_family ON accounts.refresh_tokens (family_id)",
                "CREATE INDEX refresh_tokens_user ON accounts.refresh_tokens (user_id)",
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        sql::drop_schema(manager, "accounts").await
    }
}
