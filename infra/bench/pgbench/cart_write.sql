-- A cart line write as orders::carts::write_once sends it (a quantity change of a line the
-- cart holds, with the catalog's facts of every line for the quote), with its constant
-- parameters written in. Compare with cart_write_lean.sql, the same write without the
-- facts. Made once in the bench database after a checkout run (every customer's cart then
-- holds the same two lines, so both scripts take the quantity branch):
--   CREATE TABLE bc AS SELECT row_number() OVER (ORDER BY customer_id) - 1 AS n, customer_id AS customer
--     FROM orders.carts WHERE customer_id IS NOT NULL;
--   CREATE TABLE bv AS SELECT row_number() OVER (ORDER BY x.id) - 1 AS n, x.id AS variant
--     FROM catalog.variants x JOIN catalog.products p ON p.id = x.product_id
--     JOIN catalog.vendors v ON v.id = p.vendor_id
--     WHERE p.status = 'active' AND v.status = 'approved' AND x.on_hand > 100 LIMIT 2;
--   UPDATE orders.carts SET lines = ARRAY[ROW((SELECT variant FROM bv WHERE n = 0), 1, 1000)::orders.cart_line,
--     ROW((SELECT variant FROM bv WHERE n = 1), 1, 1000)::orders.cart_line] WHERE customer_id IS NOT NULL;
-- (bc needs n = 0 to 64: a checkout run leaves at least that many carts.)
-- Run: pgbench -n -M prepared -c 1 -T 10 -f cart_write.sql jikgu_bench (and the lean one,
-- alternated; the two picking SELECTs alone: the first five lines of either script).
\set c random(0, 64)
\set k random(0, 1)
\set q random(1, 5)
SELECT customer AS cu FROM bc WHERE n = :c \gset
SELECT variant AS vi FROM bv WHERE n = :k \gset
WITH cart AS (SELECT id, lines FROM orders.carts WHERE customer_id = :cu),
facts AS (SELECT x.id AS variant_id, p.id AS product_id, p.vendor_id, p.title, x.name AS variant_name, x.sku, x.price,
    x.on_hand - x.reserved AS available, p.taxable, p.withdrawal_restricted, p.max_per_order,
    c.ancestors || c.id AS category_path, p.tags,
    EXISTS (SELECT 1 FROM catalog.certifications c WHERE c.vendor_id = p.vendor_id AND c.verified_at IS NOT NULL
        AND current_date BETWEEN c.issued_on AND c.expires_on) AS certified,
    (p.status = 'active' AND v.status = 'approved') AS sellable, v.shipping_base_fee, v.shipping_free_threshold,
    v.postal_code AS vendor_postal_code, v.address AS vendor_address
  FROM catalog.variants x JOIN catalog.products p ON p.id = x.product_id JOIN catalog.vendors v ON v.id = p.vendor_id
  JOIN catalog.categories c ON c.id = p.category_id
  WHERE x.id = ANY(ARRAY(SELECT cl.variant_id FROM cart, unnest(cart.lines) cl) || (SELECT :vi::uuid))),
written AS (UPDATE orders.carts c
    SET updated_at = CASE WHEN updated_at < now() - interval '1 hour' THEN now() ELSE updated_at END,
        lines = CASE WHEN EXISTS (SELECT 1 FROM unnest(c.lines) x WHERE x.variant_id = :vi)
          THEN ARRAY(SELECT ROW(l.variant_id, CASE WHEN l.variant_id = :vi THEN :q ELSE l.quantity END, l.seen_unit_price)::orders.cart_line
                     FROM unnest(c.lines) WITH ORDINALITY AS l(variant_id, quantity, seen_unit_price, n) ORDER BY l.n)
          ELSE c.lines || ROW(:vi, :q, (SELECT price FROM facts WHERE variant_id = :vi))::orders.cart_line END
    WHERE c.id = (SELECT id FROM cart)
      AND EXISTS (SELECT 1 FROM facts f WHERE f.variant_id = :vi AND f.sellable AND (f.max_per_order IS NULL OR :q <= f.max_per_order))
    RETURNING c.lines),
no_flush_wait AS (SELECT set_config('synchronous_commit', 'off', true) AS no_flush_wait)
SELECT c.id AS cart_id, EXISTS (SELECT 1 FROM written) AS written, r.*
FROM cart c CROSS JOIN no_flush_wait LEFT JOIN (
  SELECT f.*, l.variant_id AS line_variant_id, l.quantity AS line_quantity, l.seen_unit_price AS line_seen_unit_price, l.n AS line_n
  FROM facts f FULL JOIN (SELECT l.* FROM written c, unnest(c.lines) WITH ORDINALITY AS l(variant_id, quantity, seen_unit_price, n)) l
    ON l.variant_id = f.variant_id) r ON true
ORDER BY r.line_n;
