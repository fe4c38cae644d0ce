-- @server: cached
-- @group: checkout
-- @ceiling: pgbench_tpcb
-- @lib: checkout
-- @prepare: flash_sale
-- @bounded: 120
-- @verify: flash_sale
-- @description: 5,000 checkout attempts on one variant with 100 units, by customers whose carts hold one unit each (a sold-out customer tries again with a new key); psql then checks that exactly 100 orders hold it and stock is 100 on hand, 100 reserved

checkout_mode = "flash"
checkout_cfg = bench_data.flash_sale

-- Sold out is the expected answer for all but 100 attempts.
function expected_non2xx(status, body)
  return status == 409 and body ~= nil and body:find('"insufficient_stock"', 1, true) ~= nil
end
