//! Each product counts its variants with units not held by a reservation
//! (`in_stock_variants`), kept by triggers on `catalog.variants`: a list row's "in stock"
//! is then a column of the product row it already reads, instead of a probe of the
//! variants index and heap for every row of the page (half of a filtered list
//! statement's time).
//!
//! The triggers add or take one when a variant starts or stops having free units (and
//! when one with free units is added or deleted), so every stock write (reservations,
//! sales, releases, restocks, a vendor's count) keeps it without knowing of it. An
//! increment, unlike a recomputed flag, commutes: two transactions emptying two
//! variants of one product at once each take one off the row version the other
//! committed, where each recomputing "any variant left?" from its own snapshot would
//! both still see the other's units. The product row is locked only when a variant
//! crosses zero, after the variant's own row: the order every writer of both already
//! takes (`update_variant`, a sale's popularity).

crate::sql::sql_migration!(
    up: [
        "ALTER TABLE catalog.products ADD COLUMN in_stock_variants integer NOT NULL DEFAULT 0",
        "UPDATE catalog.products p SET in_stock_variants = s.n
           FROM (SELECT product_id, count(*) AS n FROM catalog.variants
                  WHERE on_hand > reserved GROUP BY product_id) s
          WHERE s.product_id = p.id",
        "CREATE FUNCTION catalog.variant_in_stock_changed() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN
           IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.on_hand > OLD.reserved THEN
             UPDATE catalog.products SET in_stock_variants = in_stock_variants - 1
              WHERE id = OLD.product_id;
           END IF;
           IF TG_OP IN ('UPDATE', 'INSERT') AND NEW.on_hand > NEW.reserved THEN
             UPDATE catalog.products SET in_stock_variants = in_stock_variants + 1
              WHERE id = NEW.product_id;
           END IF;
           RETURN NULL;
         END $$",
        // Only a crossing calls the function: a reservation that leaves units free (all
        // of them but the last) costs the variant's update alone.
        "CREATE TRIGGER variants_in_stock_updated AFTER UPDATE OF on_hand, reserved, product_id
           ON catalog.variants FOR EACH ROW
           WHEN ((OLD.on_hand > OLD.reserved) IS DISTINCT FROM (NEW.on_hand > NEW.reserved)
                 OR OLD.product_id IS DISTINCT FROM NEW.product_id)
           EXECUTE FUNCTION catalog.variant_in_stock_changed()",
        "CREATE TRIGGER variants_in_stock_inserted AFTER INSERT ON catalog.variants
           FOR EACH ROW WHEN (NEW.on_hand > NEW.reserved)
           EXECUTE FUNCTION catalog.variant_in_stock_changed()",
        "CREATE TRIGGER variants_in_stock_deleted AFTER DELETE ON catalog.variants
           FOR EACH ROW WHEN (OLD.on_hand > OLD.reserved)
           EXECUTE FUNCTION catalog.variant_in_stock_changed()",
    ],
    down: [
        "DROP TRIGGER variants_in_stock_deleted ON catalog.variants",
        "DROP TRIGGER variants_in_stock_inserted ON catalog.variants",
        "DROP TRIGGER variants_in_stock_updated ON catalog.variants",
        "DROP FUNCTION catalog.variant_in_stock_changed()",
        "ALTER TABLE catalog.products DROP COLUMN in_stock_variants",
    ],
);
