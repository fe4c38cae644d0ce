//! Search without its answer cache in milliseconds (issue 18): matching, filtering,
//! sorting and facet counting move from the wide `search.documents` to a narrow
//! `search.entries`, one row per document, and `documents` keeps only what a page of hits
//! shows (read by primary key, 20 rows at a time).
//!
//! A search visits every matching row to count facets (about 5,000 rows for a common
//! word at 100k products), so what costs is the bytes and the work per visited row:
//! - `grams` are `int4` codes of the 1- and 2-character substrings (a character's code
//!   point in 16 bits, two of them in one `int4`), half the size of the `text[]` they
//!   replace and cheaper to compare;
//! - words of three or more characters are rechecked with `strpos` on text the search
//!   crate has case-folded already (`title_folded`, and `text_folded` for tags and
//!   description, which Postgres keeps out of line once it is long, and reads only
//!   for such a recheck), not `ILIKE`, which lower-cases every candidate first;
//! - the `simple` tsvector, the trigram indexes and the sort indexes of `documents` go:
//!   nothing reads them any more, and every write paid for them.
//!
//! The backfill derives the new columns in SQL from what `documents` held; the next
//! rebuild (`jikgu reindex`, or the nightly one) rewrites them from the catalog.

use super::m20261122_000401_search_documents;
use crate::sql;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// A character's 16-bit unit as the search crate computes it (`search::text::gram_codes`):
/// its code point, or for one beyond U+FFFF a surrogate (0xD800 | low 11 bits), which no
/// character of a string is.
const UNIT: &str = "(CASE WHEN ascii({c}) <= 65535 THEN ascii({c})::bigint \
                    ELSE (55296 | (ascii({c}) & 2047))::bigint END)";

fn unit(c: &str) -> String {
    UNIT.replace("{c}", c)
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let pair = format!(
            "(({} << 16) | {})",
            unit("substr(g, 1, 1)"),
            unit("substr(g, 2, 1)")
        );
        let code = format!(
            "(CASE WHEN char_length(g) = 1 THEN {} \
              ELSE {pair} - CASE WHEN {pair} >= 2147483648 THEN 4294967296 ELSE 0 END END)::int4",
            unit("g")
        );
        let backfill = format!(
            "INSERT INTO search.entries (id, grams, title_folded, text_folded, vendor_id, \
                 vendor_name, category_id, category_ids, certified, certification_kinds, \
                 campaign_ids, price, in_stock, popularity, published_at) \
             SELECT d.id, ARRAY(SELECT DISTINCT {code} FROM unnest(d.grams) AS g ORDER BY 1), \
                 lower(d.title), lower(d.tags_text || E'\\n' || d.description), d.vendor_id, \
                 d.vendor_name, d.category_id, d.category_ids, d.certified, \
                 d.certification_kinds, d.campaign_ids, d.price, d.in_stock, d.popularity, \
                 d.published_at \
             FROM search.documents d"
        );
        sql::run(
            manager,
            &[
                "CREATE TABLE search.entries (
                    id uuid PRIMARY KEY,
                    -- Codes of the distinct case-folded 1- and 2-character substrings of
                    -- title, tags and description (search::text::gram_codes).
                    grams int4[] NOT NULL,
                    -- The title case-folded (relevance, suggestions, rechecks).
                    title_folded text NOT NULL,
                    -- Tags and description case-folded, one per line (rechecks only).
                    text_folded text NOT NULL,
                    vendor_id uuid NOT NULL,
                    vendor_name text NOT NULL,
                    category_id uuid NOT NULL,
                    category_ids uuid[] NOT NULL,
                    certified boolean NOT NULL,
                    certification_kinds text[] NOT NULL,
                    campaign_ids uuid[] NOT NULL,
                    price bigint NOT NULL,
                    in_stock boolean NOT NULL,
                    popularity bigint NOT NULL,
                    published_at timestamptz
                )",
                // Long descriptions go out of line uncompressed: a recheck reads them
                // without inflating them.
                "ALTER TABLE search.entries ALTER COLUMN text_folded SET STORAGE EXTERNAL",
                &backfill,
                "CREATE INDEX entries_grams ON search.entries USING gin (grams)",
                "CREATE INDEX entries_category_ids ON search.entries USING gin (category_ids)",
                "CREATE INDEX entries_campaign_ids ON search.entries USING gin (campaign_ids)",
                "CREATE INDEX entries_vendor ON search.entries (vendor_id)",
                "CREATE INDEX entries_newest ON search.entries (published_at DESC NULLS LAST, id DESC)",
                "CREATE INDEX entries_price ON search.entries (price, id)",
                "CREATE INDEX entries_popular ON search.entries (popularity DESC, id DESC)",
                "DROP INDEX search.documents_title_trgm, search.documents_description_trgm, \
                     search.documents_words, search.documents_grams, \
                     search.documents_category_ids, search.documents_campaign_ids, \
                     search.documents_vendor, search.documents_newest, search.documents_price, \
                     search.documents_popular",
                "ALTER TABLE search.documents DROP COLUMN words, DROP COLUMN grams",
            ],
        )
        .await
    }

    /// Back to the shape of `m20261122_000401`, empty: the index is derived data, and
    /// a rebuild (`jikgu reindex`) fills it again.
    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        sql::drop_schema(manager, "search").await?;
        m20261122_000401_search_documents::Migration
            .up(manager)
            .await
    }
}
