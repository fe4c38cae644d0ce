-- cart_write.sql without the catalog's facts: what a line write would send if the
-- process held the facts itself (price, sellable, limits, vendor, category): the cart's
-- row updated and its lines returned with each variant's availability, the one fact that
-- moves with every checkout. Same helper tables and setup as cart_write.sql.
\set c random(0, 64)
\set k random(0, 1)
\set q random(1, 5)
SELECT customer AS cu FROM bc WHERE n = :c \gset
SELECT variant AS vi FROM bv WHERE n = :k \gset
WITH written AS (UPDATE orders.carts c
    SET updated_at = CASE WHEN updated_at < now() - interval '1 hour' THEN now() ELSE updated_at END,
        lines = CASE WHEN EXISTS (SELECT 1 FROM unnest(c.lines) x WHERE x.variant_id = :vi)
          THEN ARRAY(SELECT ROW(l.variant_id, CASE WHEN l.variant_id = :vi THEN :q ELSE l.quantity END, l.seen_unit_price)::orders.cart_line
                     FROM unnest(c.lines) WITH ORDINALITY AS l(variant_id, quantity, seen_unit_price, n) ORDER BY l.n)
          ELSE c.lines || ROW(:vi, :q, 1000)::orders.cart_line END
    WHERE customer_id = :cu RETURNING c.id, c.lines),
no_flush_wait AS (SELECT set_config('synchronous_commit', 'off', true) AS no_flush_wait)
SELECT w.id, l.*, x.on_hand - x.reserved AS available
FROM written w CROSS JOIN no_flush_wait
LEFT JOIN LATERAL unnest(w.lines) WITH ORDINALITY AS l(variant_id, quantity, seen_unit_price, n) ON true
LEFT JOIN catalog.variants x ON x.id = l.variant_id
ORDER BY l.n;
