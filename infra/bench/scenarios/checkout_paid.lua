-- @server: cached
-- @group: checkout
-- @ceiling: pgbench_tpcb
-- @lib: checkout
-- @prepare: checkout
-- @description: as checkout, and every order is paid with the test gateway (POST /v1/payments/test/orders/{id}/pay: reservation turned into a sale) before the customer's next cart

checkout_mode = "cycle_pay"
checkout_cfg = bench_data.checkout
