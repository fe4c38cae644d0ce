//! `carts.generation`: bumped by every write to a cart's lines (a line set or removed, a
//! merge, a checkout emptying it). A line write that finds the generation it read plus
//! one knows nobody else wrote the cart in between, so it answers with the lines it
//! already holds instead of reading them again (one round trip less per cart write).

use crate::sql;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        sql::run(
            manager,
            &["ALTER TABLE orders.carts ADD COLUMN generation bigint NOT NULL DEFAULT 0"],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        sql::run(
            manager,
            &["ALTER TABLE orders.carts DROP COLUMN generation"],
        )
        .await
    }
}
