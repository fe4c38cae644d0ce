-- @server: cached
-- @group: catalog
-- @prepare: warm_product_details
-- @description: GET /v1/products/{id} over ~1000 random active products, every page already in Redis (the cache is warmed by requesting each id once)

local ids = bench_data.product_ids

function request()
  return get("/v1/products/" .. pick(ids))
end
