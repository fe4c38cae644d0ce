use crate::sql;
use sea_orm_migration::prelude::*;

/// The `promotions` schema and its outbox.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        sql::create_schema_with_outbox(manager, "promotions").await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        sql::drop_schema(manager, "promotions").await
    }
}
