//! The search index held in each process's memory (issue 18) follows `search.entries`
//! without reading it whole: every entry carries the id of the transaction that last
//! wrote it (`xid`), and every deleted entry leaves a tombstone in `search.removed`. A
//! process remembers the oldest transaction that was still running when it last looked
//! (`pg_snapshot_xmin`), and next time reads only the entries and tombstones written by
//! that transaction or later ones: a transaction that commits late is never skipped.
//!
//! Existing rows get `xid` 0: a process loads them with its first full read anyway.

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
                // A constant default first: no rewrite of the table for existing rows.
                "ALTER TABLE search.entries ADD COLUMN xid xid8 NOT NULL DEFAULT '0'",
                "ALTER TABLE search.entries ALTER COLUMN xid SET DEFAULT pg_current_xact_id()",
                "CREATE INDEX entries_xid ON search.entries (xid)",
                "CREATE TABLE search.removed (
                    id uuid NOT NULL,
                    xid xid8 NOT NULL DEFAULT pg_current_xact_id(),
                    -- Tombstones older than an hour are swept; a process that has not
                    -- looked for that long reads the entries whole again.
                    at timestamptz NOT NULL DEFAULT now()
                )",
                "CREATE INDEX removed_xid ON search.removed (xid)",
                "CREATE INDEX removed_at ON search.removed (at)",
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        sql::run(
            manager,
            &[
                "DROP TABLE search.removed",
                "ALTER TABLE search.entries DROP COLUMN xid",
            ],
        )
        .await
    }
}
