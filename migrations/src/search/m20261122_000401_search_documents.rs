//! The `search` schema: one denormalised row per product that consumers may see, written
//! only by the search indexer (and `jikgu reindex`), read by the Postgres search backend.
//!
//! Korean has no spaces inside compound nouns, so "김치" must match inside "강화순무김치".
//! pg_trgm cannot serve that for one- or two-syllable queries: trigrams are three
//! *characters*, and `ILIKE '%김치%'` yields none, so the planner falls back to a
//! sequential scan. `grams` therefore holds every distinct one- and two-character
//! substring of the searchable text (what pg_bigm does), and a GIN index on it narrows
//! any query of one or more characters before `ILIKE` rechecks. The trigram indexes
//! serve longer queries, `similarity()` ranking and suggestions; the `simple` tsvector
//! ranks whole-word matches first.

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
                "CREATE EXTENSION IF NOT EXISTS pg_trgm",
                "CREATE SCHEMA search",
                "CREATE TABLE search.documents (
                    id uuid PRIMARY KEY,
                    title text NOT NULL,
                    -- Plain text of the product description (HTML stripped, truncated).
                    description text NOT NULL DEFAULT '',
                    tags text[] NOT NULL DEFAULT '{}',
                    -- The tags joined by spaces: what ILIKE and the tsvector read.
                    tags_text text NOT NULL DEFAULT '',
                    vendor_id uuid NOT NULL,
                    vendor_name text NOT NULL,
                    category_id uuid NOT NULL,
                    -- The category and every ancestor: a subtree filter is `@> ARRAY[$1]`.
                    category_ids uuid[] NOT NULL DEFAULT '{}',
                    certified boolean NOT NULL DEFAULT false,
                    certification_kinds text[] NOT NULL DEFAULT '{}',
                    campaign_ids uuid[] NOT NULL DEFAULT '{}',
                    price bigint NOT NULL,
                    in_stock boolean NOT NULL,
                    popularity bigint NOT NULL DEFAULT 0,
                    published_at timestamptz,
                    image text,
                    -- Distinct lower-cased 1- and 2-character substrings of title, tags and
                    -- description (computed by the search crate).
                    grams text[] NOT NULL DEFAULT '{}',
                    words tsvector GENERATED ALWAYS AS (
                        setweight(to_tsvector('simple'::regconfig, title), 'A')
                        || setweight(to_tsvector('simple'::regconfig, tags_text), 'B')
                        || setweight(to_tsvector('simple'::regconfig, description), 'C')
                    ) STORED,
                    -- When this row's content last changed.
                    indexed_at timestamptz NOT NULL DEFAULT now()
                )",
                "CREATE INDEX documents_title_trgm ON search.documents USING gin (title gin_trgm_ops)",
                "CREATE INDEX documents_description_trgm ON search.documents USING gin (description gin_trgm_ops)",
                "CREATE INDEX documents_words ON search.documents USING gin (words)",
                "CREATE INDEX documents_grams ON search.documents USING gin (grams)",
                "CREATE INDEX documents_category_ids ON search.documents USING gin (category_ids)",
                "CREATE INDEX documents_campaign_ids ON search.documents USING gin (campaign_ids)",
                "CREATE INDEX documents_vendor ON search.documents (vendor_id)",
                "CREATE INDEX documents_newest ON search.documents (published_at DESC NULLS LAST, id DESC)",
                "CREATE INDEX documents_price ON search.documents (price, id)",
                "CREATE INDEX documents_popular ON search.documents (popularity DESC, id DESC)",
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        sql::drop_schema(manager, "search").await
    }
}
