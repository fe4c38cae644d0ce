//! A variant update counts `catalog.products.in_stock_variants` from the rows that moved,
//! noted by a row trigger that fires only when a variant starts or stops having free
//! units (or one with units changes product), instead of from the whole statement's
//! transition tables.
//!
//! The statement trigger of `m20261208_000101_product_in_stock_variants` captured the old
//! and new version of every updated row and ran its grouped query over them after every
//! stock statement, although under checkout's load nearly none crosses zero: counted
//! with callgrind, that was about a third of what checkout's stock hold costs Postgres
//! (infra/bench/README.md, thirty-second session). Now a row's `WHEN` is all an update
//! that leaves the count alone pays for, besides one call of the statement trigger that
//! finds nothing noted.
//!
//! - The row trigger only notes its product and difference in a transaction-local setting
//!   (`jikgu.in_stock_moves`); the statement trigger, which Postgres fires after the
//!   statement's row triggers, sums them and locks and updates the products in id order,
//!   as before, so two checkouts emptying variants of the same products in opposite order
//!   still cannot deadlock. It empties the setting, so the next statement starts clean;
//!   a statement that fails takes its notes with it (a failed transaction or savepoint
//!   undoes its settings).
//! - Inserts and deletes are rare (a vendor's new or removed variant) and keep their
//!   transition-table triggers; the function's update branch is left unused.

crate::sql::sql_migration!(
    up: [
        "DROP TRIGGER variants_in_stock_updated ON catalog.variants",
        "CREATE FUNCTION catalog.variant_in_stock_moved() RETURNS trigger LANGUAGE plpgsql AS $$
         DECLARE
           moves text := coalesce(current_setting('jikgu.in_stock_moves', true), '');
         BEGIN
           IF OLD.on_hand > OLD.reserved THEN
             moves := moves || OLD.product_id || ' -1,';
           END IF;
           IF NEW.on_hand > NEW.reserved THEN
             moves := moves || NEW.product_id || ' 1,';
           END IF;
           PERFORM set_config('jikgu.in_stock_moves', moves, true);
           RETURN NULL;
         END $$",
        "CREATE FUNCTION catalog.variants_in_stock_counted() RETURNS trigger LANGUAGE plpgsql AS $$
         DECLARE
           moves text := current_setting('jikgu.in_stock_moves', true);
           ids uuid[];
           deltas integer[];
         BEGIN
           IF moves IS NULL OR moves = '' THEN
             RETURN NULL;
           END IF;
           PERFORM set_config('jikgu.in_stock_moves', '', true);
           SELECT array_agg(id ORDER BY id), array_agg(n ORDER BY id) INTO ids, deltas
             FROM (SELECT split_part(m, ' ', 1)::uuid AS id,
                          sum(split_part(m, ' ', 2)::integer)::integer AS n
                     FROM unnest(string_to_array(rtrim(moves, ','), ',')) AS m
                    GROUP BY 1) s
            WHERE n <> 0;
           IF ids IS NULL THEN
             RETURN NULL;
           END IF;
           PERFORM 1 FROM catalog.products WHERE id = ANY (ids) ORDER BY id FOR UPDATE;
           UPDATE catalog.products p SET in_stock_variants = p.in_stock_variants + m.n
             FROM unnest(ids, deltas) AS m(id, n) WHERE p.id = m.id;
           RETURN NULL;
         END $$",
        "CREATE TRIGGER variant_in_stock_moved AFTER UPDATE ON catalog.variants
           FOR EACH ROW
           WHEN ((OLD.on_hand > OLD.reserved) <> (NEW.on_hand > NEW.reserved)
                 OR (OLD.product_id <> NEW.product_id AND OLD.on_hand > OLD.reserved))
           EXECUTE FUNCTION catalog.variant_in_stock_moved()",
        "CREATE TRIGGER variants_in_stock_updated AFTER UPDATE ON catalog.variants
           FOR EACH STATEMENT EXECUTE FUNCTION catalog.variants_in_stock_counted()",
    ],
    down: [
        "DROP TRIGGER variants_in_stock_updated ON catalog.variants",
        "DROP TRIGGER variant_in_stock_moved ON catalog.variants",
        "DROP FUNCTION catalog.variants_in_stock_counted()",
        "DROP FUNCTION catalog.variant_in_stock_moved()",
        "CREATE TRIGGER variants_in_stock_updated AFTER UPDATE ON catalog.variants
           REFERENCING OLD TABLE AS gone NEW TABLE AS came
           FOR EACH STATEMENT EXECUTE FUNCTION catalog.variants_in_stock_changed()",
    ],
);
