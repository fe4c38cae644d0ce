-- @server: uncached
-- @group: catalog
-- @description: GET /v1/products?category=<top-level category, sub-categories included>&min_price=X&max_price=Y&sort=price_asc&limit=20, X and Y random per request, with JIKGU_STOREFRONT_CACHE=off (every request runs the list SQL)

local cats = bench_data.top_category_ids

function request()
  -- Synthetic prices run from 1,000 to 99,900 won in steps of 100.
  local lo = math.random(10, 800) * 100        -- 1,000 .. 80,000
  local hi = lo + math.random(50, 300) * 100   -- a 5,000 .. 30,000 won window
  return get(string.format(
    "/v1/products?category=%s&min_price=%d&max_price=%d&sort=price_asc&limit=20",
    pick(cats), lo, hi))
end
