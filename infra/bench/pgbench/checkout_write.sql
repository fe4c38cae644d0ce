-- A checkout's stock hold and order, as infra/bench/count.sh replays them: the hold of
-- two variants (catalog::stock::reserve_reading's UPDATE, without its reads and events)
-- and the order's statement for a cart of two lines from two vendors (orders::checkout::
-- write_order with the payment written with it: the order, two vendor orders, the
-- history entry, two attribution rows, the payment, two lines; not its outbox event,
-- the cart's emptying or the stored answer), rolled back so that every transaction
-- starts from the same tables. Ids are derived from pgbench's random numbers, so a fixed
-- --random-seed replays the same rows (and the same index page splits) on every schema
-- compared.
\set k random(0, 999)
\set r random(1, 1000000000000)
BEGIN;
WITH want AS (SELECT id FROM catalog.variants ORDER BY id OFFSET :k LIMIT 2),
hit AS (UPDATE catalog.variants v SET reserved = v.reserved + 1, updated_at = now() FROM want w
        WHERE v.id = w.id AND v.on_hand - v.reserved >= 1 RETURNING v.id)
SELECT count(*) FROM hit;
WITH ids AS MATERIALIZED (SELECT md5(:r || 'o')::uuid AS o, md5(:r || 'v1')::uuid AS v1, md5(:r || 'v2')::uuid AS v2, md5(:r || 'c')::uuid AS c),
ord AS (INSERT INTO orders.orders (id, number, customer_id, status, list_subtotal, discount_total, shipping_total,
        grand_total, taxable_total, tax_free_total, recipient, phone, postal_code, road_address, address_detail,
        building_no, coupon_codes, quote, payment_gateway, reserved_until, channel, buyer_kind, payment_ref)
        SELECT o, 'N' || o, c, 'pending_payment', 30000, 0, 3000, 33000, 33000, 0, '홍길동', '010-1234-5678', '21999',
        '인천광역시 연수구 송도과학로 32', '101호', NULL, '{}', '{"lines": [], "totals": {}}'::jsonb, 'test', now() + interval '15 minutes',
        'web', 'consumer', NULL FROM ids),
vo AS (INSERT INTO orders.vendor_orders (id, order_id, vendor_id, status, items_total, shipping_total)
       SELECT v1, o, c, 'awaiting_payment', 15000, 1500 FROM ids UNION ALL SELECT v2, o, o, 'awaiting_payment', 15000, 1500 FROM ids),
hist AS (INSERT INTO orders.order_history (id, order_id, vendor_order_id, from_status, to_status, actor, note)
       SELECT md5(:r || 'h')::uuid, o, NULL, NULL, 'pending_payment', 'customer', 'checkout' FROM ids),
attr AS (INSERT INTO orders.line_attribution (order_id, variant_id, vendor_id, category_id, top_category_id, campaign_id, campaign_via,
        district, district_comparable, certified, vendor_discount)
       SELECT o, v1, c, c, c, NULL::uuid, NULL, '연수구', '연수구', true, 0 FROM ids UNION ALL
       SELECT o, v2, c, c, c, NULL::uuid, NULL, '남동구', '남동구', false, 0 FROM ids),
pay AS (INSERT INTO orders.payments (id, order_id, gateway, payment_ref, amount, status)
       SELECT md5(:r || 'p')::uuid, o, 'test', 'ref-' || o, 33000, 'open' FROM ids)
INSERT INTO orders.order_lines (id, order_id, vendor_order_id, product_id, variant_id, vendor_id, title, variant_name, sku,
        quantity, list_unit_price, unit_price, promotion_discount, coupon_discount, final_amount, taxable, withdrawal_restricted)
SELECT md5(:r || 'l1')::uuid, o, v1, c, c, c, '강화 순무김치', '1kg', 'SKU-1', 1, 15000, 15000, 0, 0, 15000, true, false FROM ids UNION ALL
SELECT md5(:r || 'l2')::uuid, o, v2, c, c, c, '소래포구 젓갈', '500g', 'SKU-2', 1, 15000, 15000, 0, 0, 15000, true, false FROM ids;
ROLLBACK;
