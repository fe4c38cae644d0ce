-- @server: uncached
-- @group: catalog
-- @description: GET /v1/products/{id} over ~1000 random active products with JIKGU_STOREFRONT_CACHE=off: every request reads Postgres (product, vendor, certifications, variants, category and its ancestors)

local ids = bench_data.product_ids

function request()
  return get("/v1/products/" .. pick(ids))
end
