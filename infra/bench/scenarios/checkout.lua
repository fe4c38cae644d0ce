-- @server: cached
-- @group: checkout
-- @ceiling: pgbench_tpcb
-- @lib: checkout
-- @prepare: checkout
-- @description: each customer fills a cart with 1-3 variants of different vendors (PUT per line; the last answer's quote gives the total), then POST /v1/checkout with a fresh Idempotency-Key and that expected_total (test gateway, orders left unpaid); figures count 201 checkouts only

checkout_mode = "cycle"
checkout_cfg = bench_data.checkout
