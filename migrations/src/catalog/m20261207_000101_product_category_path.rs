//! Each product carries its category path (the top-level category first, its own last),
//! kept by triggers: when a product's category is set, and when a category moves (its
//! `ancestors` change, for it and every category under it). A filtered list then reads the
//! path from the product row instead of looking the category up again for every row, and
//! walks one top-level category's products in price order (`products_storefront_top_price`)
//! instead of every product's, checking each against the category.

crate::sql::sql_migration!(
    up: [
        "ALTER TABLE catalog.products ADD COLUMN category_path uuid[] NOT NULL DEFAULT '{}'",
        "UPDATE catalog.products p SET category_path = c.ancestors || c.id
           FROM catalog.categories c WHERE c.id = p.category_id",
        // An unknown category leaves the path empty: the foreign key then refuses the row.
        "CREATE FUNCTION catalog.product_category_path() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN
           NEW.category_path := COALESCE(
             (SELECT c.ancestors || c.id FROM catalog.categories c WHERE c.id = NEW.category_id),
             '{}');
           RETURN NEW;
         END $$",
        "CREATE TRIGGER products_category_path BEFORE INSERT OR UPDATE OF category_id
           ON catalog.products FOR EACH ROW EXECUTE FUNCTION catalog.product_category_path()",
        "CREATE FUNCTION catalog.category_path_moved() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN
           UPDATE catalog.products SET category_path = NEW.ancestors || NEW.id
            WHERE category_id = NEW.id;
           RETURN NULL;
         END $$",
        "CREATE TRIGGER categories_path_moved AFTER UPDATE OF ancestors ON catalog.categories
           FOR EACH ROW WHEN (OLD.ancestors IS DISTINCT FROM NEW.ancestors)
           EXECUTE FUNCTION catalog.category_path_moved()",
        "CREATE INDEX products_storefront_top_price
           ON catalog.products ((category_path[1]), min_price, id) WHERE status = 'active'",
    ],
    down: [
        "DROP INDEX catalog.products_storefront_top_price",
        "DROP TRIGGER categories_path_moved ON catalog.categories",
        "DROP FUNCTION catalog.category_path_moved()",
        "DROP TRIGGER products_category_path ON catalog.products",
        "DROP FUNCTION catalog.product_category_path()",
        "ALTER TABLE catalog.products DROP COLUMN category_path",
    ],
);
