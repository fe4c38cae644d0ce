//! A variant's price and stock counts get their rule from their type (a domain) instead of
//! a table `CHECK`. Postgres parses and plans a table's `CHECK`s again for every statement
//! that writes the table, and checkout's hold writes `catalog.variants` under every
//! order; a domain's rule is parsed once per backend and kept in its type cache. Counted
//! with callgrind on a one-client replay of the hold and the order's statement, the
//! `CHECK`s of the tables they write were 16% of their instructions, and these domains
//! with the orders schema's take 11% off (infra/bench/README.md, twenty-eighth session).
//!
//! The rule between two columns, `reserved <= on_hand`, stays a table `CHECK`: a domain
//! sees one value. The domains are created without their rule, the columns moved to them
//! (a relabelling, no table rewrite), and the rule added last, which checks every row
//! once.

crate::sql::sql_migration!(
    up: [
        "CREATE DOMAIN catalog.price AS bigint",
        "CREATE DOMAIN catalog.units AS integer",
        "ALTER TABLE catalog.variants
           DROP CONSTRAINT variants_price_check,
           DROP CONSTRAINT variants_compare_at_price_check,
           DROP CONSTRAINT variants_on_hand_check,
           DROP CONSTRAINT variants_reserved_check,
           ALTER COLUMN price TYPE catalog.price,
           ALTER COLUMN compare_at_price TYPE catalog.price,
           ALTER COLUMN on_hand TYPE catalog.units,
           ALTER COLUMN reserved TYPE catalog.units",
        "ALTER DOMAIN catalog.price ADD CONSTRAINT price_positive CHECK (VALUE > 0)",
        "ALTER DOMAIN catalog.units ADD CONSTRAINT units_not_negative CHECK (VALUE >= 0)",
    ],
    down: [
        "ALTER TABLE catalog.variants
           ALTER COLUMN price TYPE bigint,
           ALTER COLUMN compare_at_price TYPE bigint,
           ALTER COLUMN on_hand TYPE integer,
           ALTER COLUMN reserved TYPE integer,
           ADD CONSTRAINT variants_price_check CHECK (price > 0),
           ADD CONSTRAINT variants_compare_at_price_check CHECK (compare_at_price > 0),
           ADD CONSTRAINT variants_on_hand_check CHECK (on_hand >= 0),
           ADD CONSTRAINT variants_reserved_check CHECK (reserved >= 0)",
        "DROP DOMAIN catalog.units",
        "DROP DOMAIN catalog.price",
    ],
);
