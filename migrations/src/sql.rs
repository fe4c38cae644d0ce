//! DDL shared by the schema migrations.

use sea_orm_migration::prelude::*;

/// Run each statement in order (sea-orm runs a migration inside a transaction on Postgres,
/// so a failure leaves nothing behind).
pub async fn run(manager: &SchemaManager<'_>, statements: &[&str]) -> Result<(), DbErr> {
    let db = manager.get_connection();
    for stmt in statements {
        db.execute_unprepared(stmt).await?;
    }
    Ok(())
}

/// The transactional outbox of one schema (see `platform::outbox`).
pub fn outbox_table(schema: &str) -> String {
    format!(
        "CREATE TABLE {schema}.outbox (
            id uuid PRIMARY KEY,
            topic text NOT NULL,
            aggregate_id uuid NOT NULL,
            payload jsonb NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            published_at timestamptz
        );
        CREATE INDEX outbox_unpublished ON {schema}.outbox (id) WHERE published_at IS NULL;"
    )
}

/// A schema that holds only its outbox so far; its service's issue fills it.
pub async fn create_schema_with_outbox(
    manager: &SchemaManager<'_>,
    schema: &str,
) -> Result<(), DbErr> {
    let create = format!("CREATE SCHEMA {schema}");
    run(manager, &[&create, &outbox_table(schema)]).await
}

pub async fn drop_schema(manager: &SchemaManager<'_>, schema: &str) -> Result<(), DbErr> {
    let drop = format!("DROP SCHEMA IF EXISTS {schema} CASCADE");
    run(manager, &[&drop]).await
}

/// A migration that is only SQL: `sql_migration!(up: [...], down: [...]);` defines the
/// module's `Migration` running each `up` statement in order (and `down` to undo it).
macro_rules! sql_migration {
    (up: [$($up:expr),* $(,)?], down: [$($down:expr),* $(,)?] $(,)?) => {
        use sea_orm_migration::prelude::*;

        #[derive(DeriveMigrationName)]
        pub struct Migration;

        #[async_trait::async_trait]
        impl MigrationTrait for Migration {
            async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
                $crate::sql::run(manager, &[$($up),*]).await
            }

            async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
                $crate::sql::run(manager, &[$($down),*]).await
            }
        }
    };
}
pub(crate) use sql_migration;
