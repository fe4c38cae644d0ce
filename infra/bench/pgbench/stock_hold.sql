-- A checkout's stock hold, as infra/bench/count.sh replays it: catalog::stock::
-- reserve_reading's statement for two of the checkout's variants (its pre-lock in id
-- order, the UPDATE and the stock events; not its facts), rolled back so that every
-- transaction starts from the same rows. The variants come from a helper table made once
-- in the source database after a checkout run (a pick that reads the variants table
-- itself costs more than the hold):
--   CREATE TABLE count_pick AS SELECT row_number() OVER (ORDER BY id) - 1 AS n, id
--     FROM catalog.variants WHERE on_hand = 1000000;
--   CREATE UNIQUE INDEX ON count_pick (n);
\set k random(0, 1000)
\set r random(1, 1000000000000)
BEGIN;
WITH stock_want AS (SELECT s.id, 1 AS qty, md5(:r || s.id::text)::uuid AS event_id
      FROM (SELECT id FROM count_pick WHERE n IN (:k, :k + 1)) s),
stock_locked AS MATERIALIZED (SELECT x.id, x.on_hand - x.reserved AS available
      FROM catalog.variants x JOIN stock_want w ON w.id = x.id
      WHERE x.on_hand - x.reserved >= w.qty ORDER BY x.id FOR UPDATE OF x),
stock_hit AS (UPDATE catalog.variants v SET reserved = v.reserved + w.qty, updated_at = now()
      FROM stock_want w
      WHERE v.id = w.id AND v.id IN (SELECT id FROM stock_locked) AND v.on_hand - v.reserved >= w.qty
      RETURNING v.id, v.product_id, v.on_hand - v.reserved AS available, w.qty, w.event_id), stock_ev AS (INSERT INTO catalog.outbox (id, topic, aggregate_id, payload)
      SELECT event_id, 'catalog.stock.changed', product_id, jsonb_build_object('variant_id', id, 'product_id', product_id,
         'available', available, 'available_before', available + qty) FROM stock_hit)
SELECT count(*) FROM stock_hit;
ROLLBACK;
