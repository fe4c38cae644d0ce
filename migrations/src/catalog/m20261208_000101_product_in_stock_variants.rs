//! Each product counts its variants with units not held by a reservation
//! (`in_stock_variants`), kept by triggers on `catalog.variants`: a list row's "in stock"
//! is then a column of the product row it already reads, instead of a probe of the
//! variants index and heap for every row of the page (half of a filtered list
//! statement's time).
//!
//! After each statement that inserts, updates or deletes variants, the products whose
//! count changed (a variant started or stopped having free units, or one with units came
//! or went) get the difference added, so every stock write (reservations, sales,
//! releases, restocks, a vendor's count) keeps it without knowing of it.
//!
//! - An increment, unlike a recomputed flag, commutes: two transactions emptying two
//!   variants of one product at once each take one off the row version the other
//!   committed, where each recomputing "any variant left?" from its own snapshot would
//!   both still see the other's units.
//! - Once per statement, not per row, so that the products are locked in id order: a
//!   checkout emptying variants of two products locks both rows, and counting per row
//!   would lock them in the order of its variants, which another checkout's variants may
//!   reverse (a deadlock: `stock::checkouts_emptying_variants_of_the_same_products_in_
//!   opposite_order_do_not_deadlock`). A statement that changes no count (a reservation
//!   leaving units free) locks nothing.

crate::sql::sql_migration!(
    up: [
        "ALTER TABLE catalog.products ADD COLUMN in_stock_variants integer NOT NULL DEFAULT 0",
        "UPDATE catalog.products p SET in_stock_variants = s.n
           FROM (SELECT product_id, count(*) AS n FROM catalog.variants
                  WHERE on_hand > reserved GROUP BY product_id) s
          WHERE s.product_id = p.id",
        // `gone` and `came` are the statement's transition tables; an insert has no `gone`
        // and a delete no `came`, so each is named only in its own branch (plpgsql plans
        // a statement when it first runs it).
        "CREATE FUNCTION catalog.variants_in_stock_changed() RETURNS trigger LANGUAGE plpgsql AS $$
         DECLARE
           ids uuid[];
           deltas integer[];
         BEGIN
           IF TG_OP = 'INSERT' THEN
             SELECT array_agg(product_id ORDER BY product_id), array_agg(n ORDER BY product_id)
               INTO ids, deltas
               FROM (SELECT product_id, count(*)::integer AS n FROM came
                      WHERE on_hand > reserved GROUP BY product_id) s;
           ELSIF TG_OP = 'DELETE' THEN
             SELECT array_agg(product_id ORDER BY product_id), array_agg(n ORDER BY product_id)
               INTO ids, deltas
               FROM (SELECT product_id, -count(*)::integer AS n FROM gone
                      WHERE on_hand > reserved GROUP BY product_id) s;
           ELSE
             SELECT array_agg(product_id ORDER BY product_id), array_agg(n ORDER BY product_id)
               INTO ids, deltas
               FROM (SELECT product_id, sum(d)::integer AS n
                       FROM (SELECT product_id, -1 AS d FROM gone WHERE on_hand > reserved
                             UNION ALL
                             SELECT product_id, 1 FROM came WHERE on_hand > reserved) m
                      GROUP BY product_id) s
              WHERE n <> 0;
           END IF;
           IF ids IS NULL THEN
             RETURN NULL;
           END IF;
           PERFORM 1 FROM catalog.products WHERE id = ANY (ids) ORDER BY id FOR UPDATE;
           UPDATE catalog.products p SET in_stock_variants = p.in_stock_variants + m.n
             FROM unnest(ids, deltas) AS m(id, n) WHERE p.id = m.id;
           RETURN NULL;
         END $$",
        "CREATE TRIGGER variants_in_stock_updated AFTER UPDATE ON catalog.variants
           REFERENCING OLD TABLE AS gone NEW TABLE AS came
           FOR EACH STATEMENT EXECUTE FUNCTION catalog.variants_in_stock_changed()",
        "CREATE TRIGGER variants_in_stock_inserted AFTER INSERT ON catalog.variants
           REFERENCING NEW TABLE AS came
           FOR EACH STATEMENT EXECUTE FUNCTION catalog.variants_in_stock_changed()",
        "CREATE TRIGGER variants_in_stock_deleted AFTER DELETE ON catalog.variants
           REFERENCING OLD TABLE AS gone
           FOR EACH STATEMENT EXECUTE FUNCTION catalog.variants_in_stock_changed()",
    ],
    down: [
        "DROP TRIGGER variants_in_stock_deleted ON catalog.variants",
        "DROP TRIGGER variants_in_stock_inserted ON catalog.variants",
        "DROP TRIGGER variants_in_stock_updated ON catalog.variants",
        "DROP FUNCTION catalog.variants_in_stock_changed()",
        "ALTER TABLE catalog.products DROP COLUMN in_stock_variants",
    ],
);
