//! Who changed which account's role or status, when, and from what to what: an admin's
//! power over other accounts leaves a trail. Rows are only ever inserted.

crate::sql::sql_migration!(
    up: [
        "CREATE TABLE accounts.account_audit (
            id uuid PRIMARY KEY,
            account_id uuid NOT NULL REFERENCES accounts.users (id),
            actor_id uuid NOT NULL REFERENCES accounts.users (id),
            action text NOT NULL CHECK (action IN ('role_changed', 'disabled', 'enabled')),
            -- The fields that changed (role, vendor_id, status), before and after.
            before jsonb NOT NULL,
            after jsonb NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now()
        )",
        "CREATE INDEX account_audit_by_account ON accounts.account_audit (account_id, id)",
    ],
    down: ["DROP TABLE accounts.account_audit"],
);
